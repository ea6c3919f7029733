/* test_arena.c: unit tests of common/arena.c, the bump allocator the
 * daemons decode protobuf messages with.
 *
 * Covered: every allocation aligned to _Alignof(max_align_t) and sized up
 * to a multiple of it (used() worked by hand: 1 -> 16, 17 -> 48 with an
 * alignment of 16), allocations never overlap across chunk boundaries,
 * reset keeps the first chunk (the next allocation lands where the very
 * first one did) and used() goes back to 0, an allocation larger than a
 * chunk, size 0, destroy of NULL, and a kefu__envelope unpacked through
 * arena_pbc() with no free (valgrind's leak check proves nothing is left).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "event.pb-c.h"

#define ALIGN _Alignof(max_align_t)

static size_t s_round(size_t n)
{
    return n == 0 ? ALIGN : (n + ALIGN - 1) / ALIGN * ALIGN;
}

static void test_alignment(void **state)
{
    (void) state;
    arena_t *a = arena_new(1024);
    assert_non_null(a);
    assert_int_equal(arena_used(a), 0);
    size_t want = 0;
    /* odd sizes in a row, over several chunks */
    for (size_t i = 0; i < 500; i++) {
        size_t size = (i * 13) % 97 + 1;
        uint8_t *p = arena_alloc(a, size);
        assert_non_null(p);
        assert_int_equal((uintptr_t) p % ALIGN, 0);
        memset(p, 0xAB, size);  /* the whole size is ours (ASan, valgrind) */
        want += s_round(size);
        assert_int_equal(arena_used(a), want);
    }
    arena_destroy(&a);
    assert_null(a);
}

/* used() by hand, for an alignment of 16 (x86-64, aarch64): each size
 * rounds up to a multiple of 16, and 0 takes 16 too. */
static void test_used_by_hand(void **state)
{
    (void) state;
    if (ALIGN != 16)
        skip();
    arena_t *a = arena_new(0);
    arena_alloc(a, 1);
    assert_int_equal(arena_used(a), 16);
    arena_alloc(a, 17);
    assert_int_equal(arena_used(a), 48);
    arena_alloc(a, 16);
    assert_int_equal(arena_used(a), 64);
    arena_alloc(a, 0);
    assert_int_equal(arena_used(a), 80);
    arena_alloc(a, 100);
    assert_int_equal(arena_used(a), 192);
    arena_destroy(&a);
}

/* Every allocation keeps its own bytes: fill each with its index and read
 * them all back after many chunks were started. */
static void test_no_overlap(void **state)
{
    (void) state;
    enum { N = 300 };
    arena_t *a = arena_new(256);
    uint8_t *p[N];
    size_t sz[N];
    for (int i = 0; i < N; i++) {
        sz[i] = (size_t) (i % 50) + 1;
        p[i] = arena_alloc(a, sz[i]);
        memset(p[i], i & 0xff, sz[i]);
    }
    for (int i = 0; i < N; i++)
        for (size_t j = 0; j < sz[i]; j++)
            assert_int_equal(p[i][j], i & 0xff);
    arena_destroy(&a);
}

static void test_reset(void **state)
{
    (void) state;
    arena_t *a = arena_new(256);
    void *first = arena_alloc(a, 100);
    /* 256-byte chunks: 112 + 112 fit, the third 112 starts a chunk; 20
     * of them need about ten chunks */
    for (int i = 0; i < 20; i++)
        memset(arena_alloc(a, 100), i, 100);
    assert_int_equal(arena_used(a), 21 * s_round(100));
    arena_reset(a);
    assert_int_equal(arena_used(a), 0);
    /* the first chunk was kept, from its start */
    void *again = arena_alloc(a, 100);
    assert_ptr_equal(again, first);
    assert_int_equal(arena_used(a), s_round(100));
    /* and it works as before */
    for (int i = 0; i < 20; i++)
        memset(arena_alloc(a, 100), i, 100);
    arena_reset(a);
    arena_reset(a);  /* twice is harmless */
    assert_int_equal(arena_used(a), 0);
    assert_ptr_equal(arena_alloc(a, 1), first);
    arena_destroy(&a);
}

