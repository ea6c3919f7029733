/* arena.h: a bump allocator for short-lived decoding.
 *
 * Decoding a protobuf message with protobuf-c allocates the message and
 * every field; a daemon handling thousands of messages a second would make
 * an allocation storm of it. Instead it decodes with arena_pbc() and calls
 * arena_reset() once the batch is done: one pointer bump per allocation,
 * nothing freed one by one. Freeing through the allocator is a no-op.
 */
#ifndef KEFU_ARENA_H
#define KEFU_ARENA_H

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>

typedef struct arena_t arena_t;

/* New arena allocating chunks of chunk bytes (0: 64 KiB). Never NULL. */
arena_t *arena_new(size_t chunk);
void arena_destroy(arena_t **self_p);
/* size bytes aligned for any type; never NULL (aborts on out-of-memory). */
void *arena_alloc(arena_t *self, size_t size);
/* A new array of cap elements of elem bytes, holding the n first elements
 * of old (old may be NULL when n is 0): how decoded repeated fields grow.
 * Never NULL. */
void *arena_grow(arena_t *self, const void *old, size_t n, size_t cap, size_t elem);
/* Frees everything allocated since the last reset; keeps the first chunk. */
void arena_reset(arena_t *self);
/* An allocator for protobuf_c_message_unpack() that allocates here. */
ProtobufCAllocator *arena_pbc(arena_t *self);
/* Bytes currently allocated (for tests). */
size_t arena_used(const arena_t *self);

#endif
