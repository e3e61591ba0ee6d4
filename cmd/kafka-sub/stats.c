/*
 * stats.c - kafka-sub's metrics (see metrics.h and kafka-sub(1), METRICS)
 * and the progress of a catch-up (progress.h): both from the partitions'
 * positions and the high watermarks of their last fetches, which
 * librdkafka keeps without asking the broker.
 */
#include "sub.h"

#include <stdio.h>
#include <string.h>

#include "metrics.h"

/* Messages between p's position and its partition's end, or -1 if unknown. */
static int64_t
part_lag(const struct sub *s, const struct part *p)
{
	int64_t low, high;

	if (!p->assigned ||
		rd_kafka_get_watermark_offsets(s->rk, p->topic, p->partition, &low, &high) !=
			RD_KAFKA_RESP_ERR_NO_ERROR ||
		high < 0)
		return -1;
	if (p->written < 0)
		return high - low;
	return high > p->written ? high - p->written : 0;
}

static void
update(void *arg)
{
	struct sub *s = arg;
	size_t i;
	char num[16];
	const char *labels;

	for (i = 0; i < s->nparts; i++) {
		struct part *p = &s->parts[i];
		int64_t lag = part_lag(s, p);

		if (p->lag_gauge == NULL) {
			snprintf(num, sizeof num, "%d", (int) p->partition);
			labels = metrics_labels("topic", p->topic, "partition", num, NULL);
			p->lag_gauge = metrics_gauge("consumer_lag_messages", labels,
										 "Messages between the position and the partition's end.");
			p->pos_gauge =
				metrics_gauge("position_offset", labels, "Next offset to write of the partition.");
		}
		*p->lag_gauge = lag >= 0 ? (double) lag : 0;
		*p->pos_gauge = (double) (p->written >= 0 ? p->written : 0);
	}
}

void
sub_metrics(struct sub *s)
{
	progress_start(&s->catchup, s->progress, 0);
	metrics_init(s->metrics_file, update, s);
	if (!metrics_enabled())
		return;
	/* int64_t and uint64_t may alias: the count is never negative. */
	metrics_counter("records_in_total", NULL, METRICS_HELP_RECORDS_IN,
					(const uint64_t *) &s->consumed);
	metrics_counter("bytes_in_total", NULL, METRICS_HELP_BYTES_IN, &s->bytes_in);
	metrics_counter("records_out_total", NULL, METRICS_HELP_RECORDS_OUT,
					(const uint64_t *) &s->consumed);
	metrics_counter("bytes_out_total", NULL, METRICS_HELP_BYTES_OUT, &s->out.bytes);
}

/* The lag left per topic ("t1 120, t2 0") into dst; returns the total. */
static int64_t
lag_by_topic(struct sub *s, char *dst, size_t size)
{
	int64_t total = 0;
	size_t i, j, len = 0;

	dst[0] = '\0';
	for (i = 0; i < s->nparts; i++) {
		int64_t lag = 0;
		int64_t l;

		for (j = 0; j < i && strcmp(s->parts[j].topic, s->parts[i].topic) != 0; j++)
			;
		if (j < i)
			continue; /* topic already summed */
		for (j = i; j < s->nparts; j++)
			if (strcmp(s->parts[j].topic, s->parts[i].topic) == 0 &&
				(l = part_lag(s, &s->parts[j])) > 0)
				lag += l;
		total += lag;
		if (len < size)
			len += (size_t) snprintf(dst + len, size - len, "%s%s %lld", len ? ", " : "",
									 s->parts[i].topic, (long long) lag);
	}
	return total;
}

void
sub_watch(struct sub *s)
{
	char what[512];
	char topics[400];
	int64_t lag;

	metrics_tick();
	if (!progress_due(&s->catchup))
		return;
	lag = lag_by_topic(s, topics, sizeof topics);
	snprintf(what, sizeof what, "catch-up, lag %s", topics);
	if (lag > 0)
		progress_report(&s->catchup, what, (uint64_t) s->consumed, (double) (s->consumed + lag),
						"records");
	else
		progress_end(&s->catchup, what, (uint64_t) s->consumed, (double) s->consumed, "records");
}

void
sub_watch_end(struct sub *s)
{
	progress_end(&s->catchup, "catch-up", (uint64_t) s->consumed, -1, "records");
	metrics_close();
}
