/*
 * pgutil.c - connections, checked statements, and the exit status of a
 * PostgreSQL failure.
 */
#include "pgutil.h"
#include "buf.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

/* A conninfo given as a string, not a database name (as libpq decides). */
static bool
is_conninfo_string(const char *s)
{
	return strncmp(s, "postgresql://", 13) == 0 || strncmp(s, "postgres://", 11) == 0 ||
		strchr(s, '=') != NULL;
}

/* Server refusals that a retry does not cure: class 28 and 42501 texts. */
static const char *const noperm_texts[] = {"authentication failed",
										   "no pg_hba.conf entry",
										   "pg_hba.conf rejects",
										   "no password supplied",
										   "is not permitted to log in",
										   "permission denied",
										   "must be superuser or replication role",
										   NULL};

/* Conditions that pass: the server cannot be reached or is not ready yet. */
static const char *const transient_texts[] = {"Connection refused",
											  "timeout expired",
											  "No such file or directory",
											  "the database system is starting up",
											  "the database system is shutting down",
											  "the database system is in recovery mode",
											  "the database system is not",
											  "could not translate host name",
											  "server closed the connection unexpectedly",
											  "Network is unreachable",
											  "No route to host",
											  "too many clients",
											  "too many connections for",
											  "connection slots are reserved",
											  "Connection reset by peer",
											  NULL};

static bool
has_any(const char *msg, const char *const *texts)
{
	int i;

	for (i = 0; texts[i]; i++)
		if (strstr(msg, texts[i]))
			return true;
	return false;
}

/*
 * The status of a failed connection attempt.  A role that does not exist
 * is an authentication failure (28000), told apart from a database that
 * does not exist (3D000, 69) by the word before the name.
 */
static int
connect_status(PGconn *conn, const char *msg)
{
	if (PQconnectionNeedsPassword(conn) || has_any(msg, noperm_texts) ||
		(strstr(msg, "FATAL:  role \"") && strstr(msg, "\" does not exist")))
		return EX_NOPERM;
	/* libpq's checks of option values: "invalid sslmode value", ... */
	if (strncmp(msg, "invalid ", 8) == 0)
		return EX_USAGE;
	if (has_any(msg, transient_texts))
		return EX_TEMPFAIL;
	/* The server answered and refused; anything else is on the way there. */
	return strstr(msg, "FATAL:") ? EX_UNAVAILABLE : EX_TEMPFAIL;
}

/*
 * libpq's connection error on one line: its hint lines (a tab first,
 * "Is the server running...") dropped, one line per host tried joined
 * with "; ".
 */
static char *
one_line(char *msg, size_t size)
{
	struct buf b = BUF_INIT;
	const char *in = msg;

	while (*in) {
		size_t n = strcspn(in, "\n");

		if (*in != '\t' && n > 0)
			buf_printf(&b, "%s%.*s", b.len ? "; " : "", (int) n, in);
		in += n + (in[n] != '\0');
	}
	snprintf(msg, size, "%s", b.len ? buf_cstr(&b) : "");
	buf_free(&b);
	return msg;
}

/* Checks conninfo's syntax and keys before anything is sent. */
static bool
check_conninfo(const char *conninfo, char *errbuf, size_t errsize)
{
	char *err = NULL;
	PQconninfoOption *opts;
	char msg[1024];

	if (conninfo == NULL || !is_conninfo_string(conninfo))
		return true;
	if ((opts = PQconninfoParse(conninfo, &err)) != NULL) {
		PQconninfoFree(opts);
		return true;
	}
	snprintf(errbuf, errsize, "invalid connection string: %s",
			 err ? log_chomp(err, msg, sizeof msg) : "out of memory");
	PQfreemem(err);
	return false;
}

PGconn *
pg_connect(const char *conninfo, const char *replication, const char *appname, int *status,
		   char *errbuf, size_t errsize)
{
	const char *keys[5];
	const char *vals[5];
	int i = 0;
	int dummy;
	PGconn *conn;
	char host[256];

	if (status == NULL)
		status = &dummy;
	*status = EX_USAGE;
	if (!check_conninfo(conninfo, errbuf, errsize))
		return NULL;

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
		*status = EX_OSERR;
		snprintf(errbuf, errsize, "could not connect: out of memory");
		return NULL;
	}
	if (PQstatus(conn) != CONNECTION_OK) {
		char msg[1024];

		log_chomp(PQerrorMessage(conn), msg, sizeof msg);
		one_line(msg, sizeof msg);
		*status = connect_status(conn, msg);
		if (*status == EX_USAGE)
			snprintf(errbuf, errsize, "invalid connection string: %s", msg);
		else
			snprintf(errbuf, errsize, "could not connect to %s: %s",
					 pg_describe(conn, host, sizeof host), msg);
		PQfinish(conn);
		return NULL;
	}
	*status = 0;
	return conn;
}

PGresult *
pg_query(PGconn *conn, const char *sql, ExecStatusType expect, int *status, char *errbuf,
		 size_t errsize)
{
	PGresult *res = PQexec(conn, sql);

	if (PQresultStatus(res) == expect)
		return res;
	pg_errmsg(conn, res, errbuf, errsize);
	if (errbuf[0] == '\0')
		snprintf(errbuf, errsize, "unexpected result status %s", PQresStatus(PQresultStatus(res)));
	if (status)
		*status = pg_result_status(conn, res);
	PQclear(res);
	return NULL;
}

PGresult *
pg_exec(PGconn *conn, const char *sql, ExecStatusType expect, char *errbuf, size_t errsize)
{
	return pg_query(conn, sql, expect, NULL, errbuf, errsize);
}

