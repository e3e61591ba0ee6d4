/*
 * cdc-envelope - turns pg-wal-tail's change lines into record lines whose
 * keys and values are what Debezium's PostgreSQL connector writes through
 * Kafka Connect's JsonConverter.  See cdc-envelope(1).
 *
 * A filter: change lines on stdin, record lines on stdout, in input
 * order.  Output is flushed whenever no further input line is already
 * buffered, so records leave as soon as their batch has been read.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <unistd.h>

#include "connector.h"
#include "envelope.h"
#include "lineread.h"
#include "log.h"
#include "metrics.h"
#include "opts.h"
#include "out.h"
#include "sig.h"
#include "stats.h"

#define DEFAULT_SOURCE_VERSION "2.7.3.Final"
#define DEFAULT_SKIPPED "t"

static const char *const decimal_modes[] = {"precise", "double", "string", NULL};
static const char *const time_modes[] = {"adaptive", "connect", NULL};
static const char *const unwrap_modes[] = {"drop", "tombstone", "rewrite", NULL};
static const char *const unsupported_modes[] = {"null", "fail", NULL};

/* Flags as given; NULL or -1 = not given, so -c or the default applies. */
struct flags {
	const char *config;
	const char *prefix;
	const char *dbname;
	const char *key_columns;
	const char *skipped;
	int tombstones;
	int schemas;
	int tx_metadata;
	int decimal;
	int time;
	int schema_comments;
	bool unwrap;
	int unwrap_delete;
};

static void
usage(void)
{
	printf("cdc-envelope reads change lines (pg-wal-tail(1)) on standard input and writes\n"
		   "Kafka record lines (walpipe-record(5)) shaped like Debezium's PostgreSQL\n"
		   "connector output.\n\n"
		   "Usage: cdc-envelope [OPTION]...\n\n"
		   "Connector settings (explicit options win over -c):\n"
		   "  -c, --connector-config=FILE  read a Debezium PostgreSQL connector JSON\n"
		   "  -p, --prefix=PREFIX          topic.prefix (required unless -c gives it)\n"
		   "  -d, --dbname=NAME            source.db (default: the change line's \"db\")\n"
		   "  -k, --key-columns=SPEC       message.key.columns: \"schema.table:col,...;...\"\n"
		   "      --skipped-operations=LIST  operations to drop: c,u,d,r,t,m or none\n"
		   "                               (default \"%s\")\n"
		   "      --no-tombstones          no tombstone record after a delete\n"
		   "      --no-schemas             write payloads only (schemas.enable=false)\n"
		   "      --transaction-metadata   BEGIN/END records to PREFIX.transaction\n"
		   "      --decimal=MODE           decimal.handling.mode: precise|double|string\n"
		   "                               (default precise)\n"
		   "      --time-precision=MODE    time.precision.mode: adaptive|connect\n"
		   "                               (default adaptive)\n"
		   "      --include-schema-comments  column comments as field docs\n"
		   "      --on-unsupported-value=MODE  a value Debezium cannot convert: null\n"
		   "                               (write what Debezium writes, warn once per\n"
		   "                               column) or fail (default null)\n\n"
		   "Output shape:\n"
		   "      --topic-template=TEMPLATE  topic of each table (default\n"
		   "                               \"${prefix}.${schema}.${table}\")\n"
		   "      --source-version=VERSION source.version (default \"%s\")\n"
		   "      --unwrap                 the new row state only (ExtractNewRecordState)\n"
		   "      --unwrap-delete=MODE     with --unwrap: drop|tombstone|rewrite (default drop)\n\n"
		   "Input:\n"
		   "      --max-line-bytes=N       longest accepted input line (default %zu)\n\n"
		   "Other:\n"
		   "      --metrics-file=FILE      write metrics to FILE (Prometheus text) every second\n"
		   "  -v, --verbose                more messages on stderr\n"
		   "  -h, --help                   show this help, then exit\n"
		   "  -V, --version                output version information, then exit\n",
		   DEFAULT_SKIPPED, DEFAULT_SOURCE_VERSION, (size_t) LINEREAD_DEFAULT_MAX);
}

/* A flag's value, or dflt when it was not given (-1). */
static int
flag_or(int flag, int dflt)
{
	return flag >= 0 ? flag : dflt;
}

/*
 * Merges the -c file under the flags and fills in the defaults.  c points
 * into conn's strings: the caller frees them after the run.
 */
