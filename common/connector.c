/*
 * connector.c - reading connector JSON files.
 */
#include "connector.h"

#include <errno.h>
#include <fnmatch.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <unistd.h>

#include "buf.h"
#include "json.h"

static bool
read_file(const char *path, struct buf *out, char *errbuf, size_t errsize)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

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
	unsigned line = 1;
	size_t i;

	for (i = 0; i < off; i++)
		line += p[i] == '\n';
	return line;
}

/* The text of a value as a C string; NULL if a string holds \u0000. */
static char *
slice_text(struct json_slice v)
{
	struct buf b = BUF_INIT;

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
	char *key = slice_text(k);
	char *val = slice_text(v);

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

/*
 * connector_load(), returning 0, EX_NOINPUT when the file cannot be opened
 * or read, or EX_CONFIG when what it holds is not a connector file.
 */
static int
load(const char *path, struct connector *c, char *errbuf, size_t errsize)
{
	struct buf text = BUF_INIT;
	int status = EX_CONFIG;
	struct json_err err;
	struct json_slice top = {NULL, 0}, config, k, v;
	struct json_iter it;

	memset(c, 0, sizeof *c);
	if (!read_file(path, &text, errbuf, errsize)) {
		status = EX_NOINPUT;
		goto fail;
	}
	if (!json_validate(text.data ? text.data : "", text.len, &err)) {
		snprintf(errbuf, errsize, "%s: line %u: %s", path, line_of(text.data, err.off), err.msg);
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
		goto fail;
	}
	if (!json_obj_get(top, "config", &config))
		config = top; /* a bare config object */
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
			goto fail;
		}
	}
	buf_free(&text);
	return 0;

fail:
	buf_free(&text);
	connector_free(c);
	return status;
}

bool
connector_load(const char *path, struct connector *c, char *errbuf, size_t errsize)
{
	return load(path, c, errbuf, errsize) == 0;
}

void
connector_free(struct connector *c)
{
	size_t i;

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
	size_t i;

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

/* Appends " key='value'" with libpq's quoting, if value is set. */
static void
put_param(struct buf *out, const char *key, const char *val, size_t n)
{
	size_t i;

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
	const char *p, *hostend, *end;

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
		put_cparam(out, "user",
				   connector_get_any(
					   c, (const char *const[]){"connection.username", "connection.user", NULL}));
		put_cparam(out, "password", connector_get(c, "connection.password"));
	} else {
		put_cparam(out, "host", connector_get(c, "database.hostname"));
		put_cparam(out, "port", connector_get(c, "database.port"));
		put_cparam(out, "user", connector_get(c, "database.user"));
		put_cparam(out, "password", connector_get(c, "database.password"));
		put_cparam(out, "dbname", connector_get(c, "database.dbname"));
		put_cparam(out, "sslmode", connector_get(c, "database.sslmode"));
		put_cparam(out, "sslrootcert", connector_get(c, "database.sslrootcert"));
		put_cparam(out, "sslcert", connector_get(c, "database.sslcert"));
		put_cparam(out, "sslkey", connector_get(c, "database.sslkey"));
		put_cparam(out, "sslpassword", connector_get(c, "database.sslpassword"));
	}
	buf_cstr(out);
	return out->len > 0;
}

