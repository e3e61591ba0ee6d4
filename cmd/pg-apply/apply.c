/*
 * apply.c - one batch of changes, one transaction: the offsets rows of
 * its sources locked and read, its ops applied (bulk.c), and the offsets
 * stored with the data.  When a bulk statement fails, the batch is
 * retried change by change under savepoints to find the culprit.
 */
#include "applier.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "log.h"
#include "pgutil.h"

/* Statements */

bool
check_result(struct applier *a, PGresult *res, char *errbuf, size_t errsize)
{
	if (pg_result_ok(a->conn, res, &a->status, errbuf, errsize))
		return true;
	if (a->status == EX_TEMPFAIL)
		a->lost = true;
	return false;
}

bool
run(struct applier *a, const char *sql, char *errbuf, size_t errsize)
{
	log_debug("%s", sql);
	return check_result(a, PQexec(a->conn, sql), errbuf, errsize);
}

bool
run_params(struct applier *a, const char *sql, int n, const char *const *params, char *errbuf,
		   size_t errsize)
{
	log_debug("%s", sql);
	return check_result(a, PQexecParams(a->conn, sql, n, NULL, params, NULL, NULL, 0), errbuf,
						errsize);
}

/* Offsets rows */

/* Appends text as an SQL literal; false if libpq cannot quote it. */
static bool
put_literal(struct applier *a, struct buf *q, const char *text)
{
	char *lit = PQescapeLiteral(a->conn, text, strlen(text));

	if (lit == NULL)
		return false;
	buf_puts(q, lit);
	PQfreemem(lit);
	return true;
}

/* A stored position of o's kind: false if text is empty (a new row) or bad. */
static bool
stored_parse(const struct offset_row *o, const char *text, int64_t *off, struct pos *pos)
{
	char *end;

	if (o->is_pos)
		return pos_parse(text, strlen(text), pos);
	*off = strtoll(text, &end, 10);
	return end != text && *end == '\0' && *off >= 0;
}

/* Leaves out the ops of source o at or below the stored position. */
static void
drop_applied(struct batch *b, const struct offset_row *o, int64_t off, struct pos pos)
{
	size_t i, n = 0;

	for (i = 0; i < b->nops; i++) {
		const struct op *op = &b->ops[i];

		if (op->source == o->id && (o->is_pos ? pos_cmp(op->pos, pos) <= 0 : op->offset <= off))
			continue;
		if (n != i)
			b->ops[n] = *op;
		n++;
	}
	log_info("source \"%s\": left out %zu changes another writer applied", o->source, b->nops - n);
	b->skipped += b->nops - n;
	b->nops = n;
}

/*
 * Takes one stored row: ops it covers leave the batch, and o->last is
 * raised to it, so that a stored position never moves back.
 */
static void
take_stored(struct batch *b, struct offset_row *o, const char *text)
{
	int64_t off = 0;
	struct pos pos = {0, 0};

	if (!stored_parse(o, text, &off, &pos))
		return;
	if (o->is_pos ? pos_cmp(pos, o->first_pos) >= 0 : off >= o->first)
		drop_applied(b, o, off, pos);
	if (o->is_pos ? pos_cmp(pos, o->last_pos) > 0 : off > o->last) {
		o->last = off;
		o->last_pos = pos;
	}
}

/*
 * Read committed whatever the session's default: each statement sees the
 * tables as they are when it starts, as the check after a bulk statement
 * needs (bulk.c), and a row another writer changed is waited for, never
 * a serialization failure.
 */
#define BEGIN_SQL "BEGIN ISOLATION LEVEL READ COMMITTED"

/*
 * BEGIN, then lock the batch's rows of the offsets table and read them,
 * in one round trip.  Missing rows are added (with an empty position, never
 * committed as such); rows are taken in source order so that two writers
 * never deadlock, and a row another transaction holds makes this wait
 * until that one ends.  On failure the transaction is rolled back.
 */
