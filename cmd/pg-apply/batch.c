/*
 * batch.c - the storage of a batch: its ops, their values and the text
 * the values point into, grown as records come and reused batch after
 * batch.
 */
#include <stdlib.h>
#include <string.h>

#include "pgapply.h"

/* Batch storage */

void
batch_reset(struct batch *b)
{
	b->nops = 0;
	b->nvals = 0;
	b->skipped = 0;
	buf_reset(&b->data);
	buf_reset(&b->lines);
}

void
batch_truncate(struct batch *b, size_t nops)
{
	if (nops >= b->nops)
		return;
	b->nvals = b->ops[nops].vals;
	b->nops = nops;
}

void
batch_free(struct batch *b)
{
	free(b->ops);
	free(b->vals);
	buf_free(&b->data);
	buf_free(&b->lines);
	memset(b, 0, sizeof *b);
}

struct op *
batch_add(struct batch *b, struct shape *sh)
{
	struct op *op;
	int n = sh ? sh->ncols : 0;
	int i;

	if (b->nops == b->opcap) {
		b->opcap = b->opcap ? b->opcap * 2 : 1024;
		b->ops = xrealloc(b->ops, b->opcap * sizeof *b->ops);
	}
	if (b->nvals + (size_t) n > b->valcap) {
		while (b->nvals + (size_t) n > b->valcap)
			b->valcap = b->valcap ? b->valcap * 2 : 4096;
		b->vals = xrealloc(b->vals, b->valcap * sizeof *b->vals);
	}
	op = &b->ops[b->nops++];
	memset(op, 0, sizeof *op);
	op->shape = sh;
	op->vals = b->nvals;
	op->offset = -1;
	op->source = -1;
	for (i = 0; i < n; i++)
		b->vals[b->nvals + (size_t) i] = (struct val){0, VAL_NULL};
	b->nvals += (size_t) n;
	return op;
}
