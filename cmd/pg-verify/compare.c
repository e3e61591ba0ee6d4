/*
 * compare.c - chunked comparison of one table with its replica.
 *
 * 1. Boundaries: every chunk_rows-th key of the source, read in key order
 *    (or, for a large table, from a block sample), cut the key space into
 *    chunks both sides can address with width_bucket().
 * 2. Both servers hash every chunk in one statement each, at the same
 *    time: count(*) and the sum of a 64-bit hash of each row (verify.h).
 * 3. Only for the chunks whose count or sum differ, both send the key and
 *    the hash of each row, in the "C" order of the key's text (the same
 *    text on both sides for the same key, whatever type stores it); a
 *    merge of the two lists names each key missing, extra or differing.
 * 4. Step 3 is repeated for those chunks after a pause, up to --recheck
 *    times while differences remain; a key is reported only if every
 *    reading found it differing.
 */
#include "verify.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "json.h"
#include "log.h"
#include "pgutil.h"
#include "sig.h"

struct bounds {
	int n;
	char **lit[2]; /* ROW('v'::type, ...) for each boundary,
								 * typed for the source [0] and the replica [1] */
};

struct chunkhash {
	int64_t count;
	char *sum;
};

struct diff {
	char *mkey; /* the text the key is matched by */
	char *key;	/* the key as a JSON object */
	char kind;	/* m missing, e extra, d differs */
	int chunk;
};

struct diffs {
	struct diff *v;
	int n;
	int cap;
};

int
query_status(PGconn *conn, const PGresult *res)
{
	const char *st = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

	/* No such table, or no such schema. */
	if (st && (strcmp(st, "42P01") == 0 || strcmp(st, "3F000") == 0))
		return EX_DATAERR;
	return pg_result_status(conn, res);
}

/*
 * Waits until conn has a result ready, and on a signal cancels the
 * statement running there, once: a long hash stops at once, not when it
 * is done.
 */
static void
wait_ready(PGconn *conn, bool *cancelled)
{
	while (PQisBusy(conn)) {
		struct pollfd p = {PQsocket(conn), POLLIN, 0};

		if (sig_stop && !*cancelled) {
			PGcancel *c = PQgetCancel(conn);
			char err[256];

			if (c)
				(void) PQcancel(c, err, sizeof err);
			PQfreeCancel(c);
			*cancelled = true;
		}
		if (poll(&p, 1, 100) < 0 && errno != EINTR)
			return;
		if (!PQconsumeInput(conn))
			return;
	}
}

static PGresult *
collect(PGconn *conn, bool sent)
{
	PGresult *res = NULL, *r;
	bool cancelled = false;

	if (!sent)
		return NULL;
	for (;;) {
		wait_ready(conn, &cancelled);
		if ((r = PQgetResult(conn)) == NULL)
			break;
		if (res == NULL)
			res = r;
		else
			PQclear(r);
	}
	return res;
}

PGresult *
exec_one(PGconn *conn, const char *sql)
{
	return collect(conn, PQsendQuery(conn, sql) == 1);
}

static bool
result_ok(const PGresult *res)
{
	ExecStatusType st = PQresultStatus(res);

	return res && (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK);
}

int
exec_both(PGconn *src, const char *sql_src, PGconn *rep, const char *sql_rep, PGresult **rs,
		  PGresult **rr, const char *what, char *errbuf, size_t errsize)
{
	bool s_sent = PQsendQuery(src, sql_src) == 1;
	bool r_sent = PQsendQuery(rep, sql_rep) == 1;
	PGconn *bad = NULL;
	PGresult *badres = NULL;
	char msg[512];
	int status;

	*rs = collect(src, s_sent);
	*rr = collect(rep, r_sent);
	if (sig_stop) {
		snprintf(errbuf, errsize, "stopped by signal");
		PQclear(*rs);
		PQclear(*rr);
		*rs = *rr = NULL;
		return EX_TEMPFAIL;
	}
	if (!result_ok(*rs))
		bad = src, badres = *rs;
	else if (!result_ok(*rr))
		bad = rep, badres = *rr;
	if (bad == NULL)
		return 0;
	status = query_status(bad, badres);
	snprintf(errbuf, errsize, "%s on the %s: %s", what, bad == src ? "source" : "replica",
			 pg_errmsg(bad, badres, msg, sizeof msg));
	PQclear(*rs);
	PQclear(*rr);
	*rs = *rr = NULL;
	return status;
}

