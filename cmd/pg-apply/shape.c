/*
 * shape.c - from a record's key and value schemas to the destination
 * columns: primary key columns first (primary.key.mode), then the other
 * fields of the value's "after" struct in schema order, as the Debezium
 * JDBC sink orders them.
 */
#include "pgapply.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
shape_err(struct shape *sh, const char *fmt, ...)
{
	va_list ap;

	if (sh->error[0])
		return;
	va_start(ap, fmt);
	vsnprintf(sh->error, sizeof sh->error, fmt, ap);
	va_end(ap);
}

/*
 * A SQL literal for a schema default: the default converted like any value
 * of the column, quoted; NULL if there is none to give (null, or a value
 * the column could not take).
 */
static char *
default_literal(const struct ctype *t, struct json_slice d)
{
	struct buf b = BUF_INIT;
	struct buf v = BUF_INIT;
	char err[160];
	size_t i;

	if (conv_value(t, d, &v, err, sizeof err) != CONV_OK) {
		buf_free(&v);
		return NULL;
	}
	buf_puts(&b, "E'");
	for (i = 0; i < v.len; i++) {
		if (v.data[i] == '\'' || v.data[i] == '\\')
			buf_putc(&b, v.data[i]);
		buf_putc(&b, v.data[i]);
	}
	buf_putc(&b, '\'');
	buf_free(&v);
	buf_cstr(&b);
	return b.data;
}

static bool
column_from_field(struct shape *sh, struct json_slice f, struct column *c)
{
	struct json_slice name, opt, dflt;
	struct buf nb = BUF_INIT;
	char err[160];

	memset(c, 0, sizeof *c);
	if (!json_obj_get(f, "field", &name) || json_type_of(name) != JSON_STRING ||
		!json_str_decode(name, &nb) || nb.len == 0 || memchr(nb.data, 0, nb.len)) {
		buf_free(&nb);
		shape_err(sh, "schema field without a usable \"field\" name");
		return false;
	}
	buf_cstr(&nb);
	c->name = nb.data;
	c->namelen = nb.len;
	if (!ctype_parse(f, &c->t, err, sizeof err)) {
		shape_err(sh, "field \"%s\": %s", c->name, err);
		free(c->name);
		c->name = NULL;
		return false;
	}
	c->optional = !json_obj_get(f, "optional", &opt) || json_type_of(opt) == JSON_TRUE;
	if (json_obj_get(f, "default", &dflt))
		c->dflt = default_literal(&c->t, dflt);
	return true;
}

static void
column_free(struct column *c)
{
	free(c->name);
	free(c->dflt);
	ctype_free(&c->t);
}

/* The "fields" array of the row struct: "after" in an envelope. */
static bool
row_fields(struct shape *sh, struct json_slice vschema, struct json_slice *fields)
{
	struct json_slice name, all, f, fname;
	struct json_iter it;

	if (json_obj_get(vschema, "name", &name) && json_type_of(name) == JSON_STRING &&
		memmem(name.p, name.n, "Envelope", 8) != NULL && json_obj_get(vschema, "fields", &all)) {
		sh->envelope = true;
		json_iter_init(&it, all);
		while (json_arr_next(&it, &f))
			if (json_obj_get(f, "field", &fname) && json_str_eq(fname, "after"))
				return json_obj_get(f, "fields", fields);
		shape_err(sh, "envelope schema has no \"after\" struct");
		return false;
	}
	if (!json_obj_get(vschema, "fields", fields)) {
		shape_err(sh, "value schema is not a struct");
		return false;
	}
	return true;
}

static void
add_column(struct shape *sh, struct column *c)
{
	sh->cols = xrealloc(sh->cols, (size_t) (sh->ncols + 1) * sizeof *sh->cols);
	sh->cols[sh->ncols++] = *c;
}

/* True if name is in the comma separated list. */
static bool
in_list(const char *list, const char *name, size_t n)
{
	const char *p = list;

	while (p && *p) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t) (e - p) : strlen(p);
		const char *q = p;

		while (len > 0 && *q == ' ')
			q++, len--;
		while (len > 0 && q[len - 1] == ' ')
			len--;
		if (len == n && memcmp(q, name, n) == 0)
			return true;
		p = e ? e + 1 : NULL;
	}
	return false;
}

