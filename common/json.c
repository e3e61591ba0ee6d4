/*
 * json.c - the zero-copy scanner.  See json.h for the contract.
 */
#include "json.h"

#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

struct scan {
	const char *base;
	const char *end;
	struct json_err *err;
	bool space; /* white space seen between tokens */
};

static const char *
fail(struct scan *s, const char *at, const char *msg)
{
	if (s->err) {
		s->err->msg = msg;
		s->err->off = (size_t) (at - s->base);
	}
	return NULL;
}

/* json_skip_ws() inside a value, noting whether there was any white space. */
static inline const char *
skip_ws_in(struct scan *s, const char *p)
{
	const char *q = json_skip_ws(p, s->end);

	if (q != p)
		s->space = true;
	return q;
}

/* Reads 4 hex digits at p (caller checked there are 4 bytes). */
static long
hex4(const char *p)
{
	long v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		int h = hex_digit(p[i]);

		if (h < 0)
			return -1;
		v = v << 4 | h;
	}
	return v;
}

/* Length of the valid UTF-8 sequence at p, or 0 if invalid. */
static size_t
utf8_len(const unsigned char *p, const unsigned char *end)
{
	unsigned char c = p[0];
	size_t n, i;
	unsigned long cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, cp = c & 0x07;
	else
		return 0;
	if ((size_t) (end - p) < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	/* Overlong forms, surrogates and values past U+10FFFF are invalid. */
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
		(cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

bool
json_utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *) s;
	const unsigned char *end = p + n;

	while (p < end) {
		size_t len;

		/* ASCII runs, eight bytes at a time. */
		if (*p < 0x80) {
			while (end - p >= 8) {
				uint64_t w;

				memcpy(&w, p, 8);
				if (w & 0x8080808080808080ULL)
					break;
				p += 8;
			}
			if (p < end && *p < 0x80)
				p++;
			continue;
		}
		if ((len = utf8_len(p, end)) == 0)
			return false;
		p += len;
	}
	return true;
}

/*
 * True if none of the 8 bytes in w needs a look: no '"', no '\\', no
 * control character, no non-ASCII byte.  The has-zero-byte tricks are
 * exact as a yes/no answer.
 */
static inline bool
plain8(uint64_t w)
{
	const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
	uint64_t q = w ^ (ones * '"'), b = w ^ (ones * '\\');

	return ((w | ((w - ones * 0x20) & ~w) | ((q - ones) & ~q) | ((b - ones) & ~b)) & highs) == 0;
}

#ifdef __SSE2__
/*
 * A bit for each of the 16 bytes at p that needs a look (as plain8()).
 * Signed, bytes from 0x80 up compare below 0x20 too.
 */
static inline unsigned
plain16(const char *p)
{
	__m128i v = _mm_loadu_si128((const __m128i *) p);
	__m128i look = _mm_or_si128(_mm_cmplt_epi8(v, _mm_set1_epi8(0x20)),
								_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
											 _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))));

	return (unsigned) _mm_movemask_epi8(look);
}
#endif

/* 1 for the bytes a string may hold as they are: ' ' to '~' but '"' and '\\'. */
static const unsigned char plain_byte[256] = {
	['\x20'] = 1,
	1,
	0,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1, /* 0x22 '"' */
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	0,
	1,
	1,
	1, /* 0x5c '\\' */
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
};

#ifdef __SSE2__
/* A bit for each of the 16 bytes at p that is '"' or '\\'. */
static inline unsigned
quote_or_escape16(const char *p)
{
	__m128i v = _mm_loadu_si128((const __m128i *) p);

	return (unsigned) _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
													 _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))));
}
#endif

/*
 * The first byte at or after p inside a string that needs a look, or end:
 * a '"' or '\\'; when validating, also a control character or a byte
 * past ASCII.  Sixteen bytes at a time where SSE2 is there, else eight.
 */
