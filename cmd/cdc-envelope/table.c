/*
 * table.c - the per-table cache: found by schema and table name, built
 * from a change line's "columns" (column descriptions, types, defaults,
 * key), and rebuilt only when the raw bytes of "columns" change (ALTER
 * TABLE).  The schema JSON is schema.c's, the type mapping typemap.c's.
 */
#include "table.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "convert.h"
#include "log.h"
#include "schema.h"
#include "typemap.h"

/* Characters outside [A-Za-z0-9._-] become '_', as in Debezium's topic names. */
static void
sanitize(struct buf *b)
{
	for (size_t i = 0; i < b->len; i++) {
		char ch = b->data[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
			  ch == '.' || ch == '_' || ch == '-'))
			b->data[i] = '_';
	}
}

static char *
schema_name_json(const struct table *t, const char *prefix, const char *suffix)
{
	struct buf n = BUF_INIT, j = BUF_INIT;
	char *s;

	buf_puts(&n, prefix);
	buf_putc(&n, '.');
	buf_puts(&n, t->schema);
	buf_putc(&n, '.');
	buf_puts(&n, t->name);
	sanitize(&n);
	buf_puts(&n, suffix);
	json_put_str(&j, n.data, n.len);
	s = xstrndup(j.data, j.len);
	buf_free(&n);
	buf_free(&j);
	return s;
}

static void
make_topic(struct table *t, const struct env_conf *c)
{
	const char *tpl = c->topic_template ? c->topic_template : "${prefix}.${schema}.${table}";
	struct buf n = BUF_INIT;

	while (*tpl) {
		if (strncmp(tpl, "${prefix}", 9) == 0)
			buf_puts(&n, c->prefix), tpl += 9;
		else if (strncmp(tpl, "${schema}", 9) == 0)
			buf_puts(&n, t->schema), tpl += 9;
		else if (strncmp(tpl, "${table}", 8) == 0)
			buf_puts(&n, t->name), tpl += 8;
		else
			buf_putc(&n, *tpl++);
	}
	sanitize(&n);
	json_put_str(&t->topic, n.data, n.len);
	buf_free(&n);
}

static unsigned
hash_slices(struct json_slice a, struct json_slice b)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < a.n; i++)
		h = (h ^ (unsigned char) a.p[i]) * 16777619u;
	for (i = 0; i < b.n; i++)
		h = (h ^ (unsigned char) b.p[i]) * 16777619u;
	return h % TABLE_NBUCKETS;
}

/* Decodes a JSON string slice (with quotes, no \u0000) into a malloc'd C string. */
static char *
decode_str(struct json_slice s)
{
	struct buf b = BUF_INIT;
	char *r;

	json_str_decode(s, &b);
	r = xstrndup(b.data ? b.data : "", b.len);
	buf_free(&b);
	return r;
}

static bool
same_table(const struct table *t, struct json_slice schema, struct json_slice table)
{
	return t->schema_n == schema.n && t->table_n == table.n &&
		memcmp(t->schema_raw, schema.p, schema.n) == 0 &&
		memcmp(t->table_raw, table.p, table.n) == 0;
}

struct table *
table_get(struct table_cache *tc, const struct env_conf *c, struct json_slice schema,
		  struct json_slice table)
{
	struct table *t = tc->last;
	struct buf b = BUF_INIT;
	unsigned h;

	if (t && same_table(t, schema, table))
		return t;
	h = hash_slices(schema, table);
	for (t = tc->buckets[h]; t; t = t->next)
		if (same_table(t, schema, table))
			return tc->last = t;
	t = xcalloc(1, sizeof *t);
	t->schema_raw = xstrndup(schema.p, schema.n);
	t->schema_n = schema.n;
	t->table_raw = xstrndup(table.p, table.n);
	t->table_n = table.n;
	t->schema = decode_str(schema);
	t->name = decode_str(table);
	buf_puts(&b, t->schema);
	buf_putc(&b, '.');
	buf_puts(&b, t->name);
	t->fqname = xstrndup(b.data, b.len);
	json_put_str(&t->coll, b.data, b.len);
	buf_free(&b);
	t->included = (c->ninclude == 0 || conf_matches(t->fqname, c->include, c->ninclude)) &&
		!conf_matches(t->fqname, c->exclude, c->nexclude) &&
		(c->nschema_include == 0 ||
		 conf_matches(t->schema, c->schema_include, c->nschema_include)) &&
		!conf_matches(t->schema, c->schema_exclude, c->nschema_exclude);
	t->name_key_json = schema_name_json(t, c->prefix, ".Key");
	t->name_value_json = schema_name_json(t, c->prefix, ".Value");
	t->name_envelope_json = schema_name_json(t, c->prefix, ".Envelope");
	make_topic(t, c);
	buf_puts(&t->src_tail, ",\"schema\":");
	json_put_cstr(&t->src_tail, t->schema);
	buf_puts(&t->src_tail, ",\"table\":");
	json_put_cstr(&t->src_tail, t->name);
	t->next = tc->buckets[h];
	tc->buckets[h] = t;
	return tc->last = t;
}

