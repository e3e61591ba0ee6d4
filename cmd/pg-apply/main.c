/*
 * pg-apply - apply Debezium change records to PostgreSQL, exactly once.
 *
 * Reads record lines (walpipe-record(5)) from standard input, from
 * kafka-sub (topic, partition, offset) or cdc-envelope ("pos"), and
 * applies them as the Debezium JDBC sink connector would: tables named
 * by a format, upsert/insert/update, deletes, truncates, tables created
 * and widened from the Connect schema.  Each batch is one transaction
 * that also stores the last applied position per source in an offsets
 * table of the sink, so after any crash a rerun skips what was applied.
 * See pg-apply(1).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "ackfile.h"
#include "ackwriter.h"
#include "clock.h"
#include "lineread.h"
#include "log.h"
#include "metrics.h"
#include "opts.h"
#include "out.h"
#include "pgapply.h"
#include "pgutil.h"
#include "record.h"
#include "sig.h"

#define DEFAULT_OFFSETS_TABLE "public.walpipe_offsets"
#define DEFAULT_BATCH_SIZE 5000L
#define DEFAULT_FLUSH_MS 1000L
#define DEFAULT_ACK_INTERVAL_MS 100L
#define IDLE_GRACE_MS 2
#define RECONNECT_TRIES 8		/* pauses 0.25 s doubling to 8 s: about 30 s */

struct ctx;

/*
 * A batch handed to the apply thread: the main thread reads the next
 * batch meanwhile, and takes the result (and acknowledges) afterwards.
 */
struct inflight {
	struct ctx *c;
	struct batch *b;
	pthread_t	thread;
	struct offset_row *offs;	/* id: the index in ctx.sources */
	int			noffs;
	enum apply_status status;
	const struct op *failed;
	char		err[1024];
};

/* A position source: one Kafka partition, or the change positions. */
struct source {
	char	   *name;			/* key in the offsets table */
	char	   *topic;			/* NULL for positions */
	int32_t		partition;
	bool		has_seen;		/* the highest position taken into a batch */
	int64_t		seen;
	struct pos	seen_pos;
	bool		has_applied;	/* what the sink holds */
	int64_t		applied;
	struct pos	applied_pos;
	bool		skipping;		/* records at or below seen are being left out */
	bool		has_batch;		/* what the open batch brings: first and last */
	int64_t		batch_first;
	int64_t		batch;
	struct pos	batch_first_pos;
	struct pos	batch_pos;
	double	   *gauge;			/* its metric, once registered */
};

struct ctx {
	struct settings s;
	const char *conninfo;
	const char *ack_file;
	const char *offsets_table;
	const char *dead_letter;
	const char *metrics_file;
	bool		skip_errors;
	bool		no_positions;	/* --no-positions */
	size_t		max_line;		/* --max-line-bytes */
	long		flush_interval_ms;
	long		ack_interval_ms;
	int64_t		ack_written_ms;
	bool		ack_dirty;		/* committed positions not yet in the ack file */
	struct ackwriter *ackw;		/* writes ack_file while applying, or NULL */
	PGconn	   *conn;
	struct applier *a;
	struct batch *b;			/* the batch being read */
	struct batch batches[2];	/* one read while the other is applied */
	struct inflight *inflight;	/* the batch being applied, or NULL */
	pthread_mutex_t dead_lock;	/* dead letters come from both threads */
	size_t		group_start;	/* ops from here on wait for a record with pos */
	long		batch_records;
	int64_t		batch_started;
	struct schema_cache sc;
	struct source *sources;
	int			nsources;
	struct out	dead;
	struct buf	tmp;
	struct buf	topic;			/* the record's topic, decoded */
	uint64_t	applied;
	uint64_t	skipped;
	uint64_t	rejected;
	uint64_t	messages;		/* logical decoding messages skipped */
};

static void
usage(void)
{
	printf("pg-apply applies Debezium change records (record lines on standard input)\n"
		   "to PostgreSQL.\n\n");
	printf("Usage: pg-apply [-v] [-d CONNINFO] [-c FILE] [-t FORMAT] [-m MODE] [-k MODE]\n"
		   "                [--pk-fields LIST] [--delete] [--truncate] [--auto-create]\n"
		   "                [--schema-evolution none|basic] [-b N] [--flush-interval MS]\n"
		   "                [--ack-file FILE] [--ack-interval MS] [--offsets-table NAME]\n"
		   "                [--no-positions]\n"
		   "                [--errors stop|skip] [--dead-letter FILE] [--max-line-bytes N]\n\n");
	printf("Connection:\n"
		   "  -d, --dbname=CONNINFO      libpq connection string or URI (default: PG* environment)\n"
		   "  -c, --config=FILE          Debezium JDBC sink connector configuration (JSON)\n\n"
		   "Sink settings (Debezium name in brackets):\n"
		   "  -t, --table-format=FORMAT  destination table [table.name.format] (default \"${topic}\")\n"
		   "  -m, --insert-mode=MODE     insert, upsert or update [insert.mode] (default insert)\n"
		   "      --delete               apply deletes [delete.enabled]\n"
		   "      --truncate             apply truncates [truncate.enabled]\n"
		   "  -k, --pk-mode=MODE         none, record_key, record_value or kafka\n"
		   "                             [primary.key.mode]\n"
		   "      --pk-fields=LIST       primary key fields, comma separated [primary.key.fields]\n"
		   "      --auto-create          create missing tables [auto.create]\n"
		   "      --schema-evolution=E   none or basic: create tables, add columns [schema.evolution]\n"
		   "  -b, --batch-size=N         records per transaction [batch.size] (default %ld)\n"
		   "      --flush-interval=MS    commit a batch at least this often (default %ld)\n"
		   "      --ack-interval=MS      write the ack file at most this often (default %ld)\n\n"
		   "Positions and errors:\n"
		   "      --ack-file=FILE        write applied positions here for the upstream command\n"
		   "      --offsets-table=NAME   where the sink keeps positions (default %s)\n"
		   "      --no-positions         apply every record: skip none as applied, store no\n"
		   "                             position (a one-off load, pg-verify --repair)\n"
		   "      --errors=stop|skip     on a record that cannot be applied (default stop)\n"
		   "      --dead-letter=FILE     with --errors=skip: append bad records here\n"
		   "      --max-line-bytes=N     longest accepted input line (default %zu)\n\n"
		   "Other:\n"
		   "      --metrics-file=FILE    write metrics to FILE (Prometheus text) every second\n"
		   "  -v, --verbose              more messages (twice: every statement)\n"
		   "  -h, --help                 show this help, then exit\n"
		   "  -V, --version              output version information, then exit\n",
		   DEFAULT_BATCH_SIZE, DEFAULT_FLUSH_MS, DEFAULT_ACK_INTERVAL_MS, DEFAULT_OFFSETS_TABLE,
		   (size_t) LINEREAD_DEFAULT_MAX);
}

