/*
 * applier.h - the applier's insides, shared by the files that apply a
 * batch: apply.c (transaction and offsets rows), tables.c (tables and
 * DDL), sql.c (statement text) and bulk.c (runs of ops).  Users of the
 * applier see only pgapply.h.
 */
#ifndef PGAPPLY_APPLIER_H
#define PGAPPLY_APPLIER_H

#include <pthread.h>

#include "pgapply.h"

/* Runs shorter than this go as single statements (pipelined). */
#define BULK_MIN 64

struct tmp { /* temporary tables for one shape of a table */
	struct shape *shape;
	int no;
	bool checked;	/* the table has every column of the shape */
	bool rows;		/* pg_apply_N exists */
	bool keys;		/* pg_apply_N_k exists */
	bool rows_used; /* holds rows in this transaction */
	bool keys_used;
	bool index_known; /* indexed is up to date */
	bool indexed;	  /* a unique index on exactly the shape's key exists */
	bool no_merge;	  /* a MERGE failed: upsert by ON CONFLICT only */
};

struct table {
	char *name;
	size_t namelen;
	char *qname; /* quoted for SQL */
	bool loaded;
	bool exists;
	char **cols;
	int ncols;
	struct tmp *tmps;
	int ntmps;
	struct table *next;
};

/*
 * The main thread adds tables while the apply thread walks the list
 * (tables_lock guards the list, not the tables' fields: those belong to
 * the apply thread, name and qname are never changed).
 */
struct applier {
	pthread_mutex_t tables_lock;
	PGconn *conn;
	const struct settings *s;
	char *offsets_qname;
	struct table *tables;
	struct table *last;
	int tmpno;
	struct buf sql;
	struct buf copy;
	struct buf key;
	bool lost;
	bool stale; /* a temporary table was older than its target's columns */
	/* The check of temporary tables (bulk.c): pg_apply_check_N, prepared if ready. */
	int check_no;
	bool check_ready;
	int status; /* exit status of the last failed statement */
	/* Dedup hash for a run: op indexes, -1 = empty. */
	long *hash;
	size_t hashcap;
};

/*
 * apply.c: statements, checked by pg_result_ok() (pgutil.h); false with
 * errbuf filled, a->status set and a->lost if the connection is gone.
 */
bool check_result(struct applier *a, PGresult *res, char *errbuf, size_t errsize);
bool run(struct applier *a, const char *sql, char *errbuf, size_t errsize);
bool run_params(struct applier *a, const char *sql, int n, const char *const *params, char *errbuf,
				size_t errsize);

/* tables.c */
void table_forget(struct table *t);
/* After a rollback nothing learnt in the transaction can be trusted. */
void forget_all(struct applier *a);
/* After a commit the temporary tables are empty again (ON COMMIT DELETE ROWS). */
void tmps_emptied(struct applier *a);
struct tmp *tmp_for(struct applier *a, struct table *t, struct shape *sh);
bool load_columns(struct applier *a, struct table *t, char *errbuf, size_t errsize);
/* Makes sure table t exists and has every column of shape sh. */
bool ensure_table(struct applier *a, struct table *t, struct shape *sh, char *errbuf,
				  size_t errsize);
/* Gets op's table ready: created or widened for a row change, known for a truncate. */
bool prepare_op(struct applier *a, struct op *op, char *errbuf, size_t errsize);
/* The temporary table of tm's rows (or keys), created or emptied. */
bool ensure_tmp(struct applier *a, struct table *t, struct tmp *tm, bool keys, char *errbuf,
				size_t errsize);

/* sql.c */
void put_cols(struct buf *q, const struct shape *sh, int from, int to, const char *prefix,
			  const struct val *v);
bool put_set(struct buf *q, const struct shape *sh, const char *src, const struct val *v);
void put_key_match(struct buf *q, const struct shape *sh, const char *l, const char *r);
/* " ON CONFLICT (keys) DO UPDATE SET ..." from EXCLUDED, or DO NOTHING if nothing is set. */
void put_on_conflict(struct buf *q, const struct shape *sh, const struct val *v);
/* MERGE of src into target on the shape's key: update what matches, insert the rest. */
void put_merge(struct buf *q, const char *target, const struct shape *sh, const char *src);
int build_one(struct applier *a, struct batch *b, const struct op *op, const char **params);
bool exec_one(struct applier *a, struct batch *b, const struct op *op, char *errbuf,
			  size_t errsize);

/* bulk.c */
/* All ops of b in runs; false at the first failure (*failed set). */
bool apply_fast(struct applier *a, struct batch *b, const struct op **failed, char *errbuf,
				size_t errsize);
/* Change by change under savepoints, failing ops to reject (if not NULL). */
bool apply_slow(struct applier *a, struct batch *b, reject_fn reject, void *ctx,
				const struct op **failed, char *errbuf, size_t errsize);

#endif
