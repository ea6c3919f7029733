/* ktime.c: times and durations as users type and read them (see ktime.h).
 *
 * Times are the RFC 3339 profile of ISO 8601, strictly:
 *     YYYY-MM-DD "T" hh:mm:ss [ "." 1-6 digits ] ( "Z" | ("+"|"-") hh:mm )
 * RFC 3339 allows "t", "z" and (§5.6 note) a space for the "T"; they are
 * accepted too. Fractions stop at microseconds, kefu's unit: a seventh
 * digit would be silently dropped, so it is refused instead. Every field
 * is range-checked before timegm(), which would otherwise "normalize"
 * month 13 into next January; second 60 (a leap second) is refused because
 * kefu's time, like POSIX time, has no leap seconds.
 *
 * Durations are one or more <digits><unit> with units, largest first and
 * each at most once, of d, h, m, s, ms, us ("1h30m", "500ms"). The order
 * rule catches "30m1h"-style slips. Sums and products are checked for
 * int64 overflow; the total must be > 0.
 */
#include "ktime.h"

#include <assert.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "kerr.h"

/* Reads exactly n decimal digits at *p into *out. */
static bool s_digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9')
            return false;
        v = v * 10 + (c - '0');
    }
    *p += n;
    *out = v;
    return true;
}

/* Consumes one character at *p if it is one of set (never the NUL). */
static bool s_expect(const char **p, const char *set)
{
    if (**p == '\0' || !strchr(set, **p))
        return false;
    (*p)++;
    return true;
}

bool ktime_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int ktime_days_in_month(int y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && ktime_leap(y) ? 29 : days[m - 1];
}

int ktime_parse_offset(const char *s, int *min_out)
{
    const char *p = s;
    int h, m;
    if (!s || (*p != '+' && *p != '-') || (p++, !s_digits(&p, 2, &h)) || *p++ != ':' ||
        !s_digits(&p, 2, &m) || *p != '\0' || h > 23 || m > 59)
        return KEFU_EINVAL;
    *min_out = (s[0] == '-' ? -1 : 1) * (h * 60 + m);
    return 0;
}

int64_t ktime_floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

int64_t ktime_floor_mod(int64_t a, int64_t b)
{
    return a - ktime_floor_div(a, b) * b;
}

int64_t ktime_days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int64_t era = ktime_floor_div(y, 400);
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void ktime_civil_from_days(int64_t days, int *y, int *m, int *d)
{
    int64_t z = days + 719468;
    int64_t era = ktime_floor_div(z, 146097);
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *m = (int) (mp < 10 ? mp + 3 : mp - 9);
    int64_t year = yoe + era * 400 + (*m <= 2);
    *y = year > INT32_MAX ? INT32_MAX : year < INT32_MIN ? INT32_MIN : (int) year;
    *d = (int) (doy - (153 * mp + 2) / 5 + 1);
}

int ktime_parse_rfc3339(const char *s, int64_t *us_out)
{
    if (!s || !us_out)
        return KEFU_EINVAL;
    const char *p = s;
    int year, mon, day, hour, min, sec;
    if (!s_digits(&p, 4, &year) || !s_expect(&p, "-")
        || !s_digits(&p, 2, &mon) || !s_expect(&p, "-")
        || !s_digits(&p, 2, &day) || !s_expect(&p, "Tt ")
        || !s_digits(&p, 2, &hour) || !s_expect(&p, ":")
        || !s_digits(&p, 2, &min) || !s_expect(&p, ":")
        || !s_digits(&p, 2, &sec))
        return KEFU_EINVAL;

    int64_t frac = 0;
    if (s_expect(&p, ".")) {
        int n = 0;
        while (*p >= '0' && *p <= '9') {
            if (++n > 6)
                return KEFU_EINVAL;
            frac = frac * 10 + (*p++ - '0');
        }
        if (n == 0)
            return KEFU_EINVAL;
        for (; n < 6; n++)
            frac *= 10;
    }

    int offset_min = 0;
    if (!s_expect(&p, "Zz")) {
        int sign = *p == '-' ? -1 : 1;
        int oh, om;
        if (!s_expect(&p, "+-") || !s_digits(&p, 2, &oh) || !s_expect(&p, ":")
            || !s_digits(&p, 2, &om) || oh > 23 || om > 59)
            return KEFU_EINVAL;
        offset_min = sign * (oh * 60 + om);
    }
    if (*p != '\0')
        return KEFU_EINVAL;

    if (mon < 1 || mon > 12 || day < 1 || day > ktime_days_in_month(year, mon)
        || hour > 23 || min > 59 || sec > 59)
        return KEFU_EINVAL;

    struct tm tm = {
        .tm_year = year - 1900, .tm_mon = mon - 1, .tm_mday = day,
        .tm_hour = hour, .tm_min = min, .tm_sec = sec,
    };
    /* Every field is in range, so timegm cannot fail; years 0000-9999 in
     * usec are far inside int64. */
    int64_t t = (int64_t) timegm(&tm);
    *us_out = t * KTIME_SEC + frac - (int64_t) offset_min * KTIME_MIN;
    return 0;
}