/*
 * ROW(k1, k2, ...) of the key expressions; a single key column stands
 * alone, which width_bucket() compares five times faster than a record.
 */
static void
put_key_row(struct buf *q, const struct vtable *t, bool replica)
{
	int i;

	if (t->nkeys == 1) {
		buf_puts(q, replica ? t->cols[t->keys[0]].key_rep : t->cols[t->keys[0]].key_src);
		return;
	}
	buf_puts(q, "ROW(");
	for (i = 0; i < t->nkeys; i++)
		buf_printf(q, "%s%s", i ? ", " : "",
				   replica ? t->cols[t->keys[i]].key_rep : t->cols[t->keys[i]].key_src);
	buf_putc(q, ')');
}

/* The 64-bit hash of the compared columns of a row, for one side. */
static void
put_row_hash(struct buf *q, const struct vtable *t, bool replica)
{
	int i, n = 0;

	buf_puts(q, t->record_hash ? "hash_record_extended(ROW(" : "hashtextextended(ROW(");
	for (i = 0; i < t->ncols; i++) {
		const struct vcol *c = &t->cols[i];

		const char *e = replica ? c->expr_rep : c->expr_src;

		if (!c->on_replica)
			continue;
		buf_printf(q, "%s%s", n++ ? ", " : "", e);
		/*
		 * numeric hashes NaN and both infinities as the seed: a seed
		 * other than 0 (NULL's hash) and their order against Infinity
		 * tell the four apart, at the cost of one comparison.
		 */
		if (c->nan_flag && t->record_hash)
			buf_printf(q, ", numeric_cmp(%s, 'Infinity')", e);
	}
	buf_puts(q, t->record_hash ? "), 1)" : ")::text, 0)");
}

static void
bounds_free(struct bounds *b)
{
	int i, side;

	for (side = 0; side < 2; side++) {
		for (i = 0; i < b->n; i++)
			free(b->lit[side][i]);
		free(b->lit[side]);
		b->lit[side] = NULL;
	}
	b->n = 0;
}

/* ROW('v'::type, ...) for row r of res, typed for one side, as put_key_row(). */
static char *
bound_literal(PGconn *conn, const struct vtable *t, PGresult *res, int r, bool replica)
{
	struct buf lit = BUF_INIT;
	int i;

	buf_puts(&lit, t->nkeys == 1 ? "(" : "ROW(");
	for (i = 0; i < t->nkeys; i++) {
		const struct vcol *c = &t->cols[t->keys[i]];
		char *esc = PQescapeLiteral(conn, PQgetvalue(res, r, i), (size_t) PQgetlength(res, r, i));

		buf_printf(&lit, "%s%s::%s", i ? ", " : "", esc ? esc : "NULL",
				   replica ? c->cmp_rep : c->cmp_src);
		PQfreemem(esc);
	}
	buf_putc(&lit, ')');
	return (char *) buf_cstr(&lit);
}

/* Appends row r of res to the boundaries, unless it repeats the last. */
static void
bounds_add(struct bounds *b, PGconn *conn, const struct vtable *t, PGresult *res, int r)
{
	char *src = bound_literal(conn, t, res, r, false);
	int side;

	if (b->n && strcmp(b->lit[0][b->n - 1], src) == 0) {
		free(src);
		return;
	}
	for (side = 0; side < 2; side++)
		b->lit[side] = xrealloc(b->lit[side], (size_t) (b->n + 1) * sizeof *b->lit[side]);
	b->lit[0][b->n] = src;
	b->lit[1][b->n++] = bound_literal(conn, t, res, r, true);
}

