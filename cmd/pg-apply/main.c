/*
 * pg-apply - apply Debezium change records to PostgreSQL, exactly once.
 *
 * Reads record lines (walpipe-record(5)) from standard input, from
 * kafka-sub (topic, partition, offset) or cdc-envelope ("pos"), and
 * applies them as the Debezium JDBC sink connector would: tables named
 * by a format, upsert/insert/update, deletes, truncates, tables created
 * and widened from the Connect schema.  Each batch is one transaction
 * that also stores the last applied position per source in an offsets
 * table of the sink, so after any crash a rerun skips what was applied.
 * See pg-apply(1).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "ackfile.h"
#include "ackwriter.h"
#include "clock.h"
#include "deadletter.h"
#include "lineread.h"
#include "log.h"
#include "metrics.h"
#include "ops.h"
#include "opts.h"
#include "out.h"
#include "pgapply.h"
#include "pgutil.h"
#include "pipeline.h"
#include "positions.h"
#include "record.h"
#include "sig.h"

#define DEFAULT_OFFSETS_TABLE "public.walpipe_offsets"
#define DEFAULT_BATCH_SIZE 5000L
#define DEFAULT_FLUSH_MS 1000L
#define DEFAULT_ACK_INTERVAL_MS 100L
#define IDLE_GRACE_MS 2

static void
usage(void)
{
	printf("pg-apply applies Debezium change records (record lines on standard input)\n"
		   "to PostgreSQL.\n\n");
	printf("Usage: pg-apply [-v] [-d CONNINFO] [-c FILE] [-t FORMAT] [-m MODE] [-k MODE]\n"
		   "                [--pk-fields LIST] [--delete] [--truncate] [--auto-create]\n"
		   "                [--schema-evolution none|basic] [-b N] [--flush-interval MS]\n"
		   "                [--ack-file FILE] [--ack-interval MS] [--offsets-table NAME]\n"
		   "                [--no-positions]\n"
		   "                [--errors stop|skip] [--dead-letter FILE] [--max-line-bytes N]\n\n");
	printf(
		"Connection:\n"
		"  -d, --dbname=CONNINFO      libpq connection string or URI (default: PG* environment)\n"
		"  -c, --config=FILE          Debezium JDBC sink connector configuration (JSON)\n\n"
		"Sink settings (Debezium name in brackets):\n"
		"  -t, --table-format=FORMAT  destination table [table.name.format] (default "
		"\"${topic}\")\n"
		"  -m, --insert-mode=MODE     insert, upsert or update [insert.mode] (default insert)\n"
		"      --delete               apply deletes [delete.enabled]\n"
		"      --truncate             apply truncates [truncate.enabled]\n"
		"  -k, --pk-mode=MODE         none, record_key, record_value or kafka\n"
		"                             [primary.key.mode]\n"
		"      --pk-fields=LIST       primary key fields, comma separated [primary.key.fields]\n"
		"      --auto-create          create missing tables [auto.create]\n"
		"      --schema-evolution=E   none or basic: create tables, add columns "
		"[schema.evolution]\n"
		"  -b, --batch-size=N         records per transaction [batch.size] (default %ld)\n"
		"      --flush-interval=MS    commit a batch at least this often (default %ld)\n"
		"      --ack-interval=MS      write the ack file at most this often (default %ld)\n\n"
		"Positions and errors:\n"
		"      --ack-file=FILE        write applied positions here for the upstream command\n"
		"      --offsets-table=NAME   where the sink keeps positions (default %s)\n"
		"      --no-positions         apply every record: skip none as applied, store no\n"
		"                             position (a one-off load, pg-verify --repair)\n"
		"      --errors=stop|skip     on a record that cannot be applied (default stop)\n"
		"      --dead-letter=FILE     with --errors=skip: append bad records here\n"
		"      --max-line-bytes=N     longest accepted input line (default %zu)\n\n"
		"Other:\n"
		"      --metrics-file=FILE    write metrics to FILE (Prometheus text) every second\n"
		"  -v, --verbose              more messages (twice: every statement)\n"
		"  -h, --help                 show this help, then exit\n"
		"  -V, --version              output version information, then exit\n",
		DEFAULT_BATCH_SIZE, DEFAULT_FLUSH_MS, DEFAULT_ACK_INTERVAL_MS, DEFAULT_OFFSETS_TABLE,
		(size_t) LINEREAD_DEFAULT_MAX);
}

/* Server notices ("relation already exists, skipping") are for -v. */
static void
notice(void *arg, const char *msg)
{
	char buf[1024];

	log_info("server: %s", log_chomp(msg, buf, sizeof buf));
}

