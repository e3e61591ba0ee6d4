/*
 * envelope.c - one change line in, Debezium-shaped record lines out.
 *
 * The line is validated once, its members are kept as slices, and the
 * output is written straight into the caller's buffer from cached schema
 * JSON and converted values: no JSON tree is ever built.  The parts:
 * change.c reads the line, table.c caches each table, row.c converts
 * values, emit.c writes records, txmeta.c the transaction metadata.
 */
#include "state.h"

#include <string.h>

#include "change.h"
#include "clock.h"
#include "emit.h"
#include "row.h"

/* Per-line state: the clock, lastCommitLsn and the sequence, the db. */
static void
line_state(struct env *e, const struct change *ch, struct buf *out)
{
	int64_t ns = clock_wall_ns();

	e->now_ms = ns / 1000000;
	e->now_us = ns / 1000;
	e->now_ns = ns;
	if (!e->have_commit || e->commit != ch->commit_v) {
		env_end(e, out);
		/*
		 * Debezium's lastCommitLsn is the position of the COMMIT message,
		 * the end of the commit record: end_lsn when the line has it.
		 */
		if (e->have_commit) {
			e->prev_commit = e->end ? e->end : e->commit;
			e->have_prev = true;
		}
		e->commit = ch->commit_v;
		e->end = ch->end_v;
		e->have_commit = true;
	}
	buf_reset(&e->seq);
	PUTL(&e->seq, "\"[");
	if (ch->op_c == 'm' && !change_is_transactional(ch)) {
		/* Debezium commits a non-transactional message before sending it. */
		PUTL(&e->seq, "\\\"");
		buf_put_u64(&e->seq, ch->lsn_v);
		PUTL(&e->seq, "\\\"");
	} else if (e->have_prev) {
		PUTL(&e->seq, "\\\"");
		buf_put_u64(&e->seq, e->prev_commit);
		PUTL(&e->seq, "\\\"");
	} else
		PUTL(&e->seq, "null");
	PUTL(&e->seq, ",\\\"");
	buf_put_u64(&e->seq, ch->lsn_v);
	PUTL(&e->seq, "\\\"]\"");
	buf_reset(&e->db);
	if (e->c->dbname)
		json_put_cstr(&e->db, e->c->dbname);
	else if (json_type_of(ch->db) == JSON_STRING) {
		const char *s;
		size_t n;

		slice_text(e, ch->db, &s, &n);
		json_put_str(&e->db, s, n);
	} else
		PUTL(&e->db, "\"\"");
}

static unsigned
op_bit(char op)
{
	switch (op) {
		case 'c': return OPBIT_C;
		case 'u': return OPBIT_U;
		case 'd': return OPBIT_D;
		case 'r': return OPBIT_R;
		case 't': return OPBIT_T;
		default: return OPBIT_M;
	}
}

/* Sets the header of the next record to NAME: the key payload of vals. */
static bool
set_key_header(struct env *e, const struct table *t, const char *name,
			   const struct json_slice *vals)
{
	struct buf kp = BUF_INIT;
	bool ok = put_key_payload(e, t, vals, &kp);

	buf_reset(&e->hdr);
	if (ok) {
		PUTL(&e->hdr, "{\"");
		buf_puts(&e->hdr, name);
		PUTL(&e->hdr, "\":");
		json_put_str(&e->hdr, kp.data, kp.len);
		buf_putc(&e->hdr, '}');
	}
	buf_free(&kp);
	return ok;
}

/* An update that changes the key: delete + tombstone + create. */
static bool
key_change(struct env *e, struct table *t, const struct change *ch, const struct json_slice *b,
		   const struct json_slice *a, struct buf *out)
{
	bool ok;

	/* The tombstone is a copy of the delete record: it keeps the header. */
	ok = set_key_header(e, t, "__debezium.newkey", a) &&
		emit_event(e, t, ch, 'd', b, NULL, b, out) && emit_tombstone(e, t, b, out) &&
		set_key_header(e, t, "__debezium.oldkey", b) && emit_event(e, t, ch, 'c', NULL, a, a, out);
	buf_reset(&e->hdr);
	return ok;
}