/*
 * Reads the boundaries from the source: exactly every chunk_rows-th key
 * for a table of up to 50 chunks (or one never analyzed), else from a
 * block sample of four pages a chunk.  Rows of one page often hold
 * neighbouring keys, so it is the number of pages, not of rows, that
 * makes the chunks even.
 */
static int
read_bounds(PGconn *src, const struct vtable *t, const struct vopts *o, struct bounds *b,
			char *errbuf, size_t errsize)
{
	struct buf q = BUF_INIT;
	PGresult *res;
	double chunks = t->est_rows / (double) o->chunk_rows;
	int i, step = 1, status = 0;
	char msg[512];
	bool sample = chunks > 50 && !t->partitioned;

	if (t->est_rows <= (double) o->chunk_rows) {
		/* Statistics may be stale: a single chunk only if it really is one. */
		buf_printf(&q, "SELECT count(*) FROM (SELECT FROM %s LIMIT %lld) s", t->from_src,
				   (long long) o->chunk_rows + 1);
		res = exec_one(src, buf_cstr(&q));
		if (PQresultStatus(res) == PGRES_TUPLES_OK &&
			atoll(PQgetvalue(res, 0, 0)) <= o->chunk_rows) {
			PQclear(res);
			buf_free(&q);
			return 0;
		}
		PQclear(res);
		sample = false;
	}
again:
	buf_reset(&q);
	buf_puts(&q, "SELECT ");
	for (i = 0; i < t->nkeys; i++)
		buf_printf(&q, "%sk%d::text", i ? ", " : "", i);
	buf_puts(&q, " FROM (SELECT ");
	for (i = 0; i < t->nkeys; i++)
		buf_printf(&q, "%s AS k%d, ", t->cols[t->keys[i]].key_src, i);
	if (sample) {
		double pct = t->est_pages > 0 ? 100.0 * chunks * 4.0 / t->est_pages : 100;

		buf_printf(&q, "0 AS rn FROM %s TABLESAMPLE SYSTEM (%.6f)) s ORDER BY ", t->from_src,
				   pct < 100 ? pct : 100);
		for (i = 0; i < t->nkeys; i++)
			buf_printf(&q, "%ss.k%d", i ? ", " : "", i); /* not the text */
	} else {
		buf_puts(&q, "row_number() OVER (ORDER BY ");
		for (i = 0; i < t->nkeys; i++)
			buf_printf(&q, "%s%s", i ? ", " : "", t->cols[t->keys[i]].key_src);
		buf_printf(&q, ") AS rn FROM %s) s WHERE rn %% %lld = 0 ORDER BY rn", t->from_src,
				   (long long) o->chunk_rows);
	}
	res = exec_one(src, buf_cstr(&q));
	if (sig_stop) {
		PQclear(res);
		buf_free(&q);
		snprintf(errbuf, errsize, "stopped by signal");
		return EX_TEMPFAIL;
	}
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		status = query_status(src, res);
		snprintf(errbuf, errsize, "could not read the key boundaries of %s: %s", t->source,
				 pg_errmsg(src, res, msg, sizeof msg));
		PQclear(res);
		buf_free(&q);
		return status;
	}
	if (sample && PQntuples(res) < chunks * 2) {
		/* Too few blocks for a sample: read the keys in order instead. */
		PQclear(res);
		sample = false;
		goto again;
	}
	if (sample)
		step = (int) (PQntuples(res) / chunks) > 1 ? (int) (PQntuples(res) / chunks) : 1;
	for (i = step - 1; i < PQntuples(res); i += step)
		bounds_add(b, src, t, res, i);
	PQclear(res);
	buf_free(&q);
	return 0;
}

/* The statement that hashes every chunk on one side. */
static void
chunk_sql(struct buf *q, const struct vtable *t, const struct bounds *b, bool replica)
{
	int i;

	buf_reset(q);
	buf_puts(q, "SELECT ");
	if (b->n == 0)
		buf_puts(q, "0");
	else {
		buf_puts(q, "width_bucket(");
		put_key_row(q, t, replica);
		buf_puts(q, ", ARRAY[");
		for (i = 0; i < b->n; i++)
			buf_printf(q, "%s%s", i ? ", " : "", b->lit[replica][i]);
		buf_puts(q, "])");
	}
	buf_puts(q, ", count(*), coalesce(sum(");
	put_row_hash(q, t, replica);
	buf_printf(q, "), 0)::text FROM %s", replica ? t->from_rep : t->from_src);
	if (b->n)
		buf_puts(q, " GROUP BY 1");
}

