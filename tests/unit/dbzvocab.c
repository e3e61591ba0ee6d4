/*
 * dbzvocab.c - unit tests of the vocabulary both directions share
 * (common/dbzvocab.c), and of the round trip through it: each value kind
 * written from PostgreSQL text by cdc-envelope's converters, with the
 * schema cdc-envelope gives its type, and read back into PostgreSQL input
 * text by pg-apply's.
 */
#include <stdlib.h>
#include <string.h>

#include "../../cmd/cdc-envelope/convert.h"
#include "../../cmd/cdc-envelope/row.h"
#include "../../cmd/cdc-envelope/schema.h"
#include "../../cmd/cdc-envelope/typemap.h"
#include "../../cmd/pg-apply/convert.h"
#include "buf.h"
#include "dbzvocab.h"
#include "tap.h"

static struct env_conf conf = {.money_digits = 2};

static struct json_slice
slice(const struct buf *b)
{
	struct json_slice s = {b->data, b->len};

	return s;
}

/*
 * Reads the JSON value of the field schema back with pg-apply: its
 * result, the text in back.
 */
static enum conv_result
read_back(const struct buf *schema, const struct buf *json, struct buf *back)
{
	struct ctype t;
	char err[200] = "";
	enum conv_result r = CONV_ERROR;

	if (!ctype_parse(slice(schema), &t, err, sizeof err)) {
		printf("# schema %.*s: %s\n", (int) schema->len, schema->data, err);
		return r;
	}
	r = conv_value(&t, slice(json), back, err, sizeof err);
	if (r == CONV_ERROR)
		printf("# %.*s: %s\n", (int) json->len, json->data, err);
	ctype_free(&t);
	return r;
}

/*
 * PostgreSQL text in of type typ (typmod, enum labels or NULL) written by
 * cdc-envelope and read back by pg-apply gives want.
 */
static void
trip_conf(const struct env_conf *c, const char *typ, int typmod, const char *labels, const char *in,
		  const char *want)
{
	struct tdesc d;
	struct buf schema = BUF_INIT, json = BUF_INIT, back = BUF_INIT;

	if (!ok(map_scalar(typ, typmod, labels, c, &d), "%s(%d) has a schema", typ, typmod))
		return;
	schema_put_type(&schema, &d, NULL, true, NULL, NULL, "f");
	if (ok(put_text_value(c, &d, in, strlen(in), &json), "%s '%s' is written", typ, in)) {
		size_t n = read_back(&schema, &json, &back) == CONV_OK ? back.len : 0;

		ok_str(back.data, n, want, "%s(%d) '%s' -> %s -> '%s' (%s)", typ, typmod, in,
			   buf_cstr(&json), want, d.name ? d.name : d.type);
	}
	free(d.params);
	buf_free(&schema);
	buf_free(&json);
	buf_free(&back);
}

