/*
 * row.c - column values and rows: each value of a row object converted
 * from PostgreSQL's text by its column's kind (convert.h), nulls written
 * as JsonConverter writes the schema default, unchanged TOASTed values as
 * Debezium's placeholder, and what Debezium cannot convert reported once.
 */
#include "row.h"

#include <string.h>

#include "convert.h"
#include "convnum.h"
#include "convtime.h"
#include "dbzvocab.h"
#include "log.h"

/* Value of a NOT NULL column without value or default (convertValue's fallback). */
static const char *
fallback_json(const struct col *col)
{
	if (col->is_array)
		return "[]";
	switch (col->t.kind) {
		case K_BOOL:
		case K_BIT_BOOL: return "false";
		case K_FLOAT:
		case K_NUM_DOUBLE: return "0.0";
		case K_DECIMAL: return "\"AA==\"";
		case K_VARSCALE: return "{\"scale\":0,\"value\":\"AA==\"}";
		case K_STRING:
		case K_NUM_STRING:
		case K_MONEY_STRING:
		case K_BYTEA:
		case K_BITS:
		case K_BYTEA_MODE:
		case K_INTERVAL_ISO: return "\"\"";
		case K_HSTORE_MAP: return "{}";
		case K_HSTORE: return "\"{}\"";
		case K_TIMETZ: return "\"00:00:00Z\"";
		case K_TSTZ: return "\"1970-01-01T00:00:00Z\"";
		case K_POINT: return "null";
		default: return "0";
	}
}

void
put_toast(const struct col *col, struct buf *out)
{
	enum kind k = col->t.kind;

	if (col->is_array) {
		if (k == K_INT || k == K_DATE) {
			/* The placeholder's bytes, as numbers. */
			static const char ph[] = DBZ_UNAVAILABLE;

			for (size_t i = 0; i < sizeof ph - 1; i++) {
				buf_putc(out, i == 0 ? '[' : ',');
				buf_put_i64(out, ph[i]);
			}
			buf_putc(out, ']');
		} else if (k == K_BYTEA)
			PUTL(out, "[\"" DBZ_UNAVAILABLE_BASE64 "\"]");
		else
			PUTL(out, "[\"" DBZ_UNAVAILABLE "\"]");
	} else if (k == K_BYTEA)
		PUTL(out, "\"" DBZ_UNAVAILABLE_BASE64 "\"");
	else if (k == K_HSTORE)
		json_put_cstr(out, DBZ_UNAVAILABLE_HSTORE);
	else
		PUTL(out, "\"" DBZ_UNAVAILABLE "\"");
}

struct arr_ctx {
	struct env *e;
	const struct tdesc *d;
	struct buf *out;
	bool first;
	const char *why; /* an element Debezium cannot convert: why */
};

static bool
put_elem(void *arg, const char *s, size_t n)
{
	struct arr_ctx *a = arg;

	if (!a->first)
		buf_putc(a->out, ',');
	a->first = false;
	if (s == NULL && a->d->name && strcmp(a->d->name, DBZ_NAME(DBZ_LTREE)) == 0) {
		a->why = "an ltree array with a NULL element";
		return false;
	}
	if (s == NULL) {
		PUTL(a->out, "null");
		return true;
	}
	/* Array dates take another path in Debezium: java.sql.Date's infinities. */
	if (a->d->kind == K_DATE && n == 8 && memcmp(s, "infinity", 8) == 0) {
		PUTL(a->out, "-622191234");
		return true;
	}
	if (a->d->kind == K_DATE && n == 9 && memcmp(s, "-infinity", 9) == 0) {
		PUTL(a->out, "-625821272");
		return true;
	}
	/* ... and so do the others of java.sql's types. */
	if (a->d->kind == K_DATE || a->d->kind == K_TS_US || a->d->kind == K_TS_MS) {
		int64_t v;

		if (a->d->kind == K_DATE ? !conv_date_array_elem(s, n, &v)
								 : (n == 8 && memcmp(s, "infinity", 8) == 0) ||
					(n == 9 && memcmp(s, "-infinity", 9) == 0) ||
					!conv_timestamp_array_elem(s, n, &v))
			return put_text_value(a->e->c, a->d, s, n, a->out);
		if (a->d->kind == K_TS_MS)
			v = v / 1000 - (v % 1000 < 0);
		buf_put_i64(a->out, v);
		return true;
	}
	if (a->d->kind == K_TSTZ)
		return conv_timestamptz_array_elem(s, n, a->d->scale, a->out);
	if (a->d->kind == K_TIME_US && a->d->scale <= 3) {
		/* Its items are MicroTime, its elements Time's milliseconds. */
		a->why = "an array of time(0) to time(3)";
		return false;
	}
	if (a->d->kind == K_TIME_US) {
		int64_t v;

		if (!conv_time(s, n, &v))
			return false;
		buf_put_i64(a->out, v % (INT64_C(86400000000)) / 1000 * 1000);
		return true;
	}
	return put_text_value(a->e->c, a->d, s, n, a->out);
}

