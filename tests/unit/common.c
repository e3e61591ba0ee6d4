/*
 * common.c - unit tests for the pure functions in common/.
 */
#include <fcntl.h>
#include <sys/types.h>
#include <stdlib.h>
#include <inttypes.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "ackfile.h"
#include "buf.h"
#include "connectjson.h"
#include "connector.h"
#include "json.h"
#include "lineread.h"
#include "lsn.h"
#include "pgutil.h"
#include "record.h"
#include "tap.h"

static void
test_json_writer(void)
{
	struct buf b = BUF_INIT;

	json_put_cstr(&b, "a\"b\\c/d\n\t\x01\x1f é");
	ok_str(b.data, b.len, "\"a\\\"b\\\\c/d\\n\\t\\u0001\\u001F é\"",
		   "json_put_str escapes like Jackson");
	buf_reset(&b);
	json_put_cstr(&b, "x\xf0\x9f\x98\x80y");
	ok_str(b.data, b.len, "\"x\xf0\x9f\x98\x80y\"",
		   "json_put_str leaves characters outside the BMP raw by default");
	buf_reset(&b);
	json_set_escape_astral(true);
	json_put_cstr(&b, "x\xf0\x9f\x98\x80y\xf4\x8f\xbf\xbf");
	json_set_escape_astral(false);
	ok_str(b.data, b.len, "\"x\\uD83D\\uDE00y\\uDBFF\\uDFFF\"",
		   "json_put_str escapes characters outside the BMP as surrogate pairs, on request");
	buf_reset(&b);
	buf_put_i64(&b, INT64_MIN);
	buf_putc(&b, ' ');
	buf_put_i64(&b, 0);
	buf_putc(&b, ' ');
	buf_put_u64(&b, UINT64_MAX);
	ok_str(b.data, b.len, "-9223372036854775808 0 18446744073709551615", "integer formatting");
	{
		uint64_t v;
		char want[24];
		int wrong = 0, n;

		/* Every digit count, at and around each power of ten. */
		for (v = 1; v <= UINT64_MAX / 10; v *= 10) {
			uint64_t around[] = {v - 1, v, v + 1, v * 10 - 1};
			size_t k;

			for (k = 0; k < 4; k++) {
				buf_reset(&b);
				buf_put_u64(&b, around[k]);
				snprintf(want, sizeof want, "%" PRIu64, around[k]);
				if (b.len != strlen(want) || memcmp(b.data, want, b.len) != 0)
					wrong++;
			}
		}
		ok(wrong == 0, "integers of every length (%d wrong)", wrong);
		/* Zeros inside: eight-digit groups that need their leading zeros. */
		for (v = 0x2545F4914F6CDD1DULL, wrong = 0, n = 0; n < 100000; n++) {
			uint64_t x = n % 2 ? v : v / 100000000 * 100000000 + (uint64_t) n % 1000;

			v ^= v << 13, v ^= v >> 7, v ^= v << 17;
			x >>= n % 64;
			buf_reset(&b);
			buf_put_u64(&b, x);
			snprintf(want, sizeof want, "%" PRIu64, x);
			if (b.len != strlen(want) || memcmp(b.data, want, b.len) != 0)
				wrong++;
		}
		ok(wrong == 0, "100000 integers with zeros inside (%d wrong)", wrong);
	}
	buf_reset(&b);
	base64_put(&b, (const unsigned char *) "", 0);
	base64_put(&b, (const unsigned char *) "\x30\x39", 2);
	buf_putc(&b, ' ');
	base64_put(&b, (const unsigned char *) "\x00", 1);
	buf_putc(&b, ' ');
	base64_put(&b, (const unsigned char *) "\x01\x02\x03", 3);
	ok_str(b.data, b.len, "MDk= AA== AQID", "base64 with padding");
	buf_reset(&b);
	ok(base64_decode("MDk=", 4, &b) && base64_decode("AQID", 4, &b) && base64_decode("_-8", 3, &b),
	   "base64 decodes, standard and URL-safe");
	ok(b.len == 7 && memcmp(b.data, "\x30\x39\x01\x02\x03\xff\xef", 7) == 0, "base64 bytes");
	ok(!base64_decode("A", 1, &b) && !base64_decode("AB*D", 4, &b), "bad base64 refused");
	ok(hex_digit('f') == 15 && hex_digit('A') == 10 && hex_digit('g') == -1, "hex digits");
	buf_free(&b);
}