static void
read_chunks(PGresult *res, struct chunkhash *h, int nchunks, int64_t *rows)
{
	int i;

	for (i = 0; i < PQntuples(res); i++) {
		int c = atoi(PQgetvalue(res, i, 0));

		if (c < 0 || c >= nchunks)
			continue;
		h[c].count = atoll(PQgetvalue(res, i, 1));
		h[c].sum = PQgetvalue(res, i, 2);
		*rows += h[c].count;
	}
}

/*
 * The statement that lists one chunk's rows on one side: the text the
 * key is matched by (the same on both sides for the same key, whatever
 * its type there), the key as JSON, and the row's hash.
 */
static void
rows_sql(struct buf *q, const struct vtable *t, const struct bounds *b, int chunk, bool replica)
{
	int i;

	buf_reset(q);
	buf_puts(q, t->nkeys == 1 ? "SELECT " : "SELECT json_build_array(");
	for (i = 0; i < t->nkeys; i++) {
		const struct vcol *c = &t->cols[t->keys[i]];

		buf_printf(q, "%s%s", i ? ", " : "", replica ? c->text_rep : c->text_src);
	}
	buf_puts(q,
			 t->nkeys == 1 ? " COLLATE \"C\", json_build_object("
						   : ")::text COLLATE \"C\", json_build_object(");
	for (i = 0; i < t->nkeys; i++) {
		const struct vcol *c = &t->cols[t->keys[i]];
		struct buf name = BUF_INIT;

		/* The name as an SQL literal: 'na''me'. */
		buf_putc(&name, '\'');
		for (const char *p = c->name; *p; p++) {
			if (*p == '\'')
				buf_putc(&name, '\'');
			buf_putc(&name, *p);
		}
		buf_putc(&name, '\'');
		buf_printf(q, "%s%s, %s", i ? ", " : "", buf_cstr(&name), c->qname);
		buf_free(&name);
	}
	buf_puts(q, ")::text, ");
	put_row_hash(q, t, replica);
	buf_printf(q, "::text FROM %s", replica ? t->from_rep : t->from_src);
	if (b->n && chunk > 0) {
		buf_puts(q, " WHERE ");
		put_key_row(q, t, replica);
		buf_printf(q, " >= %s", b->lit[replica][chunk - 1]);
	}
	if (b->n && chunk < b->n) {
		buf_puts(q, chunk > 0 ? " AND " : " WHERE ");
		put_key_row(q, t, replica);
		buf_printf(q, " < %s", b->lit[replica][chunk]);
	}
	buf_puts(q, " ORDER BY 1");
}

static void
diffs_add(struct diffs *d, const char *mkey, const char *key, char kind, int chunk)
{
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 16;
		d->v = xrealloc(d->v, (size_t) d->cap * sizeof *d->v);
	}
	d->v[d->n].mkey = xstrdup(mkey);
	d->v[d->n].key = xstrdup(key);
	d->v[d->n].kind = kind;
	d->v[d->n++].chunk = chunk;
}

static void
diffs_clear(struct diffs *d)
{
	int i;

	for (i = 0; i < d->n; i++) {
		free(d->v[i].mkey);
		free(d->v[i].key);
	}
	d->n = 0;
}

/*
 * Merges the two row lists of one chunk, sorted by the key's text, into
 * d; a key is named by the source's JSON of it, or the replica's for an
 * extra row.
 */
