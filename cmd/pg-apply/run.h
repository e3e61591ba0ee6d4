/*
 * run.h - one run of pg-apply: the state main.c sets up from the command
 * line and the modules it drives share (positions.h, deadletter.h, ops.h,
 * pipeline.h).
 */
#ifndef PGAPPLY_RUN_H
#define PGAPPLY_RUN_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "connectjson.h"
#include "out.h"
#include "pgapply.h"
#include "deadletter.h"
#include "positions.h"

#define RECONNECT_TRIES 8 /* pauses 0.25 s doubling to 8 s: about 30 s */

/*
 * While rows of an incremental snapshot arrive (read within
 * FIT_WINDOW_MS), batches are fitted to an apply time: FIT_MIXED_MS while
 * streamed changes arrive too, FIT_SNAPSHOT_MS without them, so that a
 * change never waits for much snapshot work ahead of it.
 */
#define FIT_WINDOW_MS 5000
#define FIT_MIXED_MS 10
#define FIT_SNAPSHOT_MS 25
#define FIT_FIRST_BATCH 500L /* the size to start from (Debezium's batch.size) */
#define FIT_MIN_BATCH 250L	 /* below it, a batch is mostly its fixed cost */

struct inflight;

struct ctx {
	struct settings s;
	const char *conninfo;
	const char *offsets_table;
	const char *metrics_file;
	bool skip_errors;
	bool no_positions; /* --no-positions */
	size_t max_line;   /* --max-line-bytes */
	long flush_interval_ms;
	PGconn *conn;
	struct applier *a;
	struct batch *b;		   /* the batch being read */
	struct batch batches[2];   /* one read while the other is applied */
	struct inflight *inflight; /* the batch being applied, or NULL */
	size_t group_start;		   /* ops from here on wait for a record with pos */
	long batch_records;
	int64_t batch_started;
	/* Batch fitting (FIT_*, pipeline.c): */
	int64_t incremental_seen_ms; /* when a row of an incremental snapshot was last read */
	int64_t change_seen_ms;		 /* when a streamed change was last read */
	long fit_cap;				 /* the records of a fitted batch */
	/*
	 * The batch being read holds incremental snapshot rows: only such a
	 * batch is fitted; streamed changes alone (a large transaction among
	 * the snapshot rows) wait for each other in any case.
	 */
	bool batch_fitted;
	struct schema_cache sc;
	struct connect_cache schemas; /* met in record lines (frec_parse) */
	struct positions pos;
	struct deadletters dead;
	struct buf tmp;
	struct buf topic; /* the record's topic, decoded */
	uint64_t applied;
	uint64_t skipped;
	uint64_t rejected;
	uint64_t messages; /* logical decoding messages skipped */
};

#endif
