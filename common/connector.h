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
 * out (reset first): from database.hostname/port/user/password/dbname and
 * database.ssl*
 * (source connectors) or connection.url jdbc:postgresql://host:port/db with
 * connection.username/password (JDBC sink).  False if it names none.
 */
struct buf;
bool		connector_conninfo(const struct connector *c, struct buf *out);

/*
 * Every key a connector file may hold, in one table: which command
 * implements it.  A source connector file is read by both pg-wal-tail and
 * cdc-envelope, each using part of it, so each accepts the keys the other
 * implements; Kafka Connect's own keys (converters' class names, tasks.max,
 * schema.history.internal.*, ...) are accepted by every command and have no
 * effect.  Any other key is refused: connector_open() fails on it, naming it.
 */
#define CONN_WAL_TAIL		0x01	/* pg-wal-tail */
#define CONN_ENVELOPE		0x02	/* cdc-envelope */
#define CONN_APPLY		0x04	/* pg-apply */
#define CONN_CONNECT		0x08	/* Kafka Connect only: accepted, no effect */
#define CONN_SOURCE		(CONN_WAL_TAIL | CONN_ENVELOPE)

struct connector_key {
	const char *pattern;		/* the key; '*' stands for any text (fnmatch) */
	unsigned	by;				/* CONN_* that implement it; 0 = known, refused */
	const char *values;			/* "a|b": one of these, in any case; "#": a
								 * number; NULL: any text */
	const char *option;			/* the option that wins over it, or NULL */
};

extern const struct connector_key connector_keys[];

/*
 * How command (one CONN_* bit) treats key: "honoured", "by pg-wal-tail" or
 * "by cdc-envelope" (the other command of the source pair honours it),
 * "accepted, no effect" (Kafka Connect's own), or "refused".
 */
const char *connector_key_status(const struct connector_key *k, unsigned command);

/*
 * The table of every key and its status for command, as the mdoc list each
 * man page carries (a unit test holds the pages to it).
 */
void		connector_keys_mdoc(unsigned command, struct buf *out);

/*
 * connector_load() plus the check that command (one CONN_* bit) honours or
 * accepts every key, and that each value is one its key can take.  Returns
 * 0, or the exit status with a message in errbuf: EX_NOINPUT when the file
 * cannot be opened, EX_CONFIG for a file that is not a connector
 * configuration, a key that is refused or a value it cannot take.
 */
int			connector_open(const char *path, unsigned command, struct connector *c,
						   char *errbuf, size_t errsize);

/* The value of key as a boolean; false with a message if it is not one. */
bool		connector_bool(const char *key, const char *v, bool *out,
						   char *errbuf, size_t errsize);

#endif
