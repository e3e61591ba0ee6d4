/*
 * bulk.c - a batch's ops applied in runs: a run of like changes to one
 * table goes in bulk (COPY into the table, or into a temporary table and
 * merged from there), short runs go as single statements in libpq's
 * pipeline mode, and after a failure change by change under savepoints.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "applier.h"
#include "log.h"

/* Single statements, many in flight: libpq's pipeline mode. */

#define PIPELINE_CHUNK 256

/* Reads the results of ops[from, to) sent in pipeline mode, then the sync. */
static bool
pipeline_results(struct applier *a, struct batch *b, size_t from, size_t to, const bool *sent,
				 const struct op **failed, char *errbuf, size_t errsize)
{
	bool ok = true;
	PGresult *res;
	size_t j;

	for (j = from; j < to; j++) {
		if (!sent[j - from])
			continue;
		while ((res = PQgetResult(a->conn)) != NULL) {
			ExecStatusType st = PQresultStatus(res);

			if (ok && st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
				*failed = &b->ops[j];
				ok = false;
				if (st != PGRES_PIPELINE_ABORTED) {
					(void) check_result(a, res, errbuf, errsize);
					continue;
				}
				snprintf(errbuf, errsize, "pipeline aborted");
			}
			PQclear(res);
		}
		if (PQstatus(a->conn) == CONNECTION_BAD) {
			a->lost = true;
			return false;
		}
	}
	res = PQgetResult(a->conn);
	if (PQresultStatus(res) != PGRES_PIPELINE_SYNC) {
		ok = false;
		if (PQstatus(a->conn) == CONNECTION_BAD)
			a->lost = true;
	}
	PQclear(res);
	return ok;
}

/*
 * Sends ops[from, to) as single statements in pipeline mode, in chunks
 * (so that neither side's socket buffer fills while the other waits).
 */
static bool
pipeline_ops(struct applier *a, struct batch *b, size_t from, size_t to, const struct op **failed,
			 char *errbuf, size_t errsize)
{
	const char **params = NULL;
	bool *sent = xcalloc(PIPELINE_CHUNK, sizeof *sent);
	bool ok = true;
	size_t j, k;
	int maxcols = 1;

	for (j = from; j < to; j++)
		if (b->ops[j].shape && b->ops[j].shape->ncols > maxcols)
			maxcols = b->ops[j].shape->ncols;
	params = xmalloc((size_t) maxcols * sizeof *params);
	if (PQenterPipelineMode(a->conn) != 1) {
		snprintf(errbuf, errsize, "could not enter pipeline mode");
		ok = false;
	}
	for (j = from; ok && j < to; j += PIPELINE_CHUNK) {
		size_t end = j + PIPELINE_CHUNK < to ? j + PIPELINE_CHUNK : to;

		for (k = j; k < end; k++) {
			int n = build_one(a, b, &b->ops[k], params);

			sent[k - j] = n >= 0;
			log_debug("%s", a->sql.data);
			if (n >= 0 &&
				PQsendQueryParams(a->conn, a->sql.data, n, NULL, params, NULL, NULL, 0) != 1) {
				sent[k - j] = false;
				*failed = &b->ops[k];
				snprintf(errbuf, errsize, "%s", PQerrorMessage(a->conn));
				ok = false;
				break;
			}
		}
		if (PQpipelineSync(a->conn) != 1) {
			snprintf(errbuf, errsize, "could not send to the server");
			a->lost = true;
			ok = false;
			break;
		}
		if (!pipeline_results(a, b, j, k, sent, failed, errbuf, errsize))
			ok = false;
	}
	if (PQpipelineStatus(a->conn) != PQ_PIPELINE_OFF && PQexitPipelineMode(a->conn) != 1 && ok) {
		snprintf(errbuf, errsize, "could not leave pipeline mode");
		ok = false;
	}
	free(params);
	free(sent);
	return ok;
}

/* Bulk: COPY */

#define COPY_CHUNK (1u << 20)

/* Sends what c holds as one CopyData message; false on failure. */
static bool
copy_send(PGconn *conn, struct buf *c)
{
	bool ok = c->len == 0 || PQputCopyData(conn, c->data, (int) c->len) == 1;

	buf_reset(c);
	return ok;
}

/*
 * Appends one row to c, sending c whenever it reaches COPY_CHUNK: a large
 * value goes out in slices, never escaped whole (rows may span messages).
 */
