/*
 * sig.h - signal handling for clean shutdown.
 *
 * SIGINT and SIGTERM set sig_stop and nothing else; the main loops poll it
 * between bounded waits and shut down in order.  SIGPIPE is ignored so a
 * closed pipe shows up as EPIPE from write(), which the commands treat as
 * a write error: they stop without acknowledging what was not delivered.
 */
#ifndef WALPIPE_SIG_H
#define WALPIPE_SIG_H

#include <signal.h>

extern volatile sig_atomic_t sig_stop; /* the signal number, or 0 */

void sig_setup(void);

#endif
