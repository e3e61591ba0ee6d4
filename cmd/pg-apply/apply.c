/*
 * apply.c - one batch of changes, one transaction: tables created or
 * widened as needed, runs of like changes sent in bulk (COPY into the
 * table, or into a temporary table and merged from there), and the
 * offsets stored with the data.  When a bulk statement fails, the batch
 * is retried change by change under savepoints to find the culprit.
 */
#include "pgapply.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "log.h"
#include "pgutil.h"

/* Runs shorter than this go as single statements (pipelined). */
#define BULK_MIN 64

struct tmp {					/* temporary tables for one shape of a table */
	struct shape *shape;
	int			no;
	bool		checked;		/* the table has every column of the shape */
	bool		rows;			/* pg_apply_N exists */
	bool		keys;			/* pg_apply_N_k exists */
	bool		rows_used;		/* holds rows in this transaction */
	bool		keys_used;
};

struct table {
	char	   *name;
	size_t		namelen;
	char	   *qname;			/* quoted for SQL */
	bool		loaded;
	bool		exists;
	char	  **cols;
	int			ncols;
	struct tmp *tmps;
	int			ntmps;
	struct table *next;
};

/*
 * The main thread adds tables while the apply thread walks the list
 * (tables_lock guards the list, not the tables' fields: those belong to
 * the apply thread, name and qname are never changed).
 */
struct applier {
	pthread_mutex_t tables_lock;
	PGconn	   *conn;
	const struct settings *s;
	char	   *offsets_qname;
	struct table *tables;
	struct table *last;
	int			tmpno;
	struct buf	sql;
	struct buf	copy;
	struct buf	key;
	bool		lost;
	int			status;			/* exit status of the last failed statement */
	/* Dedup hash for a run: op indexes, -1 = empty. */
	long	   *hash;
	size_t		hashcap;
};

/* Batch storage */

void
batch_reset(struct batch *b)
{
	b->nops = 0;
	b->nvals = 0;
	b->skipped = 0;
	buf_reset(&b->data);
	buf_reset(&b->lines);
}

void
batch_truncate(struct batch *b, size_t nops)
{
	if (nops >= b->nops)
		return;
	b->nvals = b->ops[nops].vals;
	b->nops = nops;
}

void
batch_free(struct batch *b)
{
	free(b->ops);
	free(b->vals);
	buf_free(&b->data);
	buf_free(&b->lines);
	memset(b, 0, sizeof *b);
}

struct op *
batch_add(struct batch *b, struct shape *sh)
{
	struct op  *op;
	int			n = sh ? sh->ncols : 0;
	int			i;

	if (b->nops == b->opcap) {
		b->opcap = b->opcap ? b->opcap * 2 : 1024;
		b->ops = xrealloc(b->ops, b->opcap * sizeof *b->ops);
	}
	if (b->nvals + (size_t) n > b->valcap) {
		while (b->nvals + (size_t) n > b->valcap)
			b->valcap = b->valcap ? b->valcap * 2 : 4096;
		b->vals = xrealloc(b->vals, b->valcap * sizeof *b->vals);
	}
	op = &b->ops[b->nops++];
	memset(op, 0, sizeof *op);
	op->shape = sh;
	op->vals = b->nvals;
	op->offset = -1;
	op->source = -1;
	for (i = 0; i < n; i++)
		b->vals[b->nvals + (size_t) i] = (struct val) {0, VAL_NULL};
	b->nvals += (size_t) n;
	return op;
}

/* Tables */

struct applier *
applier_new(PGconn *conn, const struct settings *s, const char *offsets_table)
{
	struct applier *a = xcalloc(1, sizeof *a);
	struct buf	q = BUF_INIT;

	pthread_mutex_init(&a->tables_lock, NULL);
	a->conn = conn;
	a->s = s;
	quote_qualified(&q, offsets_table);
	a->offsets_qname = xstrdup(buf_cstr(&q));
	buf_free(&q);
	return a;
}

