/*
 * convert.c - a PostgreSQL text value to Debezium's JSON by its value
 * kind, and the conversions of bit strings, bytea, hstore and point.
 * See convert.h for the contract.
 */
#include "convert.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "convnum.h"
#include "convtime.h"
#include "dbzvocab.h"
#include "json.h"

/* buf_puts() of a string literal, without the strlen(). */
#define PUTL(b, lit) buf_put((b), lit, sizeof(lit) - 1)

static bool
expect(const char *s, size_t n, size_t *i, char c)
{
	return *i < n && s[*i] == c && ++*i > 0;
}

bool
conv_int_fits(const struct tdesc *d, const char *s, size_t n)
{
	size_t i = n > 0 && s[0] == '-' ? 1 : 0;
	unsigned bits = d->type[3] == '8' ? 8 : d->type[3] == '1' ? 16 : d->type[3] == '3' ? 32 : 64;
	uint64_t limit = (UINT64_C(1) << (bits - 1)) - (i ? 0 : 1);
	uint64_t acc = 0;

	if (i == n)
		return false;
	for (; i < n; i++) {
		if (s[i] < '0' || s[i] > '9' || acc > (limit - (uint64_t) (s[i] - '0')) / 10)
			return false;
		acc = acc * 10 + (uint64_t) (s[i] - '0');
	}
	return true;
}

/* 1 for "infinity", -1 for "-infinity", 0 for any other text. */
static int
infinity(const char *s, size_t n)
{
	if (n == 8 && memcmp(s, "infinity", 8) == 0)
		return 1;
	return n == 9 && memcmp(s, "-infinity", 9) == 0 ? -1 : 0;
}

bool
put_text_value(const struct env_conf *c, const struct tdesc *d, const char *s, size_t n,
			   struct buf *out)
{
	int64_t v;
	int inf;

	switch (d->kind) {
		case K_BOOL:
			if ((n == 1 && s[0] == 't') || (n == 4 && memcmp(s, "true", 4) == 0))
				PUTL(out, "true");
			else if ((n == 1 && s[0] == 'f') || (n == 5 && memcmp(s, "false", 5) == 0))
				PUTL(out, "false");
			else
				return false;
			return true;
		case K_INT:
			if (!conv_int_fits(d, s, n))
				return false;
			buf_put(out, s, n);
			return true;
		case K_FLOAT: return conv_java_float(s, n, d->type[0] == 'f', out);
		case K_STRING:
		case K_NUM_STRING: json_put_str(out, s, n); return true;
		case K_MONEY_STRING:
			buf_putc(out, '"');
			if (!conv_money_plain(s, n, out))
				return false;
			buf_putc(out, '"');
			return true;
		case K_BYTEA: return conv_bytea(s, n, out);
		case K_BYTEA_MODE: return conv_bytea_mode(c->binary, s, n, out);
		case K_INTERVAL_ISO: return conv_interval_iso(s, n, out);
		case K_HSTORE_MAP: return conv_hstore_map(s, n, out);
		case K_DECIMAL: return !conv_is_special_number(s, n) && conv_decimal(s, n, d->scale, out);
		case K_VARSCALE: return !conv_is_special_number(s, n) && conv_varscale(s, n, out);
		case K_NUM_DOUBLE: return conv_numeric_double(s, n, out);
		case K_DATE:
			if ((inf = infinity(s, n)) != 0)
				v = inf > 0 ? DBZ_DATE_POS_INFINITY : DBZ_DATE_NEG_INFINITY;
			else if (!conv_date(s, n, &v))
				return false;
			buf_put_i64(out, v);
			return true;
		case K_TIME_MS:
		case K_TIME_US:
			if (!conv_time(s, n, &v))
				return false;
			buf_put_i64(out, d->kind == K_TIME_MS ? v / 1000 : v);
			return true;
		case K_TIMETZ: return conv_timetz(s, n, out);
		case K_TS_MS:
		case K_TS_US:
			if ((inf = infinity(s, n)) != 0)
				v = inf > 0 ? DBZ_TS_POS_INFINITY_US : DBZ_TS_NEG_INFINITY_US;
			else if (!conv_timestamp(s, n, &v))
				return false;
			if (d->kind == K_TS_MS)
				v = v / 1000 - (v % 1000 < 0); /* floor, as toEpochMilli() */
			buf_put_i64(out, v);
			return true;
		case K_TSTZ: return conv_timestamptz(s, n, d->scale, out);
		case K_INTERVAL:
			/* Saturated values are written by unsupported() in row.c. */
			if (!conv_interval(s, n, &v) || v == INT64_MAX || v == INT64_MIN)
				return false;
			buf_put_i64(out, v);
			return true;
		case K_BIT_BOOL:
			if (n != 1 || (s[0] != '0' && s[0] != '1'))
				return false;
			buf_puts(out, s[0] == '1' ? "true" : "false");
			return true;
		case K_BITS: return conv_bits(s, n, out);
		case K_HSTORE: return conv_hstore(s, n, out);
		case K_POINT: return conv_point(s, n, out);
	}
	return false;
}

