/*
 * progress.c - a live line on a terminal, periodic log lines otherwise.
 */
#include "progress.h"
#include "clock.h"

#include <stdio.h>
#include <unistd.h>

#include "log.h"

#define TTY_INTERVAL 0.5

/* Seconds on the coarse monotonic clock. */
static double
mono(void)
{
	return (double) clock_coarse_ms() / 1000.0;
}

void
progress_start(struct progress *p, double interval, uint64_t done)
{
	p->interval = interval;
	p->tty = isatty(2);
	p->drawn = false;
	p->start = mono();
	p->next = p->start + (p->tty ? TTY_INTERVAL : interval);
	p->done0 = done;
}

/* "1h02m", "3m05s" or "12s". */
static void
fmt_duration(char *dst, size_t size, double s)
{
	long t = (long) (s + 0.5);

	if (t >= 3600)
		snprintf(dst, size, "%ldh%02ldm", t / 3600, t / 60 % 60);
	else if (t >= 60)
		snprintf(dst, size, "%ldm%02lds", t / 60, t % 60);
	else
		snprintf(dst, size, "%lds", t);
}

static void
draw(struct progress *p, const char *what, uint64_t done, double total, const char *unit,
	 double now)
{
	double elapsed = now - p->start;
	double rate = elapsed > 0 ? (double) (done - p->done0) / elapsed : 0;
	char est[64] = "";
	char eta[32] = "";

	if (total >= 0) {
		snprintf(est, sizeof est, " of ~%.0f (%.0f%%)", total,
				 total > 0 ? 100.0 * (double) done / total : 100.0);
		if (rate > 0 && total > (double) done)
			fmt_duration(eta, sizeof eta, (total - (double) done) / rate);
	}
	fflush(stdout);
	fprintf(stderr, "%s%s: progress: %s: %llu%s %s, %.0f %s/s%s%s%s", p->tty ? "\r" : "",
			log_progname(), what, (unsigned long long) done, est, unit, rate, unit,
			eta[0] ? ", ETA " : "", eta, p->tty ? "\033[K" : "\n");
	fflush(stderr);
	p->drawn = true;
}

bool
progress_due(const struct progress *p)
{
	return p->interval > 0 && mono() >= p->next;
}

void
progress_report(struct progress *p, const char *what, uint64_t done, double total, const char *unit)
{
	double now;

	if (p->interval <= 0)
		return;
	now = mono();
	if (now < p->next)
		return;
	p->next = now + (p->tty ? TTY_INTERVAL : p->interval);
	draw(p, what, done, total, unit, now);
}

void
progress_end(struct progress *p, const char *what, uint64_t done, double total, const char *unit)
{
	if (p->interval <= 0)
		return;
	p->next = mono() + (p->tty ? TTY_INTERVAL : p->interval);
	if (!p->drawn)
		return;
	draw(p, what, done, total, unit, mono());
	if (p->tty)
		fputc('\n', stderr);
	p->drawn = false;
}
