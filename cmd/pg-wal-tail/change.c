/*
 * change.c - what the server sends inside the replication stream: the
 * decoded pgoutput messages (Begin, Commit, Relation, Type, changes,
 * truncates, logical decoding messages) become change lines, in commit
 * order, each with its position (our own heartbeat and watermark
 * messages are not written); protocol 2's in-progress transactions are
 * spilled to temporary files and replayed when they commit.
 */
#include "tail.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "catalog.h"
#include "incremental.h"
#include "log.h"
#include "pgutil.h"
#include "signals.h"

void
tail_emit(struct tail *t)
{
	out_line(&t->out, t->line.data, t->line.len);
	if (t->out.failed)
		tail_die_write(t);
}

/* Next change of the transaction: false if it was emitted before. */
bool
tail_next_change(struct tail *t, struct change_hdr *h, uint64_t lsn)
{
	struct pos p;

	t->txn_seq++;
	p.commit_lsn = t->txn_commit;
	p.seq = t->txn_seq;
	if (pos_cmp(p, t->last_emitted) <= 0)
		return false;
	t->last_emitted = p;
	h->commit_lsn = t->txn_commit;
	h->seq = t->txn_seq;
	h->lsn = lsn;
	h->xid = t->txn_xid;
	h->ts_us = t->txn_ts_us;
	h->db_json = t->db_json.data;
	return true;
}

static struct rel *
need_rel(struct tail *t, uint32_t relid)
{
	struct rel *r = relcache_get(&t->rels, relid);

	if (r == NULL)
		fatal(EX_SOFTWARE, "change for relation %u before its Relation message", relid);
	return r;
}

/*
 * A Relation message: the table as it was at this point of the WAL.  The
 * changes that follow are described with it, whatever DDL ran since.
 */
static void
on_relation(struct tail *t)
{
	char err[1024];
	char state[6];
	struct rel *r = catalog_rel(t->sql, &t->types, t->msg.relid, &t->msg, err, sizeof err, state);

	if (r == NULL && PQstatus(t->sql) == CONNECTION_BAD && tail_reset_sql(t))
		r = catalog_rel(t->sql, &t->types, t->msg.relid, &t->msg, err, sizeof err, state);
	if (r == NULL)
		fatal(pg_conn_status(t->sql, state), "%s", err);
	relcache_put(&t->rels, r);
}

/* A Type message: a type's name at this point of the WAL (types.h). */
static void
on_type(struct tail *t)
{
	struct pgo_msg *m = &t->msg;
	char err[1024];
	char state[6];
	bool ok =
		types_seen(&t->types, t->sql, m->relid, m->relname.p, m->relname.n, err, sizeof err, state);

	if (!ok && PQstatus(t->sql) == CONNECTION_BAD && tail_reset_sql(t))
		ok = types_seen(&t->types, t->sql, m->relid, m->relname.p, m->relname.n, err, sizeof err,
						state);
	if (!ok)
		fatal(pg_conn_status(t->sql, state), "%s", err);
}

static void
on_change(struct tail *t, uint64_t lsn)
{
	struct pgo_msg *m = &t->msg;
	struct change_hdr h;
	struct rel *r = need_rel(t, m->relid);
	const struct pgo_tuple *before = NULL, *after = NULL;
	char op;
	char err[1024];

	if (!t->in_txn)
		fatal(EX_SOFTWARE, "%s message outside a transaction", pgo_type_name(m->type));
	incr_on_change(t, r, m);
	if (!tail_next_change(t, &h, lsn))
		return;
	switch (m->type) {
		case PGO_INSERT:
			op = 'c';
			after = &m->newtup;
			break;
		case PGO_UPDATE:
			op = 'u';
			before = m->oldkind ? &m->oldtup : NULL;
			after = &m->newtup;
			break;
		default:
			op = 'd';
			before = &m->oldtup;
			break;
	}
	buf_reset(&t->line);
	if (!fmt_change(&t->line, &h, r, op, NULL, before, m->oldkind == 'K', after, err, sizeof err))
		fatal(EX_SOFTWARE, "%s", err);
	tail_emit(t);
	if (op == 'c' && signal_table_is(t, r))
		signal_on_insert(t, &m->newtup);
}

