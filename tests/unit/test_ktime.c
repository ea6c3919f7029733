/* test_ktime.c: unit tests of common/ktime.c, RFC 3339 times and
 * durations as users type them.
 *
 * The reference instant, worked by hand: 2026-11-23T01:30:00Z is
 *   1970..2025 = 56 years, 14 of them leap (1972..2024): 56*365+14 = 20454 days
 *   Jan..Oct 2026: 31+28+31+30+31+30+31+31+30+31 = 304 days; then 22 more
 *   (20454+304+22) * 86400 + 1*3600 + 30*60 = 1795397400 s.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "kerr.h"
#include "ktest.h"
#include "ktime.h"

#define REF_S 1795397400LL   /* 2026-11-23T01:30:00Z, see above */

static int64_t s_parse_ok(const char *s)
{
    int64_t us = -42;
    int rc = ktime_parse_rfc3339(s, &us);
    if (rc != 0) {
        print_error("parse \"%s\": %s\n", s, kefu_strerror(rc));
        fail();
    }
    return us;
}

static void test_parse_utc_and_offsets(void **state)
{
    (void) state;
    assert_int_equal(s_parse_ok("1970-01-01T00:00:00Z"), 0);
    assert_int_equal(s_parse_ok("2026-11-23T01:30:00Z"), REF_S * KTIME_SEC);
    /* 09:30 at +08:00 is 01:30 UTC; 20:30 the day before at -05:00 too. */
    assert_int_equal(s_parse_ok("2026-11-23T09:30:00+08:00"), REF_S * KTIME_SEC);
    assert_int_equal(s_parse_ok("2026-11-22T20:30:00-05:00"), REF_S * KTIME_SEC);
    /* Offsets with minutes: +05:45 (Nepal) puts 07:15 at 01:30 UTC. */
    assert_int_equal(s_parse_ok("2026-11-23T07:15:00+05:45"), REF_S * KTIME_SEC);
    /* -00:00 is UTC (RFC 3339 §4.3: offset unknown). */
    assert_int_equal(s_parse_ok("2026-11-23T01:30:00-00:00"), REF_S * KTIME_SEC);
    /* Lower-case t and z, and a space for T (RFC 3339 §5.6 note). */
    assert_int_equal(s_parse_ok("2026-11-23t01:30:00z"), REF_S * KTIME_SEC);
    assert_int_equal(s_parse_ok("2026-11-23 01:30:00Z"), REF_S * KTIME_SEC);
    /* Before 1970 is negative. */
    assert_int_equal(s_parse_ok("1969-12-31T23:59:59Z"), -1 * KTIME_SEC);
    /* Ends of the 4-digit year range: 0000-01-01 is 719528 days before 1970. */
    assert_int_equal(s_parse_ok("0000-01-01T00:00:00Z"), -719528LL * 86400 * KTIME_SEC);
    assert_int_equal(s_parse_ok("9999-12-31T23:59:59Z"), 253402300799LL * KTIME_SEC);
}

static void test_parse_fraction(void **state)
{
    (void) state;
    int64_t ref = REF_S * KTIME_SEC;
    assert_int_equal(s_parse_ok("2026-11-23T01:30:00.5Z"), ref + 500000);
    assert_int_equal(s_parse_ok("2026-11-23T01:30:00.05Z"), ref + 50000);
    assert_int_equal(s_parse_ok("2026-11-23T01:30:00.123Z"), ref + 123000);
    assert_int_equal(s_parse_ok("2026-11-23T01:30:00.123456Z"), ref + 123456);
    assert_int_equal(s_parse_ok("2026-11-23T09:30:00.000001+08:00"), ref + 1);
    /* Half a second before 1970: -0.5 s. */
    assert_int_equal(s_parse_ok("1969-12-31T23:59:59.5Z"), -500000);
}

