/*
 * setup.c - connections, server checks, publication and slot.
 *
 * Every failure here is one line on stderr and a documented exit status,
 * as common/pgutil.h maps them: 69 for what the server refuses (missing
 * publication or slot, slot in use), 77 for a failed login or a missing
 * privilege, 78 for a server configured wrongly (wal_level), 75 for a
 * server that cannot be reached.
 */
#include "tail.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "incremental.h"
#include "log.h"
#include "pgutil.h"
#include "signals.h"
#include "snapstate.h"

/* pg_query(), or exit with its one-line message and status. */
static PGresult *
exec_or_die(PGconn *conn, const char *sql, ExecStatusType expect, const char *what)
{
	char msg[1024];
	int status;
	PGresult *res = pg_query(conn, sql, expect, &status, msg, sizeof msg);

	if (res == NULL)
		fatal(status, "%s: %s", what, msg);
	return res;
}

static PGconn *
connect_or_die(const char *conninfo, const char *replication)
{
	char err[1024];
	int status;
	PGconn *conn = pg_connect(conninfo, replication, "pg-wal-tail", &status, err, sizeof err);

	if (conn == NULL)
		fatal(status, "%s", err);
	return conn;
}

/*
 * Sessions print values in one style whatever the server's defaults:
 * ISO dates in UTC, shortest-exact floats, postgres intervals, hex bytea.
 */
static bool
output_style(PGconn *conn, int *status, char *errbuf, size_t errsize)
{
	static const char *const sets[] = {
		"SET DateStyle = 'ISO, YMD'", "SET TimeZone = 'UTC'",	  "SET IntervalStyle = 'postgres'",
		"SET extra_float_digits = 1", "SET bytea_output = 'hex'", NULL};
	int i;

	for (i = 0; sets[i]; i++)
		if (!pg_command(conn, sets[i], status, errbuf, errsize))
			return false;
	return true;
}

bool
set_output_style(PGconn *conn, char *errbuf, size_t errsize)
{
	return output_style(conn, NULL, errbuf, errsize);
}

static void
set_output_style_or_die(PGconn *conn)
{
	char err[1024];
	int status;

	if (!output_style(conn, &status, err, sizeof err))
		fatal(status, "could not set session style: %s", err);
}

void
tail_init(struct tail *t, const struct tail_opts *o)
{
	memset(t, 0, sizeof *t);
	t->o = o;
	pgo_msg_init(&t->msg);
	out_init(&t->out, 1);
	ackq_init(&t->q, 0);
	t->end_lsn = o->end_lsn;
}

void
tail_connect(struct tail *t)
{
	PGresult *res;
	const char *db;

	t->sql = connect_or_die(t->o->conninfo, NULL);
	set_output_style_or_die(t->sql);
	res = exec_or_die(t->sql, "SELECT pg_catalog.current_setting('wal_level')", PGRES_TUPLES_OK,
					  "could not read wal_level");
	if (PQntuples(res) != 1 || PQnfields(res) != 1) {
		PQclear(res);
		fatal(EX_SOFTWARE, "could not read wal_level: unexpected result");
	}
	if (strcmp(PQgetvalue(res, 0, 0), "logical") != 0) {
		log_error("wal_level is \"%s\", logical decoding needs \"logical\"", PQgetvalue(res, 0, 0));
		PQclear(res);
		fatal(EX_CONFIG, "set wal_level = logical in postgresql.conf and restart the server");
	}
	PQclear(res);
	t->repl = connect_or_die(t->o->conninfo, "database");
	set_output_style_or_die(t->repl);
	db = PQdb(t->repl);
	buf_reset(&t->db_json);
	json_put_cstr(&t->db_json, db ? db : "");
	buf_cstr(&t->db_json);
}

/* s quoted by escape (libpq's, with the server's rules); caller PQfreemem()s. */
static char *
quoted(PGconn *conn, const char *s, char *(*escape)(PGconn *, const char *, size_t))
{
	char *q = escape(conn, s, strlen(s));

	if (q == NULL)
		fatal(EX_SOFTWARE, "could not quote \"%s\"", s);
	return q;
}

