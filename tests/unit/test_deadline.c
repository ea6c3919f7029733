/* test_deadline.c: unit tests of common/deadline.c, the deadline policy:
 * wall and working-time durations, same-day / next-day, the [sla] rules
 * from a default and a changed configuration, the [calendar] values and
 * their errors, the next HH:MM of the site's day, and deadline_work_between.
 *
 * The reference day is Monday 2026-11-23 (site time, +08:00). Its week:
 *   Mon 23  Tue 24  Wed 25  Thu 26  Fri 27  Sat 28  Sun 29 | Mon 30  Tue 12-01
 * Default calendar: utc_offset +08:00, hours 08:30-17:30 (a 9 h day, no
 * lunch break), workdays mon-sat, no holidays; so a holiday-free week holds
 * 6 * 9 h = 54 h of working time. Times are written as RFC 3339 in site
 * time and parsed with ktime (itself tested against hand-counted numbers
 * in test_ktime.c; test_reference pins one here too).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "deadline.h"
#include "kconfig.h"
#include "kerr.h"
#include "ktest.h"
#include "ktime.h"
#include "registry.h"

#define H (3600000000LL)
#define M (60000000LL)

/* An RFC 3339 time as usec; the test's own strings, so a bad one fails. */
static int64_t s_t(const char *rfc3339)
{
    int64_t us = 0;
    int rc = ktime_parse_rfc3339(rfc3339, &us);
    if (rc != 0) {
        print_error("bad time in test: %s\n", rfc3339);
        fail();
    }
    return us;
}

/* Asserts got == want (RFC 3339), showing both in site time. */
static void s_assert_time(int64_t got, const char *want, const char *expr, const char *file,
                          int line)
{
    int64_t w = s_t(want);
    if (got != w) {
        char g[48] = "?";
        ktime_format_rfc3339(got, 480, g, sizeof g);
        print_error("%s:%d: %s = %s, want %s\n", file, line, expr, g, want);
        fail();
    }
}

/* Due time of spec from start (both in site time), asserting success. */
#define assert_spec(p, spec, start, want)                                       \
    do {                                                                        \
        int64_t due_ = 0;                                                       \
        assert_rc(deadline_spec_due((p), (spec), s_t(start), &due_), 0);       \
        s_assert_time(due_, (want), spec " from " start, __FILE__, __LINE__);   \
    } while (0)

#define assert_rule(p, rule, start, want)                                       \
    do {                                                                        \
        int64_t due_ = 0;                                                       \
        assert_rc(deadline_policy_due((p), (rule), s_t(start), &due_), 0);     \
        s_assert_time(due_, (want), rule " from " start, __FILE__, __LINE__);   \
    } while (0)

typedef struct {
    kconfig_t *cfg;
    deadline_policy_t *pol;   /* from cfg as it stands (s_rebuild) */
    char err[256];
} fixture_t;

static int s_setup(void **state)
{
    fixture_t *fx = calloc(1, sizeof *fx);
    if (!fx)
        return -1;
    fx->cfg = kconfig_new(registry_key_tables);
    fx->pol = deadline_policy_new(fx->cfg, fx->err, sizeof fx->err);
    if (!fx->pol) {
        kconfig_destroy(&fx->cfg);
        free(fx);
        return -1;
    }
    *state = fx;
    return 0;
}

static int s_teardown(void **state)
{
    fixture_t *fx = *state;
    deadline_policy_destroy(&fx->pol);
    kconfig_destroy(&fx->cfg);
    free(fx);
    return 0;
}

/* Applies "section.key=value" settings (like --set) and rebuilds the
 * policy from them. */
static void s_set(fixture_t *fx, const char *assignment)
{
    int rc = kconfig_set(fx->cfg, assignment, fx->err, sizeof fx->err);
    if (rc != 0) {
        print_error("--set %s: %s\n", assignment, fx->err);
        fail();
    }
    deadline_policy_destroy(&fx->pol);
    fx->pol = deadline_policy_new(fx->cfg, fx->err, sizeof fx->err);
    if (!fx->pol) {
        print_error("policy after --set %s: %s\n", assignment, fx->err);
        fail();
    }
}

/* ---- tests ---------------------------------------------------------------- */

static void test_reference(void **state)
{
    (void) state;
    /* 2026-11-23T00:00:00Z is day 20454 + 304 + 22 = 20780 (test_ktime.c),
     * 20780 * 86400 = 1795392000 s; site midnight is 8 h earlier in UTC:
     * 1795392000 - 28800 = 1795363200 s. (20780 + 3) % 7 = 0: a Monday,
     * counting from Thursday 1970-01-01. */
    assert_int_equal(s_t("2026-11-23T00:00:00+08:00"), 1795363200LL * 1000000);
}

static void test_wall(void **state)
{
    fixture_t *fx = *state;
    deadline_policy_t *p = fx->pol;
    /* 10:00 + 2 h */
    assert_spec(p, "2h", "2026-11-23T10:00:00+08:00", "2026-11-23T12:00:00+08:00");
    /* 17:00 + 90 min = 18:30: wall time ignores closing time */
    assert_spec(p, "90m", "2026-11-23T17:00:00+08:00", "2026-11-23T18:30:00+08:00");
    /* 16:45 + 1 h 30 min = 18:15 */
    assert_spec(p, "1h30m", "2026-11-23T16:45:00+08:00", "2026-11-23T18:15:00+08:00");
    /* Sat 28 20:00 + 3 * 24 h = Tue 12-01 20:00, through Sunday and month end */
    assert_spec(p, "3d", "2026-11-28T20:00:00+08:00", "2026-12-01T20:00:00+08:00");
    /* a start given in UTC: 02:00Z is 10:00 site time; + 2 h */
    assert_spec(p, "2h", "2026-11-23T02:00:00Z", "2026-11-23T12:00:00+08:00");
}

