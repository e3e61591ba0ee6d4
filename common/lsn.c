/*
 * lsn.c - LSN and change position text forms.
 */
#include "lsn.h"

#include <stdio.h>
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

char *
lsn_format(uint64_t lsn, char *buf)
{
	snprintf(buf, LSN_STRLEN, "%X/%X", (unsigned) (lsn >> 32), (unsigned) lsn);
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
	char lsn[LSN_STRLEN];

	if (pos.seq == UINT64_MAX)
		snprintf(buf, POS_STRLEN, "%s", lsn_format(pos.commit_lsn, lsn));
	else
		snprintf(buf, POS_STRLEN, "%s:%llu", lsn_format(pos.commit_lsn, lsn),
				 (unsigned long long) pos.seq);
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
