/*
 * signals.c - Debezium's signals: execute-snapshot, stop-snapshot,
 * pause-snapshot, resume-snapshot and log, from a signal table (rows
 * inserted into it arrive in the stream, which must carry the table) or
 * from a signal file (a file or FIFO, one JSON signal per line:
 * {"id":...,"type":...,"data":{...}}), which needs no write access to the
 * database.  Data collections, as Debezium's, are names or regular
 * expressions matched against the whole "schema.table" of the
 * publication's tables (of the snapshots queued, for stop-snapshot).  A regular file is emptied once its lines are read, as
 * Debezium's file channel does; a FIFO is read as its writers write.
 *
 * A signal that cannot be carried out is reported and ignored: it never
 * stops the stream.
 */
#include "signals.h"
#include "incremental.h"
#include "tail.h"

#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "clock.h"
#include "json.h"
#include "log.h"
#include "sqlident.h"

#define POLL_US 200000
#define MAX_LINE (1 << 20) /* longer signal lines are dropped */

struct signals {
	int fd;
	bool fifo;
	struct buf in;	   /* complete lines, then the start of one */
	size_t line_start; /* where that one starts in in */
	bool skipping;	   /* in a line too long, until its newline */
	bool ended;		   /* the last byte read was a newline */
	int dropped;	   /* lines too long since the last report */
	int64_t last_poll_us;
};

/* The string member name of obj, decoded into out; false if absent or not a string. */
static bool
get_str(struct json_slice obj, const char *name, struct buf *out)
{
	struct json_slice v;

	buf_reset(out);
	if (!json_obj_get(obj, name, &v) || json_type_of(v) != JSON_STRING ||
		!json_str_decode_text(v, out))
		return false;
	buf_cstr(out);
	return true;
}

/*
 * A data collection of a signal: a name ("schema.table") or a regular
 * expression that matches whole names, as Debezium's Pattern.matches()
 * (POSIX extended syntax here, case-sensitive like Debezium's).
 */
struct collection {
	const char *text;
	regex_t re;
	bool compiled;
};

static void
collection_init(struct collection *c, const char *text)
{
	c->text = text;
	/* Not wrapped in ^(...)$, which would renumber its back-references. */
	c->compiled = regcomp(&c->re, text, REG_EXTENDED) == 0;
}

static void
collection_free(struct collection *c)
{
	if (c->compiled)
		regfree(&c->re);
	c->compiled = false;
}

/*
 * Whether table (schema.table) is the collection's, by name or by its
 * expression matching the whole name: the leftmost match, which POSIX
 * makes the longest at its start, spans it.
 */
static bool
collection_has(const struct collection *c, const char *table)
{
	regmatch_t m;

	return strcmp(c->text, table) == 0 ||
		(c->compiled && regexec(&c->re, table, 1, &m, 0) == 0 && m.rm_so == 0 &&
		 (size_t) m.rm_eo == strlen(table));
}

static bool
collection_match(const char *table, const void *arg)
{
	return collection_has(arg, table);
}

/* Whether text, taken as an expression, can only match itself (dots aside). */
static bool
plain_name(const char *text)
{
	return strpbrk(text, "*+?[](){}|^$\\") == NULL;
}

/* The filter of additional-conditions for table, decoded into out; false if none. */
static bool
condition_for(struct json_slice data, const char *table, struct buf *out)
{
	struct json_slice conds, c;
	struct json_iter it;
	struct buf name = BUF_INIT, full = BUF_INIT;
	bool found = false;

	if (!json_obj_get(data, "additional-conditions", &conds) || json_type_of(conds) != JSON_ARRAY)
		return false;
	json_iter_init(&it, conds);
	while (!found && json_arr_next(&it, &c)) {
		struct collection dc;

		if (json_type_of(c) != JSON_OBJECT || !get_str(c, "data-collection", &name))
			continue;
		collection_init(&dc, table_full_name(name.data, &full));
		found = collection_has(&dc, table) && get_str(c, "filter", out);
		collection_free(&dc);
	}
	buf_free(&name);
	buf_free(&full);
	return found;
}

