/* args.c: command-line values that several kefuctl commands read.
 *
 * Enum values are typed as the JSON shows them (pbjson.h): the value's
 * name without the enum's common prefix, lower-case, '-' for '_'
 * (CASE_KIND_COLOUR -> "colour", OUTCOME_CARRIER_CLAIM -> "carrier-claim").
 * The spelling is derived from the protobuf-c enum descriptor, the same
 * way pbjson prints it, so what kefuctl prints it also reads back, and a
 * value added to proto/ is accepted without code here. Value 0 is every
 * kefu enum's "unset" and is never accepted.
 *
 * Calendar periods (--week, --month) are local: a week starts at 00:00 of
 * its first day in the TZ of the machine kefuctl runs on, and mktime()
 * works out the offset of each end, so a period across a daylight-saving
 * change still has its ends at local midnight.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "kefuctl.h"
#include "pbdesc.h"

/* True if value v may be typed: not unset (0), not excluded. */
static bool s_enum_allowed(int v, uint32_t exclude)
{
    return v != 0 && !(v > 0 && v < 32 && (exclude & (UINT32_C(1) << v)));
}

int kctl_enum_choices(const ProtobufCEnumDescriptor *ed, uint32_t exclude, const char *sep,
                      char *buf, size_t cap)
{
    size_t len = 0;
    buf[0] = '\0';
    for (unsigned i = 0; i < ed->n_values; i++) {
        if (!s_enum_allowed(ed->values[i].value, exclude))
            continue;
        char name[64];
        pbdesc_enum_word(ed, ed->values[i].value, name, sizeof name);
        int n = snprintf(buf + len, cap - len, "%s%s", len ? sep : "", name);
        if (n < 0 || (size_t) n >= cap - len)
            return -1;
        len += (size_t) n;
    }
    return 0;
}

int kctl_parse_enum(kctl_t *ctx, const ProtobufCEnumDescriptor *ed, uint32_t exclude,
                    const char *what, const char *arg, int *out)
{
    for (unsigned i = 0; i < ed->n_values; i++) {
        if (!s_enum_allowed(ed->values[i].value, exclude))
            continue;
        char name[64];
        pbdesc_enum_word(ed, ed->values[i].value, name, sizeof name);
        if (strcmp(name, arg) == 0) {
            *out = ed->values[i].value;
            return KCTL_CONTINUE;
        }
    }
    char choices[512];
    if (kctl_enum_choices(ed, exclude, ", ", choices, sizeof choices) != 0)
        snprintf(choices, sizeof choices, "see --help");
    return kctl_usage(ctx, "bad %s '%s': one of %s", what, arg, choices);
}

/* ---- calendar periods ------------------------------------------------------- */

static bool s_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int s_days_in_month(int y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && s_leap(y) ? 29 : days[m - 1];
}

/* n digits at s as a number, or -1 if they are not all digits. */
static int s_digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* Local midnight starting day d of month m (1-based, may run past the end
 * of the month or year: mktime() carries) of year y, in usec. Returns 0
 * or -1 when the time cannot be represented. */
static int s_local_midnight(int y, int m, int d, int64_t *us)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    tm.tm_year = y - 1900;
    tm.tm_mon = m - 1;
    tm.tm_mday = d;
    tm.tm_isdst = -1;  /* whatever is in force that day */
    tzset();
    errno = 0;
    time_t t = mktime(&tm);
    if (t == (time_t) -1 && errno != 0)
        return -1;
    *us = (int64_t) t * 1000000;
    return 0;
}

int kctl_parse_week(const char *s, int64_t *from, int64_t *to)
{
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return -1;
    int y = s_digits(s, 4), m = s_digits(s + 5, 2), d = s_digits(s + 8, 2);
    if (y < 1970 || m < 1 || m > 12 || d < 1 || d > s_days_in_month(y, m))
        return -1;
    if (s_local_midnight(y, m, d, from) != 0 || s_local_midnight(y, m, d + 7, to) != 0)
        return -1;
    return 0;
}

int kctl_parse_month(const char *s, int64_t *from, int64_t *to)
{
    if (strlen(s) != 7 || s[4] != '-')
        return -1;
    int y = s_digits(s, 4), m = s_digits(s + 5, 2);
    if (y < 1970 || m < 1 || m > 12)
        return -1;
    if (s_local_midnight(y, m, 1, from) != 0 || s_local_midnight(y, m + 1, 1, to) != 0)
        return -1;
    return 0;
}