static void
test_json_scanner(void)
{
	static const char *const good[] = {
		"{}",
		"[]",
		"0",
		"-0.5e+10",
		"\"\\u00e9\\ud83d\\ude00\"",
		"true",
		" null ",
		"{\"a\":[1,{\"b\":null}],\"c\":\"x\"}",
		"\"é\"",
	};
	static const char *const bad[] = {
		"",		"{",		"[1,]",		"{\"a\"}",			"01",	 "1.", "\"\\x\"", "\"a", "tru",
		"{} x", "\"\x01\"", "\"\xc3\"", "\"\xed\xa0\x80\"", "[1 2]", "-",
	};
	struct json_err err;
	struct json_slice v, k;
	struct buf b = BUF_INIT;
	int64_t i;
	size_t j;
	const char *obj = "{\"a\": 1, \"b\\u0063\" : \"x\\ny\", \"n\":null}";
	struct json_slice o = {obj, strlen(obj)};

	for (j = 0; j < sizeof good / sizeof *good; j++)
		ok(json_validate(good[j], strlen(good[j]), &err), "valid JSON: %s", good[j]);
	for (j = 0; j < sizeof bad / sizeof *bad; j++) {
		/* Validate first: the order in which arguments are evaluated is unspecified. */
		bool valid;

		err.msg = NULL;
		valid = json_validate(bad[j], strlen(bad[j]), &err);
		ok(!valid && err.msg != NULL, "invalid JSON rejected (#%zu): %s", j,
		   err.msg ? err.msg : "(none)");
	}
	ok(!json_validate("[1,]", 4, &err) && err.off == 3, "error offset points at the fault");

	ok(json_obj_get(o, "bc", &v) && json_str_decode(v, &b), "lookup by escaped key");
	ok_str(b.data, b.len, "x\ny", "string decoded");
	buf_reset(&b);
	{
		struct json_slice nul = {"\"ab\\u0000c\"", 11}, plain = {"\"ab\\u0063\"", 10};

		ok(json_str_decode(nul, &b) && b.len == 4, "\\u0000 decodes to a NUL byte");
		buf_reset(&b);
		ok(!json_str_decode_text(nul, &b), "json_str_decode_text() refuses \\u0000");
		buf_reset(&b);
		ok(json_str_decode_text(plain, &b), "json_str_decode_text() takes other escapes");
		ok_str(b.data, b.len, "abc", "and decodes them");
		buf_reset(&b);
	}
	ok(json_obj_get(o, "a", &v) && json_to_i64(v, &i) && i == 1, "integer member");
	ok(json_obj_get(o, "n", &v) && json_is_null(v), "null member");
	ok(!json_obj_get(o, "zz", &k), "absent member");
	ok(json_has_space(o), "white space detected");
	buf_reset(&b);
	json_compact(o, &b);
	ok_str(b.data, b.len, "{\"a\":1,\"b\\u0063\":\"x\\ny\",\"n\":null}", "compact form");
	{
		struct json_slice s = {"\"a b\"", 5};

		ok(!json_has_space(s), "space inside a string is not white space");
	}
	{
		struct json_slice big = {"9223372036854775808", 19};
		struct json_slice min = {"-9223372036854775808", 20};

		ok(!json_to_i64(big, &i), "int64 overflow rejected");
		ok(json_to_i64(min, &i) && i == INT64_MIN, "INT64_MIN accepted");
	}
	buf_free(&b);
}

/*
 * Strings are scanned 16 and 8 bytes at a time: put each byte that needs
 * a look at every offset of a 40-byte string and check the verdict.
 */
static void
test_json_string_runs(void)
{
	static const struct {
		const char *ins;
		bool valid;
	} cases[] = {
		{"\"", false},			{"\x01", false}, {"\x1f", false},	 {"\x7f", true},
		{"\\n", true},			{"\\q", false},	 {"\xc3\xa9", true}, {"\xc3", false},
		{"\xe2\x82\xac", true}, {"\xff", false},
	};
	char s[64];
	size_t c, at;
	int wrong = 0;
	struct json_err err;

	for (c = 0; c < sizeof cases / sizeof *cases; c++) {
		size_t n = strlen(cases[c].ins);

		for (at = 0; at + n <= 40; at++) {
			memset(s, 'a', sizeof s);
			s[0] = '"';
			memcpy(s + 1 + at, cases[c].ins, n);
			s[41] = '"';
			if (json_validate(s, 42, &err) != cases[c].valid)
				wrong++;
		}
	}
	ok(wrong == 0, "special bytes at every offset of a long string (%d wrong)", wrong);
}

static void
test_lsn(void)
{
	uint64_t lsn;
	char s[LSN_STRLEN];
	char p[POS_STRLEN];
	struct pos a, b;

	ok(lsn_parse("16/B374D848", 11, &lsn) && lsn == 0x16B374D848ULL, "lsn parse");
	ok(strcmp(lsn_format(0x16B374D848ULL, s), "16/B374D848") == 0, "lsn format");
	ok(strcmp(lsn_format(0, s), "0/0") == 0, "lsn zero");
	ok(!lsn_parse("16B374D848", 10, &lsn), "lsn without slash rejected");
	ok(!lsn_parse("1/123456789", 11, &lsn), "lsn half over 32 bits rejected");
	ok(pos_parse("0/10:3", 6, &a) && a.commit_lsn == 16 && a.seq == 3, "pos parse");
	ok(strcmp(pos_format(a, p), "0/10:3") == 0, "pos format");
	ok(pos_parse("0/10", 4, &b) && b.seq == UINT64_MAX && pos_cmp(a, b) < 0,
	   "a bare LSN covers its whole transaction");
	ok(!pos_parse("0/10:", 5, &b) && !pos_parse("0/10:x", 6, &b), "bad pos rejected");
	ok(strcmp(lsn_format(UINT64_MAX, s), "FFFFFFFF/FFFFFFFF") == 0, "lsn max");
	a.commit_lsn = 0x100000000ULL, a.seq = UINT64_MAX - 1;
	ok(strcmp(pos_format(a, p), "1/0:18446744073709551614") == 0, "pos at its longest");
	a.seq = 0;
	ok(strcmp(pos_format(a, p), "1/0:0") == 0, "pos with ordinal 0");
	a.seq = UINT64_MAX;
	ok(strcmp(pos_format(a, p), "1/0") == 0, "pos of a whole transaction");
}

