/*
 * log.h - the one logger every walpipe command uses.
 *
 * Messages go to stderr as "prog: level: text", lowercase, no period.
 * stdout is flushed first so that data and diagnostics interleave in the
 * order they happened.  fatal() is the only function here that exits.
 */
#ifndef WALPIPE_LOG_H
#define WALPIPE_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* Name used as the message prefix; set once from argv[0] in main(). */
void log_init(const char *argv0);
const char *log_progname(void);

/* Messages above this level are dropped (default LOG_WARN); -v raises it. */
void log_set_level(enum log_level level);
bool log_enabled(enum log_level level);

/* The level that -v given count times asks for: info, then debug. */
void log_set_verbosity(int count);

void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Reports like log_error() and exits with status (a sysexits.h code). */
_Noreturn void fatal(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Bad command line: prints the message and the hint
 * 'Try "prog --help" for more information.', then exits EX_USAGE.
 */
_Noreturn void usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Copies msg without trailing newlines (libpq ends its messages in "\n"). */
const char *log_chomp(const char *msg, char *buf, size_t bufsize);

#endif
