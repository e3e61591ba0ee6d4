/*
 * buf.c - growable buffers, JSON string escaping, base64.
 */
#include "buf.h"
#include "log.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>
#include <errno.h>

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		fatal(EX_OSERR, "out of memory");
	return p;
}

void *
xcalloc(size_t count, size_t n)
{
	void *p = calloc(count ? count : 1, n ? n : 1);

	if (p == NULL)
		fatal(EX_OSERR, "out of memory");
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (p == NULL)
		fatal(EX_OSERR, "out of memory");
	return p;
}

char *
xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
str_trim(char *s)
{
	char *end;

	while (isspace((unsigned char) *s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char) end[-1]))
		*--end = '\0';
	return s;
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

void
buf_grow(struct buf *b, size_t extra)
{
	size_t need = b->len + extra + 1; /* room for buf_cstr's NUL */
	size_t cap;

	if (need <= b->cap)
		return;
	cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap *= 2;
	b->data = xrealloc(b->data, cap);
	b->cap = cap;
}

void
buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

void
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	buf_reserve(b, (size_t) n);
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t) n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t) n;
}

void
buf_put_u64(struct buf *b, uint64_t v)
{
	/* Two digits a division: offsets and timestamps have 13 or more. */
	static const char pairs[] =
		"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
		"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
		"8081828384858687888990919293949596979899";
	char tmp[24];
	char *p = tmp + sizeof tmp;
	uint32_t w;
	int i;

	/* Eight digits at a time in 32 bits: cheaper than 64-bit division. */
	while (v >= 100000000) {
		w = (uint32_t) (v % 100000000);
		v /= 100000000;
		for (i = 0; i < 4; i++) {
			p -= 2;
			memcpy(p, pairs + 2 * (w % 100), 2);
			w /= 100;
		}
	}
	w = (uint32_t) v;
	while (w >= 100) {
		p -= 2;
		memcpy(p, pairs + 2 * (w % 100), 2);
		w /= 100;
	}
	if (w >= 10) {
		p -= 2;
		memcpy(p, pairs + 2 * w, 2);
	} else
		*--p = (char) ('0' + w);
	buf_put(b, p, (size_t) (tmp + sizeof tmp - p));
}

void
buf_put_i64(struct buf *b, int64_t v)
{
	if (v < 0) {
		buf_putc(b, '-');
		/* Negate in unsigned arithmetic so INT64_MIN works. */
		buf_put_u64(b, (uint64_t) 0 - (uint64_t) v);
	} else
		buf_put_u64(b, (uint64_t) v);
}

bool
buf_read_fd(struct buf *b, int fd)
{
	for (;;) {
		ssize_t got;

		buf_reserve(b, 4096);
		got = read(fd, b->data + b->len, b->cap - b->len - 1);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return false;
		if (got == 0)
			break;
		b->len += (size_t) got;
	}
	buf_cstr(b);
	return true;
}

const char *
buf_cstr(struct buf *b)
{
	buf_reserve(b, 0);
	b->data[b->len] = '\0';
	return b->data;
}

/* 0 = copy as is; otherwise the character after the backslash ('u' = \u00XX). */
static const char escape_table[256] = {
	['\b'] = 'b',
	['\t'] = 't',
	['\n'] = 'n',
	['\f'] = 'f',
	['\r'] = 'r',
	[0x00] = 'u',
	[0x01] = 'u',
	[0x02] = 'u',
	[0x03] = 'u',
	[0x04] = 'u',
	[0x05] = 'u',
	[0x06] = 'u',
	[0x07] = 'u',
	[0x0b] = 'u',
	[0x0e] = 'u',
	[0x0f] = 'u',
	[0x10] = 'u',
	[0x11] = 'u',
	[0x12] = 'u',
	[0x13] = 'u',
	[0x14] = 'u',
	[0x15] = 'u',
	[0x16] = 'u',
	[0x17] = 'u',
	[0x18] = 'u',
	[0x19] = 'u',
	[0x1a] = 'u',
	[0x1b] = 'u',
	[0x1c] = 'u',
	[0x1d] = 'u',
	[0x1e] = 'u',
	[0x1f] = 'u',
	['"'] = '"',
	['\\'] = '\\',
	/* The lead bytes of 4-byte UTF-8: Jackson escapes the surrogate pair. */
	/* (only after json_set_escape_astral(true)) */
	[0xf0] = 's',
	[0xf1] = 's',
	[0xf2] = 's',
	[0xf3] = 's',
	[0xf4] = 's',
};

