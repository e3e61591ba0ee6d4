/*
 * stream.c - the replication stream: START_REPLICATION, CopyBoth messages
 * (XLogData 'w', keepalive 'k'), change lines, standby status updates
 * ('r') and reconnection, in the manner of pg_recvlogical.
 *
 * Confirming is the delicate part.  The server may forget everything up
 * to the LSN we confirm, so we confirm only what downstream has made
 * durable: with --ack-file, what its "pos" line covers (ackq.h); without,
 * what was written and flushed to stdout.
 */
#include "tail.h"
#include "clock.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sysexits.h>
#include <unistd.h>

#include "ackfile.h"
#include "catalog.h"
#include "incremental.h"
#include "log.h"
#include "metrics.h"
#include "pgutil.h"
#include "sig.h"
#include "signals.h"

enum step { STEP_OK, STEP_LOST };

static void
put_u64(unsigned char *p, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--, v >>= 8)
		p[i] = (unsigned char) v;
}

/*
 * Standby status update: write, flush and apply positions, the client's
 * clock (us since 2000-01-01) and whether we ask for a reply.
 */
static bool
send_status(struct tail *t, bool reply)
{
	unsigned char msg[1 + 8 * 4 + 1];
	uint64_t lsn = t->q.confirmed;
	char txt[LSN_STRLEN];

	msg[0] = 'r';
	put_u64(msg + 1, lsn);
	put_u64(msg + 9, lsn);
	put_u64(msg + 17, lsn);
	put_u64(msg + 25, (uint64_t) (clock_wall_us() - PG_EPOCH_OFFSET_US));
	msg[33] = reply ? 1 : 0;
	if (PQputCopyData(t->repl, (const char *) msg, sizeof msg) <= 0 || PQflush(t->repl) != 0)
		return false;
	if (lsn != t->sent_confirm)
		log_debug("confirmed %s", lsn_format(lsn, txt));
	t->sent_confirm = lsn;
	t->last_status_us = clock_wall_us();
	return true;
}

bool
tail_read_ack(struct tail *t, struct pos *pos)
{
	char err[1024];
	bool exists;

	if (!ack_read(t->o->ack_file, &t->ackbuf, &exists, err, sizeof err)) {
		log_warn("%s", err);
		return false;
	}
	return exists && ack_find_pos(t->ackbuf.data, t->ackbuf.len, pos);
}

void
tail_die_write(struct tail *t)
{
	fatal(EX_IOERR, "could not write output: %s", strerror(t->out.err));
}

/*
 * Flushes stdout, then moves q.confirmed as far as is safe.  Exits
 * (EX_IOERR, nothing more confirmed) if the output cannot be written.
 */
static void
update_confirm(struct tail *t)
{
	struct pos ack;
	bool have_ack;

	if (!out_flush(&t->out))
		tail_die_write(t);
	have_ack = t->o->ack_file && tail_read_ack(t, &ack);
	/*
	 * The slot stays at the point the snapshot streams from until
	 * downstream has its last row: that is how a restart knows it is
	 * complete (snapshot.c).
	 */
	if (t->snap_pending && (t->o->ack_file == NULL || (have_ack && pos_cmp(ack, t->snap_end) >= 0)))
		t->snap_pending = false;
	if (t->snap_pending)
		return;
	if (t->o->ack_file == NULL)
		ackq_release_all(&t->q);
	else if (have_ack)
		ackq_release(&t->q, ack);
	/*
	 * Heartbeat: with nothing of ours outstanding, everything the server
	 * sent before its last keepalive was either confirmed or not ours.
	 */
	if (t->o->heartbeat_us > 0 && ackq_empty(&t->q) && !t->in_txn && t->spills == NULL &&
		t->server_end > t->q.confirmed)
		t->q.confirmed = t->server_end;
}

