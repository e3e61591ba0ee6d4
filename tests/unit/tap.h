/*
 * tap.h - a tiny TAP producer for the C unit tests; tests/run counts its
 * "ok"/"not ok" lines like bats's.
 */
#ifndef WALPIPE_TAP_H
#define WALPIPE_TAP_H

#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

#define ok(cond, ...) tap_ok((cond), __FILE__, __LINE__, __VA_ARGS__)

static inline int tap_ok(int cond, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#include <stdarg.h>

static inline int
tap_ok(int cond, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	printf("%s %d - ", cond ? "ok" : "not ok", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!cond) {
		printf("#   failed at %s:%d\n", file, line);
		tap_failed++;
	}
	return cond;
}

/* Compares a buffer with an expected C string and shows both on failure. */
#define ok_str(got, gotlen, want, ...) \
	(ok((gotlen) == strlen(want) && memcmp((got), (want), (gotlen)) == 0, __VA_ARGS__) || \
	 (printf("#   got:  %.*s\n#   want: %s\n", (int) (gotlen), (got), (want)), 0))

static inline int
tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
