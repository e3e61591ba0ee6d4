/*
 * spill.c - temporary files of streamed transactions.
 *
 * Record format: Int32 length, Int64 LSN, then the pgoutput message as
 * received, native byte order (the file never leaves this process).
 */
#include "spill.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static FILE *
open_temp(char *errbuf, size_t errsize)
{
	const char *dir = getenv("TMPDIR");
	struct buf path = BUF_INIT;
	int fd;
	FILE *f = NULL;

	buf_printf(&path, "%s/pg-wal-tail.XXXXXX", dir && *dir ? dir : "/tmp");
	fd = mkstemp(path.data);
	if (fd >= 0) {
		unlink(path.data);
		f = fdopen(fd, "w+");
		if (f == NULL)
			close(fd);
	}
	if (f == NULL)
		snprintf(errbuf, errsize, "could not create a temporary file in \"%s\": %s",
				 dir && *dir ? dir : "/tmp", strerror(errno));
	buf_free(&path);
	return f;
}

struct spill *
spill_get(struct spill **list, uint32_t xid, bool create, char *errbuf, size_t errsize)
{
	struct spill *s;

	for (s = *list; s; s = s->next)
		if (s->xid == xid)
			return s;
	if (!create) {
		snprintf(errbuf, errsize, "no streamed transaction %u", xid);
		return NULL;
	}
	s = xcalloc(1, sizeof *s);
	s->xid = xid;
	s->f = open_temp(errbuf, errsize);
	if (s->f == NULL) {
		free(s);
		return NULL;
	}
	s->next = *list;
	*list = s;
	return s;
}

bool
spill_append(struct spill *s, uint32_t msgxid, uint64_t lsn, const unsigned char *p, size_t n,
			 char *errbuf, size_t errsize)
{
	uint32_t len = (uint32_t) n;
	int i;

	if (fseek(s->f, 0, SEEK_END) != 0)
		goto fail;
	if (msgxid != s->xid) {
		for (i = 0; i < s->nsub && s->subs[i].xid != msgxid; i++)
			;
		if (i == s->nsub) {
			if (s->nsub == s->subcap) {
				s->subcap = s->subcap ? s->subcap * 2 : 8;
				s->subs = xrealloc(s->subs, (size_t) s->subcap * sizeof *s->subs);
			}
			s->subs[s->nsub].xid = msgxid;
			s->subs[s->nsub++].off = ftell(s->f);
		}
	}
	if (fwrite(&len, sizeof len, 1, s->f) != 1 || fwrite(&lsn, sizeof lsn, 1, s->f) != 1 ||
		(n > 0 && fwrite(p, n, 1, s->f) != 1))
		goto fail;
	return true;
fail:
	snprintf(errbuf, errsize, "could not write the temporary file of transaction %u: %s", s->xid,
			 strerror(errno));
	return false;
}

bool
spill_abort_sub(struct spill *s, uint32_t subxid, char *errbuf, size_t errsize)
{
	int i;

	for (i = 0; i < s->nsub && s->subs[i].xid != subxid; i++)
		;
	if (i == s->nsub)
		return true; /* it had no change */
	if (fflush(s->f) != 0 || ftruncate(fileno(s->f), s->subs[i].off) != 0) {
		snprintf(errbuf, errsize, "could not truncate the temporary file of transaction %u: %s",
				 s->xid, strerror(errno));
		return false;
	}
	s->nsub = i;
	return true;
}

bool
spill_rewind(struct spill *s)
{
	return fflush(s->f) == 0 && fseek(s->f, 0, SEEK_SET) == 0;
}

int
spill_next(struct spill *s, uint64_t *lsn, struct buf *msg)
{
	uint32_t len;

	if (fread(&len, sizeof len, 1, s->f) != 1)
		return feof(s->f) ? 0 : -1;
	if (fread(lsn, sizeof *lsn, 1, s->f) != 1)
		return -1;
	buf_reset(msg);
	buf_reserve(msg, len + 1);
	if (len > 0 && fread(msg->data, len, 1, s->f) != 1)
		return -1;
	msg->len = len;
	return 1;
}

void
spill_free(struct spill **list, struct spill *s)
{
	struct spill **pp;

	for (pp = list; *pp && *pp != s; pp = &(*pp)->next)
		;
	if (*pp)
		*pp = s->next;
	fclose(s->f);
	free(s->subs);
	free(s);
}

void
spill_free_all(struct spill **list)
{
	while (*list)
		spill_free(list, *list);
}
