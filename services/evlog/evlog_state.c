/* evlog_state.c: the log daemon's recovered state and its checkpoint form
 * (evlog_state.h). */
#include "evlog_state.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "event.pb-c.h"
#include "klog.h"

#define S_VERSION 1

static void s_free_item(void **item)
{
    free(*item);
    *item = NULL;
}

static zhashx_t *s_requests_new(void)
{
    zhashx_t *h = zhashx_new();
    if (!h)
        abort();
    zhashx_set_destructor(h, s_free_item);
    return h;
}

evlog_state_t *evlog_state_new(void)
{
    evlog_state_t *self = calloc(1, sizeof *self);
    if (!self)
        abort();
    self->producers = producers_new();
    self->clock_requests = s_requests_new();
    self->arena = arena_new(256 * 1024);
    return self;
}

void evlog_state_destroy(evlog_state_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    evlog_state_t *self = *self_p;
    producers_destroy(&self->producers);
    zhashx_destroy(&self->clock_requests);
    arena_destroy(&self->arena);
    free(self);
    *self_p = NULL;
}

void evlog_state_clear(evlog_state_t *self)
{
    producers_destroy(&self->producers);
    zhashx_destroy(&self->clock_requests);
    self->producers = producers_new();
    self->clock_requests = s_requests_new();
    self->clock_logged = 0;
    self->lastp = NULL;
}

void evlog_state_clock(evlog_state_t *self, const char *request_id, int64_t to, uint64_t seq)
{
    if (to > self->clock_logged)
        self->clock_logged = to;
    if (!request_id || !request_id[0])
        return;
    evlog_clockreq_t *r = malloc(sizeof *r);
    if (!r)
        abort();
    r->to = to;
    r->seq = seq;
    zhashx_update(self->clock_requests, request_id, r);
}

void evlog_state_apply(evlog_state_t *self, const evlog_record_t *rec)
{
    Kefu__Envelope *ev = kefu__envelope__unpack(arena_pbc(self->arena), rec->len, rec->data);
    if (ev && ev->body_case == KEFU__ENVELOPE__BODY_CLOCK_ADVANCED)
        evlog_state_clock(self, ev->request_id, ev->clock_advanced->to, rec->seq);
    if (ev && ev->producer && ev->has_producer_seq) {
        /* Records come in runs from one producer: skip the hash lookup
         * while the name stays the same. */
        producer_t *p = self->lastp;
        if (!p || strcmp(self->lastname, ev->producer) != 0) {
            p = producers_get(self->producers, ev->producer, 1);
            size_t n = strlen(ev->producer);
            self->lastp = n < sizeof self->lastname ? p : NULL;
            if (self->lastp)
                memcpy(self->lastname, ev->producer, n + 1);
        }
        if (ev->producer_seq == producer_last(p) + 1)
            producer_put(p, ev->producer_seq, rec->seq);
        else
            klog_warn("seq %" PRIu64 ": producer %s seq %" PRIu64 " after %" PRIu64,
                      rec->seq, ev->producer, ev->producer_seq, producer_last(p));
    }
    if (arena_used(self->arena) > 1024 * 1024)
        arena_reset(self->arena);
}

/* ---- packing ------------------------------------------------------------------ */

typedef struct {
    uint8_t *buf;
    size_t len, cap;
} s_out_t;

static void s_reserve(s_out_t *o, size_t more)
{
    if (o->len + more <= o->cap)
        return;
    size_t cap = o->cap ? o->cap : 4096;
    while (cap < o->len + more)
        cap *= 2;
    o->buf = realloc(o->buf, cap);
    if (!o->buf)
        abort();
    o->cap = cap;
}

static void s_put(s_out_t *o, uint64_t v)
{
    s_reserve(o, 10);
    while (v >= 0x80) {
        o->buf[o->len++] = (uint8_t) (v | 0x80);
        v >>= 7;
    }
    o->buf[o->len++] = (uint8_t) v;
}

static void s_put_bytes(s_out_t *o, const char *s)
{
    size_t n = strlen(s);
    s_put(o, n);
    s_reserve(o, n);
    memcpy(o->buf + o->len, s, n);
    o->len += n;
}

static void s_save_producer(void *arg, const char *name, const producer_t *p)
{
    s_out_t *o = arg;
    uint64_t last = producer_last(p);
    uint64_t n = last < EVLOG_DEDUP_WINDOW ? last : EVLOG_DEDUP_WINDOW;
    s_put_bytes(o, name);
    s_put(o, last);
    s_put(o, n);
    uint64_t prev = 0;
    for (uint64_t pseq = last - n + 1; pseq <= last && n > 0; pseq++) {
        uint64_t lseq = producer_lookup(p, pseq);
        s_put(o, lseq - prev);
        prev = lseq;
    }
}