/* lsn_format() and pos_format() write what printf's %X/%X and %llu write. */
static void
test_lsn_format_printf(void)
{
	uint64_t x = 0x9E3779B97F4A7C15ULL;
	char s[LSN_STRLEN], want[POS_STRLEN], p[POS_STRLEN];
	int i, bad = 0;

	for (i = 0; i < 100000; i++) {
		/* xorshift; every other value with zero nibbles in places. */
		struct pos a;

		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		a.commit_lsn = i % 2 ? x : x & 0xF00F00F0000F0F00ULL >> (i % 64);
		a.seq = i % 3 ? x >> (i % 64) : UINT64_MAX;
		snprintf(want, sizeof want, "%X/%X", (unsigned) (a.commit_lsn >> 32),
				 (unsigned) a.commit_lsn);
		bad += strcmp(lsn_format(a.commit_lsn, s), want) != 0;
		if (a.seq != UINT64_MAX)
			snprintf(want + strlen(want), sizeof want - strlen(want), ":%llu",
					 (unsigned long long) a.seq);
		bad += strcmp(pos_format(a, p), want) != 0;
	}
	ok(bad == 0, "lsn_format and pos_format agree with printf on 100000 values");
}

static int
pipe_with(const char *data)
{
	int fds[2];

	if (pipe(fds) != 0)
		abort();
	if (write(fds[1], data, strlen(data)) < 0)
		abort();
	close(fds[1]);
	return fds[0];
}

static void
piece(void *ctx, const char *p, size_t n)
{
	buf_put(ctx, p, n);
}

static void
test_lineread(void)
{
	struct linereader lr;
	char *line;
	size_t len;
	int fd = pipe_with("one\n\nthree-is-long\nlast");

	lr_init(&lr, fd, 8);
	ok(lr_next(&lr, &line, &len) == LR_LINE && len == 3 && strcmp(line, "one") == 0 &&
		   lr.lineno == 1,
	   "first line");
	ok(lr_next(&lr, &line, &len) == LR_LINE && len == 0 && lr.lineno == 2, "empty line");
	ok(lr_next(&lr, &line, &len) == LR_TOO_LONG && lr.lineno == 3, "over-long line refused");
	ok(lr_next(&lr, &line, &len) == LR_PARTIAL && lr.lineno == 4, "reading goes on after it");
	lr_free(&lr);
	close(fd);

	{
		/* Longer than the buffer's first fill, so it is refused before its end. */
		static char big[200000];

		memset(big, 'x', sizeof big - 8);
		memcpy(big + sizeof big - 8, "\nafter\n", 8);
		{
			int fds[2];
			pid_t pid;

			if (pipe(fds) != 0)
				abort();
			pid = fork();
			if (pid == 0) {
				close(fds[0]);
				if (write(fds[1], big, sizeof big) < 0)
					_exit(1);
				_exit(0);
			}
			close(fds[1]);
			fd = fds[0];
		}
		lr_init(&lr, fd, 1000);
		ok(lr_next(&lr, &line, &len) == LR_TOO_LONG && lr.lineno == 1, "long line refused early");
		ok(lr_next(&lr, &line, &len) == LR_LINE && strcmp(line, "after") == 0 && lr.lineno == 2,
		   "the line after an over-long one is read whole");
	}
	lr_free(&lr);
	close(fd);

	fd = pipe_with("one\nthree-is-long\nlast\n");
	lr_init(&lr, fd, 8);
	{
		struct buf got = BUF_INIT;

		ok(lr_next(&lr, &line, &len) == LR_LINE && strcmp(line, "one") == 0,
		   "line before a long one");
		ok(lr_next(&lr, &line, &len) == LR_TOO_LONG && lr.lineno == 2, "long line refused");
		ok(lr_drain_long(&lr, piece, &got) == 1, "lr_drain_long() reads it to its newline");
		ok_str(got.data, got.len, "three-is-long", "and hands over all of it");
		ok(lr_next(&lr, &line, &len) == LR_LINE && strcmp(line, "last") == 0 && lr.lineno == 3,
		   "then reading goes on");
		buf_free(&got);
	}
	lr_free(&lr);
	close(fd);

	fd = pipe_with("a\nhalf a li");
	lr_init(&lr, fd, 0);
	ok(lr_next(&lr, &line, &len) == LR_LINE && strcmp(line, "a") == 0, "line before last");
	ok(lr_next(&lr, &line, &len) == LR_PARTIAL && lr.lineno == 2,
	   "an unterminated last line is a fragment, not a line");
	lr_free(&lr);
	close(fd);

	fd = pipe_with("a\n");
	lr_init(&lr, fd, 0);
	ok(lr_next(&lr, &line, &len) == LR_LINE && lr_next(&lr, &line, &len) == LR_EOF, "eof");
	lr_free(&lr);
	close(fd);
}

