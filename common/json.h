/*
 * json.h - a validating, zero-copy JSON scanner.
 *
 * Hot paths never build a tree: they walk the bytes of one line, check
 * that they are well-formed JSON (RFC 8259, UTF-8 included) and keep
 * slices that point into the caller's buffer.  A slice is valid for as
 * long as that buffer is.  Errors say what was wrong and at which byte
 * offset, for messages such as "line 12: column 40: unterminated string".
 */
#ifndef WALPIPE_JSON_H
#define WALPIPE_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define JSON_MAX_DEPTH 512

enum json_type {
	JSON_INVALID,
	JSON_NULL,
	JSON_FALSE,
	JSON_TRUE,
	JSON_NUMBER,
	JSON_STRING,
	JSON_ARRAY,
	JSON_OBJECT
};

struct json_slice {
	const char *p;
	size_t n;
};

struct json_err {
	const char *msg; /* static text, NULL when no error */
	size_t off;		 /* byte offset from the start of the input */
};

/*
 * Validates one JSON value starting at *p (leading white space allowed),
 * never reading at or past end.  On success returns the position just
 * after the value and stores the value's slice in *out (if not NULL);
 * on failure returns NULL and fills *err.  base is the start of the
 * input, used only to compute err->off.
 */
const char *json_scan(const char *base, const char *p, const char *end, struct json_slice *out,
					  struct json_err *err);

/*
 * json_scan() that also tells whether the value has white space between
 * its tokens (outside strings), that is, whether it is not compact.
 */
const char *json_scan_ws(const char *base, const char *p, const char *end, struct json_slice *out,
						 struct json_err *err, bool *space);

/* The first byte at or after p that is not JSON white space, or end. */
static inline const char *
json_skip_ws(const char *p, const char *end)
{
	/* Every white space byte is at most ' ': most tokens are not, one test. */
	while (p < end && (unsigned char) *p <= ' ' &&
		   (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

/*
 * For json_scan_object(): scans the value at p (white space skipped) of
 * the member named key (a slice of the raw string), returning the end of
 * the value, or NULL with err set.
 */
typedef const char *(*json_member_fn)(void *ctx, struct json_slice key, const char *base,
									  const char *p, const char *end, struct json_err *err);

/*
 * Scans the object whose '{' is at p, handing each member's value to
 * member(), so that callers validate and keep what they need in one pass.
 * Returns the position just after the '}', or NULL with err set.
 */
const char *json_scan_object(const char *base, const char *p, const char *end,
							 json_member_fn member, void *ctx, struct json_err *err);

/* True if p holds n bytes of valid UTF-8 (RFC 3629: no overlong forms, no surrogates). */
bool json_utf8_valid(const char *p, size_t n);

/* Whole input must be exactly one value, with optional white space. */
bool json_validate(const char *p, size_t n, struct json_err *err);

/* Type of a validated slice, from its first byte. */
enum json_type json_type_of(struct json_slice v);
const char *json_type_name(enum json_type t);

static inline bool
json_is_null(struct json_slice v)
{
	return v.n == 4 && v.p[0] == 'n';
}

/*
 * The trusted walk: over JSON that json_scan() has validated, values are
 * found by their brackets and quotes alone, never checked again.  Given
 * anything else these never read at or past end, but their answers mean
 * nothing.
 */

/* The end of the string whose opening quote is at p. */
const char *json_skip_string(const char *p, const char *end);

/* The end of the value at p (no leading white space). */
const char *json_skip_value(const char *p, const char *end);

/*
 * Iteration over a validated object or array.  Start with
 * json_iter_init() on the object/array slice; each call of
 * json_obj_next()/json_arr_next() yields the next member and returns
 * false at the end.
 */
struct json_iter {
	const char *p;
	const char *end;
};

void json_iter_init(struct json_iter *it, struct json_slice container);
bool json_obj_next(struct json_iter *it, struct json_slice *key, struct json_slice *val);
bool json_arr_next(struct json_iter *it, struct json_slice *val);

/* Looks up a member by name in a validated object; false if absent. */
bool json_obj_get(struct json_slice obj, const char *name, struct json_slice *val);

/* Compares a string slice (with quotes, maybe escaped) to a C string. */
bool json_str_eq(struct json_slice s, const char *cstr);

/*
 * Appends the decoded contents of a validated string slice to out.
 * Lone surrogates in \u escapes are rejected (returns false).
 */
bool json_str_decode(struct json_slice s, struct buf *out);

/*
 * json_str_decode() for text that cannot hold a NUL byte (a C string, a
 * PostgreSQL text value or name): false also when the string holds a
 * \u0000, which would otherwise cut the text short where it is used.
 */
bool json_str_decode_text(struct json_slice s, struct buf *out);

/* Returns true if the string slice needs no decoding (no backslash). */
bool json_str_is_plain(struct json_slice s);
/*
 * Returns true if the string slice is already as json_put_str() writes
 * it: no backslash and no character outside the BMP (a 4-byte UTF-8
 * sequence, which Jackson writes as an escaped surrogate pair).
 */
bool json_str_is_jackson(struct json_slice s);

/* The bytes between the quotes of a string slice. */
static inline struct json_slice
json_str_inner(struct json_slice s)
{
	struct json_slice r = {s.p + 1, s.n - 2};

	return r;
}

/* Integer value of a number slice; false if not an integer in range. */
bool json_to_i64(struct json_slice v, int64_t *out);

/*
 * True if a validated slice has white space outside its strings, that is,
 * if it is not already in the compact form Kafka Connect writes.
 */
bool json_has_space(struct json_slice v);
/* Appends the compact form of a validated slice. */
void json_compact(struct json_slice v, struct buf *out);
#endif
