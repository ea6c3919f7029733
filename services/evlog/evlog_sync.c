/* evlog_sync.c: the syncer thread (evlog_sync.h).
 *
 * Hand-over: `queued` (under the mutex) is the batch waiting for the
 * syncer. The main thread merges into it while it waits, so there is at
 * most one queued batch, and the syncer picks it up as soon as its
 * fdatasync returns. Finished batches go back to the main thread as
 * pointers over an inproc PAIR, which the main zloop polls. Batches are
 * recycled through a free list only the main thread touches.
 *
 * A full disk: a batch that needs a new segment when the file system has
 * no room for one is kept and tried again (s_wait_for_room), never
 * failed: its records were given seqs, and failing it would leave the
 * main thread's producer table ahead of the disk. While it waits,
 * evlog_sync_full() is true and the main thread takes no new appends.
 */
#include "evlog_sync.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kclock.h"
#include "klog.h"

/* Batches of fewer records than this may be written by the submitting
 * thread when the syncer is idle. */
#define S_INLINE_MAX 8

struct evlog_sync_t {
    evlog_store_t *store;
    pthread_t thread;
    bool started;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    evlog_batch_t *queued;   /* under mu */
    bool writing;            /* under mu: a batch is being written */
    bool stop;               /* under mu */
    atomic_bool full;        /* a batch waits for room for a new segment */
    zsock_t *main_end, *thread_end;
    evlog_batch_t **free;    /* main thread only */
    size_t nfree, capfree;
    unsigned outstanding;    /* main thread only */
};

/* The disk has no room for the segment batch b needs, and nothing of b
 * was written: b is tried again every S_ROOM_MS until it goes through (or
 * fails otherwise), its appends still waiting for their acknowledgement.
 * Meanwhile `full` is set, and the main thread refuses new appends with
 * ERR_STORE_FULL (evlog_server.c): so only what was in flight waits, and
 * everything else is told the truth at once. Returns true if the daemon
 * is stopping (b stays unwritten). */
#define S_ROOM_MS 500

static bool s_wait_for_room(evlog_sync_t *self, evlog_batch_t *b)
{
    atomic_store(&self->full, true);
    klog_error("evlog: no room on the disk for a new segment; %llu..%llu wait for room, "
               "new appends are refused (store-full)", (unsigned long long) b->first,
               (unsigned long long) b->last);
    for (;;) {
        pthread_mutex_lock(&self->mu);
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += S_ROOM_MS * 1000000L;
        until.tv_sec += until.tv_nsec / 1000000000L;
        until.tv_nsec %= 1000000000L;
        if (!self->stop)
            pthread_cond_timedwait(&self->cv, &self->mu, &until);
        bool stop = self->stop;
        pthread_mutex_unlock(&self->mu);
        if (stop)
            return true;
        evlog_store_write_batch(self->store, b);
        if (!(b->rc == ENOSPC && b->unwritten))
            break;
    }
    atomic_store(&self->full, false);
    klog_info("evlog: room again; %llu..%llu written", (unsigned long long) b->first,
              (unsigned long long) b->last);
    return false;
}

static void *s_run(void *arg)
{
    evlog_sync_t *self = arg;
    void *out = zsock_resolve(self->thread_end);
    for (;;) {
        pthread_mutex_lock(&self->mu);
        while ((!self->queued || self->writing) && !self->stop)
            pthread_cond_wait(&self->cv, &self->mu);
        evlog_batch_t *b = self->writing ? NULL : self->queued;
        self->queued = NULL;
        self->writing = b != NULL;
        pthread_mutex_unlock(&self->mu);
        if (!b)
            break;  /* stopping, and nothing left to write */
        int64_t t0 = kclock_mono_us();
        evlog_store_write_batch(self->store, b);
        if (b->rc == ENOSPC && b->unwritten && s_wait_for_room(self, b))
            break;  /* stopping with the batch unwritten: never acknowledged */
        b->sync_us = kclock_mono_us() - t0;
        pthread_mutex_lock(&self->mu);
        self->writing = false;
        pthread_mutex_unlock(&self->mu);
        zmq_send(out, &b, sizeof b, 0);
    }
    return NULL;
}

evlog_sync_t *evlog_sync_new(evlog_store_t *store)
{
    evlog_sync_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->store = store;
    pthread_mutex_init(&self->mu, NULL);
    pthread_cond_init(&self->cv, NULL);
    char ep[64];
    snprintf(ep, sizeof ep, "inproc://evlog-sync-%p", (void *) self);
    self->main_end = zsock_new(ZMQ_PAIR);
    self->thread_end = zsock_new(ZMQ_PAIR);
    if (!self->main_end || !self->thread_end || zsock_bind(self->main_end, "%s", ep) != 0 ||
        zsock_connect(self->thread_end, "%s", ep) != 0 ||
        pthread_create(&self->thread, NULL, s_run, self) != 0) {
        evlog_sync_destroy(&self);
        return NULL;
    }
    self->started = true;
    return self;
}