/* Queues table for execute-snapshot signal id, with its condition if data has one. */
static void
queue_table(struct tail *t, const char *id, struct json_slice data, const char *table)
{
	struct buf filter = BUF_INIT;
	char err[1024];

	if (!incr_add(t, table, condition_for(data, table, &filter) ? filter.data : NULL, err,
				  sizeof err))
		log_warn("signal \"%s\": %s: ignored", id, err);
	buf_free(&filter);
}

/*
 * execute-snapshot of one data collection: every table of the
 * publication it matches, in snapshot order.  A plain name that matches
 * none (a table not in the publication) is looked up by incr_add(), which
 * says what is wrong with it.
 */
static void
execute_one(struct tail *t, const char *id, struct json_slice data, PGresult *tables,
			const char *text)
{
	struct collection dc;
	int n = 0;

	collection_init(&dc, text);
	if (!dc.compiled && !plain_name(text)) {
		log_warn("signal \"%s\": \"%s\" is not a regular expression: ignored", id, text);
		return;
	}
	for (int i = 0; i < PQntuples(tables); i++) {
		if (!collection_has(&dc, PQgetvalue(tables, i, 4)))
			continue;
		n++;
		queue_table(t, id, data, PQgetvalue(tables, i, 4));
	}
	if (n == 0 && plain_name(text))
		queue_table(t, id, data, text);
	else if (n == 0)
		log_warn("signal \"%s\": no table of publication \"%s\" matches \"%s\": ignored", id,
				 t->o->publication, text);
	else if (n > 1 || !plain_name(text))
		log_info("signal \"%s\": \"%s\" matches %d table%s", id, text, n, n == 1 ? "" : "s");
	collection_free(&dc);
}

/* execute-snapshot and stop-snapshot: each data collection of data-collections. */
static void
on_tables(struct tail *t, const char *id, struct json_slice data, bool stop)
{
	struct json_slice list, v;
	struct json_iter it;
	struct buf name = BUF_INIT, full = BUF_INIT;
	PGresult *tables = NULL;

	if (get_str(data, "type", &name) && strcasecmp(name.data, "incremental") != 0) {
		/* Debezium's blocking snapshots stop streaming while they read: not done here. */
		log_warn("signal \"%s\": snapshot type \"%s\" is not supported, only \"incremental\", "
				 "which reads the tables while streaming goes on: ignored",
				 id, name.data);
		goto out;
	}
	if (!json_obj_get(data, "data-collections", &list) || json_type_of(list) != JSON_ARRAY) {
		if (stop)
			incr_stop(t, NULL, NULL);
		else
			log_warn("signal \"%s\": no \"data-collections\" array: ignored", id);
		goto out;
	}
	json_iter_init(&it, list);
	while (json_arr_next(&it, &v)) {
		struct collection dc;

		buf_reset(&name);
		if (json_type_of(v) != JSON_STRING || !json_str_decode_text(v, &name)) {
			log_warn("signal \"%s\": a data collection that is not a string: ignored", id);
			continue;
		}
		table_full_name(buf_cstr(&name), &full);
		if (!stop) {
			if (tables == NULL)
				tables = snapshot_tables(t);
			execute_one(t, id, data, tables, full.data);
			continue;
		}
		collection_init(&dc, full.data);
		incr_stop(t, collection_match, &dc);
		collection_free(&dc);
	}
out:
	PQclear(tables);
	buf_free(&name);
	buf_free(&full);
}

