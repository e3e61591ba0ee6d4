/*
 * chunkq.c - what an incremental snapshot asks of the catalog and the
 * queries that read a table in chunks of its key (the primary key, or the
 * columns --key-columns names): the first chunk (key <= MAX), the next
 * ones (LAST < key <= MAX), each ORDER BY the key LIMIT the chunk size,
 * and the largest key.  Row comparisons of NOT NULL key columns use the
 * key's index, so each chunk costs its rows; a key with nullable columns
 * is compared column by column, a NULL ordered after every value, as
 * ORDER BY orders it.
 */
#include "chunkq.h"
#include "tail.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keycols.h"
#include "log.h"
#include "pgutil.h"
#include "sqlident.h"

static const char table_sql[] =
	"SELECT c.oid, c.reltuples, c.relkind"
	" FROM pg_catalog.pg_publication_tables pt"
	" JOIN pg_catalog.pg_namespace n ON n.nspname = pt.schemaname"
	" JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = pt.tablename"
	" WHERE pt.pubname = $1 AND pt.schemaname || '.' || pt.tablename = $2";

/* The primary key's columns: name, NOT NULL, number. */
static const char pkey_sql[] =
	"SELECT a.attname, a.attnotnull, a.attnum FROM pg_catalog.pg_index i"
	" CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY k(att, n)"
	" JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.att"
	" WHERE i.indrelid = $1::pg_catalog.oid AND i.indisprimary ORDER BY k.n";

/* The columns named in $2 (NULL number: not in the table). */
static const char named_sql[] =
	"SELECT k.name, a.attnotnull, a.attnum FROM unnest($2::text[]) WITH ORDINALITY k(name, n)"
	" LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = $1::pg_catalog.oid"
	" AND a.attname = k.name AND a.attnum > 0 AND NOT a.attisdropped ORDER BY k.n";

/*
 * Of the columns numbered $2: whether a unique index (valid, whole-table,
 * of columns only) has its key columns among them, all NOT NULL, so that
 * no two rows have the same values in them; and whether the replica
 * identity carries them, so that a delete or an update that changes them
 * names their old values.
 */
static const char named_check_sql[] =
	"SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_index i"
	"  WHERE i.indrelid = c.oid AND i.indisunique AND i.indisvalid AND i.indpred IS NULL"
	"  AND NOT EXISTS (SELECT 1 FROM unnest(i.indkey::int2[]) WITH ORDINALITY u(att, n)"
	"   LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum = u.att"
	"   WHERE u.n <= coalesce((pg_catalog.to_jsonb(i) ->> 'indnkeyatts')::int, i.indnatts)"
	"   AND (u.att <> ALL ($2::int2[]) OR NOT coalesce(a.attnotnull, false)))),"
	" c.relreplident = 'f' OR EXISTS (SELECT 1 FROM pg_catalog.pg_index i"
	"  WHERE i.indrelid = c.oid AND $2::int2[] <@ i.indkey::int2[]"
	"  AND (c.relreplident = 'd' AND i.indisprimary OR c.relreplident = 'i' AND i.indisreplident))"
	" FROM pg_catalog.pg_class c WHERE c.oid = $1::pg_catalog.oid";

/* Runs sql with params, expecting rows of nfields; exits on failure. */
static PGresult *
lookup(struct tail *t, const char *name, const char *sql, int nparams, const char *const *params,
	   int nfields)
{
	PGresult *res = PQexecParams(t->sql, sql, nparams, NULL, params, NULL, NULL, 0);

	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQnfields(res) != nfields) {
		char msg[1024];
		int status = pg_result_status(t->sql, res);

		pg_errmsg(t->sql, res, msg, sizeof msg);
		PQclear(res);
		fatal(status, "incremental snapshot: could not look up \"%s\": %s", name, msg);
	}
	return res;
}

/* Whether filter is a condition on the table (oid); if not, why in errbuf. */
static bool
filter_ok(struct tail *t, uint32_t oid, const char *filter, char *errbuf, size_t errsize)
{
	struct buf sql = BUF_INIT;
	PGresult *res;
	char msg[1024];
	bool ok;

	buf_printf(&sql,
			   "SELECT pg_catalog.format('SELECT 1 FROM ONLY %%s WHERE (%%s) LIMIT 0',"
			   " %u::pg_catalog.regclass, $1::text)",
			   oid);
	res = PQexecParams(t->sql, buf_cstr(&sql), 1, NULL, &filter, NULL, NULL, 0);
	ok = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1;
	if (ok) {
		buf_reset(&sql);
		buf_puts(&sql, PQgetvalue(res, 0, 0));
		PQclear(res);
		/* One statement only: a condition never runs a command of its own. */
		res = PQexecParams(t->sql, buf_cstr(&sql), 0, NULL, NULL, NULL, NULL, 0);
		ok = PQresultStatus(res) == PGRES_TUPLES_OK;
	}
	if (!ok)
		snprintf(errbuf, errsize, "condition \"%s\": %s", filter,
				 pg_errmsg(t->sql, res, msg, sizeof msg));
	PQclear(res);
	buf_free(&sql);
	return ok;
}

