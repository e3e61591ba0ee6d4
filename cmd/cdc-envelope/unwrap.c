/*
 * unwrap.c - io.debezium.transforms.ExtractNewRecordState: the flattened
 * row and its schema, delete.handling.mode drop, tombstone or rewrite
 * (the "__deleted" field).
 */
#include "unwrap.h"

#include "row.h"

/* The value of an ExtractNewRecordState (--unwrap) record. */
bool
put_unwrapped(struct env *e, struct table *t, char op, const struct json_slice *before,
			  const struct json_slice *after, struct buf *out)
{
	const struct env_conf *c = e->c;
	const char *deleted = NULL;
	const struct buf *schema = &t->row_schema;

	if (op == 'd' && c->unwrap_delete == UNWRAP_TOMBSTONE) {
		/* The after field's own schema, still optional. */
		/*
		 * Not a Kafka tombstone: ExtractNewRecordState keeps the Value
		 * schema with a null value, which JsonConverter writes as
		 * {"schema":...,"payload":null}, or as the four bytes "null"
		 * without schemas.  Sinks read either as a flattened delete.
		 */
		if (c->value_schemas) {
			PUTL(out, "{\"schema\":");
			buf_put(out, schema->data, schema->len);
			PUTL(out, ",\"payload\":null}");
		} else
			PUTL(out, "\"null\",\"value_encoding\":\"text\"");
		return true;
	}
	schema = &t->flat_schema;
	if (c->unwrap_delete == UNWRAP_REWRITE) {
		deleted = op == 'd' ? "true" : "false";
		schema = &t->rewrite_schema;
	}
	if (c->value_schemas) {
		PUTL(out, "{\"schema\":");
		buf_put(out, schema->data, schema->len);
		PUTL(out, ",\"payload\":");
	}
	if (!put_row(e, t, op == 'd' ? before : after, deleted, out))
		return false;
	if (c->value_schemas)
		buf_putc(out, '}');
	return true;
}
