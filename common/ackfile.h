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
 * This module writes and reads both kinds of line; no one else does.
 */
#ifndef WALPIPE_ACKFILE_H
#define WALPIPE_ACKFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "lsn.h"

/* Replaces path's content atomically; false on failure, errno set. */
bool file_replace(const char *path, const char *data, size_t n);

/* The same for an acknowledgement file; on failure fills errbuf. */
bool ack_write(const char *path, const char *data, size_t n, char *errbuf, size_t errsize);

/*
 * The exit status for the last failed ack_write: EX_NOPERM when access
 * is refused (no write permission, a read-only file system), which no
 * retry cures; else EX_IOERR (a full disk may have room later).
 */
int ack_write_status(void);

/*
 * Reads the whole file into out (reset first).  A missing file is not an
 * error: *exists is set false and out is empty.
 */
bool ack_read(const char *path, struct buf *out, bool *exists, char *errbuf, size_t errsize);

/* Finds the "pos" line in content; false if there is none or it is bad. */
bool ack_find_pos(const char *content, size_t n, struct pos *pos);

/* Appends the "pos" line of pos to out. */
void ack_put_pos(struct buf *out, struct pos pos);

/* Kafka's longest topic name; its characters are [a-zA-Z0-9._-]. */
#define ACK_TOPIC_MAX 249

/* True if topic[0..n) is a name Kafka accepts for a topic. */
bool ack_topic_valid(const char *topic, size_t n);

/*
 * Appends the "offset" line of a Kafka partition to out: next is the
 * offset to consume next.  false (nothing appended) if topic is not a
 * name Kafka accepts, which no consumer could have read from.
 */
bool ack_put_offset(struct buf *out, const char *topic, int32_t partition, int64_t next);

/* One "offset" line, read back. */
struct ack_offset {
	char topic[ACK_TOPIC_MAX + 1];
	int32_t partition;
	int64_t next;
};

/*
 * The next "offset" line of content[0..n) from *at on (start at 0): true
 * with *o filled and *at past it; false at the end.  Lines of other kinds,
 * and offset lines that are garbled or cut short (no newline), are skipped.
 */
bool ack_next_offset(const char *content, size_t n, size_t *at, struct ack_offset *o);

#endif
