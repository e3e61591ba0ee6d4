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

#include "envelope.h"
#include "lineread.h"
#include "log.h"
#include "opts.h"
#include "out.h"
#include "sig.h"

#define DEFAULT_SOURCE_VERSION "2.7.3.Final"
#define DEFAULT_SKIPPED "t"

static const char *const decimal_modes[] = {"precise", "double", "string", NULL};
static const char *const time_modes[] = {"adaptive", "connect", NULL};
static const char *const unwrap_modes[] = {"drop", "tombstone", "rewrite", NULL};

/* Flags as given; NULL or -1 = not given, so -c or the default applies. */
struct flags {
	const char *config;
	const char *prefix;
	const char *dbname;
	const char *key_columns;
	const char *skipped;
	int			tombstones;
	int			schemas;
	int			tx_metadata;
	int			decimal;
	int			time;
	int			schema_comments;
};

static void
usage(void)
{
	printf("Usage: cdc-envelope [OPTION]...\n"
		   "Reads change lines (pg-wal-tail(1)) on standard input and writes Kafka record\n"
		   "lines (walpipe-record(5)) shaped like Debezium's PostgreSQL connector output.\n\n"
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
		   "      --include-schema-comments  column comments as field docs\n\n"
		   "Output shape:\n"
		   "      --topic-template=TEMPLATE  topic of each table (default\n"
		   "                               \"${prefix}.${schema}.${table}\")\n"
		   "      --source-version=VERSION source.version (default \"%s\")\n"
		   "      --unwrap                 the new row state only (ExtractNewRecordState)\n"
		   "      --unwrap-delete=MODE     with --unwrap: drop|tombstone|rewrite (default drop)\n\n"
		   "Input:\n"
		   "      --max-line-bytes=N       longest accepted input line (default %zu)\n\n"
		   "General:\n"
		   "  -v, --verbose                more messages on stderr\n"
		   "  -h, --help                   show this help, then exit\n"
		   "  -V, --version                output version information, then exit\n",
		   DEFAULT_SKIPPED, DEFAULT_SOURCE_VERSION, (size_t) LINEREAD_DEFAULT_MAX);
}

static bool
parse_bool(const char *name, const char *v)
{
	if (strcasecmp(v, "true") == 0)
		return true;
	if (strcasecmp(v, "false") == 0)
		return false;
	fatal(EX_CONFIG, "connector setting %s: \"%s\" is not true or false", name, v);
}

/* Merges the -c file under the flags and fills in the defaults. */
static void
resolve(const struct flags *f, struct env_conf *c, struct connector_conf *ccp)
{
	struct connector_conf cc = {0};
	char		err[512];
	const char *skipped = f->skipped;
	const char *keycols = f->key_columns;

	if (f->config && !connector_conf_read(f->config, &cc, err, sizeof err))
		fatal(errno == ENOENT || errno == EACCES ? EX_NOINPUT : EX_CONFIG, "%s", err);
	c->prefix = f->prefix ? f->prefix : cc.topic_prefix;
	if (c->prefix == NULL || *c->prefix == '\0')
		usage_error("no topic prefix: give --prefix or a -c file with topic.prefix");
	c->dbname = f->dbname ? f->dbname : cc.dbname;
	if (skipped == NULL)
		skipped = cc.skipped_operations ? cc.skipped_operations : DEFAULT_SKIPPED;
	if (!conf_parse_skipped(skipped, &c->skipped, err, sizeof err))
		usage_error("invalid value for --skipped-operations: %s", err);
	if (keycols == NULL)
		keycols = cc.key_columns;
	if (keycols && !conf_parse_keycols(c, keycols, err, sizeof err))
		usage_error("invalid value for --key-columns: %s", err);
	if (cc.include_list &&
		!conf_parse_tables(cc.include_list, &c->include, &c->ninclude, err, sizeof err))
		fatal(EX_CONFIG, "table.include.list: %s", err);
	if (cc.exclude_list &&
		!conf_parse_tables(cc.exclude_list, &c->exclude, &c->nexclude, err, sizeof err))
		fatal(EX_CONFIG, "table.exclude.list: %s", err);
	c->tombstones = f->tombstones >= 0 ? f->tombstones :
		cc.tombstones_on_delete ? parse_bool("tombstones.on.delete", cc.tombstones_on_delete) : true;
	c->tx_metadata = f->tx_metadata >= 0 ? f->tx_metadata :
		cc.provide_transaction_metadata ?
		parse_bool("provide.transaction.metadata", cc.provide_transaction_metadata) : false;
	c->key_schemas = f->schemas >= 0 ? f->schemas :
		cc.key_schemas_enable ? parse_bool("key.converter.schemas.enable", cc.key_schemas_enable) : true;
	c->value_schemas = f->schemas >= 0 ? f->schemas :
		cc.value_schemas_enable ?
		parse_bool("value.converter.schemas.enable", cc.value_schemas_enable) : true;
	c->decimal = f->decimal >= 0 ? f->decimal : cc.decimal_handling_mode ?
		opt_choice("decimal.handling.mode", cc.decimal_handling_mode, decimal_modes) : DEC_PRECISE;
	c->time = f->time >= 0 ? f->time : cc.time_precision_mode ?
		opt_choice("time.precision.mode", cc.time_precision_mode, time_modes) : TIME_ADAPTIVE;
	c->schema_comments = f->schema_comments >= 0 ? f->schema_comments : cc.schema_comments ?
		parse_bool("include.schema.comments", cc.schema_comments) : false;
	/* c points into cc's strings: the caller frees them after the run. */
	*ccp = cc;
}

