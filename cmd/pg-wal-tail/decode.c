/*
 * decode.c - pgoutput messages (PostgreSQL "Logical Replication Message
 * Formats", protocol versions 1 and 2) from bytes to struct pgo_msg.
 *
 * All integers are big-endian.  A reader keeps the cursor and the first
 * error; every get_*() after an error is a no-op returning zero, so the
 * per-message code reads like the format description and checks once.
 */
#include "decode.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

struct rd {
	const unsigned char *p;
	const unsigned char *end;
	const char *err;  /* static text of the first error */
	const char *what; /* field being read, for the error */
};

static bool
need(struct rd *r, size_t n, const char *what)
{
	if (r->err)
		return false;
	if ((size_t) (r->end - r->p) < n) {
		r->err = "truncated";
		r->what = what;
		return false;
	}
	return true;
}

static uint8_t
get_u8(struct rd *r, const char *what)
{
	if (!need(r, 1, what))
		return 0;
	return *r->p++;
}

static uint16_t
get_u16(struct rd *r, const char *what)
{
	uint16_t v;

	if (!need(r, 2, what))
		return 0;
	v = (uint16_t) (r->p[0] << 8 | r->p[1]);
	r->p += 2;
	return v;
}

static uint32_t
get_u32(struct rd *r, const char *what)
{
	uint32_t v;

	if (!need(r, 4, what))
		return 0;
	v = (uint32_t) r->p[0] << 24 | (uint32_t) r->p[1] << 16 | (uint32_t) r->p[2] << 8 | r->p[3];
	r->p += 4;
	return v;
}

static uint64_t
get_u64(struct rd *r, const char *what)
{
	uint64_t hi = get_u32(r, what);

	return hi << 32 | get_u32(r, what);
}

/* A NUL-terminated string; the slice excludes the NUL. */
static struct pgo_str
get_str(struct rd *r, const char *what)
{
	struct pgo_str s = {"", 0};
	const unsigned char *nul;

	if (r->err)
		return s;
	nul = memchr(r->p, '\0', (size_t) (r->end - r->p));
	if (nul == NULL) {
		r->err = "unterminated string";
		r->what = what;
		return s;
	}
	s.p = (const char *) r->p;
	s.n = (size_t) (nul - r->p);
	r->p = nul + 1;
	return s;
}

static void
fail(struct rd *r, const char *err, const char *what)
{
	if (r->err == NULL) {
		r->err = err;
		r->what = what;
	}
}

static void *
grow(void *arr, int *cap, int want, size_t elsize)
{
	int ncap = *cap ? *cap : 8;

	if (want <= *cap)
		return arr;
	while (ncap < want)
		ncap *= 2;
	*cap = ncap;
	return xrealloc(arr, (size_t) ncap * elsize);
}

/* TupleData: Int16 column count, then per column a kind byte and data. */
static void
get_tuple(struct rd *r, struct pgo_tuple *t)
{
	int i;

	t->ncols = get_u16(r, "tuple column count");
	/* Each column takes at least one byte: reject counts the data cannot hold. */
	if (!r->err && (size_t) t->ncols > (size_t) (r->end - r->p))
		fail(r, "column count exceeds message", "tuple");
	if (r->err) {
		t->ncols = 0;
		return;
	}
	t->vals = grow(t->vals, &t->cap, t->ncols, sizeof *t->vals);
	for (i = 0; i < t->ncols && !r->err; i++) {
		struct pgo_val *v = &t->vals[i];
		uint32_t len;

		v->kind = get_u8(r, "tuple column kind");
		v->p = NULL;
		v->n = 0;
		switch (v->kind) {
			case PGO_NULL:
			case PGO_TOAST: break;
			case PGO_TEXT:
			case PGO_BINARY:
				len = get_u32(r, "tuple value length");
				if (need(r, len, "tuple value")) {
					v->p = (const char *) r->p;
					v->n = len;
					r->p += len;
				}
				break;
			default: fail(r, "unknown tuple column kind", "tuple");
		}
	}
	if (r->err)
		t->ncols = 0;
}

