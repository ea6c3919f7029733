/* test_evlog_producers.c: unit tests of services/evlog/producers.c, the
 * log's table of producers that makes retried appends idempotent.
 *
 * Covered: get without create (NULL) and with create (last 0, the same
 * producer on every later get, the name copied), put/last, lookup of
 * every pseq inside the window and 0 outside it, worked by hand with
 * EVLOG_DEDUP_WINDOW = 4096 (after pseq 1..4106, pseq 11 is the oldest
 * kept and pseq 10 is gone), lookup of 0 and of pseqs not yet put, and
 * 1000 producers kept apart.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "producers.h"

static void test_get_create(void **state)
{
    (void) state;
    producers_t *t = producers_new();
    assert_non_null(t);
    assert_null(producers_get(t, "intake", 0));
    producer_t *p = producers_get(t, "intake", 1);
    assert_non_null(p);
    assert_int_equal(producer_last(p), 0);
    assert_ptr_equal(producers_get(t, "intake", 0), p);
    assert_ptr_equal(producers_get(t, "intake", 1), p);  /* not a second one */
    assert_int_equal(producer_last(p), 0);
    /* names are compared whole */
    assert_null(producers_get(t, "intak", 0));
    assert_null(producers_get(t, "intake2", 0));
    assert_null(producers_get(t, "Intake", 0));
    /* the table copies the name: the caller's buffer may change */
    char name[16];
    strcpy(name, "orders");
    producer_t *q = producers_get(t, name, 1);
    assert_non_null(q);
    assert_ptr_not_equal(q, p);
    strcpy(name, "xxxxxx");
    assert_ptr_equal(producers_get(t, "orders", 0), q);
    assert_null(producers_get(t, "xxxxxx", 0));
    producers_destroy(&t);
    assert_null(t);
    producers_destroy(&t);  /* NULL is fine */
    producers_destroy(NULL);
}

static void test_put_last_lookup(void **state)
{
    (void) state;
    producers_t *t = producers_new();
    producer_t *p = producers_get(t, "intake", 1);
    assert_int_equal(producer_lookup(p, 0), 0);
    assert_int_equal(producer_lookup(p, 1), 0);  /* nothing put yet */
    /* pseq 1, 2, 3 got log seqs 10, 11, 15 (other producers between) */
    producer_put(p, 1, 10);
    assert_int_equal(producer_last(p), 1);
    producer_put(p, 2, 11);
    producer_put(p, 3, 15);
    assert_int_equal(producer_last(p), 3);
    assert_int_equal(producer_lookup(p, 1), 10);
    assert_int_equal(producer_lookup(p, 2), 11);
    assert_int_equal(producer_lookup(p, 3), 15);
    assert_int_equal(producer_lookup(p, 0), 0);
    assert_int_equal(producer_lookup(p, 4), 0);   /* not yet appended */
    assert_int_equal(producer_lookup(p, UINT64_MAX), 0);
    producers_destroy(&t);
}

static void test_window(void **state)
{
    (void) state;
    assert_int_equal(EVLOG_DEDUP_WINDOW, 4096);
    producers_t *t = producers_new();
    producer_t *p = producers_get(t, "bench", 1);
    /* pseq i got log seq 2*i + 1000 */
    const uint64_t last = EVLOG_DEDUP_WINDOW + 10;  /* 4106 */
    for (uint64_t i = 1; i <= last; i++)
        producer_put(p, i, 2 * i + 1000);
    assert_int_equal(producer_last(p), 4106);
    /* the window holds the last 4096: pseq 11..4106 */
    assert_int_equal(producer_lookup(p, 4106), 2 * 4106 + 1000);
    assert_int_equal(producer_lookup(p, 11), 1022);
    assert_int_equal(producer_lookup(p, 10), 0);
    assert_int_equal(producer_lookup(p, 1), 0);
    assert_int_equal(producer_lookup(p, 4107), 0);
    for (uint64_t i = 1; i <= last; i++)
        assert_int_equal(producer_lookup(p, i), i <= 10 ? 0 : 2 * i + 1000);
    /* on by one more: pseq 11 drops out, 12 stays */
    producer_put(p, last + 1, 1);
    assert_int_equal(producer_lookup(p, 11), 0);
    assert_int_equal(producer_lookup(p, 12), 1024);
    assert_int_equal(producer_lookup(p, last + 1), 1);
    producers_destroy(&t);
}

static void test_many(void **state)
{
    (void) state;
    enum { N = 1000 };
    producers_t *t = producers_new();
    producer_t *ps[N];
    char name[32];
    for (int i = 0; i < N; i++) {
        snprintf(name, sizeof name, "producer-%d", i);
        ps[i] = producers_get(t, name, 1);
        assert_non_null(ps[i]);
        for (int j = 0; j < i; j += 97)
            assert_ptr_not_equal(ps[i], ps[j]);
    }
    /* producer i appends i % 7 + 1 events, in rounds: log seq counts up */
    static const uint64_t round_n[8] = {0, 1000, 857, 714, 571, 428, 285, 142};
    uint64_t lseq = 0;
    for (int round = 1; round <= 7; round++)
        for (int i = 0; i < N; i++)
            if (round <= i % 7 + 1)
                producer_put(ps[i], (uint64_t) round, ++lseq);
    for (int i = 0; i < N; i++) {
        snprintf(name, sizeof name, "producer-%d", i);
        producer_t *p = producers_get(t, name, 0);
        assert_ptr_equal(p, ps[i]);
        uint64_t n = (uint64_t) (i % 7 + 1);
        assert_int_equal(producer_last(p), n);
        /* recompute the log seq pseq r got: the events of earlier rounds,
         * then those of this round before producer i */
        for (uint64_t r = 1; r <= n; r++) {
            uint64_t before = 0;
            for (uint64_t rr = 1; rr < r; rr++)
                before += round_n[rr];
            for (int k = 0; k < i; k++)
                before += r <= (uint64_t) (k % 7 + 1);
            assert_int_equal(producer_lookup(p, r), before + 1);
        }
        assert_int_equal(producer_lookup(p, n + 1), 0);
    }
    /* by hand: 1000 = 142 * 7 + 6, so residues 0..5 have 143 producers and
     * 6 has 142; round r has the producers with i % 7 >= r - 1. Round 1:
     * every producer, so producer 0's first event is seq 1 and producer
     * 999's is 1000; rounds 1..6 hold 1000+857+714+571+428+285 = 3855
     * events, so producer 6's seventh is 3856 and producer 993 (the last
     * with residue 6) ends the log at 3997. */
    assert_int_equal(lseq, 3997);
    assert_int_equal(producer_lookup(ps[0], 1), 1);
    assert_int_equal(producer_lookup(ps[999], 1), 1000);
    assert_int_equal(producer_lookup(ps[6], 7), 3856);
    assert_int_equal(producer_lookup(ps[993], 7), 3997);
    assert_null(producers_get(t, "producer-1000", 0));
    producers_destroy(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_get_create),
        cmocka_unit_test(test_put_last_lookup),
        cmocka_unit_test(test_window),
        cmocka_unit_test(test_many),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
