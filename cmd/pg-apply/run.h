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

/* Snapshot rows and streamed changes read within this are "together". */
#define MIXED_WINDOW_MS 5000
#define MIXED_BATCH_MS 10	   /* the apply time a batch is fitted to then */
#define MIXED_FIRST_BATCH 500L /* the size to start from (Debezium's batch.size) */
#define MIXED_MIN_BATCH 20L

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
	/*
	 * While snapshot rows (op "r") and streamed changes arrive together,
	 * a batch that holds snapshot rows closes at mixed_cap records: as
	 * many as the apply thread commits in about MIXED_BATCH_MS, so that a
	 * change waits for little snapshot work ahead of it (pipeline.c fits
	 * the size).  A batch of streamed changes alone fills up: they wait
	 * for each other in any case.
	 */
	int64_t snapshot_seen_ms; /* when a snapshot row was last read */
	int64_t change_seen_ms;	  /* when a streamed change was last read */
	bool batch_snapshot;	  /* the batch being read holds snapshot rows */
	long mixed_cap;
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
