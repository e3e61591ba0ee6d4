/*
 * schema.c - the per-table cache: column descriptions from a change
 * line's "columns", Debezium's type mapping, and the Key, Value and
 * Envelope schema JSON, built once per table and rebuilt only when the
 * raw bytes of "columns" change (ALTER TABLE).
 */
#include "table.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"

/* The io.debezium.connector.postgresql.Source struct of Debezium 2.7. */
const char	source_schema[] =
"{\"type\":\"struct\",\"fields\":[{\"type\":\"string\",\"optional\":false,\"field\":\"version\"},"
"{\"type\":\"string\",\"optional\":false,\"field\":\"connector\"},"
"{\"type\":\"string\",\"optional\":false,\"field\":\"name\"},"
"{\"type\":\"int64\",\"optional\":false,\"field\":\"ts_ms\"},"
"{\"type\":\"string\",\"optional\":true,\"name\":\"io.debezium.data.Enum\",\"version\":1,"
"\"parameters\":{\"allowed\":\"true,last,false,incremental\"},\"default\":\"false\",\"field\":\"snapshot\"},"
"{\"type\":\"string\",\"optional\":false,\"field\":\"db\"},"
"{\"type\":\"string\",\"optional\":true,\"field\":\"sequence\"},"
"{\"type\":\"int64\",\"optional\":true,\"field\":\"ts_us\"},"
"{\"type\":\"int64\",\"optional\":true,\"field\":\"ts_ns\"},"
"{\"type\":\"string\",\"optional\":false,\"field\":\"schema\"},"
"{\"type\":\"string\",\"optional\":false,\"field\":\"table\"},"
"{\"type\":\"int64\",\"optional\":true,\"field\":\"txId\"},"
"{\"type\":\"int64\",\"optional\":true,\"field\":\"lsn\"},"
"{\"type\":\"int64\",\"optional\":true,\"field\":\"xmin\"}],"
"\"optional\":false,\"name\":\"io.debezium.connector.postgresql.Source\",\"field\":\"source\"}";

static const char tx_block_schema[] =
"{\"type\":\"struct\",\"fields\":[{\"type\":\"string\",\"optional\":false,\"field\":\"id\"},"
"{\"type\":\"int64\",\"optional\":false,\"field\":\"total_order\"},"
"{\"type\":\"int64\",\"optional\":false,\"field\":\"data_collection_order\"}],"
"\"optional\":true,\"name\":\"event.block\",\"version\":1,\"field\":\"transaction\"}";

static const char envelope_tail[] =
"{\"type\":\"string\",\"optional\":false,\"field\":\"op\"},"
"{\"type\":\"int64\",\"optional\":true,\"field\":\"ts_ms\"},"
"{\"type\":\"int64\",\"optional\":true,\"field\":\"ts_us\"},"
"{\"type\":\"int64\",\"optional\":true,\"field\":\"ts_ns\"}";

static const char varscale_fields[] =
"[{\"type\":\"int32\",\"optional\":false,\"field\":\"scale\"},"
"{\"type\":\"bytes\",\"optional\":false,\"field\":\"value\"}]";

static const char point_fields[] =
"[{\"type\":\"double\",\"optional\":false,\"field\":\"x\"},"
"{\"type\":\"double\",\"optional\":false,\"field\":\"y\"},"
"{\"type\":\"bytes\",\"optional\":true,\"field\":\"wkb\"},"
"{\"type\":\"int32\",\"optional\":true,\"field\":\"srid\"}]";

static void
set(struct tdesc *d, enum kind k, const char *type, const char *name)
{
	d->kind = k;
	d->type = type;
	d->name = name;
	d->version = name != NULL ? 1 : 0;
}

static bool
in_list(const char *typ, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(typ, *list) == 0)
			return true;
	return false;
}

/* Precision of a time type from its typmod; -1 means the default, 6. */
static int
time_precision(int typmod)
{
	return typmod < 0 || typmod > 6 ? 6 : typmod;
}