static inline const char *
string_run(const char *p, const char *end, bool validating)
{
#ifdef __SSE2__
	while (end - p >= 16) {
		unsigned m = validating ? plain16(p) : quote_or_escape16(p);

		if (m)
			return p + __builtin_ctz(m);
		p += 16;
	}
#endif
	if (!validating) {
		while (p < end && *p != '"' && *p != '\\')
			p++;
		return p;
	}
	while (end - p >= 8) {
		uint64_t w;

		memcpy(&w, p, 8);
		if (!plain8(w))
			break;
		p += 8;
	}
	while (p < end && plain_byte[(unsigned char) *p])
		p++;
	return p;
}

/* Inlined: a Debezium payload is mostly short strings, and the calls cost more than the scans. */
static inline __attribute__((always_inline)) const char *
scan_string(struct scan *s, const char *p)
{
	const char *end = s->end;
	const char *start = p;

	p++; /* opening quote */
	while (p < end) {
		unsigned char c;

		if ((p = string_run(p, end, true)) >= end)
			break;
		c = (unsigned char) *p;

		if (c == '"')
			return p + 1;
		if (c == '\\') {
			if (p + 1 >= end)
				break;
			switch (p[1]) {
				case '"':
				case '\\':
				case '/':
				case 'b':
				case 'f':
				case 'n':
				case 'r':
				case 't': p += 2; continue;
				case 'u':
					if (end - p < 6 || hex4(p + 2) < 0)
						return fail(s, p, "invalid \\u escape in string");
					p += 6;
					continue;
				default: return fail(s, p, "invalid escape in string");
			}
		}
		if (c < 0x20)
			return fail(s, p, "control character in string");
		if (c < 0x80) {
			p++;
			continue;
		}
		{
			size_t n = utf8_len((const unsigned char *) p, (const unsigned char *) end);

			if (n == 0)
				return fail(s, p, "invalid UTF-8 in string");
			p += n;
		}
	}
	return fail(s, start, "unterminated string");
}

/*
 * The first byte at or after p that is not a digit, or end.  Eight bytes
 * at a time: a change carries timestamps of 13 to 19 digits.
 */
static const char *
scan_digits(const char *p, const char *end)
{
	const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;

	while (end - p >= 8) {
		uint64_t w, lo, hi;

		memcpy(&w, p, 8);
		/* A high bit for each byte below '0', or above '9'. */
		lo = (w - ones * '0') | w;
		hi = w + ones * (0x7f - '9');
		if (((lo | hi) & highs) != 0)
			break;
		p += 8;
	}
	while (p < end && *p >= '0' && *p <= '9')
		p++;
	return p;
}

static const char *
scan_number(struct scan *s, const char *p)
{
	const char *end = s->end;
	const char *start = p;
	const char *q;

	if (p < end && *p == '-')
		p++;
	if (p >= end || *p < '0' || *p > '9')
		return fail(s, start, "invalid number");
	if (*p == '0')
		p++;
	else
		p = scan_digits(p, end);
	if (p < end && *p == '.') {
		q = scan_digits(p + 1, end);
		if (q == p + 1)
			return fail(s, start, "invalid number");
		p = q;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		q = scan_digits(p, end);
		if (q == p)
			return fail(s, start, "invalid number");
		p = q;
	}
	return p;
}

static const char *
scan_literal(struct scan *s, const char *p, const char *word)
{
	size_t n = strlen(word);

	if ((size_t) (s->end - p) < n || memcmp(p, word, n) != 0)
		return fail(s, p, "invalid literal");
	return p + n;
}

static const char *scan_value(struct scan *s, const char *p, int depth);

