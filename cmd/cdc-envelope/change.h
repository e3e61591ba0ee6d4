/*
 * change.h - one change line of pg-wal-tail(1), parsed: its members kept
 * as slices of the line, positions and times read, the operation checked.
 */
#ifndef CDC_ENVELOPE_CHANGE_H
#define CDC_ENVELOPE_CHANGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "json.h"

struct table;

/* The members of one change line (brief section 1). */
struct change {
	struct json_slice pos, lsn, commit_lsn, end_lsn, xid, ts_us, db, schema, table, op, snapshot,
		columns, before, after, message;
	char op_c;
	const struct table *columns_cached; /* "columns" equals this table's cache */
	uint64_t lsn_v;
	uint64_t commit_v;
	uint64_t end_v; /* end_lsn, or 0 if the line has none */
	int64_t ts_us_v;
};

/*
 * Walks the line (NUL-terminated at line[n]) once into ch, validating it;
 * a "columns" value with the bytes last's cache was built from (last may
 * be NULL) is taken without a scan.  ch must be zeroed; its slices point
 * into line.  False with a message in errmsg.
 */
bool change_parse(const char *line, size_t n, const struct table *last, struct change *ch,
				  char *errmsg, size_t errsize);

/* False for a logical decoding message sent outside a transaction. */
bool change_is_transactional(const struct change *ch);

#endif
