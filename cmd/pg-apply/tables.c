/*
 * tables.c - the sink's tables as the applier knows them: their columns,
 * created or widened from a shape (auto.create, schema.evolution), and the
 * temporary tables bulk statements merge from.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "applier.h"
#include "log.h"

/* Tables */

struct applier *
applier_new(PGconn *conn, const struct settings *s, const char *offsets_table)
{
	struct applier *a = xcalloc(1, sizeof *a);
	struct buf q = BUF_INIT;

	pthread_mutex_init(&a->tables_lock, NULL);
	a->conn = conn;
	a->s = s;
	quote_qualified(&q, offsets_table);
	a->offsets_qname = xstrdup(buf_cstr(&q));
	buf_free(&q);
	return a;
}

void
table_forget(struct table *t)
{
	int i;

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
	struct table *t, *next;

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
	struct buf q = BUF_INIT;

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
void
forget_all(struct applier *a)
{
	struct table *t;
	int i;

	a->check_ready = false; /* the session may be another one */
	pthread_mutex_lock(&a->tables_lock);
	for (t = a->tables; t; t = t->next) {
		table_forget(t);
		for (i = 0; i < t->ntmps; i++) {
			t->tmps[i].checked = t->tmps[i].rows = t->tmps[i].keys = false;
			t->tmps[i].index_known = false;
			t->tmps[i].rows_used = t->tmps[i].keys_used = false;
		}
	}
	pthread_mutex_unlock(&a->tables_lock);
}

/* After a commit the temporary tables are empty again (ON COMMIT DELETE ROWS). */
void
tmps_emptied(struct applier *a)
{
	struct table *t;
	int i;

	pthread_mutex_lock(&a->tables_lock);
	for (t = a->tables; t; t = t->next)
		for (i = 0; i < t->ntmps; i++)
			t->tmps[i].rows_used = t->tmps[i].keys_used = false;
	pthread_mutex_unlock(&a->tables_lock);
}

struct tmp *
tmp_for(struct applier *a, struct table *t, struct shape *sh)
{
	int i;

	for (i = 0; i < t->ntmps; i++)
		if (t->tmps[i].shape == sh)
			return &t->tmps[i];
	t->tmps = xrealloc(t->tmps, (size_t) (t->ntmps + 1) * sizeof *t->tmps);
	memset(&t->tmps[t->ntmps], 0, sizeof *t->tmps);
	t->tmps[t->ntmps].shape = sh;
	t->tmps[t->ntmps].no = ++a->tmpno;
	return &t->tmps[t->ntmps++];
}

bool
load_columns(struct applier *a, struct table *t, char *errbuf, size_t errsize)
{
	const char *params[1] = {t->qname};
	PGresult *res;
	int i;

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
	int i;

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
create_table(struct applier *a, struct table *t, const struct shape *sh, char *errbuf,
			 size_t errsize)
{
	struct buf *q = &a->sql;
	int i;

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
bool
ensure_table(struct applier *a, struct table *t, struct shape *sh, char *errbuf, size_t errsize)
{
	struct tmp *tm = tmp_for(a, t, sh);
	struct buf *q = &a->sql;
	int i, added = 0;

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
bool
prepare_op(struct applier *a, struct op *op, char *errbuf, size_t errsize)
{
	if (op->kind == OPK_TRUNCATE)
		return op->table->loaded || load_columns(a, op->table, errbuf, errsize);
	return ensure_table(a, op->table, op->shape, errbuf, errsize);
}

/*
 * Whether t has a valid unique index on exactly the key columns of tm's
 * shape (named as the first nkeys columns of the temporary table tname,
 * so that the server resolves quoting and folding): the bulk statements
 * then join by it.
 */
static bool
check_key_index(struct applier *a, struct table *t, struct tmp *tm, const char *tname, char *errbuf,
				size_t errsize)
{
	char nkeys[16];
	const char *params[3] = {t->qname, tname, nkeys};
	PGresult *res;

	snprintf(nkeys, sizeof nkeys, "%d", tm->shape->nkeys);
	res = PQexecParams(a->conn,
					   "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_index i"
					   " WHERE i.indrelid = to_regclass($1) AND i.indisunique AND i.indisvalid"
					   " AND i.indpred IS NULL AND i.indnkeyatts = $3::int"
					   " AND 0 <> ALL ((i.indkey::int2[])[0:i.indnkeyatts - 1])"
					   " AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a"
					   " WHERE a.attrelid = i.indrelid"
					   " AND a.attnum = ANY ((i.indkey::int2[])[0:i.indnkeyatts - 1])"
					   " AND a.attname NOT IN (SELECT c.attname FROM pg_catalog.pg_attribute c"
					   " WHERE c.attrelid = $2::regclass AND c.attnum BETWEEN 1 AND $3::int)))",
					   3, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQnfields(res) != 1 || PQntuples(res) != 1)
		return check_result(a, res, errbuf, errsize) && false;
	tm->indexed = tm->shape->nkeys > 0 && PQgetvalue(res, 0, 0)[0] == 't';
	tm->index_known = true;
	PQclear(res);
	return true;
}

bool
ensure_tmp(struct applier *a, struct table *t, struct tmp *tm, bool keys, char *errbuf,
		   size_t errsize)
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
	/* Made again from the target's columns as they are now (one may be left from before). */
	buf_reset(q);
	buf_printf(q,
			   "DROP TABLE IF EXISTS pg_temp.\"pg_apply_%d%s\"; "
			   "CREATE TEMP TABLE \"pg_apply_%d%s\" ON COMMIT DELETE ROWS AS SELECT ",
			   tm->no, keys ? "_k" : "", tm->no, keys ? "_k" : "");
	put_cols(q, sh, 0, keys ? sh->nkeys : sh->ncols, "", NULL);
	buf_printf(q, " FROM %s WITH NO DATA", t->qname);
	if (!run(a, buf_cstr(q), errbuf, errsize))
		return false;
	if (keys)
		tm->keys = true;
	else
		tm->rows = true;
	if (tm->index_known)
		return true;
	buf_reset(q);
	buf_printf(q, "pg_temp.\"pg_apply_%d%s\"", tm->no, keys ? "_k" : "");
	return check_key_index(a, t, tm, buf_cstr(q), errbuf, errsize);
}
