/*
 * ackwriter.h - writes an acknowledgement file (ackfile.h) from a thread
 * of its own.
 *
 * Each ack_write() costs two fsyncs, which a busy disk can stretch to a
 * second or more; done inline they would stall every record behind them.
 * Here the caller posts the newest content and goes on; the thread writes
 * it with ack_write().  Contents posted while a write runs are coalesced:
 * only the newest is written next, which is all a reader wants.  Nothing
 * is acknowledged earlier than before: the file still says only what the
 * caller posted, and a crash loses at most acknowledgements (the source
 * sends those records again), never records.
 *
 * Nothing here prints or exits: a failed write is kept and reported by
 * ackwriter_error() to the caller's thread.
 */
#ifndef WALPIPE_ACKWRITER_H
#define WALPIPE_ACKWRITER_H

#include <stdbool.h>
#include <stddef.h>

struct ackwriter;

/*
 * Starts the writer of path (kept, not copied); SIGINT and SIGTERM stay
 * with the caller's threads.  NULL with errbuf filled if no thread starts.
 */
struct ackwriter *ackwriter_start(const char *path, char *errbuf, size_t errsize);

/* Posts the next content (copied); returns at once. */
void ackwriter_post(struct ackwriter *w, const char *data, size_t n);

/*
 * The exit status (ack_write_status()) of the first failed write, with
 * its message in errbuf, or 0.  After a failure nothing more is written.
 */
int ackwriter_error(struct ackwriter *w, char *errbuf, size_t errsize);

/*
 * Waits until everything posted is written (or a write failed), stops
 * the thread and frees w; returns as ackwriter_error().  w may be NULL.
 */
int ackwriter_stop(struct ackwriter *w, char *errbuf, size_t errsize);

#endif
