/*
 * connector.h - Kafka Connect connector JSON files, read for their settings.
 *
 * Debezium users keep their connector configurations as the JSON they POST
 * to the Connect REST API: {"name": "...", "config": {"key": "value", ...}}
 * (or the bare config object).  pg-wal-tail, cdc-envelope and pg-apply take
 * the settings they understand from such a file with -c, so a Debezium
 * setup moves over unchanged.  Values are kept as strings, as Connect does.
 */
#ifndef WALPIPE_CONNECTOR_H
#define WALPIPE_CONNECTOR_H

#include <stdbool.h>
#include <stddef.h>

struct connector {
	char	   *name;			/* "name", or NULL */
	char	  **keys;
	char	  **vals;
	size_t		n;
};

/*
 * Loads path; on failure fills errbuf ("file.json: line 3: ...") and
 * returns false.  Non-string values (numbers, booleans) are kept as their
 * JSON text, as Connect accepts them.
 */
bool		connector_load(const char *path, struct connector *c,
						   char *errbuf, size_t errsize);
void		connector_free(struct connector *c);

/* The value of key, or NULL if the file does not set it. */
const char *connector_get(const struct connector *c, const char *key);

/* The first of several alternative names that is set (2.x and 3.x names). */
const char *connector_get_any(const struct connector *c, const char *const *keys);

/*
 * "true"/"false" (any case) as Connect reads booleans; *out is left alone
 * when the key is absent.  False if the value is not a boolean.
 */
bool		connector_get_bool(const struct connector *c, const char *key, bool *out);

/*
 * A libpq conninfo for the database the connector names, written into
 * out (reset first): from database.hostname/port/user/password/dbname
 * (source connectors) or connection.url jdbc:postgresql://host:port/db with
 * connection.username/password (JDBC sink).  False if it names none.
 */
struct buf;
bool		connector_conninfo(const struct connector *c, struct buf *out);

#endif
