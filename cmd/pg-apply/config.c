/*
 * config.c - a Debezium JDBC sink connector configuration (the JSON that
 * was POSTed to Kafka Connect) read into pg-apply's settings.
 */
#include "pgapply.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bool
read_file(const char *path, struct buf *out, char *errbuf, size_t errsize)
{
	int			fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		snprintf(errbuf, errsize, "could not open \"%s\": %s", path, strerror(errno));
		return false;
	}
	for (;;) {
		ssize_t		got;

		buf_reserve(out, 4096);
		got = read(fd, out->data + out->len, out->cap - out->len - 1);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			snprintf(errbuf, errsize, "could not read \"%s\": %s", path, strerror(errno));
			close(fd);
			return false;
		}
		if (got == 0)
			break;
		out->len += (size_t) got;
	}
	close(fd);
	return true;
}

/* The value of a config key as a C string (strings, numbers, booleans). */
static char *
get_text(struct json_slice cfg, const char *key)
{
	struct json_slice v;
	struct buf	b = BUF_INIT;

	if (!json_obj_get(cfg, key, &v) || json_is_null(v))
		return NULL;
	if (json_type_of(v) == JSON_STRING)
		json_str_decode(v, &b);
	else
		buf_put(&b, v.p, v.n);
	buf_cstr(&b);
	return b.data;
}

static bool
bool_value(const char *key, const char *v, bool *out, char *errbuf, size_t errsize)
{
	if (strcmp(v, "true") == 0)
		*out = true;
	else if (strcmp(v, "false") == 0)
		*out = false;
	else {
		snprintf(errbuf, errsize, "\"%s\" must be true or false, not \"%s\"", key, v);
		return false;
	}
	return true;
}

static int
choice(const char *v, const char *const *list)
{
	int			i;

	for (i = 0; list[i]; i++)
		if (strcmp(v, list[i]) == 0)
			return i;
	return -1;
}

/* Applies one setting unless the command line gave it (mask). */
static bool
apply_key(struct settings *s, const char *key, const char *v, char *errbuf, size_t errsize)
{
	static const char *const insert_modes[] = {"insert", "upsert", "update", NULL};
	static const char *const pk_modes[] = {"none", "record_key", "record_value", NULL};
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

		if (!bool_value(key, v, &b, errbuf, errsize))
			return false;
		if (!(s->set_mask & SET_DELETE))
			s->delete_enabled = b;
	} else if (strcmp(key, "truncate.enabled") == 0) {
		bool		b;

		if (!bool_value(key, v, &b, errbuf, errsize))
			return false;
		if (!(s->set_mask & SET_TRUNCATE))
			s->truncate_enabled = b;
	} else if (strcmp(key, "auto.create") == 0) {
		bool		b;

		if (!bool_value(key, v, &b, errbuf, errsize))
			return false;
		if (!(s->set_mask & SET_AUTO_CREATE))
			s->auto_create = b;
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
config_load(const char *path, struct settings *s, char *errbuf, size_t errsize)
{
	static const char *const keys[] = {
		"table.name.format", "collection.name.format", "insert.mode",
		"primary.key.mode", "primary.key.fields", "schema.evolution",
		"delete.enabled", "truncate.enabled", "auto.create", "batch.size", NULL
	};
	struct buf	text = BUF_INIT;
	struct json_slice top,
				cfg;
	struct json_err err;
	char	   *url = NULL,
			   *user = NULL,
			   *pass = NULL;
	bool		ok = false;
	int			i;

	if (!read_file(path, &text, errbuf, errsize))
		goto done;
	if (!json_validate(text.data, text.len, &err)) {
		snprintf(errbuf, errsize, "\"%s\": byte %zu: %s", path, err.off, err.msg);
		goto done;
	}
	json_scan(text.data, text.data, text.data + text.len, &top, NULL);
	if (json_type_of(top) != JSON_OBJECT) {
		snprintf(errbuf, errsize, "\"%s\": not a JSON object", path);
		goto done;
	}
	if (!json_obj_get(top, "config", &cfg))
		cfg = top;
	if (json_type_of(cfg) != JSON_OBJECT) {
		snprintf(errbuf, errsize, "\"%s\": \"config\" is not an object", path);
		goto done;
	}
	for (i = 0; keys[i]; i++) {
		char	   *v = get_text(cfg, keys[i]);
		bool		applied = v == NULL || apply_key(s, keys[i], v, errbuf, errsize);

		free(v);
		if (!applied)
			goto done;
	}
	url = get_text(cfg, "connection.url");
	user = get_text(cfg, "connection.username");
	if (user == NULL)
		user = get_text(cfg, "connection.user");
	pass = get_text(cfg, "connection.password");
	if (url) {
		free(s->conninfo);
		if ((s->conninfo = jdbc_to_conninfo(url, user, pass, errbuf, errsize)) == NULL)
			goto done;
	}
	ok = true;
done:
	free(url);
	free(user);
	free(pass);
	buf_free(&text);
	return ok;
}

/* Appends key='value' with libpq's quoting. */
static void
put_kv(struct buf *b, const char *key, const char *v, size_t n)
{
	size_t		i;

	if (b->len)
		buf_putc(b, ' ');
	buf_printf(b, "%s='", key);
	for (i = 0; i < n; i++) {
		if (v[i] == '\'' || v[i] == '\\')
			buf_putc(b, '\\');
		buf_putc(b, v[i]);
	}
	buf_putc(b, '\'');
}

char *
jdbc_to_conninfo(const char *url, const char *user, const char *password,
				 char *errbuf, size_t errsize)
{
	static const char prefix[] = "jdbc:postgresql://";
	const char *p = url + sizeof prefix - 1;
	const char *hostend,
			   *slash,
			   *q,
			   *colon;
	struct buf	b = BUF_INIT;

	if (strncmp(url, prefix, sizeof prefix - 1) != 0) {
		snprintf(errbuf, errsize, "connection.url \"%s\" is not jdbc:postgresql://HOST[:PORT]/DB", url);
		return NULL;
	}
	slash = strchr(p, '/');
	q = strchr(p, '?');
	hostend = slash ? slash : q ? q : p + strlen(p);
	colon = memchr(p, ':', (size_t) (hostend - p));
	if (hostend > p)
		put_kv(&b, "host", p, (size_t) ((colon ? colon : hostend) - p));
	if (colon && colon + 1 < hostend)
		put_kv(&b, "port", colon + 1, (size_t) (hostend - colon - 1));
	if (slash) {
		const char *dbend = q && q > slash ? q : slash + strlen(slash);

		if (dbend > slash + 1)
			put_kv(&b, "dbname", slash + 1, (size_t) (dbend - slash - 1));
	}
	if (user && *user)
		put_kv(&b, "user", user, strlen(user));
	if (password && *password)
		put_kv(&b, "password", password, strlen(password));
	buf_cstr(&b);
	return b.data;
}