bool
conv_bits(const char *s, size_t n, struct buf *out)
{
	size_t nbytes = (n + 7) / 8, i;
	unsigned char *b = xcalloc(nbytes + 1, 1);

	for (i = 0; i < n; i++) {
		size_t pos = n - 1 - i;

		if (s[i] == '1')
			b[pos / 8] |= (unsigned char) (1u << (pos % 8));
		else if (s[i] != '0') {
			free(b);
			return false;
		}
	}
	while (nbytes > 0 && b[nbytes - 1] == 0)
		nbytes--;
	buf_putc(out, '"');
	base64_put(out, b, nbytes);
	buf_putc(out, '"');
	free(b);
	return true;
}

bool
conv_bytea(const char *s, size_t n, struct buf *out)
{
	unsigned char b[3 * 1024]; /* a multiple of 3: base64 of the pieces = of the whole */
	size_t i, nb, k = 0, mark = out->len;

	if (n < 2 || s[0] != '\\' || s[1] != 'x' || n % 2 != 0)
		return false;
	nb = (n - 2) / 2;
	buf_reserve(out, (nb + 2) / 3 * 4 + 2);
	buf_putc(out, '"');
	/* In pieces, so that a large value is never held twice. */
	for (i = 0; i < nb; i++) {
		int hi = hex_digit(s[2 + 2 * i]), lo = hex_digit(s[3 + 2 * i]);

		if (hi < 0 || lo < 0) {
			out->len = mark;
			return false;
		}
		b[k++] = (unsigned char) (hi << 4 | lo);
		if (k == sizeof b) {
			base64_put(out, b, k);
			k = 0;
		}
	}
	base64_put(out, b, k);
	buf_putc(out, '"');
	return true;
}

bool
conv_bytea_mode(enum bin_mode mode, const char *s, size_t n, struct buf *out)
{
	size_t mark = out->len, i;

	if (mode != BIN_HEX) {
		if (!conv_bytea(s, n, out))
			return false;
		for (i = mark; mode == BIN_BASE64_URL && i < out->len; i++)
			if (out->data[i] == '+')
				out->data[i] = '-';
			else if (out->data[i] == '/')
				out->data[i] = '_';
		return true;
	}
	if (n < 2 || s[0] != '\\' || s[1] != 'x' || n % 2 != 0)
		return false;
	buf_putc(out, '"');
	for (i = 2; i < n; i++) {
		if (hex_digit(s[i]) < 0) {
			out->len = mark;
			return false;
		}
		buf_putc(out, "0123456789abcdef"[hex_digit(s[i])]);
	}
	buf_putc(out, '"');
	return true;
}

int32_t
conv_java_hash(const char *s, size_t n)
{
	uint32_t h = 0;
	size_t i = 0;

	while (i < n) {
		unsigned char c = (unsigned char) s[i];
		uint32_t cp;
		size_t len;

		if (c < 0x80)
			cp = c, len = 1;
		else if (c < 0xe0)
			cp = c & 0x1f, len = 2;
		else if (c < 0xf0)
			cp = c & 0x0f, len = 3;
		else
			cp = c & 0x07, len = 4;
		for (size_t k = 1; k < len && i + k < n; k++)
			cp = cp << 6 | ((unsigned char) s[i + k] & 0x3f);
		i += len;
		if (cp >= 0x10000) {
			cp -= 0x10000;
			h = 31 * h + (0xd800 + (cp >> 10));
			h = 31 * h + (0xdc00 + (cp & 0x3ff));
		} else
			h = 31 * h + cp;
	}
	return (int32_t) h;
}

size_t
conv_hashmap_capacity(size_t n)
{
	size_t cap = 16;

	while (n > cap * 3 / 4)
		cap *= 2;
	return cap;
}

uint32_t
conv_hashmap_bucket(const char *s, size_t n, size_t capacity)
{
	uint32_t h = (uint32_t) conv_java_hash(s, n);

	return (h ^ (h >> 16)) & (uint32_t) (capacity - 1);
}

struct hs_entry {
	size_t k, kn, v, vn; /* offsets into the text buffer */
	bool null;
	uint32_t bucket_hash;
	size_t order;
};

