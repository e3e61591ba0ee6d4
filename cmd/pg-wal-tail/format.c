/*
 * format.c - change lines from decoded tuples; relation descriptions.
 */
#include "format.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lsn.h"
#include "types.h"

struct rel *
rel_new(uint32_t oid, const char *nsp, size_t nsplen, const char *name, size_t namelen)
{
	struct rel *r = xcalloc(1, sizeof *r);

	r->oid = oid;
	r->nspname = xstrndup(nsp, nsplen);
	r->relname = xstrndup(name, namelen);
	buf_puts(&r->head, "\"schema\":");
	json_put_str(&r->head, nsp, nsplen);
	buf_puts(&r->head, ",\"table\":");
	json_put_str(&r->head, name, namelen);
	buf_puts(&r->columns, "\"columns\":[");
	return r;
}

void
rel_add_col(struct rel *r, const char *name, size_t namelen, uint32_t typoid, int32_t typmod,
			bool key, const struct colinfo *info)
{
	struct relcol *c;
	struct buf *b = &r->columns;

	r->cols = xrealloc(r->cols, (size_t) (r->ncols + 1) * sizeof *r->cols);
	c = &r->cols[r->ncols++];
	c->name = xstrndup(name, namelen);
	c->typoid = typoid;
	c->basetype = info->basetype ? info->basetype : typoid;
	c->typmod = typmod;
	c->key = key;

	if (r->ncols > 1)
		buf_putc(b, ',');
	buf_puts(b, "{\"name\":");
	json_put_str(b, name, namelen);
	buf_puts(b, ",\"type\":");
	json_put_cstr(b, info->type ? info->type : "");
	if (info->domain) {
		buf_puts(b, ",\"domain\":");
		json_put_cstr(b, info->domain);
	}
	buf_printf(b, ",\"oid\":%u,\"typmod\":%d,\"key\":%d,\"optional\":%s,\"default\":", typoid,
			   typmod, info->keyno, info->optional ? "true" : "false");
	if (info->dflt)
		json_put_cstr(b, info->dflt);
	else
		buf_puts(b, "null");
	if (info->enum_json) {
		buf_puts(b, ",\"enum\":");
		buf_puts(b, info->enum_json);
	}
	if (info->comment) {
		buf_puts(b, ",\"comment\":");
		json_put_cstr(b, info->comment);
	}
	buf_putc(b, '}');
}

void
rel_finish(struct rel *r)
{
	buf_putc(&r->columns, ']');
}

void
rel_free(struct rel *r)
{
	int i;

	if (r == NULL)
		return;
	for (i = 0; i < r->ncols; i++)
		free(r->cols[i].name);
	free(r->cols);
	free(r->nspname);
	free(r->relname);
	buf_free(&r->head);
	buf_free(&r->columns);
	free(r);
}

struct rel *
relcache_get(struct relcache *c, uint32_t oid)
{
	struct rel *r;

	for (r = c->slots[oid & 255]; r; r = r->next)
		if (r->oid == oid)
			return r;
	return NULL;
}

void
relcache_put(struct relcache *c, struct rel *r)
{
	struct rel **pp = &c->slots[r->oid & 255];

	while (*pp && (*pp)->oid != r->oid)
		pp = &(*pp)->next;
	if (*pp) {
		struct rel *old = *pp;

		r->next = old->next;
		rel_free(old);
	} else
		r->next = NULL;
	*pp = r;
}

void
relcache_free(struct relcache *c)
{
	int i;

	for (i = 0; i < 256; i++) {
		while (c->slots[i]) {
			struct rel *next = c->slots[i]->next;

			rel_free(c->slots[i]);
			c->slots[i] = next;
		}
	}
}