static void test_large(void **state)
{
    (void) state;
    arena_t *a = arena_new(64);
    void *small = arena_alloc(a, 8);
    /* much larger than a chunk: a chunk of its own */
    uint8_t *big = arena_alloc(a, 100000);
    assert_int_equal((uintptr_t) big % ALIGN, 0);
    memset(big, 0x5A, 100000);
    assert_int_equal(big[0], 0x5A);
    assert_int_equal(big[99999], 0x5A);
    assert_int_equal(arena_used(a), s_round(8) + s_round(100000));
    /* small allocations go on after it */
    uint8_t *after = arena_alloc(a, 8);
    memset(after, 1, 8);
    assert_int_equal(big[99999], 0x5A);
    /* reset keeps the first (64-byte) chunk, not the big one */
    arena_reset(a);
    assert_int_equal(arena_used(a), 0);
    assert_ptr_equal(arena_alloc(a, 8), small);
    /* a large allocation first after a reset */
    uint8_t *big2 = arena_alloc(a, 70000);
    memset(big2, 2, 70000);
    arena_reset(a);
    assert_int_equal(arena_used(a), 0);
    /* an allocation of exactly a chunk fits in a fresh chunk */
    arena_t *b = arena_new(64);
    arena_alloc(b, 64);
    assert_int_equal(arena_used(b), 64);
    arena_destroy(&b);
    arena_destroy(&a);
}

static void test_destroy_null(void **state)
{
    (void) state;
    arena_t *a = NULL;
    arena_destroy(&a);
    arena_destroy(NULL);
    assert_null(a);
}

/* Packs an envelope with strings, bytes and a nested message. */
static uint8_t *s_pack(size_t *len, uint64_t n)
{
    Kefu__Envelope ev = KEFU__ENVELOPE__INIT;
    Kefu__Probe probe = KEFU__PROBE__INIT;
    uint8_t payload[300];
    for (size_t i = 0; i < sizeof payload; i++)
        payload[i] = (uint8_t) (i + n);
    ev.has_seq = true;
    ev.seq = 1000 + n;
    ev.producer = "intake";
    ev.has_producer_seq = true;
    ev.producer_seq = n;
    ev.has_at = true;
    ev.at = -5;
    ev.request_id = "req-000000000000000000000000000001";
    probe.has_payload = true;
    probe.payload.data = payload;
    probe.payload.len = sizeof payload;
    probe.has_n = true;
    probe.n = n;
    ev.body_case = KEFU__ENVELOPE__BODY_PROBE;
    ev.probe = &probe;
    *len = kefu__envelope__get_packed_size(&ev);
    uint8_t *b = malloc(*len);
    assert_non_null(b);
    kefu__envelope__pack(&ev, b);
    return b;
}

static void test_pbc_unpack(void **state)
{
    (void) state;
    arena_t *a = arena_new(1024);  /* small: the 300-byte payload and the
                                    * strings spread over several chunks */
    size_t len;
    uint8_t *packed = s_pack(&len, 7);
    /* many messages, never freed one by one */
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 50; i++) {
            Kefu__Envelope *ev = kefu__envelope__unpack(arena_pbc(a), len, packed);
            assert_non_null(ev);
            assert_int_equal(ev->seq, 1007);
            assert_string_equal(ev->producer, "intake");
            assert_int_equal(ev->producer_seq, 7);
            assert_int_equal(ev->at, -5);
            assert_string_equal(ev->request_id, "req-000000000000000000000000000001");
            assert_null(ev->actor);
            assert_int_equal(ev->body_case, KEFU__ENVELOPE__BODY_PROBE);
            assert_int_equal(ev->probe->n, 7);
            assert_int_equal(ev->probe->payload.len, 300);
            for (size_t j = 0; j < 300; j++)
                assert_int_equal(ev->probe->payload.data[j], (uint8_t) (j + 7));
            /* the message and its fields live in the arena */
            assert_true(arena_used(a) > 300);
        }
        /* freeing through the allocator is a no-op, and allowed */
        Kefu__Envelope *ev = kefu__envelope__unpack(arena_pbc(a), len, packed);
        assert_non_null(ev);
        size_t used = arena_used(a);
        kefu__envelope__free_unpacked(ev, arena_pbc(a));
        assert_int_equal(arena_used(a), used);
        arena_reset(a);
        assert_int_equal(arena_used(a), 0);
    }
    /* a failed unpack (truncated input) leaves nothing to free either */
    assert_null(kefu__envelope__unpack(arena_pbc(a), len - 10, packed));
    free(packed);
    arena_destroy(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alignment),
        cmocka_unit_test(test_used_by_hand),
        cmocka_unit_test(test_no_overlap),
        cmocka_unit_test(test_reset),
        cmocka_unit_test(test_large),
        cmocka_unit_test(test_destroy_null),
        cmocka_unit_test(test_pbc_unpack),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