static int
hs_cmp(const void *a, const void *b)
{
	const struct hs_entry *x = a, *y = b;

	if (x->bucket_hash != y->bucket_hash)
		return x->bucket_hash < y->bucket_hash ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* Reads one "quoted" hstore token into text; returns false if malformed. */
static bool
hs_token(const char *s, size_t n, size_t *i, struct buf *text, size_t *off, size_t *len)
{
	if (!expect(s, n, i, '"'))
		return false;
	*off = text->len;
	while (*i < n && s[*i] != '"') {
		if (s[*i] == '\\' && *i + 1 < n)
			(*i)++;
		buf_putc(text, s[(*i)++]);
	}
	*len = text->len - *off;
	return expect(s, n, i, '"');
}

bool
conv_hstore(const char *s, size_t n, struct buf *out)
{
	struct buf text = BUF_INIT, json = BUF_INIT;
	struct hs_entry *e = NULL;
	size_t ne = 0, cap = 0, i = 0, k, tabsize = 16;
	bool ok = true;

	while (ok && i < n) {
		struct hs_entry x = {0};

		while (i < n && (s[i] == ' ' || s[i] == ','))
			i++;
		if (i == n)
			break;
		ok = hs_token(s, n, &i, &text, &x.k, &x.kn) && expect(s, n, &i, '=') &&
			expect(s, n, &i, '>');
		if (ok && n - i >= 4 && memcmp(s + i, "NULL", 4) == 0)
			x.null = true, i += 4;
		else if (ok)
			ok = hs_token(s, n, &i, &text, &x.v, &x.vn);
		if (ne == cap)
			e = xrealloc(e, (cap = cap ? cap * 2 : 8) * sizeof *e);
		x.order = ne;
		e[ne++] = x;
	}
	if (ok) {
		tabsize = conv_hashmap_capacity(ne);
		for (k = 0; k < ne; k++)
			e[k].bucket_hash = conv_hashmap_bucket(text.data + e[k].k, e[k].kn, tabsize);
		if (ne > 0)
			qsort(e, ne, sizeof *e, hs_cmp);
		buf_putc(&json, '{');
		for (k = 0; k < ne; k++) {
			if (k > 0)
				buf_putc(&json, ',');
			json_put_str_utf8(&json, text.data + e[k].k, e[k].kn);
			buf_putc(&json, ':');
			if (e[k].null)
				buf_puts(&json, "null");
			else
				json_put_str_utf8(&json, text.data + e[k].v, e[k].vn);
		}
		buf_putc(&json, '}');
		json_put_str(out, json.data, json.len);
	}
	free(e);
	buf_free(&text);
	buf_free(&json);
	return ok;
}

bool
conv_hstore_map(const char *s, size_t n, struct buf *out)
{
	struct buf quoted = BUF_INIT;
	bool ok = conv_hstore(s, n, &quoted);

	if (ok)
		json_str_decode((struct json_slice){quoted.data, quoted.len}, out);
	buf_free(&quoted);
	return ok;
}

bool
conv_point(const char *s, size_t n, struct buf *out)
{
	unsigned char wkb[21];
	const char *comma;
	double x, y;
	char *end;
	struct buf tmp = BUF_INIT;
	bool ok;

	if (n < 5 || s[0] != '(' || s[n - 1] != ')' || (comma = memchr(s, ',', n)) == NULL)
		return false;
	buf_put(&tmp, s + 1, n - 2);
	x = strtod(buf_cstr(&tmp), &end);
	ok = *end == ',';
	y = strtod(end + 1, &end);
	ok = ok && *end == '\0';
	buf_free(&tmp);
	if (!ok)
		return false;
	wkb[0] = 1;								  /* little endian */
	wkb[1] = 1, wkb[2] = wkb[3] = wkb[4] = 0; /* wkbPoint */
	for (int k = 0; k < 8; k++) {
		uint64_t bx, by;

		memcpy(&bx, &x, 8);
		memcpy(&by, &y, 8);
		wkb[5 + k] = (unsigned char) (bx >> (8 * k));
		wkb[13 + k] = (unsigned char) (by >> (8 * k));
	}
	buf_puts(out, "{\"x\":");
	if (!conv_java_float(s + 1, (size_t) (comma - s - 1), false, out))
		return false;
	buf_puts(out, ",\"y\":");
	if (!conv_java_float(comma + 1, (size_t) (s + n - 1 - comma - 1), false, out))
		return false;
	buf_puts(out, ",\"wkb\":\"");
	base64_put(out, wkb, sizeof wkb);
	buf_puts(out, "\",\"srid\":null}");
	return true;
}

bool
conv_array_split(const char *s, size_t n, conv_elem_fn fn, void *arg)
{
	struct buf el = BUF_INIT;
	size_t i = 1;
	bool ok = true;

	if (n < 2 || s[0] != '{' || s[n - 1] != '}')
		return false;
	n--; /* the closing brace */
	if (i == n) {
		buf_free(&el);
		return true;
	}
	while (ok) {
		buf_reset(&el);
		if (i < n && s[i] == '"') {
			i++;
			while (i < n && s[i] != '"') {
				if (s[i] == '\\' && i + 1 < n)
					i++;
				buf_putc(&el, s[i++]);
			}
			ok = i < n;
			i++;
			if (ok)
				ok = fn(arg, el.data ? el.data : "", el.len);
		} else {
			size_t start = i;

			while (i < n && s[i] != ',')
				i++;
			if (i == start || s[start] == '{')
				ok = false;
			else if (i - start == 4 && strncasecmp(s + start, "NULL", 4) == 0)
				ok = fn(arg, NULL, 0);
			else
				ok = fn(arg, s + start, i - start);
		}
		if (!ok || i >= n)
			break;
		if (s[i] != ',')
			ok = false;
		i++;
	}
	buf_free(&el);
	return ok && i >= n;
}