static const char *
scan_container(struct scan *s, const char *p, int depth)
{
	char close = *p == '{' ? '}' : ']';
	bool is_obj = close == '}';

	if (depth >= JSON_MAX_DEPTH)
		return fail(s, p, "nesting too deep");
	p = skip_ws_in(s, p + 1);
	if (p < s->end && *p == close)
		return p + 1;
	for (;;) {
		if (is_obj) {
			if (p >= s->end || *p != '"')
				return fail(s, p, "expected string as object key");
			if ((p = scan_string(s, p)) == NULL)
				return NULL;
			p = skip_ws_in(s, p);
			if (p >= s->end || *p != ':')
				return fail(s, p, "expected ':' after object key");
			p++;
		}
		/* Strings and numbers here, without a call: most members are one. */
		p = skip_ws_in(s, p);
		if (p < s->end && *p == '"')
			p = scan_string(s, p);
		else if (p < s->end && ((*p >= '0' && *p <= '9') || *p == '-'))
			p = scan_number(s, p);
		else
			p = scan_value(s, p, depth + 1);
		if (p == NULL)
			return NULL;
		p = skip_ws_in(s, p);
		if (p >= s->end)
			return fail(s, p, is_obj ? "unterminated object" : "unterminated array");
		if (*p == close)
			return p + 1;
		if (*p != ',')
			return fail(s, p, is_obj ? "expected ',' or '}'" : "expected ',' or ']'");
		p = skip_ws_in(s, p + 1);
	}
}

static const char *
scan_value(struct scan *s, const char *p, int depth)
{
	p = skip_ws_in(s, p);
	if (p >= s->end)
		return fail(s, p, "unexpected end of input");
	switch (*p) {
		case '{':
		case '[': return scan_container(s, p, depth);
		case '"': return scan_string(s, p);
		case 't': return scan_literal(s, p, "true");
		case 'f': return scan_literal(s, p, "false");
		case 'n': return scan_literal(s, p, "null");
		default:
			if (*p == '-' || (*p >= '0' && *p <= '9'))
				return scan_number(s, p);
			return fail(s, p, "unexpected character");
	}
}

const char *
json_scan_object(const char *base, const char *p, const char *end, json_member_fn member, void *ctx,
				 struct json_err *err)
{
	struct scan s = {base, end, err, false};
	struct json_slice k;

	p = json_skip_ws(p + 1, end);
	if (p < end && *p == '}')
		return p + 1;
	for (;;) {
		if (p >= end || *p != '"')
			return fail(&s, p, "expected string as object key");
		k.p = p;
		if ((p = scan_string(&s, p)) == NULL)
			return NULL;
		k.n = (size_t) (p - k.p);
		p = json_skip_ws(p, end);
		if (p >= end || *p != ':')
			return fail(&s, p, "expected ':' after object key");
		if ((p = member(ctx, k, base, json_skip_ws(p + 1, end), end, err)) == NULL)
			return NULL;
		p = json_skip_ws(p, end);
		if (p < end && *p == '}')
			return p + 1;
		if (p >= end)
			return fail(&s, p, "unterminated object");
		if (*p != ',')
			return fail(&s, p, "expected ',' or '}'");
		p = json_skip_ws(p + 1, end);
	}
}

const char *
json_scan_ws(const char *base, const char *p, const char *end, struct json_slice *out,
			 struct json_err *err, bool *space)
{
	struct scan s = {base, end, err, false};
	const char *start = json_skip_ws(p, end);
	const char *q = scan_value(&s, start, 0);

	if (q && out) {
		out->p = start;
		out->n = (size_t) (q - start);
	}
	*space = s.space;
	return q;
}

const char *
json_scan(const char *base, const char *p, const char *end, struct json_slice *out,
		  struct json_err *err)
{
	bool space;

	return json_scan_ws(base, p, end, out, err, &space);
}

bool
json_validate(const char *p, size_t n, struct json_err *err)
{
	struct scan s = {p, p + n, err, false};
	const char *q = json_scan(p, p, p + n, NULL, err);

	if (q == NULL)
		return false;
	q = json_skip_ws(q, p + n);
	if (q != p + n) {
		fail(&s, q, "trailing characters after JSON value");
		return false;
	}
	return true;
}

enum json_type
json_type_of(struct json_slice v)
{
	if (v.n == 0)
		return JSON_INVALID;
	switch (v.p[0]) {
		case '{': return JSON_OBJECT;
		case '[': return JSON_ARRAY;
		case '"': return JSON_STRING;
		case 't': return JSON_TRUE;
		case 'f': return JSON_FALSE;
		case 'n': return JSON_NULL;
		default: return JSON_NUMBER;
	}
}

