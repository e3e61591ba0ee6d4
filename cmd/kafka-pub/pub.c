/*
 * pub.c - record lines in, Kafka records out, acknowledgements tracked.
 *
 * Each line is validated and sliced by record_parse(); key, value and
 * header values are handed to librdkafka as the raw bytes of the line,
 * so nothing is parsed into a tree or re-serialized.  librdkafka copies
 * keys and headers; a value it reads where it is, in the input buffer,
 * which lives until the value's delivery report (struct linebuf).
 */
#include "pub.h"
#include "clock.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "ackfile.h"
#include "ackwriter.h"
#include "kafkautil.h"
#include "lineread.h"
#include "log.h"
#include "metrics.h"
#include "record.h"
#include "sig.h"

/* Frees the spare input buffers. */
static void
spare_free(struct pub *p)
{
	while (p->spare) {
		char *next;

		memcpy(&next, p->spare, sizeof next);
		free(p->spare);
		p->spare = next;
	}
	p->spare_bytes = 0;
}

/*
 * Keeps an input buffer of size bytes for reuse, or frees it: spares
 * have the reader's size, and with the buffers held stay in PUB_HELD_MAX.
 */
static void
spare_put(struct pub *p, char *data, size_t size)
{
	if (size != p->spare_size && size == p->lr.cap) {
		spare_free(p); /* the reader's buffers grew */
		p->spare_size = size;
	}
	if (size != p->spare_size || p->held + p->spare_bytes + size > PUB_HELD_MAX) {
		free(data);
		return;
	}
	memcpy(data, &p->spare, sizeof p->spare);
	p->spare = data;
	p->spare_bytes += size;
}

/* lr_keep_lines() callback: a spare input buffer of size bytes, or NULL. */
static char *
spare_get(void *ctx, size_t size)
{
	struct pub *p = ctx;
	char *data = p->spare;

	if (data == NULL || size != p->spare_size)
		return NULL;
	memcpy(&p->spare, data, sizeof p->spare);
	p->spare_bytes -= size;
	return data;
}

static void
linebuf_free(struct pub *p, struct linebuf *lb)
{
	p->held -= lb->size;
	spare_put(p, lb->data, lb->size);
	free(lb);
}

/* One record read from lb is reported: lb is freed if it was the last. */
static void
linebuf_unref(struct pub *p, struct linebuf *lb)
{
	if (--lb->refs == 0 && lb->retired)
		linebuf_free(p, lb);
}

/*
 * lr_keep_lines() callback: the reader is done with buf, its current
 * buffer; it is freed now unless records in flight read from it.
 */
static void
retire_lines(void *ctx, char *buf, size_t size)
{
	struct pub *p = ctx;
	struct linebuf *lb = p->lb;

	if (lb == NULL || lb->data != buf) {
		spare_put(p, buf, size); /* no record read from it */
		return;
	}
	p->lb = NULL;
	lb->retired = true;
	if (lb->refs == 0)
		linebuf_free(p, lb);
}

/* The reader's current buffer, with one more record reading from it. */
static struct linebuf *
linebuf_ref(struct pub *p)
{
	if (p->lb == NULL) {
		p->lb = xcalloc(1, sizeof *p->lb);
		p->lb->data = p->lr.buf;
		p->lb->size = p->lr.cap;
		p->held += p->lb->size;
	}
	p->lb->refs++;
	return p->lb;
}

/*
 * Delivery report: runs inside rd_kafka_poll()/rd_kafka_flush() on our
 * thread.  The message opaque is the record's tracking sequence.  Every
 * record produced gets exactly one, purged ones included.
 */
static void
dr_msg_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	struct pub *p = opaque;
	uint64_t seq = (uint64_t) (uintptr_t) m->_private;
	struct linebuf *lb = track_hold(&p->track, seq);

	p->queued -= track_size(&p->track, seq);

	/*
	 * librdkafka is done with the value.  The hold goes with it: a failed
	 * record before this one keeps it tracked, and pub_free_held() must
	 * not let it go twice.
	 */
	if (lb) {
		track_set_hold(&p->track, seq, NULL);
		linebuf_unref(p, lb);
	}
	if (m->err) {
		rd_kafka_resp_err_t err = m->err;

		if (err == RD_KAFKA_RESP_ERR__PURGE_QUEUE || err == RD_KAFKA_RESP_ERR__PURGE_INFLIGHT) {
			/* Given up at a stop (pub_run()): not acknowledged, not an error of its own. */
			track_done(&p->track, seq, false);
			return;
		}

		if (err == RD_KAFKA_RESP_ERR__FATAL) {
			char why[256];

			err = rd_kafka_fatal_error(rk, why, sizeof why);
		}
		if (p->status == 0) {
			log_error("line %llu: delivery to topic \"%s\" failed: %s",
					  (unsigned long long) track_lineno(&p->track, seq),
					  rd_kafka_topic_name(m->rkt), rd_kafka_err2str(m->err));
			p->status = kafka_err_status(err);
		}
		track_done(&p->track, seq, false);
		p->failed++;
		return;
	}
	track_done(&p->track, seq, true);
	p->delivered++;
	p->delivered_bytes += m->len + m->key_len;
}

