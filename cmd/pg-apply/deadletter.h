/*
 * deadletter.h - records that cannot be applied: their name in messages
 * (line, or topic, partition and offset) and the dead letter file of
 * --errors=skip.  Dead letters come from both threads; ctx.dead_lock
 * orders them.
 */
#ifndef PGAPPLY_DEADLETTER_H
#define PGAPPLY_DEADLETTER_H

#include "lineread.h"
#include "run.h"

/* "topic "T" partition P offset O", or "line N" for records without. */
void		name_record(struct buf *out, uint64_t lineno, const char *topic, int32_t partition,
						int64_t offset);

/* One dead letter line (pg-apply(1), DEAD LETTERS) into b, without the newline. */
void		dead_letter_line(struct buf *b, uint64_t lineno, const char *line, size_t n,
							 const char *msg);

/* Appends a dead letter (if there is a file); exits on a write error. */
bool		dead_letter(struct ctx *c, uint64_t lineno, const char *line, size_t n,
						const char *msg);

/*
 * An over-long line read to its end and set aside (as record_base64);
 * false if the input ended inside it.
 */
bool		long_line(struct ctx *c, struct linereader *lr, const char *msg);

#endif
