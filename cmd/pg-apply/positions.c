/*
 * positions.c - where each position source stands: the sources met in
 * the input (one per Kafka partition, one for change positions), what the
 * offsets table holds for them, and the ack file that tells the upstream
 * command what is applied.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ackfile.h"
#include "ackwriter.h"
#include "clock.h"
#include "log.h"
#include "metrics.h"
#include "positions.h"

struct source *
positions_find(struct positions *ps, const char *topic, size_t tn, int32_t partition)
{
	struct source *src;
	struct buf name = BUF_INIT;
	int i;

	for (i = 0; i < ps->nsources; i++) {
		src = &ps->sources[i];
		if (topic == NULL ? src->topic == NULL
						  : src->topic && src->partition == partition && strlen(src->topic) == tn &&
					memcmp(src->topic, topic, tn) == 0)
			return src;
	}
	ps->sources = xrealloc(ps->sources, (size_t) (ps->nsources + 1) * sizeof *ps->sources);
	src = &ps->sources[ps->nsources++];
	memset(src, 0, sizeof *src);
	if (topic) {
		src->topic = xstrndup(topic, tn);
		src->partition = partition;
		buf_printf(&name, "%s/%d", src->topic, (int) partition);
		src->name = xstrdup(buf_cstr(&name));
		buf_free(&name);
	} else
		src->name = xstrdup("pos");
	return src;
}

void
positions_load_row(void *ctx, const char *name, const char *position)
{
	struct positions *ps = ctx;
	struct source *src;
	const char *slash = strrchr(name, '/');
	char *end;

	if (strcmp(name, "pos") == 0) {
		src = positions_find(ps, NULL, 0, 0);
		if (pos_parse(position, strlen(position), &src->applied_pos))
			src->has_applied = src->has_seen = true;
		else
			log_warn("offsets table: bad position \"%s\" for \"%s\"", position, name);
		src->seen_pos = src->applied_pos;
		return;
	}
	if (slash == NULL)
		return;
	src = positions_find(ps, name, (size_t) (slash - name), (int32_t) strtol(slash + 1, NULL, 10));
	src->applied = src->seen = strtoll(position, &end, 10);
	src->has_applied = src->has_seen = end != position && *end == '\0';
}

void
positions_write_ack(struct positions *ps)
{
	struct buf b = BUF_INIT;
	char err[512];
	int i, failed;

	if (ps->ack_file == NULL)
		return;
	for (i = 0; i < ps->nsources; i++) {
		struct source *src = &ps->sources[i];

		if (!src->has_applied)
			continue;
		/* A topic Kafka would refuse came from no consumer: nobody to tell. */
		if (src->topic)
			(void) ack_put_offset(&b, src->topic, src->partition, src->applied + 1);
		else
			ack_put_pos(&b, src->applied_pos);
	}
	/* While applying, the fsyncs of a write must not hold up the rows behind. */
	if (ps->ackw && (failed = ackwriter_error(ps->ackw, err, sizeof err)) != 0)
		fatal(failed, "%s", err);
	if (b.len > 0 && ps->ackw)
		ackwriter_post(ps->ackw, b.data, b.len);
	else if (b.len > 0 && !ack_write(ps->ack_file, b.data, b.len, err, sizeof err))
		fatal(ack_write_status(), "%s", err);
	buf_free(&b);
	ps->ack_dirty = false;
	ps->ack_written_ms = clock_mono_ms();
}

/*
 * Every write of the ack file costs two fsyncs; under a steady stream
 * they are spaced by --ack-interval, and the last one is written when
 * the input pauses and at exit.
 */
void
positions_committed(struct positions *ps, const struct offset_row *offs, int noffs)
{
	int i;

	for (i = 0; i < noffs; i++) {
		const struct offset_row *o = &offs[i];
		struct source *src = &ps->sources[o->id];

		/* Another writer may have applied further: later records up to there go too. */
		src->has_applied = true;
		src->applied = o->last;
		src->applied_pos = o->last_pos;
		if (src->topic && o->last > src->seen)
			src->seen = o->last;
		else if (!src->topic && pos_cmp(o->last_pos, src->seen_pos) > 0)
			src->seen_pos = o->last_pos;
	}
	ps->ack_dirty = true;
	if (clock_mono_ms() - ps->ack_written_ms >= ps->ack_interval_ms)
		positions_write_ack(ps);
}

struct offset_row *
positions_take_batch(struct positions *ps, int *n)
{
	struct offset_row *offs = xcalloc((size_t) ps->nsources + 1, sizeof *offs);
	int i;

	*n = 0;
	for (i = 0; i < ps->nsources; i++) {
		struct source *src = &ps->sources[i];

		if (!src->has_batch)
			continue;
		offs[(*n)++] = (struct offset_row){src->name,		 i,			 src->topic == NULL,
										   src->batch_first, src->batch, src->batch_first_pos,
										   src->batch_pos};
		src->has_batch = false;
	}
	return offs;
}

void
positions_took(struct source *src, int64_t offset, struct pos pos)
{
	src->skipping = false;
	if (src->topic) {
		if (!src->has_batch)
			src->batch_first = offset;
		src->batch = src->seen = offset;
	} else {
		if (!src->has_batch)
			src->batch_first_pos = pos;
		src->batch_pos = src->seen_pos = pos;
	}
	src->has_batch = src->has_seen = true;
}

/*
 * Says so when a source's records start being left out as applied before:
 * a redelivery, or a topic deleted and created again whose new records
 * reuse offsets the offsets table holds, or a second direct pipeline (its
 * own slot) that shares the offsets table and so the one "pos" row (then
 * they must not be left out: the operator gives each pipeline its own
 * table, or deletes the table's rows of that topic).
 */
void
positions_told_skip(struct positions *ps, struct source *src, int64_t offset, struct pos pos)
{
	char p1[POS_STRLEN], p2[POS_STRLEN];

	if (src->skipping)
		return;
	src->skipping = true;
	if (src->topic == NULL) {
		log_warn("leaving out changes from position %s to %s, applied before (offsets table "
				 "%s); if a second pipeline from another slot writes to that table, give "
				 "each its own --offsets-table",
				 pos_format(pos, p1), pos_format(src->seen_pos, p2), ps->offsets_table);
		return;
	}
	log_warn("topic \"%s\" partition %d: leaving out offsets %" PRId64 " to %" PRId64
			 ", applied before (offsets table %s); if the topic was deleted and created "
			 "again, stop, delete its rows from that table and start again",
			 src->topic, (int) src->partition, offset, src->seen, ps->offsets_table);
}

void
positions_metrics(void *arg)
{
	struct positions *ps = arg;
	char num[16];
	int i;

	for (i = 0; i < ps->nsources; i++) {
		struct source *src = &ps->sources[i];

		if (src->gauge == NULL && src->topic) {
			snprintf(num, sizeof num, "%d", (int) src->partition);
			src->gauge = metrics_gauge("applied_offset",
									   metrics_labels("topic", src->topic, "partition", num, NULL),
									   "Next Kafka offset after the records applied.");
		} else if (src->gauge == NULL)
			src->gauge = metrics_gauge("last_position_lsn", NULL, METRICS_HELP_POSITION);
		if (src->has_applied)
			*src->gauge =
				src->topic ? (double) src->applied + 1 : (double) src->applied_pos.commit_lsn;
	}
}

void
positions_free(struct positions *ps)
{
	int i;

	for (i = 0; i < ps->nsources; i++) {
		free(ps->sources[i].name);
		free(ps->sources[i].topic);
	}
	free(ps->sources);
	ps->sources = NULL;
	ps->nsources = 0;
}
