/*
 * snapstate.c - the state file of incremental snapshots; see snapstate.h.
 *
 * A line is appended (and flushed, not synced) before the chunk's rows
 * are written, so that by the time downstream acknowledges them the line
 * that says what is left after them is in the file.  A kill -9 loses
 * nothing the kernel has; a crash of the machine may lose the last lines,
 * which only means that chunks are read again.  The file is replaced
 * (written apart, synced, renamed) when it is created and at every start.
 */
#include "snapstate.h"
#include "incremental.h"
#include "tail.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "json.h"
#include "log.h"

static FILE *state;				/* the file, open for appending */

/* Replaces the file by one line (pos, todo), durably, and opens it for appending. */
static void
rewrite(struct tail *t, struct pos pos, const char *todo, size_t n)
{
	const char *path = t->o->state_file;
	struct buf	tmp = BUF_INIT;
	char		pbuf[POS_STRLEN];
	char	   *dir = xstrdup(path);
	FILE	   *f;
	int			dfd;

	buf_printf(&tmp, "%s.tmp", path);
	f = fopen(buf_cstr(&tmp), "w");
	if (f == NULL || fprintf(f, "{\"pos\":\"%s\",\"todo\":%.*s}\n", pos_format(pos, pbuf),
							 (int) n, todo) < 0 || fflush(f) != 0 || fsync(fileno(f)) != 0 ||
		fclose(f) != 0 || rename(tmp.data, path) != 0)
		fatal(EX_CANTCREAT, "could not write state file \"%s\": %s", path, strerror(errno));
	if ((dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY)) >= 0) {
		(void) fsync(dfd);
		close(dfd);
	}
	free(dir);
	buf_free(&tmp);
	if (state)
		fclose(state);
	if ((state = fopen(path, "a")) == NULL)
		fatal(EX_CANTCREAT, "could not open state file \"%s\": %s", path, strerror(errno));
}

/* The publication's tables, in snapshot order, as a todo array. */
static void
all_tables(struct tail *t, struct buf *todo)
{
	PGresult   *tables = snapshot_tables(t);

	char		err[1024];

	buf_putc(todo, '[');
	for (int i = 0; i < PQntuples(tables); i++) {
		if (!incr_check(t, PQgetvalue(tables, i, 4), err, sizeof err))
			fatal(EX_USAGE, "--snapshot incremental: %s", err);
		if (i)
			buf_putc(todo, ',');
		snapstate_put_table(todo, PQgetvalue(tables, i, 4), NULL, NULL, NULL, 0);
	}
	buf_putc(todo, ']');
	PQclear(tables);
}

/*
 * The last line of the file at or before ack, into line; false if there
 * is none.  Exits if the file is malformed.
 */
static bool
last_acknowledged(struct tail *t, const struct buf *file, struct pos ack, struct buf *line)
{
	const char *p = file->data,
			   *end = file->data + file->len;
	int			lineno = 0;
	bool		found = false;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t) (end - p));
		size_t		n = nl ? (size_t) (nl - p) : (size_t) (end - p);
		struct json_slice obj = {p, n},
					v;
		struct json_err jerr;
		struct pos	pos;

		lineno++;
		if (nl == NULL)
			break;				/* a line cut short by a crash: not written */
		if (!json_validate(p, n, &jerr) || json_type_of(obj) != JSON_OBJECT ||
			!json_obj_get(obj, "pos", &v) || json_type_of(v) != JSON_STRING ||
			!pos_parse(v.p + 1, v.n - 2, &pos) || !json_obj_get(obj, "todo", &v))
			fatal(EX_DATAERR, "state file \"%s\": line %d: not a state line",
				  t->o->state_file, lineno);
		if (pos_cmp(pos, ack) <= 0) {
			buf_reset(line);
			buf_put(line, p, n);
			found = true;
		}
		p = nl + 1;
	}
	return found;
}

