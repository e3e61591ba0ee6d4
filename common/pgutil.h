/*
 * pgutil.h - thin libpq helpers: connections from a conninfo string or the
 * PG* environment, and checked execution of simple statements.
 *
 * Nothing here exits; errors come back in errbuf without libpq's trailing
 * newline.  Passwords never appear in messages: only host, port, user and
 * database are ever printed.
 */
#ifndef WALPIPE_PGUTIL_H
#define WALPIPE_PGUTIL_H

#include <stdbool.h>
#include <stddef.h>

#include <libpq-fe.h>

/*
 * Connects with conninfo (key=value or URI; NULL or "" = environment
 * only).  replication = "database" asks for a logical replication
 * connection, NULL for an ordinary one.  Returns NULL on failure.
 */
PGconn	   *pg_connect(const char *conninfo, const char *replication,
					   const char *appname, char *errbuf, size_t errsize);

/*
 * Runs sql and checks its status is expect (PGRES_COMMAND_OK or
 * PGRES_TUPLES_OK).  Returns the result (caller PQclear()s) or NULL with
 * errbuf filled.
 */
PGresult   *pg_exec(PGconn *conn, const char *sql, ExecStatusType expect,
					char *errbuf, size_t errsize);

/* Like pg_exec() for statements whose result is not needed. */
bool		pg_command(PGconn *conn, const char *sql, char *errbuf, size_t errsize);

/* "host:port/db" for messages, never the password. */
const char *pg_describe(PGconn *conn, char *buf, size_t size);

/* True if the error is worth a reconnect (connection lost, server shutting down). */
bool		pg_error_is_transient(PGconn *conn, const PGresult *res);

#endif
