/*
 * opts.h - option value parsing shared by the commands' main()s.
 *
 * Every parser names the option in its error, so messages read
 * 'invalid value "x" for option --batch-size: must be 1..100000'.
 * They call usage_error() (exit EX_USAGE) on bad values.
 */
#ifndef WALPIPE_OPTS_H
#define WALPIPE_OPTS_H

#include <stdbool.h>
#include <stdint.h>

int64_t opt_int(const char *option, const char *value, int64_t min, int64_t max);
double opt_double(const char *option, const char *value, double min, double max);

/* Returns the index of value in the NULL-terminated list choices. */
int opt_choice(const char *option, const char *value, const char *const *choices);

/*
 * Splits "key=value" in place (the '=' becomes NUL); *val points after
 * it.  Returns false when there is no '=' or the key is empty.
 */
bool opt_split_kv(char *arg, char **key, char **val);

/* After getopt_long(): no command takes operands, so one is a usage error. */
void opt_no_operands(int argc, char **argv);

/*
 * After --help or --version has been printed: exits 0, or EX_IOERR (74)
 * with a one-line error if standard output could not be written (a full
 * disk, /dev/full, a closed pipe), like every other write error.
 */
_Noreturn void opt_exit_printed(void);

/* Prints "prog (walpipe) VERSION" to stdout and exits as opt_exit_printed(). */
_Noreturn void opt_version(void);

#ifndef WALPIPE_VERSION
#define WALPIPE_VERSION "0.1.0"
#endif

#endif
