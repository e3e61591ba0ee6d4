/*
 * config.c - option values in Debezium's syntax and the connector JSON
 * of -c (the "config" of a Kafka Connect connector).
 */
#include "envelope.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "connector.h"
#include "json.h"

static char *
trim(char *s)
{
	char	   *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	return s;
}

bool
conf_parse_skipped(const char *list, unsigned *mask, char *err, size_t errsize)
{
	char	   *copy = xstrdup(list),
			   *save = NULL,
			   *tok;
	bool		ok = true;

	*mask = 0;
	for (tok = strtok_r(copy, ",", &save); ok && tok; tok = strtok_r(NULL, ",", &save)) {
		tok = trim(tok);
		if (strcmp(tok, "none") == 0 || *tok == '\0')
			continue;
		if (strlen(tok) != 1 || strchr("cudrtm", tok[0]) == NULL) {
			snprintf(err, errsize, "unknown operation \"%s\" (expected c, u, d, r, t, m or none)", tok);
			ok = false;
			break;
		}
		*mask |= 1u << (strchr("cudrtm", tok[0]) - "cudrtm");
	}
	free(copy);
	return ok;
}

/* message.key.columns: "schema.table:c1,c2;schema.table2:c3". */
bool
conf_parse_keycols(struct env_conf *c, const char *spec, char *err, size_t errsize)
{
	char	   *copy = xstrdup(spec),
			   *save = NULL,
			   *entry;
	bool		ok = true;

	for (entry = strtok_r(copy, ";", &save); ok && entry; entry = strtok_r(NULL, ";", &save)) {
		char	   *colon = strrchr(entry, ':'),
				   *save2 = NULL,
				   *col;
		struct keycols *k;

		entry = trim(entry);
		if (*entry == '\0')
			continue;
		colon = strrchr(entry, ':');
		if (colon == NULL || colon == entry || strchr(entry, '.') == NULL) {
			snprintf(err, errsize, "\"%s\" is not schema.table:column[,column...]", entry);
			ok = false;
			break;
		}
		*colon = '\0';
		c->keycols = xrealloc(c->keycols, (size_t) (c->nkeycols + 1) * sizeof *c->keycols);
		k = &c->keycols[c->nkeycols++];
		k->table = xstrdup(trim(entry));
		k->cols = NULL;
		k->ncols = 0;
		for (col = strtok_r(colon + 1, ",", &save2); col; col = strtok_r(NULL, ",", &save2)) {
			col = trim(col);
			if (*col == '\0')
				continue;
			k->cols = xrealloc(k->cols, (size_t) (k->ncols + 1) * sizeof *k->cols);
			k->cols[k->ncols++] = xstrdup(col);
		}
		if (k->ncols == 0) {
			snprintf(err, errsize, "no key columns for \"%s\"", k->table);
			ok = false;
		}
	}
	free(copy);
	return ok;
}

/* table.include.list: comma-separated regular expressions, each matching a whole "schema.table". */
bool
conf_parse_tables(const char *list, regex_t **re, int *n, char *err, size_t errsize)
{
	char	   *copy = xstrdup(list),
			   *save = NULL,
			   *tok;
	bool		ok = true;

	for (tok = strtok_r(copy, ",", &save); ok && tok; tok = strtok_r(NULL, ",", &save)) {
		char	   *anchored;
		int			rc;

		tok = trim(tok);
		if (*tok == '\0')
			continue;
		anchored = xmalloc(strlen(tok) + 5);
		sprintf(anchored, "^(%s)$", tok);
		*re = xrealloc(*re, (size_t) (*n + 1) * sizeof **re);
		rc = regcomp(&(*re)[*n], anchored, REG_EXTENDED | REG_NOSUB);
		free(anchored);
		if (rc != 0) {
			snprintf(err, errsize, "invalid regular expression \"%s\"", tok);
			ok = false;
		} else
			(*n)++;
	}
	free(copy);
	return ok;
}

bool
connector_conf_read(const char *path, struct connector_conf *cc, char *err, size_t errsize)
{
	static const struct {
		const char *key;
		size_t		off;
	}			keys[] = {
		{"topic.prefix", offsetof(struct connector_conf, topic_prefix)},
		{"database.dbname", offsetof(struct connector_conf, dbname)},
		{"table.include.list", offsetof(struct connector_conf, include_list)},
		{"table.exclude.list", offsetof(struct connector_conf, exclude_list)},
		{"message.key.columns", offsetof(struct connector_conf, key_columns)},
		{"skipped.operations", offsetof(struct connector_conf, skipped_operations)},
		{"tombstones.on.delete", offsetof(struct connector_conf, tombstones_on_delete)},
		{"decimal.handling.mode", offsetof(struct connector_conf, decimal_handling_mode)},
		{"time.precision.mode", offsetof(struct connector_conf, time_precision_mode)},
		{"provide.transaction.metadata", offsetof(struct connector_conf, provide_transaction_metadata)},
		{"key.converter.schemas.enable", offsetof(struct connector_conf, key_schemas_enable)},
		{"value.converter.schemas.enable", offsetof(struct connector_conf, value_schemas_enable)},
	};
	struct connector conn;
	size_t		i;

	if (!connector_load(path, &conn, err, errsize))
		return false;
	for (i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		const char *v = connector_get(&conn, keys[i].key);
		char	  **dst = (char **) ((char *) cc + keys[i].off);

		if (v != NULL) {
			free(*dst);
			*dst = xstrdup(v);
		}
	}
	connector_free(&conn);
	return true;
}

void
env_conf_free(struct env_conf *c)
{
	int			i,
				j;

	for (i = 0; i < c->nkeycols; i++) {
		for (j = 0; j < c->keycols[i].ncols; j++)
			free(c->keycols[i].cols[j]);
		free(c->keycols[i].cols);
		free(c->keycols[i].table);
	}
	free(c->keycols);
	for (i = 0; i < c->ninclude; i++)
		regfree(&c->include[i]);
	free(c->include);
	for (i = 0; i < c->nexclude; i++)
		regfree(&c->exclude[i]);
	free(c->exclude);
	c->keycols = NULL;
	c->include = c->exclude = NULL;
	c->nkeycols = c->ninclude = c->nexclude = 0;
}

void
connector_conf_free(struct connector_conf *cc)
{
	char	  **fields[] = {
		&cc->topic_prefix, &cc->dbname, &cc->include_list, &cc->exclude_list,
		&cc->key_columns, &cc->skipped_operations, &cc->tombstones_on_delete,
		&cc->decimal_handling_mode, &cc->time_precision_mode,
		&cc->provide_transaction_metadata, &cc->key_schemas_enable,
		&cc->value_schemas_enable,
	};

	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
		free(*fields[i]);
		*fields[i] = NULL;
	}
}
