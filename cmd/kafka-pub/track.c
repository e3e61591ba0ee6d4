/*
 * track.c - in-order acknowledgement of out-of-order delivery reports.
 */
#include "track.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"

void
track_init(struct track *t)
{
	memset(t, 0, sizeof *t);
	t->cap = 1024;
	t->ring = xcalloc(t->cap, sizeof *t->ring);
}

void
track_free(struct track *t)
{
	free(t->ring);
	t->ring = NULL;
}

/* Doubles the ring, keeping each entry at its sequence modulo the new size. */
static void
grow(struct track *t)
{
	size_t cap = t->cap * 2;
	struct tr_ent *ring = xcalloc(cap, sizeof *ring);
	uint64_t s;

	for (s = t->low; s < t->next; s++)
		ring[s % cap] = t->ring[s % t->cap];
	free(t->ring);
	t->ring = ring;
	t->cap = cap;
}

uint64_t
track_add(struct track *t, uint64_t lineno, const struct pos *pos)
{
	struct tr_ent *e;

	if (t->next - t->low == t->cap)
		grow(t);
	e = &t->ring[t->next % t->cap];
	e->lineno = lineno;
	e->has_pos = pos != NULL;
	if (pos)
		e->pos = *pos;
	e->state = TR_PENDING;
	e->size = 0;
	e->hold = NULL;
	return t->next++;
}

void
track_done(struct track *t, uint64_t seq, bool ok)
{
	if (seq < t->low || seq >= t->next)
		return;
	t->ring[seq % t->cap].state = ok ? TR_ACKED : TR_FAILED;
	/* A failed record holds the mark: nothing after it counts as acked. */
	while (t->low < t->next && t->ring[t->low % t->cap].state == TR_ACKED) {
		struct tr_ent *e = &t->ring[t->low % t->cap];

		if (e->has_pos) {
			t->acked = e->pos;
			t->has_acked = true;
			t->version++;
		}
		t->low++;
	}
}

uint64_t
track_lineno(const struct track *t, uint64_t seq)
{
	if (seq < t->low || seq >= t->next)
		return 0;
	return t->ring[seq % t->cap].lineno;
}
