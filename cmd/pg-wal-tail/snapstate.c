/*
 * snapstate.c - the state file of incremental snapshots; see snapstate.h.
 *
 * A line is appended (and flushed, not synced) before the chunk's rows
 * are written, so that by the time downstream acknowledges them the line
 * that says what is left after them is in the file.  A kill -9 loses
 * nothing the kernel has; a crash of the machine may lose the last lines,
 * which only means that chunks are read again.  The file is replaced
 * (written apart, synced, renamed) when it is created, at every start,
 * and as it grows, by the lines from the last one downstream acknowledged.
 */
#include "snapstate.h"
#include "chunkq.h"
#include "incremental.h"
#include "tail.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sysexits.h>
#include <unistd.h>

#include "json.h"
#include "log.h"

static FILE *state;		 /* the file, open for appending */
static int lock_fd = -1; /* FILE.lock, locked while this run has the file */

/*
 * The file's lines, as written since it was last replaced, and their
 * positions.  Once they pass next_compact bytes, the file is replaced by
 * the last line downstream acknowledged and those after it: a resume
 * reads the same line, and the file does not grow with every chunk.
 */
#define COMPACT_BYTES (1 << 20)
static struct {
	struct buf text;
	struct pos *pos;
	size_t *off;
	size_t n, cap, next_compact;
} kept;

static void
keep_line(struct pos pos, const char *line, size_t n)
{
	if (kept.n == kept.cap) {
		kept.cap = kept.cap ? 2 * kept.cap : 64;
		kept.pos = xrealloc(kept.pos, kept.cap * sizeof *kept.pos);
		kept.off = xrealloc(kept.off, kept.cap * sizeof *kept.off);
	}
	kept.pos[kept.n] = pos;
	kept.off[kept.n++] = kept.text.len;
	buf_put(&kept.text, line, n);
}

/* Replaces the file by the kept lines from the first on, durably, and opens it for appending. */
static void
rewrite_kept(struct tail *t, size_t first)
{
	const char *path = t->o->state_file;
	const char *from = kept.text.data + kept.off[first];
	size_t n = kept.text.len - kept.off[first];
	struct buf tmp = BUF_INIT;
	char *dir = xstrdup(path);
	FILE *f;
	int dfd;

	buf_printf(&tmp, "%s.tmp", path);
	f = fopen(buf_cstr(&tmp), "w");
	if (f == NULL || fwrite(from, 1, n, f) != n || fflush(f) != 0 || fsync(fileno(f)) != 0 ||
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
	memmove(kept.text.data, from, n);
	kept.text.len = n;
	kept.n -= first;
	memmove(kept.pos, kept.pos + first, kept.n * sizeof *kept.pos);
	for (size_t i = 0; i < kept.n; i++)
		kept.off[i] = kept.off[i + first] - kept.off[first];
	kept.next_compact = n > COMPACT_BYTES / 2 ? 2 * n : COMPACT_BYTES;
}

/* Replaces the file by one line (pos, todo). */
static void
rewrite(struct tail *t, struct pos pos, const char *todo, size_t n)
{
	struct buf line = BUF_INIT;
	char pbuf[POS_STRLEN];

	buf_printf(&line, "{\"pos\":\"%s\",\"todo\":%.*s}\n", pos_format(pos, pbuf), (int) n, todo);
	kept.n = 0;
	buf_reset(&kept.text);
	keep_line(pos, line.data, line.len);
	rewrite_kept(t, 0);
	buf_free(&line);
}

/* Drops the lines before the last one downstream acknowledged. */
static void
compact(struct tail *t)
{
	struct pos ack;
	size_t last = 0;

	kept.next_compact = 2 * kept.text.len;
	if (!tail_read_ack(t, &ack))
		return;
	for (size_t i = 0; i < kept.n; i++)
		if (pos_cmp(kept.pos[i], ack) <= 0)
			last = i;
	if (last > 0)
		rewrite_kept(t, last);
}

/* The publication's tables, in snapshot order, as a todo array. */
static void
all_tables(struct tail *t, struct buf *todo)
{
	PGresult *tables = snapshot_tables(t);

	char err[1024];

	buf_putc(todo, '[');
	for (int i = 0; i < PQntuples(tables); i++) {
		struct chunk_table ct;

		if (!chunk_table(t, PQgetvalue(tables, i, 4), NULL, &ct, err, sizeof err))
			fatal(EX_USAGE, "--snapshot incremental: %s", err);
		chunk_table_free(&ct);
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
	const char *p = file->data, *end = file->data + file->len;
	int lineno = 0;
	bool found = false;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t) (end - p));
		size_t n = nl ? (size_t) (nl - p) : (size_t) (end - p);
		struct json_slice obj = {p, n}, v;
		struct json_err jerr;
		struct pos pos;

		lineno++;
		if (nl == NULL)
			break; /* a line cut short by a crash: not written */
		if (!json_validate(p, n, &jerr) || json_type_of(obj) != JSON_OBJECT ||
			!json_obj_get(obj, "pos", &v) || json_type_of(v) != JSON_STRING ||
			!pos_parse(v.p + 1, v.n - 2, &pos) || !json_obj_get(obj, "todo", &v))
			fatal(EX_DATAERR, "state file \"%s\": line %d: not a state line", t->o->state_file,
				  lineno);
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
	struct buf file = BUF_INIT, line = BUF_INIT;
	struct pos ack = {0, 0}, pos;
	struct json_slice obj, todo, v;
	char pbuf[POS_STRLEN];
	int fd = open(t->o->state_file, O_RDONLY);

	if (fd < 0 && errno == ENOENT && t->o->snapshot != SNAP_INCREMENTAL) {
		rewrite(t, ack, "[]", 2);
		return;
	}
	if (fd < 0 || !buf_read_fd(&file, fd))
		fatal(EX_USAGE,
			  "could not read state file \"%s\" of replication slot \"%s\": %s: "
			  "what is left of its incremental snapshot cannot be told (drop the slot to "
			  "start again)",
			  t->o->state_file, t->o->slot, strerror(errno));
	close(fd);
	if (file.len == 0 || memchr(file.data, '\n', file.len) == NULL)
		fatal(EX_USAGE,
			  "state file \"%s\" of replication slot \"%s\" has no complete line "
			  "(emptied or cut short): what is left of its incremental snapshot cannot be told "
			  "(drop the slot to start again)",
			  t->o->state_file, t->o->slot);
	(void) tail_read_ack(t, &ack);
	if (!last_acknowledged(t, &file, ack, &line))
		fatal(EX_USAGE,
			  "state file \"%s\" has no line at or before %s, what \"%s\" "
			  "acknowledges: it belongs to another slot",
			  t->o->state_file, pos_format(ack, pbuf), t->o->ack_file);
	obj.p = line.data;
	obj.n = line.len;
	(void) json_obj_get(obj, "pos", &v);
	(void) pos_parse(v.p + 1, v.n - 2, &pos);
	(void) json_obj_get(obj, "todo", &todo);
	if (!incr_state_load(t, todo))
		fatal(EX_DATAERR, "state file \"%s\": malformed \"todo\"", t->o->state_file);
	rewrite(t, pos, todo.p, todo.n);
	if (incr_active(t))
		log_info("resuming incremental snapshots acknowledged up to %s", pos_format(pos, pbuf));
	buf_free(&file);
	buf_free(&line);
}

