/*
 * metrics.h - a command's counters and gauges, as a Prometheus text
 * exposition file (--metrics-file).
 *
 * Owns the metric names' prefix and "command" label, the file format and
 * when the file is written.  The commands keep their counts where they
 * already are (plain integers bumped in their loops) and register a
 * pointer to each; gauges are set by the command, most of them from an
 * update function called just before each write.  Nothing here runs on
 * the hot path except metrics_tick(): one coarse clock read.
 *
 * Every series is written as
 *     walpipe_NAME{command="PROG"[,EXTRA][,LABELS]} VALUE
 * with one HELP and one TYPE line per NAME; EXTRA are the labels of
 * WALPIPE_METRICS_LABELS="k=v,..." (to tell apart two processes of one
 * command on a host).  The file is replaced
 * atomically (file_replace() in ackfile.h) at most once a second and at
 * exit, so a textfile collector never reads half of it.  A failed write
 * is reported once as a warning and never stops the command.
 */
#ifndef WALPIPE_METRICS_H
#define WALPIPE_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * One HELP text per metric name, whichever command writes it: a collector
 * that merges the files of several commands refuses two.  What each
 * command counts is in its man page, METRICS.
 */
#define METRICS_HELP_RECORDS_IN "Records read (see the command's man page, METRICS)."
#define METRICS_HELP_BYTES_IN "Bytes of the records read."
#define METRICS_HELP_RECORDS_OUT \
	"Records written or delivered (see the command's man page, METRICS)."
#define METRICS_HELP_BYTES_OUT "Bytes of the records written or delivered."
#define METRICS_HELP_POSITION "Commit LSN of the last change handled, as a number."

/*
 * Turns metrics on, writing to path (NULL leaves them off and makes every
 * call below cheap and harmless).  update, if not NULL, is called with arg
 * before each write to refresh gauges; it is not called for the last
 * write of an exit by fatal().
 */
void metrics_init(const char *path, void (*update)(void *), void *arg);
bool metrics_enabled(void);

/*
 * Registers a counter or gauge whose value is read from *src at each
 * write; src must stay valid until metrics_close().  labels is NULL or
 * made by metrics_labels().  name is without the "walpipe_" prefix.
 */
void metrics_counter(const char *name, const char *labels, const char *help, const uint64_t *src);
void metrics_gauge_u64(const char *name, const char *labels, const char *help, const uint64_t *src);

/*
 * Registers a gauge owned here and returns where to set it (starts at 0;
 * NaN is written as NaN).  With metrics off it returns a scratch slot.
 */
double *metrics_gauge(const char *name, const char *labels, const char *help);

/*
 * Formats label pairs (key, value, ..., NULL) as k="v",k2="v2" with the
 * values escaped; returns a string owned here, freed by metrics_close().
 */
const char *metrics_labels(const char *key, ...) __attribute__((sentinel));

/* Writes the file if a second has passed since the last write. */
void metrics_tick(void);

/* Writes the file now; false (reported) if that failed. */
bool metrics_write(void);

/* Writes the file a last time and forgets every metric. */
void metrics_close(void);

/*
 * The source's last commit time and the lag behind it, as Debezium's
 * MilliSecondsBehindSource (in seconds here): taken when a record with a
 * new commit time is seen, kept while none comes.
 */
struct metrics_source {
	double *commit_ts;
	double *lag;
	int64_t seen_us;
};
void metrics_source_init(struct metrics_source *s);
/* From an update function: commit_ts_us of the last record, 0 if none. */
void metrics_source_update(struct metrics_source *s, int64_t commit_ts_us);

/* Seconds since the Unix epoch, for gauges of wall-clock time. */
double metrics_now(void);

#endif
