/*
 * kafka-pub.c - unit tests of the delivery tracker and of the record
 * bytes kafka-pub hands to librdkafka.
 */
#include <stdlib.h>
#include <string.h>

#include "record.h"
#include "tap.h"
#include "../../cmd/kafka-pub/track.h"

static struct pos
P(uint64_t lsn, uint64_t seq) {
	struct pos p = {lsn, seq};

	return p;
}

static void
test_track_in_order(void)
{
	struct track t;
	struct pos p1 = P(0x10, 1), p2 = P(0x10, 2);
	uint64_t a, b, c;

	track_init(&t);
	a = track_add(&t, 1, &p1);
	b = track_add(&t, 2, NULL);
	c = track_add(&t, 3, &p2);
	track_done(&t, b, true);
	ok(!t.has_acked && t.low == 0, "a later ack alone moves nothing");
	track_done(&t, a, true);
	ok(t.has_acked && pos_cmp(t.acked, p1) == 0 && t.low == 2,
	   "the first ack moves the mark past both");
	track_done(&t, c, true);
	ok(pos_cmp(t.acked, p2) == 0 && track_inflight(&t) == 0, "all acked: last pos");
	track_free(&t);
}

static void
test_track_failure_holds(void)
{
	struct track t;
	struct pos p1 = P(0x20, 1), p2 = P(0x20, 2);
	uint64_t a, b;

	track_init(&t);
	a = track_add(&t, 7, &p1);
	b = track_add(&t, 8, &p2);
	ok(track_lineno(&t, b) == 8, "line number of a record");
	track_done(&t, a, false);
	track_done(&t, b, true);
	ok(!t.has_acked && track_inflight(&t) == 2, "a failed record holds the mark");
	track_free(&t);
}

static void
test_track_grows(void)
{
	struct track t;
	uint64_t i, n = 5000;
	struct pos p;

	track_init(&t);
	for (i = 0; i < n; i++) {
		p = P(0x30, i + 1);
		track_add(&t, i + 1, &p);
	}
	/* Acknowledge backwards: nothing moves until the first one. */
	for (i = n; i-- > 1;)
		track_done(&t, i, true);
	ok(t.low == 0, "out of order over a grown ring: mark held");
	track_done(&t, 0, true);
	ok(t.low == n && t.acked.seq == n, "then it moves to the end");
	track_free(&t);
}

static void
check_data(const char *line, bool is_key, const char *want, size_t wantlen, const char *what)
{
	struct record r;
	struct json_err err;
	struct buf scratch = BUF_INIT;
	const char *p;
	size_t n;
	bool parsed = record_parse(line, strlen(line), NULL, &r, &err);

	ok(parsed &&
		   record_data(is_key ? r.key : r.value, is_key ? r.key_enc : r.value_enc,
					   is_key ? r.key_spaced : r.value_spaced, &scratch, &p, &n) &&
		   ((want == NULL && p == NULL) || (want && p && n == wantlen && memcmp(p, want, n) == 0)),
	   "%s", what);
	buf_free(&scratch);
}

static void
test_record_data(void)
{
	const char *line = "{\"key\":{\"id\":1},\"value\":{\"a\": [1, 2]}}";
	struct record r;
	struct json_err err;
	struct buf scratch = BUF_INIT;
	const char *p;
	size_t n;

	ok(record_parse(line, strlen(line), NULL, &r, &err) &&
		   record_data(r.key, r.key_enc, r.key_spaced, &scratch, &p, &n) && p == line + 7 && n == 8,
	   "compact JSON key: a slice of the line, no copy");
	buf_free(&scratch);
	check_data(line, false, "{\"a\":[1,2]}", 11, "JSON with spaces is compacted");
	check_data("{\"key\":null,\"value\":1}", true, NULL, 0, "null key");
	check_data("{\"value\":1}", true, NULL, 0, "absent key is null");
	check_data("{\"value\":null}", false, NULL, 0, "tombstone");
	check_data("{\"value\":\"a\\\"b\\u00e9\",\"value_encoding\":\"text\"}", false, "a\"b\xc3\xa9",
			   5, "text: decoded");
	check_data("{\"value\":\"plain\",\"value_encoding\":\"text\"}", false, "plain", 5,
			   "text: plain");
	check_data("{\"value\":\"\",\"value_encoding\":\"text\"}", false, "", 0,
			   "text: empty, not null");
	check_data("{\"key\":\"AAEC/w==\",\"key_encoding\":\"base64\"}", true, "\0\1\2\xff", 4,
			   "base64");
	check_data("{\"key\":\"AAEC/w\",\"key_encoding\":\"base64\"}", true, "\0\1\2\xff", 4,
			   "base64 without padding");
	check_data("{\"key\":\"\",\"key_encoding\":\"base64\"}", true, "", 0, "base64: empty");
	ok(record_parse("{\"key\":\"A!==\",\"key_encoding\":\"base64\"}",
					strlen("{\"key\":\"A!==\",\"key_encoding\":\"base64\"}"), NULL, &r, &err) &&
		   !record_data(r.key, r.key_enc, r.key_spaced, &scratch, &p, &n),
	   "bad base64 refused");
	ok(!record_parse("{\"key\":1,\"key_encoding\":\"text\"}",
					 strlen("{\"key\":1,\"key_encoding\":\"text\"}"), NULL, &r, &err),
	   "text needs a string");
	ok(!record_parse("{\"key\":1} x", strlen("{\"key\":1} x"), NULL, &r, &err) && err.off == 10,
	   "trailing bytes refused");
	ok(!record_parse("{\"key\":1,}", strlen("{\"key\":1,}"), NULL, &r, &err),
	   "trailing comma refused");
	ok(record_parse(" {} ", strlen(" {} "), NULL, &r, &err), "empty object with spaces");
	buf_free(&scratch);
}

int
main(void)
{
	test_track_in_order();
	test_track_failure_holds();
	test_track_grows();
	test_record_data();
	return tap_done();
}
