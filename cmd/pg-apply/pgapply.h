/*
 * pgapply.h - the parts of pg-apply shared by its source files: the
 * settings (from flags or a Debezium JDBC sink configuration), the Connect
 * schema of a record turned into columns, value conversion to PostgreSQL
 * text input, and the batch applied in one transaction.
 */
#ifndef PGAPPLY_H
#define PGAPPLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "buf.h"
#include "convert.h"
#include "json.h"
#include "lsn.h"
#include "record.h"
#include "sqlident.h"

enum insert_mode { INSERT_INSERT, INSERT_UPSERT, INSERT_UPDATE };
enum pk_mode { PK_NONE, PK_RECORD_KEY, PK_RECORD_VALUE, PK_KAFKA };

/* What the command line and -c FILE configure. */
struct settings {
	char *table_format; /* table.name.format, "${topic}" */
	enum insert_mode insert_mode;
	bool delete_enabled;
	bool truncate_enabled;
	enum pk_mode pk_mode;
	char *pk_fields; /* comma separated, or NULL */
	bool auto_create;
	bool evolution; /* schema.evolution=basic */
	long batch_size;
	char *conninfo;		 /* from connection.url etc.; -d wins */
	char *field_include; /* field.include.list: value fields to apply */
	char *field_exclude; /* field.exclude.list: value fields to leave out */
	/* Which fields were given explicitly on the command line. */
	unsigned set_mask;
};

#define SET_TABLE_FORMAT (1u << 0)
#define SET_INSERT_MODE (1u << 1)
#define SET_DELETE (1u << 2)
#define SET_TRUNCATE (1u << 3)
#define SET_PK_MODE (1u << 4)
#define SET_PK_FIELDS (1u << 5)
#define SET_AUTO_CREATE (1u << 6)
#define SET_EVOLUTION (1u << 7)
#define SET_BATCH_SIZE (1u << 8)

/* config.c */

/*
 * Reads a Debezium JDBC sink connector configuration (JSON, either
 * {"name":..,"config":{..}} or the bare config object) into s, leaving
 * the fields named in s->set_mask alone.  false with errbuf filled and
 * the exit status in *status (connector_open()).
 */
bool config_load(const char *path, struct settings *s, int *status, char *errbuf, size_t errsize);

/* shape.c: the columns a record's key and value schemas describe. */

struct column {
	char *name; /* decoded field name */
	size_t namelen;
	struct ctype t;
	bool optional;
	char *dflt; /* SQL literal for DEFAULT, or NULL */
};

/*
 * One combination of key schema and value schema, cached by their raw
 * bytes: the same bytes recur on every record of a table.
 */
struct shape {
	char *kraw;
	size_t kn;
	char *vraw;
	size_t vn;
	bool envelope;	 /* a Debezium envelope (before/after/op) */
	bool message;	 /* a logical decoding message: no row */
	bool key_struct; /* the key schema is a struct */
	int ncols;
	int nkeys; /* cols[0..nkeys) form the primary key */
	struct column *cols;
	char error[200]; /* non-empty: records of this shape cannot be applied */
};

/*
 * Builds a shape from the key and value schema slices (either may be
 * n == 0).  Never fails: a problem is kept in shape->error and reported
 * for each record of that shape.
 */
struct shape *shape_build(struct json_slice kschema, struct json_slice vschema,
						  const struct settings *s);
void shape_free(struct shape *sh);
int shape_find_col(const struct shape *sh, const char *name, size_t n, int hint);

/* The shapes met so far, found by their schemas' bytes (ops.c). */
struct schema_cache {
	struct shape **shapes;
	int nshapes;
	struct shape *last;
};

/* apply.c: batches applied to PostgreSQL in one transaction each. */

enum op_kind { OPK_WRITE, OPK_DELETE, OPK_TRUNCATE };

#define VAL_NULL (-1)
#define VAL_UNAVAILABLE (-2)

/* One column value of an op: text at batch->data + off, NUL-terminated. */
struct val {
	uint32_t off;
	int32_t len; /* or VAL_NULL, VAL_UNAVAILABLE */
};

struct table;

