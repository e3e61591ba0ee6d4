/*
 * ackwriter.c - the acknowledgement file written from a thread of its own.
 */
#include "ackwriter.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ackfile.h"
#include "buf.h"

struct ackwriter {
	const char *path;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake; /* to the thread: a post, or stop */
	pthread_cond_t idle; /* to the caller: nothing left to write */
	struct buf next;	 /* posted, not yet taken */
	bool pending;		 /* next holds a content to write */
	bool busy;			 /* the thread is writing */
	bool stopping;
	int status; /* first failure, or 0 */
	char errmsg[512];
};

static void *
writer_main(void *arg)
{
	struct ackwriter *w = arg;
	struct buf content = BUF_INIT;
	char errbuf[512];

	pthread_mutex_lock(&w->lock);
	for (;;) {
		while (!w->pending && !w->stopping)
			pthread_cond_wait(&w->wake, &w->lock);
		if (!w->pending)
			break;
		buf_reset(&content);
		buf_put(&content, w->next.data, w->next.len);
		w->pending = false;
		w->busy = true;
		pthread_mutex_unlock(&w->lock);
		if (!ack_write(w->path, content.data, content.len, errbuf, sizeof errbuf)) {
			int status = ack_write_status();

			pthread_mutex_lock(&w->lock);
			if (w->status == 0) {
				w->status = status;
				snprintf(w->errmsg, sizeof w->errmsg, "%s", errbuf);
			}
		} else
			pthread_mutex_lock(&w->lock);
		w->busy = false;
		if (w->status)
			w->pending = false; /* nothing more after a failure */
		if (!w->pending)
			pthread_cond_broadcast(&w->idle);
	}
	pthread_mutex_unlock(&w->lock);
	buf_free(&content);
	return NULL;
}

struct ackwriter *
ackwriter_start(const char *path, char *errbuf, size_t errsize)
{
	struct ackwriter *w = xcalloc(1, sizeof *w);
	sigset_t block, old;
	int rc;

	w->path = path;
	w->next = (struct buf) BUF_INIT;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->wake, NULL);
	pthread_cond_init(&w->idle, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	rc = pthread_create(&w->thread, NULL, writer_main, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		snprintf(errbuf, errsize, "could not start a thread: %s", strerror(rc));
		pthread_mutex_destroy(&w->lock);
		pthread_cond_destroy(&w->wake);
		pthread_cond_destroy(&w->idle);
		free(w);
		return NULL;
	}
	return w;
}

void
ackwriter_post(struct ackwriter *w, const char *data, size_t n)
{
	pthread_mutex_lock(&w->lock);
	if (w->status == 0) {
		buf_reset(&w->next);
		buf_put(&w->next, data, n);
		w->pending = true;
		pthread_cond_signal(&w->wake);
	}
	pthread_mutex_unlock(&w->lock);
}

int
ackwriter_error(struct ackwriter *w, char *errbuf, size_t errsize)
{
	int status;

	pthread_mutex_lock(&w->lock);
	status = w->status;
	if (status)
		snprintf(errbuf, errsize, "%s", w->errmsg);
	pthread_mutex_unlock(&w->lock);
	return status;
}

int
ackwriter_stop(struct ackwriter *w, char *errbuf, size_t errsize)
{
	int status;

	if (w == NULL)
		return 0;
	pthread_mutex_lock(&w->lock);
	while (w->pending || w->busy)
		pthread_cond_wait(&w->idle, &w->lock);
	w->stopping = true;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	status = ackwriter_error(w, errbuf, errsize);
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->wake);
	pthread_cond_destroy(&w->idle);
	buf_free(&w->next);
	free(w);
	return status;
}
