/*
 * kafka-pub - produce record lines (walpipe-record(5)) to Kafka, and tell
 * upstream, through an acknowledgement file, what the broker has acked.
 *
 *   cdc-envelope | kafka-pub -b 127.0.0.1:9092 --ack-file pub.ack
 *
 * Also creates and deletes topics, for scripts that would otherwise need
 * kafka-topics.sh.  See kafka-pub(1).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "kafkautil.h"
#include "lineread.h"
#include "log.h"
#include "opts.h"
#include "pub.h"
#include "sig.h"

enum {
	OPT_ACK_FILE = 256,
	OPT_ACK_INTERVAL,
	OPT_CONNECT_TIMEOUT,
	OPT_MAX_LINE,
	OPT_CREATE,
	OPT_DELETE,
	OPT_PARTITIONS,
	OPT_REPLICATION,
	OPT_TOPIC_CONFIG,
	OPT_MOCK_ERRORS,
	OPT_METRICS_FILE,
	OPT_STOP_TIMEOUT
};

/* The codec of record batches (see default_conf()). */
#define DEFAULT_COMPRESSION "lz4"

/* The producer queue, in KiB (see default_conf()); fit_queue() may raise it. */
#define DEFAULT_QUEUE_KB "4096"

static int connect_timeout = 30;
static int partitions = 1;
static int replication = 1;

static void
usage(const struct pub *p)
{
	printf("kafka-pub produces record lines read from standard input to Kafka.\n\n"
		   "Usage: kafka-pub -b BROKERS [-t TOPIC] [-p PARTITION] [-X prop=value ...] [-F "
		   "librdkafka.properties] [--stop-timeout SECS]\n"
		   "       kafka-pub -b BROKERS --create-topic NAME [--partitions N] [--replication-factor "
		   "R] [--topic-config K=V ...]\n"
		   "       kafka-pub -b BROKERS --delete-topic NAME\n\n"
		   "Kafka:\n"
		   "  -b, --brokers=HOST:PORT,...   bootstrap brokers (bootstrap.servers)\n"
		   "  -t, --topic=TOPIC             topic of records without a \"topic\"\n"
		   "  -T, --force-topic             send every record to -t TOPIC\n"
		   "  -p, --partition=N             partition of records without a \"partition\"\n"
		   "                                (default: the murmur2 partitioner, by key)\n"
		   "  -X, --property=PROP=VALUE     set a librdkafka property (repeatable)\n"
		   "                                (default: compression.type=%s)\n"
		   "  -F, --config-file=FILE        read librdkafka properties from FILE\n"
		   "      --connect-timeout=SECS    give up if no broker answers (default %d)\n"
		   "      --stop-timeout=SECS       at SIGINT or SIGTERM, wait this long for the\n"
		   "                                records in flight (default %d)\n\n"
		   "Acknowledgement:\n"
		   "      --ack-file=FILE           write the last acknowledged \"pos\" here\n"
		   "      --ack-interval=MS         at most this often (default %d)\n\n"
		   "Input:\n"
		   "      --max-line-bytes=N        longest accepted input line (default %zu)\n\n"
		   "Topic administration:\n"
		   "      --create-topic=NAME       create topic NAME, then exit\n"
		   "      --partitions=N            its number of partitions (default %d)\n"
		   "      --replication-factor=R    its replication factor (default %d)\n"
		   "      --topic-config=K=V        a topic config, e.g. cleanup.policy=compact\n"
		   "      --delete-topic=NAME       delete topic NAME, then exit\n\n"
		   "Other:\n"
		   "      --metrics-file=FILE       write metrics to FILE (Prometheus text) every second\n"
		   "  -v, --verbose                 more messages on stderr (repeatable)\n"
		   "  -h, --help                    show this help, then exit\n"
		   "  -V, --version                 output version information, then exit\n",
		   DEFAULT_COMPRESSION, connect_timeout, p->stop_timeout_ms / 1000, p->ack_interval_ms,
		   p->max_line, partitions, replication);
}

/*
 * Producer defaults: no loss, no duplicates, Java-compatible partitioning.
 *
 * lz4, by bench/e2e: every Debezium record repeats its schema, and lz4
 * stores 2.9 KB records in about 100 bytes, at less CPU for us and for
 * the broker than sending them as they are; zstd is smaller still but
 * costs every consumer more to read.
 *
 * The idempotent producer of librdkafka 2.0 sends one request per
 * partition at a time, and while it waits for the answer its thread spins
 * as soon as the oldest queued record is older than linger.ms: under load
 * that doubled our CPU.  So records may linger up to 100 ms, and
 * pub.c:wait_input() sends them at once whenever the input pauses.
 * It spins too while a whole batch waits behind that request, and a
 * queue of 64 MiB always had one: in bench/e2e, where the broker shares
 * the cores with the pipeline, a queue of 4 MiB took kafka-pub from
 * 1.14-2.07 CPU-s to 0.72-0.90 for 200,000 records, at the same speed.
 */