static bool
begin_locked(struct applier *a, struct batch *b, struct offset_row *offs, int noffs, char *errbuf,
			 size_t errsize)
{
	struct buf *q = &a->sql;
	PGresult *res;
	int *order;
	int i, j, k;
	char err2[256];
	bool ok = true;

	if (noffs == 0)
		return run(a, BEGIN_SQL, errbuf, errsize);
	order = xcalloc((size_t) noffs, sizeof *order);
	for (i = 0; i < noffs; i++) {
		for (j = i; j > 0 && strcmp(offs[order[j - 1]].source, offs[i].source) > 0; j--)
			order[j] = order[j - 1];
		order[j] = i;
	}
	buf_reset(q);
	buf_printf(q, BEGIN_SQL "; INSERT INTO %s AS o (source, position) VALUES ", a->offsets_qname);
	for (i = 0; i < noffs && ok; i++) {
		buf_puts(q, i ? ", (" : "(");
		ok = put_literal(a, q, offs[order[i]].source);
		buf_puts(q, ", '')");
	}
	free(order);
	if (!ok) {
		snprintf(errbuf, errsize, "could not quote a source name");
		return false;
	}
	buf_puts(q,
			 " ON CONFLICT (source) DO UPDATE SET position = o.position"
			 " RETURNING source, position");
	log_debug("%s", buf_cstr(q));
	res = PQexec(a->conn, buf_cstr(q));
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQnfields(res) != 2) {
		if (check_result(a, res, errbuf, errsize))
			snprintf(errbuf, errsize, "offsets table: unexpected result");
		(void) run(a, "ROLLBACK", err2, sizeof err2);
		return false;
	}
	for (i = 0; i < PQntuples(res); i++)
		for (k = 0; k < noffs; k++)
			if (strcmp(PQgetvalue(res, i, 0), offs[k].source) == 0)
				take_stored(b, &offs[k], PQgetvalue(res, i, 1));
	PQclear(res);
	return true;
}

/*
 * Stores the offsets and commits, in one round trip: a multi-statement
 * query stops at its first error, so COMMIT runs only after the INSERT.
 */
static bool
store_offsets_commit(struct applier *a, const struct offset_row *offs, int noffs, char *errbuf,
					 size_t errsize)
{
	struct buf *q = &a->sql;
	char position[POS_STRLEN + 24];
	int i;

	buf_reset(q);
	if (noffs > 0)
		buf_printf(q, "INSERT INTO %s (source, position, updated_at) VALUES ", a->offsets_qname);
	for (i = 0; i < noffs; i++) {
		if (offs[i].is_pos)
			pos_format(offs[i].last_pos, position);
		else
			snprintf(position, sizeof position, "%" PRId64, offs[i].last);
		buf_puts(q, i ? ", (" : "(");
		if (!put_literal(a, q, offs[i].source)) {
			snprintf(errbuf, errsize, "could not quote a position");
			return false;
		}
		buf_printf(q, ", '%s', now())", position);
	}
	if (noffs > 0)
		buf_puts(q,
				 " ON CONFLICT (source) DO UPDATE SET position = EXCLUDED.position,"
				 " updated_at = EXCLUDED.updated_at; ");
	buf_puts(q, "COMMIT");
	return run(a, buf_cstr(q), errbuf, errsize);
}

static enum apply_status
fail_status(struct applier *a)
{
	return a->lost || PQstatus(a->conn) == CONNECTION_BAD ? APPLY_LOST : APPLY_RECORD;
}

/* Rolls the batch's transaction back and begins it again, every op back in. */
static bool
restart(struct applier *a, struct batch *b, struct offset_row *offs, int noffs, char *errbuf,
		size_t errsize)
{
	char err2[256];

	(void) run(a, "ROLLBACK", err2, sizeof err2);
	forget_all(a);
	a->stale = false;
	for (size_t i = 0; i < b->nops; i++)
		b->ops[i].dropped = false;
	return begin_locked(a, b, offs, noffs, errbuf, errsize);
}

