/*
 * connector.h - Kafka Connect connector JSON files, read for their settings.
 *
 * Debezium users keep their connector configurations as the JSON they POST
 * to the Connect REST API: {"name": "...", "config": {"key": "value", ...}}
 * (or the bare config object).  pg-wal-tail, cdc-envelope and pg-apply take
 * the settings they understand from such a file with -c, so a Debezium
 * setup moves over unchanged.  Values are kept as strings, as Connect does.
 *
 * This module owns, for every command that reads such a file: which keys
 * it honours or refuses (connector_keys), the exit status of a file that
 * cannot be read or holds a bad setting (connector_open), and how a value
 * is parsed and merged under the command line (connector_bind).
 */
#ifndef WALPIPE_CONNECTOR_H
#define WALPIPE_CONNECTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct connector {
	char *name; /* "name", or NULL */
	char **keys;
	char **vals;
	size_t n;
};

/*
 * Loads path; on failure fills errbuf ("file.json: line 3: ...") and
 * returns false.  Non-string values (numbers, booleans) are kept as their
 * JSON text, as Connect accepts them.
 */
bool connector_load(const char *path, struct connector *c, char *errbuf, size_t errsize);
void connector_free(struct connector *c);

/* The value of key, or NULL if the file does not set it. */
const char *connector_get(const struct connector *c, const char *key);

/* The first of several alternative names that is set (2.x and 3.x names). */
const char *connector_get_any(const struct connector *c, const char *const *keys);

/*
 * A libpq conninfo for the database the connector names, written into
 * out (reset first): from database.hostname/port/user/password/dbname and
 * database.ssl*
 * (source connectors) or connection.url jdbc:postgresql://host:port/db with
 * connection.username/password (JDBC sink).  False if it names none.
 */
struct buf;
bool connector_conninfo(const struct connector *c, struct buf *out);

/*
 * Every key a connector file may hold, in one table: which command
 * implements it.  A source connector file is read by both pg-wal-tail and
 * cdc-envelope, each using part of it, so each accepts the keys the other
 * implements; Kafka Connect's own keys (converters' class names, tasks.max,
 * schema.history.internal.*, ...) are accepted by every command and have no
 * effect.  Any other key is refused: connector_open() fails on it, naming it.
 */
#define CONN_WAL_TAIL 0x01 /* pg-wal-tail */
#define CONN_ENVELOPE 0x02 /* cdc-envelope */
#define CONN_APPLY 0x04	   /* pg-apply */
#define CONN_CONNECT 0x08  /* Kafka Connect only: accepted, no effect */
#define CONN_SOURCE (CONN_WAL_TAIL | CONN_ENVELOPE)

struct connector_key {
	const char *pattern; /* the key; '*' stands for any text (fnmatch) */
	unsigned by;		 /* CONN_* that implement it; 0 = known, refused */
	const char *values;	 /* "a|b": one of these, in any case; "#": a
								 * number; NULL: any text */
	const char *option;	 /* the option that wins over it, or NULL */
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
void connector_keys_mdoc(unsigned command, struct buf *out);

/*
 * connector_load() plus the check that command (one CONN_* bit) honours or
 * accepts every key, and that each value is one its key can take.  Returns
 * 0, or the exit status with a message in errbuf: EX_NOINPUT (66) when the
 * file cannot be opened or read (missing, no permission, a directory),
 * EX_CONFIG (78) for a file that is not a connector configuration, a key
 * that is refused or a value it cannot take.  Every command that reads -c
 * exits with this status, so it is decided here only.
 */
int connector_open(const char *path, unsigned command, struct connector *c, char *errbuf,
				   size_t errsize);

/*
 * One setting a command takes from the file, for connector_bind(): the
 * file's value of key, parsed by kind, goes to *dst unless the command
 * line gave the option (given), which wins; a key the file does not set
 * leaves *dst alone (the default).  Strings point into the connector.
 */
enum connector_kind {
	CONN_TEXT,	 /* const char **dst */
	CONN_BOOL,	 /* bool *dst: true or false in any case, as
								 * Kafka Connect's ConfigDef reads them */
	CONN_CHOICE, /* int *dst (or an enum): choices[i] in any case
								 * gives codes[i], or i without codes */
	CONN_INT,	 /* int *dst: a number from min to max */
	CONN_MILLIS	 /* int64_t *dst: milliseconds, 0 to a day, as
								 * microseconds */
};

struct connector_bind {
	const char *key;
	enum connector_kind kind;
	void *dst;
	bool given;					/* the command line set it: the file's value
								 * is checked, not used */
	const char *const *choices; /* CONN_CHOICE: NULL-terminated */
	const int *codes;			/* CONN_CHOICE: the value of each choice, or NULL */
	int min,					/* CONN_INT */
		max;
};

/*
 * Table rows, one per kind; dst is type-checked where the kind allows.
 * given is true when the command line set the option.
 */
#define CONN_BIND_TEXT(key, dst, given) \
	{ \
		(key), CONN_TEXT, (void *) (1 ? (dst) : (const char **) 0), (given), NULL, NULL, 0, 0 \
	}
#define CONN_BIND_BOOL(key, dst, given) \
	{ \
		(key), CONN_BOOL, (void *) (1 ? (dst) : (bool *) 0), (given), NULL, NULL, 0, 0 \
	}
#define CONN_BIND_CHOICE(key, dst, given, choices, codes) \
	{ \
		(key), CONN_CHOICE, (void *) (dst), (given), (choices), (codes), 0, 0 \
	}
#define CONN_BIND_INT(key, dst, given, min, max) \
	{ \
		(key), CONN_INT, (void *) (1 ? (dst) : (int *) 0), (given), NULL, NULL, (min), (max) \
	}
#define CONN_BIND_MILLIS(key, dst, given) \
	{ \
		(key), CONN_MILLIS, (void *) (1 ? (dst) : (int64_t *) 0), (given), NULL, NULL, 0, 0 \
	}

/*
 * Binds the n settings of b from c (read from path) under the flags.
 * Returns 0, or EX_CONFIG with "path: connector setting KEY: ..." in errbuf
 * (no "path: " if path is NULL) for a value its kind cannot take.
 */
int connector_bind(const struct connector *c, const char *path, const struct connector_bind *b,
				   size_t n, char *errbuf, size_t errsize);

#endif
