/* ktime.h: formatting and parsing of times and durations as users see them.
 *
 * Times are RFC 3339 with offset ("2026-11-23T09:30:00+08:00"); durations
 * are like "90s", "30m", "2h", "3d", also combined ("1h30m"). Values are
 * usec (see kclock.h). Parsers return 0 or KEFU_EINVAL and never accept
 * trailing garbage.
 */
#ifndef KEFU_KTIME_H
#define KEFU_KTIME_H

#include <stddef.h>
#include <stdint.h>

/* Parses an RFC 3339 time ("Z" or "+hh:mm" offset, optional fraction). */
int ktime_parse_rfc3339(const char *s, int64_t *us_out);
/* Writes t as RFC 3339 with the given offset in minutes east of UTC
 * (0 prints "Z"); second precision unless t has a sub-second part.
 * Returns the length written, or -1 if cap is too small (cap >= 40 is enough). */
int ktime_format_rfc3339(int64_t t_us, int offset_min, char *buf, size_t cap);
/* Parses a duration ("90s", "30m", "2h", "3d", "1h30m", "500ms"); must be > 0. */
int ktime_parse_duration(const char *s, int64_t *us_out);
/* Writes d as the shortest duration string ("2h", "1h30m", "90s").
 * Returns the length written, or -1 if cap is too small (32 is enough). */
int ktime_format_duration(int64_t d_us, char *buf, size_t cap);

#define KTIME_SEC  1000000LL
#define KTIME_MIN  (60 * KTIME_SEC)
#define KTIME_HOUR (60 * KTIME_MIN)
#define KTIME_DAY  (24 * KTIME_HOUR)

#endif