static void
get_xid_if(struct rd *r, struct pgo_msg *m, bool in_stream)
{
	m->has_xid = in_stream;
	if (in_stream)
		m->xid = get_u32(r, "xid");
}

static void
decode_relation(struct rd *r, struct pgo_msg *m)
{
	int i;

	m->relid = get_u32(r, "relation OID");
	m->nspname = get_str(r, "namespace");
	m->relname = get_str(r, "relation name");
	m->replident = (char) get_u8(r, "replica identity");
	m->ncols = get_u16(r, "column count");
	/* A column takes at least 10 bytes: flags, name NUL, OID, typmod. */
	if (!r->err && (size_t) m->ncols * 10 > (size_t) (r->end - r->p))
		fail(r, "column count exceeds message", "relation");
	if (r->err) {
		m->ncols = 0;
		return;
	}
	m->cols = grow(m->cols, &m->colcap, m->ncols, sizeof *m->cols);
	for (i = 0; i < m->ncols; i++) {
		struct pgo_relcol *c = &m->cols[i];

		c->flags = get_u8(r, "column flags");
		c->name = get_str(r, "column name");
		c->typoid = get_u32(r, "column type OID");
		c->typmod = (int32_t) get_u32(r, "column type modifier");
	}
	if (r->err)
		m->ncols = 0;
}

static void
decode_update(struct rd *r, struct pgo_msg *m)
{
	uint8_t kind = get_u8(r, "tuple marker");

	if (kind == 'K' || kind == 'O') {
		m->oldkind = (char) kind;
		get_tuple(r, &m->oldtup);
		kind = get_u8(r, "tuple marker");
	}
	if (kind != 'N')
		fail(r, "expected new tuple marker 'N'", "update");
	get_tuple(r, &m->newtup);
}

static void
decode_truncate(struct rd *r, struct pgo_msg *m)
{
	uint32_t n = get_u32(r, "relation count");
	uint32_t i;

	m->flags = get_u8(r, "truncate options");
	if (!r->err && (uint64_t) n * 4 != (uint64_t) (r->end - r->p))
		fail(r, "relation count does not match message length", "truncate");
	if (r->err)
		return;
	m->relids = grow(m->relids, &m->relidcap, (int) n, sizeof *m->relids);
	m->nrelids = (int) n;
	for (i = 0; i < n; i++)
		m->relids[i] = get_u32(r, "relation OID");
}

static void
decode_body(struct rd *r, struct pgo_msg *m, bool in_stream)
{
	uint8_t kind;

	switch (m->type) {
		case PGO_BEGIN:
			m->lsn = get_u64(r, "final LSN");
			m->ts = (int64_t) get_u64(r, "commit timestamp");
			m->xid = get_u32(r, "xid");
			m->has_xid = true;
			break;
		case PGO_COMMIT:
			m->flags = get_u8(r, "flags");
			m->lsn = get_u64(r, "commit LSN");
			m->end_lsn = get_u64(r, "end LSN");
			m->ts = (int64_t) get_u64(r, "commit timestamp");
			break;
		case PGO_ORIGIN:
			m->lsn = get_u64(r, "origin LSN");
			m->relname = get_str(r, "origin name");
			break;
		case PGO_RELATION:
			get_xid_if(r, m, in_stream);
			decode_relation(r, m);
			break;
		case PGO_TYPE:
			get_xid_if(r, m, in_stream);
			m->relid = get_u32(r, "type OID");
			m->nspname = get_str(r, "namespace");
			m->relname = get_str(r, "type name");
			break;
		case PGO_INSERT:
			get_xid_if(r, m, in_stream);
			m->relid = get_u32(r, "relation OID");
			if (get_u8(r, "tuple marker") != 'N')
				fail(r, "expected new tuple marker 'N'", "insert");
			get_tuple(r, &m->newtup);
			break;
		case PGO_UPDATE:
			get_xid_if(r, m, in_stream);
			m->relid = get_u32(r, "relation OID");
			decode_update(r, m);
			break;
		case PGO_DELETE:
			get_xid_if(r, m, in_stream);
			m->relid = get_u32(r, "relation OID");
			kind = get_u8(r, "tuple marker");
			if (kind != 'K' && kind != 'O')
				fail(r, "expected old tuple marker 'K' or 'O'", "delete");
			m->oldkind = (char) kind;
			get_tuple(r, &m->oldtup);
			break;
		case PGO_TRUNCATE:
			get_xid_if(r, m, in_stream);
			decode_truncate(r, m);
			break;
		case PGO_MESSAGE:
			get_xid_if(r, m, in_stream);
			m->flags = get_u8(r, "flags");
			m->lsn = get_u64(r, "message LSN");
			m->relname = get_str(r, "message prefix");
			m->content_len = get_u32(r, "content length");
			if (need(r, m->content_len, "content")) {
				m->content = r->p;
				r->p += m->content_len;
			}
			break;
		case PGO_STREAM_START:
			m->xid = get_u32(r, "xid");
			m->has_xid = true;
			m->flags = get_u8(r, "first segment flag");
			break;
		case PGO_STREAM_STOP: break;
		case PGO_STREAM_COMMIT:
			m->xid = get_u32(r, "xid");
			m->has_xid = true;
			m->flags = get_u8(r, "flags");
			m->lsn = get_u64(r, "commit LSN");
			m->end_lsn = get_u64(r, "end LSN");
			m->ts = (int64_t) get_u64(r, "commit timestamp");
			break;
		case PGO_STREAM_ABORT:
			m->xid = get_u32(r, "xid");
			m->has_xid = true;
			m->subxid = get_u32(r, "subtransaction xid");
			/* Protocol 4 adds abort LSN and time; they are skipped. */
			if (r->end - r->p == 16)
				r->p += 16;
			break;
		default: fail(r, "unknown message type", "message");
	}
}

