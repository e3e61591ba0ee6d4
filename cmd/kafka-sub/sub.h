/*
 * sub.h - kafka-sub's consumer: state shared by its loop (sub.c), its
 * metadata commands (meta.c) and main().
 */
#ifndef KAFKA_SUB_SUB_H
#define KAFKA_SUB_SUB_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include <librdkafka/rdkafka.h>

#include "buf.h"
#include "out.h"
#include "progress.h"

/*
 * One partition this consumer reads.  Offsets are "next to read":
 * written = after the last record queued for output, flushed = after
 * the last record that left the process, committed = last commit.
 */
struct part {
	char *topic;
	int32_t partition;
	int64_t written;
	int64_t flushed;
	int64_t committed;
	bool assigned;
	bool eof;
	bool fresh;		   /* written to since the last caught_up() */
	struct buf head;   /* format_head() of topic and partition */
	double *lag_gauge; /* its metrics (stats.c), once registered */
	double *pos_gauge;
};

struct sub {
	/* Settings. */
	char **topics;
	int ntopics;
	const char *group; /* -G, or NULL */
	int32_t partition; /* -p, or -1 for all */
	int64_t start;	   /* -o as an RD_KAFKA_OFFSET_* or an offset */
	int64_t start_ms;  /* -o s@MS, or -1 */
	bool exit_eof;	   /* -e */
	int64_t count;	   /* -c, or -1 */
	bool pretty;
	bool force_base64;
	const char *ack_file;
	int ack_interval_ms;
	int commit_interval_ms;
	int timeout_ms;			  /* --connect-timeout */
	const char *metrics_file; /* --metrics-file, or NULL */
	double progress;		  /* --progress seconds, 0: none */
	int stop_timeout_ms;	  /* --stop-timeout */

	/* State. */
	rd_kafka_t *rk;
	struct out out;
	struct buf line;
	struct buf pretty_line;
	struct part *parts;
	size_t nparts;
	struct part *last; /* lookup cache */
	int64_t consumed;
	int64_t commit_at_ms;
	int64_t ack_at_ms;
	struct timespec ack_mtime;
	off_t ack_size;
	bool cooperative;
	bool drained;				/* records taken since the last idle wait */
	bool uncommitted;			/* the last commit failed or did not finish */
	rd_kafka_queue_t *commit_q; /* where commit answers come, once created */
	bool committing;			/* a commit's answer is still to come */
	int64_t stop_at;			/* when the stop bound runs out, or 0 */
	char missing[256];			/* why a subscribed topic is missing, or "" */
	int64_t missing_at_ms;		/* when that was last said */
	int64_t missing_asked_ms;	/* when metadata was last asked for it */
	int status;
	uint64_t bytes_in; /* keys and values consumed */
	struct progress catchup;
};

/* Sets the rebalance callback on conf (group mode); s is its opaque. */
void sub_conf(struct sub *s, rd_kafka_conf_t *conf);

/* Subscribes or assigns, then consumes; returns the exit status. */
int sub_run(struct sub *s);

/*
 * Leaves the group (the revocation commits what is safe), within the
 * connect timeout, and after a stop within --stop-timeout.  false if it
 * did not finish: destroy s->rk with RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE.
 */
bool sub_close(struct sub *s);

void sub_free(struct sub *s);

/*
 * stats.c: sub_metrics() turns on the metrics of --metrics-file and the
 * catch-up progress; sub_watch(), called from the loop, writes both when
 * due; sub_watch_end() ends them.
 */
void sub_metrics(struct sub *s);
void sub_watch(struct sub *s);
void sub_watch_end(struct sub *s);

/* meta.c: -L and --lag; return an exit status. */
int meta_list(rd_kafka_t *rk, char **topics, int ntopics, bool json, int timeout_ms);
int meta_lag(rd_kafka_t *rk, char **topics, int ntopics, bool json, int timeout_ms);

/*
 * Partitions of topic from the cluster's metadata into *parts (caller
 * frees); returns 0 or an exit status (error reported).
 */
int meta_partitions(rd_kafka_t *rk, const char *topic, int timeout_ms, int32_t **parts,
					int *nparts);

#endif
