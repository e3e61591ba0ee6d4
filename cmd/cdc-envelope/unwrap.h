/*
 * unwrap.h - the value of a record as ExtractNewRecordState (--unwrap)
 * writes it: the row itself, a delete dropped, rewritten or kept as null.
 */
#ifndef CDC_ENVELOPE_UNWRAP_H
#define CDC_ENVELOPE_UNWRAP_H

#include "state.h"

/* Appends the value of an op with rows before/after; false with the message reported. */
bool put_unwrapped(struct env *e, struct table *t, char op, const struct json_slice *before,
				   const struct json_slice *after, struct buf *out);

#endif
