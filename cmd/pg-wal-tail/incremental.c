/*
 * incremental.c - incremental snapshots on the watermark method (DBLog).
 *
 * A table is read in chunks of its primary key, while streaming goes on.
 * Each chunk is one short REPEATABLE READ transaction on the ordinary
 * connection:
 *
 *   BEGIN; SELECT txid_current_snapshot(), emit(false, 'open ID');
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
#include "clock.h"
#include "log.h"
#include "metrics.h"
#include "progress.h"

#define TRUNCATED UINT32_MAX	/* kent.len of a truncate */

struct itable {
	char	   *name;			/* SCHEMA.TABLE */
	char	   *filter;			/* SQL condition, or NULL */
};

/* A streamed change's key, and the transaction that wrote it. */
struct kent {
	uint64_t	xid;
	uint32_t	off;
	uint32_t	len;
};

/* A snapshot as txid_current_snapshot() prints it: xmin:xmax:xip,... */
struct xsnap {
	uint64_t	xmin;
	uint64_t	xmax;
	uint64_t   *xip;
	size_t		nxip;
	size_t		cap;
};

struct incr {
	struct itable *queue;		/* tables waiting, in order */
	int			nqueue;
	bool		paused;
	/* The table being read. */
	bool		reading;
	struct itable cur;
	uint32_t	oid;
	struct rel *rel;			/* its columns, from the catalog */
	int			nkeys;
	int		   *keycol;			/* primary key columns in rel */
	Oid		   *keytype;		/* parameter types: key, then key again */
	struct buf	sql_first;		/* the first chunk: key <= MAX */
	struct buf	sql_next;		/* the others: LAST < key <= MAX */
	char	  **bound;			/* LAST then MAX, as text */
	bool		have_last;
	uint64_t	rows;
	double		total;
	struct progress pr;
	/* The chunk in flight, waiting for its high watermark. */
	PGresult   *chunk;
	char		id[64];
	uint64_t	chunks;
	struct xsnap snap;
	/* Keys of the table's streamed changes. */
	struct buf	arena;
	struct kent *ents;
	size_t		nents;
	size_t		cap;
	uint32_t   *hash;			/* index + 1 into ents, open addressing */
	size_t		hcap;
	struct buf	key;
	struct pgo_tuple tup;
};

static struct incr *
incr_of(struct tail *t)
{
	if (t->incr == NULL)
		t->incr = xcalloc(1, sizeof *t->incr);
	return t->incr;
}

bool
incr_active(const struct tail *t)
{
	return t->incr && (t->incr->reading || t->incr->nqueue > 0);
}

static _Noreturn void
incr_fail(struct tail *t, PGresult *res, const char *what)
{
	char		msg[1024];
	int			status = pg_result_status(t->sql, res);

	pg_errmsg(t->sql, res, msg, sizeof msg);
	PQclear(res);
	fatal(status, "incremental snapshot of \"%s\": %s: %s", t->incr->cur.name, what, msg);
}

/* Splits SCHEMA.TABLE (or TABLE, in public) into its two names. */
static void
split_name(const char *name, struct buf *nsp, struct buf *rel)
{
	const char *dot = strchr(name, '.');

	buf_reset(nsp);
	buf_reset(rel);
	if (dot) {
		buf_put(nsp, name, (size_t) (dot - name));
		buf_puts(rel, dot + 1);
	} else {
		buf_puts(nsp, "public");
		buf_puts(rel, name);
	}
	buf_cstr(nsp);
	buf_cstr(rel);
}

static const char table_sql[] =
	"SELECT c.oid, c.reltuples, a.attname, c.relkind"
	" FROM pg_catalog.pg_publication_tables pt"
	" JOIN pg_catalog.pg_namespace n ON n.nspname = pt.schemaname"
	" JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = pt.tablename"
	" LEFT JOIN pg_catalog.pg_index i ON i.indrelid = c.oid AND i.indisprimary"
	" LEFT JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY k(att, n) ON true"
	" LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.att"
	" WHERE pt.pubname = $1 AND pt.schemaname = $2 AND pt.tablename = $3"
	" ORDER BY k.n";

/*
 * Looks name up: in the publication, with a primary key.  Returns the
 * result (one row per key column) or NULL with errbuf; a failed query
 * exits.
 */
