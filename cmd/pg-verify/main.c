/*
 * pg-verify - prove that a replica equals its source, table by table.
 *
 * Connects to both servers, and for each table compares the source with
 * its target on the replica chunk by chunk (see verify.h): one JSON line
 * per differing key on stdout, a summary per table on stderr, exit 0
 * when every table is equal and 1 when any differs.  Reads only; safe to
 * run while the pipeline is running.  See pg-verify(1).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "connector.h"
#include "clock.h"
#include "json.h"
#include "log.h"
#include "opts.h"
#include "out.h"
#include "pgutil.h"
#include "sig.h"
#include "sqlident.h"
#include "verify.h"

#define DEFAULT_CHUNK_ROWS 10000
#define DEFAULT_RECHECK 2
#define DEFAULT_RECHECK_DELAY_MS 1000
#define EXIT_DIFFERENT 1

struct options {
	const char *source;
	const char *replica;
	const char *config;
	const char *publication;
	const char *prefix;
	char **tables; /* SCHEMA.TABLE[:TARGET] */
	int ntables;
	bool quiet;
	struct vopts v;
};

static void
usage(void)
{
	printf("pg-verify compares tables of a source PostgreSQL with their replica, chunk\n"
		   "by chunk, and writes one JSON line per key that differs.\n\n"
		   "Usage: pg-verify [-d CONNINFO] -r CONNINFO -t SCHEMA.TABLE[:TARGET]... [OPTION]...\n"
		   "       pg-verify [-d CONNINFO] -c FILE -P PUBLICATION [OPTION]...\n\n"
		   "Connection:\n"
		   "  -d, --dbname=CONNINFO      the source: connection string or URI\n"
		   "                             (default: PG* variables)\n"
		   "  -r, --replica=CONNINFO     the replica (default: connection.url of -c)\n"
		   "  -c, --connector-config=FILE  a Debezium JDBC sink connector JSON file: the\n"
		   "                             replica and table.name.format\n"
		   "\nTables:\n"
		   "  -t, --table=SCHEMA.TABLE[:TARGET]  compare this table with TARGET (default:\n"
		   "                             from table.name.format, else the same name)\n"
		   "                             (repeatable)\n"
		   "  -P, --publication=NAME     every table of this publication\n"
		   "  -p, --topic-prefix=PREFIX  topic prefix, for ${topic} in table.name.format\n"
		   "\nComparison:\n"
		   "      --chunk-rows=N         rows per chunk (default %d)\n"
		   "      --recheck=N            check differing keys again N times before they\n"
		   "                             are reported, while the replica catches up\n"
		   "                             (default %d)\n"
		   "      --recheck-delay=SECONDS  pause before each check again (default %g)\n"
		   "      --repair               write change lines that repair the differences,\n"
		   "                             for | cdc-envelope | pg-apply --no-positions\n"
		   "\nOther:\n"
		   "  -q, --quiet                no summary on stderr\n"
		   "  -v, --verbose              report progress on stderr\n"
		   "  -h, --help                 show this help, then exit\n"
		   "  -V, --version              output version information, then exit\n",
		   DEFAULT_CHUNK_ROWS, DEFAULT_RECHECK, DEFAULT_RECHECK_DELAY_MS / 1000.0);
}

enum { OPT_CHUNK_ROWS = 256, OPT_RECHECK, OPT_RECHECK_DELAY, OPT_REPAIR };

static void
parse_options(int argc, char **argv, struct options *o)
{
	static const struct option long_options[] = {
		{"dbname", required_argument, NULL, 'd'},
		{"replica", required_argument, NULL, 'r'},
		{"connector-config", required_argument, NULL, 'c'},
		{"table", required_argument, NULL, 't'},
		{"publication", required_argument, NULL, 'P'},
		{"topic-prefix", required_argument, NULL, 'p'},
		{"chunk-rows", required_argument, NULL, OPT_CHUNK_ROWS},
		{"recheck", required_argument, NULL, OPT_RECHECK},
		{"recheck-delay", required_argument, NULL, OPT_RECHECK_DELAY},
		{"repair", no_argument, NULL, OPT_REPAIR},
		{"quiet", no_argument, NULL, 'q'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0}};
	int c, verbose = 0;

	while ((c = getopt_long(argc, argv, "d:r:c:t:P:p:qvhV", long_options, NULL)) != -1) {
		switch (c) {
			case 'd': o->source = pg_conninfo_take(optarg); break;
			case 'r': o->replica = pg_conninfo_take(optarg); break;
			case 'c': o->config = optarg; break;
			case 'P': o->publication = optarg; break;
			case 'p': o->prefix = optarg; break;
			case 't':
				o->tables = xrealloc(o->tables, (size_t) (o->ntables + 1) * sizeof *o->tables);
				o->tables[o->ntables++] = optarg;
				break;
			case OPT_CHUNK_ROWS:
				o->v.chunk_rows = opt_int("--chunk-rows", optarg, 1, 100000000);
				break;
			case OPT_RECHECK: o->v.recheck = (int) opt_int("--recheck", optarg, 0, 1000); break;
			case OPT_RECHECK_DELAY:
				o->v.recheck_delay_ms =
					(int) (opt_double("--recheck-delay", optarg, 0, 3600) * 1000);
				break;
			case OPT_REPAIR: o->v.repair = true; break;
			case 'q': o->quiet = true; break;
			case 'v': verbose++; break;
			case 'h': usage(); opt_exit_printed();
			case 'V': opt_version();
			default: usage_error("invalid option");
		}
	}
	opt_no_operands(argc, argv);
	log_set_verbosity(verbose);
	if (o->ntables == 0 && o->publication == NULL)
		usage_error("no table to compare: give -t SCHEMA.TABLE or -P PUBLICATION");
}