static void test_parse_calendar(void **state)
{
    (void) state;
    /* 2024 is leap: 19782 days to its Feb 29 (54 years, 13 leap, + 59). */
    assert_int_equal(s_parse_ok("2024-02-29T00:00:00Z"), 1709164800LL * KTIME_SEC);
    /* 2000 is leap (divisible by 400): Mar 1 is 951868800 s. */
    assert_int_equal(s_parse_ok("2000-02-29T00:00:00Z") + KTIME_DAY,
                     951868800LL * KTIME_SEC);
    assert_int_equal(s_parse_ok("2026-12-31T23:59:59Z") + KTIME_SEC,
                     s_parse_ok("2027-01-01T00:00:00Z"));
    assert_int_equal(s_parse_ok("2026-04-30T00:00:00Z") + KTIME_DAY,
                     s_parse_ok("2026-05-01T00:00:00Z"));
}

static void test_parse_rejects(void **state)
{
    (void) state;
    static const char *const bad[] = {
        "",
        "2026-11-23",                      /* no time */
        "2026-11-23T01:30:00",             /* no offset */
        "2026-11-23T01:30Z",               /* no seconds */
        "26-11-23T01:30:00Z",              /* 2-digit year */
        "2026-1-23T01:30:00Z",             /* 1-digit month */
        "2026-11-23T1:30:00Z",             /* 1-digit hour */
        "2026/11/23T01:30:00Z",
        "2026-11-23X01:30:00Z",
        "2026-13-01T00:00:00Z",            /* month 13 */
        "2026-00-01T00:00:00Z",            /* month 0 */
        "2026-11-00T00:00:00Z",            /* day 0 */
        "2026-11-31T00:00:00Z",            /* November has 30 */
        "2026-01-32T00:00:00Z",
        "2025-02-29T00:00:00Z",            /* 2025 is not leap */
        "1900-02-29T00:00:00Z",            /* 1900 is not leap (century) */
        "2026-11-23T24:00:00Z",            /* hour 24 */
        "2026-11-23T25:00:00Z",            /* hour 25 */
        "2026-11-23T01:60:00Z",            /* minute 60 */
        "2026-11-23T01:30:60Z",            /* leap second: kefu has none */
        "2026-11-23T01:30:61Z",
        "2026-11-23T01:30:00+24:00",       /* offset hour 24 */
        "2026-11-23T01:30:00+08:60",       /* offset minute 60 */
        "2026-11-23T01:30:00+0800",        /* offset without colon */
        "2026-11-23T01:30:00+08",          /* offset without minutes */
        "2026-11-23T01:30:00+8:00",
        "2026-11-23T01:30:00.Z",           /* empty fraction */
        "2026-11-23T01:30:00.1234567Z",    /* beyond microseconds */
        "2026-11-23T01:30:00,5Z",          /* comma fraction (ISO, not RFC 3339) */
        "2026-11-23T01:30:00Zx",           /* trailing garbage */
        "2026-11-23T01:30:00Z ",
        " 2026-11-23T01:30:00Z",
        "2026-11-23T01:30:00+08:00:00",
        "2026-11-23T01:30:00ZZ",
        "+2026-11-23T01:30:00Z",
        "2026-11-23T01:30:0aZ",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t us = 777;
        int rc = ktime_parse_rfc3339(bad[i], &us);
        if (rc != KEFU_EINVAL) {
            print_error("\"%s\" gave %d (%s), want KEFU_EINVAL\n", bad[i], rc,
                        kefu_strerror(rc));
            fail();
        }
        assert_int_equal(us, 777);   /* untouched on failure */
    }
    int64_t us;
    assert_rc(ktime_parse_rfc3339(NULL, &us), KEFU_EINVAL);
}