static PGresult *
lookup(struct tail *t, const char *name, char *errbuf, size_t errsize)
{
	struct buf	nsp = BUF_INIT,
				rel = BUF_INIT;
	const char *params[3];
	PGresult   *res;

	split_name(name, &nsp, &rel);
	params[0] = t->o->publication;
	params[1] = nsp.data;
	params[2] = rel.data;
	res = PQexecParams(t->sql, table_sql, 3, NULL, params, NULL, NULL, 0);
	buf_free(&nsp);
	buf_free(&rel);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQnfields(res) != 4) {
		char		msg[1024];
		int			status = pg_result_status(t->sql, res);

		pg_errmsg(t->sql, res, msg, sizeof msg);
		PQclear(res);
		fatal(status, "incremental snapshot: could not look up \"%s\": %s", name, msg);
	}
	if (PQntuples(res) == 0)
		snprintf(errbuf, errsize, "table \"%s\" is not in publication \"%s\"", name,
				 t->o->publication);
	else if (PQgetisnull(res, 0, 2))
		snprintf(errbuf, errsize, "table \"%s\" has no primary key: an incremental "
				 "snapshot reads a table in chunks of its primary key", name);
	else
		return res;
	PQclear(res);
	return NULL;
}

bool
incr_add(struct tail *t, const char *table, const char *filter, char *errbuf, size_t errsize)
{
	struct incr *in = incr_of(t);
	PGresult   *res = lookup(t, table, errbuf, errsize);
	struct itable *it;

	if (res == NULL)
		return false;
	PQclear(res);
	in->queue = xrealloc(in->queue, (size_t) (in->nqueue + 1) * sizeof *in->queue);
	it = &in->queue[in->nqueue++];
	it->name = xstrdup(table);
	it->filter = filter ? xstrdup(filter) : NULL;
	log_info("incremental snapshot of \"%s\" queued%s%s", table, filter ? " where " : "",
			 filter ? filter : "");
	return true;
}

static void
itable_free(struct itable *it)
{
	free(it->name);
	free(it->filter);
	it->name = it->filter = NULL;
}

/* Ends the table being read: what it holds is dropped. */
static void
end_table(struct incr *in)
{
	int			i;

	if (!in->reading)
		return;
	in->reading = false;
	PQclear(in->chunk);
	in->chunk = NULL;
	in->id[0] = '\0';
	for (i = 0; i < 2 * in->nkeys; i++)
		free(in->bound[i]);
	free(in->bound);
	free(in->keycol);
	free(in->keytype);
	in->bound = NULL;
	in->keycol = NULL;
	in->keytype = NULL;
	rel_free(in->rel);
	in->rel = NULL;
	itable_free(&in->cur);
	in->nents = 0;
	buf_reset(&in->arena);
}

void
incr_stop(struct tail *t, const char *table)
{
	struct incr *in = incr_of(t);
	int			i,
				n = 0;

	for (i = 0; i < in->nqueue; i++) {
		if (table == NULL || strcmp(in->queue[i].name, table) == 0)
			itable_free(&in->queue[i]);
		else
			in->queue[n++] = in->queue[i];
	}
	in->nqueue = n;
	if (in->reading && (table == NULL || strcmp(in->cur.name, table) == 0)) {
		log_info("incremental snapshot of \"%s\" stopped after %llu rows", in->cur.name,
				 (unsigned long long) in->rows);
		end_table(in);
	}
}

void
incr_pause(struct tail *t, bool pause)
{
	struct incr *in = incr_of(t);

	if (in->paused != pause)
		log_info("incremental snapshots %s", pause ? "paused" : "resumed");
	in->paused = pause;
}

/* Appends "a", "b" (quoted identifiers of the key columns) to b. */
static void
put_keys(struct tail *t, struct buf *b, const char *suffix)
{
	for (int i = 0; i < t->incr->nkeys; i++) {
		const char *name = t->incr->rel->cols[t->incr->keycol[i]].name;
		char	   *q = PQescapeIdentifier(t->sql, name, strlen(name));

		buf_printf(b, "%s%s%s", i ? ", " : "", q, suffix);
		PQfreemem(q);
	}
}

/* ($from, ..., $from + nkeys - 1) */
static void
put_params(struct buf *b, int nkeys, int from)
{
	buf_putc(b, '(');
	for (int i = 0; i < nkeys; i++)
		buf_printf(b, "%s$%d", i ? ", " : "", from + i);
	buf_putc(b, ')');
}

