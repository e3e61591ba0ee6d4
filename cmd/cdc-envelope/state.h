/*
 * state.h - the state of one conversion, shared by the modules that turn
 * change lines into records (envelope.c, row.c, txmeta.c, unwrap.c,
 * emit.c): the table cache, the transaction in progress, the
 * per-line clock and source fields, and where an error goes.
 */
#ifndef CDC_ENVELOPE_STATE_H
#define CDC_ENVELOPE_STATE_H

#include "table.h"

/* buf_puts() of a string literal, without the strlen(). */
#define PUTL(b, lit) buf_put((b), lit, sizeof(lit) - 1)

/* One table of the open transaction and its count of events (txmeta.c). */
struct tx_coll {
	struct table *t;
	int64_t count;
};

struct env {
	const struct env_conf *c;
	struct table_cache tables;
	bool have_commit;
	uint64_t commit; /* commit LSN of the current transaction */
	uint64_t end;	 /* its end LSN, 0 if unknown */
	bool have_tx_ts;
	int64_t tx_ts_us; /* commit time of the last transaction */
	bool have_prev;
	uint64_t prev_commit; /* ... of the one before: Debezium's lastCommitLsn */
	uint64_t nrecords;	  /* record lines written, for env_stats() */
	uint64_t nskipped;	  /* changes left out, for env_stats() */
	/* transaction metadata */
	bool tx_open;
	struct buf tx_xid;	/* the open transaction's xid, as written */
	uint64_t tx_begin;	/* its BEGIN position: its first change's LSN */
	uint64_t tx_commit; /* its COMMIT position: end_lsn, else commit_lsn */
	int64_t tx_total;
	int64_t tx_ts_ms;
	struct tx_coll *colls;
	int ncolls;
	int capcolls;
	/* per line */
	int64_t now_ms, now_us, now_ns;
	struct buf seq;		/* source.sequence as JSON */
	struct buf db;		/* source.db as JSON */
	struct buf srchead; /* {"version":..,"connector":..,"name":..,"ts_ms": */
	struct buf scratch;
	struct buf hdr; /* headers of the next record, or empty */
	struct buf msg_topic;
	struct buf tx_topic;
	struct json_slice *vals_a;
	struct json_slice *vals_b;
	int capvals;
	char *err;
	size_t errsize;
};

/* Formats a message into the caller's error buffer; returns false. */
bool env_fail(struct env *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
