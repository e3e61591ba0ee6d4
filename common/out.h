/*
 * out.h - the data output of a command: whole lines to a file descriptor.
 *
 * Lines are appended to an in-memory batch and written with writeall()
 * semantics on out_flush(), so positions can be acknowledged only for
 * what has left the process.  A write error (EPIPE included: SIGPIPE is
 * ignored) is sticky and reported once; callers then stop without
 * acknowledging anything more.  For a regular file, out_flush() also
 * fsyncs, because only then is the data durable.
 */
#ifndef WALPIPE_OUT_H
#define WALPIPE_OUT_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

struct out {
	int fd;
	bool is_file; /* regular file: fsync on flush */
	bool is_pipe; /* a pipe or FIFO: out_unread() can see into it */
	bool failed;  /* a write failed; errno saved in err */
	int err;
	uint64_t lines;	 /* lines queued by out_line(), for metrics */
	uint64_t bytes;	 /* bytes written by out_flush() */
	size_t flush_at; /* flush automatically past this many bytes */
	struct buf pending;
};

void out_init(struct out *o, int fd);
void out_free(struct out *o);

/* Queues one line; the '\n' is added here. */
void out_line(struct out *o, const char *p, size_t n);

/* Writes everything queued; false on failure (errno in o->err). */
bool out_flush(struct out *o);

/*
 * What was given to out_line() and is not read yet: the bytes queued, and
 * for a pipe those in it that its reader has not taken.
 */
size_t out_unread(const struct out *o);

/* Writes all n bytes, retrying on EINTR and partial writes. */
bool writeall(int fd, const void *p, size_t n);

#endif