uint8_t *evlog_state_save(const evlog_state_t *self, size_t *len)
{
    s_out_t o = {0};
    s_put(&o, S_VERSION);
    s_put(&o, (uint64_t) self->clock_logged);
    s_put(&o, producers_size(self->producers));
    producers_each(self->producers, s_save_producer, &o);
    zhashx_t *reqs = self->clock_requests;
    s_put(&o, zhashx_size(reqs));
    for (evlog_clockreq_t *r = zhashx_first(reqs); r; r = zhashx_next(reqs)) {
        s_put_bytes(&o, (const char *) zhashx_cursor(reqs));
        s_put(&o, (uint64_t) r->to);
        s_put(&o, r->seq);
    }
    *len = o.len;
    return o.buf;
}

/* ---- unpacking ------------------------------------------------------------------ */

typedef struct {
    const uint8_t *p, *end;
    int bad;
} s_in_t;

static uint64_t s_get(s_in_t *in)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (in->p >= in->end) {
            in->bad = 1;
            return 0;
        }
        uint8_t b = *in->p++;
        v |= (uint64_t) (b & 0x7f) << shift;
        if (!(b & 0x80))
            return v;
    }
    in->bad = 1;
    return 0;
}

/* A length-prefixed string, NUL-terminated into buf (cap bytes). */
static int s_get_str(s_in_t *in, char *buf, size_t cap)
{
    uint64_t n = s_get(in);
    if (in->bad || n >= cap || n > (uint64_t) (in->end - in->p)) {
        in->bad = 1;
        return -1;
    }
    memcpy(buf, in->p, n);
    buf[n] = 0;
    in->p += n;
    if (memchr(buf, 0, n)) {
        in->bad = 1;   /* a name with a NUL in it was never saved */
        return -1;
    }
    return 0;
}

int evlog_state_load(evlog_state_t *self, const uint8_t *buf, size_t len)
{
    s_in_t in = {buf, buf + len, 0};
    if (s_get(&in) != S_VERSION || in.bad)
        return EINVAL;
    int64_t clock_logged = (int64_t) s_get(&in);
    uint64_t np = s_get(&in);
    if (in.bad)
        return EINVAL;
    producers_t *prods = producers_new();
    zhashx_t *reqs = s_requests_new();
    size_t namecap = EVLOG_MAX_EVENT + 1;
    char *name = malloc(namecap);
    uint64_t *lseqs = malloc(EVLOG_DEDUP_WINDOW * sizeof *lseqs);
    if (!name || !lseqs)
        abort();
    for (uint64_t i = 0; i < np && !in.bad; i++) {
        if (s_get_str(&in, name, namecap) || producers_get(prods, name, 0)) {
            in.bad = 1;   /* malformed, or a name twice */
            break;
        }
        uint64_t last = s_get(&in), n = s_get(&in);
        if (in.bad || n > EVLOG_DEDUP_WINDOW || n != (last < EVLOG_DEDUP_WINDOW ? last : EVLOG_DEDUP_WINDOW)) {
            in.bad = 1;
            break;
        }
        uint64_t prev = 0;
        for (uint64_t k = 0; k < n && !in.bad; k++) {
            uint64_t d = s_get(&in);
            if (d == 0 || prev + d < prev)
                in.bad = 1;
            prev += d;
            lseqs[k] = prev;
        }
        if (!in.bad)
            producer_restore(producers_get(prods, name, 1), last, lseqs, (size_t) n);
    }
    uint64_t nr = in.bad ? 0 : s_get(&in);
    for (uint64_t i = 0; i < nr && !in.bad; i++) {
        if (s_get_str(&in, name, namecap) || zhashx_lookup(reqs, name)) {
            in.bad = 1;
            break;
        }
        int64_t to = (int64_t) s_get(&in);
        uint64_t seq = s_get(&in);
        if (in.bad || seq == 0) {
            in.bad = 1;
            break;
        }
        evlog_clockreq_t *r = malloc(sizeof *r);
        if (!r)
            abort();
        r->to = to;
        r->seq = seq;
        zhashx_insert(reqs, name, r);
    }
    free(name);
    free(lseqs);
    if (in.bad || in.p != in.end) {
        producers_destroy(&prods);
        zhashx_destroy(&reqs);
        return EINVAL;
    }
    producers_destroy(&self->producers);
    zhashx_destroy(&self->clock_requests);
    self->producers = prods;
    self->clock_requests = reqs;
    self->clock_logged = clock_logged;
    self->lastp = NULL;
    return 0;
}
