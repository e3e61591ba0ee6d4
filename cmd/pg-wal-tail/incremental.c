/*
 * incremental.c - incremental snapshots on the watermark method (DBLog).
 *
 * A table is read in chunks of its primary key, while streaming goes on.
 * Each chunk is one short REPEATABLE READ transaction on the ordinary
 * connection:
 *
 *   BEGIN; LOCK TABLE (ACCESS SHARE: before the snapshot, so that a
 *   rewrite, not MVCC-safe, cannot leave the table empty to it);
 *   SELECT txid_current_snapshot(), emit(false, 'open ID');
 *   SELECT ... WHERE key > LAST AND key <= MAX ORDER BY key LIMIT N;
 *   emit(true, 'close ID'); COMMIT
 *
 * where emit is pg_logical_emit_message with the prefix
 * walpipe_watermark: no user table is written.  The chunk's rows wait in
 * memory until the stream brings the high watermark, the transactional
 * 'close' message: it comes after every transaction the chunk's snapshot
 * sees (they committed before it) and its commit flushes the WAL, so it
 * arrives at once.  The non-transactional 'open' message, the low
 * watermark, comes later in the WAL than the snapshot; every transaction
 * the stream brings between the two the snapshot does not see.
 *
 * A row of the chunk whose key a streamed change touched, in a
 * transaction written before the high watermark that the chunk's
 * snapshot does not see, is dropped from the chunk: that change is newer
 * than the row and was written before it.  Judging by the snapshot
 * (xmin, xmax, in-progress list) rather than by the window between the
 * watermarks alone also catches a transaction whose commit record
 * precedes the low watermark but which was not yet visible when the
 * snapshot was taken.  A truncate of the table in such a transaction
 * drops the whole chunk.  The other rows are written, at the high
 * watermark, as the changes of its transaction (op r, snapshot
 * "incremental"), so their positions are ordinary ones that downstream
 * acknowledges, and every change after them is newer.
 *
 * The table is read up to the largest key it had when its snapshot
 * began; rows inserted later are streamed anyway.  Keys of the changes
 * are kept from the start of a table's snapshot and pruned at every
 * chunk of what its snapshot already saw.
 */
#include "incremental.h"
#include "tail.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "catalog.h"
#include "chunkq.h"
#include "clock.h"
#include "json.h"
#include "keyset.h"
#include "log.h"
#include "metrics.h"
#include "progress.h"
#include "snapstate.h"

/* The next chunk waits while more than this is unread downstream. */
#define DRAIN_LEFT (16 * 1024)

struct itable {
	char *name;	  /* SCHEMA.TABLE */
	char *filter; /* SQL condition, or NULL */
	char *after;  /* resume after this key: a JSON array, or NULL */
};

struct incr {
	struct itable *queue; /* tables waiting, in order */
	int nqueue;
	bool paused;
	bool draining; /* the next chunk waits for the output to drain */
	/* The table being read. */
	bool reading;
	struct itable cur;
	uint32_t oid;
	struct rel *rel; /* its columns, from the catalog */
	int nkeys;
	int *keycol;		  /* key columns in rel */
	bool *notnull;		  /* whether each is NOT NULL */
	Oid *keytype;		  /* parameter types: key, then key again */
	struct buf sql_first; /* the first chunk: key <= MAX */
	struct buf sql_next;  /* the others: LAST < key <= MAX */
	struct buf sql_shape; /* no rows: the table's columns now */
	struct buf sql_lock;  /* before each chunk's snapshot */
	char **bound;		  /* LAST then MAX, as text */
	bool have_last;
	uint64_t rows;
	double total;
	struct progress pr;
	/* The chunk in flight, waiting for its high watermark. */
	PGresult *chunk;
	char id[64];
	uint64_t chunks;
	struct xsnap snap;
	struct keyset keys; /* keys of the table's streamed changes */
	struct buf key;
	bool *keep; /* the chunk's rows to write */
	struct pgo_tuple tup;
};

