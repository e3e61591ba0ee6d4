/*
 * kafka-sub - consume Kafka topics as record lines (walpipe-record(5)),
 * committing offsets only for records that are safe downstream.
 *
 *   kafka-sub -b 127.0.0.1:9092 -G replica -t TOPIC --ack-file apply.ack | pg-apply ...
 *
 * Also lists brokers and topics (-L) and shows a group's lag (--lag).
 * See kafka-sub(1).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "kafkautil.h"
#include "log.h"
#include "opts.h"
#include "sig.h"
#include "sub.h"

enum {
	OPT_ACK_FILE = 256,
	OPT_ACK_INTERVAL,
	OPT_COMMIT_INTERVAL,
	OPT_CONNECT_TIMEOUT,
	OPT_BINARY,
	OPT_PRETTY,
	OPT_LAG,
	OPT_METRICS_FILE,
	OPT_PROGRESS,
	OPT_STOP_TIMEOUT
};

static const char *offset_arg = NULL;

static void
usage(const struct sub *s)
{
	printf("kafka-sub writes the records of Kafka topics as record lines to standard output.\n\n"
		   "Usage: kafka-sub -b BROKERS -t TOPIC ... [-G GROUP] [-o "
		   "beginning|end|stored|OFFSET|-N|s@MS] [-p N] [-e] [-c COUNT] [-X ...] [--stop-timeout "
		   "SECS]\n"
		   "       kafka-sub -b BROKERS -L [-t TOPIC] [-J]\n"
		   "       kafka-sub -b BROKERS --lag -G GROUP -t TOPIC ... [-J]\n\n"
		   "Kafka:\n"
		   "  -b, --brokers=HOST:PORT,...   bootstrap brokers (bootstrap.servers)\n"
		   "  -t, --topic=TOPIC             topic to read (repeatable)\n"
		   "  -G, --group=GROUP             join consumer group GROUP and commit offsets\n"
		   "  -o, --offset=WHERE            start at beginning, end, stored (the group's\n"
		   "                                committed offset), OFFSET, -N (N before the\n"
		   "                                end) or s@MS (first record at or after time MS);\n"
		   "                                default beginning, or stored with -G\n"
		   "  -p, --partition=N             read only partition N\n"
		   "  -X, --property=PROP=VALUE     set a librdkafka property (repeatable)\n"
		   "  -F, --config-file=FILE        read librdkafka properties from FILE\n"
		   "      --connect-timeout=SECS    give up if no broker answers (default %d)\n"
		   "      --stop-timeout=SECS       at SIGINT or SIGTERM, try to commit this long\n"
		   "                                (default %d)\n\n"
		   "Bounds:\n"
		   "  -e, --exit-eof                exit at the end of every partition\n"
		   "  -c, --count=COUNT             exit after COUNT records\n\n"
		   "Commits (with -G):\n"
		   "      --ack-file=FILE           commit only the offsets downstream wrote to FILE\n"
		   "      --ack-interval=MS         read FILE at most this often (default %d)\n"
		   "      --commit-interval=MS      without --ack-file, commit what was written\n"
		   "                                this often (default %d)\n\n"
		   "Output:\n"
		   "      --binary=text|base64      non-JSON keys and values as text (if UTF-8)\n"
		   "                                or always base64 (default text)\n"
		   "      --pretty                  indent the records, for people\n\n"
		   "Metadata:\n"
		   "  -L, --list                    list brokers, topics and partitions\n"
		   "      --lag                     committed offset, end offset and lag per partition\n"
		   "  -J, --json                    -L and --lag as JSON\n\n"
		   "Monitoring:\n"
		   "      --metrics-file=FILE       write metrics to FILE (Prometheus text) every second\n"
		   "      --progress=SECONDS        catch-up progress on stderr every SECONDS when it\n"
		   "                                is not a terminal, 0 for none (default %g)\n\n"
		   "Other:\n"
		   "  -v, --verbose                 more messages on stderr (repeatable)\n"
		   "  -h, --help                    show this help, then exit\n"
		   "  -V, --version                 output version information, then exit\n",
		   s->timeout_ms / 1000, s->stop_timeout_ms / 1000, s->ack_interval_ms,
		   s->commit_interval_ms, PROGRESS_DEFAULT_INTERVAL);
}

/* Consumer defaults: nothing is committed or stored behind our back. */
static rd_kafka_conf_t *
default_conf(void)
{
	static const char *const defaults[][2] = {
		{"enable.auto.commit", "false"},  {"enable.auto.offset.store", "false"},
		{"enable.partition.eof", "true"}, {"allow.auto.create.topics", "false"},
		{"client.id", "kafka-sub"},
	};
	return kafka_conf_new(defaults, sizeof defaults / sizeof defaults[0]);
}