/* Appends s to an array literal being built in b, as a quoted element. */
static void
put_elem(struct buf *b, const char *s)
{
	buf_putc(b, b->len > 1 ? ',' : '{');
	buf_putc(b, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			buf_putc(b, '\\');
		buf_putc(b, *s);
	}
	buf_putc(b, '"');
}

/* Takes the key columns of rows (name, NOT NULL, number) into ct. */
static void
take_keys(struct chunk_table *ct, PGresult *res)
{
	ct->nkeys = PQntuples(res);
	ct->keys = xcalloc((size_t) ct->nkeys + 1, sizeof *ct->keys);
	ct->notnull = xcalloc((size_t) ct->nkeys + 1, sizeof *ct->notnull);
	for (int k = 0; k < ct->nkeys; k++) {
		ct->keys[k] = xstrdup(PQgetvalue(res, k, 0));
		ct->notnull[k] = PQgetvalue(res, k, 1)[0] == 't';
	}
}

/*
 * The columns --key-columns names for the table (kc) as its key, in ct;
 * false with errbuf if one is missing, they are not unique, or the
 * replica identity does not carry them.
 */
static bool
named_keys(struct tail *t, const char *name, const struct keycols *kc, struct chunk_table *ct,
		   char *errbuf, size_t errsize)
{
	struct buf names = BUF_INIT, nums = BUF_INIT;
	char oid[16];
	const char *params[2] = {oid, NULL};
	PGresult *res;
	bool ok = true;

	snprintf(oid, sizeof oid, "%u", ct->oid);
	for (int k = 0; k < kc->ncols; k++)
		put_elem(&names, kc->cols[k]);
	buf_putc(&names, '}');
	params[1] = buf_cstr(&names);
	res = lookup(t, name, named_sql, 2, params, 3);
	for (int k = 0; ok && k < PQntuples(res); k++) {
		ok = !PQgetisnull(res, k, 2);
		if (!ok)
			snprintf(errbuf, errsize, "key column \"%s\" of --key-columns is not in table \"%s\"",
					 kc->cols[k], name);
		else
			buf_printf(&nums, "%s%s", k ? "," : "{", PQgetvalue(res, k, 2));
	}
	if (ok)
		take_keys(ct, res);
	PQclear(res);
	if (ok) {
		buf_putc(&nums, '}');
		params[1] = buf_cstr(&nums);
		res = lookup(t, name, named_check_sql, 2, params, 2);
		if (PQntuples(res) != 1 || PQgetvalue(res, 0, 0)[0] != 't') {
			snprintf(errbuf, errsize,
					 "the key columns --key-columns names for table \"%s\" may repeat: an "
					 "incremental snapshot needs a primary key or a unique index on NOT NULL "
					 "columns among them, or rows whose key repeats would be lost",
					 name);
			ok = false;
		} else if (PQgetvalue(res, 0, 1)[0] != 't') {
			snprintf(errbuf, errsize,
					 "the replica identity of table \"%s\" does not carry the key columns "
					 "--key-columns names for it, so that its deletes would not name their rows: "
					 "ALTER TABLE %s REPLICA IDENTITY FULL",
					 name, name);
			ok = false;
		}
		PQclear(res);
	}
	buf_free(&names);
	buf_free(&nums);
	return ok;
}

/* The table's primary key as its key, in ct; false with errbuf if it has none. */
static bool
primary_key(struct tail *t, const char *name, struct chunk_table *ct, char *errbuf, size_t errsize)
{
	char oid[16];
	const char *params[1] = {oid};
	PGresult *res;
	bool ok;

	snprintf(oid, sizeof oid, "%u", ct->oid);
	res = lookup(t, name, pkey_sql, 1, params, 3);
	ok = PQntuples(res) > 0;
	if (ok)
		take_keys(ct, res);
	else
		snprintf(errbuf, errsize,
				 "table \"%s\" has no primary key: an incremental snapshot reads a table in "
				 "chunks of its primary key, or of the columns --key-columns "
				 "(message.key.columns) names for it",
				 name);
	PQclear(res);
	return ok;
}

