/*
 * schema.h - the Connect schemas of a table's records, built once per
 * table into its cache entry, and the source block every record shares.
 */
#ifndef CDC_ENVELOPE_SCHEMA_H
#define CDC_ENVELOPE_SCHEMA_H

#include "table.h"

/* The io.debezium.connector.postgresql.Source struct of Debezium 2.7. */
extern const char source_schema[];

/* Fills t's key_schema, value_schema, row_schema, flat_schema and rewrite_schema. */
void		schema_build(struct table *t, const struct env_conf *c);

#endif
