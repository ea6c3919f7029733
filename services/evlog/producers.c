/* producers.c: the producer table (producers.h). A CZMQ hash from id to a
 * fixed-size ring of recent log seqs: one allocation per producer ever
 * seen, none per event. */
#include "producers.h"

#include <assert.h>
#include <czmq.h>
#include <stdlib.h>

struct producer_t {
    uint64_t last;
    uint64_t ring[EVLOG_DEDUP_WINDOW];
};

struct producers_t {
    zhashx_t *map;
};

static void s_free(void **item)
{
    free(*item);
    *item = NULL;
}

producers_t *producers_new(void)
{
    producers_t *self = calloc(1, sizeof *self);
    if (!self)
        abort();
    self->map = zhashx_new();
    zhashx_set_destructor(self->map, s_free);
    return self;
}

void producers_destroy(producers_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    zhashx_destroy(&(*self_p)->map);
    free(*self_p);
    *self_p = NULL;
}

producer_t *producers_get(producers_t *self, const char *name, int create)
{
    producer_t *p = zhashx_lookup(self->map, name);
    if (!p && create) {
        p = calloc(1, sizeof *p);
        if (!p)
            abort();
        zhashx_insert(self->map, name, p);
    }
    return p;
}

uint64_t producer_last(const producer_t *p)
{
    return p->last;
}

void producer_put(producer_t *p, uint64_t pseq, uint64_t lseq)
{
    assert(pseq == p->last + 1);
    p->ring[pseq % EVLOG_DEDUP_WINDOW] = lseq;
    p->last = pseq;
}

uint64_t producer_lookup(const producer_t *p, uint64_t pseq)
{
    if (pseq == 0 || pseq > p->last || p->last - pseq >= EVLOG_DEDUP_WINDOW)
        return 0;
    return p->ring[pseq % EVLOG_DEDUP_WINDOW];
}

size_t producers_size(const producers_t *self)
{
    return zhashx_size(self->map);
}

void producers_each(producers_t *self, producers_each_fn *fn, void *arg)
{
    for (producer_t *p = zhashx_first(self->map); p; p = zhashx_next(self->map))
        fn(arg, (const char *) zhashx_cursor(self->map), p);
}

void producer_restore(producer_t *p, uint64_t last, const uint64_t *lseqs, size_t n)
{
    assert(p->last == 0 && n <= EVLOG_DEDUP_WINDOW && n <= last);
    for (size_t i = 0; i < n; i++) {
        uint64_t pseq = last - n + 1 + i;
        p->ring[pseq % EVLOG_DEDUP_WINDOW] = lseqs[i];
    }
    p->last = last;
}