static char *
ident(PGconn *conn, const char *name)
{
	return quoted(conn, name, PQescapeIdentifier);
}

static char *
literal(PGconn *conn, const char *s)
{
	return quoted(conn, s, PQescapeLiteral);
}

/* "schema.table" (or "table" = public) as a quoted SQL name. */
static void
put_table_name(PGconn *conn, struct buf *b, const char *spec)
{
	const char *dot = strchr(spec, '.');
	char *nsp = xstrndup(dot ? spec : "public", dot ? (size_t) (dot - spec) : 6);
	char *qn = ident(conn, nsp);
	char *qt = ident(conn, dot ? dot + 1 : spec);

	buf_printf(b, "%s.%s", qn, qt);
	PQfreemem(qn);
	PQfreemem(qt);
	free(nsp);
}

static void
ensure_publication(struct tail *t)
{
	struct buf sql = BUF_INIT;
	char *lit = literal(t->sql, t->o->publication);
	char *qp;
	PGresult *res;
	int i;
	bool exists;

	buf_printf(&sql, "SELECT 1 FROM pg_catalog.pg_publication WHERE pubname = %s", lit);
	PQfreemem(lit);
	res = exec_or_die(t->sql, buf_cstr(&sql), PGRES_TUPLES_OK, "could not look up the publication");
	exists = PQntuples(res) == 1;
	PQclear(res);
	if (exists) {
		buf_free(&sql);
		return;
	}
	if (t->o->ntables == 0 && !t->o->all_tables)
		fatal(EX_UNAVAILABLE,
			  "publication \"%s\" does not exist (create it, or name its tables with -t)",
			  t->o->publication);
	qp = ident(t->sql, t->o->publication);
	buf_reset(&sql);
	buf_printf(&sql, "CREATE PUBLICATION %s FOR %s", qp,
			   t->o->all_tables ? "ALL TABLES" : "TABLE ");
	PQfreemem(qp);
	for (i = 0; i < t->o->ntables; i++) {
		if (i > 0)
			buf_puts(&sql, ", ");
		put_table_name(t->sql, &sql, t->o->tables[i]);
	}
	PQclear(
		exec_or_die(t->sql, buf_cstr(&sql), PGRES_COMMAND_OK, "could not create the publication"));
	log_info("created publication \"%s\"", t->o->publication);
	buf_free(&sql);
}

/*
 * Looks the slot up.  Returns false if missing; exits if it exists but
 * cannot be used (other plugin, other database, active elsewhere).
 */
static bool
check_slot(struct tail *t, uint64_t *confirmed)
{
	struct buf sql = BUF_INIT;
	char *lit = literal(t->sql, t->o->slot);
	PGresult *res;
	const char *plugin;

	buf_printf(&sql,
			   "SELECT plugin, database = pg_catalog.current_database(), active,"
			   " active_pid, confirmed_flush_lsn FROM pg_catalog.pg_replication_slots"
			   " WHERE slot_name = %s",
			   lit);
	PQfreemem(lit);
	res = exec_or_die(t->sql, buf_cstr(&sql), PGRES_TUPLES_OK, "could not look up the slot");
	buf_free(&sql);
	if (PQntuples(res) == 0) {
		PQclear(res);
		return false;
	}
	plugin = PQgetisnull(res, 0, 0) ? "(physical)" : PQgetvalue(res, 0, 0);
	if (strcmp(plugin, "pgoutput") != 0) {
		log_error("replication slot \"%s\" uses plugin \"%s\", not \"pgoutput\"", t->o->slot,
				  plugin);
		PQclear(res);
		exit(EX_UNAVAILABLE);
	}
	if (PQgetvalue(res, 0, 1)[0] != 't') {
		PQclear(res);
		fatal(EX_UNAVAILABLE, "replication slot \"%s\" belongs to another database", t->o->slot);
	}
	if (PQgetvalue(res, 0, 2)[0] == 't') {
		log_error("replication slot \"%s\" is active for PID %s", t->o->slot,
				  PQgetvalue(res, 0, 3));
		PQclear(res);
		exit(EX_UNAVAILABLE);
	}
	if (!PQgetisnull(res, 0, 4))
		(void) lsn_parse(PQgetvalue(res, 0, 4), strlen(PQgetvalue(res, 0, 4)), confirmed);
	PQclear(res);
	return true;
}