static bool
copy_row(PGconn *conn, struct buf *c, const struct batch *b, const struct op *op, int ncols)
{
	const struct val *v = &b->vals[op->vals];
	int i;

	for (i = 0; i < ncols; i++) {
		const char *p = b->data.data + v[i].off;
		size_t n = v[i].len < 0 ? 0 : (size_t) v[i].len;

		if (i)
			buf_putc(c, '\t');
		if (v[i].len < 0)
			buf_put(c, "\\N", 2);
		while (n > 0) {
			size_t k = n < COPY_CHUNK ? n : COPY_CHUNK;

			copy_escape(c, p, k);
			p += k;
			n -= k;
			if (c->len >= COPY_CHUNK && !copy_send(conn, c))
				return false;
		}
	}
	buf_putc(c, '\n');
	return c->len < COPY_CHUNK || copy_send(conn, c);
}

/* Sends rows [from, to) of the batch (not dropped) to COPY target (cols). */
bool
copy_rows(struct applier *a, struct batch *b, size_t from, size_t to, const char *target, int ncols,
		  char *errbuf, size_t errsize)
{
	const struct shape *sh = b->ops[from].shape;
	struct buf *q = &a->sql;
	struct buf *c = &a->copy;
	PGresult *res;
	size_t i;
	bool ok = true;

	buf_reset(q);
	buf_printf(q, "COPY %s (", target);
	put_cols(q, sh, 0, ncols, "", NULL);
	buf_puts(q, ") FROM STDIN");
	log_debug("%s", buf_cstr(q));
	res = PQexec(a->conn, buf_cstr(q));
	if (PQresultStatus(res) != PGRES_COPY_IN)
		return check_result(a, res, errbuf, errsize) && false;
	PQclear(res);
	buf_reset(c);
	for (i = from; i < to && ok; i++)
		if (!b->ops[i].dropped)
			ok = copy_row(a->conn, c, b, &b->ops[i], ncols);
	if (ok)
		ok = copy_send(a->conn, c);
	if (PQputCopyEnd(a->conn, ok ? NULL : "pg-apply: could not send rows") != 1)
		ok = false;
	ok = check_result(a, PQgetResult(a->conn), errbuf, errsize) && ok;
	while ((res = PQgetResult(a->conn)) != NULL)
		PQclear(res);
	return ok;
}

static uint64_t
key_hash(const struct batch *b, const struct op *op, int nkeys)
{
	const struct val *v = &b->vals[op->vals];
	uint64_t h = 1469598103934665603ull;
	int i;

	for (i = 0; i < nkeys; i++) {
		const unsigned char *p = (const unsigned char *) b->data.data + v[i].off;
		int32_t j;

		for (j = 0; j < v[i].len; j++)
			h = (h ^ p[j]) * 1099511628211ull;
		h = (h ^ (uint64_t) (v[i].len + 7)) * 1099511628211ull;
	}
	return h;
}

static bool
same_key(const struct batch *b, const struct op *x, const struct op *y, int nkeys)
{
	const struct val *v = &b->vals[x->vals];
	const struct val *w = &b->vals[y->vals];
	int i;

	for (i = 0; i < nkeys; i++)
		if (v[i].len != w[i].len ||
			(v[i].len > 0 &&
			 memcmp(b->data.data + v[i].off, b->data.data + w[i].off, (size_t) v[i].len) != 0))
			return false;
	return true;
}

/*
 * Marks every op of [from, to) that a later op of the run overwrites
 * entirely (same key, no unavailable values) as dropped: a merge
 * statement cannot touch one row twice.
 */
static void
dedup_run(struct applier *a, struct batch *b, size_t from, size_t to, int nkeys)
{
	size_t n = to - from, cap = 16, i;

	while (cap < n * 2)
		cap *= 2;
	if (cap > a->hashcap) {
		a->hash = xrealloc(a->hash, cap * sizeof *a->hash);
		a->hashcap = cap;
	}
	for (i = 0; i < cap; i++)
		a->hash[i] = -1;
	for (i = from; i < to; i++) {
		size_t h = (size_t) key_hash(b, &b->ops[i], nkeys) & (cap - 1);

		while (a->hash[h] >= 0) {
			struct op *prev = &b->ops[a->hash[h]];

			if (same_key(b, prev, &b->ops[i], nkeys)) {
				prev->dropped = true;
				break;
			}
			h = (h + 1) & (cap - 1);
		}
		a->hash[h] = (long) i;
	}
}

/*
 * With a unique index on the key, the bulk statements join the temporary
 * table to the target by index lookups, as ON CONFLICT finds its rows:
 * the temporary table has no statistics, and a hash or merge join would
 * read the whole target for every batch.
 */
#define JOIN_BY_INDEX "SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off; "
#define JOIN_RESET "; RESET enable_hashjoin; RESET enable_mergejoin"