/* A duration in microseconds, as a committed reply time comes: the same
 * as its spec, without spelling it. */
static void test_duration(void **state)
{
    fixture_t *fx = *state;
    int64_t due;
    /* 17:00 + 90 min = 18:30, as "90m" */
    assert_rc(deadline_duration_due(fx->pol, 90 * 60 * 1000000LL, s_t("2026-11-23T17:00:00+08:00"),
                                    &due), 0);
    assert_int_equal(due, s_t("2026-11-23T18:30:00+08:00"));
    assert_rc(deadline_duration_due(fx->pol, 0, s_t("2026-11-23T17:00:00+08:00"), &due),
              KEFU_EINVAL);
    assert_rc(deadline_duration_due(fx->pol, -1, 0, &due), KEFU_EINVAL);
    assert_rc(deadline_duration_due(fx->pol, 2 * 3600 * 1000000LL,
                                    s_t("9999-12-31T22:00:00+08:00"), &due), KEFU_EINVAL);
    assert_rc(deadline_duration_due(fx->pol, INT64_MAX, s_t("2026-11-23T17:00:00+08:00"), &due),
              KEFU_EINVAL);
}

static void test_work(void **state)
{
    fixture_t *fx = *state;
    deadline_policy_t *p = fx->pol;
    /* inside one day, no lunch break: 08:30 + 4 h 30 = 13:00 */
    assert_spec(p, "4h30m@work", "2026-11-23T08:30:00+08:00", "2026-11-23T13:00:00+08:00");
    /* 10:00 + 2 h = 12:00, as wall time would give */
    assert_spec(p, "2h@work", "2026-11-23T10:00:00+08:00", "2026-11-23T12:00:00+08:00");
    /* across the end of the day: 16:00-17:30 is 1 h 30, 3 h left;
     * Tue 08:30 + 3 h = 11:30 */
    assert_spec(p, "4h30m@work", "2026-11-23T16:00:00+08:00", "2026-11-24T11:30:00+08:00");
    /* lands exactly on the close: 16:00 + 1 h 30 = 17:30 the same day */
    assert_spec(p, "1h30m@work", "2026-11-23T16:00:00+08:00", "2026-11-23T17:30:00+08:00");
    /* before opening counts from 08:30: 08:30 + 1 h = 09:30 */
    assert_spec(p, "1h@work", "2026-11-23T07:00:00+08:00", "2026-11-23T09:30:00+08:00");
    /* after closing counts from the next opening: Tue 08:30 + 1 h */
    assert_spec(p, "1h@work", "2026-11-23T20:00:00+08:00", "2026-11-24T09:30:00+08:00");
    /* across a Sunday: Sat 16:00-17:30 is 1 h 30, Sun 29 is no working
     * day, Mon 30 08:30 + 3 h = 11:30 */
    assert_spec(p, "4h30m@work", "2026-11-28T16:00:00+08:00", "2026-11-30T11:30:00+08:00");
    /* started on the Sunday: Mon 30 08:30 + 1 h */
    assert_spec(p, "1h@work", "2026-11-29T10:00:00+08:00", "2026-11-30T09:30:00+08:00");
    /* two whole days: Mon 9 h + Tue 9 h = 18 h, due Tue 17:30 */
    assert_spec(p, "18h@work", "2026-11-23T08:30:00+08:00", "2026-11-24T17:30:00+08:00");
    /* 3d@work = 72 h = 8 working days of 9 h: Mon 23..Sat 28 (6 days),
     * Sun skipped, Mon 30 (7), Tue 12-01 (8): Tue 12-01 17:30 */
    assert_spec(p, "3d@work", "2026-11-23T08:30:00+08:00", "2026-12-01T17:30:00+08:00");
}

static void test_work_holidays(void **state)
{
    fixture_t *fx = *state;
    s_set(fx, "calendar.holidays=2026-11-24, 2026-11-26");
    deadline_policy_t *p = fx->pol;
    /* Mon 16:00-17:30 is 1 h 30; Tue 24 is a holiday; Wed 25 08:30 + 3 h */
    assert_spec(p, "4h30m@work", "2026-11-23T16:00:00+08:00", "2026-11-25T11:30:00+08:00");
    /* 72 h = 8 working days: Mon 23 (1), [Tue 24 holiday], Wed 25 (2),
     * [Thu 26 holiday], Fri 27 (3), Sat 28 (4), [Sun], Mon 30 (5),
     * Tue 12-01 (6), Wed 12-02 (7), Thu 12-03 (8): Thu 12-03 17:30 */
    assert_spec(p, "3d@work", "2026-11-23T08:30:00+08:00", "2026-12-03T17:30:00+08:00");
    /* wall time does not care: Mon 16:00 + 24 h */
    assert_spec(p, "24h", "2026-11-23T16:00:00+08:00", "2026-11-24T16:00:00+08:00");
}

