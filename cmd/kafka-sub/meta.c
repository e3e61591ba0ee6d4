/*
 * meta.c - cluster metadata for kafka-sub: partitions of a topic, the
 * -L listing (like kcat -L) and a group's lag per partition.
 */
#include "sub.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "kafkautil.h"
#include "log.h"

/* Metadata for one topic (or all); NULL with the error reported. */
static const struct rd_kafka_metadata *
get_metadata(rd_kafka_t *rk, const char *topic, int timeout_ms, int *status)
{
	const struct rd_kafka_metadata *md = NULL;
	rd_kafka_topic_t *rkt = topic ? rd_kafka_topic_new(rk, topic, NULL) : NULL;
	rd_kafka_resp_err_t err;

	err = rd_kafka_metadata(rk, topic == NULL, rkt, &md, timeout_ms);
	if (rkt)
		rd_kafka_topic_destroy(rkt);
	if (err) {
		log_error("could not get metadata: %s", rd_kafka_err2str(err));
		*status = kafka_err_status(err);
		return NULL;
	}
	return md;
}

int
meta_partitions(rd_kafka_t *rk, const char *topic, int timeout_ms, int32_t **parts, int *nparts)
{
	const struct rd_kafka_metadata *md;
	int status = 0, i;

	*parts = NULL;
	*nparts = 0;
	if ((md = get_metadata(rk, topic, timeout_ms, &status)) == NULL)
		return status;
	if (md->topic_cnt != 1 || md->topics[0].err) {
		log_error("topic \"%s\": %s", topic,
				  md->topic_cnt ? rd_kafka_err2str(md->topics[0].err) : "not found");
		rd_kafka_metadata_destroy(md);
		return EX_UNAVAILABLE;
	}
	*nparts = md->topics[0].partition_cnt;
	*parts = xcalloc((size_t) *nparts + 1, sizeof **parts);
	for (i = 0; i < *nparts; i++)
		(*parts)[i] = md->topics[0].partitions[i].id;
	rd_kafka_metadata_destroy(md);
	return 0;
}

static void
put_ids(struct buf *b, const int32_t *ids, int n)
{
	int i;

	buf_putc(b, '[');
	for (i = 0; i < n; i++) {
		if (i)
			buf_putc(b, ',');
		buf_put_i64(b, ids[i]);
	}
	buf_putc(b, ']');
}

static void
list_json(struct buf *b, const struct rd_kafka_metadata *md)
{
	int i, j;

	buf_puts(b, "{\"brokers\":[");
	for (i = 0; i < md->broker_cnt; i++)
		buf_printf(b, "%s{\"id\":%d,\"host\":\"%s\",\"port\":%d}", i ? "," : "",
				   (int) md->brokers[i].id, md->brokers[i].host, md->brokers[i].port);
	buf_puts(b, "],\"topics\":[");
	for (i = 0; i < md->topic_cnt; i++) {
		const rd_kafka_metadata_topic_t *t = &md->topics[i];

		buf_puts(b, i ? ",{\"topic\":" : "{\"topic\":");
		json_put_cstr(b, t->topic);
		if (t->err) {
			buf_puts(b, ",\"error\":");
			json_put_cstr(b, rd_kafka_err2str(t->err));
		}
		buf_puts(b, ",\"partitions\":[");
		for (j = 0; j < t->partition_cnt; j++) {
			const rd_kafka_metadata_partition_t *p = &t->partitions[j];

			buf_printf(b, "%s{\"partition\":%d,\"leader\":%d,\"replicas\":", j ? "," : "",
					   (int) p->id, (int) p->leader);
			put_ids(b, p->replicas, p->replica_cnt);
			buf_puts(b, ",\"isrs\":");
			put_ids(b, p->isrs, p->isr_cnt);
			if (p->err) {
				buf_puts(b, ",\"error\":");
				json_put_cstr(b, rd_kafka_err2str(p->err));
			}
			buf_putc(b, '}');
		}
		buf_puts(b, "]}");
	}
	buf_puts(b, "]}\n");
}

