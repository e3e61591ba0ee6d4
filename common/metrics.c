/*
 * metrics.c - counters and gauges written as a Prometheus text file.
 */
#include "metrics.h"
#include "clock.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "ackfile.h"
#include "buf.h"
#include "log.h"

#define PREFIX "walpipe_"

enum metric_type { M_COUNTER, M_GAUGE };

struct metric {
	const char *name;
	const char *labels; /* NULL or from metrics_labels() */
	const char *help;
	enum metric_type type;
	const uint64_t *src; /* read at each write, or NULL: use value */
	double value;
};

static struct {
	const char *path;
	void (*update)(void *);
	void *arg;
	struct metric **m;
	size_t n;
	char **labels; /* strings made by metrics_labels() */
	size_t nlabels;
	int64_t next_ms; /* monotonic time of the next write */
	bool warned;
	bool writing;
	struct buf text;
	struct buf extra; /* ",k=\"v\"..." from WALPIPE_METRICS_LABELS */
} M;

static double scratch;

double
metrics_now(void)
{
	return (double) clock_wall_us() / 1e6;
}

/* An exit by fatal() still writes what was counted, without update(). */
static void
write_at_exit(void)
{
	if (M.path != NULL && !M.writing) {
		M.update = NULL;
		(void) metrics_write();
	}
}

/* A label name as the text format allows it. */
static bool
label_name_ok(const char *p, size_t n)
{
	size_t i;

	if (n == 0 || (p[0] >= '0' && p[0] <= '9'))
		return false;
	for (i = 0; i < n; i++)
		if (!(p[i] == '_' || (p[i] >= 'a' && p[i] <= 'z') || (p[i] >= 'A' && p[i] <= 'Z') ||
			  (p[i] >= '0' && p[i] <= '9')))
			return false;
	return strncmp(p, "command", n) != 0 || n != strlen("command");
}

/* Appends a label value, escaped as the exposition format wants. */
static void
put_label_value(struct buf *b, const char *v, size_t n)
{
	const char *end = v + n;

	for (; v < end; v++) {
		if (*v == '\\' || *v == '"')
			buf_putc(b, '\\');
		if (*v == '\n')
			buf_puts(b, "\\n");
		else
			buf_putc(b, *v);
	}
}

/*
 * WALPIPE_METRICS_LABELS="k=v,k2=v2": labels for every series, to tell
 * apart two processes of one command on a host.  A bad list is reported
 * and left out.
 */
static void
extra_labels(void)
{
	const char *env = getenv("WALPIPE_METRICS_LABELS");
	const char *p, *eq, *end;

	buf_reset(&M.extra);
	for (p = env; p != NULL && *p != '\0'; p = *end ? end + 1 : end) {
		end = strchr(p, ',');
		if (end == NULL)
			end = p + strlen(p);
		eq = memchr(p, '=', (size_t) (end - p));
		if (eq == NULL || !label_name_ok(p, (size_t) (eq - p))) {
			log_warn("WALPIPE_METRICS_LABELS: \"%.*s\" is no label=value: left out",
					 (int) (end - p), p);
			buf_reset(&M.extra);
			return;
		}
		buf_printf(&M.extra, ",%.*s=\"", (int) (eq - p), p);
		put_label_value(&M.extra, eq + 1, (size_t) (end - eq - 1));
		buf_putc(&M.extra, '"');
	}
}

void
metrics_init(const char *path, void (*update)(void *), void *arg)
{
	static bool registered;

	if (path != NULL && M.path == NULL)
		extra_labels();
	M.path = path;
	M.update = update;
	M.arg = arg;
	M.next_ms = 0;
	if (path != NULL && !registered) {
		atexit(write_at_exit);
		registered = true;
	}
}

bool
metrics_enabled(void)
{
	return M.path != NULL;
}

static struct metric *
add(const char *name, const char *labels, const char *help, enum metric_type type)
{
	struct metric *m = xcalloc(1, sizeof *m);

	m->name = name;
	m->labels = labels;
	m->help = help;
	m->type = type;
	M.m = xrealloc(M.m, (M.n + 1) * sizeof *M.m);
	M.m[M.n++] = m;
	return m;
}

void
metrics_counter(const char *name, const char *labels, const char *help, const uint64_t *src)
{
	if (M.path != NULL)
		add(name, labels, help, M_COUNTER)->src = src;
}

void
metrics_gauge_u64(const char *name, const char *labels, const char *help, const uint64_t *src)
{
	if (M.path != NULL)
		add(name, labels, help, M_GAUGE)->src = src;
}