/*
 * Debezium 2.7's PostgresValueConverter.schemaBuilder() for one scalar
 * type.  Returns false for the types it has no schema for (the column is
 * then left out of the events, as Debezium does).
 */
static bool
map_scalar(const char *typ, int typmod, const char *enum_allowed,
		   const struct env_conf *c, struct tdesc *d)
{
	static const char *const plain_strings[] = {
		"varchar", "text", "bpchar", "name", "char", "citext", "inet", "cidr",
		"macaddr", "macaddr8", "int4range", "int8range", "numrange", "tsrange",
		"tstzrange", "daterange", NULL
	};
	struct buf	p = BUF_INIT;

	memset(d, 0, sizeof *d);
	if (enum_allowed != NULL) {
		set(d, K_STRING, "string", "io.debezium.data.Enum");
		buf_puts(&p, "{\"allowed\":");
		json_put_cstr(&p, enum_allowed);
		buf_putc(&p, '}');
	} else if (strcmp(typ, "bool") == 0)
		set(d, K_BOOL, "boolean", NULL);
	else if (strcmp(typ, "int2") == 0)
		set(d, K_INT, "int16", NULL);
	else if (strcmp(typ, "int4") == 0)
		set(d, K_INT, "int32", NULL);
	else if (strcmp(typ, "int8") == 0 || strcmp(typ, "oid") == 0)
		set(d, K_INT, "int64", NULL);
	else if (strcmp(typ, "float4") == 0)
		set(d, K_FLOAT, "float", NULL);
	else if (strcmp(typ, "float8") == 0)
		set(d, K_FLOAT, "double", NULL);
	else if (strcmp(typ, "numeric") == 0 || strcmp(typ, "money") == 0) {
		bool		money = typ[0] == 'm';

		if (c->decimal == DEC_DOUBLE)
			set(d, K_NUM_DOUBLE, "double", NULL);
		else if (c->decimal == DEC_STRING)
			set(d, money ? K_MONEY_STRING : K_NUM_STRING, "string", NULL);
		else if (money) {
			set(d, K_DECIMAL, "bytes", "org.apache.kafka.connect.data.Decimal");
			d->scale = c->money_digits;
			buf_printf(&p, "{\"scale\":\"%d\"}", d->scale);
		} else if (typmod < 4) {
			set(d, K_VARSCALE, "struct", "io.debezium.data.VariableScaleDecimal");
			d->doc = "Variable scaled decimal";
			d->fields = varscale_fields;
		} else {
			int			prec = ((typmod - 4) >> 16) & 0xffff;

			d->scale = (typmod - 4) & 0xffff;
			set(d, K_DECIMAL, "bytes", "org.apache.kafka.connect.data.Decimal");
			buf_printf(&p, "{\"scale\":\"%d\",\"connect.decimal.precision\":\"%d\"}",
					   d->scale, prec);
		}
	} else if (in_list(typ, plain_strings))
		set(d, K_STRING, "string", NULL);
	else if (strcmp(typ, "bytea") == 0 && c->binary != BIN_BYTES)
		set(d, K_BYTEA_MODE, "string", NULL);
	else if (strcmp(typ, "bytea") == 0)
		set(d, K_BYTEA, "bytes", NULL);
	else if (strcmp(typ, "date") == 0)
		set(d, K_DATE, "int32", c->time == TIME_CONNECT ?
			"org.apache.kafka.connect.data.Date" : "io.debezium.time.Date");
	else if (strcmp(typ, "time") == 0) {
		if (c->time == TIME_CONNECT)
			set(d, K_TIME_MS, "int32", "org.apache.kafka.connect.data.Time");
		else if (time_precision(typmod) <= 3)
			set(d, K_TIME_MS, "int32", "io.debezium.time.Time");
		else
			set(d, K_TIME_US, "int64", "io.debezium.time.MicroTime");
	} else if (strcmp(typ, "timetz") == 0)
		set(d, K_TIMETZ, "string", "io.debezium.time.ZonedTime");
	else if (strcmp(typ, "timestamp") == 0) {
		if (c->time == TIME_CONNECT)
			set(d, K_TS_MS, "int64", "org.apache.kafka.connect.data.Timestamp");
		else if (time_precision(typmod) <= 3)
			set(d, K_TS_MS, "int64", "io.debezium.time.Timestamp");
		else
			set(d, K_TS_US, "int64", "io.debezium.time.MicroTimestamp");
	} else if (strcmp(typ, "timestamptz") == 0) {
		set(d, K_TSTZ, "string", "io.debezium.time.ZonedTimestamp");
		d->scale = time_precision(typmod);
	} else if (strcmp(typ, "interval") == 0 && c->interval_string)
		set(d, K_INTERVAL_ISO, "string", "io.debezium.time.Interval");
	else if (strcmp(typ, "interval") == 0)
		set(d, K_INTERVAL, "int64", "io.debezium.time.MicroDuration");
	else if (strcmp(typ, "uuid") == 0)
		set(d, K_STRING, "string", "io.debezium.data.Uuid");
	else if (strcmp(typ, "json") == 0 || strcmp(typ, "jsonb") == 0)
		set(d, K_STRING, "string", "io.debezium.data.Json");
	else if (strcmp(typ, "xml") == 0)
		set(d, K_STRING, "string", "io.debezium.data.Xml");
	else if (strcmp(typ, "ltree") == 0)
		set(d, K_STRING, "string", "io.debezium.data.Ltree");
	else if (strcmp(typ, "hstore") == 0 && c->hstore_map)
		set(d, K_HSTORE_MAP, "map", NULL);
	else if (strcmp(typ, "hstore") == 0)
		set(d, K_HSTORE, "string", "io.debezium.data.Json");
	else if (strcmp(typ, "bit") == 0 || strcmp(typ, "varbit") == 0) {
		int			len = typmod;

		if (len < 0)
			len = typ[0] == 'b' ? 1 : 2147483647;
		if (len <= 1)
			set(d, K_BIT_BOOL, "boolean", NULL);
		else {
			set(d, K_BITS, "bytes", "io.debezium.data.Bits");
			buf_printf(&p, "{\"length\":\"%d\"}", len);
		}
	} else if (strcmp(typ, "point") == 0) {
		set(d, K_POINT, "struct", "io.debezium.data.geometry.Point");
		d->doc = "Geometry (POINT)";
		d->fields = point_fields;
	} else
		return false;
	if (p.len > 0)
		d->params = xstrndup(p.data, p.len);
	buf_free(&p);
	return true;
}

