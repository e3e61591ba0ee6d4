/*
 * deadletter.h - records that cannot be applied: their name in messages
 * (line, or topic, partition and offset) and the dead letter file of
 * --errors=skip.
 */
#ifndef PGAPPLY_DEADLETTER_H
#define PGAPPLY_DEADLETTER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "lineread.h"
#include "out.h"

/* "topic "T" partition P offset O", or "line N" for records without. */
void name_record(struct buf *out, uint64_t lineno, const char *topic, int32_t partition,
				 int64_t offset);

/* One dead letter line (pg-apply(1), DEAD LETTERS) into b, without the newline. */
void dead_letter_line(struct buf *b, uint64_t lineno, const char *line, size_t n, const char *msg);

/* The dead letter file of --errors=skip. */
struct deadletters {
	const char *path; /* --dead-letter, or NULL: none is kept */
	struct out out;
	pthread_mutex_t lock; /* dead letters come from both threads */
};

/* Opens path (NULL: none) for appending; exits 73 if it cannot. */
void deadletters_open(struct deadletters *dl, const char *path);

/* Closes the file; exits 74 if that fails. */
void deadletters_close(struct deadletters *dl);

/* Appends a dead letter (if there is a file); exits 74 on a write error. */
bool dead_letter(struct deadletters *dl, uint64_t lineno, const char *line, size_t n,
				 const char *msg);

/*
 * An over-long line read to its end and set aside (as record_base64);
 * false if the input ended inside it.
 */
bool long_line(struct deadletters *dl, struct linereader *lr, const char *msg);

#endif