/* Applies -o to s (and, in group mode, to auto.offset.reset). */
static void
parse_offset(struct sub *s, rd_kafka_conf_t *conf)
{
	const char *o = offset_arg;
	char errbuf[512];
	const char *reset = "earliest";

	if (o == NULL)
		o = s->group ? "stored" : "beginning";
	if (strcmp(o, "beginning") == 0)
		s->start = RD_KAFKA_OFFSET_BEGINNING;
	else if (strcmp(o, "end") == 0)
		s->start = RD_KAFKA_OFFSET_END, reset = "latest";
	else if (strcmp(o, "stored") == 0)
		s->start = RD_KAFKA_OFFSET_STORED;
	else if (strncmp(o, "s@", 2) == 0)
		s->start_ms = opt_int("-o", o + 2, 0, INT64_MAX);
	else if (o[0] == '-')
		s->start = RD_KAFKA_OFFSET_TAIL(opt_int("-o", o + 1, 1, INT32_MAX));
	else
		s->start = opt_int("-o", o, 0, INT64_MAX);
	if (s->group == NULL && s->start == RD_KAFKA_OFFSET_STORED)
		usage_error("-o stored needs -G GROUP");
	if (s->group && s->start != RD_KAFKA_OFFSET_STORED && s->start != RD_KAFKA_OFFSET_BEGINNING &&
		s->start != RD_KAFKA_OFFSET_END)
		usage_error("with -G, -o must be beginning, end or stored");
	if (s->group && !kafka_conf_set(conf, "auto.offset.reset", reset, errbuf, sizeof errbuf))
		fatal(EX_SOFTWARE, "%s", errbuf);
	/*
	 * librdkafka refuses assign() without a group.id; without -G we never
	 * commit or join, so a fixed name is harmless.
	 */
	if (s->group == NULL &&
		!kafka_conf_set(conf, "group.id", "kafka-sub.nogroup", errbuf, sizeof errbuf))
		fatal(EX_SOFTWARE, "%s", errbuf);
}

/* Option combinations that make no sense; each exits EX_USAGE. */
static void
check_options(const struct sub *s, bool list, bool lag)
{
	if (!list && s->ntopics == 0)
		usage_error("no topic given: use -t TOPIC");
	if (lag && s->group == NULL)
		usage_error("--lag needs -G GROUP");
	if (s->ack_file && s->group == NULL)
		usage_error("--ack-file needs -G GROUP: offsets are committed to a group");
	if (s->group && s->partition >= 0)
		usage_error("-p cannot be used with -G: the group assigns partitions");
}

/* What the command line asks besides consuming: -L, --lag, -J. */
struct mode {
	bool list, lag, json;
};

