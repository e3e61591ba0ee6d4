/*
 * catchup.c - where a partition stands against the broker: for -e, the
 * end of a partition seen without one more fetch; and a fetcher that
 * stopped while records still wait on the broker, woken again.
 */
#include "catchup.h"

#include <stdint.h>

/* How long a wake_fetcher() request may take. */
#define WAKE_TIMEOUT_MS 1000

/* The high watermark of p's last fetch, or -1 if none is known. */
static int64_t
fetched_high(struct sub *s, const struct part *p)
{
	int64_t low, high;

	if (rd_kafka_get_watermark_offsets(s->rk, p->topic, p->partition, &low, &high) !=
		RD_KAFKA_RESP_ERR_NO_ERROR)
		return -1;
	return high;
}

/*
 * For -e: a partition written up to the high watermark of the last fetch
 * is at its end.  librdkafka reports the end only after one more fetch,
 * which the broker holds for fetch.wait.max.ms (500 ms) when no record
 * comes; that event still serves when this cannot tell (an unknown
 * watermark, or transaction markers at the end).
 */
void
caught_up(struct sub *s)
{
	size_t i;

	for (i = 0; i < s->nparts; i++) {
		struct part *p = &s->parts[i];
		int64_t high;

		if (!p->fresh)
			continue;
		p->fresh = false;
		high = fetched_high(s, p);
		if (high > 0 && p->written >= high)
			p->eof = true;
	}
}

/*
 * An assigned partition whose last fetch showed records we have not yet
 * written, or NULL.
 */
struct part *
lagging(struct sub *s)
{
	size_t i;

	for (i = 0; i < s->nparts; i++) {
		struct part *p = &s->parts[i];

		if (p->assigned && !p->eof && p->written >= 0 && p->written < fetched_high(s, p))
			return p;
	}
	return NULL;
}

/*
 * librdkafka 2.0 stops fetching a partition while queued.min.messages are
 * queued, and looks again only when its broker thread wakes, up to a
 * second later (2.1 added fetch.queue.backoff.ms for this).  A request to
 * the partition's leader wakes that thread now.
 */
void
wake_fetcher(struct sub *s, const struct part *p)
{
	int64_t low, high;

	(void) rd_kafka_query_watermark_offsets(s->rk, p->topic, p->partition, &low, &high,
											WAKE_TIMEOUT_MS);
}
