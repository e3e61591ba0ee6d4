/*
 * catalog.c - column facts for change lines: primary-key ordinals, NOT
 * NULL, defaults and comments, one query per relation; types by OID
 * through types.h.
 */
#include "catalog.h"
#include "tail.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

/*
 * One row per column in table order.  The key is the primary key, or
 * failing that the replica identity index.  Types are resolved apart, by
 * OID (types.h).
 */
static const char rel_sql[] =
	"SELECT a.attname, a.atttypid, a.atttypmod, NOT a.attnotnull,"
	" pg_catalog.pg_get_expr(d.adbin, d.adrelid),"
	" coalesce((SELECT k.n FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(att, n)"
	"  WHERE k.att = a.attnum), 0),"
	" pg_catalog.col_description(a.attrelid, a.attnum),"
	" n.nspname, c.relname, a.attgenerated <> ''"
	" FROM pg_catalog.pg_attribute a"
	" JOIN pg_catalog.pg_class c ON c.oid = a.attrelid"
	" JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
	" LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum"
	" LEFT JOIN LATERAL (SELECT x.indkey FROM pg_catalog.pg_index x"
	"  WHERE x.indrelid = a.attrelid AND (x.indisprimary OR x.indisreplident)"
	"  ORDER BY x.indisprimary DESC LIMIT 1) i ON true"
	" WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped"
	" ORDER BY a.attnum";

enum {
	F_NAME,
	F_TYPOID,
	F_TYPMOD,
	F_OPTIONAL,
	F_DEFAULT,
	F_KEYNO,
	F_COMMENT,
	F_NSP,
	F_REL,
	F_GENERATED,
	F_COUNT
};

static const char *
field(PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

static uint32_t
typoid_of(PGresult *res, int row)
{
	return (uint32_t) strtoul(PQgetvalue(res, row, F_TYPOID), NULL, 10);
}

static void
colinfo_from_type(const struct pgtype *ty, struct colinfo *ci)
{
	ci->type = ty->name;
	ci->domain = ty->domain;
	ci->enum_json = ty->enum_json;
	ci->basetype = ty->basetype;
}

static void
colinfo_from_row(PGresult *res, int row, struct colinfo *ci)
{
	ci->keyno = atoi(PQgetvalue(res, row, F_KEYNO));
	ci->optional = PQgetvalue(res, row, F_OPTIONAL)[0] == 't';
	ci->dflt = field(res, row, F_DEFAULT);
	ci->comment = field(res, row, F_COMMENT);
}

/* The catalog row of column c, or -1: none of that name (dropped, renamed). */
static int
find_col(PGresult *res, const struct pgo_relcol *c, int hint)
{
	int i;
	int rows = PQntuples(res);

	for (i = 0; i < rows; i++) {
		int row = (hint + i) % rows;
		const char *v = PQgetvalue(res, row, F_NAME);

		if (strlen(v) == c->name.n && memcmp(v, c->name.p, c->name.n) == 0)
			return row;
	}
	return -1;
}

/*
 * The columns are the Relation message's, which describes the table as it
 * was at that point of the WAL.  What the message lacks (NOT NULL, default,
 * primary-key ordinal, comment) comes from the catalog as it is now, by
 * column name, as Debezium does (a retyped column's default is then an
 * expression of the new type; cdc-envelope reads it as Debezium does).  A
 * column the catalog no longer has is optional, without default or
 * comment, unless a key column (message flag, but under REPLICA IDENTITY
 * FULL, which flags every column): that is NOT NULL and numbered by its
 * place among the message's key columns.
 */
static bool
rel_from_message(PGresult *res, const struct pgo_msg *m, struct typecache *types, PGconn *conn,
				 struct rel **out, char *errbuf, size_t errsize, char *sqlstate)
{
	struct rel *r = rel_new(m->relid, m->nspname.p, m->nspname.n, m->relname.p, m->relname.n);
	int i, row, hint = 0, nkeys = 0;

	for (i = 0; i < m->ncols; i++) {
		const struct pgo_relcol *c = &m->cols[i];
		const struct pgtype *ty = types_get(types, conn, c->typoid, errbuf, errsize, sqlstate);
		struct colinfo ci = {NULL, NULL, 0, true, NULL, NULL, NULL, 0};

		if (ty == NULL) {
			rel_free(r);
			return false;
		}
		colinfo_from_type(ty, &ci);
		nkeys += (c->flags & 1) != 0;
		if (PQntuples(res) > 0 && (row = find_col(res, c, hint)) >= 0) {
			colinfo_from_row(res, row, &ci);
			hint = row + 1;
		} else if ((c->flags & 1) && m->replident != 'f') {
			/* A primary key or replica identity index column is NOT NULL. */
			ci.keyno = nkeys;
			ci.optional = false;
		}
		rel_add_col(r, c->name.p, c->name.n, c->typoid, c->typmod, (c->flags & 1) != 0, &ci);
	}
	rel_finish(r);
	*out = r;
	return true;
}

static bool
rel_from_catalog(PGresult *res, uint32_t oid, struct typecache *types, PGconn *conn,
				 struct rel **out, char *errbuf, size_t errsize, char *sqlstate)
{
	const char *nsp = PQgetvalue(res, 0, F_NSP);
	const char *name = PQgetvalue(res, 0, F_REL);
	struct rel *r = rel_new(oid, nsp, strlen(nsp), name, strlen(name));
	int i;

	for (i = 0; i < PQntuples(res); i++) {
		struct colinfo ci;
		const char *cname = PQgetvalue(res, i, F_NAME);
		const struct pgtype *ty;

		if (PQgetvalue(res, i, F_GENERATED)[0] == 't')
			continue;
		ty = types_get(types, conn, typoid_of(res, i), errbuf, errsize, sqlstate);
		if (ty == NULL) {
			rel_free(r);
			return false;
		}
		colinfo_from_type(ty, &ci);
		colinfo_from_row(res, i, &ci);
		rel_add_col(r, cname, strlen(cname), ty->oid, atoi(PQgetvalue(res, i, F_TYPMOD)),
					ci.keyno > 0, &ci);
	}
	rel_finish(r);
	*out = r;
	return true;
}

struct rel *
catalog_rel(PGconn *conn, struct typecache *types, uint32_t oid, const struct pgo_msg *m,
			char *errbuf, size_t errsize, char *sqlstate)
{
	char oidtext[16];
	const char *params[1] = {oidtext};
	PGresult *res;
	struct rel *r = NULL;
	char msg[1024];

	sqlstate[0] = '\0';
	snprintf(oidtext, sizeof oidtext, "%u", oid);
	res = PQexecParams(conn, rel_sql, 1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		const char *st = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

		snprintf(sqlstate, 6, "%s", st ? st : "");
		snprintf(errbuf, errsize, "could not read the catalog of relation %u: %s", oid,
				 pg_errmsg(conn, res, msg, sizeof msg));
		goto done;
	}
	if (PQnfields(res) != F_COUNT) {
		snprintf(errbuf, errsize, "catalog query for relation %u returned %d fields", oid,
				 PQnfields(res));
		goto done;
	}
	if (m)
		(void) rel_from_message(res, m, types, conn, &r, errbuf, errsize, sqlstate);
	else if (PQntuples(res) > 0)
		(void) rel_from_catalog(res, oid, types, conn, &r, errbuf, errsize, sqlstate);
	else
		snprintf(errbuf, errsize, "relation %u does not exist", oid);
done:
	PQclear(res);
	return r;
}
