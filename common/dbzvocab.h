/*
 * dbzvocab.h - the vocabulary of Debezium's records, shared by the command
 * that writes them (cdc-envelope) and the one that reads them back
 * (pg-apply):
 *
 *   - the semantic type names of Kafka Connect and Debezium (the schema
 *     "name" of a field), each with its Connect type, how its values are
 *     written, and the PostgreSQL type that holds them;
 *   - the calendar arithmetic of day counts since 1970-01-01: the
 *     proleptic Gregorian calendar PostgreSQL uses, the Julian calendar,
 *     and the 1582 cutover of Java's calendar, through which Debezium
 *     reads some values;
 *   - pgjdbc's stand-ins for the infinite dates and timestamps;
 *   - the placeholder of an unchanged TOASTed value.
 *
 * Nothing here allocates, exits or logs.
 */
#ifndef WALPIPE_DBZVOCAB_H
#define WALPIPE_DBZVOCAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* How the values of a semantic type are written in JSON. */
enum dbz_value {
	DBZ_V_TEXT,			/* a string holding the value's text */
	DBZ_V_JSON,			/* a string holding JSON text */
	DBZ_V_DECIMAL,		/* base64 of the two's complement unscaled value */
	DBZ_V_VARSCALE,		/* {"scale":S,"value":base64 as DECIMAL} */
	DBZ_V_DAYS,			/* days since 1970-01-01 */
	DBZ_V_TIME_MS,		/* time of day: milliseconds since midnight */
	DBZ_V_TIME_US,		/* ... microseconds */
	DBZ_V_TIME_NS,		/* ... nanoseconds */
	DBZ_V_TS_MS,		/* a timestamp without zone: ms since the epoch */
	DBZ_V_TS_US,		/* ... microseconds */
	DBZ_V_TS_NS,		/* ... nanoseconds */
	DBZ_V_ZONED_TS,		/* ISO 8601 timestamp string in UTC */
	DBZ_V_ZONED_TIME,	/* ISO 8601 time string in UTC */
	DBZ_V_DURATION_US,	/* microseconds, 365.25/12 days a month */
	DBZ_V_INTERVAL_ISO, /* ISO 8601 duration string */
	DBZ_V_BITS,			/* base64 of little-endian bytes (Java BitSet) */
	DBZ_V_POINT,		/* {"x":..,"y":..,"wkb":..,"srid":..} */
	DBZ_V_GEOMETRY		/* {"wkb":..,"srid":..} */
};

/* The semantic types, indexes of dbz_types[]. */
enum dbz_type {
	DBZ_DECIMAL, /* org.apache.kafka.connect.data.Decimal */
	DBZ_VARIABLE_SCALE_DECIMAL,
	DBZ_DATE,
	DBZ_CONNECT_DATE,
	DBZ_TIME,
	DBZ_CONNECT_TIME,
	DBZ_MICRO_TIME,
	DBZ_NANO_TIME,
	DBZ_TIMESTAMP,
	DBZ_CONNECT_TIMESTAMP,
	DBZ_MICRO_TIMESTAMP,
	DBZ_NANO_TIMESTAMP,
	DBZ_ZONED_TIMESTAMP,
	DBZ_ZONED_TIME,
	DBZ_MICRO_DURATION,
	DBZ_INTERVAL,
	DBZ_JSON,
	DBZ_UUID,
	DBZ_XML,
	DBZ_ENUM,
	DBZ_ENUM_SET,
	DBZ_LTREE,
	DBZ_TSVECTOR,
	DBZ_BITS,
	DBZ_POINT,
	DBZ_GEOMETRY,
	DBZ_GEOGRAPHY,
	DBZ_NTYPES
};

struct dbz_semantic {
	const char *name;	 /* the schema's "name" */
	const char *connect; /* its Connect "type" */
	enum dbz_value value;
	const char *pgtype; /* a PostgreSQL type that holds every value */
};

/* Indexed by enum dbz_type. */
extern const struct dbz_semantic dbz_types[DBZ_NTYPES];

/* The semantic type named name (n bytes), or NULL if it is none. */
const struct dbz_semantic *dbz_lookup(const char *name, size_t n);

/* The name of semantic type t. */
#define DBZ_NAME(t) (dbz_types[t].name)

/*
 * Days since 1970-01-01 of a date of the proleptic Gregorian calendar
 * (PostgreSQL's), and back.  Years are astronomical: 1 BC is year 0.
 */
int64_t dbz_days_from_civil(int64_t y, int m, int d);
void dbz_civil_from_days(int64_t days, int64_t *y, int *m, int *d);

/* Days since 1970-01-01 of a date of the Julian calendar (astronomical years). */
int64_t dbz_days_from_julian(int64_t y, int m, int d);

/*
 * Java's calendar (java.util.GregorianCalendar, java.sql.Date and
 * Timestamp) is Julian up to 1582-10-04 and Gregorian from 1582-10-15:
 * DBZ_GREGORIAN_START is the day count of that first Gregorian day, and
 * the ten proleptic days before it are missing from Java's calendar.
 */
#define DBZ_GREGORIAN_START INT64_C(-141427)
bool dbz_in_cutover_gap(int64_t days);

/*
 * pgjdbc's stand-ins for infinity as Debezium writes them: date
 * +-infinity as day counts (LocalDate.MAX and MIN through java.sql.Date,
 * each infinity getting the other's sign), timestamp +-infinity as
 * microseconds (PGStatement.DATE_POSITIVE/NEGATIVE_INFINITY); a
 * millisecond timestamp holds the microseconds divided by 1000, floored.
 */
#define DBZ_DATE_POS_INFINITY INT64_C(-2147472692)
#define DBZ_DATE_NEG_INFINITY INT64_C(-2147472691)
#define DBZ_TS_POS_INFINITY_US INT64_C(9223372036825200000)
#define DBZ_TS_NEG_INFINITY_US INT64_C(-9223372036832400000)

/*
 * unavailable.value.placeholder: what Debezium writes for an unchanged
 * TOASTed value, as text, and as the base64 of its bytes for a bytes
 * column (an int or date array has the bytes as numbers).
 */
#define DBZ_UNAVAILABLE "__debezium_unavailable_value"
#define DBZ_UNAVAILABLE_BASE64 "X19kZWJleml1bV91bmF2YWlsYWJsZV92YWx1ZQ=="
/* ... and for an hstore column, whose values are JSON text (io.debezium.data.Json). */
#define DBZ_UNAVAILABLE_HSTORE "{\"" DBZ_UNAVAILABLE "\":\"" DBZ_UNAVAILABLE "\"}"

#endif