const struct connector_key connector_keys[] = {
	/* the connection, slot and publication: pg-wal-tail */
	{"database.hostname", CONN_WAL_TAIL, NULL, "-d"},
	{"database.port", CONN_WAL_TAIL, "#", "-d"},
	{"database.user", CONN_WAL_TAIL, NULL, "-d"},
	{"database.password", CONN_WAL_TAIL, NULL, "-d"},
	{"database.dbname", CONN_WAL_TAIL | CONN_ENVELOPE, NULL, "-d"},
	{"database.sslmode", CONN_WAL_TAIL, "disable|allow|prefer|require|verify-ca|verify-full", "-d"},
	{"database.sslrootcert", CONN_WAL_TAIL, NULL, "-d"},
	{"database.sslcert", CONN_WAL_TAIL, NULL, "-d"},
	{"database.sslkey", CONN_WAL_TAIL, NULL, "-d"},
	{"database.sslpassword", CONN_WAL_TAIL, NULL, "-d"},
	{"slot.drop.on.stop", CONN_WAL_TAIL, "false", NULL},
	{"plugin.name", CONN_WAL_TAIL, "pgoutput", NULL},
	{"slot.name", CONN_WAL_TAIL, NULL, "-S"},
	{"publication.name", CONN_WAL_TAIL, NULL, "-P"},
	{"publication.autocreate.mode", CONN_WAL_TAIL, "disabled|filtered|all_tables", "-t"},
	{"snapshot.mode", CONN_WAL_TAIL, "initial|initial_only|when_needed|never|no_data",
	 "--snapshot"},
	{"heartbeat.interval.ms", CONN_WAL_TAIL, "#", "--heartbeat"},
	{"status.update.interval.ms", CONN_WAL_TAIL, "#", "-s"},
	{"snapshot.fetch.size", CONN_WAL_TAIL, "#", "--fetch-size"},
	{"signal.data.collection", CONN_WAL_TAIL, NULL, "--signal-table"},
	{"incremental.snapshot.chunk.size", CONN_WAL_TAIL, "#", "--chunk-size"},
	/* which changes and columns, and how they look: cdc-envelope */
	{"topic.prefix", CONN_ENVELOPE, NULL, "-p"},
	{"table.include.list", CONN_WAL_TAIL | CONN_ENVELOPE, NULL, NULL},
	{"table.exclude.list", CONN_ENVELOPE, NULL, NULL},
	{"schema.include.list", CONN_ENVELOPE, NULL, NULL},
	{"schema.exclude.list", CONN_ENVELOPE, NULL, NULL},
	{"column.include.list", CONN_ENVELOPE, NULL, NULL},
	{"column.exclude.list", CONN_ENVELOPE, NULL, NULL},
	{"column.mask.with.*.chars", CONN_ENVELOPE, NULL, NULL},
	{"column.mask.hash.*.with.salt.*", CONN_ENVELOPE, NULL, NULL},
	{"column.truncate.to.*.chars", CONN_ENVELOPE, NULL, NULL},
	{"message.key.columns", CONN_WAL_TAIL | CONN_ENVELOPE, NULL, "-k"},
	{"skipped.operations", CONN_ENVELOPE, NULL, "--skipped-operations"},
	{"tombstones.on.delete", CONN_ENVELOPE, "true|false", "--no-tombstones"},
	{"decimal.handling.mode", CONN_ENVELOPE, "precise|double|string", "--decimal"},
	{"time.precision.mode", CONN_ENVELOPE, "adaptive|connect", "--time-precision"},
	{"interval.handling.mode", CONN_ENVELOPE, "numeric|string", NULL},
	{"binary.handling.mode", CONN_ENVELOPE, "bytes|base64|base64-url-safe|hex", NULL},
	{"hstore.handling.mode", CONN_ENVELOPE, "json|map", NULL},
	{"money.fraction.digits", CONN_ENVELOPE, "#", NULL},
	{"include.unknown.datatypes", CONN_ENVELOPE, "false", NULL},
	{"provide.transaction.metadata", CONN_ENVELOPE, "true|false", "--transaction-metadata"},
	{"include.schema.comments", CONN_ENVELOPE, "true|false", "--include-schema-comments"},
	{"key.converter", CONN_ENVELOPE | CONN_APPLY, "org.apache.kafka.connect.json.JsonConverter",
	 NULL},
	{"value.converter", CONN_ENVELOPE | CONN_APPLY, "org.apache.kafka.connect.json.JsonConverter",
	 NULL},
	{"key.converter.schemas.enable", CONN_ENVELOPE | CONN_APPLY, "true|false", "--no-schemas"},
	{"value.converter.schemas.enable", CONN_ENVELOPE | CONN_APPLY, "true|false", "--no-schemas"},
	{"transforms", CONN_ENVELOPE, NULL, "--unwrap"},
	{"transforms.*.type", CONN_ENVELOPE, "io.debezium.transforms.ExtractNewRecordState", NULL},
	{"transforms.*.delete.tombstone.handling.mode", CONN_ENVELOPE, "drop|tombstone|rewrite",
	 "--unwrap-delete"},
	/* the JDBC sink: pg-apply */
	{"connection.url", CONN_APPLY, NULL, "-d"},
	{"connection.username", CONN_APPLY, NULL, "-d"},
	{"connection.user", CONN_APPLY, NULL, "-d"},
	{"connection.password", CONN_APPLY, NULL, "-d"},
	{"table.name.format", CONN_APPLY, NULL, "-t"},
	{"collection.name.format", CONN_APPLY, NULL, "-t"},
	{"insert.mode", CONN_APPLY, "insert|upsert|update", "-m"},
	{"primary.key.mode", CONN_APPLY, "none|record_key|record_value|kafka", "-k"},
	{"primary.key.fields", CONN_APPLY, NULL, "--pk-fields"},
	{"schema.evolution", CONN_APPLY, "none|basic", "--schema-evolution"},
	{"delete.enabled", CONN_APPLY, "true|false", "--delete"},
	{"truncate.enabled", CONN_APPLY, "true|false", "--truncate"},
	{"auto.create", CONN_APPLY, "true|false", "--auto-create"},
	{"batch.size", CONN_APPLY, "#", "-b"},
	{"field.include.list", CONN_APPLY, NULL, NULL},
	{"field.exclude.list", CONN_APPLY, NULL, NULL},
	{"quote.identifiers", CONN_APPLY, "true|false", NULL},
	{"database.time_zone", CONN_APPLY, "UTC|Z|GMT|Etc/UTC", NULL},
	{"dialect.name", CONN_APPLY, NULL, NULL},
	/* Kafka Connect's own settings */
	{"name", CONN_CONNECT, NULL, NULL},
	{"database.server.name", CONN_CONNECT, NULL, NULL}, /* Debezium 1.x: no effect in 2.x */
	{"connector.class", CONN_CONNECT, NULL, NULL},
	{"tasks.max", CONN_CONNECT, NULL, NULL},
	{"topics", CONN_CONNECT, NULL, NULL},
	{"topics.regex", CONN_CONNECT, NULL, NULL},
	{"key.converter.*", CONN_CONNECT, NULL, NULL},
	{"value.converter.*", CONN_CONNECT, NULL, NULL},
	{"header.converter", CONN_CONNECT, NULL, NULL},
	{"config.action.reload", CONN_CONNECT, NULL, NULL},
	{"schema.history.internal.*", CONN_CONNECT, NULL, NULL},
	{"offset.*", CONN_CONNECT, NULL, NULL},
	/* error handling that would drop or divert records is refused */
	{"errors.tolerance", 0, NULL, NULL},
	{"errors.deadletterqueue.*", 0, NULL, NULL},
	{"errors.*", CONN_CONNECT, NULL, NULL},
	{"topic.creation.*", CONN_CONNECT, NULL, NULL},
	{"producer.override.*", CONN_CONNECT, NULL, NULL},
	{"consumer.override.*", CONN_CONNECT, NULL, NULL},
	/* the Java engine's queues: throughput only */
	{"max.batch.size", CONN_CONNECT, NULL, NULL},
	{"max.queue.size", CONN_CONNECT, NULL, NULL},
	{"max.queue.size.in.bytes", CONN_CONNECT, NULL, NULL},
	{"poll.interval.ms", CONN_CONNECT, NULL, NULL},
	/* known and refused: they would change what is written */
	{"column.propagate.source.type", 0, NULL, NULL},
	{"datatype.propagate.source.type", 0, NULL, NULL},
	{"converters", 0, NULL, NULL},
	{"event.processing.failure.handling.mode", 0, NULL, NULL},
	{"message.prefix.include.list", 0, NULL, NULL},
	{"message.prefix.exclude.list", 0, NULL, NULL},
	{"snapshot.select.statement.overrides", 0, NULL, NULL},
	{"transforms.*", 0, NULL, NULL},
	{"predicates", 0, NULL, NULL},
	{NULL, 0, NULL, NULL}};

