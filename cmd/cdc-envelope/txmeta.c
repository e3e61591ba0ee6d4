/*
 * txmeta.c - Debezium's transaction metadata: a BEGIN record before the
 * first event of a transaction, an END record with the per-table counts
 * after its last (env_end(), or the next transaction's first line).
 */
#include "txmeta.h"

#include "convert.h"

/*
 * The per-table counts of an END record, in the order of the HashMap
 * Debezium's TransactionContext keeps them in.
 */
static void
put_collections(struct env *e, struct buf *out)
{
	size_t cap = conv_hashmap_capacity((size_t) e->ncolls);
	uint32_t b;
	bool first = true;

	for (b = 0; b < cap; b++)
		for (int i = 0; i < e->ncolls; i++) {
			const struct buf *name = &e->colls[i].t->coll;

			/* coll is a JSON string; its names have no escapes in practice. */
			if (conv_hashmap_bucket(name->data + 1, name->len - 2, cap) != b)
				continue;
			if (!first)
				buf_putc(out, ',');
			first = false;
			PUTL(out, "{\"data_collection\":");
			buf_put(out, name->data, name->len);
			PUTL(out, ",\"event_count\":");
			buf_put_i64(out, e->colls[i].count);
			buf_putc(out, '}');
		}
}

/*
 * Debezium's PostgreSQL transaction ids are "xid:LSN" with the LSN of the
 * message at hand: BEGIN, each event, COMMIT.
 */
void
put_tx_id(struct env *e, uint64_t lsn, struct buf *out)
{
	buf_putc(out, '"');
	buf_put(out, e->tx_xid.data, e->tx_xid.len);
	buf_putc(out, ':');
	buf_put_u64(out, lsn);
	buf_putc(out, '"');
}

static void
tx_put_record(struct env *e, bool begin, struct buf *out)
{
	uint64_t pos = begin ? e->tx_begin : e->tx_commit;

	static const char key_schema[] = "{\"type\":\"struct\",\"fields\":[{\"type\":\"string\","
									 "\"optional\":false,\"field\":\"id\"}],"
									 "\"optional\":false,\"name\":\"io.debezium.connector.common."
									 "TransactionMetadataKey\",\"version\":1}";
	static const char value_schema[] =
		"{\"type\":\"struct\",\"fields\":[{\"type\":\"string\",\"optional\":false,\"field\":"
		"\"status\"},"
		"{\"type\":\"string\",\"optional\":false,\"field\":\"id\"},"
		"{\"type\":\"int64\",\"optional\":true,\"field\":\"event_count\"},"
		"{\"type\":\"array\",\"items\":{\"type\":\"struct\",\"fields\":["
		"{\"type\":\"string\",\"optional\":false,\"field\":\"data_collection\"},"
		"{\"type\":\"int64\",\"optional\":false,\"field\":\"event_count\"}],"
		"\"optional\":true,\"name\":\"event.collection\",\"version\":1},"
		"\"optional\":true,\"field\":\"data_collections\"},"
		"{\"type\":\"int64\",\"optional\":false,\"field\":\"ts_ms\"}],"
		"\"optional\":false,\"name\":\"io.debezium.connector.common.TransactionMetadataValue\","
		"\"version\":1}";

	PUTL(out, "{\"topic\":");
	buf_put(out, e->tx_topic.data, e->tx_topic.len);
	PUTL(out, ",\"key\":");
	if (e->c->key_schemas) {
		PUTL(out, "{\"schema\":");
		buf_puts(out, key_schema);
		PUTL(out, ",\"payload\":");
	}
	PUTL(out, "{\"id\":");
	put_tx_id(e, pos, out);
	buf_putc(out, '}');
	if (e->c->key_schemas)
		buf_putc(out, '}');
	PUTL(out, ",\"value\":");
	if (e->c->value_schemas) {
		PUTL(out, "{\"schema\":");
		buf_puts(out, value_schema);
		PUTL(out, ",\"payload\":");
	}
	buf_puts(out, begin ? "{\"status\":\"BEGIN\",\"id\":" : "{\"status\":\"END\",\"id\":");
	put_tx_id(e, pos, out);
	if (begin)
		PUTL(out, ",\"event_count\":null,\"data_collections\":null");
	else {
		PUTL(out, ",\"event_count\":");
		buf_put_i64(out, e->tx_total);
		PUTL(out, ",\"data_collections\":[");
		put_collections(e, out);
		buf_putc(out, ']');
	}
	PUTL(out, ",\"ts_ms\":");
	buf_put_i64(out, e->tx_ts_ms);
	buf_putc(out, '}');
	if (e->c->value_schemas)
		buf_putc(out, '}');
	PUTL(out, "}\n");
	e->nrecords++;
}

void
env_end(struct env *e, struct buf *out)
{
	if (e->tx_open)
		tx_put_record(e, false, out);
	e->tx_open = false;
}

void
tx_event(struct env *e, struct table *t, const struct change *ch, int64_t *total,
		 int64_t *coll_order, struct buf *out)
{
	int i;

	if (!e->tx_open) {
		e->tx_open = true;
		e->tx_total = 0;
		e->ncolls = 0;
		e->tx_ts_ms = ch->ts_us_v / 1000;
		buf_reset(&e->tx_xid);
		buf_put(&e->tx_xid, ch->xid.p, ch->xid.n);
		e->tx_begin = ch->lsn_v;
		e->tx_commit = ch->end_v ? ch->end_v : ch->commit_v;
		tx_put_record(e, true, out);
	}
	for (i = 0; i < e->ncolls; i++)
		if (e->colls[i].t == t)
			break;
	if (i == e->ncolls) {
		if (e->ncolls == e->capcolls) {
			e->capcolls = e->capcolls * 2 + 4;
			e->colls = xrealloc(e->colls, (size_t) e->capcolls * sizeof *e->colls);
		}
		e->colls[e->ncolls++] = (struct tx_coll){t, 0};
	}
	*total = ++e->tx_total;
	*coll_order = ++e->colls[i].count;
}
