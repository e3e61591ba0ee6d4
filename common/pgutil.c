/*
 * pgutil.c - connections and checked statements.
 */
#include "pgutil.h"
#include "log.h"

#include <stdio.h>
#include <string.h>

PGconn *
pg_connect(const char *conninfo, const char *replication, const char *appname,
		   char *errbuf, size_t errsize)
{
	const char *keys[5];
	const char *vals[5];
	int			i = 0;
	PGconn	   *conn;
	char		host[256];

	/*
	 * dbname is expanded as a full conninfo, as psql -d does; libpq skips
	 * NULL values, so an empty conninfo means the PG* environment alone.
	 */
	keys[i] = "dbname", vals[i++] = conninfo && *conninfo ? conninfo : NULL;
	keys[i] = "fallback_application_name", vals[i++] = appname;
	if (replication)
		keys[i] = "replication", vals[i++] = replication;
	keys[i] = NULL, vals[i] = NULL;
	conn = PQconnectdbParams(keys, vals, 1);
	if (conn == NULL) {
		snprintf(errbuf, errsize, "could not connect: out of memory");
		return NULL;
	}
	if (PQstatus(conn) != CONNECTION_OK) {
		char		msg[1024];

		snprintf(errbuf, errsize, "could not connect to %s: %s",
				 pg_describe(conn, host, sizeof host),
				 log_chomp(PQerrorMessage(conn), msg, sizeof msg));
		PQfinish(conn);
		return NULL;
	}
	return conn;
}

PGresult *
pg_exec(PGconn *conn, const char *sql, ExecStatusType expect, char *errbuf, size_t errsize)
{
	PGresult   *res = PQexec(conn, sql);
	char		msg[1024];

	if (PQresultStatus(res) == expect)
		return res;
	snprintf(errbuf, errsize, "%s", log_chomp(res ? PQresultErrorMessage(res) : PQerrorMessage(conn), msg, sizeof msg));
	if (errbuf[0] == '\0')
		snprintf(errbuf, errsize, "unexpected result status %s",
				 PQresStatus(PQresultStatus(res)));
	PQclear(res);
	return NULL;
}

bool
pg_command(PGconn *conn, const char *sql, char *errbuf, size_t errsize)
{
	PGresult   *res = pg_exec(conn, sql, PGRES_COMMAND_OK, errbuf, errsize);

	PQclear(res);
	return res != NULL;
}

const char *
pg_describe(PGconn *conn, char *buf, size_t size)
{
	const char *host = conn ? PQhost(conn) : NULL;
	const char *port = conn ? PQport(conn) : NULL;
	const char *db = conn ? PQdb(conn) : NULL;

	snprintf(buf, size, "server \"%s:%s\" database \"%s\"",
			 host && *host ? host : "(socket)", port && *port ? port : "5432",
			 db ? db : "");
	return buf;
}

bool
pg_error_is_transient(PGconn *conn, const PGresult *res)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

	if (PQstatus(conn) == CONNECTION_BAD)
		return true;
	/* Class 08: connection exception; 57P: operator intervention (shutdown). */
	return state && (strncmp(state, "08", 2) == 0 || strncmp(state, "57P", 3) == 0);
}
