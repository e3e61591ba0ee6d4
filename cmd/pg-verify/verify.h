/*
 * verify.h - pg-verify's comparison of one source table with its replica.
 *
 * shape.c describes both tables and decides, column by column, the SQL
 * expression each side hashes, so that a value pg-apply stored correctly
 * hashes the same as its source (an enum stored as text, money as
 * numeric, json as json or text, char(n) as text).
 *
 * compare.c splits the key space at boundaries sampled from the source,
 * has both servers hash every chunk at once (count and a sum of 64-bit row
 * hashes: hash_record_extended() of the compared values, or of their text
 * before PostgreSQL 14), and fetches row hashes only for the chunks that differ, so the
 * transfer grows with the differences, not with the table.  Differences
 * are checked again after a pause before they are reported: a replica
 * that was merely behind catches up meanwhile.
 */
#ifndef PGVERIFY_VERIFY_H
#define PGVERIFY_VERIFY_H

#include <stdbool.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "buf.h"
#include "out.h"

struct vcol {
	char *name;
	char *qname; /* quoted identifier */
	bool on_replica;
	int keypos;	   /* 1-based in the source key, 0 if not a key column */
	char *cmp_src; /* key columns: the type boundaries are cast to */
	char *cmp_rep; /* on each side */
	char *key_src; /* key columns: what each side orders by */
	char *key_rep;
	char *text_src; /* key columns: the text both sides match keys by */
	char *text_rep;
	char *expr_src; /* what each side hashes */
	char *expr_rep;
	bool nan_flag; /* a numeric: NaN and infinities hash alike */
};

struct vtable {
	char *source;  /* schema.table as given */
	char *target;  /* name on the replica as given */
	char *qsource; /* quoted */
	char *qtarget;
	char *from_src; /* the FROM item: ONLY, unless partitioned */
	char *from_rep;
	int ncols;
	struct vcol *cols;
	int nkeys;
	int *keys;		  /* indexes into cols, in key order */
	double est_rows;  /* pg_class.reltuples of the source */
	double est_pages; /* pg_class.relpages */
	bool partitioned; /* the source is partitioned: no block sample */
	bool record_hash; /* both servers have hash_record_extended() (14+) */
};

struct vopts {
	int64_t chunk_rows;
	int recheck;
	int recheck_delay_ms;
	bool repair; /* write change lines that repair, not differences */
};

struct vresult {
	int64_t rows_src;
	int64_t rows_rep;
	int chunks;
	int chunks_differ;
	int64_t rows_read; /* rows sent one by one, both sides, all readings */
	int64_t missing;
	int64_t extra;
	int64_t differs;
	bool no_target; /* the replica has no such table */
};

/*
 * Status of a step: 0, or a sysexits.h code with the message in errbuf
 * (EX_DATAERR for a table that cannot be compared, else pgutil's status
 * for the failure).
 */

/* Describes source and target; fills t (names set by the caller). */
int shape_describe(PGconn *src, PGconn *rep, struct vtable *t, bool *no_target, char *errbuf,
				   size_t errsize);
void shape_free(struct vtable *t);

/* Compares t and writes one JSON line per differing key to out. */
int compare_table(PGconn *src, PGconn *rep, const struct vtable *t, const struct vopts *o,
				  struct out *out, struct vresult *r, char *errbuf, size_t errsize);

/*
 * repair.c: change lines, as pg-wal-tail writes them, that make the
 * target equal to the source for one differing key each: the source's row
 * (op r) for a key missing or differing (kind 'm', 'd'), a delete (op d)
 * for an extra one ('e').  key is the key as a JSON object.
 */
struct repair;
struct repair *repair_open(PGconn *src, const struct vtable *t, char *errbuf, size_t errsize);
int repair_key(struct repair *rp, PGconn *src, const char *key, char kind, struct out *out,
			   char *errbuf, size_t errsize);
void repair_close(struct repair *rp);

/*
 * Runs sql_src on src and sql_rep on rep at the same time; on success
 * both results are PGRES_TUPLES_OK or PGRES_COMMAND_OK and the caller
 * PQclear()s them.  what names the step in errbuf.  A signal cancels
 * both statements (EX_TEMPFAIL).
 */
int exec_both(PGconn *src, const char *sql_src, PGconn *rep, const char *sql_rep, PGresult **rs,
			  PGresult **rr, const char *what, char *errbuf, size_t errsize);
/*
 * Runs sql on conn and returns its result (NULL if it could not be sent);
 * a signal meanwhile cancels the statement.
 */
PGresult *exec_one(PGconn *conn, const char *sql);
/*
 * The status for a failed result on conn: pgutil's, but a table that does
 * not exist is one that cannot be compared (EX_DATAERR).
 */
int query_status(PGconn *conn, const PGresult *res);

#endif
