/*
 * keyset.h - what an incremental snapshot's chunk must not overwrite: the
 * keys of the streamed changes to its table, each with the transaction
 * that wrote it, and which of those transactions a snapshot sees
 * (txid_current_snapshot(): xmin, xmax and the ones in progress).
 */
#ifndef PGWT_KEYSET_H
#define PGWT_KEYSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* A snapshot as txid_current_snapshot() prints it: xmin:xmax:xip,... */
struct xsnap {
	uint64_t xmin;
	uint64_t xmax;
	uint64_t *xip;
	size_t nxip;
	size_t cap;
};

bool xsnap_parse(struct xsnap *s, const char *txt);
/* Whether the snapshot sees the transaction xid (32 bits, as streamed). */
bool xsnap_sees(const struct xsnap *s, uint32_t xid);
void xsnap_free(struct xsnap *s);

struct kent;

struct keyset {
	struct buf arena; /* the keys' bytes */
	struct kent *ents;
	size_t nents;
	size_t cap;
	uint32_t *hash; /* index + 1 into ents, open addressing */
	size_t hcap;
};

/* Appends one key value (length, bytes; p NULL: an SQL NULL) to a key being built in b. */
void key_put(struct buf *b, const char *p, size_t n);

/* Remembers key (or, with p NULL, a truncate of the table) written by xid. */
void keyset_add(struct keyset *k, uint32_t xid, const char *p, size_t n);
/*
 * Indexes the keys written by transactions s does not see, for
 * keyset_has(); true if one of them truncated the table.
 */
bool keyset_index_unseen(struct keyset *k, const struct xsnap *s);
bool keyset_has(const struct keyset *k, const char *p, size_t n);
/* Forgets what s sees: every later snapshot sees it too. */
void keyset_prune(struct keyset *k, const struct xsnap *s);
void keyset_clear(struct keyset *k);
void keyset_free(struct keyset *k);

#endif
