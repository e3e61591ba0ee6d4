/*
 * repair.c - change lines that make a target equal to its source.
 *
 * For each differing key, --repair writes what pg-wal-tail would: the
 * source row as a read (op r) for a key missing or differing on the
 * replica, a delete (op d) of the key for a row only the replica has.
 * The lines are pg-wal-tail's own (its catalog, type and format code), so
 * cdc-envelope and pg-apply take them as any other change.  Their
 * position is the source's WAL position when they were read.
 */
#include "verify.h"
#include "clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "json.h"
#include "pgutil.h"
#include "sqlident.h"
#include "../pg-wal-tail/catalog.h"
#include "../pg-wal-tail/format.h"

struct repair {
	struct typecache types;
	struct rel *rel;
	struct change_hdr hdr;
	struct buf db_json;
	struct buf select; /* the row of a key, $1 the key as JSON */
	struct buf key;	   /* the key's columns, $1 the key as JSON */
	struct pgo_tuple tup;
	struct buf line;
};

/* "a", "b" of the rel's columns, quoted, into q. */
static void
put_columns(struct buf *q, const struct rel *r, const char *prefix)
{
	int i;

	for (i = 0; i < r->ncols; i++) {
		buf_printf(q, "%s%s", i ? ", " : "", prefix);
		quote_ident(q, r->cols[i].name, strlen(r->cols[i].name));
	}
	if (r->ncols == 0)
		buf_puts(q, "NULL");
}

/* The statements that read a key's row, and the key alone, from its JSON. */
static void
build_queries(struct repair *rp, const struct vtable *t)
{
	const struct rel *r = rp->rel;
	int i, n = 0;

	buf_puts(&rp->select, "SELECT ");
	put_columns(&rp->select, r, "");
	buf_printf(&rp->select, " FROM ONLY %s WHERE (", t->qsource);
	for (i = 0; i < t->nkeys; i++)
		buf_printf(&rp->select, "%s%s", i ? ", " : "", t->cols[t->keys[i]].qname);
	buf_puts(&rp->select, ") = (SELECT ");
	for (i = 0; i < t->nkeys; i++)
		buf_printf(&rp->select, "%sk.%s", n++ ? ", " : "", t->cols[t->keys[i]].qname);
	buf_printf(&rp->select, " FROM json_populate_record(NULL::%s, $1::json) k)", t->qsource);
	/* Every column, only the key's set: a delete line carries the key. */
	buf_puts(&rp->key, "SELECT ");
	put_columns(&rp->key, r, "k.");
	buf_printf(&rp->key, " FROM json_populate_record(NULL::%s, $1::json) k", t->qsource);
}

struct repair *
repair_open(PGconn *src, const struct vtable *t, char *errbuf, size_t errsize)
{
	struct repair *rp = xcalloc(1, sizeof *rp);
	const char *params[1] = {t->qsource};
	PGresult *res;
	char state[6];
	char msg[512];

	res = PQexecParams(src,
					   "SELECT $1::regclass::oid, current_database(),"
					   " pg_current_wal_lsn() - '0/0'::pg_lsn,"
					   " txid_snapshot_xmin(txid_current_snapshot())",
					   1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		snprintf(errbuf, errsize, "could not describe %s for the repair: %s", t->source,
				 pg_errmsg(src, res, msg, sizeof msg));
		PQclear(res);
		free(rp);
		return NULL;
	}
	rp->rel = catalog_rel(src, &rp->types, (uint32_t) strtoul(PQgetvalue(res, 0, 0), NULL, 10),
						  NULL, errbuf, errsize, state);
	if (rp->rel == NULL) {
		PQclear(res);
		types_free(&rp->types);
		free(rp);
		return NULL;
	}
	json_put_cstr(&rp->db_json, PQgetvalue(res, 0, 1));
	rp->hdr.commit_lsn = strtoull(PQgetvalue(res, 0, 2), NULL, 10);
	rp->hdr.lsn = rp->hdr.commit_lsn;
	rp->hdr.xid = (uint32_t) strtoull(PQgetvalue(res, 0, 3), NULL, 10);
	rp->hdr.ts_us = clock_wall_us();
	rp->hdr.db_json = buf_cstr(&rp->db_json);
	PQclear(res);
	rp->tup.vals = xcalloc((size_t) (rp->rel->ncols ? rp->rel->ncols : 1), sizeof *rp->tup.vals);
	rp->tup.ncols = rp->tup.cap = rp->rel->ncols;
	build_queries(rp, t);
	return rp;
}

/* Row 0 of res as the tuple of rp's rel. */
static void
take_row(struct repair *rp, PGresult *res)
{
	int col;

	for (col = 0; col < rp->rel->ncols; col++) {
		struct pgo_val *v = &rp->tup.vals[col];

		v->kind = PQgetisnull(res, 0, col) ? PGO_NULL : PGO_TEXT;
		v->p = PQgetvalue(res, 0, col);
		v->n = (size_t) PQgetlength(res, 0, col);
	}
}

int
repair_key(struct repair *rp, PGconn *src, const char *key, char kind, struct out *out,
		   char *errbuf, size_t errsize)
{
	const char *params[1] = {key};
	bool del = kind == 'e';
	PGresult *res =
		PQexecParams(src, buf_cstr(del ? &rp->key : &rp->select), 1, NULL, params, NULL, NULL, 0);
	char msg[512];
	int status = 0;

	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		status = query_status(src, res);
		snprintf(errbuf, errsize, "could not read the row of %s for the repair: %s", key,
				 pg_errmsg(src, res, msg, sizeof msg));
	} else if (PQntuples(res) == 1) {
		take_row(rp, res);
		rp->hdr.seq++;
		buf_reset(&rp->line);
		if (!fmt_change(&rp->line, &rp->hdr, rp->rel, del ? 'd' : 'r', NULL, del ? &rp->tup : NULL,
						del, del ? NULL : &rp->tup, errbuf, errsize))
			status = EX_SOFTWARE;
		else
			out_line(out, rp->line.data, rp->line.len);
	}
	/* A row deleted on the source since: its own delete will come. */
	PQclear(res);
	return status;
}

void
repair_close(struct repair *rp)
{
	if (rp == NULL)
		return;
	rel_free(rp->rel);
	types_free(&rp->types);
	free(rp->tup.vals);
	buf_free(&rp->db_json);
	buf_free(&rp->select);
	buf_free(&rp->key);
	buf_free(&rp->line);
	free(rp);
}
