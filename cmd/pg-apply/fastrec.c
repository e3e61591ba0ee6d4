/*
 * fastrec.c - the record line read in one pass, without scanning the
 * schemas again and again: key and value are {"schema":..,"payload":..}
 * and the schema bytes are the same on every record of a table, so a
 * schema that equals (memcmp) one already seen and validated is skipped
 * (connect_split(), connectjson.h).  Everything else is validated as it is
 * read, and the envelope's parts are kept on the way.
 */
#include "pgapply.h"

#include <string.h>

#include "connectjson.h"

static bool
fail(struct json_err *err, const char *base, const char *at, const char *msg)
{
	err->msg = msg;
	err->off = (size_t) (at - base);
	return false;
}

void
envelope_take(struct envelope_parts *parts, struct json_slice k, struct json_slice v)
{
	if (k.n == 7 && memcmp(k.p, "\"after\"", 7) == 0)
		parts->after = v;
	else if (k.n == 8 && memcmp(k.p, "\"before\"", 8) == 0)
		parts->before = v;
	else if (k.n == 8 && memcmp(k.p, "\"source\"", 8) == 0)
		parts->source = v;
	else if (k.n == 4 && memcmp(k.p, "\"op\"", 4) == 0)
		parts->op = v;
}

/* json_member_fn of scan_payload(): keeps an envelope's parts. */
static const char *
payload_member(void *ctx, struct json_slice k, const char *base, const char *p,
			   const char *end, struct json_err *err)
{
	struct envelope_parts *parts = ctx;
	struct json_slice v;

	if ((p = json_scan(base, p, end, &v, err)) == NULL)
		return NULL;
	envelope_take(parts, k, v);
	return p;
}

/*
 * At p: a value that may be {"schema":S,"payload":P}.  Returns the end of
 * the value, or NULL with err set; fills *schema and *payload when it has
 * that exact compact shape (else leaves them empty for the slow path),
 * and for a value, the parts of an envelope payload on the way.
 */
static const char *
split_value(const char *base, const char *p, const char *end, struct connect_cache *schemas,
			struct json_slice *whole, struct json_slice *schema, struct json_slice *payload,
			struct envelope_parts *parts, struct json_err *err)
{
	struct connect_value v;

	p = connect_split(schemas, base, p, end, parts ? payload_member : NULL, parts, &v, err);
	if (p == NULL)
		return NULL;
	*whole = v.whole;
	*schema = v.schema;
	*payload = v.payload;
	if (parts && v.schema.n > 0 && json_type_of(v.payload) == JSON_OBJECT)
		parts->valid = true;
	else if (parts)
		memset(parts, 0, sizeof *parts);
	return p;
}

/* What frec_parse() hands its json_member_fn. */
struct frec_walk {
	struct connect_cache *schemas;
	struct frec *f;
};

static const char *
frec_member(void *ctx, struct json_slice k, const char *base, const char *p, const char *end,
			struct json_err *err)
{
	struct frec_walk *w = ctx;
	struct frec *f = w->f;
	struct json_slice v;

	if (json_str_eq(k, "key"))
		return split_value(base, p, end, w->schemas, &f->r.key, &f->ks, &f->kp, NULL, err);
	if (json_str_eq(k, "value"))
		return split_value(base, p, end, w->schemas, &f->r.value, &f->vs, &f->vp, &f->parts,
						   err);
	if ((p = json_scan(base, p, end, &v, err)) == NULL ||
		!record_take_member(&f->r, k, v, false, base, err))
		return NULL;
	return p;
}

bool
frec_parse(const char *line, size_t n, struct connect_cache *schemas, struct frec *f,
		   struct json_err *err)
{
	const char *end = line + n;
	const char *p = json_skip_ws(line, end);
	struct frec_walk w = {schemas, f};

	memset(f, 0, sizeof *f);
	record_init(&f->r);
	err->msg = NULL;
	if (p >= end || *p != '{')
		return p < end && json_scan(line, p, end, NULL, err) == NULL ? false :
			fail(err, line, p, "record must be a JSON object");
	if ((p = json_scan_object(line, p, end, frec_member, &w, err)) == NULL)
		return false;
	if (json_skip_ws(p, end) != end)
		return fail(err, line, p, "trailing characters after JSON value");
	return true;
}
