/*
 * convert.c - Kafka Connect schemas (as JsonConverter writes them) turned
 * into PostgreSQL column types, and Connect values into the text input
 * form of those types.  The mapping follows the Debezium JDBC sink's
 * PostgreSQL dialect except where that loses information (see
 * pg-apply(1), TYPES).
 */
#include "pgapply.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* pgjdbc's stand-ins for +-infinity, as Debezium emits them. */
#define TS_POS_INFINITY_MS	INT64_C(9223372036825200000)
#define TS_NEG_INFINITY_MS	INT64_C(-9223372036832400000)

/* Beyond any numeric PostgreSQL stores; bounds the digits a scale writes. */
#define DECIMAL_SCALE_MAX	10000

/* PostgreSQL's longest bit string (MaxAttrSize * 8). */
#define BIT_LENGTH_MAX		83886080L

struct named_type {
	const char *name;
	enum ckind	kind;
	const char *pgtype;
};

/* Semantic types by schema name; the Connect type decides the rest. */
static const struct named_type named_types[] = {
	{"org.apache.kafka.connect.data.Decimal", CK_DECIMAL, "numeric"},
	{"io.debezium.data.VariableScaleDecimal", CK_VSDECIMAL, "numeric"},
	{"io.debezium.time.Date", CK_DATE, "date"},
	{"org.apache.kafka.connect.data.Date", CK_DATE, "date"},
	{"io.debezium.time.Time", CK_TIME_MS, "time"},
	{"org.apache.kafka.connect.data.Time", CK_TIME_MS, "time"},
	{"io.debezium.time.MicroTime", CK_TIME_US, "time"},
	{"io.debezium.time.NanoTime", CK_TIME_NS, "time"},
	{"io.debezium.time.Timestamp", CK_TS_MS, "timestamp(6)"},
	{"org.apache.kafka.connect.data.Timestamp", CK_TS_MS, "timestamp(6)"},
	{"io.debezium.time.MicroTimestamp", CK_TS_US, "timestamp(6)"},
	{"io.debezium.time.NanoTimestamp", CK_TS_NS, "timestamp(6)"},
	{"io.debezium.time.ZonedTimestamp", CK_ZONED_TS, "timestamptz"},
	{"io.debezium.time.ZonedTime", CK_STRING, "timetz"},
	{"io.debezium.time.MicroDuration", CK_DURATION_US, "interval"},
	{"io.debezium.time.Interval", CK_STRING, "interval"},
	{"io.debezium.data.Json", CK_JSON, "json"},
	{"io.debezium.data.Uuid", CK_STRING, "uuid"},
	{"io.debezium.data.Xml", CK_STRING, "xml"},
	{"io.debezium.data.Enum", CK_STRING, "text"},
	{"io.debezium.data.EnumSet", CK_STRING, "text"},
	{"io.debezium.data.Ltree", CK_STRING, "text"},
	{"io.debezium.data.Tsvector", CK_STRING, "text"},
	{"io.debezium.data.Bits", CK_BITS, "bit varying"},
	{"io.debezium.data.geometry.Point", CK_POINT, "point"},
	{"io.debezium.data.geometry.Geometry", CK_GEOMETRY, "bytea"},
	{"io.debezium.data.geometry.Geography", CK_GEOMETRY, "bytea"},
	{NULL, CK_JSON, NULL}
};

struct plain_type {
	const char *type;
	enum ckind	kind;
	const char *pgtype;
};

static const struct plain_type plain_types[] = {
	{"boolean", CK_BOOL, "boolean"},
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
	{NULL, CK_JSON, NULL}
};