/* A record that cannot be applied: stop (exit 65), or set it aside. */
static void
bad_record(struct ctx *c, uint64_t lineno, const char *line, size_t n, const struct record *r,
		   const char *msg)
{
	struct buf name = BUF_INIT;
	const char *topic = NULL;

	if (r && r->topic.n && r->has_offset) {
		buf_reset(&c->tmp);
		if (json_str_decode_text(r->topic, &c->tmp))
			topic = buf_cstr(&c->tmp);
	}
	name_record(&name, lineno, topic, r ? r->partition : -1, r && r->has_offset ? r->offset : -1);
	if (!c->skip_errors) {
		/* The batch before this one is complete: let it commit. */
		finish_inflight(c);
		fatal(EX_DATAERR, "%s: %s", buf_cstr(&name), msg);
	}
	log_warn("%s: %s (skipped)", buf_cstr(&name), msg);
	__atomic_add_fetch(&c->rejected, 1, __ATOMIC_RELAXED);
	dead_letter(&c->dead, lineno, line, n, msg);
	buf_free(&name);
}

/*
 * The position source of a parsed record (*src NULL if none, or with
 * --no-positions) and its change position; false if the record is left
 * out: applied before, in a batch already, or with a bad "pos".
 */
static bool
record_source(struct ctx *c, const struct frec *f, uint64_t lineno, const char *line, size_t n,
			  struct source **src, struct pos *pos)
{
	const struct record *rp = &f->r;

	*src = NULL;
	if (c->no_positions)
		return true; /* applied as it comes, whatever it carries */
	if (rp->has_offset && rp->topic.n) {
		*src = positions_find(&c->pos, rp->topic.p + 1, rp->topic.n - 2, rp->partition);
		/* Applied, or in a batch already (a redelivery). */
		if ((*src)->has_seen && rp->offset <= (*src)->seen) {
			positions_told_skip(&c->pos, *src, rp->offset, *pos);
			c->skipped++;
			return false;
		}
	} else if (rp->pos.n) {
		if (!pos_parse(rp->pos.p + 1, rp->pos.n - 2, pos)) {
			bad_record(c, lineno, line, n, rp, "bad \"pos\"");
			return false;
		}
		*src = positions_find(&c->pos, NULL, 0, 0);
		if ((*src)->has_seen && pos_cmp(*pos, (*src)->seen_pos) <= 0) {
			/* Applied before, with the records of its change before it. */
			positions_told_skip(&c->pos, *src, 0, *pos);
			c->skipped += 1 + (c->b->nops - c->group_start);
			batch_truncate(c->b, c->group_start);
			return false;
		}
	}
	return true;
}

static void
handle_line(struct ctx *c, const char *line, size_t n, uint64_t lineno)
{
	struct frec f;
	struct json_err jerr;
	struct source *src;
	struct pos pos = {0, 0};
	char err[512];
	size_t before, i;

	if (c->batch_records++ == 0)
		c->batch_started = clock_mono_ms();
	if (!frec_parse(line, n, &c->schemas, &f, &jerr)) {
		snprintf(err, sizeof err, "column %zu: %s", jerr.off + 1, jerr.msg);
		bad_record(c, lineno, line, n, NULL, err);
		return;
	}
	if (!record_source(c, &f, lineno, line, n, &src, &pos))
		return;
	before = c->b->nops;
	if (!add_op(c, &f, lineno, line, n, err, sizeof err))
		bad_record(c, lineno, line, n, &f.r, err);
	else if (c->b->nops > before && src && src->topic)
		c->b->ops[before].topic = src->topic;
	if (src == NULL)
		return;
	/* The record's ops (for "pos", those of the records before it too) carry their source. */
	for (i = src->topic ? before : c->group_start; i < c->b->nops; i++) {
		c->b->ops[i].source = (int) (src - c->pos.sources);
		c->b->ops[i].pos = pos;
	}
	c->group_start = c->b->nops;
	positions_took(src, f.r.offset, pos);
}

static bool
input_ready(int timeout_ms)
{
	struct pollfd p = {0, POLLIN, 0};

	/* A signal (EINTR) is "not ready": the caller looks at sig_stop. */
	return poll(&p, 1, timeout_ms) > 0;
}

