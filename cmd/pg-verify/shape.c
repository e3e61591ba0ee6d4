/*
 * shape.c - both tables' columns, and what each side hashes.
 *
 * The replica's columns are pg-apply's: created from the Connect schema,
 * so their types may differ from the source's while the values are the
 * same.  Each column is compared as the narrowest form both sides share:
 * the value itself when the types are equal, jsonb for JSON, numeric for
 * money, else the text of the value (its output function, so char(n)
 * keeps its padding as it does in the change stream).
 */
#include "verify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "log.h"
#include "pgutil.h"
#include "sqlident.h"

/*
 * One row per column: name, type, base type, builtin?, collatable?, key
 * position, the table's statistics and kind, and whether the type's
 * array elements are padded (its length not a multiple of its alignment).
 */
static const char columns_sql[] =
	"SELECT a.attname, format_type(a.atttypid, a.atttypmod),"
	" coalesce(bt.typname, t.typname),"
	" format_type(coalesce(bt.oid, t.oid), NULL),"
	" coalesce(bt.oid, t.oid) < 16384 AND t.typtype <> 'e',"
	" coalesce(bt.typcollation, t.typcollation) <> 0,"
	" coalesce((SELECT k.n FROM pg_index i, unnest(i.indkey) WITH ORDINALITY k(att, n)"
	"   WHERE i.indrelid = a.attrelid AND k.att = a.attnum"
	"   AND (i.indisprimary OR (i.indisreplident AND NOT EXISTS (SELECT 1 FROM pg_index p"
	"        WHERE p.indrelid = a.attrelid AND p.indisprimary)))), 0),"
	" (SELECT reltuples FROM pg_class WHERE oid = a.attrelid),"
	" (SELECT relpages FROM pg_class WHERE oid = a.attrelid),"
	" (SELECT relkind FROM pg_class WHERE oid = a.attrelid),"
	" coalesce(bt.typlen, t.typlen) > 0 AND coalesce(bt.typlen, t.typlen) % CASE"
	"  coalesce(bt.typalign, t.typalign) WHEN 'd' THEN 8 WHEN 'i' THEN 4 WHEN 's' THEN 2 ELSE 1 "
	"END <> 0"
	" FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid"
	" LEFT JOIN pg_type bt ON t.typtype = 'd' AND bt.oid = t.typbasetype"
	" WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped"
	" AND a.attgenerated = '' ORDER BY a.attnum";

enum {
	C_NAME,
	C_TYPE,
	C_BASE,
	C_BASEFMT,
	C_BUILTIN,
	C_COLLATE,
	C_KEYPOS,
	C_RELTUPLES,
	C_RELPAGES,
	C_RELKIND,
	C_PADDED
};

static char *
dup_printf(const char *fmt, const char *a, const char *b)
{
	struct buf s = BUF_INIT;

	buf_printf(&s, fmt, a, b);
	return (char *) buf_cstr(&s);
}

static PGresult *
describe(PGconn *conn, const char *qname, int *status, char *errbuf, size_t errsize)
{
	const char *params[1] = {qname};
	PGresult *res = PQexecParams(conn, columns_sql, 1, NULL, params, NULL, NULL, 0);
	char msg[512];

	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQnfields(res) == C_PADDED + 1) {
		*status = 0;
		return res;
	}
	*status = query_status(conn, res);
	snprintf(errbuf, errsize, "could not describe %s: %s", qname,
			 pg_errmsg(conn, res, msg, sizeof msg));
	PQclear(res);
	return NULL;
}

static bool
is_json(const char *base)
{
	return strcmp(base, "json") == 0 || strcmp(base, "jsonb") == 0;
}

/*
 * Types whose extended hash function hash_record_extended() calls; any
 * other column is hashed as its text.
 */
