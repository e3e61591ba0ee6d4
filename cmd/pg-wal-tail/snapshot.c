/*
 * snapshot.c - the initial snapshot, consistent with the slot.
 *
 * A new slot is created with EXPORT_SNAPSHOT; the ordinary connection
 * imports that snapshot (REPEATABLE READ, SET TRANSACTION SNAPSHOT) before
 * the replication connection runs any other command, reads each table of
 * the publication through a cursor, FETCH by FETCH (constant memory), and
 * streaming then starts at the slot's consistent point: every transaction
 * committed before it is in the snapshot, every later one is streamed.
 *
 * One row is held back so that it can be given Debezium's marker once the
 * next row, or the end, is known: "last" for the very last row (Debezium
 * marks it so even when later tables are empty), "first" for the first
 * row of the first table, then last_in_data_collection and
 * first_in_data_collection for the last and first row of any other table
 * (a one-row table's row is its last), and "true".  Tables go in the
 * order of -t (table.include.list), then the publication's others by
 * name, as Debezium snapshots them.
 *
 * Snapshot rows sort before every streamed change: their pos is
 * C-1:SEQ, C being the LSN streaming starts from.  The last row's pos is
 * C-1 with no SEQ (lsn.h: the highest), the snapshot's end.  Until
 * downstream acknowledges that end, the slot is not moved (stream.c), so
 * a restart can tell from the ack file and the slot alone whether the
 * snapshot is complete (snapshot_state): an acknowledged C-1:SEQ means a
 * row inside an unfinished one.
 *
 * An unfinished snapshot is taken again, as Debezium does, in a new
 * REPEATABLE READ transaction (the exported snapshot is gone), and
 * streaming then starts at the slot's confirmed position C as before: the
 * slot still holds every change since, and replayed after the newer rows
 * they converge (pg-apply upserts; deletes replay).  The rows of a retake
 * must not sort at or below anything an earlier attempt wrote, which
 * pg-apply may have applied and skip as applied: SEQ is ATTEMPT << 32 |
 * ROW, ATTEMPT being 0 for the exported snapshot and, for a retake, the
 * server's clock in seconds since 2020 (held until that second is over),
 * and above the acknowledged attempt.
 */
#include "tail.h"
#include "clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "catalog.h"
#include "log.h"
#include "metrics.h"
#include "progress.h"
#include "sig.h"

#define ATTEMPT_EPOCH INT64_C(1577836800) /* 2020-01-01 00:00:00 UTC */
#define ATTEMPT_SHIFT 32

struct held {
	struct buf line; /* the row's line, without a marker */
	uint64_t base;	 /* this attempt's SEQ before its first row */
	uint64_t rows;	 /* rows so far */
	struct pos end;	 /* the snapshot's end: C-1, no SEQ */
	bool have;
	bool first_table; /* the row's table is the first */
	bool first_in_table;
	bool last_in_table;
};

static void
snap_fail(struct tail *t, PGresult *res, const char *what)
{
	char msg[1024];
	int status = pg_result_status(t->sql, res);

	pg_errmsg(t->sql, res, msg, sizeof msg);
	PQclear(res);
	fatal(status, "snapshot: %s: %s", what, msg);
}

static PGresult *
snap_exec(struct tail *t, const char *sql, ExecStatusType expect, const char *what)
{
	PGresult *res = PQexec(t->sql, sql);

	if (PQresultStatus(res) != expect)
		snap_fail(t, res, what);
	return res;
}

/* Writes the held row with its marker; "last" when it is the very last. */
static void
emit_held(struct tail *t, struct held *h, bool last)
{
	static const char op[] = ",\"op\":\"r\"";
	const char *marker;
	const char *at;
	size_t split;
	size_t from = 0;

	if (!h->have)
		return;
	if (last)
		marker = "last";
	else if (h->first_in_table && h->first_table)
		marker = "first";
	else if (h->last_in_table)
		marker = "last_in_data_collection";
	else if (h->first_in_table)
		marker = "first_in_data_collection";
	else
		marker = "true";
	at = memmem(h->line.data, h->line.len, op, sizeof op - 1);
	split = (size_t) (at - h->line.data) + sizeof op - 1;
	buf_reset(&t->line);
	if (last) {
		/* The line starts {"pos":"...": the end's pos in its place. */
		static const char head[] = "{\"pos\":\"";
		char pbuf[POS_STRLEN];

		from = (size_t) ((const char *) memchr(h->line.data + sizeof head - 1, '"',
											   h->line.len - (sizeof head - 1)) -
						 h->line.data);
		buf_puts(&t->line, head);
		buf_puts(&t->line, pos_format(h->end, pbuf));
	}
	buf_put(&t->line, h->line.data + from, split - from);
	buf_printf(&t->line, ",\"snapshot\":\"%s\"", marker);
	buf_put(&t->line, h->line.data + split, h->line.len - split);
	out_line(&t->out, t->line.data, t->line.len);
	h->have = false;
}

