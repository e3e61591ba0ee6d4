/*
 * ops.h - record lines into the ops of the batch being read: tombstones,
 * messages and disabled kinds leave none, a change leaves one with its
 * table and its values converted.
 */
#ifndef PGAPPLY_OPS_H
#define PGAPPLY_OPS_H

#include "run.h"

/*
 * Adds the op for one parsed record to c->b (or none); false with err
 * filled if the record cannot be applied (nothing is added then).
 */
bool add_op(struct ctx *c, const struct frec *f, uint64_t lineno, const char *line, size_t n,
			char *err, size_t errsize);

#endif