static void
merge_rows(PGresult *rs, PGresult *rr, int chunk, struct diffs *d)
{
	int i = 0, j = 0, ns = PQntuples(rs), nr = PQntuples(rr);

	while (i < ns || j < nr) {
		int cmp = i == ns ? 1 : j == nr ? -1 : strcmp(PQgetvalue(rs, i, 0), PQgetvalue(rr, j, 0));

		if (cmp < 0)
			diffs_add(d, PQgetvalue(rs, i, 0), PQgetvalue(rs, i, 1), 'm', chunk), i++;
		else if (cmp > 0)
			diffs_add(d, PQgetvalue(rr, j, 0), PQgetvalue(rr, j, 1), 'e', chunk), j++;
		else {
			if (strcmp(PQgetvalue(rs, i, 2), PQgetvalue(rr, j, 2)) != 0)
				diffs_add(d, PQgetvalue(rs, i, 0), PQgetvalue(rs, i, 1), 'd', chunk);
			i++, j++;
		}
	}
}

/*
 * Keeps in d only the keys that prev holds too: a check again confirms
 * the keys it was made for, and a key that differs for the first time
 * (a change the replica has not applied yet) has not been checked again.
 * Both lists are in chunk order, and by the key's text within a chunk.
 */
static void
keep_repeated(struct diffs *d, const struct diffs *prev)
{
	int i, j = 0, n = 0;

	for (i = 0; i < d->n; i++) {
		struct diff *x = &d->v[i];
		int cmp = 1;

		for (; j < prev->n; j++) {
			const struct diff *p = &prev->v[j];

			cmp = p->chunk != x->chunk ? (p->chunk < x->chunk ? -1 : 1) : strcmp(p->mkey, x->mkey);
			if (cmp >= 0)
				break;
		}
		if (j < prev->n && cmp == 0)
			d->v[n++] = *x;
		else {
			free(x->mkey);
			free(x->key);
		}
	}
	d->n = n;
}

/* Lists the differing keys of the chunks marked in differ[]. */
static int
diff_chunks(PGconn *src, PGconn *rep, const struct vtable *t, const struct bounds *b,
			const bool *differ, struct diffs *d, int64_t *rows_read, char *errbuf, size_t errsize)
{
	struct buf qs = BUF_INIT, qr = BUF_INIT;
	int c, status = 0;

	diffs_clear(d);
	for (c = 0; c <= b->n && status == 0 && !sig_stop; c++) {
		PGresult *rs, *rr;

		if (!differ[c])
			continue;
		rows_sql(&qs, t, b, c, false);
		log_debug("chunk %d: %s", c, buf_cstr(&qs));
		rows_sql(&qr, t, b, c, true);
		status = exec_both(src, buf_cstr(&qs), rep, buf_cstr(&qr), &rs, &rr,
						   "could not read a chunk's rows", errbuf, errsize);
		if (status)
			break;
		merge_rows(rs, rr, c, d);
		*rows_read += PQntuples(rs) + PQntuples(rr);
		PQclear(rs);
		PQclear(rr);
	}
	buf_free(&qs);
	buf_free(&qr);
	if (status == 0 && sig_stop) {
		snprintf(errbuf, errsize, "stopped by signal");
		status = EX_TEMPFAIL;
	}
	return status;
}

static void
pause_ms(int ms)
{
	struct timespec ts = {0, 50 * 1000000L};

	for (; ms > 0 && !sig_stop; ms -= 50)
		nanosleep(&ts, NULL);
}

/* One JSON line per differing key. */
static void
write_diffs(struct out *out, const struct vtable *t, const struct diffs *d)
{
	struct buf line = BUF_INIT;
	int i;

	for (i = 0; i < d->n; i++) {
		const char *kind = d->v[i].kind == 'm' ? "missing"
			: d->v[i].kind == 'e'			   ? "extra"
											   : "differs";

		buf_reset(&line);
		buf_puts(&line, "{\"table\":");
		json_put_cstr(&line, t->source);
		buf_puts(&line, ",\"target\":");
		json_put_cstr(&line, t->target);
		buf_puts(&line, ",\"key\":");
		json_compact((struct json_slice){d->v[i].key, strlen(d->v[i].key)}, &line);
		buf_printf(&line, ",\"kind\":\"%s\"}", kind);
		out_line(out, line.data, line.len);
	}
	buf_free(&line);
}

