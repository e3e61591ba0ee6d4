/*
 * connectjson.h - Kafka Connect JSON values, validated and split fast.
 *
 * JsonConverter writes every record as {"schema":S,"payload":P}, and S is
 * the same bytes on every record of a table: most of a Debezium value is
 * its schema.  connect_split() validates such a value like json_scan_ws()
 * and splits it into schema and payload, but scans S in full only the
 * first time it meets those bytes; later it compares them (memcmp) with
 * the ones its cache remembers and scans P alone.  The caller owns the
 * cache: one per reading thread.
 */
#ifndef WALPIPE_CONNECTJSON_H
#define WALPIPE_CONNECTJSON_H

#include <stdbool.h>

#include "buf.h"
#include "json.h"

#define CONNECT_CACHE_SLOTS 64

/* Schemas seen, compact and valid; zero-initialise, free with connect_cache_free(). */
struct connect_cache {
	struct buf schema[CONNECT_CACHE_SLOTS];
	unsigned next; /* slot to replace next */
	unsigned last; /* slot that matched last: tried first */
};

void connect_cache_free(struct connect_cache *c);

/* A value as connect_split() found it. */
struct connect_value {
	struct json_slice whole;
	struct json_slice schema;  /* n == 0 unless the value is exactly */
	struct json_slice payload; /* {"schema":S,"payload":P}, no space between */
	bool space;				   /* white space between tokens (see connect_split) */
};

/*
 * Validates the JSON value at p (no leading white space), never reading
 * at or past end, and splits it.  Returns the position after the value,
 * or NULL with *err filled (err may be NULL); base is the start of the
 * input, for err->off.  c may be NULL (no schema is remembered).
 *
 * With payload_member NULL, out->space is as json_scan_ws() tells it.
 * Otherwise an object payload is validated by json_scan_object() with
 * payload_member and ctx, once, and out->space is not set.
 */
const char *connect_split(struct connect_cache *c, const char *base, const char *p, const char *end,
						  json_member_fn payload_member, void *ctx, struct connect_value *out,
						  struct json_err *err);

#endif
