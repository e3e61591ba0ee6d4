/*
 * convert.c - Kafka Connect schemas (as JsonConverter writes them) turned
 * into PostgreSQL column types, and Connect values into the text input
 * form of those types: the semantic types by their name in dbzvocab.h,
 * the plain Connect types, arrays, numbers, strings and bytes.  Dates and
 * times are convtime.c's.  See convert.h.
 */
#include "pgapply.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbzvocab.h"

/* Beyond any numeric PostgreSQL stores; bounds the digits a scale writes. */
#define DECIMAL_SCALE_MAX 10000

/* PostgreSQL's longest bit string (MaxAttrSize * 8). */
#define BIT_LENGTH_MAX 83886080L

/* The Connect types without a semantic name. */
struct plain_type {
	const char *type;
	enum ckind kind;
	const char *pgtype;
};

static const struct plain_type plain_types[] = {{"boolean", CK_BOOL, "boolean"},
												{"int8", CK_INT, "smallint"},
												{"int16", CK_INT, "smallint"},
												{"int32", CK_INT, "integer"},
												{"int64", CK_INT, "bigint"},
												{"float", CK_FLOAT, "real"},
												{"double", CK_FLOAT, "double precision"},
												{"string", CK_STRING, "text"},
												{"bytes", CK_BYTES, "bytea"},
												{"map", CK_JSON, "json"},
												{"struct", CK_JSON, "json"},
												{NULL, CK_JSON, NULL}};

/* How pg-apply reads each way Debezium writes a semantic type's values. */
static const enum ckind value_kind[] = {
	[DBZ_V_TEXT] = CK_STRING,		  [DBZ_V_JSON] = CK_JSON,
	[DBZ_V_DECIMAL] = CK_DECIMAL,	  [DBZ_V_VARSCALE] = CK_VSDECIMAL,
	[DBZ_V_DAYS] = CK_DATE,			  [DBZ_V_TIME_MS] = CK_TIME_MS,
	[DBZ_V_TIME_US] = CK_TIME_US,	  [DBZ_V_TIME_NS] = CK_TIME_NS,
	[DBZ_V_TS_MS] = CK_TS_MS,		  [DBZ_V_TS_US] = CK_TS_US,
	[DBZ_V_TS_NS] = CK_TS_NS,		  [DBZ_V_ZONED_TS] = CK_ISO_TS,
	[DBZ_V_ZONED_TIME] = CK_STRING,	  [DBZ_V_DURATION_US] = CK_DURATION_US,
	[DBZ_V_INTERVAL_ISO] = CK_STRING, [DBZ_V_BITS] = CK_BITS,
	[DBZ_V_POINT] = CK_POINT,		  [DBZ_V_GEOMETRY] = CK_GEOMETRY,
};

/*
 * Reads a parameter (a string, or a number) as an integer: 1, or 0 if
 * absent, or -1 (errbuf names it) if it is no integer a long holds.
 */
static int
param_long(struct json_slice params, const char *name, long *out, char *errbuf, size_t errsize)
{
	struct json_slice v;
	struct buf tmp = BUF_INIT;
	char *end;
	bool ok;

	if (params.n == 0 || !json_obj_get(params, name, &v))
		return 0;
	if (json_type_of(v) == JSON_NUMBER) {
		int64_t i;

		ok = json_to_i64(v, &i) && i >= LONG_MIN && i <= LONG_MAX;
		*out = ok ? (long) i : 0;
	} else {
		ok = json_type_of(v) == JSON_STRING && json_str_decode_text(v, &tmp);
		errno = 0;
		*out = ok ? strtol(buf_cstr(&tmp), &end, 10) : 0;
		ok = ok && end != tmp.data && *end == '\0' && errno != ERANGE;
		buf_free(&tmp);
	}
	if (!ok)
		snprintf(errbuf, errsize, "schema parameter \"%s\" is not an integer in range: %.40s", name,
				 v.p);
	return ok ? 1 : -1;
}

static void
set_pgtype(struct ctype *t, const char *s)
{
	snprintf(t->pgtype, sizeof t->pgtype, "%s", s);
}

/*
 * The type a known logical name gives t: 1, or 0 if the name is not known,
 * or -1 (errbuf says why) if its parameters are impossible.
 */