static struct incr *
incr_of(struct tail *t)
{
	if (t->incr == NULL)
		t->incr = xcalloc(1, sizeof *t->incr);
	return t->incr;
}

/* With --state-file, what is left now, once downstream has what was written. */
static void
record_todo(struct tail *t)
{
	if (t->o->state_file)
		snapstate_record(t, t->last_emitted, false);
}

void
incr_progress(const struct tail *t, double *rows, double *total, double *left)
{
	const struct incr *in = t->incr;

	*rows = in && in->reading ? (double) in->rows : 0;
	*total = in && in->reading && in->total > 0 ? in->total : -1;
	*left = in ? in->nqueue + in->reading : 0;
}

bool
incr_active(const struct tail *t)
{
	return t->incr && (t->incr->reading || t->incr->nqueue > 0);
}

static _Noreturn void
incr_fail(struct tail *t, PGresult *res, const char *what)
{
	char msg[1024];
	int status = pg_result_status(t->sql, res);

	pg_errmsg(t->sql, res, msg, sizeof msg);
	PQclear(res);
	fatal(status, "incremental snapshot of \"%s\": %s: %s", t->incr->cur.name, what, msg);
}

bool
incr_add(struct tail *t, const char *table, const char *filter, char *errbuf, size_t errsize)
{
	struct incr *in = incr_of(t);
	struct chunk_table ct;
	struct itable *it;

	if (!chunk_table(t, table, filter, &ct, errbuf, errsize))
		return false;
	chunk_table_free(&ct);
	in->queue = xrealloc(in->queue, (size_t) (in->nqueue + 1) * sizeof *in->queue);
	it = &in->queue[in->nqueue++];
	it->name = xstrdup(table);
	it->filter = filter ? xstrdup(filter) : NULL;
	it->after = NULL;
	log_info("incremental snapshot of \"%s\" queued%s%s", table, filter ? " where " : "",
			 filter ? filter : "");
	record_todo(t);
	return true;
}

static void
itable_free(struct itable *it)
{
	free(it->name);
	free(it->filter);
	free(it->after);
	it->name = it->filter = it->after = NULL;
}

/* Ends the table being read: what it holds is dropped. */
static void
end_table(struct incr *in)
{
	int i;

	if (!in->reading)
		return;
	in->reading = false;
	PQclear(in->chunk);
	in->chunk = NULL;
	in->id[0] = '\0';
	for (i = 0; in->bound && i < 2 * in->nkeys; i++)
		free(in->bound[i]);
	free(in->bound);
	in->nkeys = 0;
	free(in->keycol);
	free(in->notnull);
	free(in->keytype);
	in->bound = NULL;
	in->keycol = NULL;
	in->notnull = NULL;
	in->keytype = NULL;
	rel_free(in->rel);
	in->rel = NULL;
	itable_free(&in->cur);
	keyset_clear(&in->keys);
}

void
incr_stop(struct tail *t, bool (*match)(const char *table, const void *arg), const void *arg)
{
	struct incr *in = incr_of(t);
	int i, n = 0;

	for (i = 0; i < in->nqueue; i++) {
		if (match == NULL || match(in->queue[i].name, arg))
			itable_free(&in->queue[i]);
		else
			in->queue[n++] = in->queue[i];
	}
	if (in->reading && (match == NULL || match(in->cur.name, arg))) {
		log_info("incremental snapshot of \"%s\" stopped after %llu rows", in->cur.name,
				 (unsigned long long) in->rows);
		end_table(in);
	} else if (n == in->nqueue)
		return;
	in->nqueue = n;
	record_todo(t);
}

void
incr_pause(struct tail *t, bool pause)
{
	struct incr *in = incr_of(t);

	if (in->paused != pause)
		log_info("incremental snapshots %s", pause ? "paused" : "resumed");
	in->paused = pause;
}

