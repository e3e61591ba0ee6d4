/*
 * mapping.c - what a connector file's column keys do to the values:
 * column.include.list / column.exclude.list and Debezium's column mappers
 * (column.mask.with.N.chars, column.mask.hash.ALGORITHM.with.salt.SALT,
 * column.truncate.to.N.chars), bound to each column and applied to its
 * values.  config.c reads the keys; the binary, interval and hstore
 * handling modes are converters (convert.c, convtime.c).
 */
#include "table.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "convert.h"

/* ---- SHA-256 (FIPS 180-4), for column.mask.hash.SHA-256 ---- */

struct sha256 {
	uint32_t h[8];
	unsigned char blk[64];
	size_t nblk;
	uint64_t len;
};

static const uint32_t sha256_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void
sha256_block(struct sha256 *s, const unsigned char *p)
{
	uint32_t w[64], a[8];
	int i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t) p[4 * i] << 24 | (uint32_t) p[4 * i + 1] << 16 |
			(uint32_t) p[4 * i + 2] << 8 | p[4 * i + 3];
	for (; i < 64; i++)
		w[i] = w[i - 16] + (ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3)) + w[i - 7] +
			(ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10));
	memcpy(a, s->h, sizeof a);
	for (i = 0; i < 64; i++) {
		uint32_t t1 = a[7] + (ROR(a[4], 6) ^ ROR(a[4], 11) ^ ROR(a[4], 25)) +
			((a[4] & a[5]) ^ (~a[4] & a[6])) + sha256_k[i] + w[i];
		uint32_t t2 = (ROR(a[0], 2) ^ ROR(a[0], 13) ^ ROR(a[0], 22)) +
			((a[0] & a[1]) ^ (a[0] & a[2]) ^ (a[1] & a[2]));

		memmove(a + 1, a, 7 * sizeof *a);
		a[4] += t1;
		a[0] = t1 + t2;
	}
	for (i = 0; i < 8; i++)
		s->h[i] += a[i];
}

static void
sha256_init(struct sha256 *s)
{
	static const uint32_t h0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
								   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

	memcpy(s->h, h0, sizeof h0);
	s->nblk = 0;
	s->len = 0;
}

static void
sha256_update(struct sha256 *s, const void *data, size_t n)
{
	const unsigned char *p = data;

	s->len += n;
	while (n > 0) {
		size_t k = 64 - s->nblk < n ? 64 - s->nblk : n;

		memcpy(s->blk + s->nblk, p, k);
		s->nblk += k;
		p += k;
		n -= k;
		if (s->nblk == 64) {
			sha256_block(s, s->blk);
			s->nblk = 0;
		}
	}
}

static void
sha256_final(struct sha256 *s, unsigned char out[32])
{
	uint64_t bits = s->len * 8;
	unsigned char pad = 0x80, lenb[8];
	int i;

	sha256_update(s, &pad, 1);
	pad = 0;
	while (s->nblk != 56)
		sha256_update(s, &pad, 1);
	for (i = 0; i < 8; i++)
		lenb[i] = (unsigned char) (bits >> (56 - 8 * i));
	sha256_update(s, lenb, 8);
	for (i = 0; i < 32; i++)
		out[i] = (unsigned char) (s->h[i / 4] >> (24 - 8 * (i % 4)));
}

/* ---- column mappers ---- */

/* The JDBC character types, the only ones Debezium's masks change. */
static bool
is_char_type(const struct col *col)
{
	const char *t = col->typname;

	return !col->is_array &&
		(strcmp(t, "varchar") == 0 || strcmp(t, "text") == 0 || strcmp(t, "bpchar") == 0 ||
		 strcmp(t, "char") == 0);
}

/*
 * A truncation cuts every value that reaches it as a Java String: the
 * character types, and the strings of citext, xml and ltree.
 */
static bool
is_truncated_type(const struct col *col)
{
	const char *t = col->typname;

	return is_char_type(col) ||
		(!col->is_array &&
		 (strcmp(t, "citext") == 0 || strcmp(t, "xml") == 0 || strcmp(t, "ltree") == 0));
}

/* Appends one parameter to a schema's parameters JSON (malloc'd or NULL). */
static void
add_param(struct tdesc *d, const char *param)
{
	struct buf b = BUF_INIT;

	if (d->params)
		buf_put(&b, d->params, strlen(d->params) - 1);
	buf_puts(&b, d->params ? "," : "{");
	buf_puts(&b, param);
	buf_putc(&b, '}');
	free(d->params);
	d->params = xstrndup(b.data, b.len);
	buf_free(&b);
}

/*
 * The first mask or truncation whose list names the column: a mask marks
 * the schema of a column of any type "masked" but changes only character
 * types' values; a truncation applies to the types above only.
 */
