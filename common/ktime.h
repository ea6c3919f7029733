/* ktime.h: formatting and parsing of times and durations as users see them.
 *
 * Times are RFC 3339 with offset ("2026-11-23T09:30:00+08:00"); durations
 * are like "90s", "30m", "2h", "3d", also combined ("1h30m"). Values are
 * usec (see kclock.h). Parsers return 0 or KEFU_EINVAL and never accept
 * trailing garbage.
 */
#ifndef KEFU_KTIME_H
#define KEFU_KTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Parses an RFC 3339 time: "YYYY-MM-DDThh:mm:ss", an optional fraction of
 * 1-6 digits, then "Z" or "+hh:mm"/"-hh:mm". Returns 0 with *us_out set, or
 * KEFU_EINVAL for any other form, a field out of range (month 13, Feb 29
 * of a common year, hour 24, second 60, offset 24:00), more than 6
 * fraction digits, or trailing characters. */
int ktime_parse_rfc3339(const char *s, int64_t *us_out);
/* Writes t as RFC 3339 with the given offset in minutes east of UTC
 * (0 prints "Z"; |offset_min| < 24h, asserted); second precision unless t
 * has a sub-second part, then 6 fraction digits ("...:00.500000Z").
 * Returns the length written, or -1 if cap is too small (cap >= 40 is
 * enough) or t falls outside the years 0000-9999. */
int ktime_format_rfc3339(int64_t t_us, int offset_min, char *buf, size_t cap);
/* Parses a duration: one or more <digits><unit>, units d h m s ms us,
 * largest first, each at most once ("90s", "30m", "2h", "3d", "1h30m",
 * "500ms"). Returns 0 with *us_out set, or KEFU_EINVAL for an empty
 * string, a number without unit or unit without number, a sign, spaces,
 * a fraction, units out of order or repeated, a total of 0, or overflow. */
int ktime_parse_duration(const char *s, int64_t *us_out);
/* Writes d as the shortest duration string that ktime_parse_duration()
 * reads back to d (ties: fewer parts): 2h -> "2h", 90s -> "90s", 1h30m ->
 * "90m", 1d1s -> "1d1s", 0 -> "0s", -2h -> "-2h".
 * Returns the length written, or -1 if cap is too small (32 is enough). */
int ktime_format_duration(int64_t d_us, char *buf, size_t cap);

#define KTIME_SEC  1000000LL
#define KTIME_MIN  (60 * KTIME_SEC)
#define KTIME_HOUR (60 * KTIME_MIN)
#define KTIME_DAY  (24 * KTIME_HOUR)

/* The range RFC 3339 can write (years 0000-9999), in UTC:
 * 0000-01-01T00:00:00Z and 9999-12-31T23:59:59.999999Z. Business time
 * stays inside it: a simulated clock never moves past KTIME_MAX_US
 * (kclock_set, and the log daemon's clock advance refuses it). */
#define KTIME_MIN_US (-62167219200LL * KTIME_SEC)
#define KTIME_MAX_US (253402300800LL * KTIME_SEC - 1)

/* The calendar, proleptic Gregorian, in one place (deadline.c's working
 * days, kefuctl's --week and --month, RFC 3339 parsing): */
bool ktime_leap(int year);
/* Days in month m (1..12) of year. */
int ktime_days_in_month(int year, int m);
/* Days since 1970-01-01 of y-m-d (exact for every year; no timegm(), so
 * no TZ): H. Hinnant's days_from_civil. */
int64_t ktime_days_from_civil(int y, int m, int d);
/* Its inverse, civil_from_days: the date of day `days` since 1970-01-01
 * (any int64 day a year fits in int, else the year is clamped). */
void ktime_civil_from_days(int64_t days, int *y, int *m, int *d);
/* An offset from UTC, "+08:00" or "-05:30", in minutes. Returns 0, or
 * KEFU_EINVAL for anything else. */
int ktime_parse_offset(const char *s, int *min_out);
/* Division and modulo rounding down, so a time before 1970 falls in the
 * day (or week) that holds it. */
int64_t ktime_floor_div(int64_t a, int64_t b);
int64_t ktime_floor_mod(int64_t a, int64_t b);

#endif
