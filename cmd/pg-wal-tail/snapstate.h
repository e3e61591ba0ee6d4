/*
 * snapstate.h - the state file of incremental snapshots (--state-file):
 * what is left to read, so that a run stopped at any point, kill -9
 * included, resumes at the last chunk downstream acknowledged.
 *
 * One JSON line per chunk written, appended before its rows are written:
 *   {"pos":"C:N","todo":[{"table":...,"filter":...,"after":[KEY...]},...]}
 * pos is the position of the chunk's last row; todo is what is left once
 * downstream has it.  At start, the last line whose pos the ack file
 * covers is what is left, and the file is rewritten to that line alone
 * (so that a line whose rows were never written cannot be taken later);
 * as it grows, it is replaced by that line and those after it.
 */
#ifndef PGWT_SNAPSTATE_H
#define PGWT_SNAPSTATE_H

#include <stdbool.h>

#include "buf.h"
#include "lsn.h"

struct tail;

/*
 * Before the slot is created (!exists): a new state file, whose work is
 * every table of the publication for --snapshot incremental, else
 * nothing.  For an existing slot: queues what the file says is left, as
 * of the acknowledged position.  Exits (64) when that cannot be told.
 */
void snapstate_setup(struct tail *t, bool exists);
/* Appends a line: what is left once downstream has end (without the current table if ends). */
void snapstate_record(struct tail *t, struct pos end, bool ends);
void snapstate_close(struct tail *t);
/* A key (LAST of a table) as a JSON array of its values' text, null for a NULL. */
void snapstate_put_key(struct buf *out, char *const *key, int nkeys);
/* One table of todo: after is key if given, else the JSON array after (or null). */
void snapstate_put_table(struct buf *out, const char *table, const char *filter, const char *after,
						 char *const *key, int nkeys);

#endif
