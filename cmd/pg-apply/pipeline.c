/*
 * pipeline.c - two threads: while the apply thread applies one batch in
 * its transaction, the main thread reads the next; then the main thread
 * takes the result, recovers from a lost connection, and acknowledges.
 */
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "clock.h"
#include "deadletter.h"
#include "log.h"
#include "pgutil.h"
#include "pipeline.h"
#include "positions.h"
#include "sig.h"

/* Batches */

/* Runs in the apply thread: ctx is the inflight batch. */
static bool
reject_op(void *ctx, const struct op *op, const char *msg)
{
	struct inflight *in = ctx;
	struct buf name = BUF_INIT;

	name_record(&name, op->lineno, op->topic, op->partition, op->offset);
	log_warn("%s: %s (skipped)", buf_cstr(&name), msg);
	buf_free(&name);
	__atomic_add_fetch(&in->c->rejected, 1, __ATOMIC_RELAXED);
	return dead_letter(&in->c->dead, op->lineno, in->b->lines.data + op->line_off, op->line_len,
					   msg);
}

static void *
apply_thread(void *arg)
{
	struct inflight *in = arg;
	int64_t start = clock_mono_us();

	in->status =
		applier_apply(in->c->a, in->b, in->offs, in->noffs, in->c->skip_errors ? reject_op : NULL,
					  in, &in->failed, in->err, sizeof in->err);
	in->took_us = clock_mono_us() - start;
	return NULL;
}

/*
 * True if the offsets table shows the batch committed (the connection was
 * lost after COMMIT was sent); false if not, or if the batch carries no
 * position to tell by.
 */
static bool
batch_committed(struct ctx *c, struct inflight *in, bool *error)
{
	char stored[64], err[512];
	int i;

	*error = false;
	for (i = 0; i < in->noffs; i++) {
		const struct offset_row *o = &in->offs[i];
		struct source *src = &c->pos.sources[o->id];
		struct pos p;
		int found =
			applier_stored_position(c->a, src->name, stored, sizeof stored, err, sizeof err);

		if (found < 0) {
			*error = true;
			return false;
		}
		if (found == 0)
			return false;
		if (src->topic ? strtoll(stored, NULL, 10) < o->last
					   : !pos_parse(stored, strlen(stored), &p) || pos_cmp(p, o->last_pos) < 0)
			return false;
	}
	return in->noffs > 0;
}

/*
 * The connection was lost while a batch was applied: reconnect a few
 * times with growing pauses and apply it again, unless the offsets table
 * shows that its commit went through.  Returns the final status.
 */
static enum apply_status
recover(struct ctx *c, struct inflight *in)
{
	char where[300];
	int attempt;
	bool error;

	for (attempt = 0; attempt < RECONNECT_TRIES && !sig_stop; attempt++) {
		log_warn("connection lost (%s), reconnecting", in->err);
		usleep((useconds_t) (250000u << (attempt < 5 ? attempt : 5)));
		PQreset(c->conn);
		if (PQstatus(c->conn) != CONNECTION_OK)
			continue;
		log_warn("reconnected to %s", pg_describe(c->conn, where, sizeof where));
		applier_reset(c->a);
		if (batch_committed(c, in, &error))
			return APPLY_OK;
		if (error)
			continue;
		in->status =
			applier_apply(c->a, in->b, in->offs, in->noffs, c->skip_errors ? reject_op : NULL, in,
						  &in->failed, in->err, sizeof in->err);
		if (in->status != APPLY_LOST)
			return in->status;
	}
	return APPLY_LOST;
}

void
note_change(struct ctx *c, enum change_class class)
{
	if (class == CHANGE_INCREMENTAL) {
		c->incremental_seen_ms = clock_coarse_ms();
		c->batch_fitted = true;
	} else if (class == CHANGE_STREAMED)
		c->change_seen_ms = clock_coarse_ms();
}

