/*
 * Unit tests for pg-apply's pure functions: value conversion, table
 * naming, quoting, JDBC URLs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <limits.h>
#include <string.h>

#include "tap.h"
#include "../../cmd/pg-apply/pgapply.h"
#include "connectjson.h"
#include "dbzvocab.h"

static struct json_slice
js(const char *s)
{
	struct json_slice v = {s, strlen(s)};

	return v;
}

/* Converts JSON value v with the type from field schema sch. */
static void
check_conv(const char *sch, const char *v, const char *want, const char *pgtype)
{
	struct ctype t;
	struct buf out = BUF_INIT;
	char err[200] = "";
	enum conv_result r;

	if (!ok(ctype_parse(js(sch), &t, err, sizeof err), "schema %s parses", sch))
		return;
	ok(strcmp(t.pgtype, pgtype) == 0, "%s is %s (got %s)", sch, pgtype, t.pgtype);
	r = conv_value(&t, js(v), &out, err, sizeof err);
	if (want == NULL)
		ok(r == CONV_UNAVAILABLE, "%s is the unavailable placeholder", v);
	else
		ok(r == CONV_OK && out.len == strlen(want) && memcmp(out.data, want, out.len) == 0,
		   "%s -> %s (got %.*s %s)", v, want, (int) out.len, out.data ? out.data : "", err);
	buf_free(&out);
	ctype_free(&t);
}

static void
test_types(void)
{
	const char *dec =
		"{\"type\":\"bytes\",\"optional\":true,\"name\":\"org.apache.kafka.connect.data.Decimal\","
		"\"version\":1,\"parameters\":{\"scale\":\"2\",\"connect.decimal.precision\":\"5\"}}";
	const char *vsd = "{\"type\":\"struct\",\"optional\":true,\"name\":\"io.debezium.data."
					  "VariableScaleDecimal\"}";

	check_conv("{\"type\":\"int32\"}", "42", "42", "integer");
	check_conv("{\"type\":\"int8\"}", "-1", "-1", "smallint");
	check_conv("{\"type\":\"boolean\"}", "true", "t", "boolean");
	check_conv("{\"type\":\"double\"}", "\"NaN\"", "NaN", "double precision");
	check_conv("{\"type\":\"string\"}", "\"a\\tb\\u00e9\"", "a\tb\xc3\xa9", "text");
	check_conv("{\"type\":\"string\"}", "\"" DBZ_UNAVAILABLE "\"", NULL, "text");
	check_conv("{\"type\":\"bytes\"}", "\"AQID\"", "\\x010203", "bytea");
	check_conv("{\"type\":\"bytes\"}", "\"" DBZ_UNAVAILABLE_BASE64 "\"", NULL, "bytea");
	check_conv(dec, "\"MDk=\"", "123.45", "numeric(5,2)");
	check_conv(dec, "\"nA==\"", "-1.00", "numeric(5,2)");
	check_conv(dec, "\"AA==\"", "0.00", "numeric(5,2)");
	check_conv(dec, "\"AQ==\"", "0.01", "numeric(5,2)");
	check_conv(vsd, "{\"scale\":4,\"value\":\"AYr3\"}", "10.1111", "numeric");
	check_conv(vsd, "{\"scale\":0,\"value\":\"/w==\"}", "-1", "numeric");
	check_conv("{\"type\":\"int32\",\"name\":\"io.debezium.time.Date\"}", "17109", "2016-11-04",
			   "date");
	check_conv("{\"type\":\"int32\",\"name\":\"io.debezium.time.Date\"}", "-719528",
			   "0001-01-01 BC", "date");
	check_conv("{\"type\":\"int64\",\"name\":\"io.debezium.time.MicroTime\"}", "86400000000",
			   "24:00:00.000000", "time");
	check_conv("{\"type\":\"int64\",\"name\":\"io.debezium.time.MicroTimestamp\"}",
			   "1478267490123456", "2016-11-04 13:51:30.123456", "timestamp(6)");
	check_conv("{\"type\":\"int64\",\"name\":\"io.debezium.time.MicroTimestamp\"}", "-1",
			   "1969-12-31 23:59:59.999999", "timestamp(6)");
	check_conv("{\"type\":\"int64\",\"name\":\"io.debezium.time.NanoTimestamp\"}", "1000",
			   "1970-01-01 00:00:00.000001", "timestamp(6)");
	check_conv("{\"type\":\"int64\",\"name\":\"io.debezium.time.Timestamp\"}",
			   "-9223372036832400000", "-infinity", "timestamp(6)");
	check_conv("{\"type\":\"int64\",\"name\":\"io.debezium.time.MicroDuration\"}", "-1500000",
			   "-1.500000 seconds", "interval");
	check_conv(
		"{\"type\":\"bytes\",\"name\":\"io.debezium.data.Bits\",\"parameters\":{\"length\":\"2\"}}",
		"\"Aw==\"", "11", "bit varying(2)");
	check_conv("{\"type\":\"bytes\",\"name\":\"io.debezium.data.Bits\",\"parameters\":{\"length\":"
			   "\"24\"}}",
			   "\"AQID\"", "000000110000001000000001", "bit varying(24)");
	check_conv("{\"type\":\"array\",\"items\":{\"type\":\"string\",\"optional\":true}}",
			   "[\"a\",null,\"b\\\"c\"]", "{\"a\",NULL,\"b\\\"c\"}", "text[]");
	check_conv("{\"type\":\"array\",\"items\":{\"type\":\"string\",\"optional\":true}}",
			   "[\"" DBZ_UNAVAILABLE "\"]", NULL, "text[]");
	check_conv("{\"type\":\"string\",\"name\":\"io.debezium.data.Json\"}", "\"{}\"", "{}", "json");
	check_conv("{\"type\":\"struct\",\"name\":\"io.debezium.data.geometry.Point\"}",
			   "{\"x\":1.5,\"y\":-2}", "(1.5,-2)", "point");
}

