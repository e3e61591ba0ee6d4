/*
 * buf.h - a growable byte buffer and the JSON writer built on it.
 *
 * Every command assembles its output lines here and hands whole lines to
 * out.h, so a line is either written entirely or not at all.  The string
 * escaping matches Jackson's defaults (what Kafka Connect's JsonConverter
 * emits): '"' and '\\' escaped, control characters as \b \t \n \f \r or
 * \u00XX with upper-case hex, '/' and non-ASCII written raw.
 */
#ifndef WALPIPE_BUF_H
#define WALPIPE_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct buf {
	char *data;
	size_t len;
	size_t cap;
};

#define BUF_INIT \
	{ \
		NULL, 0, 0 \
	}

/* Allocation failure is fatal (EX_OSERR): callers never check. */
void buf_grow(struct buf *b, size_t extra);
void buf_free(struct buf *b);

/*
 * Room for extra more bytes (and buf_cstr's NUL).  The appenders are
 * inline: every output line is built from hundreds of small appends.
 */
static inline void
buf_reserve(struct buf *b, size_t extra)
{
	if (b->len + extra + 1 > b->cap)
		buf_grow(b, extra);
}

static inline void
buf_reset(struct buf *b)
{
	b->len = 0;
}

static inline void
buf_put(struct buf *b, const void *p, size_t n)
{
	buf_reserve(b, n);
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

static inline void
buf_puts(struct buf *b, const char *s)
{
	buf_put(b, s, strlen(s));
}

static inline void
buf_putc(struct buf *b, char c)
{
	buf_reserve(b, 1);
	b->data[b->len++] = c;
}

void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_put_i64(struct buf *b, int64_t v);
void buf_put_u64(struct buf *b, uint64_t v);

/*
 * Appends everything readable from fd up to end of file; false on a read
 * error (errno set).  The contents stay NUL-terminated (buf_cstr).
 */
bool buf_read_fd(struct buf *b, int fd);

/* Returns a NUL-terminated view of the contents (the NUL is not counted). */
const char *buf_cstr(struct buf *b);

/*
 * JSON string: the quotes and Jackson-compatible escapes around s[0..n).
 * Characters outside the BMP stay raw UTF-8 unless json_set_escape_astral
 * (true) was called; then they are written as Jackson writes them to
 * bytes, an escaped surrogate pair (\uD83D\uDE00).  Kafka records need
 * that; change lines do not.
 */
void json_set_escape_astral(bool on);
void json_put_str(struct buf *b, const char *s, size_t n);
void json_put_cstr(struct buf *b, const char *s);
/* Escapes s[0..n) without the surrounding quotes. */
void json_put_escaped(struct buf *b, const char *s, size_t n);
/*
 * json_put_str() that always leaves characters outside the BMP as they
 * are, as Jackson's writeValueAsString() (a char-based writer) does.
 */
void json_put_str_utf8(struct buf *b, const char *s, size_t n);

/* Standard base64 with padding, as Java's Base64 and JsonConverter write. */
void base64_put(struct buf *b, const unsigned char *p, size_t n);

/*
 * Appends the bytes of base64 text (standard or URL-safe alphabet, padding
 * optional); false on a character outside it or an impossible length.
 */
bool base64_decode(const char *s, size_t n, struct buf *out);

/* Value of a hexadecimal digit, or -1. */
int hex_digit(char c);

/* s without its leading and trailing white space, cut in place. */
char *str_trim(char *s);

/* Allocation helpers that exit EX_OSERR on failure. */
void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

#endif