void
slice_text(struct env *e, struct json_slice v, const char **s, size_t *n)
{
	if (json_type_of(v) != JSON_STRING) {
		*s = v.p;
		*n = v.n;
	} else if (json_str_is_plain(v)) {
		*s = v.p + 1;
		*n = v.n - 2;
	} else {
		buf_reset(&e->scratch);
		json_str_decode(v, &e->scratch);
		*s = buf_cstr(&e->scratch);
		*n = e->scratch.len;
	}
}

static bool
bad_value(struct env *e, const struct col *col, struct json_slice v)
{
	const struct tdesc *d = col->is_array ? &col->elem : &col->t;
	bool special =
		json_type_of(v) == JSON_STRING && v.n > 2 && conv_is_special_number(v.p + 1, v.n - 2);

	return env_fail(e, "column \"%s\": %.*s is not a valid %s value%s", col->name,
					(int) (v.n > 60 ? 60 : v.n), v.p, col->typname,
					special && (d->kind == K_DECIMAL || d->kind == K_VARSCALE)
						? " with --decimal precise (use --decimal double or string)"
						: "");
}

/* A column of column.mask.* or column.truncate.*: a string, or null. */
static bool
put_mapped(struct env *e, const struct col *col, struct json_slice v, enum json_type ty,
		   struct buf *out)
{
	const char *s = NULL;
	size_t n = 0;

	if (ty == JSON_OBJECT) {
		/* An unchanged TOASTed value is not known: its placeholder, mapped. */
		s = DBZ_UNAVAILABLE;
		n = strlen(s);
	} else if (ty == JSON_STRING)
		slice_text(e, v, &s, &n);
	else if (ty != JSON_NULL)
		return bad_value(e, col, v);
	colmap_value(col->map, col->map_len, s, n, out);
	return true;
}

/* Counts the top-level elements of a multidimensional array literal. */
static size_t
count_subarrays(const char *s, size_t n)
{
	size_t count = 0, i;
	int depth = 0;
	bool quoted = false;

	for (i = 0; i < n; i++) {
		if (quoted) {
			if (s[i] == '\\')
				i++;
			else if (s[i] == '"')
				quoted = false;
		} else if (s[i] == '"')
			quoted = true;
		else if (s[i] == '{' && ++depth == 2)
			count++;
		else if (s[i] == '}')
			depth--;
	}
	return count;
}

static bool
has_special_elem(void *arg, const char *s, size_t n)
{
	(void) arg;
	return s == NULL || !conv_is_special_number(s, n);
}

/*
 * A value PostgreSQL stores but Debezium cannot convert: sets *json to
 * what Debezium writes (NULL: the column's null) and warns once per
 * column, returning 1; with --on-unsupported-value=fail, reports it and
 * returns -1.  Returns 0 when the text is no such value (it is invalid).
 */
