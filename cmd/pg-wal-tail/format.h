/*
 * format.h - relation descriptions and the change line (pg-wal-tail(1),
 * "CHANGE LINES"): pure functions from decoded data to JSON text.
 *
 * A struct rel describes one table as the change lines need it: names,
 * columns with their type OIDs (for value conversion) and the "columns"
 * array pre-rendered once, so a change costs only its values.
 */
#ifndef PGWT_FORMAT_H
#define PGWT_FORMAT_H

#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "decode.h"

struct relcol {
	char *name;
	uint32_t typoid;   /* as in the Relation message */
	uint32_t basetype; /* base type for domains, else typoid */
	int32_t typmod;
	bool key; /* in the replica identity (message flag) */
};

struct rel {
	uint32_t oid;
	char *nspname;
	char *relname;
	int ncols;
	struct relcol *cols;
	struct buf head;	/* "schema":"..","table":".." */
	struct buf columns; /* "columns":[...] */
	struct rel *next;	/* hash chain */
};

/* Per-column catalog facts; NULL strings mean "absent". */
struct colinfo {
	const char *type;	/* base type name (pg_type.typname) */
	const char *domain; /* domain name if the column's type is one */
	int keyno;			/* ordinal in primary key, 0 if none */
	bool optional;
	const char *dflt;
	const char *enum_json; /* JSON array of labels, compact */
	const char *comment;
	uint32_t basetype;
};

/*
 * Builds a rel (caller frees with rel_free) from names and per-column
 * data: relcol (name, typoid, typmod, key) and catalog facts info[i].
 */
struct rel *rel_new(uint32_t oid, const char *nsp, size_t nsplen, const char *name, size_t namelen);
void rel_add_col(struct rel *r, const char *name, size_t namelen, uint32_t typoid, int32_t typmod,
				 bool key, const struct colinfo *info);
/* Closes the "columns" array; call after the last rel_add_col(). */
void rel_finish(struct rel *r);
void rel_free(struct rel *r);

/* A hash table of relations by OID, owning them. */
struct relcache {
	struct rel *slots[256];
};

struct rel *relcache_get(struct relcache *c, uint32_t oid);
/* Inserts r, replacing (and freeing) any previous entry for its OID. */
void relcache_put(struct relcache *c, struct rel *r);
void relcache_free(struct relcache *c);

/* Fields every change line starts with. */
struct change_hdr {
	uint64_t commit_lsn;
	uint64_t seq;
	uint64_t lsn;
	uint32_t xid;
	int64_t ts_us;		 /* Unix epoch */
	const char *db_json; /* the database name as a JSON string */
};

/*
 * Appends one change line (without newline) to b.  op is c, u, d, r or t;
 * snapshot is the marker for op r, else NULL.  before/after may be NULL
 * (JSON null).  before_key_only keeps only key columns of before (pgoutput
 * 'K' tuple).  Returns false (with errbuf) if a tuple does not fit rel.
 */
bool fmt_change(struct buf *b, const struct change_hdr *h, const struct rel *r, char op,
				const char *snapshot, const struct pgo_tuple *before, bool before_key_only,
				const struct pgo_tuple *after, char *errbuf, size_t errsize);

/* Appends a logical decoding message line (op m). */
void fmt_message(struct buf *b, const struct change_hdr *h, const char *prefix, size_t prefixlen,
				 const unsigned char *content, size_t n, bool transactional);

/* Appends one value as JSON according to the base type OID. */
void fmt_value(struct buf *b, uint32_t basetype, const struct pgo_val *v);

/* True if s[0..n) is a JSON number exactly as written. */
bool is_json_number(const char *s, size_t n);

#endif
