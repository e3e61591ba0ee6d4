/*
 * convert.h - PostgreSQL text values to the JSON that Debezium's
 * PostgreSQL connector writes through Kafka Connect's JsonConverter: the
 * value kinds, put_text_value() that converts a value by its kind, and
 * the converters of bit strings, bytea, hstore and point.  Numbers are
 * convnum.h's, dates and times convtime.h's.
 *
 * Each function takes the PostgreSQL text output of one value (decoded,
 * not JSON-quoted) and appends the JSON of the converted value to out.
 * They return false, without appending anything meaningful, when the
 * text is not a valid value of the type.  Nothing here exits or logs.
 */
#ifndef CDC_ENVELOPE_CONVERT_H
#define CDC_ENVELOPE_CONVERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "envelope.h"

/* How a PostgreSQL text value becomes JSON (see put_text_value()). */
enum kind {
	K_BOOL,
	K_INT,
	K_FLOAT,
	K_STRING,
	K_BYTEA,
	K_DECIMAL,
	K_VARSCALE,
	K_NUM_DOUBLE,
	K_NUM_STRING,
	K_MONEY_STRING,
	K_DATE,
	K_TIME_MS,
	K_TIME_US,
	K_TIMETZ,
	K_TS_MS,
	K_TS_US,
	K_TSTZ,
	K_INTERVAL,
	K_BIT_BOOL,
	K_BITS,
	K_HSTORE,
	K_POINT,
	K_INTERVAL_ISO,
	K_BYTEA_MODE,
	K_HSTORE_MAP
};

/* A Connect schema of one scalar type. */
struct tdesc {
	enum kind kind;
	const char *type; /* Connect type: int32, string, struct ... */
	const char *name; /* semantic name or NULL */
	int version;	  /* 0 = none */
	const char *doc;
	const char *fields; /* struct fields JSON, static */
	char *params;		/* parameters JSON object, malloc'd or NULL */
	int scale;			/* Decimal scale; ZonedTimestamp digits */
};

/*
 * Appends the JSON of one value given as PostgreSQL text; false if the
 * text is not a value of the type.
 */
bool put_text_value(const struct env_conf *c, const struct tdesc *d, const char *s, size_t n,
					struct buf *out);

/*
 * True if s is a decimal integer that the Connect type of d (int8, int16,
 * int32 or int64) holds: a value past it is no value of the column.
 */
bool conv_int_fits(const struct tdesc *d, const char *s, size_t n);

/* bit string -> base64 of the little-endian minimal bytes (io.debezium.data.Bits). */
bool conv_bits(const char *s, size_t n, struct buf *out);
/* bytea hex text "\x0102" -> quoted base64. */
bool conv_bytea(const char *s, size_t n, struct buf *out);
/* bytea hex text "\x0aff" -> binary.handling.mode hex ("0aff") or base64-url-safe. */
bool conv_bytea_mode(enum bin_mode mode, const char *s, size_t n, struct buf *out);
/* hstore text -> quoted JSON object text, in Java HashMap iteration order. */
bool conv_hstore(const char *s, size_t n, struct buf *out);
/* hstore -> a JSON object (hstore.handling.mode map), in HashMap order. */
bool conv_hstore_map(const char *s, size_t n, struct buf *out);
/*
 * Java's String.hashCode() of UTF-8 text (over its UTF-16 code units),
 * the table size of a java.util.HashMap holding n entries, and the bucket
 * of a key: a HashMap iterates bucket by bucket, in insertion order
 * within one, which is the order Jackson writes a map's entries in.
 */
int32_t conv_java_hash(const char *s, size_t n);
size_t conv_hashmap_capacity(size_t n);
uint32_t conv_hashmap_bucket(const char *s, size_t n, size_t capacity);
/* point "(x,y)" -> {"x":..,"y":..,"wkb":"..","srid":null}. */
bool conv_point(const char *s, size_t n, struct buf *out);

/*
 * Splits a one-dimensional array literal "{a,"b c",NULL}" into elements.
 * Calls fn for each with the decoded text (NULL for an SQL NULL).
 * Returns false on a malformed literal or when fn returns false.
 */
typedef bool (*conv_elem_fn)(void *arg, const char *s, size_t n);
bool conv_array_split(const char *s, size_t n, conv_elem_fn fn, void *arg);

#endif