double *
metrics_gauge(const char *name, const char *labels, const char *help)
{
	if (M.path == NULL)
		return &scratch;
	return &add(name, labels, help, M_GAUGE)->value;
}

const char *
metrics_labels(const char *key, ...)
{
	struct buf b = BUF_INIT;
	const char *k, *v;
	va_list ap;

	va_start(ap, key);
	for (k = key; k != NULL; k = va_arg(ap, const char *)) {
		v = va_arg(ap, const char *);
		buf_printf(&b, "%s%s=\"", b.len ? "," : "", k);
		put_label_value(&b, v, strlen(v));
		buf_putc(&b, '"');
	}
	va_end(ap);
	M.labels = xrealloc(M.labels, (M.nlabels + 1) * sizeof *M.labels);
	M.labels[M.nlabels++] = xstrdup(buf_cstr(&b));
	buf_free(&b);
	return M.labels[M.nlabels - 1];
}

static void
put_value(struct buf *b, const struct metric *m)
{
	double v = m->value;

	if (m->src != NULL)
		buf_put_u64(b, *m->src);
	else if (isnan(v))
		buf_puts(b, "NaN");
	else if (isinf(v))
		buf_puts(b, v > 0 ? "+Inf" : "-Inf");
	else if (v == floor(v) && fabs(v) < 9e15)
		buf_put_i64(b, (int64_t) v);
	else
		buf_printf(b, "%.16g", v);
}

/* Every series of the metric named like M.m[first], after one HELP and TYPE. */
static void
put_family(struct buf *b, size_t first, bool *done)
{
	const struct metric *f = M.m[first];
	size_t i;

	buf_printf(b, "# HELP " PREFIX "%s %s\n# TYPE " PREFIX "%s %s\n", f->name, f->help, f->name,
			   f->type == M_COUNTER ? "counter" : "gauge");
	for (i = first; i < M.n; i++) {
		if (done[i] || strcmp(M.m[i]->name, f->name) != 0)
			continue;
		done[i] = true;
		buf_printf(b, PREFIX "%s{command=\"%s\"%s%s%s} ", f->name, log_progname(),
				   M.extra.len ? buf_cstr(&M.extra) : "", M.m[i]->labels ? "," : "",
				   M.m[i]->labels ? M.m[i]->labels : "");
		put_value(b, M.m[i]);
		buf_putc(b, '\n');
	}
}

bool
metrics_write(void)
{
	bool *done;
	size_t i;
	bool ok;

	if (M.path == NULL || M.writing)
		return true;
	M.writing = true;
	if (M.update != NULL)
		M.update(M.arg);
	done = xcalloc(M.n ? M.n : 1, sizeof *done);
	buf_reset(&M.text);
	for (i = 0; i < M.n; i++)
		if (!done[i])
			put_family(&M.text, i, done);
	free(done);
	ok = file_replace(M.path, M.text.data ? M.text.data : "", M.text.len);
	if (!ok && !M.warned) {
		log_warn("could not write metrics file \"%s\": %s", M.path, strerror(errno));
		M.warned = true;
	}
	M.next_ms = clock_coarse_ms() + 1000;
	M.writing = false;
	return ok;
}

void
metrics_tick(void)
{
	if (M.path != NULL && clock_coarse_ms() >= M.next_ms)
		(void) metrics_write();
}

void
metrics_close(void)
{
	size_t i;

	if (M.path == NULL)
		return;
	(void) metrics_write();
	for (i = 0; i < M.n; i++)
		free(M.m[i]);
	for (i = 0; i < M.nlabels; i++)
		free(M.labels[i]);
	free(M.m);
	free(M.labels);
	buf_free(&M.text);
	buf_free(&M.extra);
	memset(&M, 0, sizeof M);
}

void
metrics_source_init(struct metrics_source *s)
{
	s->seen_us = 0;
	s->commit_ts = metrics_gauge("last_source_commit_timestamp_seconds", NULL,
								 "Commit time of the last source transaction seen, Unix seconds.");
	s->lag = metrics_gauge("source_lag_seconds", NULL,
						   "Seconds between the last source commit seen and when it was seen.");
}

void
metrics_source_update(struct metrics_source *s, int64_t commit_ts_us)
{
	if (commit_ts_us == 0 || commit_ts_us == s->seen_us)
		return;
	s->seen_us = commit_ts_us;
	*s->commit_ts = (double) commit_ts_us / 1e6;
	*s->lag = metrics_now() - *s->commit_ts;
	if (*s->lag < 0)
		*s->lag = 0;
}
