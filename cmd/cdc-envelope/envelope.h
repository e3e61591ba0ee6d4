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

enum dec_mode { DEC_PRECISE, DEC_DOUBLE, DEC_STRING };
enum time_mode { TIME_ADAPTIVE, TIME_CONNECT };
enum unwrap_delete { UNWRAP_DROP, UNWRAP_TOMBSTONE, UNWRAP_REWRITE };

/* Bits of env_conf.skipped, one per op letter. */
#define OPBIT_C		0x01
#define OPBIT_U		0x02
#define OPBIT_D		0x04
#define OPBIT_R		0x08
#define OPBIT_T		0x10
#define OPBIT_M		0x20

/* message.key.columns: one table ("schema.table") and its key columns. */
struct keycols {
	char	   *table;
	char	  **cols;
	int			ncols;
};

/* What the envelope looks like; filled by main() from flags and -c. */
struct env_conf {
	const char *prefix;			/* topic.prefix */
	const char *topic_template;	/* ${prefix} ${schema} ${table}; NULL = default */
	const char *source_version;
	const char *dbname;			/* source.db; NULL = the change line's db */
	unsigned	skipped;		/* OPBIT_* of skipped operations */
	bool		tombstones;
	bool		key_schemas;	/* key.converter.schemas.enable */
	bool		value_schemas;	/* value.converter.schemas.enable */
	bool		tx_metadata;
	bool		unwrap;
	bool		schema_comments;	/* include.schema.comments */
	bool		unsupported_fail;	/* --on-unsupported-value=fail */
	enum unwrap_delete unwrap_delete;
	enum dec_mode decimal;
	enum time_mode time;
	struct keycols *keycols;
	int			nkeycols;
	regex_t    *include;		/* table.include.list, anchored */
	int			ninclude;
	regex_t    *exclude;		/* table.exclude.list, anchored */
	int			nexclude;
};

struct env;

/* conf must outlive the returned state; allocation failure exits. */
struct env *env_new(const struct env_conf *conf);
void		env_free(struct env *e);

/*
 * Converts one change line (NUL-terminated at line[n]) into record lines,
 * each ending in '\n', appended to out.  On a malformed line returns
 * false with a message in err (without the line number) and appends
 * nothing.
 */
bool		env_line(struct env *e, const char *line, size_t n, struct buf *out,
					 char *err, size_t errsize);

/* End of input: appends what is still pending (a transaction's END). */
void		env_end(struct env *e, struct buf *out);

/* Parsers for option values; false with a message in err. */
bool		conf_parse_skipped(const char *list, unsigned *mask, char *err, size_t errsize);
bool		conf_parse_keycols(struct env_conf *c, const char *spec, char *err, size_t errsize);
bool		conf_parse_tables(const char *list, regex_t **re, int *n, char *err, size_t errsize);
/* Frees what the parsers above allocated in c. */
void		env_conf_free(struct env_conf *c);

/* Settings of a Debezium connector JSON that cdc-envelope honours. */
struct connector_conf {
	char	   *topic_prefix;
	char	   *dbname;
	char	   *include_list;
	char	   *exclude_list;
	char	   *key_columns;
	char	   *skipped_operations;
	char	   *tombstones_on_delete;
	char	   *decimal_handling_mode;
	char	   *time_precision_mode;
	char	   *provide_transaction_metadata;
	char	   *key_schemas_enable;
	char	   *value_schemas_enable;
	char	   *schema_comments;
};

/*
 * Reads {"name":..,"config":{...}} or the bare config object.  Fills only
 * the settings present (malloc'd strings).
 */
bool		connector_conf_read(const char *path, struct connector_conf *cc,
								char *err, size_t errsize);
void		connector_conf_free(struct connector_conf *cc);

#endif
