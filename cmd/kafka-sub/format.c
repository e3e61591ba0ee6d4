/*
 * format.c - record lines from Kafka messages, embedding key and value
 * bytes unchanged whenever they are compact JSON.
 */
#include "format.h"

#include <string.h>

#include "connectjson.h"
#include "json.h"

bool
utf8_valid(const unsigned char *p, size_t n)
{
	return json_utf8_valid((const char *) p, n);
}

bool
embeddable_json(const char *p, size_t n)
{
	static struct connect_cache schemas; /* for the life of the process */
	struct connect_value v;

	if (n == 0 || (n == 4 && memcmp(p, "null", 4) == 0))
		return false;
	/* Leading white space is excluded here, trailing by the length check. */
	if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		return false;
	/* One pass validates and finds white space between tokens. */
	return connect_split(&schemas, p, p, p + n, NULL, NULL, &v, NULL) != NULL && v.whole.n == n &&
		!v.space;
}

/* Appends ,"name":<data>[,"name_encoding":"..."]. */
static void
put_data(struct buf *out, const char *name, const void *p, size_t n, bool force_base64)
{
	buf_putc(out, ',');
	buf_putc(out, '"');
	buf_puts(out, name);
	buf_puts(out, "\":");
	if (p == NULL) {
		buf_puts(out, "null");
		return;
	}
	if (embeddable_json(p, n)) {
		buf_put(out, p, n);
		return;
	}
	if (!force_base64 && utf8_valid(p, n)) {
		json_put_str(out, p, n);
		buf_printf(out, ",\"%s_encoding\":\"text\"", name);
		return;
	}
	buf_putc(out, '"');
	base64_put(out, p, n);
	buf_printf(out, "\",\"%s_encoding\":\"base64\"", name);
}

/* Header values are strings; if one is not UTF-8, all are base64. */
static void
put_headers(struct buf *out, const struct fmt_msg *m, bool force_base64)
{
	bool b64 = force_base64;
	size_t i;

	if (m->nheaders == 0)
		return;
	for (i = 0; i < m->nheaders && !b64; i++)
		if (m->headers[i].value && !utf8_valid(m->headers[i].value, m->headers[i].size))
			b64 = true;
	buf_puts(out, ",\"headers\":{");
	for (i = 0; i < m->nheaders; i++) {
		const struct fmt_header *h = &m->headers[i];

		if (i > 0)
			buf_putc(out, ',');
		json_put_cstr(out, h->name);
		buf_putc(out, ':');
		if (h->value == NULL)
			buf_puts(out, "null");
		else if (b64) {
			buf_putc(out, '"');
			base64_put(out, h->value, h->size);
			buf_putc(out, '"');
		} else
			json_put_str(out, h->value, h->size);
	}
	buf_putc(out, '}');
	if (b64)
		buf_puts(out, ",\"headers_encoding\":\"base64\"");
}

void
format_head(struct buf *out, const char *topic, int32_t partition)
{
	buf_puts(out, "{\"topic\":");
	json_put_cstr(out, topic);
	buf_puts(out, ",\"partition\":");
	buf_put_i64(out, partition);
	buf_puts(out, ",\"offset\":");
}

void
format_record(struct buf *out, const struct fmt_msg *m, bool force_base64)
{
	buf_reserve(out, m->key_len + m->value_len + 128);
	if (m->head)
		buf_put(out, m->head->data, m->head->len);
	else
		format_head(out, m->topic, m->partition);
	buf_put_i64(out, m->offset);
	if (m->timestamp >= 0) {
		buf_puts(out, ",\"timestamp\":");
		buf_put_i64(out, m->timestamp);
	}
	put_data(out, "key", m->key, m->key_len, force_base64);
	put_data(out, "value", m->value, m->value_len, force_base64);
	put_headers(out, m, force_base64);
	buf_putc(out, '}');
}

static void
newline_indent(struct buf *out, int depth)
{
	buf_putc(out, '\n');
	while (depth-- > 0)
		buf_puts(out, "  ");
}

void
format_pretty(struct buf *out, const char *p, size_t n)
{
	const char *end = p + n;
	int depth = 0;

	while (p < end) {
		char c = *p;
		const char *s = p;

		switch (c) {
			case '"':
				for (p++; p < end && *p != '"'; p++)
					if (*p == '\\')
						p++;
				p++;
				if (p > end)
					p = end;
				buf_put(out, s, (size_t) (p - s));
				continue;
			case '{':
			case '[':
				buf_putc(out, c);
				p++;
				if (p < end && (*p == '}' || *p == ']')) {
					buf_putc(out, *p++);
					continue;
				}
				newline_indent(out, ++depth);
				continue;
			case '}':
			case ']':
				newline_indent(out, --depth);
				buf_putc(out, c);
				break;
			case ',':
				buf_putc(out, c);
				newline_indent(out, depth);
				break;
			case ':': buf_puts(out, ": "); break;
			default: buf_putc(out, c);
		}
		p++;
	}
}