static PGconn *
connect_to(const char *conninfo, const char *what)
{
	char err[1024];
	int status;
	PGconn *conn = pg_connect(conninfo, NULL, "pg-verify", &status, err, sizeof err);

	if (conn == NULL)
		fatal(status, "%s: %s", what, err);
	/* One text form for every value on both sides, and nothing written. */
	if (!pg_command(conn,
					"SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD';"
					" SET IntervalStyle = 'postgres'; SET extra_float_digits = 1;"
					" SET bytea_output = 'hex'; SET default_transaction_read_only = on",
					&status, err, sizeof err))
		fatal(status, "%s: %s", what, err);
	return conn;
}

/* The target of source under the sink's table.name.format. */
static char *
target_for(const struct options *o, const struct connector *conf, const char *source)
{
	const char *format = conf ? connector_get(conf, "table.name.format") : NULL;
	const char *dot = strchr(source, '.');
	struct buf topic = BUF_INIT, src = BUF_INIT, out = BUF_INIT;
	char err[512];

	if (format == NULL)
		return xstrdup(source);
	if (strstr(format, "${topic}") && o->prefix == NULL)
		usage_error("table.name.format uses ${topic}: give the topic prefix with -p");
	buf_printf(&topic, "%s.%s", o->prefix ? o->prefix : "", source);
	buf_puts(&src, "{\"schema\":");
	json_put_str(&src, source, dot ? (size_t) (dot - source) : 0);
	buf_puts(&src, ",\"table\":");
	json_put_cstr(&src, dot ? dot + 1 : source);
	buf_putc(&src, '}');
	if (!table_name_expand(format, topic.data, topic.len, (struct json_slice){src.data, src.len},
						   &out, err, sizeof err))
		fatal(EX_CONFIG, "%s: table.name.format: %s", o->config, err);
	buf_free(&topic);
	buf_free(&src);
	return (char *) buf_cstr(&out);
}

/* Adds every table of the publication to o->tables. */
static void
add_publication(PGconn *src, struct options *o)
{
	const char *params[1] = {o->publication};
	PGresult *res = PQexecParams(src,
								 "SELECT schemaname || '.' || tablename"
								 " FROM pg_publication_tables WHERE pubname = $1 ORDER BY 1",
								 1, NULL, params, NULL, NULL, 0);
	char msg[512];
	int i;

	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		fatal(query_status(src, res), "could not list publication \"%s\": %s", o->publication,
			  pg_errmsg(src, res, msg, sizeof msg));
	if (PQntuples(res) == 0)
		fatal(EX_DATAERR, "publication \"%s\" does not exist or has no tables", o->publication);
	for (i = 0; i < PQntuples(res); i++) {
		o->tables = xrealloc(o->tables, (size_t) (o->ntables + 1) * sizeof *o->tables);
		o->tables[o->ntables++] = xstrdup(PQgetvalue(res, i, 0));
	}
	PQclear(res);
}

