/*
 * ackq.h - which WAL position pg-wal-tail may confirm to the server.
 *
 * A small queue of transactions that were emitted but not yet confirmed:
 * commit LSN, end LSN and the number of change lines written.  A
 * transaction's end LSN may be confirmed only when downstream covers its
 * last change (an ack position >= COMMIT:N), or, without an ack file, when
 * its lines were flushed.  Transactions with no line are confirmed once
 * everything before them is.  Runs of such empty transactions are merged,
 * so the queue stays small when the captured tables are idle.
 */
#ifndef PGWT_ACKQ_H
#define PGWT_ACKQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lsn.h"

struct ackq_ent {
	uint64_t commit_lsn;
	uint64_t end_lsn;
	uint64_t nchanges;
};

struct ackq {
	struct ackq_ent *ring;
	size_t cap;
	size_t head; /* index of the oldest entry */
	size_t len;
	uint64_t confirmed; /* highest end LSN released so far */
};

void ackq_init(struct ackq *q, uint64_t confirmed);
void ackq_free(struct ackq *q);

/* Appends a committed transaction (in commit order). */
void ackq_push(struct ackq *q, uint64_t commit_lsn, uint64_t end_lsn, uint64_t nchanges);

/*
 * Releases entries covered by ack (downstream's durable position) and
 * returns the LSN that may be confirmed (q->confirmed).
 */
uint64_t ackq_release(struct ackq *q, struct pos ack);

/* Releases everything: all queued lines are durable (flushed, no ack file). */
uint64_t ackq_release_all(struct ackq *q);

static inline bool
ackq_empty(const struct ackq *q)
{
	return q->len == 0;
}

#endif