static void
build_select(struct tail *t, const struct rel *r, char relkind, struct buf *sql)
{
	char *q;
	int i;

	buf_reset(sql);
	buf_puts(sql, "DECLARE walpipe_snapshot NO SCROLL CURSOR FOR SELECT ");
	for (i = 0; i < r->ncols; i++) {
		q = PQescapeIdentifier(t->sql, r->cols[i].name, strlen(r->cols[i].name));
		buf_printf(sql, "%s%s", i ? ", " : "", q);
		PQfreemem(q);
	}
	if (r->ncols == 0)
		buf_puts(sql, "NULL");
	q = PQescapeIdentifier(t->sql, r->nspname, strlen(r->nspname));
	buf_printf(sql, " FROM %s%s.", relkind == 'p' ? "" : "ONLY ", q);
	PQfreemem(q);
	q = PQescapeIdentifier(t->sql, r->relname, strlen(r->relname));
	buf_puts(sql, q);
	PQfreemem(q);
}

/* Reads one table through the cursor; rows go out one behind. */
static void
snapshot_table(struct tail *t, struct change_hdr *hdr, uint32_t oid, char relkind, bool first_table,
			   struct held *h, struct progress *pr)
{
	char err[1024];
	char state[6];
	struct rel *r = catalog_rel(t->sql, &t->types, oid, NULL, err, sizeof err, state);
	struct buf sql = BUF_INIT;
	struct pgo_tuple tup = {0, 0, NULL};
	bool first_in_table = true;
	char fetch[64];

	if (r == NULL)
		fatal(pg_conn_status(t->sql, state), "snapshot: %s", err);
	build_select(t, r, relkind, &sql);
	PQclear(snap_exec(t, buf_cstr(&sql), PGRES_COMMAND_OK, "could not open cursor"));
	snprintf(fetch, sizeof fetch, "FETCH %d FROM walpipe_snapshot", t->o->fetch_size);
	tup.vals = xcalloc((size_t) (r->ncols ? r->ncols : 1), sizeof *tup.vals);
	tup.ncols = tup.cap = r->ncols;
	for (;;) {
		PGresult *res = snap_exec(t, fetch, PGRES_TUPLES_OK, "could not fetch");
		int row, col;

		if (PQnfields(res) != (r->ncols ? r->ncols : 1)) {
			PQclear(res);
			fatal(EX_SOFTWARE, "snapshot: table \"%s.%s\": unexpected column count", r->nspname,
				  r->relname);
		}
		if (PQntuples(res) == 0) {
			PQclear(res);
			break;
		}
		for (row = 0; row < PQntuples(res); row++) {
			for (col = 0; col < r->ncols; col++) {
				struct pgo_val *v = &tup.vals[col];

				v->kind = PQgetisnull(res, row, col) ? PGO_NULL : PGO_TEXT;
				v->p = PQgetvalue(res, row, col);
				v->n = (size_t) PQgetlength(res, row, col);
			}
			emit_held(t, h, false);
			hdr->seq = h->base + ++h->rows;
			buf_reset(&h->line);
			if (!fmt_change(&h->line, hdr, r, 'r', NULL, NULL, false, &tup, err, sizeof err))
				fatal(EX_SOFTWARE, "snapshot: %s", err);
			h->first_table = first_table;
			h->first_in_table = first_in_table;
			h->last_in_table = false;
			h->have = true;
			first_in_table = false;
		}
		t->snap_rows += (uint64_t) PQntuples(res);
		PQclear(res);
		metrics_tick();
		progress_report(pr, "snapshot", t->snap_rows, t->snap_total, "rows");
		if (t->out.failed)
			break;
		if (sig_stop)
			fatal(EX_TEMPFAIL,
				  "snapshot interrupted: run again with --create-slot and "
				  "--ack-file to take it again");
	}
	if (!first_in_table)
		h->last_in_table = true;
	PQclear(snap_exec(t, "CLOSE walpipe_snapshot", PGRES_COMMAND_OK, "could not close cursor"));
	free(tup.vals);
	buf_free(&sql);
	rel_free(r);
}