/* The command line into s, m and a librdkafka configuration (returned). */
static rd_kafka_conf_t *
parse_options(int argc, char **argv, struct sub *sp, struct mode *m)
{
	static const struct option long_options[] = {
		{"brokers", required_argument, NULL, 'b'},
		{"topic", required_argument, NULL, 't'},
		{"group", required_argument, NULL, 'G'},
		{"offset", required_argument, NULL, 'o'},
		{"partition", required_argument, NULL, 'p'},
		{"property", required_argument, NULL, 'X'},
		{"config-file", required_argument, NULL, 'F'},
		{"connect-timeout", required_argument, NULL, OPT_CONNECT_TIMEOUT},
		{"stop-timeout", required_argument, NULL, OPT_STOP_TIMEOUT},
		{"exit-eof", no_argument, NULL, 'e'},
		{"count", required_argument, NULL, 'c'},
		{"ack-file", required_argument, NULL, OPT_ACK_FILE},
		{"ack-interval", required_argument, NULL, OPT_ACK_INTERVAL},
		{"commit-interval", required_argument, NULL, OPT_COMMIT_INTERVAL},
		{"binary", required_argument, NULL, OPT_BINARY},
		{"pretty", no_argument, NULL, OPT_PRETTY},
		{"list", no_argument, NULL, 'L'},
		{"lag", no_argument, NULL, OPT_LAG},
		{"metrics-file", required_argument, NULL, OPT_METRICS_FILE},
		{"progress", required_argument, NULL, OPT_PROGRESS},
		{"json", no_argument, NULL, 'J'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0}};
	static const char *const binary_choices[] = {"text", "base64", NULL};
	struct sub s = *sp;
	rd_kafka_conf_t *conf = default_conf();
	char errbuf[512];
	int verbose = 0, c;

	s.topics = xcalloc((size_t) argc, sizeof *s.topics);
	while ((c = getopt_long(argc, argv, "b:t:G:o:p:X:F:ec:LJvhV", long_options, NULL)) != -1) {
		switch (c) {
			case 'b':
			case 'X':
			case 'F': kafka_conf_option(conf, c, optarg); break;
			case 't': s.topics[s.ntopics++] = optarg; break;
			case 'G':
				s.group = optarg;
				if (!kafka_conf_set(conf, "group.id", optarg, errbuf, sizeof errbuf))
					usage_error("%s", errbuf);
				break;
			case 'o': offset_arg = optarg; break;
			case 'p': s.partition = (int32_t) opt_int("-p", optarg, 0, INT32_MAX); break;
			case OPT_CONNECT_TIMEOUT:
				s.timeout_ms = (int) opt_int("--connect-timeout", optarg, 1, 3600) * 1000;
				break;
			case OPT_STOP_TIMEOUT:
				s.stop_timeout_ms = (int) opt_int("--stop-timeout", optarg, 0, 3600) * 1000;
				break;
			case 'e': s.exit_eof = true; break;
			case 'c': s.count = opt_int("-c", optarg, 1, INT64_MAX); break;
			case OPT_ACK_FILE: s.ack_file = optarg; break;
			case OPT_ACK_INTERVAL:
				s.ack_interval_ms = (int) opt_int("--ack-interval", optarg, 0, 3600000);
				break;
			case OPT_COMMIT_INTERVAL:
				s.commit_interval_ms = (int) opt_int("--commit-interval", optarg, 0, 3600000);
				break;
			case OPT_BINARY:
				s.force_base64 = opt_choice("--binary", optarg, binary_choices) == 1;
				break;
			case OPT_PRETTY: s.pretty = true; break;
			case 'L': m->list = true; break;
			case OPT_LAG: m->lag = true; break;
			case OPT_METRICS_FILE: s.metrics_file = optarg; break;
			case OPT_PROGRESS: s.progress = opt_double("--progress", optarg, 0, 86400); break;
			case 'J': m->json = true; break;
			case 'v': log_set_verbosity(++verbose); break;
			case 'h': usage(&s); opt_exit_printed(); /* nothing to tear down yet */
			case 'V': opt_version();
			default: usage_error("invalid option");
		}
	}
	opt_no_operands(argc, argv);
	if (!kafka_conf_has_brokers(conf))
		usage_error("no brokers given: use -b BROKERS");
	check_options(&s, m->list, m->lag);
	parse_offset(&s, conf);
	*sp = s;
	return conf;
}

int
main(int argc, char **argv)
{
	struct sub s = {.partition = -1,
					.start_ms = -1,
					.count = -1,
					.ack_interval_ms = 100,
					.commit_interval_ms = 1000,
					.timeout_ms = 30000,
					.stop_timeout_ms = 5000,
					.progress = PROGRESS_DEFAULT_INTERVAL};
	struct mode m = {false, false, false};
	rd_kafka_conf_t *conf;
	char errbuf[512];
	bool closed;
	int status;

	log_init(argv[0]);
	conf = parse_options(argc, argv, &s, &m);
	sub_conf(&s, conf);
	s.rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errbuf, sizeof errbuf);
	if (s.rk == NULL)
		usage_error("%s", errbuf);
	conf = NULL; /* owned by s.rk now */
	if ((status = kafka_wait_brokers(s.rk, s.timeout_ms, errbuf, sizeof errbuf)) != 0)
		fatal(status, "%s", errbuf);

	if (m.list)
		status = meta_list(s.rk, s.topics, s.ntopics, m.json, s.timeout_ms);
	else if (m.lag)
		status = meta_lag(s.rk, s.topics, s.ntopics, m.json, s.timeout_ms);
	else {
		rd_kafka_poll_set_consumer(s.rk);
		sig_setup();
		status = sub_run(&s);
	}
	/* Leaving the group revokes, which flushes and commits what is safe. */
	closed = sub_close(&s);
	if (status == 0 && s.status)
		status = s.status;
	if (status == 0 && s.uncommitted) {
		log_error("offsets of records written were not committed: "
				  "a new run gets those records again");
		status = EX_TEMPFAIL;
	}
	/*
	 * Not closed in time means the broker is out of reach, and
	 * rd_kafka_destroy() would wait for its requests to time out (a
	 * minute): the stop bound wins, the group drops the member after
	 * session.timeout.ms.
	 */
	if (!closed)
		_exit(status);
	sub_free(&s);
	free(s.topics);
	rd_kafka_destroy(s.rk);
	return status;
}
