/*
 * catalog.c - column facts for change lines: type names (domains resolved
 * to their base type), primary-key ordinals, NOT NULL, defaults, enum
 * labels (of an enum or an array of one) and comments, one query per relation.
 */
#include "catalog.h"
#include "tail.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

/*
 * One row per column in table order.  The key is the primary key, or
 * failing that the replica identity index.  Domains are followed down to
 * their base type, which decides the JSON form of values.
 */
static const char rel_sql[] =
	"SELECT a.attname, a.atttypid, a.atttypmod, NOT a.attnotnull,"
	" pg_catalog.pg_get_expr(d.adbin, d.adrelid),"
	" coalesce((SELECT k.n FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(att, n)"
	"  WHERE k.att = a.attnum), 0),"
	" bt.oid, bt.typname, CASE WHEN t.typtype = 'd' THEN t.typname END,"
	" (SELECT '[' || string_agg(to_json(e.enumlabel::text)::text, ',' ORDER BY e.enumsortorder)"
	"  || ']' FROM pg_catalog.pg_enum e WHERE e.enumtypid IN (bt.oid, bt.typelem)),"
	" pg_catalog.col_description(a.attrelid, a.attnum),"
	" n.nspname, c.relname, a.attgenerated <> ''"
	" FROM pg_catalog.pg_attribute a"
	" JOIN pg_catalog.pg_class c ON c.oid = a.attrelid"
	" JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
	" JOIN pg_catalog.pg_type t ON t.oid = a.atttypid"
	" LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum"
	" LEFT JOIN LATERAL (SELECT x.indkey FROM pg_catalog.pg_index x"
	"  WHERE x.indrelid = a.attrelid AND (x.indisprimary OR x.indisreplident)"
	"  ORDER BY x.indisprimary DESC LIMIT 1) i ON true"
	" LEFT JOIN LATERAL (WITH RECURSIVE b(oid, typtype, typbasetype) AS ("
	"   SELECT t.oid, t.typtype, t.typbasetype"
	"   UNION ALL SELECT p.oid, p.typtype, p.typbasetype FROM pg_catalog.pg_type p"
	"   JOIN b ON p.oid = b.typbasetype WHERE b.typtype = 'd')"
	"  SELECT b.oid FROM b WHERE b.typtype <> 'd' LIMIT 1) bo ON true"
	" JOIN pg_catalog.pg_type bt ON bt.oid = coalesce(bo.oid, t.oid)"
	" WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped"
	" ORDER BY a.attnum";

enum {
	F_NAME, F_TYPOID, F_TYPMOD, F_OPTIONAL, F_DEFAULT, F_KEYNO, F_BASEOID,
	F_BASENAME, F_DOMAIN, F_ENUM, F_COMMENT, F_NSP, F_REL, F_GENERATED, F_COUNT
};

static const char *
field(PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

static void
colinfo_from_row(PGresult *res, int row, struct colinfo *ci)
{
	ci->type = field(res, row, F_BASENAME);
	ci->domain = field(res, row, F_DOMAIN);
	ci->keyno = atoi(PQgetvalue(res, row, F_KEYNO));
	ci->optional = PQgetvalue(res, row, F_OPTIONAL)[0] == 't';
	ci->dflt = field(res, row, F_DEFAULT);
	ci->enum_json = field(res, row, F_ENUM);
	ci->comment = field(res, row, F_COMMENT);
	ci->basetype = (uint32_t) strtoul(PQgetvalue(res, row, F_BASEOID), NULL, 10);
}

/* The catalog row of column name, or -1 (column gone since the change). */
static int
find_col(PGresult *res, const char *name, size_t n, int hint)
{
	int			i;
	int			rows = PQntuples(res);

	if (hint < rows && strlen(PQgetvalue(res, hint, F_NAME)) == n &&
		memcmp(PQgetvalue(res, hint, F_NAME), name, n) == 0)
		return hint;
	for (i = 0; i < rows; i++) {
		const char *v = PQgetvalue(res, i, F_NAME);

		if (strlen(v) == n && memcmp(v, name, n) == 0)
			return i;
	}
	return -1;
}

static struct rel *
rel_from_message(PGresult *res, const struct pgo_msg *m)
{
	struct rel *r = rel_new(m->relid, m->nspname.p, m->nspname.n, m->relname.p, m->relname.n);
	int			i,
				row = 0;

	for (i = 0; i < m->ncols; i++) {
		const struct pgo_relcol *c = &m->cols[i];
		struct colinfo ci = {NULL, NULL, 0, true, NULL, NULL, NULL, 0};

		row = find_col(res, c->name.p, c->name.n, row);
		if (row >= 0)
			colinfo_from_row(res, row, &ci);
		else
			row = 0;
		rel_add_col(r, c->name.p, c->name.n, c->typoid, c->typmod, (c->flags & 1) != 0, &ci);
	}
	rel_finish(r);
	return r;
}

static struct rel *
rel_from_catalog(PGresult *res, uint32_t oid)
{
	const char *nsp = PQgetvalue(res, 0, F_NSP);
	const char *name = PQgetvalue(res, 0, F_REL);
	struct rel *r = rel_new(oid, nsp, strlen(nsp), name, strlen(name));
	int			i;

	for (i = 0; i < PQntuples(res); i++) {
		struct colinfo ci;
		const char *cname = PQgetvalue(res, i, F_NAME);

		if (PQgetvalue(res, i, F_GENERATED)[0] == 't')
			continue;
		colinfo_from_row(res, i, &ci);
		rel_add_col(r, cname, strlen(cname),
					(uint32_t) strtoul(PQgetvalue(res, i, F_TYPOID), NULL, 10),
					atoi(PQgetvalue(res, i, F_TYPMOD)), ci.keyno > 0, &ci);
	}
	rel_finish(r);
	return r;
}

struct rel *
catalog_rel(PGconn *conn, uint32_t oid, const struct pgo_msg *m,
			char *errbuf, size_t errsize, char *sqlstate)
{
	char		oidtext[16];
	const char *params[1] = {oidtext};
	PGresult   *res;
	struct rel *r = NULL;
	char		msg[1024];

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
		snprintf(errbuf, errsize, "catalog query for relation %u returned %d fields",
				 oid, PQnfields(res));
		goto done;
	}
	if (m)
		r = rel_from_message(res, m);
	else if (PQntuples(res) > 0)
		r = rel_from_catalog(res, oid);
	else
		snprintf(errbuf, errsize, "relation %u does not exist", oid);
done:
	PQclear(res);
	return r;
}
