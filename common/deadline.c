/* deadline.c: the deadline policy (see deadline.h for the spec grammar and
 * the calendar).
 *
 * Time model. All calendar arithmetic happens on "local usec": UTC usec
 * plus the configured offset. A local day number is floor(local / 1 day)
 * (day 0 is 1970-01-01, a Thursday), and a day's working span is
 * [day * DAY + open, day * DAY + close). Offsets are fixed (China has no
 * daylight saving), so a day is always 24 hours and this stays exact.
 *
 * Working-time walks ("@work" and deadline_work_between) go day by day,
 * but skip whole weeks at once where no holiday lies in them: a week then
 * holds exactly week_us of working time. So "3650d@work" or the working
 * time of a decade costs a few hundred steps, and the number of day steps
 * is bounded by about 7 per holiday plus 14.
 *
 * Every result is kept inside the years 0000-9999: a larger duration would
 * overflow int64 in day * DAY, and ktime cannot show such a time anyway.
 */
#include "deadline.h"

#include <assert.h>
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kerr.h"
#include "ktime.h"

/* What a spec says once parsed. */
typedef enum { S_WALL, S_WORK, S_SAME_DAY, S_NEXT_DAY } s_kind_t;

typedef struct {
    s_kind_t kind;
    int64_t dur_us;   /* S_WALL, S_WORK */
} s_spec_t;

/* A rule: one [sla] key of the configuration. Every [sla] key is one,
 * whoever owns it (intake's services/intake/intake_keys.c, the site's
 * common/site_keys.c, a new daemon's table), so a daemon that adds a
 * deadline to its table adds nothing here. */
typedef struct {
    char *name;   /* owned: the key without "sla." ("complaint_simple") */
    s_spec_t spec;
    char *text;   /* owned: the value as configured */
} s_rule_t;

#define S_RULE_SECTION "sla."

struct deadline_policy_t {
    int64_t offset_us;     /* local = utc + offset */
    int offset_min;
    int64_t open_us;       /* since local midnight */
    int64_t close_us;
    unsigned workdays;     /* bit 0 Monday .. bit 6 Sunday */
    int64_t week_us;       /* working time in a week without holidays */
    int64_t *holidays;     /* owned; sorted local day numbers */
    size_t nholidays;
    s_rule_t *rules;       /* owned; nrules of them */
    size_t nrules;
};

