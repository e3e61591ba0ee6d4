/*
 * decode.h - the pgoutput message decoder: a pure function over a byte
 * buffer, no I/O, no allocation beyond the caller's reusable arrays.
 *
 * One call decodes the payload of one XLogData message (protocol
 * versions 1 and 2: Begin, Commit, Origin, Relation, Type, Insert,
 * Update, Delete, Truncate, Message, Stream Start/Stop/Commit/Abort).
 * Strings and tuple values are slices into the input buffer and are
 * valid for as long as it is.  Every malformed input yields false and a
 * one-line reason, never a crash.
 */
#ifndef PGWT_DECODE_H
#define PGWT_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Microseconds between 1970-01-01 and 2000-01-01 (PostgreSQL epoch). */
#define PG_EPOCH_OFFSET_US INT64_C(946684800000000)

struct pgo_str {
	const char *p;
	size_t n;
};

enum pgo_val_kind {
	PGO_NULL = 'n',
	PGO_TOAST = 'u', /* unchanged TOASTed value: not sent */
	PGO_TEXT = 't',
	PGO_BINARY = 'b'
};

struct pgo_val {
	enum pgo_val_kind kind;
	const char *p; /* PGO_TEXT/PGO_BINARY: the bytes */
	size_t n;
};

struct pgo_tuple {
	int ncols;
	int cap;
	struct pgo_val *vals; /* owned, reused between calls */
};

struct pgo_relcol {
	uint8_t flags; /* 1: part of the key */
	struct pgo_str name;
	uint32_t typoid;
	int32_t typmod;
};

enum pgo_type {
	PGO_BEGIN = 'B',
	PGO_COMMIT = 'C',
	PGO_ORIGIN = 'O',
	PGO_RELATION = 'R',
	PGO_TYPE = 'Y',
	PGO_INSERT = 'I',
	PGO_UPDATE = 'U',
	PGO_DELETE = 'D',
	PGO_TRUNCATE = 'T',
	PGO_MESSAGE = 'M',
	PGO_STREAM_START = 'S',
	PGO_STREAM_STOP = 'E',
	PGO_STREAM_COMMIT = 'c',
	PGO_STREAM_ABORT = 'A'
};

/*
 * A decoded message.  Only the fields of its type are meaningful.  The
 * arrays (cols, oldtup, newtup, relids) are owned by the struct, grown as
 * needed and kept for the next call; pgo_msg_free() releases them.
 */
struct pgo_msg {
	enum pgo_type type;
	bool has_xid;			/* xid field present (streamed transaction) */
	uint32_t xid;			/* Begin, Stream *, or streamed changes */
	uint64_t lsn;			/* Begin: final LSN; Commit: commit LSN;
								 * Message: its LSN; Origin: origin LSN */
	uint64_t end_lsn;		/* Commit, Stream Commit */
	int64_t ts;				/* commit time, us since 2000-01-01 */
	uint8_t flags;			/* Commit, Message, Truncate options, Stream
								 * Start first-segment */
	uint32_t subxid;		/* Stream Abort */
	uint32_t relid;			/* Relation, Type (type OID), I/U/D */
	struct pgo_str nspname; /* Relation, Type */
	struct pgo_str relname; /* Relation, Type (type name), Origin name,
								 * Message prefix */
	char replident;			/* Relation */
	int ncols;				/* Relation */
	int colcap;
	struct pgo_relcol *cols;
	char oldkind; /* Update/Delete: 'K', 'O' or 0 (none) */
	struct pgo_tuple oldtup;
	struct pgo_tuple newtup;	  /* Insert, Update */
	const unsigned char *content; /* Message */
	size_t content_len;
	int nrelids; /* Truncate */
	int relidcap;
	uint32_t *relids;
};

void pgo_msg_init(struct pgo_msg *m);
void pgo_msg_free(struct pgo_msg *m);

/*
 * Decodes one pgoutput message of n bytes.  in_stream says whether we are
 * between Stream Start and Stream Stop (changes then carry an xid).
 * Returns false on malformed input with a reason in errbuf.
 */
bool pgo_decode(const unsigned char *p, size_t n, bool in_stream, struct pgo_msg *m, char *errbuf,
				size_t errsize);

/* Name of a message type for messages, e.g. "Insert". */
const char *pgo_type_name(int type);

#endif