/* Where the key columns of ct are in rel; false if one is not. */
static bool
map_keys(struct incr *in, const struct chunk_table *ct)
{
	in->nkeys = ct->nkeys;
	in->keycol = xcalloc((size_t) in->nkeys, sizeof *in->keycol);
	in->notnull = xcalloc((size_t) in->nkeys, sizeof *in->notnull);
	in->keytype = xcalloc((size_t) in->nkeys * 2, sizeof *in->keytype);
	in->bound = xcalloc((size_t) in->nkeys * 2, sizeof *in->bound);
	memcpy(in->notnull, ct->notnull, (size_t) in->nkeys * sizeof *in->notnull);
	for (int k = 0; k < in->nkeys; k++) {
		const char *name = ct->keys[k];
		int c;

		for (c = 0; c < in->rel->ncols && strcmp(in->rel->cols[c].name, name) != 0; c++)
			;
		if (c == in->rel->ncols)
			return false;
		in->keycol[k] = c;
		in->keytype[k] = in->keytype[in->nkeys + k] = in->rel->cols[c].typoid;
	}
	return true;
}

/* Copies row's key values of res into bound[at..], NULL for a NULL. */
static void
set_bound(struct incr *in, PGresult *res, int row, int at, const int *cols)
{
	for (int k = 0; k < in->nkeys; k++) {
		int c = cols ? cols[k] : k;

		free(in->bound[at + k]);
		in->bound[at + k] = PQgetisnull(res, row, c) ? NULL : xstrdup(PQgetvalue(res, row, c));
	}
}

/* Sets LAST from the table's resume key (a JSON array of strings and nulls); false if it does not fit. */
static bool
resume_after(struct incr *in)
{
	struct json_slice arr = {in->cur.after, strlen(in->cur.after)}, v;
	struct json_iter it;
	struct buf val = BUF_INIT;
	int k = 0;

	json_iter_init(&it, arr);
	while (json_arr_next(&it, &v)) {
		buf_reset(&val);
		if (k == in->nkeys)
			break;
		free(in->bound[k]);
		in->bound[k] = NULL;
		if (json_is_null(v) && !in->notnull[k]) {
			k++;
			continue;
		}
		if (json_type_of(v) != JSON_STRING || !json_str_decode_text(v, &val))
			break;
		in->bound[k++] = xstrdup(buf_cstr(&val));
	}
	buf_free(&val);
	in->have_last = k == in->nkeys;
	return in->have_last;
}

/*
 * Starts the next queued table: its columns, key and largest key.  A
 * table that has gone, lost its key or is empty ends at once.
 */