static bool
is_hashable(const char *base)
{
	static const char *const types[] = {
		"int2",	 "int4", "int8",	"oid",		 "float4",		"float8",	"numeric",
		"bool",	 "text", "varchar", "bpchar",	 "name",		"char",		"bytea",
		"date",	 "time", "timetz",	"timestamp", "timestamptz", "interval", "uuid",
		"jsonb", "inet", "cidr",	"macaddr",	 "pg_lsn",		NULL};

	for (const char *const *t = types; *t; t++)
		if (strcmp(base, *t) == 0)
			return true;
	return false;
}

/* Integer types compare with each other as they are. */
static bool
is_int(const char *base)
{
	return strcmp(base, "int2") == 0 || strcmp(base, "int4") == 0 || strcmp(base, "int8") == 0;
}

/* Integers and numeric compare by value as numeric (5 is 5.00). */
static bool
is_exact(const char *base)
{
	return is_int(base) || strcmp(base, "numeric") == 0;
}

/*
 * An interval as Debezium's MicroDuration counts it: months of 30.4375
 * days, so that a replica column filled from those microseconds
 * compares equal (the fields subtract one by one, leaving the time).
 */
static char *
interval_micros(const char *q)
{
	struct buf e = BUF_INIT;

	buf_printf(
		&e,
		"((EXTRACT(YEAR FROM %s) * 12 + EXTRACT(MONTH FROM %s)) * 2629800000000"
		" + EXTRACT(DAY FROM %s) * 86400000000 + EXTRACT(EPOCH FROM %s"
		" - make_interval(months => (EXTRACT(YEAR FROM %s) * 12 + EXTRACT(MONTH FROM %s))::int,"
		" days => EXTRACT(DAY FROM %s)::int)) * 1000000)",
		q, q, q, q, q, q, q);
	return (char *) buf_cstr(&e);
}

/*
 * The text a key column is matched by on one side: its output, with a
 * numeric's trailing zeros trimmed (1.5 is the key 1.50), so that a key
 * stored as another type or scale on the replica is the same key.
 */
static char *
key_text(const char *q, const char *base, int server_version)
{
	if (strcmp(base, "numeric") == 0 && server_version >= 130000)
		return dup_printf("trim_scale(%s)::text", q, "");
	if (strcmp(base, "text") == 0 || strcmp(base, "varchar") == 0)
		return dup_printf("%s::text", q, "");
	return dup_printf("format('%%s', %s)", q, "");
}