/* Values that come back as they went: type, typmod, PostgreSQL text in, pg-apply's text out. */
static const struct trip_case {
	const char *typ;
	int typmod;
	const char *in;
	const char *want;
} trips[] = {
	/* io.debezium.time.Date: days through the proleptic Gregorian calendar. */
	{"date", -1, "2016-11-04", "2016-11-04"},
	{"date", -1, "1970-01-01", "1970-01-01"},
	{"date", -1, "1969-12-31", "1969-12-31"},
	{"date", -1, "0001-01-01", "0001-01-01"},
	{"date", -1, "0001-12-31 BC", "0001-12-31 BC"},
	{"date", -1, "0001-01-01 BC", "0001-01-01 BC"},
	{"date", -1, "0044-03-15 BC", "0044-03-15 BC"},
	{"date", -1, "4713-01-01 BC", "4713-01-01 BC"},
	{"date", -1, "1582-10-04", "1582-10-04"},
	{"date", -1, "1582-10-10", "1582-10-10"},
	{"date", -1, "1582-10-15", "1582-10-15"},
	{"date", -1, "2000-02-29", "2000-02-29"},
	{"date", -1, "9999-12-31", "9999-12-31"},
	{"date", -1, "infinity", "infinity"},
	{"date", -1, "-infinity", "-infinity"},
	/* MicroTimestamp: microseconds, and pgjdbc's infinities. */
	{"timestamp", -1, "2016-11-04 13:51:30.123456", "2016-11-04 13:51:30.123456"},
	{"timestamp", -1, "1969-12-31 23:59:59.999999", "1969-12-31 23:59:59.999999"},
	{"timestamp", -1, "0001-01-01 00:00:00", "0001-01-01 00:00:00.000000"},
	{"timestamp", -1, "0044-03-15 12:00:00 BC", "0044-03-15 12:00:00.000000 BC"},
	{"timestamp", -1, "1582-10-04 23:59:59.5", "1582-10-04 23:59:59.500000"},
	{"timestamp", -1, "1582-10-15 00:00:00", "1582-10-15 00:00:00.000000"},
	{"timestamp", -1, "9999-12-31 23:59:59.999999", "9999-12-31 23:59:59.999999"},
	{"timestamp", -1, "infinity", "infinity"},
	{"timestamp", -1, "-infinity", "-infinity"},
	/* timestamp(0..3): io.debezium.time.Timestamp, milliseconds. */
	{"timestamp", 3, "2016-11-04 13:51:30.123", "2016-11-04 13:51:30.123000"},
	{"timestamp", 3, "0001-12-31 23:59:59.999 BC", "0001-12-31 23:59:59.999000 BC"},
	{"timestamp", 0, "1582-10-10 00:00:00", "1582-10-10 00:00:00.000000"},
	{"timestamp", 3, "infinity", "infinity"},
	{"timestamp", 3, "-infinity", "-infinity"},
	/* ZonedTimestamp: ISO 8601 in UTC, Java's years. */
	{"timestamptz", -1, "2016-11-04 13:51:30.123456+02", "2016-11-04T11:51:30.123456Z"},
	{"timestamptz", 3, "2016-11-04 13:51:30.1-01:30", "2016-11-04T15:21:30.100Z"},
	{"timestamptz", -1, "0001-01-01 00:00:00+00", "0001-01-01T00:00:00.000000Z"},
	{"timestamptz", -1, "0001-12-31 23:00:00+00 BC", "0001-12-31T23:00:00.000000Z BC"},
	{"timestamptz", -1, "0044-03-15 12:00:00+00 BC", "0044-03-15T12:00:00.000000Z BC"},
	{"timestamptz", 0, "1582-10-04 12:00:00+00", "1582-10-04T12:00:00Z"},
	{"timestamptz", -1, "9999-12-31 23:59:59.999999+00", "9999-12-31T23:59:59.999999Z"},
	{"timestamptz", -1, "10000-01-01 00:00:00+00", "10000-01-01T00:00:00.000000Z"},
	{"timestamptz", -1, "infinity", "infinity"},
	{"timestamptz", -1, "-infinity", "-infinity"},
	/* MicroTime and Time, ZonedTime. */
	{"time", -1, "13:51:30.123456", "13:51:30.123456"},
	{"time", -1, "00:00:00", "00:00:00.000000"},
	{"time", -1, "24:00:00", "24:00:00.000000"},
	{"time", 3, "13:51:30.123", "13:51:30.123000"},
	{"time", 0, "23:59:59", "23:59:59.000000"},
	{"timetz", -1, "13:51:30.123789+02", "11:51:30.123789Z"},
	{"timetz", -1, "00:30:00-01", "01:30:00Z"},
	/* MicroDuration: microseconds, a month of 365.25/12 days. */
	/* MicroDuration: microseconds, a month of 365.25/12 days. */
	{"interval", -1, "1 day 02:03:04.5", "93784.500000 seconds"},
	{"interval", -1, "-00:00:01.5", "-1.500000 seconds"},
	{"interval", -1, "00:00:00.000001", "0.000001 seconds"},
	{"interval", -1, "1 year 2 mons", "36817200.000000 seconds"},
	{"interval", -1, "-1 days +100:00:00", "273600.000000 seconds"},
	/* Decimal with its scale, VariableScaleDecimal, money's Decimal; numbers. */
	{"numeric", (5 << 16 | 2) + 4, "123.45", "123.45"},
	{"numeric", (5 << 16 | 2) + 4, "-1.00", "-1.00"},
	{"numeric", (5 << 16 | 2) + 4, "0", "0.00"},
	{"numeric", (5 << 16 | 2) + 4, "0.005", "0.01"},
	{"numeric", (38 << 16 | 0) + 4, "-170141183460469231731687303715884105728",
	 "-170141183460469231731687303715884105728"},
	{"numeric", -1, "3.14159", "3.14159"},
	{"numeric", -1, "100", "100"},
	{"numeric", -1, "-12345678901234567890.5", "-12345678901234567890.5"},
	{"numeric", -1, "0.000001", "0.000001"},
	{"money", -1, "$1,234.50", "1234.50"},
	{"money", -1, "-$3.00", "-3.00"},
	{"int2", -1, "-32768", "-32768"},
	{"int8", -1, "9223372036854775807", "9223372036854775807"},
	{"float8", -1, "3.5", "3.5"},
	{"float8", -1, "-Infinity", "-Infinity"},
	{"float4", -1, "1.1", "1.1"},
	{"float8", -1, "NaN", "NaN"},
	/* Bits (bit(1) is a boolean), Json, Uuid, Xml, Ltree, strings, bytes, Point. */
	{"bool", -1, "t", "t"},
	{"bool", -1, "f", "f"},
	{"bit", 3, "101", "101"},
	{"bit", 12, "000000000101", "000000000101"},
	{"bit", 16, "1000000000000001", "1000000000000001"},
	{"varbit", -1, "1101", "1101"},
	{"bit", 1, "1", "t"},
	{"json", -1, "{\"a\": [1, 2.5], \"b\": null}", "{\"a\": [1, 2.5], \"b\": null}"},
	{"jsonb", -1, "{\"k\": \"v\\u00e9\"}", "{\"k\": \"v\\u00e9\"}"},
	{"uuid", -1, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"},
	{"xml", -1, "<foo>bar</foo>", "<foo>bar</foo>"},
	{"ltree", -1, "a.b.c", "a.b.c"},
	{"text", -1, "a\"b\\c\td\xc3\xa9", "a\"b\\c\td\xc3\xa9"},
	{"bytea", -1, "\\x0102ff", "\\x0102ff"},
	{"bytea", -1, "\\x", "\\x"},
	{"hstore", -1, "\"k\"=>\"v\"", "{\"k\":\"v\"}"},
	{"point", -1, "(1.5,-2)", "(1.5,-2.0)"},
};

static void
test_trips(void)
{
	for (size_t i = 0; i < sizeof trips / sizeof trips[0]; i++)
		trip_conf(&conf, trips[i].typ, trips[i].typmod, NULL, trips[i].in, trips[i].want);
	/* An enum type: io.debezium.data.Enum. */
	trip_conf(&conf, "mood", -1, "happy,sad", "sad", "sad");
}

static void
test_times(void)
{
	struct env_conf connect = conf;

	/* time.precision.mode=connect: org.apache.kafka.connect.data.*. */
	connect.time = TIME_CONNECT;
	trip_conf(&connect, "date", -1, NULL, "0044-03-15 BC", "0044-03-15 BC");
	trip_conf(&connect, "time", 6, NULL, "13:51:30.123456", "13:51:30.123000");
	trip_conf(&connect, "timestamp", 6, NULL, "2016-11-04 13:51:30.123456",
			  "2016-11-04 13:51:30.123000");
	trip_conf(&connect, "timestamp", 6, NULL, "infinity", "infinity");
}

static void
test_intervals(void)
{
	struct env_conf iso = conf;

	/* interval.handling.mode=string: io.debezium.time.Interval. */
	iso.interval_string = true;
	trip_conf(&iso, "interval", -1, NULL, "1 year 2 mons 3 days 04:05:06.78", "P1Y2M3DT4H5M6.78S");
}

static void
test_numbers(void)
{
	struct env_conf dbl = conf, str = conf;

	dbl.decimal = DEC_DOUBLE;
	trip_conf(&dbl, "numeric", -1, NULL, "1.5", "1.5");
	trip_conf(&dbl, "numeric", -1, NULL, "NaN", "NaN");
	str.decimal = DEC_STRING;
	trip_conf(&str, "numeric", -1, NULL, "-12345678901234567890.5", "-12345678901234567890.5");
}

/* The placeholder of an unchanged TOASTed value reads back as one. */
static void
toast(const char *typ)
{
	struct col col = {0};
	struct buf schema = BUF_INIT, json = BUF_INIT, back = BUF_INIT;
	bool array = typ[0] == '_';

	memset(&col, 0, sizeof col);
	if (array) {
		col.is_array = true;
		map_scalar(typ + 1, -1, NULL, &conf, &col.elem);
		col.t.kind = col.elem.kind;
		schema_put_type(&schema, &col.t, &col.elem, true, NULL, NULL, "f");
	} else {
		map_scalar(typ, -1, NULL, &conf, &col.t);
		schema_put_type(&schema, &col.t, NULL, true, NULL, NULL, "f");
	}
	put_toast(&col, &json);
	ok(read_back(&schema, &json, &back) == CONV_UNAVAILABLE,
	   "%s: the placeholder %s reads back as unavailable", typ, buf_cstr(&json));
	free(col.t.params);
	free(col.elem.params);
	buf_free(&schema);
	buf_free(&json);
	buf_free(&back);
}

static void
test_placeholder(void)
{
	toast("text");
	toast("varchar");
	toast("json");
	toast("uuid");
	toast("bytea");
	toast("_int4");
	toast("_text");
	toast("_bytea");
	toast("hstore");
	ok(strlen(DBZ_UNAVAILABLE_BASE64) == (sizeof DBZ_UNAVAILABLE - 1 + 2) / 3 * 4,
	   "the base64 placeholder has the length of the placeholder's bytes");
}

static void
test_vocabulary(void)
{
	int i;
	bool all = true;

	for (i = 0; i < DBZ_NTYPES; i++) {
		const struct dbz_semantic *s = &dbz_types[i];

		if (s->name == NULL || dbz_lookup(s->name, strlen(s->name)) != s || s->connect == NULL ||
			s->pgtype == NULL) {
			ok(0, "semantic type %d is complete and found by its name", i);
			all = false;
		}
	}
	ok(all, "every semantic type is complete and found by its name");
	ok(dbz_lookup("io.debezium.time.Date", 20) == NULL, "a prefix of a name is no name");
	ok(dbz_lookup("io.debezium.time.Dates", 22) == NULL, "nor is a longer one");
}

static void
test_calendar(void)
{
	int64_t y, days;
	int m, d;
	bool all = true;

	ok(dbz_days_from_civil(1970, 1, 1) == 0, "1970-01-01 is day 0");
	ok(dbz_days_from_civil(1, 1, 1) == -719162, "0001-01-01 is day -719162");
	ok(dbz_days_from_civil(0, 12, 31) == -719163, "0001-12-31 BC (year 0) is the day before");
	ok(dbz_days_from_civil(9999, 12, 31) == 2932896, "9999-12-31 is day 2932896");
	ok(dbz_days_from_civil(1582, 10, 15) == DBZ_GREGORIAN_START,
	   "the Gregorian calendar starts 1582-10-15");
	ok(dbz_days_from_julian(1582, 10, 4) == DBZ_GREGORIAN_START - 1,
	   "the day before is 1582-10-04 of the Julian calendar");
	ok(dbz_days_from_julian(1, 1, 1) == dbz_days_from_civil(0, 12, 30),
	   "Julian 0001-01-01 is proleptic Gregorian 0001-12-30 BC");
	ok(dbz_days_from_julian(-4712, 1, 1) == -2440588, "Julian day 0 is 4713-01-01 BC (Julian)");
	ok(!dbz_in_cutover_gap(dbz_days_from_civil(1582, 10, 4)) &&
		   dbz_in_cutover_gap(dbz_days_from_civil(1582, 10, 5)) &&
		   dbz_in_cutover_gap(dbz_days_from_civil(1582, 10, 14)) &&
		   !dbz_in_cutover_gap(dbz_days_from_civil(1582, 10, 15)),
	   "the ten days 1582-10-05 to 14 are the cutover gap");
	for (days = -3000000; days <= 3000000 && all; days += 367) {
		dbz_civil_from_days(days, &y, &m, &d);
		all = m >= 1 && m <= 12 && d >= 1 && d <= 31 && dbz_days_from_civil(y, m, d) == days;
	}
	ok(all, "civil_from_days and days_from_civil agree from year -6244 to 10183");
	dbz_civil_from_days(-1, &y, &m, &d);
	ok(y == 1969 && m == 12 && d == 31, "day -1 is 1969-12-31");
	dbz_civil_from_days(dbz_days_from_civil(-4, 2, 29), &y, &m, &d);
	ok(y == -4 && m == 2 && d == 29, "5 BC (year -4) is a leap year");
}

int
main(void)
{
	test_vocabulary();
	test_calendar();
	test_trips();
	test_times();
	test_intervals();
	test_numbers();
	test_placeholder();
	return tap_done();
}