int ktime_format_rfc3339(int64_t t_us, int offset_min, char *buf, size_t cap)
{
    assert(offset_min > -24 * 60 && offset_min < 24 * 60);
    int64_t local;
    if (__builtin_add_overflow(t_us, (int64_t) offset_min * KTIME_MIN, &local))
        return -1;
    int64_t secs = local / KTIME_SEC;
    int64_t us = local % KTIME_SEC;
    if (us < 0) {   /* floor, so 1 usec before 1970 is 23:59:59.999999 */
        us += KTIME_SEC;
        secs--;
    }
    time_t tt = (time_t) secs;
    struct tm tm;
    if (!gmtime_r(&tt, &tm) || tm.tm_year + 1900 < 0 || tm.tm_year + 1900 > 9999)
        return -1;

    char tmp[48];
    int n = snprintf(tmp, sizeof tmp, "%04d-%02d-%02dT%02d:%02d:%02d",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                     tm.tm_hour, tm.tm_min, tm.tm_sec);
    if (us != 0)
        n += snprintf(tmp + n, sizeof tmp - (size_t) n, ".%06lld", (long long) us);
    if (offset_min == 0)
        n += snprintf(tmp + n, sizeof tmp - (size_t) n, "Z");
    else {
        int a = offset_min < 0 ? -offset_min : offset_min;
        n += snprintf(tmp + n, sizeof tmp - (size_t) n, "%c%02d:%02d",
                      offset_min < 0 ? '-' : '+', a / 60, a % 60);
    }
    if ((size_t) n >= cap)
        return -1;
    memcpy(buf, tmp, (size_t) n + 1);
    return n;
}

/* Duration units, largest first: the order a duration must use them in. */
static const struct {
    const char *name;
    int64_t us;
} s_units[] = {
    {"d", KTIME_DAY}, {"h", KTIME_HOUR}, {"m", KTIME_MIN},
    {"s", KTIME_SEC}, {"ms", 1000}, {"us", 1},
};
#define S_NUNITS ((int) (sizeof s_units / sizeof s_units[0]))

int ktime_parse_duration(const char *s, int64_t *us_out)
{
    if (!s || !us_out || *s == '\0')
        return KEFU_EINVAL;
    int64_t total = 0;
    int last = -1;   /* index of the previous unit; each must be smaller */
    const char *p = s;
    while (*p) {
        if (*p < '0' || *p > '9')
            return KEFU_EINVAL;   /* also "-1h", "+1h", " 1h", "h" */
        int64_t n = 0;
        while (*p >= '0' && *p <= '9') {
            if (__builtin_mul_overflow(n, 10, &n)
                || __builtin_add_overflow(n, *p - '0', &n))
                return KEFU_EINVAL;
            p++;
        }
        const char *name = p;
        while (*p >= 'a' && *p <= 'z')
            p++;
        size_t len = (size_t) (p - name);
        int u = 0;
        while (u < S_NUNITS && !(strlen(s_units[u].name) == len
                                 && memcmp(s_units[u].name, name, len) == 0))
            u++;
        if (u == S_NUNITS || u <= last)
            return KEFU_EINVAL;   /* no unit, unknown unit, or out of order */
        last = u;
        int64_t part;
        if (__builtin_mul_overflow(n, s_units[u].us, &part)
            || __builtin_add_overflow(total, part, &total))
            return KEFU_EINVAL;
    }
    if (total <= 0)
        return KEFU_EINVAL;
    *us_out = total;
    return 0;
}

static int s_ndigits(uint64_t v)
{
    int n = 1;
    while (v >= 10) {
        v /= 10;
        n++;
    }
    return n;
}

int ktime_format_duration(int64_t d_us, char *buf, size_t cap)
{
    char tmp[160];
    int n = 0;
    if (d_us < 0)
        tmp[n++] = '-';
    uint64_t mag = d_us < 0 ? -(uint64_t) d_us : (uint64_t) d_us;
    if (mag == 0)
        n += snprintf(tmp + n, sizeof tmp - (size_t) n, "0s");
    else {
        /* Try every set of units (largest-first greedy within the set) and
         * keep the shortest text; on a tie, fewer parts. 63 sets of six
         * divisions each: cheap, and it gives "90s" rather than "1m30s"
         * and "1d1s" rather than "86401s". */
        int best_mask = 0, best_len = 0, best_parts = 0;
        for (int mask = 1; mask < (1 << S_NUNITS); mask++) {
            uint64_t rem = mag;
            int len = 0, parts = 0;
            for (int u = 0; u < S_NUNITS; u++) {
                if (!(mask & (1 << u)))
                    continue;
                uint64_t c = rem / (uint64_t) s_units[u].us;
                rem -= c * (uint64_t) s_units[u].us;
                if (c) {
                    len += s_ndigits(c) + (int) strlen(s_units[u].name);
                    parts++;
                }
            }
            if (rem != 0)
                continue;
            if (!best_mask || len < best_len
                || (len == best_len && parts < best_parts)) {
                best_mask = mask;
                best_len = len;
                best_parts = parts;
            }
        }
        uint64_t rem = mag;
        for (int u = 0; u < S_NUNITS; u++) {
            if (!(best_mask & (1 << u)))
                continue;
            uint64_t c = rem / (uint64_t) s_units[u].us;
            rem -= c * (uint64_t) s_units[u].us;
            if (c)
                n += snprintf(tmp + n, sizeof tmp - (size_t) n, "%llu%s",
                              (unsigned long long) c, s_units[u].name);
        }
    }
    if ((size_t) n >= cap)
        return -1;
    memcpy(buf, tmp, (size_t) n + 1);
    return n;
}
