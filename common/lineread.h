/*
 * lineread.h - a buffered reader of newline-delimited input.
 *
 * Owns the input buffer; each line handed out stays valid until the next
 * call.  Knows the number of the line it returned and refuses lines longer
 * than a maximum instead of truncating them.  A last line without a
 * trailing newline is still a line.
 */
#ifndef WALPIPE_LINEREAD_H
#define WALPIPE_LINEREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LINEREAD_DEFAULT_MAX (64u * 1024 * 1024)

enum lr_status {
	LR_LINE,					/* line and len hold a line, without its newline */
	LR_EOF,						/* no more input */
	LR_TOO_LONG,				/* line exceeds the maximum; lr->lineno names it */
	LR_ERROR,					/* read error; errno is set */
	LR_AGAIN					/* no line yet: non-blocking fd, or a signal */
};

struct linereader {
	int			fd;
	char	   *buf;
	size_t		cap;
	size_t		start;			/* first unconsumed byte */
	size_t		end;			/* end of valid data */
	size_t		scanned;		/* bytes after start known to hold no '\n' */
	size_t		max_line;
	uint64_t	lineno;			/* number of the last line returned, from 1 */
	bool		eof;
};

/* After LR_TOO_LONG or LR_ERROR the reader must not be used again. */
void		lr_init(struct linereader *lr, int fd, size_t max_line);
void		lr_free(struct linereader *lr);

/* Blocks (or returns LR_AGAIN for a non-blocking fd) until a line is ready. */
enum lr_status lr_next(struct linereader *lr, char **line, size_t *len);

/* True if a complete line is already buffered (no read needed). */
bool		lr_has_line(struct linereader *lr);

#endif