static const struct connector_key *
key_entry(const char *key)
{
	const struct connector_key *k;

	for (k = connector_keys; k->pattern; k++)
		if (fnmatch(k->pattern, key, 0) == 0)
			return k;
	return NULL;
}

const char *
connector_key_status(const struct connector_key *k, unsigned command)
{
	if (k->by & CONN_CONNECT)
		return "accepted, no effect";
	if (k->by & command)
		return "honoured";
	if ((command & CONN_SOURCE) && (k->by & CONN_WAL_TAIL))
		return "by pg-wal-tail";
	if ((command & CONN_SOURCE) && (k->by & CONN_ENVELOPE))
		return "by cdc-envelope";
	return "refused";
}

void
connector_keys_mdoc(unsigned command, struct buf *out)
{
	const struct connector_key *k;

	buf_puts(out, ".Bl -tag -width Ds -compact\n");
	for (k = connector_keys; k->pattern; k++) {
		const char *st = connector_key_status(k, command);
		bool here = strcmp(st, "refused") != 0 && !(k->by & CONN_CONNECT);
		bool opt = here && k->option && strcmp(st, "honoured") == 0, vals = here && k->values;

		buf_printf(out, ".It Cm %s\n%s%s\n", k->pattern, st, vals && !opt ? ":" : "");
		if (opt)
			buf_printf(out, ".Pq Fl %s%s\n", k->option + 1, vals ? " :" : "");
		if (vals && strcmp(k->values, "#") == 0)
			buf_puts(out, "a number\n");
		else if (vals)
			buf_printf(out, ".Li %s\n", k->values);
	}
	buf_puts(out, ".El\n");
}

