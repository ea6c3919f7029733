/* test_sched_rules.c: the scheduling rules of domain.md §2 (000 §三.2),
 * one test per rule and their interplay, with the figures worked by hand
 * (services/sched/sched_rules.c says the rules and their order).
 *
 * The day every case starts from: capacity 2,000 pieces, quota 300 with
 * 20% (60) kept for key customers, 4 rushes in 30 days make a customer
 * frequent, a 9-hour working day with all of it left, nothing else due:
 * room = 2000 x 9h/9h - 0 = 2,000.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "scheduler.h"

#define H (3600LL * 1000000)

static sched_rush_in_t s_day(Kefu__Tier tier, uint32_t qty)
{
    return (sched_rush_in_t){
        .level = KEFU__RUSH_LEVEL__RUSH_LEVEL_SAME_DAY,
        .cause = KEFU__CAUSE__CAUSE_CUSTOMER,
        .qty = qty,
        .tier = tier,
        .capacity = 2000,
        .quota = 300,
        .quota_used = 0,
        .frequent = 4,
        .reserve_pct = 20,
        .customer_rushes = 0,
        .work_left_us = 9 * H,
        .workday_us = 9 * H,
        .load = 0,
    };
}

static void s_expect(const sched_rush_in_t *in, bool accept, Kefu__RushRule rule, const char *says)
{
    sched_rush_out_t out;
    sched_rush_decide(in, &out);
    if (out.accept != accept || out.rule != rule)
        fail_msg("got %s by rule %d (%s); want %s by rule %d", out.accept ? "accept" : "decline",
                 out.rule, out.reason, accept ? "accept" : "decline", rule);
    if (says && !strstr(out.reason, says))
        fail_msg("reason \"%s\" does not say \"%s\"", out.reason, says);
}

#define ACCEPT true
#define DECLINE false
#define R(x) KEFU__RUSH_RULE__RUSH_RULE_##x
#define KEY KEFU__TIER__TIER_KEY
#define GENERAL KEFU__TIER__TIER_GENERAL
#define SPECIAL KEFU__TIER__TIER_SPECIAL

/* Rule 2, urgency: a lab-caused rush is the most urgent and accepted past
 * a quota that is used up, with no room left at all. */
static void test_urgency_lab_caused_past_the_quota(void **state)
{
    (void) state;
    sched_rush_in_t in = s_day(GENERAL, 500);
    in.cause = KEFU__CAUSE__CAUSE_LAB;
    in.quota_used = 300;
    in.work_left_us = 0;
    s_expect(&in, ACCEPT, R(URGENCY), "accepted past the quota (300 of 300 used)");
}

/* Rule 5, quota: 250 used leaves 50; 60 asked is over it, for a key
 * customer too ("whatever is accepted must be delivered"). */
static void test_quota_is_hard_for_everyone(void **state)
{
    (void) state;
    sched_rush_in_t in = s_day(KEY, 60);
    in.quota_used = 250;
    s_expect(&in, DECLINE, R(QUOTA), "60 pieces asked, 50 of today's 300 left");
    in.qty = 50;  /* exactly what is left: a key customer takes it */
    s_expect(&in, ACCEPT, R(CUSTOMER), NULL);
}

/* Rule 1, output: 1 hour of the 9 left makes 2000 x 1/9 = 222 pieces;
 * 150 are due by then already: room 72. 100 asked is over it; on a
 * big-output day (capacity 20,000: 2,222 - 150 = 2,072) it fits. */
static void test_output_is_todays_real_room(void **state)
{
    (void) state;
    sched_rush_in_t in = s_day(GENERAL, 100);
    in.work_left_us = 1 * H;
    in.load = 150;
    sched_rush_out_t out;
    sched_rush_decide(&in, &out);
    assert_int_equal(out.room, 72);
    s_expect(&in, DECLINE, R(OUTPUT), "room for 72");
    in.capacity = 20000;
    s_expect(&in, ACCEPT, R(QUOTA), "room (2072)");
    /* the floor closed (no working time left before the due): no room */
    in.work_left_us = 0;
    s_expect(&in, DECLINE, R(OUTPUT), "room for 0");
}