/* Reads change lines until EOF or a signal; returns the exit status. */
static int
envelope_run(struct env *e, struct out *o, size_t max_line)
{
	struct linereader lr;
	char		err[512];
	char	   *line;
	size_t		len;
	int			status = 0;

	lr_init(&lr, STDIN_FILENO, max_line);
	for (;;) {
		enum lr_status st;

		/* Flush before a read that may block: the batch read so far is out. */
		if (!lr_has_line(&lr) && !out_flush(o))
			break;
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
			int			failure = lr_failure(&lr, st, err, sizeof err);

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
	lr_free(&lr);
	return status;
}

int
main(int argc, char **argv)
{
	enum {
		OPT_SKIPPED = 256, OPT_NO_TOMBSTONES, OPT_NO_SCHEMAS, OPT_TX, OPT_DECIMAL,
		OPT_TIME, OPT_TOPIC_TEMPLATE, OPT_SOURCE_VERSION, OPT_UNWRAP, OPT_UNWRAP_DELETE,
		OPT_COMMENTS, OPT_MAX_LINE
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
		/* output shape */
		{"topic-template", required_argument, NULL, OPT_TOPIC_TEMPLATE},
		{"source-version", required_argument, NULL, OPT_SOURCE_VERSION},
		{"unwrap", no_argument, NULL, OPT_UNWRAP},
		{"unwrap-delete", required_argument, NULL, OPT_UNWRAP_DELETE},
		/* input */
		{"max-line-bytes", required_argument, NULL, OPT_MAX_LINE},
		/* general */
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0}
	};
	struct flags f = {.tombstones = -1, .schemas = -1, .tx_metadata = -1, .decimal = -1, .time = -1,
		.schema_comments = -1};
	struct env_conf conf = {.source_version = DEFAULT_SOURCE_VERSION};
	struct connector_conf cc = {0};
	struct out	o;
	struct env *e;
	size_t		max_line = LINEREAD_DEFAULT_MAX;
	int			ch,
				status;

	log_init(argv[0]);
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
			case OPT_UNWRAP: conf.unwrap = true; break;
			case OPT_UNWRAP_DELETE:
				conf.unwrap_delete = opt_choice("--unwrap-delete", optarg, unwrap_modes);
				break;
			case OPT_MAX_LINE: max_line = lr_max_option(optarg); break;
			case 'v': log_set_level(LOG_INFO); break;
			case 'h': usage(); return 0;
			case 'V': opt_version();
			default: usage_error("invalid option");
		}
	}
	opt_no_operands(argc, argv);
	resolve(&f, &conf, &cc);

	sig_setup();
	out_init(&o, STDOUT_FILENO);
	o.flush_at = 1 << 20;
	e = env_new(&conf);
	status = envelope_run(e, &o, max_line);
	env_free(e);
	out_free(&o);
	env_conf_free(&conf);
	connector_conf_free(&cc);
	return status < 0 ? EX_IOERR : status;
}