/* SELECT cols FROM [ONLY] table: the start of every query on it. */
static void
put_select(struct tail *t, struct buf *b, char relkind)
{
	struct rel *r = t->incr->rel;
	char	   *q;

	buf_reset(b);
	buf_puts(b, "SELECT ");
	for (int i = 0; i < r->ncols; i++) {
		q = PQescapeIdentifier(t->sql, r->cols[i].name, strlen(r->cols[i].name));
		buf_printf(b, "%s%s", i ? ", " : "", q);
		PQfreemem(q);
	}
	q = PQescapeIdentifier(t->sql, r->nspname, strlen(r->nspname));
	buf_printf(b, " FROM %s%s.", relkind == 'p' ? "" : "ONLY ", q);
	PQfreemem(q);
	q = PQescapeIdentifier(t->sql, r->relname, strlen(r->relname));
	buf_puts(b, q);
	PQfreemem(q);
}

/* The chunk queries, and the one that finds the largest key (in *max). */
static void
build_queries(struct tail *t, char relkind, struct buf *max)
{
	struct incr *in = t->incr;
	int			n = in->nkeys;
	char		limit[64];

	snprintf(limit, sizeof limit, " LIMIT %d", t->o->chunk_size);
	put_select(t, &in->sql_first, relkind);
	put_select(t, &in->sql_next, relkind);
	put_select(t, max, relkind);
	buf_puts(&in->sql_first, " WHERE (");
	put_keys(t, &in->sql_first, "");
	buf_puts(&in->sql_first, ") <= ");
	put_params(&in->sql_first, n, 1);
	buf_puts(&in->sql_next, " WHERE (");
	put_keys(t, &in->sql_next, "");
	buf_puts(&in->sql_next, ") > ");
	put_params(&in->sql_next, n, 1);
	buf_puts(&in->sql_next, " AND (");
	put_keys(t, &in->sql_next, "");
	buf_puts(&in->sql_next, ") <= ");
	put_params(&in->sql_next, n, n + 1);
	buf_puts(max, " WHERE true");
	if (in->cur.filter) {
		buf_printf(&in->sql_first, " AND (%s)", in->cur.filter);
		buf_printf(&in->sql_next, " AND (%s)", in->cur.filter);
		buf_printf(max, " AND (%s)", in->cur.filter);
	}
	buf_puts(&in->sql_first, " ORDER BY ");
	put_keys(t, &in->sql_first, "");
	buf_puts(&in->sql_first, limit);
	buf_puts(&in->sql_next, " ORDER BY ");
	put_keys(t, &in->sql_next, "");
	buf_puts(&in->sql_next, limit);
	buf_puts(max, " ORDER BY ");
	put_keys(t, max, " DESC");
	buf_puts(max, " LIMIT 1");
}

/* Where the columns named in the lookup's rows are in rel; false if one is not. */
static bool
map_keys(struct incr *in, PGresult *keys)
{
	in->nkeys = PQntuples(keys);
	in->keycol = xcalloc((size_t) in->nkeys, sizeof *in->keycol);
	in->keytype = xcalloc((size_t) in->nkeys * 2, sizeof *in->keytype);
	in->bound = xcalloc((size_t) in->nkeys * 2, sizeof *in->bound);
	for (int k = 0; k < in->nkeys; k++) {
		const char *name = PQgetvalue(keys, k, 2);
		int			c;

		for (c = 0; c < in->rel->ncols && strcmp(in->rel->cols[c].name, name) != 0; c++)
			;
		if (c == in->rel->ncols)
			return false;
		in->keycol[k] = c;
		in->keytype[k] = in->keytype[in->nkeys + k] = in->rel->cols[c].typoid;
	}
	return true;
}

/* Copies row's key values of res into bound[at..]. */
static void
set_bound(struct incr *in, PGresult *res, int row, int at, const int *cols)
{
	for (int k = 0; k < in->nkeys; k++) {
		free(in->bound[at + k]);
		in->bound[at + k] = xstrdup(PQgetvalue(res, row, cols ? cols[k] : k));
	}
}

/*
 * Starts the next queued table: its columns, key and largest key.  A
 * table that has gone, lost its key or is empty ends at once.
 */
