/* consumer.c: apply the log to a store, exactly once (consumer.h). */
#include "consumer.h"

#include <errno.h>
#include <stdlib.h>

#include "arena.h"
#include "evlog_event.h"
#include "kerr.h"
#include "klog.h"

#define S_POSITION "applied"

struct consumer_t {
    store_t *store;
    evlog_client_t *client;
    consumer_apply_fn *apply;
    consumer_applied_fn *applied_cb;
    consumer_failed_fn *failed_cb;
    consumer_want_fn *want;
    consumer_batch_fn *batch;
    void *arg;
    arena_t *arena;
    uint64_t applied;
    /* the batch being applied */
    const evlog_record_t *recs;
    size_t n;
};

static int s_get_position(store_txn_t *txn, void *arg)
{
    consumer_t *self = arg;
    return store_meta_get_u64(txn, S_POSITION, &self->applied);
}

consumer_t *consumer_new(store_t *store, evlog_client_t *client,
                         consumer_apply_fn *apply, consumer_applied_fn *applied, void *arg)
{
    consumer_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->store = store;
    self->client = client;
    self->apply = apply;
    self->applied_cb = applied;
    self->arg = arg;
    self->arena = arena_new(0);
    int rc = store_write(store, s_get_position, self);
    if (rc) {
        klog_error("can't read the applied position: %s", kefu_strerror(rc));
        consumer_destroy(&self);
        errno = EIO;
        return NULL;
    }
    if (store_was_reset(store))
        klog_warn("consumer: the store was emptied after an unclean system restart; "
                  "replaying the log from seq 1");
    return self;
}

void consumer_destroy(consumer_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    arena_destroy(&(*self_p)->arena);
    free(*self_p);
    *self_p = NULL;
}

static int s_apply_batch(store_txn_t *txn, void *arg)
{
    consumer_t *self = arg;
    arena_reset(self->arena);  /* also on a retry after map growth */
    for (size_t i = 0; i < self->n; i++) {
        const evlog_record_t *r = &self->recs[i];
        if (self->want) {
            int body = evlog_event_peek_body(r->data, r->len);
            if (body && !self->want(self->arg, body))
                continue;  /* another daemon's event: nothing to do */
        }
        Kefu__Envelope *ev = kefu__envelope__unpack(arena_pbc(self->arena), r->len, r->data);
        int rc = self->apply(self->arg, txn, r, ev);
        if (rc)
            return rc;
        if (arena_used(self->arena) > 4 * 1024 * 1024)
            arena_reset(self->arena);
    }
    if (self->batch) {
        int rc = self->batch(self->arg, txn);
        if (rc)
            return rc;
    }
    return store_meta_put_u64(txn, S_POSITION, self->recs[self->n - 1].seq);
}

static int s_deliver(void *arg, const evlog_record_t *recs, size_t n)
{
    consumer_t *self = arg;
    /* The subscription delivers in order from applied + 1; anything else
     * is a bug in the client, and applying it would break exactly-once. */
    if (recs[0].seq != self->applied + 1) {
        klog_error("consumer: got seq %llu after %llu", (unsigned long long) recs[0].seq,
                   (unsigned long long) self->applied);
        return KEFU_EINTERNAL;
    }
    self->recs = recs;
    self->n = n;
    int rc = store_write(self->store, s_apply_batch, self);
    arena_reset(self->arena);
    if (rc) {
        klog_error("consumer: can't apply seq %llu..%llu: %s; will retry",
                   (unsigned long long) recs[0].seq, (unsigned long long) recs[n - 1].seq,
                   kefu_strerror(rc));
        if (self->failed_cb)
            self->failed_cb(self->arg, rc, recs[0].seq);
        return rc;
    }
    self->applied = recs[n - 1].seq;
    if (self->applied_cb)
        self->applied_cb(self->arg, self->applied, evlog_client_head(self->client));
    return 0;
}

void consumer_on_batch(consumer_t *self, consumer_batch_fn *batch)
{
    self->batch = batch;
}

void consumer_set_want(consumer_t *self, consumer_want_fn *want)
{
    self->want = want;
}

void consumer_on_failure(consumer_t *self, consumer_failed_fn *failed)
{
    self->failed_cb = failed;
}

int consumer_start(consumer_t *self)
{
    return evlog_client_subscribe(self->client, self->applied + 1, s_deliver, self);
}

uint64_t consumer_applied(const consumer_t *self)
{
    return self->applied;
}