/* Server notices ("relation already exists, skipping") are for -v. */
static void
notice(void *arg, const char *msg)
{
	char		buf[1024];

	log_info("server: %s", log_chomp(msg, buf, sizeof buf));
}

/* Sources and the acknowledgement file */

static struct source *
find_source(struct ctx *c, const char *topic, size_t tn, int32_t partition)
{
	struct source *src;
	int			i;

	for (i = 0; i < c->nsources; i++) {
		src = &c->sources[i];
		if (topic == NULL ? src->topic == NULL :
			src->topic && src->partition == partition && strlen(src->topic) == tn &&
			memcmp(src->topic, topic, tn) == 0)
			return src;
	}
	c->sources = xrealloc(c->sources, (size_t) (c->nsources + 1) * sizeof *c->sources);
	src = &c->sources[c->nsources++];
	memset(src, 0, sizeof *src);
	if (topic) {
		src->topic = xstrndup(topic, tn);
		src->partition = partition;
		buf_reset(&c->tmp);
		buf_printf(&c->tmp, "%s/%d", src->topic, (int) partition);
		src->name = xstrdup(buf_cstr(&c->tmp));
	} else
		src->name = xstrdup("pos");
	return src;
}

/* Called for each row of the offsets table at start. */
static void
load_offset(void *ctx, const char *name, const char *position)
{
	struct ctx *c = ctx;
	struct source *src;
	const char *slash = strrchr(name, '/');
	char	   *end;

	if (strcmp(name, "pos") == 0) {
		src = find_source(c, NULL, 0, 0);
		if (pos_parse(position, strlen(position), &src->applied_pos))
			src->has_applied = src->has_seen = true;
		else
			log_warn("offsets table: bad position \"%s\" for \"%s\"", position, name);
		src->seen_pos = src->applied_pos;
		return;
	}
	if (slash == NULL)
		return;
	src = find_source(c, name, (size_t) (slash - name), (int32_t) strtol(slash + 1, NULL, 10));
	src->applied = src->seen = strtoll(position, &end, 10);
	src->has_applied = src->has_seen = end != position && *end == '\0';
}

static void
write_ack(struct ctx *c)
{
	struct buf	b = BUF_INIT;
	char		err[512],
				ps[POS_STRLEN];
	int			i;

	if (c->ack_file == NULL)
		return;
	for (i = 0; i < c->nsources; i++) {
		struct source *src = &c->sources[i];

		if (!src->has_applied)
			continue;
		if (src->topic)
			buf_printf(&b, "offset %s %d %" PRId64 "\n", src->topic, (int) src->partition,
					   src->applied + 1);
		else
			buf_printf(&b, "pos %s\n", pos_format(src->applied_pos, ps));
	}
	/* While applying, the fsyncs of a write must not hold up the rows behind. */
	if (c->ackw && (i = ackwriter_error(c->ackw, err, sizeof err)) != 0)
		fatal(i, "%s", err);
	if (b.len > 0 && c->ackw)
		ackwriter_post(c->ackw, b.data, b.len);
	else if (b.len > 0 && !ack_write(c->ack_file, b.data, b.len, err, sizeof err))
		fatal(ack_write_status(), "%s", err);
	buf_free(&b);
	c->ack_dirty = false;
	c->ack_written_ms = clock_mono_ms();
}

/*
 * Every write of the ack file costs two fsyncs; under a steady stream
 * they are spaced by --ack-interval, and the last one is written when
 * the input pauses and at exit.
 */
static void
ack_committed(struct ctx *c)
{
	c->ack_dirty = true;
	if (clock_mono_ms() - c->ack_written_ms >= c->ack_interval_ms)
		write_ack(c);
}

/* Bad records */

static void finish_inflight(struct ctx *c);

static void
name_record(struct buf *out, uint64_t lineno, const char *topic, int32_t partition, int64_t offset)
{
	if (topic && offset >= 0)
		buf_printf(out, "topic \"%s\" partition %d offset %" PRId64, topic, (int) partition, offset);
	else
		buf_printf(out, "line %" PRIu64, lineno);
}

/*
 * One dead letter line (see pg-apply(1), DEAD LETTERS): {"error","line",
 * "record"} with the record as it came if it is JSON, else as a string,
 * or as "record_base64" if it is not even UTF-8, so that the file stays
 * JSON lines whatever came in.
 */
static void
dead_letter_line(struct buf *b, uint64_t lineno, const char *line, size_t n, const char *msg)
{
	size_t		at;

	buf_puts(b, "{\"error\":");
	at = b->len;
	json_put_cstr(b, msg);
	if (!json_validate(b->data + at, b->len - at, NULL)) {
		/* A message quoting bytes that are not UTF-8: keep its ASCII. */
		b->len = at;
		buf_putc(b, '"');
		for (const char *m = msg; *m; m++)
			buf_putc(b, *m & 0x80 || *m == '"' || *m == '\\' || *m < ' ' ? '?' : *m);
		buf_putc(b, '"');
	}
	buf_printf(b, ",\"line\":%" PRIu64 ",", lineno);
	if (json_validate(line, n, NULL)) {
		buf_puts(b, "\"record\":");
		buf_put(b, line, n);
	} else {
		buf_puts(b, "\"record\":");
		at = b->len;
		json_put_str(b, line, n);
		if (!json_validate(b->data + at, b->len - at, NULL)) {
			b->len = at - strlen("\"record\":");
			buf_puts(b, "\"record_base64\":\"");
			base64_put(b, (const unsigned char *) line, n);
			buf_putc(b, '"');
		}
	}
	buf_putc(b, '}');
}

