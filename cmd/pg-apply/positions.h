/*
 * positions.h - the position sources of a run and the ack file: which
 * Kafka partitions and change positions were seen, taken into a batch and
 * applied, as the offsets table holds them and the ack file tells them.
 */
#ifndef PGAPPLY_POSITIONS_H
#define PGAPPLY_POSITIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "pgapply.h"

/* A position source: one Kafka partition, or the change positions. */
struct source {
	char *name;	 /* key in the offsets table */
	char *topic; /* NULL for positions */
	int32_t partition;
	bool has_seen; /* the highest position taken into a batch */
	int64_t seen;
	struct pos seen_pos;
	bool has_applied; /* what the sink holds */
	int64_t applied;
	struct pos applied_pos;
	bool skipping;	/* records at or below seen are being left out */
	bool has_batch; /* what the open batch brings: first and last */
	int64_t batch_first;
	int64_t batch;
	struct pos batch_first_pos;
	struct pos batch_pos;
	double *gauge; /* its metric, once registered */
};

/* The sources of a run and its ack file. */
struct positions {
	struct source *sources;
	int nsources;
	const char *ack_file; /* --ack-file, or NULL */
	long ack_interval_ms; /* --ack-interval */
	int64_t ack_written_ms;
	bool ack_dirty;			   /* committed positions not yet in the ack file */
	struct ackwriter *ackw;	   /* writes ack_file while applying, or NULL */
	const char *offsets_table; /* --offsets-table, for messages */
};

/* The source of a partition (topic[0..tn), partition) or, topic NULL, of "pos"; added if new. */
struct source *positions_find(struct positions *ps, const char *topic, size_t tn,
							  int32_t partition);

/* applier_load_offsets() callback (ctx: the positions): one stored row. */
void positions_load_row(void *ctx, const char *name, const char *position);

/* Writes what is applied to the ack file (if any); exits on failure. */
void positions_write_ack(struct positions *ps);

/*
 * A batch committed with these offsets rows: their sources are applied
 * up to there, and the ack file is written now or, within
 * --ack-interval, later (every write costs two fsyncs; under a steady
 * stream they are spaced, the last is written when the input pauses and
 * at exit).
 */
void positions_committed(struct positions *ps, const struct offset_row *offs, int noffs);

/*
 * The offsets rows of the batch read so far (id: the index in
 * ps->sources), in a new array (caller frees); *n set.  The sources
 * start a new batch.
 */
struct offset_row *positions_take_batch(struct positions *ps, int *n);

/* A record of src (its Kafka offset, or its change position) is in the batch. */
void positions_took(struct source *src, int64_t offset, struct pos pos);

/*
 * Warns once when a source's records start being left out as applied
 * before (offset for a partition, pos for the change positions).
 */
void positions_told_skip(struct positions *ps, struct source *src, int64_t offset, struct pos pos);

/* metrics.h update callback (arg: the positions): each source's applied position. */
void positions_metrics(void *arg);

void positions_free(struct positions *ps);

#endif
