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

static bool
read_file(const char *path, struct buf *b, char *err, size_t errsize)
{
	int			fd = open(path, O_RDONLY);
	char		chunk[8192];
	ssize_t		got;

	if (fd < 0) {
		snprintf(err, errsize, "could not open \"%s\": %s", path, strerror(errno));
		return false;
	}
	while ((got = read(fd, chunk, sizeof chunk)) != 0) {
		if (got < 0) {
			if (errno == EINTR)
				continue;
			snprintf(err, errsize, "could not read \"%s\": %s", path, strerror(errno));
			close(fd);
			return false;
		}
		buf_put(b, chunk, (size_t) got);
	}
	close(fd);
	return true;
}

/* A setting's value as a string: JSON strings decoded, other values as written. */
static char *
setting(struct json_slice v)
{
	struct buf	b = BUF_INIT;
	char	   *s;

	if (json_type_of(v) == JSON_STRING)
		json_str_decode(v, &b);
	else
		buf_put(&b, v.p, v.n);
	s = xstrndup(b.data ? b.data : "", b.len);
	buf_free(&b);
	return s;
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
	struct buf	b = BUF_INIT;
	struct json_err jerr = {0};
	struct json_slice all,
				cfg,
				k,
				v;
	struct json_iter it;
	const char *p;

	if (!read_file(path, &b, err, errsize))
		return false;
	if (!json_validate(b.data ? b.data : "", b.len, &jerr)) {
		snprintf(err, errsize, "\"%s\": byte %zu: %s", path, jerr.off + 1, jerr.msg);
		buf_free(&b);
		return false;
	}
	p = b.data;
	while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
		p++;
	all.p = p;
	all.n = b.len - (size_t) (p - b.data);
	while (all.n > 0 && strchr(" \n\t\r", all.p[all.n - 1]))
		all.n--;
	if (json_type_of(all) != JSON_OBJECT) {
		snprintf(err, errsize, "\"%s\" is not a JSON object", path);
		buf_free(&b);
		return false;
	}
	if (!json_obj_get(all, "config", &cfg) || json_type_of(cfg) != JSON_OBJECT)
		cfg = all;
	json_iter_init(&it, cfg);
	while (json_obj_next(&it, &k, &v))
		for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
			if (json_str_eq(k, keys[i].key)) {
				char	  **dst = (char **) ((char *) cc + keys[i].off);

				free(*dst);
				*dst = setting(v);
			}
	buf_free(&b);
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