static bool
dead_letter(struct ctx *c, uint64_t lineno, const char *line, size_t n, const char *msg)
{
	struct buf	b = BUF_INIT;

	if (c->dead_letter == NULL)
		return true;
	dead_letter_line(&b, lineno, line, n, msg);
	pthread_mutex_lock(&c->dead_lock);
	out_line(&c->dead, b.data, b.len);
	buf_free(&b);
	if (!out_flush(&c->dead)) {
		errno = c->dead.err;
		fatal(EX_IOERR, "could not write dead letter file \"%s\": %m", c->dead_letter);
	}
	pthread_mutex_unlock(&c->dead_lock);
	return true;
}

/* An over-long line going to the dead letter file piece by piece, in base64. */
struct long_letter {
	struct ctx *c;
	unsigned char carry[3];		/* bytes waiting for a group of three */
	size_t		ncarry;
};

static void
long_letter_piece(void *ctx, const char *p, size_t n)
{
	struct long_letter *l = ctx;
	struct buf *b = &l->c->dead.pending;
	size_t		whole;

	while (l->ncarry > 0 && l->ncarry < 3 && n > 0)
		l->carry[l->ncarry++] = (unsigned char) *p++, n--;
	if (l->ncarry == 3) {
		base64_put(b, l->carry, 3);
		l->ncarry = 0;
	}
	whole = n / 3 * 3;
	base64_put(b, (const unsigned char *) p, whole);
	for (; whole < n; whole++)
		l->carry[l->ncarry++] = (unsigned char) p[whole];
	if (b->len >= 1 << 20 && !out_flush(&l->c->dead)) {
		errno = l->c->dead.err;
		fatal(EX_IOERR, "could not write dead letter file \"%s\": %m", l->c->dead_letter);
	}
}

/*
 * With --errors skip, a line over --max-line-bytes is read to its end and
 * set aside whole (as record_base64) in the dead letter file, never held
 * in memory; false if the input ended inside it.
 */
static bool
long_line(struct ctx *c, struct linereader *lr, const char *msg)
{
	struct long_letter l = {c, {0}, 0};
	struct buf *b = &c->dead.pending;
	int			r;

	if (c->dead_letter == NULL)
		return lr_drain_long(lr, NULL, NULL) > 0;
	pthread_mutex_lock(&c->dead_lock);
	buf_puts(b, "{\"error\":");
	json_put_cstr(b, msg);
	buf_printf(b, ",\"line\":%" PRIu64 ",\"record_base64\":\"", lr->lineno);
	r = lr_drain_long(lr, long_letter_piece, &l);
	base64_put(b, l.carry, l.ncarry);
	buf_puts(b, "\"}\n");
	if (!out_flush(&c->dead)) {
		errno = c->dead.err;
		fatal(EX_IOERR, "could not write dead letter file \"%s\": %m", c->dead_letter);
	}
	pthread_mutex_unlock(&c->dead_lock);
	return r > 0;
}

/* A record that cannot be applied: stop (exit 65), or set it aside. */
static void
bad_record(struct ctx *c, uint64_t lineno, const char *line, size_t n,
		   const struct record *r, const char *msg)
{
	struct buf	name = BUF_INIT;
	const char *topic = NULL;

	if (r && r->topic.n && r->has_offset) {
		buf_reset(&c->tmp);
		if (json_str_decode_text(r->topic, &c->tmp))
			topic = buf_cstr(&c->tmp);
	}
	name_record(&name, lineno, topic, r ? r->partition : -1, r && r->has_offset ? r->offset : -1);
	if (!c->skip_errors) {
		/* The batch before this one is complete: let it commit. */
		finish_inflight(c);
		fatal(EX_DATAERR, "%s: %s", buf_cstr(&name), msg);
	}
	log_warn("%s: %s (skipped)", buf_cstr(&name), msg);
	__atomic_add_fetch(&c->rejected, 1, __ATOMIC_RELAXED);
	dead_letter(c, lineno, line, n, msg);
	buf_free(&name);
}

/* Runs in the apply thread: ctx is the inflight batch. */
static bool
reject_op(void *ctx, const struct op *op, const char *msg)
{
	struct inflight *in = ctx;
	struct buf	name = BUF_INIT;

	name_record(&name, op->lineno, op->topic, op->partition, op->offset);
	log_warn("%s: %s (skipped)", buf_cstr(&name), msg);
	buf_free(&name);
	__atomic_add_fetch(&in->c->rejected, 1, __ATOMIC_RELAXED);
	return dead_letter(in->c, op->lineno, in->b->lines.data + op->line_off, op->line_len, msg);
}

/* Records to ops */

/* The shape of these schemas: parsed once, then found by their bytes. */
static struct shape *
lookup_shape(struct ctx *c, struct json_slice ks, struct json_slice vs)
{
	struct schema_cache *sc = &c->sc;
	struct shape *sh = sc->last;
	int			i;

	if (sh && sh->kn == ks.n && sh->vn == vs.n && memcmp(sh->vraw, vs.p, vs.n) == 0 &&
		memcmp(sh->kraw, ks.p, ks.n) == 0)
		return sh;
	for (i = 0; i < sc->nshapes; i++) {
		sh = sc->shapes[i];
		if (sh->kn == ks.n && sh->vn == vs.n && memcmp(sh->vraw, vs.p, vs.n) == 0 &&
			memcmp(sh->kraw, ks.p, ks.n) == 0)
			return sc->last = sh;
	}
	sh = shape_build(ks, vs, &c->s);
	sc->shapes = xrealloc(sc->shapes, (size_t) (sc->nshapes + 1) * sizeof *sc->shapes);
	sc->shapes[sc->nshapes++] = sh;
	return sc->last = sh;
}

