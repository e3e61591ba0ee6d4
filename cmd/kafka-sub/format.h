/*
 * format.h - Kafka messages as record lines (walpipe-record(5)), and the
 * indenting printer behind --pretty.  Pure functions over buffers.
 */
#ifndef KAFKA_SUB_FORMAT_H
#define KAFKA_SUB_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct fmt_header {
	const char *name;
	const void *value; /* NULL for a null header value */
	size_t size;
};

struct fmt_msg {
	const char *topic;
	int32_t partition;
	int64_t offset;
	int64_t timestamp; /* ms; -1 if none */
	const void *key;   /* NULL = null key */
	size_t key_len;
	const void *value; /* NULL = tombstone */
	size_t value_len;
	const struct fmt_header *headers;
	size_t nheaders;
	const struct buf *head; /* format_head() of topic and partition, or NULL */
};

/* True if p[0..n) is valid UTF-8. */
bool utf8_valid(const unsigned char *p, size_t n);

/*
 * True if p[0..n) can be embedded as JSON unchanged: exactly one JSON
 * value, no white space outside strings, and not the literal null (which
 * would read back as a null key or a tombstone).
 */
bool embeddable_json(const char *p, size_t n);

/*
 * Appends the start of a record line up to its offset, the same for every
 * record of a partition: {"topic":...,"partition":N,"offset":
 */
void format_head(struct buf *out, const char *topic, int32_t partition);

/*
 * Appends the record line of m (without newline).  Non-JSON bytes become
 * a string with "key_encoding"/"value_encoding": "text" if they are valid
 * UTF-8 and force_base64 is false, else "base64".
 */
void format_record(struct buf *out, const struct fmt_msg *m, bool force_base64);

/* Appends compact JSON text p[0..n) indented by two spaces per level. */
void format_pretty(struct buf *out, const char *p, size_t n);

#endif
