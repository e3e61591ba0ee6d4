/*
 * cdc-envelope.c - unit tests for cdc-envelope's value conversions and
 * option parsers (cmd/cdc-envelope/convert.c, convnum.c, convtime.c, config.c).
 */
#include <stdlib.h>
#include <string.h>

#include "../../cmd/cdc-envelope/convert.h"
#include "../../cmd/cdc-envelope/convnum.h"
#include "../../cmd/cdc-envelope/convtime.h"
#include "../../cmd/cdc-envelope/envelope.h"
#include "buf.h"
#include "tap.h"

static struct buf b = BUF_INIT;

static const char *
str(void)
{
	return buf_cstr(&b);
}

static void
java_float(const char *in, const char *want)
{
	buf_reset(&b);
	ok(conv_java_float(in, strlen(in), false, &b) && strcmp(str(), want) == 0,
	   "java float %s -> %s (got %s)", in, want, str());
}

static void
java_float4(const char *in, const char *want)
{
	buf_reset(&b);
	ok(conv_java_float(in, strlen(in), true, &b) && strcmp(str(), want) == 0,
	   "java float4 %s -> %s (got %s)", in, want, str());
}

static void
decimal(const char *in, int scale, const char *want)
{
	buf_reset(&b);
	ok(conv_decimal(in, strlen(in), scale, &b) && strcmp(str(), want) == 0,
	   "decimal %s scale %d -> %s (got %s)", in, scale, want, str());
}

static void
test_numbers(void)
{
	java_float("3.3", "3.3");
	java_float("100", "100.0");
	java_float("-0", "-0.0");
	java_float("0", "0.0");
	java_float("1e+10", "1.0E10");
	java_float("1.5e-05", "1.5E-5");
	java_float("0.001", "0.001");
	java_float("0.0001", "1.0E-4");
	java_float("1234567", "1234567.0");
	java_float("12345678", "1.2345678E7");
	java_float("1.7976931348623157e+308", "1.7976931348623157E308");
	java_float("Infinity", "\"Infinity\"");
	/* JDK 17's digits, checked against its Double/Float.toString(). */
	java_float("5e-324", "4.9E-324");
	java_float("1e+23", "9.999999999999999E22");
	java_float("2.82879384806159e+17", "2.82879384806159008E17");
	java_float("1.105429575052089e-75", "1.1054295750520889E-75");
	java_float("2e-05", "2.0E-5");
	java_float4("1e-45", "1.4E-45");
	java_float4("9e-44", "9.0E-44");
	java_float4("3.4028235e+38", "3.4028235E38");
	java_float4("5.8082825e+25", "5.8082824E25");
	java_float4("2.090385e+17", "2.09038498E17");
	buf_reset(&b);
	ok(!conv_java_float("1x", 2, false, &b), "java float rejects junk");
	buf_reset(&b);
	conv_java_double(5e-324, &b);
	ok(strcmp(str(), "4.9E-324") == 0, "java double min (got %s)", str());
	buf_reset(&b);
	conv_java_double(0.1, &b);
	ok(strcmp(str(), "0.1") == 0, "shortest double 0.1 (got %s)", str());

	decimal("123.45", 2, "\"MDk=\"");
	decimal("-1.00", 2, "\"nA==\"");
	decimal("0", 2, "\"AA==\"");
	decimal("1.5", 2, "\"AJY=\"");
	decimal("128", 0, "\"AIA=\"");
	decimal("-128", 0, "\"gA==\"");
	decimal("-129", 0, "\"/38=\"");
	decimal("255", 0, "\"AP8=\"");
	decimal("1.005", 2, "\"ZQ==\""); /* half up: 101 */
	decimal("$1,234.11", 2, "\"AeIT\"");
	decimal("-$3.00", 2, "\"/tQ=\"");
	buf_reset(&b);
	ok(conv_varscale("10.1111", 7, &b) && strcmp(str(), "{\"scale\":4,\"value\":\"AYr3\"}") == 0,
	   "variable scale 10.1111 (got %s)", str());
	buf_reset(&b);
	ok(conv_varscale("100.00", 6, &b) && strcmp(str(), "{\"scale\":0,\"value\":\"ZA==\"}") == 0,
	   "variable scale strips trailing zeros (got %s)", str());
	ok(conv_is_special_number("NaN", 3) && !conv_is_special_number("1", 1), "NaN is special");
	buf_reset(&b);
	ok(conv_numeric_double("$1,234.50", 9, &b) && strcmp(str(), "1234.5") == 0,
	   "money as double (got %s)", str());
}

