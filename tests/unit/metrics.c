/*
 * metrics.c - unit tests for common/metrics.c: the text it writes (one
 * HELP and TYPE per name, series grouped under it, labels escaped, values
 * as Prometheus reads them) and that it writes nothing when off.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ackfile.h"
#include "buf.h"
#include "log.h"
#include "metrics.h"
#include "tap.h"

static void
read_back(const char *path, struct buf *b)
{
	bool exists;
	char err[256];

	ok(ack_read(path, b, &exists, err, sizeof err) && exists, "%s was written", path);
}

static int updates;

static void
update(void *arg)
{
	double *g = arg;

	updates++;
	*g = 2.5;
}

int
main(void)
{
	char dir[] = "/tmp/walpipe-metrics-XXXXXX";
	char path[64];
	struct buf b = BUF_INIT;
	uint64_t n = 7;
	double *g, *lag, *nan_g;

	log_init("unit-metrics");
	ok(mkdtemp(dir) != NULL, "temporary directory");
	snprintf(path, sizeof path, "%s/m.prom", dir);

	/* Off: nothing registered, nothing written, gauges still settable. */
	metrics_init(NULL, NULL, NULL);
	metrics_counter("a_total", NULL, "A.", &n);
	*metrics_gauge("b", NULL, "B.") = 1;
	ok(metrics_write(), "a write with metrics off succeeds");
	metrics_close();
	ok(access(path, F_OK) != 0, "metrics off: no file");

	metrics_init(path, update, NULL);
	metrics_counter("records_in_total", NULL, "Records.", &n);
	lag = metrics_gauge("lag", metrics_labels("topic", "t\"1\\\n", "partition", "0", NULL), "Lag.");
	nan_g = metrics_gauge("odd", NULL, "Odd values.");
	g = metrics_gauge("lag", metrics_labels("topic", "t2", "partition", "1", NULL), "Lag.");
	*lag = 12;
	*g = 0.25;
	*nan_g = NAN;
	metrics_init(path, update, g); /* the update function may come later */
	n = 9;
	ok(metrics_write(), "first write");
	read_back(path, &b);
	ok_str(b.data, b.len,
		   "# HELP walpipe_records_in_total Records.\n"
		   "# TYPE walpipe_records_in_total counter\n"
		   "walpipe_records_in_total{command=\"unit-metrics\"} 9\n"
		   "# HELP walpipe_lag Lag.\n"
		   "# TYPE walpipe_lag gauge\n"
		   "walpipe_lag{command=\"unit-metrics\",topic=\"t\\\"1\\\\\\n\",partition=\"0\"} 12\n"
		   "walpipe_lag{command=\"unit-metrics\",topic=\"t2\",partition=\"1\"} 2.5\n"
		   "# HELP walpipe_odd Odd values.\n"
		   "# TYPE walpipe_odd gauge\n"
		   "walpipe_odd{command=\"unit-metrics\"} NaN\n",
		   "families grouped, labels escaped, values read at the write");
	ok(updates == 1, "update ran once before the write (%d)", updates);

	/* Within the second, metrics_tick() does not write again. */
	n = 10;
	metrics_tick();
	read_back(path, &b);
	ok(strstr(buf_cstr(&b), "} 9\n") != NULL, "no second write within a second");
	*nan_g = -INFINITY;
	metrics_close();
	read_back(path, &b);
	ok(strstr(buf_cstr(&b), "walpipe_records_in_total{command=\"unit-metrics\"} 10\n") &&
		   strstr(buf_cstr(&b), "walpipe_odd{command=\"unit-metrics\"} -Inf\n"),
	   "metrics_close() writes a last time");
	snprintf(path, sizeof path, "%s/m.prom.tmp", dir);
	ok(access(path, F_OK) != 0, "no temporary file left");

	/* WALPIPE_METRICS_LABELS: extra labels on every series; a bad list is left out. */
	snprintf(path, sizeof path, "%s/m.prom", dir);
	setenv("WALPIPE_METRICS_LABELS", "pipeline=s1,note=a\"b", 1);
	metrics_init(path, NULL, NULL);
	metrics_counter("records_in_total", NULL, "Records.", &n);
	metrics_gauge("lag", metrics_labels("topic", "t", NULL), "Lag.");
	metrics_close();
	read_back(path, &b);
	ok(strstr(buf_cstr(&b),
			  "walpipe_records_in_total{command=\"unit-metrics\",pipeline=\"s1\","
			  "note=\"a\\\"b\"} 10\n") &&
		   strstr(buf_cstr(&b),
				  "walpipe_lag{command=\"unit-metrics\",pipeline=\"s1\",note=\"a\\\"b\","
				  "topic=\"t\"} 0\n"),
	   "WALPIPE_METRICS_LABELS on every series");
	setenv("WALPIPE_METRICS_LABELS", "pipeline=s1,1x=y", 1);
	metrics_init(path, NULL, NULL);
	metrics_counter("records_in_total", NULL, "Records.", &n);
	metrics_close();
	read_back(path, &b);
	ok(strstr(buf_cstr(&b), "walpipe_records_in_total{command=\"unit-metrics\"} 10\n") != NULL,
	   "a bad WALPIPE_METRICS_LABELS is left out");
	setenv("WALPIPE_METRICS_LABELS", "command=x", 1);
	metrics_init(path, NULL, NULL);
	metrics_counter("records_in_total", NULL, "Records.", &n);
	metrics_close();
	read_back(path, &b);
	ok(strstr(buf_cstr(&b), "{command=\"unit-metrics\"} 10\n") != NULL,
	   "WALPIPE_METRICS_LABELS cannot set command again");
	unsetenv("WALPIPE_METRICS_LABELS");

	unlink(path);
	rmdir(dir);
	buf_free(&b);
	return tap_done();
}
