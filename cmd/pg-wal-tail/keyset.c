/*
 * keyset.c - keys of streamed changes and snapshot visibility; see
 * keyset.h.  A key is its column values, each as a 4-byte length and the
 * bytes of its text form (a NULL: the length UINT32_MAX alone), so that
 * the same row read by SELECT and sent by pgoutput gives the same key.
 */
#include "keyset.h"

#include <stdlib.h>
#include <string.h>

#define TRUNCATED UINT32_MAX /* kent.len of a truncate */
#define NULL_LEN UINT32_MAX	 /* the length key_put() writes for an SQL NULL */

struct kent {
	uint32_t xid;
	uint32_t len;
	size_t off;
};

bool
xsnap_parse(struct xsnap *s, const char *txt)
{
	char *end;

	s->nxip = 0;
	s->xmin = strtoull(txt, &end, 10);
	if (*end != ':')
		return false;
	s->xmax = strtoull(end + 1, &end, 10);
	if (*end != ':')
		return false;
	while (*++end) {
		if (s->nxip == s->cap) {
			s->cap = s->cap ? 2 * s->cap : 16;
			s->xip = xrealloc(s->xip, s->cap * sizeof *s->xip);
		}
		s->xip[s->nxip++] = strtoull(end, &end, 10);
		if (*end == '\0')
			break;
		if (*end != ',')
			return false;
	}
	return true;
}

bool
xsnap_sees(const struct xsnap *s, uint32_t xid)
{
	/* The streamed xid has no epoch: it is the one nearest below xmax. */
	uint64_t x = (s->xmax & ~UINT64_C(0xffffffff)) | xid;

	if (x > s->xmax && x >= UINT64_C(1) << 32)
		x -= UINT64_C(1) << 32;
	if (x < s->xmin)
		return true;
	if (x >= s->xmax)
		return false;
	for (size_t i = 0; i < s->nxip; i++)
		if (s->xip[i] == x)
			return false;
	return true;
}

void
xsnap_free(struct xsnap *s)
{
	free(s->xip);
	memset(s, 0, sizeof *s);
}

void
key_put(struct buf *b, const char *p, size_t n)
{
	uint32_t len = p ? (uint32_t) n : NULL_LEN;

	buf_put(b, (const char *) &len, sizeof len);
	if (p)
		buf_put(b, p, n);
}

void
keyset_add(struct keyset *k, uint32_t xid, const char *p, size_t n)
{
	struct kent *e;

	if (k->nents == k->cap) {
		k->cap = k->cap ? 2 * k->cap : 256;
		k->ents = xrealloc(k->ents, k->cap * sizeof *k->ents);
	}
	e = &k->ents[k->nents++];
	e->xid = xid;
	e->off = k->arena.len;
	e->len = p ? (uint32_t) n : TRUNCATED;
	if (p)
		buf_put(&k->arena, p, n);
}

static uint32_t
hash_bytes(const char *p, size_t n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char) p[i]) * 16777619u;
	return h;
}

bool
keyset_index_unseen(struct keyset *k, const struct xsnap *s)
{
	bool truncated = false;

	if (k->hcap < 2 * k->nents + 2) {
		while (k->hcap < 2 * k->nents + 2)
			k->hcap = k->hcap ? 2 * k->hcap : 1024;
		free(k->hash);
		k->hash = xcalloc(k->hcap, sizeof *k->hash);
	} else
		memset(k->hash, 0, k->hcap * sizeof *k->hash);
	for (size_t i = 0; i < k->nents; i++) {
		const struct kent *e = &k->ents[i];
		size_t h;

		if (xsnap_sees(s, e->xid))
			continue;
		if (e->len == TRUNCATED) {
			truncated = true;
			continue;
		}
		h = hash_bytes(k->arena.data + e->off, e->len) & (k->hcap - 1);
		while (k->hash[h])
			h = (h + 1) & (k->hcap - 1);
		k->hash[h] = (uint32_t) i + 1;
	}
	return truncated;
}

bool
keyset_has(const struct keyset *k, const char *p, size_t n)
{
	size_t h;

	if (k->hcap == 0)
		return false;
	for (h = hash_bytes(p, n) & (k->hcap - 1); k->hash[h]; h = (h + 1) & (k->hcap - 1)) {
		const struct kent *e = &k->ents[k->hash[h] - 1];

		if (e->len == n && memcmp(k->arena.data + e->off, p, n) == 0)
			return true;
	}
	return false;
}

void
keyset_prune(struct keyset *k, const struct xsnap *s)
{
	struct buf arena = BUF_INIT;
	size_t n = 0;

	for (size_t i = 0; i < k->nents; i++) {
		struct kent e = k->ents[i];

		if (xsnap_sees(s, e.xid))
			continue;
		if (e.len != TRUNCATED) {
			buf_put(&arena, k->arena.data + e.off, e.len);
			e.off = arena.len - e.len;
		}
		k->ents[n++] = e;
	}
	k->nents = n;
	buf_free(&k->arena);
	k->arena = arena;
}

void
keyset_clear(struct keyset *k)
{
	k->nents = 0;
	buf_reset(&k->arena);
}

void
keyset_free(struct keyset *k)
{
	free(k->ents);
	free(k->hash);
	buf_free(&k->arena);
	memset(k, 0, sizeof *k);
}