static bool
batch_due(struct ctx *c)
{
	if (c->batch_records == 0 || c->group_start != c->b->nops)
		return false;
	return c->batch_records >= batch_limit(c) ||
		clock_mono_ms() - c->batch_started >= c->flush_interval_ms;
}

/* Turns on --metrics-file (metrics.h); lr outlives metrics_close(). */
static void
apply_metrics(struct ctx *c, const struct linereader *lr)
{
	metrics_init(c->metrics_file, positions_metrics, &c->pos);
	if (!metrics_enabled())
		return;
	metrics_counter("records_in_total", NULL, METRICS_HELP_RECORDS_IN, &lr->lineno);
	metrics_counter("bytes_in_total", NULL, METRICS_HELP_BYTES_IN, &lr->bytes);
	metrics_counter("records_out_total", NULL, METRICS_HELP_RECORDS_OUT, &c->applied);
	metrics_counter("duplicates_total", NULL, "Records skipped as applied before.", &c->skipped);
	metrics_counter("rejected_total", NULL,
					"Records that could not be applied, set aside by --errors=skip "
					"(to the --dead-letter file if given).",
					&c->rejected);
}

/*
 * Nothing more to read right now: commit what we have, and write the ack
 * file.  True if input came meanwhile.
 */
static bool
idle(struct ctx *c)
{
	if (c->batch_records > 0 && c->group_start == c->b->nops)
		flush(c, true);
	else
		finish_inflight(c);
	if (c->pos.ack_dirty)
		positions_write_ack(&c->pos);
	return input_ready(c->batch_records ? (int) c->flush_interval_ms : 1000);
}

/*
 * A line over --max-line-bytes: exit 65, or with --errors=skip set it
 * aside; false if its writer died inside it.
 */
static bool
too_long(struct ctx *c, struct linereader *lr)
{
	char msg[256];

	(void) lr_failure(lr, LR_TOO_LONG, msg, sizeof msg);
	if (!c->skip_errors) {
		finish_inflight(c);
		fatal(EX_DATAERR, "%s", msg);
	}
	log_warn("%s (skipped)", msg);
	__atomic_add_fetch(&c->rejected, 1, __ATOMIC_RELAXED);
	return long_line(&c->dead, lr, msg);
}

/* The main loop: returns the exit status. */
static int
apply_run(struct ctx *c)
{
	struct linereader lr;
	char *line, msg[256];
	size_t n;
	int status = 0;

	lr_init(&lr, 0, c->max_line);
	apply_metrics(c, &lr);
	while (!sig_stop) {
		enum lr_status st;

		metrics_tick();
		if (batch_due(c))
			flush(c, false);
		/*
		 * A grace of a millisecond or two keeps batches whole while a fast
		 * writer refills the pipe, at a cost in latency too small to see.
		 */
		if (!lr_has_line(&lr) && !input_ready(0) &&
			!(c->batch_records > 0 && input_ready(IDLE_GRACE_MS)) && !idle(c))
			continue;
		st = lr_next(&lr, &line, &n);
		if (st == LR_AGAIN)
			continue;
		if (st == LR_EOF)
			break;
		if (st == LR_TOO_LONG && !too_long(c, &lr)) {
			status = EX_TEMPFAIL; /* its writer died: nothing of it was used */
			break;
		}
		if (st == LR_TOO_LONG)
			continue;
		if (st == LR_ERROR || st == LR_PARTIAL) {
			status = lr_failure(&lr, st, msg, sizeof msg);
			log_error("%s", msg);
			break;
		}
		handle_line(c, line, n, lr.lineno);
	}
	/*
	 * At a signal or a line cut short (its writer died), the whole changes
	 * read so far are committed; those still waiting for their pos are
	 * left for the rerun.
	 */
	if (sig_stop || status == EX_TEMPFAIL)
		batch_truncate(c->b, c->group_start);
	if (status == 0 || status == EX_TEMPFAIL)
		flush(c, true);
	finish_inflight(c);
	metrics_close();
	lr_free(&lr);
	log_info("applied %" PRIu64 " changes, skipped %" PRIu64 " already applied and %" PRIu64
			 " logical decoding messages, rejected %" PRIu64,
			 c->applied, c->skipped, c->messages, c->rejected);
	return status;
}

