/*
 * lsn.h - PostgreSQL log sequence numbers as text ("16/B374D848") and
 * the change positions built on them.
 *
 * A change position names one change in commit order: the commit LSN of
 * its transaction and its 1-based ordinal within that transaction
 * ("16/B374D848:3").  Change LSNs alone are not monotonic across
 * transactions (interleaved writers), commit LSNs are.
 */
#ifndef WALPIPE_LSN_H
#define WALPIPE_LSN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LSN_STRLEN 18 /* "FFFFFFFF/FFFFFFFF" + NUL */
#define POS_STRLEN 40

struct pos {
	uint64_t commit_lsn;
	uint64_t seq;
};

/* Parses "X/Y" (hex, as pg_lsn prints it); the whole input must match. */
bool lsn_parse(const char *s, size_t n, uint64_t *lsn);
/* Formats into buf (at least LSN_STRLEN bytes); returns buf. */
char *lsn_format(uint64_t lsn, char *buf);

/* Parses "X/Y:SEQ", or plain "X/Y" meaning the whole transaction (seq max). */
bool pos_parse(const char *s, size_t n, struct pos *pos);
char *pos_format(struct pos pos, char *buf); /* POS_STRLEN bytes */
int pos_cmp(struct pos a, struct pos b);

#endif
