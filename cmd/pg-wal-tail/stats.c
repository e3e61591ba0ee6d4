/*
 * stats.c - pg-wal-tail's metrics (see metrics.h and pg-wal-tail(1),
 * METRICS): what the loops count, and the gauges derived from it once a
 * second, just before the file is written.
 */
#include "tail.h"

#include "metrics.h"

static struct {
	double	   *commit_ts;
	double	   *lag;
	double	   *slot_lag;
	double	   *snap_total;
	int64_t		seen_ts;		/* the commit time the lag was taken for */
} G;

static void
update(void *arg)
{
	const struct tail *t = arg;

	*G.snap_total = t->snap_total;
	*G.slot_lag = t->server_end > t->q.confirmed ? (double) (t->server_end - t->q.confirmed) : 0;
	if (t->txn_ts_us == 0 || t->txn_ts_us == G.seen_ts)
		return;
	/* As Debezium's MilliSecondsBehindSource: as of the last transaction seen. */
	G.seen_ts = t->txn_ts_us;
	*G.commit_ts = (double) t->txn_ts_us / 1e6;
	*G.lag = metrics_now() - *G.commit_ts;
	if (*G.lag < 0)
		*G.lag = 0;
}

void
tail_metrics(struct tail *t)
{
	metrics_init(t->o->metrics_file, update, t);
	if (!metrics_enabled())
		return;
	t->snap_total = -1;
	metrics_counter("records_in_total", NULL,
					"Records read: WAL messages received from the replication slot.",
					&t->wal_msgs);
	metrics_counter("bytes_in_total", NULL, "Bytes of the records read.", &t->wal_bytes);
	metrics_counter("records_out_total", NULL, "Lines written to standard output.",
					&t->out.lines);
	metrics_counter("bytes_out_total", NULL, "Bytes written to standard output.",
					&t->out.bytes);
	metrics_gauge_u64("last_position_lsn", NULL,
					  "Commit LSN of the last change written, as a number.",
					  &t->last_emitted.commit_lsn);
	metrics_gauge_u64("confirmed_lsn", NULL,
					  "LSN last confirmed to the server (the slot's confirmed_flush_lsn).",
					  &t->q.confirmed);
	metrics_gauge_u64("server_wal_end_lsn", NULL,
					  "WAL end the server last reported in a keepalive.", &t->server_end);
	G.slot_lag = metrics_gauge("slot_lag_bytes", NULL,
							   "Server WAL end minus the confirmed LSN: WAL the slot retains.");
	G.commit_ts = metrics_gauge("last_source_commit_timestamp_seconds", NULL,
								"Commit time of the last transaction received, Unix seconds.");
	G.lag = metrics_gauge("source_lag_seconds", NULL,
						  "Seconds between the last transaction's commit and its receipt.");
	metrics_gauge_u64("snapshot_rows", NULL, "Snapshot rows read so far.", &t->snap_rows);
	G.snap_total = metrics_gauge("snapshot_rows_estimated", NULL,
								 "Estimated rows of the snapshot's tables (pg_class.reltuples), "
								 "-1 while unknown.");
}