static const char *const s_day_names[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

/* Local day numbers of 0000-01-01 and 9999-12-31: the range kept to. */
#define S_MIN_DAY (-719528LL)
#define S_MAX_DAY 2932896LL

/* ---- helpers ------------------------------------------------------------ */

/* Reads exactly n digits at *p. */
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

/* "h:mm" or "hh:mm" at *p as minutes since midnight, hour <= 24 and
 * 24 only as 24:00 (a close at midnight). */
static bool s_clock(const char **p, int *min_out)
{
    int h, m;
    const char *q = *p;
    if (!s_digits(&q, 1, &h))
        return false;
    int h2;
    if (s_digits(&q, 1, &h2))
        h = h * 10 + h2;
    if (*q != ':')
        return false;
    q++;
    if (!s_digits(&q, 2, &m) || m > 59 || h > 24 || (h == 24 && m != 0))
        return false;
    *p = q;
    *min_out = h * 60 + m;
    return true;
}

/* ---- specs ---------------------------------------------------------------- */

static int s_spec_parse(const char *spec, s_spec_t *out)
{
    if (!spec)
        return KEFU_EINVAL;
    if (strcmp(spec, "same-day") == 0) {
        *out = (s_spec_t) {.kind = S_SAME_DAY};
        return 0;
    }
    if (strcmp(spec, "next-day") == 0) {
        *out = (s_spec_t) {.kind = S_NEXT_DAY};
        return 0;
    }
    const char *at = strchr(spec, '@');
    if (!at) {
        int64_t us;
        if (ktime_parse_duration(spec, &us) != 0)
            return KEFU_EINVAL;
        *out = (s_spec_t) {.kind = S_WALL, .dur_us = us};
        return 0;
    }
    if (strcmp(at + 1, "work") != 0)
        return KEFU_EINVAL;
    /* ktime parses whole strings: copy the duration part out. No valid
     * duration is near 64 bytes (int64 usec have 19 digits). */
    char dur[64];
    size_t n = (size_t) (at - spec);
    if (n == 0 || n >= sizeof dur)
        return KEFU_EINVAL;
    memcpy(dur, spec, n);
    dur[n] = '\0';
    int64_t us;
    if (ktime_parse_duration(dur, &us) != 0)
        return KEFU_EINVAL;
    *out = (s_spec_t) {.kind = S_WORK, .dur_us = us};
    return 0;
}

int deadline_spec_check(const char *spec)
{
    s_spec_t s;
    return s_spec_parse(spec, &s);
}

/* ---- calendar values --------------------------------------------------- */

/* Values are quoted in messages cut at 40 bytes, like kconfig's. */
#define S_Q(v) (strlen(v) > 40 ? 40 : (int) strlen(v)), (v), (strlen(v) > 40 ? "..." : "")

static int s_parse_offset(const char *v, int *min_out, char *err, size_t cap)
{
    if (ktime_parse_offset(v, min_out) != 0) {
        kefu_err_printf(err, cap, "\"%.*s%s\" is not an offset from UTC like +08:00 or -05:30", S_Q(v));
        return KEFU_EINVAL;
    }
    return 0;
}

static int s_parse_hours(const char *v, int *open_min, int *close_min, char *err, size_t cap)
{
    const char *p = v;
    int a, b;
    if (!s_clock(&p, &a) || *p++ != '-' || !s_clock(&p, &b) || *p != '\0') {
        kefu_err_printf(err, cap, "\"%.*s%s\" is not working hours like 08:30-17:30", S_Q(v));
        return KEFU_EINVAL;
    }
    /* One span within one day keeps every working day's time in that day;
     * a night shift across midnight is not a desk's reply window. */
    if (a >= b) {
        kefu_err_printf(err, cap, "\"%.*s%s\" ends before it starts; hours lie within one day",
              S_Q(v));
        return KEFU_EINVAL;
    }
    *open_min = a;
    *close_min = b;
    return 0;
}

/* Reads a day name at *p (3 letters, any case): 0 Monday .. 6 Sunday. */
static int s_day_name(const char **p)
{
    for (int i = 0; i < 7; i++)
        if (strncasecmp(*p, s_day_names[i], 3) == 0 && !isalpha((unsigned char) (*p)[3])) {
            *p += 3;
            return i;
        }
    return -1;
}

static int s_parse_workdays(const char *v, unsigned *mask_out, char *err, size_t cap)
{
    unsigned mask = 0;
    const char *p = v + strspn(v, " \t");
    /* "@work" would never end on a calendar without a working day. */
    if (*p == '\0') {
        kefu_err_printf(err, cap, "no working day given; write days like mon-sat or mon,tue,thu");
        return KEFU_EINVAL;
    }
    for (;;) {
        while (*p == ' ' || *p == '\t')
            p++;
        const char *bad = p;   /* where a day name should be */
        int a = s_day_name(&p), b = a;
        if (a >= 0 && *p == '-') {
            p++;
            bad = p;
            b = s_day_name(&p);
        }
        while (*p == ' ' || *p == '\t')
            p++;
        if (a >= 0 && b >= 0 && *p != ',' && *p != '\0')
            bad = p;
        if (a < 0 || b < 0 || (*p != ',' && *p != '\0')) {
            /* Name the piece that is wrong: in "mon-xyz" it is "xyz". */
            size_t n = strcspn(bad, ",- \t");
            if (n == 0)
                n = *bad ? 1 : 0;
            kefu_err_printf(err, cap, "\"%.*s%s\": \"%.*s\" is not a day (mon..sun); write days "
                  "like mon-sat or mon,tue,thu", S_Q(v), n > 20 ? 20 : (int) n, bad);
            return KEFU_EINVAL;
        }
        /* A range may wrap past Sunday ("sat-mon"): walk it forward. */
        for (int d = a;; d = (d + 1) % 7) {
            mask |= 1u << d;
            if (d == b)
                break;
        }
        if (*p == '\0')
            break;
        p++;   /* ',' */
    }
    *mask_out = mask;
    return 0;
}

static int s_cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
    return (x > y) - (x < y);
}