static void
begin_table(struct tail *t)
{
	struct incr *in = t->incr;
	char		err[1024];
	char		state[6];
	struct buf	max = BUF_INIT;
	PGresult   *keys,
			   *res;
	char		relkind = 'r';

	in->cur = in->queue[0];
	memmove(in->queue, in->queue + 1, (size_t) --in->nqueue * sizeof *in->queue);
	in->reading = true;
	in->have_last = false;
	in->rows = 0;
	keys = lookup(t, in->cur.name, err, sizeof err);
	if (keys == NULL) {
		log_warn("incremental snapshot of \"%s\": %s", in->cur.name, err);
		end_table(in);
		return;
	}
	in->oid = (uint32_t) strtoul(PQgetvalue(keys, 0, 0), NULL, 10);
	in->total = strtod(PQgetvalue(keys, 0, 1), NULL);
	relkind = PQgetvalue(keys, 0, 3)[0];
	in->rel = catalog_rel(t->sql, &t->types, in->oid, NULL, err, sizeof err, state);
	if (in->rel == NULL)
		fatal(pg_status_for_sqlstate(state), "incremental snapshot: %s", err);
	if (!map_keys(in, keys)) {
		PQclear(keys);
		log_warn("incremental snapshot of \"%s\": its key changed", in->cur.name);
		end_table(in);
		return;
	}
	PQclear(keys);
	build_queries(t, relkind, &max);
	res = PQexec(t->sql, buf_cstr(&max));
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
	log_info("incremental snapshot of \"%s\" started (about %.0f rows, chunks of %d)",
			 in->cur.name, in->total > 0 ? in->total : 0, t->o->chunk_size);
	progress_start(&in->pr, t->o->progress, 0);
}

/* Parses txid_current_snapshot()'s text: xmin:xmax:xip,xip,... */
static bool
parse_snapshot(struct xsnap *s, const char *txt)
{
	char	   *end;

	s->nxip = 0;
	s->xmin = strtoull(txt, &end, 10);
	if (*end != ':')
		return false;
	s->xmax = strtoull(end + 1, &end, 10);
	if (*end != ':')
		return false;
	while (*++end) {
		if (s->nxip == s->cap) {
			s->cap = s->cap ? 2 * s->cap : 16;
			s->xip = xrealloc(s->xip, s->cap * sizeof *s->xip);
		}
		s->xip[s->nxip++] = strtoull(end, &end, 10);
		if (*end != ',' && *end != '\0')
			return false;
		if (*end == '\0')
			break;
	}
	return true;
}

/* Whether the snapshot sees the (32-bit, streamed) transaction xid. */
static bool
snap_sees(const struct xsnap *s, uint32_t xid)
{
	uint64_t	x = (s->xmax & ~UINT64_C(0xffffffff)) | xid;

	if (x > s->xmax && x >= UINT64_C(1) << 32)
		x -= UINT64_C(1) << 32;
	if (x < s->xmin)
		return true;
	if (x >= s->xmax)
		return false;
	for (size_t i = 0; i < s->nxip; i++)
		if (s->xip[i] == x)
			return false;
	return true;
}

/* Reads the next chunk between its two watermarks. */
static void
read_chunk(struct tail *t)
{
	struct incr *in = t->incr;
	struct buf	sql = BUF_INIT;
	PGresult   *res;
	int			n = in->nkeys;

	snprintf(in->id, sizeof in->id, "%d.%lld:%llu", (int) getpid(),
			 (long long) (clock_wall_us() / 1000000), (unsigned long long) ++in->chunks);
	buf_printf(&sql, "BEGIN ISOLATION LEVEL REPEATABLE READ;"
			   " SELECT pg_catalog.txid_current_snapshot()::text,"
			   " pg_catalog.pg_logical_emit_message(false, '" WATERMARK_PREFIX "', 'open %s')",
			   in->id);
	res = PQexec(t->sql, buf_cstr(&sql));
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1 ||
		!parse_snapshot(&in->snap, PQgetvalue(res, 0, 0)))
		incr_fail(t, res, "could not write the low watermark");
	PQclear(res);
	if (in->have_last)
		res = PQexecParams(t->sql, buf_cstr(&in->sql_next), 2 * n, in->keytype,
						   (const char *const *) in->bound, NULL, NULL, 0);
	else
		res = PQexecParams(t->sql, buf_cstr(&in->sql_first), n, in->keytype + n,
						   (const char *const *) in->bound + n, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQnfields(res) != in->rel->ncols)
		incr_fail(t, res, "could not read a chunk");
	in->chunk = res;
	buf_reset(&sql);
	buf_printf(&sql, "SELECT pg_catalog.pg_logical_emit_message(true, '" WATERMARK_PREFIX
			   "', 'close %s'); COMMIT", in->id);
	res = PQexec(t->sql, buf_cstr(&sql));
	buf_free(&sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		incr_fail(t, res, "could not write the high watermark");
	PQclear(res);
}