static void
on_truncate(struct tail *t, uint64_t lsn)
{
	struct change_hdr h;
	char err[1024];
	int i;

	if (!t->in_txn)
		fatal(EX_SOFTWARE, "Truncate message outside a transaction");
	for (i = 0; i < t->msg.nrelids; i++) {
		struct rel *r = need_rel(t, t->msg.relids[i]);

		incr_on_truncate(t, r->oid);
		if (!tail_next_change(t, &h, lsn))
			continue;
		buf_reset(&t->line);
		if (!fmt_change(&t->line, &h, r, 't', NULL, NULL, false, NULL, err, sizeof err))
			fatal(EX_SOFTWARE, "%s", err);
		tail_emit(t);
	}
}

/*
 * A logical decoding message.  Transactional ones are changes of their
 * transaction; the others stand alone at their own LSN (pos LSN:1), which
 * keeps pos increasing: the server sends them as it decodes them, between
 * transactions.  Our own heartbeat messages are not written.
 */
static void
on_message(struct tail *t, int64_t send_time)
{
	struct pgo_msg *m = &t->msg;
	struct change_hdr h;
	bool heartbeat = m->relname.n == sizeof HEARTBEAT_PREFIX - 1 &&
		memcmp(m->relname.p, HEARTBEAT_PREFIX, m->relname.n) == 0;
	bool watermark = m->relname.n == sizeof WATERMARK_PREFIX - 1 &&
		memcmp(m->relname.p, WATERMARK_PREFIX, m->relname.n) == 0;

	if ((m->flags & 1) && watermark) {
		if (!t->in_txn)
			fatal(EX_SOFTWARE, "transactional Message outside a transaction");
		incr_on_watermark(t, m);
		return;
	}
	if (m->flags & 1) {
		if (!t->in_txn)
			fatal(EX_SOFTWARE, "transactional Message outside a transaction");
		if (!tail_next_change(t, &h, m->lsn))
			return;
	} else {
		struct pos p = {m->lsn, 1};

		if (t->end_lsn && m->lsn > t->end_lsn) {
			t->done = true;
			return;
		}
		if (heartbeat || watermark || pos_cmp(p, t->last_emitted) <= 0) {
			ackq_push(&t->q, m->lsn, m->lsn, 0);
			return;
		}
		t->last_emitted = p;
		h.commit_lsn = m->lsn;
		h.seq = 1;
		h.lsn = m->lsn;
		h.xid = m->xid;
		h.ts_us = send_time + PG_EPOCH_OFFSET_US;
		h.db_json = t->db_json.data;
		ackq_push(&t->q, m->lsn, m->lsn, 1);
	}
	buf_reset(&t->line);
	fmt_message(&t->line, &h, m->relname.p, m->relname.n, m->content, m->content_len,
				(m->flags & 1) != 0);
	tail_emit(t);
}

/* Handles a decoded message of a committed transaction (or none). */
static void
dispatch(struct tail *t, uint64_t lsn, int64_t send_time)
{
	struct pgo_msg *m = &t->msg;

	switch (m->type) {
		case PGO_BEGIN:
			if (t->end_lsn && m->lsn > t->end_lsn) {
				t->done = true;
				return;
			}
			t->in_txn = true;
			t->txn_commit = m->lsn;
			t->txn_seq = 0;
			t->txn_xid = m->xid;
			t->txn_ts_us = m->ts + PG_EPOCH_OFFSET_US;
			break;
		case PGO_COMMIT:
			if (!t->in_txn)
				fatal(EX_SOFTWARE, "Commit message outside a transaction");
			t->in_txn = false;
			ackq_push(&t->q, t->txn_commit, m->end_lsn, t->txn_seq);
			if (t->end_lsn && m->end_lsn >= t->end_lsn)
				t->done = true;
			break;
		case PGO_RELATION: on_relation(t); break;
		case PGO_INSERT:
		case PGO_UPDATE:
		case PGO_DELETE: on_change(t, lsn); break;
		case PGO_TRUNCATE: on_truncate(t, lsn); break;
		case PGO_MESSAGE: on_message(t, send_time); break;
		case PGO_TYPE: on_type(t); break;
		case PGO_ORIGIN: break;
		default: fatal(EX_SOFTWARE, "unexpected pgoutput %s message", pgo_type_name(m->type));
	}
}