/* Converts v into column i of op; false with err filled. */
static bool
put_value(struct ctx *c, struct op *op, int i, struct json_slice v, char *err, size_t errsize)
{
	struct column *col = &op->shape->cols[i];
	struct val *val = &c->b->vals[op->vals + (size_t) i];
	size_t		start = c->b->data.len;
	char		msg[160];

	switch (conv_value(&col->t, v, &c->b->data, msg, sizeof msg)) {
		case CONV_OK:
			buf_putc(&c->b->data, '\0');
			val->off = (uint32_t) start;
			val->len = (int32_t) (c->b->data.len - start - 1);
			return true;
		case CONV_NULL:
			val->len = VAL_NULL;
			return true;
		case CONV_UNAVAILABLE:
			if (i < op->shape->nkeys) {
				snprintf(err, errsize, "key field \"%s\" holds the unavailable-value placeholder",
						 col->name);
				return false;
			}
			val->len = VAL_UNAVAILABLE;
			op->toast = true;
			return true;
		default:
			c->b->data.len = start;
			snprintf(err, errsize, "field \"%s\": %s", col->name, msg);
			return false;
	}
}

/* Fills columns from the members of a struct payload; keys_only limits to keys. */
static bool
put_struct(struct ctx *c, struct op *op, struct json_slice obj, bool keys, bool skip_keys,
		   char *err, size_t errsize)
{
	const struct shape *sh = op->shape;
	struct vobj it;
	struct json_slice k,
				v;
	int			hint = keys ? 0 : sh->nkeys;

	if (json_type_of(obj) != JSON_OBJECT) {
		snprintf(err, errsize, "payload is not an object");
		return false;
	}
	vobj_init(&it, obj);
	while (vobj_next(&it, &k, &v)) {
		int			i;

		if (json_str_is_plain(k))
			i = shape_find_col(sh, k.p + 1, k.n - 2, hint);
		else {
			buf_reset(&c->tmp);
			json_str_decode(k, &c->tmp);
			i = shape_find_col(sh, c->tmp.data, c->tmp.len, hint);
		}
		if (i < 0 || (keys && i >= sh->nkeys) || (skip_keys && i < sh->nkeys))
			continue;
		hint = i + 1;
		if (!put_value(c, op, i, v, err, errsize))
			return false;
	}
	return true;
}

/* primary.key.mode=kafka: the record's topic, partition and offset. */
static bool
put_kafka_key(struct ctx *c, struct op *op, const struct record *r, char *err, size_t errsize)
{
	char		num[2][24];

	if (r->topic.n == 0 || !r->has_partition || !r->has_offset) {
		snprintf(err, errsize, "primary key mode kafka needs the record's topic, partition "
				 "and offset (records from kafka-sub)");
		return false;
	}
	snprintf(num[0], sizeof num[0], "%d", (int) r->partition);
	snprintf(num[1], sizeof num[1], "%lld", (long long) r->offset);
	return put_value(c, op, 0, r->topic, err, errsize) &&
		put_value(c, op, 1, (struct json_slice) {num[0], strlen(num[0])}, err, errsize) &&
		put_value(c, op, 2, (struct json_slice) {num[1], strlen(num[1])}, err, errsize);
}

static bool
get_schema_payload(struct json_slice v, struct json_slice *schema, struct json_slice *payload)
{
	return json_type_of(v) == JSON_OBJECT && json_obj_get(v, "schema", schema) &&
		json_obj_get(v, "payload", payload);
}

/* The members of an envelope payload that matter, in one pass. */
static void
envelope_parts(struct json_slice vp, struct json_slice *before, struct json_slice *after,
			   struct json_slice *source, struct json_slice *opv)
{
	struct vobj it;
	struct json_slice k,
				v;

	vobj_init(&it, vp);
	while (vobj_next(&it, &k, &v)) {
		if (k.n == 7 && memcmp(k.p, "\"after\"", 7) == 0)
			*after = v;
		else if (k.n == 8 && memcmp(k.p, "\"before\"", 8) == 0)
			*before = v;
		else if (k.n == 8 && memcmp(k.p, "\"source\"", 8) == 0)
			*source = v;
		else if (k.n == 4 && memcmp(k.p, "\"op\"", 4) == 0)
			*opv = v;
	}
}

/*
 * The record's topic with its escapes decoded (into c->topic if it has
 * any); false with err filled if it holds a NUL.
 */
static bool
record_topic(struct ctx *c, const struct record *r, const char **p, size_t *n,
			 char *err, size_t errsize)
{
	*p = r->topic.n ? r->topic.p + 1 : "";
	*n = r->topic.n ? r->topic.n - 2 : 0;
	if (r->topic.n == 0 || json_str_is_plain(r->topic))
		return true;
	buf_reset(&c->topic);
	if (!json_str_decode_text(r->topic, &c->topic)) {
		snprintf(err, errsize, "the topic holds \\u0000");
		return false;
	}
	*p = c->topic.data ? c->topic.data : "";
	*n = c->topic.len;
	return true;
}