static void test_format_time(void **state)
{
    (void) state;
    char buf[64];
    assert_int_equal(ktime_format_rfc3339(0, 0, buf, sizeof buf), 20);
    assert_string_equal(buf, "1970-01-01T00:00:00Z");
    assert_int_equal(ktime_format_rfc3339(0, 480, buf, sizeof buf), 25);
    assert_string_equal(buf, "1970-01-01T08:00:00+08:00");
    assert_int_equal(ktime_format_rfc3339(0, -300, buf, sizeof buf), 25);
    assert_string_equal(buf, "1969-12-31T19:00:00-05:00");
    assert_int_equal(ktime_format_rfc3339(0, 345, buf, sizeof buf), 25);
    assert_string_equal(buf, "1970-01-01T05:45:00+05:45");

    ktime_format_rfc3339(REF_S * KTIME_SEC, 480, buf, sizeof buf);
    assert_string_equal(buf, "2026-11-23T09:30:00+08:00");
    ktime_format_rfc3339(REF_S * KTIME_SEC, 0, buf, sizeof buf);
    assert_string_equal(buf, "2026-11-23T01:30:00Z");

    /* Sub-second parts print 6 digits; before 1970 they floor. */
    assert_int_equal(ktime_format_rfc3339(500000, 0, buf, sizeof buf), 27);
    assert_string_equal(buf, "1970-01-01T00:00:00.500000Z");
    ktime_format_rfc3339(-1, 0, buf, sizeof buf);
    assert_string_equal(buf, "1969-12-31T23:59:59.999999Z");
    ktime_format_rfc3339(REF_S * KTIME_SEC + 123456, 480, buf, sizeof buf);
    assert_string_equal(buf, "2026-11-23T09:30:00.123456+08:00");
    /* The longest form fits in 40. */
    assert_int_equal(ktime_format_rfc3339(-1, -1439, buf, 40), 32);
}

static void test_format_time_limits(void **state)
{
    (void) state;
    char buf[64];
    memset(buf, 'x', sizeof buf);
    /* "1970-01-01T00:00:00Z" is 20 chars: 21 bytes fit, 20 do not. */
    assert_int_equal(ktime_format_rfc3339(0, 0, buf, 21), 20);
    assert_int_equal(ktime_format_rfc3339(0, 0, buf, 20), -1);
    assert_int_equal(ktime_format_rfc3339(0, 0, buf, 0), -1);
    /* Outside years 0000-9999 there is no RFC 3339 text. */
    assert_int_equal(ktime_format_rfc3339(253402300800LL * KTIME_SEC, 0, buf, sizeof buf), -1);
    assert_int_equal(ktime_format_rfc3339(-719528LL * 86400 * KTIME_SEC - 1, 0, buf, sizeof buf), -1);
    assert_int_equal(ktime_format_rfc3339(INT64_MAX, 60, buf, sizeof buf), -1);
    assert_int_equal(ktime_format_rfc3339(INT64_MIN, -60, buf, sizeof buf), -1);
    assert_int_equal(ktime_format_rfc3339(253402300799LL * KTIME_SEC, 0, buf, sizeof buf), 20);
    assert_string_equal(buf, "9999-12-31T23:59:59Z");
    /* KTIME_MIN_US and KTIME_MAX_US are the ends of that range exactly. */
    assert_int_equal(ktime_format_rfc3339(KTIME_MAX_US, 0, buf, sizeof buf), 27);
    assert_string_equal(buf, "9999-12-31T23:59:59.999999Z");
    assert_int_equal(ktime_format_rfc3339(KTIME_MAX_US + 1, 0, buf, sizeof buf), -1);
    assert_int_equal(ktime_format_rfc3339(KTIME_MIN_US, 0, buf, sizeof buf), 20);
    assert_string_equal(buf, "0000-01-01T00:00:00Z");
    assert_int_equal(ktime_format_rfc3339(KTIME_MIN_US - 1, 0, buf, sizeof buf), -1);
}

static void test_time_round_trip(void **state)
{
    (void) state;
    static const int64_t times[] = {
        0, 1, -1, 999999, REF_S * KTIME_SEC, REF_S * KTIME_SEC + 7,
        -719528LL * 86400 * KTIME_SEC, 253402300799LL * KTIME_SEC + 999999,
    };
    static const int offsets[] = {0, 480, -300, 345, 1439, -1439};
    char buf[40];
    for (size_t i = 0; i < sizeof times / sizeof times[0]; i++)
        for (size_t j = 0; j < sizeof offsets / sizeof offsets[0]; j++) {
            if (ktime_format_rfc3339(times[i], offsets[j], buf, sizeof buf) < 0)
                continue;   /* the year-range ends with an offset */
            assert_int_equal(s_parse_ok(buf), times[i]);
        }
}

