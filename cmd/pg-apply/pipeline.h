/*
 * pipeline.h - the two-thread batch pipeline: the batch read so far is
 * handed to an apply thread while the next is read; its result is taken,
 * a lost connection recovered, and its positions acknowledged.
 */
#ifndef PGAPPLY_PIPELINE_H
#define PGAPPLY_PIPELINE_H

#include "run.h"

/*
 * A batch handed to the apply thread: the main thread reads the next
 * batch meanwhile, and takes the result (and acknowledges) afterwards.
 */
struct inflight {
	struct ctx *c;
	struct batch *b;
	int64_t took_us; /* how long applier_apply() took */
	bool fitted;	 /* it holds incremental snapshot rows */
	pthread_t thread;
	struct offset_row *offs; /* id: the index in ctx.sources */
	int noffs;
	enum apply_status status;
	const struct op *failed;
	char err[1024];
};

/*
 * Waits for the batch being applied (if any); on success counts and
 * acknowledges it, on failure exits with its status.
 */
void finish_inflight(struct ctx *c);

/*
 * Hands the batch read so far to the apply thread (after the previous one
 * is done) and starts a new one; with wait, also waits for it.
 */
void flush(struct ctx *c, bool wait);

/* What a change read is, for fitting batches. */
enum change_class {
	CHANGE_STREAMED,	/* op c, u, d or t */
	CHANGE_INCREMENTAL, /* op r of an incremental snapshot */
	CHANGE_SNAPSHOT		/* op r of another snapshot */
};

/* Notes the class of a change read. */
void note_change(struct ctx *c, enum change_class class);

/*
 * The records after which the batch being read is due: --batch-size, or
 * fewer while an incremental snapshot's rows arrive (FIT_* in run.h).
 */
long batch_limit(const struct ctx *c);

#endif