/*
 * Locks FILE.lock for the length of the run: a second pg-wal-tail given
 * the same file would replace it under the first, whose lines would then
 * go to a file nobody reads.
 */
static void
lock_state(struct tail *t)
{
	struct buf path = BUF_INIT;

	buf_printf(&path, "%s.lock", t->o->state_file);
	lock_fd = open(buf_cstr(&path), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lock_fd < 0)
		fatal(EX_CANTCREAT, "could not open \"%s\": %s", path.data, strerror(errno));
	if (flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
		if (errno == EWOULDBLOCK)
			fatal(EX_UNAVAILABLE, "state file \"%s\" is in use by another pg-wal-tail",
				  t->o->state_file);
		fatal(EX_IOERR, "could not lock \"%s\": %s", path.data, strerror(errno));
	}
	buf_free(&path);
}

void
snapstate_setup(struct tail *t, bool exists)
{
	struct buf todo = BUF_INIT;
	struct pos start = {0, 0};

	if (t->o->state_file == NULL)
		return;
	lock_state(t);
	if (exists) {
		resume(t);
		return;
	}
	if (t->o->snapshot == SNAP_INCREMENTAL)
		all_tables(t, &todo);
	else
		buf_puts(&todo, "[]");
	rewrite(t, start, todo.data, todo.len);
	if (!incr_state_load(t, (struct json_slice){todo.data, todo.len}))
		fatal(EX_SOFTWARE, "could not queue the publication's tables");
	buf_free(&todo);
}

void
snapstate_record(struct tail *t, struct pos end, bool ends)
{
	struct buf line = BUF_INIT;
	char pbuf[POS_STRLEN];

	buf_printf(&line, "{\"pos\":\"%s\",\"todo\":", pos_format(end, pbuf));
	incr_state_json(t, ends, &line);
	buf_puts(&line, "}\n");
	if (fwrite(line.data, 1, line.len, state) != line.len || fflush(state) != 0)
		fatal(EX_IOERR, "could not write state file \"%s\": %s", t->o->state_file, strerror(errno));
	keep_line(end, line.data, line.len);
	buf_free(&line);
	if (kept.text.len >= kept.next_compact)
		compact(t);
}

void
snapstate_close(struct tail *t)
{
	(void) t;
	if (state)
		fclose(state);
	state = NULL;
	if (lock_fd >= 0)
		close(lock_fd);
	lock_fd = -1;
	buf_free(&kept.text);
	free(kept.pos);
	free(kept.off);
	memset(&kept, 0, sizeof kept);
}

void
snapstate_put_key(struct buf *out, char *const *key, int nkeys)
{
	buf_putc(out, '[');
	for (int k = 0; k < nkeys; k++) {
		if (k)
			buf_putc(out, ',');
		if (key[k])
			json_put_cstr(out, key[k]);
		else
			buf_puts(out, "null");
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
