/*
 * emit.c - record lines: topic, key, value and headers of data change
 * events, tombstones and logical decoding messages, written straight
 * into the output from the cached schema JSON and the converted values.
 */
#include "emit.h"

#include "row.h"
#include "schema.h"
#include "txmeta.h"
#include "unwrap.h"

static void
put_source(struct env *e, const struct table *t, const struct change *ch, bool with_tx,
		   struct buf *out)
{
	/*
	 * A non-transactional message has no commit time of its own: Debezium
	 * keeps the one of the last transaction.
	 */
	int64_t ts = with_tx || !e->have_tx_ts ? ch->ts_us_v : e->tx_ts_us;
	/* Debezium's incremental snapshot reads carry no transaction or LSN. */
	bool incremental = ch->snapshot.n > 0 && json_str_eq(ch->snapshot, "incremental");

	buf_put(out, e->srchead.data, e->srchead.len);
	buf_put_i64(out, ts / 1000);
	PUTL(out, ",\"snapshot\":");
	if (ch->snapshot.n > 0)
		buf_put(out, ch->snapshot.p, ch->snapshot.n);
	else
		PUTL(out, "\"false\"");
	PUTL(out, ",\"db\":");
	buf_put(out, e->db.data, e->db.len);
	PUTL(out, ",\"sequence\":");
	buf_put(out, e->seq.data, e->seq.len);
	PUTL(out, ",\"ts_us\":");
	buf_put_i64(out, ts);
	PUTL(out, ",\"ts_ns\":");
	buf_put_i64(out, ts * 1000);
	if (t)
		buf_put(out, t->src_tail.data, t->src_tail.len);
	else
		PUTL(out, ",\"schema\":\"\",\"table\":\"\"");
	PUTL(out, ",\"txId\":");
	if (with_tx && !incremental)
		buf_put(out, ch->xid.p, ch->xid.n);
	else
		PUTL(out, "null");
	PUTL(out, ",\"lsn\":");
	if (incremental)
		PUTL(out, "null");
	else
		buf_put_u64(out, ch->lsn_v);
	PUTL(out, ",\"xmin\":null}");
}

static void
put_now(struct env *e, struct buf *out, bool all)
{
	PUTL(out, ",\"ts_ms\":");
	buf_put_i64(out, e->now_ms);
	if (all) {
		PUTL(out, ",\"ts_us\":");
		buf_put_i64(out, e->now_us);
		PUTL(out, ",\"ts_ns\":");
		buf_put_i64(out, e->now_ns);
	}
}

static void
record_start(struct buf *out, const struct buf *topic)
{
	PUTL(out, "{\"topic\":");
	buf_put(out, topic->data, topic->len);
	PUTL(out, ",\"key\":");
}

static void
record_end(struct env *e, struct buf *out)
{
	if (e->hdr.len > 0) {
		PUTL(out, ",\"headers\":");
		buf_put(out, e->hdr.data, e->hdr.len);
	}
	PUTL(out, "}\n");
	e->nrecords++;
}

bool
emit_event(struct env *e, struct table *t, const struct change *ch, char op,
		   const struct json_slice *before, const struct json_slice *after,
		   const struct json_slice *keyvals, struct buf *out)
{
	const struct env_conf *c = e->c;
	int64_t total = 0, corder = 0;

	if (c->unwrap && (op == 't' || (op == 'd' && c->unwrap_delete == UNWRAP_DROP)))
		return true;
	if (c->tx_metadata)
		tx_event(e, t, ch, &total, &corder, out);
	record_start(out, &t->topic);
	if (keyvals == NULL)
		PUTL(out, "null");
	else if (!put_key(e, t, keyvals, out))
		return false;
	PUTL(out, ",\"value\":");
	if (c->unwrap) {
		if (!put_unwrapped(e, t, op, before, after, out))
			return false;
		record_end(e, out);
		return true;
	}
	if (c->value_schemas) {
		PUTL(out, "{\"schema\":");
		buf_put(out, t->value_schema.data, t->value_schema.len);
		PUTL(out, ",\"payload\":");
	}
	PUTL(out, "{\"before\":");
	if (!put_row(e, t, before, NULL, out))
		return false;
	PUTL(out, ",\"after\":");
	if (!put_row(e, t, after, NULL, out))
		return false;
	PUTL(out, ",\"source\":");
	put_source(e, t, ch, true, out);
	PUTL(out, ",\"transaction\":");
	if (c->tx_metadata) {
		PUTL(out, "{\"id\":");
		put_tx_id(e, ch->lsn_v, out);
		PUTL(out, ",\"total_order\":");
		buf_put_i64(out, total);
		PUTL(out, ",\"data_collection_order\":");
		buf_put_i64(out, corder);
		buf_putc(out, '}');
	} else
		PUTL(out, "null");
	PUTL(out, ",\"op\":\"");
	buf_putc(out, op);
	buf_putc(out, '"');
	put_now(e, out, true);
	buf_putc(out, '}');
	if (c->value_schemas)
		buf_putc(out, '}');
	record_end(e, out);
	return true;
}