static bool
row_change(struct env *e, struct table *t, const struct change *ch, struct buf *out)
{
	struct json_slice *b = NULL, *a = NULL;
	char op = ch->op_c;

	if (t->ncols > e->capvals) {
		e->capvals = t->ncols * 2;
		e->vals_a = xrealloc(e->vals_a, (size_t) e->capvals * sizeof *e->vals_a);
		e->vals_b = xrealloc(e->vals_b, (size_t) e->capvals * sizeof *e->vals_b);
	}
	if (ch->before.n > 0 && !json_is_null(ch->before)) {
		if (!index_row(e, t, ch->before, "before", e->vals_b))
			return false;
		b = e->vals_b;
	}
	if (ch->after.n > 0 && !json_is_null(ch->after)) {
		if (!index_row(e, t, ch->after, "after", e->vals_a))
			return false;
		a = e->vals_a;
	}
	switch (op) {
		case 'c':
		case 'r':
		case 'u':
			if (a == NULL)
				return env_fail(e, "op \"%c\" without \"after\"", op);
			if (op == 'u' && b && t->nkey > 0 && key_changed(t, b, a))
				return key_change(e, t, ch, b, a, out);
			return emit_event(e, t, ch, op, b, a, t->nkey > 0 ? a : NULL, out);
		case 'd':
			if (b == NULL)
				return env_fail(e, "op \"d\" without \"before\"");
			/* Debezium sends the tombstone even with a null key. */
			return emit_event(e, t, ch, 'd', b, NULL, t->nkey > 0 ? b : NULL, out) &&
				emit_tombstone(e, t, b, out);
		case 't': return emit_event(e, t, ch, 't', NULL, NULL, NULL, out);
	}
	return env_fail(e, "unknown op \"%c\"", op);
}

bool
env_line(struct env *e, const char *line, size_t n, struct buf *out, char *err, size_t errsize)
{
	struct change ch;
	struct table *t;
	size_t start = out->len;
	bool ok;

	memset(&ch, 0, sizeof ch);
	e->err = err;
	e->errsize = errsize;
	buf_reset(&e->hdr);
	if (!change_parse(line, n, e->tables.last, &ch, err, errsize))
		return false;
	line_state(e, &ch, out);
	if (ch.op_c == 'm') {
		ok = (e->c->skipped & OPBIT_M) || emit_message(e, &ch, out);
		if (change_is_transactional(&ch))
			e->tx_ts_us = ch.ts_us_v, e->have_tx_ts = true;
	} else {
		e->tx_ts_us = ch.ts_us_v;
		e->have_tx_ts = true;
		t = table_get(&e->tables, e->c, ch.schema, ch.table);
		if (!t->included) {
			e->nskipped++;
			return true;
		}
		if (ch.columns_cached != t &&
			(t->cols_raw == NULL || t->cols_n != ch.columns.n ||
			 memcmp(t->cols_raw, ch.columns.p, ch.columns.n) != 0)) {
			if (!table_build(t, ch.columns, e->c, err, errsize)) {
				table_clear(t);
				out->len = start;
				return false;
			}
		}
		if (e->c->skipped & op_bit(ch.op_c))
			e->nskipped++;
		ok = (e->c->skipped & op_bit(ch.op_c)) || row_change(e, t, &ch, out);
	}
	if (!ok) {
		out->len = start;
		return false;
	}
	/* Only the last record of the change carries its position. */
	if (out->len > start) {
		out->len -= 2; /* "}\n" */
		PUTL(out, ",\"pos\":");
		buf_put(out, ch.pos.p, ch.pos.n);
		PUTL(out, "}\n");
	}
	return true;
}