static void
create_slot(struct tail *t, bool export)
{
	struct buf sql = BUF_INIT;
	char *qs = ident(t->repl, t->o->slot);
	PGresult *res;
	const char *cp;
	char lsnbuf[LSN_STRLEN];

	buf_printf(&sql, "CREATE_REPLICATION_SLOT %s%s LOGICAL pgoutput %s", qs,
			   t->o->temporary_slot ? " TEMPORARY" : "",
			   export ? "EXPORT_SNAPSHOT" : "NOEXPORT_SNAPSHOT");
	PQfreemem(qs);
	res =
		exec_or_die(t->repl, buf_cstr(&sql), PGRES_TUPLES_OK, "could not create replication slot");
	buf_free(&sql);
	if (PQntuples(res) != 1 || PQnfields(res) < 4) {
		PQclear(res);
		fatal(EX_SOFTWARE, "could not create replication slot: unexpected result shape");
	}
	cp = PQgetvalue(res, 0, 1);
	if (!lsn_parse(cp, strlen(cp), &t->consistent_lsn)) {
		PQclear(res);
		fatal(EX_SOFTWARE, "could not create replication slot: bad consistent point");
	}
	if (export && !PQgetisnull(res, 0, 2))
		snprintf(t->snapshot_name, sizeof t->snapshot_name, "%s", PQgetvalue(res, 0, 2));
	PQclear(res);
	t->slot_created = true;
	ackq_init(&t->q, t->consistent_lsn);
	log_info("created replication slot \"%s\" at %s", t->o->slot,
			 lsn_format(t->consistent_lsn, lsnbuf));
}

/* The server's current WAL position, from IDENTIFY_SYSTEM. */
static uint64_t
current_wal_lsn(struct tail *t)
{
	PGresult *res =
		exec_or_die(t->repl, "IDENTIFY_SYSTEM", PGRES_TUPLES_OK, "could not identify system");
	uint64_t lsn = 0;

	if (PQntuples(res) != 1 || PQnfields(res) < 3 ||
		!lsn_parse(PQgetvalue(res, 0, 2), strlen(PQgetvalue(res, 0, 2)), &lsn)) {
		PQclear(res);
		fatal(EX_SOFTWARE, "could not identify system: unexpected result");
	}
	PQclear(res);
	return lsn;
}

/*
 * An existing slot: stream from it, or, when this run may create the
 * slot (--create-slot) and downstream has not acknowledged the end of its
 * snapshot, take the snapshot again first (snapshot.c).  What cannot be
 * done safely is refused with EX_USAGE, which walpipe-run does not retry.
 */
static void
use_slot(struct tail *t, uint64_t confirmed)
{
	const struct tail_opts *o = t->o;
	enum snap_state st;
	char pbuf[POS_STRLEN];

	ackq_init(&t->q, confirmed);
	if (o->snapshot == SNAP_NEVER)
		return;
	st = snapshot_state(t, confirmed);
	if (o->create_slot && st != SNAP_COMPLETE) {
		if (o->ack_file == NULL)
			fatal(EX_USAGE,
				  "replication slot \"%s\" exists and without --ack-file nothing shows "
				  "that its snapshot is complete (use --snapshot never to stream from it, "
				  "or drop it and start again)",
				  o->slot);
		log_warn("downstream has not acknowledged the end of the snapshot of replication slot "
				 "\"%s\": taking the snapshot again",
				 o->slot);
		t->redo_snapshot = true;
		t->consistent_lsn = confirmed;
		return;
	}
	if (o->snapshot != SNAP_DEFAULT && !o->create_slot)
		fatal(EX_UNAVAILABLE,
			  "replication slot \"%s\" exists: a consistent snapshot needs a new slot "
			  "(drop it, or use --snapshot never)",
			  o->slot);
	if (st == SNAP_INTERRUPTED)
		fatal(EX_USAGE,
			  "the snapshot of replication slot \"%s\" was interrupted (\"%s\" "
			  "acknowledges %s, inside it): use --create-slot to take it again, "
			  "or --snapshot never to stream without it",
			  o->slot, o->ack_file, pos_format(t->snap_ack, pbuf));
}