static void
test_bad_values(void)
{
	struct ctype t;
	struct buf out = BUF_INIT;
	char err[200];

	ctype_parse(js("{\"type\":\"int32\"}"), &t, err, sizeof err);
	ok(conv_value(&t, js("\"x\""), &out, err, sizeof err) == CONV_ERROR,
	   "a string for int32 is refused");
	ok(conv_value(&t, js("null"), &out, err, sizeof err) == CONV_NULL, "null is NULL");
	ok(!ctype_parse(js("{\"type\":\"nope\"}"), &t, err, sizeof err), "an unknown type is refused");
	ok(!ctype_parse(js("{\"type\":\"bytes\",\"name\":\"org.apache.kafka.connect.data.Decimal\","
					   "\"parameters\":{\"scale\":\"2000000000\"}}"),
					&t, err, sizeof err) &&
		   strstr(err, "scale") != NULL,
	   "a decimal scale out of range is refused: %s", err);
	ok(!ctype_parse(js("{\"type\":\"bytes\",\"name\":\"io.debezium.data.Bits\","
					   "\"parameters\":{\"length\":\"2000000000\"}}"),
					&t, err, sizeof err),
	   "a bit length out of range is refused: %s", err);
	ok(!ctype_parse(js("{\"type\":\"bytes\",\"name\":\"io.debezium.data.Bits\","
					   "\"parameters\":{\"length\":\"88888888888888888888888\"}}"),
					&t, err, sizeof err) ||
		   t.bits == INT_MAX,
	   "a bit length past long is not taken for one");
	ctype_parse(js("{\"type\":\"int32\",\"name\":\"org.apache.kafka.connect.data.Time\"}"), &t, err,
				sizeof err);
	ok(conv_value(&t, js("9223372036854776"), &out, err, sizeof err) == CONV_ERROR,
	   "a time in milliseconds past the int64 microseconds is refused");
	ctype_parse(js("{\"type\":\"int32\",\"name\":\"io.debezium.time.Date\"}"), &t, err, sizeof err);
	ok(conv_value(&t, js("9223372036854775807"), &out, err, sizeof err) == CONV_ERROR,
	   "a date past int32 days is refused");
	buf_free(&out);
}

static void
test_copy_escape(void)
{
	struct buf out = BUF_INIT;

	copy_escape(&out, "a\tb\\c\nd\re", 9);
	ok_str(out.data, out.len, "a\\tb\\\\c\\nd\\re", "COPY escapes tab, backslash, newline, CR");
	buf_free(&out);
}

