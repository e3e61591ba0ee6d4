/*
 * lineread.c - newline-delimited input with line numbers and a size cap.
 */
#include "lineread.h"
#include "buf.h"
#include "opts.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

void
lr_init(struct linereader *lr, int fd, size_t max_line)
{
	memset(lr, 0, sizeof *lr);
	lr->fd = fd;
	lr->max_line = max_line ? max_line : LINEREAD_DEFAULT_MAX;
	lr->cap = 1 << 16;
	lr->buf = xmalloc(lr->cap);
}

void
lr_free(struct linereader *lr)
{
	if (lr->retire && lr->buf)
		lr->retire(lr->keep_ctx, lr->buf, lr->cap);
	else
		free(lr->buf);
	lr->buf = NULL;
}

void
lr_keep_lines(struct linereader *lr, void (*retire)(void *ctx, char *buf, size_t size),
			  char *(*fresh)(void *ctx, size_t size), void *ctx)
{
	lr->retire = retire;
	lr->fresh = fresh;
	lr->keep_ctx = ctx;
}

/*
 * lr_keep_lines(): once the buffer is full, the unconsumed bytes go to a
 * new one (twice as large if they fill more than half) and the old one
 * to retire().
 */
static void
renew(struct linereader *lr)
{
	size_t left = lr->end - lr->start;
	size_t cap = left > lr->cap / 2 ? lr->cap * 2 : lr->cap;
	char *buf;

	if (lr->end < lr->cap)
		return;
	if (lr->fresh == NULL || (buf = lr->fresh(lr->keep_ctx, cap)) == NULL)
		buf = xmalloc(cap);
	memcpy(buf, lr->buf + lr->start, left);
	lr->retire(lr->keep_ctx, lr->buf, lr->cap);
	lr->buf = buf;
	lr->cap = cap;
	lr->start = 0;
	lr->end = left;
}

/* Moves unconsumed bytes to the front and grows the buffer if it is full. */
static void
make_room(struct linereader *lr)
{
	if (lr->retire) {
		renew(lr);
		return;
	}
	if (lr->start > 0) {
		memmove(lr->buf, lr->buf + lr->start, lr->end - lr->start);
		lr->end -= lr->start;
		lr->start = 0;
	}
	if (lr->end == lr->cap) {
		lr->cap *= 2;
		lr->buf = xrealloc(lr->buf, lr->cap);
	}
}

/*
 * The newline ending the line at start, or NULL.  What was searched is
 * not searched again: a caller that asks lr_has_line() and then lr_next()
 * reads each byte once.
 */
static char *
find_newline(struct linereader *lr)
{
	char *from = lr->buf + lr->start + lr->scanned;
	char *nl = memchr(from, '\n', lr->end - lr->start - lr->scanned);

	lr->scanned = nl ? (size_t) (nl - (lr->buf + lr->start)) : lr->end - lr->start;
	return nl;
}

bool
lr_has_line(struct linereader *lr)
{
	return find_newline(lr) != NULL || (lr->eof && lr->end > lr->start);
}

static enum lr_status
hand_out(struct linereader *lr, char *from, size_t n, size_t consumed, char **line, size_t *len)
{
	lr->lineno++;
	if (n > lr->max_line) {
		/* Left buffered for lr_drain_long(); lr_next() skips it. */
		lr->skipping = true;
		return LR_TOO_LONG;
	}
	lr->bytes += consumed;
	lr->start += consumed;
	lr->scanned = 0;
	from[n] = '\0'; /* the newline's place */
	*line = from;
	*len = n;
	return LR_LINE;
}

enum lr_status
lr_next(struct linereader *lr, char **line, size_t *len)
{
	for (;;) {
		char *nl = find_newline(lr);
		char *from = lr->buf + lr->start;
		ssize_t got;

		if (nl != NULL && lr->skipping) {
			lr->start += (size_t) (nl - from) + 1;
			lr->scanned = 0;
			lr->skipping = false;
			continue;
		}
		if (nl != NULL)
			return hand_out(lr, from, (size_t) (nl - from), (size_t) (nl - from) + 1, line, len);
		if (lr->skipping) {
			/* Drop what is buffered of the over-long line; the rest follows. */
			lr->start = lr->end;
			lr->scanned = 0;
		} else if (lr->end - lr->start > lr->max_line) {
			lr->lineno++;
			lr->skipping = true;
			return LR_TOO_LONG;
		}
		if (lr->eof) {
			if (lr->end == lr->start || lr->skipping)
				return LR_EOF;
			lr->lineno++;
			return LR_PARTIAL;
		}
		make_room(lr);
		got = read(lr->fd, lr->buf + lr->end, lr->cap - lr->end);
		if (got < 0) {
			/* EINTR returns to the caller so that it can look at sig_stop. */
			if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
				return LR_AGAIN;
			return LR_ERROR;
		}
		if (got == 0)
			lr->eof = true;
		lr->end += (size_t) got;
	}
}

bool
lr_wait(struct linereader *lr, int timeout_ms)
{
	struct pollfd pfd = {lr->fd, POLLIN, 0};

	if (lr_has_line(lr) || lr->eof)
		return true;
	return poll(&pfd, 1, timeout_ms) > 0;
}

/* Reads more input into the buffer: bytes read, 0 at EOF, -1 on error. */
static ssize_t
read_more(struct linereader *lr)
{
	for (;;) {
		ssize_t got;
		struct pollfd pfd = {lr->fd, POLLIN, 0};

		make_room(lr);
		got = read(lr->fd, lr->buf + lr->end, lr->cap - lr->end);
		if (got >= 0) {
			lr->end += (size_t) got;
			lr->eof = got == 0;
			return got;
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			(void) poll(&pfd, 1, 1000);
		else if (errno != EINTR)
			return -1;
	}
}

int
lr_drain_long(struct linereader *lr, lr_piece_fn fn, void *ctx)
{
	while (lr->skipping) {
		char *from = lr->buf + lr->start;
		char *nl = memchr(from, '\n', lr->end - lr->start);
		ssize_t got;

		if (nl != NULL) {
			if (fn)
				fn(ctx, from, (size_t) (nl - from));
			lr->start += (size_t) (nl - from) + 1;
			lr->scanned = 0;
			lr->skipping = false;
			return 1;
		}
		if (fn)
			fn(ctx, from, lr->end - lr->start);
		lr->start = lr->end;
		lr->scanned = 0;
		if (lr->eof)
			return 0;
		if ((got = read_more(lr)) < 0)
			return -1;
	}
	return 1;
}

size_t
lr_max_option(const char *value)
{
	return (size_t) opt_int("--max-line-bytes", value, LINEREAD_MAX_MIN,
							(int64_t) LINEREAD_MAX_MAX);
}

int
lr_failure(const struct linereader *lr, enum lr_status st, char *msg, size_t size)
{
	unsigned long long lineno = (unsigned long long) lr->lineno;

	switch (st) {
		case LR_TOO_LONG:
			snprintf(msg, size, "line %llu: longer than %zu bytes (see --max-line-bytes)", lineno,
					 lr->max_line);
			return EX_DATAERR;
		case LR_PARTIAL:
			snprintf(msg, size,
					 "line %llu: input ends inside this line (was its writer "
					 "killed?); the fragment was not used",
					 lineno);
			return EX_TEMPFAIL;
		default:
			snprintf(msg, size, "could not read standard input: %s", strerror(errno));
			return EX_IOERR;
	}
}
