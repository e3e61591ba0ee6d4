/*
 * convtime.c - Debezium's dates, times, timestamps and durations in
 * PostgreSQL's input form: day counts and microseconds through the
 * proleptic Gregorian calendar of dbzvocab.h (years before 1 AD as
 * "N BC"), pgjdbc's infinities back to "infinity", and ISO 8601
 * timestamps with Java's years.  See convert.h.
 */
#include "pgapply.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "dbzvocab.h"

static void
put_date(struct buf *out, int64_t days, bool *bc)
{
	int64_t y;
	int m, d;

	dbz_civil_from_days(days, &y, &m, &d);
	*bc = y <= 0;
	if (*bc)
		y = 1 - y;
	buf_printf(out, "%04" PRId64 "-%02d-%02d", y, m, d);
}

void
date_from_days(int64_t days, struct buf *out)
{
	bool bc;

	put_date(out, days, &bc);
	if (bc)
		buf_puts(out, " BC");
}

static int64_t
floordiv(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

void
time_from_us(int64_t us, struct buf *out)
{
	int64_t s = us / 1000000;

	buf_printf(out, "%02" PRId64 ":%02" PRId64 ":%02" PRId64 ".%06" PRId64, s / 3600, s / 60 % 60,
			   s % 60, us % 1000000);
}

void
timestamp_from_us(int64_t us, struct buf *out)
{
	int64_t days = floordiv(us, INT64_C(86400000000));
	bool bc;

	put_date(out, days, &bc);
	buf_putc(out, ' ');
	time_from_us(us - days * INT64_C(86400000000), out);
	if (bc)
		buf_puts(out, " BC");
}

static bool
get_i64(struct json_slice v, int64_t *out)
{
	return json_type_of(v) == JSON_NUMBER && json_to_i64(v, out);
}

/* CONV_ERROR, with what was expected instead in *what. */
static enum conv_result
expected(const char **what, const char *expected)
{
	*what = expected;
	return CONV_ERROR;
}

static enum conv_result conv_iso_ts(struct json_slice v, struct buf *out, const char **what);

enum conv_result
conv_temporal(const struct ctype *t, struct json_slice v, struct buf *out, const char **what)
{
	int64_t i, pos_inf = DBZ_TS_POS_INFINITY_US, neg_inf = DBZ_TS_NEG_INFINITY_US;

	switch (t->kind) {
		case CK_DATE:
			/* A Connect Date is an int32; more would overflow the calendar arithmetic. */
			if (!get_i64(v, &i) || i < INT32_MIN || i > INT32_MAX)
				return expected(what, "days since 1970-01-01");
			if (i == DBZ_DATE_POS_INFINITY || i == DBZ_DATE_NEG_INFINITY)
				buf_puts(out, i == DBZ_DATE_POS_INFINITY ? "infinity" : "-infinity");
			else
				date_from_days(i, out);
			return CONV_OK;
		case CK_TIME_MS:
		case CK_TIME_US:
		case CK_TIME_NS:
			if (!get_i64(v, &i) || i < 0 || (t->kind == CK_TIME_MS && i > INT64_MAX / 1000))
				return expected(what, "a time of day as a number");
			time_from_us(t->kind == CK_TIME_MS		 ? i * 1000
							 : t->kind == CK_TIME_NS ? i / 1000
													 : i,
						 out);
			return CONV_OK;
		case CK_TS_MS:
		case CK_TS_US:
		case CK_TS_NS:
			if (!get_i64(v, &i))
				return expected(what, "a timestamp as a number");
			if (t->kind == CK_TS_MS) {
				/* Debezium's milliseconds of the infinities: the microseconds, floored. */
				pos_inf = floordiv(pos_inf, 1000);
				neg_inf = floordiv(neg_inf, 1000);
			}
			if (i >= pos_inf || i <= neg_inf) {
				buf_puts(out, i > 0 ? "infinity" : "-infinity");
				return CONV_OK;
			}
			if (t->kind == CK_TS_MS && (i > INT64_MAX / 1000 || i < INT64_MIN / 1000))
				return expected(what, "a timestamp in range");
			timestamp_from_us(t->kind == CK_TS_MS		? i * 1000
								  : t->kind == CK_TS_NS ? floordiv(i, 1000)
														: i,
							  out);
			return CONV_OK;
		case CK_DURATION_US:
			if (!get_i64(v, &i))
				return expected(what, "microseconds");
			buf_printf(out, "%s%" PRId64 ".%06" PRId64 " seconds", i < 0 ? "-" : "",
					   i < 0 ? -(i / 1000000) : i / 1000000, i < 0 ? -(i % 1000000) : i % 1000000);
			return CONV_OK;
		case CK_ISO_TS: return conv_iso_ts(v, out, what);
		default: return expected(what, "a value");
	}
}

/*
 * An ISO 8601 timestamp (ZonedTimestamp) in PostgreSQL's input form: Java
 * writes the years before 1 AD as 0000, -0001, ... (year 0 is 1 BC) and
 * those after 9999 with a '+', which PostgreSQL reads as "N BC" and
 * without the sign.  Anything else is passed on for the server to judge.
 */
static enum conv_result
conv_iso_ts(struct json_slice v, struct buf *out, const char **what)
{
	struct json_slice in;
	const char *p, *end, *dash;
	int64_t year = 0;

	if (json_type_of(v) != JSON_STRING || !json_str_is_plain(v))
		return expected(what, "an ISO 8601 timestamp");
	in = json_str_inner(v);
	p = in.p;
	end = in.p + in.n;
	if (in.n == 0 || (in.n == 9 && memcmp(p, "-infinity", 9) == 0) ||
		(*p != '-' && *p != '+' && (in.n < 5 || memcmp(p, "0000-", 5) != 0))) {
		buf_put(out, in.p, in.n); /* 0001 to 9999, and "infinity" */
		return CONV_OK;
	}
	for (dash = p + 1; dash < end && *dash >= '0' && *dash <= '9' && year < INT32_MAX; dash++)
		year = year * 10 + (*dash - '0');
	if (*p != '+' && *p != '-')
		year = 0, dash = p + 4;
	if (dash == p + 1 || dash >= end || *dash != '-')
		return expected(what, "an ISO 8601 timestamp");
	if (*p == '+') {
		buf_printf(out, "%04" PRId64, year);
		buf_put(out, dash, (size_t) (end - dash));
		return CONV_OK;
	}
	buf_printf(out, "%04" PRId64, (*p == '-' ? year : 0) + 1);
	buf_put(out, dash, (size_t) (end - dash));
	buf_puts(out, " BC");
	return CONV_OK;
}