/* Adds the op for one record (or none: tombstones, disabled kinds); false on error. */
static bool
add_op(struct ctx *c, const struct frec *f, uint64_t lineno, const char *line, size_t n,
	   char *err, size_t errsize)
{
	const struct record *r = &f->r;
	struct json_slice ks = f->ks,
				kp = f->kp,
				vs = f->vs,
				vp = f->vp,
				opv = {NULL, 0},
				before = {NULL, 0},
				after = {NULL, 0},
				row = {NULL, 0},
				source = {NULL, 0};
	enum op_kind kind = OPK_WRITE;
	struct shape *sh;
	struct op  *op;
	struct buf *tn = &c->tmp;
	const char *topic;
	size_t		topiclen;
	bool		ok;

	if (record_is_null(r->value))
		return true;			/* a tombstone */
	if (r->value_enc != REC_ENC_JSON ||
		(vs.n == 0 && !get_schema_payload(r->value, &vs, &vp))) {
		snprintf(err, errsize, "value is not a JSON {\"schema\",\"payload\"} object");
		return false;
	}
	if (!record_is_null(r->key) && (r->key_enc != REC_ENC_JSON ||
									(ks.n == 0 && !get_schema_payload(r->key, &ks, &kp)))) {
		snprintf(err, errsize, "key is not a JSON {\"schema\",\"payload\"} object");
		return false;
	}
	sh = lookup_shape(c, ks, vs);
	if (sh->message) {
		if (c->messages++ == 0)
			log_info("line %" PRIu64 ": skipping logical decoding messages (they hold no rows)",
					 lineno);
		return true;
	}
	if (sh->envelope) {
		if (f->parts.valid) {
			before = f->parts.before;
			after = f->parts.after;
			source = f->parts.source;
			opv = f->parts.op;
		} else if (json_type_of(vp) == JSON_OBJECT)
			envelope_parts(vp, &before, &after, &source, &opv);
		if (json_type_of(opv) != JSON_STRING || opv.n != 3) {
			snprintf(err, errsize, "envelope without \"op\"");
			return false;
		}
		switch (opv.p[1]) {
			case 'c': case 'r': case 'u':
				row = after;
				break;
			case 'd':
				if (!c->s.delete_enabled)
					return true;
				kind = OPK_DELETE;
				row = before;
				break;
			case 't':
				if (!c->s.truncate_enabled)
					return true;
				kind = OPK_TRUNCATE;
				break;
			default:
				return true;	/* messages and the like carry no rows */
		}
	} else
		row = vp;
	/* A truncate names only its table: it needs no columns. */
	if (sh->error[0] && kind != OPK_TRUNCATE) {
		snprintf(err, errsize, "%s", sh->error);
		return false;
	}
	buf_reset(tn);
	if (!record_topic(c, r, &topic, &topiclen, err, errsize) ||
		!table_name_expand(c->s.table_format, topic, topiclen, source, tn, err, errsize))
		return false;
	op = batch_add(c->b, kind == OPK_TRUNCATE ? NULL : sh);
	op->kind = kind;
	op->shape = sh;
	op->table = applier_table(c->a, tn->data, tn->len);
	op->lineno = lineno;
	op->offset = r->has_offset ? r->offset : -1;
	op->partition = r->partition;
	if (c->skip_errors) {
		op->line_off = c->b->lines.len;
		op->line_len = n;
		buf_put(&c->b->lines, line, n);
	}
	ok = true;
	if (kind == OPK_TRUNCATE)
		return true;
	if (kind == OPK_WRITE && (row.n == 0 || json_is_null(row))) {
		snprintf(err, errsize, "change without \"after\"");
		ok = false;
	} else if (c->s.pk_mode == PK_KAFKA) {
		ok = put_kafka_key(c, op, r, err, errsize);
	} else if (c->s.pk_mode == PK_RECORD_KEY && kp.n) {
		if (sh->key_struct)
			ok = put_struct(c, op, kp, true, false, err, errsize);
		else
			ok = put_value(c, op, 0, kp, err, errsize);
	} else if (kind == OPK_DELETE && (row.n == 0 || json_is_null(row))) {
		snprintf(err, errsize, "delete without \"before\" to find the key in");
		ok = false;
	}
	if (ok && kind == OPK_DELETE && c->s.pk_mode == PK_RECORD_VALUE)
		ok = put_struct(c, op, row, true, false, err, errsize);
	if (ok && kind == OPK_WRITE)
		ok = put_struct(c, op, row, false, (c->s.pk_mode == PK_RECORD_KEY && kp.n) ||
						c->s.pk_mode == PK_KAFKA, err, errsize);
	if (!ok)
		batch_truncate(c->b, c->b->nops - 1);
	return ok;
}

/* Batches */

static void *
apply_thread(void *arg)
{
	struct inflight *in = arg;

	in->status = applier_apply(in->c->a, in->b, in->offs, in->noffs,
							   in->c->skip_errors ? reject_op : NULL, in,
							   &in->failed, in->err, sizeof in->err);
	return NULL;
}

/*
 * True if the offsets table shows the batch committed (the connection was
 * lost after COMMIT was sent); false if not, or if the batch carries no
 * position to tell by.
 */
static bool
batch_committed(struct ctx *c, struct inflight *in, bool *error)
{
	char		stored[64],
				err[512];
	int			i;

	*error = false;
	for (i = 0; i < in->noffs; i++) {
		const struct offset_row *o = &in->offs[i];
		struct source *src = &c->sources[o->id];
		struct pos	p;
		int			found = applier_stored_position(c->a, src->name, stored, sizeof stored,
													err, sizeof err);

		if (found < 0) {
			*error = true;
			return false;
		}
		if (found == 0)
			return false;
		if (src->topic ? strtoll(stored, NULL, 10) < o->last :
			!pos_parse(stored, strlen(stored), &p) || pos_cmp(p, o->last_pos) < 0)
			return false;
	}
	return in->noffs > 0;
}

/*
 * The connection was lost while a batch was applied: reconnect a few
 * times with growing pauses and apply it again, unless the offsets table
 * shows that its commit went through.  Returns the final status.
 */
static enum apply_status
recover(struct ctx *c, struct inflight *in)
{
	char		where[300];
	int			attempt;
	bool		error;

	for (attempt = 0; attempt < RECONNECT_TRIES && !sig_stop; attempt++) {
		log_warn("connection lost (%s), reconnecting", in->err);
		usleep((useconds_t) (250000u << (attempt < 5 ? attempt : 5)));
		PQreset(c->conn);
		if (PQstatus(c->conn) != CONNECTION_OK)
			continue;
		log_warn("reconnected to %s", pg_describe(c->conn, where, sizeof where));
		applier_reset(c->a);
		if (batch_committed(c, in, &error))
			return APPLY_OK;
		if (error)
			continue;
		in->status = applier_apply(c->a, in->b, in->offs, in->noffs,
								   c->skip_errors ? reject_op : NULL, in,
								   &in->failed, in->err, sizeof in->err);
		if (in->status != APPLY_LOST)
			return in->status;
	}
	return APPLY_LOST;
}