static void
list_text(struct buf *b, const struct rd_kafka_metadata *md)
{
	int i, j;

	buf_printf(b, "%d brokers:\n", md->broker_cnt);
	for (i = 0; i < md->broker_cnt; i++)
		buf_printf(b, "  broker %d at %s:%d\n", (int) md->brokers[i].id, md->brokers[i].host,
				   md->brokers[i].port);
	buf_printf(b, "%d topics:\n", md->topic_cnt);
	for (i = 0; i < md->topic_cnt; i++) {
		const rd_kafka_metadata_topic_t *t = &md->topics[i];

		buf_printf(b, "  topic \"%s\" with %d partitions:%s%s\n", t->topic, t->partition_cnt,
				   t->err ? " " : "", t->err ? rd_kafka_err2str(t->err) : "");
		for (j = 0; j < t->partition_cnt; j++) {
			const rd_kafka_metadata_partition_t *p = &t->partitions[j];

			buf_printf(b, "    partition %d, leader %d, replicas: ", (int) p->id, (int) p->leader);
			put_ids(b, p->replicas, p->replica_cnt);
			buf_puts(b, ", isrs: ");
			put_ids(b, p->isrs, p->isr_cnt);
			if (p->err)
				buf_printf(b, ", %s", rd_kafka_err2str(p->err));
			buf_putc(b, '\n');
		}
	}
}

static int
write_out(struct buf *b)
{
	struct out o;
	int status = 0;

	out_init(&o, 1);
	out_line(&o, b->data, b->len - 1); /* out_line adds the last '\n' */
	if (!out_flush(&o)) {
		log_error("could not write output: %s", strerror(o.err));
		status = EX_IOERR;
	}
	out_free(&o);
	return status;
}

int
meta_list(rd_kafka_t *rk, char **topics, int ntopics, bool json, int timeout_ms)
{
	const struct rd_kafka_metadata *md;
	struct buf b = BUF_INIT;
	int status = 0;

	/* One topic, or all: librdkafka asks for one topic or for all. */
	if ((md = get_metadata(rk, ntopics == 1 ? topics[0] : NULL, timeout_ms, &status)) == NULL)
		return status;
	if (json)
		list_json(&b, md);
	else
		list_text(&b, md);
	rd_kafka_metadata_destroy(md);
	status = write_out(&b);
	buf_free(&b);
	return status;
}

/* Appends the lag lines of one topic. */
static int
lag_topic(rd_kafka_t *rk, const char *topic, bool json, int timeout_ms, struct buf *b)
{
	rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(8);
	rd_kafka_resp_err_t err;
	int32_t *ids;
	int n, i, status;

	if ((status = meta_partitions(rk, topic, timeout_ms, &ids, &n)) != 0)
		goto done;
	for (i = 0; i < n; i++)
		rd_kafka_topic_partition_list_add(list, topic, ids[i]);
	if ((err = rd_kafka_committed(rk, list, timeout_ms)) != 0) {
		log_error("could not get committed offsets: %s", rd_kafka_err2str(err));
		status = kafka_err_status(err);
		goto done;
	}
	for (i = 0; i < list->cnt; i++) {
		int64_t lo, hi, committed = list->elems[i].offset;
		int64_t lag;

		err = rd_kafka_query_watermark_offsets(rk, topic, list->elems[i].partition, &lo, &hi,
											   timeout_ms);
		if (err) {
			log_error("topic \"%s\" partition %d: could not get end offset: %s", topic,
					  (int) list->elems[i].partition, rd_kafka_err2str(err));
			status = kafka_err_status(err);
			goto done;
		}
		/* No commit yet: everything retained is lag. */
		lag = committed >= 0 ? hi - committed : hi - lo;
		if (json) {
			buf_puts(b, "{\"topic\":");
			json_put_cstr(b, topic);
			buf_printf(b, ",\"partition\":%d,\"committed\":", (int) list->elems[i].partition);
			if (committed >= 0)
				buf_put_i64(b, committed);
			else
				buf_puts(b, "null");
			buf_printf(b, ",\"end\":%lld,\"lag\":%lld}\n", (long long) hi, (long long) lag);
		} else if (committed >= 0)
			buf_printf(b, "%s %d %lld %lld %lld\n", topic, (int) list->elems[i].partition,
					   (long long) committed, (long long) hi, (long long) lag);
		else
			buf_printf(b, "%s %d - %lld %lld\n", topic, (int) list->elems[i].partition,
					   (long long) hi, (long long) lag);
	}
done:
	free(ids);
	rd_kafka_topic_partition_list_destroy(list);
	return status;
}

int
meta_lag(rd_kafka_t *rk, char **topics, int ntopics, bool json, int timeout_ms)
{
	struct buf b = BUF_INIT;
	int i, status = 0;

	if (!json)
		buf_puts(&b, "topic partition committed end lag\n");
	for (i = 0; i < ntopics && status == 0; i++)
		status = lag_topic(rk, topics[i], json, timeout_ms, &b);
	if (status == 0 && b.len > 0)
		status = write_out(&b);
	buf_free(&b);
	return status;
}