static void
resolve(const struct flags *f, struct env_conf *c, struct connector *conn)
{
	static const char *const interval_modes[] = {"numeric", "string", NULL};
	static const char *const binary_modes[] = {"bytes", "base64", "base64-url-safe", "hex", NULL};
	static const char *const hstore_modes[] = {"json", "map", NULL};
	char err[512];
	const char *skipped = f->skipped ? f->skipped : DEFAULT_SKIPPED;
	const char *keycols = f->key_columns;
	int unwrap_delete = UNWRAP_DROP, interval = 0, hstore = 0, status;
	struct connector_bind b[] = {
		CONN_BIND_TEXT("topic.prefix", &c->prefix, f->prefix != NULL),
		CONN_BIND_TEXT("database.dbname", &c->dbname, f->dbname != NULL),
		CONN_BIND_TEXT("skipped.operations", &skipped, f->skipped != NULL),
		CONN_BIND_TEXT("message.key.columns", &keycols, f->key_columns != NULL),
		CONN_BIND_BOOL("tombstones.on.delete", &c->tombstones, f->tombstones >= 0),
		CONN_BIND_BOOL("provide.transaction.metadata", &c->tx_metadata, f->tx_metadata >= 0),
		CONN_BIND_BOOL("key.converter.schemas.enable", &c->key_schemas, f->schemas >= 0),
		CONN_BIND_BOOL("value.converter.schemas.enable", &c->value_schemas, f->schemas >= 0),
		CONN_BIND_CHOICE("decimal.handling.mode", &c->decimal, f->decimal >= 0, decimal_modes,
						 NULL),
		CONN_BIND_CHOICE("time.precision.mode", &c->time, f->time >= 0, time_modes, NULL),
		CONN_BIND_BOOL("include.schema.comments", &c->schema_comments, f->schema_comments >= 0),
		CONN_BIND_CHOICE("interval.handling.mode", &interval, false, interval_modes, NULL),
		CONN_BIND_CHOICE("binary.handling.mode", &c->binary, false, binary_modes, NULL),
		CONN_BIND_CHOICE("hstore.handling.mode", &hstore, false, hstore_modes, NULL),
		CONN_BIND_INT("money.fraction.digits", &c->money_digits, false, 0, 100),
	};

	c->prefix = f->prefix;
	c->dbname = f->dbname;
	c->tombstones = flag_or(f->tombstones, true);
	c->tx_metadata = flag_or(f->tx_metadata, false);
	c->key_schemas = c->value_schemas = flag_or(f->schemas, true);
	c->decimal = flag_or(f->decimal, DEC_PRECISE);
	c->time = flag_or(f->time, TIME_ADAPTIVE);
	c->schema_comments = flag_or(f->schema_comments, false);
	c->binary = BIN_BYTES;
	c->money_digits = 2;
	if (f->config &&
		((status = connector_open(f->config, CONN_ENVELOPE, conn, err, sizeof err)) ||
		 (status = connector_bind(conn, f->config, b, sizeof b / sizeof b[0], err, sizeof err))))
		fatal(status, "%s", err);
	if (f->config && !conf_from_connector(c, conn, &unwrap_delete, err, sizeof err))
		fatal(EX_CONFIG, "%s: %s", f->config, err);
	c->interval_string = interval == 1;
	c->hstore_map = hstore == 1;
	if (f->unwrap)
		c->unwrap = true;
	c->unwrap_delete = flag_or(f->unwrap_delete, unwrap_delete);
	if (c->prefix == NULL || *c->prefix == '\0')
		usage_error("no topic prefix: give --prefix or a -c file with topic.prefix");
	if (!conf_parse_skipped(skipped, &c->skipped, err, sizeof err))
		usage_error("invalid value for --skipped-operations: %s", err);
	if (keycols && !keycols_parse(&c->keycols, keycols, err, sizeof err))
		usage_error("invalid value for --key-columns: %s", err);
}

/* Reads change lines until EOF or a signal; returns the exit status. */
static int
envelope_run(struct env *e, struct out *o, const char *metrics_file, size_t max_line)
{
	struct linereader lr;
	char err[512];
	char *line;
	size_t len;
	int status = 0;

	lr_init(&lr, STDIN_FILENO, max_line);
	env_metrics(metrics_file, e, &lr, o);
	for (;;) {
		enum lr_status st;

		metrics_tick();
		/* Flush before a read that may block: the batch read so far is out. */
		if (!lr_has_line(&lr) && !out_flush(o))
			break;
		if (!lr_wait(&lr, 1000)) {
			if (sig_stop)
				break;
			continue;
		}
		st = lr_next(&lr, &line, &len);
		if (sig_stop)
			break;
		if (st == LR_AGAIN)
			continue;
		if (st == LR_EOF) {
			env_end(e, &o->pending);
			break;
		}
		if (st != LR_LINE) {
			int failure = lr_failure(&lr, st, err, sizeof err);

			if (!out_flush(o))
				break;
			fatal(failure, "%s", err);
		}
		if (!env_line(e, line, len, &o->pending, err, sizeof err)) {
			if (!out_flush(o))
				break;
			log_error("line %llu: %s", (unsigned long long) lr.lineno, err);
			status = EX_DATAERR;
			break;
		}
		if (o->pending.len >= o->flush_at && !out_flush(o))
			break;
	}
	if (status == 0 && !out_flush(o))
		status = -1;
	if (o->failed) {
		log_error("could not write standard output: %s", strerror(o->err));
		status = EX_IOERR;
	}
	if (status == 0)
		log_info("%llu change lines read%s", (unsigned long long) lr.lineno,
				 sig_stop ? ", stopped by a signal" : "");
	metrics_close();
	lr_free(&lr);
	return status;
}

