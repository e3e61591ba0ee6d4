/*
 * types.c - type OIDs to names, domains and enum labels (of an enum or an
 * array of one): the built-in types from a table, the others from the
 * catalog once per OID.
 */
#include "types.h"
#include "tail.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

/*
 * pg_type rows with OIDs below 10000 (FirstGenbkiObjectId): hand-assigned
 * in PostgreSQL's catalog headers and the same in every release since 10.
 * Sorted by OID.  None is a domain or an enum.
 */
static const struct builtin {
	uint32_t oid;
	const char *name;
} builtins[] = {
	{16, "bool"},
	{17, "bytea"},
	{18, "char"},
	{19, "name"},
	{20, "int8"},
	{21, "int2"},
	{22, "int2vector"},
	{23, "int4"},
	{24, "regproc"},
	{25, "text"},
	{26, "oid"},
	{27, "tid"},
	{28, "xid"},
	{29, "cid"},
	{30, "oidvector"},
	{32, "pg_ddl_command"},
	{71, "pg_type"},
	{75, "pg_attribute"},
	{81, "pg_proc"},
	{83, "pg_class"},
	{114, "json"},
	{142, "xml"},
	{143, "_xml"},
	{194, "pg_node_tree"},
	{199, "_json"},
	{210, "_pg_type"},
	{269, "table_am_handler"},
	{270, "_pg_attribute"},
	{271, "_xid8"},
	{272, "_pg_proc"},
	{273, "_pg_class"},
	{325, "index_am_handler"},
	{600, "point"},
	{601, "lseg"},
	{602, "path"},
	{603, "box"},
	{604, "polygon"},
	{628, "line"},
	{629, "_line"},
	{650, "cidr"},
	{651, "_cidr"},
	{700, "float4"},
	{701, "float8"},
	{705, "unknown"},
	{718, "circle"},
	{719, "_circle"},
	{774, "macaddr8"},
	{775, "_macaddr8"},
	{790, "money"},
	{791, "_money"},
	{829, "macaddr"},
	{869, "inet"},
	{1000, "_bool"},
	{1001, "_bytea"},
	{1002, "_char"},
	{1003, "_name"},
	{1005, "_int2"},
	{1006, "_int2vector"},
	{1007, "_int4"},
	{1008, "_regproc"},
	{1009, "_text"},
	{1010, "_tid"},
	{1011, "_xid"},
	{1012, "_cid"},
	{1013, "_oidvector"},
	{1014, "_bpchar"},
	{1015, "_varchar"},
	{1016, "_int8"},
	{1017, "_point"},
	{1018, "_lseg"},
	{1019, "_path"},
	{1020, "_box"},
	{1021, "_float4"},
	{1022, "_float8"},
	{1027, "_polygon"},
	{1028, "_oid"},
	{1033, "aclitem"},
	{1034, "_aclitem"},
	{1040, "_macaddr"},
	{1041, "_inet"},
	{1042, "bpchar"},
	{1043, "varchar"},
	{1082, "date"},
	{1083, "time"},
	{1114, "timestamp"},
	{1115, "_timestamp"},
	{1182, "_date"},
	{1183, "_time"},
	{1184, "timestamptz"},
	{1185, "_timestamptz"},
	{1186, "interval"},
	{1187, "_interval"},
	{1231, "_numeric"},
	{1248, "pg_database"},
	{1263, "_cstring"},
	{1266, "timetz"},
	{1270, "_timetz"},
	{1560, "bit"},
	{1561, "_bit"},
	{1562, "varbit"},
	{1563, "_varbit"},
	{1700, "numeric"},
	{1790, "refcursor"},
	{2201, "_refcursor"},
	{2202, "regprocedure"},
	{2203, "regoper"},
	{2204, "regoperator"},
	{2205, "regclass"},
	{2206, "regtype"},
	{2207, "_regprocedure"},
	{2208, "_regoper"},
	{2209, "_regoperator"},
	{2210, "_regclass"},
	{2211, "_regtype"},
	{2249, "record"},
	{2275, "cstring"},
	{2276, "any"},
	{2277, "anyarray"},
	{2278, "void"},
	{2279, "trigger"},
	{2280, "language_handler"},
	{2281, "internal"},
	{2283, "anyelement"},
	{2287, "_record"},
	{2776, "anynonarray"},
	{2842, "pg_authid"},
	{2843, "pg_auth_members"},
	{2949, "_txid_snapshot"},
	{2950, "uuid"},
	{2951, "_uuid"},
	{2970, "txid_snapshot"},
	{3115, "fdw_handler"},
	{3220, "pg_lsn"},
	{3221, "_pg_lsn"},
	{3310, "tsm_handler"},
	{3361, "pg_ndistinct"},
	{3402, "pg_dependencies"},
	{3500, "anyenum"},
	{3614, "tsvector"},
	{3615, "tsquery"},
	{3642, "gtsvector"},
	{3643, "_tsvector"},
	{3644, "_gtsvector"},
	{3645, "_tsquery"},
	{3734, "regconfig"},
	{3735, "_regconfig"},
	{3769, "regdictionary"},
	{3770, "_regdictionary"},
	{3802, "jsonb"},
	{3807, "_jsonb"},
	{3831, "anyrange"},
	{3838, "event_trigger"},
	{3904, "int4range"},
	{3905, "_int4range"},
	{3906, "numrange"},
	{3907, "_numrange"},
	{3908, "tsrange"},
	{3909, "_tsrange"},
	{3910, "tstzrange"},
	{3911, "_tstzrange"},
	{3912, "daterange"},
	{3913, "_daterange"},
	{3926, "int8range"},
	{3927, "_int8range"},
	{4066, "pg_shseclabel"},
	{4072, "jsonpath"},
	{4073, "_jsonpath"},
	{4089, "regnamespace"},
	{4090, "_regnamespace"},
	{4096, "regrole"},
	{4097, "_regrole"},
	{4191, "regcollation"},
	{4192, "_regcollation"},
	{4451, "int4multirange"},
	{4532, "nummultirange"},
	{4533, "tsmultirange"},
	{4534, "tstzmultirange"},
	{4535, "datemultirange"},
	{4536, "int8multirange"},
	{4537, "anymultirange"},
	{4538, "anycompatiblemultirange"},
	{4600, "pg_brin_bloom_summary"},
	{4601, "pg_brin_minmax_multi_summary"},
	{5017, "pg_mcv_list"},
	{5038, "pg_snapshot"},
	{5039, "_pg_snapshot"},
	{5069, "xid8"},
	{5077, "anycompatible"},
	{5078, "anycompatiblearray"},
	{5079, "anycompatiblenonarray"},
	{5080, "anycompatiblerange"},
	{6101, "pg_subscription"},
	{6150, "_int4multirange"},
	{6151, "_nummultirange"},
	{6152, "_tsmultirange"},
	{6153, "_tstzmultirange"},
	{6155, "_datemultirange"},
	{6157, "_int8multirange"},
};

