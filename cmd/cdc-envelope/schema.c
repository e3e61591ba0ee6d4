/*
 * schema.c - the Connect schema JSON of a table, as JsonConverter writes
 * it: the Key struct, the Value struct and its --unwrap variants, and the
 * Envelope with Debezium 2.7's source and transaction blocks.
 */
#include "schema.h"

#include <string.h>

#include "dbzvocab.h"

/* The io.debezium.connector.postgresql.Source struct of Debezium 2.7, around an Enum's name. */
static const char source_head[] =
	"{\"type\":\"struct\",\"fields\":[{\"type\":\"string\",\"optional\":false,\"field\":"
	"\"version\"},"
	"{\"type\":\"string\",\"optional\":false,\"field\":\"connector\"},"
	"{\"type\":\"string\",\"optional\":false,\"field\":\"name\"},"
	"{\"type\":\"int64\",\"optional\":false,\"field\":\"ts_ms\"},"
	"{\"type\":\"string\",\"optional\":true,\"name\":\"";
static const char source_tail[] =
	"\",\"version\":1,"
	"\"parameters\":{\"allowed\":\"true,last,false,incremental\"},\"default\":\"false\",\"field\":"
	"\"snapshot\"},"
	"{\"type\":\"string\",\"optional\":false,\"field\":\"db\"},"
	"{\"type\":\"string\",\"optional\":true,\"field\":\"sequence\"},"
	"{\"type\":\"int64\",\"optional\":true,\"field\":\"ts_us\"},"
	"{\"type\":\"int64\",\"optional\":true,\"field\":\"ts_ns\"},"
	"{\"type\":\"string\",\"optional\":false,\"field\":\"schema\"},"
	"{\"type\":\"string\",\"optional\":false,\"field\":\"table\"},"
	"{\"type\":\"int64\",\"optional\":true,\"field\":\"txId\"},"
	"{\"type\":\"int64\",\"optional\":true,\"field\":\"lsn\"},"
	"{\"type\":\"int64\",\"optional\":true,\"field\":\"xmin\"}],"
	"\"optional\":false,\"name\":\"io.debezium.connector.postgresql.Source\",\"field\":\"source\"}";

static const char tx_block_schema[] =
	"{\"type\":\"struct\",\"fields\":[{\"type\":\"string\",\"optional\":false,\"field\":\"id\"},"
	"{\"type\":\"int64\",\"optional\":false,\"field\":\"total_order\"},"
	"{\"type\":\"int64\",\"optional\":false,\"field\":\"data_collection_order\"}],"
	"\"optional\":true,\"name\":\"event.block\",\"version\":1,\"field\":\"transaction\"}";

static const char envelope_tail[] = "{\"type\":\"string\",\"optional\":false,\"field\":\"op\"},"
									"{\"type\":\"int64\",\"optional\":true,\"field\":\"ts_ms\"},"
									"{\"type\":\"int64\",\"optional\":true,\"field\":\"ts_us\"},"
									"{\"type\":\"int64\",\"optional\":true,\"field\":\"ts_ns\"}";

const char *
schema_source(void)
{
	static struct buf s = BUF_INIT;

	if (s.len == 0) {
		buf_puts(&s, source_head);
		buf_puts(&s, DBZ_NAME(DBZ_ENUM));
		buf_puts(&s, source_tail);
	}
	return buf_cstr(&s);
}

void
schema_put_type(struct buf *b, const struct tdesc *d, const struct tdesc *elem, bool optional,
				const char *doc, const char *deflt, const char *field)
{
	buf_puts(b, "{\"type\":\"");
	buf_puts(b, elem ? "array" : d->type);
	buf_putc(b, '"');
	if (elem) {
		/* Debezium's enum array elements are not optional; others are. */
		bool enum_items = elem->name && strcmp(elem->name, DBZ_NAME(DBZ_ENUM)) == 0;

		buf_puts(b, ",\"items\":");
		schema_put_type(b, elem, NULL, !enum_items, elem->doc, NULL, NULL);
	} else if (d->fields) {
		buf_puts(b, ",\"fields\":");
		buf_puts(b, d->fields);
	} else if (d->kind == K_HSTORE_MAP)
		buf_puts(b,
				 ",\"keys\":{\"type\":\"string\",\"optional\":false},"
				 "\"values\":{\"type\":\"string\",\"optional\":true}");
	buf_puts(b, optional ? ",\"optional\":true" : ",\"optional\":false");
	if (!elem && d->name) {
		buf_puts(b, ",\"name\":\"");
		buf_puts(b, d->name);
		buf_putc(b, '"');
	}
	if (!elem && d->version)
		buf_printf(b, ",\"version\":%d", d->version);
	if (doc) {
		buf_puts(b, ",\"doc\":");
		json_put_cstr(b, doc);
	}
	if (d->params) {
		buf_puts(b, ",\"parameters\":");
		buf_puts(b, d->params);
	}
	if (deflt) {
		buf_puts(b, ",\"default\":");
		buf_puts(b, deflt);
	}
	if (field) {
		buf_puts(b, ",\"field\":");
		json_put_cstr(b, field);
	}
	buf_putc(b, '}');
}