static int64_t s_dur_ok(const char *s)
{
    int64_t us = -42;
    int rc = ktime_parse_duration(s, &us);
    if (rc != 0) {
        print_error("duration \"%s\": %s\n", s, kefu_strerror(rc));
        fail();
    }
    return us;
}

static void test_parse_duration(void **state)
{
    (void) state;
    assert_int_equal(s_dur_ok("90s"), 90000000LL);
    assert_int_equal(s_dur_ok("30m"), 1800000000LL);
    assert_int_equal(s_dur_ok("2h"), 7200000000LL);
    assert_int_equal(s_dur_ok("3d"), 259200000000LL);
    assert_int_equal(s_dur_ok("500ms"), 500000LL);
    assert_int_equal(s_dur_ok("250us"), 250LL);
    assert_int_equal(s_dur_ok("1h30m"), 5400000000LL);
    /* 1d2h3m4s5ms6us = 86400+7200+180+4 s + 5006 us = 93784005006 us */
    assert_int_equal(s_dur_ok("1d2h3m4s5ms6us"), 93784005006LL);
    assert_int_equal(s_dur_ok("0h30m"), 1800000000LL);
    assert_int_equal(s_dur_ok("007s"), 7000000LL);
    /* The largest: INT64_MAX us is 9223372036854.775807 s; 106751991 days
     * are 9223372022400 s, leaving 14454.78 s, so 4h (14400 s) more fits. */
    assert_int_equal(s_dur_ok("106751991d4h"), 9223372036800LL * KTIME_SEC);
    assert_int_equal(s_dur_ok("9223372036854775807us"), INT64_MAX);
}

static void test_parse_duration_rejects(void **state)
{
    (void) state;
    static const char *const bad[] = {
        "", "2", "h", "-1h", "+1h", "0s", "0h0m", "1h 30m", " 1h", "1h ",
        "1.5h", "1x", "1H", "1hr", "1m30", "30m1h", "1h1h", "1s500ms1s",
        "1 h", "ms", "1dd",
        "9223372036854775808us",     /* INT64_MAX + 1 */
        "99999999999999999999s",     /* the number itself overflows */
        "106751992d",                /* 106751992 days of usec > INT64_MAX */
        "106751991d5h",              /* each part fits, the sum does not */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t us = 777;
        int rc = ktime_parse_duration(bad[i], &us);
        if (rc != KEFU_EINVAL) {
            print_error("\"%s\" gave %d (%s), want KEFU_EINVAL\n", bad[i], rc,
                        kefu_strerror(rc));
            fail();
        }
        assert_int_equal(us, 777);
    }
    int64_t us;
    assert_rc(ktime_parse_duration(NULL, &us), KEFU_EINVAL);
}

static void s_dur_fmt(int64_t d, const char *want)
{
    char buf[32];
    int n = ktime_format_duration(d, buf, sizeof buf);
    assert_int_equal(n, (int) strlen(want));
    assert_string_equal(buf, want);
}

