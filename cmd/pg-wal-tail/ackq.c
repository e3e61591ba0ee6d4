/*
 * ackq.c - the queue of emitted, unconfirmed transactions.
 */
#include "ackq.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"

void
ackq_init(struct ackq *q, uint64_t confirmed)
{
	memset(q, 0, sizeof *q);
	q->confirmed = confirmed;
}

void
ackq_free(struct ackq *q)
{
	free(q->ring);
	memset(q, 0, sizeof *q);
}

static struct ackq_ent *
ent(struct ackq *q, size_t i)
{
	return &q->ring[(q->head + i) % q->cap];
}

void
ackq_push(struct ackq *q, uint64_t commit_lsn, uint64_t end_lsn, uint64_t nchanges)
{
	struct ackq_ent *e;

	/* Already confirmed, or queued before a reconnect made the server resend it. */
	if (end_lsn <= q->confirmed || (q->len > 0 && ent(q, q->len - 1)->end_lsn >= end_lsn))
		return;
	/* Two empty transactions in a row release together: keep one. */
	if (nchanges == 0 && q->len > 0 && ent(q, q->len - 1)->nchanges == 0) {
		e = ent(q, q->len - 1);
		e->commit_lsn = commit_lsn;
		e->end_lsn = end_lsn;
		return;
	}
	if (q->len == q->cap) {
		size_t ncap = q->cap ? q->cap * 2 : 64;
		struct ackq_ent *n = xmalloc(ncap * sizeof *n);
		size_t i;

		for (i = 0; i < q->len; i++)
			n[i] = *ent(q, i);
		free(q->ring);
		q->ring = n;
		q->cap = ncap;
		q->head = 0;
	}
	e = ent(q, q->len++);
	e->commit_lsn = commit_lsn;
	e->end_lsn = end_lsn;
	e->nchanges = nchanges;
}

static void
pop(struct ackq *q)
{
	struct ackq_ent *e = ent(q, 0);

	if (e->end_lsn > q->confirmed)
		q->confirmed = e->end_lsn;
	q->head = (q->head + 1) % q->cap;
	q->len--;
}

uint64_t
ackq_release(struct ackq *q, struct pos ack)
{
	while (q->len > 0) {
		struct ackq_ent *e = ent(q, 0);
		struct pos last = {e->commit_lsn, e->nchanges};

		if (e->nchanges > 0 && pos_cmp(ack, last) < 0)
			break;
		pop(q);
	}
	return q->confirmed;
}

uint64_t
ackq_release_all(struct ackq *q)
{
	while (q->len > 0)
		pop(q);
	return q->confirmed;
}