bool
pgo_decode(const unsigned char *p, size_t n, bool in_stream, struct pgo_msg *m, char *errbuf,
		   size_t errsize)
{
	struct rd r = {p, p + n, NULL, NULL};

	m->has_xid = false;
	m->xid = 0;
	m->oldkind = 0;
	m->oldtup.ncols = 0;
	m->newtup.ncols = 0;
	m->ncols = 0;
	m->nrelids = 0;
	m->content = NULL;
	m->content_len = 0;
	if (n == 0) {
		snprintf(errbuf, errsize, "empty pgoutput message");
		return false;
	}
	m->type = (enum pgo_type) get_u8(&r, "type");
	decode_body(&r, m, in_stream);
	if (r.err == NULL && r.p != r.end)
		fail(&r, "trailing bytes", "message");
	if (r.err) {
		if (m->type >= 0x20 && m->type < 0x7f)
			snprintf(errbuf, errsize, "malformed pgoutput %s message ('%c'): %s: %s",
					 pgo_type_name(m->type), m->type, r.what, r.err);
		else
			snprintf(errbuf, errsize, "malformed pgoutput message (type byte 0x%02x): %s: %s",
					 (unsigned) m->type, r.what, r.err);
		return false;
	}
	return true;
}

const char *
pgo_type_name(int type)
{
	switch (type) {
		case PGO_BEGIN: return "Begin";
		case PGO_COMMIT: return "Commit";
		case PGO_ORIGIN: return "Origin";
		case PGO_RELATION: return "Relation";
		case PGO_TYPE: return "Type";
		case PGO_INSERT: return "Insert";
		case PGO_UPDATE: return "Update";
		case PGO_DELETE: return "Delete";
		case PGO_TRUNCATE: return "Truncate";
		case PGO_MESSAGE: return "Message";
		case PGO_STREAM_START: return "Stream Start";
		case PGO_STREAM_STOP: return "Stream Stop";
		case PGO_STREAM_COMMIT: return "Stream Commit";
		case PGO_STREAM_ABORT: return "Stream Abort";
		default: return "unknown";
	}
}

void
pgo_msg_init(struct pgo_msg *m)
{
	memset(m, 0, sizeof *m);
}

void
pgo_msg_free(struct pgo_msg *m)
{
	free(m->cols);
	free(m->oldtup.vals);
	free(m->newtup.vals);
	free(m->relids);
	memset(m, 0, sizeof *m);
}
