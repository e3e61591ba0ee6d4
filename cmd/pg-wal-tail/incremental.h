/*
 * incremental.h - incremental snapshots while streaming goes on: tables
 * read in primary-key chunks, each resolved against the changes streamed
 * around it (DBLog's watermarks, as Debezium's incremental snapshots), so
 * that no streamed change is overwritten by an older snapshot row.  The
 * signals that start, stop, pause and resume them arrive through
 * signals.c.
 */
#ifndef PGWT_INCREMENTAL_H
#define PGWT_INCREMENTAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode.h"
#include "format.h"
#include "json.h"

struct tail;

/* The prefix of the watermark messages, never written as changes. */
#define WATERMARK_PREFIX "walpipe_watermark"

/*
 * Queues table (SCHEMA.TABLE) for an incremental snapshot, with filter
 * (an SQL condition, or NULL) narrowing its rows.  false, with errbuf,
 * for a table that is not in the publication or has no primary key.
 */
bool incr_add(struct tail *t, const char *table, const char *filter, char *errbuf, size_t errsize);
/*
 * Stops the snapshots of the tables (SCHEMA.TABLE) match(table, arg) is
 * true of, queued or being read; of every table when match is NULL.
 */
void incr_stop(struct tail *t, bool (*match)(const char *table, const void *arg), const void *arg);
void incr_pause(struct tail *t, bool pause);
/*
 * For the metrics: rows written of the table being read, its estimated
 * rows (-1: unknown), and the tables left, that one included.
 */
void incr_progress(const struct tail *t, double *rows, double *total, double *left);
/* True while tables are queued or one is being read. */
bool incr_active(const struct tail *t);

/*
 * Reads the next chunk when one is due (a table is being read, no chunk
 * waits for its watermark, not paused, and the rows written before have
 * mostly been read downstream).  Exits on a database error.
 */
void incr_step(struct tail *t);
/* True while the next chunk waits for the output to drain. */
bool incr_draining(const struct tail *t);
/* A streamed change of relation r in the transaction being received. */
void incr_on_change(struct tail *t, const struct rel *r, const struct pgo_msg *m);
/* A streamed truncate of relid. */
void incr_on_truncate(struct tail *t, uint32_t relid);
/*
 * A transactional message with the watermark prefix: at the high
 * watermark of the chunk in flight, writes the chunk's rows that no
 * change has overtaken as changes of the transaction being received.
 */
void incr_on_watermark(struct tail *t, const struct pgo_msg *m);
void incr_free(struct tail *t);

/*
 * The snapshots still to do, for the state file (snapstate.c): a JSON
 * array of {"table":..., "filter":..., "after":[KEY...] or null}, the
 * table being read first (unless drop_current) with the last key read.
 */
void incr_state_json(const struct tail *t, bool drop_current, struct buf *out);
/* Queues the snapshots of such an array; false if it is malformed. */
bool incr_state_load(struct tail *t, struct json_slice arr);

#endif