static void
table_forget(struct table *t)
{
	int			i;

	for (i = 0; i < t->ncols; i++)
		free(t->cols[i]);
	free(t->cols);
	t->cols = NULL;
	t->ncols = 0;
	t->loaded = false;
}

void
applier_free(struct applier *a)
{
	struct table *t,
			   *next;

	for (t = a->tables; t; t = next) {
		next = t->next;
		table_forget(t);
		free(t->tmps);
		free(t->name);
		free(t->qname);
		free(t);
	}
	pthread_mutex_destroy(&a->tables_lock);
	free(a->offsets_qname);
	free(a->hash);
	buf_free(&a->sql);
	buf_free(&a->copy);
	buf_free(&a->key);
	free(a);
}

struct table *
applier_table(struct applier *a, const char *name, size_t n)
{
	struct table *t;
	struct buf	q = BUF_INIT;

	if (a->last && a->last->namelen == n && memcmp(a->last->name, name, n) == 0)
		return a->last;
	for (t = a->tables; t; t = t->next)
		if (t->namelen == n && memcmp(t->name, name, n) == 0)
			return a->last = t;
	t = xcalloc(1, sizeof *t);
	t->name = xstrndup(name, n);
	t->namelen = n;
	quote_qualified(&q, t->name);
	t->qname = xstrdup(buf_cstr(&q));
	buf_free(&q);
	pthread_mutex_lock(&a->tables_lock);
	t->next = a->tables;
	a->tables = t;
	pthread_mutex_unlock(&a->tables_lock);
	return a->last = t;
}

const char *
table_name(const struct table *t)
{
	return t->name;
}

/* After a rollback nothing learnt in the transaction can be trusted. */
static void
forget_all(struct applier *a)
{
	struct table *t;
	int			i;

	pthread_mutex_lock(&a->tables_lock);
	for (t = a->tables; t; t = t->next) {
		table_forget(t);
		for (i = 0; i < t->ntmps; i++) {
			t->tmps[i].checked = t->tmps[i].rows = t->tmps[i].keys = false;
			t->tmps[i].rows_used = t->tmps[i].keys_used = false;
		}
	}
	pthread_mutex_unlock(&a->tables_lock);
}

/* After a commit the temporary tables are empty again (ON COMMIT DELETE ROWS). */
static void
tmps_emptied(struct applier *a)
{
	struct table *t;
	int			i;

	pthread_mutex_lock(&a->tables_lock);
	for (t = a->tables; t; t = t->next)
		for (i = 0; i < t->ntmps; i++)
			t->tmps[i].rows_used = t->tmps[i].keys_used = false;
	pthread_mutex_unlock(&a->tables_lock);
}

static struct tmp *
tmp_for(struct applier *a, struct table *t, struct shape *sh)
{
	int			i;

	for (i = 0; i < t->ntmps; i++)
		if (t->tmps[i].shape == sh)
			return &t->tmps[i];
	t->tmps = xrealloc(t->tmps, (size_t) (t->ntmps + 1) * sizeof *t->tmps);
	memset(&t->tmps[t->ntmps], 0, sizeof *t->tmps);
	t->tmps[t->ntmps].shape = sh;
	t->tmps[t->ntmps].no = ++a->tmpno;
	return &t->tmps[t->ntmps++];
}

/* Statements */

static bool
check_result(struct applier *a, PGresult *res, char *errbuf, size_t errsize)
{
	ExecStatusType st = PQresultStatus(res);

	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
		PQclear(res);
		return true;
	}
	pg_errmsg(a->conn, res, errbuf, errsize);
	if (errbuf[0] == '\0')
		snprintf(errbuf, errsize, "unexpected result %s", PQresStatus(st));
	a->status = pg_result_status(a->conn, res);
	if (a->status == EX_TEMPFAIL)
		a->lost = true;
	PQclear(res);
	return false;
}

