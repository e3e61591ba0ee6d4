/*
 * state.c - the conversion's state: created from the configuration,
 * counted for the metrics, freed; and its error message.
 */
#include "state.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

struct env *
env_new(const struct env_conf *c)
{
	struct env *e = xcalloc(1, sizeof *e);

	e->c = c;
	PUTL(&e->srchead, "{\"version\":");
	json_put_cstr(&e->srchead, c->source_version);
	PUTL(&e->srchead, ",\"connector\":\"postgresql\",\"name\":");
	json_put_cstr(&e->srchead, c->prefix);
	PUTL(&e->srchead, ",\"ts_ms\":");
	buf_reset(&e->scratch);
	buf_puts(&e->scratch, c->prefix);
	PUTL(&e->scratch, ".message");
	json_put_str(&e->msg_topic, e->scratch.data, e->scratch.len);
	buf_reset(&e->scratch);
	buf_puts(&e->scratch, c->prefix);
	PUTL(&e->scratch, ".transaction");
	json_put_str(&e->tx_topic, e->scratch.data, e->scratch.len);
	return e;
}

void
env_free(struct env *e)
{
	table_cache_free(&e->tables);
	buf_free(&e->tx_xid);
	buf_free(&e->seq);
	buf_free(&e->db);
	buf_free(&e->srchead);
	buf_free(&e->scratch);
	buf_free(&e->hdr);
	buf_free(&e->msg_topic);
	buf_free(&e->tx_topic);
	free(e->colls);
	free(e->vals_a);
	free(e->vals_b);
	free(e);
}

bool
env_fail(struct env *e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e->err, e->errsize, fmt, ap);
	va_end(ap);
	return false;
}

void
env_stats(const struct env *e, struct env_stats *st)
{
	st->records = e->nrecords;
	st->skipped = e->nskipped;
	st->commit_lsn = e->have_commit ? e->commit : 0;
	st->commit_ts_us = e->have_tx_ts ? e->tx_ts_us : 0;
}
