/*
 * sqlident.h - SQL identifiers as walpipe writes them into statements, and
 * the names of destination tables.
 *
 * Names are always quoted, so any name PostgreSQL allows (mixed case,
 * dots, quotes) round-trips; with quote_set_fold(true) (the sink's
 * quote.identifiers=false) they are folded to lower case first, as
 * PostgreSQL folds an unquoted identifier.  A qualified name is split at its first dot,
 * as the Debezium JDBC sink splits table.name.format's result.
 */
#ifndef WALPIPE_SQLIDENT_H
#define WALPIPE_SQLIDENT_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "json.h"

/* Appends name[0..n) as a quoted identifier. */
void quote_ident(struct buf *out, const char *name, size_t n);

/* Folds names to lower case before quoting from now on; set before any quoting. */
void quote_set_fold(bool fold);

/* "schema.table" -> "schema"."table"; a name without a dot is one identifier. */
/*
 * SCHEMA.TABLE into out, "public." put before a name without a dot; out's
 * text is returned.  A schema or a table may hold dots of its own, so the
 * name is to be matched whole, never split.
 */
const char *table_full_name(const char *name, struct buf *out);

void quote_qualified(struct buf *out, const char *name);

/*
 * Expands the Debezium JDBC sink's table.name.format: ${topic} (dots
 * become underscores) and ${source.FIELD} from a record's source block (a
 * JSON object slice, or n == 0).  False with errbuf filled if a
 * placeholder cannot be resolved or the name comes out empty.
 */
bool table_name_expand(const char *format, const char *topic, size_t topiclen,
					   struct json_slice source, struct buf *out, char *errbuf, size_t errsize);

/*
 * Checks a table name format before any record: not empty, and each
 * placeholder one table_name_expand() knows.  false with errbuf filled.
 */
bool table_name_format_check(const char *format, char *errbuf, size_t errsize);

#endif
