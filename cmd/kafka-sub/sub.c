/*
 * sub.c - the consume loop: messages to record lines, and offsets
 * committed only for what is safe.
 *
 * Commit rule: without --ack-file, an offset is committed only after the
 * record's line was written (and, for a regular file, fsynced) by
 * out_flush(); with --ack-file, only the offsets the downstream command
 * wrote there ("offset TOPIC PARTITION NEXT").  A crash can therefore
 * repeat records, never skip one.  A commit never moves back: a partition
 * just assigned commits nothing until its first record, whose offset (the
 * group's commit it started from) is the floor; lines of the file at or
 * below the floor, left from an earlier assignment, are ignored.
 */
#include "sub.h"
#include "clock.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "ackfile.h"
#include "catchup.h"
#include "format.h"
#include "kafkautil.h"
#include "log.h"
#include "sig.h"

/* The state of topic/partition; created if create is set, else NULL. */
static struct part *
part_get(struct sub *s, const char *topic, int32_t partition, bool create)
{
	size_t i;
	struct part *p;

	if (s->last && s->last->partition == partition && strcmp(s->last->topic, topic) == 0)
		return s->last;
	for (i = 0; i < s->nparts; i++) {
		p = &s->parts[i];
		if (p->partition == partition && strcmp(p->topic, topic) == 0)
			return s->last = p;
	}
	if (!create)
		return NULL;
	s->parts = xrealloc(s->parts, (s->nparts + 1) * sizeof *s->parts);
	p = &s->parts[s->nparts++];
	p->topic = xstrdup(topic);
	p->partition = partition;
	p->written = p->flushed = p->committed = -1;
	p->assigned = p->eof = p->fresh = false;
	p->head = (struct buf) BUF_INIT;
	p->lag_gauge = p->pos_gauge = NULL;
	format_head(&p->head, topic, partition);
	return s->last = p;
}

static void
mark_assigned(struct sub *s, const rd_kafka_topic_partition_list_t *list, bool assigned)
{
	int i;

	for (i = 0; i < list->cnt; i++) {
		struct part *p = part_get(s, list->elems[i].topic, list->elems[i].partition, true);

		p->assigned = assigned;
		p->eof = false;
		if (assigned)
			p->written = p->flushed = p->committed = -1;
	}
}

/* Writes pending lines; only then do their offsets count as flushed. */
static bool
flush_output(struct sub *s)
{
	size_t i;

	if (s->out.failed)
		return false;
	if (!out_flush(&s->out)) {
		log_error("could not write output: %s", strerror(s->out.err));
		s->status = EX_IOERR;
		return false;
	}
	for (i = 0; i < s->nparts; i++)
		s->parts[i].flushed = s->parts[i].written;
	return true;
}

/*
 * Milliseconds left before the stop bound runs out: the bound starts at
 * the first call after SIGINT or SIGTERM; INT64_MAX before.
 */
static int64_t
stop_left(struct sub *s)
{
	if (!sig_stop)
		return INT64_MAX;
	if (s->stop_at == 0)
		s->stop_at = clock_mono_ms() + s->stop_timeout_ms;
	return s->stop_at - clock_mono_ms();
}

/* Takes a commit's result: what went through counts as committed. */
static void
commit_done(struct sub *s, rd_kafka_event_t *ev)
{
	const rd_kafka_topic_partition_list_t *list = rd_kafka_event_topic_partition_list(ev);
	int i;

	if (rd_kafka_event_error(ev) || list == NULL) {
		log_warn("could not commit offsets: %s", rd_kafka_event_error_string(ev));
		return;
	}
	s->uncommitted = false;
	for (i = 0; i < list->cnt; i++) {
		struct part *p = part_get(s, list->elems[i].topic, list->elems[i].partition, false);

		if (list->elems[i].err) {
			log_warn("could not commit topic \"%s\" partition %d: %s", list->elems[i].topic,
					 (int) list->elems[i].partition, rd_kafka_err2str(list->elems[i].err));
			s->uncommitted = true;
		} else if (p) {
			p->committed = list->elems[i].offset;
			log_debug("committed topic \"%s\" partition %d offset %lld", p->topic,
					  (int) p->partition, (long long) p->committed);
		}
	}
}

/*
 * Takes the answer to the commit in flight, if any: only if it is there
 * already, or if wait, waiting up to the connect timeout, and after a
 * stop up to the stop bound.
 */
