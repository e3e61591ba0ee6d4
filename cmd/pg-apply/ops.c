/*
 * ops.c - record lines turned into the operations of a batch: the shape
 * of the record's schemas, its kind (write, delete, truncate), its table
 * and its column values in PostgreSQL text form.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "ops.h"
#include "pipeline.h"

/* Records to ops */

/* The shape of these schemas: parsed once, then found by their bytes. */
static struct shape *
lookup_shape(struct ctx *c, struct json_slice ks, struct json_slice vs)
{
	struct schema_cache *sc = &c->sc;
	struct shape *sh = sc->last;
	int i;

	if (sh && sh->kn == ks.n && sh->vn == vs.n && memcmp(sh->vraw, vs.p, vs.n) == 0 &&
		memcmp(sh->kraw, ks.p, ks.n) == 0)
		return sh;
	for (i = 0; i < sc->nshapes; i++) {
		sh = sc->shapes[i];
		if (sh->kn == ks.n && sh->vn == vs.n && memcmp(sh->vraw, vs.p, vs.n) == 0 &&
			memcmp(sh->kraw, ks.p, ks.n) == 0)
			return sc->last = sh;
	}
	sh = shape_build(ks, vs, &c->s);
	sc->shapes = xrealloc(sc->shapes, (size_t) (sc->nshapes + 1) * sizeof *sc->shapes);
	sc->shapes[sc->nshapes++] = sh;
	return sc->last = sh;
}

/* Converts v into column i of op; false with err filled. */
static bool
put_value(struct ctx *c, struct op *op, int i, struct json_slice v, char *err, size_t errsize)
{
	struct column *col = &op->shape->cols[i];
	struct val *val = &c->b->vals[op->vals + (size_t) i];
	size_t start = c->b->data.len;
	char msg[160];

	switch (conv_value(&col->t, v, &c->b->data, msg, sizeof msg)) {
		case CONV_OK:
			buf_putc(&c->b->data, '\0');
			val->off = (uint32_t) start;
			val->len = (int32_t) (c->b->data.len - start - 1);
			return true;
		case CONV_NULL: val->len = VAL_NULL; return true;
		case CONV_UNAVAILABLE:
			if (i < op->shape->nkeys) {
				snprintf(err, errsize, "key field \"%s\" holds the unavailable-value placeholder",
						 col->name);
				return false;
			}
			val->len = VAL_UNAVAILABLE;
			op->toast = true;
			return true;
		default:
			c->b->data.len = start;
			snprintf(err, errsize, "field \"%s\": %s", col->name, msg);
			return false;
	}
}

/* Fills columns from the members of a struct payload; keys_only limits to keys. */
static bool
put_struct(struct ctx *c, struct op *op, struct json_slice obj, bool keys, bool skip_keys,
		   char *err, size_t errsize)
{
	const struct shape *sh = op->shape;
	struct json_iter it;
	struct json_slice k, v;
	int hint = keys ? 0 : sh->nkeys;

	if (json_type_of(obj) != JSON_OBJECT) {
		snprintf(err, errsize, "payload is not an object");
		return false;
	}
	json_iter_init(&it, obj);
	while (json_obj_next(&it, &k, &v)) {
		int i;

		if (json_str_is_plain(k))
			i = shape_find_col(sh, k.p + 1, k.n - 2, hint);
		else {
			buf_reset(&c->tmp);
			json_str_decode(k, &c->tmp);
			i = shape_find_col(sh, c->tmp.data, c->tmp.len, hint);
		}
		if (i < 0 || (keys && i >= sh->nkeys) || (skip_keys && i < sh->nkeys))
			continue;
		hint = i + 1;
		if (!put_value(c, op, i, v, err, errsize))
			return false;
	}
	return true;
}

/* primary.key.mode=kafka: the record's topic, partition and offset. */
static bool
put_kafka_key(struct ctx *c, struct op *op, const struct record *r, char *err, size_t errsize)
{
	char num[2][24];

	if (r->topic.n == 0 || !r->has_partition || !r->has_offset) {
		snprintf(err, errsize,
				 "primary key mode kafka needs the record's topic, partition "
				 "and offset (records from kafka-sub)");
		return false;
	}
	snprintf(num[0], sizeof num[0], "%d", (int) r->partition);
	snprintf(num[1], sizeof num[1], "%lld", (long long) r->offset);
	return put_value(c, op, 0, r->topic, err, errsize) &&
		put_value(c, op, 1, (struct json_slice){num[0], strlen(num[0])}, err, errsize) &&
		put_value(c, op, 2, (struct json_slice){num[1], strlen(num[1])}, err, errsize);
}

