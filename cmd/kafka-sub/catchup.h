/*
 * catchup.h - kafka-sub's view of where its partitions stand against the
 * broker's high watermarks (catchup.c).
 */
#ifndef KAFKA_SUB_CATCHUP_H
#define KAFKA_SUB_CATCHUP_H

#include "sub.h"

/* Records known to wait on the broker but none queued after this long: wake_fetcher(). */
#define WAKE_AFTER_MS 10

/* For -e: marks at their end the partitions written up to the last fetch's watermark. */
void caught_up(struct sub *s);

/*
 * An assigned partition whose last fetch showed records not yet written,
 * or NULL.
 */
struct part *lagging(struct sub *s);

/* Wakes the fetcher of p's leader, stopped with records still to fetch. */
void wake_fetcher(struct sub *s, const struct part *p);

#endif
