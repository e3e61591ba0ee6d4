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
#include <strings.h>
#include <unistd.h>

#include "connector.h"
#include "json.h"

bool
conf_parse_skipped(const char *list, unsigned *mask, char *err, size_t errsize)
{
	char *copy = xstrdup(list), *save = NULL, *tok;
	bool ok = true;

	*mask = 0;
	for (tok = strtok_r(copy, ",", &save); ok && tok; tok = strtok_r(NULL, ",", &save)) {
		tok = str_trim(tok);
		if (strcmp(tok, "none") == 0 || *tok == '\0')
			continue;
		if (strlen(tok) != 1 || strchr("cudrtm", tok[0]) == NULL) {
			snprintf(err, errsize, "unknown operation \"%s\" (expected c, u, d, r, t, m or none)",
					 tok);
			ok = false;
			break;
		}
		*mask |= 1u << (strchr("cudrtm", tok[0]) - "cudrtm");
	}
	free(copy);
	return ok;
}

/*
 * table.include.list and the other filter lists: comma-separated regular
 * expressions, each matching a whole name ("schema.table"), without regard
 * to case, as Debezium's filters match.  POSIX extended expressions, not
 * Java's: no \\d, \\w, (?i) or lazy quantifiers; a comma always separates.
 */
bool
conf_parse_tables(const char *list, regex_t **re, int *n, char *err, size_t errsize)
{
	char *copy = xstrdup(list), *save = NULL, *tok;
	bool ok = true;

	for (tok = strtok_r(copy, ",", &save); ok && tok; tok = strtok_r(NULL, ",", &save)) {
		char *anchored;
		int rc;

		tok = str_trim(tok);
		if (*tok == '\0')
			continue;
		anchored = xmalloc(strlen(tok) + 5);
		sprintf(anchored, "^(%s)$", tok);
		*re = xrealloc(*re, (size_t) (*n + 1) * sizeof **re);
		rc = regcomp(&(*re)[*n], anchored, REG_EXTENDED | REG_NOSUB | REG_ICASE);
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
conf_matches(const char *s, const regex_t *re, int n)
{
	for (int i = 0; i < n; i++)
		if (regexec(&re[i], s, 0, NULL, 0) == 0)
			return true;
	return false;
}

/*
 * One column.mask.* or column.truncate.* key: "column.mask.with.5.chars",
 * "column.mask.hash.SHA-256.with.salt.SALT" (or ".hash.v2.SHA-256..."),
 * "column.truncate.to.20.chars".  False with a message for a malformed
 * key or a hash algorithm other than SHA-256.
 */
static bool
colmap_add(struct env_conf *c, const char *key, const char *list, char *err, size_t errsize)
{
	struct colmap m = {0};
	char msg[256];
	const char *p;
	char *end;
	int n = 0;

	if (sscanf(key, "column.mask.with.%d.chars%n", &m.n, &n) == 1 && key[n] == '\0' && m.n >= 0)
		m.kind = MAP_MASK;
	else if (sscanf(key, "column.truncate.to.%d.chars%n", &m.n, &n) == 1 && key[n] == '\0' &&
			 m.n >= 0)
		m.kind = MAP_TRUNCATE;
	else if (strncmp(key, "column.mask.hash.", 17) == 0) {
		p = key + 17;
		m.kind = MAP_HASH;
		if (strncmp(p, "v2.", 3) == 0 || strncmp(p, "v1.", 3) == 0) {
			m.v2 = p[1] == '2';
			p += 3;
		}
		end = strstr(p, ".with.salt.");
		if (end == NULL) {
			snprintf(err, errsize,
					 "connector setting %s: not column.mask.hash.ALGORITHM.with.salt.SALT", key);
			return false;
		}
		if ((size_t) (end - p) != 7 || strncmp(p, "SHA-256", 7) != 0) {
			snprintf(err, errsize,
					 "connector setting %s: the only hash algorithm supported is SHA-256", key);
			return false;
		}
		m.salt = xstrdup(end + 11);
	} else {
		snprintf(err, errsize, "connector setting %s: not a column mask or truncation setting",
				 key);
		return false;
	}
	if (!conf_parse_tables(list, &m.re, &m.nre, msg, sizeof msg)) {
		snprintf(err, errsize, "connector setting %s: %s", key, msg);
		for (int i = 0; i < m.nre; i++)
			regfree(&m.re[i]);
		free(m.re);
		free(m.salt);
		return false;
	}
	c->colmaps = xrealloc(c->colmaps, (size_t) (c->ncolmaps + 1) * sizeof *c->colmaps);
	c->colmaps[c->ncolmaps++] = m;
	return true;
}

/* A comma-separated regular expression list of the file, if it sets key. */
static bool
regex_key(const struct connector *conn, const char *key, regex_t **re, int *n, char *err,
		  size_t errsize)
{
	const char *v = connector_get(conn, key);
	char msg[256];

	if (v == NULL || conf_parse_tables(v, re, n, msg, sizeof msg))
		return true;
	snprintf(err, errsize, "connector setting %s: %s", key, msg);
	return false;
}

/* transforms: one io.debezium.transforms.ExtractNewRecordState, as --unwrap. */
static bool
transforms_key(struct env_conf *c, const struct connector *conn, int *unwrap_delete, char *err,
			   size_t errsize)
{
	static const char *const deletes[] = {"drop", "tombstone", "rewrite", NULL};
	const char *names = connector_get(conn, "transforms");
	char key[256];
	const char *v;

	if (names == NULL || *names == '\0')
		return true;
	if (strchr(names, ',') != NULL || strlen(names) > 200) {
		snprintf(err, errsize,
				 "connector setting transforms: \"%s\": only one transform, "
				 "io.debezium.transforms.ExtractNewRecordState, is supported",
				 names);
		return false;
	}
	snprintf(key, sizeof key, "transforms.%s.type", names);
	v = connector_get(conn, key);
	if (v == NULL || strcmp(v, "io.debezium.transforms.ExtractNewRecordState") != 0) {
		snprintf(err, errsize,
				 "connector setting %s: \"%s\": only "
				 "io.debezium.transforms.ExtractNewRecordState is supported",
				 key, v ? v : "");
		return false;
	}
	for (size_t i = 0; i < conn->n; i++)
		if (strncmp(conn->keys[i], "transforms.", 11) == 0 &&
			(strncmp(conn->keys[i] + 11, names, strlen(names)) != 0 ||
			 conn->keys[i][11 + strlen(names)] != '.')) {
			snprintf(err, errsize, "connector setting %s: no such transform in transforms",
					 conn->keys[i]);
			return false;
		}
	c->unwrap = true;
	snprintf(key, sizeof key, "transforms.%s.delete.tombstone.handling.mode", names);
	{
		struct connector_bind b = CONN_BIND_CHOICE(key, unwrap_delete, false, deletes, NULL);

		return connector_bind(conn, NULL, &b, 1, err, errsize) == 0;
	}
}

bool
conf_from_connector(struct env_conf *c, const struct connector *conn, int *unwrap_delete, char *err,
					size_t errsize)
{
	size_t i;

	if (!regex_key(conn, "table.include.list", &c->include, &c->ninclude, err, errsize) ||
		!regex_key(conn, "table.exclude.list", &c->exclude, &c->nexclude, err, errsize) ||
		!regex_key(conn, "schema.include.list", &c->schema_include, &c->nschema_include, err,
				   errsize) ||
		!regex_key(conn, "schema.exclude.list", &c->schema_exclude, &c->nschema_exclude, err,
				   errsize) ||
		!regex_key(conn, "column.include.list", &c->col_include, &c->ncol_include, err, errsize) ||
		!regex_key(conn, "column.exclude.list", &c->col_exclude, &c->ncol_exclude, err, errsize))
		return false;
	for (i = 0; i < conn->n; i++)
		if ((strncmp(conn->keys[i], "column.mask.", 12) == 0 ||
			 strncmp(conn->keys[i], "column.truncate.", 16) == 0) &&
			!colmap_add(c, conn->keys[i], conn->vals[i], err, errsize))
			return false;
	return transforms_key(c, conn, unwrap_delete, err, errsize);
}

static void
colmap_free(struct env_conf *c)
{
	for (int i = 0; i < c->ncolmaps; i++) {
		for (int j = 0; j < c->colmaps[i].nre; j++)
			regfree(&c->colmaps[i].re[j]);
		free(c->colmaps[i].re);
		free(c->colmaps[i].salt);
	}
	free(c->colmaps);
	c->colmaps = NULL;
	c->ncolmaps = 0;
}

static void
free_regexes(regex_t **re, int *n)
{
	for (int i = 0; i < *n; i++)
		regfree(&(*re)[i]);
	free(*re);
	*re = NULL;
	*n = 0;
}

void
env_conf_free(struct env_conf *c)
{
	keycols_free(&c->keycols);
	free_regexes(&c->include, &c->ninclude);
	free_regexes(&c->exclude, &c->nexclude);
	free_regexes(&c->schema_include, &c->nschema_include);
	free_regexes(&c->schema_exclude, &c->nschema_exclude);
	free_regexes(&c->col_include, &c->ncol_include);
	free_regexes(&c->col_exclude, &c->ncol_exclude);
	colmap_free(c);
}
