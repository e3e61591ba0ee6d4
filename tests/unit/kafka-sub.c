/*
 * kafka-sub.c - unit tests of the record line writer and --pretty.
 */
#include <string.h>

#include "../../cmd/kafka-sub/format.h"
#include "record.h"
#include "tap.h"

static void
test_embeddable(void)
{
	ok(embeddable_json("{\"a\":1}", 7), "compact object");
	ok(embeddable_json("\"s\"", 3), "string");
	ok(embeddable_json("1.50", 4), "number as written");
	ok(!embeddable_json("null", 4), "null would read back as a tombstone");
	ok(!embeddable_json("{\"a\": 1}", 8), "white space is not kept by JSON embedding");
	ok(!embeddable_json(" 1", 2) && !embeddable_json("1 ", 2), "leading/trailing space");
	ok(!embeddable_json("{\"a\":1}{}", 9), "two values");
	ok(!embeddable_json("", 0), "empty");
	ok(!embeddable_json("abc", 3), "not JSON");
	ok(embeddable_json("\"a b\"", 5), "space inside a string is fine");
}

static void
test_utf8(void)
{
	ok(utf8_valid((const unsigned char *) "plain ascii, long enough", 24), "ascii");
	ok(utf8_valid((const unsigned char *) "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9),
	   "2, 3, 4 bytes");
	ok(!utf8_valid((const unsigned char *) "abcdefgh\xff", 9), "0xff after an ascii run");
	ok(!utf8_valid((const unsigned char *) "\xc0\xaf", 2), "overlong");
	ok(!utf8_valid((const unsigned char *) "\xed\xa0\x80", 3), "surrogate");
	ok(!utf8_valid((const unsigned char *) "\xe2\x82", 2), "truncated");
}

static void
test_format(void)
{
	struct fmt_header h[2] = {{"h1", "v1", 2}, {"h2", NULL, 0}};
	struct fmt_msg m = {"t\"q", 3, 41, 1700000000000, "{\"id\":1}", 8, "not json", 8, h, 2, NULL};
	struct buf head = BUF_INIT;
	struct buf b = BUF_INIT;
	struct record r;
	struct json_err err;

	format_record(&b, &m, false);
	ok_str(b.data, b.len,
		   "{\"topic\":\"t\\\"q\",\"partition\":3,\"offset\":41,\"timestamp\":1700000000000,"
		   "\"key\":{\"id\":1},\"value\":\"not json\",\"value_encoding\":\"text\","
		   "\"headers\":{\"h1\":\"v1\",\"h2\":null}}",
		   "record line");
	ok(record_parse(b.data, b.len, NULL, &r, &err) && r.value_enc == REC_ENC_TEXT && r.has_offset,
	   "record_parse reads it back");
	buf_reset(&b);
	m.key = NULL;
	m.value = "\x00\xff";
	m.value_len = 2;
	m.timestamp = -1;
	m.nheaders = 0;
	format_record(&b, &m, false);
	ok_str(b.data, b.len,
		   "{\"topic\":\"t\\\"q\",\"partition\":3,\"offset\":41,\"key\":null,"
		   "\"value\":\"AP8=\",\"value_encoding\":\"base64\"}",
		   "null key, binary value, no timestamp");
	buf_reset(&b);
	h[0].value = "\xff";
	h[0].size = 1;
	m.nheaders = 1;
	m.value = "x";
	m.value_len = 1;
	format_record(&b, &m, true);
	ok_str(b.data, b.len,
		   "{\"topic\":\"t\\\"q\",\"partition\":3,\"offset\":41,\"key\":null,"
		   "\"value\":\"eA==\",\"value_encoding\":\"base64\",\"headers\":{\"h1\":\"/w==\"},"
		   "\"headers_encoding\":\"base64\"}",
		   "--binary base64 and binary headers");
	{
		struct buf plain = BUF_INIT;

		format_record(&plain, &m, false);
		format_head(&head, m.topic, m.partition);
		m.head = &head;
		buf_reset(&b);
		format_record(&b, &m, false);
		ok(b.len == plain.len && memcmp(b.data, plain.data, b.len) == 0,
		   "a partition's cached head makes the same line");
		buf_free(&plain);
		buf_free(&head);
	}
	buf_free(&b);
}

static void
test_pretty(void)
{
	struct buf b = BUF_INIT;
	const char *in = "{\"a\":[1,{}],\"b\":\"x,{y}:\\\"\",\"c\":[]}";

	format_pretty(&b, in, strlen(in));
	ok_str(b.data, b.len,
		   "{\n  \"a\": [\n    1,\n    {}\n  ],\n  \"b\": \"x,{y}:\\\"\",\n  \"c\": []\n}",
		   "pretty");
	buf_free(&b);
}

int
main(void)
{
	test_embeddable();
	test_utf8();
	test_format();
	test_pretty();
	return tap_done();
}