bool
is_json_number(const char *s, size_t n)
{
	size_t i = 0;

	if (i < n && s[i] == '-')
		i++;
	if (i >= n)
		return false;
	if (s[i] == '0')
		i++;
	else if (s[i] >= '1' && s[i] <= '9')
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
	else
		return false;
	if (i < n && s[i] == '.') {
		if (++i >= n || s[i] < '0' || s[i] > '9')
			return false;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		if (++i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		if (i >= n || s[i] < '0' || s[i] > '9')
			return false;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
	}
	return i == n;
}

void
fmt_value(struct buf *b, uint32_t basetype, const struct pgo_val *v)
{
	switch (v->kind) {
		case PGO_NULL: buf_puts(b, "null"); return;
		case PGO_TOAST: buf_puts(b, "{\"toast\":\"unchanged\"}"); return;
		case PGO_BINARY:
			/* Never requested; kept lossless should a server send it. */
			buf_puts(b, "{\"binary\":\"");
			base64_put(b, (const unsigned char *) v->p, v->n);
			buf_puts(b, "\"}");
			return;
		case PGO_TEXT: break;
	}
	switch (basetype) {
		case BOOLOID:
			if (v->n == 1 && (v->p[0] == 't' || v->p[0] == 'f')) {
				buf_puts(b, v->p[0] == 't' ? "true" : "false");
				return;
			}
			break;
		case INT2OID:
		case INT4OID:
		case INT8OID:
		case OIDOID:
		case FLOAT4OID:
		case FLOAT8OID:
			/* NaN and Infinity fail the test and stay strings. */
			if (is_json_number(v->p, v->n)) {
				buf_put(b, v->p, v->n);
				return;
			}
			break;
	}
	json_put_str(b, v->p, v->n);
}

static void
fmt_hdr(struct buf *b, const struct change_hdr *h)
{
	char lsn[LSN_STRLEN];
	char pos[POS_STRLEN];
	struct pos p = {h->commit_lsn, h->seq};

	buf_puts(b, "{\"pos\":\"");
	buf_puts(b, pos_format(p, pos));
	buf_puts(b, "\",\"lsn\":\"");
	buf_puts(b, lsn_format(h->lsn, lsn));
	buf_puts(b, "\",\"commit_lsn\":\"");
	buf_puts(b, lsn_format(h->commit_lsn, lsn));
	buf_puts(b, "\",\"xid\":");
	buf_put_u64(b, h->xid);
	buf_puts(b, ",\"ts_us\":");
	buf_put_i64(b, h->ts_us);
	buf_puts(b, ",\"db\":");
	buf_puts(b, h->db_json);
}

static bool
fmt_tuple(struct buf *b, const struct rel *r, const struct pgo_tuple *t, bool key_only,
		  char *errbuf, size_t errsize)
{
	int i;
	bool first = true;

	if (t == NULL) {
		buf_puts(b, "null");
		return true;
	}
	if (t->ncols != r->ncols) {
		snprintf(errbuf, errsize, "table \"%s.%s\": tuple has %d columns, relation has %d",
				 r->nspname, r->relname, t->ncols, r->ncols);
		return false;
	}
	buf_putc(b, '{');
	for (i = 0; i < t->ncols; i++) {
		if (key_only && !r->cols[i].key)
			continue;
		if (!first)
			buf_putc(b, ',');
		first = false;
		json_put_cstr(b, r->cols[i].name);
		buf_putc(b, ':');
		fmt_value(b, r->cols[i].basetype, &t->vals[i]);
	}
	buf_putc(b, '}');
	return true;
}

bool
fmt_change(struct buf *b, const struct change_hdr *h, const struct rel *r, char op,
		   const char *snapshot, const struct pgo_tuple *before, bool before_key_only,
		   const struct pgo_tuple *after, char *errbuf, size_t errsize)
{
	size_t start = b->len;

	fmt_hdr(b, h);
	buf_putc(b, ',');
	buf_put(b, r->head.data, r->head.len);
	buf_puts(b, ",\"op\":\"");
	buf_putc(b, op);
	buf_putc(b, '"');
	if (snapshot) {
		buf_puts(b, ",\"snapshot\":\"");
		buf_puts(b, snapshot);
		buf_putc(b, '"');
	}
	buf_putc(b, ',');
	buf_put(b, r->columns.data, r->columns.len);
	buf_puts(b, ",\"before\":");
	if (!fmt_tuple(b, r, before, before_key_only, errbuf, errsize))
		goto fail;
	buf_puts(b, ",\"after\":");
	if (!fmt_tuple(b, r, after, false, errbuf, errsize))
		goto fail;
	buf_putc(b, '}');
	return true;
fail:
	b->len = start;
	return false;
}

void
fmt_message(struct buf *b, const struct change_hdr *h, const char *prefix, size_t prefixlen,
			const unsigned char *content, size_t n, bool transactional)
{
	fmt_hdr(b, h);
	buf_puts(b, ",\"op\":\"m\",\"message\":{\"prefix\":");
	json_put_str(b, prefix, prefixlen);
	buf_puts(b, ",\"content\":\"");
	base64_put(b, content, n);
	buf_puts(b, "\",\"transactional\":");
	buf_puts(b, transactional ? "true}}" : "false}}");
}