/* Array element types Debezium 2.7 has no schema for. */
static const char *const no_array[] = {
	"money", "name", "interval", "varbit", "xml", "point", NULL
};

/*
 * Writes a Connect schema as JsonConverter does: type, fields/items,
 * optional, name, version, doc, parameters, default, then the field name.
 */
static void
put_schema(struct buf *b, const struct tdesc *d, const struct tdesc *elem,
		   bool optional, const char *doc, const char *deflt, const char *field)
{
	buf_puts(b, "{\"type\":\"");
	buf_puts(b, elem ? "array" : d->type);
	buf_putc(b, '"');
	if (elem) {
		/* Debezium's enum array elements are not optional; others are. */
		bool		enum_items = elem->name && strcmp(elem->name, "io.debezium.data.Enum") == 0;

		buf_puts(b, ",\"items\":");
		put_schema(b, elem, NULL, !enum_items, elem->doc, NULL, NULL);
	} else if (d->fields) {
		buf_puts(b, ",\"fields\":");
		buf_puts(b, d->fields);
	} else if (d->kind == K_HSTORE_MAP)
		buf_puts(b, ",\"keys\":{\"type\":\"string\",\"optional\":false},"
				 "\"values\":{\"type\":\"string\",\"optional\":true}");
	buf_puts(b, optional ? ",\"optional\":true" : ",\"optional\":false");
	if (!elem && d->name) {
		buf_puts(b, ",\"name\":\"");
		buf_puts(b, d->name);
		buf_putc(b, '"');
	}
	if (!elem && d->version)
		buf_printf(b, ",\"version\":%d", d->version);
	if (doc) {
		buf_puts(b, ",\"doc\":");
		json_put_cstr(b, doc);
	}
	if (d->params) {
		buf_puts(b, ",\"parameters\":");
		buf_puts(b, d->params);
	}
	if (deflt) {
		buf_puts(b, ",\"default\":");
		buf_puts(b, deflt);
	}
	if (field) {
		buf_puts(b, ",\"field\":");
		json_put_cstr(b, field);
	}
	buf_putc(b, '}');
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
	static const char *const now_words[] = {
		"current_timestamp", "current_time", "current_date", "localtime",
		"localtimestamp", NULL
	};
	static const struct {
		const char *type;
		const char *placeholder;
	}			mappers[] = {
		{"bool", "false"}, {"int2", "0"}, {"int4", "0"}, {"int8", "0"},
		{"numeric", "0.0"}, {"float4", "0.0"}, {"float8", "0.0"},
		{"bpchar", ""}, {"varchar", ""}, {"text", ""}, {"xml", ""},
		{"json", "{}"}, {"jsonb", "{}"},
		{"uuid", "00000000-0000-0000-0000-000000000000"},
		{"date", "1970-01-01"}, {"time", "00:00:00"},
		{"timestamp", "1970-01-01 00:00:00"}, {"timestamptz", "1970-01-01 00:00:00+00"},
		{"interval", "epoch"}, {"bit", "00"}, {"varbit", "0"},
	};
	const char *placeholder = NULL,
			   *q,
			   *typ = col->typname;
	struct buf	lit = BUF_INIT,
				out = BUF_INIT;
	size_t		i = 0,
				n;
	bool		is_func,
				known = col->has_enum,
				ok = true;
	char	   *res = NULL;

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
		size_t		start = i;

		while (i < n && (isalnum((unsigned char) expr[i]) || expr[i] == '_' || expr[i] == '.'))
			i++;
		is_func = i > start && i < n && expr[i] == '(' && strchr(expr + i, ')') != NULL;
	}
	for (const char *const *w = now_words; !is_func && *w; w++)
		is_func = strcasecmp(expr, *w) == 0;
	if (col->has_enum) {
		/* extractEnumDefault: 'label'::enumtype only */
		size_t		tl = strlen(typ);

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
	int			i;

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
	struct buf	b = BUF_INIT;
	char	   *s;

	json_iter_init(&it, arr);
	while (json_arr_next(&it, &v)) {
		if (b.len > 0)
			buf_putc(&b, ',');
		if (json_type_of(v) == JSON_STRING && !json_str_decode_text(v, &b)) {
			buf_free(&b);
			return NULL;		/* a label holding \u0000 */
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
	struct json_slice k,
				v;
	struct buf	tmp = BUF_INIT;
	int64_t		i64;

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
	int			i;

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
			col->omit = in_list(typ + 1, no_array) ||
				!map_scalar(typ + 1, col->typmod, NULL, c, &col->elem);
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

/* A column comment becomes the field's doc only with include.schema.comments. */
static void
put_field(struct buf *b, const struct col *col, const struct env_conf *c)
{
	const char *comment = c->schema_comments ? col->comment : NULL;

	if (col->is_array)
		put_schema(b, &col->t, &col->elem, col->optional, comment, NULL, col->name);
	else
		put_schema(b, &col->t, NULL, col->optional, comment ? comment : col->t.doc,
				   col->default_json, col->name);
}

/*
 * A key field: without what a mask or truncation adds to the value's, and
 * there even when the column lists leave the column out of the value.
 */
static void
put_key_field(struct buf *b, const struct col *col, const struct env_conf *c)
{
	struct col	plain;

	if (!col->mapped_schema && !col->filtered) {
		put_field(b, col, c);
		return;
	}
	plain = *col;
	if (col->mapped_schema)
		plain.t.params = col->key_params;
	/* A key column that column.exclude.list leaves out of the value: optional. */
	if (col->filtered)
		plain.optional = true;
	put_field(b, &plain, c);
}

/* Key columns: message.key.columns for this table, else the primary key. */
static bool
choose_key(struct table *t, const struct env_conf *c, char *err, size_t errsize)
{
	int			i,
				j;

	t->key = xcalloc((size_t) t->ncols + 1, sizeof *t->key);
	for (i = 0; i < c->nkeycols; i++) {
		const struct keycols *kc = &c->keycols[i];

		if (strcmp(kc->table, t->fqname) != 0)
			continue;
		for (j = 0; j < kc->ncols; j++) {
			int			k;

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

static void
build_schemas(struct table *t, const struct env_conf *c)
{
	struct buf	fields = BUF_INIT;
	int			i;
	bool		first = true;

	buf_putc(&fields, '[');
	for (i = 0; i < t->ncols; i++) {
		if (t->cols[i].omit)
			continue;
		if (!first)
			buf_putc(&fields, ',');
		first = false;
		put_field(&fields, &t->cols[i], c);
	}
	/* row_schema: the Value struct without its closing, for the variants. */
	buf_put(&t->row_schema, "{\"type\":\"struct\",\"fields\":", 26);
	buf_put(&t->row_schema, fields.data, fields.len);
	buf_puts(&t->row_schema, "],\"optional\":true,\"name\":");
	buf_puts(&t->row_schema, t->name_value_json);
	buf_putc(&t->row_schema, '}');

	/* ExtractNewRecordState rebuilds the struct: no longer optional. */
	buf_put(&t->flat_schema, "{\"type\":\"struct\",\"fields\":", 26);
	buf_put(&t->flat_schema, fields.data, fields.len);
	buf_puts(&t->flat_schema, "],\"optional\":false,\"name\":");
	buf_puts(&t->flat_schema, t->name_value_json);
	buf_putc(&t->flat_schema, '}');

	buf_put(&t->rewrite_schema, "{\"type\":\"struct\",\"fields\":", 26);
	buf_put(&t->rewrite_schema, fields.data, fields.len);
	if (!first)
		buf_putc(&t->rewrite_schema, ',');
	buf_puts(&t->rewrite_schema, "{\"type\":\"string\",\"optional\":true,\"field\":\"__deleted\"}"
			 "],\"optional\":false,\"name\":");
	buf_puts(&t->rewrite_schema, t->name_value_json);
	buf_putc(&t->rewrite_schema, '}');

	buf_puts(&t->value_schema, "{\"type\":\"struct\",\"fields\":[");
	for (i = 0; i < 2; i++) {
		buf_put(&t->value_schema, t->row_schema.data, t->row_schema.len - 1);
		buf_puts(&t->value_schema, i == 0 ? ",\"field\":\"before\"}," : ",\"field\":\"after\"},");
	}
	buf_puts(&t->value_schema, source_schema);
	buf_putc(&t->value_schema, ',');
	buf_puts(&t->value_schema, tx_block_schema);
	buf_putc(&t->value_schema, ',');
	buf_puts(&t->value_schema, envelope_tail);
	buf_puts(&t->value_schema, "],\"optional\":false,\"name\":");
	buf_puts(&t->value_schema, t->name_envelope_json);
	buf_puts(&t->value_schema, ",\"version\":2}");

	if (t->nkey > 0) {
		buf_puts(&t->key_schema, "{\"type\":\"struct\",\"fields\":[");
		for (i = 0; i < t->nkey; i++) {
			if (i > 0)
				buf_putc(&t->key_schema, ',');
			put_key_field(&t->key_schema, &t->cols[t->key[i]], c);
		}
		buf_puts(&t->key_schema, "],\"optional\":false,\"name\":");
		buf_puts(&t->key_schema, t->name_key_json);
		buf_putc(&t->key_schema, '}');
	}
	buf_free(&fields);
}

bool
table_build(struct table *t, struct json_slice columns, const struct env_conf *c,
			char *err, size_t errsize)
{
	struct json_iter it;
	struct json_slice v;
	int			cap = 8;

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
	build_schemas(t, c);
	return true;
}