static void
begin_table(struct tail *t)
{
	struct incr *in = t->incr;
	char err[1024];
	char state[6];
	struct buf max = BUF_INIT;
	struct chunk_table ct;
	PGresult *res;

	in->cur = in->queue[0];
	memmove(in->queue, in->queue + 1, (size_t) --in->nqueue * sizeof *in->queue);
	in->reading = true;
	in->have_last = false;
	in->rows = 0;
	if (!chunk_table(t, in->cur.name, in->cur.filter, &ct, err, sizeof err)) {
		log_warn("incremental snapshot of \"%s\": %s", in->cur.name, err);
		end_table(in);
		return;
	}
	in->oid = ct.oid;
	in->total = ct.reltuples;
	in->rel = catalog_rel(t->sql, &t->types, in->oid, NULL, err, sizeof err, state);
	if (in->rel == NULL)
		fatal(pg_conn_status(t->sql, state), "incremental snapshot: %s", err);
	if (!map_keys(in, &ct)) {
		chunk_table_free(&ct);
		log_warn("incremental snapshot of \"%s\": its key changed", in->cur.name);
		end_table(in);
		return;
	}
	{
		struct chunkq cq = {t->sql,		 in->rel,	ct.relkind,		in->keycol,
							in->notnull, in->nkeys, in->cur.filter, t->o->chunk_size};

		buf_reset(&in->sql_first);
		buf_reset(&in->sql_next);
		chunk_queries(&cq, &in->sql_first, &in->sql_next, &max, &in->sql_shape);
		chunk_lock_query(&cq, &in->sql_lock);
	}
	chunk_table_free(&ct);
	res = PQexecParams(t->sql, buf_cstr(&max), 0, NULL, NULL, NULL, NULL, 0);
	buf_free(&max);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQnfields(res) != in->rel->ncols)
		incr_fail(t, res, "could not read its largest key");
	if (PQntuples(res) == 0) {
		PQclear(res);
		log_info("incremental snapshot of \"%s\": 0 rows", in->cur.name);
		end_table(in);
		return;
	}
	set_bound(in, res, 0, in->nkeys, in->keycol);
	PQclear(res);
	if (in->cur.after && !resume_after(in)) {
		log_warn("incremental snapshot of \"%s\": its key changed", in->cur.name);
		end_table(in);
		return;
	}
	if (in->total > 0)
		log_info("incremental snapshot of \"%s\" started (about %.0f rows, chunks of %d)",
				 in->cur.name, in->total, t->o->chunk_size);
	else
		log_info("incremental snapshot of \"%s\" started (chunks of %d)", in->cur.name,
				 t->o->chunk_size);
	progress_start(&in->pr, t->o->progress, 0);
}

/*
 * A table renamed or with other columns (why) is read again after its
 * last key, under its name now; the snapshot of a dropped one ends.
 */
static void
requeue(struct tail *t, const char *why)
{
	struct incr *in = t->incr;
	struct buf name = BUF_INIT;

	PQclear(PQexec(t->sql, "ROLLBACK"));
	if (!chunk_table_name(t, in->oid, &name))
		log_warn("incremental snapshot of \"%s\": the table was dropped", in->cur.name);
	else {
		log_info("incremental snapshot of \"%s\": %s; going on as \"%s\"", in->cur.name, why,
				 name.data);
		free(in->cur.name);
		in->cur.name = xstrdup(buf_cstr(&name));
		if (in->have_last) {
			buf_reset(&name);
			snapstate_put_key(&name, in->bound, in->nkeys);
			free(in->cur.after);
			in->cur.after = xstrdup(buf_cstr(&name));
		}
		in->queue = xrealloc(in->queue, (size_t) (in->nqueue + 1) * sizeof *in->queue);
		memmove(in->queue + 1, in->queue, (size_t) in->nqueue++ * sizeof *in->queue);
		in->queue[0] = in->cur;
		in->cur.name = in->cur.filter = in->cur.after = NULL;
	}
	end_table(in);
	record_todo(t);
	buf_free(&name);
}

/* Whether results a and b have the same columns, by name and type. */
static bool
same_columns(const PGresult *a, const PGresult *b)
{
	bool same = PQresultStatus(b) == PGRES_TUPLES_OK && PQnfields(a) == PQnfields(b);

	for (int c = 0; same && c < PQnfields(a); c++)
		same = strcmp(PQfname(a, c), PQfname(b, c)) == 0 && PQftype(a, c) == PQftype(b, c);
	return same;
}

/* Whether res failed as the table renamed or dropped (42P01), or a column dropped (42703). */
static bool
gone(const PGresult *res)
{
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);

	return state && (strcmp(state, "42P01") == 0 || strcmp(state, "42703") == 0);
}