void
colmap_bind(const struct env_conf *c, const struct table *t, struct col *col)
{
	struct buf fq = BUF_INIT;
	int i;

	buf_printf(&fq, "%s.%s", t->fqname, col->name);
	buf_cstr(&fq);
	if ((c->ncol_include > 0 && !conf_matches(fq.data, c->col_include, c->ncol_include)) ||
		conf_matches(fq.data, c->col_exclude, c->ncol_exclude))
		col->filtered = true;
	for (i = 0; i < c->ncolmaps; i++) {
		const struct colmap *m = &c->colmaps[i];
		char p[48];

		if ((m->kind == MAP_TRUNCATE && !is_truncated_type(col)) ||
			!conf_matches(fq.data, m->re, m->nre))
			continue;
		if (m->kind == MAP_TRUNCATE)
			snprintf(p, sizeof p, "\"truncateLength\":\"%d\"", m->n);
		else
			snprintf(p, sizeof p, "\"masked\":\"true\"");
		/* Debezium maps value fields only: the key keeps the plain schema. */
		col->mapped_schema = true;
		col->key_params = col->t.params ? xstrdup(col->t.params) : NULL;
		add_param(&col->t, p);
		if (m->kind == MAP_TRUNCATE || is_char_type(col))
			col->map = m;
		/* A hash is cut to the length of a varchar(n) or char(n). */
		col->map_len = m->kind == MAP_HASH && col->typmod > 4 ? col->typmod - 4 : 0;
		break;
	}
	buf_free(&fq);
}

/* Java's modified UTF-8, as ObjectOutputStream.writeUTF writes a String. */
static void
put_modified_utf8(struct buf *b, const unsigned char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] == 0) {
			buf_put(b, "\xc0\x80", 2);
		} else if (s[i] >= 0xf0 && i + 3 < n) {
			uint32_t cp = (uint32_t) (s[i] & 0x07) << 18 | (uint32_t) (s[i + 1] & 0x3f) << 12 |
				(uint32_t) (s[i + 2] & 0x3f) << 6 | (s[i + 3] & 0x3f);
			uint32_t u[2] = {0xd800 + ((cp - 0x10000) >> 10), 0xdc00 + ((cp - 0x10000) & 0x3ff)};

			for (int k = 0; k < 2; k++) {
				buf_putc(b, (char) (0xe0 | u[k] >> 12));
				buf_putc(b, (char) (0x80 | ((u[k] >> 6) & 0x3f)));
				buf_putc(b, (char) (0x80 | (u[k] & 0x3f)));
			}
			i += 3;
		} else
			buf_putc(b, (char) s[i]);
	}
}

/*
 * The bytes Debezium hashes: V1 (the default) is the Java serialization
 * of the String (stream header, TC_STRING or TC_LONGSTRING, length,
 * modified UTF-8), V2 the UTF-8 text.
 */
static void
hash_input(const struct colmap *m, const char *s, size_t n, struct buf *b)
{
	struct buf utf = BUF_INIT;
	int i;

	if (m->v2) {
		buf_put(b, s, n);
		return;
	}
	put_modified_utf8(&utf, (const unsigned char *) s, n);
	buf_put(b, "\xac\xed\x00\x05", 4);
	if (utf.len <= 0xffff) {
		buf_putc(b, 0x74);
		buf_putc(b, (char) (utf.len >> 8));
		buf_putc(b, (char) utf.len);
	} else {
		buf_putc(b, 0x7c);
		for (i = 7; i >= 0; i--)
			buf_putc(b, (char) ((uint64_t) utf.len >> (8 * i)));
	}
	buf_put(b, utf.data, utf.len);
	buf_free(&utf);
}

/* Length of the first UTF-8 sequence at s, 1 for a stray byte. */
static size_t
utf8_len(unsigned char c)
{
	return c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
}

void
colmap_value(const struct colmap *m, size_t maxlen, const char *s, size_t n, struct buf *out)
{
	size_t i, units;

	if (m->kind == MAP_MASK) {
		buf_putc(out, '"');
		for (int k = 0; k < m->n; k++)
			buf_putc(out, '*');
		buf_putc(out, '"');
		return;
	}
	if (s == NULL) {
		buf_puts(out, "null");
		return;
	}
	if (m->kind == MAP_HASH) {
		struct sha256 h;
		struct buf in = BUF_INIT;
		unsigned char d[32];
		char hex[65];

		sha256_init(&h);
		sha256_update(&h, m->salt, strlen(m->salt));
		hash_input(m, s, n, &in);
		sha256_update(&h, in.data, in.len);
		sha256_final(&h, d);
		for (i = 0; i < 32; i++)
			snprintf(hex + 2 * i, 3, "%02x", d[i]);
		json_put_str(out, hex, maxlen > 0 && maxlen < 64 ? maxlen : 64);
		buf_free(&in);
		return;
	}
	/* Truncation counts UTF-16 code units, as String.substring does. */
	for (i = 0, units = 0; i < n; i += utf8_len((unsigned char) s[i])) {
		units += utf8_len((unsigned char) s[i]) == 4 ? 2 : 1;
		if (units > (size_t) m->n)
			break;
	}
	json_put_str(out, s, i < n ? i : n);
	if (i < n && units == (size_t) m->n + 1 && utf8_len((unsigned char) s[i]) == 4 && i + 3 < n) {
		/* The cut keeps a lone high surrogate, which Jackson escapes. */
		const unsigned char *u = (const unsigned char *) s + i;
		uint32_t cp = (uint32_t) (u[0] & 0x07) << 18 | (uint32_t) (u[1] & 0x3f) << 12 |
			(uint32_t) (u[2] & 0x3f) << 6 | (u[3] & 0x3f);

		out->len--;
		buf_printf(out, "\\u%04X\"", (unsigned) (0xd800 + ((cp - 0x10000) >> 10)));
	}
}