/* Parses the holiday list; with days_out NULL only checks it. On success
 * *days_out is a sorted malloc'd array the caller frees (NULL if empty). */
static int s_parse_holidays(const char *v, int64_t **days_out, size_t *n_out, char *err,
                            size_t cap)
{
    const char *p = v;
    while (*p == ' ' || *p == '\t')
        p++;
    size_t n = 0, room = 0;
    int64_t *days = NULL;
    while (*p) {
        const char *item = p;
        int y, m, d;
        bool ok = s_digits(&p, 4, &y) && *p++ == '-' && s_digits(&p, 2, &m) && *p++ == '-'
                  && s_digits(&p, 2, &d) && m >= 1 && m <= 12 && d >= 1
                  && d <= ktime_days_in_month(y, m);
        while (ok && (*p == ' ' || *p == '\t'))
            p++;
        if (!ok || (*p != ',' && *p != '\0')) {
            size_t len = strcspn(item, ",");
            kefu_err_printf(err, cap, "holiday \"%.*s\" is not a date YYYY-MM-DD",
                  len > 20 ? 20 : (int) len, item);
            free(days);
            return KEFU_EINVAL;
        }
        if (days_out) {
            if (n == room) {
                room = room ? room * 2 : 16;
                int64_t *more = realloc(days, room * sizeof *days);
                if (!more)
                    abort();
                days = more;
            }
            days[n] = ktime_days_from_civil(y, m, d);
        }
        n++;
        if (*p == ',') {
            p++;
            while (*p == ' ' || *p == '\t')
                p++;
            if (*p == '\0') {
                kefu_err_printf(err, cap, "\"%.*s%s\" ends with a comma", S_Q(v));
                free(days);
                return KEFU_EINVAL;
            }
        }
    }
    if (days_out) {
        if (n > 1)
            qsort(days, n, sizeof *days, s_cmp_i64);
        *days_out = days;
        *n_out = n;
    }
    return 0;
}

int deadline_calendar_check(const char *key, const char *value, char *err, size_t cap)
{
    assert(key && value);
    int a, b;
    unsigned mask;
    if (strcmp(key, "calendar.utc_offset") == 0)
        return s_parse_offset(value, &a, err, cap);
    if (strcmp(key, "calendar.hours") == 0)
        return s_parse_hours(value, &a, &b, err, cap);
    if (strcmp(key, "calendar.workdays") == 0)
        return s_parse_workdays(value, &mask, err, cap);
    if (strcmp(key, "calendar.holidays") == 0)
        return s_parse_holidays(value, NULL, NULL, err, cap);
    kefu_err_printf(err, cap, "%s is not a calendar key", key);
    return KEFU_ENOTFOUND;
}

int deadline_key_check_spec(const kconfig_key_t *key, const char *value, char *what,
                            size_t cap)
{
    assert(key && value);
    if (deadline_spec_check(value) == 0)
        return 0;
    kefu_err_printf(what, cap, "\"%.*s%s\" is not a deadline like 24h, 4h30m@work, same-day or next-day",
          S_Q(value));
    return KEFU_EINVAL;
}

int deadline_key_check_calendar(const kconfig_key_t *key, const char *value, char *what,
                                size_t cap)
{
    assert(key && value);
    /* A row of another key with this check is a bug in a table: the
     * ENOTFOUND says so at kconfig_new (its default fails). */
    return deadline_calendar_check(key->key, value, what, cap) == 0 ? 0 : KEFU_EINVAL;
}

/* ---- policy ------------------------------------------------------------- */

