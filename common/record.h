/*
 * record.h - the record line, walpipe's one format for Kafka records
 * (walpipe-record(5)): cdc-envelope writes it, kafka-pub reads it,
 * kafka-sub writes it, pg-apply reads it.
 *
 *   {"topic":"t","partition":0,"offset":41,"timestamp":1700000000000,
 *    "key":{...},"value":{...},"headers":{"h":"v"},"pos":"0/16B3748:1"}
 *
 * record_parse() validates a whole line in one pass and keeps slices of
 * the raw bytes: key and value are never parsed into a tree here, and
 * record_data() gives the Kafka bytes they stand for, usually without a
 * copy.  "key_encoding", "value_encoding" and "headers_encoding" say how
 * non-JSON bytes are carried (text or base64).
 */
#ifndef WALPIPE_RECORD_H
#define WALPIPE_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "json.h"

enum rec_encoding {
	REC_ENC_JSON,  /* the field holds the JSON itself (default) */
	REC_ENC_TEXT,  /* a JSON string whose decoded bytes are the data */
	REC_ENC_BASE64 /* a JSON string holding base64 of the data */
};

struct record {
	struct json_slice topic; /* string slice with quotes; n == 0 if absent */
	struct json_slice key;	 /* raw JSON; n == 0 if absent (= null) */
	struct json_slice value;
	struct json_slice headers; /* object slice; n == 0 if absent */
	struct json_slice pos;	   /* string slice; n == 0 if absent */
	enum rec_encoding key_enc;
	enum rec_encoding value_enc;
	enum rec_encoding headers_enc; /* of the header values: text or base64 */
	bool key_spaced;			   /* key has white space between tokens */
	bool value_spaced;
	bool has_partition;
	bool has_offset;
	bool has_timestamp;
	int32_t partition;
	int64_t offset;
	int64_t timestamp;
};

struct connect_cache;

/*
 * Parses one line.  On error returns false and fills *err (offset into
 * line); the message is fit for "line N: column C: MSG".  Unknown members
 * are ignored so that newer writers can add fields.  schemas (the
 * caller's, connectjson.h; may be NULL) remembers the Connect schemas met
 * in keys and values, so that each is validated once.
 */
bool record_parse(const char *line, size_t n, struct connect_cache *schemas, struct record *r,
				  struct json_err *err);

/* Key and value as Connect {"schema","payload"} (connectjson.h): n == 0 where not split. */
struct record_split {
	struct json_slice ks; /* key schema and payload */
	struct json_slice kp;
	struct json_slice vs; /* value schema and payload */
	struct json_slice vp;
};

/*
 * record_parse() that also splits key and value into schema and payload
 * (split may be NULL), and validates an object payload of the value
 * member by member through value_member(ctx) (may be NULL), so that a
 * reader keeps what it needs of it in the same pass.
 */
bool record_parse_split(const char *line, size_t n, struct connect_cache *schemas,
						json_member_fn value_member, void *ctx, struct record *r,
						struct record_split *split, struct json_err *err);

/*
 * The Kafka bytes a key, value or header value slice stands for, under its
 * encoding: *p is NULL for null/absent; otherwise *p points into the line
 * (JSON already compact, text without escapes) or into scratch, which is
 * reset first and must outlive the use of *p.  spaced says the JSON has
 * white space to remove (r->key_spaced, r->value_spaced; false for
 * strings).  False if a text string has a lone surrogate or base64 is
 * malformed.
 */
bool record_data(struct json_slice v, enum rec_encoding enc, bool spaced, struct buf *scratch,
				 const char **p, size_t *n);

/*
 * Stores one member of a record line in r, for readers that walk the line
 * themselves (pg-apply splits key and value further on the way).  base is
 * the start of the line; false with *err set if the member's type is wrong.
 * Call record_init() on r first.
 */
bool record_take_member(struct record *r, struct json_slice k, struct json_slice v, bool spaced,
						const char *base, struct json_err *err);

static inline void
record_init(struct record *r)
{
	memset(r, 0, sizeof *r);
	r->partition = -1;
}

/* A slice that is absent or JSON null. */
static inline bool
record_is_null(struct json_slice v)
{
	return v.n == 0 || json_is_null(v);
}

#endif