static void test_work_long(void **state)
{
    fixture_t *fx = *state;
    s_set(fx, "calendar.holidays=2027-02-17,2027-02-18,2030-10-01");
    deadline_policy_t *p = fx->pol;
    /* Long walks skip whole weeks; whatever they skip, the working time
     * between start and due must be the duration asked for. */
    static const char *const specs[] = {"55h@work", "1000h@work", "365d@work", "20000d@work"};
    static const char *const starts[] = {
        "2026-11-23T16:00:00+08:00", "2026-11-29T03:00:00+08:00", "2027-02-16T17:29:00+08:00",
    };
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++)
        for (size_t j = 0; j < sizeof starts / sizeof starts[0]; j++) {
            int64_t start = s_t(starts[j]), due = 0, dur = 0;
            assert_rc(deadline_spec_due(p, specs[i], start, &due), 0);
            char d[32];   /* the duration before "@work" */
            snprintf(d, sizeof d, "%.*s", (int) (strchr(specs[i], '@') - specs[i]), specs[i]);
            assert_rc(ktime_parse_duration(d, &dur), 0);
            assert_int_equal(deadline_work_between(p, start, due), dur);
            /* ...and it is the earliest such time: due falls in working
             * hours (or on their close), never in a gap */
            assert_int_equal(deadline_work_between(p, start, due - 1), dur - 1);
        }
    /* 1 000 000 days of working time end after year 9999: refused, not
     * wrapped (24e6 h / 54 h a week is about 8500 years) */
    int64_t due = 0;
    assert_rc(deadline_spec_due(p, "1000000d@work", s_t("2026-11-23T10:00:00+08:00"), &due),
              KEFU_EINVAL);
    /* 9999-12-31 22:00 site time + 2 h is year 10000 */
    assert_rc(deadline_spec_due(p, "2h", s_t("9999-12-31T22:00:00+08:00"), &due), KEFU_EINVAL);
    assert_rc(deadline_spec_due(p, "1h", s_t("9999-12-31T22:00:00+08:00"), &due), 0);
    assert_rc(deadline_spec_due(p, "2h", INT64_MAX, &due), KEFU_EINVAL);
    assert_rc(deadline_spec_due(p, "same-day", INT64_MIN, &due), KEFU_EINVAL);
}

static void test_same_day(void **state)
{
    fixture_t *fx = *state;
    deadline_policy_t *p = fx->pol;
    /* within the day: its close */
    assert_spec(p, "same-day", "2026-11-23T10:00:00+08:00", "2026-11-23T17:30:00+08:00");
    assert_spec(p, "same-day", "2026-11-23T17:29:00+08:00", "2026-11-23T17:30:00+08:00");
    /* before opening is still that day */
    assert_spec(p, "same-day", "2026-11-23T07:00:00+08:00", "2026-11-23T17:30:00+08:00");
    /* at 17:30 the day is over ([08:30, 17:30)): Tue's close */
    assert_spec(p, "same-day", "2026-11-23T17:30:00+08:00", "2026-11-24T17:30:00+08:00");
    assert_spec(p, "same-day", "2026-11-23T20:00:00+08:00", "2026-11-24T17:30:00+08:00");
    /* Sunday 29: Mon 30's close */
    assert_spec(p, "same-day", "2026-11-29T10:00:00+08:00", "2026-11-30T17:30:00+08:00");
    /* Sat 28 after hours: Sunday is skipped too */
    assert_spec(p, "same-day", "2026-11-28T18:00:00+08:00", "2026-11-30T17:30:00+08:00");
    /* the site's day, not UTC's: Sun 22 20:00Z is Mon 04:00 site time */
    assert_spec(p, "same-day", "2026-11-22T20:00:00Z", "2026-11-23T17:30:00+08:00");
    /* and rework_print is same-day by default (000 §四: prints same day) */
    assert_rule(p, "rework_print", "2026-11-23T17:29:00+08:00", "2026-11-23T17:30:00+08:00");

    /* a holiday on Tue 24: Mon 20:00 goes to Wed 25 */
    s_set(fx, "calendar.holidays=2026-11-24");
    assert_spec(fx->pol, "same-day", "2026-11-23T20:00:00+08:00", "2026-11-25T17:30:00+08:00");
    assert_spec(fx->pol, "same-day", "2026-11-24T10:00:00+08:00", "2026-11-25T17:30:00+08:00");
}

static void test_next_day(void **state)
{
    fixture_t *fx = *state;
    deadline_policy_t *p = fx->pol;
    /* same-day gives Mon 23; the working day after: Tue 24 */
    assert_spec(p, "next-day", "2026-11-23T10:00:00+08:00", "2026-11-24T17:30:00+08:00");
    /* same-day gives Tue 24 (after hours); next: Wed 25 */
    assert_spec(p, "next-day", "2026-11-23T20:00:00+08:00", "2026-11-25T17:30:00+08:00");
    /* Sat 28: same-day Sat, next working day Mon 30 (Sunday off) */
    assert_spec(p, "next-day", "2026-11-28T10:00:00+08:00", "2026-11-30T17:30:00+08:00");
    /* Sun 29: same-day Mon 30, next Tue 12-01 */
    assert_spec(p, "next-day", "2026-11-29T10:00:00+08:00", "2026-12-01T17:30:00+08:00");
}

/* The last close at or before a time, and its date (sla's end-of-day
 * list, domain.md §5). */
#define assert_last_close(p, at, want, want_date)                                \
    do {                                                                         \
        int64_t c_ = 0;                                                          \
        char d_[DEADLINE_DATE_MAX] = "";                                         \
        assert_rc(deadline_policy_last_close((p), s_t(at), &c_, d_, sizeof d_), 0); \
        s_assert_time(c_, (want), "last close at " at, __FILE__, __LINE__);     \
        assert_string_equal(d_, (want_date));                                    \
    } while (0)

