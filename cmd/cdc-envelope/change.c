/*
 * change.c - the change-line parser: the top-level object is walked once,
 * each member validated as it goes, the members cdc-envelope uses kept as
 * slices; a "columns" array equal to the cached one is not scanned again.
 */
#include "change.h"

#include <string.h>

#include <stdarg.h>
#include <stdio.h>

#include "lsn.h"
#include "table.h"

/* Where a parse reports its error. */
struct errbuf {
	char *msg;
	size_t size;
};

static bool fail(struct errbuf *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static bool
fail(struct errbuf *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err->msg, err->size, fmt, ap);
	va_end(ap);
	return false;
}

/* True if an escaped string slice decodes to text without a NUL. */
static bool
decodes_to_text(struct json_slice s)
{
	struct buf b = BUF_INIT;
	bool ok = json_str_decode_text(s, &b);

	buf_free(&b);
	return ok;
}

/* True if a string slice decodes to text without a NUL (a usable name). */
static bool
text_str(struct json_slice s)
{
	return json_str_is_plain(s) || decodes_to_text(s);
}

static bool
int_text(const char *s, size_t n)
{
	size_t i = n > 0 && s[0] == '-' ? 1 : 0;

	if (i == n)
		return false;
	for (; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

bool
change_is_transactional(const struct change *ch)
{
	struct json_slice v;

	return json_type_of(ch->message) != JSON_OBJECT ||
		!json_obj_get(ch->message, "transactional", &v) || json_type_of(v) != JSON_FALSE;
}

/* Where the value of top-level member k goes, or NULL to ignore it. */
static struct json_slice *
member_slot(struct change *ch, struct json_slice k)
{
	const char *p = k.p + 1;

#define IS(name) (k.n == sizeof(name) + 1 && memcmp(p, name, sizeof(name) - 1) == 0)
	switch (p[0]) {
		case 'a': return IS("after") ? &ch->after : NULL;
		case 'b': return IS("before") ? &ch->before : NULL;
		case 'c': return IS("columns") ? &ch->columns : IS("commit_lsn") ? &ch->commit_lsn : NULL;
		case 'd': return IS("db") ? &ch->db : NULL;
		case 'e': return IS("end_lsn") ? &ch->end_lsn : NULL;
		case 'l': return IS("lsn") ? &ch->lsn : NULL;
		case 'm': return IS("message") ? &ch->message : NULL;
		case 'o': return IS("op") ? &ch->op : NULL;
		case 'p': return IS("pos") ? &ch->pos : NULL;
		case 's': return IS("schema") ? &ch->schema : IS("snapshot") ? &ch->snapshot : NULL;
		case 't': return IS("table") ? &ch->table : IS("ts_us") ? &ch->ts_us : NULL;
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
	struct json_slice v, *dst = member_slot(w->ch, k);

	if (dst == &w->ch->columns && w->last && w->last->cols_raw &&
		(size_t) (end - p) >= w->last->cols_n &&
		memcmp(p, w->last->cols_raw, w->last->cols_n) == 0) {
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
walk_line(const char *line, size_t n, const struct table *last, struct change *ch,
		  struct errbuf *err)
{
	const char *end = line + n, *p = json_skip_ws(line, end);
	struct line_walk w = {ch, last};
	struct json_err jerr = {0};

	if (p == end || *p != '{')
		return fail(err, "not a JSON object");
	if ((p = json_scan_object(line, p, end, line_member, &w, &jerr)) == NULL)
		return fail(err, "column %zu: %s", jerr.off + 1, jerr.msg);
	return json_skip_ws(p, end) == end ||
		fail(err, "column %zu: trailing characters after JSON value", (size_t) (p - line) + 1);
}

bool
change_parse(const char *line, size_t n, const struct table *last, struct change *ch, char *errmsg,
			 size_t errsize)
{
	struct errbuf e = {errmsg, errsize}, *err = &e;
	struct pos pos;

	if (!walk_line(line, n, last, ch, err))
		return false;
	if (json_type_of(ch->pos) != JSON_STRING || !pos_parse(ch->pos.p + 1, ch->pos.n - 2, &pos))
		return fail(err, "missing or invalid \"pos\"");
	if (json_type_of(ch->op) != JSON_STRING || ch->op.n != 3 ||
		strchr("cudrtm", ch->op.p[1]) == NULL)
		return fail(err, "missing or invalid \"op\"");
	ch->op_c = ch->op.p[1];
	if (json_type_of(ch->lsn) != JSON_STRING ||
		!lsn_parse(ch->lsn.p + 1, ch->lsn.n - 2, &ch->lsn_v))
		return fail(err, "missing or invalid \"lsn\"");
	if (json_type_of(ch->commit_lsn) != JSON_STRING ||
		!lsn_parse(ch->commit_lsn.p + 1, ch->commit_lsn.n - 2, &ch->commit_v))
		return fail(err, "missing or invalid \"commit_lsn\"");
	if (ch->end_lsn.n > 0 &&
		(json_type_of(ch->end_lsn) != JSON_STRING ||
		 !lsn_parse(ch->end_lsn.p + 1, ch->end_lsn.n - 2, &ch->end_v)))
		return fail(err, "invalid \"end_lsn\"");
	if (json_type_of(ch->xid) != JSON_NUMBER || !int_text(ch->xid.p, ch->xid.n))
		return fail(err, "missing or invalid \"xid\"");
	/* ts_ns = ts_us * 1000 must fit, as in Debezium's long. */
	if (json_type_of(ch->ts_us) != JSON_NUMBER || !json_to_i64(ch->ts_us, &ch->ts_us_v) ||
		ch->ts_us_v > INT64_MAX / 1000 || ch->ts_us_v < INT64_MIN / 1000)
		return fail(err, "missing or invalid \"ts_us\"");
	if (ch->snapshot.n > 0 && json_type_of(ch->snapshot) != JSON_STRING)
		return fail(err, "invalid \"snapshot\"");
	if (ch->op_c == 'm')
		return true;
	if (json_type_of(ch->schema) != JSON_STRING || json_type_of(ch->table) != JSON_STRING ||
		!text_str(ch->schema) || !text_str(ch->table))
		return fail(err, "missing or invalid \"schema\" or \"table\"");
	if (json_type_of(ch->columns) != JSON_ARRAY)
		return fail(err, "missing or invalid \"columns\"");
	return true;
}