static void
table_free(struct table *t)
{
	table_clear(t);
	free(t->schema_raw);
	free(t->table_raw);
	free(t->schema);
	free(t->name);
	free(t->fqname);
	free(t->name_key_json);
	free(t->name_value_json);
	free(t->name_envelope_json);
	buf_free(&t->topic);
	buf_free(&t->coll);
	buf_free(&t->src_tail);
	buf_free(&t->key_schema);
	buf_free(&t->value_schema);
	buf_free(&t->row_schema);
	buf_free(&t->rewrite_schema);
	buf_free(&t->flat_schema);
	free(t);
}

void
table_cache_free(struct table_cache *tc)
{
	for (int i = 0; i < TABLE_NBUCKETS; i++) {
		struct table *t = tc->buckets[i], *next;

		for (; t; t = next) {
			next = t->next;
			table_free(t);
		}
		tc->buckets[i] = NULL;
	}
	tc->last = NULL;
}

/*
 * PostgresDefaultValueConverter: only the types it has a mapper for get a
 * default (not domains, arrays, money, bytea, timetz ...).  A default
 * that calls a function (nextval(...), now()) or names the current time
 * becomes the type's placeholder; otherwise the value is the text between
 * the first two single quotes, or the raw expression when it has none.
 * Returns the default as JSON (malloc'd) or NULL when there is none.
 */
static char *
default_json(const struct col *col, const char *expr, const struct env_conf *c)
{
	static const char *const now_words[] = {"current_timestamp", "current_time",   "current_date",
											"localtime",		 "localtimestamp", NULL};
	static const struct {
		const char *type;
		const char *placeholder;
	} mappers[] = {
		{"bool", "false"},
		{"int2", "0"},
		{"int4", "0"},
		{"int8", "0"},
		{"numeric", "0.0"},
		{"float4", "0.0"},
		{"float8", "0.0"},
		{"bpchar", ""},
		{"varchar", ""},
		{"text", ""},
		{"xml", ""},
		{"json", "{}"},
		{"jsonb", "{}"},
		{"uuid", "00000000-0000-0000-0000-000000000000"},
		{"date", "1970-01-01"},
		{"time", "00:00:00"},
		{"timestamp", "1970-01-01 00:00:00"},
		{"timestamptz", "1970-01-01 00:00:00+00"},
		{"interval", "epoch"},
		{"bit", "00"},
		{"varbit", "0"},
	};
	const char *placeholder = NULL, *q, *typ = col->typname;
	struct buf lit = BUF_INIT, out = BUF_INIT;
	size_t i = 0, n;
	bool is_func, known = col->has_enum, ok = true;
	char *res = NULL;

	/* A VariableScaleDecimal struct "can't be used as default value". */
	if (col->is_array || col->has_domain || col->t.kind == K_VARSCALE)
		return NULL;
	for (size_t k = 0; !known && k < sizeof mappers / sizeof mappers[0]; k++)
		if (strcmp(typ, mappers[k].type) == 0) {
			placeholder = mappers[k].placeholder;
			known = true;
		}
	if (!known)
		return NULL;
	while (*expr == ' ')
		expr++;
	n = strlen(expr);
	/* ^[(]?[A-Za-z0-9_.]+\((.+)?\) */
	if (expr[i] == '(')
		i++;
	{
		size_t start = i;

		while (i < n && (isalnum((unsigned char) expr[i]) || expr[i] == '_' || expr[i] == '.'))
			i++;
		is_func = i > start && i < n && expr[i] == '(' && strchr(expr + i, ')') != NULL;
	}
	for (const char *const *w = now_words; !is_func && *w; w++)
		is_func = strcasecmp(expr, *w) == 0;
	if (col->has_enum) {
		/* extractEnumDefault: 'label'::enumtype only */
		size_t tl = strlen(typ);

		if (is_func || n < tl + 4 || expr[0] != '\'' || expr[n - tl - 3] != '\'' ||
			strncmp(expr + n - tl - 2, "::", 2) != 0 || strcmp(expr + n - tl, typ) != 0)
			return NULL;
		buf_put(&lit, expr + 1, n - tl - 4);
	} else if (is_func)
		buf_puts(&lit, placeholder);
	else if ((q = strchr(expr, '\'')) == NULL) {
		if (strncmp(expr, "NULL::", 6) == 0)
			return NULL;
		buf_put(&lit, expr, n);
	} else {
		const char *close = strchr(q + 1, '\'');

		ok = close != NULL;
		if (ok)
			buf_put(&lit, q + 1, (size_t) (close - q - 1));
	}
	if (ok)
		ok = put_text_value(c, &col->t, buf_cstr(&lit), lit.len, &out);
	if (ok && out.len > 0)
		res = xstrndup(out.data, out.len);
	buf_free(&lit);
	buf_free(&out);
	return res;
}