static void test_closes(void **state)
{
    fixture_t *fx = *state;
    deadline_policy_t *p = fx->pol;
    /* Tue 24 before its close: Mon 23's; at 17:30 exactly: its own */
    assert_last_close(p, "2026-11-24T17:29:00+08:00", "2026-11-23T17:30:00+08:00", "2026-11-23");
    assert_last_close(p, "2026-11-24T17:30:00+08:00", "2026-11-24T17:30:00+08:00", "2026-11-24");
    assert_last_close(p, "2026-11-24T23:59:00+08:00", "2026-11-24T17:30:00+08:00", "2026-11-24");
    assert_last_close(p, "2026-11-24T06:00:00+08:00", "2026-11-23T17:30:00+08:00", "2026-11-23");
    /* Sunday 29 and Monday 30 morning: Saturday 28's (workdays mon-sat) */
    assert_last_close(p, "2026-11-29T20:00:00+08:00", "2026-11-28T17:30:00+08:00", "2026-11-28");
    assert_last_close(p, "2026-11-30T09:00:00+08:00", "2026-11-28T17:30:00+08:00", "2026-11-28");
    /* the site's day, not UTC's: Tue 24 10:00Z is 18:00 site time */
    assert_last_close(p, "2026-11-24T10:00:00Z", "2026-11-24T17:30:00+08:00", "2026-11-24");
    /* the next close is same-day's: from a close, the next working day's */
    assert_spec(p, "same-day", "2026-11-28T17:30:00+08:00", "2026-11-30T17:30:00+08:00");

    int64_t c = 0;
    assert_rc(deadline_policy_close_of(p, "2026-11-28", &c), 0);
    s_assert_time(c, "2026-11-28T17:30:00+08:00", "close of Sat 28", __FILE__, __LINE__);
    assert_rc(deadline_policy_close_of(p, "2026-11-29", &c), KEFU_ENOTFOUND);   /* Sunday */
    assert_rc(deadline_policy_close_of(p, "2026-11-31", &c), KEFU_EINVAL);
    assert_rc(deadline_policy_close_of(p, "2026-11-3", &c), KEFU_EINVAL);
    assert_rc(deadline_policy_close_of(p, "2026-11-30x", &c), KEFU_EINVAL);
    assert_rc(deadline_policy_close_of(p, NULL, &c), KEFU_EINVAL);
    char d[DEADLINE_DATE_MAX];
    assert_rc(deadline_policy_last_close(p, INT64_MAX, &c, d, sizeof d), KEFU_EINVAL);
    assert_rc(deadline_policy_last_close(p, s_t("2026-11-24T18:00:00+08:00"), &c, d, 10),
              KEFU_EINVAL);

    /* a holiday on Mon 30, a close at midnight, an evening shift's offset */
    s_set(fx, "calendar.holidays=2026-11-30");
    assert_rc(deadline_policy_close_of(fx->pol, "2026-11-30", &c), KEFU_ENOTFOUND);
    assert_last_close(fx->pol, "2026-12-01T12:00:00+08:00", "2026-11-28T17:30:00+08:00", "2026-11-28");
    s_set(fx, "calendar.hours=17:00-24:00");
    assert_last_close(fx->pol, "2026-11-25T00:00:00+08:00", "2026-11-25T00:00:00+08:00", "2026-11-24");
    assert_last_close(fx->pol, "2026-11-24T23:59:00+08:00", "2026-11-24T00:00:00+08:00", "2026-11-23");
}