static int
unsupported(struct env *e, const struct col *col, const char *elem_why, const char *s, size_t n,
			const char **json, struct buf *tmp)
{
	const struct tdesc *d = col->is_array ? &col->elem : &col->t;
	const char *why;
	int64_t v;

	*json = NULL;
	if (elem_why || col->unconvertible)
		why = elem_why ? elem_why : col->unconvertible;
	else if (col->is_array && n > 1 && s[1] == '{') {
		/* Each sub-array is an element Debezium cannot convert: null. */
		size_t k = count_subarrays(s, n);

		why = "a multidimensional array";
		buf_putc(tmp, '[');
		while (k-- > 0)
			buf_puts(tmp, k ? "null," : "null");
		buf_putc(tmp, ']');
		*json = buf_cstr(tmp);
	} else if (col->is_array && (d->kind == K_DECIMAL || d->kind == K_VARSCALE) &&
			   !conv_array_split(s, n, has_special_elem, NULL))
		why = "NaN or Infinity in a decimal array";
	else if (col->is_array)
		return 0;
	else if ((d->kind == K_DECIMAL || d->kind == K_VARSCALE) && conv_is_special_number(s, n))
		why = "NaN or Infinity as a decimal (use --decimal double or string)";
	else if (d->kind == K_INTERVAL && conv_interval(s, n, &v)) {
		why = "an interval past the range of int64 microseconds";
		buf_put_i64(tmp, v);
		*json = buf_cstr(tmp);
	} else if (d->kind == K_TS_US && conv_timestamp_java(s, n, &v)) {
		why = "a timestamp past the range of int64 microseconds";
		buf_put_i64(tmp, v);
		*json = buf_cstr(tmp);
	} else if (d->kind == K_TS_MS && conv_timestamp_java(s, n, &v))
		why = "a timestamp past the range of int64 milliseconds";
	else
		return 0;
	if (e->c->unsupported_fail) {
		env_fail(e, "column \"%s\".\"%s\".\"%s\": %.*s is %s, which Debezium cannot convert",
				 col->owner->schema, col->owner->name, col->name, (int) (n > 60 ? 60 : n), s, why);
		return -1;
	}
	if (!col->warned) {
		log_warn("column \"%s\".\"%s\".\"%s\": %.*s is %s: written as %s, as Debezium does",
				 col->owner->schema, col->owner->name, col->name, (int) (n > 60 ? 60 : n), s, why,
				 *json ? *json : "null");
		/* The warning flag is the only state writing a value changes. */
		((struct col *) col)->warned = true;
	}
	return 1;
}

/* The JSON of a column's SQL NULL: its default, as JsonConverter writes it. */
static void
put_null(const struct col *col, struct buf *out)
{
	if (col->default_json)
		buf_puts(out, col->default_json);
	else
		buf_puts(out, col->optional ? "null" : fallback_json(col));
}

/*
 * After a conversion failed at out->len == mark: Debezium's substitute,
 * or the error.
 */
static bool
put_unconvertible(struct env *e, const struct col *col, const char *elem_why, struct json_slice v,
				  const char *s, size_t n, size_t mark, struct buf *out)
{
	struct buf tmp = BUF_INIT;
	const char *json;
	int r;

	out->len = mark;
	r = unsupported(e, col, elem_why, s, n, &json, &tmp);
	if (r > 0 && json)
		buf_puts(out, json);
	else if (r > 0)
		put_null(col, out);
	else if (r == 0)
		bad_value(e, col, v);
	buf_free(&tmp);
	return r > 0;
}

/* Writes one column value; v.n == 0 means absent. */
static bool
put_value(struct env *e, const struct col *col, struct json_slice v, struct buf *out)
{
	enum json_type ty = v.n == 0 || col->no_value ? JSON_NULL : json_type_of(v);
	const char *s;
	size_t n, mark = out->len;

	if (col->map)
		return put_mapped(e, col, v, ty, out);
	if (ty == JSON_NULL) {
		/* JsonConverter writes the schema default for null (replace.null.with.default). */
		put_null(col, out);
		return true;
	}
	if (ty == JSON_OBJECT) {
		struct json_slice tv;

		if (json_obj_get(v, "toast", &tv) && json_str_eq(tv, "unchanged")) {
			put_toast(col, out);
			return true;
		}
		return bad_value(e, col, v);
	}
	if (col->unconvertible) {
		slice_text(e, v, &s, &n);
		return put_unconvertible(e, col, NULL, v, s, n, mark, out);
	}
	if (col->is_array) {
		struct arr_ctx a = {e, &col->elem, out, true, NULL};

		if (ty != JSON_STRING)
			return bad_value(e, col, v);
		slice_text(e, v, &s, &n);
		buf_putc(out, '[');
		if (!conv_array_split(s, n, put_elem, &a))
			return put_unconvertible(e, col, a.why, v, s, n, mark, out);
		buf_putc(out, ']');
		return true;
	}
	switch (col->t.kind) {
		case K_BOOL:
			if (ty == JSON_TRUE || ty == JSON_FALSE) {
				buf_put(out, v.p, v.n);
				return true;
			}
			break;
		case K_INT:
			if (ty == JSON_NUMBER) {
				if (!conv_int_fits(&col->t, v.p, v.n))
					return bad_value(e, col, v);
				buf_put(out, v.p, v.n);
				return true;
			}
			break;
		case K_STRING:
			if (ty == JSON_STRING && json_str_is_jackson(v)) {
				/* Nothing to re-escape: the input's bytes are Jackson's. */
				buf_put(out, v.p, v.n);
				return true;
			}
			break;
		default: break;
	}
	if (ty != JSON_STRING && ty != JSON_NUMBER)
		return bad_value(e, col, v);
	if (col->t.kind == K_BYTEA && v.n >= 4 && memcmp(v.p, "\"\\\\x", 4) == 0 &&
		memchr(v.p + 4, '\\', v.n - 4) == NULL) {
		/* "\\x<hex>": its one escape undone in place, not in a copy. */
		s = v.p + 2;
		n = v.n - 3;
	} else
		slice_text(e, v, &s, &n);
	if (!put_text_value(e->c, &col->t, s, n, out))
		return put_unconvertible(e, col, NULL, v, s, n, mark, out);
	return true;
}

