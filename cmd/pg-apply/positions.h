/*
 * positions.h - the position sources of a run and the ack file: which
 * Kafka partitions and change positions were seen, taken into a batch and
 * applied, as the offsets table holds them and the ack file tells them.
 */
#ifndef PGAPPLY_POSITIONS_H
#define PGAPPLY_POSITIONS_H

#include "run.h"

/* A position source: one Kafka partition, or the change positions. */
struct source {
	char	   *name;			/* key in the offsets table */
	char	   *topic;			/* NULL for positions */
	int32_t		partition;
	bool		has_seen;		/* the highest position taken into a batch */
	int64_t		seen;
	struct pos	seen_pos;
	bool		has_applied;	/* what the sink holds */
	int64_t		applied;
	struct pos	applied_pos;
	bool		skipping;		/* records at or below seen are being left out */
	bool		has_batch;		/* what the open batch brings: first and last */
	int64_t		batch_first;
	int64_t		batch;
	struct pos	batch_first_pos;
	struct pos	batch_pos;
	double	   *gauge;			/* its metric, once registered */
};

/* The source of a partition (topic, tn, partition) or, topic NULL, of "pos"; added if new. */
struct source *find_source(struct ctx *c, const char *topic, size_t tn, int32_t partition);

/* applier_load_offsets() callback: one stored row of the offsets table. */
void		load_offset(void *ctx, const char *name, const char *position);

/* Writes what is applied to the ack file (if any); exits on failure. */
void		write_ack(struct ctx *c);

/* A batch committed: the ack file is written now or, within --ack-interval, later. */
void		ack_committed(struct ctx *c);

/* Warns once when a partition's records start being left out as applied before. */
void		told_skip(struct ctx *c, struct source *src, int64_t offset);

/* metrics.h update callback: each source's applied position as a gauge. */
void		metrics_update(void *arg);

#endif