/*
 * Upserts by MERGE (PostgreSQL 15 on) where that index exists: no
 * speculative insertion, no row lock.
 */
static bool
merge_ok(const struct applier *a, const struct tmp *tm)
{
	return a->s->insert_mode == INSERT_UPSERT && tm->indexed && !tm->no_merge &&
		PQserverVersion(a->conn) >= 150000;
}

static void
put_upsert(struct applier *a, const struct table *t, const struct tmp *tm, const char *tname)
{
	const struct shape *sh = tm->shape;
	struct buf *q = &a->sql;

	if (merge_ok(a, tm)) {
		put_merge(q, t->qname, sh, tname);
		return;
	}
	buf_printf(q, "INSERT INTO %s (", t->qname);
	put_cols(q, sh, 0, sh->ncols, "", NULL);
	buf_puts(q, ") SELECT ");
	put_cols(q, sh, 0, sh->ncols, "", NULL);
	buf_printf(q, " FROM %s", tname);
	put_on_conflict(q, sh, NULL);
}

/*
 * A temporary table takes its columns' types from the target when it is
 * made, and lives for the session: if the target has been altered since
 * (between batches, by another session), its rows went through the old
 * types, and numeric(6,2) rounds what numeric(10,4) would keep.  This
 * check follows the bulk statement in the same query: that statement
 * holds the target's lock to the end of the transaction, so the check
 * sees the types the statement used.  It counts the columns that differ.
 * Prepared, it costs a tenth of a millisecond a batch; prepared again
 * under a new name after a rollback or a reconnect (the session may be
 * another one, and a name it has already must not fail the batch).
 */
#define CHECK_SQL \
	"SELECT count(*) FROM pg_catalog.pg_attribute s" \
	" LEFT JOIN pg_catalog.pg_attribute d ON d.attrelid = to_regclass($1)" \
	" AND d.attname = s.attname AND NOT d.attisdropped" \
	" WHERE s.attrelid = $2::regclass AND s.attnum > 0 AND NOT s.attisdropped" \
	" AND (d.atttypid, d.atttypmod, d.attcollation)" \
	" IS DISTINCT FROM (s.atttypid, s.atttypmod, s.attcollation)"

static bool
put_tmp_check(struct applier *a, struct buf *q, const struct table *t, const char *tname,
			  char *errbuf, size_t errsize)
{
	char name[32], *lit;

	if (!a->check_ready) {
		snprintf(name, sizeof name, "pg_apply_check_%d", ++a->check_no);
		log_debug("PREPARE %s AS %s", name, CHECK_SQL);
		if (!check_result(a, PQprepare(a->conn, name, CHECK_SQL, 2, NULL), errbuf, errsize))
			return false;
		a->check_ready = true;
	}
	if ((lit = PQescapeLiteral(a->conn, t->qname, strlen(t->qname))) == NULL) {
		snprintf(errbuf, errsize, "could not quote a table name");
		return false;
	}
	buf_printf(q, "; EXECUTE pg_apply_check_%d(%s, '%s')", a->check_no, lit, tname);
	PQfreemem(lit);
	return true;
}

/* Runs a bulk statement followed by put_tmp_check(); a->stale if that found a change. */
static bool
run_checked(struct applier *a, const struct table *t, char *errbuf, size_t errsize)
{
	const char *sql = buf_cstr(&a->sql);
	PGresult *res;

	log_debug("%s", sql);
	res = PQexec(a->conn, sql);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQnfields(res) != 1 || PQntuples(res) != 1) {
		if (check_result(a, res, errbuf, errsize))
			snprintf(errbuf, errsize, "bulk statement: unexpected result");
		return false;
	}
	if (strcmp(PQgetvalue(res, 0, 0), "0") != 0) {
		snprintf(errbuf, errsize, "table %s was altered: its temporary table is out of date",
				 t->qname);
		a->stale = true;
	}
	PQclear(res);
	return !a->stale;
}

