/*
 * sqlident.c - quoted SQL identifiers, and destination table names.
 */
#include "sqlident.h"

#include <stdio.h>
#include <string.h>

/* Set from the command's settings before the first name is quoted. */
static bool quote_fold;

void
quote_set_fold(bool fold)
{
	quote_fold = fold;
}

void
quote_ident(struct buf *out, const char *name, size_t n)
{
	size_t i;

	buf_reserve(out, n + 2);
	buf_putc(out, '"');
	for (i = 0; i < n; i++) {
		if (name[i] == '"')
			buf_putc(out, '"');
		buf_putc(out,
				 quote_fold && name[i] >= 'A' && name[i] <= 'Z' ? (char) (name[i] - 'A' + 'a')
																: name[i]);
	}
	buf_putc(out, '"');
}

/*
 * "schema.table" -> "schema"."table"; as in the Debezium sink the name is
 * split at the first dot ([catalog.]schema.table is not supported: the
 * catalog is the database connected to).
 */
const char *
table_full_name(const char *name, struct buf *out)
{
	buf_reset(out);
	if (strchr(name, '.') == NULL)
		buf_puts(out, "public.");
	buf_puts(out, name);
	return buf_cstr(out);
}

void
quote_qualified(struct buf *out, const char *name)
{
	const char *dot = strchr(name, '.');

	if (dot == NULL) {
		quote_ident(out, name, strlen(name));
		return;
	}
	quote_ident(out, name, (size_t) (dot - name));
	buf_putc(out, '.');
	quote_ident(out, dot + 1, strlen(dot + 1));
}

bool
table_name_expand(const char *format, const char *topic, size_t topiclen, struct json_slice source,
				  struct buf *out, char *errbuf, size_t errsize)
{
	const char *p = format;

	while (*p) {
		const char *close;
		size_t i;

		if (p[0] != '$' || p[1] != '{' || (close = strchr(p, '}')) == NULL) {
			buf_putc(out, *p++);
			continue;
		}
		if ((size_t) (close - p) == 7 && memcmp(p, "${topic}", 8) == 0) {
			/* Debezium's DefaultTableNamingStrategy: dots become underscores. */
			for (i = 0; i < topiclen; i++)
				buf_putc(out, topic[i] == '.' ? '_' : topic[i]);
		} else if (strncmp(p, "${source.", 9) == 0) {
			char field[64];
			struct json_slice v;
			size_t fn = (size_t) (close - p) - 9;

			if (fn == 0 || fn >= sizeof field) {
				snprintf(errbuf, errsize, "bad placeholder in table name format \"%s\"", format);
				return false;
			}
			memcpy(field, p + 9, fn);
			field[fn] = '\0';
			if (source.n == 0 || !json_obj_get(source, field, &v) ||
				json_type_of(v) != JSON_STRING) {
				snprintf(errbuf, errsize, "record has no source.%s for the table name", field);
				return false;
			}
			if (!json_str_decode_text(v, out)) {
				snprintf(errbuf, errsize, "bad source.%s", field);
				return false;
			}
		} else {
			snprintf(errbuf, errsize, "unknown placeholder %.*s in table name format",
					 (int) (close - p + 1), p);
			return false;
		}
		p = close + 1;
	}
	if (out->len == 0) {
		snprintf(errbuf, errsize, "empty table name");
		return false;
	}
	return true;
}

bool
table_name_format_check(const char *format, char *errbuf, size_t errsize)
{
	const char *p = format;
	const char *close;

	if (*format == '\0') {
		snprintf(errbuf, errsize, "table name format is empty");
		return false;
	}
	for (; (p = strstr(p, "${")) != NULL && (close = strchr(p, '}')) != NULL; p = close + 1) {
		size_t n = (size_t) (close - p) + 1;

		if ((n == 8 && memcmp(p, "${topic}", 8) == 0) ||
			(strncmp(p, "${source.", 9) == 0 && n > 10 && n - 10 < 64))
			continue;
		snprintf(errbuf, errsize, "unknown placeholder %.*s in table name format \"%s\"", (int) n,
				 p, format);
		return false;
	}
	return true;
}
