/*
 * table.h - the table cache: the description of one table (its columns,
 * their Connect schemas, the schema JSON of its records) built from a
 * change line's "columns", found by schema and table name.
 */
#ifndef CDC_ENVELOPE_TABLE_H
#define CDC_ENVELOPE_TABLE_H

#include <regex.h>

#include "convert.h"
#include "envelope.h"
#include "json.h"

struct table;

struct col {
	const struct table *owner; /* the table the column belongs to */
	struct json_slice qname;   /* the name as JSON, inside table.cols_raw */
	char *name;
	char *jkey; /* "name": as the output writes it */
	size_t jkey_n;
	char *typname;
	char *comment;
	char *enum_allowed;
	char *default_expr_tmp; /* only while building */
	char *default_json;		/* the schema default as JSON, or NULL */
	int typmod;
	int key_ord;
	bool optional;
	bool has_enum;
	bool has_domain; /* Debezium knows no default for domains */
	bool is_array;
	bool omit;				  /* no Debezium schema: left out */
	bool no_value;			  /* Debezium writes no value: always null */
	bool filtered;			  /* left out by column.include/exclude.list */
	const struct colmap *map; /* mask, hash or truncation, or NULL */
	bool mapped_schema;		  /* a mask or truncation marked t.params */
	char *key_params;		  /* then: t.params as the key has them */
	size_t map_len;			  /* a hash's length: that of varchar(n) */
	bool warned;			  /* an unsupported value was reported */
	/* Debezium has a schema but converts no value (written null): why. */
	const char *unconvertible;
	struct tdesc t;
	struct tdesc elem; /* arrays: the element */
};

struct table {
	struct table *next; /* hash chain */
	char *schema_raw;	/* "schema" and "table" slices as JSON */
	size_t schema_n;
	char *table_raw;
	size_t table_n;
	char *schema; /* decoded */
	char *name;
	char *fqname;	/* schema.table */
	bool included;	/* passes table.include/exclude.list */
	char *cols_raw; /* raw bytes of "columns" the cache was built from */
	size_t cols_n;
	struct col *cols;
	int ncols;
	int *key; /* indexes of the key columns, in key order */
	int nkey;
	char *name_key_json; /* "prefix.schema.table.Key" as JSON */
	char *name_value_json;
	char *name_envelope_json;
	struct buf topic;		   /* the topic as JSON */
	struct buf coll;		   /* "schema.table" as JSON */
	struct buf src_tail;	   /* ,"schema":"..","table":".." */
	struct buf key_schema;	   /* empty: the table has no key */
	struct buf value_schema;   /* the Envelope */
	struct buf row_schema;	   /* the Value struct, optional (before/after) */
	struct buf flat_schema;	   /* the Value struct of an --unwrap row */
	struct buf rewrite_schema; /* the Value struct plus __deleted */
};

#define TABLE_NBUCKETS 256

/* The tables seen so far, by schema and table name. */
struct table_cache {
	struct table *buckets[TABLE_NBUCKETS];
	struct table *last; /* the last one found */
};

/* Finds or creates the entry of a table (string slices with quotes). */
struct table *table_get(struct table_cache *tc, const struct env_conf *c, struct json_slice schema,
						struct json_slice table);
void table_cache_free(struct table_cache *tc);

/* (Re)builds the cache of t from a "columns" array; false on bad input. */
bool table_build(struct table *t, struct json_slice columns, const struct env_conf *c, char *err,
				 size_t errsize);
void table_clear(struct table *t);

/* mapping.c */
void colmap_bind(const struct env_conf *c, const struct table *t, struct col *col);
/* The mapped value of s (NULL: SQL null), as JSON. */
void colmap_value(const struct colmap *m, size_t maxlen, const char *s, size_t n, struct buf *out);

#endif