static rd_kafka_conf_t *
default_conf(void)
{
	static const char *const defaults[][2] = {
		{"enable.idempotence", "true"},
		{"acks", "all"},
		{"compression.type", DEFAULT_COMPRESSION},
		{"partitioner", "murmur2_random"},
		{"linger.ms", "100"},
		{"queue.buffering.max.kbytes", DEFAULT_QUEUE_KB},
		{"client.id", "kafka-pub"},
	};
	return kafka_conf_new(defaults, sizeof defaults / sizeof defaults[0]);
}

/* Set when an option (-X, -F) names queue.buffering.max.kbytes. */
static bool queue_set;

/* on_conf_set interceptor: notes the queue's size set, and lets it be set. */
static rd_kafka_conf_res_t
note_queue_set(rd_kafka_conf_t *conf, const char *name, const char *val, char *errstr,
			   size_t errsize, void *opaque)
{
	if (strcmp(name, "queue.buffering.max.kbytes") == 0)
		queue_set = true;
	return RD_KAFKA_CONF_UNKNOWN;
}

/*
 * A record may be as large as message.max.bytes, and one larger than the
 * queue would never fit in it: unless -X or -F set the queue's size, to
 * any value, it holds at least two of the largest records.
 */
static void
fit_queue(rd_kafka_conf_t *conf)
{
	char val[64], errbuf[256];
	size_t len = sizeof val;
	long long kb;

	if (queue_set || rd_kafka_conf_get(conf, "message.max.bytes", val, &len) != RD_KAFKA_CONF_OK)
		return;
	kb = strtoll(val, NULL, 10) / 512 + 1;
	if (kb <= atoll(DEFAULT_QUEUE_KB))
		return;
	snprintf(val, sizeof val, "%lld", kb);
	if (!kafka_conf_set(conf, "queue.buffering.max.kbytes", val, errbuf, sizeof errbuf))
		usage_error("%s", errbuf);
}

/*
 * Acknowledgements and the producer queue's own bound (pub.c) count on a
 * delivery report for every record: librdkafka can leave out those of
 * delivered records.
 */
static void
check_reports(rd_kafka_conf_t *conf)
{
	char val[16];
	size_t len = sizeof val;

	if (rd_kafka_conf_get(conf, "delivery.report.only.error", val, &len) == RD_KAFKA_CONF_OK &&
		strcmp(val, "true") == 0)
		usage_error("delivery.report.only.error=true is not supported: kafka-pub needs the "
					"delivery report of every record");
}

/* Test hook: Produce requests fail with these error codes, one each. */
static void
push_mock_errors(rd_kafka_t *rk, const char *list)
{
	rd_kafka_mock_cluster_t *mc = rd_kafka_handle_mock_cluster(rk);
	char *copy = xstrdup(list), *tok, *save;

	if (mc == NULL)
		usage_error("--mock-errors needs -X test.mock.num.brokers=N");
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		/* 0 is the Produce API key. */
		rd_kafka_mock_push_request_errors(
			mc, 0, 1, (rd_kafka_resp_err_t) opt_int("--mock-errors", tok, -200, 200));
	free(copy);
}

/* What the command line asks besides producing: topic administration. */
struct admin {
	char *create, *delete, *mock_errors;
	char **configs; /* --topic-config KEY=VALUE */
	int nconfigs;
};

