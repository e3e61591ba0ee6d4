/*
 * opts.c - range-checked option parsing.
 */
#include "opts.h"
#include "log.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

int64_t
opt_int(const char *option, const char *value, int64_t min, int64_t max)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(value, &end, 10);
	if (errno != 0 || end == value || *end != '\0' || v < min || v > max)
		usage_error("invalid value \"%s\" for option %s: must be an integer from %lld to %lld",
					value, option, (long long) min, (long long) max);
	return v;
}

double
opt_double(const char *option, const char *value, double min, double max)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(value, &end);
	if (errno != 0 || end == value || *end != '\0' || !(v >= min && v <= max))
		usage_error("invalid value \"%s\" for option %s: must be a number from %g to %g", value,
					option, min, max);
	return v;
}

int
opt_choice(const char *option, const char *value, const char *const *choices)
{
	char list[256] = "";
	int i;

	for (i = 0; choices[i] != NULL; i++) {
		if (strcmp(value, choices[i]) == 0)
			return i;
		if (i > 0)
			strncat(list, "|", sizeof list - strlen(list) - 1);
		strncat(list, choices[i], sizeof list - strlen(list) - 1);
	}
	usage_error("invalid value \"%s\" for option %s: must be one of %s", value, option, list);
}

bool
opt_split_kv(char *arg, char **key, char **val)
{
	char *eq = strchr(arg, '=');

	if (eq == NULL || eq == arg)
		return false;
	*eq = '\0';
	*key = arg;
	*val = eq + 1;
	return true;
}

void
opt_exit_printed(void)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		/* stdio keeps errno from the failed write(). */
		int err = errno ? errno : EIO;

		fatal(EX_IOERR, "could not write to standard output: %s", strerror(err));
	}
	exit(0);
}

void
opt_version(void)
{
	printf("%s (walpipe) %s\n", log_progname(), WALPIPE_VERSION);
	opt_exit_printed();
}

void
opt_no_operands(int argc, char **argv)
{
	if (optind < argc)
		usage_error("unexpected argument \"%s\"", argv[optind]);
}
