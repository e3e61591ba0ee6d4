/*
 * snapshot.c - the initial snapshot, consistent with the new slot.
 *
 * The slot was created with EXPORT_SNAPSHOT; the ordinary connection
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
 * (a one-row table's row is its last), and "true".  Tables go in the order of -t (table.include.list), then the
 * publication's others by name, as Debezium snapshots them.
 */
#include "tail.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "catalog.h"
#include "log.h"
#include "sig.h"

struct held {
	struct buf	line;			/* the row's line, without a marker */
	bool		have;
	bool		first_table;	/* the row's table is the first */
	bool		first_in_table;
	bool		last_in_table;
};

static void
snap_fail(struct tail *t, PGresult *res, const char *what)
{
	char		msg[1024];
	const char *st = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	int			status = PQstatus(t->sql) == CONNECTION_BAD ? EX_TEMPFAIL
		: status_for_sqlstate(st);

	pg_errmsg(t->sql, res, msg, sizeof msg);
	PQclear(res);
	fatal(status, "snapshot: %s: %s", what, msg);
}

static PGresult *
snap_exec(struct tail *t, const char *sql, ExecStatusType expect, const char *what)
{
	PGresult   *res = PQexec(t->sql, sql);

	if (PQresultStatus(res) != expect)
		snap_fail(t, res, what);
	return res;
}

/*
 * Writes the held row with its marker (Debezium's setSnapshotMarker(),
 * and completeSnapshot() for the very last row).
 */
static void
emit_held(struct tail *t, struct held *h, bool last)
{
	static const char op[] = ",\"op\":\"r\"";
	const char *marker;
	const char *at;
	size_t		split;

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
	buf_put(&t->line, h->line.data, split);
	buf_printf(&t->line, ",\"snapshot\":\"%s\"", marker);
	buf_put(&t->line, h->line.data + split, h->line.len - split);
	out_line(&t->out, t->line.data, t->line.len);
	h->have = false;
}

