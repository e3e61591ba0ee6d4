/*
 * lineread.h - a buffered reader of newline-delimited input.
 *
 * Owns the input buffer; each line handed out stays valid until the next
 * call.  Knows the number of the line it returned and refuses lines longer
 * than a maximum instead of truncating them.
 *
 * Input that ends without a final newline ends inside a line: in a pipeline
 * that means the writer was killed halfway through it.  That fragment is
 * never handed out as a line (LR_PARTIAL): processing half a record, or a
 * whole one whose writer never finished it, could acknowledge what was
 * never fully sent.
 */
#ifndef WALPIPE_LINEREAD_H
#define WALPIPE_LINEREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Every command that reads lines takes the maximum as --max-line-bytes;
 * LINEREAD_MAX_OPTION parses it.
 */
#define LINEREAD_DEFAULT_MAX (64u * 1024 * 1024)
#define LINEREAD_MAX_MIN 16
#define LINEREAD_MAX_MAX ((size_t) 1 << 40)

enum lr_status {
	LR_LINE,	 /* line and len hold a line, without its newline */
	LR_EOF,		 /* no more input */
	LR_TOO_LONG, /* line exceeds the maximum; lr->lineno names it */
	LR_ERROR,	 /* read error; errno is set */
	LR_PARTIAL,	 /* input ended inside a line: the writer died */
	LR_AGAIN	 /* no line yet: non-blocking fd, or a signal */
};

struct linereader {
	int fd;
	char *buf;
	size_t cap;
	size_t start;	/* first unconsumed byte */
	size_t end;		/* end of valid data */
	size_t scanned; /* bytes after start known to hold no '\n' */
	size_t max_line;
	uint64_t lineno; /* number of the last line returned, from 1 */
	uint64_t bytes;	 /* bytes of the lines returned, newlines too */
	bool eof;
	bool skipping; /* discarding the rest of an over-long line */
	/* Set by lr_keep_lines(), or NULL. */
	void (*retire)(void *ctx, char *buf, size_t size);
	char *(*fresh)(void *ctx, size_t size);
	void *keep_ctx;
};

/*
 * After LR_TOO_LONG the reader skips the rest of that line and goes on
 * (or lr_drain_long() hands it over); after LR_ERROR or LR_PARTIAL it must
 * not be used again.
 */
void lr_init(struct linereader *lr, int fd, size_t max_line);
void lr_free(struct linereader *lr);

/*
 * Lines that outlive the next call, for a reader that hands them on
 * without a copy (kafka-pub to librdkafka): from now on the reader never
 * moves, overwrites or frees the bytes of a line it handed out.  A full
 * buffer is left as it is and the unread rest copied into a new one,
 * which fresh(ctx, size) gives (a buffer of size bytes, or NULL for a new
 * one; fresh may be NULL); the old buffer goes to retire(ctx, buf, size),
 * which owns it from then on: it frees it with free(), or hands it out
 * again through fresh, once no line in it is in use.  lr_free() retires
 * the last buffer.  Lines stay where they are in their buffer.
 */
void lr_keep_lines(struct linereader *lr, void (*retire)(void *ctx, char *buf, size_t size),
				   char *(*fresh)(void *ctx, size_t size), void *ctx);

/*
 * A bounded wait before lr_next(): true once a line is buffered, the input
 * has ended or the fd is readable; false after timeout_ms or a signal, so
 * that the caller looks at sig_stop again.  A blocking read alone would
 * miss a signal that comes between that look and the read.
 */
bool lr_wait(struct linereader *lr, int timeout_ms);

/* Blocks (or returns LR_AGAIN for a non-blocking fd) until a line is ready. */
enum lr_status lr_next(struct linereader *lr, char **line, size_t *len);

/*
 * For a status that ends the input (LR_TOO_LONG, LR_ERROR, LR_PARTIAL):
 * writes the message to report into msg ("line 12: longer than ...") and
 * returns the exit status that goes with it: EX_DATAERR for a line too long,
 * EX_IOERR for a read error, EX_TEMPFAIL for a fragment (run again once the
 * writer is back: nothing of the fragment was used).  Call right after
 * lr_next(), errno intact.
 */
int lr_failure(const struct linereader *lr, enum lr_status st, char *msg, size_t size);

/*
 * Right after LR_TOO_LONG: reads the rest of the over-long line, blocking,
 * and hands all of it, piece by piece, to fn (if not NULL), so that it can be set aside
 * with no more memory than the maximum.  1 at its newline, 0 if the input
 * ended inside it (the writer died), -1 on a read error (errno set).
 */
typedef void (*lr_piece_fn)(void *ctx, const char *p, size_t n);
int lr_drain_long(struct linereader *lr, lr_piece_fn fn, void *ctx);

/* The value of --max-line-bytes; exits EX_USAGE naming the option if bad. */
size_t lr_max_option(const char *value);

/* True if a complete line is already buffered (no read needed). */
bool lr_has_line(struct linereader *lr);

#endif