/* lr_keep_lines(): the buffers retired, and how many. */
struct retired {
	char *buf[64];
	int n;
};

static void
retire_cb(void *ctx, char *buf, size_t size)
{
	struct retired *r = ctx;

	if (r->n < 64)
		r->buf[r->n] = buf;
	r->n++;
}

/*
 * With lr_keep_lines(), every line handed out keeps its bytes while the
 * reader goes on past several full buffers, a line longer than one
 * among them; each buffer is retired once, the last by lr_free().
 */
static void
test_lineread_keep(void)
{
	char path[] = "/tmp/walpipe-unit-XXXXXX";
	int fd = mkstemp(path), i, bad = 0, nlines = 0;
	struct linereader lr;
	struct retired ret = {{NULL}, 0};
	struct buf in = BUF_INIT;
	char *lines[2000];
	size_t lens[2000];
	char *line;
	size_t len;

	for (i = 0; i < 2000; i++) {
		size_t n = i == 1000 ? 150000 : (size_t) (i * 37 % 300);

		buf_reserve(&in, n + 1);
		memset(in.data + in.len, 'a' + i % 26, n);
		in.len += n;
		buf_putc(&in, '\n');
	}
	if (fd < 0 || write(fd, in.data, in.len) != (ssize_t) in.len || lseek(fd, 0, SEEK_SET) != 0)
		abort();
	lr_init(&lr, fd, 0);
	lr_keep_lines(&lr, retire_cb, NULL, &ret);
	while (nlines < 2000 && lr_next(&lr, &line, &len) == LR_LINE) {
		lines[nlines] = line;
		lens[nlines++] = len;
	}
	ok(nlines == 2000 && lr_next(&lr, &line, &len) == LR_EOF, "every line read");
	for (i = 0; i < nlines; i++) {
		size_t n = i == 1000 ? 150000 : (size_t) (i * 37 % 300), j;

		bad += lens[i] != n;
		for (j = 0; j < lens[i]; j++)
			bad += lines[i][j] != 'a' + i % 26;
	}
	ok(bad == 0 && ret.n > 3, "lines keep their bytes while the reader goes on");
	i = ret.n;
	lr_free(&lr);
	ok(ret.n == i + 1 && ret.n <= 64, "lr_free() retires the last buffer");
	for (i = 0; i < ret.n && i < 64; i++)
		free(ret.buf[i]);
	buf_free(&in);
	close(fd);
	unlink(path);
}

static void
test_record(void)
{
	const char *line = "{\"topic\":\"t.x\",\"partition\":2,\"key\":{\"id\":1},"
					   "\"value\":null,\"headers\":{\"h\":\"v\"},\"pos\":\"0/10:1\",\"extra\":[1]}";
	struct record r;
	struct json_err err;

	ok(record_parse(line, strlen(line), NULL, &r, &err), "record parses");
	ok_str(r.topic.p, r.topic.n, "\"t.x\"", "topic slice");
	ok_str(r.key.p, r.key.n, "{\"id\":1}", "key slice is raw JSON");
	ok(record_is_null(r.value) && r.has_partition && r.partition == 2, "tombstone, partition");
	ok_str(r.pos.p, r.pos.n, "\"0/10:1\"", "pos slice");
	ok(!record_parse("{\"topic\":1}", 11, NULL, &r, &err) && strstr(err.msg, "topic"),
	   "wrong member type named");
	ok(!record_parse("[]", 2, NULL, &r, &err), "non-object refused");
	ok(!record_parse("{\"value\":1,\"value_encoding\":\"text\"}", 35, NULL, &r, &err),
	   "encoded value must be a string");
	line = "{\"\\u006bey\":1,\"val\\u0075e\":\"dg==\",\"value_encodin\\u0067\":\"base64\","
		   "\"keys\":2,\"\\ud800\":3,\"timestamp\":null,\"offset\":5}";
	ok(record_parse(line, strlen(line), NULL, &r, &err), "escaped member names parse");
	ok_str(r.key.p, r.key.n, "1", "an escaped name is the name it decodes to");
	ok(r.value_enc == REC_ENC_BASE64 && r.value.n == 6 && !r.has_timestamp && r.has_offset &&
		   r.offset == 5,
	   "every member found by its decoded name, unknown ones ignored");
	ok(!record_parse("{\"partitio\\u006e\":\"x\"}", 22, NULL, &r, &err) &&
		   strstr(err.msg, "partition"),
	   "an escaped name gets its member's checks");
}

/*
 * Both kinds of ack line, written by the module to a file and read back
 * from it: odd but legal topic names, the longest, names Kafka refuses,
 * and lines cut short or garbled among them.
 */
