/*
 * stats.h - cdc-envelope's metrics: what it counts for --metrics-file.
 */
#ifndef CDC_ENVELOPE_STATS_H
#define CDC_ENVELOPE_STATS_H

#include "envelope.h"
#include "lineread.h"
#include "out.h"

/* Turns metrics on (path NULL: off); e, lr and o outlive metrics_close(). */
void env_metrics(const char *path, const struct env *e, const struct linereader *lr,
				 const struct out *o);

#endif
