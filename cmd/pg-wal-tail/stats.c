/*
 * stats.c - pg-wal-tail's metrics (see metrics.h and pg-wal-tail(1),
 * METRICS): what the loops count, and the gauges derived from it once a
 * second, just before the file is written.
 */
#include "tail.h"

#include "incremental.h"
#include "metrics.h"

static struct {
	struct metrics_source src;
	double *slot_lag;
	double *snap_total;
	double *incr_rows;
	double *incr_total;
	double *incr_left;
} G;

static void
update(void *arg)
{
	const struct tail *t = arg;

	*G.snap_total = t->snap_total;
	incr_progress(t, G.incr_rows, G.incr_total, G.incr_left);
	*G.slot_lag = t->server_end > t->q.confirmed ? (double) (t->server_end - t->q.confirmed) : 0;
	metrics_source_update(&G.src, t->txn_ts_us);
}

void
tail_metrics(struct tail *t)
{
	metrics_init(t->o->metrics_file, update, t);
	if (!metrics_enabled())
		return;
	t->snap_total = -1;
	metrics_counter("records_in_total", NULL, METRICS_HELP_RECORDS_IN, &t->wal_msgs);
	metrics_counter("bytes_in_total", NULL, METRICS_HELP_BYTES_IN, &t->wal_bytes);
	metrics_counter("records_out_total", NULL, METRICS_HELP_RECORDS_OUT, &t->out.lines);
	metrics_counter("bytes_out_total", NULL, METRICS_HELP_BYTES_OUT, &t->out.bytes);
	metrics_gauge_u64("last_position_lsn", NULL, METRICS_HELP_POSITION,
					  &t->last_emitted.commit_lsn);
	metrics_gauge_u64("confirmed_lsn", NULL,
					  "LSN last confirmed to the server (the slot's confirmed_flush_lsn).",
					  &t->q.confirmed);
	metrics_gauge_u64("server_wal_end_lsn", NULL,
					  "WAL end the server last reported in a keepalive.", &t->server_end);
	G.slot_lag = metrics_gauge(
		"slot_lag_bytes", NULL,
		"WAL the replication slot holds back: the server WAL end minus its confirmed position.");
	metrics_source_init(&G.src);
	metrics_gauge_u64("snapshot_rows", NULL, "Snapshot rows read so far.", &t->snap_rows);
	G.snap_total = metrics_gauge("snapshot_rows_estimated", NULL,
								 "Estimated rows of the snapshot's tables (pg_class.reltuples), "
								 "-1 while unknown.");
	G.incr_rows = metrics_gauge("incremental_snapshot_rows", NULL,
								"Rows written so far of the table an incremental snapshot reads.");
	G.incr_total =
		metrics_gauge("incremental_snapshot_rows_estimated", NULL,
					  "Estimated rows of that table (pg_class.reltuples), -1 while unknown.");
	G.incr_left =
		metrics_gauge("incremental_snapshot_tables", NULL,
					  "Tables incremental snapshots have left to read, the one being read "
					  "included.");
}
