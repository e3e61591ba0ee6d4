/*
 * connector.c - reading connector JSON files.
 */
#include "connector.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "buf.h"
#include "json.h"

static bool
read_file(const char *path, struct buf *out, char *errbuf, size_t errsize)
{
	int			fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		snprintf(errbuf, errsize, "could not open \"%s\": %s", path, strerror(errno));
		return false;
	}
	if (!buf_read_fd(out, fd)) {
		snprintf(errbuf, errsize, "could not read \"%s\": %s", path, strerror(errno));
		close(fd);
		return false;
	}
	close(fd);
	return true;
}

/* Line number of byte offset off, for error messages. */
static unsigned
line_of(const char *p, size_t off)
{
	unsigned	line = 1;
	size_t		i;

	for (i = 0; i < off; i++)
		line += p[i] == '\n';
	return line;
}

/* The text of a value as a C string; NULL if a string holds \u0000. */
static char *
slice_text(struct json_slice v)
{
	struct buf	b = BUF_INIT;

	if (json_type_of(v) != JSON_STRING)
		buf_put(&b, v.p, v.n);
	else if (!json_str_decode_text(v, &b)) {
		buf_free(&b);
		return NULL;
	}
	buf_cstr(&b);
	return b.data;
}

/* false if the key or the value holds \u0000, which a setting cannot. */
static bool
add_setting(struct connector *c, struct json_slice k, struct json_slice v)
{
	char	   *key = slice_text(k);
	char	   *val = slice_text(v);

	if (key == NULL || val == NULL) {
		free(key);
		free(val);
		return false;
	}
	c->keys = xrealloc(c->keys, (c->n + 1) * sizeof *c->keys);
	c->vals = xrealloc(c->vals, (c->n + 1) * sizeof *c->vals);
	c->keys[c->n] = key;
	c->vals[c->n] = val;
	c->n++;
	return true;
}

bool
connector_load(const char *path, struct connector *c, char *errbuf, size_t errsize)
{
	struct buf	text = BUF_INIT;
	struct json_err err;
	struct json_slice top = {NULL, 0},
				config,
				k,
				v;
	struct json_iter it;

	memset(c, 0, sizeof *c);
	if (!read_file(path, &text, errbuf, errsize))
		goto fail;
	if (!json_validate(text.data ? text.data : "", text.len, &err)) {
		snprintf(errbuf, errsize, "%s: line %u: %s", path,
				 line_of(text.data, err.off), err.msg);
		goto fail;
	}
	json_scan(text.data, text.data, text.data + text.len, &top, NULL);
	if (json_type_of(top) != JSON_OBJECT) {
		snprintf(errbuf, errsize, "%s: expected a JSON object", path);
		goto fail;
	}
	if (json_obj_get(top, "name", &v) && json_type_of(v) == JSON_STRING &&
		(c->name = slice_text(v)) == NULL) {
		snprintf(errbuf, errsize, "%s: \"name\" holds \\u0000", path);
		errno = EINVAL;
		goto fail;
	}
	if (!json_obj_get(top, "config", &config))
		config = top;			/* a bare config object */
	if (json_type_of(config) != JSON_OBJECT) {
		snprintf(errbuf, errsize, "%s: \"config\" must be an object", path);
		goto fail;
	}
	json_iter_init(&it, config);
	while (json_obj_next(&it, &k, &v)) {
		if (json_type_of(v) != JSON_OBJECT && json_type_of(v) != JSON_ARRAY &&
			!add_setting(c, k, v)) {
			snprintf(errbuf, errsize, "%s: setting %.*s holds \\u0000", path,
					 (int) (k.n > 80 ? 80 : k.n), k.p);
			errno = EINVAL;		/* the file was read: its content is wrong */
			goto fail;
		}
	}
	buf_free(&text);
	return true;

fail:
	buf_free(&text);
	connector_free(c);
	return false;
}

void
connector_free(struct connector *c)
{
	size_t		i;

	for (i = 0; i < c->n; i++) {
		free(c->keys[i]);
		free(c->vals[i]);
	}
	free(c->keys);
	free(c->vals);
	free(c->name);
	memset(c, 0, sizeof *c);
}

const char *
connector_get(const struct connector *c, const char *key)
{
	size_t		i;

	/* The last one wins, as in a properties file. */
	for (i = c->n; i > 0; i--)
		if (strcmp(c->keys[i - 1], key) == 0)
			return c->vals[i - 1];
	return NULL;
}

const char *
connector_get_any(const struct connector *c, const char *const *keys)
{
	const char *v;

	for (; *keys; keys++)
		if ((v = connector_get(c, *keys)) != NULL)
			return v;
	return NULL;
}

bool
connector_get_bool(const struct connector *c, const char *key, bool *out)
{
	const char *v = connector_get(c, key);

	if (v == NULL)
		return true;
	if (strcasecmp(v, "true") == 0)
		*out = true;
	else if (strcasecmp(v, "false") == 0)
		*out = false;
	else
		return false;
	return true;
}

/* Appends " key='value'" with libpq's quoting, if value is set. */
static void
put_param(struct buf *out, const char *key, const char *val, size_t n)
{
	size_t		i;

	if (val == NULL)
		return;
	if (out->len > 0)
		buf_putc(out, ' ');
	buf_printf(out, "%s='", key);
	for (i = 0; i < n; i++) {
		if (val[i] == '\'' || val[i] == '\\')
			buf_putc(out, '\\');
		buf_putc(out, val[i]);
	}
	buf_putc(out, '\'');
}

static void
put_cparam(struct buf *out, const char *key, const char *val)
{
	if (val)
		put_param(out, key, val, strlen(val));
}

/* jdbc:postgresql://host[:port][/db][?...] into host, port and dbname. */
static bool
put_jdbc_url(struct buf *out, const char *url)
{
	static const char prefix[] = "jdbc:postgresql://";
	const char *p,
			   *hostend,
			   *end;

	if (strncmp(url, prefix, sizeof prefix - 1) != 0)
		return false;
	p = url + sizeof prefix - 1;
	end = p + strcspn(p, "?");
	hostend = p + strcspn(p, ":/?");
	put_param(out, "host", p, (size_t) (hostend - p));
	if (*hostend == ':') {
		const char *portend = hostend + 1 + strcspn(hostend + 1, "/?");

		put_param(out, "port", hostend + 1, (size_t) (portend - hostend - 1));
		hostend = portend;
	}
	if (*hostend == '/' && hostend + 1 < end)
		put_param(out, "dbname", hostend + 1, (size_t) (end - hostend - 1));
	return true;
}

bool
connector_conninfo(const struct connector *c, struct buf *out)
{
	const char *url = connector_get(c, "connection.url");

	buf_reset(out);
	if (url != NULL) {
		if (!put_jdbc_url(out, url))
			return false;
		put_cparam(out, "user", connector_get_any(c, (const char *const[]) {
			"connection.username", "connection.user", NULL}));
		put_cparam(out, "password", connector_get(c, "connection.password"));
	} else {
		put_cparam(out, "host", connector_get(c, "database.hostname"));
		put_cparam(out, "port", connector_get(c, "database.port"));
		put_cparam(out, "user", connector_get(c, "database.user"));
		put_cparam(out, "password", connector_get(c, "database.password"));
		put_cparam(out, "dbname", connector_get(c, "database.dbname"));
	}
	buf_cstr(out);
	return out->len > 0;
}
