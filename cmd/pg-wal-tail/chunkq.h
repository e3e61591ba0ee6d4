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

/*
 * Table SCHEMA.TABLE (or TABLE, in public) of the publication, one row
 * per primary key column in key order: oid, reltuples, column name,
 * relkind.  NULL, with errbuf, when it is not in the publication, has no
 * primary key, or filter (an SQL condition, or NULL) is not a condition on
 * it; a failed look-up exits.  Caller PQclear()s.
 */
PGresult *chunk_table(struct tail *t, const char *name, const char *filter, char *errbuf,
					  size_t errsize);

/*
 * The name (SCHEMA.TABLE) table oid has now, into name; false if it has
 * been dropped.  A failed look-up exits.
 */
bool chunk_table_name(struct tail *t, uint32_t oid, struct buf *name);

struct chunkq {
	PGconn *conn;		 /* for quoting */
	const struct rel *r; /* the columns read */
	char relkind;		 /* 'p': partitioned, read with its partitions */
	const int *keycol;	 /* primary key columns in r */
	int nkeys;
	const char *filter; /* SQL condition, or NULL */
	int chunk_size;
};

/*
 * The first chunk's query ($1.. = MAX), the next chunks' ($1.. = LAST,
 * $n+1.. = MAX), the largest key's, and one of no rows whose columns are
 * the table's as they are now (shape), into the four buffers.
 */
void chunk_queries(const struct chunkq *c, struct buf *first, struct buf *next, struct buf *max,
				   struct buf *shape);

#endif
