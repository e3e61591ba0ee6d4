/*
 * typemap.c - Debezium 2.7's mapping of PostgreSQL types to Connect
 * schemas (PostgresValueConverter.schemaBuilder()), by type name, typmod
 * and the connector's value modes.
 */
#include "typemap.h"

#include <string.h>

#include "dbzvocab.h"

static const char varscale_fields[] =
	"[{\"type\":\"int32\",\"optional\":false,\"field\":\"scale\"},"
	"{\"type\":\"bytes\",\"optional\":false,\"field\":\"value\"}]";

static const char point_fields[] = "[{\"type\":\"double\",\"optional\":false,\"field\":\"x\"},"
								   "{\"type\":\"double\",\"optional\":false,\"field\":\"y\"},"
								   "{\"type\":\"bytes\",\"optional\":true,\"field\":\"wkb\"},"
								   "{\"type\":\"int32\",\"optional\":true,\"field\":\"srid\"}]";

/* A type without a semantic name: its Connect type alone. */
static void
plain(struct tdesc *d, enum kind k, const char *type)
{
	d->kind = k;
	d->type = type;
	d->name = NULL;
	d->version = 0;
}

/* A semantic type: its name and Connect type from the vocabulary, version 1. */
static void
named(struct tdesc *d, enum kind k, enum dbz_type sem)
{
	d->kind = k;
	d->type = dbz_types[sem].connect;
	d->name = dbz_types[sem].name;
	d->version = 1;
}

static bool
in_list(const char *typ, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(typ, *list) == 0)
			return true;
	return false;
}

int
time_precision(int typmod)
{
	return typmod < 0 || typmod > 6 ? 6 : typmod;
}

bool
map_scalar(const char *typ, int typmod, const char *enum_allowed, const struct env_conf *c,
		   struct tdesc *d)
{
	static const char *const plain_strings[] = {
		"varchar",	"text",	   "bpchar",	"name",		 "char",	  "citext",
		"inet",		"cidr",	   "macaddr",	"macaddr8",	 "int4range", "int8range",
		"numrange", "tsrange", "tstzrange", "daterange", NULL};
	struct buf p = BUF_INIT;

