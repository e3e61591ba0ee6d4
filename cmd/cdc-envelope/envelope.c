/*
 * envelope.c - one change line in, Debezium-shaped record lines out.
 *
 * The line is validated once, its members are kept as slices, and the
 * output is written straight into the caller's buffer from cached schema
 * JSON and converted values: no JSON tree is ever built.
 */
#include "table.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "convert.h"
#include "log.h"
#include "lsn.h"

#define NBUCKETS	256
/* buf_puts() of a string literal, without the strlen(). */
#define PUTL(b, lit) buf_put((b), lit, sizeof(lit) - 1)
#define PLACEHOLDER "__debezium_unavailable_value"
/* base64 of the placeholder's bytes, for bytes-typed columns */
#define PLACEHOLDER_B64 "X19kZWJleml1bV91bmF2YWlsYWJsZV92YWx1ZQ=="

/* The members of one change line (brief section 1). */
struct change {
	struct json_slice pos, lsn, commit_lsn, end_lsn, xid, ts_us, db, schema, table, op,
				snapshot, columns, before, after, message;
	char		op_c;
	const struct table *columns_cached;	/* "columns" equals this table's cache */
	uint64_t	lsn_v;
	uint64_t	commit_v;
	uint64_t	end_v;			/* end_lsn, or 0 if the line has none */
	int64_t		ts_us_v;
};

struct tx_coll {
	struct table *t;
	int64_t		count;
};

struct env {
	const struct env_conf *c;
	struct table *buckets[NBUCKETS];
	struct table *last;
	bool		have_commit;
	uint64_t	commit;			/* commit LSN of the current transaction */
	uint64_t	end;			/* its end LSN, 0 if unknown */
	bool		have_tx_ts;
	int64_t		tx_ts_us;		/* commit time of the last transaction */
	bool		have_prev;
	uint64_t	prev_commit;
	uint64_t	nrecords;		/* record lines written, for env_stats() */
	uint64_t	nskipped;	/* ... of the one before: Debezium's lastCommitLsn */
	/* transaction metadata */
	bool		tx_open;
	struct buf	tx_xid;			/* the open transaction's xid, as written */
	uint64_t	tx_begin;		/* its BEGIN position: its first change's LSN */
	uint64_t	tx_commit;		/* its COMMIT position: end_lsn, else commit_lsn */
	int64_t		tx_total;
	int64_t		tx_ts_ms;
	struct tx_coll *colls;
	int			ncolls;
	int			capcolls;
	/* per line */
	int64_t		now_ms,
				now_us,
				now_ns;
	struct buf	seq;			/* source.sequence as JSON */
	struct buf	db;				/* source.db as JSON */
	struct buf	srchead;		/* {"version":..,"connector":..,"name":..,"ts_ms": */
	struct buf	scratch;
	struct buf	hdr;			/* headers of the next record, or empty */
	struct buf	msg_topic;
	struct buf	tx_topic;
	struct json_slice *vals_a;
	struct json_slice *vals_b;
	int			capvals;
	char	   *err;
	size_t		errsize;
};

