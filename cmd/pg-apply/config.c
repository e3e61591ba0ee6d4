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

/* *dst becomes a copy of v, if the file set it (v not NULL). */
static void
take(char **dst, const char *v)
{
	if (v == NULL)
		return;
	free(*dst);
	*dst = *v ? xstrdup(v) : NULL;
}

/*
 * The settings that need more than connector_bind(): field lists are plain
 * names (the topicName:fieldName form is not supported), the dialect is
 * PostgreSQL's, the URL is one libpq can use.  database.time_zone needs
 * nothing: its only value, UTC, is the zone pg-apply converts times in.
 */
static bool
check_rest(const char *path, const struct connector *conn, struct settings *s, char *errbuf,
		   size_t errsize)
{
	static const char *const lists[] = {"field.include.list", "field.exclude.list"};
	const char *v;
	struct buf ci = BUF_INIT;

	for (size_t i = 0; i < 2; i++)
		if ((v = connector_get(conn, lists[i])) != NULL && strchr(v, ':')) {
			snprintf(errbuf, errsize,
					 "%s: connector setting %s: \"%s\": only plain field "
					 "names are supported, not topic:field",
					 path, lists[i], v);
			return false;
		}
	if ((v = connector_get(conn, "dialect.name")) != NULL && strstr(v, "PostgreSQL") == NULL) {
		snprintf(errbuf, errsize,
				 "%s: connector setting dialect.name: \"%s\" is not "
				 "supported (pg-apply writes to PostgreSQL)",
				 path, v);
		return false;
	}
	if ((v = connector_get(conn, "connection.url")) == NULL)
		return true;
	if (!connector_conninfo(conn, &ci)) {
		snprintf(errbuf, errsize,
				 "%s: connection.url \"%s\" is not "
				 "jdbc:postgresql://HOST[:PORT]/DB",
				 path, v);
		return false;
	}
	free(s->conninfo);
	s->conninfo = xstrdup(buf_cstr(&ci));
	buf_free(&ci);
	return true;
}

bool
config_load(const char *path, struct settings *s, int *status, char *errbuf, size_t errsize)
{
	static const char *const insert_modes[] = {"insert", "upsert", "update", NULL};
	static const char *const pk_modes[] = {"none", "record_key", "record_value", "kafka", NULL};
	static const char *const evolutions[] = {"none", "basic", NULL};
	unsigned m = s->set_mask;
	const char *table_format = NULL, *pk_fields = NULL, *include = NULL, *exclude = NULL;
	int evolution = s->evolution, batch_size = (int) s->batch_size;
	bool quote = true;
	struct connector conn;
	struct connector_bind b[] = {
		CONN_BIND_TEXT("table.name.format", &table_format, m & SET_TABLE_FORMAT),
		CONN_BIND_TEXT("collection.name.format", &table_format, m & SET_TABLE_FORMAT),
		CONN_BIND_CHOICE("insert.mode", &s->insert_mode, m & SET_INSERT_MODE, insert_modes, NULL),
		CONN_BIND_CHOICE("primary.key.mode", &s->pk_mode, m & SET_PK_MODE, pk_modes, NULL),
		CONN_BIND_TEXT("primary.key.fields", &pk_fields, m & SET_PK_FIELDS),
		CONN_BIND_CHOICE("schema.evolution", &evolution, m & SET_EVOLUTION, evolutions, NULL),
		CONN_BIND_BOOL("delete.enabled", &s->delete_enabled, m & SET_DELETE),
		CONN_BIND_BOOL("truncate.enabled", &s->truncate_enabled, m & SET_TRUNCATE),
		CONN_BIND_BOOL("auto.create", &s->auto_create, m & SET_AUTO_CREATE),
		CONN_BIND_INT("batch.size", &batch_size, m & SET_BATCH_SIZE, 1, 1000000),
		CONN_BIND_TEXT("field.include.list", &include, false),
		CONN_BIND_TEXT("field.exclude.list", &exclude, false),
		CONN_BIND_BOOL("quote.identifiers", &quote, false),
	};
	bool ok = false;

	/* connector_open() leaves conn empty when it fails: freeing it is safe. */
	if ((*status = connector_open(path, CONN_APPLY, &conn, errbuf, errsize)) == 0 &&
		(*status = connector_bind(&conn, path, b, sizeof b / sizeof b[0], errbuf, errsize)) == 0 &&
		!(ok = check_rest(path, &conn, s, errbuf, errsize)))
		*status = EX_CONFIG;
	if (ok) {
		take(&s->table_format, table_format);
		take(&s->pk_fields, pk_fields);
		take(&s->field_include, include);
		take(&s->field_exclude, exclude);
		s->evolution = evolution == 1;
		s->batch_size = batch_size;
		if (connector_get(&conn, "quote.identifiers"))
			quote_set_fold(!quote);
	}
	connector_free(&conn);
	return ok;
}