static bool
run(struct applier *a, const char *sql, char *errbuf, size_t errsize)
{
	log_debug("%s", sql);
	return check_result(a, PQexec(a->conn, sql), errbuf, errsize);
}

static bool
run_params(struct applier *a, const char *sql, int n, const char *const *params,
		   char *errbuf, size_t errsize)
{
	log_debug("%s", sql);
	return check_result(a, PQexecParams(a->conn, sql, n, NULL, params, NULL, NULL, 0),
						errbuf, errsize);
}

static bool
load_columns(struct applier *a, struct table *t, char *errbuf, size_t errsize)
{
	const char *params[1] = {t->qname};
	PGresult   *res;
	int			i;

	res = PQexecParams(a->conn,
					   "SELECT c.oid IS NOT NULL, a.attname FROM (SELECT to_regclass($1) AS oid) c"
					   " LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid"
					   " AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
					   1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQnfields(res) != 2 || PQntuples(res) < 1)
		return check_result(a, res, errbuf, errsize) && false;
	table_forget(t);
	t->exists = PQgetvalue(res, 0, 0)[0] == 't';
	for (i = 0; t->exists && i < PQntuples(res); i++) {
		if (PQgetisnull(res, i, 1))
			continue;
		t->cols = xrealloc(t->cols, (size_t) (t->ncols + 1) * sizeof *t->cols);
		t->cols[t->ncols++] = xstrdup(PQgetvalue(res, i, 1));
	}
	t->loaded = true;
	PQclear(res);
	return true;
}

static bool
table_has(const struct table *t, const struct column *c)
{
	int			i;

	for (i = 0; i < t->ncols; i++)
		if (strcmp(t->cols[i], c->name) == 0)
			return true;
	return false;
}

static void
table_add_col(struct table *t, const char *name)
{
	t->cols = xrealloc(t->cols, (size_t) (t->ncols + 1) * sizeof *t->cols);
	t->cols[t->ncols++] = xstrdup(name);
}

static void
put_coldef(struct buf *q, const struct column *c, bool key, bool alter)
{
	quote_ident(q, c->name, c->namelen);
	buf_printf(q, " %s", c->t.pgtype);
	if (c->dflt)
		buf_printf(q, " DEFAULT %s", c->dflt);
	if (key || (!c->optional && (!alter || c->dflt)))
		buf_puts(q, " NOT NULL");
}

static bool
create_table(struct applier *a, struct table *t, const struct shape *sh,
			 char *errbuf, size_t errsize)
{
	struct buf *q = &a->sql;
	int			i;

	buf_reset(q);
	buf_printf(q, "CREATE TABLE %s (", t->qname);
	for (i = 0; i < sh->ncols; i++) {
		if (i)
			buf_puts(q, ", ");
		put_coldef(q, &sh->cols[i], i < sh->nkeys, false);
	}
	if (sh->nkeys > 0) {
		buf_puts(q, ", PRIMARY KEY (");
		for (i = 0; i < sh->nkeys; i++) {
			if (i)
				buf_puts(q, ", ");
			quote_ident(q, sh->cols[i].name, sh->cols[i].namelen);
		}
		buf_putc(q, ')');
	}
	buf_putc(q, ')');
	if (!run(a, buf_cstr(q), errbuf, errsize))
		return false;
	log_info("created table %s", t->qname);
	t->exists = true;
	for (i = 0; i < sh->ncols; i++)
		table_add_col(t, sh->cols[i].name);
	return true;
}