bool
pg_command(PGconn *conn, const char *sql, int *status, char *errbuf, size_t errsize)
{
	PGresult *res = pg_query(conn, sql, PGRES_COMMAND_OK, status, errbuf, errsize);

	PQclear(res);
	return res != NULL;
}

const char *
pg_describe(PGconn *conn, char *buf, size_t size)
{
	const char *host = conn ? PQhost(conn) : NULL;
	const char *port = conn ? PQport(conn) : NULL;
	const char *db = conn ? PQdb(conn) : NULL;

	snprintf(buf, size, "server \"%s:%s\" database \"%s\"", host && *host ? host : "(socket)",
			 port && *port ? port : "5432", db ? db : "");
	return buf;
}

/*
 * The primary message of a failed result, else libpq's first line
 * (libpq adds hints on further lines), for one-line errors.
 */
const char *
pg_errmsg(PGconn *conn, const PGresult *res, char *buf, size_t size)
{
	const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	char *nl;

	log_chomp(primary ? primary : PQerrorMessage(conn), buf, size);
	if ((nl = strchr(buf, '\n')) != NULL)
		*nl = '\0';
	return buf;
}

int
pg_status_for_sqlstate(const char *st)
{
	if (st == NULL || st[0] == '\0')
		return EX_UNAVAILABLE;
	if (strncmp(st, "08", 2) == 0 || strncmp(st, "57P", 3) == 0)
		return EX_TEMPFAIL;
	if (strncmp(st, "28", 2) == 0 || strcmp(st, "42501") == 0)
		return EX_NOPERM;
	/* object_not_in_prerequisite_state: wal_level, max_replication_slots... */
	if (strcmp(st, "55000") == 0)
		return EX_CONFIG;
	return EX_UNAVAILABLE;
}

int
pg_result_status(PGconn *conn, const PGresult *res)
{
	return pg_conn_status(conn, res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL);
}

int
pg_conn_status(PGconn *conn, const char *sqlstate)
{
	if (PQstatus(conn) == CONNECTION_BAD)
		return EX_TEMPFAIL;
	return pg_status_for_sqlstate(sqlstate);
}

bool
pg_result_ok(PGconn *conn, PGresult *res, int *status, char *errbuf, size_t errsize)
{
	ExecStatusType st = PQresultStatus(res);

	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
		PQclear(res);
		return true;
	}
	pg_errmsg(conn, res, errbuf, errsize);
	if (errbuf[0] == '\0')
		snprintf(errbuf, errsize, "unexpected result %s", PQresStatus(st));
	*status = pg_result_status(conn, res);
	PQclear(res);
	return false;
}

bool
pg_error_is_transient(PGconn *conn, const PGresult *res)
{
	return pg_result_status(conn, res) == EX_TEMPFAIL;
}

/* Overwrites n bytes at p with 'x'. */
static void
blank(char *p, size_t n)
{
	memset(p, 'x', n);
}

/* The keys whose value is a secret: the password, and the SSL key's. */
static bool
is_secret_key(const char *key, size_t len)
{
	return (len == 8 && strncmp(key, "password", 8) == 0) ||
		(len == 11 && strncmp(key, "sslpassword", 11) == 0);
}

/*
 * In a URI: user:PASSWORD@ before the host (up to the first '@', as
 * libpq reads it, before any '/'; a '?' may be in the password), and
 * secrets in the query.
 */
static void
hide_in_uri(char *s)
{
	char *auth = strstr(s, "://") + 3;
	size_t userlen = strcspn(auth, "@/");
	char *q;

	if (auth[userlen] == '@') {
		char *colon = memchr(auth, ':', userlen);

		if (colon)
			blank(colon + 1, (size_t) (auth + userlen - colon - 1));
		auth += userlen + 1;
	}
	for (q = strchr(auth, '?'); q; q = strchr(q + 1, '&')) {
		size_t keylen = strcspn(q + 1, "=&");

		if (q[1 + keylen] == '=' && is_secret_key(q + 1, keylen))
			blank(q + 2 + keylen, strcspn(q + 2 + keylen, "&"));
	}
}

/*
 * In key = value pairs, as libpq reads them: a value is quoted ('...',
 * with \' and \\) or runs to the next white space.
 */
static void
hide_in_pairs(char *s)
{
	while (*s) {
		char *key, *val;
		size_t keylen;

		s += strspn(s, " \t\n\r\f\v");
		key = s;
		keylen = strcspn(s, "= \t\n\r\f\v");
		s += keylen;
		s += strspn(s, " \t\n\r\f\v");
		if (*s != '=')
			return;
		s++;
		s += strspn(s, " \t\n\r\f\v");
		val = s;
		if (*s == '\'') {
			for (s++; *s && *s != '\''; s++)
				if (*s == '\\' && s[1])
					s++;
			val++;
		} else
			for (; *s && !strchr(" \t\n\r\f\v", *s); s++)
				if (*s == '\\' && s[1])
					s++;
		if (is_secret_key(key, keylen))
			blank(val, (size_t) (s - val));
		if (*s == '\'')
			s++;
	}
}

void
pg_conninfo_hide(char *conninfo)
{
	if (strncmp(conninfo, "postgresql://", 13) == 0 || strncmp(conninfo, "postgres://", 11) == 0)
		hide_in_uri(conninfo);
	else if (strchr(conninfo, '='))
		hide_in_pairs(conninfo);
}

char *
pg_conninfo_take(char *arg)
{
	/* Every copy stays reachable until exit: a command may take several. */
	static char **taken;
	static size_t ntaken;

	taken = xrealloc(taken, (ntaken + 1) * sizeof *taken);
	taken[ntaken] = xstrdup(arg);
	pg_conninfo_hide(arg);
	return taken[ntaken++];
}
