/*
 * tail.h - pg-wal-tail's state and its phases: setup (publication, slot),
 * initial snapshot, streaming.  main.c parses options into struct
 * tail_opts and calls these in order.
 */
#ifndef PGWT_TAIL_H
#define PGWT_TAIL_H

#include <stdbool.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "ackq.h"
#include "buf.h"
#include "keycols.h"
#include "decode.h"
#include "format.h"
#include "lsn.h"
#include "out.h"
#include "pgutil.h"
#include "spill.h"
#include "types.h"

enum snap_mode { SNAP_DEFAULT = -1, SNAP_INITIAL, SNAP_NEVER, SNAP_ONLY, SNAP_INCREMENTAL };

/* What the ack file says of an existing slot's snapshot (snapshot.c). */
enum snap_state {
	SNAP_UNPROVEN,	  /* no ack file, or no position in it yet */
	SNAP_INTERRUPTED, /* downstream acknowledged a row inside it */
	SNAP_COMPLETE	  /* downstream acknowledged its end, or later */
};

struct tail_opts {
	const char *conninfo;
	const char *slot;
	const char *publication;
	const char *ack_file;
	char **tables; /* -t SCHEMA.TABLE, for the publication */
	int ntables;
	bool create_slot;
	bool temporary_slot;
	bool drop_slot;
	bool heartbeat_message;
	bool streaming;	 /* protocol 2, in-progress transactions */
	bool all_tables; /* create the publication FOR ALL TABLES */
	enum snap_mode snapshot;
	uint64_t start_lsn;
	uint64_t end_lsn; /* 0: none */
	bool end_now;	  /* --end-lsn now */
	int64_t status_interval_us;
	int64_t heartbeat_us; /* 0: off */
	int retries;
	int fetch_size;
	const char *metrics_file; /* NULL: no metrics */
	double progress;		  /* seconds between progress lines; 0: none */
	const char *signal_table; /* SCHEMA.TABLE of signals, or NULL */
	const char *signal_file;  /* file or FIFO of signals, or NULL */
	int chunk_size;			  /* incremental snapshot rows per chunk */
	const char *state_file;	  /* what is left of incremental snapshots */
	struct tail_file *file;	  /* the -c file, which strings above may point
								 * into (config.c); NULL without -c */
	/* -k, message.key.columns: the spec, or NULL, and its entries. */
	const char *key_columns;
	struct keycols_list keycols;
};

struct tail {
	const struct tail_opts *o;
	PGconn *repl; /* replication=database connection */
	PGconn *sql;  /* ordinary connection: catalog, snapshot */
	struct relcache rels;
	struct typecache types; /* every type seen, kept for good */
	struct pgo_msg msg;
	struct out out;
	struct buf line;
	struct buf ackbuf;
	struct buf db_json; /* database name as a JSON string */
	struct ackq q;
	bool slot_created;
	uint64_t consistent_lsn; /* new slot's consistent point, or where a
								 * snapshot taken again streams from */
	bool redo_snapshot;		 /* existing slot, its snapshot taken again */
	struct pos snap_ack;	 /* the interrupted snapshot's last ack */
	bool snap_pending;		 /* snapshot written, its end not acknowledged */
	struct pos snap_end;	 /* the position of its last row */
	char snapshot_name[64];
	uint64_t end_lsn;
	/* The transaction being received. */
	bool in_txn;
	uint64_t txn_commit;
	uint64_t txn_seq;
	uint32_t txn_xid;
	int64_t txn_ts_us;
	struct pos last_emitted; /* changes at or before it are not re-emitted */
	uint64_t sent_confirm;	 /* last flush LSN reported to the server */
	uint64_t server_end;	 /* walEnd of the last keepalive */
	int64_t last_status_us;
	int64_t last_heartbeat_us;
	int64_t last_ack_check_us;
	bool done; /* --end-lsn reached */
	/* Streamed in-progress transactions (--streaming). */
	bool in_stream;		  /* between Stream Start and Stream Stop */
	struct spill *stream; /* the one being received */
	struct spill *spills; /* every open one */
	struct buf replay;
	/* Counted for the metrics (stats.c). */
	uint64_t wal_msgs; /* XLogData messages received */
	uint64_t wal_bytes;
	uint64_t snap_rows; /* snapshot rows read so far */
	double snap_total;	/* the tables' estimated rows, or -1 */
	/* Incremental snapshots (incremental.c) and their signals (signals.c). */
	struct incr *incr;
	struct signals *signals;
};

/* Fills what the command line left unset from a connector JSON file. */
void tail_opts_from_connector(struct tail_opts *o, const char *path);
/* Frees what that kept; the options' strings from the file go with it. */
void tail_opts_free_connector(struct tail_opts *o);

/* Exit statuses map (sysexits.h); functions below fatal() on error. */
void tail_init(struct tail *t, const struct tail_opts *o);
void tail_connect(struct tail *t);
void tail_setup(struct tail *t);
void tail_drop_slot(struct tail *t);
void tail_snapshot(struct tail *t);
/*
 * The publication's tables in snapshot order: oid, relkind, reltuples,
 * regclass, SCHEMA.TABLE.  Caller PQclear()s.
 */
PGresult *snapshot_tables(struct tail *t);
/* What the ack file says of the snapshot of a slot confirmed at confirmed. */
enum snap_state snapshot_state(struct tail *t, uint64_t confirmed);
/* Downstream's position from the ack file: false if there is none. */
bool tail_read_ack(struct tail *t, struct pos *pos);
int tail_stream(struct tail *t);
void tail_close(struct tail *t);

/* Turns on the metrics of --metrics-file (stats.c). */
void tail_metrics(struct tail *t);

/* The prefix of the heartbeat messages, never written as changes. */
#define HEARTBEAT_PREFIX "walpipe_heartbeat"

/* Stream internals shared by stream.c and change.c. */
/* Writes t->line as one output line; exits (EX_IOERR) if it cannot. */
void tail_emit(struct tail *t);
/* Exits with EX_IOERR naming the output's error. */
void tail_die_write(struct tail *t) __attribute__((noreturn));
/*
 * The position of the next change of the transaction being received, in
 * h; false if it was written before (a transaction sent again).
 */
bool tail_next_change(struct tail *t, struct change_hdr *h, uint64_t lsn);
/* Reconnects the ordinary connection; false if that failed. */
bool tail_reset_sql(struct tail *t);
/* Handles one XLogData message (header and pgoutput payload). */
void tail_on_xlogdata(struct tail *t, const unsigned char *p, size_t n);

/* A big-endian 64-bit integer of the replication protocol. */
static inline uint64_t
pgwt_get_u64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* Sets DateStyle, TimeZone... for the change lines' value formats. */
bool set_output_style(PGconn *conn, char *errbuf, size_t errsize);

#endif