/* Reads a string parameter as an integer; false if absent or bad. */
static bool
param_long(struct json_slice params, const char *name, long *out)
{
	struct json_slice v;
	struct buf	tmp = BUF_INIT;
	char	   *end;
	bool		ok;

	if (params.n == 0 || !json_obj_get(params, name, &v))
		return false;
	if (json_type_of(v) == JSON_NUMBER) {
		int64_t		i;

		if (!json_to_i64(v, &i) || i < LONG_MIN || i > LONG_MAX)
			return false;
		*out = (long) i;
		return true;
	}
	if (json_type_of(v) != JSON_STRING || !json_str_decode(v, &tmp))
		return false;
	errno = 0;
	*out = strtol(buf_cstr(&tmp), &end, 10);
	ok = end != tmp.data && *end == '\0' && errno != ERANGE;
	buf_free(&tmp);
	return ok;
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
parse_named(struct json_slice name, struct json_slice params, struct ctype *t,
			char *errbuf, size_t errsize)
{
	const struct named_type *nt;
	long		v;

	for (nt = named_types; nt->name; nt++)
		if (json_str_eq(name, nt->name))
			break;
	if (nt->name == NULL)
		return 0;
	t->kind = nt->kind;
	set_pgtype(t, nt->pgtype);
	if (t->kind == CK_DECIMAL) {
		if (!param_long(params, "scale", &v))
			v = 0;
		if (v < -DECIMAL_SCALE_MAX || v > DECIMAL_SCALE_MAX) {
			snprintf(errbuf, errsize, "decimal scale %ld is out of range", v);
			return -1;
		}
		t->scale = (int) v;
		t->precision = param_long(params, "connect.decimal.precision", &v) ? (int) v : 0;
		if (t->precision > 0 && t->precision <= 1000)
			snprintf(t->pgtype, sizeof t->pgtype, "numeric(%d,%d)", t->precision, t->scale);
	} else if (t->kind == CK_BITS) {
		/*
		 * Debezium writes the same "length" for bit(n) and bit varying(n),
		 * and INT_MAX for a bit varying without one: bit varying(n) takes
		 * the values of both.
		 */
		t->bits = INT_MAX;		/* unknown: bit varying */
		if (param_long(params, "length", &v) && v > 0 && v != INT_MAX) {
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
	struct json_slice type,
				name,
				params = {NULL, 0},
				items;
	const struct plain_type *pt;

	memset(t, 0, sizeof *t);
	if (json_type_of(schema) != JSON_OBJECT || !json_obj_get(schema, "type", &type)) {
		snprintf(errbuf, errsize, "field schema has no \"type\"");
		return false;
	}
	(void) json_obj_get(schema, "parameters", &params);
	if (json_obj_get(schema, "name", &name)) {
		int			named = parse_named(name, params, t, errbuf, errsize);

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
			set_pgtype(t, "json");	/* nested: PostgreSQL arrays are not ragged */
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
	snprintf(errbuf, errsize, "unknown schema type %.*s", (int) (type.n < 40 ? type.n : 40), type.p);
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
	bool		neg = n > 0 && (p[0] & 0x80);
	char	   *digits;
	size_t		nd = 0,
				i,
				cap;

	if (n > 4096)
		return false;
	mag = xmalloc(n ? n : 1);
	memcpy(mag, p, n);
	if (neg) {
		/* Two's complement: invert and add one for the magnitude. */
		int			carry = 1;

		for (i = n; i-- > 0;) {
			int			v = (unsigned char) ~mag[i] + carry;

			mag[i] = (unsigned char) v;
			carry = v >> 8;
		}
	}
	cap = n * 3 + 2;
	digits = xmalloc(cap);
	/* Repeated division by 10 of the big-endian magnitude. */
	for (;;) {
		unsigned	rem = 0;
		bool		zero = true;

		for (i = 0; i < n; i++) {
			unsigned	cur = rem << 8 | mag[i];

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
		size_t		s = (size_t) scale;

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

/* Days since 1970-01-01 to a proleptic Gregorian date (H. Hinnant). */
static void
civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t		era,
				yy;
	unsigned	doe,
				yoe,
				doy,
				mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned) (z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	yy = (int64_t) yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = yy + (*m <= 2);
}

static void
put_date(struct buf *out, int64_t days, bool *bc)
{
	int64_t		y;
	unsigned	m,
				d;

	civil_from_days(days, &y, &m, &d);
	*bc = y <= 0;
	if (*bc)
		y = 1 - y;
	buf_printf(out, "%04" PRId64 "-%02u-%02u", y, m, d);
}

void
date_from_days(int64_t days, struct buf *out)
{
	bool		bc;

	put_date(out, days, &bc);
	if (bc)
		buf_puts(out, " BC");
}

static int64_t
floordiv(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

void
time_from_us(int64_t us, struct buf *out)
{
	int64_t		s = us / 1000000;

	buf_printf(out, "%02" PRId64 ":%02" PRId64 ":%02" PRId64 ".%06" PRId64,
			   s / 3600, s / 60 % 60, s % 60, us % 1000000);
}

void
timestamp_from_us(int64_t us, struct buf *out)
{
	int64_t		days = floordiv(us, INT64_C(86400000000));
	bool		bc;

	put_date(out, days, &bc);
	buf_putc(out, ' ');
	time_from_us(us - days * INT64_C(86400000000), out);
	if (bc)
		buf_puts(out, " BC");
}

void
copy_escape(struct buf *out, const char *p, size_t n)
{
	size_t		start = 0,
				i;

	buf_reserve(out, n);
	for (i = 0; i < n; i++) {
		char		e;

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
conv_error(char *errbuf, size_t errsize, const char *what, const struct ctype *t)
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
	size_t		i;

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
	long		i;

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
		bool		bit = (size_t) (i / 8) < n && (p[i / 8] >> (i % 8) & 1);

		buf_putc(out, bit ? '1' : '0');
	}
}

static enum conv_result conv_array(const struct ctype *t, struct json_slice v,
								   struct buf *out, char *errbuf, size_t errsize);

static enum conv_result
conv_number_kind(const struct ctype *t, struct json_slice v, struct buf *out,
				 char *errbuf, size_t errsize)
{
	int64_t		i;

	switch (t->kind) {
		case CK_DATE:
			/* A Connect Date is an int32; more would overflow civil_from_days(). */
			if (!get_i64(v, &i) || i < INT32_MIN || i > INT32_MAX)
				return conv_error(errbuf, errsize, "days since 1970-01-01", t);
			date_from_days(i, out);
			return CONV_OK;
		case CK_TIME_MS:
		case CK_TIME_US:
		case CK_TIME_NS:
			if (!get_i64(v, &i) || i < 0 || (t->kind == CK_TIME_MS && i > INT64_MAX / 1000))
				return conv_error(errbuf, errsize, "a time of day as a number", t);
			time_from_us(t->kind == CK_TIME_MS ? i * 1000 : t->kind == CK_TIME_NS ? i / 1000 : i, out);
			return CONV_OK;
		case CK_TS_MS:
		case CK_TS_US:
		case CK_TS_NS:
			if (!get_i64(v, &i))
				return conv_error(errbuf, errsize, "a timestamp as a number", t);
			if (i >= TS_POS_INFINITY_MS || i <= TS_NEG_INFINITY_MS) {
				buf_puts(out, i > 0 ? "infinity" : "-infinity");
				return CONV_OK;
			}
			if (t->kind == CK_TS_MS && (i > INT64_MAX / 1000 || i < INT64_MIN / 1000))
				return conv_error(errbuf, errsize, "a timestamp in range", t);
			timestamp_from_us(t->kind == CK_TS_MS ? i * 1000 :
							  t->kind == CK_TS_NS ? floordiv(i, 1000) : i, out);
			return CONV_OK;
		case CK_DURATION_US:
			if (!get_i64(v, &i))
				return conv_error(errbuf, errsize, "microseconds", t);
			buf_printf(out, "%s%" PRId64 ".%06" PRId64 " seconds", i < 0 ? "-" : "",
					   i < 0 ? -(i / 1000000) : i / 1000000, i < 0 ? -(i % 1000000) : i % 1000000);
			return CONV_OK;
		default:
			return conv_error(errbuf, errsize, "a value", t);
	}
}

static enum conv_result
conv_bytes_kind(const struct ctype *t, struct json_slice v, struct buf *out,
				char *errbuf, size_t errsize)
{
	struct buf	raw = BUF_INIT;
	enum conv_result r = CONV_OK;
	struct json_slice scale,
				val;
	int64_t		sc = t->scale;

	if (t->kind == CK_DECIMAL && json_type_of(v) == JSON_NUMBER) {
		buf_put(out, v.p, v.n);	/* decimal.format=NUMERIC */
		return CONV_OK;
	}
	if (t->kind == CK_VSDECIMAL) {
		if (json_type_of(v) != JSON_OBJECT || !json_obj_get(v, "scale", &scale) ||
			!json_obj_get(v, "value", &val) || !get_i64(scale, &sc) || sc < -DECIMAL_SCALE_MAX || sc > DECIMAL_SCALE_MAX)
			return conv_error(errbuf, errsize, "{\"scale\":..,\"value\":..}", t);
		v = val;
	}
	if (t->kind == CK_GEOMETRY) {
		if (json_type_of(v) != JSON_OBJECT || !json_obj_get(v, "wkb", &val))
			return conv_error(errbuf, errsize, "{\"wkb\":..}", t);
		v = val;
	}
	if (t->kind == CK_BYTES && v.n == sizeof UNAVAILABLE_BASE64 + 1 &&
		memcmp(v.p + 1, UNAVAILABLE_BASE64, sizeof UNAVAILABLE_BASE64 - 1) == 0)
		return CONV_UNAVAILABLE;
	if (!b64_slice(v, &raw)) {
		buf_free(&raw);
		return conv_error(errbuf, errsize, "base64", t);
	}
	switch (t->kind) {
		case CK_DECIMAL:
		case CK_VSDECIMAL:
			if (!decimal_from_bytes((unsigned char *) raw.data, raw.len, (int) sc, out))
				r = conv_error(errbuf, errsize, "a decimal in range", t);
			break;
		case CK_BITS:
			put_bits(out, (unsigned char *) raw.data, raw.len, t->bits);
			break;
		default:
			put_hex_bytea(out, (unsigned char *) raw.data, raw.len);
	}
	buf_free(&raw);
	return r;
}

static bool
is_unavailable_str(struct json_slice v)
{
	return v.n == sizeof UNAVAILABLE_TEXT + 1 &&
		memcmp(v.p + 1, UNAVAILABLE_TEXT, sizeof UNAVAILABLE_TEXT - 1) == 0;
}

/*
 * A ZonedTimestamp's ISO 8601 text in PostgreSQL's form: an expanded
 * year's "+" dropped, and a year of 0 or less (ISO counts 1 BC as 0000)
 * as a BC year.
 */
static void
put_zoned_ts(struct buf *out, const char *s, size_t n)
{
	size_t		sign = s[0] == '+' || s[0] == '-',
				i = sign;
	long		y = 0;

	while (i < n && s[i] >= '0' && s[i] <= '9' && y < 100000000)
		y = y * 10 + (s[i++] - '0');
	if (i - sign < 4 || i >= n || s[i] != '-' || (s[0] != '-' && y != 0)) {
		buf_put(out, s + (s[0] == '+'), n - (s[0] == '+'));
		return;
	}
	buf_printf(out, "%04ld", 1 + (s[0] == '-' ? y : 0));
	buf_put(out, s + i, n - i);
	buf_puts(out, " BC");
}

enum conv_result
conv_value(const struct ctype *t, struct json_slice v, struct buf *out,
		   char *errbuf, size_t errsize)
{
	enum json_type jt = json_type_of(v);
	struct json_slice x,
				y;

	if (jt == JSON_NULL || jt == JSON_INVALID)
		return CONV_NULL;
	switch (t->kind) {
		case CK_BOOL:
			if (jt != JSON_TRUE && jt != JSON_FALSE)
				return conv_error(errbuf, errsize, "true or false", t);
			buf_putc(out, jt == JSON_TRUE ? 't' : 'f');
			return CONV_OK;
		case CK_INT:
			if (jt != JSON_NUMBER)
				return conv_error(errbuf, errsize, "a number", t);
			buf_put(out, v.p, v.n);
			return CONV_OK;
		case CK_FLOAT:
			if (jt == JSON_NUMBER)
				buf_put(out, v.p, v.n);
			else if (json_str_eq(v, "NaN") || json_str_eq(v, "Infinity") || json_str_eq(v, "-Infinity"))
				buf_put(out, v.p + 1, v.n - 2);
			else
				return conv_error(errbuf, errsize, "a number", t);
			return CONV_OK;
		case CK_STRING:
		case CK_JSON:
			if (jt != JSON_STRING) {
				if (t->kind == CK_STRING)
					return conv_error(errbuf, errsize, "a string", t);
				buf_put(out, v.p, v.n);	/* a map or struct: its JSON */
				return CONV_OK;
			}
			if (is_unavailable_str(v))
				return CONV_UNAVAILABLE;
			if (json_str_is_plain(v))
				buf_put(out, v.p + 1, v.n - 2);
			else if (!json_str_decode(v, out))
				return conv_error(errbuf, errsize, "a valid string", t);
			return CONV_OK;
		case CK_ZONED_TS:
			if (jt != JSON_STRING)
				return conv_error(errbuf, errsize, "a string", t);
			if (is_unavailable_str(v))
				return CONV_UNAVAILABLE;
			if (json_str_is_plain(v) && v.n > 2)
				put_zoned_ts(out, v.p + 1, v.n - 2);
			else if (!json_str_decode(v, out))
				return conv_error(errbuf, errsize, "a valid string", t);
			return CONV_OK;
		case CK_BYTES:
		case CK_DECIMAL:
		case CK_VSDECIMAL:
		case CK_BITS:
		case CK_GEOMETRY:
			return conv_bytes_kind(t, v, out, errbuf, errsize);
		case CK_POINT:
			if (jt != JSON_OBJECT || !json_obj_get(v, "x", &x) || !json_obj_get(v, "y", &y) ||
				json_type_of(x) != JSON_NUMBER || json_type_of(y) != JSON_NUMBER)
				return conv_error(errbuf, errsize, "{\"x\":..,\"y\":..}", t);
			buf_printf(out, "(%.*s,%.*s)", (int) x.n, x.p, (int) y.n, y.p);
			return CONV_OK;
		case CK_ARRAY:
			if (jt != JSON_ARRAY)
				return conv_error(errbuf, errsize, "an array", t);
			return conv_array(t, v, out, errbuf, errsize);
		default:
			return conv_number_kind(t, v, out, errbuf, errsize);
	}
}

/* Debezium's placeholder for an int array: the placeholder's bytes. */
static bool
is_unavailable_int_array(struct json_slice v)
{
	static const char ph[] = UNAVAILABLE_TEXT;
	struct json_iter it;
	struct json_slice e;
	size_t		i = 0;
	int64_t		x;

	json_iter_init(&it, v);
	while (json_arr_next(&it, &e)) {
		if (i >= sizeof ph - 1 || !get_i64(e, &x) || x != ph[i])
			return false;
		i++;
	}
	return i == sizeof ph - 1;
}

static enum conv_result
conv_array(const struct ctype *t, struct json_slice v, struct buf *out,
		   char *errbuf, size_t errsize)
{
	struct json_iter it;
	struct json_slice e;
	struct buf	tmp = BUF_INIT;
	bool		first = true;
	size_t		count = 0;
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
		return conv_error(errbuf, errsize, "no placeholder inside an array", t);
	if (r == CONV_OK)
		buf_putc(out, '}');
	return r;
}
