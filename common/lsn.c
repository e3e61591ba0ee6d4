/*
 * lsn.c - LSN and change position text forms.
 */
#include "lsn.h"

#include <string.h>

static bool
parse_hex32(const char *s, size_t n, uint32_t *out)
{
	uint32_t v = 0;
	size_t i;

	if (n == 0 || n > 8)
		return false;
	for (i = 0; i < n; i++) {
		char c = s[i];
		int h;

		if (c >= '0' && c <= '9')
			h = c - '0';
		else if (c >= 'a' && c <= 'f')
			h = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			h = c - 'A' + 10;
		else
			return false;
		v = v << 4 | (uint32_t) h;
	}
	*out = v;
	return true;
}

bool
lsn_parse(const char *s, size_t n, uint64_t *lsn)
{
	const char *slash = memchr(s, '/', n);
	uint32_t hi, lo;

	if (slash == NULL)
		return false;
	if (!parse_hex32(s, (size_t) (slash - s), &hi) ||
		!parse_hex32(slash + 1, n - (size_t) (slash - s) - 1, &lo))
		return false;
	*lsn = (uint64_t) hi << 32 | lo;
	return true;
}

/* Writes v as upper-case hex without leading zeros ("%X"); returns the end. */
static char *
put_hex32(char *p, uint32_t v)
{
	static const char digits[] = "0123456789ABCDEF";
	int shift = 28;

	while (shift > 0 && (v >> shift) == 0)
		shift -= 4;
	for (; shift >= 0; shift -= 4)
		*p++ = digits[(v >> shift) & 0xf];
	return p;
}

/* Writes v in decimal ("%llu"); returns the end. */
static char *
put_u64(char *p, uint64_t v)
{
	char tmp[20];
	size_t n = 0;

	do
		tmp[n++] = (char) ('0' + v % 10);
	while ((v /= 10) > 0);
	while (n > 0)
		*p++ = tmp[--n];
	return p;
}

/*
 * Formatted by hand: pg-wal-tail writes three of these a change, and
 * snprintf() took half of its instructions.
 */
static char *
put_lsn(char *p, uint64_t lsn)
{
	p = put_hex32(p, (uint32_t) (lsn >> 32));
	*p++ = '/';
	return put_hex32(p, (uint32_t) lsn);
}

char *
lsn_format(uint64_t lsn, char *buf)
{
	*put_lsn(buf, lsn) = '\0';
	return buf;
}

bool
pos_parse(const char *s, size_t n, struct pos *pos)
{
	const char *colon = memchr(s, ':', n);
	size_t lsnlen = colon ? (size_t) (colon - s) : n;
	uint64_t seq = 0;
	size_t i;

	if (!lsn_parse(s, lsnlen, &pos->commit_lsn))
		return false;
	if (colon == NULL) {
		pos->seq = UINT64_MAX;
		return true;
	}
	if (colon + 1 == s + n)
		return false;
	for (i = lsnlen + 1; i < n; i++) {
		if (s[i] < '0' || s[i] > '9' || seq > (UINT64_MAX - 9) / 10)
			return false;
		seq = seq * 10 + (uint64_t) (s[i] - '0');
	}
	pos->seq = seq;
	return true;
}

char *
pos_format(struct pos pos, char *buf)
{
	char *p = put_lsn(buf, pos.commit_lsn);

	if (pos.seq != UINT64_MAX) {
		*p++ = ':';
		p = put_u64(p, pos.seq);
	}
	*p = '\0';
	return buf;
}

int
pos_cmp(struct pos a, struct pos b)
{
	if (a.commit_lsn != b.commit_lsn)
		return a.commit_lsn < b.commit_lsn ? -1 : 1;
	if (a.seq != b.seq)
		return a.seq < b.seq ? -1 : 1;
	return 0;
}