bool
emit_tombstone(struct env *e, const struct table *t, const struct json_slice *keyvals,
			   struct buf *out)
{
	if (!e->c->tombstones || e->c->unwrap)
		return true;
	record_start(out, &t->topic);
	if (!put_key(e, t, keyvals, out))
		return false;
	PUTL(out, ",\"value\":null");
	record_end(e, out);
	return true;
}

bool
emit_message(struct env *e, const struct change *ch, struct buf *out)
{
	static const char key_schema[] = "{\"type\":\"struct\",\"fields\":[{\"type\":\"string\","
									 "\"optional\":true,\"field\":\"prefix\"}],"
									 "\"optional\":false,\"name\":\"io.debezium.connector."
									 "postgresql.MessageKey\",\"version\":1}";
	static const char block_schema[] =
		"{\"type\":\"struct\",\"fields\":[{\"type\":\"string\",\"optional\":true,\"field\":"
		"\"prefix\"},"
		"{\"type\":\"bytes\",\"optional\":true,\"field\":\"content\"}],\"optional\":false,"
		"\"name\":\"io.debezium.connector.postgresql.Message\",\"version\":1,\"field\":"
		"\"message\"}";
	struct json_slice prefix, content;
	struct buf pj = BUF_INIT;
	const char *ps;
	size_t pn;
	bool tx;

	if (json_type_of(ch->message) != JSON_OBJECT || !json_obj_get(ch->message, "prefix", &prefix) ||
		json_type_of(prefix) != JSON_STRING || !json_obj_get(ch->message, "content", &content) ||
		json_type_of(content) != JSON_STRING)
		return env_fail(e, "op \"m\" needs \"message\" with string \"prefix\" and \"content\"");
	tx = change_is_transactional(ch);
	slice_text(e, prefix, &ps, &pn);
	json_put_str(&pj, ps, pn);
	record_start(out, &e->msg_topic);
	if (e->c->key_schemas) {
		PUTL(out, "{\"schema\":");
		buf_puts(out, key_schema);
		PUTL(out, ",\"payload\":");
	}
	PUTL(out, "{\"prefix\":");
	buf_put(out, pj.data, pj.len);
	buf_putc(out, '}');
	if (e->c->key_schemas)
		buf_putc(out, '}');
	PUTL(out, ",\"value\":");
	if (e->c->value_schemas) {
		PUTL(out,
			 "{\"schema\":{\"type\":\"struct\",\"fields\":["
			 "{\"type\":\"string\",\"optional\":false,\"field\":\"op\"},"
			 "{\"type\":\"int64\",\"optional\":true,\"field\":\"ts_ms\"},");
		buf_puts(out, schema_source());
		buf_putc(out, ',');
		buf_puts(out, block_schema);
		PUTL(out,
			 "],\"optional\":false,\"name\":\"io.debezium.connector.postgresql.MessageValue\","
			 "\"version\":1},\"payload\":");
	}
	PUTL(out, "{\"op\":\"m\"");
	put_now(e, out, false);
	PUTL(out, ",\"source\":");
	put_source(e, NULL, ch, tx, out);
	PUTL(out, ",\"message\":{\"prefix\":");
	buf_put(out, pj.data, pj.len);
	PUTL(out, ",\"content\":");
	buf_put(out, content.p, content.n);
	PUTL(out, "}}");
	if (e->c->value_schemas)
		buf_putc(out, '}');
	record_end(e, out);
	buf_free(&pj);
	return true;
}
