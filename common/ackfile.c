/*
 * ackfile.c - atomic replace and read of acknowledgement files.
 */
#include "ackfile.h"

#include <errno.h>
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
	char	   *copy = xstrdup(path);
	int			fd = open(dirname(copy), O_RDONLY | O_DIRECTORY);
	bool		ok;

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
	struct buf	tmp = BUF_INIT;
	int			fd;
	int			saved;

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

static int	last_write_errno;

int
ack_write_status(void)
{
	return last_write_errno == EACCES || last_write_errno == EPERM || last_write_errno == EROFS
		? EX_NOPERM : EX_IOERR;
}

bool
ack_write(const char *path, const char *data, size_t n, char *errbuf, size_t errsize)
{
	if (file_replace(path, data, n))
		return true;
	last_write_errno = errno;
	snprintf(errbuf, errsize, "could not write acknowledgement file \"%s\": %s",
			 path, strerror(last_write_errno));
	return false;
}

bool
ack_read(const char *path, struct buf *out, bool *exists, char *errbuf, size_t errsize)
{
	int			fd = open(path, O_RDONLY | O_CLOEXEC);

	buf_reset(out);
	*exists = fd >= 0;
	if (fd < 0) {
		if (errno == ENOENT)
			return true;
		snprintf(errbuf, errsize, "could not open acknowledgement file \"%s\": %s",
				 path, strerror(errno));
		return false;
	}
	if (!buf_read_fd(out, fd)) {
		snprintf(errbuf, errsize, "could not read acknowledgement file \"%s\": %s",
				 path, strerror(errno));
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
