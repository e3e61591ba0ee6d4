/*
 * cdc-envelope.c - libFuzzer target for cdc-envelope's change line
 * conversion (cmd/cdc-envelope/envelope.c, schema.c, convert.c).
 *
 * The input is split into lines and fed to one converter state, so the
 * table cache, transactions and ALTER TABLE paths are reached too.  Every
 * line must give either record lines that are valid JSON, one per line,
 * or an error message; never a crash, a leak or a read past the end (each
 * line is copied into a buffer of exactly its size for ASan).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../cmd/cdc-envelope/envelope.h"
#include "json.h"

static void
check_output(const struct buf *out, size_t from)
{
	const char *p, *end;

	if (out->len == from)
		return;
	p = out->data + from;
	end = out->data + out->len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t) (end - p));
		struct json_err err;

		if (nl == NULL || !json_validate(p, (size_t) (nl - p), &err))
			abort();
		p = nl + 1;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct env_conf conf;
	struct env *e;
	struct buf out = BUF_INIT;
	char err[512];
	size_t i = 0;

	conf.prefix = "p";
	conf.source_version = "2.7.3.Final";
	conf.tombstones = true;
	conf.key_schemas = conf.value_schemas = (size > 0 && (data[0] & 1) == 0);
	conf.tx_metadata = size > 0 && (data[0] & 2);
	conf.unwrap = size > 0 && (data[0] & 4);
	conf.unwrap_delete = size > 0 ? (enum unwrap_delete)((data[0] >> 3) % 3) : UNWRAP_DROP;
	conf.decimal = size > 0 ? (enum dec_mode)((data[0] >> 5) % 3) : DEC_PRECISE;
	e = env_new(&conf);
	while (i < size) {
		const uint8_t *nl = memchr(data + i, '\n', size - i);
		size_t n = nl ? (size_t) (nl - (data + i)) : size - i;
		char *line = malloc(n + 1);
		size_t from = out.len;

		memcpy(line, data + i, n);
		line[n] = '\0';
		if (env_line(e, line, n, &out, err, sizeof err))
			check_output(&out, from);
		else if (out.len != from || err[0] == '\0')
			abort();
		free(line);
		i += n + 1;
	}
	env_end(e, &out);
	env_free(e);
	buf_free(&out);
	return 0;
}
