/*
 * deadletter.c - records that cannot be applied: their name in messages,
 * and the dead letter file of --errors=skip (pg-apply(1), DEAD LETTERS).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "deadletter.h"
#include "json.h"
#include "log.h"

void
name_record(struct buf *out, uint64_t lineno, const char *topic, int32_t partition, int64_t offset)
{
	if (topic && offset >= 0)
		buf_printf(out, "topic \"%s\" partition %d offset %" PRId64, topic, (int) partition,
				   offset);
	else
		buf_printf(out, "line %" PRIu64, lineno);
}

/*
 * One dead letter line (see pg-apply(1), DEAD LETTERS): {"error","line",
 * "record"} with the record as it came if it is JSON, else as a string,
 * or as "record_base64" if it is not even UTF-8, so that the file stays
 * JSON lines whatever came in.
 */
void
dead_letter_line(struct buf *b, uint64_t lineno, const char *line, size_t n, const char *msg)
{
	size_t at;

	buf_puts(b, "{\"error\":");
	at = b->len;
	json_put_cstr(b, msg);
	if (!json_validate(b->data + at, b->len - at, NULL)) {
		/* A message quoting bytes that are not UTF-8: keep its ASCII. */
		b->len = at;
		buf_putc(b, '"');
		for (const char *m = msg; *m; m++)
			buf_putc(b, *m & 0x80 || *m == '"' || *m == '\\' || *m < ' ' ? '?' : *m);
		buf_putc(b, '"');
	}
	buf_printf(b, ",\"line\":%" PRIu64 ",", lineno);
	if (json_validate(line, n, NULL)) {
		buf_puts(b, "\"record\":");
		buf_put(b, line, n);
	} else {
		buf_puts(b, "\"record\":");
		at = b->len;
		json_put_str(b, line, n);
		if (!json_validate(b->data + at, b->len - at, NULL)) {
			b->len = at - strlen("\"record\":");
			buf_puts(b, "\"record_base64\":\"");
			base64_put(b, (const unsigned char *) line, n);
			buf_putc(b, '"');
		}
	}
	buf_putc(b, '}');
}

/* Sends what is pending to the file; exits 74 if it cannot. */
static void
flush_or_die(struct deadletters *dl)
{
	if (!out_flush(&dl->out)) {
		errno = dl->out.err;
		fatal(EX_IOERR, "could not write dead letter file \"%s\": %m", dl->path);
	}
}

void
deadletters_open(struct deadletters *dl, const char *path)
{
	int fd;

	dl->path = path;
	pthread_mutex_init(&dl->lock, NULL);
	if (path == NULL)
		return;
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0)
		fatal(EX_CANTCREAT, "could not open dead letter file \"%s\": %m", path);
	out_init(&dl->out, fd);
}

void
deadletters_close(struct deadletters *dl)
{
	int fd = dl->out.fd;

	pthread_mutex_destroy(&dl->lock);
	if (dl->path == NULL)
		return;
	out_free(&dl->out);
	if (close(fd) != 0)
		fatal(EX_IOERR, "could not close dead letter file \"%s\": %m", dl->path);
}

bool
dead_letter(struct deadletters *dl, uint64_t lineno, const char *line, size_t n, const char *msg)
{
	struct buf b = BUF_INIT;

	if (dl->path == NULL)
		return true;
	dead_letter_line(&b, lineno, line, n, msg);
	pthread_mutex_lock(&dl->lock);
	out_line(&dl->out, b.data, b.len);
	buf_free(&b);
	flush_or_die(dl);
	pthread_mutex_unlock(&dl->lock);
	return true;
}

/* An over-long line going to the dead letter file piece by piece, in base64. */
struct long_letter {
	struct deadletters *dl;
	unsigned char carry[3]; /* bytes waiting for a group of three */
	size_t ncarry;
};

static void
long_letter_piece(void *ctx, const char *p, size_t n)
{
	struct long_letter *l = ctx;
	struct buf *b = &l->dl->out.pending;
	size_t whole;

	while (l->ncarry > 0 && l->ncarry < 3 && n > 0)
		l->carry[l->ncarry++] = (unsigned char) *p++, n--;
	if (l->ncarry == 3) {
		base64_put(b, l->carry, 3);
		l->ncarry = 0;
	}
	whole = n / 3 * 3;
	base64_put(b, (const unsigned char *) p, whole);
	for (; whole < n; whole++)
		l->carry[l->ncarry++] = (unsigned char) p[whole];
	if (b->len >= 1 << 20)
		flush_or_die(l->dl);
}

/*
 * With --errors skip, a line over --max-line-bytes is read to its end and
 * set aside whole (as record_base64) in the dead letter file, never held
 * in memory; false if the input ended inside it.
 */
bool
long_line(struct deadletters *dl, struct linereader *lr, const char *msg)
{
	struct long_letter l = {dl, {0}, 0};
	struct buf *b = &dl->out.pending;
	int r;

	if (dl->path == NULL)
		return lr_drain_long(lr, NULL, NULL) > 0;
	pthread_mutex_lock(&dl->lock);
	buf_puts(b, "{\"error\":");
	json_put_cstr(b, msg);
	buf_printf(b, ",\"line\":%" PRIu64 ",\"record_base64\":\"", lr->lineno);
	r = lr_drain_long(lr, long_letter_piece, &l);
	base64_put(b, l.carry, l.ncarry);
	buf_puts(b, "\"}\n");
	flush_or_die(dl);
	pthread_mutex_unlock(&dl->lock);
	return r > 0;
}
