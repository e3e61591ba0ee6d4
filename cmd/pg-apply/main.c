/*
 * pg-apply - (work in progress) see man/man1/pg-apply.1.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <sysexits.h>

#include "log.h"
#include "opts.h"

static void
usage(void)
{
	printf("Usage: pg-apply [OPTION]...\n\n"
		   "  -h, --help     show this help, then exit\n"
		   "  -V, --version  output version information, then exit\n");
}

int
main(int argc, char **argv)
{
	static const struct option long_options[] = {
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0}
	};
	int			c;

	log_init(argv[0]);
	while ((c = getopt_long(argc, argv, "hV", long_options, NULL)) != -1) {
		switch (c) {
			case 'h':
				usage();
				return 0;
			case 'V':
				opt_version();
			default:
				usage_error("invalid option");
		}
	}
	fatal(EX_SOFTWARE, "not implemented yet");
}