bool
tail_reset_sql(struct tail *t)
{
	char err[1024];

	PQreset(t->sql);
	if (PQstatus(t->sql) != CONNECTION_OK)
		return false;
	if (!set_output_style(t->sql, err, sizeof err)) {
		log_warn("%s", err);
		return false;
	}
	return true;
}

/* Primary keepalive: walEnd, sendTime, replyRequested. */
static enum step
on_keepalive(struct tail *t, const unsigned char *p, size_t n)
{
	if (n < 18)
		fatal(EX_SOFTWARE, "keepalive message too small: %zu bytes", n);
	t->server_end = pgwt_get_u64(p + 1);
	if (t->end_lsn && !t->in_txn && t->server_end >= t->end_lsn)
		t->done = true;
	if (p[17]) {
		update_confirm(t);
		if (!send_status(t, false))
			return STEP_LOST;
	}
	return STEP_OK;
}

/*
 * Starts streaming.  Errors are fatal, except, when retrying, those that
 * may pass (connection, a slot still held by our previous walsender):
 * then false.
 */
static bool
start_replication(struct tail *t, bool retrying)
{
	struct buf sql = BUF_INIT;
	char *qs = PQescapeIdentifier(t->repl, t->o->slot, strlen(t->o->slot));
	char *pubs;
	char lsn[LSN_STRLEN];
	char msg[1024];
	PGresult *res;
	struct buf inner = BUF_INIT;

	/* publication_names is a list of identifiers inside a literal. */
	pubs = PQescapeIdentifier(t->repl, t->o->publication, strlen(t->o->publication));
	buf_puts(&inner, pubs);
	PQfreemem(pubs);
	pubs = PQescapeLiteral(t->repl, buf_cstr(&inner), inner.len);
	buf_printf(&sql,
			   "START_REPLICATION SLOT %s LOGICAL %s (proto_version '%s', "
			   "publication_names %s, messages 'true'%s)",
			   qs, lsn_format(t->o->start_lsn, lsn), t->o->streaming ? "2" : "1", pubs,
			   t->o->streaming ? ", streaming 'on'" : "");
	PQfreemem(qs);
	PQfreemem(pubs);
	buf_free(&inner);
	res = PQexec(t->repl, buf_cstr(&sql));
	buf_free(&sql);
	if (PQresultStatus(res) != PGRES_COPY_BOTH) {
		const char *st = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
		int status = pg_result_status(t->repl, res);

		pg_errmsg(t->repl, res, msg, sizeof msg);
		PQclear(res);
		if (retrying && (status == EX_TEMPFAIL || (st && strcmp(st, "55006") == 0))) {
			log_warn("could not start replication: %s", msg);
			return false;
		}
		fatal(status, "could not start replication: %s", msg);
	}
	PQclear(res);
	t->in_txn = false;
	t->in_stream = false;
	t->stream = NULL;
	spill_free_all(&t->spills);
	t->last_status_us = clock_wall_us();
	log_info("streaming from slot \"%s\"", t->o->slot);
	return true;
}

/*
 * While idle, look at the ack file this often, so that the slot follows
 * downstream closely instead of once per status interval: the server can
 * recycle WAL and the slot's lag reads true.
 */
#define ACK_CHECK_US 200000
/* How often the output is looked at while a chunk waits for it to drain. */
#define DRAIN_POLL_US 1000

/* Confirms at once what downstream acknowledged since the last look. */
static bool
confirm_acknowledged(struct tail *t, int64_t now)
{
	uint64_t before = t->q.confirmed;

	t->last_ack_check_us = now;
	update_confirm(t);
	return t->q.confirmed == before || send_status(t, false);
}

/*
 * Waits until the socket is readable or the next status update (or ack
 * file check) is due, at most a second.  Returns false if the connection
 * failed.
 */