static int
parse_named(struct json_slice name, struct json_slice params, struct ctype *t, char *errbuf,
			size_t errsize)
{
	const struct dbz_semantic *sem;
	struct buf tmp = BUF_INIT;
	long v;
	int r;

	if (json_type_of(name) != JSON_STRING)
		return 0;
	if (json_str_is_plain(name))
		sem = dbz_lookup(name.p + 1, name.n - 2);
	else
		sem = json_str_decode(name, &tmp) ? dbz_lookup(buf_cstr(&tmp), tmp.len) : NULL;
	buf_free(&tmp);
	if (sem == NULL)
		return 0;
	t->kind = value_kind[sem->value];
	set_pgtype(t, sem->pgtype);
	if (t->kind == CK_DECIMAL) {
		if ((r = param_long(params, "scale", &v, errbuf, errsize)) < 0)
			return -1;
		if (r == 0)
			v = 0;
		if (v < -DECIMAL_SCALE_MAX || v > DECIMAL_SCALE_MAX) {
			snprintf(errbuf, errsize, "decimal scale %ld is out of range", v);
			return -1;
		}
		t->scale = (int) v;
		if ((r = param_long(params, "connect.decimal.precision", &v, errbuf, errsize)) < 0)
			return -1;
		t->precision = r > 0 && v > 0 && v <= INT_MAX ? (int) v : 0;
		if (t->precision > 0 && t->precision <= 1000)
			snprintf(t->pgtype, sizeof t->pgtype, "numeric(%d,%d)", t->precision, t->scale);
	} else if (t->kind == CK_BITS) {
		/*
		 * Debezium writes the same "length" for bit(n) and bit varying(n),
		 * and INT_MAX for a bit varying without one: bit varying(n) takes
		 * the values of both.
		 */
		t->bits = INT_MAX; /* unknown: bit varying */
		if ((r = param_long(params, "length", &v, errbuf, errsize)) < 0)
			return -1;
		/* Debezium writes Integer.MAX_VALUE for bit varying without a length. */
		if (r > 0 && v > 0 && v != INT_MAX) {
			if (v > BIT_LENGTH_MAX) {
				snprintf(errbuf, errsize, "bit length %ld is out of range", v);
				return -1;
			}
			t->bits = v;
		}
		if (t->bits < INT_MAX)
			snprintf(t->pgtype, sizeof t->pgtype, "bit varying(%ld)", t->bits);
	}
	return 1;
}

bool
ctype_parse(struct json_slice schema, struct ctype *t, char *errbuf, size_t errsize)
{
	struct json_slice type, name, params = {NULL, 0}, items;
	const struct plain_type *pt;

	memset(t, 0, sizeof *t);
	if (json_type_of(schema) != JSON_OBJECT || !json_obj_get(schema, "type", &type)) {
		snprintf(errbuf, errsize, "field schema has no \"type\"");
		return false;
	}
	(void) json_obj_get(schema, "parameters", &params);
	if (json_obj_get(schema, "name", &name)) {
		int named = parse_named(name, params, t, errbuf, errsize);

		if (named != 0)
			return named > 0;
	}
	if (json_str_eq(type, "array")) {
		if (!json_obj_get(schema, "items", &items)) {
			snprintf(errbuf, errsize, "array schema has no \"items\"");
			return false;
		}
		t->kind = CK_ARRAY;
		t->elem = xmalloc(sizeof *t->elem);
		if (!ctype_parse(items, t->elem, errbuf, errsize)) {
			free(t->elem);
			t->elem = NULL;
			return false;
		}
		if (t->elem->kind == CK_ARRAY || t->elem->kind == CK_JSON)
			set_pgtype(t, "json"); /* nested: PostgreSQL arrays are not ragged */
		else
			snprintf(t->pgtype, sizeof t->pgtype, "%.45s[]", t->elem->pgtype);
		if (t->elem->kind == CK_JSON || t->elem->kind == CK_ARRAY)
			t->kind = CK_JSON;
		return true;
	}
	for (pt = plain_types; pt->type; pt++) {
		if (json_str_eq(type, pt->type)) {
			t->kind = pt->kind;
			set_pgtype(t, pt->pgtype);
			return true;
		}
	}
	snprintf(errbuf, errsize, "unknown schema type %.*s", (int) (type.n < 40 ? type.n : 40),
			 type.p);
	return false;
}

void
ctype_free(struct ctype *t)
{
	if (t->elem) {
		ctype_free(t->elem);
		free(t->elem);
		t->elem = NULL;
	}
}