void
pub_conf(struct pub *p, rd_kafka_conf_t *conf)
{
	rd_kafka_conf_set_dr_msg_cb(conf, dr_msg_cb);
	rd_kafka_conf_set_opaque(conf, p);
}

/*
 * Hands the ack file's next content to its writer thread if the position
 * moved and it is time (or force); a write that failed fails the run.
 */
static void
ack_maybe_write(struct pub *p, bool force)
{
	struct buf line = BUF_INIT;
	char errbuf[512];
	int64_t now;
	int failed;

	if (p->ackw == NULL)
		return;
	if (p->status == 0 && (failed = ackwriter_error(p->ackw, errbuf, sizeof errbuf)) != 0) {
		log_error("%s", errbuf);
		p->status = failed;
	}
	if (!p->track.has_acked || p->ack_written == p->track.version)
		return;
	now = clock_mono_ms();
	if (!force && now - p->ack_at_ms < p->ack_interval_ms)
		return;
	ack_put_pos(&line, p->track.acked);
	ackwriter_post(p->ackw, line.data, line.len);
	buf_free(&line);
	p->ack_written = p->track.version;
	p->ack_at_ms = now;
}

/* The topic handle for name[0..n), created once and cached. */
static rd_kafka_topic_t *
topic_get(struct pub *p, const char *name, size_t n)
{
	size_t i;
	char *copy;
	rd_kafka_topic_t *rkt;

	for (i = 0; i < p->ntopics; i++)
		if (strncmp(p->topics[i].name, name, n) == 0 && p->topics[i].name[n] == '\0')
			return p->topics[i].rkt;
	copy = xstrndup(name, n);
	rkt = rd_kafka_topic_new(p->rk, copy, NULL);
	if (rkt == NULL) {
		free(copy);
		return NULL;
	}
	p->topics = xrealloc(p->topics, (p->ntopics + 1) * sizeof *p->topics);
	p->topics[p->ntopics].name = copy;
	p->topics[p->ntopics].rkt = rkt;
	p->ntopics++;
	return rkt;
}

/* Fails the run for line lineno with EX_DATAERR. */
static bool
line_error(struct pub *p, uint64_t lineno, const char *fmt, const char *arg)
{
	char msg[512];

	snprintf(msg, sizeof msg, fmt, arg);
	log_error("line %llu: %s", (unsigned long long) lineno, msg);
	p->status = EX_DATAERR;
	return false;
}

/*
 * Builds the Kafka headers of r; *out NULL if it has none.  Adds the bytes
 * of their names and values to *bytes.
 */
static bool
make_headers(struct pub *p, const struct record *r, uint64_t lineno, rd_kafka_headers_t **out,
			 size_t *bytes)
{
	struct json_iter it;
	struct json_slice k, v;
	rd_kafka_headers_t *h;
	enum rec_encoding enc = r->headers_enc == REC_ENC_BASE64 ? REC_ENC_BASE64 : REC_ENC_TEXT;

	*out = NULL;
	if (r->headers.n == 0)
		return true;
	h = rd_kafka_headers_new(8);
	json_iter_init(&it, r->headers);
	while (json_obj_next(&it, &k, &v)) {
		const char *vp;
		size_t vn;
		enum json_type t = json_type_of(v);

		buf_reset(&p->hscratch);
		if ((t != JSON_STRING && t != JSON_NULL) || !json_str_decode(k, &p->hscratch) ||
			!record_data(v, enc, false, &p->vscratch, &vp, &vn)) {
			rd_kafka_headers_destroy(h);
			return line_error(p, lineno, "%s",
							  "header values must be strings (or null) in their encoding");
		}
		rd_kafka_header_add(h, p->hscratch.data ? p->hscratch.data : "", (ssize_t) p->hscratch.len,
							vp, (ssize_t) vn);
		*bytes += p->hscratch.len + vn;
	}
	*out = h;
	return true;
}

