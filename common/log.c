/*
 * log.c - stderr diagnostics for all commands.
 */
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

static const char *progname = "walpipe";
static enum log_level max_level = LOG_WARN;

void
log_init(const char *argv0)
{
	const char *slash = strrchr(argv0, '/');

	progname = slash ? slash + 1 : argv0;
}

const char *
log_progname(void)
{
	return progname;
}

void
log_set_level(enum log_level level)
{
	max_level = level;
}

void
log_set_verbosity(int count)
{
	log_set_level(count >= 2 ? LOG_DEBUG : count == 1 ? LOG_INFO : LOG_WARN);
}

bool
log_enabled(enum log_level level)
{
	return level <= max_level;
}

static void
vlog(enum log_level level, const char *fmt, va_list ap)
{
	static const char *const names[] = {"error", "warning", "info", "debug"};
	int saved_errno = errno;

	if (!log_enabled(level))
		return;
	/* Data already written must reach its reader before the complaint. */
	fflush(stdout);
	fprintf(stderr, "%s: %s: ", progname, names[level]);
	errno = saved_errno;
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	errno = saved_errno;
}

#define DEFINE_LOG(fn, level) \
	void fn(const char *fmt, ...) \
	{ \
		va_list ap; \
		va_start(ap, fmt); \
		vlog(level, fmt, ap); \
		va_end(ap); \
	}

DEFINE_LOG(log_error, LOG_ERROR)
DEFINE_LOG(log_warn, LOG_WARN)
DEFINE_LOG(log_info, LOG_INFO)
DEFINE_LOG(log_debug, LOG_DEBUG)

void
fatal(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_ERROR, fmt, ap);
	va_end(ap);
	exit(status);
}

void
usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_ERROR, fmt, ap);
	va_end(ap);
	fprintf(stderr, "Try \"%s --help\" for more information.\n", progname);
	exit(EX_USAGE);
}

const char *
log_chomp(const char *msg, char *buf, size_t bufsize)
{
	size_t len;

	if (msg == NULL || bufsize == 0)
		return "";
	len = strlen(msg);
	while (len > 0 && (msg[len - 1] == '\n' || msg[len - 1] == '\r'))
		len--;
	if (len >= bufsize)
		len = bufsize - 1;
	memcpy(buf, msg, len);
	buf[len] = '\0';
	return buf;
}
