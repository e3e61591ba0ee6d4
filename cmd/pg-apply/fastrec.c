/*
 * fastrec.c - the record line read in one pass, without scanning the
 * schemas again and again: key and value are {"schema":..,"payload":..}
 * and the schema bytes are the same on every record of a table, so a
 * schema that equals (memcmp) one already seen, validated and parsed is
 * skipped.  Everything else is validated by json_scan() as it is read.
 * Once validated, JSON is walked by vobj_next(), which trusts it.
 */
#include "pgapply.h"

#include <string.h>

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
 * Validates the payload object at p member by member, keeping the slices
 * of an envelope's before, after, source and op on the way (parts may be
 * NULL).  Anything but an object is scanned as a whole.
 */
static const char *
scan_payload(const char *base, const char *p, const char *end, struct json_slice *payload,
			 struct envelope_parts *parts, struct json_err *err)
{
	const char *start = p;

	if (p >= end || *p != '{' || parts == NULL)
		return json_scan(base, p, end, payload, err);
	if ((p = json_scan_object(base, p, end, payload_member, parts, err)) == NULL)
		return NULL;
	payload->p = start;
	payload->n = (size_t) (p - start);
	parts->valid = true;
	return p;
}

/*
 * At p: a value that may be {"schema":S,"payload":P}.  Returns the end of
 * the value, or NULL with err set; fills *schema and *payload when it has
 * that exact compact shape (else leaves them empty for the slow path).
 */
static const char *
split_value(const char *base, const char *p, const char *end, const struct schema_cache *sc,
			bool key, struct json_slice *whole, struct json_slice *schema,
			struct json_slice *payload, struct envelope_parts *parts, struct json_err *err)
{
	static const char head[] = "{\"schema\":";
	static const char mid[] = ",\"payload\":";
	const char *q;
	int			i;

	schema->n = payload->n = 0;
	if ((size_t) (end - p) > sizeof head && memcmp(p, head, sizeof head - 1) == 0) {
		q = p + sizeof head - 1;
		schema->p = q;
		for (i = -1; i < sc->nshapes && schema->n == 0; i++) {
			const struct shape *sh = i < 0 ? sc->last : sc->shapes[i];
			const char *raw;
			size_t		rn;

			if (sh == NULL)
				continue;
			raw = key ? sh->kraw : sh->vraw;
			rn = key ? sh->kn : sh->vn;
			if (rn > 0 && (size_t) (end - q) > rn && q[rn] == ',' && memcmp(q, raw, rn) == 0)
				schema->n = rn;
		}
		if (schema->n == 0 && (q = json_scan(base, q, end, schema, err)) == NULL)
			return NULL;
		q = schema->p + schema->n;
		if ((size_t) (end - q) > sizeof mid && memcmp(q, mid, sizeof mid - 1) == 0) {
			q = scan_payload(base, q + sizeof mid - 1, end, payload, parts, err);
			if (q == NULL)
				return NULL;
			if (q < end && *q == '}') {
				whole->p = p;
				whole->n = (size_t) (q + 1 - p);
				return q + 1;
			}
		}
		schema->n = payload->n = 0;
	}
	return json_scan(base, p, end, whole, err);
}

/* What frec_parse() hands its json_member_fn. */
struct frec_walk {
	const struct schema_cache *sc;
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
		return split_value(base, p, end, w->sc, true, &f->r.key, &f->ks, &f->kp, NULL, err);
	if (json_str_eq(k, "value"))
		return split_value(base, p, end, w->sc, false, &f->r.value, &f->vs, &f->vp, &f->parts, err);
	if ((p = json_scan(base, p, end, &v, err)) == NULL ||
		!record_take_member(&f->r, k, v, false, base, err))
		return NULL;
	return p;
}

bool
frec_parse(const char *line, size_t n, const struct schema_cache *sc, struct frec *f,
		   struct json_err *err)
{
	const char *end = line + n;
	const char *p = json_skip_ws(line, end);
	struct frec_walk w = {sc, f};

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

/* The end of the validated value at p (no leading white space). */
const char *
vjson_skip(const char *p, const char *end)
{
	int			depth = 0;

	do {
		char		ch = *p;

		if (ch == '"') {
			for (p++; *p != '"'; p++)
				if (*p == '\\')
					p++;
			p++;
		} else if (ch == '{' || ch == '[') {
			depth++;
			p++;
		} else if (ch == '}' || ch == ']') {
			depth--;
			p++;
		} else if (depth == 0) {
			while (p < end && *p != ',' && *p != '}' && *p != ']' && *p != ' ' &&
				   *p != '\t' && *p != '\n' && *p != '\r')
				p++;
			return p;
		} else
			p++;
	} while (depth > 0 && p < end);
	return p;
}

void
vobj_init(struct vobj *it, struct json_slice obj)
{
	it->p = obj.p + 1;
	it->end = obj.p + obj.n - 1;
}

bool
vobj_next(struct vobj *it, struct json_slice *k, struct json_slice *v)
{
	const char *p = json_skip_ws(it->p, it->end);

	if (p >= it->end)
		return false;
	k->p = p;
	p = vjson_skip(p, it->end);
	k->n = (size_t) (p - k->p);
	p = json_skip_ws(p, it->end) + 1;		/* ':' */
	p = json_skip_ws(p, it->end);
	v->p = p;
	p = vjson_skip(p, it->end);
	v->n = (size_t) (p - v->p);
	p = json_skip_ws(p, it->end);
	if (p < it->end && *p == ',')
		p++;
	it->p = p;
	return true;
}
