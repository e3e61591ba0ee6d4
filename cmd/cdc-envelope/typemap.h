/*
 * typemap.h - which Connect schema Debezium 2.7 gives a PostgreSQL type.
 */
#ifndef CDC_ENVELOPE_TYPEMAP_H
#define CDC_ENVELOPE_TYPEMAP_H

#include "table.h"

/*
 * PostgresValueConverter.schemaBuilder() for one scalar type into d
 * (d->params malloc'd).  Returns false for the types it has no schema for
 * (the column is then left out of the events, as Debezium does).
 */
bool map_scalar(const char *typ, int typmod, const char *enum_allowed, const struct env_conf *c,
				struct tdesc *d);

/* Precision of a time type from its typmod; -1 means the default, 6. */
int time_precision(int typmod);

/* True for an array element type Debezium 2.7 has no schema for. */
bool map_no_array(const char *elem);

#endif