/* The next HH:MM of the site's day: a reply or a callback "by 15:00". */
#define assert_clock(p, minute, now, want)                                      \
    do {                                                                        \
        int64_t at_ = 0;                                                        \
        assert_rc(deadline_next_clock((p), s_t(now), (minute), &at_), 0);      \
        s_assert_time(at_, (want), #minute " after " now, __FILE__, __LINE__);  \
    } while (0)

static void test_next_clock(void **state)
{
    fixture_t *fx = *state;
    /* 15:00 is minute 900: today's at 14:00, tomorrow's from 15:00 on */
    assert_clock(fx->pol, 900, "2026-11-23T14:00:00+08:00", "2026-11-23T15:00:00+08:00");
    assert_clock(fx->pol, 900, "2026-11-23T14:59:59+08:00", "2026-11-23T15:00:00+08:00");
    assert_clock(fx->pol, 900, "2026-11-23T15:00:00+08:00", "2026-11-24T15:00:00+08:00");
    assert_clock(fx->pol, 900, "2026-11-23T16:00:00+08:00", "2026-11-24T15:00:00+08:00");
    /* midnight, one minute before it; and across a month's end */
    assert_clock(fx->pol, 0, "2026-11-23T23:59:00+08:00", "2026-11-24T00:00:00+08:00");
    assert_clock(fx->pol, 9 * 60, "2026-11-30T18:00:00+08:00", "2026-12-01T09:00:00+08:00");
    /* the site's day, not UTC's: 20:00Z Monday is 04:00 Tuesday at the
     * site, so its 15:00 is Tuesday's (07:00Z), 11 hours on */
    assert_clock(fx->pol, 900, "2026-11-23T20:00:00Z", "2026-11-24T15:00:00+08:00");
    /* a site at -05:00: 15:00 there */
    s_set(fx, "calendar.utc_offset=-05:00");
    assert_clock(fx->pol, 900, "2026-11-23T14:00:00-05:00", "2026-11-23T15:00:00-05:00");
    assert_clock(fx->pol, 900, "2026-11-23T19:30:00Z", "2026-11-23T15:00:00-05:00");
    int64_t at = 42;
    assert_rc(deadline_next_clock(fx->pol, s_t("2026-11-23T14:00:00-05:00"), 1440, &at), KEFU_EINVAL);
    /* past the last day kefu writes */
    assert_rc(deadline_next_clock(fx->pol, s_t("9999-12-31T18:00:00-05:00"), 17 * 60, &at),
              KEFU_EINVAL);
    assert_int_equal(at, 42);
}

static void test_rules_default(void **state)
{
    fixture_t *fx = *state;
    deadline_policy_t *p = fx->pol;
    /* contract.md defaults, 000 §一.5 and §四 */
    assert_rule(p, "complaint_simple", "2026-11-23T16:00:00+08:00",     /* + 2 h */
                "2026-11-23T18:00:00+08:00");
    assert_rule(p, "complaint_complex", "2026-11-23T16:00:00+08:00",    /* + 24 h */
                "2026-11-24T16:00:00+08:00");
    assert_rule(p, "rework_album", "2026-11-23T16:00:00+08:00",         /* + 24 h */
                "2026-11-24T16:00:00+08:00");
    assert_rule(p, "rework_crystal", "2026-11-27T11:00:00+08:00",       /* Fri + 48 h */
                "2026-11-29T11:00:00+08:00");
    assert_rule(p, "rework_frame", "2026-11-27T11:00:00+08:00",
                "2026-11-29T11:00:00+08:00");
    /* the follow-up visit, 3 days after a resolution (intake_keys.c) */
    assert_rule(p, "follow_up", "2026-11-23T16:00:00+08:00", "2026-11-26T16:00:00+08:00");
    /* sla's other keys are no rules: a duration and a share */
    int64_t none = 42;
    assert_rc(deadline_policy_due(p, "level2_after", s_t("2026-11-23T16:00:00+08:00"), &none),
              KEFU_ENOTFOUND);
    assert_rc(deadline_policy_due(p, "warn_share", s_t("2026-11-23T16:00:00+08:00"), &none),
              KEFU_ENOTFOUND);
    assert_string_equal(deadline_policy_spec(p, "rework_print"), "same-day");
    assert_string_equal(deadline_policy_spec(p, "complaint_simple"), "2h");
    assert_null(deadline_policy_spec(p, "complaint"));

    int64_t due = 42;
    assert_rc(deadline_policy_due(p, "complaint", s_t("2026-11-23T16:00:00+08:00"), &due),
              KEFU_ENOTFOUND);
    assert_rc(deadline_policy_due(p, "sla.complaint_simple", 0, &due), KEFU_ENOTFOUND);
    assert_rc(deadline_policy_due(p, "", 0, &due), KEFU_ENOTFOUND);
    assert_int_equal(due, 42);   /* untouched on failure */

    /* half a working day (003 第二篇 三): 9 h / 2 = 4 h 30; +08:00 = 480 min */
    assert_int_equal(deadline_policy_workday_us(p), 9 * H);
    assert_int_equal(deadline_policy_workday_us(p) / 2, 4 * H + 30 * M);
    assert_int_equal(deadline_policy_utc_offset_min(p), 480);
}

/* A new daemon's deadline: a row in its own table, nothing in deadline.c
 * (every [sla] key is a rule); its check is the policy's, through kconfig. */
static void test_rule_of_new_table(void **state)
{
    (void) state;
    static const kconfig_key_t rows[] = {DEADLINE_KEY("sla.make_good", "next-day")};
    static const kconfig_table_t table = KCONFIG_TABLE("newcomer", rows);
    const kconfig_table_t *tables[8];
    size_t n = 0;
    for (const kconfig_table_t *const *t = registry_key_tables; *t && n < 6; t++)
        tables[n++] = *t;
    tables[n++] = &table;
    tables[n] = NULL;
    kconfig_t *cfg = kconfig_new(tables);
    char err[256];
    assert_rc(kconfig_set(cfg, "sla.make_good=3h@nope", err, sizeof err), KEFU_EINVAL);
    assert_string_equal(err, "sla.make_good: \"3h@nope\" is not a deadline like 24h, "
                             "4h30m@work, same-day or next-day");
    deadline_policy_t *p = deadline_policy_new(cfg, err, sizeof err);
    assert_non_null(p);
    assert_rule(p, "make_good", "2026-11-23T16:00:00+08:00",       /* Mon: Tue's close */
                "2026-11-24T17:30:00+08:00");
    assert_rule(p, "complaint_simple", "2026-11-23T16:00:00+08:00",
                "2026-11-23T18:00:00+08:00");
    deadline_policy_destroy(&p);
    kconfig_destroy(&cfg);
}

static void test_rules_changed(void **state)
{
    fixture_t *fx = *state;
    /* as `kefu up --set ...` would */
    s_set(fx, "sla.complaint_simple=90m");
    s_set(fx, "sla.complaint_complex=3d");
    s_set(fx, "sla.rework_print=4h30m@work");
    s_set(fx, "sla.rework_album=next-day");
    deadline_policy_t *p = fx->pol;
    /* 16:00 + 90 min */
    assert_rule(p, "complaint_simple", "2026-11-23T16:00:00+08:00",
                "2026-11-23T17:30:00+08:00");
    /* 16:00 + 72 h */
    assert_rule(p, "complaint_complex", "2026-11-23T16:00:00+08:00",
                "2026-11-26T16:00:00+08:00");
    /* 1 h 30 Mon + 3 h Tue from 08:30 */
    assert_rule(p, "rework_print", "2026-11-23T16:00:00+08:00", "2026-11-24T11:30:00+08:00");
    assert_rule(p, "rework_album", "2026-11-23T16:00:00+08:00", "2026-11-24T17:30:00+08:00");
    assert_string_equal(deadline_policy_spec(p, "rework_print"), "4h30m@work");

    /* another calendar: 09:00-18:00 Monday to Friday */
    s_set(fx, "calendar.hours=9:00-18:00");
    s_set(fx, "calendar.workdays=mon-fri");
    p = fx->pol;
    assert_int_equal(deadline_policy_workday_us(p), 9 * H);
    /* Fri 27 17:00-18:00 is 1 h; Sat, Sun off; Mon 30 09:00 + 3 h 30 */
    assert_rule(p, "rework_print", "2026-11-27T17:00:00+08:00", "2026-11-30T12:30:00+08:00");
    /* 17:45 is before the 18:00 close now */
    assert_spec(p, "same-day", "2026-11-23T17:45:00+08:00", "2026-11-23T18:00:00+08:00");
    /* Saturday is off now: Mon 30 */
    assert_spec(p, "same-day", "2026-11-28T10:00:00+08:00", "2026-11-30T18:00:00+08:00");

    /* a comma list: Wed is off, so Wed 10:00 gets Thu's close */
    s_set(fx, "calendar.workdays=mon,tue,thu");
    assert_spec(fx->pol, "same-day", "2026-11-25T10:00:00+08:00", "2026-11-26T18:00:00+08:00");
    /* a wrapping range sat-mon is sat, sun, mon: Tue 10:00 gets Sat 28 */
    s_set(fx, "calendar.workdays=Sat-Mon");
    assert_spec(fx->pol, "same-day", "2026-11-24T10:00:00+08:00", "2026-11-28T18:00:00+08:00");
    assert_spec(fx->pol, "same-day", "2026-11-29T10:00:00+08:00", "2026-11-29T18:00:00+08:00");

    /* another offset: -05:30, hours 9:00-18:00, Sat-Mon. 2026-11-23T03:00Z
     * is Sun 22 21:30 local, after hours: Mon 23 18:00 local = 23:30Z */
    s_set(fx, "calendar.utc_offset=-05:30");
    assert_int_equal(deadline_policy_utc_offset_min(fx->pol), -330);
    assert_spec(fx->pol, "same-day", "2026-11-23T03:00:00Z", "2026-11-23T23:30:00Z");
}

static void test_bad_specs(void **state)
{
    fixture_t *fx = *state;
    static const char *const bad[] = {
        "", "2", "2h@", "@work", "same_day", "-1h@work", "2h@play", "Same-Day", "same-day@work",
        "2h @work", "2h@work ", " 2h", "0s@work", "2h@work@work", "h@work", "2h@Work",
        "1234567890123456789012345678901234567890123456789012345678901234567890h@work",
    };
    int64_t due = 42;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (deadline_spec_check(bad[i]) != KEFU_EINVAL
            || deadline_spec_due(fx->pol, bad[i], 0, &due) != KEFU_EINVAL) {
            print_error("spec \"%s\" was accepted\n", bad[i]);
            fail();
        }
    }
    assert_int_equal(due, 42);
    assert_rc(deadline_spec_check(NULL), KEFU_EINVAL);
    static const char *const good[] = {"2h", "90m", "1h30m", "3d", "4h30m@work", "1s@work",
                                       "same-day", "next-day"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        assert_rc(deadline_spec_check(good[i]), 0);

    /* kconfig validates [sla] deadline keys with the same grammar */
    assert_rc(kconfig_set(fx->cfg, "sla.rework_album=2h@play", fx->err, sizeof fx->err),
              KEFU_EINVAL);
    assert_string_equal(fx->err, "sla.rework_album: \"2h@play\" is not a deadline like 24h, "
                                 "4h30m@work, same-day or next-day");
    assert_rc(kconfig_set(fx->cfg, "sla.rework_album=-1h@work", fx->err, sizeof fx->err),
              KEFU_EINVAL);
    assert_rc(kconfig_set(fx->cfg, "sla.rework_album=4h30m@work", fx->err, sizeof fx->err), 0);
    assert_string_equal(kconfig_get(fx->cfg, "sla.rework_album"), "4h30m@work");
}

static void test_bad_calendar(void **state)
{
    fixture_t *fx = *state;
    static const struct {
        const char *set;
        const char *want;
    } cases[] = {
        {"calendar.hours=18:00-08:00",
         "calendar.hours: \"18:00-08:00\" ends before it starts; hours lie within one day"},
        {"calendar.hours=08:30-08:30",
         "calendar.hours: \"08:30-08:30\" ends before it starts; hours lie within one day"},
        {"calendar.hours=8:30-17:30x",
         "calendar.hours: \"8:30-17:30x\" is not working hours like 08:30-17:30"},
        {"calendar.hours=08:30-24:30",
         "calendar.hours: \"08:30-24:30\" is not working hours like 08:30-17:30"},
        {"calendar.hours=08:60-17:30",
         "calendar.hours: \"08:60-17:30\" is not working hours like 08:30-17:30"},
        {"calendar.hours=0830-1730",
         "calendar.hours: \"0830-1730\" is not working hours like 08:30-17:30"},
        {"calendar.hours=", "calendar.hours: \"\" is not working hours like 08:30-17:30"},
        {"calendar.workdays=mon-xyz",
         "calendar.workdays: \"mon-xyz\": \"xyz\" is not a day (mon..sun); "
         "write days like mon-sat or mon,tue,thu"},
        {"calendar.workdays=mon,,tue",
         "calendar.workdays: \"mon,,tue\": \",\" is not a day (mon..sun); "
         "write days like mon-sat or mon,tue,thu"},
        {"calendar.workdays=monday",
         "calendar.workdays: \"monday\": \"monday\" is not a day (mon..sun); "
         "write days like mon-sat or mon,tue,thu"},
        {"calendar.workdays=mon-fri;sat",
         "calendar.workdays: \"mon-fri;sat\": \";sat\" is not a day (mon..sun); "
         "write days like mon-sat or mon,tue,thu"},
        {"calendar.workdays=",
         "calendar.workdays: no working day given; write days like mon-sat or mon,tue,thu"},
        {"calendar.holidays=2026-13-01",
         "calendar.holidays: holiday \"2026-13-01\" is not a date YYYY-MM-DD"},
        {"calendar.holidays=2026-10-01,2027-02-29",
         "calendar.holidays: holiday \"2027-02-29\" is not a date YYYY-MM-DD"},
        {"calendar.holidays=2026-10-1",
         "calendar.holidays: holiday \"2026-10-1\" is not a date YYYY-MM-DD"},
        {"calendar.holidays=2026-10-01,",
         "calendar.holidays: \"2026-10-01,\" ends with a comma"},
        {"calendar.utc_offset=8",
         "calendar.utc_offset: \"8\" is not an offset from UTC like +08:00 or -05:30"},
        {"calendar.utc_offset=+24:00",
         "calendar.utc_offset: \"+24:00\" is not an offset from UTC like +08:00 or -05:30"},
        {"calendar.utc_offset=08:00",
         "calendar.utc_offset: \"08:00\" is not an offset from UTC like +08:00 or -05:30"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        memset(fx->err, 0, sizeof fx->err);
        int rc = kconfig_set(fx->cfg, cases[i].set, fx->err, sizeof fx->err);
        if (rc != KEFU_EINVAL || strcmp(fx->err, cases[i].want) != 0) {
            print_error("case %zu: rc %d (%s), err \"%s\"\n  want \"%s\"\n", i, rc,
                        kefu_strerror(rc), fx->err, cases[i].want);
            fail();
        }
        /* the same check, called directly, gives the message without key */
        const char *eq = strchr(cases[i].set, '=');
        char key[64];
        snprintf(key, sizeof key, "%.*s", (int) (eq - cases[i].set), cases[i].set);
        char msg[256];
        assert_rc(deadline_calendar_check(key, eq + 1, msg, sizeof msg), KEFU_EINVAL);
        assert_string_equal(msg, cases[i].want + strlen(key) + 2);
    }
    /* nothing was applied: the policy built now is the default one */
    deadline_policy_t *p = deadline_policy_new(fx->cfg, fx->err, sizeof fx->err);
    assert_non_null(p);
    assert_spec(p, "same-day", "2026-11-23T17:29:00+08:00", "2026-11-23T17:30:00+08:00");
    deadline_policy_destroy(&p);
    assert_null(p);
    deadline_policy_destroy(NULL);

    char msg[64];
    assert_rc(deadline_calendar_check("calendar.nope", "x", msg, sizeof msg), KEFU_ENOTFOUND);
    assert_rc(deadline_calendar_check("calendar.hours", "x", NULL, 0), KEFU_EINVAL);
    /* forms that are fine */
    assert_rc(deadline_calendar_check("calendar.hours", "00:00-24:00", NULL, 0), 0);
    assert_rc(deadline_calendar_check("calendar.hours", "8:30-17:30", NULL, 0), 0);
    assert_rc(deadline_calendar_check("calendar.workdays", "mon, wed-fri ,SUN", NULL, 0), 0);
    assert_rc(deadline_calendar_check("calendar.holidays", "2026-10-01, 2028-02-29", NULL, 0),
              0);
    assert_rc(deadline_calendar_check("calendar.utc_offset", "-00:00", NULL, 0), 0);
}

static void test_work_between(void **state)
{
    fixture_t *fx = *state;
    deadline_policy_t *p = fx->pol;
    /* half a working day: 08:30 -> 13:00 is 4 h 30 */
    assert_int_equal(deadline_work_between(p, s_t("2026-11-23T08:30:00+08:00"),
                                           s_t("2026-11-23T13:00:00+08:00")),
                     4 * H + 30 * M);
    /* Mon 16:00 -> Tue 11:30: 1 h 30 + 3 h (the @work example backwards) */
    assert_int_equal(deadline_work_between(p, s_t("2026-11-23T16:00:00+08:00"),
                                           s_t("2026-11-24T11:30:00+08:00")),
                     4 * H + 30 * M);
    /* the night counts nothing: Mon 17:30 -> Tue 08:30 */
    assert_int_equal(deadline_work_between(p, s_t("2026-11-23T17:30:00+08:00"),
                                           s_t("2026-11-24T08:30:00+08:00")),
                     0);
    /* Sat 17:00 -> Mon 09:00 over a Sunday: 30 min + 30 min */
    assert_int_equal(deadline_work_between(p, s_t("2026-11-28T17:00:00+08:00"),
                                           s_t("2026-11-30T09:00:00+08:00")),
                     1 * H);
    /* a week, midnight to midnight: 6 days * 9 h */
    assert_int_equal(deadline_work_between(p, s_t("2026-11-23T00:00:00+08:00"),
                                           s_t("2026-11-30T00:00:00+08:00")),
                     54 * H);
    /* backwards is negative; an instant is nothing */
    assert_int_equal(deadline_work_between(p, s_t("2026-11-23T13:00:00+08:00"),
                                           s_t("2026-11-23T08:30:00+08:00")),
                     -(4 * H + 30 * M));
    assert_int_equal(deadline_work_between(p, s_t("2026-11-23T10:00:00+08:00"),
                                           s_t("2026-11-23T10:00:00+08:00")),
                     0);
    /* all of 2026: 365 days from Thu 01-01 are 52 weeks (52 * 6 = 312
     * working days) and one more day, Thu 12-31: 313 * 9 h = 2817 h */
    int64_t y0 = s_t("2026-01-01T00:00:00+08:00"), y1 = s_t("2027-01-01T00:00:00+08:00");
    assert_int_equal(deadline_work_between(p, y0, y1), 2817 * H);
    /* the ends clamp to the years 0000-9999 instead of overflowing */
    assert_true(deadline_work_between(p, INT64_MIN, INT64_MAX) > 0);
    assert_true(deadline_work_between(p, INT64_MAX, INT64_MIN) < 0);

    /* a holiday on a Thursday (10-01) and one on a Sunday (10-04, no
     * working day anyway): 312 * 9 h = 2808 h */
    s_set(fx, "calendar.holidays=2026-10-01,2026-10-04");
    assert_int_equal(deadline_work_between(fx->pol, y0, y1), 2808 * H);
    /* across the holiday: Wed 09-30 17:00 -> Fri 10-02 09:00 is 30 + 30 min */
    assert_int_equal(deadline_work_between(fx->pol, s_t("2026-09-30T17:00:00+08:00"),
                                           s_t("2026-10-02T09:00:00+08:00")),
                     1 * H);
}

/* Due time of rule from start with pauses (all site time, +08:00). */
static int64_t s_paused(fixture_t *fx, const char *rule, const char *start,
                        const char *const (*p)[2], size_t n)
{
    deadline_pause_t pauses[8];
    for (size_t i = 0; i < n; i++) {
        pauses[i].from = s_t(p[i][0]);
        pauses[i].to = p[i][1] ? s_t(p[i][1]) : 0;
    }
    int64_t due = 0;
    assert_rc(deadline_policy_due_paused(fx->pol, rule, s_t(start), pauses, n, &due), 0);
    return due;
}

#define assert_paused(fx, rule, start, pauses, want)                            \
    s_assert_time(s_paused((fx), (rule), (start), (pauses),                     \
                           sizeof(pauses) / sizeof((pauses)[0])),               \
                  (want), rule " paused from " start, __FILE__, __LINE__)

static void test_pauses(void **state)
{
    fixture_t *fx = *state;
    /* complaint_simple = 2h (wall), opened Monday 09:00 */
    /* a half-hour pause inside: 09:00 + 2h + 30m = 11:30 */
    static const char *const one[][2] = {{"2026-11-23T09:30:00+08:00", "2026-11-23T10:00:00+08:00"}};
    assert_paused(fx, "complaint_simple", "2026-11-23T09:00:00+08:00", one, "2026-11-23T11:30:00+08:00");
    /* a pause over the start: the clock starts at 09:30, due 11:30 */
    static const char *const over[][2] = {{"2026-11-23T08:00:00+08:00", "2026-11-23T09:30:00+08:00"}};
    assert_paused(fx, "complaint_simple", "2026-11-23T09:00:00+08:00", over, "2026-11-23T11:30:00+08:00");
    /* a pause after the due time changes nothing: 11:00 */
    static const char *const late[][2] = {{"2026-11-23T12:00:00+08:00", "2026-11-23T13:00:00+08:00"}};
    assert_paused(fx, "complaint_simple", "2026-11-23T09:00:00+08:00", late, "2026-11-23T11:00:00+08:00");
    /* two pauses of 30m each: 12:00 */
    static const char *const two[][2] = {{"2026-11-23T09:30:00+08:00", "2026-11-23T10:00:00+08:00"},
                                         {"2026-11-23T10:30:00+08:00", "2026-11-23T11:00:00+08:00"}};
    assert_paused(fx, "complaint_simple", "2026-11-23T09:00:00+08:00", two, "2026-11-23T12:00:00+08:00");
    /* a pause not over yet: no due time */
    static const char *const open[][2] = {{"2026-11-23T10:00:00+08:00", NULL}};
    assert_int_equal(s_paused(fx, "complaint_simple", "2026-11-23T09:00:00+08:00", open, 1), INT64_MAX);
    /* working time: half a working day (4h30m@work) from Monday 15:00,
     * paused 16:00-16:30: 1h worked by 16:00, 1h from 16:30 to 17:30,
     * 2h30m left from Tuesday 08:30 -> 11:00 */
    s_set(fx, "sla.complaint_complex=4h30m@work");
    static const char *const work[][2] = {{"2026-11-23T16:00:00+08:00", "2026-11-23T16:30:00+08:00"}};
    assert_paused(fx, "complaint_complex", "2026-11-23T15:00:00+08:00", work, "2026-11-24T11:00:00+08:00");
    /* same-day is the end of the working day, pauses or not: 17:30 */
    static const char *const day[][2] = {{"2026-11-23T11:00:00+08:00", "2026-11-23T20:00:00+08:00"}};
    assert_paused(fx, "rework_print", "2026-11-23T10:00:00+08:00", day, "2026-11-23T17:30:00+08:00");
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, s_setup, s_teardown)
    const struct CMUnitTest tests[] = {
        T(test_reference),
        T(test_wall),
        T(test_duration),
        T(test_work),
        T(test_work_holidays),
        T(test_work_long),
        T(test_same_day),
        T(test_next_day),
        T(test_closes),
        T(test_next_clock),
        T(test_rules_default),
        T(test_rule_of_new_table),
        T(test_rules_changed),
        T(test_bad_specs),
        T(test_bad_calendar),
        T(test_work_between),
        T(test_pauses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