/* A value the key can take: k->values, one of them in any case, or "#" a number. */
static bool
value_ok(const struct connector_key *k, const char *v)
{
	const char *p = k->values;
	size_t n = strlen(v);

	if (p == NULL)
		return true;
	if (strcmp(p, "#") == 0)
		return n > 0 && n < 10 && strspn(v, "0123456789") == n;
	while (*p) {
		size_t len = strcspn(p, "|");

		if (len == n && strncasecmp(p, v, n) == 0)
			return true;
		p += len + (p[len] == '|');
	}
	return false;
}

/* Debezium refuses a file that sets both lists of a pair. */
static int
exclusive_lists(const char *path, struct connector *c, char *errbuf, size_t errsize)
{
	static const char *const kinds[] = {"schema", "table", "column"};
	char inc[32], exc[32];

	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		const char *a, *b;

		snprintf(inc, sizeof inc, "%s.include.list", kinds[i]);
		snprintf(exc, sizeof exc, "%s.exclude.list", kinds[i]);
		a = connector_get(c, inc);
		b = connector_get(c, exc);
		if (a && *a && b && *b) {
			snprintf(errbuf, errsize,
					 "%s: connector settings %s and %s: only one of them "
					 "can be set",
					 path, inc, exc);
			connector_free(c);
			return EX_CONFIG;
		}
	}
	return 0;
}