/* Waits for the batch being applied; on success acknowledges it. */
static void
finish_inflight(struct ctx *c)
{
	struct inflight *in = c->inflight;
	int			i;

	if (in == NULL)
		return;
	pthread_join(in->thread, NULL);
	c->inflight = NULL;
	if (in->status == APPLY_LOST)
		in->status = recover(c, in);
	if (in->status == APPLY_RECORD && in->failed) {
		struct buf	name = BUF_INIT;
		const struct op *f = in->failed;

		name_record(&name, f->lineno, f->topic, f->partition, f->offset);
		fatal(EX_DATAERR, "%s: table %s: %s", buf_cstr(&name), table_name(f->table), in->err);
	}
	if (in->status == APPLY_LOST)
		fatal(EX_TEMPFAIL, "connection lost, gave up reconnecting: %s", in->err);
	if (in->status != APPLY_OK)
		fatal(EX_SOFTWARE, "could not apply batch: %s", in->err);
	c->applied += in->b->nops;
	c->skipped += in->b->skipped;
	for (i = 0; i < in->noffs; i++) {
		const struct offset_row *o = &in->offs[i];
		struct source *src = &c->sources[o->id];

		/* Another writer may have applied further: later records up to there go too. */
		src->has_applied = true;
		src->applied = o->last;
		src->applied_pos = o->last_pos;
		if (src->topic && o->last > src->seen)
			src->seen = o->last;
		else if (!src->topic && pos_cmp(o->last_pos, src->seen_pos) > 0)
			src->seen_pos = o->last_pos;
	}
	log_debug("committed a batch of %zu changes", in->b->nops);
	batch_reset(in->b);
	free(in->offs);
	free(in);
	ack_committed(c);
}

/*
 * Hands the batch read so far to the apply thread (after the previous one
 * is done) and starts a new one; with wait, also waits for it.
 */