void
incr_step(struct tail *t)
{
	struct incr *in = t->incr;

	if (in == NULL || in->chunk || in->paused)
		return;
	if (!in->reading && in->nqueue > 0)
		begin_table(t);
	if (in->reading)
		read_chunk(t);
}

/* Appends one key value (length, bytes) to the key being built. */
static void
key_put(struct buf *key, const char *p, size_t n)
{
	uint32_t	len = (uint32_t) n;

	buf_put(key, (const char *) &len, sizeof len);
	buf_put(key, p, n);
}

static void
remember(struct incr *in, uint64_t xid, const char *p, uint32_t len)
{
	struct kent *e;

	if (in->nents == in->cap) {
		in->cap = in->cap ? 2 * in->cap : 256;
		in->ents = xrealloc(in->ents, in->cap * sizeof *in->ents);
	}
	e = &in->ents[in->nents++];
	e->xid = xid;
	e->off = (uint32_t) in->arena.len;
	e->len = len;
	if (len != TRUNCATED)
		buf_put(&in->arena, p, len);
}

/* The key of tuple tup of stream relation r into in->key; false if incomplete. */
static bool
tuple_key(struct incr *in, const struct rel *r, const struct pgo_tuple *tup)
{
	buf_reset(&in->key);
	for (int k = 0; k < in->nkeys; k++) {
		const char *name = in->rel->cols[in->keycol[k]].name;
		int			c;

		for (c = 0; c < r->ncols && strcmp(r->cols[c].name, name) != 0; c++)
			;
		if (c == r->ncols || c >= tup->ncols || tup->vals[c].kind != PGO_TEXT)
			return false;
		key_put(&in->key, tup->vals[c].p, tup->vals[c].n);
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
		remember(in, t->txn_xid, in->key.data, (uint32_t) in->key.len);
	if (m->type != PGO_INSERT && m->oldkind && tuple_key(in, r, &m->oldtup))
		remember(in, t->txn_xid, in->key.data, (uint32_t) in->key.len);
}

void
incr_on_truncate(struct tail *t, uint32_t relid)
{
	if (tracking(t->incr, relid))
		remember(t->incr, t->txn_xid, NULL, TRUNCATED);
}

static uint32_t
hash_bytes(const char *p, size_t n)
{
	uint32_t	h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char) p[i]) * 16777619u;
	return h;
}

/*
 * Indexes the remembered keys the chunk's snapshot does not see; true if
 * one of them is a truncate.
 */
static bool
index_unseen(struct incr *in)
{
	bool		truncated = false;

	if (in->hcap < 2 * in->nents + 2) {
		while (in->hcap < 2 * in->nents + 2)
			in->hcap = in->hcap ? 2 * in->hcap : 1024;
		free(in->hash);
		in->hash = xcalloc(in->hcap, sizeof *in->hash);
	} else
		memset(in->hash, 0, in->hcap * sizeof *in->hash);
	for (size_t i = 0; i < in->nents; i++) {
		struct kent *e = &in->ents[i];
		size_t		h;

		if (snap_sees(&in->snap, (uint32_t) e->xid))
			continue;
		if (e->len == TRUNCATED) {
			truncated = true;
			continue;
		}
		h = hash_bytes(in->arena.data + e->off, e->len) & (in->hcap - 1);
		while (in->hash[h])
			h = (h + 1) & (in->hcap - 1);
		in->hash[h] = (uint32_t) i + 1;
	}
	return truncated;
}

