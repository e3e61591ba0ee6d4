/*
 * chunkq.c - what an incremental snapshot asks of the catalog and the
 * queries that read a table in chunks of its primary key: the first chunk
 * (key <= MAX), the next ones (LAST < key <= MAX), each ORDER BY the key
 * LIMIT the chunk size, and the largest key.  Row comparisons of the key
 * columns use the primary key's index, so each chunk costs its rows.
 */
#include "chunkq.h"
#include "tail.h"

#include <stdio.h>
#include <string.h>

#include "log.h"
#include "pgutil.h"

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

/* Whether filter is a condition on the table (oid); if not, why in errbuf. */
static bool
filter_ok(struct tail *t, const char *oid, const char *filter, char *errbuf, size_t errsize)
{
	struct buf sql = BUF_INIT;
	PGresult *res;
	char msg[1024];
	bool ok;

	buf_printf(&sql,
			   "SELECT pg_catalog.format('SELECT 1 FROM ONLY %%s WHERE (%%s) LIMIT 0',"
			   " %s::pg_catalog.regclass, $1::text)",
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

PGresult *
chunk_table(struct tail *t, const char *name, const char *filter, char *errbuf, size_t errsize)
{
	struct buf nsp = BUF_INIT, rel = BUF_INIT;
	const char *params[3];
	PGresult *res;

	split_name(name, &nsp, &rel);
	params[0] = t->o->publication;
	params[1] = nsp.data;
	params[2] = rel.data;
	res = PQexecParams(t->sql, table_sql, 3, NULL, params, NULL, NULL, 0);
	buf_free(&nsp);
	buf_free(&rel);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQnfields(res) != 4) {
		char msg[1024];
		int status = pg_result_status(t->sql, res);

		pg_errmsg(t->sql, res, msg, sizeof msg);
		PQclear(res);
		fatal(status, "incremental snapshot: could not look up \"%s\": %s", name, msg);
	}
	if (PQntuples(res) == 0)
		snprintf(errbuf, errsize, "table \"%s\" is not in publication \"%s\"", name,
				 t->o->publication);
	else if (PQgetisnull(res, 0, 2))
		snprintf(errbuf, errsize,
				 "table \"%s\" has no primary key: an incremental "
				 "snapshot reads a table in chunks of its primary key",
				 name);
	else if (filter == NULL || filter_ok(t, PQgetvalue(res, 0, 0), filter, errbuf, errsize))
		return res;
	PQclear(res);
	return NULL;
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

/* " FROM [ONLY] schema.table" */
static void
put_from(const struct chunkq *c, struct buf *b)
{
	char *q = PQescapeIdentifier(c->conn, c->r->nspname, strlen(c->r->nspname));

	buf_printf(b, " FROM %s%s.", c->relkind == 'p' ? "" : "ONLY ", q);
	PQfreemem(q);
	q = PQescapeIdentifier(c->conn, c->r->relname, strlen(c->r->relname));
	buf_puts(b, q);
	PQfreemem(q);
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
	buf_puts(first, " WHERE (");
	put_keys(c, first, "");
	buf_puts(first, ") <= ");
	put_params(first, n, 1);
	buf_puts(next, " WHERE (");
	put_keys(c, next, "");
	buf_puts(next, ") > ");
	put_params(next, n, 1);
	buf_puts(next, " AND (");
	put_keys(c, next, "");
	buf_puts(next, ") <= ");
	put_params(next, n, n + 1);
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
