/*
 * stats.c - cdc-envelope's metrics (see metrics.h and cdc-envelope(1),
 * METRICS).
 */
#include "stats.h"

#include "metrics.h"

static struct {
	const struct env *e;
	struct env_stats st;
	struct metrics_source src;
} G;

static void
update(void *arg)
{
	env_stats(G.e, &G.st);
	metrics_source_update(&G.src, G.st.commit_ts_us);
}

void
env_metrics(const char *path, const struct env *e, const struct linereader *lr, const struct out *o)
{
	metrics_init(path, update, NULL);
	if (!metrics_enabled())
		return;
	G.e = e;
	metrics_counter("records_in_total", NULL, METRICS_HELP_RECORDS_IN, &lr->lineno);
	metrics_counter("bytes_in_total", NULL, METRICS_HELP_BYTES_IN, &lr->bytes);
	metrics_counter("records_out_total", NULL, METRICS_HELP_RECORDS_OUT, &G.st.records);
	metrics_counter("bytes_out_total", NULL, METRICS_HELP_BYTES_OUT, &o->bytes);
	metrics_counter("skipped_total", NULL,
					"Changes left out: skipped operations, tables not included.", &G.st.skipped);
	metrics_gauge_u64("last_position_lsn", NULL, METRICS_HELP_POSITION, &G.st.commit_lsn);
	metrics_source_init(&G.src);
}
