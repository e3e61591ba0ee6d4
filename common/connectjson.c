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
	unsigned i;

	for (i = 0; i < CONNECT_CACHE_SLOTS; i++)
		buf_free(&c->schema[i]);
	c->next = c->last = 0;
}

/* True if slot s holds the schema the bytes at p repeat. */
static inline bool
slot_matches(const struct buf *s, const char *p, const char *end)
{
	return s->len > 0 && (size_t) (end - p) > s->len + MID_LEN &&
		memcmp(p + s->len, mid, MID_LEN) == 0 && memcmp(p, s->data, s->len) == 0;
}

/* Length of a remembered schema that the bytes at p repeat, or 0. */
static size_t
known_schema(struct connect_cache *c, const char *p, const char *end)
{
	unsigned i;

	if (c == NULL)
		return 0;
	if (slot_matches(&c->schema[c->last], p, end))
		return c->schema[c->last].len;
	for (i = 0; i < CONNECT_CACHE_SLOTS; i++)
		if (slot_matches(&c->schema[i], p, end)) {
			c->last = i;
			return c->schema[i].len;
		}
	return 0;
}

static void
remember(struct connect_cache *c, struct json_slice schema)
{
	if (c == NULL)
		return;
	buf_reset(&c->schema[c->next]);
	buf_put(&c->schema[c->next], schema.p, schema.n);
	c->last = c->next;
	c->next = (c->next + 1) % CONNECT_CACHE_SLOTS;
}

/* The payload at p, validated; its end or NULL. */
static const char *
scan_payload(const char *base, const char *p, const char *end, json_member_fn member, void *ctx,
			 struct connect_value *out, struct json_err *err)
{
	if (member == NULL || *p != '{')
		return json_scan_ws(base, p, end, &out->payload, err, &out->space);
	end = json_scan_object(base, p, end, member, ctx, err);
	out->payload.p = p;
	out->payload.n = end ? (size_t) (end - p) : 0;
	return end;
}

/*
 * A whole value, validated: split it (trusting it now) if it has the
 * exact layout, and remember a compact schema.
 */
static void
split_valid(struct connect_cache *c, json_member_fn member, void *ctx, struct connect_value *out)
{
	const char *p = out->whole.p;
	const char *end = p + out->whole.n;
	const char *q;

	if (out->whole.n <= HEAD_LEN + MID_LEN || memcmp(p, head, HEAD_LEN) != 0)
		return;
	q = json_skip_value(p + HEAD_LEN, end);
	if ((size_t) (end - q) <= MID_LEN || memcmp(q, mid, MID_LEN) != 0 || q[MID_LEN] == ' ')
		return;
	out->schema = (struct json_slice){p + HEAD_LEN, (size_t) (q - p - HEAD_LEN)};
	q += MID_LEN;
	if (json_skip_value(q, end) != end - 1) {
		out->schema.n = 0;
		return;
	}
	out->payload = (struct json_slice){q, (size_t) (end - 1 - q)};
	if (member && *q == '{')
		(void) json_scan_object(q, q, end - 1, member, ctx, NULL);
	if (!json_has_space(out->schema))
		remember(c, out->schema);
}

const char *
connect_split(struct connect_cache *c, const char *base, const char *p, const char *end,
			  json_member_fn payload_member, void *ctx, struct connect_value *out,
			  struct json_err *err)
{
	size_t known;
	const char *q;

	memset(out, 0, sizeof *out);
	if ((size_t) (end - p) > HEAD_LEN && memcmp(p, head, HEAD_LEN) == 0 &&
		(known = known_schema(c, p + HEAD_LEN, end)) > 0) {
		q = p + HEAD_LEN + known + MID_LEN;
		if ((q = scan_payload(base, q, end, payload_member, ctx, out, err)) == NULL)
			return NULL;
		/* The payload must be followed directly by the closing brace. */
		if (out->payload.p == p + HEAD_LEN + known + MID_LEN && q < end && *q == '}') {
			out->schema = (struct json_slice){p + HEAD_LEN, known};
			out->whole = (struct json_slice){p, (size_t) (q + 1 - p)};
			return q + 1;
		}
		memset(out, 0, sizeof *out);
	}
	if ((q = json_scan_ws(base, p, end, &out->whole, err, &out->space)) == NULL)
		return NULL;
	split_valid(c, payload_member, ctx, out);
	return q;
}