/* Compares one -t argument; returns 0, EXIT_DIFFERENT or a sysexits code. */
static int
verify_one(PGconn *src, PGconn *rep, const struct options *o, const struct connector *conf,
		   const char *arg, struct out *out)
{
	struct vtable t = {0};
	struct vresult r = {0};
	struct buf qs = BUF_INIT, qt = BUF_INIT;
	const char *colon = strchr(arg, ':');
	char err[1024];
	double start = (double) clock_mono_ms() / 1000.0;
	int status;

	t.source = colon ? xstrndup(arg, (size_t) (colon - arg)) : xstrdup(arg);
	t.target = colon ? xstrdup(colon + 1) : target_for(o, conf, t.source);
	if (!*t.source || !*t.target)
		usage_error("bad table \"%s\": give SCHEMA.TABLE[:TARGET]", arg);
	quote_qualified(&qs, t.source);
	quote_qualified(&qt, t.target);
	t.qsource = (char *) buf_cstr(&qs);
	t.qtarget = (char *) buf_cstr(&qt);
	status = shape_describe(src, rep, &t, &r.no_target, err, sizeof err);
	if (status == 0 && r.no_target && o->v.repair) {
		snprintf(err, sizeof err,
				 "the replica has no such table: pg-apply --auto-create makes "
				 "it from a snapshot (pg-wal-tail --snapshot initial-only)");
		status = EX_DATAERR;
	} else if (status == 0 && r.no_target) {
		struct buf line = BUF_INIT;

		buf_puts(&line, "{\"table\":");
		json_put_cstr(&line, t.source);
		buf_puts(&line, ",\"target\":");
		json_put_cstr(&line, t.target);
		buf_puts(&line, ",\"kind\":\"missing-table\"}");
		out_line(out, line.data, line.len);
		buf_free(&line);
		if (!o->quiet)
			log_warn("%s -> %s: the replica has no such table", t.source, t.target);
		status = EXIT_DIFFERENT;
	} else if (status == 0) {
		status = compare_table(src, rep, &t, &o->v, out, &r, err, sizeof err);
		if (status == 0 && r.missing + r.extra + r.differs > 0)
			status = EXIT_DIFFERENT;
		if ((status == 0 || status == EXIT_DIFFERENT) && !o->quiet)
			fprintf(stderr,
					"pg-verify: %s -> %s: %lld rows, %lld on the replica, %lld differ "
					"(%lld missing, %lld extra, %lld differ), %d chunks, %d read row by row "
					"(%lld rows), %.2f s\n",
					t.source, t.target, (long long) r.rows_src, (long long) r.rows_rep,
					(long long) (r.missing + r.extra + r.differs), (long long) r.missing,
					(long long) r.extra, (long long) r.differs, r.chunks, r.chunks_differ,
					(long long) r.rows_read, (double) clock_mono_ms() / 1000.0 - start);
	}
	if (status != 0 && status != EXIT_DIFFERENT)
		log_error("%s -> %s: %s", t.source, t.target, err);
	shape_free(&t);
	free(t.source);
	free(t.target);
	free(t.qsource);
	free(t.qtarget);
	return status;
}

int
main(int argc, char **argv)
{
	struct options o = {.v = {DEFAULT_CHUNK_ROWS, DEFAULT_RECHECK, DEFAULT_RECHECK_DELAY_MS}};
	struct connector conf = {0};
	struct buf replica_conninfo = BUF_INIT;
	struct out out;
	PGconn *src, *rep;
	char err[1024];
	int i, status = 0;

	/*
	 * A closed standard error would become the next socket opened, and a
	 * warning would go to a server: it gets /dev/null instead.
	 */
	if (fcntl(STDERR_FILENO, F_GETFD) == -1) {
		int fd = open("/dev/null", O_WRONLY);

		if (fd >= 0 && fd != STDERR_FILENO)
			(void) dup2(fd, STDERR_FILENO);
	}
	log_init(argv[0]);
	parse_options(argc, argv, &o);
	if (o.config) {
		int st = connector_open(o.config, CONN_APPLY, &conf, err, sizeof err);

		if (st != 0)
			fatal(st, "%s", err);
		if (o.replica == NULL && connector_conninfo(&conf, &replica_conninfo))
			o.replica = buf_cstr(&replica_conninfo);
	}
	if (o.replica == NULL)
		usage_error("no replica: give -r CONNINFO or a sink connector file with -c");
	sig_setup();
	/* A closed standard output would become the next socket opened. */
	if (fcntl(STDOUT_FILENO, F_GETFD) == -1)
		fatal(EX_IOERR, "could not write to standard output: %s", strerror(errno));
	out_init(&out, STDOUT_FILENO);
	src = connect_to(o.source, "source");
	rep = connect_to(o.replica, "replica");
	if (o.publication)
		add_publication(src, &o);
	for (i = 0; i < o.ntables && !sig_stop; i++) {
		int s = verify_one(src, rep, &o, o.config ? &conf : NULL, o.tables[i], &out);

		/* A difference is reported; a failure decides the exit status. */
		if (s != 0 && (status == 0 || status == EXIT_DIFFERENT))
			status = s;
		if (!out_flush(&out))
			fatal(EX_IOERR, "could not write to standard output: %s", strerror(out.err));
	}
	if (sig_stop && status == 0)
		status = EX_TEMPFAIL;
	PQfinish(src);
	PQfinish(rep);
	out_free(&out);
	connector_free(&conf);
	buf_free(&replica_conninfo);
	return status;
}