static void test_format_duration(void **state)
{
    (void) state;
    s_dur_fmt(2 * KTIME_HOUR, "2h");
    s_dur_fmt(90 * KTIME_SEC, "90s");                      /* not "1m30s" */
    s_dur_fmt(90 * KTIME_MIN, "90m");                      /* not "1h30m" */
    s_dur_fmt(KTIME_DAY + KTIME_SEC, "1d1s");              /* not "86401s" */
    s_dur_fmt(36 * KTIME_HOUR, "36h");                     /* not "1d12h" */
    s_dur_fmt(48 * KTIME_HOUR, "2d");
    s_dur_fmt(24 * KTIME_HOUR, "1d");
    s_dur_fmt(60 * KTIME_SEC, "1m");
    s_dur_fmt(500000, "500ms");
    s_dur_fmt(1500, "1500us");
    s_dur_fmt(1, "1us");
    s_dur_fmt(5430 * KTIME_SEC, "5430s");                  /* vs "1h30m30s" */
    s_dur_fmt(125 * KTIME_MIN, "125m");                    /* ties "2h5m": fewer parts */
    s_dur_fmt(0, "0s");
    s_dur_fmt(-2 * KTIME_HOUR, "-2h");
    s_dur_fmt(INT64_MIN, "-9223372036854775808us");
    s_dur_fmt(INT64_MAX, "9223372036854775807us");

    char buf[32];
    assert_int_equal(ktime_format_duration(2 * KTIME_HOUR, buf, 3), 2);   /* "2h" + NUL */
    assert_int_equal(ktime_format_duration(2 * KTIME_HOUR, buf, 2), -1);
    assert_int_equal(ktime_format_duration(2 * KTIME_HOUR, buf, 0), -1);
}

/* civil_from_days undoes days_from_civil on every day from 0000-01-01
 * to 9999-12-31, and agrees with gmtime_r on a few. */
static void test_civil_round_trip(void **state)
{
    (void) state;
    int64_t first = ktime_days_from_civil(0, 1, 1), last = ktime_days_from_civil(9999, 12, 31);
    int py = -1, pm = 12, pd = 31;
    for (int64_t d = first; d <= last; d++) {
        int y, m, dd;
        ktime_civil_from_days(d, &y, &m, &dd);
        assert_int_equal(ktime_days_from_civil(y, m, dd), d);
        /* the next day of the one before */
        bool next = (y == py && m == pm && dd == pd + 1) ||
                    (y == py && m == pm + 1 && dd == 1 && pd == ktime_days_in_month(py, pm)) ||
                    (y == py + 1 && m == 1 && dd == 1 && pm == 12 && pd == 31);
        if (!next)
            fail_msg("day %lld is %04d-%02d-%02d after %04d-%02d-%02d", (long long) d, y, m, dd,
                     py, pm, pd);
        py = y, pm = m, pd = dd;
    }
    int y, m, d;
    ktime_civil_from_days(0, &y, &m, &d);
    assert_true(y == 1970 && m == 1 && d == 1);
    ktime_civil_from_days(20780, &y, &m, &d);  /* 2026-11-23 */
    assert_true(y == 2026 && m == 11 && d == 23);
    ktime_civil_from_days(-1, &y, &m, &d);
    assert_true(y == 1969 && m == 12 && d == 31);
}

static void test_duration_round_trip(void **state)
{
    (void) state;
    static const int64_t ds[] = {
        1, 999, 1000, 1001, KTIME_SEC, 61 * KTIME_SEC, 3599 * KTIME_SEC,
        KTIME_HOUR + KTIME_MIN + KTIME_SEC + 1000 + 1, 7 * KTIME_DAY + 3,
        123456789012345LL, INT64_MAX,
    };
    char buf[32];
    for (size_t i = 0; i < sizeof ds / sizeof ds[0]; i++) {
        assert_true(ktime_format_duration(ds[i], buf, sizeof buf) > 0);
        assert_int_equal(s_dur_ok(buf), ds[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_utc_and_offsets),
        cmocka_unit_test(test_parse_fraction),
        cmocka_unit_test(test_parse_calendar),
        cmocka_unit_test(test_parse_rejects),
        cmocka_unit_test(test_format_time),
        cmocka_unit_test(test_format_time_limits),
        cmocka_unit_test(test_time_round_trip),
        cmocka_unit_test(test_parse_duration),
        cmocka_unit_test(test_parse_duration_rejects),
        cmocka_unit_test(test_format_duration),
        cmocka_unit_test(test_duration_round_trip),
        cmocka_unit_test(test_civil_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