/* The value of key, which kconfig's table must have: a missing one is a
 * bug in the program (the two tables disagree), not in the input. */
static const char *s_get(const kconfig_t *config, const char *key)
{
    const char *v = kconfig_get(config, key);
    if (!v) {
        fprintf(stderr, "deadline: kconfig has no key %s\n", key);
        abort();
    }
    return v;
}

deadline_policy_t *deadline_policy_new(const kconfig_t *config, char *err, size_t cap)
{
    assert(config);
    deadline_policy_t *self = calloc(1, sizeof *self);
    if (!self)
        abort();
    static const char *const cal_keys[] = {
        "calendar.utc_offset", "calendar.hours", "calendar.workdays", "calendar.holidays",
    };
    char msg[256];
    int off = 0, open = 0, close = 0;
    const char *bad = NULL;
    if (s_parse_offset(s_get(config, cal_keys[0]), &off, msg, sizeof msg) != 0)
        bad = cal_keys[0];
    else if (s_parse_hours(s_get(config, cal_keys[1]), &open, &close, msg, sizeof msg) != 0)
        bad = cal_keys[1];
    else if (s_parse_workdays(s_get(config, cal_keys[2]), &self->workdays, msg, sizeof msg)
             != 0)
        bad = cal_keys[2];
    else if (s_parse_holidays(s_get(config, cal_keys[3]), &self->holidays, &self->nholidays,
                              msg, sizeof msg) != 0)
        bad = cal_keys[3];
    if (bad) {
        kefu_err_printf(err, cap, "%s: %s", bad, msg);
        deadline_policy_destroy(&self);
        return NULL;
    }
    self->offset_min = off;
    self->offset_us = (int64_t) off * KTIME_MIN;
    self->open_us = (int64_t) open * KTIME_MIN;
    self->close_us = (int64_t) close * KTIME_MIN;
    self->week_us = __builtin_popcount(self->workdays) * (self->close_us - self->open_us);

    size_t nkeys = kconfig_count(config);
    self->rules = calloc(nkeys ? nkeys : 1, sizeof *self->rules);
    if (!self->rules)
        abort();
    for (size_t i = 0; i < nkeys; i++) {
        const kconfig_key_t *row = kconfig_key(config, i);
        const char *key = row->key;
        /* a rule is a deadline key of [sla] (DEADLINE_KEY); the section's
         * other keys (sla.warn_share, sla.level2_after) are not rules */
        if (strncmp(key, S_RULE_SECTION, strlen(S_RULE_SECTION)) != 0 ||
            row->read != KCONFIG_READ_DEADLINE)
            continue;
        const char *v = s_get(config, key);
        s_rule_t *r = &self->rules[self->nrules];
        if (s_spec_parse(v, &r->spec) != 0) {
            kefu_err_printf(err, cap, "%s: \"%.*s%s\" is not same-day, next-day, a duration like 24h "
                  "or working time like 4h30m@work", key, S_Q(v));
            deadline_policy_destroy(&self);
            return NULL;
        }
        r->name = strdup(key + strlen(S_RULE_SECTION));
        r->text = strdup(v);
        if (!r->name || !r->text)
            abort();
        self->nrules++;
    }
    return self;
}

void deadline_policy_destroy(deadline_policy_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    deadline_policy_t *self = *self_p;
    for (size_t i = 0; i < self->nrules; i++) {
        free(self->rules[i].name);
        free(self->rules[i].text);
    }
    free(self->rules);
    free(self->holidays);
    free(self);
    *self_p = NULL;
}

int64_t deadline_policy_workday_us(const deadline_policy_t *self)
{
    assert(self);
    return self->close_us - self->open_us;
}

int deadline_policy_utc_offset_min(const deadline_policy_t *self)
{
    assert(self);
    return self->offset_min;
}

static const s_rule_t *s_rule(const deadline_policy_t *self, const char *rule)
{
    for (size_t i = 0; i < self->nrules; i++)
        if (strcmp(self->rules[i].name, rule) == 0)
            return &self->rules[i];
    return NULL;
}