struct env *
env_new(const struct env_conf *c)
{
	struct env *e = xcalloc(1, sizeof *e);

	e->c = c;
	PUTL(&e->srchead, "{\"version\":");
	json_put_cstr(&e->srchead, c->source_version);
	PUTL(&e->srchead, ",\"connector\":\"postgresql\",\"name\":");
	json_put_cstr(&e->srchead, c->prefix);
	PUTL(&e->srchead, ",\"ts_ms\":");
	buf_reset(&e->scratch);
	buf_puts(&e->scratch, c->prefix);
	PUTL(&e->scratch, ".message");
	json_put_str(&e->msg_topic, e->scratch.data, e->scratch.len);
	buf_reset(&e->scratch);
	buf_puts(&e->scratch, c->prefix);
	PUTL(&e->scratch, ".transaction");
	json_put_str(&e->tx_topic, e->scratch.data, e->scratch.len);
	return e;
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
env_free(struct env *e)
{
	int			i;

	for (i = 0; i < NBUCKETS; i++) {
		struct table *t = e->buckets[i],
				   *next;

		for (; t; t = next) {
			next = t->next;
			table_free(t);
		}
	}
	buf_free(&e->tx_xid);
	buf_free(&e->seq);
	buf_free(&e->db);
	buf_free(&e->srchead);
	buf_free(&e->scratch);
	buf_free(&e->hdr);
	buf_free(&e->msg_topic);
	buf_free(&e->tx_topic);
	free(e->colls);
	free(e->vals_a);
	free(e->vals_b);
	free(e);
}

static bool
fail(struct env *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static bool
fail(struct env *e, const char *fmt, ...)
{
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(e->err, e->errsize, fmt, ap);
	va_end(ap);
	return false;
}

/* Characters outside [A-Za-z0-9._-] become '_', as in Debezium's topic names. */
static void
sanitize(struct buf *b)
{
	for (size_t i = 0; i < b->len; i++) {
		char		ch = b->data[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			  (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-'))
			b->data[i] = '_';
	}
}

static char *
schema_name_json(const struct table *t, const char *prefix, const char *suffix)
{
	struct buf	n = BUF_INIT,
				j = BUF_INIT;
	char	   *s;

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
	struct buf	n = BUF_INIT;

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

static bool
table_matches(const char *fq, const regex_t *re, int n)
{
	for (int i = 0; i < n; i++)
		if (regexec(&re[i], fq, 0, NULL, 0) == 0)
			return true;
	return false;
}

static unsigned
hash_slices(struct json_slice a, struct json_slice b)
{
	uint32_t	h = 2166136261u;
	size_t		i;

	for (i = 0; i < a.n; i++)
		h = (h ^ (unsigned char) a.p[i]) * 16777619u;
	for (i = 0; i < b.n; i++)
		h = (h ^ (unsigned char) b.p[i]) * 16777619u;
	return h % NBUCKETS;
}

/* True if a string slice decodes to text without a NUL (a usable name). */
static bool
text_str(struct env *e, struct json_slice s)
{
	if (json_str_is_plain(s))
		return true;
	buf_reset(&e->scratch);
	return json_str_decode_text(s, &e->scratch);
}

/* Decodes a JSON string slice (with quotes, no \u0000) into a malloc'd C string. */
static char *
decode_str(struct json_slice s)
{
	struct buf	b = BUF_INIT;
	char	   *r;

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

/* Finds or creates the cache entry of a table (string slices with quotes). */
static struct table *
table_get(struct env *e, struct json_slice schema, struct json_slice table)
{
	struct table *t = e->last;
	struct buf	b = BUF_INIT;
	unsigned	h;

	if (t && same_table(t, schema, table))
		return t;
	h = hash_slices(schema, table);
	for (t = e->buckets[h]; t; t = t->next)
		if (same_table(t, schema, table))
			return e->last = t;
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
	t->included = (e->c->ninclude == 0 ||
				   table_matches(t->fqname, e->c->include, e->c->ninclude)) &&
		!table_matches(t->fqname, e->c->exclude, e->c->nexclude) &&
		(e->c->nschema_include == 0 ||
		 table_matches(t->schema, e->c->schema_include, e->c->nschema_include)) &&
		!table_matches(t->schema, e->c->schema_exclude, e->c->nschema_exclude);
	t->name_key_json = schema_name_json(t, e->c->prefix, ".Key");
	t->name_value_json = schema_name_json(t, e->c->prefix, ".Value");
	t->name_envelope_json = schema_name_json(t, e->c->prefix, ".Envelope");
	make_topic(t, e->c);
	PUTL(&t->src_tail, ",\"schema\":");
	json_put_cstr(&t->src_tail, t->schema);
	PUTL(&t->src_tail, ",\"table\":");
	json_put_cstr(&t->src_tail, t->name);
	t->next = e->buckets[h];
	e->buckets[h] = t;
	return e->last = t;
}

/* ---- values ---- */

static bool
int_text(const char *s, size_t n)
{
	size_t		i = n > 0 && s[0] == '-' ? 1 : 0;

	if (i == n)
		return false;
	for (; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/*
 * True if s is a decimal integer that the Connect type of d (int8, int16,
 * int32 or int64) holds: a value past it is no value of the column.
 */
static bool
int_fits(const struct tdesc *d, const char *s, size_t n)
{
	size_t		i = n > 0 && s[0] == '-' ? 1 : 0;
	unsigned	bits = d->type[3] == '8' ? 8 : d->type[3] == '1' ? 16 : d->type[3] == '3' ? 32 : 64;
	uint64_t	limit = (UINT64_C(1) << (bits - 1)) - (i ? 0 : 1);
	uint64_t	acc = 0;

	if (i == n)
		return false;
	for (; i < n; i++) {
		if (s[i] < '0' || s[i] > '9' || acc > (limit - (uint64_t) (s[i] - '0')) / 10)
			return false;
		acc = acc * 10 + (uint64_t) (s[i] - '0');
	}
	return true;
}

bool
put_text_value(const struct env_conf *c, const struct tdesc *d, const char *s, size_t n,
			   struct buf *out)
{
	int64_t		v;

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
			if (!int_fits(d, s, n))
				return false;
			buf_put(out, s, n);
			return true;
		case K_FLOAT:
			return conv_java_float(s, n, d->type[0] == 'f', out);
		case K_STRING:
		case K_NUM_STRING:
			json_put_str(out, s, n);
			return true;
		case K_MONEY_STRING:
			buf_putc(out, '"');
			if (!conv_money_plain(s, n, out))
				return false;
			buf_putc(out, '"');
			return true;
		case K_BYTEA:
			return conv_bytea(s, n, out);
		case K_BYTEA_MODE:
			return conv_bytea_mode(c->binary, s, n, out);
		case K_INTERVAL_ISO:
			return conv_interval_iso(s, n, out);
		case K_HSTORE_MAP:
			return conv_hstore_map(s, n, out);
		case K_DECIMAL:
			return !conv_is_special_number(s, n) && conv_decimal(s, n, d->scale, out);
		case K_VARSCALE:
			return !conv_is_special_number(s, n) && conv_varscale(s, n, out);
		case K_NUM_DOUBLE:
			return conv_numeric_double(s, n, out);
		case K_DATE:
			/*
			 * pgjdbc's LocalDate.MAX and MIN, which Debezium's Date turns
			 * into these day counts (each infinity's the other's sign).
			 */
			if (n == 8 && memcmp(s, "infinity", 8) == 0)
				v = INT64_C(-2147472692);
			else if (n == 9 && memcmp(s, "-infinity", 9) == 0)
				v = INT64_C(-2147472691);
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
		case K_TIMETZ:
			return conv_timetz(s, n, out);
		case K_TS_MS:
		case K_TS_US:
			/* pgjdbc's PGStatement.DATE_POSITIVE/NEGATIVE_INFINITY */
			if (n == 8 && memcmp(s, "infinity", 8) == 0)
				v = INT64_C(9223372036825200000);
			else if (n == 9 && memcmp(s, "-infinity", 9) == 0)
				v = INT64_C(-9223372036832400000);
			else if (!conv_timestamp(s, n, &v))
				return false;
			if (d->kind == K_TS_MS)
				v = v / 1000 - (v % 1000 < 0);	/* floor, as toEpochMilli() */
			buf_put_i64(out, v);
			return true;
		case K_TSTZ:
			return conv_timestamptz(s, n, d->scale, out);
		case K_INTERVAL:
			/* Saturated values are written by put_unsupported(). */
			if (!conv_interval(s, n, &v) || v == INT64_MAX || v == INT64_MIN)
				return false;
			buf_put_i64(out, v);
			return true;
		case K_BIT_BOOL:
			if (n != 1 || (s[0] != '0' && s[0] != '1'))
				return false;
			buf_puts(out, s[0] == '1' ? "true" : "false");
			return true;
		case K_BITS:
			return conv_bits(s, n, out);
		case K_HSTORE:
			return conv_hstore(s, n, out);
		case K_POINT:
			return conv_point(s, n, out);
	}
	return false;
}

/* Value of a NOT NULL column without value or default (convertValue's fallback). */
static const char *
fallback_json(const struct col *col)
{
	if (col->is_array)
		return "[]";
	switch (col->t.kind) {
		case K_BOOL: case K_BIT_BOOL: return "false";
		case K_FLOAT: case K_NUM_DOUBLE: return "0.0";
		case K_DECIMAL: return "\"AA==\"";
		case K_VARSCALE: return "{\"scale\":0,\"value\":\"AA==\"}";
		case K_STRING: case K_NUM_STRING: case K_MONEY_STRING: case K_BYTEA: case K_BITS:
		case K_BYTEA_MODE: case K_INTERVAL_ISO:
			return "\"\"";
		case K_HSTORE_MAP: return "{}";
		case K_HSTORE: return "\"{}\"";
		case K_TIMETZ: return "\"00:00:00Z\"";
		case K_TSTZ: return "\"1970-01-01T00:00:00Z\"";
		case K_POINT: return "null";
		default: return "0";
	}
}

/* The unavailable.value.placeholder of an unchanged TOASTed value. */
static void
put_toast(const struct col *col, struct buf *out)
{
	static const char bytes_as_ints[] =
		"[95,95,100,101,98,101,122,105,117,109,95,117,110,97,118,97,105,108,97,98,108,101,95,118,97,108,117,101]";
	enum kind	k = col->t.kind;

	if (col->is_array) {
		if (k == K_INT || k == K_DATE)
			buf_puts(out, bytes_as_ints);
		else if (k == K_BYTEA)
			PUTL(out, "[\"" PLACEHOLDER_B64 "\"]");
		else
			PUTL(out, "[\"" PLACEHOLDER "\"]");
	} else if (k == K_BYTEA)
		PUTL(out, "\"" PLACEHOLDER_B64 "\"");
	else if (k == K_HSTORE)
		PUTL(out, "\"{\\\"" PLACEHOLDER "\\\":\\\"" PLACEHOLDER "\\\"}\"");
	else
		PUTL(out, "\"" PLACEHOLDER "\"");
}

struct arr_ctx {
	struct env *e;
	const struct tdesc *d;
	struct buf *out;
	bool		first;
	const char *why;			/* an element Debezium cannot convert: why */
};

static bool
put_elem(void *arg, const char *s, size_t n)
{
	struct arr_ctx *a = arg;

	if (!a->first)
		buf_putc(a->out, ',');
	a->first = false;
	if (s == NULL && a->d->name && strcmp(a->d->name, "io.debezium.data.Ltree") == 0) {
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
		int64_t		v;

		if (a->d->kind == K_DATE ? !conv_date_array_elem(s, n, &v) :
			(n == 8 && memcmp(s, "infinity", 8) == 0) ||
			(n == 9 && memcmp(s, "-infinity", 9) == 0) || !conv_timestamp_array_elem(s, n, &v))
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
		int64_t		v;

		if (!conv_time(s, n, &v))
			return false;
		buf_put_i64(a->out, v % (INT64_C(86400000000)) / 1000 * 1000);
		return true;
	}
	return put_text_value(a->e->c, a->d, s, n, a->out);
}

/* The text of a string or number slice; escaped strings are decoded into scratch. */
static void
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
	bool		special = json_type_of(v) == JSON_STRING && v.n > 2 &&
		conv_is_special_number(v.p + 1, v.n - 2);

	return fail(e, "column \"%s\": %.*s is not a valid %s value%s", col->name,
				(int) (v.n > 60 ? 60 : v.n), v.p, col->typname,
				special && (d->kind == K_DECIMAL || d->kind == K_VARSCALE) ?
				" with --decimal precise (use --decimal double or string)" : "");
}

/* A column of column.mask.* or column.truncate.*: a string, or null. */
static bool
put_mapped(struct env *e, const struct col *col, struct json_slice v, enum json_type ty,
		   struct buf *out)
{
	const char *s = NULL;
	size_t		n = 0;

	if (ty == JSON_OBJECT) {
		/* An unchanged TOASTed value is not known: its placeholder, mapped. */
		s = PLACEHOLDER;
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
	size_t		count = 0,
				i;
	int			depth = 0;
	bool		quoted = false;

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
unsupported(struct env *e, const struct col *col, const char *elem_why, const char *s,
			size_t n, const char **json, struct buf *tmp)
{
	const struct tdesc *d = col->is_array ? &col->elem : &col->t;
	const char *why;
	int64_t		v;

	*json = NULL;
	if (elem_why || col->unconvertible)
		why = elem_why ? elem_why : col->unconvertible;
	else if (col->is_array && n > 1 && s[1] == '{') {
		/* Each sub-array is an element Debezium cannot convert: null. */
		size_t		k = count_subarrays(s, n);

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
		fail(e, "column \"%s\".\"%s\".\"%s\": %.*s is %s, which Debezium cannot convert",
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
put_unconvertible(struct env *e, const struct col *col, const char *elem_why,
				  struct json_slice v, const char *s, size_t n, size_t mark, struct buf *out)
{
	struct buf	tmp = BUF_INIT;
	const char *json;
	int			r;

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
	size_t		n,
				mark = out->len;

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
				if (!int_fits(&col->t, v.p, v.n))
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
		default:
			break;
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

/*
 * Matches the members of a row object to the table's columns (both in
 * table order; absent members are absent columns).  vals[i].n == 0 for
 * an absent column.
 */
static bool
index_row(struct env *e, const struct table *t, struct json_slice row, const char *what,
		  struct json_slice *vals)
{
	struct json_iter it;
	struct json_slice k,
				v;
	int			j = 0;

	if (t->ncols > 0)
		memset(vals, 0, (size_t) t->ncols * sizeof *vals);
	if (json_type_of(row) != JSON_OBJECT)
		return fail(e, "\"%s\" is a %s, not an object", what, json_type_name(json_type_of(row)));
	json_iter_init(&it, row);
	while (json_obj_next(&it, &k, &v)) {
		int			i = find_col(t, k, j, t->ncols);

		if (i < 0)
			i = find_col(t, k, 0, j);	/* out of order */
		if (i < 0)
			return fail(e, "\"%s\" has %.*s, which is not in \"columns\"", what,
						(int) k.n, k.p);
		vals[i] = v;
		j = i + 1;
	}
	return true;
}

static bool
put_row(struct env *e, const struct table *t, const struct json_slice *vals,
		const char *deleted, struct buf *out)
{
	bool		first = true;

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

static bool
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
			struct col	plain = *col;

			plain.map = NULL;
			if (!put_value(e, &plain, vals[t->key[i]], out))
				return false;
		} else if (!put_value(e, col, vals[t->key[i]], out))
			return false;
	}
	buf_putc(out, '}');
	return true;
}

static bool
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

/* True if the key columns of two indexed rows hold different values. */
static bool
key_changed(const struct table *t, const struct json_slice *a, const struct json_slice *b)
{
	for (int i = 0; i < t->nkey; i++) {
		struct json_slice x = a[t->key[i]],
					y = b[t->key[i]];

		if (x.n == 0)
			continue;			/* not in the old tuple: unknown, not changed */
		if (x.n != y.n || memcmp(x.p, y.p, x.n) != 0)
			return true;
	}
	return false;
}

static void
put_source(struct env *e, const struct table *t, const struct change *ch, bool with_tx,
		   struct buf *out)
{
	/*
	 * A non-transactional message has no commit time of its own: Debezium
	 * keeps the one of the last transaction.
	 */
	int64_t		ts = with_tx || !e->have_tx_ts ? ch->ts_us_v : e->tx_ts_us;
	/* Debezium's incremental snapshot reads carry no transaction or LSN. */
	bool		incremental = ch->snapshot.n > 0 && json_str_eq(ch->snapshot, "incremental");

	buf_put(out, e->srchead.data, e->srchead.len);
	buf_put_i64(out, ts / 1000);
	PUTL(out, ",\"snapshot\":");
	if (ch->snapshot.n > 0)
		buf_put(out, ch->snapshot.p, ch->snapshot.n);
	else
		PUTL(out, "\"false\"");
	PUTL(out, ",\"db\":");
	buf_put(out, e->db.data, e->db.len);
	PUTL(out, ",\"sequence\":");
	buf_put(out, e->seq.data, e->seq.len);
	PUTL(out, ",\"ts_us\":");
	buf_put_i64(out, ts);
	PUTL(out, ",\"ts_ns\":");
	buf_put_i64(out, ts * 1000);
	if (t)
		buf_put(out, t->src_tail.data, t->src_tail.len);
	else
		PUTL(out, ",\"schema\":\"\",\"table\":\"\"");
	PUTL(out, ",\"txId\":");
	if (with_tx && !incremental)
		buf_put(out, ch->xid.p, ch->xid.n);
	else
		PUTL(out, "null");
	PUTL(out, ",\"lsn\":");
	if (incremental)
		PUTL(out, "null");
	else
		buf_put_u64(out, ch->lsn_v);
	PUTL(out, ",\"xmin\":null}");
}

static void
put_now(struct env *e, struct buf *out, bool all)
{
	PUTL(out, ",\"ts_ms\":");
	buf_put_i64(out, e->now_ms);
	if (all) {
		PUTL(out, ",\"ts_us\":");
		buf_put_i64(out, e->now_us);
		PUTL(out, ",\"ts_ns\":");
		buf_put_i64(out, e->now_ns);
	}
}

/* ---- transaction metadata ---- */

/*
 * The per-table counts of an END record, in the order of the HashMap
 * Debezium's TransactionContext keeps them in.
 */
static void
put_collections(struct env *e, struct buf *out)
{
	size_t		cap = conv_hashmap_capacity((size_t) e->ncolls);
	uint32_t	b;
	bool		first = true;

	for (b = 0; b < cap; b++)
		for (int i = 0; i < e->ncolls; i++) {
			const struct buf *name = &e->colls[i].t->coll;

			/* coll is a JSON string; its names have no escapes in practice. */
			if (conv_hashmap_bucket(name->data + 1, name->len - 2, cap) != b)
				continue;
			if (!first)
				buf_putc(out, ',');
			first = false;
			PUTL(out, "{\"data_collection\":");
			buf_put(out, name->data, name->len);
			PUTL(out, ",\"event_count\":");
			buf_put_i64(out, e->colls[i].count);
			buf_putc(out, '}');
		}
}

/*
 * Debezium's PostgreSQL transaction ids are "xid:LSN" with the LSN of the
 * message at hand: BEGIN, each event, COMMIT.
 */
static void
put_tx_id(struct env *e, uint64_t lsn, struct buf *out)
{
	buf_putc(out, '"');
	buf_put(out, e->tx_xid.data, e->tx_xid.len);
	buf_putc(out, ':');
	buf_put_u64(out, lsn);
	buf_putc(out, '"');
}

static void
tx_put_record(struct env *e, bool begin, struct buf *out)
{
	uint64_t	pos = begin ? e->tx_begin : e->tx_commit;

	static const char key_schema[] =
		"{\"type\":\"struct\",\"fields\":[{\"type\":\"string\",\"optional\":false,\"field\":\"id\"}],"
		"\"optional\":false,\"name\":\"io.debezium.connector.common.TransactionMetadataKey\",\"version\":1}";
	static const char value_schema[] =
		"{\"type\":\"struct\",\"fields\":[{\"type\":\"string\",\"optional\":false,\"field\":\"status\"},"
		"{\"type\":\"string\",\"optional\":false,\"field\":\"id\"},"
		"{\"type\":\"int64\",\"optional\":true,\"field\":\"event_count\"},"
		"{\"type\":\"array\",\"items\":{\"type\":\"struct\",\"fields\":["
		"{\"type\":\"string\",\"optional\":false,\"field\":\"data_collection\"},"
		"{\"type\":\"int64\",\"optional\":false,\"field\":\"event_count\"}],"
		"\"optional\":true,\"name\":\"event.collection\",\"version\":1},"
		"\"optional\":true,\"field\":\"data_collections\"},"
		"{\"type\":\"int64\",\"optional\":false,\"field\":\"ts_ms\"}],"
		"\"optional\":false,\"name\":\"io.debezium.connector.common.TransactionMetadataValue\",\"version\":1}";

	PUTL(out, "{\"topic\":");
	buf_put(out, e->tx_topic.data, e->tx_topic.len);
	PUTL(out, ",\"key\":");
	if (e->c->key_schemas) {
		PUTL(out, "{\"schema\":");
		buf_puts(out, key_schema);
		PUTL(out, ",\"payload\":");
	}
	PUTL(out, "{\"id\":");
	put_tx_id(e, pos, out);
	buf_putc(out, '}');
	if (e->c->key_schemas)
		buf_putc(out, '}');
	PUTL(out, ",\"value\":");
	if (e->c->value_schemas) {
		PUTL(out, "{\"schema\":");
		buf_puts(out, value_schema);
		PUTL(out, ",\"payload\":");
	}
	buf_puts(out, begin ? "{\"status\":\"BEGIN\",\"id\":" : "{\"status\":\"END\",\"id\":");
	put_tx_id(e, pos, out);
	if (begin)
		PUTL(out, ",\"event_count\":null,\"data_collections\":null");
	else {
		PUTL(out, ",\"event_count\":");
		buf_put_i64(out, e->tx_total);
		PUTL(out, ",\"data_collections\":[");
		put_collections(e, out);
		buf_putc(out, ']');
	}
	PUTL(out, ",\"ts_ms\":");
	buf_put_i64(out, e->tx_ts_ms);
	buf_putc(out, '}');
	if (e->c->value_schemas)
		buf_putc(out, '}');
	PUTL(out, "}\n");
	e->nrecords++;
}

void
env_end(struct env *e, struct buf *out)
{
	if (e->tx_open)
		tx_put_record(e, false, out);
	e->tx_open = false;
}

/* Counts one data event of table t; writes the BEGIN record first if needed. */
static void
tx_event(struct env *e, struct table *t, const struct change *ch,
		 int64_t *total, int64_t *coll_order, struct buf *out)
{
	int			i;

	if (!e->tx_open) {
		e->tx_open = true;
		e->tx_total = 0;
		e->ncolls = 0;
		e->tx_ts_ms = ch->ts_us_v / 1000;
		buf_reset(&e->tx_xid);
		buf_put(&e->tx_xid, ch->xid.p, ch->xid.n);
		e->tx_begin = ch->lsn_v;
		e->tx_commit = ch->end_v ? ch->end_v : ch->commit_v;
		tx_put_record(e, true, out);
	}
	for (i = 0; i < e->ncolls; i++)
		if (e->colls[i].t == t)
			break;
	if (i == e->ncolls) {
		if (e->ncolls == e->capcolls) {
			e->capcolls = e->capcolls * 2 + 4;
			e->colls = xrealloc(e->colls, (size_t) e->capcolls * sizeof *e->colls);
		}
		e->colls[e->ncolls++] = (struct tx_coll) {t, 0};
	}
	*total = ++e->tx_total;
	*coll_order = ++e->colls[i].count;
}

/* ---- records ---- */

static void
record_start(struct buf *out, const struct buf *topic)
{
	PUTL(out, "{\"topic\":");
	buf_put(out, topic->data, topic->len);
	PUTL(out, ",\"key\":");
}

static void
record_end(struct env *e, struct buf *out)
{
	if (e->hdr.len > 0) {
		PUTL(out, ",\"headers\":");
		buf_put(out, e->hdr.data, e->hdr.len);
	}
	PUTL(out, "}\n");
	e->nrecords++;
}

/* The value of an ExtractNewRecordState (--unwrap) record. */
static bool
put_unwrapped(struct env *e, struct table *t, char op, const struct json_slice *before,
			  const struct json_slice *after, struct buf *out)
{
	const struct env_conf *c = e->c;
	const char *deleted = NULL;
	const struct buf *schema = &t->row_schema;

	if (op == 'd' && c->unwrap_delete == UNWRAP_TOMBSTONE) {
		/* The after field's own schema, still optional. */
		/*
		 * Not a Kafka tombstone: ExtractNewRecordState keeps the Value
		 * schema with a null value, which JsonConverter writes as
		 * {"schema":...,"payload":null}, or as the four bytes "null"
		 * without schemas.  Sinks read either as a flattened delete.
		 */
		if (c->value_schemas) {
			PUTL(out, "{\"schema\":");
			buf_put(out, schema->data, schema->len);
			PUTL(out, ",\"payload\":null}");
		} else
			PUTL(out, "\"null\",\"value_encoding\":\"text\"");
		return true;
	}
	schema = &t->flat_schema;
	if (c->unwrap_delete == UNWRAP_REWRITE) {
		deleted = op == 'd' ? "true" : "false";
		schema = &t->rewrite_schema;
	}
	if (c->value_schemas) {
		PUTL(out, "{\"schema\":");
		buf_put(out, schema->data, schema->len);
		PUTL(out, ",\"payload\":");
	}
	if (!put_row(e, t, op == 'd' ? before : after, deleted, out))
		return false;
	if (c->value_schemas)
		buf_putc(out, '}');
	return true;
}

/*
 * One data change event: op with before/after rows (NULL = null) and the
 * key taken from keyvals (NULL = null key).
 */
static bool
emit_event(struct env *e, struct table *t, const struct change *ch, char op,
		   const struct json_slice *before, const struct json_slice *after,
		   const struct json_slice *keyvals, struct buf *out)
{
	const struct env_conf *c = e->c;
	int64_t		total = 0,
				corder = 0;

	if (c->unwrap && (op == 't' || (op == 'd' && c->unwrap_delete == UNWRAP_DROP)))
		return true;
	if (c->tx_metadata)
		tx_event(e, t, ch, &total, &corder, out);
	record_start(out, &t->topic);
	if (keyvals == NULL)
		PUTL(out, "null");
	else if (!put_key(e, t, keyvals, out))
		return false;
	PUTL(out, ",\"value\":");
	if (c->unwrap) {
		if (!put_unwrapped(e, t, op, before, after, out))
			return false;
		record_end(e, out);
		return true;
	}
	if (c->value_schemas) {
		PUTL(out, "{\"schema\":");
		buf_put(out, t->value_schema.data, t->value_schema.len);
		PUTL(out, ",\"payload\":");
	}
	PUTL(out, "{\"before\":");
	if (!put_row(e, t, before, NULL, out))
		return false;
	PUTL(out, ",\"after\":");
	if (!put_row(e, t, after, NULL, out))
		return false;
	PUTL(out, ",\"source\":");
	put_source(e, t, ch, true, out);
	PUTL(out, ",\"transaction\":");
	if (c->tx_metadata) {
		PUTL(out, "{\"id\":");
		put_tx_id(e, ch->lsn_v, out);
		PUTL(out, ",\"total_order\":");
		buf_put_i64(out, total);
		PUTL(out, ",\"data_collection_order\":");
		buf_put_i64(out, corder);
		buf_putc(out, '}');
	} else
		PUTL(out, "null");
	PUTL(out, ",\"op\":\"");
	buf_putc(out, op);
	buf_putc(out, '"');
	put_now(e, out, true);
	buf_putc(out, '}');
	if (c->value_schemas)
		buf_putc(out, '}');
	record_end(e, out);
	return true;
}

static bool
emit_tombstone(struct env *e, const struct table *t, const struct json_slice *keyvals,
			   struct buf *out)
{
	if (!e->c->tombstones || e->c->unwrap)
		return true;
	record_start(out, &t->topic);
	if (!put_key(e, t, keyvals, out))
		return false;
	PUTL(out, ",\"value\":null");
	record_end(e, out);
	return true;
}

static bool
message_is_transactional(const struct change *ch)
{
	struct json_slice v;

	return json_type_of(ch->message) != JSON_OBJECT ||
		!json_obj_get(ch->message, "transactional", &v) || json_type_of(v) != JSON_FALSE;
}

/* A logical decoding message: <prefix>.message, MessageKey / MessageValue. */
static bool
emit_message(struct env *e, const struct change *ch, struct buf *out)
{
	static const char key_schema[] =
		"{\"type\":\"struct\",\"fields\":[{\"type\":\"string\",\"optional\":true,\"field\":\"prefix\"}],"
		"\"optional\":false,\"name\":\"io.debezium.connector.postgresql.MessageKey\",\"version\":1}";
	static const char block_schema[] =
		"{\"type\":\"struct\",\"fields\":[{\"type\":\"string\",\"optional\":true,\"field\":\"prefix\"},"
		"{\"type\":\"bytes\",\"optional\":true,\"field\":\"content\"}],\"optional\":false,"
		"\"name\":\"io.debezium.connector.postgresql.Message\",\"version\":1,\"field\":\"message\"}";
	struct json_slice prefix,
				content;
	struct buf	pj = BUF_INIT;
	const char *ps;
	size_t		pn;
	bool		tx;

	if (json_type_of(ch->message) != JSON_OBJECT ||
		!json_obj_get(ch->message, "prefix", &prefix) || json_type_of(prefix) != JSON_STRING ||
		!json_obj_get(ch->message, "content", &content) || json_type_of(content) != JSON_STRING)
		return fail(e, "op \"m\" needs \"message\" with string \"prefix\" and \"content\"");
	tx = message_is_transactional(ch);
	slice_text(e, prefix, &ps, &pn);
	json_put_str(&pj, ps, pn);
	record_start(out, &e->msg_topic);
	if (e->c->key_schemas) {
		PUTL(out, "{\"schema\":");
		buf_puts(out, key_schema);
		PUTL(out, ",\"payload\":");
	}
	PUTL(out, "{\"prefix\":");
	buf_put(out, pj.data, pj.len);
	buf_putc(out, '}');
	if (e->c->key_schemas)
		buf_putc(out, '}');
	PUTL(out, ",\"value\":");
	if (e->c->value_schemas) {
		PUTL(out, "{\"schema\":{\"type\":\"struct\",\"fields\":["
				 "{\"type\":\"string\",\"optional\":false,\"field\":\"op\"},"
				 "{\"type\":\"int64\",\"optional\":true,\"field\":\"ts_ms\"},");
		buf_puts(out, source_schema);
		buf_putc(out, ',');
		buf_puts(out, block_schema);
		PUTL(out, "],\"optional\":false,\"name\":\"io.debezium.connector.postgresql.MessageValue\","
				 "\"version\":1},\"payload\":");
	}
	PUTL(out, "{\"op\":\"m\"");
	put_now(e, out, false);
	PUTL(out, ",\"source\":");
	put_source(e, NULL, ch, tx, out);
	PUTL(out, ",\"message\":{\"prefix\":");
	buf_put(out, pj.data, pj.len);
	PUTL(out, ",\"content\":");
	buf_put(out, content.p, content.n);
	PUTL(out, "}}");
	if (e->c->value_schemas)
		buf_putc(out, '}');
	record_end(e, out);
	buf_free(&pj);
	return true;
}

/* ---- the line ---- */

/* Where the value of top-level member k goes, or NULL to ignore it. */
static struct json_slice *
member_slot(struct change *ch, struct json_slice k)
{
	const char *p = k.p + 1;

#define IS(name) (k.n == sizeof(name) + 1 && memcmp(p, name, sizeof(name) - 1) == 0)
	switch (p[0]) {
		case 'a': return IS("after") ? &ch->after : NULL;
		case 'b': return IS("before") ? &ch->before : NULL;
		case 'c':
			return IS("columns") ? &ch->columns : IS("commit_lsn") ? &ch->commit_lsn : NULL;
		case 'd': return IS("db") ? &ch->db : NULL;
		case 'e': return IS("end_lsn") ? &ch->end_lsn : NULL;
		case 'l': return IS("lsn") ? &ch->lsn : NULL;
		case 'm': return IS("message") ? &ch->message : NULL;
		case 'o': return IS("op") ? &ch->op : NULL;
		case 'p': return IS("pos") ? &ch->pos : NULL;
		case 's':
			return IS("schema") ? &ch->schema : IS("snapshot") ? &ch->snapshot : NULL;
		case 't':
			return IS("table") ? &ch->table : IS("ts_us") ? &ch->ts_us : NULL;
		case 'x': return IS("xid") ? &ch->xid : NULL;
	}
	return NULL;
#undef IS
}

/* What walk_line() hands its json_member_fn. */
struct line_walk {
	struct change *ch;
	const struct table *last;
};

/*
 * A "columns" value whose bytes equal those cached for the last table is
 * taken without scanning: the same bytes were valid before.
 */
static const char *
line_member(void *ctx, struct json_slice k, const char *base, const char *p, const char *end,
			struct json_err *err)
{
	struct line_walk *w = ctx;
	struct json_slice v,
			   *dst = member_slot(w->ch, k);

	if (dst == &w->ch->columns && w->last && w->last->cols_raw &&
		(size_t) (end - p) >= w->last->cols_n && memcmp(p, w->last->cols_raw, w->last->cols_n) == 0) {
		v.p = p;
		v.n = w->last->cols_n;
		p += v.n;
		w->ch->columns_cached = w->last;
	} else if ((p = json_scan(base, p, end, &v, err)) == NULL)
		return NULL;
	if (dst)
		*dst = v;
	return p;
}

/* Walks the line's top-level object once, validating each member as it goes. */
static bool
walk_line(struct env *e, const char *line, size_t n, struct change *ch)
{
	const char *end = line + n,
			   *p = json_skip_ws(line, end);
	struct line_walk w = {ch, e->last};
	struct json_err jerr = {0};

	if (p == end || *p != '{')
		return fail(e, "not a JSON object");
	if ((p = json_scan_object(line, p, end, line_member, &w, &jerr)) == NULL)
		return fail(e, "column %zu: %s", jerr.off + 1, jerr.msg);
	return json_skip_ws(p, end) == end ||
		fail(e, "column %zu: trailing characters after JSON value", (size_t) (p - line) + 1);
}

static bool
parse_change(struct env *e, const char *line, size_t n, struct change *ch)
{
	struct pos pos;

	if (!walk_line(e, line, n, ch))
		return false;
	if (json_type_of(ch->pos) != JSON_STRING ||
		!pos_parse(ch->pos.p + 1, ch->pos.n - 2, &pos))
		return fail(e, "missing or invalid \"pos\"");
	if (json_type_of(ch->op) != JSON_STRING || ch->op.n != 3 ||
		strchr("cudrtm", ch->op.p[1]) == NULL)
		return fail(e, "missing or invalid \"op\"");
	ch->op_c = ch->op.p[1];
	if (json_type_of(ch->lsn) != JSON_STRING ||
		!lsn_parse(ch->lsn.p + 1, ch->lsn.n - 2, &ch->lsn_v))
		return fail(e, "missing or invalid \"lsn\"");
	if (json_type_of(ch->commit_lsn) != JSON_STRING ||
		!lsn_parse(ch->commit_lsn.p + 1, ch->commit_lsn.n - 2, &ch->commit_v))
		return fail(e, "missing or invalid \"commit_lsn\"");
	if (ch->end_lsn.n > 0 && (json_type_of(ch->end_lsn) != JSON_STRING ||
							  !lsn_parse(ch->end_lsn.p + 1, ch->end_lsn.n - 2, &ch->end_v)))
		return fail(e, "invalid \"end_lsn\"");
	if (json_type_of(ch->xid) != JSON_NUMBER || !int_text(ch->xid.p, ch->xid.n))
		return fail(e, "missing or invalid \"xid\"");
	/* ts_ns = ts_us * 1000 must fit, as in Debezium's long. */
	if (json_type_of(ch->ts_us) != JSON_NUMBER || !json_to_i64(ch->ts_us, &ch->ts_us_v) ||
		ch->ts_us_v > INT64_MAX / 1000 || ch->ts_us_v < INT64_MIN / 1000)
		return fail(e, "missing or invalid \"ts_us\"");
	if (ch->snapshot.n > 0 && json_type_of(ch->snapshot) != JSON_STRING)
		return fail(e, "invalid \"snapshot\"");
	if (ch->op_c == 'm')
		return true;
	if (json_type_of(ch->schema) != JSON_STRING || json_type_of(ch->table) != JSON_STRING ||
		!text_str(e, ch->schema) || !text_str(e, ch->table))
		return fail(e, "missing or invalid \"schema\" or \"table\"");
	if (json_type_of(ch->columns) != JSON_ARRAY)
		return fail(e, "missing or invalid \"columns\"");
	return true;
}

/* Per-line state: the clock, lastCommitLsn and the sequence, the db. */
static void
line_state(struct env *e, const struct change *ch, struct buf *out)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	e->now_ms = (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	e->now_us = (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
	e->now_ns = (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
	if (!e->have_commit || e->commit != ch->commit_v) {
		env_end(e, out);
		/*
		 * Debezium's lastCommitLsn is the position of the COMMIT message,
		 * the end of the commit record: end_lsn when the line has it.
		 */
		if (e->have_commit) {
			e->prev_commit = e->end ? e->end : e->commit;
			e->have_prev = true;
		}
		e->commit = ch->commit_v;
		e->end = ch->end_v;
		e->have_commit = true;
	}
	buf_reset(&e->seq);
	PUTL(&e->seq, "\"[");
	if (ch->op_c == 'm' && !message_is_transactional(ch)) {
		/* Debezium commits a non-transactional message before sending it. */
		PUTL(&e->seq, "\\\"");
		buf_put_u64(&e->seq, ch->lsn_v);
		PUTL(&e->seq, "\\\"");
	} else if (e->have_prev) {
		PUTL(&e->seq, "\\\"");
		buf_put_u64(&e->seq, e->prev_commit);
		PUTL(&e->seq, "\\\"");
	} else
		PUTL(&e->seq, "null");
	PUTL(&e->seq, ",\\\"");
	buf_put_u64(&e->seq, ch->lsn_v);
	PUTL(&e->seq, "\\\"]\"");
	buf_reset(&e->db);
	if (e->c->dbname)
		json_put_cstr(&e->db, e->c->dbname);
	else if (json_type_of(ch->db) == JSON_STRING) {
		const char *s;
		size_t		n;

		slice_text(e, ch->db, &s, &n);
		json_put_str(&e->db, s, n);
	} else
		PUTL(&e->db, "\"\"");
}

static unsigned
op_bit(char op)
{
	switch (op) {
		case 'c': return OPBIT_C;
		case 'u': return OPBIT_U;
		case 'd': return OPBIT_D;
		case 'r': return OPBIT_R;
		case 't': return OPBIT_T;
		default: return OPBIT_M;
	}
}

/* Sets the header of the next record to NAME: the key payload of vals. */
static bool
set_key_header(struct env *e, const struct table *t, const char *name,
			   const struct json_slice *vals)
{
	struct buf	kp = BUF_INIT;
	bool		ok = put_key_payload(e, t, vals, &kp);

	buf_reset(&e->hdr);
	if (ok) {
		PUTL(&e->hdr, "{\"");
		buf_puts(&e->hdr, name);
		PUTL(&e->hdr, "\":");
		json_put_str(&e->hdr, kp.data, kp.len);
		buf_putc(&e->hdr, '}');
	}
	buf_free(&kp);
	return ok;
}

/* An update that changes the key: delete + tombstone + create. */
static bool
key_change(struct env *e, struct table *t, const struct change *ch,
		   const struct json_slice *b, const struct json_slice *a, struct buf *out)
{
	bool		ok;

	/* The tombstone is a copy of the delete record: it keeps the header. */
	ok = set_key_header(e, t, "__debezium.newkey", a) &&
		emit_event(e, t, ch, 'd', b, NULL, b, out) &&
		emit_tombstone(e, t, b, out) &&
		set_key_header(e, t, "__debezium.oldkey", b) &&
		emit_event(e, t, ch, 'c', NULL, a, a, out);
	buf_reset(&e->hdr);
	return ok;
}

static bool
row_change(struct env *e, struct table *t, const struct change *ch, struct buf *out)
{
	struct json_slice *b = NULL,
			   *a = NULL;
	char		op = ch->op_c;

	if (t->ncols > e->capvals) {
		e->capvals = t->ncols * 2;
		e->vals_a = xrealloc(e->vals_a, (size_t) e->capvals * sizeof *e->vals_a);
		e->vals_b = xrealloc(e->vals_b, (size_t) e->capvals * sizeof *e->vals_b);
	}
	if (ch->before.n > 0 && !json_is_null(ch->before)) {
		if (!index_row(e, t, ch->before, "before", e->vals_b))
			return false;
		b = e->vals_b;
	}
	if (ch->after.n > 0 && !json_is_null(ch->after)) {
		if (!index_row(e, t, ch->after, "after", e->vals_a))
			return false;
		a = e->vals_a;
	}
	switch (op) {
		case 'c':
		case 'r':
		case 'u':
			if (a == NULL)
				return fail(e, "op \"%c\" without \"after\"", op);
			if (op == 'u' && b && t->nkey > 0 && key_changed(t, b, a))
				return key_change(e, t, ch, b, a, out);
			return emit_event(e, t, ch, op, b, a, t->nkey > 0 ? a : NULL, out);
		case 'd':
			if (b == NULL)
				return fail(e, "op \"d\" without \"before\"");
			/* Debezium sends the tombstone even with a null key. */
			return emit_event(e, t, ch, 'd', b, NULL, t->nkey > 0 ? b : NULL, out) &&
				emit_tombstone(e, t, b, out);
		case 't':
			return emit_event(e, t, ch, 't', NULL, NULL, NULL, out);
	}
	return fail(e, "unknown op \"%c\"", op);
}

bool
env_line(struct env *e, const char *line, size_t n, struct buf *out, char *err, size_t errsize)
{
	struct change ch;
	struct table *t;
	size_t		start = out->len;
	bool		ok;

	memset(&ch, 0, sizeof ch);
	e->err = err;
	e->errsize = errsize;
	buf_reset(&e->hdr);
	if (!parse_change(e, line, n, &ch))
		return false;
	line_state(e, &ch, out);
	if (ch.op_c == 'm') {
		ok = (e->c->skipped & OPBIT_M) || emit_message(e, &ch, out);
		if (message_is_transactional(&ch))
			e->tx_ts_us = ch.ts_us_v, e->have_tx_ts = true;
	}
	else {
		e->tx_ts_us = ch.ts_us_v;
		e->have_tx_ts = true;
		t = table_get(e, ch.schema, ch.table);
		if (!t->included) {
			e->nskipped++;
			return true;
		}
		if (ch.columns_cached != t &&
			(t->cols_raw == NULL || t->cols_n != ch.columns.n ||
			 memcmp(t->cols_raw, ch.columns.p, ch.columns.n) != 0)) {
			if (!table_build(t, ch.columns, e->c, err, errsize)) {
				table_clear(t);
				out->len = start;
				return false;
			}
		}
		if (e->c->skipped & op_bit(ch.op_c))
			e->nskipped++;
		ok = (e->c->skipped & op_bit(ch.op_c)) || row_change(e, t, &ch, out);
	}
	if (!ok) {
		out->len = start;
		return false;
	}
	/* Only the last record of the change carries its position. */
	if (out->len > start) {
		out->len -= 2;			/* "}\n" */
		PUTL(out, ",\"pos\":");
		buf_put(out, ch.pos.p, ch.pos.n);
		PUTL(out, "}\n");
	}
	return true;
}

void
env_stats(const struct env *e, struct env_stats *st)
{
	st->records = e->nrecords;
	st->skipped = e->nskipped;
	st->commit_lsn = e->have_commit ? e->commit : 0;
	st->commit_ts_us = e->have_tx_ts ? e->tx_ts_us : 0;
}