/* The change lines that repair each differing key (--repair). */
static int
write_repairs(PGconn *src, struct out *out, const struct vtable *t, const struct diffs *d,
			  char *errbuf, size_t errsize)
{
	struct repair *rp = repair_open(src, t, errbuf, errsize);
	int i, status = 0;

	if (rp == NULL)
		return EX_SOFTWARE;
	for (i = 0; i < d->n && status == 0; i++)
		status = repair_key(rp, src, d->v[i].key, d->v[i].kind, out, errbuf, errsize);
	repair_close(rp);
	return status;
}

static void
count_diffs(const struct diffs *d, struct vresult *r)
{
	int i;

	for (i = 0; i < d->n; i++) {
		r->missing += d->v[i].kind == 'm';
		r->extra += d->v[i].kind == 'e';
		r->differs += d->v[i].kind == 'd';
	}
}

int
compare_table(PGconn *src, PGconn *rep, const struct vtable *t, const struct vopts *o,
			  struct out *out, struct vresult *r, char *errbuf, size_t errsize)
{
	struct bounds b = {0, {NULL, NULL}};
	struct buf qs = BUF_INIT, qr = BUF_INIT;
	struct chunkhash *hs = NULL, *hr = NULL;
	struct diffs d = {NULL, 0, 0}, prev = {NULL, 0, 0}, swap;
	PGresult *rs = NULL, *rr = NULL;
	bool *differ = NULL;
	int c, round, status;

	if ((status = read_bounds(src, t, o, &b, errbuf, errsize)) != 0)
		goto done;
	log_debug("%s: %d boundaries", t->source, b.n);
	chunk_sql(&qs, t, &b, false);
	chunk_sql(&qr, t, &b, true);
	status = exec_both(src, buf_cstr(&qs), rep, buf_cstr(&qr), &rs, &rr,
					   "could not hash the chunks", errbuf, errsize);
	if (status)
		goto done;
	r->chunks = b.n + 1;
	hs = xcalloc((size_t) r->chunks, sizeof *hs);
	hr = xcalloc((size_t) r->chunks, sizeof *hr);
	differ = xcalloc((size_t) r->chunks, sizeof *differ);
	log_debug("%s: chunks hashed", t->source);
	read_chunks(rs, hs, r->chunks, &r->rows_src);
	read_chunks(rr, hr, r->chunks, &r->rows_rep);
	for (c = 0; c < r->chunks; c++) {
		differ[c] = hs[c].count != hr[c].count ||
			strcmp(hs[c].sum ? hs[c].sum : "0", hr[c].sum ? hr[c].sum : "0") != 0;
		r->chunks_differ += differ[c];
	}
	if (r->chunks_differ == 0)
		goto done;
	log_info("%s: %d of %d chunks differ", t->source, r->chunks_differ, r->chunks);
	for (round = 0; round <= o->recheck; round++) {
		if (round > 0) {
			if (d.n == 0)
				break;
			log_info("%s: %d keys differ; checking again in %d ms", t->source, d.n,
					 o->recheck_delay_ms);
			pause_ms(o->recheck_delay_ms);
			memset(differ, 0, (size_t) r->chunks * sizeof *differ);
			for (c = 0; c < d.n; c++)
				differ[d.v[c].chunk] = true;
			swap = prev, prev = d, d = swap;
		}
		if ((status = diff_chunks(src, rep, t, &b, differ, &d, &r->rows_read, errbuf, errsize)) !=
			0)
			goto done;
		if (round > 0)
			keep_repeated(&d, &prev);
	}
	count_diffs(&d, r);
	if (o->repair)
		status = write_repairs(src, out, t, &d, errbuf, errsize);
	else
		write_diffs(out, t, &d);
done:
	diffs_clear(&d);
	free(d.v);
	diffs_clear(&prev);
	free(prev.v);
	free(differ);
	free(hs);
	free(hr);
	PQclear(rs);
	PQclear(rr);
	buf_free(&qs);
	buf_free(&qr);
	bounds_free(&b);
	return status;
}
