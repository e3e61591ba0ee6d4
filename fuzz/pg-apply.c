/*
 * pg-apply.c - libFuzzer target: arbitrary bytes as a record line through
 * pg-apply's one-pass reader, and every row it accepts through the shape
 * and value conversion.
 *
 * The reader skips a schema it has seen by comparing bytes, so the first
 * accepted record's schemas are cached for the rest of the run, and the
 * reader must still never accept what is not valid JSON.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../cmd/pg-apply/pgapply.h"
#include "connectjson.h"

static struct connect_cache schemas; /* across inputs, as in a run */
static struct settings st = {.pk_mode = PK_RECORD_KEY, .table_format = "t"};

static void
convert_row(struct shape *sh, struct json_slice row)
{
	struct json_iter it;
	struct json_slice k, v;
	struct buf out = BUF_INIT;
	char err[200];

	if (json_type_of(row) != JSON_OBJECT)
		return;
	json_iter_init(&it, row);
	while (json_obj_next(&it, &k, &v)) {
		int i = shape_find_col(sh, k.p + 1, k.n - 2, 0);

		if (i >= 0)
			(void) conv_value(&sh->cols[i].t, v, &out, err, sizeof err);
		buf_reset(&out);
	}
	buf_free(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line = malloc(size ? size : 1);
	struct frec f;
	struct json_err err;
	struct json_err verr;
	const char *p;
	bool ok, valid;

	memcpy(line, data, size);
	ok = frec_parse(line, size, &schemas, &f, &err);
	valid = json_validate(line, size, &verr);
	p = json_skip_ws(line, line + size);
	/* Never accept what is not JSON; refuse JSON only for a field's type. */
	if (ok && !valid)
		abort();
	if (!ok && valid && p < line + size && *p == '{' && err.msg[0] != '"')
		abort();
	if (ok && f.vs.n > 0) {
		struct shape *sh = shape_build(f.ks, f.vs, &st);

		if (sh->error[0] == '\0') {
			if (f.parts.valid)
				convert_row(sh, f.parts.after);
		}
		shape_free(sh);
	}
	free(line);
	return 0;
}