static bool
get_schema_payload(struct json_slice v, struct json_slice *schema, struct json_slice *payload)
{
	return json_type_of(v) == JSON_OBJECT && json_obj_get(v, "schema", schema) &&
		json_obj_get(v, "payload", payload);
}

/* The members of an envelope payload that matter, in one pass. */
static void
envelope_parts(struct json_slice vp, struct envelope_parts *parts)
{
	struct json_iter it;
	struct json_slice k, v;

	json_iter_init(&it, vp);
	while (json_obj_next(&it, &k, &v))
		envelope_take(parts, k, v);
}

/*
 * The record's topic with its escapes decoded (into c->topic if it has
 * any); false with err filled if it holds a NUL.
 */
static bool
record_topic(struct ctx *c, const struct record *r, const char **p, size_t *n, char *err,
			 size_t errsize)
{
	*p = r->topic.n ? r->topic.p + 1 : "";
	*n = r->topic.n ? r->topic.n - 2 : 0;
	if (r->topic.n == 0 || json_str_is_plain(r->topic))
		return true;
	buf_reset(&c->topic);
	if (!json_str_decode_text(r->topic, &c->topic)) {
		snprintf(err, errsize, "the topic holds \\u0000");
		return false;
	}
	*p = c->topic.data ? c->topic.data : "";
	*n = c->topic.len;
	return true;
}

/* One record on its way to an op. */
struct change {
	struct json_slice ks; /* key schema and payload; n == 0 for a null key */
	struct json_slice kp;
	struct json_slice vs; /* value schema and payload */
	struct json_slice vp;
	struct shape *sh;
	enum op_kind kind;
	struct json_slice row;	  /* the values: after, before, or the plain payload */
	struct json_slice source; /* an envelope's source block, for the table name */
};

/*
 * The schemas and payloads of key and value, as frec_parse() split them
 * or else looked up; false with err filled if one is not a Connect
 * {"schema","payload"} object.
 */
static bool
change_split(const struct frec *f, struct change *ch, char *err, size_t errsize)
{
	const struct record *r = &f->r;

	ch->ks = f->ks;
	ch->kp = f->kp;
	ch->vs = f->vs;
	ch->vp = f->vp;
	if (r->value_enc != REC_ENC_JSON ||
		(ch->vs.n == 0 && !get_schema_payload(r->value, &ch->vs, &ch->vp))) {
		snprintf(err, errsize, "value is not a JSON {\"schema\",\"payload\"} object");
		return false;
	}
	if (!record_is_null(r->key) &&
		(r->key_enc != REC_ENC_JSON ||
		 (ch->ks.n == 0 && !get_schema_payload(r->key, &ch->ks, &ch->kp)))) {
		snprintf(err, errsize, "key is not a JSON {\"schema\",\"payload\"} object");
		return false;
	}
	return true;
}

/* A change of "op" r is a snapshot row: of an incremental snapshot or not. */
static enum change_class
change_class(const struct envelope_parts *parts)
{
	struct json_slice snapshot;

	if (parts->op.p[1] != 'r')
		return CHANGE_STREAMED;
	if (parts->source.n && json_obj_get(parts->source, "snapshot", &snapshot) &&
		json_str_eq(snapshot, "incremental"))
		return CHANGE_INCREMENTAL;
	return CHANGE_SNAPSHOT;
}

/*
 * The kind and row of a change (an envelope's "op"): 1; 0 if it brings
 * nothing to apply (a kind not enabled, a message); -1 with err filled.
 */
static int
change_kind(struct ctx *c, const struct frec *f, struct change *ch, char *err, size_t errsize)
{
	struct envelope_parts parts = f->parts;

	ch->kind = OPK_WRITE;
	if (!ch->sh->envelope) {
		ch->row = ch->vp;
		return 1;
	}
	if (!parts.valid) {
		memset(&parts, 0, sizeof parts);
		if (json_type_of(ch->vp) == JSON_OBJECT)
			envelope_parts(ch->vp, &parts);
	}
	ch->source = parts.source;
	if (json_type_of(parts.op) != JSON_STRING || parts.op.n != 3) {
		snprintf(err, errsize, "envelope without \"op\"");
		return -1;
	}
	note_change(c, change_class(&parts));
	switch (parts.op.p[1]) {
		case 'c':
		case 'r':
		case 'u': ch->row = parts.after; return 1;
		case 'd':
			ch->kind = OPK_DELETE;
			ch->row = parts.before;
			return c->s.delete_enabled;
		case 't': ch->kind = OPK_TRUNCATE; return c->s.truncate_enabled;
		default: return 0; /* messages and the like carry no rows */
	}
}

