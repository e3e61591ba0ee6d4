/*
 * connectjson.c - validation that remembers Connect schemas.
 */
#include "connectjson.h"

#include <string.h>

static const char head[] = "{\"schema\":";
static const char mid[] = ",\"payload\":";

#define HEAD_LEN (sizeof head - 1)
#define MID_LEN (sizeof mid - 1)

void
connect_cache_free(struct connect_cache *c)
{
	unsigned	i;

	for (i = 0; i < CONNECT_CACHE_SLOTS; i++)
		buf_free(&c->schema[i]);
	c->next = 0;
}

/* Length of a remembered schema that the bytes at p repeat, or 0. */
static size_t
known_schema(const struct connect_cache *c, const char *p, const char *end)
{
	unsigned	i;

	for (i = 0; i < CONNECT_CACHE_SLOTS; i++) {
		const struct buf *s = &c->schema[i];

		if (s->len > 0 && (size_t) (end - p) > s->len + MID_LEN &&
			memcmp(p, s->data, s->len) == 0 && memcmp(p + s->len, mid, MID_LEN) == 0)
			return s->len;
	}
	return 0;
}

/* After a full scan: remember the schema of a compact Connect value. */
static void
remember(struct connect_cache *c, const char *p, const char *end)
{
	struct json_slice schema;
	bool		space;
	const char *q;

	if ((size_t) (end - p) <= HEAD_LEN || memcmp(p, head, HEAD_LEN) != 0)
		return;
	q = json_scan_ws(p, p + HEAD_LEN, end, &schema, NULL, &space);
	if (q == NULL || space || schema.p != p + HEAD_LEN ||
		(size_t) (end - q) <= MID_LEN || memcmp(q, mid, MID_LEN) != 0)
		return;
	buf_reset(&c->schema[c->next]);
	buf_put(&c->schema[c->next], schema.p, schema.n);
	c->next = (c->next + 1) % CONNECT_CACHE_SLOTS;
}

const char *
connect_scan(struct connect_cache *c, const char *base, const char *p, const char *end,
			 struct json_slice *out, struct json_err *err, bool *space)
{
	size_t		known;
	const char *q;

	if ((size_t) (end - p) > HEAD_LEN && memcmp(p, head, HEAD_LEN) == 0 &&
		(known = known_schema(c, p + HEAD_LEN, end)) > 0) {
		struct json_slice payload;

		q = p + HEAD_LEN + known + MID_LEN;
		q = json_scan_ws(base, q, end, &payload, err, space);
		/* The payload must be followed directly by the closing brace. */
		if (q != NULL && payload.p == p + HEAD_LEN + known + MID_LEN && q < end && *q == '}') {
			out->p = p;
			out->n = (size_t) (q + 1 - p);
			return q + 1;
		}
	}
	q = json_scan_ws(base, p, end, out, err, space);
	if (q != NULL && !*space)
		remember(c, out->p, out->p + out->n);
	return q;
}