void
signal_run(struct tail *t, const char *id, const char *type, const char *data, size_t n)
{
	struct json_slice obj = {"{}", 2};
	struct json_err jerr;
	struct buf msg = BUF_INIT;

	if (data && n > 0) {
		obj.p = json_skip_ws(data, data + n);
		obj.n = n - (size_t) (obj.p - data);
		while (obj.n > 0 && strchr(" \t\r\n", obj.p[obj.n - 1]))
			obj.n--;
		if (!json_validate(obj.p, obj.n, &jerr) || json_type_of(obj) != JSON_OBJECT) {
			log_warn("signal \"%s\": its data is not a JSON object: ignored", id);
			return;
		}
	}
	log_info("signal \"%s\": %s", id, type);
	if (strcmp(type, "execute-snapshot") == 0)
		on_tables(t, id, obj, false);
	else if (strcmp(type, "stop-snapshot") == 0)
		on_tables(t, id, obj, true);
	else if (strcmp(type, "pause-snapshot") == 0)
		incr_pause(t, true);
	else if (strcmp(type, "resume-snapshot") == 0)
		incr_pause(t, false);
	else if (strcmp(type, "log") == 0) {
		if (get_str(obj, "message", &msg))
			log_info("signal \"%s\": %s", id, msg.data);
	} else
		log_warn("signal \"%s\": unknown type \"%s\": ignored", id, type);
	buf_free(&msg);
}

bool
signal_table_is(const struct tail *t, const struct rel *r)
{
	const char *name = t->o->signal_table;
	size_t nsplen;

	if (name == NULL)
		return false;
	if (strchr(name, '.') == NULL)
		return strcmp(r->nspname, "public") == 0 && strcmp(r->relname, name) == 0;
	/* SCHEMA.TABLE matched whole: either may hold dots of its own. */
	nsplen = strlen(r->nspname);
	return strncmp(name, r->nspname, nsplen) == 0 && name[nsplen] == '.' &&
		strcmp(name + nsplen + 1, r->relname) == 0;
}

/* A value of the signal row as a C string: "" when null. */
static const char *
row_text(const struct pgo_tuple *tup, int col, struct buf *b)
{
	buf_reset(b);
	if (col < tup->ncols && tup->vals[col].kind == PGO_TEXT)
		buf_put(b, tup->vals[col].p, tup->vals[col].n);
	return buf_cstr(b);
}

void
signal_on_insert(struct tail *t, const struct pgo_tuple *tup)
{
	struct buf id = BUF_INIT, type = BUF_INIT, data = BUF_INIT;

	row_text(tup, 0, &id);
	row_text(tup, 1, &type);
	row_text(tup, 2, &data);
	signal_run(t, id.data, type.data, data.data, data.len);
	buf_free(&id);
	buf_free(&type);
	buf_free(&data);
}

/* One line of the signal file. */
static void
file_line(struct tail *t, const char *p, size_t n)
{
	struct json_slice obj = {p, n}, data;
	struct json_err jerr;
	struct buf id = BUF_INIT, type = BUF_INIT, text = BUF_INIT;

	while (n > 0 && (p[n - 1] == '\r' || p[n - 1] == ' '))
		n--;
	if (n == 0)
		return;
	obj.n = n;
	if (!json_validate(p, n, &jerr) || json_type_of(obj) != JSON_OBJECT ||
		!get_str(obj, "type", &type)) {
		log_warn("signal file \"%s\": \"%.*s\" is not a signal ({\"id\":...,\"type\":...,"
				 "\"data\":{...}}): ignored",
				 t->o->signal_file, (int) (n > 80 ? 80 : n), p);
		goto out;
	}
	if (!get_str(obj, "id", &id))
		buf_puts(&id, "");
	buf_cstr(&id);
	if (!json_obj_get(obj, "data", &data) || json_is_null(data))
		signal_run(t, id.data, type.data, NULL, 0);
	else if (json_type_of(data) == JSON_STRING && json_str_decode(data, &text))
		signal_run(t, id.data, type.data, text.data, text.len);
	else
		signal_run(t, id.data, type.data, data.p, data.n);
out:
	buf_free(&id);
	buf_free(&type);
	buf_free(&text);
}