static void
ctx_free(struct ctx *c)
{
	int i;

	batch_free(&c->batches[0]);
	batch_free(&c->batches[1]);
	for (i = 0; i < c->sc.nshapes; i++)
		shape_free(c->sc.shapes[i]);
	free(c->sc.shapes);
	connect_cache_free(&c->schemas);
	positions_free(&c->pos);
	buf_free(&c->tmp);
	buf_free(&c->topic);
	free(c->s.table_format);
	free(c->s.pk_fields);
	free(c->s.field_include);
	free(c->s.field_exclude);
	free(c->s.conninfo);
}

/*
 * After the flags: the -c FILE under them, the defaults, and the checks
 * of options that depend on each other.
 */
static void
settle_options(struct ctx *c, const char *config)
{
	struct settings *s = &c->s;
	char err[512];
	int status;

	if (config && !config_load(config, s, &status, err, sizeof err))
		fatal(status, "%s", err);
	if (c->conninfo == NULL)
		c->conninfo = s->conninfo;
	if (s->table_format == NULL)
		s->table_format = xstrdup("${topic}");
	if (!table_name_format_check(s->table_format, err, sizeof err))
		usage_error("%s", err);
	if (s->insert_mode != INSERT_INSERT && s->pk_mode == PK_NONE)
		usage_error("insert mode %s needs a primary key: give --pk-mode record_key or record_value",
					s->insert_mode == INSERT_UPSERT ? "upsert" : "update");
	if (s->delete_enabled && (s->pk_mode == PK_NONE || s->pk_mode == PK_KAFKA))
		usage_error("--delete needs a primary key: give --pk-mode record_key or record_value");
	if (c->dead.path && !c->skip_errors)
		usage_error("--dead-letter needs --errors=skip");
}

/* The long options without a short form. */
enum {
	OPT_DELETE = 256,
	OPT_TRUNCATE,
	OPT_PK_FIELDS,
	OPT_AUTO_CREATE,
	OPT_SCHEMA_EVOLUTION,
	OPT_FLUSH_INTERVAL,
	OPT_ACK_INTERVAL,
	OPT_ACK_FILE,
	OPT_OFFSETS_TABLE,
	OPT_ERRORS,
	OPT_DEAD_LETTER,
	OPT_METRICS_FILE,
	OPT_MAX_LINE,
	OPT_NO_POSITIONS
};