static void
test_ack_lines(void)
{
	char dir[] = "/tmp/walpipe-unit-XXXXXX";
	char path[64];
	char err[256];
	char longest[ACK_TOPIC_MAX + 2];
	struct buf b = BUF_INIT;
	struct ack_offset o;
	struct pos p, want = {0x16B374D848ull, 3};
	size_t at = 0;
	bool exists;

	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(path, sizeof path, "%s/ack", dir);
	memset(longest, 'x', ACK_TOPIC_MAX);
	longest[ACK_TOPIC_MAX] = '\0';
	ack_put_pos(&b, want);
	ok(ack_put_offset(&b, "a.b_c-D9", 0, 42), "odd legal topic written");
	ok(ack_put_offset(&b, longest, 2147483647, INT64_MAX), "longest topic, largest numbers");
	ok(!ack_put_offset(&b, "has space", 0, 1) && !ack_put_offset(&b, "", 0, 1) &&
		   !ack_put_offset(&b, "new\nline", 0, 1) && !ack_put_offset(&b, "t", -1, 1),
	   "a topic Kafka refuses or a bad partition writes nothing");
	longest[ACK_TOPIC_MAX] = 'x';
	longest[ACK_TOPIC_MAX + 1] = '\0';
	ok(!ack_put_offset(&b, longest, 0, 1), "250 characters are too many");
	buf_puts(&b,
			 "offset t 0\noffset t x 5\noffset t 1 5 6\noffset t 1 -5\nOFFSET t 1 5\n"
			 "offset t 99999999999 1\nhello\n\n");
	ok(ack_put_offset(&b, "last", 7, 0), "offset line after garbled ones");
	buf_puts(&b, "offset cut 1 12"); /* cut short: no newline */
	ok(ack_write(path, b.data, b.len, err, sizeof err), "ack file written");
	ok(ack_read(path, &b, &exists, err, sizeof err) && exists, "ack file read");
	ok(ack_find_pos(b.data, b.len, &p) && pos_cmp(p, want) == 0, "pos line read back");
	ok(ack_next_offset(b.data, b.len, &at, &o) && strcmp(o.topic, "a.b_c-D9") == 0 &&
		   o.partition == 0 && o.next == 42,
	   "odd topic read back: %s", o.topic);
	longest[ACK_TOPIC_MAX] = '\0';
	ok(ack_next_offset(b.data, b.len, &at, &o) && strcmp(o.topic, longest) == 0 &&
		   o.partition == 2147483647 && o.next == INT64_MAX,
	   "longest topic read back");
	ok(ack_next_offset(b.data, b.len, &at, &o) && strcmp(o.topic, "last") == 0 &&
		   o.partition == 7 && o.next == 0,
	   "garbled lines skipped: %s", o.topic);
	ok(!ack_next_offset(b.data, b.len, &at, &o), "a line cut short is not read");
	unlink(path);
	rmdir(dir);
	buf_free(&b);
}

static void
test_ackfile(void)
{
	char dir[] = "/tmp/walpipe-unit-XXXXXX";
	char path[64];
	char err[256];
	struct buf b = BUF_INIT;
	bool exists;
	struct pos p;

	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(path, sizeof path, "%s/ack", dir);
	ok(ack_read(path, &b, &exists, err, sizeof err) && !exists, "missing ack file is empty");
	ok(ack_write(path, "pos 0/20:7\n", 11, err, sizeof err), "ack written");
	ok(ack_read(path, &b, &exists, err, sizeof err) && exists && ack_find_pos(b.data, b.len, &p) &&
		   p.commit_lsn == 32 && p.seq == 7,
	   "ack read back");
	unlink(path);
	rmdir(dir);
	buf_free(&b);
}

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0)
		abort();
}