static void
build_select(struct tail *t, const struct rel *r, char relkind, struct buf *sql)
{
	char	   *q;
	int			i;

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
snapshot_table(struct tail *t, struct change_hdr *hdr, uint32_t oid, char relkind,
			   bool first_table, struct held *h)
{
	char		err[1024];
	char		state[6];
	struct rel *r = catalog_rel(t->sql, oid, NULL, err, sizeof err, state);
	struct buf	sql = BUF_INIT;
	struct pgo_tuple tup = {0, 0, NULL};
	bool		first_in_table = true;
	char		fetch[64];

	if (r == NULL)
		fatal(status_for_sqlstate(state), "snapshot: %s", err);
	build_select(t, r, relkind, &sql);
	PQclear(snap_exec(t, buf_cstr(&sql), PGRES_COMMAND_OK, "could not open cursor"));
	snprintf(fetch, sizeof fetch, "FETCH %d FROM walpipe_snapshot", t->o->fetch_size);
	tup.vals = xcalloc((size_t) (r->ncols ? r->ncols : 1), sizeof *tup.vals);
	tup.ncols = tup.cap = r->ncols;
	for (;;) {
		PGresult   *res = snap_exec(t, fetch, PGRES_TUPLES_OK, "could not fetch");
		int			row,
					col;

		if (PQnfields(res) != (r->ncols ? r->ncols : 1)) {
			PQclear(res);
			fatal(EX_SOFTWARE, "snapshot: table \"%s.%s\": unexpected column count",
				  r->nspname, r->relname);
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
			hdr->seq++;
			buf_reset(&h->line);
			if (!fmt_change(&h->line, hdr, r, 'r', NULL, NULL, false, &tup, err, sizeof err))
				fatal(EX_SOFTWARE, "snapshot: %s", err);
			h->first_table = first_table;
			h->first_in_table = first_in_table;
			h->last_in_table = false;
			h->have = true;
			first_in_table = false;
		}
		PQclear(res);
		if (t->out.failed)
			break;
		if (sig_stop)
			fatal(EX_TEMPFAIL, "snapshot interrupted: drop slot \"%s\" and start again", t->o->slot);
	}
	if (!first_in_table)
		h->last_in_table = true;
	PQclear(snap_exec(t, "CLOSE walpipe_snapshot", PGRES_COMMAND_OK, "could not close cursor"));
	free(tup.vals);
	buf_free(&sql);
	rel_free(r);
}

/* $2: the -t names, "{schema.table,...}", whose order comes first. */
static const char tables_sql[] =
	"SELECT c.oid, c.relkind FROM pg_catalog.pg_publication_tables pt"
	" JOIN pg_catalog.pg_namespace n ON n.nspname = pt.schemaname"
	" JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = pt.tablename"
	" WHERE pt.pubname = $1"
	" ORDER BY array_position($2::text[], pt.schemaname || '.' || pt.tablename),"
	" pt.schemaname, pt.tablename";

/* The -t names as a text[] literal. */
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

void
tail_snapshot(struct tail *t)
{
	struct buf	sql = BUF_INIT;
	struct buf	order = BUF_INIT;
	struct held h = {BUF_INIT, false, false, false, false};
	struct change_hdr hdr;
	const char *params[2] = {t->o->publication, NULL};
	int			ntables;
	PGresult   *tables;
	PGresult   *res;
	char	   *lit;
	int			i;

	if (!t->slot_created || t->snapshot_name[0] == '\0')
		return;
	PQclear(snap_exec(t, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
					  PGRES_COMMAND_OK, "could not begin"));
	lit = PQescapeLiteral(t->sql, t->snapshot_name, strlen(t->snapshot_name));
	buf_printf(&sql, "SET TRANSACTION SNAPSHOT %s", lit);
	PQfreemem(lit);
	PQclear(snap_exec(t, buf_cstr(&sql), PGRES_COMMAND_OK, "could not import the slot's snapshot"));
	res = snap_exec(t, "SELECT pg_catalog.txid_snapshot_xmin(pg_catalog.txid_current_snapshot())",
					PGRES_TUPLES_OK, "could not read the snapshot");

	/* Snapshot rows sort before every streamed change (pos.h). */
	hdr.commit_lsn = t->consistent_lsn - 1;
	hdr.lsn = hdr.commit_lsn;
	hdr.seq = 0;
	hdr.xid = PQntuples(res) == 1 ? (uint32_t) strtoull(PQgetvalue(res, 0, 0), NULL, 10) : 0;
	hdr.ts_us = now_us();
	hdr.db_json = t->db_json.data;
	PQclear(res);

	table_order(t, &order);
	params[1] = buf_cstr(&order);
	tables = PQexecParams(t->sql, tables_sql, 2, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(tables) != PGRES_TUPLES_OK || PQnfields(tables) != 2)
		snap_fail(t, tables, "could not list the publication's tables");
	ntables = PQntuples(tables);
	for (i = 0; i < ntables && !t->out.failed; i++)
		snapshot_table(t, &hdr, (uint32_t) strtoul(PQgetvalue(tables, i, 0), NULL, 10),
					   PQgetvalue(tables, i, 1)[0], i == 0, &h);
	PQclear(tables);
	emit_held(t, &h, true);
	buf_free(&order);
	PQclear(snap_exec(t, "COMMIT", PGRES_COMMAND_OK, "could not end the snapshot"));
	if (!out_flush(&t->out))
		fatal(EX_IOERR, "could not write output: %s", strerror(t->out.err));
	if (hdr.seq > 0) {
		t->last_emitted.commit_lsn = hdr.commit_lsn;
		t->last_emitted.seq = hdr.seq;
	}
	log_info("snapshot: %llu rows", (unsigned long long) hdr.seq);
	buf_free(&h.line);
	buf_free(&sql);
}