/* Reads the next chunk between its two watermarks. */
static void
read_chunk(struct tail *t)
{
	struct incr *in = t->incr;
	struct buf sql = BUF_INIT;
	PGresult *res;
	int n = in->nkeys;

	snprintf(in->id, sizeof in->id, "%d.%lld:%llu", (int) getpid(),
			 (long long) (clock_wall_us() / 1000000), (unsigned long long) ++in->chunks);
	/* The lock first: LOCK takes no snapshot, so the chunk's is taken under it. */
	buf_printf(&sql,
			   "BEGIN ISOLATION LEVEL REPEATABLE READ; %s;"
			   " SELECT pg_catalog.txid_current_snapshot()::text,"
			   " pg_catalog.pg_logical_emit_message(false, '" WATERMARK_PREFIX "', 'open %s')",
			   in->sql_lock.data, in->id);
	res = PQexec(t->sql, buf_cstr(&sql));
	if (gone(res)) {
		buf_free(&sql);
		PQclear(res);
		requeue(t, "the table changed");
		return;
	}
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1 ||
		!xsnap_parse(&in->snap, PQgetvalue(res, 0, 0)))
		incr_fail(t, res, "could not write the low watermark");
	PQclear(res);
	if (in->have_last)
		res = PQexecParams(t->sql, buf_cstr(&in->sql_next), 2 * n, in->keytype,
						   (const char *const *) in->bound, NULL, NULL, 0);
	else
		res = PQexecParams(t->sql, buf_cstr(&in->sql_first), n, in->keytype + n,
						   (const char *const *) in->bound + n, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQnfields(res) != in->rel->ncols) {
		if (!gone(res))
			incr_fail(t, res, "could not read a chunk");
		buf_free(&sql);
		PQclear(res);
		requeue(t, "the table changed");
		return;
	}
	in->chunk = res;
	/* Under the chunk's lock, the table's columns now: one added counts. */
	res = PQexecParams(t->sql, buf_cstr(&in->sql_shape), 0, NULL, NULL, NULL, NULL, 0);
	if (!same_columns(in->chunk, res)) {
		PQclear(in->chunk);
		in->chunk = NULL;
		requeue(t, "its columns changed");
	}
	PQclear(res);
	if (in->chunk == NULL)
		return;
	buf_reset(&sql);
	buf_printf(&sql,
			   "SELECT pg_catalog.pg_logical_emit_message(true, '" WATERMARK_PREFIX
			   "', 'close %s'); COMMIT",
			   in->id);
	res = PQexec(t->sql, buf_cstr(&sql));
	buf_free(&sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		incr_fail(t, res, "could not write the high watermark");
	PQclear(res);
}

/*
 * Whether the next chunk should wait: while more than DRAIN_LEFT bytes
 * written before are unread downstream (a pipe's reader behind).  A
 * streamed change then waits behind one chunk at most, not behind the
 * buffers of every command after this one; and a reader busy with
 * streamed changes gets them first.
 */
static bool
drain_wait(struct tail *t, struct incr *in)
{
	/* A write error is sticky: the stream loop reports it. */
	if (t->out.pending.len)
		(void) out_flush(&t->out);
	in->draining = out_unread(&t->out) > DRAIN_LEFT;
	return in->draining;
}

bool
incr_draining(const struct tail *t)
{
	return t->incr && t->incr->draining;
}

void
incr_step(struct tail *t)
{
	struct incr *in = t->incr;

	if (in == NULL || in->chunk || in->paused || drain_wait(t, in))
		return;
	if (!in->reading && in->nqueue > 0)
		begin_table(t);
	if (in->reading)
		read_chunk(t);
}

/* The key of tuple tup of stream relation r into in->key; false if incomplete. */
static bool
tuple_key(struct incr *in, const struct rel *r, const struct pgo_tuple *tup)
{
	buf_reset(&in->key);
	for (int k = 0; k < in->nkeys; k++) {
		const char *name = in->rel->cols[in->keycol[k]].name;
		int c;

		for (c = 0; c < r->ncols && strcmp(r->cols[c].name, name) != 0; c++)
			;
		if (c == r->ncols || c >= tup->ncols)
			return false;
		if (tup->vals[c].kind == PGO_NULL)
			key_put(&in->key, NULL, 0);
		else if (tup->vals[c].kind == PGO_TEXT)
			key_put(&in->key, tup->vals[c].p, tup->vals[c].n);
		else
			return false;
	}
	return true;
}

