/*
 * signals.h - Debezium's signals (execute-snapshot, stop-snapshot,
 * pause-snapshot, resume-snapshot, log) from the signal table
 * (--signal-table, signal.data.collection) or the signal file
 * (--signal-file).  Not POSIX signals: those are common/sig.h.
 */
#ifndef PGWT_SIGNALS_H
#define PGWT_SIGNALS_H

#include <stdbool.h>
#include <stddef.h>

#include "decode.h"
#include "format.h"

struct tail;

/* Carries out one signal; data is its JSON object, or NULL. */
void signal_run(struct tail *t, const char *id, const char *type, const char *data, size_t n);
/* Whether r is the signal table. */
bool signal_table_is(const struct tail *t, const struct rel *r);
/* A row inserted into the signal table: id, type, data. */
void signal_on_insert(struct tail *t, const struct pgo_tuple *tup);

/* Opens --signal-file (created if missing); exits (66) if it cannot. */
void signals_open(struct tail *t);
/* Reads and carries out the signals written since the last look, at most every 0.2 s. */
void signals_poll(struct tail *t);
void signals_close(struct tail *t);

#endif
