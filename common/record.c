/*
 * record.c - one-pass validation and slicing of a record line.
 */
#include "record.h"
#include "connectjson.h"

#include <string.h>

static bool
bad(struct json_err *err, const char *base, const char *at, const char *msg)
{
	err->msg = msg;
	err->off = (size_t) (at - base);
	return false;
}

static bool
parse_encoding(struct json_slice v, enum rec_encoding *enc)
{
	if (json_str_eq(v, "json"))
		*enc = REC_ENC_JSON;
	else if (json_str_eq(v, "text"))
		*enc = REC_ENC_TEXT;
	else if (json_str_eq(v, "base64"))
		*enc = REC_ENC_BASE64;
	else
		return false;
	return true;
}

/* The members of a record line that record_take_member() knows. */
enum rec_member {
	M_OTHER,
	M_KEY,
	M_VALUE,
	M_TOPIC,
	M_PARTITION,
	M_OFFSET,
	M_TIMESTAMP,
	M_HEADERS,
	M_POS,
	M_KEY_ENCODING,
	M_VALUE_ENCODING,
	M_HEADERS_ENCODING
};

/* The member named by the n decoded bytes at p (memcmp of constant sizes inlines). */
static enum rec_member
member_named(const char *p, size_t n)
{
#define IS(name) (memcmp(p, name, sizeof name - 1) == 0)
	switch (n) {
		case 3: return IS("key") ? M_KEY : IS("pos") ? M_POS : M_OTHER;
		case 5: return IS("value") ? M_VALUE : IS("topic") ? M_TOPIC : M_OTHER;
		case 6: return IS("offset") ? M_OFFSET : M_OTHER;
		case 7: return IS("headers") ? M_HEADERS : M_OTHER;
		case 9: return IS("partition") ? M_PARTITION : IS("timestamp") ? M_TIMESTAMP : M_OTHER;
		case 12: return IS("key_encoding") ? M_KEY_ENCODING : M_OTHER;
		case 14: return IS("value_encoding") ? M_VALUE_ENCODING : M_OTHER;
		case 16: return IS("headers_encoding") ? M_HEADERS_ENCODING : M_OTHER;
		default: return M_OTHER;
	}
#undef IS
}

/*
 * The member a key (a string slice) names, compared as json_str_eq()
 * would, without a call per name: a line has a few members and walpipe
 * knows eleven.
 */
static enum rec_member
member_of(struct json_slice k)
{
	struct json_slice in = json_str_inner(k);
	struct buf tmp = BUF_INIT;
	enum rec_member m = M_OTHER;

	if (json_str_is_plain(k))
		return member_named(in.p, in.n);
	/* Escaped: rare, decoded first (a lone surrogate names nothing). */
	if (json_str_decode(k, &tmp))
		m = member_named(tmp.data ? tmp.data : "", tmp.len);
	buf_free(&tmp);
	return m;
}

bool
record_take_member(struct record *r, struct json_slice k, struct json_slice v, bool spaced,
				   const char *base, struct json_err *err)
{
	enum json_type t = json_type_of(v);
	int64_t i;

	switch (member_of(k)) {
		case M_KEY:
			r->key = v;
			r->key_spaced = spaced;
			break;
		case M_VALUE:
			r->value = v;
			r->value_spaced = spaced;
			break;
		case M_TOPIC:
			if (t != JSON_STRING && t != JSON_NULL)
				return bad(err, base, v.p, "\"topic\" must be a string");
			if (t == JSON_STRING)
				r->topic = v;
			break;
		case M_PARTITION:
			if (t == JSON_NULL)
				return true;
			if (!json_to_i64(v, &i) || i < -1 || i > INT32_MAX)
				return bad(err, base, v.p,
						   "\"partition\" must be an integer from -1 to 2147483647");
			r->partition = (int32_t) i;
			r->has_partition = i >= 0;
			break;
		case M_OFFSET:
			if (t == JSON_NULL)
				return true;
			if (!json_to_i64(v, &r->offset) || r->offset < 0)
				return bad(err, base, v.p, "\"offset\" must be a non-negative integer");
			r->has_offset = true;
			break;
		case M_TIMESTAMP:
			if (t == JSON_NULL)
				return true;
			if (!json_to_i64(v, &r->timestamp) || r->timestamp < 0)
				return bad(err, base, v.p, "\"timestamp\" must be a non-negative integer (ms)");
			r->has_timestamp = true;
			break;
		case M_HEADERS:
			if (t != JSON_OBJECT && t != JSON_NULL)
				return bad(err, base, v.p, "\"headers\" must be an object");
			if (t == JSON_OBJECT)
				r->headers = v;
			break;
		case M_POS:
			if (t != JSON_STRING && t != JSON_NULL)
				return bad(err, base, v.p, "\"pos\" must be a string");
			if (t == JSON_STRING)
				r->pos = v;
			break;
		case M_KEY_ENCODING:
			if (!parse_encoding(v, &r->key_enc))
				return bad(err, base, v.p,
						   "\"key_encoding\" must be \"json\", \"text\" or \"base64\"");
			break;
		case M_VALUE_ENCODING:
			if (!parse_encoding(v, &r->value_enc))
				return bad(err, base, v.p,
						   "\"value_encoding\" must be \"json\", \"text\" or \"base64\"");
			break;
		case M_HEADERS_ENCODING:
			if (!parse_encoding(v, &r->headers_enc) || r->headers_enc == REC_ENC_JSON)
				return bad(err, base, v.p, "\"headers_encoding\" must be \"text\" or \"base64\"");
			break;
		case M_OTHER: break;
	}
	return true;
}