	memset(d, 0, sizeof *d);
	if (enum_allowed != NULL) {
		named(d, K_STRING, DBZ_ENUM);
		buf_puts(&p, "{\"allowed\":");
		json_put_cstr(&p, enum_allowed);
		buf_putc(&p, '}');
	} else if (strcmp(typ, "bool") == 0)
		plain(d, K_BOOL, "boolean");
	else if (strcmp(typ, "int2") == 0)
		plain(d, K_INT, "int16");
	else if (strcmp(typ, "int4") == 0)
		plain(d, K_INT, "int32");
	else if (strcmp(typ, "int8") == 0 || strcmp(typ, "oid") == 0)
		plain(d, K_INT, "int64");
	else if (strcmp(typ, "float4") == 0)
		plain(d, K_FLOAT, "float");
	else if (strcmp(typ, "float8") == 0)
		plain(d, K_FLOAT, "double");
	else if (strcmp(typ, "numeric") == 0 || strcmp(typ, "money") == 0) {
		bool money = typ[0] == 'm';

		if (c->decimal == DEC_DOUBLE)
			plain(d, K_NUM_DOUBLE, "double");
		else if (c->decimal == DEC_STRING)
			plain(d, money ? K_MONEY_STRING : K_NUM_STRING, "string");
		else if (money) {
			named(d, K_DECIMAL, DBZ_DECIMAL);
			d->scale = c->money_digits;
			buf_printf(&p, "{\"scale\":\"%d\"}", d->scale);
		} else if (typmod < 4) {
			named(d, K_VARSCALE, DBZ_VARIABLE_SCALE_DECIMAL);
			d->doc = "Variable scaled decimal";
			d->fields = varscale_fields;
		} else {
			int prec = ((typmod - 4) >> 16) & 0xffff;

			d->scale = (typmod - 4) & 0xffff;
			named(d, K_DECIMAL, DBZ_DECIMAL);
			buf_printf(&p, "{\"scale\":\"%d\",\"connect.decimal.precision\":\"%d\"}", d->scale,
					   prec);
		}
	} else if (in_list(typ, plain_strings))
		plain(d, K_STRING, "string");
	else if (strcmp(typ, "bytea") == 0 && c->binary != BIN_BYTES)
		plain(d, K_BYTEA_MODE, "string");
	else if (strcmp(typ, "bytea") == 0)
		plain(d, K_BYTEA, "bytes");
	else if (strcmp(typ, "date") == 0)
		named(d, K_DATE, c->time == TIME_CONNECT ? DBZ_CONNECT_DATE : DBZ_DATE);
	else if (strcmp(typ, "time") == 0) {
		if (c->time == TIME_CONNECT)
			named(d, K_TIME_MS, DBZ_CONNECT_TIME);
		else if (time_precision(typmod) <= 3)
			named(d, K_TIME_MS, DBZ_TIME);
		else
			named(d, K_TIME_US, DBZ_MICRO_TIME);
	} else if (strcmp(typ, "timetz") == 0)
		named(d, K_TIMETZ, DBZ_ZONED_TIME);
	else if (strcmp(typ, "timestamp") == 0) {
		if (c->time == TIME_CONNECT)
			named(d, K_TS_MS, DBZ_CONNECT_TIMESTAMP);
		else if (time_precision(typmod) <= 3)
			named(d, K_TS_MS, DBZ_TIMESTAMP);
		else
			named(d, K_TS_US, DBZ_MICRO_TIMESTAMP);
	} else if (strcmp(typ, "timestamptz") == 0) {
		named(d, K_TSTZ, DBZ_ZONED_TIMESTAMP);
		d->scale = time_precision(typmod);
	} else if (strcmp(typ, "interval") == 0 && c->interval_string)
		named(d, K_INTERVAL_ISO, DBZ_INTERVAL);
	else if (strcmp(typ, "interval") == 0)
		named(d, K_INTERVAL, DBZ_MICRO_DURATION);
	else if (strcmp(typ, "uuid") == 0)
		named(d, K_STRING, DBZ_UUID);
	else if (strcmp(typ, "json") == 0 || strcmp(typ, "jsonb") == 0)
		named(d, K_STRING, DBZ_JSON);
	else if (strcmp(typ, "xml") == 0)
		named(d, K_STRING, DBZ_XML);
	else if (strcmp(typ, "ltree") == 0)
		named(d, K_STRING, DBZ_LTREE);
	else if (strcmp(typ, "hstore") == 0 && c->hstore_map)
		plain(d, K_HSTORE_MAP, "map");
	else if (strcmp(typ, "hstore") == 0)
		named(d, K_HSTORE, DBZ_JSON);
	else if (strcmp(typ, "bit") == 0 || strcmp(typ, "varbit") == 0) {
		int len = typmod;

		if (len < 0)
			len = typ[0] == 'b' ? 1 : 2147483647;
		if (len <= 1)
			plain(d, K_BIT_BOOL, "boolean");
		else {
			named(d, K_BITS, DBZ_BITS);
			buf_printf(&p, "{\"length\":\"%d\"}", len);
		}
	} else if (strcmp(typ, "point") == 0) {
		named(d, K_POINT, DBZ_POINT);
		d->doc = "Geometry (POINT)";
		d->fields = point_fields;
	} else
		return false;
	if (p.len > 0)
		d->params = xstrndup(p.data, p.len);
	buf_free(&p);
	return true;
}

/* Array element types Debezium 2.7 has no schema for. */
static const char *const no_array[] = {"money", "name", "interval", "varbit", "xml", "point", NULL};

bool
map_no_array(const char *elem)
{
	return in_list(elem, no_array);
}
