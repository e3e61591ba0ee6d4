/*
 * record.c - libFuzzer target for the record line scanner (record.h).
 *
 * Arbitrary bytes must give either slices that lie inside the line and
 * are themselves valid JSON of the right type, or an error with a message
 * and an offset inside the line; never a crash or a read past the end
 * (the input is copied into a buffer of exactly its size for ASan).
 * The schema-remembering connect_split() must agree with json_scan_ws() on
 * every input, with a cache that lives across inputs.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "connectjson.h"
#include "json.h"
#include "record.h"

static void
check_slice(const char *line, size_t n, struct json_slice s, enum json_type want)
{
	struct json_err err;

	if (s.n == 0)
		return;
	if (s.p < line || s.p + s.n > line + n)
		abort();
	if (!json_validate(s.p, s.n, &err))
		abort();
	if (want != JSON_INVALID && json_type_of(s) != want && json_type_of(s) != JSON_NULL)
		abort();
}

static void
check_data(struct json_slice v, enum rec_encoding enc, bool spaced, struct buf *scratch)
{
	const char *p;
	size_t n;

	if (record_data(v, enc, spaced, scratch, &p, &n) && p != NULL && n > 0) {
		volatile char sink = p[0];

		sink ^= p[n - 1]; /* touch both ends of the bytes */
		(void) sink;
	}
}

/* The Connect schemas record_parse() met, across inputs. */
static struct connect_cache schemas;

static void
check_connect_split(const char *p, size_t n)
{
	static struct connect_cache cache;
	struct json_slice a = {NULL, 0};
	struct connect_value b;
	bool sa = false;
	const char *qa, *qb;

	if (n == 0 || p[0] == ' ' || p[0] == '\t' || p[0] == '\n' || p[0] == '\r')
		return;
	qa = json_scan_ws(p, p, p + n, &a, NULL, &sa);
	qb = connect_split(&cache, p, p, p + n, NULL, NULL, &b, NULL);
	if (qa != qb || (qa && (a.p != b.whole.p || a.n != b.whole.n || sa != b.space)))
		abort();
	/* A split value is its parts, exactly. */
	if (qa && b.schema.n &&
		(b.schema.p != p + 10 || b.payload.p + b.payload.n + 1 != b.whole.p + b.whole.n))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line = malloc(size ? size : 1);
	struct record r;
	struct json_err err;
	struct buf scratch = BUF_INIT;
	bool ok;

	memcpy(line, data, size);
	ok = record_parse(line, size, &schemas, &r, &err);
	if (!ok) {
		if (err.msg == NULL || err.off > size)
			abort();
	} else {
		/* A record line is always a valid JSON document. */
		if (!json_validate(line, size, &err))
			abort();
		check_slice(line, size, r.topic, JSON_STRING);
		check_slice(line, size, r.key, JSON_INVALID);
		check_slice(line, size, r.value, JSON_INVALID);
		check_slice(line, size, r.headers, JSON_OBJECT);
		check_slice(line, size, r.pos, JSON_STRING);
		if (r.key.n && r.key_spaced != json_has_space(r.key))
			abort();
		if (r.value.n && r.value_spaced != json_has_space(r.value))
			abort();
		check_data(r.key, r.key_enc, r.key_spaced, &scratch);
		check_data(r.value, r.value_enc, r.value_spaced, &scratch);
	}
	check_connect_split(line, size);
	buf_free(&scratch);
	free(line);
	return 0;
}