static bool
check_encodings(const struct record *r, const char *base, struct json_err *err)
{
	if (r->key_enc != REC_ENC_JSON && r->key.n && json_type_of(r->key) != JSON_STRING &&
		!json_is_null(r->key))
		return bad(err, base, r->key.p, "\"key\" must be a string with its key_encoding");
	if (r->value_enc != REC_ENC_JSON && r->value.n && json_type_of(r->value) != JSON_STRING &&
		!json_is_null(r->value))
		return bad(err, base, r->value.p, "\"value\" must be a string with its value_encoding");
	return true;
}

/* What record_parse_split() hands its json_member_fn. */
struct record_walk {
	struct record *r;
	struct connect_cache *schemas;
	json_member_fn value_member;
	void *ctx;
	struct record_split *split;
};

/* json_member_fn of record_parse_split(). */
static const char *
take_member(void *ctx, struct json_slice k, const char *base, const char *p, const char *end,
			struct json_err *err)
{
	struct record_walk *w = ctx;
	struct connect_value v;
	bool is_key = k.n == 5 && memcmp(k.p, "\"key\"", 5) == 0;
	bool is_value = k.n == 7 && memcmp(k.p, "\"value\"", 7) == 0;

	p = connect_split(w->schemas, base, p, end, is_value ? w->value_member : NULL, w->ctx, &v, err);
	if (p == NULL || !record_take_member(w->r, k, v.whole, v.space, base, err))
		return NULL;
	if (w->split && is_key) {
		w->split->ks = v.schema;
		w->split->kp = v.payload;
	} else if (w->split && is_value) {
		w->split->vs = v.schema;
		w->split->vp = v.payload;
	}
	return p;
}

/*
 * One pass: the top-level object is walked here and each member is
 * validated exactly once (a value's repeated Connect schema only the
 * first time), so the bytes of key and value are read once and never
 * copied.
 */
bool
record_parse(const char *line, size_t n, struct connect_cache *schemas, struct record *r,
			 struct json_err *err)
{
	return record_parse_split(line, n, schemas, NULL, NULL, r, NULL, err);
}

bool
record_parse_split(const char *line, size_t n, struct connect_cache *schemas,
				   json_member_fn value_member, void *ctx, struct record *r,
				   struct record_split *split, struct json_err *err)
{
	const char *end = line + n;
	const char *p;
	struct record_walk w = {r, schemas, value_member, ctx, split};

	record_init(r);
	if (split)
		memset(split, 0, sizeof *split);
	err->msg = NULL;
	p = json_skip_ws(line, end);
	if (p >= end)
		return bad(err, line, p, "empty line");
	if (*p != '{')
		return bad(err, line, p, "record must be a JSON object");
	if ((p = json_scan_object(line, p, end, take_member, &w, err)) == NULL)
		return false;
	p = json_skip_ws(p, end);
	if (p != end)
		return bad(err, line, p, "trailing characters after JSON value");
	return check_encodings(r, line, err);
}

bool
record_data(struct json_slice v, enum rec_encoding enc, bool spaced, struct buf *scratch,
			const char **p, size_t *n)
{
	struct json_slice in;

	if (record_is_null(v)) {
		*p = NULL;
		*n = 0;
		return true;
	}
	if (enc == REC_ENC_JSON) {
		if (!spaced) {
			*p = v.p;
			*n = v.n;
			return true;
		}
		buf_reset(scratch);
		json_compact(v, scratch);
	} else if (enc == REC_ENC_TEXT) {
		if (json_str_is_plain(v)) {
			in = json_str_inner(v);
			*p = in.p;
			*n = in.n;
			return true;
		}
		buf_reset(scratch);
		if (!json_str_decode(v, scratch))
			return false;
	} else {
		in = json_str_inner(v);
		buf_reset(scratch);
		if (!json_str_is_plain(v) || !base64_decode(in.p, in.n, scratch))
			return false;
	}
	*p = scratch->data ? scratch->data : "";
	*n = scratch->len;
	return true;
}