/* Makes sure table t exists and has every column of shape sh. */
static bool
ensure_table(struct applier *a, struct table *t, struct shape *sh, char *errbuf, size_t errsize)
{
	struct tmp *tm = tmp_for(a, t, sh);
	struct buf *q = &a->sql;
	int			i,
				added = 0;

	if (tm->checked && t->loaded)
		return true;
	if (!t->loaded && !load_columns(a, t, errbuf, errsize))
		return false;
	if (!t->exists) {
		if (!a->s->auto_create && !a->s->evolution) {
			snprintf(errbuf, errsize, "table %s does not exist (see --auto-create)", t->qname);
			return false;
		}
		if (!create_table(a, t, sh, errbuf, errsize))
			return false;
	}
	buf_reset(q);
	buf_printf(q, "ALTER TABLE %s", t->qname);
	for (i = 0; i < sh->ncols; i++) {
		if (table_has(t, &sh->cols[i]))
			continue;
		if (!a->s->evolution) {
			snprintf(errbuf, errsize, "table %s has no column \"%s\" (see --schema-evolution)",
					 t->qname, sh->cols[i].name);
			return false;
		}
		buf_puts(q, added++ ? ", ADD COLUMN " : " ADD COLUMN ");
		put_coldef(q, &sh->cols[i], false, true);
	}
	if (added) {
		if (!run(a, buf_cstr(q), errbuf, errsize))
			return false;
		log_info("added %d column%s to table %s", added, added > 1 ? "s" : "", t->qname);
		for (i = 0; i < sh->ncols; i++)
			if (!table_has(t, &sh->cols[i]))
				table_add_col(t, sh->cols[i].name);
	}
	tm->checked = true;
	return true;
}

/*
 * Gets op's table ready: created or widened for a row change, its
 * existence known for a truncate.
 */
static bool
prepare_op(struct applier *a, struct op *op, char *errbuf, size_t errsize)
{
	if (op->kind == OPK_TRUNCATE)
		return op->table->loaded || load_columns(a, op->table, errbuf, errsize);
	return ensure_table(a, op->table, op->shape, errbuf, errsize);
}

/* SQL text pieces */

static void
put_cols(struct buf *q, const struct shape *sh, int from, int to, const char *prefix,
		 const struct val *v)
{
	int			i,
				n = 0;

	for (i = from; i < to; i++) {
		if (v && v[i].len == VAL_UNAVAILABLE)
			continue;
		if (n++)
			buf_putc(q, ',');
		buf_puts(q, prefix);
		quote_ident(q, sh->cols[i].name, sh->cols[i].namelen);
	}
}

/* "SET a=EXCLUDED.a,b=EXCLUDED.b" over the non-key columns; false if none. */
static bool
put_set(struct buf *q, const struct shape *sh, const char *src, const struct val *v)
{
	int			i,
				n = 0;

	for (i = sh->nkeys; i < sh->ncols; i++) {
		if (v && v[i].len == VAL_UNAVAILABLE)
			continue;
		buf_puts(q, n++ ? "," : " SET ");
		quote_ident(q, sh->cols[i].name, sh->cols[i].namelen);
		buf_printf(q, "=%s.", src);
		quote_ident(q, sh->cols[i].name, sh->cols[i].namelen);
	}
	return n > 0;
}

static void
put_key_match(struct buf *q, const struct shape *sh, const char *l, const char *r)
{
	int			i;

	for (i = 0; i < sh->nkeys; i++) {
		buf_puts(q, i ? " AND " : " WHERE ");
		buf_printf(q, "%s.", l);
		quote_ident(q, sh->cols[i].name, sh->cols[i].namelen);
		buf_printf(q, "=%s.", r);
		quote_ident(q, sh->cols[i].name, sh->cols[i].namelen);
	}
}

/* Single statements */

/*
 * The statement for one op in a->sql, its parameters in params (room for
 * shape->ncols); returns the number of parameters, or -1 if there is
 * nothing to do.
 */