/* Warns when the signal table's rows cannot reach the stream. */
static void
check_signal_table(struct tail *t)
{
	const char *params[2] = {t->o->publication, t->o->signal_table};
	PGresult *res = PQexecParams(t->sql,
								 "SELECT 1 FROM pg_catalog.pg_publication_tables"
								 " WHERE pubname = $1 AND (strpos($2, '.') > 0 AND"
								 " schemaname || '.' || tablename = $2 OR strpos($2, '.') = 0"
								 " AND schemaname = 'public' AND tablename = $2)",
								 2, NULL, params, NULL, NULL, 0);

	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 0)
		log_warn("signal table \"%s\" is not in publication \"%s\": its signals will not "
				 "arrive (ALTER PUBLICATION ... ADD TABLE)",
				 t->o->signal_table, t->o->publication);
	PQclear(res);
}

void
signals_open(struct tail *t)
{
	struct signals *s;
	struct stat st;
	int fd;

	if (t->o->signal_table)
		check_signal_table(t);
	if (t->o->signal_file == NULL)
		return;
	fd = open(t->o->signal_file, O_RDWR | O_CREAT | O_NONBLOCK | O_CLOEXEC, 0600);
	if (fd < 0 || fstat(fd, &st) != 0)
		fatal(EX_NOINPUT, "could not open signal file \"%s\": %s", t->o->signal_file,
			  strerror(errno));
	s = xcalloc(1, sizeof *s);
	s->fd = fd;
	s->fifo = S_ISFIFO(st.st_mode);
	t->signals = s;
}

/* Handles the complete lines of s->in and keeps the rest. */
static void
run_lines(struct tail *t, struct signals *s)
{
	size_t start = 0;
	const char *nl;

	if (s->in.len == 0)
		return;
	while ((nl = memchr(s->in.data + start, '\n', s->in.len - start)) != NULL) {
		file_line(t, s->in.data + start, (size_t) (nl - s->in.data) - start);
		start = (size_t) (nl - s->in.data) + 1;
	}
	memmove(s->in.data, s->in.data + start, s->in.len - start);
	s->in.len -= start;
	s->line_start = 0;
}

/* Appends n bytes read to s->in, less the lines longer than MAX_LINE. */
static void
take(struct signals *s, const char *p, size_t n)
{
	while (n > 0) {
		const char *nl = memchr(p, '\n', n);
		size_t len = nl ? (size_t) (nl - p) + 1 : n;

		if (!s->skipping)
			buf_put(&s->in, p, len);
		if (nl) {
			s->skipping = false;
			s->line_start = s->in.len;
		} else if (!s->skipping && s->in.len - s->line_start > MAX_LINE) {
			s->in.len = s->line_start;
			s->skipping = true;
			s->dropped++;
		}
		s->ended = nl && len == n;
		p += len;
		n -= len;
	}
}

void
signals_poll(struct tail *t)
{
	struct signals *s = t->signals;
	char chunk[4096];
	ssize_t r;
	int64_t now;

	if (s == NULL)
		return;
	now = clock_wall_us();
	if (now - s->last_poll_us < POLL_US)
		return;
	s->last_poll_us = now;
	if (!s->fifo && lseek(s->fd, 0, SEEK_SET) != 0)
		return;
	if (!s->fifo) {
		buf_reset(&s->in);
		s->line_start = 0;
		s->skipping = s->ended = false;
		s->dropped = 0;
	}
	while ((r = read(s->fd, chunk, sizeof chunk)) > 0)
		take(s, chunk, (size_t) r);
	if (r < 0 && errno != EAGAIN && errno != EINTR)
		log_warn("could not read signal file \"%s\": %s", t->o->signal_file, strerror(errno));
	if (!s->fifo && !s->ended)
		return; /* empty, or a line still being written */
	if (s->dropped > 0)
		log_warn("signal file \"%s\": a line longer than %d bytes: ignored", t->o->signal_file,
				 MAX_LINE);
	s->dropped = 0;
	if (!s->fifo && ftruncate(s->fd, 0) != 0)
		log_warn("could not empty signal file \"%s\": %s", t->o->signal_file, strerror(errno));
	run_lines(t, s);
}

void
signals_close(struct tail *t)
{
	if (t->signals == NULL)
		return;
	close(t->signals->fd);
	buf_free(&t->signals->in);
	free(t->signals);
	t->signals = NULL;
}
