/*
 * schema.h - the Connect schemas of a table's records, built once per
 * table into its cache entry, and the source block every record shares.
 */
#ifndef CDC_ENVELOPE_SCHEMA_H
#define CDC_ENVELOPE_SCHEMA_H

#include "table.h"

/* The io.debezium.connector.postgresql.Source struct of Debezium 2.7, as JSON. */
const char *schema_source(void);

/*
 * Writes a Connect schema of d (of an array of elem when elem is not
 * NULL) as JsonConverter does: type, fields/items, optional, name,
 * version, doc, parameters, default, then the field name (doc, deflt and
 * field may be NULL).
 */
void schema_put_type(struct buf *b, const struct tdesc *d, const struct tdesc *elem, bool optional,
					 const char *doc, const char *deflt, const char *field);

/* Fills t's key_schema, value_schema, row_schema, flat_schema and rewrite_schema. */
void schema_build(struct table *t, const struct env_conf *c);

#endif