/* Whether changes to the table must be remembered now. */
static bool
tracking(const struct incr *in, uint32_t relid)
{
	return in && in->reading && in->oid == relid && (in->chunk || !in->paused);
}

void
incr_on_change(struct tail *t, const struct rel *r, const struct pgo_msg *m)
{
	struct incr *in = t->incr;

	if (!tracking(in, r->oid))
		return;
	if (m->type != PGO_DELETE && tuple_key(in, r, &m->newtup))
		keyset_add(&in->keys, t->txn_xid, in->key.data, in->key.len);
	if (m->type != PGO_INSERT && m->oldkind && tuple_key(in, r, &m->oldtup))
		keyset_add(&in->keys, t->txn_xid, in->key.data, in->key.len);
}

void
incr_on_truncate(struct tail *t, uint32_t relid)
{
	if (tracking(t->incr, relid))
		keyset_add(&t->incr->keys, t->txn_xid, NULL, 0);
}

/* Writes row of the chunk as a change of the transaction being received. */
static void
emit_row(struct tail *t, PGresult *res, int row, const struct pgo_msg *m)
{
	struct incr *in = t->incr;
	struct change_hdr h;
	char err[1024];

	if (!tail_next_change(t, &h, m->lsn))
		return;
	for (int c = 0; c < in->rel->ncols; c++) {
		struct pgo_val *v = &in->tup.vals[c];

		v->kind = PQgetisnull(res, row, c) ? PGO_NULL : PGO_TEXT;
		v->p = PQgetvalue(res, row, c);
		v->n = (size_t) PQgetlength(res, row, c);
	}
	buf_reset(&t->line);
	if (!fmt_change(&t->line, &h, in->rel, 'r', "incremental", NULL, false, &in->tup, err,
					sizeof err))
		fatal(EX_SOFTWARE, "incremental snapshot: %s", err);
	tail_emit(t);
}

/* Marks the rows of res no streamed change overtook in in->keep; returns how many. */
static int
keep_rows(struct incr *in, PGresult *res)
{
	int nrows = PQntuples(res), n = 0;
	bool truncated = keyset_index_unseen(&in->keys, &in->snap);

	in->keep = xrealloc(in->keep, (size_t) (nrows + 1) * sizeof *in->keep);
	for (int row = 0; row < nrows; row++) {
		buf_reset(&in->key);
		for (int k = 0; k < in->nkeys; k++)
			key_put(&in->key,
					PQgetisnull(res, row, in->keycol[k]) ? NULL
														 : PQgetvalue(res, row, in->keycol[k]),
					(size_t) PQgetlength(res, row, in->keycol[k]));
		in->keep[row] = !truncated && !keyset_has(&in->keys, in->key.data, in->key.len);
		n += in->keep[row];
	}
	return n;
}

