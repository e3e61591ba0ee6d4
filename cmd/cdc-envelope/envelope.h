/*
 * envelope.h - change lines (pg-wal-tail(1)) to record lines
 * (walpipe-record(5)) shaped like Debezium's PostgreSQL connector output.
 */
#ifndef CDC_ENVELOPE_ENVELOPE_H
#define CDC_ENVELOPE_ENVELOPE_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "keycols.h"

enum dec_mode { DEC_PRECISE, DEC_DOUBLE, DEC_STRING };
enum time_mode { TIME_ADAPTIVE, TIME_CONNECT };
enum unwrap_delete { UNWRAP_DROP, UNWRAP_TOMBSTONE, UNWRAP_REWRITE };
enum bin_mode { BIN_BYTES, BIN_BASE64, BIN_BASE64_URL, BIN_HEX };
enum colmap_kind { MAP_MASK, MAP_HASH, MAP_TRUNCATE };

/* One column mapper of the connector file and the columns it applies to. */
struct colmap {
	enum colmap_kind kind;
	int n;	 /* mask or truncation length */
	bool v2; /* hash the UTF-8 text, not the serialized String */
	char *salt;
	regex_t *re; /* schema.table.column, anchored */
	int nre;
};

/* Bits of env_conf.skipped, one per op letter. */
#define OPBIT_C 0x01
#define OPBIT_U 0x02
#define OPBIT_D 0x04
#define OPBIT_R 0x08
#define OPBIT_T 0x10
#define OPBIT_M 0x20

/* What the envelope looks like; filled by main() from flags and -c. */
struct env_conf {
	const char *prefix;			/* topic.prefix */
	const char *topic_template; /* ${prefix} ${schema} ${table}; NULL = default */
	const char *source_version;
	const char *dbname; /* source.db; NULL = the change line's db */
	unsigned skipped;	/* OPBIT_* of skipped operations */
	bool tombstones;
	bool key_schemas;	/* key.converter.schemas.enable */
	bool value_schemas; /* value.converter.schemas.enable */
	bool tx_metadata;
	bool unwrap;
	bool schema_comments;  /* include.schema.comments */
	bool unsupported_fail; /* --on-unsupported-value=fail */
	enum unwrap_delete unwrap_delete;
	enum dec_mode decimal;
	enum time_mode time;
	/* message.key.columns */
	struct keycols_list keycols;
	regex_t *include; /* table.include.list, anchored */
	int ninclude;
	regex_t *exclude; /* table.exclude.list, anchored */
	int nexclude;
	regex_t *schema_include; /* schema.include.list, anchored */
	int nschema_include;
	regex_t *schema_exclude; /* schema.exclude.list, anchored */
	int nschema_exclude;
	regex_t *col_include; /* column.include.list: schema.table.column */
	int ncol_include;
	regex_t *col_exclude; /* column.exclude.list */
	int ncol_exclude;
	struct colmap *colmaps; /* column.mask.* and column.truncate.* */
	int ncolmaps;
	bool interval_string; /* interval.handling.mode=string */
	bool hstore_map;	  /* hstore.handling.mode=map */
	enum bin_mode binary; /* binary.handling.mode */
	int money_digits;	  /* money.fraction.digits */
};

struct env;

/* conf must outlive the returned state; allocation failure exits. */
struct env *env_new(const struct env_conf *conf);
void env_free(struct env *e);

/*
 * Converts one change line (NUL-terminated at line[n]) into record lines,
 * each ending in '\n', appended to out.  On a malformed line returns
 * false with a message in err (without the line number) and appends
 * nothing.
 */
bool env_line(struct env *e, const char *line, size_t n, struct buf *out, char *err,
			  size_t errsize);

/* End of input: appends what is still pending (a transaction's END). */
void env_end(struct env *e, struct buf *out);

/* What env_line() has done so far, for the metrics. */
struct env_stats {
	uint64_t records;	  /* record lines written */
	uint64_t skipped;	  /* changes left out: skipped operation, table not included */
	uint64_t commit_lsn;  /* of the last transaction seen, 0 if none */
	int64_t commit_ts_us; /* its commit time, 0 if none */
};
void env_stats(const struct env *e, struct env_stats *st);

/* Parsers for option values; false with a message in err. */
bool conf_parse_skipped(const char *list, unsigned *mask, char *err, size_t errsize);
bool conf_parse_tables(const char *list, regex_t **re, int *n, char *err, size_t errsize);
/* True if s matches one of the n expressions of a list conf_parse_tables() made. */
bool conf_matches(const char *s, const regex_t *re, int n);
/* Frees what the parsers above allocated in c. */
void env_conf_free(struct env_conf *c);

/*
 * The settings of a connector file that need more than connector_bind():
 * the filter lists, the column mappers and transforms (--unwrap;
 * *unwrap_delete gets the delete mode).  False with a message.
 */
struct connector;
bool conf_from_connector(struct env_conf *c, const struct connector *conn, int *unwrap_delete,
						 char *err, size_t errsize);

#endif
