/*
 * spill.h - streamed in-progress transactions (pgoutput protocol 2),
 * kept in an unlinked temporary file per transaction until the server
 * says whether it committed (Stream Commit: replay, then write) or
 * aborted (Stream Abort: discard, or cut off an aborted subtransaction).
 * Memory stays small whatever the transaction's size.
 */
#ifndef PGWT_SPILL_H
#define PGWT_SPILL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "buf.h"

struct spill_sub {
	uint32_t xid;
	long off; /* file offset of its first change */
};

struct spill {
	uint32_t xid; /* top-level transaction */
	FILE *f;
	int nsub;
	int subcap;
	struct spill_sub *subs;
	struct spill *next;
};

/* Finds the spill of xid; with create, makes it if missing (else NULL). */
struct spill *spill_get(struct spill **list, uint32_t xid, bool create, char *errbuf,
						size_t errsize);

/* Appends one message of (sub)transaction msgxid at lsn. */
bool spill_append(struct spill *s, uint32_t msgxid, uint64_t lsn, const unsigned char *p, size_t n,
				  char *errbuf, size_t errsize);

/* Discards subtransaction subxid and everything after it. */
bool spill_abort_sub(struct spill *s, uint32_t subxid, char *errbuf, size_t errsize);

/* Replay: rewind, then spill_next() until it returns 0 (-1 on error). */
bool spill_rewind(struct spill *s);
int spill_next(struct spill *s, uint64_t *lsn, struct buf *msg);

/* Unlinks s from list and closes it; spill_free_all() closes all. */
void spill_free(struct spill **list, struct spill *s);
void spill_free_all(struct spill **list);

#endif