/* Decides c's expressions from the source row s and the replica row r. */
static void
decide(struct vcol *c, PGresult *src, int s, PGresult *rep, int r, const int *versions)
{
	const char *sbase = PQgetvalue(src, s, C_BASE);
	const char *rbase = PQgetvalue(rep, r, C_BASE);
	const char *q = c->qname;

	if (strcmp(sbase, "interval") == 0) {
		c->expr_src = interval_micros(q);
		c->expr_rep =
			strcmp(rbase, "interval") == 0 ? interval_micros(q) : dup_printf("%s::numeric", q, "");
	} else if (strcmp(sbase, "timetz") == 0 && strcmp(rbase, "timetz") == 0)
		/* Debezium's ZonedTime keeps the instant, in UTC. */
		c->expr_src = dup_printf("(%s AT TIME ZONE 'UTC')", q, ""),
		c->expr_rep = xstrdup(c->expr_src);
	else if (is_json(sbase) || is_json(rbase))
		/*
		 * The text of the jsonb, not its hash: jsonb's hash of an empty
		 * object or array is that of NULL.
		 */
		c->expr_src = dup_printf("%s::jsonb::text", q, ""), c->expr_rep = xstrdup(c->expr_src);
	else if (strcmp(sbase, "money") == 0)
		c->expr_src = dup_printf("%s::numeric", q, ""), c->expr_rep = xstrdup(c->expr_src);
	else if (strcmp(sbase, rbase) != 0 && is_exact(sbase) && is_exact(rbase)) {
		c->expr_src = dup_printf("%s::numeric", q, ""), c->expr_rep = xstrdup(c->expr_src);
		c->nan_flag = true;
	} else if (strcmp(sbase, rbase) == 0) {
		/*
		 * The same base type: a domain, or another typmod (numeric(7,2)
		 * stored as numeric), compares by value.
		 */
		if (!is_hashable(sbase))
			c->expr_src = dup_printf("%s::text", q, "");
		else if (strcmp(PQgetvalue(src, s, C_TYPE), PQgetvalue(rep, r, C_TYPE)) == 0)
			c->expr_src = xstrdup(q);
		else
			c->expr_src = dup_printf("%s::%s", q, PQgetvalue(src, s, C_BASEFMT));
		c->expr_rep = xstrdup(c->expr_src);
		c->nan_flag = strcmp(sbase, "numeric") == 0;
	} else {
		c->expr_src = dup_printf("CASE WHEN %s IS NULL THEN NULL ELSE format('%%s', %s) END", q, q);
		c->expr_rep = xstrdup(c->expr_src);
	}
	if (c->keypos == 0)
		return;
	if (strcmp(sbase, "money") == 0 || strcmp(sbase, "interval") == 0 ||
		(strcmp(sbase, "timetz") == 0 && strcmp(rbase, "timetz") == 0)) {
		/*
		 * A key the replica holds in another form (money as numeric, an
		 * interval as microseconds, a timetz in UTC) is ordered and
		 * matched by its compared value on both sides.
		 */
		bool numeric = strcmp(sbase, "timetz") != 0;

		c->text_src = key_text(c->expr_src, numeric ? "numeric" : "timetz", versions[0]);
		c->text_rep = key_text(c->expr_rep, numeric ? "numeric" : "timetz", versions[1]);
		if (numeric) {
			c->key_src = xstrdup(c->expr_src);
			c->key_rep = xstrdup(c->expr_rep);
		} else {
			/* A timetz is padded in an array (see below): order by its text. */
			c->key_src = dup_printf("convert_to(%s, 'UTF8')", c->text_src, "");
			c->key_rep = dup_printf("convert_to(%s, 'UTF8')", c->text_rep, "");
		}
		c->cmp_src = xstrdup(numeric ? "numeric" : "bytea");
		c->cmp_rep = xstrdup(c->cmp_src);
		return;
	}
	c->text_src = key_text(q, sbase, versions[0]);
	c->text_rep = key_text(q, rbase, versions[1]);
	/*
	 * Both sides must order keys alike: a collatable or user-defined key
	 * (an enum stored as text) is ordered by the bytes of its text, which
	 * no collation setting of either server can change.  So is a type
	 * whose array elements are padded (timetz, macaddr): width_bucket()
	 * steps through such an array by the type's length, not the padded
	 * one, and puts rows in the wrong chunks.
	 */
	if (PQgetvalue(src, s, C_BUILTIN)[0] == 't' && PQgetvalue(src, s, C_COLLATE)[0] == 'f' &&
		PQgetvalue(rep, r, C_COLLATE)[0] == 'f' && PQgetvalue(src, s, C_PADDED)[0] == 'f' &&
		PQgetvalue(rep, r, C_PADDED)[0] == 'f' &&
		(strcmp(sbase, rbase) == 0 || (is_int(sbase) && is_int(rbase)))) {
		c->key_src = xstrdup(q);
		c->key_rep = xstrdup(q);
		c->cmp_src = xstrdup(PQgetvalue(src, s, C_BASEFMT));
		c->cmp_rep = xstrdup(PQgetvalue(rep, r, C_BASEFMT));
	} else {
		/* The bytes of the text keys are matched by: equal keys, equal bytes. */
		c->key_src = dup_printf("convert_to(%s, 'UTF8')", c->text_src, "");
		c->key_rep = dup_printf("convert_to(%s, 'UTF8')", c->text_rep, "");
		c->cmp_src = xstrdup("bytea");
		c->cmp_rep = xstrdup("bytea");
	}
}

/* What FROM reads of a table: itself without its children, or all of its partitions. */
static char *
from_item(const char *qname, bool partitioned)
{
	return dup_printf("%s%s", partitioned ? "" : "ONLY ", qname);
}