static void
commit_answer(struct sub *s, bool wait)
{
	rd_kafka_event_t *ev;
	int64_t until = clock_mono_ms() + s->timeout_ms;

	if (!s->committing)
		return;
	do
		ev = rd_kafka_queue_poll(s->commit_q, wait ? 100 : 0);
	while (ev == NULL && wait && clock_mono_ms() < until && stop_left(s) > 0);
	if (ev == NULL) {
		if (wait)
			log_warn("could not commit offsets: no answer from the group coordinator");
		return;
	}
	s->committing = false;
	commit_done(s, ev);
	rd_kafka_event_destroy(ev);
}

/*
 * Commits next offsets for the parts in list, without waiting for the
 * answer: the coordinator's write can take long under load, and the
 * records behind must not wait for it.  One commit at a time, in order.
 */
static void
commit_list(struct sub *s, rd_kafka_topic_partition_list_t *list)
{
	rd_kafka_resp_err_t err;

	if (list->cnt == 0)
		return;
	commit_answer(s, true);
	s->uncommitted = true;
	if (s->commit_q == NULL)
		s->commit_q = rd_kafka_queue_new(s->rk);
	err = rd_kafka_commit_queue(s->rk, list, s->commit_q, NULL, NULL);
	if (err)
		log_warn("could not commit offsets: %s", rd_kafka_err2str(err));
	else
		s->committing = true;
}

/* Commits what was flushed, for assigned parts (only = NULL) or those in only. */
static void
commit_flushed(struct sub *s, const rd_kafka_topic_partition_list_t *only)
{
	rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(4);
	size_t i;

	for (i = 0; i < s->nparts; i++) {
		struct part *p = &s->parts[i];

		if (!p->assigned || p->flushed < 0 || p->flushed <= p->committed)
			continue;
		if (only && rd_kafka_topic_partition_list_find(only, p->topic, p->partition) == NULL)
			continue;
		rd_kafka_topic_partition_list_add(list, p->topic, p->partition)->offset = p->flushed;
	}
	commit_list(s, list);
	rd_kafka_topic_partition_list_destroy(list);
}

/*
 * Reads the downstream acknowledgement file (if it changed, or force)
 * and commits the "offset TOPIC PARTITION NEXT" lines of assigned parts.
 */
static void
commit_acked(struct sub *s, const rd_kafka_topic_partition_list_t *only, bool force)
{
	struct buf content = BUF_INIT;
	struct stat st;
	char errbuf[512];
	bool exists;
	rd_kafka_topic_partition_list_t *list;
	struct ack_offset o;
	size_t at = 0;

	if (stat(s->ack_file, &st) != 0)
		return;
	if (!force && st.st_size == s->ack_size && st.st_mtim.tv_sec == s->ack_mtime.tv_sec &&
		st.st_mtim.tv_nsec == s->ack_mtime.tv_nsec)
		return;
	if (!ack_read(s->ack_file, &content, &exists, errbuf, sizeof errbuf)) {
		log_warn("%s", errbuf);
		buf_free(&content);
		return;
	}
	s->ack_size = st.st_size;
	s->ack_mtime = st.st_mtim;
	list = rd_kafka_topic_partition_list_new(4);
	while (ack_next_offset(content.data, content.len, &at, &o)) {
		struct part *p = part_get(s, o.topic, o.partition, false);

		if (p == NULL || !p->assigned || p->written < 0 || o.next <= p->committed)
			continue;
		if (only && rd_kafka_topic_partition_list_find(only, o.topic, o.partition) == NULL)
			continue;
		rd_kafka_topic_partition_list_add(list, o.topic, o.partition)->offset = o.next;
	}
	commit_list(s, list);
	rd_kafka_topic_partition_list_destroy(list);
	buf_free(&content);
}

/*
 * Commits whatever the rules allow now, for all parts or those in only,
 * and waits for the answer.
 */
static void
commit_safe(struct sub *s, const rd_kafka_topic_partition_list_t *only, bool force)
{
	if (s->group == NULL)
		return;
	if (s->ack_file)
		commit_acked(s, only, force);
	else
		commit_flushed(s, only);
	commit_answer(s, true);
}

/*
 * Group rebalances: before partitions go, flush what was written and
 * commit what is safe, so that the next owner starts right after it.
 */