/* Record seq was not handed to librdkafka: its headers are ours to free. */
static void
not_produced(struct pub *p, rd_kafka_headers_t *hdrs, uint64_t seq)
{
	if (hdrs)
		rd_kafka_headers_destroy(hdrs);
	track_done(&p->track, seq, false);
}

/* Parses, checks and produces one line; false stops the run. */
static bool
produce_line(struct pub *p, const char *line, size_t n, uint64_t lineno)
{
	struct record r;
	struct json_err jerr;
	struct pos pos;
	const char *kp, *vp;
	size_t kn, vn, size = 0;
	rd_kafka_topic_t *rkt;
	rd_kafka_headers_t *hdrs;
	rd_kafka_resp_err_t err;
	uint64_t seq;
	bool in_line;

	if (!record_parse(line, n, &p->schemas, &r, &jerr)) {
		log_error("line %llu: column %zu: %s", (unsigned long long) lineno, jerr.off + 1, jerr.msg);
		p->status = EX_DATAERR;
		return false;
	}
	if (r.pos.n) {
		struct json_slice in = json_str_inner(r.pos);

		if (!pos_parse(in.p, in.n, &pos))
			return line_error(p, lineno, "invalid \"pos\" %.64s", r.pos.p);
	}
	if (p->force_topic || r.topic.n == 0) {
		if (p->topic == NULL)
			return line_error(p, lineno, "%s", "record has no \"topic\" and no -t TOPIC was given");
		if (p->default_rkt == NULL)
			p->default_rkt = topic_get(p, p->topic, strlen(p->topic));
		rkt = p->default_rkt;
	} else {
		buf_reset(&p->tscratch);
		json_str_decode(r.topic, &p->tscratch);
		if (p->tscratch.len == 0 || memchr(p->tscratch.data, '\0', p->tscratch.len))
			return line_error(p, lineno, "%s", "invalid topic name");
		rkt = topic_get(p, p->tscratch.data, p->tscratch.len);
	}
	if (rkt == NULL)
		return line_error(p, lineno, "invalid topic: %s", rd_kafka_err2str(rd_kafka_last_error()));
	if (!record_data(r.key, r.key_enc, r.key_spaced, &p->kscratch, &kp, &kn))
		return line_error(p, lineno, "%s", "\"key\" is not valid in its key_encoding");
	if (!make_headers(p, &r, lineno, &hdrs, &size))
		return false;
	if (!record_data(r.value, r.value_enc, r.value_spaced, &p->vscratch, &vp, &vn)) {
		if (hdrs)
			rd_kafka_headers_destroy(hdrs);
		return line_error(p, lineno, "%s", "\"value\" is not valid in its value_encoding");
	}
	/*
	 * A value that is the line's own bytes (record_data() did not decode
	 * it into vscratch) is not copied: librdkafka reads it in the input
	 * buffer, which the record holds until its delivery report.
	 */
	in_line = vp != NULL && vn > 0 && vp != p->vscratch.data && p->held <= PUB_HELD_MAX;
	/* Its key, value and headers count in the queue (p->queued). */
	size = size + kn + vn > UINT32_MAX ? UINT32_MAX : size + kn + vn;
	seq = track_add(&p->track, lineno, r.pos.n ? &pos : NULL);
	for (;;) {
		/* On success librdkafka owns hdrs; on failure we still do. */
		if (p->queued > 0 && p->queued + size > p->queue_max && rd_kafka_outq_len(p->rk) > 0)
			err = RD_KAFKA_RESP_ERR__QUEUE_FULL; /* full of keys and headers */
		else
			err = rd_kafka_producev(
				p->rk, RD_KAFKA_V_RKT(rkt),
				RD_KAFKA_V_PARTITION(r.has_partition ? r.partition : p->partition),
				RD_KAFKA_V_MSGFLAGS(in_line ? 0 : RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY(kp, kn),
				RD_KAFKA_V_VALUE((void *) vp, vn),
				RD_KAFKA_V_TIMESTAMP(r.has_timestamp ? r.timestamp : 0), RD_KAFKA_V_HEADERS(hdrs),
				RD_KAFKA_V_OPAQUE((void *) (uintptr_t) seq), RD_KAFKA_V_END);
		if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
			break;
		if (rd_kafka_outq_len(p->rk) == 0) {
			/* Full with nothing in it: this record alone is over the bound. */
			not_produced(p, hdrs, seq);
			log_error("line %llu: a record of %zu bytes does not fit in the producer queue: "
					  "raise queue.buffering.max.kbytes (-X)",
					  (unsigned long long) lineno, size);
			if (p->status == 0)
				p->status = EX_DATAERR;
			return false;
		}
		/*
		 * Backpressure: serve delivery reports until there is room.  When
		 * none comes, the queued records may be waiting for linger.ms (a
		 * small queue.buffering.max.messages fills before a batch does):
		 * a short flush sends them now.
		 */
		if (rd_kafka_poll(p->rk, PUB_NUDGE_MS) == 0)
			rd_kafka_flush(p->rk, PUB_NUDGE_MS);
		ack_maybe_write(p, false);
		if (sig_stop || p->status != 0) {
			/*
			 * Stopping, or a delivery failed while this record waited: it
			 * is not sent (a new run sends it once), and pub_run() says so.
			 */
			not_produced(p, hdrs, seq);
			p->unsent++;
			return false;
		}
	}
	if (err) {
		not_produced(p, hdrs, seq);
		log_error("line %llu: could not produce to topic \"%s\": %s", (unsigned long long) lineno,
				  rd_kafka_topic_name(rkt), rd_kafka_err2str(err));
		p->status = kafka_err_status(err);
		return false;
	}
	track_set_size(&p->track, seq, (uint32_t) size);
	p->queued += size;
	if (in_line)
		track_set_hold(&p->track, seq, linebuf_ref(p));
	/*
	 * Serving delivery reports takes the queue lock; once per record it
	 * cost as much as the parse.  Idle input and a full queue poll too.
	 */
	if ((++p->produced & (PUB_POLL_EVERY - 1)) == 0)
		rd_kafka_poll(p->rk, 0);
	return true;
}

/*
 * Waits for input up to the ack interval or 100 ms, whichever is shorter,
 * serving delivery reports and the ack file meanwhile.  True if input (or
 * EOF) is ready.
 *
 * While the input pauses, records must not wait for linger.ms (see
 * main.c): rd_kafka_flush() is librdkafka's only way to say "send now",
 * and only while it runs, so it runs in slices of PUB_NUDGE_MS, input
 * checked between them, until every record is delivered, input arrives or
 * the wait is over.  One slice would not do: a record queued behind a
 * request in flight waits for its answer.
 * A pause shorter than PUB_IDLE_MS is no pause: flushed then, a steady
 * pipeline sent a small batch at every empty read.
 */
static bool
wait_input(struct pub *p)
{
	struct pollfd pfd = {0, POLLIN, 0};
	int ms = p->ack_interval_ms > 0 && p->ack_interval_ms < 100 ? p->ack_interval_ms : 100;
	int64_t until = clock_mono_ms() + ms;
	int rc;

	rd_kafka_poll(p->rk, 0);
	ack_maybe_write(p, false);
	metrics_tick();
	rc = poll(&pfd, 1, PUB_IDLE_MS);
	while (rc == 0 && rd_kafka_outq_len(p->rk) > 0 && !sig_stop && clock_mono_ms() < until) {
		rd_kafka_flush(p->rk, PUB_NUDGE_MS);
		ack_maybe_write(p, false);
		rc = poll(&pfd, 1, 0);
	}
	if (rc == 0 && rd_kafka_outq_len(p->rk) == 0)
		rc = poll(&pfd, 1, ms);
	rd_kafka_poll(p->rk, 0);
	ack_maybe_write(p, false);
	return rc > 0;
}

/* Reads and produces until EOF, a signal or a failure, which sets p->status. */
static void
read_loop(struct pub *p)
{
	struct linereader *lr = &p->lr;
	char *line;
	size_t len;

	while (!sig_stop && p->status == 0) {
		enum lr_status st;

		if (!lr_has_line(lr) && !wait_input(p))
			continue;
		st = lr_next(lr, &line, &len);
		if (st == LR_AGAIN)
			continue;
		if (st == LR_EOF)
			break;
		if (st != LR_LINE) {
			char msg[256];

			p->status = lr_failure(lr, st, msg, sizeof msg);
			log_error("%s", msg);
			break;
		}
		if (!produce_line(p, line, len, lr->lineno))
			break;
		if ((p->produced & 1023) == 0) {
			ack_maybe_write(p, false);
			metrics_tick();
		}
	}
}

/*
 * Waits for the delivery report of every record in flight.  At EOF that
 * takes at most message.timeout.ms; once a stop is asked (SIGINT, SIGTERM)
 * at most --stop-timeout more, after which the rest is purged: those
 * records are not acknowledged, and the status is EX_TEMPFAIL.
 */
static void
drain(struct pub *p)
{
	int64_t deadline = -1;
	uint64_t left;

	while (rd_kafka_outq_len(p->rk) > 0) {
		if (sig_stop && deadline < 0) {
			log_info("stopping on signal %d: waiting up to %d ms for %llu records in flight",
					 (int) sig_stop, p->stop_timeout_ms,
					 (unsigned long long) track_inflight(&p->track));
			deadline = clock_mono_ms() + p->stop_timeout_ms;
		}
		if (deadline >= 0 && clock_mono_ms() >= deadline)
			break;
		rd_kafka_flush(p->rk, 100);
		ack_maybe_write(p, false);
		metrics_tick();
	}
	if (rd_kafka_outq_len(p->rk) == 0 && p->unsent == 0)
		return;
	rd_kafka_purge(p->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
	rd_kafka_poll(p->rk, 0); /* the purged records' reports */
	left = track_inflight(&p->track);
	log_error("stopped with %llu records not acknowledged: they are not in the ack file, "
			  "a new run gets them again",
			  (unsigned long long) left);
	if (p->status == 0)
		p->status = EX_TEMPFAIL;
}

/* Waits for the ack file's last content to be written. */
static void
ack_finish(struct pub *p)
{
	char errbuf[512];
	int status = ackwriter_stop(p->ackw, errbuf, sizeof errbuf);

	p->ackw = NULL;
	if (status && p->status == 0) {
		log_error("%s", errbuf);
		p->status = status;
	}
}

/* queue.buffering.max.kbytes of rk, in bytes. */
static size_t
queue_bytes(rd_kafka_t *rk)
{
	char val[64];
	size_t len = sizeof val;

	if (rd_kafka_conf_get(rd_kafka_conf(rk), "queue.buffering.max.kbytes", val, &len) !=
		RD_KAFKA_CONF_OK)
		return SIZE_MAX;
	return (size_t) strtoull(val, NULL, 10) * 1024;
}

int
pub_run(struct pub *p)
{
	char errbuf[512];

	/*
	 * A flush in wait_input() keeps reading waiting up to PUB_NUDGE_MS; a
	 * larger pipe lets the writer go on meanwhile.  Not a pipe, or over the
	 * limit: no matter.
	 */
	(void) fcntl(0, F_SETPIPE_SZ, PUB_PIPE_SIZE);
	track_init(&p->track);
	p->queue_max = queue_bytes(p->rk);
	lr_init(&p->lr, 0, p->max_line);
	lr_keep_lines(&p->lr, retire_lines, spare_get, p);
	pub_metrics(p);
	p->ack_at_ms = clock_mono_ms();
	if (p->ack_file && (p->ackw = ackwriter_start(p->ack_file, errbuf, sizeof errbuf)) == NULL) {
		log_error("%s", errbuf);
		return EX_OSERR;
	}
	read_loop(p);
	drain(p);
	ack_maybe_write(p, true);
	ack_finish(p);
	if (p->status == 0 && track_inflight(&p->track) > 0) {
		log_error("%llu records were not acknowledged",
				  (unsigned long long) track_inflight(&p->track));
		p->status = EX_SOFTWARE;
	}
	log_info("%llu records delivered", (unsigned long long) p->delivered);
	metrics_close();
	lr_free(&p->lr);
	return p->status;
}

void
pub_free(struct pub *p)
{
	size_t i;

	for (i = 0; i < p->ntopics; i++) {
		rd_kafka_topic_destroy(p->topics[i].rkt);
		free(p->topics[i].name);
	}
	free(p->topics);
	connect_cache_free(&p->schemas);
	buf_free(&p->kscratch);
	buf_free(&p->vscratch);
	buf_free(&p->hscratch);
	buf_free(&p->tscratch);
}

void
pub_free_held(struct pub *p)
{
	uint64_t seq;

	for (seq = p->track.low; seq < p->track.next; seq++) {
		struct linebuf *lb = track_hold(&p->track, seq);

		if (lb) {
			track_set_hold(&p->track, seq, NULL);
			linebuf_unref(p, lb);
		}
	}
	spare_free(p);
	track_free(&p->track);
}