void
incr_on_watermark(struct tail *t, const struct pgo_msg *m)
{
	struct incr *in = t->incr;
	PGresult *res;
	int nrows, nkeep;
	bool ends;

	if (in == NULL || in->chunk == NULL || m->content_len != 6 + strlen(in->id) ||
		memcmp(m->content, "close ", 6) != 0 ||
		memcmp(m->content + 6, in->id, m->content_len - 6) != 0)
		return;
	res = in->chunk;
	in->chunk = NULL;
	nrows = PQntuples(res);
	nkeep = keep_rows(in, res);
	if (in->tup.cap < in->rel->ncols) {
		free(in->tup.vals);
		in->tup.vals = xcalloc((size_t) in->rel->ncols + 1, sizeof *in->tup.vals);
		in->tup.cap = in->rel->ncols;
	}
	in->tup.ncols = in->rel->ncols;
	if (nrows > 0) {
		set_bound(in, res, nrows - 1, 0, in->keycol);
		in->have_last = true;
	}
	ends = nrows < t->o->chunk_size;
	/* What the rows' last position stands for, before they are written. */
	if (nkeep > 0 && t->o->state_file) {
		struct pos end = {t->txn_commit, t->txn_seq + (uint64_t) nkeep};

		snapstate_record(t, end, ends);
	}
	for (int row = 0; row < nrows; row++)
		if (in->keep[row])
			emit_row(t, res, row, m);
	in->rows += (uint64_t) nkeep;
	t->snap_rows += (uint64_t) nkeep;
	keyset_prune(&in->keys, &in->snap);
	PQclear(res);
	metrics_tick();
	progress_report(&in->pr, in->cur.name, in->rows, in->total, "rows");
	if (ends) {
		progress_end(&in->pr, in->cur.name, in->rows, in->total, "rows");
		log_info("incremental snapshot of \"%s\": %llu rows", in->cur.name,
				 (unsigned long long) in->rows);
		end_table(in);
		if (in->nqueue == 0)
			log_info("incremental snapshots complete");
	}
}

void
incr_state_json(const struct tail *t, bool drop_current, struct buf *out)
{
	const struct incr *in = t->incr;
	bool first = true;

	buf_putc(out, '[');
	if (in && in->reading && !drop_current) {
		snapstate_put_table(out, in->cur.name, in->cur.filter, in->cur.after,
							in->have_last ? in->bound : NULL, in->nkeys);
		first = false;
	}
	for (int i = 0; in && i < in->nqueue; i++) {
		if (!first)
			buf_putc(out, ',');
		snapstate_put_table(out, in->queue[i].name, in->queue[i].filter, in->queue[i].after, NULL,
							0);
		first = false;
	}
	buf_putc(out, ']');
}

bool
incr_state_load(struct tail *t, struct json_slice arr)
{
	struct incr *in = incr_of(t);
	struct json_slice v, f;
	struct json_iter it;
	struct buf name = BUF_INIT, filter = BUF_INIT;
	bool ok = json_type_of(arr) == JSON_ARRAY;

	json_iter_init(&it, arr);
	while (ok && json_arr_next(&it, &v)) {
		struct itable *q;

		buf_reset(&name);
		buf_reset(&filter);
		ok = json_type_of(v) == JSON_OBJECT && json_obj_get(v, "table", &f) &&
			json_type_of(f) == JSON_STRING && json_str_decode_text(f, &name);
		if (ok && json_obj_get(v, "filter", &f) && !json_is_null(f))
			ok = json_type_of(f) == JSON_STRING && json_str_decode_text(f, &filter);
		if (!ok)
			break;
		in->queue = xrealloc(in->queue, (size_t) (in->nqueue + 1) * sizeof *in->queue);
		q = &in->queue[in->nqueue++];
		q->name = xstrdup(buf_cstr(&name));
		q->filter = filter.len ? xstrdup(buf_cstr(&filter)) : NULL;
		q->after = NULL;
		if (json_obj_get(v, "after", &f) && json_type_of(f) == JSON_ARRAY)
			q->after = xstrndup(f.p, f.n);
	}
	buf_free(&name);
	buf_free(&filter);
	return ok;
}

void
incr_free(struct tail *t)
{
	struct incr *in = t->incr;

	if (in == NULL)
		return;
	/* Not incr_stop(): what is left stays as the state file says. */
	for (int i = 0; i < in->nqueue; i++)
		itable_free(&in->queue[i]);
	end_table(in);
	free(in->queue);
	xsnap_free(&in->snap);
	keyset_free(&in->keys);
	free(in->tup.vals);
	free(in->keep);
	buf_free(&in->key);
	buf_free(&in->sql_first);
	buf_free(&in->sql_next);
	buf_free(&in->sql_shape);
	buf_free(&in->sql_lock);
	free(in);
	t->incr = NULL;
}
