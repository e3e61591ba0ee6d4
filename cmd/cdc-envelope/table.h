/*
 * table.h - internals shared by envelope.c and schema.c: the cached
 * description of one table and the value kinds of the type mapping.
 */
#ifndef CDC_ENVELOPE_TABLE_H
#define CDC_ENVELOPE_TABLE_H

#include "envelope.h"
#include "json.h"

/* How a PostgreSQL text value becomes JSON (see put_text_value()). */
enum kind {
	K_BOOL, K_INT, K_FLOAT, K_STRING, K_BYTEA, K_DECIMAL, K_VARSCALE,
	K_NUM_DOUBLE, K_NUM_STRING, K_MONEY_STRING, K_DATE, K_TIME_MS,
	K_TIME_US, K_TIMETZ, K_TS_MS, K_TS_US, K_TSTZ, K_INTERVAL, K_BIT_BOOL,
	K_BITS, K_HSTORE, K_POINT, K_INTERVAL_ISO, K_BYTEA_MODE, K_HSTORE_MAP
};

/* A Connect schema of one scalar type. */
struct tdesc {
	enum kind	kind;
	const char *type;			/* Connect type: int32, string, struct ... */
	const char *name;			/* semantic name or NULL */
	int			version;		/* 0 = none */
	const char *doc;
	const char *fields;			/* struct fields JSON, static */
	char	   *params;			/* parameters JSON object, malloc'd or NULL */
	int			scale;			/* Decimal scale; ZonedTimestamp digits */
};

struct table;

struct col {
	const struct table *owner;	/* the table the column belongs to */
	struct json_slice qname;	/* the name as JSON, inside table.cols_raw */
	char	   *name;
	char	   *jkey;			/* "name": as the output writes it */
	size_t		jkey_n;
	char	   *typname;
	char	   *comment;
	char	   *enum_allowed;
	char	   *default_expr_tmp;	/* only while building */
	char	   *default_json;	/* the schema default as JSON, or NULL */
	int			typmod;
	int			key_ord;
	bool		optional;
	bool		has_enum;
	bool		has_domain;		/* Debezium knows no default for domains */
	bool		is_array;
	bool		omit;			/* no Debezium schema: left out */
	bool		no_value;		/* Debezium writes no value: always null */
	bool		filtered;		/* left out by column.include/exclude.list */
	const struct colmap *map;	/* mask, hash or truncation, or NULL */
	bool		mapped_schema;	/* a mask or truncation marked t.params */
	char	   *key_params;		/* then: t.params as the key has them */
	size_t		map_len;		/* a hash's length: that of varchar(n) */
	bool		warned;			/* an unsupported value was reported */
	/* Debezium has a schema but converts no value (written null): why. */
	const char *unconvertible;
	struct tdesc t;
	struct tdesc elem;			/* arrays: the element */
};

struct table {
	struct table *next;			/* hash chain */
	char	   *schema_raw;		/* "schema" and "table" slices as JSON */
	size_t		schema_n;
	char	   *table_raw;
	size_t		table_n;
	char	   *schema;			/* decoded */
	char	   *name;
	char	   *fqname;			/* schema.table */
	bool		included;		/* passes table.include/exclude.list */
	char	   *cols_raw;		/* raw bytes of "columns" the cache was built from */
	size_t		cols_n;
	struct col *cols;
	int			ncols;
	int		   *key;			/* indexes of the key columns, in key order */
	int			nkey;
	char	   *name_key_json;	/* "prefix.schema.table.Key" as JSON */
	char	   *name_value_json;
	char	   *name_envelope_json;
	struct buf	topic;			/* the topic as JSON */
	struct buf	coll;			/* "schema.table" as JSON */
	struct buf	src_tail;		/* ,"schema":"..","table":".." */
	struct buf	key_schema;		/* empty: the table has no key */
	struct buf	value_schema;	/* the Envelope */
	struct buf	row_schema;		/* the Value struct, optional (before/after) */
	struct buf	flat_schema;	/* the Value struct of an --unwrap row */
	struct buf	rewrite_schema; /* the Value struct plus __deleted */
};

extern const char source_schema[];

/* (Re)builds the cache of t from a "columns" array; false on bad input. */
bool		table_build(struct table *t, struct json_slice columns,
						const struct env_conf *c, char *err, size_t errsize);
void		table_clear(struct table *t);

/*
 * Appends the JSON of one value given as PostgreSQL text; false if the
 * text is not a value of the type.
 */
bool		put_text_value(const struct env_conf *c, const struct tdesc *d,
						   const char *s, size_t n, struct buf *out);

/* mapping.c */
void		colmap_bind(const struct env_conf *c, const struct table *t, struct col *col);
/* The mapped value of s (NULL: SQL null), as JSON. */
void		colmap_value(const struct colmap *m, size_t maxlen, const char *s, size_t n,
						 struct buf *out);
bool		conv_bytea_mode(enum bin_mode mode, const char *s, size_t n, struct buf *out);
bool		conv_interval_iso(const char *s, size_t n, struct buf *out);
bool		conv_hstore_map(const char *s, size_t n, struct buf *out);

#endif