/* Rule 3, count: 4 rushes in 30 days make a frequent rusher, declined; 3
 * do not. */
static void test_count_declines_frequent_rushers(void **state)
{
    (void) state;
    sched_rush_in_t in = s_day(SPECIAL, 10);
    in.customer_rushes = 4;
    s_expect(&in, DECLINE, R(COUNT), "4 rushes in 30 days (4 make frequent)");
    in.customer_rushes = 3;
    s_expect(&in, ACCEPT, R(QUOTA), NULL);
    in.customer_rushes = 40;
    in.frequent = 0;  /* sched.frequent_rush = 0: nobody is frequent */
    s_expect(&in, ACCEPT, R(QUOTA), NULL);
}

/* Rule 4, customer: a key customer gets every effort, frequent or not;
 * others don't take the last 60 of the quota. 220 used leaves 80, of which
 * 20 are open to a general customer: 30 is declined, 20 accepted; a key
 * customer gets the 30. */
static void test_customer_key_first_and_the_reserve(void **state)
{
    (void) state;
    sched_rush_in_t in = s_day(KEY, 30);
    in.customer_rushes = 9;
    in.quota_used = 220;
    s_expect(&in, ACCEPT, R(CUSTOMER), "key customer, every effort");
    in.tier = GENERAL;
    in.customer_rushes = 0;
    s_expect(&in, DECLINE, R(CUSTOMER), "the last 60 of the quota are kept for key customers");
    in.qty = 20;
    s_expect(&in, ACCEPT, R(QUOTA), "220 of 300 used");
}

/* The order of the rules: the first that decides is named. Over the quota
 * and the room: quota. Frequent and over the room: output. Lab-caused and
 * frequent: urgency. */
static void test_interplay_first_rule_wins(void **state)
{
    (void) state;
    sched_rush_in_t in = s_day(GENERAL, 400);
    in.work_left_us = 1 * H;
    s_expect(&in, DECLINE, R(QUOTA), NULL);
    in.qty = 250;
    in.customer_rushes = 7;
    s_expect(&in, DECLINE, R(OUTPUT), NULL);
    in.cause = KEFU__CAUSE__CAUSE_LAB;
    s_expect(&in, ACCEPT, R(URGENCY), NULL);
}

/* ---- the queue ------------------------------------------------------------------- */

#define T0 1793318400000000LL  /* 2026-10-30T00:00:00Z: 08:00 at +08:00 */
#define CLOSE (T0 + 9 * H + 30 * 60 * 1000000LL)  /* 17:30 local */

typedef struct {
    sched_open_t e;
    const char *id;
} job_t;

static int s_cmp(const void *a, const void *b)
{
    const job_t *x = a, *y = b;
    return sched_queue_cmp(&x->e, x->id, &y->e, y->id, CLOSE);
}

/* The queue's order, worked by hand:
 *   1. L   lab-caused rush (most urgent, whatever its level)
 *   2. I   immediate rush accepted 09:00
 *   3. S1  same-day rush accepted 08:10
 *   4. S2  same-day rush accepted 08:20
 *   5. DK  promised 16:00 today, key customer
 *   6. DG  promised 12:00 today, general customer (key first among these)
 *   7. A   uploaded 07:00, promised tomorrow
 *   8. B   uploaded 07:30, key, promised tomorrow (first uploaded, first made)
 *   9. C1, 10. C2  uploaded 07:45, same tier and promise: by id */