bool
chunk_table(struct tail *t, const char *name, const char *filter, struct chunk_table *ct,
			char *errbuf, size_t errsize)
{
	struct buf full = BUF_INIT;
	const char *params[2];
	const struct keycols *kc;
	PGresult *res;
	bool ok;

	memset(ct, 0, sizeof *ct);
	params[0] = t->o->publication;
	params[1] = table_full_name(name, &full);
	res = lookup(t, name, table_sql, 2, params, 3);
	ok = PQntuples(res) == 1;
	if (PQntuples(res) > 1)
		snprintf(errbuf, errsize,
				 "\"%s\" names %d tables of publication \"%s\" (a schema or a table with a "
				 "dot in its name)",
				 name, PQntuples(res), t->o->publication);
	else if (!ok)
		snprintf(errbuf, errsize, "table \"%s\" is not in publication \"%s\"", name,
				 t->o->publication);
	else {
		ct->oid = (uint32_t) strtoul(PQgetvalue(res, 0, 0), NULL, 10);
		ct->reltuples = strtod(PQgetvalue(res, 0, 1), NULL);
		ct->relkind = PQgetvalue(res, 0, 2)[0];
	}
	PQclear(res);
	kc = keycols_find(&t->o->keycols, full.data);
	if (ok && kc)
		ok = named_keys(t, name, kc, ct, errbuf, errsize);
	else if (ok)
		ok = primary_key(t, name, ct, errbuf, errsize);
	if (ok && filter)
		ok = filter_ok(t, ct->oid, filter, errbuf, errsize);
	if (!ok)
		chunk_table_free(ct);
	buf_free(&full);
	return ok;
}

void
chunk_table_free(struct chunk_table *ct)
{
	for (int k = 0; k < ct->nkeys; k++)
		free(ct->keys[k]);
	free(ct->keys);
	free(ct->notnull);
	memset(ct, 0, sizeof *ct);
}

bool
chunk_table_name(struct tail *t, uint32_t oid, struct buf *name)
{
	char param[16];
	const char *params[1] = {param};
	PGresult *res;
	bool found;

	snprintf(param, sizeof param, "%u", oid);
	res = PQexecParams(t->sql,
					   "SELECT n.nspname || '.' || c.relname FROM pg_catalog.pg_class c"
					   " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
					   " WHERE c.oid = $1::pg_catalog.oid",
					   1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQnfields(res) != 1) {
		char msg[1024];
		int status = pg_result_status(t->sql, res);

		pg_errmsg(t->sql, res, msg, sizeof msg);
		PQclear(res);
		fatal(status, "incremental snapshot: could not look up table %s: %s", param, msg);
	}
	found = PQntuples(res) == 1;
	buf_reset(name);
	if (found)
		buf_puts(name, PQgetvalue(res, 0, 0));
	buf_cstr(name);
	PQclear(res);
	return found;
}