static void
test_naming(void)
{
	struct buf out = BUF_INIT;
	char err[200];
	const char *src = "{\"schema\":\"public\",\"table\":\"source_table\"}";

	ok(table_name_expand("${topic}", "a.b.c", 5, js(src), &out, err, sizeof err), "${topic}");
	ok_str(out.data, out.len, "a_b_c", "dots become underscores");
	buf_reset(&out);
	ok(table_name_expand("${source.schema}.t_${source.table}", "x", 1, js(src), &out, err,
						 sizeof err),
	   "${source.*}");
	ok_str(out.data, out.len, "public.t_source_table", "source fields");
	buf_reset(&out);
	ok(!table_name_expand("${source.db}", "x", 1, js(src), &out, err, sizeof err),
	   "missing source field");
	buf_reset(&out);
	quote_qualified(&out, "s.Odd \"N\"");
	ok_str(out.data, out.len, "\"s\".\"Odd \"\"N\"\"\"", "quoting doubles quotes");
	buf_free(&out);
}

/* The record line of the seed's insert, as cdc-envelope writes it. */
static char *
seed_line(void)
{
	FILE *f = fopen("tests/fixtures/pg-apply/seed-pos.ndjson", "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	if (f == NULL)
		return NULL;
	n = getline(&line, &cap, f);
	fclose(f);
	if (n > 0 && line[n - 1] == '\n')
		line[n - 1] = '\0';
	return line;
}

static void
test_frec(void)
{
	struct settings st = {.pk_mode = PK_RECORD_KEY, .table_format = "t"};
	struct connect_cache sc = {0};
	struct frec f;
	struct json_err err;
	char *line = seed_line();
	size_t n;
	struct shape *sh;
	char *bad;

	if (!ok(line != NULL, "fixture readable (run from the repository root)"))
		return;
	n = strlen(line);
	ok(frec_parse(line, n, &sc, &f, &err), "seed record parses");
	ok(json_str_eq(f.r.topic, "postgres_server.connect_test_db.public.source_table"), "topic");
	ok(json_str_eq(f.r.pos, "0/199E8C8:1"), "pos");
	ok(f.ks.n > 0 && f.kp.n > 0 && f.vs.n > 0 && f.vp.n > 0, "key and value split");
	ok(f.parts.valid && json_str_eq(f.parts.op, "c"), "envelope op found while validating");
	ok_str(f.parts.after.p, f.parts.after.n, "{\"id\":1,\"name\":\"test1\"}", "after");
	sh = shape_build(f.ks, f.vs, &st);
	ok(sh->error[0] == '\0' && sh->envelope && sh->ncols == 2 && sh->nkeys == 1 &&
		   strcmp(sh->cols[0].name, "id") == 0 && strcmp(sh->cols[1].t.pgtype, "text") == 0,
	   "shape: id key, name text (%s)", sh->error);
	ok(frec_parse(line, n, &sc, &f, &err) && f.vs.n == sh->vn && f.ks.n == sh->kn,
	   "again with the schemas cached");
	/* A bad byte in the payload is still found when the schema is cached. */
	bad = strdup(line);
	memcpy(strstr(bad, "\"test1\""), "\"te\x01t1", 7);
	ok(!frec_parse(bad, n, &sc, &f, &err) && strcmp(err.msg, "control character in string") == 0,
	   "control character in a payload string: %s", err.msg ? err.msg : "accepted");
	strcpy(bad, line);
	bad[n - 1] = ',';
	ok(!frec_parse(bad, n, &sc, &f, &err), "truncated record refused");
	free(bad);
	bad = "{ \"value\" : { \"payload\" : 1 , \"schema\" : {} } }";
	ok(frec_parse(bad, strlen(bad), &sc, &f, &err) && f.vs.n == 0 && f.r.value.n > 0,
	   "other layouts are left to the slow path");
	ok(!frec_parse("[1]", 3, &sc, &f, &err), "not an object");
	shape_free(sh);
	connect_cache_free(&sc);
	free(line);
}

int
main(void)
{
	test_types();
	test_bad_values();
	test_copy_escape();
	test_naming();
	test_frec();
	return tap_done();
}
