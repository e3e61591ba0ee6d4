/*
 * chunkq.h - the catalog look-up and the queries of an incremental
 * snapshot's chunks (chunkq.c).
 */
#ifndef PGWT_CHUNKQ_H
#define PGWT_CHUNKQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "buf.h"
#include "format.h"

struct tail;

/* A table an incremental snapshot reads, and the key it reads it by. */
struct chunk_table {
	uint32_t oid;
	double reltuples; /* the planner's estimate of its rows */
	char relkind;	  /* 'p': partitioned, read with its partitions */
	int nkeys;
	char **keys;   /* key column names, in key order */
	bool *notnull; /* whether each key column is NOT NULL */
};

/*
 * Looks up table SCHEMA.TABLE (or TABLE, in public) of the publication
 * and its key: the columns --key-columns names for it, else its primary
 * key.  false, with errbuf, when it is not in the publication, has no
 * key, the named columns are missing, may repeat or are not carried by
 * its replica identity, or filter (an SQL condition, or NULL) is not a
 * condition on it; a failed look-up exits.  Caller chunk_table_free()s.
 */
bool chunk_table(struct tail *t, const char *name, const char *filter, struct chunk_table *ct,
				 char *errbuf, size_t errsize);
void chunk_table_free(struct chunk_table *ct);

/*
 * The name (SCHEMA.TABLE) table oid has now, into name; false if it has
 * been dropped.  A failed look-up exits.
 */
bool chunk_table_name(struct tail *t, uint32_t oid, struct buf *name);

struct chunkq {
	PGconn *conn;		 /* for quoting */
	const struct rel *r; /* the columns read */
	char relkind;		 /* 'p': partitioned, read with its partitions */
	const int *keycol;	 /* key columns in r */
	const bool *notnull; /* whether each key column is NOT NULL */
	int nkeys;
	const char *filter; /* SQL condition, or NULL */
	int chunk_size;
};

/*
 * The first chunk's query ($1.. = MAX), the next chunks' ($1.. = LAST,
 * $n+1.. = MAX), the largest key's, and one of no rows whose columns are
 * the table's as they are now (shape), into the four buffers.  Keys are
 * ordered as ORDER BY orders them, a NULL after every value.
 */
void chunk_queries(const struct chunkq *c, struct buf *first, struct buf *next, struct buf *max,
				   struct buf *shape);

/*
 * LOCK TABLE ... IN ACCESS SHARE MODE for the table of c: taken before a
 * chunk's snapshot, so that a rewrite (ALTER TABLE ... TYPE, TRUNCATE),
 * which is not MVCC-safe, cannot commit between the snapshot and the
 * read and leave the table looking empty to it.
 */
void chunk_lock_query(const struct chunkq *c, struct buf *lock);

#endif
