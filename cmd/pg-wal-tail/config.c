/*
 * config.c - pg-wal-tail's settings from a Debezium PostgreSQL connector
 * JSON file (-c), so that a Kafka Connect setup moves over unchanged.
 *
 * The command line wins: only settings it left unset are taken from the
 * file.  Settings that pg-wal-tail cannot honour (another decoding plugin,
 * a snapshot mode it does not have) are errors, not silently ignored; keys
 * that cdc-envelope implements are accepted (connector.h).
 */
#include "tail.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>

#include "connector.h"
#include "log.h"

/* A non-negative number of milliseconds, as microseconds. */
static int64_t
millis(const char *key, const char *v)
{
	char	   *end;
	long long	ms;

	errno = 0;
	ms = strtoll(v, &end, 10);
	if (errno || end == v || *end || ms < 0 || ms > 86400000LL)
		fatal(EX_CONFIG, "connector setting %s: \"%s\" is not a number of milliseconds", key, v);
	return (int64_t) ms * 1000;
}

static enum snap_mode
snapshot_mode(const char *v)
{
	if (strcasecmp(v, "initial") == 0)
		return SNAP_INITIAL;
	if (strcasecmp(v, "never") == 0 || strcasecmp(v, "no_data") == 0)
		return SNAP_NEVER;
	if (strcasecmp(v, "initial_only") == 0)
		return SNAP_ONLY;
	/* A snapshot when there is no position to resume from: a new slot. */
	if (strcasecmp(v, "when_needed") == 0)
		return SNAP_DEFAULT;
	fatal(EX_CONFIG, "connector setting snapshot.mode: \"%s\" is not supported "
		  "(initial, initial_only, when_needed, never or no_data)", v);
}

/*
 * The file's settings, kept for the life of the process: the options
 * point into them.
 */
static struct connector conf;
static struct buf conninfo = BUF_INIT;
static char *tables_copy;	/* the -t names point into it */

/* table.include.list "a.b, c.d" as -t names. */
static void
include_tables(struct tail_opts *o, const char *list)
{
	char	   *copy = tables_copy = xstrdup(list);
	char	   *save = NULL;
	char	   *tok;

	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		while (*tok == ' ')
			tok++;
		if (*tok == '\0')
			continue;
		if (strpbrk(tok, "*?+[](){}|^$\\"))
			fatal(EX_CONFIG, "table.include.list: \"%s\": only plain schema.table names "
				  "can create a publication", tok);
		o->tables = xrealloc(o->tables, (size_t) (o->ntables + 1) * sizeof *o->tables);
		o->tables[o->ntables++] = tok;
	}
}

void
tail_opts_from_connector(struct tail_opts *o, const char *path)
{
	struct connector *cp = &conf;
	char		err[1024];
	const char *v;
	int			status;

	if ((status = connector_open(path, CONN_WAL_TAIL, cp, err, sizeof err)) != 0)
		fatal(status, "%s", err);
	/* plugin.name can only be pgoutput, as connector_open() checked. */
	if (o->conninfo == NULL && connector_conninfo(cp, &conninfo))
		o->conninfo = conninfo.data;
	if (o->slot == NULL)
		o->slot = (v = connector_get(cp, "slot.name")) ? v : "debezium";
	if (o->publication == NULL)
		o->publication = (v = connector_get(cp, "publication.name")) ? v : "dbz_publication";
	if (o->snapshot == SNAP_DEFAULT && (v = connector_get(cp, "snapshot.mode")))
		o->snapshot = snapshot_mode(v);
	if (o->heartbeat_us < 0 && (v = connector_get(cp, "heartbeat.interval.ms")))
		o->heartbeat_us = millis("heartbeat.interval.ms", v);
	if (o->status_interval_us < 0 && (v = connector_get(cp, "status.update.interval.ms")))
		o->status_interval_us = millis("status.update.interval.ms", v);
	if (o->fetch_size < 0 && (v = connector_get(cp, "snapshot.fetch.size"))) {
		o->fetch_size = atoi(v);	/* digits: connector_open() checked */
		if (o->fetch_size < 1 || o->fetch_size > 1000000)
			fatal(EX_CONFIG, "connector setting snapshot.fetch.size: \"%s\" is not 1 to 1000000", v);
	}
	if (o->signal_table == NULL)
		o->signal_table = connector_get(cp, "signal.data.collection");
	if (o->chunk_size < 0 && (v = connector_get(cp, "incremental.snapshot.chunk.size"))) {
		o->chunk_size = atoi(v);	/* digits: connector_open() checked */
		if (o->chunk_size < 1 || o->chunk_size > 1000000)
			fatal(EX_CONFIG, "connector setting incremental.snapshot.chunk.size: \"%s\" "
				  "is not 1 to 1000000", v);
	}
	/*
	 * A missing publication: Debezium's default mode, all_tables, needs a
	 * superuser; with a table.include.list and no mode we create it for
	 * those tables (filtered), which is what such a setup means.
	 */
	v = connector_get(cp, "publication.autocreate.mode");	/* checked by connector_open() */
	if (o->ntables == 0 && !(v && strcasecmp(v, "disabled") == 0)) {
		const char *list = connector_get(cp, "table.include.list");

		if ((v && strcasecmp(v, "all_tables") == 0) || (v == NULL && list == NULL))
			o->all_tables = true;
		else if (list)
			include_tables(o, list);
	}
}

void
tail_opts_free_connector(void)
{
	free(tables_copy);
	tables_copy = NULL;
	buf_free(&conninfo);
	connector_free(&conf);
}