static void
test_connector(void)
{
	char path[] = "/tmp/walpipe-unit-conn-XXXXXX";
	char err[256];
	struct connector c;
	struct buf b = BUF_INIT;
	int fd = mkstemp(path);

	close(fd);
	write_file(path,
			   "{\"name\":\"sink\",\"config\":{\"connection.url\":"
			   "\"jdbc:postgresql://replica:5433/connect_test_db?ssl=false\","
			   "\"connection.username\":\"postgres\",\"connection.password\":\"p'w\","
			   "\"delete.enabled\":\"true\",\"batch.size\":500}}");
	ok(connector_load(path, &c, err, sizeof err), "connector file loads");
	ok(c.name && strcmp(c.name, "sink") == 0, "connector name");
	ok(strcmp(connector_get(&c, "batch.size"), "500") == 0, "number kept as text");
	ok(connector_get(&c, "absent") == NULL, "absent setting");
	ok(connector_conninfo(&c, &b), "conninfo from a JDBC URL");
	ok_str(b.data, b.len,
		   "host='replica' port='5433' dbname='connect_test_db' user='postgres' password='p\\'w'",
		   "JDBC URL and credentials become libpq parameters");
	connector_free(&c);

	write_file(path, "{\"connection.url\":\"jdbc:mysql://x/y\"}");
	ok(connector_load(path, &c, err, sizeof err) && !connector_conninfo(&c, &b),
	   "a JDBC URL of another database is refused");
	connector_free(&c);

	write_file(path, "{\"database.hostname\":\"main\",\"database.dbname\":\"db\"}");
	ok(connector_load(path, &c, err, sizeof err) && connector_conninfo(&c, &b),
	   "bare config object");
	ok_str(b.data, b.len, "host='main' dbname='db'", "source connector database settings");
	connector_free(&c);

	write_file(path,
			   "{\"database.hostname\":\"main\",\"database.sslmode\":\"verify-full\","
			   "\"database.sslrootcert\":\"/ca.pem\"}");
	ok(connector_open(path, CONN_WAL_TAIL, &c, err, sizeof err) == 0 && connector_conninfo(&c, &b),
	   "TLS settings load");
	ok_str(b.data, b.len, "host='main' sslmode='verify-full' sslrootcert='/ca.pem'",
		   "TLS settings become libpq's");
	connector_free(&c);

	/* The binder: each key honoured by the command or its pair, Connect's, or refused. */
	write_file(path,
			   "{\"slot.name\":\"s\",\"column.exclude.list\":\"a.b.c\",\"tasks.max\":\"1\","
			   "\"Snapshot.Mode\":\"never\"}");
	ok(connector_open(path, CONN_WAL_TAIL, &c, err, sizeof err) == EX_CONFIG &&
		   strstr(err, "\"Snapshot.Mode\" is not supported"),
	   "keys are case-sensitive: %s", err);
	write_file(path,
			   "{\"slot.name\":\"s\",\"column.exclude.list\":\"a.b.c\",\"tasks.max\":\"1\","
			   "\"snapshot.mode\":\"NEVER\"}");
	ok(connector_open(path, CONN_WAL_TAIL, &c, err, sizeof err) == 0,
	   "pg-wal-tail takes a source file");
	connector_free(&c);
	ok(connector_open(path, CONN_ENVELOPE, &c, err, sizeof err) == 0, "cdc-envelope takes it too");
	connector_free(&c);
	ok(connector_open(path, CONN_APPLY, &c, err, sizeof err) == EX_CONFIG &&
		   strstr(err, "\"slot.name\" is not supported"),
	   "pg-apply refuses it: %s", err);
	write_file(path, "{\"batch.size\":\"10x\"}");
	ok(connector_open(path, CONN_APPLY, &c, err, sizeof err) == EX_CONFIG &&
		   strstr(err, "batch.size: \"10x\" is not a number"),
	   "a value its key cannot take: %s", err);
	ok(connector_open("/nonexistent/c.json", CONN_APPLY, &c, err, sizeof err) == EX_NOINPUT,
	   "a file that cannot be opened: EX_NOINPUT");

	ok(connector_open("/", CONN_APPLY, &c, err, sizeof err) == EX_NOINPUT,
	   "a file that cannot be read (a directory): EX_NOINPUT");

	write_file(path, "{\n\"config\": {\n\"a\": }\n}");
	ok(!connector_load(path, &c, err, sizeof err) && strstr(err, "line 3"),
	   "malformed file names its line: %s", err);
	ok(connector_open(path, CONN_APPLY, &c, err, sizeof err) == EX_CONFIG,
	   "a file that is not JSON: EX_CONFIG");
	unlink(path);
	buf_free(&b);
}

/* connector_bind(): the flag wins, booleans in any case, one message form. */
static void
test_connector_bind(void)
{
	static const char *const modes[] = {"initial", "never", NULL};
	static const int codes[] = {7, 9};
	char path[] = "/tmp/walpipe-unit-bind-XXXXXX";
	char err[256];
	struct connector c;
	const char *name = "flag", *other = "default";
	bool yes = false, no = true, kept = false;
	int mode = 0, n = 0;
	int64_t us = -1;
	int fd = mkstemp(path);

	close(fd);
	write_file(path,
			   "{\"config\":{\"a\":\"file\",\"b\":\"file b\",\"t\":\"TRUE\","
			   "\"f\":\"False\",\"k\":\"true\",\"m\":\"NEVER\",\"n\":\"42\","
			   "\"ms\":\"1500\"}}");
	ok(connector_load(path, &c, err, sizeof err), "file loads");
	{
		struct connector_bind b[] = {
			CONN_BIND_TEXT("a", &name, true),
			CONN_BIND_TEXT("b", &other, false),
			CONN_BIND_BOOL("t", &yes, false),
			CONN_BIND_BOOL("f", &no, false),
			CONN_BIND_BOOL("k", &kept, true),
			CONN_BIND_CHOICE("m", &mode, false, modes, codes),
			CONN_BIND_INT("n", &n, false, 1, 100),
			CONN_BIND_MILLIS("ms", &us, false),
			CONN_BIND_BOOL("absent", &kept, false),
		};

		ok(connector_bind(&c, path, b, sizeof b / sizeof b[0], err, sizeof err) == 0,
		   "every setting binds: %s", err);
	}
	ok(strcmp(name, "flag") == 0 && strcmp(other, "file b") == 0,
	   "a given flag wins over the file");
	ok(yes && !no, "TRUE and False are booleans, as Connect reads them");
	ok(!kept, "a given boolean flag wins; an absent key leaves the default");
	ok(mode == 9, "a choice in any case gives its code");
	ok(n == 42 && us == 1500000, "numbers and milliseconds");
	{
		struct connector_bind bad[] = {CONN_BIND_BOOL("n", &yes, true)};
		struct connector_bind big[] = {CONN_BIND_INT("n", &n, false, 1, 10)};

		ok(connector_bind(&c, path, bad, 1, err, sizeof err) == EX_CONFIG &&
			   strstr(err, "connector setting n: \"42\" is not true or false") && strstr(err, path),
		   "a bad value is refused even under a flag, naming file and key: %s", err);
		ok(connector_bind(&c, path, big, 1, err, sizeof err) == EX_CONFIG &&
			   strstr(err, "\"42\" is not 1 to 10"),
		   "a number out of range: %s", err);
	}
	connector_free(&c);
	unlink(path);
}