/*
 * A slot about to be created has acknowledged nothing, so a position in
 * the ack file belongs to an earlier slot (or server).  Above the new
 * slot's start it would skip changes; below it, it would pass an
 * interrupted snapshot for complete on the next run.  A temporary slot is
 * new at every run: only a position it would skip by is refused.
 */
static void
check_new_slot_ack(struct tail *t)
{
	struct pos ack;
	struct pos start = {t->consistent_lsn - 1, 0};
	char pbuf[POS_STRLEN];

	if (t->o->ack_file == NULL || !tail_read_ack(t, &ack))
		return;
	if (t->o->temporary_slot && t->consistent_lsn && pos_cmp(ack, start) < 0)
		return;
	fatal(EX_USAGE,
		  "\"%s\" acknowledges %s, but replication slot \"%s\" %s: the file belongs "
		  "to an earlier slot; remove it, and the positions the sink stored, first",
		  t->o->ack_file, pos_format(ack, pbuf), t->o->slot,
		  t->o->temporary_slot ? "starts before it" : "does not exist yet");
}

void
tail_setup(struct tail *t)
{
	const struct tail_opts *o = t->o;
	uint64_t confirmed = 0;
	bool exists;
	bool want_snapshot;

	ensure_publication(t);
	if (o->end_now)
		t->end_lsn = current_wal_lsn(t);
	exists = !o->temporary_slot && check_slot(t, &confirmed);
	if (exists) {
		snapstate_setup(t, true);
		if (o->snapshot == SNAP_INCREMENTAL)
			ackq_init(&t->q, confirmed);
		else
			use_slot(t, confirmed);
		return;
	}
	if (!o->create_slot && !o->temporary_slot)
		fatal(EX_UNAVAILABLE, "replication slot \"%s\" does not exist (use --create-slot)",
			  o->slot);
	want_snapshot = o->snapshot != SNAP_NEVER && o->snapshot != SNAP_INCREMENTAL;
	if (!o->temporary_slot)
		check_new_slot_ack(t);
	snapstate_setup(t, false);
	create_slot(t, want_snapshot);
	if (o->temporary_slot)
		check_new_slot_ack(t);
}

void
tail_drop_slot(struct tail *t)
{
	struct buf sql = BUF_INIT;
	char *qs = ident(t->repl, t->o->slot);

	buf_printf(&sql, "DROP_REPLICATION_SLOT %s", qs);
	PQfreemem(qs);
	PQclear(
		exec_or_die(t->repl, buf_cstr(&sql), PGRES_COMMAND_OK, "could not drop replication slot"));
	buf_free(&sql);
	log_info("dropped replication slot \"%s\"", t->o->slot);
}

void
tail_close(struct tail *t)
{
	incr_free(t);
	signals_close(t);
	snapstate_close(t);
	if (t->repl)
		PQfinish(t->repl);
	if (t->sql)
		PQfinish(t->sql);
	t->repl = t->sql = NULL;
	relcache_free(&t->rels);
	types_free(&t->types);
	pgo_msg_free(&t->msg);
	buf_free(&t->line);
	buf_free(&t->ackbuf);
	buf_free(&t->db_json);
	buf_free(&t->replay);
	spill_free_all(&t->spills);
	ackq_free(&t->q);
	out_free(&t->out);
}
