/*
 * typemap.c - Debezium 2.7's mapping of PostgreSQL types to Connect
 * schemas (PostgresValueConverter.schemaBuilder()), by type name, typmod
 * and the connector's value modes.
 */
#include "typemap.h"

#include <string.h>

static const char varscale_fields[] =
"[{\"type\":\"int32\",\"optional\":false,\"field\":\"scale\"},"
"{\"type\":\"bytes\",\"optional\":false,\"field\":\"value\"}]";

static const char point_fields[] =
"[{\"type\":\"double\",\"optional\":false,\"field\":\"x\"},"
"{\"type\":\"double\",\"optional\":false,\"field\":\"y\"},"
"{\"type\":\"bytes\",\"optional\":true,\"field\":\"wkb\"},"
"{\"type\":\"int32\",\"optional\":true,\"field\":\"srid\"}]";

static void
set(struct tdesc *d, enum kind k, const char *type, const char *name)
{
	d->kind = k;
	d->type = type;
	d->name = name;
	d->version = name != NULL ? 1 : 0;
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
map_scalar(const char *typ, int typmod, const char *enum_allowed,
		   const struct env_conf *c, struct tdesc *d)
{
	static const char *const plain_strings[] = {
		"varchar", "text", "bpchar", "name", "char", "citext", "inet", "cidr",
		"macaddr", "macaddr8", "int4range", "int8range", "numrange", "tsrange",
		"tstzrange", "daterange", NULL
	};
	struct buf	p = BUF_INIT;

	memset(d, 0, sizeof *d);
	if (enum_allowed != NULL) {
		set(d, K_STRING, "string", "io.debezium.data.Enum");
		buf_puts(&p, "{\"allowed\":");
		json_put_cstr(&p, enum_allowed);
		buf_putc(&p, '}');
	} else if (strcmp(typ, "bool") == 0)
		set(d, K_BOOL, "boolean", NULL);
	else if (strcmp(typ, "int2") == 0)
		set(d, K_INT, "int16", NULL);
	else if (strcmp(typ, "int4") == 0)
		set(d, K_INT, "int32", NULL);
	else if (strcmp(typ, "int8") == 0 || strcmp(typ, "oid") == 0)
		set(d, K_INT, "int64", NULL);
	else if (strcmp(typ, "float4") == 0)
		set(d, K_FLOAT, "float", NULL);
	else if (strcmp(typ, "float8") == 0)
		set(d, K_FLOAT, "double", NULL);
	else if (strcmp(typ, "numeric") == 0 || strcmp(typ, "money") == 0) {
		bool		money = typ[0] == 'm';

		if (c->decimal == DEC_DOUBLE)
			set(d, K_NUM_DOUBLE, "double", NULL);
		else if (c->decimal == DEC_STRING)
			set(d, money ? K_MONEY_STRING : K_NUM_STRING, "string", NULL);
		else if (money) {
			set(d, K_DECIMAL, "bytes", "org.apache.kafka.connect.data.Decimal");
			d->scale = c->money_digits;
			buf_printf(&p, "{\"scale\":\"%d\"}", d->scale);
		} else if (typmod < 4) {
			set(d, K_VARSCALE, "struct", "io.debezium.data.VariableScaleDecimal");
			d->doc = "Variable scaled decimal";
			d->fields = varscale_fields;
		} else {
			int			prec = ((typmod - 4) >> 16) & 0xffff;

			d->scale = (typmod - 4) & 0xffff;
			set(d, K_DECIMAL, "bytes", "org.apache.kafka.connect.data.Decimal");
			buf_printf(&p, "{\"scale\":\"%d\",\"connect.decimal.precision\":\"%d\"}",
					   d->scale, prec);
		}
	} else if (in_list(typ, plain_strings))
		set(d, K_STRING, "string", NULL);
	else if (strcmp(typ, "bytea") == 0 && c->binary != BIN_BYTES)
		set(d, K_BYTEA_MODE, "string", NULL);
	else if (strcmp(typ, "bytea") == 0)
		set(d, K_BYTEA, "bytes", NULL);
	else if (strcmp(typ, "date") == 0)
		set(d, K_DATE, "int32", c->time == TIME_CONNECT ?
			"org.apache.kafka.connect.data.Date" : "io.debezium.time.Date");
	else if (strcmp(typ, "time") == 0) {
		if (c->time == TIME_CONNECT)
			set(d, K_TIME_MS, "int32", "org.apache.kafka.connect.data.Time");
		else if (time_precision(typmod) <= 3)
			set(d, K_TIME_MS, "int32", "io.debezium.time.Time");
		else
			set(d, K_TIME_US, "int64", "io.debezium.time.MicroTime");
	} else if (strcmp(typ, "timetz") == 0)
		set(d, K_TIMETZ, "string", "io.debezium.time.ZonedTime");
	else if (strcmp(typ, "timestamp") == 0) {
		if (c->time == TIME_CONNECT)
			set(d, K_TS_MS, "int64", "org.apache.kafka.connect.data.Timestamp");
		else if (time_precision(typmod) <= 3)
			set(d, K_TS_MS, "int64", "io.debezium.time.Timestamp");
		else
			set(d, K_TS_US, "int64", "io.debezium.time.MicroTimestamp");
	} else if (strcmp(typ, "timestamptz") == 0) {
		set(d, K_TSTZ, "string", "io.debezium.time.ZonedTimestamp");
		d->scale = time_precision(typmod);
	} else if (strcmp(typ, "interval") == 0 && c->interval_string)
		set(d, K_INTERVAL_ISO, "string", "io.debezium.time.Interval");
	else if (strcmp(typ, "interval") == 0)
		set(d, K_INTERVAL, "int64", "io.debezium.time.MicroDuration");
	else if (strcmp(typ, "uuid") == 0)
		set(d, K_STRING, "string", "io.debezium.data.Uuid");
	else if (strcmp(typ, "json") == 0 || strcmp(typ, "jsonb") == 0)
		set(d, K_STRING, "string", "io.debezium.data.Json");
	else if (strcmp(typ, "xml") == 0)
		set(d, K_STRING, "string", "io.debezium.data.Xml");
	else if (strcmp(typ, "ltree") == 0)
		set(d, K_STRING, "string", "io.debezium.data.Ltree");
	else if (strcmp(typ, "hstore") == 0 && c->hstore_map)
		set(d, K_HSTORE_MAP, "map", NULL);
	else if (strcmp(typ, "hstore") == 0)
		set(d, K_HSTORE, "string", "io.debezium.data.Json");
	else if (strcmp(typ, "bit") == 0 || strcmp(typ, "varbit") == 0) {
		int			len = typmod;

		if (len < 0)
			len = typ[0] == 'b' ? 1 : 2147483647;
		if (len <= 1)
			set(d, K_BIT_BOOL, "boolean", NULL);
		else {
			set(d, K_BITS, "bytes", "io.debezium.data.Bits");
			buf_printf(&p, "{\"length\":\"%d\"}", len);
		}
	} else if (strcmp(typ, "point") == 0) {
		set(d, K_POINT, "struct", "io.debezium.data.geometry.Point");
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
static const char *const no_array[] = {
	"money", "name", "interval", "varbit", "xml", "point", NULL
};

bool
map_no_array(const char *elem)
{
	return in_list(elem, no_array);
}