bool
decimal_from_bytes(const unsigned char *p, size_t n, int scale, struct buf *out)
{
	unsigned char *mag;
	bool neg = n > 0 && (p[0] & 0x80);
	char *digits;
	size_t nd = 0, i, cap;

	if (n > 4096)
		return false;
	mag = xmalloc(n ? n : 1);
	memcpy(mag, p, n);
	if (neg) {
		/* Two's complement: invert and add one for the magnitude. */
		int carry = 1;

		for (i = n; i-- > 0;) {
			int v = (unsigned char) ~mag[i] + carry;

			mag[i] = (unsigned char) v;
			carry = v >> 8;
		}
	}
	cap = n * 3 + 2;
	digits = xmalloc(cap);
	/* Repeated division by 10 of the big-endian magnitude. */
	for (;;) {
		unsigned rem = 0;
		bool zero = true;

		for (i = 0; i < n; i++) {
			unsigned cur = rem << 8 | mag[i];

			mag[i] = (unsigned char) (cur / 10);
			rem = cur % 10;
			if (mag[i])
				zero = false;
		}
		digits[nd++] = (char) ('0' + rem);
		if (zero)
			break;
	}
	if (neg)
		buf_putc(out, '-');
	if (scale <= 0) {
		for (i = nd; i-- > 0;)
			buf_putc(out, digits[i]);
		for (i = 0; scale < 0 && i < (size_t) -scale; i++)
			buf_putc(out, '0');
	} else {
		size_t s = (size_t) scale;

		if (nd <= s)
			buf_putc(out, '0');
		else
			for (i = nd; i-- > s;)
				buf_putc(out, digits[i]);
		buf_putc(out, '.');
		for (i = s; i-- > 0;)
			buf_putc(out, i < nd ? digits[i] : '0');
	}
	free(digits);
	free(mag);
	return true;
}

void
copy_escape(struct buf *out, const char *p, size_t n)
{
	size_t start = 0, i;

	buf_reserve(out, n);
	for (i = 0; i < n; i++) {
		char e;

		switch (p[i]) {
			case '\\': e = '\\'; break;
			case '\n': e = 'n'; break;
			case '\r': e = 'r'; break;
			case '\t': e = 't'; break;
			default: continue;
		}
		buf_put(out, p + start, i - start);
		buf_putc(out, '\\');
		buf_putc(out, e);
		start = i + 1;
	}
	buf_put(out, p + start, n - start);
}

static enum conv_result
conv_expected(char *errbuf, size_t errsize, const char *what, const struct ctype *t)
{
	snprintf(errbuf, errsize, "expected %s for a %s column", what, t->pgtype);
	return CONV_ERROR;
}

static bool
get_i64(struct json_slice v, int64_t *out)
{
	return json_type_of(v) == JSON_NUMBER && json_to_i64(v, out);
}

/* Decodes a base64 string slice into raw bytes. */
static bool
b64_slice(struct json_slice v, struct buf *raw)
{
	struct json_slice in;

	if (json_type_of(v) != JSON_STRING)
		return false;
	in = json_str_inner(v);
	return base64_decode(in.p, in.n, raw);
}

static void
put_hex_bytea(struct buf *out, const unsigned char *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	buf_reserve(out, 2 + 2 * n);
	buf_putc(out, '\\');
	buf_putc(out, 'x');
	for (i = 0; i < n; i++) {
		out->data[out->len++] = hex[p[i] >> 4];
		out->data[out->len++] = hex[p[i] & 15];
	}
}

/* Bits: little-endian bytes (Java BitSet) to a string of '0'/'1'. */
static void
put_bits(struct buf *out, const unsigned char *p, size_t n, long len)
{
	long i;

	if (len == INT_MAX) {
		/* Unknown length (bit varying): as many bits as are set. */
		len = 1;
		for (i = (long) n * 8 - 1; i >= 0; i--)
			if (p[i / 8] >> (i % 8) & 1) {
				len = i + 1;
				break;
			}
	}
	for (i = len - 1; i >= 0; i--) {
		bool bit = (size_t) (i / 8) < n && (p[i / 8] >> (i % 8) & 1);

		buf_putc(out, bit ? '1' : '0');
	}
}

static enum conv_result conv_array(const struct ctype *t, struct json_slice v, struct buf *out,
								   char *errbuf, size_t errsize);

/*
 * A Connect float or double: a number, or the string JsonConverter writes
 * for NaN and the infinities.  False for anything else.
 */
