/*
 * ackfile.h - the acknowledgement file between two commands of a pipeline.
 *
 * The downstream command writes what it has made durable; the upstream
 * command reads it and only then lets its source forget (confirms the
 * LSN to PostgreSQL, commits the Kafka offset).  The file is replaced
 * atomically (temp file, fsync, rename, fsync of the directory), so a
 * reader sees either the old or the new content, even after a crash.
 *
 * Content is text, one fact per line; readers skip lines they do not know:
 *     pos 16/B374D848:3              change position (see lsn.h)
 *     offset TOPIC PARTITION NEXT    Kafka: next offset to consume
 */
#ifndef WALPIPE_ACKFILE_H
#define WALPIPE_ACKFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "lsn.h"

/* Replaces path's content atomically; false on failure, errno set. */
bool		file_replace(const char *path, const char *data, size_t n);

/* The same for an acknowledgement file; on failure fills errbuf. */
bool		ack_write(const char *path, const char *data, size_t n,
					  char *errbuf, size_t errsize);

/*
 * The exit status for the last failed ack_write: EX_NOPERM when access
 * is refused (no write permission, a read-only file system), which no
 * retry cures; else EX_IOERR (a full disk may have room later).
 */
int			ack_write_status(void);

/*
 * Reads the whole file into out (reset first).  A missing file is not an
 * error: *exists is set false and out is empty.
 */
bool		ack_read(const char *path, struct buf *out, bool *exists,
					 char *errbuf, size_t errsize);

/* Finds the "pos" line in content; false if there is none or it is bad. */
bool		ack_find_pos(const char *content, size_t n, struct pos *pos);

#endif