static int
build_one(struct applier *a, struct batch *b, const struct op *op, const char **params)
{
	const struct shape *sh = op->shape;
	const struct val *v = &b->vals[op->vals];
	struct buf *q = &a->sql;
	int			n = 0,
				i;

	buf_reset(q);
	if (op->kind == OPK_TRUNCATE) {
		if (!op->table->exists)
			return -1;			/* nothing to empty */
		buf_printf(q, "TRUNCATE TABLE %s", op->table->qname);
		return 0;
	}
	if (op->kind == OPK_DELETE) {
		buf_printf(q, "DELETE FROM %s", op->table->qname);
		for (i = 0; i < sh->nkeys; i++) {
			buf_puts(q, i ? " AND " : " WHERE ");
			quote_ident(q, sh->cols[i].name, sh->cols[i].namelen);
			buf_printf(q, "=$%d", ++n);
			params[n - 1] = v[i].len >= 0 ? b->data.data + v[i].off : NULL;
		}
	} else if (a->s->insert_mode == INSERT_UPDATE) {
		buf_printf(q, "UPDATE %s", op->table->qname);
		for (i = sh->nkeys; i < sh->ncols; i++) {
			if (v[i].len == VAL_UNAVAILABLE)
				continue;
			buf_puts(q, n ? "," : " SET ");
			quote_ident(q, sh->cols[i].name, sh->cols[i].namelen);
			buf_printf(q, "=$%d", ++n);
			params[n - 1] = v[i].len >= 0 ? b->data.data + v[i].off : NULL;
		}
		if (n == 0)
			return -1;			/* nothing to change */
		for (i = 0; i < sh->nkeys; i++) {
			buf_puts(q, i ? " AND " : " WHERE ");
			quote_ident(q, sh->cols[i].name, sh->cols[i].namelen);
			buf_printf(q, "=$%d", ++n);
			params[n - 1] = v[i].len >= 0 ? b->data.data + v[i].off : NULL;
		}
	} else {
		buf_printf(q, "INSERT INTO %s (", op->table->qname);
		put_cols(q, sh, 0, sh->ncols, "", v);
		buf_puts(q, ") VALUES (");
		for (i = 0; i < sh->ncols; i++) {
			if (v[i].len == VAL_UNAVAILABLE)
				continue;
			buf_printf(q, n ? ",$%d" : "$%d", n + 1);
			params[n++] = v[i].len >= 0 ? b->data.data + v[i].off : NULL;
		}
		buf_putc(q, ')');
		if (a->s->insert_mode == INSERT_UPSERT) {
			buf_puts(q, " ON CONFLICT (");
			put_cols(q, sh, 0, sh->nkeys, "", NULL);
			buf_puts(q, ") DO ");
			buf_puts(q, "UPDATE");
			if (!put_set(q, sh, "EXCLUDED", v)) {
				q->len -= 6;
				buf_puts(q, "NOTHING");
			}
		}
	}
	buf_cstr(q);
	return n;
}

static bool
exec_one(struct applier *a, struct batch *b, const struct op *op, char *errbuf, size_t errsize)
{
	const char **params = xmalloc((size_t) (op->shape ? op->shape->ncols : 0) * sizeof *params + 1);
	int			n = build_one(a, b, op, params);
	bool		ok = n < 0 || run_params(a, a->sql.data, n, params, errbuf, errsize);

	free(params);
	return ok;
}

/* Single statements, many in flight: libpq's pipeline mode. */

#define PIPELINE_CHUNK 256