/* Row of the replica's result naming column name, or -1. */
static int
find_col(PGresult *rep, const char *name)
{
	int i;

	for (i = 0; rep && i < PQntuples(rep); i++)
		if (strcmp(PQgetvalue(rep, i, C_NAME), name) == 0)
			return i;
	return -1;
}

int
shape_describe(PGconn *src, PGconn *rep, struct vtable *t, bool *no_target, char *errbuf,
			   size_t errsize)
{
	PGresult *rs, *rr = NULL;
	int status, i, n;
	int versions[2] = {PQserverVersion(src), PQserverVersion(rep)};

	*no_target = false;
	t->record_hash = PQserverVersion(src) >= 140000 && PQserverVersion(rep) >= 140000;
	if ((rs = describe(src, t->qsource, &status, errbuf, errsize)) == NULL)
		return status;
	if ((rr = describe(rep, t->qtarget, &status, errbuf, errsize)) == NULL) {
		PQclear(rs);
		if (status != EX_DATAERR)
			return status;
		*no_target = true;
		return 0;
	}
	n = PQntuples(rs);
	t->ncols = n;
	t->cols = xcalloc((size_t) (n ? n : 1), sizeof *t->cols);
	t->keys = xcalloc((size_t) (n ? n : 1), sizeof *t->keys);
	t->est_rows = n ? atof(PQgetvalue(rs, 0, C_RELTUPLES)) : 0;
	t->est_pages = n ? atof(PQgetvalue(rs, 0, C_RELPAGES)) : 0;
	/* A partitioned table holds its rows in its partitions. */
	t->partitioned = n && PQgetvalue(rs, 0, C_RELKIND)[0] == 'p';
	t->from_src = from_item(t->qsource, t->partitioned);
	t->from_rep = from_item(t->qtarget, PQntuples(rr) && PQgetvalue(rr, 0, C_RELKIND)[0] == 'p');
	for (i = 0; i < n; i++) {
		struct vcol *c = &t->cols[i];
		struct buf qn = BUF_INIT;
		int r;

		c->name = xstrdup(PQgetvalue(rs, i, C_NAME));
		quote_ident(&qn, c->name, strlen(c->name));
		c->qname = (char *) buf_cstr(&qn);
		c->keypos = atoi(PQgetvalue(rs, i, C_KEYPOS));
		if ((r = find_col(rr, c->name)) < 0) {
			if (c->keypos) {
				snprintf(errbuf, errsize, "%s: key column \"%s\" is not in %s", t->source, c->name,
						 t->target);
				status = EX_DATAERR;
				goto done;
			}
			log_warn("%s: column \"%s\" is not in %s: not compared", t->source, c->name, t->target);
			continue;
		}
		c->on_replica = true;
		decide(c, rs, i, rr, r, versions);
		if (c->keypos)
			t->keys[t->nkeys++] = i;
	}
	if (t->nkeys == 0) {
		snprintf(errbuf, errsize, "%s has no primary key or replica identity index", t->source);
		status = EX_DATAERR;
		goto done;
	}
	/* Key order is the index's, not the table's. */
	for (i = 1; i < t->nkeys; i++) {
		int k = t->keys[i], j = i;

		for (; j > 0 && t->cols[t->keys[j - 1]].keypos > t->cols[k].keypos; j--)
			t->keys[j] = t->keys[j - 1];
		t->keys[j] = k;
	}
	status = 0;
done:
	PQclear(rs);
	PQclear(rr);
	return status;
}

void
shape_free(struct vtable *t)
{
	int i;

	for (i = 0; i < t->ncols; i++) {
		struct vcol *c = &t->cols[i];

		free(c->name);
		free(c->qname);
		free(c->cmp_src);
		free(c->cmp_rep);
		free(c->key_src);
		free(c->key_rep);
		free(c->text_src);
		free(c->text_rep);
		free(c->expr_src);
		free(c->expr_rep);
	}
	free(t->cols);
	free(t->keys);
	free(t->from_src);
	free(t->from_rep);
	t->from_src = t->from_rep = NULL;
	t->cols = NULL;
	t->keys = NULL;
	t->ncols = t->nkeys = 0;
}