static void
key_columns(struct shape *sh, struct json_slice kschema, struct json_slice rfields,
			const struct settings *s)
{
	struct json_slice kfields, f, type;
	struct json_iter it;
	struct column c;

	if (s->pk_mode == PK_RECORD_KEY) {
		if (kschema.n == 0 || json_is_null(kschema)) {
			shape_err(sh, "primary key mode record_key needs a record key with a schema");
			return;
		}
		if (json_obj_get(kschema, "type", &type) && json_str_eq(type, "struct")) {
			sh->key_struct = true;
			if (!json_obj_get(kschema, "fields", &kfields)) {
				shape_err(sh, "key schema struct has no fields");
				return;
			}
			json_iter_init(&it, kfields);
			while (json_arr_next(&it, &f)) {
				if (!column_from_field(sh, f, &c))
					return;
				if (s->pk_fields && !in_list(s->pk_fields, c.name, c.namelen)) {
					column_free(&c);
					continue;
				}
				add_column(sh, &c);
			}
		} else {
			/* A primitive key: pk-fields names its one column. */
			if (s->pk_fields == NULL || strchr(s->pk_fields, ',')) {
				shape_err(sh, "a primitive record key needs exactly one name in --pk-fields");
				return;
			}
			memset(&c, 0, sizeof c);
			if (!ctype_parse(kschema, &c.t, sh->error, sizeof sh->error))
				return;
			c.name = xstrdup(s->pk_fields);
			c.namelen = strlen(c.name);
			add_column(sh, &c);
		}
	} else if (s->pk_mode == PK_KAFKA) {
		/* The Kafka coordinates of the record, as the JDBC sink names them. */
		static const char *const kf[] = {
			"{\"type\":\"string\",\"optional\":false,\"field\":\"__connect_topic\"}",
			"{\"type\":\"int32\",\"optional\":false,\"field\":\"__connect_partition\"}",
			"{\"type\":\"int64\",\"optional\":false,\"field\":\"__connect_offset\"}",
		};

		for (int i = 0; i < 3; i++) {
			if (!column_from_field(sh, (struct json_slice){kf[i], strlen(kf[i])}, &c))
				return;
			add_column(sh, &c);
		}
	} else if (s->pk_mode == PK_RECORD_VALUE) {
		if (s->pk_fields == NULL) {
			shape_err(sh, "primary key mode record_value needs --pk-fields");
			return;
		}
		json_iter_init(&it, rfields);
		while (json_arr_next(&it, &f)) {
			struct json_slice name;

			if (!json_obj_get(f, "field", &name) || json_type_of(name) != JSON_STRING)
				continue;
			if (in_list(s->pk_fields, name.p + 1, name.n - 2)) {
				if (!column_from_field(sh, f, &c))
					return;
				add_column(sh, &c);
			}
		}
	}
	sh->nkeys = sh->ncols;
	if (s->pk_mode != PK_NONE && sh->nkeys == 0)
		shape_err(sh, "no primary key fields found for primary key mode %s",
				  s->pk_mode == PK_RECORD_KEY ? "record_key" : "record_value");
}

struct shape *
shape_build(struct json_slice kschema, struct json_slice vschema, const struct settings *s)
{
	struct shape *sh = xcalloc(1, sizeof *sh);
	struct json_slice rfields = {NULL, 0}, f;
	struct json_iter it;
	struct column c;

	sh->kraw = xmalloc(kschema.n ? kschema.n : 1);
	memcpy(sh->kraw, kschema.p ? kschema.p : "", kschema.n);
	sh->kn = kschema.n;
	sh->vraw = xmalloc(vschema.n ? vschema.n : 1);
	memcpy(sh->vraw, vschema.p ? vschema.p : "", vschema.n);
	sh->vn = vschema.n;
	if (vschema.n == 0 || json_type_of(vschema) != JSON_OBJECT) {
		shape_err(sh, "record value has no schema (JsonConverter schemas.enable=false?)");
		return sh;
	}
	if (json_obj_get(vschema, "name", &f) &&
		json_str_eq(f, "io.debezium.connector.postgresql.MessageValue")) {
		sh->message = true; /* pg_logical_emit_message(): no table, no row */
		return sh;
	}
	if (!row_fields(sh, vschema, &rfields))
		return sh;
	key_columns(sh, kschema, rfields, s);
	if (sh->error[0])
		return sh;
	json_iter_init(&it, rfields);
	while (json_arr_next(&it, &f)) {
		if (!column_from_field(sh, f, &c))
			return sh;
		if (shape_find_col(sh, c.name, c.namelen, 0) >= 0 &&
			shape_find_col(sh, c.name, c.namelen, 0) < sh->nkeys) {
			column_free(&c); /* a key column: already there */
			continue;
		}
		/* field.include.list / field.exclude.list leave value fields out. */
		if ((s->field_include && !in_list(s->field_include, c.name, c.namelen)) ||
			(s->field_exclude && in_list(s->field_exclude, c.name, c.namelen))) {
			column_free(&c);
			continue;
		}
		add_column(sh, &c);
	}
	return sh;
}

int
shape_find_col(const struct shape *sh, const char *name, size_t n, int hint)
{
	int i;

	if (hint >= 0 && hint < sh->ncols && sh->cols[hint].namelen == n &&
		memcmp(sh->cols[hint].name, name, n) == 0)
		return hint;
	for (i = 0; i < sh->ncols; i++)
		if (sh->cols[i].namelen == n && memcmp(sh->cols[i].name, name, n) == 0)
			return i;
	return -1;
}

void
shape_free(struct shape *sh)
{
	int i;

	for (i = 0; i < sh->ncols; i++)
		column_free(&sh->cols[i]);
	free(sh->cols);
	free(sh->kraw);
	free(sh->vraw);
	free(sh);
}