static void
col_free(struct col *col)
{
	free(col->name);
	free(col->jkey);
	free(col->typname);
	free(col->comment);
	free(col->default_json);
	free(col->t.params);
	free(col->elem.params);
	free(col->key_params);
	free(col->enum_allowed);
	free(col->default_expr_tmp);
}

void
table_clear(struct table *t)
{
	int i;

	for (i = 0; i < t->ncols; i++)
		col_free(&t->cols[i]);
	free(t->cols);
	free(t->cols_raw);
	free(t->key);
	t->cols = NULL;
	t->cols_raw = NULL;
	t->key = NULL;
	t->ncols = t->nkey = 0;
	buf_reset(&t->key_schema);
	buf_reset(&t->value_schema);
	buf_reset(&t->row_schema);
	buf_reset(&t->rewrite_schema);
	buf_reset(&t->flat_schema);
}

/* Joins the labels of an "enum" array with commas; NULL if one holds a NUL. */
static char *
join_enum(struct json_slice arr)
{
	struct json_iter it;
	struct json_slice v;
	struct buf b = BUF_INIT;
	char *s;

	json_iter_init(&it, arr);
	while (json_arr_next(&it, &v)) {
		if (b.len > 0)
			buf_putc(&b, ',');
		if (json_type_of(v) == JSON_STRING && !json_str_decode_text(v, &b)) {
			buf_free(&b);
			return NULL; /* a label holding \u0000 */
		}
	}
	s = xstrndup(b.data ? b.data : "", b.len);
	buf_free(&b);
	return s;
}

static bool
parse_col(struct json_slice obj, struct col *col, char *err, size_t errsize)
{
	struct json_iter it;
	struct json_slice k, v;
	struct buf tmp = BUF_INIT;
	int64_t i64;

	col->typmod = -1;
	col->optional = true;
	json_iter_init(&it, obj);
	while (json_obj_next(&it, &k, &v)) {
		enum json_type ty = json_type_of(v);

		if (json_str_eq(k, "name") && ty == JSON_STRING) {
			col->qname = v;
			free(col->name);
			free(col->jkey);
			col->name = col->jkey = NULL;
			buf_reset(&tmp);
			if (!json_str_decode_text(v, &tmp))
				goto nul;
			col->name = xstrndup(tmp.data ? tmp.data : "", tmp.len);
			buf_reset(&tmp);
			json_put_cstr(&tmp, col->name);
			buf_putc(&tmp, ':');
			col->jkey = xstrndup(tmp.data, tmp.len);
			col->jkey_n = tmp.len;
		} else if (json_str_eq(k, "type") && ty == JSON_STRING) {
			buf_reset(&tmp);
			if (!json_str_decode_text(v, &tmp))
				goto nul;
			free(col->typname);
			col->typname = xstrndup(tmp.data ? tmp.data : "", tmp.len);
		} else if (json_str_eq(k, "typmod") && json_to_i64(v, &i64))
			col->typmod = (int) i64;
		else if (json_str_eq(k, "key") && json_to_i64(v, &i64))
			col->key_ord = (int) i64;
		else if (json_str_eq(k, "optional"))
			col->optional = ty != JSON_FALSE;
		else if (json_str_eq(k, "default") && ty == JSON_STRING) {
			buf_reset(&tmp);
			if (!json_str_decode_text(v, &tmp))
				goto nul;
			free(col->default_expr_tmp);
			col->default_expr_tmp = xstrndup(tmp.data ? tmp.data : "", tmp.len);
		} else if (json_str_eq(k, "comment") && ty == JSON_STRING) {
			buf_reset(&tmp);
			if (!json_str_decode_text(v, &tmp))
				goto nul;
			free(col->comment);
			col->comment = xstrndup(tmp.data ? tmp.data : "", tmp.len);
		} else if (json_str_eq(k, "domain") && ty == JSON_STRING)
			col->has_domain = true;
		else if (json_str_eq(k, "enum") && ty == JSON_ARRAY) {
			col->has_enum = true;
			free(col->enum_allowed);
			if ((col->enum_allowed = join_enum(v)) == NULL)
				goto nul;
		}
	}
	buf_free(&tmp);
	if (col->name == NULL || col->typname == NULL) {
		snprintf(err, errsize, "a column without \"name\" or \"type\"");
		return false;
	}
	return true;

nul:
	buf_free(&tmp);
	snprintf(err, errsize, "a column's %.*s holds \\u0000", (int) k.n, k.p);
	return false;
}