static bool
recent(int64_t seen_ms, int64_t now)
{
	return seen_ms != 0 && now - seen_ms < FIT_WINDOW_MS;
}

/* The apply time batches are fitted to now, in ms; 0: not fitted. */
static int
fit_ms(const struct ctx *c)
{
	int64_t now = clock_coarse_ms();

	if (!recent(c->incremental_seen_ms, now))
		return 0;
	return recent(c->change_seen_ms, now) ? FIT_MIXED_MS : FIT_SNAPSHOT_MS;
}

long
batch_limit(const struct ctx *c)
{
	return c->batch_fitted && fit_ms(c) && c->fit_cap < c->s.batch_size ? c->fit_cap
																		: c->s.batch_size;
}

/*
 * Fits fit_cap to the batch just applied: the records it would have
 * applied in the time batches are fitted to, moving at most a factor of
 * two at a time.
 */
static void
fit_batch(struct ctx *c, const struct inflight *in)
{
	double fit;
	long cap = c->fit_cap;
	int ms = fit_ms(c);

	if (!in->fitted || in->b->nops < (size_t) FIT_MIN_BATCH || ms == 0)
		return;
	fit = (double) in->b->nops * ms * 1000 / (double) (in->took_us + 1);
	if (fit > 2.0 * (double) cap)
		fit = 2.0 * (double) cap;
	if (fit < (double) cap / 2)
		fit = (double) cap / 2;
	c->fit_cap = fit < FIT_MIN_BATCH ? FIT_MIN_BATCH : (long) fit;
}

/* Waits for the batch being applied; on success acknowledges it. */
void
finish_inflight(struct ctx *c)
{
	struct inflight *in = c->inflight;

	if (in == NULL)
		return;
	pthread_join(in->thread, NULL);
	c->inflight = NULL;
	if (in->status == APPLY_LOST)
		in->status = recover(c, in);
	if (in->status == APPLY_RECORD && in->failed) {
		struct buf name = BUF_INIT;
		const struct op *f = in->failed;

		name_record(&name, f->lineno, f->topic, f->partition, f->offset);
		fatal(EX_DATAERR, "%s: table %s: %s", buf_cstr(&name), table_name(f->table), in->err);
	}
	if (in->status == APPLY_LOST)
		fatal(EX_TEMPFAIL, "connection lost, gave up reconnecting: %s", in->err);
	if (in->status != APPLY_OK)
		fatal(EX_SOFTWARE, "could not apply batch: %s", in->err);
	fit_batch(c, in);
	c->applied += in->b->nops;
	c->skipped += in->b->skipped;
	log_debug("committed a batch of %zu changes in %.1f ms", in->b->nops,
			  (double) in->took_us / 1000);
	positions_committed(&c->pos, in->offs, in->noffs);
	batch_reset(in->b);
	free(in->offs);
	free(in);
}

/*
 * Hands the batch read so far to the apply thread (after the previous one
 * is done) and starts a new one; with wait, also waits for it.
 */
void
flush(struct ctx *c, bool wait)
{
	struct inflight *in;
	sigset_t block, old;

	finish_inflight(c);
	in = xcalloc(1, sizeof *in);
	in->c = c;
	in->b = c->b;
	in->offs = positions_take_batch(&c->pos, &in->noffs);
	in->fitted = c->batch_fitted;
	c->group_start = 0;
	c->batch_records = 0;
	c->batch_fitted = false;
	if (in->b->nops == 0 && in->noffs == 0) {
		free(in->offs);
		free(in);
		return;
	}
	c->b = c->b == &c->batches[0] ? &c->batches[1] : &c->batches[0];
	/* Signals are for the main thread, whose poll() they interrupt. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	if (pthread_create(&in->thread, NULL, apply_thread, in) != 0)
		fatal(EX_OSERR, "could not start a thread: %m");
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	c->inflight = in;
	if (wait)
		finish_inflight(c);
}