const char *
type_builtin_name(uint32_t oid)
{
	size_t lo = 0, hi = sizeof builtins / sizeof builtins[0];

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (builtins[mid].oid == oid)
			return builtins[mid].name;
		if (builtins[mid].oid < oid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/*
 * The type and, for a domain, the types under it down to the first that is
 * not a domain: one row each, the type first.
 */
static const char type_sql[] =
	"WITH RECURSIVE b(oid, typname, typtype, typbasetype, lvl) AS ("
	" SELECT t.oid, t.typname, t.typtype, t.typbasetype, 0 FROM pg_catalog.pg_type t"
	"  WHERE t.oid = $1"
	" UNION ALL SELECT p.oid, p.typname, p.typtype, p.typbasetype, b.lvl + 1"
	"  FROM pg_catalog.pg_type p JOIN b ON p.oid = b.typbasetype WHERE b.typtype = 'd')"
	" SELECT b.oid, b.typname, b.typtype,"
	" (SELECT '[' || string_agg(to_json(e.enumlabel::text)::text, ',' ORDER BY e.enumsortorder)"
	"  || ']' FROM pg_catalog.pg_enum e WHERE e.enumtypid IN (b.oid,"
	"  (SELECT p.typelem FROM pg_catalog.pg_type p WHERE p.oid = b.oid)))"
	" FROM b ORDER BY b.lvl";

enum { T_OID, T_NAME, T_TYPTYPE, T_ENUM, T_COUNT };

static char *
dup_field(PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? NULL : xstrdup(PQgetvalue(res, row, col));
}

/* Fills ty from the rows of type_sql; no rows: a type dropped since. */
static void
type_from_rows(PGresult *res, struct pgtype *ty)
{
	int last = PQntuples(res) - 1;

	if (last < 0) {
		ty->name = xstrdup("");
		ty->basetype = ty->oid;
		return;
	}
	ty->name = xstrdup(PQgetvalue(res, last, T_NAME));
	ty->enum_json = dup_field(res, last, T_ENUM);
	ty->basetype = (uint32_t) strtoul(PQgetvalue(res, last, T_OID), NULL, 10);
	if (PQgetvalue(res, 0, T_TYPTYPE)[0] == 'd')
		ty->domain = xstrdup(PQgetvalue(res, 0, T_NAME));
}

/* Reads type ty->oid from the catalog.  Returns false with errbuf filled. */
static bool
type_read(PGconn *conn, struct pgtype *ty, char *errbuf, size_t errsize, char *sqlstate)
{
	char oidtext[16];
	const char *params[1] = {oidtext};
	PGresult *res;
	char msg[1024];
	bool ok = false;

	snprintf(oidtext, sizeof oidtext, "%u", ty->oid);
	res = PQexecParams(conn, type_sql, 1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		const char *st = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

		snprintf(sqlstate, 6, "%s", st ? st : "");
		snprintf(errbuf, errsize, "could not read the catalog of type %u: %s", ty->oid,
				 pg_errmsg(conn, res, msg, sizeof msg));
	} else if (PQnfields(res) != T_COUNT)
		snprintf(errbuf, errsize, "catalog query for type %u returned %d fields", ty->oid,
				 PQnfields(res));
	else {
		type_from_rows(res, ty);
		ok = true;
	}
	PQclear(res);
	return ok;
}

const struct pgtype *
types_get(struct typecache *c, PGconn *conn, uint32_t oid, char *errbuf, size_t errsize,
		  char *sqlstate)
{
	struct pgtype **slot = &c->slots[oid & 63];
	struct pgtype *ty;
	const char *builtin;

	sqlstate[0] = '\0';
	for (ty = *slot; ty; ty = ty->next)
		if (ty->oid == oid)
			return ty;
	ty = xcalloc(1, sizeof *ty);
	ty->oid = oid;
	builtin = type_builtin_name(oid);
	if (builtin) {
		ty->name = xstrdup(builtin);
		ty->basetype = oid;
	} else if (!type_read(conn, ty, errbuf, errsize, sqlstate)) {
		free(ty);
		return NULL;
	}
	ty->next = *slot;
	*slot = ty;
	return ty;
}

bool
types_seen(struct typecache *c, PGconn *conn, uint32_t oid, const char *name, size_t namelen,
		   char *errbuf, size_t errsize, char *sqlstate)
{
	struct pgtype *ty = (struct pgtype *) types_get(c, conn, oid, errbuf, errsize, sqlstate);

	if (ty == NULL)
		return false;
	/* For a domain the message names the type under it, as "name" does. */
	free(ty->name);
	ty->name = xstrndup(name, namelen);
	return true;
}

void
types_free(struct typecache *c)
{
	int i;

	for (i = 0; i < 64; i++) {
		while (c->slots[i]) {
			struct pgtype *next = c->slots[i]->next;

			free(c->slots[i]->name);
			free(c->slots[i]->domain);
			free(c->slots[i]->enum_json);
			free(c->slots[i]);
			c->slots[i] = next;
		}
	}
}
