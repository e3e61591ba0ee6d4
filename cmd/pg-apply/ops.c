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

/* Records to ops */

/* The shape of these schemas: parsed once, then found by their bytes. */
static struct shape *
lookup_shape(struct ctx *c, struct json_slice ks, struct json_slice vs)
{
	struct schema_cache *sc = &c->sc;
	struct shape *sh = sc->last;
	int			i;

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
	size_t		start = c->b->data.len;
	char		msg[160];

	switch (conv_value(&col->t, v, &c->b->data, msg, sizeof msg)) {
		case CONV_OK:
			buf_putc(&c->b->data, '\0');
			val->off = (uint32_t) start;
			val->len = (int32_t) (c->b->data.len - start - 1);
			return true;
		case CONV_NULL:
			val->len = VAL_NULL;
			return true;
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
	struct vobj it;
	struct json_slice k,
				v;
	int			hint = keys ? 0 : sh->nkeys;

	if (json_type_of(obj) != JSON_OBJECT) {
		snprintf(err, errsize, "payload is not an object");
		return false;
	}
	vobj_init(&it, obj);
	while (vobj_next(&it, &k, &v)) {
		int			i;

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
	char		num[2][24];

	if (r->topic.n == 0 || !r->has_partition || !r->has_offset) {
		snprintf(err, errsize, "primary key mode kafka needs the record's topic, partition "
				 "and offset (records from kafka-sub)");
		return false;
	}
	snprintf(num[0], sizeof num[0], "%d", (int) r->partition);
	snprintf(num[1], sizeof num[1], "%lld", (long long) r->offset);
	return put_value(c, op, 0, r->topic, err, errsize) &&
		put_value(c, op, 1, (struct json_slice) {num[0], strlen(num[0])}, err, errsize) &&
		put_value(c, op, 2, (struct json_slice) {num[1], strlen(num[1])}, err, errsize);
}

static bool
get_schema_payload(struct json_slice v, struct json_slice *schema, struct json_slice *payload)
{
	return json_type_of(v) == JSON_OBJECT && json_obj_get(v, "schema", schema) &&
		json_obj_get(v, "payload", payload);
}

/* The members of an envelope payload that matter, in one pass. */
static void
envelope_parts(struct json_slice vp, struct json_slice *before, struct json_slice *after,
			   struct json_slice *source, struct json_slice *opv)
{
	struct vobj it;
	struct json_slice k,
				v;

	vobj_init(&it, vp);
	while (vobj_next(&it, &k, &v)) {
		if (k.n == 7 && memcmp(k.p, "\"after\"", 7) == 0)
			*after = v;
		else if (k.n == 8 && memcmp(k.p, "\"before\"", 8) == 0)
			*before = v;
		else if (k.n == 8 && memcmp(k.p, "\"source\"", 8) == 0)
			*source = v;
		else if (k.n == 4 && memcmp(k.p, "\"op\"", 4) == 0)
			*opv = v;
	}
}

/*
 * The record's topic with its escapes decoded (into c->topic if it has
 * any); false with err filled if it holds a NUL.
 */
static bool
record_topic(struct ctx *c, const struct record *r, const char **p, size_t *n,
			 char *err, size_t errsize)
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

/* Adds the op for one record (or none: tombstones, disabled kinds); false on error. */
bool
add_op(struct ctx *c, const struct frec *f, uint64_t lineno, const char *line, size_t n,
	   char *err, size_t errsize)
{
	const struct record *r = &f->r;
	struct json_slice ks = f->ks,
				kp = f->kp,
				vs = f->vs,
				vp = f->vp,
				opv = {NULL, 0},
				before = {NULL, 0},
				after = {NULL, 0},
				row = {NULL, 0},
				source = {NULL, 0};
	enum op_kind kind = OPK_WRITE;
	struct shape *sh;
	struct op  *op;
	struct buf *tn = &c->tmp;
	const char *topic;
	size_t		topiclen;
	bool		ok;

	if (record_is_null(r->value))
		return true;			/* a tombstone */
	if (r->value_enc != REC_ENC_JSON ||
		(vs.n == 0 && !get_schema_payload(r->value, &vs, &vp))) {
		snprintf(err, errsize, "value is not a JSON {\"schema\",\"payload\"} object");
		return false;
	}
	if (!record_is_null(r->key) && (r->key_enc != REC_ENC_JSON ||
									(ks.n == 0 && !get_schema_payload(r->key, &ks, &kp)))) {
		snprintf(err, errsize, "key is not a JSON {\"schema\",\"payload\"} object");
		return false;
	}
	sh = lookup_shape(c, ks, vs);
	if (sh->message) {
		if (c->messages++ == 0)
			log_info("line %" PRIu64 ": skipping logical decoding messages (they hold no rows)",
					 lineno);
		return true;
	}
	if (sh->envelope) {
		if (f->parts.valid) {
			before = f->parts.before;
			after = f->parts.after;
			source = f->parts.source;
			opv = f->parts.op;
		} else if (json_type_of(vp) == JSON_OBJECT)
			envelope_parts(vp, &before, &after, &source, &opv);
		if (json_type_of(opv) != JSON_STRING || opv.n != 3) {
			snprintf(err, errsize, "envelope without \"op\"");
			return false;
		}
		switch (opv.p[1]) {
			case 'c': case 'r': case 'u':
				row = after;
				break;
			case 'd':
				if (!c->s.delete_enabled)
					return true;
				kind = OPK_DELETE;
				row = before;
				break;
			case 't':
				if (!c->s.truncate_enabled)
					return true;
				kind = OPK_TRUNCATE;
				break;
			default:
				return true;	/* messages and the like carry no rows */
		}
	} else
		row = vp;
	/* A truncate names only its table: it needs no columns. */
	if (sh->error[0] && kind != OPK_TRUNCATE) {
		snprintf(err, errsize, "%s", sh->error);
		return false;
	}
	buf_reset(tn);
	if (!record_topic(c, r, &topic, &topiclen, err, errsize) ||
		!table_name_expand(c->s.table_format, topic, topiclen, source, tn, err, errsize))
		return false;
	op = batch_add(c->b, kind == OPK_TRUNCATE ? NULL : sh);
	op->kind = kind;
	op->shape = sh;
	op->table = applier_table(c->a, tn->data, tn->len);
	op->lineno = lineno;
	op->offset = r->has_offset ? r->offset : -1;
	op->partition = r->partition;
	if (c->skip_errors) {
		op->line_off = c->b->lines.len;
		op->line_len = n;
		buf_put(&c->b->lines, line, n);
	}
	ok = true;
	if (kind == OPK_TRUNCATE)
		return true;
	if (kind == OPK_WRITE && (row.n == 0 || json_is_null(row))) {
		snprintf(err, errsize, "change without \"after\"");
		ok = false;
	} else if (c->s.pk_mode == PK_KAFKA) {
		ok = put_kafka_key(c, op, r, err, errsize);
	} else if (c->s.pk_mode == PK_RECORD_KEY && kp.n) {
		if (sh->key_struct)
			ok = put_struct(c, op, kp, true, false, err, errsize);
		else
			ok = put_value(c, op, 0, kp, err, errsize);
	} else if (kind == OPK_DELETE && (row.n == 0 || json_is_null(row))) {
		snprintf(err, errsize, "delete without \"before\" to find the key in");
		ok = false;
	}
	if (ok && kind == OPK_DELETE && c->s.pk_mode == PK_RECORD_VALUE)
		ok = put_struct(c, op, row, true, false, err, errsize);
	if (ok && kind == OPK_WRITE)
		ok = put_struct(c, op, row, false, (c->s.pk_mode == PK_RECORD_KEY && kp.n) ||
						c->s.pk_mode == PK_KAFKA, err, errsize);
	if (!ok)
		batch_truncate(c->b, c->b->nops - 1);
	return ok;
}
