/*
 * fastrec.c - the record line read in one pass by record_parse_split()
 * (record.h), which skips a Connect schema already seen and validated
 * (connectjson.h), with the envelope's parts kept on the way.
 */
#include "pgapply.h"

#include <string.h>

#include "connectjson.h"

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

/* json_member_fn of the value payload: keeps an envelope's parts. */
static const char *
payload_member(void *ctx, struct json_slice k, const char *base, const char *p, const char *end,
			   struct json_err *err)
{
	struct envelope_parts *parts = ctx;
	struct json_slice v;

	if ((p = json_scan(base, p, end, &v, err)) == NULL)
		return NULL;
	envelope_take(parts, k, v);
	return p;
}

bool
frec_parse(const char *line, size_t n, struct connect_cache *schemas, struct frec *f,
		   struct json_err *err)
{
	struct record_split split;

	memset(&f->parts, 0, sizeof f->parts);
	if (!record_parse_split(line, n, schemas, payload_member, &f->parts, &f->r, &split, err))
		return false;
	f->ks = split.ks;
	f->kp = split.kp;
	f->vs = split.vs;
	f->vp = split.vp;
	/* Parts met on a way that did not end in a split value are not kept. */
	if (f->vs.n > 0 && json_type_of(f->vp) == JSON_OBJECT)
		f->parts.valid = true;
	else
		memset(&f->parts, 0, sizeof f->parts);
	return true;
}