static const char tables_sql[] =
	"SELECT c.oid, c.relkind, c.reltuples, c.oid::pg_catalog.regclass::text,"
	" pt.schemaname || '.' || pt.tablename"
	" FROM pg_catalog.pg_publication_tables pt"
	" JOIN pg_catalog.pg_namespace n ON n.nspname = pt.schemaname"
	" JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = pt.tablename"
	" WHERE pt.pubname = $1"
	" ORDER BY array_position($2::text[], pt.schemaname || '.' || pt.tablename),"
	" pt.schemaname, pt.tablename";

/* The -t names as a text[] literal: their order comes first. */
static void
table_order(const struct tail *t, struct buf *arr)
{
	buf_putc(arr, '{');
	for (int i = 0; i < t->o->ntables; i++) {
		const char *p;

		buf_puts(arr, i ? ",\"" : "\"");
		for (p = t->o->tables[i]; *p; p++) {
			if (*p == '"' || *p == '\\')
				buf_putc(arr, '\\');
			buf_putc(arr, *p);
		}
		buf_putc(arr, '"');
	}
	buf_putc(arr, '}');
}

PGresult *
snapshot_tables(struct tail *t)
{
	const char *params[2] = {t->o->publication, NULL};
	struct buf order = BUF_INIT;
	PGresult *tables;

	table_order(t, &order);
	params[1] = buf_cstr(&order);
	tables = PQexecParams(t->sql, tables_sql, 2, NULL, params, NULL, NULL, 0);
	buf_free(&order);
	if (PQresultStatus(tables) != PGRES_TUPLES_OK || PQnfields(tables) != 5)
		snap_fail(t, tables, "could not list the publication's tables");
	return tables;
}

enum snap_state
snapshot_state(struct tail *t, uint64_t confirmed)
{
	struct pos ack;

	if (t->o->ack_file == NULL || !tail_read_ack(t, &ack))
		return SNAP_UNPROVEN;
	if (ack.commit_lsn != confirmed - 1 || ack.seq == UINT64_MAX)
		return SNAP_COMPLETE;
	t->snap_ack = ack;
	return SNAP_INTERRUPTED;
}

/*
 * The attempt number of a retake, from the server's clock (epoch seconds)
 * and above the acknowledged attempt.  It waits until the clock has passed
 * that second, so that a retake started after this one has stopped,
 * however soon, gets a higher number.
 */
static int64_t
retake_attempt(struct tail *t, double clock)
{
	int64_t attempt = (int64_t) clock - ATTEMPT_EPOCH;
	int64_t acked = (int64_t) (t->snap_ack.seq >> ATTEMPT_SHIFT);
	double wait;
	char sql[64];

	if (t->snap_ack.commit_lsn != 0 && attempt <= acked)
		attempt = acked + 1;
	if (attempt < 1)
		attempt = 1;
	wait = (double) (attempt + ATTEMPT_EPOCH + 1) - clock;
	if (wait > 0 && wait <= 1.0) {
		snprintf(sql, sizeof sql, "SELECT pg_catalog.pg_sleep(%.3f)", wait + 0.001);
		PQclear(snap_exec(t, sql, PGRES_TUPLES_OK, "could not wait for the clock"));
	}
	return attempt;
}

/*
 * Begins the snapshot's transaction: the slot's exported snapshot, or for
 * a retake a new one.  Sets hdr's fields and h's SEQ base.
 */
static void
snapshot_begin(struct tail *t, struct change_hdr *hdr, struct held *h)
{
	struct buf sql = BUF_INIT;
	PGresult *res;
	char *lit;
	int64_t attempt = 0;

	PQclear(snap_exec(t, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", PGRES_COMMAND_OK,
					  "could not begin"));
	if (!t->redo_snapshot) {
		lit = PQescapeLiteral(t->sql, t->snapshot_name, strlen(t->snapshot_name));
		buf_printf(&sql, "SET TRANSACTION SNAPSHOT %s", lit);
		PQfreemem(lit);
		PQclear(
			snap_exec(t, buf_cstr(&sql), PGRES_COMMAND_OK, "could not import the slot's snapshot"));
	}
	res = snap_exec(t,
					"SELECT pg_catalog.txid_snapshot_xmin(pg_catalog.txid_current_snapshot()),"
					" pg_catalog.date_part('epoch', pg_catalog.clock_timestamp())",
					PGRES_TUPLES_OK, "could not read the snapshot");
	if (PQntuples(res) != 1 || PQnfields(res) != 2) {
		PQclear(res);
		fatal(EX_SOFTWARE, "snapshot: could not read the snapshot: unexpected result");
	}
	hdr->xid = (uint32_t) strtoull(PQgetvalue(res, 0, 0), NULL, 10);
	if (t->redo_snapshot)
		attempt = retake_attempt(t, strtod(PQgetvalue(res, 0, 1), NULL));
	PQclear(res);
	hdr->commit_lsn = t->consistent_lsn - 1;
	hdr->lsn = hdr->commit_lsn;
	hdr->seq = 0;
	hdr->ts_us = clock_wall_us();
	hdr->db_json = t->db_json.data;
	h->base = (uint64_t) attempt << ATTEMPT_SHIFT;
	h->end.commit_lsn = hdr->commit_lsn;
	h->end.seq = UINT64_MAX;
	buf_free(&sql);
}

