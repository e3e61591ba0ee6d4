/*
 * pgoutput.c - libFuzzer target: arbitrary bytes through the pgoutput
 * decoder, and every message it accepts through the change-line writer.
 *
 * The first byte picks the mode (inside a streamed transaction or not);
 * the rest is one pgoutput message.  A decoded Relation message becomes
 * the relation for the tuples that follow in later inputs of the run.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../cmd/pg-wal-tail/decode.h"
#include "../cmd/pg-wal-tail/format.h"

static struct pgo_msg msg;
static struct rel *rel;
static struct buf line;

static void
use_relation(void)
{
	struct colinfo ci = {"text", NULL, 0, true, NULL, NULL, NULL, 0};
	int i;

	rel_free(rel);
	rel = rel_new(msg.relid, msg.nspname.p, msg.nspname.n, msg.relname.p, msg.relname.n);
	for (i = 0; i < msg.ncols; i++)
		rel_add_col(rel, msg.cols[i].name.p, msg.cols[i].name.n, msg.cols[i].typoid,
					msg.cols[i].typmod, msg.cols[i].flags & 1, &ci);
	rel_finish(rel);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512];
	struct change_hdr h = {1, 1, 1, 1, 1, "\"db\""};

	if (size < 1)
		return 0;
	if (!pgo_decode(data + 1, size - 1, data[0] & 1, &msg, err, sizeof err)) {
		if (err[0] == '\0')
			__builtin_trap(); /* every rejection must say why */
		return 0;
	}
	buf_reset(&line);
	switch (msg.type) {
		case PGO_RELATION: use_relation(); break;
		case PGO_INSERT:
		case PGO_UPDATE:
		case PGO_DELETE:
			if (rel)
				(void) fmt_change(&line, &h, rel, 'u', NULL, msg.oldkind ? &msg.oldtup : NULL,
								  msg.oldkind == 'K', msg.type == PGO_DELETE ? NULL : &msg.newtup,
								  err, sizeof err);
			break;
		case PGO_MESSAGE:
			fmt_message(&line, &h, msg.relname.p, msg.relname.n, msg.content, msg.content_len,
						msg.flags & 1);
			break;
		default: break;
	}
	return 0;
}