static void
rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t *parts,
			 void *opaque)
{
	struct sub *s = opaque;

	switch (err) {
		case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
			if (s->missing[0] && parts->cnt > 0) {
				log_warn("the topic is there now: consuming");
				s->missing[0] = '\0';
			}
			mark_assigned(s, parts, true);
			if (s->cooperative)
				rd_kafka_error_destroy(rd_kafka_incremental_assign(rk, parts));
			else
				rd_kafka_assign(rk, parts);
			break;
		case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS:
			flush_output(s);
			commit_safe(s, parts, true);
			mark_assigned(s, parts, false);
			if (s->cooperative)
				rd_kafka_error_destroy(rd_kafka_incremental_unassign(rk, parts));
			else
				rd_kafka_assign(rk, NULL);
			break;
		default: log_warn("rebalance failed: %s", rd_kafka_err2str(err)); rd_kafka_assign(rk, NULL);
	}
}

void
sub_conf(struct sub *s, rd_kafka_conf_t *conf)
{
	rd_kafka_conf_set_opaque(conf, s);
	if (s->group)
		rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
}

/* Without a group: assign the partitions of the topics at -o. */
static int
assign_all(struct sub *s)
{
	rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(8);
	rd_kafka_resp_err_t err;
	int i, j, status = 0;

	for (i = 0; i < s->ntopics && status == 0; i++) {
		int32_t *ids = NULL;
		int n = 0;

		status = meta_partitions(s->rk, s->topics[i], s->timeout_ms, &ids, &n);
		for (j = 0; j < n; j++)
			if (s->partition < 0 || ids[j] == s->partition)
				rd_kafka_topic_partition_list_add(list, s->topics[i], ids[j])->offset =
					s->start_ms >= 0 ? s->start_ms : s->start;
		if (status == 0 && s->partition >= 0 && list->cnt == 0) {
			log_error("topic \"%s\" has no partition %d", s->topics[i], (int) s->partition);
			status = EX_UNAVAILABLE;
		}
		free(ids);
	}
	if (status == 0 && s->start_ms >= 0) {
		err = rd_kafka_offsets_for_times(s->rk, list, s->timeout_ms);
		if (err) {
			log_error("could not look up offsets for time %lld: %s", (long long) s->start_ms,
					  rd_kafka_err2str(err));
			status = kafka_err_status(err);
		}
	}
	if (status == 0) {
		mark_assigned(s, list, true);
		err = rd_kafka_assign(s->rk, list);
		if (err) {
			log_error("could not assign partitions: %s", rd_kafka_err2str(err));
			status = kafka_err_status(err);
		}
	}
	rd_kafka_topic_partition_list_destroy(list);
	return status;
}

static int
subscribe(struct sub *s)
{
	rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(s->ntopics);
	rd_kafka_resp_err_t err;
	int i;

	for (i = 0; i < s->ntopics; i++)
		rd_kafka_topic_partition_list_add(list, s->topics[i], RD_KAFKA_PARTITION_UA);
	err = rd_kafka_subscribe(s->rk, list);
	rd_kafka_topic_partition_list_destroy(list);
	if (err) {
		log_error("could not subscribe: %s", rd_kafka_err2str(err));
		return kafka_err_status(err);
	}
	s->cooperative = strcmp(rd_kafka_rebalance_protocol(s->rk), "COOPERATIVE") == 0;
	return 0;
}