const char *
json_type_name(enum json_type t)
{
	static const char *const names[] = {"invalid", "null",	 "boolean", "boolean",
										"number",  "string", "array",	"object"};

	return names[t];
}

const char *
json_skip_string(const char *p, const char *end)
{
	p++; /* opening quote */
	for (;;) {
		if ((p = string_run(p, end, false)) >= end)
			return end;
		if (*p == '"')
			return p + 1;
		p += 2; /* an escape: its next byte is never the end */
	}
}

const char *
json_skip_value(const char *p, const char *end)
{
	int depth = 0;

	while (p < end) {
		char ch = *p;

		if (ch == '"')
			p = json_skip_string(p, end);
		else if (ch == '{' || ch == '[')
			depth++, p++;
		else if (ch == '}' || ch == ']')
			depth--, p++;
		else if (depth == 0) {
			/* A number or literal: up to the next delimiter. */
			while (p < end && *p != ',' && *p != '}' && *p != ']' && *p != ' ' && *p != '\t' &&
				   *p != '\n' && *p != '\r')
				p++;
			return p;
		} else
			p++;
		if (depth <= 0)
			return p;
	}
	return p;
}

void
json_iter_init(struct json_iter *it, struct json_slice c)
{
	it->p = c.p + 1;
	it->end = c.p + c.n - 1;
}

/* The value at it->p, and past the comma after it. */
static void
iter_take(struct json_iter *it, const char *p, struct json_slice *val)
{
	val->p = p;
	p = json_skip_value(p, it->end);
	val->n = (size_t) (p - val->p);
	p = json_skip_ws(p, it->end);
	if (p < it->end && *p == ',')
		p++;
	it->p = p;
}

bool
json_obj_next(struct json_iter *it, struct json_slice *key, struct json_slice *val)
{
	const char *p = json_skip_ws(it->p, it->end);

	if (p >= it->end)
		return false;
	key->p = p;
	p = json_skip_string(p, it->end);
	key->n = (size_t) (p - key->p);
	p = json_skip_ws(p, it->end) + 1; /* the ':' */
	iter_take(it, json_skip_ws(p, it->end), val);
	return true;
}

bool
json_arr_next(struct json_iter *it, struct json_slice *val)
{
	const char *p = json_skip_ws(it->p, it->end);

	if (p >= it->end)
		return false;
	iter_take(it, p, val);
	return true;
}

bool
json_str_is_plain(struct json_slice s)
{
	return memchr(s.p, '\\', s.n) == NULL;
}

bool
json_str_is_jackson(struct json_slice s)
{
	for (size_t i = 0; i < s.n; i++)
		if (s.p[i] == '\\' || (unsigned char) s.p[i] >= 0xf0)
			return false;
	return true;
}

bool
json_str_eq(struct json_slice s, const char *cstr)
{
	size_t n = strlen(cstr);
	struct buf tmp = BUF_INIT;
	bool eq;

	/* Escapes only lengthen the text, so most misses show in the length. */
	if (s.n < 2 || s.p[0] != '"' || s.n - 2 < n)
		return false;
	if (s.n - 2 == n && memcmp(s.p + 1, cstr, n) == 0 && memchr(cstr, '\\', n) == NULL)
		return true;
	if (json_str_is_plain(s))
		return false;
	eq = json_str_decode(s, &tmp) && tmp.len == n && memcmp(tmp.data, cstr, n) == 0;
	buf_free(&tmp);
	return eq;
}

bool
json_obj_get(struct json_slice obj, const char *name, struct json_slice *val)
{
	struct json_iter it;
	struct json_slice k, v;

	if (json_type_of(obj) != JSON_OBJECT)
		return false;
	json_iter_init(&it, obj);
	while (json_obj_next(&it, &k, &v)) {
		if (json_str_eq(k, name)) {
			*val = v;
			return true;
		}
	}
	return false;
}