static bool
unseen_has(const struct incr *in, const char *p, size_t n)
{
	size_t		h = hash_bytes(p, n) & (in->hcap - 1);

	for (; in->hash[h]; h = (h + 1) & (in->hcap - 1)) {
		const struct kent *e = &in->ents[in->hash[h] - 1];

		if (e->len == n && memcmp(in->arena.data + e->off, p, n) == 0)
			return true;
	}
	return false;
}

/* Keeps only what the chunk's snapshot did not see: a later one may not either. */
static void
prune(struct incr *in)
{
	struct buf	arena = BUF_INIT;
	size_t		n = 0;

	for (size_t i = 0; i < in->nents; i++) {
		struct kent e = in->ents[i];

		if (snap_sees(&in->snap, (uint32_t) e.xid))
			continue;
		if (e.len != TRUNCATED) {
			buf_put(&arena, in->arena.data + e.off, e.len);
			e.off = (uint32_t) (arena.len - e.len);
		}
		in->ents[n++] = e;
	}
	in->nents = n;
	buf_free(&in->arena);
	in->arena = arena;
}

/* Writes row of the chunk as a change of the transaction being received. */
static void
emit_row(struct tail *t, PGresult *res, int row, const struct pgo_msg *m)
{
	struct incr *in = t->incr;
	struct change_hdr h;
	char		err[1024];

	if (!tail_next_change(t, &h, m->lsn))
		return;
	for (int c = 0; c < in->rel->ncols; c++) {
		struct pgo_val *v = &in->tup.vals[c];

		v->kind = PQgetisnull(res, row, c) ? PGO_NULL : PGO_TEXT;
		v->p = PQgetvalue(res, row, c);
		v->n = (size_t) PQgetlength(res, row, c);
	}
	buf_reset(&t->line);
	if (!fmt_change(&t->line, &h, in->rel, 'r', "incremental", NULL, false, &in->tup,
					err, sizeof err))
		fatal(EX_SOFTWARE, "incremental snapshot: %s", err);
	tail_emit(t);
}

void
incr_on_watermark(struct tail *t, const struct pgo_msg *m)
{
	struct incr *in = t->incr;
	PGresult   *res;
	int			nrows,
				row;
	bool		truncated;
	uint64_t	before;

	if (in == NULL || in->chunk == NULL || m->content_len != 6 + strlen(in->id) ||
		memcmp(m->content, "close ", 6) != 0 ||
		memcmp(m->content + 6, in->id, m->content_len - 6) != 0)
		return;
	res = in->chunk;
	in->chunk = NULL;
	nrows = PQntuples(res);
	truncated = index_unseen(in);
	if (in->tup.cap < in->rel->ncols) {
		free(in->tup.vals);
		in->tup.vals = xcalloc((size_t) in->rel->ncols + 1, sizeof *in->tup.vals);
		in->tup.cap = in->rel->ncols;
	}
	in->tup.ncols = in->rel->ncols;
	before = in->rows;
	for (row = 0; row < nrows && !truncated; row++) {
		buf_reset(&in->key);
		for (int k = 0; k < in->nkeys; k++)
			key_put(&in->key, PQgetvalue(res, row, in->keycol[k]),
					(size_t) PQgetlength(res, row, in->keycol[k]));
		if (unseen_has(in, in->key.data, in->key.len))
			continue;
		emit_row(t, res, row, m);
		in->rows++;
	}
	t->snap_rows += in->rows - before;
	prune(in);
	if (nrows > 0) {
		set_bound(in, res, nrows - 1, 0, in->keycol);
		in->have_last = true;
	}
	PQclear(res);
	metrics_tick();
	progress_report(&in->pr, in->cur.name, in->rows, in->total, "rows");
	if (nrows < t->o->chunk_size) {
		progress_end(&in->pr, in->cur.name, in->rows, in->total, "rows");
		log_info("incremental snapshot of \"%s\": %llu rows", in->cur.name,
				 (unsigned long long) in->rows);
		end_table(in);
	}
}

void
incr_free(struct tail *t)
{
	struct incr *in = t->incr;

	if (in == NULL)
		return;
	incr_stop(t, NULL);
	free(in->queue);
	free(in->snap.xip);
	free(in->ents);
	free(in->hash);
	free(in->tup.vals);
	buf_free(&in->arena);
	buf_free(&in->key);
	buf_free(&in->sql_first);
	buf_free(&in->sql_next);
	free(in);
	t->incr = NULL;
}