/* Queues what the state file says is left once downstream has what it acknowledged. */
static void
resume(struct tail *t)
{
	struct buf	file = BUF_INIT,
				line = BUF_INIT;
	struct pos	ack = {0, 0},
				pos;
	struct json_slice obj,
				todo,
				v;
	char		pbuf[POS_STRLEN];
	int			fd = open(t->o->state_file, O_RDONLY);

	if (fd < 0 && errno == ENOENT && t->o->snapshot != SNAP_INCREMENTAL) {
		rewrite(t, ack, "[]", 2);
		return;
	}
	if (fd < 0 || !buf_read_fd(&file, fd))
		fatal(EX_USAGE, "could not read state file \"%s\" of replication slot \"%s\": %s: "
			  "what is left of its incremental snapshot cannot be told (drop the slot to "
			  "start again)", t->o->state_file, t->o->slot, strerror(errno));
	close(fd);
	(void) tail_read_ack(t, &ack);
	if (!last_acknowledged(t, &file, ack, &line))
		fatal(EX_USAGE, "state file \"%s\" has no line at or before %s, what \"%s\" "
			  "acknowledges: it belongs to another slot", t->o->state_file,
			  pos_format(ack, pbuf), t->o->ack_file);
	obj.p = line.data;
	obj.n = line.len;
	(void) json_obj_get(obj, "pos", &v);
	(void) pos_parse(v.p + 1, v.n - 2, &pos);
	(void) json_obj_get(obj, "todo", &todo);
	if (!incr_state_load(t, todo))
		fatal(EX_DATAERR, "state file \"%s\": malformed \"todo\"", t->o->state_file);
	rewrite(t, pos, todo.p, todo.n);
	if (incr_active(t))
		log_info("resuming incremental snapshots acknowledged up to %s",
				 pos_format(pos, pbuf));
	buf_free(&file);
	buf_free(&line);
}

void
snapstate_setup(struct tail *t, bool exists)
{
	struct buf	todo = BUF_INIT;
	struct pos	start = {0, 0};

	if (t->o->state_file == NULL)
		return;
	if (exists) {
		resume(t);
		return;
	}
	if (t->o->snapshot == SNAP_INCREMENTAL)
		all_tables(t, &todo);
	else
		buf_puts(&todo, "[]");
	rewrite(t, start, todo.data, todo.len);
	if (!incr_state_load(t, (struct json_slice) {todo.data, todo.len}))
		fatal(EX_SOFTWARE, "could not queue the publication's tables");
	buf_free(&todo);
}

void
snapstate_record(struct tail *t, struct pos end, bool ends)
{
	struct buf	todo = BUF_INIT;
	char		pbuf[POS_STRLEN];

	incr_state_json(t, ends, &todo);
	if (fprintf(state, "{\"pos\":\"%s\",\"todo\":%.*s}\n", pos_format(end, pbuf),
				(int) todo.len, todo.data) < 0 || fflush(state) != 0)
		fatal(EX_IOERR, "could not write state file \"%s\": %s", t->o->state_file,
			  strerror(errno));
	buf_free(&todo);
}

void
snapstate_close(struct tail *t)
{
	(void) t;
	if (state)
		fclose(state);
	state = NULL;
}

void
snapstate_put_key(struct buf *out, char *const *key, int nkeys)
{
	buf_putc(out, '[');
	for (int k = 0; k < nkeys; k++) {
		if (k)
			buf_putc(out, ',');
		json_put_cstr(out, key[k]);
	}
	buf_putc(out, ']');
}

void
snapstate_put_table(struct buf *out, const char *table, const char *filter, const char *after,
					char *const *key, int nkeys)
{
	buf_puts(out, "{\"table\":");
	json_put_cstr(out, table);
	buf_puts(out, ",\"filter\":");
	if (filter)
		json_put_cstr(out, filter);
	else
		buf_puts(out, "null");
	buf_puts(out, ",\"after\":");
	if (key)
		snapstate_put_key(out, key, nkeys);
	else
		buf_puts(out, after ? after : "null");
	buf_putc(out, '}');
}