static bool
put_double(struct json_slice v, struct buf *out)
{
	if (json_type_of(v) == JSON_NUMBER)
		buf_put(out, v.p, v.n);
	else if (json_str_eq(v, "NaN") || json_str_eq(v, "Infinity") || json_str_eq(v, "-Infinity"))
		buf_put(out, v.p + 1, v.n - 2);
	else
		return false;
	return true;
}

static enum conv_result
conv_bytes_kind(const struct ctype *t, struct json_slice v, struct buf *out, char *errbuf,
				size_t errsize)
{
	struct buf raw = BUF_INIT;
	enum conv_result r = CONV_OK;
	struct json_slice scale, val;
	int64_t sc = t->scale;

	if (t->kind == CK_DECIMAL && json_type_of(v) == JSON_NUMBER) {
		buf_put(out, v.p, v.n); /* decimal.format=NUMERIC */
		return CONV_OK;
	}
	if (t->kind == CK_VSDECIMAL) {
		if (json_type_of(v) != JSON_OBJECT || !json_obj_get(v, "scale", &scale) ||
			!json_obj_get(v, "value", &val) || !get_i64(scale, &sc) || sc < -DECIMAL_SCALE_MAX ||
			sc > DECIMAL_SCALE_MAX)
			return conv_expected(errbuf, errsize, "{\"scale\":..,\"value\":..}", t);
		v = val;
	}
	if (t->kind == CK_GEOMETRY) {
		if (json_type_of(v) != JSON_OBJECT || !json_obj_get(v, "wkb", &val))
			return conv_expected(errbuf, errsize, "{\"wkb\":..}", t);
		v = val;
	}
	if (t->kind == CK_BYTES && v.n == sizeof DBZ_UNAVAILABLE_BASE64 + 1 &&
		memcmp(v.p + 1, DBZ_UNAVAILABLE_BASE64, sizeof DBZ_UNAVAILABLE_BASE64 - 1) == 0)
		return CONV_UNAVAILABLE;
	if (!b64_slice(v, &raw)) {
		buf_free(&raw);
		return conv_expected(errbuf, errsize, "base64", t);
	}
	switch (t->kind) {
		case CK_DECIMAL:
		case CK_VSDECIMAL:
			/* A BigInteger has at least one byte: empty is no number, not 0. */
			if (raw.len == 0)
				r = conv_expected(errbuf, errsize, "a decimal of at least one byte of base64", t);
			else if (!decimal_from_bytes((unsigned char *) raw.data, raw.len, (int) sc, out))
				r = conv_expected(errbuf, errsize, "a decimal in range", t);
			break;
		case CK_BITS: put_bits(out, (unsigned char *) raw.data, raw.len, t->bits); break;
		default: put_hex_bytea(out, (unsigned char *) raw.data, raw.len);
	}
	buf_free(&raw);
	return r;
}

static bool
is_unavailable_str(struct json_slice v)
{
	return v.n == sizeof DBZ_UNAVAILABLE + 1 &&
		memcmp(v.p + 1, DBZ_UNAVAILABLE, sizeof DBZ_UNAVAILABLE - 1) == 0;
}

/* True if out holds the placeholder of an hstore value from mark on. */
static bool
is_unavailable_json(const struct buf *out, size_t mark)
{
	return out->len - mark == sizeof DBZ_UNAVAILABLE_HSTORE - 1 &&
		memcmp(out->data + mark, DBZ_UNAVAILABLE_HSTORE, sizeof DBZ_UNAVAILABLE_HSTORE - 1) == 0;
}