/*
 * Stream Commit: the spilled transaction committed.  Its changes are
 * replayed from the file as one ordinary transaction.
 */
static void
on_stream_commit(struct tail *t)
{
	struct pgo_msg *m = &t->msg;
	uint64_t commit = m->lsn, end = m->end_lsn, lsn;
	char err[1024];
	struct spill *s = spill_get(&t->spills, m->xid, false, err, sizeof err);
	int r = 0;

	if (t->end_lsn && commit > t->end_lsn) {
		t->done = true;
		return;
	}
	t->in_txn = true;
	t->txn_commit = commit;
	t->txn_seq = 0;
	t->txn_xid = m->xid;
	t->txn_ts_us = m->ts + PG_EPOCH_OFFSET_US;
	if (s && !spill_rewind(s))
		fatal(EX_IOERR, "could not read the temporary file of transaction %u", t->txn_xid);
	while (s && (r = spill_next(s, &lsn, &t->replay)) > 0) {
		if (!pgo_decode((const unsigned char *) t->replay.data, t->replay.len, true, m, err,
						sizeof err))
			fatal(EX_SOFTWARE, "transaction %u: %s", t->txn_xid, err);
		dispatch(t, lsn, 0);
	}
	if (r < 0)
		fatal(EX_IOERR, "could not read the temporary file of transaction %u", t->txn_xid);
	if (s)
		spill_free(&t->spills, s);
	t->in_txn = false;
	ackq_push(&t->q, commit, end, t->txn_seq);
	if (t->end_lsn && end >= t->end_lsn)
		t->done = true;
}

/* Messages of protocol 2's streamed transactions; true if handled. */
static bool
on_stream(struct tail *t, uint64_t lsn, const unsigned char *p, size_t n)
{
	struct pgo_msg *m = &t->msg;
	char err[1024];
	struct spill *s;

	switch (m->type) {
		case PGO_STREAM_START:
			t->in_stream = true;
			t->stream = spill_get(&t->spills, m->xid, true, err, sizeof err);
			if (t->stream == NULL)
				fatal(EX_IOERR, "%s", err);
			return true;
		case PGO_STREAM_STOP:
			t->in_stream = false;
			t->stream = NULL;
			return true;
		case PGO_STREAM_COMMIT: on_stream_commit(t); return true;
		case PGO_STREAM_ABORT:
			s = spill_get(&t->spills, m->xid, false, err, sizeof err);
			if (s && m->subxid == m->xid)
				spill_free(&t->spills, s);
			else if (s && !spill_abort_sub(s, m->subxid, err, sizeof err))
				fatal(EX_IOERR, "%s", err);
			return true;
		default: break;
	}
	if (!t->in_stream)
		return false;
	if (m->type == PGO_MESSAGE && !(m->flags & 1))
		return false;
	if (!spill_append(t->stream, m->xid, lsn, p, n, err, sizeof err))
		fatal(EX_IOERR, "%s", err);
	return true;
}

void
tail_on_xlogdata(struct tail *t, const unsigned char *p, size_t n)
{
	char err[256];
	uint64_t lsn;
	int64_t send_time;

	if (n < 25)
		fatal(EX_SOFTWARE, "streaming header too small: %zu bytes", n);
	lsn = pgwt_get_u64(p + 1);
	send_time = (int64_t) pgwt_get_u64(p + 17);
	if (!pgo_decode(p + 25, n - 25, t->in_stream, &t->msg, err, sizeof err))
		fatal(EX_SOFTWARE, "%s", err);
	if (on_stream(t, lsn, p + 25, n - 25))
		return;
	dispatch(t, lsn, send_time);
}