/* connect_split() on a C string: true if valid and compact and whole. */
static bool
cscan(struct connect_cache *c, const char *v)
{
	struct connect_value cv;
	struct json_err err;
	const char *end = v + strlen(v);

	return connect_split(c, v, v, end, NULL, NULL, &cv, &err) == end && cv.whole.n == strlen(v) &&
		!cv.space;
}

/* connect_split(): its slices of v, "" where not split. */
static void
csplit(struct connect_cache *c, const char *v, char *schema, char *payload, size_t size)
{
	struct connect_value cv;

	schema[0] = payload[0] = '\0';
	if (connect_split(c, v, v, v + strlen(v), NULL, NULL, &cv, NULL) == NULL)
		return;
	snprintf(schema, size, "%.*s", (int) cv.schema.n, cv.schema.n ? cv.schema.p : "");
	snprintf(payload, size, "%.*s", (int) cv.payload.n, cv.payload.n ? cv.payload.p : "");
}

static void
test_connect_split(void)
{
	struct connect_cache c = {0};
	char s[128], p[128];
	int i;

	csplit(NULL, "{\"schema\":{\"a\":[1]},\"payload\":{\"b\":\"}\"}}", s, p, sizeof s);
	ok(strcmp(s, "{\"a\":[1]}") == 0 && strcmp(p, "{\"b\":\"}\"}") == 0,
	   "split without a cache: %s %s", s, p);
	csplit(&c, "{\"schema\":{\"a\":1},\"payload\":2}", s, p, sizeof s);
	csplit(&c, "{\"schema\":{\"a\":1},\"payload\":3}", s, p, sizeof s);
	ok(strcmp(s, "{\"a\":1}") == 0 && strcmp(p, "3") == 0, "split with the schema known");
	csplit(&c, "{\"schema\":{\"a\":1}, \"payload\":3}", s, p, sizeof s);
	ok(s[0] == '\0' && p[0] == '\0', "white space between the members: not split");
	csplit(&c, "{\"payload\":3,\"schema\":{\"a\":1}}", s, p, sizeof s);
	ok(s[0] == '\0', "other order: not split");
	for (i = 0; i < CONNECT_CACHE_SLOTS + 2; i++) {
		snprintf(s, sizeof s, "{\"schema\":{\"n\":%d},\"payload\":%d}", i, i);
		(void) cscan(&c, s);
	}
	ok(cscan(&c, "{\"schema\":{\"n\":1},\"payload\":[]}"), "a full cache still validates");
	connect_cache_free(&c);
}

static void
test_connect_scan(void)
{
	struct connect_cache c = {0};

	ok(cscan(&c, "{\"schema\":{\"type\":\"struct\",\"fields\":[]},\"payload\":{\"id\":1}}"),
	   "a Connect value validates");
	ok(c.schema[0].len > 0, "its schema is remembered");
	ok(cscan(&c, "{\"schema\":{\"type\":\"struct\",\"fields\":[]},\"payload\":{\"id\":2}}"),
	   "the next one with the same schema validates");
	ok(!cscan(&c, "{\"schema\":{\"type\":\"struct\",\"fields\":[]},\"payload\":{\"id\":}}"),
	   "a bad payload after a known schema is refused");
	ok(!cscan(&c, "{\"schema\":{\"type\":\"struct\",\"fields\":[]},\"payload\":1,\"x\":2"),
	   "anything but the closing brace after the payload is refused");
	ok(!cscan(&c, "{\"schema\":{\"type\":\"struct\",\"fields\":[]},\"payload\":{\"id\":1}"),
	   "a missing closing brace is refused");
	ok(!cscan(&c, "{\"schema\":{\"type\":\"struct\",\"fields\":[]},\"payload\":\"\xff\"}"),
	   "invalid UTF-8 in the payload is refused");
	ok(cscan(&c, "[1,2]") && !cscan(&c, "{\"schema\":{\"type\":1,}"), "other JSON as usual");
	connect_cache_free(&c);
}