/*
 * A new op in c->b for the change, its table named by the format (the
 * record line kept for a dead letter); NULL with err filled.
 */
static struct op *
change_op(struct ctx *c, const struct frec *f, const struct change *ch, uint64_t lineno,
		  const char *line, size_t n, char *err, size_t errsize)
{
	const struct record *r = &f->r;
	struct buf *tn = &c->tmp;
	const char *topic;
	size_t topiclen;
	struct op *op;

	buf_reset(tn);
	if (!record_topic(c, r, &topic, &topiclen, err, errsize) ||
		!table_name_expand(c->s.table_format, topic, topiclen, ch->source, tn, err, errsize))
		return NULL;
	op = batch_add(c->b, ch->kind == OPK_TRUNCATE ? NULL : ch->sh);
	op->kind = ch->kind;
	op->shape = ch->sh;
	op->table = applier_table(c->a, tn->data, tn->len);
	op->lineno = lineno;
	op->offset = r->has_offset ? r->offset : -1;
	op->partition = r->partition;
	if (c->skip_errors) {
		op->line_off = c->b->lines.len;
		op->line_len = n;
		buf_put(&c->b->lines, line, n);
	}
	return op;
}

/*
 * The values of a row change's op: the key from the record's key (or its
 * Kafka coordinates), then the row's columns; false with err filled.
 */
static bool
change_values(struct ctx *c, struct op *op, const struct record *r, const struct change *ch,
			  char *err, size_t errsize)
{
	bool kafka = c->s.pk_mode == PK_KAFKA;
	bool from_key = c->s.pk_mode == PK_RECORD_KEY && ch->kp.n;
	bool ok = true;

	if (ch->kind == OPK_WRITE && record_is_null(ch->row)) {
		snprintf(err, errsize, "change without \"after\"");
		return false;
	}
	if (kafka)
		ok = put_kafka_key(c, op, r, err, errsize);
	else if (from_key && ch->sh->key_struct)
		ok = put_struct(c, op, ch->kp, true, false, err, errsize);
	else if (from_key)
		ok = put_value(c, op, 0, ch->kp, err, errsize);
	else if (ch->kind == OPK_DELETE && record_is_null(ch->row)) {
		snprintf(err, errsize, "delete without \"before\" to find the key in");
		return false;
	}
	if (ok && ch->kind == OPK_DELETE && c->s.pk_mode == PK_RECORD_VALUE)
		ok = put_struct(c, op, ch->row, true, false, err, errsize);
	if (ok && ch->kind == OPK_WRITE)
		ok = put_struct(c, op, ch->row, false, from_key || kafka, err, errsize);
	return ok;
}

/* A logical decoding message holds no row: said once, then skipped. */
static bool
skip_message(struct ctx *c, uint64_t lineno)
{
	if (c->messages++ == 0)
		log_info("line %" PRIu64 ": skipping logical decoding messages (they hold no rows)",
				 lineno);
	return true;
}

bool
add_op(struct ctx *c, const struct frec *f, uint64_t lineno, const char *line, size_t n, char *err,
	   size_t errsize)
{
	struct change ch;
	struct op *op;
	int wanted;

	memset(&ch, 0, sizeof ch);
	if (record_is_null(f->r.value))
		return true; /* a tombstone */
	if (!change_split(f, &ch, err, errsize))
		return false;
	ch.sh = lookup_shape(c, ch.ks, ch.vs);
	if (ch.sh->message)
		return skip_message(c, lineno);
	if ((wanted = change_kind(c, f, &ch, err, errsize)) <= 0)
		return wanted == 0;
	/* A truncate names only its table: it needs no columns. */
	if (ch.sh->error[0] && ch.kind != OPK_TRUNCATE) {
		snprintf(err, errsize, "%s", ch.sh->error);
		return false;
	}
	if ((op = change_op(c, f, &ch, lineno, line, n, err, errsize)) == NULL)
		return false;
	if (ch.kind == OPK_TRUNCATE || change_values(c, op, &f->r, &ch, err, errsize))
		return true;
	batch_truncate(c->b, c->b->nops - 1);
	return false;
}
