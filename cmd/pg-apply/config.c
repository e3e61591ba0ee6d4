/*
 * config.c - a Debezium JDBC sink connector configuration (the JSON that
 * was POSTed to Kafka Connect) read into pg-apply's settings.
 */
#include "pgapply.h"
#include "connector.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>

static int
choice(const char *v, const char *const *list)
{
	int			i;

	for (i = 0; list[i]; i++)
		if (strcasecmp(v, list[i]) == 0)
			return i;
	return -1;
}

/*
 * Applies one setting unless the command line gave it (mask).  Values are
 * those connector_open() lets through; database.time_zone needs nothing:
 * its only value, UTC, is the zone pg-apply converts times in.
 */
static bool
apply_key(struct settings *s, const char *key, const char *v, char *errbuf, size_t errsize)
{
	static const char *const insert_modes[] = {"insert", "upsert", "update", NULL};
	static const char *const pk_modes[] = {"none", "record_key", "record_value", "kafka", NULL};
	static const char *const evolutions[] = {"none", "basic", NULL};
	int			i;

	if (strcmp(key, "table.name.format") == 0 || strcmp(key, "collection.name.format") == 0) {
		if (!(s->set_mask & SET_TABLE_FORMAT)) {
			free(s->table_format);
			s->table_format = xstrdup(v);
		}
	} else if (strcmp(key, "insert.mode") == 0) {
		if ((i = choice(v, insert_modes)) < 0)
			goto bad;
		if (!(s->set_mask & SET_INSERT_MODE))
			s->insert_mode = (enum insert_mode) i;
	} else if (strcmp(key, "primary.key.mode") == 0) {
		if ((i = choice(v, pk_modes)) < 0)
			goto bad;
		if (!(s->set_mask & SET_PK_MODE))
			s->pk_mode = (enum pk_mode) i;
	} else if (strcmp(key, "primary.key.fields") == 0) {
		if (!(s->set_mask & SET_PK_FIELDS)) {
			free(s->pk_fields);
			s->pk_fields = *v ? xstrdup(v) : NULL;
		}
	} else if (strcmp(key, "schema.evolution") == 0) {
		if ((i = choice(v, evolutions)) < 0)
			goto bad;
		if (!(s->set_mask & SET_EVOLUTION))
			s->evolution = i == 1;
	} else if (strcmp(key, "delete.enabled") == 0) {
		bool		b;

		if (!connector_bool(key, v, &b, errbuf, errsize))
			return false;
		if (!(s->set_mask & SET_DELETE))
			s->delete_enabled = b;
	} else if (strcmp(key, "truncate.enabled") == 0) {
		bool		b;

		if (!connector_bool(key, v, &b, errbuf, errsize))
			return false;
		if (!(s->set_mask & SET_TRUNCATE))
			s->truncate_enabled = b;
	} else if (strcmp(key, "auto.create") == 0) {
		bool		b;

		if (!connector_bool(key, v, &b, errbuf, errsize))
			return false;
		if (!(s->set_mask & SET_AUTO_CREATE))
			s->auto_create = b;
	} else if (strcmp(key, "field.include.list") == 0 || strcmp(key, "field.exclude.list") == 0) {
		/* Plain field names; the topicName:fieldName form is not supported. */
		if (strchr(v, ':')) {
			snprintf(errbuf, errsize, "\"%s\": only plain field names are supported, "
					 "not topic:field (\"%s\")", key, v);
			return false;
		}
		char	  **dst = strcmp(key, "field.include.list") == 0 ?
			&s->field_include : &s->field_exclude;

		free(*dst);
		*dst = xstrdup(v);
	} else if (strcmp(key, "quote.identifiers") == 0) {
		bool		b;

		if (!connector_bool(key, v, &b, errbuf, errsize))
			return false;
		quote_set_fold(!b);
	} else if (strcmp(key, "dialect.name") == 0) {
		if (strstr(v, "PostgreSQL") == NULL) {
			snprintf(errbuf, errsize, "\"%s\": \"%s\" is not supported (pg-apply writes "
					 "to PostgreSQL)", key, v);
			return false;
		}
	} else if (strcmp(key, "batch.size") == 0) {
		char	   *end;
		long		n = strtol(v, &end, 10);

		if (end == v || *end || n < 1 || n > 1000000)
			goto bad;
		if (!(s->set_mask & SET_BATCH_SIZE))
			s->batch_size = n;
	}
	return true;
bad:
	snprintf(errbuf, errsize, "bad value \"%s\" for \"%s\"", v, key);
	return false;
}

bool
config_load(const char *path, struct settings *s, int *status, char *errbuf, size_t errsize)
{
	static const char *const keys[] = {
		"table.name.format", "collection.name.format", "insert.mode",
		"primary.key.mode", "primary.key.fields", "schema.evolution",
		"delete.enabled", "truncate.enabled", "auto.create", "batch.size",
		"field.include.list", "field.exclude.list", "quote.identifiers", "dialect.name", NULL
	};
	struct connector conn;
	struct buf	ci = BUF_INIT;
	bool		ok = true;
	int			i;

	if ((*status = connector_open(path, CONN_APPLY, &conn, errbuf, errsize)) != 0)
		return false;
	*status = EX_CONFIG;
	for (i = 0; ok && keys[i]; i++) {
		const char *v = connector_get(&conn, keys[i]);

		ok = v == NULL || apply_key(s, keys[i], v, errbuf, errsize);
	}
	if (ok && connector_get(&conn, "connection.url")) {
		if (connector_conninfo(&conn, &ci)) {
			free(s->conninfo);
			s->conninfo = xstrdup(buf_cstr(&ci));
		} else {
			snprintf(errbuf, errsize, "%s: connection.url \"%s\" is not "
					 "jdbc:postgresql://HOST[:PORT]/DB", path, connector_get(&conn, "connection.url"));
			ok = false;
		}
	}
	buf_free(&ci);
	connector_free(&conn);
	return ok;
}