/* Writes \uXXXX for one UTF-16 code unit. */
static void
put_u_escape(struct buf *b, unsigned u)
{
	static const char hex[] = "0123456789ABCDEF";
	char e[6] = {'\\', 'u', hex[u >> 12 & 15], hex[u >> 8 & 15], hex[u >> 4 & 15], hex[u & 15]};

	buf_put(b, e, sizeof e);
}

static bool escape_astral;

void
json_set_escape_astral(bool on)
{
	escape_astral = on;
}

static void
put_escaped(struct buf *b, const char *s, size_t n, bool astral)
{
	size_t start = 0;
	size_t i;

	buf_reserve(b, n);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char) s[i];
		char e = escape_table[c];

		if (e == 0 || (e == 's' && (!astral || n - i < 4)))
			continue;
		buf_put(b, s + start, i - start);
		start = i + 1;
		if (e == 'u')
			put_u_escape(b, c);
		else if (e == 's') {
			unsigned cp = (unsigned) (c & 7) << 18 | (unsigned) (s[i + 1] & 0x3f) << 12 |
				(unsigned) (s[i + 2] & 0x3f) << 6 | (unsigned) (s[i + 3] & 0x3f);

			cp -= 0x10000;
			put_u_escape(b, 0xd800 + (cp >> 10));
			put_u_escape(b, 0xdc00 + (cp & 0x3ff));
			i += 3;
			start = i + 1;
		} else {
			char two[2] = {'\\', e};

			buf_put(b, two, 2);
		}
	}
	buf_put(b, s + start, n - start);
}

void
json_put_escaped(struct buf *b, const char *s, size_t n)
{
	put_escaped(b, s, n, escape_astral);
}

void
json_put_str_utf8(struct buf *b, const char *s, size_t n)
{
	buf_putc(b, '"');
	put_escaped(b, s, n, false);
	buf_putc(b, '"');
}

void
json_put_str(struct buf *b, const char *s, size_t n)
{
	buf_putc(b, '"');
	json_put_escaped(b, s, n);
	buf_putc(b, '"');
}

void
json_put_cstr(struct buf *b, const char *s)
{
	json_put_str(b, s, strlen(s));
}

void
base64_put(struct buf *b, const unsigned char *p, size_t n)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i;
	char *o;

	buf_reserve(b, (n + 2) / 3 * 4);
	o = b->data + b->len;
	for (i = 0; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t) p[i] << 16 | (uint32_t) p[i + 1] << 8 | p[i + 2];

		*o++ = tab[v >> 18];
		*o++ = tab[(v >> 12) & 63];
		*o++ = tab[(v >> 6) & 63];
		*o++ = tab[v & 63];
	}
	if (i < n) {
		uint32_t v = (uint32_t) p[i] << 16;

		if (i + 1 < n)
			v |= (uint32_t) p[i + 1] << 8;
		*o++ = tab[v >> 18];
		*o++ = tab[(v >> 12) & 63];
		*o++ = i + 1 < n ? tab[(v >> 6) & 63] : '=';
		*o++ = '=';
	}
	b->len = (size_t) (o - b->data);
}

int
hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int
base64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

bool
base64_decode(const char *s, size_t n, struct buf *out)
{
	uint32_t acc = 0;
	int bits = 0;
	size_t i;

	while (n > 0 && s[n - 1] == '=')
		n--;
	if (n % 4 == 1)
		return false;
	buf_reserve(out, n / 4 * 3 + 3);
	for (i = 0; i < n; i++) {
		int v = base64_value((unsigned char) s[i]);

		if (v < 0)
			return false;
		acc = acc << 6 | (uint32_t) v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out->data[out->len++] = (char) (acc >> bits & 0xff);
		}
	}
	return true;
}
