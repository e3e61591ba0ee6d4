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

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>

#include "connector.h"
#include "log.h"

/* The file's settings, kept as long as the options point into them. */
struct tail_file {
	struct connector conf;
	struct buf conninfo;
	char *tables; /* the -t names point into it */
};

/* table.include.list "a.b, c.d" as -t names. */
static void
include_tables(struct tail_opts *o, const char *list)
{
	char *copy = o->file->tables = xstrdup(list);
	char *save = NULL;
	char *tok;

	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		while (*tok == ' ')
			tok++;
		if (*tok == '\0')
			continue;
		if (strpbrk(tok, "*?+[](){}|^$\\"))
			fatal(EX_CONFIG,
				  "table.include.list: \"%s\": only plain schema.table names "
				  "can create a publication",
				  tok);
		o->tables = xrealloc(o->tables, (size_t) (o->ntables + 1) * sizeof *o->tables);
		o->tables[o->ntables++] = tok;
	}
}

void
tail_opts_from_connector(struct tail_opts *o, const char *path)
{
	static const char *const snap_names[] = {"initial",		 "never",		"no_data",
											 "initial_only", "when_needed", NULL};
	/* when_needed: a snapshot when there is no position to resume from. */
	static const int snap_codes[] = {SNAP_INITIAL, SNAP_NEVER, SNAP_NEVER, SNAP_ONLY, SNAP_DEFAULT};
	struct connector_bind b[] = {
		CONN_BIND_TEXT("slot.name", &o->slot, o->slot != NULL),
		CONN_BIND_TEXT("publication.name", &o->publication, o->publication != NULL),
		CONN_BIND_CHOICE("snapshot.mode", &o->snapshot, o->snapshot != SNAP_DEFAULT, snap_names,
						 snap_codes),
		CONN_BIND_MILLIS("heartbeat.interval.ms", &o->heartbeat_us, o->heartbeat_us >= 0),
		CONN_BIND_MILLIS("status.update.interval.ms", &o->status_interval_us,
						 o->status_interval_us >= 0),
		CONN_BIND_INT("snapshot.fetch.size", &o->fetch_size, o->fetch_size >= 0, 1, 1000000),
		CONN_BIND_TEXT("signal.data.collection", &o->signal_table, o->signal_table != NULL),
		CONN_BIND_INT("incremental.snapshot.chunk.size", &o->chunk_size, o->chunk_size >= 0, 1,
					  1000000),
		CONN_BIND_TEXT("message.key.columns", &o->key_columns, o->key_columns != NULL),
	};
	struct tail_file *f = o->file = xcalloc(1, sizeof *f);
	struct connector *conf = &f->conf;
	char err[1024];
	const char *v;
	int status;

	if ((status = connector_open(path, CONN_WAL_TAIL, conf, err, sizeof err)) != 0 ||
		(status = connector_bind(conf, path, b, sizeof b / sizeof b[0], err, sizeof err)) != 0)
		fatal(status, "%s", err);
	/* Debezium's names when the file names no slot or publication. */
	if (o->slot == NULL)
		o->slot = "debezium";
	if (o->publication == NULL)
		o->publication = "dbz_publication";
	/* plugin.name can only be pgoutput, as connector_open() checked. */
	if (o->conninfo == NULL && connector_conninfo(conf, &f->conninfo))
		o->conninfo = f->conninfo.data;

	/*
	 * A missing publication: Debezium's default mode, all_tables, needs a
	 * superuser; with a table.include.list and no mode we create it for
	 * those tables (filtered), which is what such a setup means.
	 */
	v = connector_get(conf, "publication.autocreate.mode"); /* checked by connector_open() */
	if (o->ntables == 0 && !(v && strcasecmp(v, "disabled") == 0)) {
		const char *list = connector_get(conf, "table.include.list");

		if ((v && strcasecmp(v, "all_tables") == 0) || (v == NULL && list == NULL))
			o->all_tables = true;
		else if (list)
			include_tables(o, list);
	}
}

void
tail_opts_free_connector(struct tail_opts *o)
{
	if (o->file == NULL)
		return;
	free(o->file->tables);
	buf_free(&o->file->conninfo);
	connector_free(&o->file->conf);
	free(o->file);
	o->file = NULL;
}