static void
put_message(struct sub *s, const rd_kafka_message_t *m)
{
	struct fmt_header hdrs[64];
	struct fmt_header *h = hdrs;
	struct fmt_msg f;
	rd_kafka_headers_t *kh = NULL;
	rd_kafka_timestamp_type_t tstype;
	struct part *p;
	size_t i;

	f.topic = rd_kafka_topic_name(m->rkt);
	f.partition = m->partition;
	f.offset = m->offset;
	f.timestamp = rd_kafka_message_timestamp(m, &tstype);
	if (tstype == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE)
		f.timestamp = -1;
	f.key = m->key;
	f.key_len = m->key_len;
	f.value = m->payload;
	f.value_len = m->len;
	f.nheaders = 0;
	if (rd_kafka_message_headers(m, &kh) == RD_KAFKA_RESP_ERR_NO_ERROR && kh) {
		f.nheaders = rd_kafka_header_cnt(kh);
		if (f.nheaders > sizeof hdrs / sizeof hdrs[0])
			h = xcalloc(f.nheaders, sizeof *h);
		for (i = 0; i < f.nheaders; i++)
			rd_kafka_header_get_all(kh, i, &h[i].name, &h[i].value, &h[i].size);
	}
	f.headers = h;
	p = part_get(s, f.topic, f.partition, true);
	f.head = &p->head;
	if (s->pretty) {
		buf_reset(&s->line);
		format_record(&s->line, &f, s->force_base64);
		buf_reset(&s->pretty_line);
		format_pretty(&s->pretty_line, s->line.data, s->line.len);
		out_line(&s->out, s->pretty_line.data, s->pretty_line.len);
	} else {
		/*
		 * Straight into the output batch, saving a copy of every value;
		 * flush_output() alone writes it (flush_at is SIZE_MAX).
		 */
		format_record(&s->out.pending, &f, s->force_base64);
		buf_putc(&s->out.pending, '\n');
	}
	if (h != hdrs)
		free(h);
	if (p->committed < 0)
		p->committed = m->offset; /* the floor, see the top of this file */
	p->written = m->offset + 1;
	p->eof = false;
	p->fresh = true;
	s->consumed++;
	s->bytes_in += m->len + m->key_len;
}

static bool
is_permanent(rd_kafka_resp_err_t err)
{
	return err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ||
		err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC || err == RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION ||
		err == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED ||
		err == RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED || err == RD_KAFKA_RESP_ERR__FATAL;
}

static void
handle(struct sub *s, const rd_kafka_message_t *m)
{
	if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
		put_message(s, m);
		return;
	}
	if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
		struct part *p = part_get(s, rd_kafka_topic_name(m->rkt), m->partition, true);

		p->eof = true;
		return;
	}
	if (s->group && !s->exit_eof &&
		(m->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ||
		 m->err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC)) {
		/* Like a Connect sink: wait for the topic; periodic() repeats this. */
		if (s->missing[0] == '\0')
			log_warn("%s: waiting for it to be created", rd_kafka_message_errstr(m));
		snprintf(s->missing, sizeof s->missing, "%s", rd_kafka_message_errstr(m));
		s->missing_at_ms = clock_mono_ms();
		return;
	}
	if (is_permanent(m->err)) {
		if (m->rkt)
			log_error("topic \"%s\": %s", rd_kafka_topic_name(m->rkt), rd_kafka_message_errstr(m));
		else
			log_error("%s", rd_kafka_message_errstr(m));
		s->status = kafka_err_status(m->err);
		return;
	}
	log_info("%s", rd_kafka_message_errstr(m));
}

/* True when -c or -e says to stop. */
static bool
done(struct sub *s)
{
	size_t i, assigned = 0;

	if (s->count >= 0 && s->consumed >= s->count)
		return true;
	if (!s->exit_eof)
		return false;
	for (i = 0; i < s->nparts; i++) {
		if (!s->parts[i].assigned)
			continue;
		if (!s->parts[i].eof)
			return false;
		assigned++;
	}
	return assigned > 0;
}

/* How often a missing topic is mentioned again, and looked for, while waiting. */
#define MISSING_EVERY_MS 5000
#define MISSING_ASK_MS 1000

/*
 * The group notices a new topic at the next metadata refresh, which can
 * be topic.metadata.refresh.interval.ms (5 minutes) away: a request for
 * every topic's metadata refreshes the cache now.
 */
static void
look_for_topics(struct sub *s)
{
	const struct rd_kafka_metadata *md = NULL;

	if (rd_kafka_metadata(s->rk, 1, NULL, &md, 500) == RD_KAFKA_RESP_ERR_NO_ERROR)
		rd_kafka_metadata_destroy(md);
}

static void
periodic(struct sub *s)
{
	int64_t now = clock_mono_ms();

	if (s->group == NULL)
		return;
	if (s->missing[0] && now - s->missing_at_ms >= MISSING_EVERY_MS) {
		log_warn("%s: still waiting for it to be created", s->missing);
		s->missing_at_ms = now;
	}
	if (s->missing[0] && now - s->missing_asked_ms >= MISSING_ASK_MS) {
		look_for_topics(s);
		s->missing_asked_ms = now;
	}
	commit_answer(s, false);
	if (s->committing)
		return; /* the next commit when this one is answered */
	if (s->ack_file && now - s->ack_at_ms >= s->ack_interval_ms) {
		commit_acked(s, NULL, false);
		s->ack_at_ms = now;
	} else if (!s->ack_file && now - s->commit_at_ms >= s->commit_interval_ms) {
		commit_flushed(s, NULL);
		s->commit_at_ms = now;
	}
}

