/*
 * track.h - the records kafka-pub has handed to librdkafka and not yet
 * seen acknowledged, in input order.
 *
 * Delivery reports arrive per partition in order, but partitions
 * interleave; the tracker turns them into one "low water mark": the
 * last record such that it and every record before it were acknowledged.
 * Only records that carry a "pos" move the acknowledged position.
 */
#ifndef KAFKA_PUB_TRACK_H
#define KAFKA_PUB_TRACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lsn.h"

enum tr_state { TR_PENDING, TR_ACKED, TR_FAILED };

struct tr_ent {
	uint64_t lineno;
	struct pos pos;
	bool has_pos;
	uint8_t state;
	uint32_t size; /* bytes of key, value and headers librdkafka holds */
	void *hold;	   /* what the record keeps alive until its report, or NULL */
};

struct track {
	struct tr_ent *ring; /* entry of sequence s is ring[s % cap] */
	size_t cap;
	uint64_t low;	  /* first sequence not yet acknowledged */
	uint64_t next;	  /* sequence of the next record added */
	struct pos acked; /* last pos at or before low */
	bool has_acked;
	uint64_t version; /* bumped whenever acked moves */
};

void track_init(struct track *t);
void track_free(struct track *t);

/* Registers a record; returns its sequence number (its message opaque). */
uint64_t track_add(struct track *t, uint64_t lineno, const struct pos *pos);

/* Marks a record delivered (ok) or failed and advances the low mark. */
void track_done(struct track *t, uint64_t seq, bool ok);

/* Input line of a tracked record. */
uint64_t track_lineno(const struct track *t, uint64_t seq);

/*
 * What a record in flight keeps alive until its delivery report (the
 * input buffer its value is read from, pub.c): NULL unless set; read it
 * before track_done().
 */
static inline void
track_set_hold(struct track *t, uint64_t seq, void *hold)
{
	t->ring[seq % t->cap].hold = hold;
}

static inline void *
track_hold(const struct track *t, uint64_t seq)
{
	return seq >= t->low && seq < t->next ? t->ring[seq % t->cap].hold : NULL;
}

/* The bytes a record in flight takes in the producer queue: 0 unless set. */
static inline void
track_set_size(struct track *t, uint64_t seq, uint32_t size)
{
	t->ring[seq % t->cap].size = size;
}

static inline uint32_t
track_size(const struct track *t, uint64_t seq)
{
	return seq >= t->low && seq < t->next ? t->ring[seq % t->cap].size : 0;
}

/* Number of records added and not yet acknowledged. */
static inline uint64_t
track_inflight(const struct track *t)
{
	return t->next - t->low;
}

#endif