static void s_batch_free(evlog_batch_t *b)
{
    if (b) {
        free(b->buf);
        free(b);
    }
}

void evlog_sync_destroy(evlog_sync_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    evlog_sync_t *self = *self_p;
    if (self->started) {
        pthread_mutex_lock(&self->mu);
        self->stop = true;
        pthread_cond_signal(&self->cv);
        pthread_mutex_unlock(&self->mu);
        pthread_join(self->thread, NULL);
    }
    /* Finished batches the main thread never collected. */
    evlog_batch_t *b;
    while (self->main_end && zmq_recv(zsock_resolve(self->main_end), &b, sizeof b,
                                      ZMQ_DONTWAIT) == sizeof b)
        s_batch_free(b);
    s_batch_free(self->queued);
    for (size_t i = 0; i < self->nfree; i++)
        s_batch_free(self->free[i]);
    free(self->free);
    zsock_destroy(&self->main_end);
    zsock_destroy(&self->thread_end);
    pthread_cond_destroy(&self->cv);
    pthread_mutex_destroy(&self->mu);
    free(self);
    *self_p = NULL;
}

evlog_batch_t *evlog_sync_batch(evlog_sync_t *self)
{
    evlog_batch_t *b = self->nfree ? self->free[--self->nfree] : calloc(1, sizeof *b);
    if (!b)
        abort();
    b->len = 0;
    b->first = b->last = 0;
    b->rc = 0;
    b->newseg = NULL;
    return b;
}

void evlog_sync_release(evlog_sync_t *self, evlog_batch_t *b)
{
    if (self->nfree == self->capfree) {
        self->capfree = self->capfree ? 2 * self->capfree : 8;
        self->free = realloc(self->free, self->capfree * sizeof *self->free);
        if (!self->free)
            abort();
    }
    self->free[self->nfree++] = b;
}

evlog_batch_t *evlog_sync_submit(evlog_sync_t *self, evlog_batch_t **batch_p)
{
    evlog_batch_t *b = *batch_p;
    if (b->len == 0)
        return NULL;
    evlog_batch_t *inline_done = NULL;
    pthread_mutex_lock(&self->mu);
    if (!self->queued && !self->writing && self->outstanding == 0 &&
        b->last - b->first < S_INLINE_MAX) {
        /* Nothing in the pipeline (not even a finished batch the main
         * thread has yet to collect: batches are committed in order) and
         * a small batch: write it here and save the two thread hand-offs
         * (~100 us here) on the path of a lone request. Under load batches
         * are big or the syncer busy. */
        self->writing = true;
        pthread_mutex_unlock(&self->mu);
        int64_t t0 = kclock_mono_us();
        evlog_store_write_batch(self->store, b);
        b->sync_us = kclock_mono_us() - t0;
        pthread_mutex_lock(&self->mu);
        self->writing = false;
        if (b->rc == ENOSPC && b->unwritten) {
            /* No room for a segment: the syncer waits for it (s_wait_for_room),
             * not the main thread. */
            self->queued = b;
            self->outstanding++;
            pthread_cond_signal(&self->cv);
        } else {
            if (self->queued)
                pthread_cond_signal(&self->cv);
            inline_done = b;
        }
        *batch_p = NULL;
    } else if (!self->queued) {
        self->queued = b;
        self->outstanding++;
        *batch_p = NULL;
        pthread_cond_signal(&self->cv);
    } else {
        /* Still waiting: grow it rather than queue another. Records are
         * consecutive, so the merged batch is one range. */
        evlog_batch_t *q = self->queued;
        if (q->len + b->len > q->cap) {
            size_t cap = q->cap ? q->cap : 1024 * 1024;
            while (cap < q->len + b->len)
                cap *= 2;
            q->buf = realloc(q->buf, cap);
            if (!q->buf)
                abort();
            q->cap = cap;
        }
        memcpy(q->buf + q->len, b->buf, b->len);
        q->len += b->len;
        q->last = b->last;
        b->len = 0;
        b->first = b->last = 0;
    }
    pthread_mutex_unlock(&self->mu);
    if (!*batch_p)
        *batch_p = evlog_sync_batch(self);
    return inline_done;
}

zsock_t *evlog_sync_sock(evlog_sync_t *self)
{
    return self->main_end;
}

evlog_batch_t *evlog_sync_done(evlog_sync_t *self, int timeout_ms)
{
    void *h = zsock_resolve(self->main_end);
    if (timeout_ms > 0) {
        zmq_pollitem_t it = {h, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&it, 1, timeout_ms) <= 0)
            return NULL;
    }
    evlog_batch_t *b;
    if (zmq_recv(h, &b, sizeof b, ZMQ_DONTWAIT) != sizeof b)
        return NULL;
    self->outstanding--;
    return b;
}

unsigned evlog_sync_outstanding(const evlog_sync_t *self)
{
    return self->outstanding;
}

bool evlog_sync_full(evlog_sync_t *self)
{
    return atomic_load(&self->full);
}
