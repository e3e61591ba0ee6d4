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

/* Sources and the acknowledgement file */

struct source *
find_source(struct ctx *c, const char *topic, size_t tn, int32_t partition)
{
	struct source *src;
	int			i;

	for (i = 0; i < c->nsources; i++) {
		src = &c->sources[i];
		if (topic == NULL ? src->topic == NULL :
			src->topic && src->partition == partition && strlen(src->topic) == tn &&
			memcmp(src->topic, topic, tn) == 0)
			return src;
	}
	c->sources = xrealloc(c->sources, (size_t) (c->nsources + 1) * sizeof *c->sources);
	src = &c->sources[c->nsources++];
	memset(src, 0, sizeof *src);
	if (topic) {
		src->topic = xstrndup(topic, tn);
		src->partition = partition;
		buf_reset(&c->tmp);
		buf_printf(&c->tmp, "%s/%d", src->topic, (int) partition);
		src->name = xstrdup(buf_cstr(&c->tmp));
	} else
		src->name = xstrdup("pos");
	return src;
}

/* Called for each row of the offsets table at start. */
void
load_offset(void *ctx, const char *name, const char *position)
{
	struct ctx *c = ctx;
	struct source *src;
	const char *slash = strrchr(name, '/');
	char	   *end;

	if (strcmp(name, "pos") == 0) {
		src = find_source(c, NULL, 0, 0);
		if (pos_parse(position, strlen(position), &src->applied_pos))
			src->has_applied = src->has_seen = true;
		else
			log_warn("offsets table: bad position \"%s\" for \"%s\"", position, name);
		src->seen_pos = src->applied_pos;
		return;
	}
	if (slash == NULL)
		return;
	src = find_source(c, name, (size_t) (slash - name), (int32_t) strtol(slash + 1, NULL, 10));
	src->applied = src->seen = strtoll(position, &end, 10);
	src->has_applied = src->has_seen = end != position && *end == '\0';
}

void
write_ack(struct ctx *c)
{
	struct buf	b = BUF_INIT;
	char		err[512];
	int			i;

	if (c->ack_file == NULL)
		return;
	for (i = 0; i < c->nsources; i++) {
		struct source *src = &c->sources[i];

		if (!src->has_applied)
			continue;
		/* A topic Kafka would refuse came from no consumer: nobody to tell. */
		if (src->topic)
			(void) ack_put_offset(&b, src->topic, src->partition, src->applied + 1);
		else
			ack_put_pos(&b, src->applied_pos);
	}
	/* While applying, the fsyncs of a write must not hold up the rows behind. */
	if (c->ackw && (i = ackwriter_error(c->ackw, err, sizeof err)) != 0)
		fatal(i, "%s", err);
	if (b.len > 0 && c->ackw)
		ackwriter_post(c->ackw, b.data, b.len);
	else if (b.len > 0 && !ack_write(c->ack_file, b.data, b.len, err, sizeof err))
		fatal(ack_write_status(), "%s", err);
	buf_free(&b);
	c->ack_dirty = false;
	c->ack_written_ms = clock_mono_ms();
}

/*
 * Every write of the ack file costs two fsyncs; under a steady stream
 * they are spaced by --ack-interval, and the last one is written when
 * the input pauses and at exit.
 */
void
ack_committed(struct ctx *c)
{
	c->ack_dirty = true;
	if (clock_mono_ms() - c->ack_written_ms >= c->ack_interval_ms)
		write_ack(c);
}

/*
 * Says so when a partition's records start being left out as applied
 * before: a redelivery, or a topic deleted and created again whose new
 * records reuse offsets the offsets table holds (then they must not be
 * left out: the operator deletes the table's rows of that topic).
 */
void
told_skip(struct ctx *c, struct source *src, int64_t offset)
{
	if (src->skipping)
		return;
	src->skipping = true;
	log_warn("topic \"%s\" partition %d: leaving out offsets %" PRId64 " to %" PRId64
			 ", applied before (offsets table %s); if the topic was deleted and created "
			 "again, stop, delete its rows from that table and start again",
			 src->topic, (int) src->partition, offset, src->seen, c->offsets_table);
}

/* Gauges of --metrics-file: each source's applied position. */
void
metrics_update(void *arg)
{
	struct ctx *c = arg;
	char		num[16];
	int			i;

	for (i = 0; i < c->nsources; i++) {
		struct source *src = &c->sources[i];

		if (src->gauge == NULL && src->topic) {
			snprintf(num, sizeof num, "%d", (int) src->partition);
			src->gauge = metrics_gauge("applied_offset", metrics_labels("topic", src->topic,
									   "partition", num, NULL),
									   "Next Kafka offset after the records applied.");
		} else if (src->gauge == NULL)
			src->gauge = metrics_gauge("last_position_lsn", NULL,
									   METRICS_HELP_POSITION);
		if (src->has_applied)
			*src->gauge = src->topic ? (double) src->applied + 1 : (double) src->applied_pos.commit_lsn;
	}
}