static void
test_times(void)
{
	int64_t v;

	ok(conv_date("2016-11-04", 10, &v) && v == 17109, "date");
	ok(conv_date("1970-01-01", 10, &v) && v == 0, "epoch date");
	v = 1;
	ok(conv_date("0001-01-01 BC", 13, &v) && v == -719528, "date BC (%lld)", (long long) v);
	ok(conv_time("13:51:30", 8, &v) && v == INT64_C(49890000000), "time");
	ok(conv_time("00:00:00.000001", 15, &v) && v == 1, "time fraction");
	ok(!conv_time("25:00", 5, &v), "bad time");
	ok(conv_timestamp("2016-11-04 13:51:30.123456", 26, &v) && v == INT64_C(1478267490123456),
	   "timestamp");
	ok(conv_timestamp("1969-12-31 23:59:59.5", 21, &v) && v == -500000, "timestamp before epoch");
	buf_reset(&b);
	ok(conv_timestamptz("2016-11-04 13:51:30.5+02", 24, 6, &b) &&
		   strcmp(str(), "\"2016-11-04T11:51:30.500000Z\"") == 0,
	   "timestamptz to UTC (got %s)", str());
	buf_reset(&b);
	ok(conv_timestamptz("2016-01-01 00:30:00-05:30", 25, 3, &b) &&
		   strcmp(str(), "\"2016-01-01T06:00:00.000Z\"") == 0,
	   "timestamptz offset minutes (got %s)", str());
	buf_reset(&b);
	ok(conv_timestamptz("10000-01-01 00:00:00+00", 23, 0, &b) &&
		   strcmp(str(), "\"+10000-01-01T00:00:00Z\"") == 0,
	   "timestamptz year 10000 (got %s)", str());
	buf_reset(&b);
	ok(conv_timetz("00:30:00+01", 11, &b) && strcmp(str(), "\"23:30:00Z\"") == 0,
	   "timetz wraps midnight (got %s)", str());
	ok(conv_interval("1 year 2 mons 3 days 04:05:06.78", 32, &v) && v == INT64_C(37091106780000),
	   "interval (%lld)", (long long) v);
	ok(conv_interval("-00:00:01.5", 11, &v) && v == -1500000, "negative interval (%lld)",
	   (long long) v);
	ok(conv_interval("100:00:00", 9, &v) && v == INT64_C(360000000000), "interval hours > 99");
	ok(conv_interval("00:00:00", 8, &v) && v == 0, "zero interval");
	ok(!conv_interval("3 weeks", 7, &v), "unknown interval unit");
	ok(conv_interval("178000000 years", 15, &v) && v == INT64_MAX, "interval saturates");
	ok(conv_interval("-178000000 years", 16, &v) && v == INT64_MIN, "negative interval saturates");
	ok(!conv_timestamp("294276-12-31 23:59:59.999999", 28, &v), "timestamp past int64");
	ok(conv_timestamp_java("294276-12-31 23:59:59.999999", 28, &v) &&
		   v == INT64_C(-9223372036853775810),
	   "timestamp past int64, as Java computes it (%lld)", (long long) v);
	buf_reset(&b);
	ok(conv_timestamptz("294276-12-31 23:59:59.999999+00", 31, 6, &b) &&
		   strcmp(str(), "\"+294276-12-31T23:59:59.999999Z\"") == 0,
	   "timestamptz past int64 microseconds (got %s)", str());
}