static bool
wait_socket(struct tail *t)
{
	int fd = PQsocket(t->repl);
	fd_set rfds;
	struct timeval tv;
	int64_t left = t->last_status_us + t->o->status_interval_us - clock_wall_us();

	if (fd < 0)
		return false;
	if (left > 1000000)
		left = 1000000;
	if ((t->o->ack_file || t->signals) && left > ACK_CHECK_US)
		left = ACK_CHECK_US;
	if (incr_draining(t) && left > DRAIN_POLL_US)
		left = DRAIN_POLL_US;
	if (left < 0)
		left = 0;
	FD_ZERO(&rfds);
	FD_SET(fd, &rfds);
	tv.tv_sec = left / 1000000;
	tv.tv_usec = left % 1000000;
	if (select(fd + 1, &rfds, NULL, NULL, &tv) < 0) {
		if (errno == EINTR)
			return true;
		log_warn("select failed: %s", strerror(errno));
		return false;
	}
	return PQconsumeInput(t->repl) == 1;
}

/*
 * Heartbeat: ask the server for a keepalive (its latest position, which
 * update_confirm() may confirm when nothing of ours is outstanding) and
 * optionally write a message into the WAL so that the position moves even
 * when this database is idle.
 */
static bool
heartbeat(struct tail *t)
{
	char err[1024];
	PGresult *res;

	t->last_heartbeat_us = clock_wall_us();
	if (t->o->heartbeat_message) {
		res = pg_exec(t->sql,
					  "SELECT 1 FROM pg_catalog.pg_logical_emit_message(false, '" HEARTBEAT_PREFIX
					  "', '')",
					  PGRES_TUPLES_OK, err, sizeof err);
		if (res == NULL) {
			log_warn("heartbeat message: %s", err);
			if (PQstatus(t->sql) == CONNECTION_BAD)
				(void) tail_reset_sql(t);
		}
		PQclear(res);
	}
	update_confirm(t);
	return send_status(t, true);
}

/* Handles one CopyData message from the server. */
static enum step
on_copydata(struct tail *t, const unsigned char *p, size_t n)
{
	if (p[0] == 'k')
		return on_keepalive(t, p, n);
	if (p[0] == 'w') {
		t->wal_msgs++;
		t->wal_bytes += n;
		tail_on_xlogdata(t, p, n);
		return STEP_OK;
	}
	fatal(EX_SOFTWARE, "unknown streaming message type 0x%02x", p[0]);
}

/*
 * Receives until stopped, the end LSN or a lost connection.  Returns
 * STEP_LOST for a lost connection; errors the server reports are fatal.
 */
static enum step
receive(struct tail *t)
{
	char *copybuf = NULL;
	int r;
	int64_t last_probe = 0;

	while (!sig_stop && !t->done) {
		int64_t now = clock_wall_us();

		metrics_tick();
		signals_poll(t);
		incr_step(t);
		if (now - t->last_status_us >= t->o->status_interval_us) {
			update_confirm(t);
			if (!send_status(t, false))
				return STEP_LOST;
		}
		if (t->o->heartbeat_us > 0 && now - t->last_heartbeat_us >= t->o->heartbeat_us &&
			!heartbeat(t))
			return STEP_LOST;
		r = PQgetCopyData(t->repl, &copybuf, 1);
		if (r == 0) {
			/* Idle: write what we have, then wait. */
			if (!out_flush(&t->out))
				tail_die_write(t);
			/* With an end position, ask for keepalives to learn the server's. */
			if (t->end_lsn && !t->in_txn && now - last_probe >= 500000) {
				last_probe = now;
				update_confirm(t);
				if (!send_status(t, true))
					return STEP_LOST;
			}
			if (t->o->ack_file && now - t->last_ack_check_us >= ACK_CHECK_US &&
				!confirm_acknowledged(t, now))
				return STEP_LOST;
			if (!wait_socket(t))
				return STEP_LOST;
			continue;
		}
		if (r == -1) {
			PGresult *res = PQgetResult(t->repl);
			char msg[1024];
			const char *st = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

			if (PQresultStatus(res) == PGRES_COMMAND_OK) {
				PQclear(res);
				log_warn("server ended the replication stream");
				return STEP_LOST;
			}
			pg_errmsg(t->repl, res, msg, sizeof msg);
			if (pg_result_status(t->repl, res) == EX_TEMPFAIL) {
				log_warn("replication stream lost: %s", msg);
				PQclear(res);
				return STEP_LOST;
			}
			PQclear(res);
			fatal(pg_status_for_sqlstate(st), "replication stream: %s", msg);
		}
		if (r < 0) {
			char msg[1024];

			log_warn("could not read the replication stream: %s",
					 pg_errmsg(t->repl, NULL, msg, sizeof msg));
			return STEP_LOST;
		}
		if (on_copydata(t, (const unsigned char *) copybuf, (size_t) r) == STEP_LOST) {
			PQfreemem(copybuf);
			return STEP_LOST;
		}
		PQfreemem(copybuf);
	}
	return STEP_OK;
}

