/*
 * sig.c - flag-setting handlers installed with sigaction.
 */
#include "sig.h"

#include <errno.h>
#include <string.h>

volatile sig_atomic_t sig_stop = 0;

static void
on_stop(int signo)
{
	int saved_errno = errno;

	sig_stop = signo;
	errno = saved_errno;
}

void
sig_setup(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: blocking reads must return EINTR so loops see sig_stop. */
	sa.sa_handler = on_stop;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}
