/*
 * progress.h - progress of long work (a snapshot, a catch-up) on stderr.
 *
 * When stderr is a terminal: one line, rewritten in place at most every
 * half second, ended when the work ends.  Otherwise: a log line every
 * interval seconds ("prog: progress: ...").  Interval 0 turns both off.
 * The caller says what is done and what is left; this module owns the
 * rate, the ETA and the look of the line.
 */
#ifndef WALPIPE_PROGRESS_H
#define WALPIPE_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

#define PROGRESS_DEFAULT_INTERVAL 10.0

struct progress {
	double interval; /* seconds between log lines; 0: off */
	bool tty;		 /* stderr is a terminal */
	bool drawn;		 /* a terminal line is on screen */
	double start;	 /* when the work began */
	double next;	 /* when to report next */
	uint64_t done0;	 /* done at start, for the rate */
};

/* Starts a piece of work; done is what counts as done at its start. */
void progress_start(struct progress *p, double interval, uint64_t done);

/* True if progress_report() would report now: to skip computing it. */
bool progress_due(const struct progress *p);

/*
 * Reports, if due, that done units (named unit) of about total are done
 * (total < 0: unknown), about what.  Cheap when not due.
 */
void progress_report(struct progress *p, const char *what, uint64_t done, double total,
					 const char *unit);

/*
 * Ends the work: reports a last time (if anything was shown) and ends the
 * line.  The next report, if the work goes on, is due an interval later.
 */
void progress_end(struct progress *p, const char *what, uint64_t done, double total,
				  const char *unit);

#endif