/* The command line into p, a and a librdkafka configuration (returned). */
static rd_kafka_conf_t *
parse_options(int argc, char **argv, struct pub *p, struct admin *a)
{
	static const struct option long_options[] = {
		{"brokers", required_argument, NULL, 'b'},
		{"topic", required_argument, NULL, 't'},
		{"force-topic", no_argument, NULL, 'T'},
		{"partition", required_argument, NULL, 'p'},
		{"property", required_argument, NULL, 'X'},
		{"config-file", required_argument, NULL, 'F'},
		{"connect-timeout", required_argument, NULL, OPT_CONNECT_TIMEOUT},
		{"stop-timeout", required_argument, NULL, OPT_STOP_TIMEOUT},
		{"ack-file", required_argument, NULL, OPT_ACK_FILE},
		{"ack-interval", required_argument, NULL, OPT_ACK_INTERVAL},
		{"max-line-bytes", required_argument, NULL, OPT_MAX_LINE},
		{"max-line", required_argument, NULL, OPT_MAX_LINE}, /* the old name */
		{"create-topic", required_argument, NULL, OPT_CREATE},
		{"partitions", required_argument, NULL, OPT_PARTITIONS},
		{"replication-factor", required_argument, NULL, OPT_REPLICATION},
		{"topic-config", required_argument, NULL, OPT_TOPIC_CONFIG},
		{"delete-topic", required_argument, NULL, OPT_DELETE},
		{"mock-errors", required_argument, NULL, OPT_MOCK_ERRORS},
		{"metrics-file", required_argument, NULL, OPT_METRICS_FILE},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0}};
	rd_kafka_conf_t *conf = default_conf();
	int verbose = 0, c;

	/* After the defaults: what sets the queue's size from here is an option. */
	if (rd_kafka_conf_interceptor_add_on_conf_set(conf, "kafka-pub", note_queue_set, NULL))
		fatal(EX_SOFTWARE, "could not watch the Kafka configuration");

	a->configs = xcalloc((size_t) argc, sizeof *a->configs);
	while ((c = getopt_long(argc, argv, "b:t:Tp:X:F:vhV", long_options, NULL)) != -1) {
		switch (c) {
			case 'b':
			case 'X':
			case 'F': kafka_conf_option(conf, c, optarg); break;
			case 't': p->topic = optarg; break;
			case 'T': p->force_topic = true; break;
			case 'p': p->partition = (int32_t) opt_int("-p", optarg, 0, INT32_MAX); break;
			case OPT_CONNECT_TIMEOUT:
				connect_timeout = (int) opt_int("--connect-timeout", optarg, 1, 3600);
				break;
			case OPT_STOP_TIMEOUT:
				p->stop_timeout_ms = (int) opt_int("--stop-timeout", optarg, 0, 3600) * 1000;
				break;
			case OPT_ACK_FILE: p->ack_file = optarg; break;
			case OPT_ACK_INTERVAL:
				p->ack_interval_ms = (int) opt_int("--ack-interval", optarg, 0, 3600000);
				break;
			case OPT_MAX_LINE: p->max_line = lr_max_option(optarg); break;
			case OPT_CREATE: a->create = optarg; break;
			case OPT_PARTITIONS:
				partitions = (int) opt_int("--partitions", optarg, 1, 100000);
				break;
			case OPT_REPLICATION:
				replication = (int) opt_int("--replication-factor", optarg, 1, 1000);
				break;
			case OPT_TOPIC_CONFIG:
				if (strchr(optarg, '=') == NULL || optarg[0] == '=')
					usage_error(
						"invalid value \"%s\" for option --topic-config: expected key=value",
						optarg);
				a->configs[a->nconfigs++] = optarg;
				break;
			case OPT_DELETE: a->delete = optarg; break;
			case OPT_MOCK_ERRORS: a->mock_errors = optarg; break;
			case OPT_METRICS_FILE: p->metrics_file = optarg; break;
			case 'v': log_set_verbosity(++verbose); break;
			case 'h': usage(p); opt_exit_printed(); /* nothing to tear down yet */
			case 'V': opt_version();
			default: usage_error("invalid option");
		}
	}
	opt_no_operands(argc, argv);
	if (!kafka_conf_has_brokers(conf))
		usage_error("no brokers given: use -b BROKERS");
	if (a->create && a->delete)
		usage_error("--create-topic and --delete-topic exclude each other");
	if (p->force_topic && p->topic == NULL)
		usage_error("-T needs -t TOPIC");
	check_reports(conf);
	fit_queue(conf);
	return conf;
}

int
main(int argc, char **argv)
{
	struct pub p = {.partition = RD_KAFKA_PARTITION_UA,
					.ack_interval_ms = 100,
					.max_line = LINEREAD_DEFAULT_MAX,
					.stop_timeout_ms = 5000};
	struct admin a = {NULL, NULL, NULL, NULL, 0};
	rd_kafka_conf_t *conf;
	char errbuf[512];
	int status;

	log_init(argv[0]);
	conf = parse_options(argc, argv, &p, &a);
	pub_conf(&p, conf);
	p.rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errbuf, sizeof errbuf);
	if (p.rk == NULL)
		usage_error("%s", errbuf);
	conf = NULL; /* owned by p.rk now */
	if (a.mock_errors)
		push_mock_errors(p.rk, a.mock_errors);
	if ((status = kafka_wait_brokers(p.rk, connect_timeout * 1000, errbuf, sizeof errbuf)) != 0)
		fatal(status, "%s", errbuf);

	if (a.create)
		status = admin_create_topic(p.rk, a.create, partitions, replication, a.configs, a.nconfigs,
									connect_timeout * 1000);
	else if (a.delete)
		status = admin_delete_topic(p.rk, a.delete, connect_timeout * 1000);
	else {
		sig_setup();
		status = pub_run(&p);
	}
	pub_free(&p);
	free(a.configs);
	rd_kafka_destroy(p.rk);
	pub_free_held(&p); /* librdkafka no longer reads them */
	return status;
}