static void test_queue_order(void **state)
{
    (void) state;
    int64_t m = 60 * 1000000LL;
    job_t want[] = {
        {{.uploaded_at = T0 + 60 * m, .promise_at = T0 + 30 * H, .rush_due = T0 + 20 * H,
          .rush_accepted_at = T0 + 200 * m, .rush_level = 4, .lab = 1, .tier = 3}, "L"},
        {{.uploaded_at = T0, .promise_at = T0 + 30 * H, .rush_due = T0 + 3 * H,
          .rush_accepted_at = T0 + 60 * m, .rush_level = 1, .tier = 3}, "I"},
        {{.uploaded_at = T0, .promise_at = T0 + 30 * H, .rush_due = CLOSE,
          .rush_accepted_at = T0 + 10 * m, .rush_level = 3, .tier = 3}, "S1"},
        {{.uploaded_at = T0 - H, .promise_at = T0 + 30 * H, .rush_due = CLOSE,
          .rush_accepted_at = T0 + 20 * m, .rush_level = 3, .tier = 1}, "S2"},
        {{.uploaded_at = T0 - 2 * H, .promise_at = T0 + 8 * H, .tier = 1}, "DK"},
        {{.uploaded_at = T0 - 3 * H, .promise_at = T0 + 4 * H, .tier = 3}, "DG"},
        {{.uploaded_at = T0 - 60 * m, .promise_at = T0 + 30 * H, .tier = 3}, "A"},
        {{.uploaded_at = T0 - 30 * m, .promise_at = T0 + 30 * H, .tier = 1}, "B"},
        {{.uploaded_at = T0 - 15 * m, .promise_at = T0 + 30 * H, .tier = 3}, "C1"},
        {{.uploaded_at = T0 - 15 * m, .promise_at = T0 + 30 * H, .tier = 3}, "C2"},
    };
    size_t n = sizeof want / sizeof want[0];
    /* any arrival order sorts the same: the order is total */
    srand(7);
    for (int round = 0; round < 200; round++) {
        job_t got[sizeof want / sizeof want[0]];
        memcpy(got, want, sizeof want);
        for (size_t i = n - 1; i > 0; i--) {
            size_t j = (size_t) rand() % (i + 1);
            job_t t = got[i];
            got[i] = got[j];
            got[j] = t;
        }
        qsort(got, n, sizeof got[0], s_cmp);
        for (size_t i = 0; i < n; i++)
            if (strcmp(got[i].id, want[i].id) != 0)
                fail_msg("round %d: position %zu is %s, want %s", round, i + 1, got[i].id,
                         want[i].id);
    }
}

static void test_queue_reasons(void **state)
{
    (void) state;
    char buf[200];
    sched_open_t rush = {.uploaded_at = T0, .rush_due = CLOSE, .rush_accepted_at = T0 + 72 * 60 * 1000000LL,
                         .rush_level = 3, .rush_rule = 5, .tier = 1};
    sched_queue_reason(&rush, CLOSE, 480, buf, sizeof buf);
    assert_string_equal(buf, "rush same-day, accepted 09:12 by quota rule, due 17:30; key customer");
    sched_open_t due = {.uploaded_at = T0 - 30 * 60 * 1000000LL, .promise_at = T0 + 8 * H, .tier = 3};
    sched_queue_reason(&due, CLOSE, 480, buf, sizeof buf);
    assert_string_equal(buf, "promised by 16:00 (today); general customer; uploaded 07:30");
    sched_open_t plain = {.uploaded_at = T0 - 30 * 60 * 1000000LL, .promise_at = T0 + 30 * H, .tier = 2};
    sched_queue_reason(&plain, CLOSE, 480, buf, sizeof buf);
    assert_string_equal(buf, "first uploaded, first made: uploaded 07:30; special customer; "
                             "promised 10-31 14:00");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_urgency_lab_caused_past_the_quota),
        cmocka_unit_test(test_quota_is_hard_for_everyone),
        cmocka_unit_test(test_output_is_todays_real_room),
        cmocka_unit_test(test_count_declines_frequent_rushers),
        cmocka_unit_test(test_customer_key_first_and_the_reserve),
        cmocka_unit_test(test_interplay_first_rule_wins),
        cmocka_unit_test(test_queue_order),
        cmocka_unit_test(test_queue_reasons),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
