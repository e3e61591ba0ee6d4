/*
 * stats.c - kafka-pub's metrics (see metrics.h and kafka-pub(1), METRICS).
 */
#include "pub.h"

#include "metrics.h"

static struct {
	double *outq;
	double *inflight;
} G;

static void
update(void *arg)
{
	const struct pub *p = arg;

	*G.outq = rd_kafka_outq_len(p->rk);
	*G.inflight = (double) track_inflight(&p->track);
}

void
pub_metrics(struct pub *p)
{
	metrics_init(p->metrics_file, update, p);
	if (!metrics_enabled())
		return;
	metrics_counter("records_in_total", NULL, METRICS_HELP_RECORDS_IN, &p->lr.lineno);
	metrics_counter("bytes_in_total", NULL, METRICS_HELP_BYTES_IN, &p->lr.bytes);
	metrics_counter("records_out_total", NULL, METRICS_HELP_RECORDS_OUT, &p->delivered);
	metrics_counter("bytes_out_total", NULL, METRICS_HELP_BYTES_OUT, &p->delivered_bytes);
	metrics_counter("delivery_errors_total", NULL, "Messages whose delivery failed.", &p->failed);
	metrics_gauge_u64("last_position_lsn", NULL, METRICS_HELP_POSITION, &p->track.acked.commit_lsn);
	G.outq = metrics_gauge("queue_messages", NULL,
						   "Messages and requests waiting in librdkafka's queue (outq).");
	G.inflight = metrics_gauge("inflight_records", NULL,
							   "Records produced and not yet acknowledged by the brokers.");
}