static void
flush(struct ctx *c, bool wait)
{
	struct inflight *in;
	sigset_t	block,
				old;
	int			i;

	finish_inflight(c);
	in = xcalloc(1, sizeof *in);
	in->c = c;
	in->b = c->b;
	in->offs = xcalloc((size_t) c->nsources + 1, sizeof *in->offs);
	for (i = 0; i < c->nsources; i++) {
		struct source *src = &c->sources[i];

		if (!src->has_batch)
			continue;
		in->offs[in->noffs++] = (struct offset_row) {
			src->name, i, src->topic == NULL, src->batch_first, src->batch,
			src->batch_first_pos, src->batch_pos
		};
		src->has_batch = false;
	}
	c->group_start = 0;
	c->batch_records = 0;
	if (in->b->nops == 0 && in->noffs == 0) {
		free(in->offs);
		free(in);
		return;
	}
	c->b = c->b == &c->batches[0] ? &c->batches[1] : &c->batches[0];
	/* Signals are for the main thread, whose poll() they interrupt. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	if (pthread_create(&in->thread, NULL, apply_thread, in) != 0)
		fatal(EX_OSERR, "could not start a thread: %m");
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	c->inflight = in;
	if (wait)
		finish_inflight(c);
}

/*
 * Says so when a partition's records start being left out as applied
 * before: a redelivery, or a topic deleted and created again whose new
 * records reuse offsets the offsets table holds (then they must not be
 * left out: the operator deletes the table's rows of that topic).
 */
static void
told_skip(struct ctx *c, struct source *src, int64_t offset)
{
	if (src->skipping)
		return;
	src->skipping = true;
	log_warn("topic \"%s\" partition %d: leaving out offsets %" PRId64 " to %" PRId64
			 ", applied before (offsets table %s); if the topic was deleted and created "
			 "again, stop, delete its rows from that table and start again",
			 src->topic, (int) src->partition, offset, src->seen, c->offsets_table);
}

static void
handle_line(struct ctx *c, const char *line, size_t n, uint64_t lineno)
{
	struct frec f;
	struct record *rp = &f.r;
	struct json_err jerr;
	struct source *src = NULL;
	struct pos	pos = {0, 0};
	char		err[512];
	size_t		before,
				i;

	if (c->batch_records++ == 0)
		c->batch_started = clock_mono_ms();
	if (!frec_parse(line, n, &c->sc, &f, &jerr)) {
		snprintf(err, sizeof err, "column %zu: %s", jerr.off + 1, jerr.msg);
		bad_record(c, lineno, line, n, NULL, err);
		return;
	}
	if (c->no_positions)
		;						/* applied as it comes, whatever it carries */
	else if (rp->has_offset && rp->topic.n) {
		src = find_source(c, rp->topic.p + 1, rp->topic.n - 2, rp->partition);
		/* Applied, or in a batch already (a redelivery). */
		if (src->has_seen && rp->offset <= src->seen) {
			told_skip(c, src, rp->offset);
			c->skipped++;
			return;
		}
	} else if (rp->pos.n) {
		if (!pos_parse(rp->pos.p + 1, rp->pos.n - 2, &pos)) {
			bad_record(c, lineno, line, n, rp, "bad \"pos\"");
			return;
		}
		src = find_source(c, NULL, 0, 0);
		if (src->has_seen && pos_cmp(pos, src->seen_pos) <= 0) {
			/* Applied before, with the records of its change before it. */
			c->skipped += 1 + (c->b->nops - c->group_start);
			batch_truncate(c->b, c->group_start);
			return;
		}
	}
	before = c->b->nops;
	if (!add_op(c, &f, lineno, line, n, err, sizeof err))
		bad_record(c, lineno, line, n, rp, err);
	else if (c->b->nops > before && src && src->topic)
		c->b->ops[before].topic = src->topic;
	if (src == NULL)
		return;
	/* The record's ops (for "pos", those of the records before it too) carry their source. */
	for (i = src->topic ? before : c->group_start; i < c->b->nops; i++) {
		c->b->ops[i].source = (int) (src - c->sources);
		c->b->ops[i].pos = pos;
	}
	c->group_start = c->b->nops;
	src->skipping = false;
	if (src->topic) {
		if (!src->has_batch)
			src->batch_first = rp->offset;
		src->batch = src->seen = rp->offset;
	} else {
		if (!src->has_batch)
			src->batch_first_pos = pos;
		src->batch_pos = src->seen_pos = pos;
	}
	src->has_batch = src->has_seen = true;
}

static bool
input_ready(int timeout_ms)
{
	struct pollfd p = {0, POLLIN, 0};

	/* A signal (EINTR) is "not ready": the caller looks at sig_stop. */
	return poll(&p, 1, timeout_ms) > 0;
}

static bool
batch_due(struct ctx *c)
{
	if (c->batch_records == 0 || c->group_start != c->b->nops)
		return false;
	return c->batch_records >= c->s.batch_size ||
		clock_mono_ms() - c->batch_started >= c->flush_interval_ms;
}

/* The main loop: returns the exit status. */
/* Gauges of --metrics-file: each source's applied position. */
static void
metrics_update(void *arg)
{
	struct ctx *c = arg;
	char		num[16];
	int			i;

	for (i = 0; i < c->nsources; i++) {
		struct source *src = &c->sources[i];

		if (src->gauge == NULL && src->topic) {
			snprintf(num, sizeof num, "%d", (int) src->partition);
			src->gauge = metrics_gauge("applied_offset", metrics_labels("topic", src->topic,
									   "partition", num, NULL),
									   "Next Kafka offset after the records applied.");
		} else if (src->gauge == NULL)
			src->gauge = metrics_gauge("last_position_lsn", NULL,
									   METRICS_HELP_POSITION);
		if (src->has_applied)
			*src->gauge = src->topic ? (double) src->applied + 1 : (double) src->applied_pos.commit_lsn;
	}
}

/* Turns on --metrics-file (metrics.h); lr outlives metrics_close(). */
static void
apply_metrics(struct ctx *c, const struct linereader *lr)
{
	metrics_init(c->metrics_file, metrics_update, c);
	if (!metrics_enabled())
		return;
	metrics_counter("records_in_total", NULL, METRICS_HELP_RECORDS_IN, &lr->lineno);
	metrics_counter("bytes_in_total", NULL, METRICS_HELP_BYTES_IN, &lr->bytes);
	metrics_counter("records_out_total", NULL, METRICS_HELP_RECORDS_OUT, &c->applied);
	metrics_counter("duplicates_total", NULL, "Records skipped as applied before.", &c->skipped);
	metrics_counter("rejected_total", NULL,
					"Records that could not be applied, set aside by --errors=skip "
					"(to the --dead-letter file if given).", &c->rejected);
}

static int
apply_run(struct ctx *c)
{
	struct linereader lr;
	char	   *line;
	size_t		n;
	int			status = 0;

	lr_init(&lr, 0, c->max_line);
	apply_metrics(c, &lr);
	while (!sig_stop) {
		enum lr_status st;

		metrics_tick();
		if (batch_due(c))
			flush(c, false);
		/*
		 * Nothing more right now: commit what we have.  A grace of a
		 * millisecond or two keeps batches whole while a fast writer
		 * refills the pipe, at a cost in latency too small to see.
		 */
		if (!lr_has_line(&lr) && !input_ready(0) &&
			!(c->batch_records > 0 && input_ready(IDLE_GRACE_MS))) {
			if (c->batch_records > 0 && c->group_start == c->b->nops)
				flush(c, true);
			else
				finish_inflight(c);
			if (c->ack_dirty)
				write_ack(c);
			if (!input_ready(c->batch_records ? (int) c->flush_interval_ms : 1000))
				continue;
		}
		st = lr_next(&lr, &line, &n);
		if (st == LR_AGAIN)
			continue;
		if (st == LR_EOF)
			break;
		if (st == LR_TOO_LONG) {
			char		msg[256];

			(void) lr_failure(&lr, st, msg, sizeof msg);
			if (!c->skip_errors) {
				finish_inflight(c);
				fatal(EX_DATAERR, "%s", msg);
			}
			log_warn("%s (skipped)", msg);
			__atomic_add_fetch(&c->rejected, 1, __ATOMIC_RELAXED);
			if (!long_line(c, &lr, msg)) {
				status = EX_TEMPFAIL;	/* its writer died: nothing of it was used */
				break;
			}
			continue;
		}
		if (st == LR_ERROR || st == LR_PARTIAL) {
			char		msg[256];

			status = lr_failure(&lr, st, msg, sizeof msg);
			log_error("%s", msg);
			break;
		}
		handle_line(c, line, n, lr.lineno);
	}
	/*
	 * At a signal or a line cut short (its writer died), the whole changes
	 * read so far are committed; those still waiting for their pos are
	 * left for the rerun.
	 */
	if (sig_stop || status == EX_TEMPFAIL)
		batch_truncate(c->b, c->group_start);
	if (status == 0 || status == EX_TEMPFAIL)
		flush(c, true);
	finish_inflight(c);
	metrics_close();
	lr_free(&lr);
	log_info("applied %" PRIu64 " changes, skipped %" PRIu64 " already applied and %" PRIu64
			 " logical decoding messages, rejected %" PRIu64,
			 c->applied, c->skipped, c->messages, c->rejected);
	return status;
}

static void
ctx_free(struct ctx *c)
{
	int			i;

	batch_free(&c->batches[0]);
	batch_free(&c->batches[1]);
	for (i = 0; i < c->sc.nshapes; i++)
		shape_free(c->sc.shapes[i]);
	free(c->sc.shapes);
	for (i = 0; i < c->nsources; i++) {
		free(c->sources[i].name);
		free(c->sources[i].topic);
	}
	free(c->sources);
	buf_free(&c->tmp);
	buf_free(&c->topic);
	free(c->s.table_format);
	free(c->s.pk_fields);
	free(c->s.field_include);
	free(c->s.field_exclude);
	free(c->s.conninfo);
	if (c->dead_letter)
		out_free(&c->dead);
	pthread_mutex_destroy(&c->dead_lock);
}

static void
parse_options(int argc, char **argv, struct ctx *c)
{
	static const struct option long_options[] = {
		{"dbname", required_argument, NULL, 'd'},
		{"config", required_argument, NULL, 'c'},
		{"table-format", required_argument, NULL, 't'},
		{"insert-mode", required_argument, NULL, 'm'},
		{"delete", no_argument, NULL, 1},
		{"truncate", no_argument, NULL, 2},
		{"pk-mode", required_argument, NULL, 'k'},
		{"pk-fields", required_argument, NULL, 3},
		{"auto-create", no_argument, NULL, 4},
		{"schema-evolution", required_argument, NULL, 5},
		{"batch-size", required_argument, NULL, 'b'},
		{"flush-interval", required_argument, NULL, 6},
		{"ack-interval", required_argument, NULL, 11},
		{"ack-file", required_argument, NULL, 7},
		{"offsets-table", required_argument, NULL, 8},
		{"errors", required_argument, NULL, 9},
		{"dead-letter", required_argument, NULL, 10},
		{"metrics-file", required_argument, NULL, 12},
		{"max-line-bytes", required_argument, NULL, 13},
		{"no-positions", no_argument, NULL, 14},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0}
	};
	static const char *const insert_modes[] = {"insert", "upsert", "update", NULL};
	static const char *const pk_modes[] = {"none", "record_key", "record_value", "kafka", NULL};
	static const char *const evolutions[] = {"none", "basic", NULL};
	static const char *const error_modes[] = {"stop", "skip", NULL};
	struct settings *s = &c->s;
	const char *config = NULL;
	char		err[512];
	int			opt,
				status,
				verbose = 0;

	while ((opt = getopt_long(argc, argv, "d:c:t:m:k:b:vhV", long_options, NULL)) != -1) {
		switch (opt) {
			case 'd': c->conninfo = pg_conninfo_take(optarg); break;
			case 'c': config = optarg; break;
			case 't':
				s->table_format = xstrdup(optarg);
				s->set_mask |= SET_TABLE_FORMAT;
				break;
			case 'm':
				s->insert_mode = (enum insert_mode) opt_choice("--insert-mode", optarg, insert_modes);
				s->set_mask |= SET_INSERT_MODE;
				break;
			case 1: s->delete_enabled = true; s->set_mask |= SET_DELETE; break;
			case 2: s->truncate_enabled = true; s->set_mask |= SET_TRUNCATE; break;
			case 'k':
				s->pk_mode = (enum pk_mode) opt_choice("--pk-mode", optarg, pk_modes);
				s->set_mask |= SET_PK_MODE;
				break;
			case 3: s->pk_fields = xstrdup(optarg); s->set_mask |= SET_PK_FIELDS; break;
			case 4: s->auto_create = true; s->set_mask |= SET_AUTO_CREATE; break;
			case 5:
				s->evolution = opt_choice("--schema-evolution", optarg, evolutions) == 1;
				s->set_mask |= SET_EVOLUTION;
				break;
			case 'b':
				s->batch_size = (long) opt_int("--batch-size", optarg, 1, 1000000);
				s->set_mask |= SET_BATCH_SIZE;
				break;
			case 6: c->flush_interval_ms = (long) opt_int("--flush-interval", optarg, 1, 3600000); break;
			case 11: c->ack_interval_ms = (long) opt_int("--ack-interval", optarg, 0, 3600000); break;
			case 7: c->ack_file = optarg; break;
			case 8: c->offsets_table = optarg; break;
			case 9: c->skip_errors = opt_choice("--errors", optarg, error_modes) == 1; break;
			case 10: c->dead_letter = optarg; break;
			case 12: c->metrics_file = optarg; break;
			case 13: c->max_line = lr_max_option(optarg); break;
			case 14: c->no_positions = true; break;
			case 'v': verbose++; break;
			case 'h': usage(); exit(0);
			case 'V': opt_version();
			default: usage_error("invalid option");
		}
	}
	opt_no_operands(argc, argv);
	log_set_verbosity(verbose);
	if (config && !config_load(config, s, &status, err, sizeof err))
		fatal(status, "%s", err);
	if (c->conninfo == NULL)
		c->conninfo = s->conninfo;
	if (s->table_format == NULL)
		s->table_format = xstrdup("${topic}");
	if (!table_name_format_check(s->table_format, err, sizeof err))
		usage_error("%s", err);
	if (s->insert_mode != INSERT_INSERT && s->pk_mode == PK_NONE)
		usage_error("insert mode %s needs a primary key: give --pk-mode record_key or record_value",
					s->insert_mode == INSERT_UPSERT ? "upsert" : "update");
	if (s->delete_enabled && (s->pk_mode == PK_NONE || s->pk_mode == PK_KAFKA))
		usage_error("--delete needs a primary key: give --pk-mode record_key or record_value");
	if (c->dead_letter && !c->skip_errors)
		usage_error("--dead-letter needs --errors=skip");
}

