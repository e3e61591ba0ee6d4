/*
 * record.c - one-pass validation and slicing of a record line.
 */
#include "record.h"

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

/* Stores one member; false with *err set if its type is wrong. */
static bool
take_member(struct record *r, struct json_slice k, struct json_slice v,
			const char *base, struct json_err *err)
{
	enum json_type t = json_type_of(v);
	int64_t		i;

	if (json_str_eq(k, "key"))
		r->key = v;
	else if (json_str_eq(k, "value"))
		r->value = v;
	else if (json_str_eq(k, "topic")) {
		if (t != JSON_STRING && t != JSON_NULL)
			return bad(err, base, v.p, "\"topic\" must be a string");
		if (t == JSON_STRING)
			r->topic = v;
	} else if (json_str_eq(k, "partition")) {
		if (t == JSON_NULL)
			return true;
		if (!json_to_i64(v, &i) || i < -1 || i > INT32_MAX)
			return bad(err, base, v.p, "\"partition\" must be an integer from -1 to 2147483647");
		r->partition = (int32_t) i;
		r->has_partition = i >= 0;
	} else if (json_str_eq(k, "offset")) {
		if (t == JSON_NULL)
			return true;
		if (!json_to_i64(v, &r->offset) || r->offset < 0)
			return bad(err, base, v.p, "\"offset\" must be a non-negative integer");
		r->has_offset = true;
	} else if (json_str_eq(k, "timestamp")) {
		if (t == JSON_NULL)
			return true;
		if (!json_to_i64(v, &r->timestamp) || r->timestamp < 0)
			return bad(err, base, v.p, "\"timestamp\" must be a non-negative integer (ms)");
		r->has_timestamp = true;
	} else if (json_str_eq(k, "headers")) {
		if (t != JSON_OBJECT && t != JSON_NULL)
			return bad(err, base, v.p, "\"headers\" must be an object");
		if (t == JSON_OBJECT)
			r->headers = v;
	} else if (json_str_eq(k, "pos")) {
		if (t != JSON_STRING && t != JSON_NULL)
			return bad(err, base, v.p, "\"pos\" must be a string");
		if (t == JSON_STRING)
			r->pos = v;
	} else if (json_str_eq(k, "key_encoding")) {
		if (!parse_encoding(v, &r->key_enc))
			return bad(err, base, v.p, "\"key_encoding\" must be \"json\", \"text\" or \"base64\"");
	} else if (json_str_eq(k, "value_encoding")) {
		if (!parse_encoding(v, &r->value_enc))
			return bad(err, base, v.p, "\"value_encoding\" must be \"json\", \"text\" or \"base64\"");
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

bool
record_parse(const char *line, size_t n, struct record *r, struct json_err *err)
{
	struct json_slice top;
	struct json_iter it;
	struct json_slice k,
				v;
	const char *end;

	memset(r, 0, sizeof *r);
	r->partition = -1;
	err->msg = NULL;
	if (!json_validate(line, n, err))
		return false;
	end = json_scan(line, line, line + n, &top, err);
	if (end == NULL)
		return false;
	if (json_type_of(top) != JSON_OBJECT)
		return bad(err, line, top.p, "record must be a JSON object");
	json_iter_init(&it, top);
	while (json_obj_next(&it, &k, &v))
		if (!take_member(r, k, v, line, err))
			return false;
	return check_encodings(r, line, err);
}
