/* arena.c: bump allocator for short-lived decoding (see arena.h).
 *
 * Chunks form a list; the first chunk is kept across resets so a steady
 * workload allocates nothing after warm-up. An allocation larger than a
 * chunk gets a chunk of its own.
 */
#include "arena.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct s_chunk {
    struct s_chunk *next;
    size_t size;
    size_t used;
    max_align_t data[];
} s_chunk_t;

struct arena_t {
    s_chunk_t *head;        /* current chunk, newest first */
    size_t chunk;
    size_t used;
    ProtobufCAllocator pbc;
};

static s_chunk_t *s_chunk_new(size_t size)
{
    s_chunk_t *c = malloc(sizeof *c + size);
    if (!c) {
        fprintf(stderr, "arena: out of memory\n");
        abort();
    }
    c->next = NULL;
    c->size = size;
    c->used = 0;
    return c;
}

static void *s_pbc_alloc(void *data, size_t size)
{
    return arena_alloc(data, size);
}

static void s_pbc_free(void *data, void *ptr)
{
    (void) data;
    (void) ptr;  /* freed all at once by arena_reset */
}

arena_t *arena_new(size_t chunk)
{
    arena_t *self = calloc(1, sizeof *self);
    if (!self)
        abort();
    self->chunk = chunk ? chunk : 64 * 1024;
    self->head = s_chunk_new(self->chunk);
    self->pbc.alloc = s_pbc_alloc;
    self->pbc.free = s_pbc_free;
    self->pbc.allocator_data = self;
    return self;
}

void arena_destroy(arena_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    arena_t *self = *self_p;
    for (s_chunk_t *c = self->head, *next; c; c = next) {
        next = c->next;
        free(c);
    }
    free(self);
    *self_p = NULL;
}

void *arena_alloc(arena_t *self, size_t size)
{
    const size_t align = _Alignof(max_align_t);
    size = (size + align - 1) & ~(align - 1);
    if (size == 0)
        size = align;
    s_chunk_t *c = self->head;
    if (c->size - c->used < size) {
        c = s_chunk_new(size > self->chunk ? size : self->chunk);
        c->next = self->head;
        self->head = c;
    }
    void *p = (char *) c->data + c->used;
    c->used += size;
    self->used += size;
    return p;
}

void *arena_grow(arena_t *self, const void *old, size_t n, size_t cap, size_t elem)
{
    void *p = arena_alloc(self, cap * elem);
    if (n > 0)
        memcpy(p, old, n * elem);
    return p;
}

void arena_reset(arena_t *self)
{
    /* Keep the oldest chunk (the tail of the list); it has the base size
     * unless an oversized allocation came first, which is fine too. */
    s_chunk_t *c = self->head;
    while (c->next) {
        s_chunk_t *next = c->next;
        free(c);
        c = next;
    }
    c->used = 0;
    self->head = c;
    self->used = 0;
}

ProtobufCAllocator *arena_pbc(arena_t *self)
{
    return &self->pbc;
}

size_t arena_used(const arena_t *self)
{
    return self->used;
}