struct op {
	enum op_kind kind;
	struct table *table;
	struct shape *shape;
	size_t vals;  /* index of the first of shape->ncols vals */
	bool toast;	  /* some value is VAL_UNAVAILABLE */
	bool dropped; /* superseded by a later op on the same key */
	uint64_t lineno;
	const char *topic; /* for messages; NULL if the record had none */
	int32_t partition;
	int64_t offset;	 /* -1 if none */
	int source;		 /* offset_row.id of its position source, or -1 */
	struct pos pos;	 /* for a "pos" source: its change's position */
	size_t line_off; /* the record line, if kept (dead letters) */
	size_t line_len;
};

struct batch {
	struct op *ops;
	size_t nops;
	size_t opcap;
	struct val *vals;
	size_t nvals;
	size_t valcap;
	struct buf data;
	struct buf lines;
	size_t skipped; /* ops applier_apply() left out: applied before */
};

void batch_reset(struct batch *b);
void batch_free(struct batch *b);
void batch_truncate(struct batch *b, size_t nops);
struct op *batch_add(struct batch *b, struct shape *sh);

/*
 * A position source of a batch and its row in the offsets table.  The
 * caller fills in everything; applier_apply() raises last to the stored
 * position when that is higher (another writer applied further).
 */
struct offset_row {
	const char *source; /* key in the offsets table */
	int id;				/* ops of this source have op->source == id */
	bool is_pos;		/* a change position, else a Kafka offset */
	int64_t first;		/* Kafka: the batch's first and last offset */
	int64_t last;
	struct pos first_pos; /* "pos": likewise */
	struct pos last_pos;
};

struct applier;

/* Called for each op that failed in --errors skip mode, before commit. */
typedef bool (*reject_fn)(void *ctx, const struct op *op, const char *msg);

enum apply_status {
	APPLY_OK,
	APPLY_RECORD,  /* a record could not be applied: exit 65 */
	APPLY_LOST,	   /* connection lost: exit 75 */
	APPLY_INTERNAL /* exit 70 */
};

struct applier *applier_new(PGconn *conn, const struct settings *s, const char *offsets_table);
void applier_free(struct applier *a);

/* Finds or adds the table named name (as formatted, unquoted). */
struct table *applier_table(struct applier *a, const char *name, size_t n);
const char *table_name(const struct table *t);

/*
 * Creates the offsets table if needed and calls fn for each stored row.
 * false with errbuf filled on error.
 */
bool applier_load_offsets(struct applier *a,
						  void (*fn)(void *ctx, const char *source, const char *position),
						  void *ctx, char *errbuf, size_t errsize);

/* After a reconnect: forget what the old session knew (temporary tables). */
void applier_reset(struct applier *a);

/* The exit status for the last failed statement (common/pgutil.h's mapping). */
int applier_status(const struct applier *a);

/*
 * The position stored for source: 1 (copied to pos), 0 if there is none,
 * -1 on error (errbuf filled).
 */
int applier_stored_position(struct applier *a, const char *source, char *pos, size_t possize,
							char *errbuf, size_t errsize);

/*
 * Applies the batch and stores the offsets in one transaction.  The
 * offsets rows of the batch's sources are locked first and read again:
 * ops at or below a stored position are left out (b->skipped counts
 * them), and a stored position never moves back.  With reject == NULL
 * the first failing op is reported in errbuf (and *failed points at it)
 * and nothing is committed; with reject, failing ops are handed to it
 * and left out.
 */
enum apply_status applier_apply(struct applier *a, struct batch *b, struct offset_row *offs,
								int noffs, reject_fn reject, void *ctx, const struct op **failed,
								char *errbuf, size_t errsize);

/* fastrec.c: the record line in one pass, known schemas skipped by memcmp. */

struct connect_cache;

/* The members of an envelope payload that pg-apply uses. */
struct envelope_parts {
	bool valid; /* found while validating the payload */
	struct json_slice before;
	struct json_slice after;
	struct json_slice source;
	struct json_slice op;
};

/* Keeps v if the member named k (a raw key slice) is one of the parts. */
void envelope_take(struct envelope_parts *parts, struct json_slice k, struct json_slice v);

struct frec {
	struct record r;
	struct envelope_parts parts;
	struct json_slice ks; /* key schema and payload, n == 0 if not split */
	struct json_slice kp;
	struct json_slice vs; /* value schema and payload, likewise */
	struct json_slice vp;
};

/*
 * Like record_parse(), and splits key and value; false with *err set.
 * schemas as for record_parse().
 */
bool frec_parse(const char *line, size_t n, struct connect_cache *schemas, struct frec *f,
				struct json_err *err);

#endif
