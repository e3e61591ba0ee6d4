/*
 * connectjson.h - fast validation of Kafka Connect JSON values.
 *
 * JsonConverter writes every record as {"schema":S,"payload":P}, and S is
 * the same bytes on every record of a table: most of a Debezium value is
 * its schema.  connect_scan() validates such a value like json_scan_ws(),
 * but scans S in full only the first time it meets those bytes; later it
 * compares them (memcmp) with the ones it remembers and scans P alone.
 */
#ifndef WALPIPE_CONNECTJSON_H
#define WALPIPE_CONNECTJSON_H

#include <stdbool.h>

#include "buf.h"
#include "json.h"

#define CONNECT_CACHE_SLOTS 16

/* Schemas seen, compact and valid; zero-initialise, free with connect_cache_free(). */
struct connect_cache {
	struct buf	schema[CONNECT_CACHE_SLOTS];
	unsigned	next;			/* slot to replace next */
};

void		connect_cache_free(struct connect_cache *c);

/*
 * Validates the JSON value at p (no leading white space), never reading
 * at or past end.  Same contract as json_scan_ws(): returns the position
 * after the value and sets *out and *space, or NULL with *err filled.
 */
const char *connect_scan(struct connect_cache *c, const char *base, const char *p,
						 const char *end, struct json_slice *out, struct json_err *err,
						 bool *space);

#endif