/* Sleeps up to us, waking early for a stop signal. */
static void
nap(int64_t us)
{
	int64_t until = clock_wall_us() + us;

	while (!sig_stop && clock_wall_us() < until)
		usleep(100000);
}

static bool
reconnect(struct tail *t)
{
	char err[1024];
	int attempt, status;
	int64_t backoff = 1000000;

	if (!out_flush(&t->out))
		tail_die_write(t);
	PQfinish(t->repl);
	t->repl = NULL;
	for (attempt = 1; attempt <= t->o->retries && !sig_stop; attempt++) {
		log_warn("reconnecting in %lld s (attempt %d of %d)", (long long) (backoff / 1000000),
				 attempt, t->o->retries);
		nap(backoff);
		if (backoff < 30000000)
			backoff *= 2;
		t->repl = pg_connect(t->o->conninfo, "database", "pg-wal-tail", &status, err, sizeof err);
		if (t->repl == NULL && status != EX_TEMPFAIL)
			fatal(status, "%s", err);
		if (t->repl == NULL) {
			log_warn("%s", err);
			continue;
		}
		if (!set_output_style(t->repl, err, sizeof err)) {
			log_warn("%s", err);
			PQfinish(t->repl);
			t->repl = NULL;
			continue;
		}
		if (!tail_reset_sql(t)) {
			log_warn("could not reconnect the catalog connection: %s",
					 pg_errmsg(t->sql, NULL, err, sizeof err));
			PQfinish(t->repl);
			t->repl = NULL;
			continue;
		}
		if (start_replication(t, true))
			return true;
		PQfinish(t->repl);
		t->repl = NULL;
	}
	return false;
}

/* Ends the stream: flush, final status, CopyDone, drain. */
static void
finish(struct tail *t)
{
	char *copybuf;
	int r;
	int64_t deadline = clock_wall_us() + 5000000;
	PGresult *res;

	update_confirm(t);
	if (!send_status(t, false))
		return;
	if (PQputCopyEnd(t->repl, NULL) <= 0 || PQflush(t->repl) != 0)
		return;
	while (clock_wall_us() < deadline) {
		r = PQgetCopyData(t->repl, &copybuf, 1);
		if (r > 0) {
			PQfreemem(copybuf);
			continue;
		}
		if (r < 0)
			break;
		if (!wait_socket(t))
			return;
	}
	while ((res = PQgetResult(t->repl)) != NULL)
		PQclear(res);
}

int
tail_stream(struct tail *t)
{
	struct pos ack;

	if (t->o->ack_file && tail_read_ack(t, &ack) && pos_cmp(ack, t->last_emitted) > 0)
		t->last_emitted = ack;
	signals_open(t);
	(void) start_replication(t, false);
	for (;;) {
		if (receive(t) == STEP_OK)
			break;
		if (!reconnect(t)) {
			if (sig_stop)
				return 0;
			fatal(EX_TEMPFAIL, "replication connection lost, %d reconnect attempts failed",
				  t->o->retries);
		}
	}
	finish(t);
	return 0;
}