/* Appends "a", "b" (quoted identifiers of the key columns) to b. */
static void
put_keys(const struct chunkq *c, struct buf *b, const char *suffix)
{
	for (int i = 0; i < c->nkeys; i++) {
		const char *name = c->r->cols[c->keycol[i]].name;
		char *q = PQescapeIdentifier(c->conn, name, strlen(name));

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

/* "[ONLY ]schema.table" */
static void
put_table(const struct chunkq *c, struct buf *b)
{
	char *q = PQescapeIdentifier(c->conn, c->r->nspname, strlen(c->r->nspname));

	buf_printf(b, "%s%s.", c->relkind == 'p' ? "" : "ONLY ", q);
	PQfreemem(q);
	q = PQescapeIdentifier(c->conn, c->r->relname, strlen(c->r->relname));
	buf_puts(b, q);
	PQfreemem(q);
}

/* " FROM [ONLY] schema.table" */
static void
put_from(const struct chunkq *c, struct buf *b)
{
	buf_puts(b, " FROM ");
	put_table(c, b);
}

void
chunk_lock_query(const struct chunkq *c, struct buf *lock)
{
	buf_reset(lock);
	buf_puts(lock, "LOCK TABLE ");
	put_table(c, lock);
	buf_puts(lock, " IN ACCESS SHARE MODE");
	buf_cstr(lock);
}

/* SELECT cols FROM [ONLY] table: the start of every query on it. */
static void
put_select(const struct chunkq *c, struct buf *b)
{
	const struct rel *r = c->r;

	buf_reset(b);
	buf_puts(b, "SELECT ");
	for (int i = 0; i < r->ncols; i++) {
		char *q = PQescapeIdentifier(c->conn, r->cols[i].name, strlen(r->cols[i].name));

		buf_printf(b, "%s%s", i ? ", " : "", q);
		PQfreemem(q);
	}
	put_from(c, b);
}

/* Whether every key column is NOT NULL: a row comparison then orders the keys. */
static bool
all_notnull(const struct chunkq *c)
{
	for (int i = 0; i < c->nkeys; i++)
		if (!c->notnull[i])
			return false;
	return true;
}

/* Key column i compared to $p: greater (gt) or the same. */
static void
put_cmp(const struct chunkq *c, struct buf *b, int i, int p, bool gt)
{
	const char *name = c->r->cols[c->keycol[i]].name;
	char *q = PQescapeIdentifier(c->conn, name, strlen(name));

	if (c->notnull[i])
		buf_printf(b, "%s %s $%d", q, gt ? ">" : "=", p);
	else if (gt)
		buf_printf(b, "($%d IS NOT NULL AND (%s > $%d OR %s IS NULL))", p, q, p, q);
	else
		buf_printf(b, "%s IS NOT DISTINCT FROM $%d", q, p);
	PQfreemem(q);
}

/* "(k1, k2, ...) OP ($from, ...)": a row comparison the key's index serves. */
static void
put_row_cmp(const struct chunkq *c, struct buf *b, const char *op, int from)
{
	buf_putc(b, '(');
	put_keys(c, b, "");
	buf_printf(b, ") %s ", op);
	put_params(b, c->nkeys, from);
}

/*
 * "The key comes after ($from, ...)": with NOT NULL columns, a row
 * comparison, which the key's index serves; else k1 > $1 OR (k1 = $1 AND
 * k2 > $2) ..., each comparison of a nullable column as ORDER BY orders
 * a NULL (after every value), so that the condition is never NULL.
 */
static void
put_after(const struct chunkq *c, struct buf *b, int from)
{
	if (all_notnull(c)) {
		put_row_cmp(c, b, ">", from);
		return;
	}
	buf_putc(b, '(');
	for (int i = 0; i < c->nkeys; i++) {
		buf_puts(b, i ? " OR (" : "(");
		for (int j = 0; j < i; j++) {
			put_cmp(c, b, j, from + j, false);
			buf_puts(b, " AND ");
		}
		put_cmp(c, b, i, from + i, true);
		buf_putc(b, ')');
	}
	buf_putc(b, ')');
}

/* "The key comes at or before ($from, ...)". */
static void
put_upto(const struct chunkq *c, struct buf *b, int from)
{
	if (all_notnull(c)) {
		put_row_cmp(c, b, "<=", from);
		return;
	}
	buf_puts(b, "NOT ");
	put_after(c, b, from);
}

void
chunk_queries(const struct chunkq *c, struct buf *first, struct buf *next, struct buf *max,
			  struct buf *shape)
{
	int n = c->nkeys;
	char limit[64];

	snprintf(limit, sizeof limit, " LIMIT %d", c->chunk_size);
	put_select(c, first);
	put_select(c, next);
	put_select(c, max);
	buf_puts(first, " WHERE ");
	put_upto(c, first, 1);
	buf_puts(next, " WHERE ");
	put_after(c, next, 1);
	buf_puts(next, " AND ");
	put_upto(c, next, n + 1);
	buf_puts(max, " WHERE true");
	if (c->filter) {
		buf_printf(first, " AND (%s)", c->filter);
		buf_printf(next, " AND (%s)", c->filter);
		buf_printf(max, " AND (%s)", c->filter);
	}
	buf_puts(first, " ORDER BY ");
	put_keys(c, first, "");
	buf_puts(first, limit);
	buf_puts(next, " ORDER BY ");
	put_keys(c, next, "");
	buf_puts(next, limit);
	buf_puts(max, " ORDER BY ");
	put_keys(c, max, " DESC");
	buf_puts(max, " LIMIT 1");
	buf_cstr(first);
	buf_cstr(next);
	buf_cstr(max);
	buf_reset(shape);
	buf_puts(shape, "SELECT *");
	put_from(c, shape);
	buf_puts(shape, " LIMIT 0");
	buf_cstr(shape);
}