static void
build_types(struct table *t, const struct env_conf *c)
{
	int i;

	for (i = 0; i < t->ncols; i++) {
		struct col *col = &t->cols[i];
		const char *typ = col->typname;

		col->owner = t;
		if (strcmp(typ, "_bit") == 0) {
			/* Debezium 2.7 gives bit(n)[] bit(n)'s schema, and converts none of its values. */
			col->omit = !map_scalar(typ + 1, col->typmod, NULL, c, &col->t);
			col->unconvertible = "a bit array";
		} else if (strcmp(typ, "_time") == 0 && c->time != TIME_CONNECT) {
			/* Items are MicroTime whatever the precision; time(0..3)'s elements fail. */
			col->is_array = true;
			map_scalar(typ + 1, -1, NULL, c, &col->elem);
			col->elem.scale = time_precision(col->typmod);
			col->t.kind = col->elem.kind;
		} else if (typ[0] == '_' && !col->has_enum) {
			col->is_array = true;
			col->omit =
				map_no_array(typ + 1) || !map_scalar(typ + 1, col->typmod, NULL, c, &col->elem);
			col->t.kind = col->elem.kind;
		} else if (typ[0] == '_') {
			col->is_array = true;
			col->omit = !map_scalar(typ + 1, -1, col->enum_allowed, c, &col->elem);
			col->t.kind = col->elem.kind;
		} else
			col->omit = !map_scalar(typ, col->typmod, col->enum_allowed, c, &col->t);
		/* Debezium's pgoutput value resolver has no case for "name": always null. */
		col->no_value = strcmp(typ, "name") == 0;
		if (!col->omit)
			colmap_bind(c, t, col);
		if (col->filtered) {
			col->omit = true;
			continue;
		}
		if (col->omit) {
			log_warn("column \"%s\".\"%s\".\"%s\" of type \"%s\" has no Debezium schema: left out",
					 t->schema, t->name, col->name, typ);
			continue;
		}
		if (col->default_expr_tmp)
			col->default_json = default_json(col, col->default_expr_tmp, c);
	}
	for (i = 0; i < t->ncols; i++) {
		free(t->cols[i].default_expr_tmp);
		t->cols[i].default_expr_tmp = NULL;
	}
}

/* Key columns: message.key.columns for this table, else the primary key. */
static bool
choose_key(struct table *t, const struct env_conf *c, char *err, size_t errsize)
{
	const struct keycols *kc;
	int i, j;

	t->key = xcalloc((size_t) t->ncols + 1, sizeof *t->key);
	kc = keycols_find(&c->keycols, t->fqname);
	if (kc) {
		for (j = 0; j < kc->ncols; j++) {
			int k;

			for (k = 0; k < t->ncols; k++)
				if (strcmp(t->cols[k].name, kc->cols[j]) == 0)
					break;
			if (k == t->ncols) {
				snprintf(err, errsize, "key column \"%s\" of --key-columns is not in table \"%s\"",
						 kc->cols[j], t->fqname);
				return false;
			}
			t->key[t->nkey++] = k;
		}
		return true;
	}
	for (j = 1; j <= t->ncols; j++)
		for (i = 0; i < t->ncols; i++)
			if (t->cols[i].key_ord == j && (!t->cols[i].omit || t->cols[i].filtered))
				t->key[t->nkey++] = i;
	return true;
}

bool
table_build(struct table *t, struct json_slice columns, const struct env_conf *c, char *err,
			size_t errsize)
{
	struct json_iter it;
	struct json_slice v;
	int cap = 8;

	table_clear(t);
	t->cols_raw = xmalloc(columns.n);
	memcpy(t->cols_raw, columns.p, columns.n);
	t->cols_n = columns.n;
	t->cols = xcalloc((size_t) cap, sizeof *t->cols);
	json_iter_init(&it, columns);
	while (json_arr_next(&it, &v)) {
		if (json_type_of(v) != JSON_OBJECT) {
			snprintf(err, errsize, "\"columns\" holds a %s, not an object",
					 json_type_name(json_type_of(v)));
			return false;
		}
		if (t->ncols == cap)
			t->cols = xrealloc(t->cols, (size_t) (cap *= 2) * sizeof *t->cols);
		memset(&t->cols[t->ncols], 0, sizeof *t->cols);
		if (!parse_col(v, &t->cols[t->ncols++], err, errsize))
			return false;
	}
	/* Names point into the line; keep them pointing into our copy. */
	for (int i = 0; i < t->ncols; i++)
		t->cols[i].qname.p = t->cols_raw + (t->cols[i].qname.p - columns.p);
	build_types(t, c);
	if (!choose_key(t, c, err, errsize))
		return false;
	schema_build(t, c);
	return true;
}
