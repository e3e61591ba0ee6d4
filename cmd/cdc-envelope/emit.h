/*
 * emit.h - whole record lines: a data change event (the Envelope, or the
 * unwrapped row), its tombstone, a logical decoding message; each with
 * its topic, key, source block and headers.
 */
#ifndef CDC_ENVELOPE_EMIT_H
#define CDC_ENVELOPE_EMIT_H

#include "change.h"
#include "state.h"

/*
 * One data change event: op with before/after rows (NULL = null) and the
 * key taken from keyvals (NULL = null key).  False with the message reported.
 */
bool emit_event(struct env *e, struct table *t, const struct change *ch, char op,
				const struct json_slice *before, const struct json_slice *after,
				const struct json_slice *keyvals, struct buf *out);
/* The tombstone after a delete, if tombstones are on. */
bool emit_tombstone(struct env *e, const struct table *t, const struct json_slice *keyvals,
					struct buf *out);
/* A logical decoding message: <prefix>.message, MessageKey / MessageValue. */
bool emit_message(struct env *e, const struct change *ch, struct buf *out);

#endif