int
main(int argc, char **argv)
{
	struct ctx	c;
	char		err[1024];
	int			status,
				failed,
				fd;

	log_init(argv[0]);
	memset(&c, 0, sizeof c);
	c.s.batch_size = DEFAULT_BATCH_SIZE;
	c.flush_interval_ms = DEFAULT_FLUSH_MS;
	c.ack_interval_ms = DEFAULT_ACK_INTERVAL_MS;
	c.offsets_table = DEFAULT_OFFSETS_TABLE;
	c.b = &c.batches[0];
	pthread_mutex_init(&c.dead_lock, NULL);
	parse_options(argc, argv, &c);

	if (c.dead_letter) {
		fd = open(c.dead_letter, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (fd < 0)
			fatal(EX_CANTCREAT, "could not open dead letter file \"%s\": %m", c.dead_letter);
		out_init(&c.dead, fd);
	}
	if ((c.conn = pg_connect(c.conninfo, NULL, "pg-apply", &status, err, sizeof err)) == NULL)
		fatal(status, "%s", err);
	PQsetNoticeProcessor(c.conn, notice, NULL);
	c.a = applier_new(c.conn, &c.s, c.offsets_table);
	if (!applier_load_offsets(c.a, load_offset, &c, err, sizeof err))
		fatal(applier_status(c.a), "offsets table \"%s\": %s", c.offsets_table, err);
	write_ack(&c);
	if (c.ack_file && (c.ackw = ackwriter_start(c.ack_file, err, sizeof err)) == NULL)
		fatal(EX_OSERR, "%s", err);
	sig_setup();

	status = apply_run(&c);
	if ((failed = ackwriter_stop(c.ackw, err, sizeof err)) != 0)
		fatal(failed, "%s", err);
	c.ackw = NULL;
	if (c.ack_dirty)
		write_ack(&c);

	applier_free(c.a);
	PQfinish(c.conn);
	ctx_free(&c);
	if (c.dead_letter && close(c.dead.fd) != 0)
		fatal(EX_IOERR, "could not close dead letter file \"%s\": %m", c.dead_letter);
	return status;
}
