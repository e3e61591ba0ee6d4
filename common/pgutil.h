/*
 * pgutil.h - thin libpq helpers: connections from a conninfo string or the
 * PG* environment, and checked execution of simple statements.
 *
 * Nothing here exits; errors come back in errbuf without libpq's trailing
 * newline.  Passwords never appear in messages: only host, port, user and
 * database are ever printed.
 *
 * This module also owns the one mapping from a PostgreSQL failure to the
 * sysexits.h status every command exits with (pg_connect's *status,
 * pg_status_for_sqlstate, pg_result_status).
 */
#ifndef WALPIPE_PGUTIL_H
#define WALPIPE_PGUTIL_H

#include <stdbool.h>
#include <stddef.h>

#include <libpq-fe.h>

/*
 * Connects with conninfo (key=value or URI; NULL or "" = environment
 * only).  replication = "database" asks for a logical replication
 * connection, NULL for an ordinary one.  Returns NULL on failure, with
 * *status (if status is not NULL) set to the exit status for it:
 *   64 EX_USAGE     the conninfo is malformed (syntax, unknown key, bad value)
 *   77 EX_NOPERM    authentication or authorization failed
 *   69 EX_UNAVAILABLE  any other refusal by the server (no such database)
 *   75 EX_TEMPFAIL  the server cannot be reached or is not accepting yet
 * libpq keeps the server's SQLSTATE of a failed connection to itself, so
 * the server's refusals are told apart by PQconnectionNeedsPassword() and
 * by the text of the server's English messages (lc_messages = C or en).
 */
PGconn *pg_connect(const char *conninfo, const char *replication, const char *appname, int *status,
				   char *errbuf, size_t errsize);

/*
 * The one-line message of a failed statement into buf: the server's
 * primary message, else the first line of libpq's.  Returns buf.
 */
const char *pg_errmsg(PGconn *conn, const PGresult *res, char *buf, size_t size);

/*
 * The exit status for a failed statement's SQLSTATE: 75 for class 08
 * (connection exception) and 57P (shutdown, crash); 77 for class 28
 * (invalid authorization) and 42501 (insufficient privilege); 78 for
 * 55000 (object not in prerequisite state: wal_level and the like);
 * 69 for the rest, and for NULL.
 */
int pg_status_for_sqlstate(const char *sqlstate);

/*
 * The exit status for a failed statement: 75 if the connection is gone,
 * else as pg_status_for_sqlstate() for res's SQLSTATE (pg_conn_status:
 * for a SQLSTATE kept from it).
 */
int pg_result_status(PGconn *conn, const PGresult *res);
int pg_conn_status(PGconn *conn, const char *sqlstate);

/*
 * Checks the result of a statement: true if its status is
 * PGRES_COMMAND_OK or PGRES_TUPLES_OK.  Else errbuf gets its one-line
 * message (pg_errmsg(), or the unexpected status) and *status the exit
 * status for it (pg_result_status()).  res is cleared either way.
 */
bool pg_result_ok(PGconn *conn, PGresult *res, int *status, char *errbuf, size_t errsize);

/*
 * Runs sql and checks its status is expect (PGRES_COMMAND_OK or
 * PGRES_TUPLES_OK).  Returns the result (caller PQclear()s), or NULL with
 * pg_errmsg()'s one line in errbuf and, if status is not NULL, the exit
 * status for the failure in *status (pg_result_status()).  Every checked
 * statement of the commands goes through here.
 */
PGresult *pg_query(PGconn *conn, const char *sql, ExecStatusType expect, int *status, char *errbuf,
				   size_t errsize);

/* pg_query() without the exit status. */
PGresult *pg_exec(PGconn *conn, const char *sql, ExecStatusType expect, char *errbuf,
				  size_t errsize);

/* pg_query() for statements whose result is not needed. */
bool pg_command(PGconn *conn, const char *sql, int *status, char *errbuf, size_t errsize);

/*
 * Takes the conninfo of a -d option: returns a copy for the program to
 * use and overwrites the secrets in the argument itself with 'x's (a
 * password= or sslpassword= pair, a URI's user:PASSWORD@ or ?password=,
 * ?sslpassword=), so that ps and /proc/PID/cmdline do not show them.  The
 * copy lives until exit.
 */
char *pg_conninfo_take(char *arg);

/* Overwrites the password in conninfo in place, as pg_conninfo_take(). */
void pg_conninfo_hide(char *conninfo);

/* "host:port/db" for messages, never the password. */
const char *pg_describe(PGconn *conn, char *buf, size_t size);

/* True if pg_result_status() is 75: worth a reconnect (connection lost, server shutting down). */
bool pg_error_is_transient(PGconn *conn, const PGresult *res);

#endif