enum conv_result
conv_value(const struct ctype *t, struct json_slice v, struct buf *out, char *errbuf,
		   size_t errsize)
{
	enum json_type jt = json_type_of(v);
	struct json_slice x, y;
	enum conv_result r;
	const char *what;
	size_t mark;

	if (jt == JSON_NULL || jt == JSON_INVALID)
		return CONV_NULL;
	switch (t->kind) {
		case CK_BOOL:
			if (jt != JSON_TRUE && jt != JSON_FALSE)
				return conv_expected(errbuf, errsize, "true or false", t);
			buf_putc(out, jt == JSON_TRUE ? 't' : 'f');
			return CONV_OK;
		case CK_INT:
			if (jt != JSON_NUMBER)
				return conv_expected(errbuf, errsize, "a number", t);
			buf_put(out, v.p, v.n);
			return CONV_OK;
		case CK_FLOAT:
			if (!put_double(v, out))
				return conv_expected(errbuf, errsize, "a number", t);
			return CONV_OK;
		case CK_STRING:
		case CK_JSON:
			if (jt != JSON_STRING) {
				if (t->kind == CK_STRING)
					return conv_expected(errbuf, errsize, "a string", t);
				buf_put(out, v.p, v.n); /* a map or struct: its JSON */
				return CONV_OK;
			}
			if (is_unavailable_str(v))
				return CONV_UNAVAILABLE;
			mark = out->len;
			if (json_str_is_plain(v))
				buf_put(out, v.p + 1, v.n - 2);
			else if (!json_str_decode_text(v, out))
				return conv_expected(errbuf, errsize,
									 "a string without \\u0000 (PostgreSQL text "
									 "cannot hold NUL)",
									 t);
			if (t->kind == CK_JSON && is_unavailable_json(out, mark)) {
				out->len = mark;
				return CONV_UNAVAILABLE;
			}
			return CONV_OK;
		case CK_BYTES:
		case CK_DECIMAL:
		case CK_VSDECIMAL:
		case CK_BITS:
		case CK_GEOMETRY: return conv_bytes_kind(t, v, out, errbuf, errsize);
		case CK_POINT:
			if (jt != JSON_OBJECT || !json_obj_get(v, "x", &x) || !json_obj_get(v, "y", &y))
				return conv_expected(errbuf, errsize, "{\"x\":..,\"y\":..}", t);
			buf_putc(out, '(');
			if (!put_double(x, out))
				return conv_expected(errbuf, errsize, "{\"x\":..,\"y\":..}", t);
			buf_putc(out, ',');
			if (!put_double(y, out))
				return conv_expected(errbuf, errsize, "{\"x\":..,\"y\":..}", t);
			buf_putc(out, ')');
			return CONV_OK;
		case CK_ARRAY:
			if (jt != JSON_ARRAY)
				return conv_expected(errbuf, errsize, "an array", t);
			return conv_array(t, v, out, errbuf, errsize);
		default:
			r = conv_temporal(t, v, out, &what);
			return r == CONV_ERROR ? conv_expected(errbuf, errsize, what, t) : r;
	}
}

/* Debezium's placeholder for an int array: the placeholder's bytes. */
static bool
is_unavailable_int_array(struct json_slice v)
{
	static const char ph[] = DBZ_UNAVAILABLE;
	struct json_iter it;
	struct json_slice e;
	size_t i = 0;
	int64_t x;

	json_iter_init(&it, v);
	while (json_arr_next(&it, &e)) {
		if (i >= sizeof ph - 1 || !get_i64(e, &x) || x != ph[i])
			return false;
		i++;
	}
	return i == sizeof ph - 1;
}

static enum conv_result
conv_array(const struct ctype *t, struct json_slice v, struct buf *out, char *errbuf,
		   size_t errsize)
{
	struct json_iter it;
	struct json_slice e;
	struct buf tmp = BUF_INIT;
	bool first = true;
	size_t count = 0;
	enum conv_result r = CONV_OK;

	if (t->elem->kind == CK_INT && v.n > 60 && is_unavailable_int_array(v))
		return CONV_UNAVAILABLE;
	buf_putc(out, '{');
	json_iter_init(&it, v);
	while (json_arr_next(&it, &e)) {
		enum conv_result er;

		buf_reset(&tmp);
		er = conv_value(t->elem, e, &tmp, errbuf, errsize);
		count++;
		if (er == CONV_ERROR) {
			r = er;
			break;
		}
		if (er == CONV_UNAVAILABLE) {
			r = CONV_UNAVAILABLE;
			continue;
		}
		if (!first)
			buf_putc(out, ',');
		first = false;
		if (er == CONV_NULL) {
			buf_puts(out, "NULL");
			continue;
		}
		buf_putc(out, '"');
		for (size_t i = 0; i < tmp.len; i++) {
			if (tmp.data[i] == '"' || tmp.data[i] == '\\')
				buf_putc(out, '\\');
			buf_putc(out, tmp.data[i]);
		}
		buf_putc(out, '"');
	}
	buf_free(&tmp);
	if (r == CONV_UNAVAILABLE && count != 1)
		return conv_expected(errbuf, errsize, "no placeholder inside an array", t);
	if (r == CONV_OK)
		buf_putc(out, '}');
	return r;
}