static void
test_others(void)
{
	buf_reset(&b);
	ok(conv_bits("11", 2, &b) && strcmp(str(), "\"Aw==\"") == 0, "bits 11");
	buf_reset(&b);
	ok(conv_bits("000000110000001000000001", 24, &b) && strcmp(str(), "\"AQID\"") == 0, "bits 24");
	buf_reset(&b);
	ok(conv_bits("100000000", 9, &b) && strcmp(str(), "\"AAE=\"") == 0, "bits 9 (got %s)", str());
	buf_reset(&b);
	ok(conv_bytea("\\x", 2, &b) && strcmp(str(), "\"\"") == 0, "empty bytea");
	buf_reset(&b);
	ok(!conv_bytea("\\x0", 3, &b), "odd bytea");
	buf_reset(&b);
	ok(conv_hstore("\"b\"=>\"2\", \"a\"=>\"1\", \"c\"=>NULL", 29, &b) &&
		   strcmp(str(), "\"{\\\"a\\\":\\\"1\\\",\\\"b\\\":\\\"2\\\",\\\"c\\\":null}\"") == 0,
	   "hstore in HashMap order (got %s)", str());
	buf_reset(&b);
	{
		/* "Aa" and "BB" share hashCode 2112 (bucket 0): insertion order. */
		const char *in = "\"c\"=>\"1\", \"BB\"=>\"2\", \"Aa\"=>\"3\"";

		ok(conv_hstore(in, strlen(in), &b) &&
			   strcmp(str(),
					  "\"{\\\"BB\\\":\\\"2\\\",\\\"Aa\\\":\\\"3\\\",\\\"c\\\":\\\"1\\\"}\"") == 0,
		   "hstore: colliding keys keep insertion order (got %s)", str());
	}
	buf_reset(&b);
	json_set_escape_astral(true); /* as cdc-envelope's main() */
	ok(conv_hstore("\"k\"=>\"\xf0\x9f\x98\x80\"", 11, &b) &&
		   strcmp(str(), "\"{\\\"k\\\":\\\"\\uD83D\\uDE00\\\"}\"") == 0,
	   "hstore: a character outside the BMP is escaped once, by the outer string (got %s)", str());
	ok(conv_java_hash("Aa", 2) == 2112 && conv_java_hash("BB", 2) == 2112 &&
		   conv_java_hash("\xf0\x9f\x98\x80", 4) == 1772899,
	   "String.hashCode with a surrogate pair");
	ok(conv_hashmap_capacity(12) == 16 && conv_hashmap_capacity(13) == 32,
	   "HashMap grows past 0.75");
	buf_reset(&b);
	ok(conv_point("(1.5,-2)", 8, &b) &&
		   strncmp(str(), "{\"x\":1.5,\"y\":-2.0,\"wkb\":\"AQEAAAAAAAAAAAD4PwAAAAAAAADA\"", 54) ==
			   0,
	   "point (got %s)", str());
}

static bool
count(void *arg, const char *s, size_t n)
{
	struct buf *out = arg;

	buf_putc(out, '<');
	if (s)
		buf_put(out, s, n);
	else
		buf_puts(out, "NULL");
	buf_putc(out, '>');
	return true;
}

static void
test_arrays(void)
{
	const char *in = "{a,\"b,c\",NULL,\"NULL\",\"q\\\"x\"}";

	buf_reset(&b);
	ok(conv_array_split(in, strlen(in), count, &b) &&
		   strcmp(str(), "<a><b,c><NULL><NULL><q\"x>") == 0,
	   "array split (got %s)", str());
	buf_reset(&b);
	ok(conv_array_split("{}", 2, count, &b) && b.len == 0, "empty array");
	ok(!conv_array_split("{{1},{2}}", 9, count, &b), "two dimensions refused");
	ok(!conv_array_split("{1,", 3, count, &b), "unterminated array refused");
}

static void
test_config(void)
{
	struct env_conf c = {0};
	unsigned mask;
	char err[200];
	regex_t *re = NULL;
	int n = 0;

	ok(conf_parse_skipped("t", &mask, err, sizeof err) && mask == OPBIT_T, "skipped t");
	ok(conf_parse_skipped("none", &mask, err, sizeof err) && mask == 0, "skipped none");
	ok(conf_parse_skipped("c, d", &mask, err, sizeof err) && mask == (OPBIT_C | OPBIT_D),
	   "skipped c,d");
	ok(!conf_parse_skipped("x", &mask, err, sizeof err), "skipped x refused: %s", err);
	ok(keycols_parse(&c.keycols, "public.a:x,y;s.b:z", err, sizeof err) && c.keycols.n == 2 &&
		   strcmp(c.keycols.v[0].table, "public.a") == 0 && c.keycols.v[0].ncols == 2 &&
		   strcmp(c.keycols.v[1].cols[0], "z") == 0 &&
		   keycols_find(&c.keycols, "s.b") == &c.keycols.v[1] &&
		   keycols_find(&c.keycols, "s.c") == NULL,
	   "key columns");
	ok(!keycols_parse(&c.keycols, "nodot:x", err, sizeof err), "key columns need schema.table");
	ok(conf_parse_tables("public.source_table,s2\\..*", &re, &n, err, sizeof err) && n == 2 &&
		   regexec(&re[0], "public.source_table", 0, NULL, 0) == 0 &&
		   regexec(&re[0], "public.source_table2", 0, NULL, 0) != 0 &&
		   regexec(&re[1], "s2.x", 0, NULL, 0) == 0,
	   "table lists are anchored regexes");
	c.include = re;
	c.ninclude = n;
	env_conf_free(&c);
}

int
main(void)
{
	test_numbers();
	test_times();
	test_others();
	test_arrays();
	test_config();
	buf_free(&b);
	return tap_done();
}