const char *deadline_policy_spec(const deadline_policy_t *self, const char *rule)
{
    assert(self && rule);
    const s_rule_t *r = s_rule(self, rule);
    return r ? r->text : NULL;
}

/* ---- the calendar walk -------------------------------------------------- */

/* Index of the first holiday >= day (nholidays if none). */
static size_t s_holiday_at_or_after(const deadline_policy_t *self, int64_t day)
{
    size_t lo = 0, hi = self->nholidays;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (self->holidays[mid] < day)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Whole weeks from day on that hold no holiday, capped at max_weeks. */
static int64_t s_free_weeks(const deadline_policy_t *self, int64_t day, int64_t max_weeks)
{
    size_t i = s_holiday_at_or_after(self, day);
    if (i < self->nholidays) {
        int64_t w = (self->holidays[i] - day) / 7;
        if (w < max_weeks)
            return w;
    }
    return max_weeks;
}

static bool s_is_workday(const deadline_policy_t *self, int64_t day)
{
    int wd = (int) ktime_floor_mod(day + 3, 7);   /* day 0, 1970-01-01, was a Thursday */
    if (!(self->workdays & (1u << wd)))
        return false;
    size_t i = s_holiday_at_or_after(self, day);
    return !(i < self->nholidays && self->holidays[i] == day);
}

/* The first working day >= day into *out; false past year 9999. The walk
 * is short: workdays is never empty and holidays are finite. */
static bool s_next_workday(const deadline_policy_t *self, int64_t day, int64_t *out)
{
    for (; day <= S_MAX_DAY; day++)
        if (s_is_workday(self, day)) {
            *out = day;
            return true;
        }
    return false;
}

/* utc_us as a local time; false outside the years kept to. */
static bool s_local(const deadline_policy_t *self, int64_t utc_us, int64_t *local_us)
{
    if (__builtin_add_overflow(utc_us, self->offset_us, local_us))
        return false;
    int64_t day = ktime_floor_div(*local_us, KTIME_DAY);
    return day >= S_MIN_DAY && day <= S_MAX_DAY;
}

/* The close of working day `day`, as UTC. */
static int64_t s_close_utc(const deadline_policy_t *self, int64_t day)
{
    return day * KTIME_DAY + self->close_us - self->offset_us;
}

/* The day "same-day" ends on for a start at local time l. */
static bool s_same_day(const deadline_policy_t *self, int64_t l, int64_t *day_out)
{
    int64_t day = ktime_floor_div(l, KTIME_DAY);
    int64_t tod = l - day * KTIME_DAY;
    if (s_is_workday(self, day) && tod < self->close_us) {
        *day_out = day;
        return true;
    }
    return s_next_workday(self, day + 1, day_out);
}

int deadline_policy_last_close(const deadline_policy_t *self, int64_t at_us, int64_t *close_us,
                               char *date, size_t cap)
{
    assert(self && close_us && date);
    int64_t l;
    if (!s_local(self, at_us, &l) || cap < DEADLINE_DATE_MAX)
        return KEFU_EINVAL;
    int64_t day = ktime_floor_div(l, KTIME_DAY);
    if (l - day * KTIME_DAY < self->close_us)
        day--;  /* today has not closed yet (or is no working day: no matter) */
    /* back to a working day: a short walk, workdays is never empty and
     * holidays are finite */
    while (day >= S_MIN_DAY && !s_is_workday(self, day))
        day--;
    if (day < S_MIN_DAY)
        return KEFU_ENOTFOUND;
    int y, m, d;
    ktime_civil_from_days(day, &y, &m, &d);
    snprintf(date, cap, "%04d-%02d-%02d", y, m, d);
    *close_us = s_close_utc(self, day);
    return 0;
}

int deadline_policy_close_of(const deadline_policy_t *self, const char *date, int64_t *close_us)
{
    assert(self && close_us);
    const char *p = date ? date : "";
    int y, m, d;
    if (!(s_digits(&p, 4, &y) && *p++ == '-' && s_digits(&p, 2, &m) && *p++ == '-' &&
          s_digits(&p, 2, &d) && *p == '\0' && m >= 1 && m <= 12 && d >= 1 &&
          d <= ktime_days_in_month(y, m)))
        return KEFU_EINVAL;
    int64_t day = ktime_days_from_civil(y, m, d);
    if (day < S_MIN_DAY || day > S_MAX_DAY)
        return KEFU_EINVAL;
    if (!s_is_workday(self, day))
        return KEFU_ENOTFOUND;
    *close_us = s_close_utc(self, day);
    return 0;
}

/* Adds rem of working time to local time l. */
static int s_add_work(const deadline_policy_t *self, int64_t l, int64_t rem, int64_t *due_us)
{
    int64_t day = ktime_floor_div(l, KTIME_DAY);
    int64_t from = l;   /* where counting may start on `day` */
    for (;;) {
        if (day > S_MAX_DAY)
            return KEFU_EINVAL;
        if (s_is_workday(self, day)) {
            int64_t open = day * KTIME_DAY + self->open_us;
            int64_t close = day * KTIME_DAY + self->close_us;
            if (from < open)
                from = open;
            if (from < close) {
                if (rem <= close - from) {
                    *due_us = from + rem - self->offset_us;
                    return 0;
                }
                rem -= close - from;
            }
        }
        day++;
        from = day * KTIME_DAY;
        /* Skip whole holiday-free weeks, leaving the last (partial) one to
         * the day steps: (rem - 1) / week keeps rem > 0 after the skip. */
        if (rem > self->week_us) {
            int64_t weeks = s_free_weeks(self, day, (rem - 1) / self->week_us);
            if (weeks > (S_MAX_DAY - day) / 7 + 1)
                return KEFU_EINVAL;
            day += weeks * 7;
            rem -= weeks * self->week_us;
            from = day * KTIME_DAY;
        }
    }
}

static int s_due(const deadline_policy_t *self, const s_spec_t *spec, int64_t start_us,
                 int64_t *due_us)
{
    int64_t l, day;
    if (!s_local(self, start_us, &l))
        return KEFU_EINVAL;
    int rc = 0;
    int64_t due = 0;
    switch (spec->kind) {
    case S_WALL:
        /* Plain addition, nights and holidays included; checked against
         * the same year range as everything else. */
        if (__builtin_add_overflow(start_us, spec->dur_us, &due) || !s_local(self, due, &l))
            rc = KEFU_EINVAL;
        break;
    case S_WORK:
        rc = s_add_work(self, l, spec->dur_us, &due);
        break;
    case S_SAME_DAY:
        if (!s_same_day(self, l, &day))
            rc = KEFU_EINVAL;
        else
            due = s_close_utc(self, day);
        break;
    case S_NEXT_DAY:
        if (!s_same_day(self, l, &day) || !s_next_workday(self, day + 1, &day))
            rc = KEFU_EINVAL;
        else
            due = s_close_utc(self, day);
        break;
    }
    if (rc == 0)
        *due_us = due;
    return rc;
}

int deadline_policy_due(const deadline_policy_t *self, const char *rule, int64_t start_us,
                        int64_t *due_us)
{
    assert(self && rule && due_us);
    const s_rule_t *r = s_rule(self, rule);
    if (!r)
        return KEFU_ENOTFOUND;
    return s_due(self, &r->spec, start_us, due_us);
}

int deadline_spec_due(const deadline_policy_t *self, const char *spec, int64_t start_us,
                      int64_t *due_us)
{
    assert(self && due_us);
    s_spec_t s;
    int rc = s_spec_parse(spec, &s);
    if (rc != 0)
        return rc;
    return s_due(self, &s, start_us, due_us);
}

int deadline_duration_due(const deadline_policy_t *self, int64_t dur_us, int64_t start_us,
                          int64_t *due_us)
{
    assert(self && due_us);
    if (dur_us <= 0)
        return KEFU_EINVAL;
    s_spec_t s = {.kind = S_WALL, .dur_us = dur_us};
    return s_due(self, &s, start_us, due_us);
}

int deadline_next_clock(const deadline_policy_t *self, int64_t now_us, unsigned minute,
                        int64_t *at_us)
{
    assert(self && at_us);
    int64_t l, t;
    if (minute >= 24 * 60 || !s_local(self, now_us, &l))
        return KEFU_EINVAL;
    /* today's, in local time; the next one if it is not ahead of now */
    t = ktime_floor_div(l, KTIME_DAY) * KTIME_DAY + (int64_t) minute * KTIME_MIN - self->offset_us;
    if (t <= now_us)
        t += KTIME_DAY;
    if (!s_local(self, t, &l))
        return KEFU_EINVAL;
    *at_us = t;
    return 0;
}

/* Clamps a UTC time into the years kept to, as local time. */
static int64_t s_clamp_local(const deadline_policy_t *self, int64_t utc_us)
{
    int64_t lo = S_MIN_DAY * KTIME_DAY, hi = (S_MAX_DAY + 1) * KTIME_DAY;
    int64_t l;
    if (__builtin_add_overflow(utc_us, self->offset_us, &l))
        return utc_us < 0 ? lo : hi;
    return l < lo ? lo : l > hi ? hi : l;
}

int64_t deadline_work_between(const deadline_policy_t *self, int64_t a_us, int64_t b_us)
{
    assert(self);
    if (b_us < a_us)
        return -deadline_work_between(self, b_us, a_us);
    int64_t la = s_clamp_local(self, a_us), lb = s_clamp_local(self, b_us);
    int64_t da = ktime_floor_div(la, KTIME_DAY), db = ktime_floor_div(lb, KTIME_DAY);
    int64_t sum = 0;
    for (int64_t day = da; day <= db;) {
        /* Days strictly between da and db are whole days: skip the
         * holiday-free weeks among them at once. */
        if (day > da && db - day > 7) {
            int64_t weeks = s_free_weeks(self, day, (db - day - 1) / 7);
            if (weeks > 0) {
                sum += weeks * self->week_us;
                day += weeks * 7;
                continue;
            }
        }
        if (s_is_workday(self, day)) {
            int64_t open = day * KTIME_DAY + self->open_us;
            int64_t close = day * KTIME_DAY + self->close_us;
            int64_t lo = la > open ? la : open, hi = lb < close ? lb : close;
            if (hi > lo)
                sum += hi - lo;
        }
        day++;
    }
    return sum;
}

int deadline_policy_due_paused(const deadline_policy_t *self, const char *rule, int64_t start_us,
                               const deadline_pause_t *pauses, size_t n, int64_t *due_us)
{
    assert(self && rule && due_us && (pauses || n == 0));
    const s_rule_t *r = s_rule(self, rule);
    if (!r)
        return KEFU_ENOTFOUND;
    if (r->spec.kind == S_SAME_DAY || r->spec.kind == S_NEXT_DAY)
        return s_due(self, &r->spec, start_us, due_us);  /* fixed to the calendar */
    /* The obligation's clock runs from cur with `left` to go; each pause
     * that begins before the due time stops it until the pause ends. */
    s_spec_t left = r->spec;
    int64_t cur = start_us;
    for (size_t i = 0; i < n; i++) {
        const deadline_pause_t *p = &pauses[i];
        if (p->to != 0 && p->to <= cur)
            continue;  /* over before the clock got there */
        if (p->from > cur) {
            int64_t due;
            int rc = s_due(self, &left, cur, &due);
            if (rc)
                return rc;
            if (due <= p->from) {
                *due_us = due;  /* met before this pause began */
                return 0;
            }
            left.dur_us -= left.kind == S_WALL ? p->from - cur
                                               : deadline_work_between(self, cur, p->from);
        }
        if (p->to == 0) {
            *due_us = INT64_MAX;  /* paused now: no due time until it resumes */
            return 0;
        }
        cur = p->to;
    }
    return s_due(self, &left, cur, due_us);
}