/*
 * The tables' rows as pg_class.reltuples estimates them (column 2), or -1
 * when no table has been analyzed (reltuples -1) or counted (0).
 */
static double
estimate_rows(const PGresult *tables)
{
	double total = 0;
	double r;
	int i;

	for (i = 0; i < PQntuples(tables); i++) {
		r = strtod(PQgetvalue(tables, i, 2), NULL);
		if (r > 0)
			total += r;
	}
	return total > 0 ? total : -1;
}

/*
 * A table rewritten by ALTER TABLE (a column's type) after the snapshot
 * began looks empty to it, and the rewrite is no change in the stream:
 * its rows would be lost.  So every table is locked against rewrites
 * (ACCESS SHARE) before a row is read, and one given new storage in the
 * moment between the snapshot and the lock (its file in the snapshot's
 * pg_class is not its file now; VACUUM FULL too, to be safe) fails the
 * snapshot, to be taken again.
 */
static void
lock_tables(struct tail *t, PGresult *tables)
{
	struct buf sql = BUF_INIT;
	PGresult *res;
	int i;

	if (PQntuples(tables) == 0)
		return;
	buf_puts(&sql, "LOCK TABLE ");
	for (i = 0; i < PQntuples(tables); i++)
		buf_printf(&sql, "%s%s", i ? ", " : "", PQgetvalue(tables, i, 3));
	buf_puts(&sql, " IN ACCESS SHARE MODE");
	PQclear(snap_exec(t, buf_cstr(&sql), PGRES_COMMAND_OK, "could not lock the tables"));
	buf_reset(&sql);
	buf_puts(&sql,
			 "SELECT c.oid::pg_catalog.regclass::text FROM pg_catalog.pg_class c"
			 " WHERE c.relfilenode <> 0 AND c.relfilenode IS DISTINCT FROM"
			 " pg_catalog.pg_relation_filenode(c.oid) AND c.oid IN (");
	for (i = 0; i < PQntuples(tables); i++)
		buf_printf(&sql, "%s%s", i ? ", " : "", PQgetvalue(tables, i, 0));
	buf_puts(&sql, ")");
	res = snap_exec(t, buf_cstr(&sql), PGRES_TUPLES_OK, "could not check the tables");
	if (PQntuples(res) > 0) {
		char name[256];

		snprintf(name, sizeof name, "%s", PQgetvalue(res, 0, 0));
		PQclear(res);
		fatal(EX_TEMPFAIL,
			  "snapshot: table %s was rewritten as the snapshot began: run again "
			  "with --create-slot and --ack-file to take it again",
			  name);
	}
	PQclear(res);
	buf_free(&sql);
}

void
tail_snapshot(struct tail *t)
{
	struct held h = {BUF_INIT, 0, 0, {0, 0}, false, false, false, false};
	struct change_hdr hdr;
	PGresult *tables;
	struct progress pr;
	int i;

	if (!t->redo_snapshot && (!t->slot_created || t->snapshot_name[0] == '\0'))
		return;
	snapshot_begin(t, &hdr, &h);
	tables = snapshot_tables(t);
	lock_tables(t, tables);
	t->snap_total = estimate_rows(tables);
	progress_start(&pr, t->o->progress, 0);
	for (i = 0; i < PQntuples(tables) && !t->out.failed; i++)
		snapshot_table(t, &hdr, (uint32_t) strtoul(PQgetvalue(tables, i, 0), NULL, 10),
					   PQgetvalue(tables, i, 1)[0], i == 0, &h, &pr);
	PQclear(tables);
	progress_end(&pr, "snapshot", t->snap_rows, t->snap_total, "rows");
	emit_held(t, &h, true);
	PQclear(snap_exec(t, "COMMIT", PGRES_COMMAND_OK, "could not end the snapshot"));
	if (!out_flush(&t->out))
		fatal(EX_IOERR, "could not write output: %s", strerror(t->out.err));
	if (h.rows > 0) {
		t->last_emitted = h.end;
		t->snap_end = h.end;
		t->snap_pending = true;
	}
	log_info("snapshot: %llu rows", (unsigned long long) h.rows);
	buf_free(&h.line);
}