enum apply_status
applier_apply(struct applier *a, struct batch *b, struct offset_row *offs, int noffs,
			  reject_fn reject, void *ctx, const struct op **failed, char *errbuf, size_t errsize)
{
	char err2[256];
	bool ok;

	*failed = NULL;
	a->stale = false;
	if (!begin_locked(a, b, offs, noffs, errbuf, errsize))
		return fail_status(a) == APPLY_LOST ? APPLY_LOST : APPLY_INTERNAL;
	ok = apply_fast(a, b, failed, errbuf, errsize);
	if (!ok && a->stale && !a->lost && PQstatus(a->conn) != CONNECTION_BAD) {
		/* A target was altered: its temporary tables made again, the batch again. */
		log_info("%s, applying the batch again", errbuf);
		if (!restart(a, b, offs, noffs, errbuf, errsize))
			return fail_status(a) == APPLY_LOST ? APPLY_LOST : APPLY_INTERNAL;
		ok = apply_fast(a, b, failed, errbuf, errsize);
	}
	if (!ok) {
		if (a->lost || PQstatus(a->conn) == CONNECTION_BAD)
			return APPLY_LOST;
		log_debug("batch failed (%s), retrying change by change", errbuf);
		if (!restart(a, b, offs, noffs, errbuf, errsize))
			return fail_status(a) == APPLY_LOST ? APPLY_LOST : APPLY_INTERNAL;
		if (!apply_slow(a, b, reject, ctx, failed, errbuf, errsize)) {
			enum apply_status st = a->lost ? APPLY_LOST : *failed ? APPLY_RECORD : APPLY_INTERNAL;

			(void) run(a, "ROLLBACK", err2, sizeof err2);
			forget_all(a);
			return PQstatus(a->conn) == CONNECTION_BAD ? APPLY_LOST : st;
		}
	}
	*failed = NULL;
	if (!store_offsets_commit(a, offs, noffs, errbuf, errsize)) {
		(void) run(a, "ROLLBACK", err2, sizeof err2);
		forget_all(a);
		return fail_status(a) == APPLY_LOST ? APPLY_LOST : APPLY_INTERNAL;
	}
	tmps_emptied(a);
	return APPLY_OK;
}

bool
applier_load_offsets(struct applier *a,
					 void (*fn)(void *ctx, const char *source, const char *position), void *ctx,
					 char *errbuf, size_t errsize)
{
	struct buf *q = &a->sql;
	PGresult *res;
	int i;

	buf_reset(q);
	buf_printf(q,
			   "CREATE TABLE IF NOT EXISTS %s (source text PRIMARY KEY,"
			   " position text NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())",
			   a->offsets_qname);
	/* Two first runs at once: one of them loses the race for the name, and finds the table. */
	if (!run(a, buf_cstr(q), errbuf, errsize) && !run(a, buf_cstr(q), errbuf, errsize))
		return false;
	buf_reset(q);
	buf_printf(q, "SELECT source, position FROM %s", a->offsets_qname);
	res = PQexec(a->conn, buf_cstr(q));
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQnfields(res) != 2)
		return check_result(a, res, errbuf, errsize) && false;
	for (i = 0; i < PQntuples(res); i++)
		fn(ctx, PQgetvalue(res, i, 0), PQgetvalue(res, i, 1));
	PQclear(res);
	return true;
}

int
applier_status(const struct applier *a)
{
	/* A result of the wrong shape fails no statement: not the server's doing. */
	return a->status ? a->status : EX_SOFTWARE;
}

void
applier_reset(struct applier *a)
{
	a->lost = false;
	forget_all(a);
}

int
applier_stored_position(struct applier *a, const char *source, char *pos, size_t possize,
						char *errbuf, size_t errsize)
{
	const char *params[1] = {source};
	struct buf *q = &a->sql;
	PGresult *res;
	int found;

	buf_reset(q);
	buf_printf(q, "SELECT position FROM %s WHERE source = $1", a->offsets_qname);
	res = PQexecParams(a->conn, buf_cstr(q), 1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQnfields(res) != 1) {
		(void) check_result(a, res, errbuf, errsize);
		return -1;
	}
	found = PQntuples(res) > 0;
	if (found)
		snprintf(pos, possize, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return found;
}