/*
 * Messages are taken from the consumer queue in batches: one lock and
 * wake-up per batch instead of per message is what keeps up with kcat.
 * The batch call serves rebalances and errors like consumer_poll() does.
 */
#define BATCH 1024

/* Handles msgs[0..n), destroying each; stops early at -c/-e or an error. */
static size_t
handle_batch(struct sub *s, rd_kafka_message_t **msgs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (s->status == 0 && !done(s))
			handle(s, msgs[i]);
		rd_kafka_message_destroy(msgs[i]);
	}
	if (s->exit_eof)
		caught_up(s);
	return n;
}

static void
consume_loop(struct sub *s)
{
	rd_kafka_queue_t *q = rd_kafka_queue_get_consumer(s->rk);
	rd_kafka_message_t *msgs[BATCH];

	while (!sig_stop && s->status == 0 && !done(s)) {
		ssize_t n = rd_kafka_consume_batch_queue(q, 0, msgs, BATCH);
		struct part *behind;

		if (n <= 0) {
			/* Idle: what was written leaves now, before we wait. */
			if (!flush_output(s))
				break;
			periodic(s);
			/*
			 * Wait with consumer_poll(), which returns at the first message;
			 * a batch call would wait for a full batch or the timeout.  Only
			 * a queue just drained can mean a stalled fetcher (wake_fetcher()).
			 */
			behind = s->drained ? lagging(s) : NULL;
			s->drained = false;
			msgs[0] = rd_kafka_consumer_poll(s->rk, behind ? WAKE_AFTER_MS : 100);
			sub_watch(s);
			if (msgs[0] == NULL) {
				if (behind)
					wake_fetcher(s, behind);
				continue;
			}
			n = 1;
		}
		s->drained = true;
		handle_batch(s, msgs, (size_t) n);
		if (s->out.pending.len >= (1 << 16) && !flush_output(s))
			break;
		periodic(s);
		sub_watch(s);
	}
	rd_kafka_queue_destroy(q);
}

int
sub_run(struct sub *s)
{
	int status;

	out_init(&s->out, 1);
	s->out.flush_at = SIZE_MAX; /* flush_output() decides */
	s->commit_at_ms = s->ack_at_ms = clock_mono_ms();
	status = s->group ? subscribe(s) : assign_all(s);
	if (status)
		return status;
	sub_metrics(s);
	consume_loop(s);
	if (flush_output(s))
		log_info("%lld records written", (long long) s->consumed);
	commit_safe(s, NULL, true);
	sub_watch_end(s);
	return s->status;
}

bool
sub_close(struct sub *s)
{
	rd_kafka_queue_t *q = rd_kafka_queue_new(s->rk);
	rd_kafka_error_t *err = rd_kafka_consumer_close_queue(s->rk, q);
	int64_t until = clock_mono_ms() + s->timeout_ms;
	bool closed;

	if (err) {
		log_warn("could not leave the consumer group: %s", rd_kafka_error_string(err));
		rd_kafka_error_destroy(err);
	} else {
		/* The revocation comes here, with messages still queued (dropped). */
		while (!rd_kafka_consumer_closed(s->rk) && clock_mono_ms() < until && stop_left(s) > 0) {
			rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 100);

			if (ev && rd_kafka_event_type(ev) == RD_KAFKA_EVENT_REBALANCE)
				rebalance_cb(
					s->rk, rd_kafka_event_error(ev),
					(rd_kafka_topic_partition_list_t *) rd_kafka_event_topic_partition_list(ev), s);
			rd_kafka_event_destroy(ev);
		}
	}
	closed = rd_kafka_consumer_closed(s->rk);
	rd_kafka_queue_destroy(q);
	if (!closed)
		log_warn("could not leave the consumer group in time");
	return closed;
}

void
sub_free(struct sub *s)
{
	size_t i;

	for (i = 0; i < s->nparts; i++) {
		free(s->parts[i].topic);
		buf_free(&s->parts[i].head);
	}
	free(s->parts);
	if (s->commit_q)
		rd_kafka_queue_destroy(s->commit_q);
	out_free(&s->out);
	buf_free(&s->line);
	buf_free(&s->pretty_line);
}