/* A column comment becomes the field's doc only with include.schema.comments. */
static void
put_field(struct buf *b, const struct col *col, const struct env_conf *c)
{
	const char *comment = c->schema_comments ? col->comment : NULL;

	if (col->is_array)
		schema_put_type(b, &col->t, &col->elem, col->optional, comment, NULL, col->name);
	else
		schema_put_type(b, &col->t, NULL, col->optional, comment ? comment : col->t.doc,
						col->default_json, col->name);
}

/*
 * A key field: without what a mask or truncation adds to the value's, and
 * there even when the column lists leave the column out of the value.
 */
static void
put_key_field(struct buf *b, const struct col *col, const struct env_conf *c)
{
	struct col plain;

	if (!col->mapped_schema && !col->filtered) {
		put_field(b, col, c);
		return;
	}
	plain = *col;
	if (col->mapped_schema)
		plain.t.params = col->key_params;
	/* A key column that column.exclude.list leaves out of the value: optional. */
	if (col->filtered)
		plain.optional = true;
	put_field(b, &plain, c);
}

void
schema_build(struct table *t, const struct env_conf *c)
{
	struct buf fields = BUF_INIT;
	int i;
	bool first = true;

	buf_putc(&fields, '[');
	for (i = 0; i < t->ncols; i++) {
		if (t->cols[i].omit)
			continue;
		if (!first)
			buf_putc(&fields, ',');
		first = false;
		put_field(&fields, &t->cols[i], c);
	}
	/* row_schema: the Value struct without its closing, for the variants. */
	buf_put(&t->row_schema, "{\"type\":\"struct\",\"fields\":", 26);
	buf_put(&t->row_schema, fields.data, fields.len);
	buf_puts(&t->row_schema, "],\"optional\":true,\"name\":");
	buf_puts(&t->row_schema, t->name_value_json);
	buf_putc(&t->row_schema, '}');

	/* ExtractNewRecordState rebuilds the struct: no longer optional. */
	buf_put(&t->flat_schema, "{\"type\":\"struct\",\"fields\":", 26);
	buf_put(&t->flat_schema, fields.data, fields.len);
	buf_puts(&t->flat_schema, "],\"optional\":false,\"name\":");
	buf_puts(&t->flat_schema, t->name_value_json);
	buf_putc(&t->flat_schema, '}');

	buf_put(&t->rewrite_schema, "{\"type\":\"struct\",\"fields\":", 26);
	buf_put(&t->rewrite_schema, fields.data, fields.len);
	if (!first)
		buf_putc(&t->rewrite_schema, ',');
	buf_puts(&t->rewrite_schema,
			 "{\"type\":\"string\",\"optional\":true,\"field\":\"__deleted\"}"
			 "],\"optional\":false,\"name\":");
	buf_puts(&t->rewrite_schema, t->name_value_json);
	buf_putc(&t->rewrite_schema, '}');

	buf_puts(&t->value_schema, "{\"type\":\"struct\",\"fields\":[");
	for (i = 0; i < 2; i++) {
		buf_put(&t->value_schema, t->row_schema.data, t->row_schema.len - 1);
		buf_puts(&t->value_schema, i == 0 ? ",\"field\":\"before\"}," : ",\"field\":\"after\"},");
	}
	buf_puts(&t->value_schema, schema_source());
	buf_putc(&t->value_schema, ',');
	buf_puts(&t->value_schema, tx_block_schema);
	buf_putc(&t->value_schema, ',');
	buf_puts(&t->value_schema, envelope_tail);
	buf_puts(&t->value_schema, "],\"optional\":false,\"name\":");
	buf_puts(&t->value_schema, t->name_envelope_json);
	buf_puts(&t->value_schema, ",\"version\":2}");

	if (t->nkey > 0) {
		buf_puts(&t->key_schema, "{\"type\":\"struct\",\"fields\":[");
		for (i = 0; i < t->nkey; i++) {
			if (i > 0)
				buf_putc(&t->key_schema, ',');
			put_key_field(&t->key_schema, &t->cols[t->key[i]], c);
		}
		buf_puts(&t->key_schema, "],\"optional\":false,\"name\":");
		buf_puts(&t->key_schema, t->name_key_json);
		buf_putc(&t->key_schema, '}');
	}
	buf_free(&fields);
}
