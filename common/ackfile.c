/*
 * ackfile.c - atomic replace and read of acknowledgement files.
 */
#include "ackfile.h"

#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "out.h"

static bool
sync_parent_dir(const char *path)
{
	char *copy = xstrdup(path);
	int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY);
	bool ok;

	free(copy);
	if (fd < 0)
		return false;
	ok = fsync(fd) == 0;
	close(fd);
	return ok;
}

bool
file_replace(const char *path, const char *data, size_t n)
{
	struct buf tmp = BUF_INIT;
	int fd;
	int saved;

	buf_printf(&tmp, "%s.tmp", path);
	fd = open(buf_cstr(&tmp), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		goto fail;
	if (!writeall(fd, data, n) || fsync(fd) != 0) {
		saved = errno;
		close(fd);
		errno = saved;
		goto fail;
	}
	if (close(fd) != 0 || rename(buf_cstr(&tmp), path) != 0 || !sync_parent_dir(path))
		goto fail;
	buf_free(&tmp);
	return true;

fail:
	saved = errno;
	buf_free(&tmp);
	errno = saved;
	return false;
}

static int last_write_errno;

int
ack_write_status(void)
{
	return last_write_errno == EACCES || last_write_errno == EPERM || last_write_errno == EROFS
		? EX_NOPERM
		: EX_IOERR;
}

bool
ack_write(const char *path, const char *data, size_t n, char *errbuf, size_t errsize)
{
	if (file_replace(path, data, n))
		return true;
	last_write_errno = errno;
	snprintf(errbuf, errsize, "could not write acknowledgement file \"%s\": %s", path,
			 strerror(last_write_errno));
	return false;
}

bool
ack_read(const char *path, struct buf *out, bool *exists, char *errbuf, size_t errsize)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	buf_reset(out);
	*exists = fd >= 0;
	if (fd < 0) {
		if (errno == ENOENT)
			return true;
		snprintf(errbuf, errsize, "could not open acknowledgement file \"%s\": %s", path,
				 strerror(errno));
		return false;
	}
	if (!buf_read_fd(out, fd)) {
		snprintf(errbuf, errsize, "could not read acknowledgement file \"%s\": %s", path,
				 strerror(errno));
		close(fd);
		return false;
	}
	close(fd);
	return true;
}

bool
ack_find_pos(const char *content, size_t n, struct pos *pos)
{
	const char *p = content;
	const char *end = content + n;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t) (end - p));
		const char *eol = nl ? nl : end;

		if (eol - p > 4 && memcmp(p, "pos ", 4) == 0)
			return pos_parse(p + 4, (size_t) (eol - p - 4), pos);
		p = eol + 1;
	}
	return false;
}

void
ack_put_pos(struct buf *out, struct pos pos)
{
	char ps[POS_STRLEN];

	buf_printf(out, "pos %s\n", pos_format(pos, ps));
}

bool
ack_topic_valid(const char *topic, size_t n)
{
	size_t i;

	if (n == 0 || n > ACK_TOPIC_MAX)
		return false;
	for (i = 0; i < n; i++) {
		char c = topic[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			  c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

bool
ack_put_offset(struct buf *out, const char *topic, int32_t partition, int64_t next)
{
	if (!ack_topic_valid(topic, strlen(topic)) || partition < 0 || next < 0)
		return false;
	buf_printf(out, "offset %s %" PRId32 " %" PRId64 "\n", topic, partition, next);
	return true;
}

/* A decimal number from p to end, whole: false if empty, signed or too big. */
static bool
parse_dec(const char *p, const char *end, int64_t max, int64_t *out)
{
	int64_t v = 0;

	if (p >= end)
		return false;
	for (; p < end; p++) {
		if (*p < '0' || *p > '9' || v > (max - (*p - '0')) / 10)
			return false;
		v = v * 10 + (*p - '0');
	}
	*out = v;
	return true;
}

/* line[0..n) as "offset TOPIC PARTITION NEXT", exactly. */
static bool
parse_offset(const char *line, size_t n, struct ack_offset *o)
{
	const char *end = line + n;
	const char *t = line + 7;
	const char *sp1, *sp2;
	int64_t part;

	if (n < 7 || memcmp(line, "offset ", 7) != 0)
		return false;
	if ((sp1 = memchr(t, ' ', (size_t) (end - t))) == NULL ||
		(sp2 = memchr(sp1 + 1, ' ', (size_t) (end - sp1 - 1))) == NULL)
		return false;
	if (!ack_topic_valid(t, (size_t) (sp1 - t)) || !parse_dec(sp1 + 1, sp2, INT32_MAX, &part) ||
		!parse_dec(sp2 + 1, end, INT64_MAX, &o->next))
		return false;
	memcpy(o->topic, t, (size_t) (sp1 - t));
	o->topic[sp1 - t] = '\0';
	o->partition = (int32_t) part;
	return true;
}

bool
ack_next_offset(const char *content, size_t n, size_t *at, struct ack_offset *o)
{
	while (*at < n) {
		const char *p = content + *at;
		const char *nl = memchr(p, '\n', n - *at);
		size_t len = nl ? (size_t) (nl - p) : n - *at;

		*at += len + (nl != NULL);
		/* Every line written ends in a newline: one without was cut short. */
		if (nl && parse_offset(p, len, o))
			return true;
	}
	return false;
}
