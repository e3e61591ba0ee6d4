/*
 * out.c - batched, checked line output.
 */
#include "out.h"

#include <errno.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

/* Lines at least this long (and past flush_at) are written without a copy. */
#define OUT_DIRECT_MIN (1u << 20)

static bool out_flush_pending(struct out *o);

void
out_init(struct out *o, int fd)
{
	struct stat st;
	bool known = fstat(fd, &st) == 0;

	o->fd = fd;
	o->is_file = known && S_ISREG(st.st_mode);
	o->is_pipe = known && S_ISFIFO(st.st_mode);
	o->failed = false;
	o->err = 0;
	o->lines = o->bytes = 0;
	o->flush_at = 1 << 16;
	o->pending = (struct buf) BUF_INIT;
}

void
out_free(struct out *o)
{
	buf_free(&o->pending);
}

size_t
out_unread(const struct out *o)
{
	int inpipe = 0;

	if (o->is_pipe && ioctl(o->fd, FIONREAD, &inpipe) == 0 && inpipe > 0)
		return o->pending.len + (size_t) inpipe;
	return o->pending.len;
}

bool
writeall(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n > 0) {
		ssize_t w = write(fd, c, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return false;
		}
		c += w;
		n -= (size_t) w;
	}
	return true;
}

void
out_line(struct out *o, const char *p, size_t n)
{
	/* A line past the batch size goes out from where it is: no copy of a large value. */
	if (n >= o->flush_at && n >= OUT_DIRECT_MIN) {
		if (!out_flush_pending(o))
			return;
		if (!writeall(o->fd, p, n) || !writeall(o->fd, "\n", 1)) {
			o->failed = true;
			o->err = errno;
		}
		return;
	}
	buf_reserve(&o->pending, n + 1);
	buf_put(&o->pending, p, n);
	buf_putc(&o->pending, '\n');
	o->lines++;
	if (o->pending.len >= o->flush_at)
		(void) out_flush(o);
}

/* Writes what is queued, without the fsync of out_flush(). */
static bool
out_flush_pending(struct out *o)
{
	if (o->failed)
		return false;
	if (o->pending.len > 0 && !writeall(o->fd, o->pending.data, o->pending.len)) {
		o->failed = true;
		o->err = errno;
		return false;
	}
	o->bytes += o->pending.len;
	buf_reset(&o->pending);
	return true;
}

bool
out_flush(struct out *o)
{
	if (!out_flush_pending(o))
		return false;
	if (o->is_file && fsync(o->fd) != 0 && errno != EINVAL) {
		o->failed = true;
		o->err = errno;
		return false;
	}
	return true;
}