/* pg_conninfo_hide() blanks exactly the password, in each form libpq reads. */
static void
test_conninfo_hide(void)
{
	static const char *const cases[][2] = {
		{"host=h password=secret user=u", "host=h password=xxxxxx user=u"},
		{"password = 'se cr\\'et' user=u", "password = 'xxxxxxxxx' user=u"},
		{"host='a b' password=s\\ t", "host='a b' password=xxxx"},
		{"passwordx=keep password=", "passwordx=keep password="},
		{"postgresql://u:secret@h:5/db?sslmode=off&password=pw",
		 "postgresql://u:xxxxxx@h:5/db?sslmode=off&password=xx"},
		{"postgres://u@h/db?password=pw&user=v", "postgres://u@h/db?password=xx&user=v"},
		{"postgresql://u:p%40ss@h/db", "postgresql://u:xxxxxx@h/db"},
		{"postgresql://h/db", "postgresql://h/db"},
		{"mydb", "mydb"},
		{"postgresql://u:p?w&x@h/db?password=q", "postgresql://u:xxxxx@h/db?password=x"},
		{"postgresql://u:p@w@h/db", "postgresql://u:x@w@h/db"},
		{"sslpassword=kp dbname=password", "sslpassword=xx dbname=password"},
		{"postgresql://h/db?sslpassword=kp&dbname=password",
		 "postgresql://h/db?sslpassword=xx&dbname=password"},
	};
	size_t i;
	const char *copies[sizeof cases / sizeof cases[0]];

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char arg[128];

		snprintf(arg, sizeof arg, "%s", cases[i][0]);
		copies[i] = pg_conninfo_take(arg);
		ok(strcmp(arg, cases[i][1]) == 0, "conninfo hidden: %s -> %s", cases[i][0], arg);
	}
	/* Each copy outlives the later ones: a command takes -d and -r. */
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
		ok(strcmp(copies[i], cases[i][0]) == 0, "conninfo copy kept: %s", copies[i]);
	ok(pg_status_for_sqlstate("28P01") == 77 && pg_status_for_sqlstate("42501") == 77 &&
		   pg_status_for_sqlstate("08006") == 75 && pg_status_for_sqlstate("55000") == 78 &&
		   pg_status_for_sqlstate("42P01") == 69 && pg_status_for_sqlstate(NULL) == 69,
	   "SQLSTATE to exit status");
	{
		/* Nothing listens on port 1: the connection is bad from the start. */
		PGconn *dead = PQconnectdb("host=127.0.0.1 port=1 connect_timeout=2");
		char err[256];
		int status = 0;

		ok(pg_query(dead, "SELECT 1", PGRES_TUPLES_OK, &status, err, sizeof err) == NULL &&
			   status == 75 && err[0] && strchr(err, '\n') == NULL &&
			   strncmp(err, "ERROR:", 6) != 0,
		   "pg_query on a lost connection: 75 and one line: %s", err);
		status = 0;
		ok(!pg_command(dead, "SET x = 1", &status, err, sizeof err) && status == 75,
		   "pg_command gives the same status");
		ok(pg_exec(dead, "SELECT 1", PGRES_TUPLES_OK, err, sizeof err) == NULL && err[0] &&
			   strchr(err, '\n') == NULL,
		   "pg_exec: the same one line");
		PQfinish(dead);
	}
}

/*
 * Each man page that reads -c carries the table of connector keys between
 * two marker comments, exactly as connector_keys_mdoc() writes it.  With
 * WALPIPE_PRINT_KEYS=COMMAND, main() prints that command's table instead.
 */
static void
test_connector_man_pages(void)
{
	static const struct {
		const char *name;
		unsigned bit;
	} cmds[] = {
		{"pg-wal-tail", CONN_WAL_TAIL},
		{"cdc-envelope", CONN_ENVELOPE},
		{"pg-apply", CONN_APPLY},
	};
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
		struct buf want = BUF_INIT, page = BUF_INIT;
		char path[64];
		const char *a, *b;
		int fd;

		connector_keys_mdoc(cmds[i].bit, &want);
		snprintf(path, sizeof path, "man/man1/%s.1", cmds[i].name);
		fd = open(path, O_RDONLY);
		ok(fd >= 0 && buf_read_fd(&page, fd), "%s can be read", path);
		if (fd >= 0)
			close(fd);
		buf_cstr(&page);
		a = strstr(page.data, ".\\\" BEGIN connector keys\n");
		b = a ? strstr(a, ".\\\" END connector keys\n") : NULL;
		a = a ? strchr(a, '\n') + 1 : NULL;
		ok(a && b && (size_t) (b - a) == want.len && memcmp(a, want.data, want.len) == 0,
		   "%s lists every connector key as the binder treats it", path);
		buf_free(&want);
		buf_free(&page);
	}
}

int
main(void)
{
	const char *print = getenv("WALPIPE_PRINT_KEYS");

	if (print) {
		struct buf b = BUF_INIT;

		connector_keys_mdoc(strcmp(print, "pg-wal-tail") == 0		 ? CONN_WAL_TAIL
								: strcmp(print, "cdc-envelope") == 0 ? CONN_ENVELOPE
																	 : CONN_APPLY,
							&b);
		fwrite(b.data, 1, b.len, stdout);
		buf_free(&b);
		return 0;
	}
	test_json_writer();
	test_json_scanner();
	test_json_string_runs();
	test_lsn();
	test_lsn_format_printf();
	test_lineread();
	test_lineread_keep();
	test_record();
	test_ackfile();
	test_ack_lines();
	test_connector();
	test_connector_bind();
	test_connector_man_pages();
	test_connect_scan();
	test_connect_split();
	test_conninfo_hide();
	return tap_done();
}