static void
parse_options(int argc, char **argv, struct ctx *c)
{
	static const struct option long_options[] = {
		{"dbname", required_argument, NULL, 'd'},
		{"config", required_argument, NULL, 'c'},
		{"table-format", required_argument, NULL, 't'},
		{"insert-mode", required_argument, NULL, 'm'},
		{"delete", no_argument, NULL, OPT_DELETE},
		{"truncate", no_argument, NULL, OPT_TRUNCATE},
		{"pk-mode", required_argument, NULL, 'k'},
		{"pk-fields", required_argument, NULL, OPT_PK_FIELDS},
		{"auto-create", no_argument, NULL, OPT_AUTO_CREATE},
		{"schema-evolution", required_argument, NULL, OPT_SCHEMA_EVOLUTION},
		{"batch-size", required_argument, NULL, 'b'},
		{"flush-interval", required_argument, NULL, OPT_FLUSH_INTERVAL},
		{"ack-interval", required_argument, NULL, OPT_ACK_INTERVAL},
		{"ack-file", required_argument, NULL, OPT_ACK_FILE},
		{"offsets-table", required_argument, NULL, OPT_OFFSETS_TABLE},
		{"errors", required_argument, NULL, OPT_ERRORS},
		{"dead-letter", required_argument, NULL, OPT_DEAD_LETTER},
		{"metrics-file", required_argument, NULL, OPT_METRICS_FILE},
		{"max-line-bytes", required_argument, NULL, OPT_MAX_LINE},
		{"no-positions", no_argument, NULL, OPT_NO_POSITIONS},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0}};
	static const char *const insert_modes[] = {"insert", "upsert", "update", NULL};
	static const char *const pk_modes[] = {"none", "record_key", "record_value", "kafka", NULL};
	static const char *const evolutions[] = {"none", "basic", NULL};
	static const char *const error_modes[] = {"stop", "skip", NULL};
	struct settings *s = &c->s;
	const char *config = NULL;
	int opt, verbose = 0;

	while ((opt = getopt_long(argc, argv, "d:c:t:m:k:b:vhV", long_options, NULL)) != -1) {
		switch (opt) {
			case 'd': c->conninfo = pg_conninfo_take(optarg); break;
			case 'c': config = optarg; break;
			case 't':
				s->table_format = xstrdup(optarg);
				s->set_mask |= SET_TABLE_FORMAT;
				break;
			case 'm':
				s->insert_mode =
					(enum insert_mode) opt_choice("--insert-mode", optarg, insert_modes);
				s->set_mask |= SET_INSERT_MODE;
				break;
			case OPT_DELETE:
				s->delete_enabled = true;
				s->set_mask |= SET_DELETE;
				break;
			case OPT_TRUNCATE:
				s->truncate_enabled = true;
				s->set_mask |= SET_TRUNCATE;
				break;
			case 'k':
				s->pk_mode = (enum pk_mode) opt_choice("--pk-mode", optarg, pk_modes);
				s->set_mask |= SET_PK_MODE;
				break;
			case OPT_PK_FIELDS:
				s->pk_fields = xstrdup(optarg);
				s->set_mask |= SET_PK_FIELDS;
				break;
			case OPT_AUTO_CREATE:
				s->auto_create = true;
				s->set_mask |= SET_AUTO_CREATE;
				break;
			case OPT_SCHEMA_EVOLUTION:
				s->evolution = opt_choice("--schema-evolution", optarg, evolutions) == 1;
				s->set_mask |= SET_EVOLUTION;
				break;
			case 'b':
				s->batch_size = (long) opt_int("--batch-size", optarg, 1, 1000000);
				s->set_mask |= SET_BATCH_SIZE;
				break;
			case OPT_FLUSH_INTERVAL:
				c->flush_interval_ms = (long) opt_int("--flush-interval", optarg, 1, 3600000);
				break;
			case OPT_ACK_INTERVAL:
				c->pos.ack_interval_ms = (long) opt_int("--ack-interval", optarg, 0, 3600000);
				break;
			case OPT_ACK_FILE: c->pos.ack_file = optarg; break;
			case OPT_OFFSETS_TABLE: c->offsets_table = optarg; break;
			case OPT_ERRORS:
				c->skip_errors = opt_choice("--errors", optarg, error_modes) == 1;
				break;
			case OPT_DEAD_LETTER: c->dead.path = optarg; break;
			case OPT_METRICS_FILE: c->metrics_file = optarg; break;
			case OPT_MAX_LINE: c->max_line = lr_max_option(optarg); break;
			case OPT_NO_POSITIONS: c->no_positions = true; break;
			case 'v': verbose++; break;
			case 'h': usage(); opt_exit_printed();
			case 'V': opt_version();
			default: usage_error("invalid option");
		}
	}
	opt_no_operands(argc, argv);
	log_set_verbosity(verbose);
	settle_options(c, config);
}

int
main(int argc, char **argv)
{
	struct ctx c;
	char err[1024];
	int status, failed;

	log_init(argv[0]);
	memset(&c, 0, sizeof c);
	c.s.batch_size = DEFAULT_BATCH_SIZE;
	c.flush_interval_ms = DEFAULT_FLUSH_MS;
	c.fit_cap = FIT_FIRST_BATCH;
	c.pos.ack_interval_ms = DEFAULT_ACK_INTERVAL_MS;
	c.offsets_table = DEFAULT_OFFSETS_TABLE;
	c.b = &c.batches[0];
	parse_options(argc, argv, &c);

	deadletters_open(&c.dead, c.dead.path);
	if ((c.conn = pg_connect(c.conninfo, NULL, "pg-apply", &status, err, sizeof err)) == NULL)
		fatal(status, "%s", err);
	PQsetNoticeProcessor(c.conn, notice, NULL);
	c.pos.offsets_table = c.offsets_table;
	c.a = applier_new(c.conn, &c.s, c.offsets_table);
	if (!applier_load_offsets(c.a, positions_load_row, &c.pos, err, sizeof err))
		fatal(applier_status(c.a), "offsets table \"%s\": %s", c.offsets_table, err);
	positions_write_ack(&c.pos);
	if (c.pos.ack_file && (c.pos.ackw = ackwriter_start(c.pos.ack_file, err, sizeof err)) == NULL)
		fatal(EX_OSERR, "%s", err);
	sig_setup();

	status = apply_run(&c);
	if ((failed = ackwriter_stop(c.pos.ackw, err, sizeof err)) != 0)
		fatal(failed, "%s", err);
	c.pos.ackw = NULL;
	if (c.pos.ack_dirty)
		positions_write_ack(&c.pos);

	applier_free(c.a);
	PQfinish(c.conn);
	ctx_free(&c);
	deadletters_close(&c.dead);
	return status;
}
