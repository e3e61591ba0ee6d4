/*
 * convtime.h - PostgreSQL date, time, timestamp and interval text to the
 * numbers and strings Debezium writes (io.debezium.time.*), including the
 * java.sql readings of array elements.  False when the text is no value
 * of the type.  Nothing exits or logs.
 */
#ifndef CDC_ENVELOPE_CONVTIME_H
#define CDC_ENVELOPE_CONVTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* date -> days since 1970-01-01. */
bool conv_date(const char *s, size_t n, int64_t *days);
/* time -> microseconds since midnight (24:00:00 allowed). */
bool conv_time(const char *s, size_t n, int64_t *us);
/* timetz -> ISO_OFFSET_TIME in UTC, quoted: "11:51:30.123789Z". */
bool conv_timetz(const char *s, size_t n, struct buf *out);
/*
 * timestamp (no zone, taken as UTC) -> microseconds since the epoch;
 * false past the range of int64.
 */
bool conv_timestamp(const char *s, size_t n, int64_t *us);
/*
 * The same as Debezium computes it past that range: the seconds times a
 * million saturated, plus the microseconds with wrap-around.
 */
bool conv_timestamp_java(const char *s, size_t n, int64_t *us);
/*
 * timestamptz -> quoted ISO 8601 string in UTC with a fraction of exactly
 * precision digits (none for 0): "2016-11-04T11:51:30.123456Z".
 */
bool conv_timestamptz(const char *s, size_t n, int precision, struct buf *out);
/* The same for an element of a timestamptz array, as Debezium writes it. */
bool conv_timestamptz_array_elem(const char *s, size_t n, int precision, struct buf *out);
/*
 * Elements of date and timestamp arrays, as Debezium reads them through
 * java.sql.Date (the fields without the era: 99 BC is 0099) and
 * java.sql.Timestamp (the fields read in the Julian calendar before
 * 1582-10-15); both move the days October 1582 skips ten days on.
 */
bool conv_date_array_elem(const char *s, size_t n, int64_t *days);
bool conv_timestamp_array_elem(const char *s, size_t n, int64_t *us);
/*
 * interval (postgres style) -> microseconds, MicroDuration's arithmetic,
 * saturated at the int64 range as Java's (long) cast does.
 */
bool conv_interval(const char *s, size_t n, int64_t *us);
/* interval (postgres style) -> its components, as PGInterval holds them. */
struct pg_interval {
	int64_t years, months, days, hours, minutes;
	double seconds;
};
bool conv_interval_parts(const char *s, size_t n, struct pg_interval *iv);
/* interval -> Interval.toIsoString(), quoted: "P1Y2M3DT4H5M6.789S" (interval.handling.mode string). */
bool conv_interval_iso(const char *s, size_t n, struct buf *out);

#endif
