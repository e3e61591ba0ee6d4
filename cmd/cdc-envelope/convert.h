/*
 * convert.h - PostgreSQL text values to the JSON that Debezium's
 * PostgreSQL connector writes through Kafka Connect's JsonConverter.
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

/*
 * Java's Double.toString() (Float.toString() when single) form of a
 * decimal number text.
 */
bool		conv_java_float(const char *s, size_t n, bool single, struct buf *out);
/*
 * The digits JDK 17's Double.toString() (Float.toString() when single)
 * writes for v, nonzero and finite: *nd digits (at most 32) and point,
 * the value being 0.DIGITS x 10^point.  False for 0, NaN and infinities.
 */
bool		conv_java_digits(double v, bool single, char *digits, size_t *nd, int *point);
/* Java's Double.toString() of a double. */
void		conv_java_double(double d, struct buf *out);

/*
 * numeric text -> base64 of the two's complement big-endian unscaled value
 * at the given scale (Kafka Connect Decimal); money text ("$1,234.50",
 * "-$3.00") is accepted too.  A value that needs more fraction digits than
 * scale is rounded half up, as BigDecimal.setScale(HALF_UP) does.
 */
bool		conv_decimal(const char *s, size_t n, int scale, struct buf *out);
/* numeric text -> {"scale":S,"value":"base64"} (VariableScaleDecimal). */
bool		conv_varscale(const char *s, size_t n, struct buf *out);
/* numeric or money text -> Java double text. */
bool		conv_numeric_double(const char *s, size_t n, struct buf *out);
/* money text -> plain decimal text, "$1,234.50" -> 1234.50 (no quotes). */
bool		conv_money_plain(const char *s, size_t n, struct buf *out);
/* True for "NaN", "Infinity", "-Infinity". */
bool		conv_is_special_number(const char *s, size_t n);

/* date -> days since 1970-01-01. */
bool		conv_date(const char *s, size_t n, int64_t *days);
/* time -> microseconds since midnight (24:00:00 allowed). */
bool		conv_time(const char *s, size_t n, int64_t *us);
/* timetz -> ISO_OFFSET_TIME in UTC, quoted: "11:51:30.123789Z". */
bool		conv_timetz(const char *s, size_t n, struct buf *out);
/*
 * timestamp (no zone, taken as UTC) -> microseconds since the epoch;
 * false past the range of int64.
 */
bool		conv_timestamp(const char *s, size_t n, int64_t *us);
/*
 * The same as Debezium computes it past that range: the seconds times a
 * million saturated, plus the microseconds with wrap-around.
 */
bool		conv_timestamp_java(const char *s, size_t n, int64_t *us);
/*
 * timestamptz -> quoted ISO 8601 string in UTC with a fraction of exactly
 * precision digits (none for 0): "2016-11-04T11:51:30.123456Z".
 */
bool		conv_timestamptz(const char *s, size_t n, int precision, struct buf *out);
/* The same for an element of a timestamptz array, as Debezium writes it. */
bool		conv_timestamptz_array_elem(const char *s, size_t n, int precision, struct buf *out);
/*
 * Elements of date and timestamp arrays, as Debezium reads them through
 * java.sql.Date (the fields without the era: 99 BC is 0099) and
 * java.sql.Timestamp (the fields read in the Julian calendar before
 * 1582-10-15); both move the days October 1582 skips ten days on.
 */
bool		conv_date_array_elem(const char *s, size_t n, int64_t *days);
bool		conv_timestamp_array_elem(const char *s, size_t n, int64_t *us);
/*
 * interval (postgres style) -> microseconds, MicroDuration's arithmetic,
 * saturated at the int64 range as Java's (long) cast does.
 */
bool		conv_interval(const char *s, size_t n, int64_t *us);
/* interval (postgres style) -> its components, as PGInterval holds them. */
struct pg_interval {
	int64_t		years,
				months,
				days,
				hours,
				minutes;
	double		seconds;
};
bool		conv_interval_parts(const char *s, size_t n, struct pg_interval *iv);
/* bit string -> base64 of the little-endian minimal bytes (io.debezium.data.Bits). */
bool		conv_bits(const char *s, size_t n, struct buf *out);
/* bytea hex text "\x0102" -> quoted base64. */
bool		conv_bytea(const char *s, size_t n, struct buf *out);
/* hstore text -> quoted JSON object text, in Java HashMap iteration order. */
bool		conv_hstore(const char *s, size_t n, struct buf *out);
/*
 * Java's String.hashCode() of UTF-8 text (over its UTF-16 code units),
 * the table size of a java.util.HashMap holding n entries, and the bucket
 * of a key: a HashMap iterates bucket by bucket, in insertion order
 * within one, which is the order Jackson writes a map's entries in.
 */
int32_t		conv_java_hash(const char *s, size_t n);
size_t		conv_hashmap_capacity(size_t n);
uint32_t	conv_hashmap_bucket(const char *s, size_t n, size_t capacity);
/* point "(x,y)" -> {"x":..,"y":..,"wkb":"..","srid":null}. */
bool		conv_point(const char *s, size_t n, struct buf *out);

/*
 * Splits a one-dimensional array literal "{a,"b c",NULL}" into elements.
 * Calls fn for each with the decoded text (NULL for an SQL NULL).
 * Returns false on a malformed literal or when fn returns false.
 */
typedef bool (*conv_elem_fn) (void *arg, const char *s, size_t n);
bool		conv_array_split(const char *s, size_t n, conv_elem_fn fn, void *arg);

#endif