static int
find_col(const struct table *t, struct json_slice k, int from, int to)
{
	for (int i = from; i < to; i++)
		if (t->cols[i].qname.n == k.n && memcmp(t->cols[i].qname.p, k.p, k.n) == 0)
			return i;
	return -1;
}

/* Both in table order, usually; absent members are absent columns. */
bool
index_row(struct env *e, const struct table *t, struct json_slice row, const char *what,
		  struct json_slice *vals)
{
	struct json_iter it;
	struct json_slice k, v;
	int j = 0;

	if (t->ncols > 0)
		memset(vals, 0, (size_t) t->ncols * sizeof *vals);
	if (json_type_of(row) != JSON_OBJECT)
		return env_fail(e, "\"%s\" is a %s, not an object", what,
						json_type_name(json_type_of(row)));
	json_iter_init(&it, row);
	while (json_obj_next(&it, &k, &v)) {
		int i = find_col(t, k, j, t->ncols);

		if (i < 0)
			i = find_col(t, k, 0, j); /* out of order */
		if (i < 0)
			return env_fail(e, "\"%s\" has %.*s, which is not in \"columns\"", what, (int) k.n,
							k.p);
		vals[i] = v;
		j = i + 1;
	}
	return true;
}

bool
put_row(struct env *e, const struct table *t, const struct json_slice *vals, const char *deleted,
		struct buf *out)
{
	bool first = true;

	if (vals == NULL) {
		PUTL(out, "null");
		return true;
	}
	buf_putc(out, '{');
	for (int i = 0; i < t->ncols; i++) {
		const struct col *col = &t->cols[i];

		if (col->omit)
			continue;
		if (!first)
			buf_putc(out, ',');
		first = false;
		buf_put(out, col->jkey, col->jkey_n);
		if (!put_value(e, col, vals[i], out))
			return false;
	}
	if (deleted) {
		if (!first)
			buf_putc(out, ',');
		PUTL(out, "\"__deleted\":\"");
		buf_puts(out, deleted);
		buf_putc(out, '"');
	}
	buf_putc(out, '}');
	return true;
}

bool
put_key_payload(struct env *e, const struct table *t, const struct json_slice *vals,
				struct buf *out)
{
	buf_putc(out, '{');
	for (int i = 0; i < t->nkey; i++) {
		const struct col *col = &t->cols[t->key[i]];

		if (i > 0)
			buf_putc(out, ',');
		buf_put(out, col->jkey, col->jkey_n);
		if (col->map) {
			/* Debezium masks and truncates value fields only. */
			struct col plain = *col;

			plain.map = NULL;
			if (!put_value(e, &plain, vals[t->key[i]], out))
				return false;
		} else if (!put_value(e, col, vals[t->key[i]], out))
			return false;
	}
	buf_putc(out, '}');
	return true;
}

bool
put_key(struct env *e, const struct table *t, const struct json_slice *vals, struct buf *out)
{
	if (t->nkey == 0) {
		PUTL(out, "null");
		return true;
	}
	if (e->c->key_schemas) {
		PUTL(out, "{\"schema\":");
		buf_put(out, t->key_schema.data, t->key_schema.len);
		PUTL(out, ",\"payload\":");
	}
	if (!put_key_payload(e, t, vals, out))
		return false;
	if (e->c->key_schemas)
		buf_putc(out, '}');
	return true;
}

bool
key_changed(const struct table *t, const struct json_slice *a, const struct json_slice *b)
{
	for (int i = 0; i < t->nkey; i++) {
		struct json_slice x = a[t->key[i]], y = b[t->key[i]];

		if (x.n == 0)
			continue; /* not in the old tuple: unknown, not changed */
		if (x.n != y.n || memcmp(x.p, y.p, x.n) != 0)
			return true;
	}
	return false;
}