static void
put_utf8(struct buf *out, unsigned long cp)
{
	char u[4];
	size_t n;

	if (cp < 0x80)
		u[0] = (char) cp, n = 1;
	else if (cp < 0x800)
		u[0] = (char) (0xc0 | cp >> 6), u[1] = (char) (0x80 | (cp & 0x3f)), n = 2;
	else if (cp < 0x10000)
		u[0] = (char) (0xe0 | cp >> 12), u[1] = (char) (0x80 | ((cp >> 6) & 0x3f)),
		u[2] = (char) (0x80 | (cp & 0x3f)), n = 3;
	else
		u[0] = (char) (0xf0 | cp >> 18), u[1] = (char) (0x80 | ((cp >> 12) & 0x3f)),
		u[2] = (char) (0x80 | ((cp >> 6) & 0x3f)), u[3] = (char) (0x80 | (cp & 0x3f)), n = 4;
	buf_put(out, u, n);
}

bool
json_str_decode(struct json_slice s, struct buf *out)
{
	const char *p = s.p + 1;
	const char *end = s.p + s.n - 1;
	const char *run = p;

	while (p < end) {
		long cp;

		if (*p != '\\') {
			p++;
			continue;
		}
		buf_put(out, run, (size_t) (p - run));
		switch (p[1]) {
			case 'b': buf_putc(out, '\b'); break;
			case 'f': buf_putc(out, '\f'); break;
			case 'n': buf_putc(out, '\n'); break;
			case 'r': buf_putc(out, '\r'); break;
			case 't': buf_putc(out, '\t'); break;
			case 'u':
				cp = hex4(p + 2);
				if (cp >= 0xdc00 && cp <= 0xdfff)
					return false;
				if (cp >= 0xd800 && cp <= 0xdbff) {
					long lo;

					if (end - p < 12 || p[6] != '\\' || p[7] != 'u')
						return false;
					lo = hex4(p + 8);
					if (lo < 0xdc00 || lo > 0xdfff)
						return false;
					cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
					p += 6;
				}
				put_utf8(out, (unsigned long) cp);
				p += 4;
				break;
			default: /* '"', '\\', '/' */ buf_putc(out, p[1]);
		}
		p += 2;
		run = p;
	}
	buf_put(out, run, (size_t) (p - run));
	return true;
}

bool
json_str_decode_text(struct json_slice s, struct buf *out)
{
	size_t start = out->len;

	if (!json_str_decode(s, out))
		return false;
	return out->len == start || memchr(out->data + start, '\0', out->len - start) == NULL;
}

bool
json_to_i64(struct json_slice v, int64_t *out)
{
	const char *p = v.p;
	const char *end = v.p + v.n;
	bool neg = false;
	uint64_t acc = 0;

	if (p < end && *p == '-')
		neg = true, p++;
	if (p >= end)
		return false;
	for (; p < end; p++) {
		if (*p < '0' || *p > '9')
			return false;
		if (acc > (UINT64_MAX - 9) / 10)
			return false;
		acc = acc * 10 + (uint64_t) (*p - '0');
	}
	if (neg ? acc > (uint64_t) INT64_MAX + 1 : acc > INT64_MAX)
		return false;
	*out = neg ? (int64_t) (0 - acc) : (int64_t) acc;
	return true;
}

bool
json_has_space(struct json_slice v)
{
	const char *p = v.p;
	const char *end = v.p + v.n;

	while (p < end) {
		char c = *p;

		if (c == '"') {
			p = json_skip_string(p, end);
			continue;
		}
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
			return true;
		p++;
	}
	return false;
}

void
json_compact(struct json_slice v, struct buf *out)
{
	const char *p = v.p;
	const char *end = v.p + v.n;

	buf_reserve(out, v.n);
	while (p < end) {
		const char *start = p;

		if (*p == '"') {
			p = json_skip_string(p, end);
			buf_put(out, start, (size_t) (p - start));
		} else if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			p++;
		else
			buf_putc(out, *p++);
	}
}