int
connector_open(const char *path, unsigned command, struct connector *c, char *errbuf,
			   size_t errsize)
{
	size_t i;
	int status;

	if ((status = load(path, c, errbuf, errsize)) != 0)
		return status;
	for (i = 0; i < c->n; i++) {
		const struct connector_key *k = key_entry(c->keys[i]);

		if (k == NULL || strcmp(connector_key_status(k, command), "refused") == 0) {
			snprintf(errbuf, errsize, "%s: connector setting \"%s\" is not supported", path,
					 c->keys[i]);
			connector_free(c);
			return EX_CONFIG;
		}
		if (!value_ok(k, c->vals[i])) {
			if (strchr(k->values, '|') == NULL && strcmp(k->values, "#") != 0)
				snprintf(errbuf, errsize,
						 "%s: connector setting %s: \"%s\": only %s is "
						 "supported",
						 path, c->keys[i], c->vals[i], k->values);
			else
				snprintf(errbuf, errsize, "%s: connector setting %s: \"%s\" is not %s", path,
						 c->keys[i], c->vals[i],
						 strcmp(k->values, "#") == 0 ? "a number" : k->values);
			connector_free(c);
			return EX_CONFIG;
		}
	}
	return exclusive_lists(path, c, errbuf, errsize);
}

/* The index of v in choices, in any case; -1 if it is none of them. */
static int
choice_of(const char *const *choices, const char *v)
{
	for (int i = 0; choices[i]; i++)
		if (strcasecmp(v, choices[i]) == 0)
			return i;
	return -1;
}

/* A whole number from min to max; false if v is not one. */
static bool
number_in(const char *v, long long min, long long max, long long *out)
{
	char *end;

	errno = 0;
	*out = strtoll(v, &end, 10);
	return errno == 0 && end != v && *end == '\0' && *out >= min && *out <= max;
}

/*
 * A boolean as Kafka Connect's ConfigDef reads it: true or false in any
 * case.  The only place a connector boolean is parsed.
 */
static bool
parse_bool(const char *v, bool *out, char *errbuf, size_t errsize)
{
	if (strcasecmp(v, "true") == 0)
		*out = true;
	else if (strcasecmp(v, "false") == 0)
		*out = false;
	else {
		snprintf(errbuf, errsize, "\"%s\" is not true or false", v);
		return false;
	}
	return true;
}

/* One setting into *b->dst; false with the reason in why. */
static bool
bind_one(const struct connector_bind *b, const char *v, char *why, size_t whysize)
{
	long long n;
	bool t;
	int i;

	switch (b->kind) {
		case CONN_TEXT:
			if (!b->given)
				*(const char **) b->dst = v;
			return true;
		case CONN_BOOL:
			if (!parse_bool(v, &t, why, whysize))
				return false;
			if (!b->given)
				*(bool *) b->dst = t;
			return true;
		case CONN_CHOICE:
			if ((i = choice_of(b->choices, v)) < 0) {
				snprintf(why, whysize, "\"%s\" is not supported", v);
				return false;
			}
			if (!b->given)
				*(int *) b->dst = b->codes ? b->codes[i] : i;
			return true;
		case CONN_INT:
			if (!number_in(v, b->min, b->max, &n)) {
				snprintf(why, whysize, "\"%s\" is not %d to %d", v, b->min, b->max);
				return false;
			}
			if (!b->given)
				*(int *) b->dst = (int) n;
			return true;
		case CONN_MILLIS:
			if (!number_in(v, 0, 86400000LL, &n)) {
				snprintf(why, whysize, "\"%s\" is not a number of milliseconds", v);
				return false;
			}
			if (!b->given)
				*(int64_t *) b->dst = (int64_t) n * 1000;
			return true;
	}
	snprintf(why, whysize, "unknown kind of setting");
	return false;
}

int
connector_bind(const struct connector *c, const char *path, const struct connector_bind *b,
			   size_t n, char *errbuf, size_t errsize)
{
	char why[256];

	for (size_t i = 0; i < n; i++) {
		const char *v = connector_get(c, b[i].key);

		if (v != NULL && !bind_one(&b[i], v, why, sizeof why)) {
			snprintf(errbuf, errsize, "%s%sconnector setting %s: %s", path ? path : "",
					 path ? ": " : "", b[i].key, why);
			return EX_CONFIG;
		}
	}
	return 0;
}
