/*
 * pub.h - kafka-pub's producer loop, split from main() so that main()
 * reads like a script.
 */
#ifndef KAFKA_PUB_PUB_H
#define KAFKA_PUB_PUB_H

#include <stdbool.h>
#include <stdint.h>

#include <librdkafka/rdkafka.h>

#include "ackwriter.h"
#include "buf.h"
#include "connectjson.h"
#include "lineread.h"
#include "track.h"

/* Records produced between two serves of delivery reports (a power of 2). */
#define PUB_POLL_EVERY 64

/*
 * When the input pauses, records still lingering are sent at once:
 * wait_input() flushes in slices this long, checking the input between
 * them (see main.c on linger.ms).
 */
#define PUB_NUDGE_MS 2

/*
 * An input quiet for less than this is a writer a moment behind (between
 * two writes, or waiting for a core): its records keep lingering, to
 * leave in full batches.  In a pipeline that cut kafka-pub's CPU by 40 %.
 */
#define PUB_IDLE_MS 2

/*
 * Input buffers held by records in flight (struct linebuf) take at most
 * this much memory; past it, values are copied, holding nothing.  Without
 * the bound, one stalled partition could hold a buffer for each of its
 * records, however small.
 */
#define PUB_HELD_MAX ((size_t) 64 << 20)

/*
 * Input buffers done with are kept for reuse, as many as PUB_HELD_MAX
 * allows with those held: freed and allocated again, they cost the
 * kernel a page fault for every 4 kB once the heap gave them back.
 */

/* The size asked for the input pipe: /proc/sys/fs/pipe-max-size by default. */
#define PUB_PIPE_SIZE (1 << 20)

/*
 * An input buffer that records in flight read their values from: they go
 * to librdkafka without a copy, so the buffer lives until the reader is
 * done with it (lr_keep_lines()) and the last of their delivery reports
 * has come.  Freed by linebuf_unref() or retire_lines(), whichever is last.
 */
struct linebuf {
	char *data;	   /* the line reader's buffer */
	size_t size;   /* its size */
	uint64_t refs; /* records produced from it and not yet reported */
	bool retired;  /* the reader is done with it */
};

struct topic_cache {
	char *name;
	rd_kafka_topic_t *rkt;
};

struct pub {
	/* Settings from the command line. */
	const char *topic; /* -t: for lines without a topic */
	bool force_topic;  /* -T: for every line */
	int32_t partition; /* -p, or RD_KAFKA_PARTITION_UA */
	const char *ack_file;
	int ack_interval_ms;
	size_t max_line;
	const char *metrics_file; /* --metrics-file, or NULL */
	int stop_timeout_ms;	  /* --stop-timeout */

	/* State. */
	struct linereader lr;
	struct linebuf *lb; /* lr's buffer, once a record reads from it */
	size_t held;		/* bytes of the linebufs alive */
	char *spare;		/* input buffers to reuse, each holding the next */
	size_t spare_size;	/* the size of each */
	size_t spare_bytes; /* and of all */
	rd_kafka_t *rk;
	struct track track;
	struct topic_cache *topics;
	size_t ntopics;
	rd_kafka_topic_t *default_rkt; /* -t TOPIC's handle, once looked up */
	struct connect_cache schemas;  /* met in record lines (record_parse) */
	struct buf kscratch, vscratch, hscratch, tscratch;
	struct ackwriter *ackw; /* writes ack_file, or NULL */
	uint64_t ack_written;	/* track.version last posted to ackw */
	int64_t ack_at_ms;		/* time of the last ack file write */
	int status;				/* first failure's exit status, or 0 */
	uint64_t produced;
	/* Delivery reports, for the metrics (stats.c). */
	uint64_t delivered;
	uint64_t delivered_bytes; /* their keys and values */
	uint64_t failed;
	uint64_t unsent; /* records a stop kept from being produced */
	/*
	 * librdkafka bounds its queue by the values alone: keys and headers
	 * count here, against queue.buffering.max.kbytes.
	 */
	size_t queue_max; /* that bound, in bytes */
	size_t queued;	  /* keys, values and headers produced, not yet reported */
};

/* Sets the delivery report callback on conf; p is its opaque. */
void pub_conf(struct pub *p, rd_kafka_conf_t *conf);

/*
 * Reads record lines from fd 0 and produces them until EOF, a signal or
 * the first failure; then waits for every delivery report (after a
 * signal, for --stop-timeout at most: what is left then makes the status
 * EX_TEMPFAIL).  Returns the exit status (errors already reported).
 */
int pub_run(struct pub *p);

void pub_free(struct pub *p);

/*
 * After rd_kafka_destroy(): frees the input buffers that records without
 * a delivery report still held, and the tracker.
 */
void pub_free_held(struct pub *p);

/* Turns on the metrics of --metrics-file (stats.c). */
void pub_metrics(struct pub *p);

/* Topic administration (admin.c); return an exit status. */
int admin_create_topic(rd_kafka_t *rk, const char *name, int partitions, int replication,
					   char **configs, int nconfigs, int timeout_ms);
int admin_delete_topic(rd_kafka_t *rk, const char *name, int timeout_ms);

#endif