int
main(int argc, char **argv)
{
	enum {
		OPT_SKIPPED = 256,
		OPT_NO_TOMBSTONES,
		OPT_NO_SCHEMAS,
		OPT_TX,
		OPT_DECIMAL,
		OPT_TIME,
		OPT_TOPIC_TEMPLATE,
		OPT_SOURCE_VERSION,
		OPT_UNWRAP,
		OPT_UNWRAP_DELETE,
		OPT_COMMENTS,
		OPT_METRICS_FILE,
		OPT_UNSUPPORTED,
		OPT_MAX_LINE
	};
	static const struct option long_options[] = {
		/* connector settings */
		{"connector-config", required_argument, NULL, 'c'},
		{"prefix", required_argument, NULL, 'p'},
		{"dbname", required_argument, NULL, 'd'},
		{"key-columns", required_argument, NULL, 'k'},
		{"skipped-operations", required_argument, NULL, OPT_SKIPPED},
		{"no-tombstones", no_argument, NULL, OPT_NO_TOMBSTONES},
		{"no-schemas", no_argument, NULL, OPT_NO_SCHEMAS},
		{"transaction-metadata", no_argument, NULL, OPT_TX},
		{"decimal", required_argument, NULL, OPT_DECIMAL},
		{"time-precision", required_argument, NULL, OPT_TIME},
		{"include-schema-comments", no_argument, NULL, OPT_COMMENTS},
		{"on-unsupported-value", required_argument, NULL, OPT_UNSUPPORTED},
		/* output shape */
		{"topic-template", required_argument, NULL, OPT_TOPIC_TEMPLATE},
		{"source-version", required_argument, NULL, OPT_SOURCE_VERSION},
		{"unwrap", no_argument, NULL, OPT_UNWRAP},
		{"unwrap-delete", required_argument, NULL, OPT_UNWRAP_DELETE},
		/* input */
		{"max-line-bytes", required_argument, NULL, OPT_MAX_LINE},
		/* general */
		{"metrics-file", required_argument, NULL, OPT_METRICS_FILE},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0}};
	struct flags f = {.tombstones = -1,
					  .schemas = -1,
					  .tx_metadata = -1,
					  .decimal = -1,
					  .time = -1,
					  .schema_comments = -1,
					  .unwrap_delete = -1};
	struct env_conf conf = {.source_version = DEFAULT_SOURCE_VERSION};
	struct connector conn = {0};
	struct out o;
	struct env *e;
	const char *metrics_file = NULL;
	size_t max_line = LINEREAD_DEFAULT_MAX;
	int ch, status;

	log_init(argv[0]);
	/* Records are Jackson's bytes: characters outside the BMP escaped. */
	json_set_escape_astral(true);
	while ((ch = getopt_long(argc, argv, "c:p:d:k:vhV", long_options, NULL)) != -1) {
		switch (ch) {
			case 'c': f.config = optarg; break;
			case 'p': f.prefix = optarg; break;
			case 'd': f.dbname = optarg; break;
			case 'k': f.key_columns = optarg; break;
			case OPT_SKIPPED: f.skipped = optarg; break;
			case OPT_NO_TOMBSTONES: f.tombstones = 0; break;
			case OPT_NO_SCHEMAS: f.schemas = 0; break;
			case OPT_TX: f.tx_metadata = 1; break;
			case OPT_DECIMAL: f.decimal = opt_choice("--decimal", optarg, decimal_modes); break;
			case OPT_TIME: f.time = opt_choice("--time-precision", optarg, time_modes); break;
			case OPT_COMMENTS: f.schema_comments = 1; break;
			case OPT_TOPIC_TEMPLATE: conf.topic_template = optarg; break;
			case OPT_SOURCE_VERSION: conf.source_version = optarg; break;
			case OPT_UNWRAP: f.unwrap = true; break;
			case OPT_UNSUPPORTED:
				conf.unsupported_fail =
					opt_choice("--on-unsupported-value", optarg, unsupported_modes) == 1;
				break;
			case OPT_UNWRAP_DELETE:
				f.unwrap_delete = opt_choice("--unwrap-delete", optarg, unwrap_modes);
				break;
			case OPT_METRICS_FILE: metrics_file = optarg; break;
			case OPT_MAX_LINE: max_line = lr_max_option(optarg); break;
			case 'v': log_set_level(LOG_INFO); break;
			case 'h': usage(); opt_exit_printed();
			case 'V': opt_version();
			default: usage_error("invalid option");
		}
	}
	opt_no_operands(argc, argv);
	resolve(&f, &conf, &conn);

	sig_setup();
	out_init(&o, STDOUT_FILENO);
	o.flush_at = 1 << 16;
	e = env_new(&conf);
	status = envelope_run(e, &o, metrics_file, max_line);
	env_free(e);
	out_free(&o);
	env_conf_free(&conf);
	connector_free(&conn);
	return status < 0 ? EX_IOERR : status;
}
