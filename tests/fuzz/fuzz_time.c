/* fuzz_time.c: times, durations, offsets (common/ktime.h) and the
 * deadline policy's grammar and calendar (common/deadline.h), as users
 * type them in flags, requests and the configuration.
 *
 * The input is lines: a time, a duration, a deadline spec, then
 * calendar.hours, calendar.workdays, calendar.holidays and
 * calendar.utc_offset; its last 16 bytes are also two start times.
 * Round trips must hold: a parsed time or duration formats and parses
 * back to itself, and so does any duration > 0 and any time in range
 * formatted first. A calendar kconfig takes must make a policy; a spec
 * deadline_spec_check() takes must give a due time (or refuse its range
 * only), one it refuses must be refused by deadline_spec_due() too; a
 * due time is never before its start; working time between a and b is
 * within [0, b - a] and the negative of b to a.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deadline.h"
#include "kconfig.h"
#include "kerr.h"
#include "ktime.h"
#include "registry.h"

static int64_t s_i64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return (int64_t) v;
}

static void s_time_round_trip(int64_t t, int off)
{
    char buf[64];
    int n = ktime_format_rfc3339(t, off, buf, sizeof buf);
    if (n < 0)
        return;   /* outside 0000-9999 */
    int64_t back;
    if ((size_t) n != strlen(buf) || ktime_parse_rfc3339(buf, &back) != 0 || back != t)
        abort();
}

static void s_duration_round_trip(int64_t d)
{
    char buf[64];
    int n = ktime_format_duration(d, buf, sizeof buf);
    if (n < 0 || (size_t) n != strlen(buf))
        abort();
    int64_t back;
    if (d > 0 && (ktime_parse_duration(buf, &back) != 0 || back != d))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int64_t a = 0, b = 0;
    size_t tlen = size;
    if (size >= 16) {
        a = s_i64(data + size - 16);
        b = s_i64(data + size - 8);
        tlen = size - 16;
    }
    char *text = malloc(tlen + 1);
    if (!text)
        abort();
    memcpy(text, data, tlen);
    text[tlen] = '\0';
    char *f[7] = {""};
    for (int i = 0; i < 7; i++)
        f[i] = "";
    char *p = text;
    for (int i = 0; i < 7 && p; i++) {
        f[i] = p;
        p = strchr(p, '\n');
        if (p)
            *p++ = '\0';
    }

    int64_t t, d;
    int off;
    if (ktime_parse_rfc3339(f[0], &t) == 0)
        s_time_round_trip(t, 0);
    if (ktime_parse_duration(f[1], &d) == 0) {
        if (d <= 0)
            abort();
        s_duration_round_trip(d);
    }
    if (ktime_parse_offset(f[6], &off) == 0 && (off <= -24 * 60 || off >= 24 * 60))
        abort();
    s_duration_round_trip(a);
    s_time_round_trip(a, (int) (b % (24 * 60)));

    /* the deadline policy on the calendar of the input */
    kconfig_t *c = kconfig_new(registry_key_tables);
    static const char *const keys[] = {"calendar.hours", "calendar.workdays",
                                       "calendar.holidays", "calendar.utc_offset"};
    char err[512], set[4096 + 64];
    for (int i = 0; i < 4; i++) {
        snprintf(set, sizeof set, "%s=%s", keys[i], f[3 + i]);
        int rc = kconfig_set(c, set, err, sizeof err);
        if (rc != 0 && rc != KEFU_EINVAL)
            abort();
    }
    deadline_policy_t *pol = deadline_policy_new(c, err, sizeof err);
    if (!pol)
        abort();   /* kconfig took a calendar the policy refuses */
    int64_t start = a % (KTIME_MAX_US / 2), due;
    int chk = deadline_spec_check(f[2]);
    int rc = deadline_spec_due(pol, f[2], start, &due);
    if (chk != 0 && rc == 0)
        abort();
    if (rc == 0 && due < start)
        abort();
    rc = deadline_policy_due(pol, "complaint_simple", start, &due);
    if (rc == 0 && due < start)
        abort();
    deadline_pause_t pause = {start, start + (b & 0xffffffffff)};
    rc = deadline_policy_due_paused(pol, "complaint_complex", start, &pause, 1, &due);
    if (rc == 0 && due < start)
        abort();
    int64_t lo = start, hi = start + (b & 0xfffffffffff);
    int64_t w = deadline_work_between(pol, lo, hi);
    if (w < 0 || w > hi - lo || deadline_work_between(pol, hi, lo) != -w)
        abort();
    deadline_policy_destroy(&pol);
    kconfig_destroy(&c);
    free(text);
    return 0;
}