bool
bulk_run(struct applier *a, struct batch *b, size_t from, size_t to, char *errbuf, size_t errsize)
{
	struct op *op = &b->ops[from];
	struct table *t = op->table;
	struct shape *sh = op->shape;
	struct tmp *tm = tmp_for(a, t, sh);
	struct buf *q = &a->sql;
	char tname[64];
	bool keys = op->kind == OPK_DELETE;

	if (op->kind == OPK_WRITE && a->s->insert_mode == INSERT_INSERT)
		return copy_rows(a, b, from, to, t->qname, sh->ncols, errbuf, errsize);
	if (op->kind == OPK_WRITE)
		dedup_run(a, b, from, to, sh->nkeys);
	if (!ensure_tmp(a, t, tm, keys, errbuf, errsize))
		return false;
	snprintf(tname, sizeof tname, "pg_temp.\"pg_apply_%d%s\"", tm->no, keys ? "_k" : "");
	if (!copy_rows(a, b, from, to, tname, keys ? sh->nkeys : sh->ncols, errbuf, errsize))
		return false;
	if (keys)
		tm->keys_used = true;
	else
		tm->rows_used = true;
	buf_reset(q);
	if (tm->indexed)
		buf_puts(q, JOIN_BY_INDEX);
	if (op->kind == OPK_DELETE) {
		buf_printf(q, "DELETE FROM %s AS d USING %s AS s", t->qname, tname);
		put_key_match(q, sh, "d", "s");
	} else if (a->s->insert_mode == INSERT_UPDATE) {
		buf_printf(q, "UPDATE %s AS d", t->qname);
		if (!put_set(q, sh, "s", NULL))
			return true;
		buf_printf(q, " FROM %s AS s", tname);
		put_key_match(q, sh, "d", "s");
	} else
		put_upsert(a, t, tm, tname);
	if (tm->indexed)
		buf_puts(q, JOIN_RESET);
	if (!put_tmp_check(a, q, t, tname, errbuf, errsize))
		return false;
	if (run_checked(a, t, errbuf, errsize))
		return true;
	if (a->stale)
		return false;
	/* A MERGE that fails (a key inserted by another writer, say): ON CONFLICT from now on. */
	if (op->kind == OPK_WRITE && merge_ok(a, tm))
		tm->no_merge = true;
	return false;
}

/* The end of the run that starts at from: like changes to one table. */
static size_t
run_end(const struct batch *b, size_t from)
{
	const struct op *f = &b->ops[from];
	size_t i;

	if (f->toast || f->kind == OPK_TRUNCATE)
		return from + 1;
	for (i = from + 1; i < b->nops; i++) {
		const struct op *o = &b->ops[i];

		if (o->table != f->table || o->shape != f->shape || o->kind != f->kind || o->toast)
			break;
	}
	return i;
}

bool
apply_fast(struct applier *a, struct batch *b, const struct op **failed, char *errbuf,
		   size_t errsize)
{
	size_t i = 0;

	while (i < b->nops) {
		size_t end = run_end(b, i);
		size_t j;

		*failed = &b->ops[i];
		if (end - i >= BULK_MIN) {
			if (!ensure_table(a, b->ops[i].table, b->ops[i].shape, errbuf, errsize) ||
				!bulk_run(a, b, i, end, errbuf, errsize))
				return false;
			i = end;
			continue;
		}
		/* Short runs in a row: tables first, then the statements pipelined. */
		while (end < b->nops && run_end(b, end) - end < BULK_MIN)
			end = run_end(b, end);
		for (j = i; j < end; j++) {
			*failed = &b->ops[j];
			if ((j == i || b->ops[j].table != b->ops[j - 1].table ||
				 b->ops[j].shape != b->ops[j - 1].shape || b->ops[j].kind != b->ops[j - 1].kind) &&
				!prepare_op(a, &b->ops[j], errbuf, errsize))
				return false;
		}
		if (end - i == 1) {
			*failed = &b->ops[i];
			if (!exec_one(a, b, &b->ops[i], errbuf, errsize))
				return false;
		} else if (!pipeline_ops(a, b, i, end, failed, errbuf, errsize))
			return false;
		i = end;
	}
	*failed = NULL;
	return true;
}

/*
 * Change by change under savepoints.  Returns false at the first failure
 * when reject is NULL (*failed set), or if reject fails or the
 * connection is lost.
 */
bool
apply_slow(struct applier *a, struct batch *b, reject_fn reject, void *ctx,
		   const struct op **failed, char *errbuf, size_t errsize)
{
	char err2[256];
	size_t i;

	for (i = 0; i < b->nops; i++) {
		struct op *op = &b->ops[i];

		*failed = op;
		if (!run(a, "SAVEPOINT pg_apply", errbuf, errsize))
			return false;
		if (prepare_op(a, op, errbuf, errsize) && exec_one(a, b, op, errbuf, errsize)) {
			if (!run(a, "RELEASE SAVEPOINT pg_apply", errbuf, errsize))
				return false;
			continue;
		}
		if (a->lost || reject == NULL)
			return false;
		if (!run(a, "ROLLBACK TO SAVEPOINT pg_apply", err2, sizeof err2)) {
			snprintf(errbuf, errsize, "%s", err2);
			return false;
		}
		forget_all(a);
		if (!reject(ctx, op, errbuf)) {
			*failed = NULL;
			return false;
		}
	}
	*failed = NULL;
	return true;
}
