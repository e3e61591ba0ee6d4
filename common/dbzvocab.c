/*
 * dbzvocab.c - the semantic types of Debezium's records and the calendar
 * arithmetic of their day counts.  See dbzvocab.h.
 */
#include "dbzvocab.h"

#include <string.h>

const struct dbz_semantic dbz_types[DBZ_NTYPES] = {
	[DBZ_DECIMAL] = {"org.apache.kafka.connect.data.Decimal", "bytes", DBZ_V_DECIMAL, "numeric"},
	[DBZ_VARIABLE_SCALE_DECIMAL] = {"io.debezium.data.VariableScaleDecimal", "struct",
									DBZ_V_VARSCALE, "numeric"},
	[DBZ_DATE] = {"io.debezium.time.Date", "int32", DBZ_V_DAYS, "date"},
	[DBZ_CONNECT_DATE] = {"org.apache.kafka.connect.data.Date", "int32", DBZ_V_DAYS, "date"},
	[DBZ_TIME] = {"io.debezium.time.Time", "int32", DBZ_V_TIME_MS, "time"},
	[DBZ_CONNECT_TIME] = {"org.apache.kafka.connect.data.Time", "int32", DBZ_V_TIME_MS, "time"},
	[DBZ_MICRO_TIME] = {"io.debezium.time.MicroTime", "int64", DBZ_V_TIME_US, "time"},
	[DBZ_NANO_TIME] = {"io.debezium.time.NanoTime", "int64", DBZ_V_TIME_NS, "time"},
	[DBZ_TIMESTAMP] = {"io.debezium.time.Timestamp", "int64", DBZ_V_TS_MS, "timestamp(6)"},
	[DBZ_CONNECT_TIMESTAMP] = {"org.apache.kafka.connect.data.Timestamp", "int64", DBZ_V_TS_MS,
							   "timestamp(6)"},
	[DBZ_MICRO_TIMESTAMP] = {"io.debezium.time.MicroTimestamp", "int64", DBZ_V_TS_US,
							 "timestamp(6)"},
	[DBZ_NANO_TIMESTAMP] = {"io.debezium.time.NanoTimestamp", "int64", DBZ_V_TS_NS, "timestamp(6)"},
	[DBZ_ZONED_TIMESTAMP] = {"io.debezium.time.ZonedTimestamp", "string", DBZ_V_ZONED_TS,
							 "timestamptz"},
	[DBZ_ZONED_TIME] = {"io.debezium.time.ZonedTime", "string", DBZ_V_ZONED_TIME, "timetz"},
	[DBZ_MICRO_DURATION] = {"io.debezium.time.MicroDuration", "int64", DBZ_V_DURATION_US,
							"interval"},
	[DBZ_INTERVAL] = {"io.debezium.time.Interval", "string", DBZ_V_INTERVAL_ISO, "interval"},
	[DBZ_JSON] = {"io.debezium.data.Json", "string", DBZ_V_JSON, "json"},
	[DBZ_UUID] = {"io.debezium.data.Uuid", "string", DBZ_V_TEXT, "uuid"},
	[DBZ_XML] = {"io.debezium.data.Xml", "string", DBZ_V_TEXT, "xml"},
	/* Types of extensions and enums become text: they may not exist downstream. */
	[DBZ_ENUM] = {"io.debezium.data.Enum", "string", DBZ_V_TEXT, "text"},
	[DBZ_ENUM_SET] = {"io.debezium.data.EnumSet", "string", DBZ_V_TEXT, "text"},
	[DBZ_LTREE] = {"io.debezium.data.Ltree", "string", DBZ_V_TEXT, "text"},
	[DBZ_TSVECTOR] = {"io.debezium.data.Tsvector", "string", DBZ_V_TEXT, "text"},
	[DBZ_BITS] = {"io.debezium.data.Bits", "bytes", DBZ_V_BITS, "bit varying"},
	[DBZ_POINT] = {"io.debezium.data.geometry.Point", "struct", DBZ_V_POINT, "point"},
	[DBZ_GEOMETRY] = {"io.debezium.data.geometry.Geometry", "struct", DBZ_V_GEOMETRY, "bytea"},
	[DBZ_GEOGRAPHY] = {"io.debezium.data.geometry.Geography", "struct", DBZ_V_GEOMETRY, "bytea"},
};

const struct dbz_semantic *
dbz_lookup(const char *name, size_t n)
{
	for (int i = 0; i < DBZ_NTYPES; i++)
		if (strncmp(dbz_types[i].name, name, n) == 0 && dbz_types[i].name[n] == '\0')
			return &dbz_types[i];
	return NULL;
}

/* Floor division, for the negative day counts before 1970. */
static int64_t
floordiv(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* H. Hinnant's days_from_civil(): eras of 400 years, March-based years. */
int64_t
dbz_days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = floordiv(y, 400);
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void
dbz_civil_from_days(int64_t days, int64_t *y, int *m, int *d)
{
	int64_t z = days + 719468, era = floordiv(z, 146097), doe = z - era * 146097,
			yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365,
			doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;

	*d = (int) (doy - (153 * mp + 2) / 5 + 1);
	*m = (int) (mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

int64_t
dbz_days_from_julian(int64_t y, int m, int d)
{
	int64_t a = (14 - m) / 12, yy = y + 4800 - a, mm = m + 12 * a - 3;

	/* The Julian day number, less that of 1970-01-01 (2440588). */
	return d + (153 * mm + 2) / 5 + 365 * yy + floordiv(yy, 4) - 32083 - INT64_C(2440588);
}

bool
dbz_in_cutover_gap(int64_t days)
{
	return days >= DBZ_GREGORIAN_START - 10 && days < DBZ_GREGORIAN_START;
}