/* Reads the results of ops[from, to) sent in pipeline mode, then the sync. */
static bool
pipeline_results(struct applier *a, struct batch *b, size_t from, size_t to, const bool *sent,
				 const struct op **failed, char *errbuf, size_t errsize)
{
	bool		ok = true;
	PGresult   *res;
	size_t		j;

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
pipeline_ops(struct applier *a, struct batch *b, size_t from, size_t to,
			 const struct op **failed, char *errbuf, size_t errsize)
{
	const char **params = NULL;
	bool	   *sent = xcalloc(PIPELINE_CHUNK, sizeof *sent);
	bool		ok = true;
	size_t		j,
				k;
	int			maxcols = 1;

	for (j = from; j < to; j++)
		if (b->ops[j].shape && b->ops[j].shape->ncols > maxcols)
			maxcols = b->ops[j].shape->ncols;
	params = xmalloc((size_t) maxcols * sizeof *params);
	if (PQenterPipelineMode(a->conn) != 1) {
		snprintf(errbuf, errsize, "could not enter pipeline mode");
		ok = false;
	}
	for (j = from; ok && j < to; j += PIPELINE_CHUNK) {
		size_t		end = j + PIPELINE_CHUNK < to ? j + PIPELINE_CHUNK : to;

		for (k = j; k < end; k++) {
			int			n = build_one(a, b, &b->ops[k], params);

			sent[k - j] = n >= 0;
			log_debug("%s", a->sql.data);
			if (n >= 0 && PQsendQueryParams(a->conn, a->sql.data, n, NULL, params,
											NULL, NULL, 0) != 1) {
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
	bool		ok = c->len == 0 || PQputCopyData(conn, c->data, (int) c->len) == 1;

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
	int			i;

	for (i = 0; i < ncols; i++) {
		const char *p = b->data.data + v[i].off;
		size_t		n = v[i].len < 0 ? 0 : (size_t) v[i].len;

		if (i)
			buf_putc(c, '\t');
		if (v[i].len < 0)
			buf_put(c, "\\N", 2);
		while (n > 0) {
			size_t		k = n < COPY_CHUNK ? n : COPY_CHUNK;

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
static bool
copy_rows(struct applier *a, struct batch *b, size_t from, size_t to, const char *target,
		  int ncols, char *errbuf, size_t errsize)
{
	const struct shape *sh = b->ops[from].shape;
	struct buf *q = &a->sql;
	struct buf *c = &a->copy;
	PGresult   *res;
	size_t		i;
	bool		ok = true;

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
	uint64_t	h = 1469598103934665603ull;
	int			i;

	for (i = 0; i < nkeys; i++) {
		const unsigned char *p = (const unsigned char *) b->data.data + v[i].off;
		int32_t		j;

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
	int			i;

	for (i = 0; i < nkeys; i++)
		if (v[i].len != w[i].len || (v[i].len > 0 &&
									 memcmp(b->data.data + v[i].off, b->data.data + w[i].off,
											(size_t) v[i].len) != 0))
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
	size_t		n = to - from,
				cap = 16,
				i;

	while (cap < n * 2)
		cap *= 2;
	if (cap > a->hashcap) {
		a->hash = xrealloc(a->hash, cap * sizeof *a->hash);
		a->hashcap = cap;
	}
	for (i = 0; i < cap; i++)
		a->hash[i] = -1;
	for (i = from; i < to; i++) {
		size_t		h = (size_t) key_hash(b, &b->ops[i], nkeys) & (cap - 1);

		while (a->hash[h] >= 0) {
			struct op  *prev = &b->ops[a->hash[h]];

			if (same_key(b, prev, &b->ops[i], nkeys)) {
				prev->dropped = true;
				break;
			}
			h = (h + 1) & (cap - 1);
		}
		a->hash[h] = (long) i;
	}
}

static bool
ensure_tmp(struct applier *a, struct table *t, struct tmp *tm, bool keys,
		   char *errbuf, size_t errsize)
{
	const struct shape *sh = tm->shape;
	struct buf *q = &a->sql;

	if (keys ? tm->keys : tm->rows) {
		if (!(keys ? tm->keys_used : tm->rows_used))
			return true;
		buf_reset(q);
		buf_printf(q, "TRUNCATE pg_temp.\"pg_apply_%d%s\"", tm->no, keys ? "_k" : "");
		return run(a, buf_cstr(q), errbuf, errsize);
	}
	buf_reset(q);
	buf_printf(q, "CREATE TEMP TABLE IF NOT EXISTS \"pg_apply_%d%s\" ON COMMIT DELETE ROWS AS SELECT ",
			   tm->no, keys ? "_k" : "");
	put_cols(q, sh, 0, keys ? sh->nkeys : sh->ncols, "", NULL);
	buf_printf(q, " FROM %s WITH NO DATA", t->qname);
	if (!run(a, buf_cstr(q), errbuf, errsize))
		return false;
	if (keys)
		tm->keys = true;
	else
		tm->rows = true;
	return true;
}

static bool
bulk_run(struct applier *a, struct batch *b, size_t from, size_t to, char *errbuf, size_t errsize)
{
	struct op  *op = &b->ops[from];
	struct table *t = op->table;
	struct shape *sh = op->shape;
	struct tmp *tm = tmp_for(a, t, sh);
	struct buf *q = &a->sql;
	char		tname[64];
	bool		keys = op->kind == OPK_DELETE;

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
	if (op->kind == OPK_DELETE) {
		buf_printf(q, "DELETE FROM %s AS d USING %s AS s", t->qname, tname);
		put_key_match(q, sh, "d", "s");
	} else if (a->s->insert_mode == INSERT_UPDATE) {
		buf_printf(q, "UPDATE %s AS d", t->qname);
		if (!put_set(q, sh, "s", NULL))
			return true;
		buf_printf(q, " FROM %s AS s", tname);
		put_key_match(q, sh, "d", "s");
	} else {
		buf_printf(q, "INSERT INTO %s (", t->qname);
		put_cols(q, sh, 0, sh->ncols, "", NULL);
		buf_puts(q, ") SELECT ");
		put_cols(q, sh, 0, sh->ncols, "", NULL);
		buf_printf(q, " FROM %s ON CONFLICT (", tname);
		put_cols(q, sh, 0, sh->nkeys, "", NULL);
		buf_puts(q, ") DO UPDATE");
		if (!put_set(q, sh, "EXCLUDED", NULL)) {
			q->len -= 6;
			buf_puts(q, "NOTHING");
		}
	}
	return run(a, buf_cstr(q), errbuf, errsize);
}

/* The end of the run that starts at from: like changes to one table. */
static size_t
run_end(const struct batch *b, size_t from)
{
	const struct op *f = &b->ops[from];
	size_t		i;

	if (f->toast || f->kind == OPK_TRUNCATE)
		return from + 1;
	for (i = from + 1; i < b->nops; i++) {
		const struct op *o = &b->ops[i];

		if (o->table != f->table || o->shape != f->shape || o->kind != f->kind || o->toast)
			break;
	}
	return i;
}

static bool
apply_fast(struct applier *a, struct batch *b, const struct op **failed,
		   char *errbuf, size_t errsize)
{
	size_t		i = 0;

	while (i < b->nops) {
		size_t		end = run_end(b, i);
		size_t		j;

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
static bool
apply_slow(struct applier *a, struct batch *b, reject_fn reject, void *ctx,
		   const struct op **failed, char *errbuf, size_t errsize)
{
	char		err2[256];
	size_t		i;

	for (i = 0; i < b->nops; i++) {
		struct op  *op = &b->ops[i];

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

/* Offsets rows */

/* Appends text as an SQL literal; false if libpq cannot quote it. */
static bool
put_literal(struct applier *a, struct buf *q, const char *text)
{
	char	   *lit = PQescapeLiteral(a->conn, text, strlen(text));

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
	char	   *end;

	if (o->is_pos)
		return pos_parse(text, strlen(text), pos);
	*off = strtoll(text, &end, 10);
	return end != text && *end == '\0' && *off >= 0;
}

/* Leaves out the ops of source o at or below the stored position. */
static void
drop_applied(struct batch *b, const struct offset_row *o, int64_t off, struct pos pos)
{
	size_t		i,
				n = 0;

	for (i = 0; i < b->nops; i++) {
		const struct op *op = &b->ops[i];

		if (op->source == o->id &&
			(o->is_pos ? pos_cmp(op->pos, pos) <= 0 : op->offset <= off))
			continue;
		if (n != i)
			b->ops[n] = *op;
		n++;
	}
	log_info("source \"%s\": left out %zu changes another writer applied", o->source,
			 b->nops - n);
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
	int64_t		off = 0;
	struct pos	pos = {0, 0};

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
 * BEGIN, then lock the batch's rows of the offsets table and read them,
 * in one round trip.  Missing rows are added (with an empty position, never
 * committed as such); rows are taken in source order so that two writers
 * never deadlock, and a row another transaction holds makes this wait
 * until that one ends.  On failure the transaction is rolled back.
 */
static bool
begin_locked(struct applier *a, struct batch *b, struct offset_row *offs, int noffs,
			 char *errbuf, size_t errsize)
{
	struct buf *q = &a->sql;
	PGresult   *res;
	int		   *order;
	int			i,
				j,
				k;
	char		err2[256];
	bool		ok = true;

	if (noffs == 0)
		return run(a, "BEGIN", errbuf, errsize);
	order = xcalloc((size_t) noffs, sizeof *order);
	for (i = 0; i < noffs; i++) {
		for (j = i; j > 0 && strcmp(offs[order[j - 1]].source, offs[i].source) > 0; j--)
			order[j] = order[j - 1];
		order[j] = i;
	}
	buf_reset(q);
	buf_printf(q, "BEGIN; INSERT INTO %s AS o (source, position) VALUES ", a->offsets_qname);
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
	buf_puts(q, " ON CONFLICT (source) DO UPDATE SET position = o.position"
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
store_offsets_commit(struct applier *a, const struct offset_row *offs, int noffs,
					 char *errbuf, size_t errsize)
{
	struct buf *q = &a->sql;
	char		position[POS_STRLEN + 24];
	int			i;

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
		buf_puts(q, " ON CONFLICT (source) DO UPDATE SET position = EXCLUDED.position,"
				 " updated_at = EXCLUDED.updated_at; ");
	buf_puts(q, "COMMIT");
	return run(a, buf_cstr(q), errbuf, errsize);
}

static enum apply_status
fail_status(struct applier *a)
{
	return a->lost || PQstatus(a->conn) == CONNECTION_BAD ? APPLY_LOST : APPLY_RECORD;
}

enum apply_status
applier_apply(struct applier *a, struct batch *b, struct offset_row *offs, int noffs,
			  reject_fn reject, void *ctx, const struct op **failed,
			  char *errbuf, size_t errsize)
{
	char		err2[256];

	*failed = NULL;
	if (!begin_locked(a, b, offs, noffs, errbuf, errsize))
		return fail_status(a) == APPLY_LOST ? APPLY_LOST : APPLY_INTERNAL;
	if (!apply_fast(a, b, failed, errbuf, errsize)) {
		if (a->lost || PQstatus(a->conn) == CONNECTION_BAD)
			return APPLY_LOST;
		log_debug("batch failed (%s), retrying change by change", errbuf);
		(void) run(a, "ROLLBACK", err2, sizeof err2);
		forget_all(a);
		for (size_t i = 0; i < b->nops; i++)
			b->ops[i].dropped = false;
		if (!begin_locked(a, b, offs, noffs, errbuf, errsize))
			return fail_status(a) == APPLY_LOST ? APPLY_LOST : APPLY_INTERNAL;
		if (!apply_slow(a, b, reject, ctx, failed, errbuf, errsize)) {
			enum apply_status st = a->lost ? APPLY_LOST :
				*failed ? APPLY_RECORD : APPLY_INTERNAL;

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
					 void (*fn) (void *ctx, const char *source, const char *position),
					 void *ctx, char *errbuf, size_t errsize)
{
	struct buf *q = &a->sql;
	PGresult   *res;
	int			i;

	buf_reset(q);
	buf_printf(q, "CREATE TABLE IF NOT EXISTS %s (source text PRIMARY KEY,"
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
	PGresult   *res;
	int			found;

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
