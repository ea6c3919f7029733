/* deadline.h: the deadline policy, the one place in kefu where a due time
 * is computed. Intake (complaint reply deadlines), sched (rework, rush) and
 * the SLA watchers all ask it, so a rule such as "prints are reworked the
 * same day" (domain.md §2, 000 §四) means the same instant everywhere.
 *
 * A policy is built once from the configuration: the [sla] rules and the
 * site's working calendar. It keeps its own copy of both (the kconfig_t
 * may go away afterwards) and never reads a clock: every start time is
 * passed in, as usec since 1970 UTC (kclock.h).
 *
 * Spec grammar (the value of an [sla] key, or an ad-hoc spec string):
 *
 *   spec     = duration               wall-clock time added to the start
 *            | duration "@work"       that much WORKING time
 *            | "same-day" | "next-day"
 *   duration = ktime_parse_duration() ("2h", "90m", "1h30m", "3d"; > 0,
 *              no sign, no spaces)
 *
 *   "2h"          start + 2 hours, nights and Sundays included.
 *   "4h30m@work"  counted only inside calendar.hours on working days: with
 *                 hours 08:30-17:30 it is half a 9-hour working day (the
 *                 "half a working day" of 003 第二篇 三). A case opened at
 *                 16:00 has 1h30m left that day and is due the next working
 *                 day at 08:30 + 3h = 11:30. A start outside working time
 *                 counts from the next opening; a due time that lands
 *                 exactly on a closing time stays there (17:30, not 08:30
 *                 of the next working day).
 *   "same-day"    the close of the working day the start falls in. A start
 *                 at or after the close (working hours are [open, close):
 *                 at 17:30 the day is over), or on a non-working day, gets
 *                 the close of the next working day. A start before the
 *                 opening of a working day gets that day's close.
 *   "next-day"    the close of the working day after the one "same-day"
 *                 gives.
 *
 * Calendar ([calendar] keys; local time is the configured utc_offset,
 * never the machine's TZ, so results do not depend on where a daemon runs):
 *   utc_offset = +08:00        "+hh:mm" or "-hh:mm", under 24 hours
 *   hours      = 08:30-17:30   "h:mm-h:mm" (hour 1 or 2 digits), open before
 *                              close, both within one day (close may be
 *                              24:00); one span a day, no lunch break
 *   workdays   = mon-sat       days and ranges, comma separated:
 *                              "mon-fri", "mon,tue,thu", "mon-wed,sat";
 *                              a range may wrap ("sat-mon"); case-blind
 *   holidays   =               comma list of YYYY-MM-DD (local dates) that
 *                              are not working days; empty: none
 * Due times are limited to the years 0000-9999 (what ktime formats).
 */
#ifndef KEFU_DEADLINE_H
#define KEFU_DEADLINE_H

#include <stddef.h>
#include <stdint.h>

#include "kconfig.h"

typedef struct deadline_policy_t deadline_policy_t;

/* Builds the policy from config's [sla] and [calendar] keys. Returns the
 * policy (caller owns it; deadline_policy_destroy), or NULL with err set
 * ("calendar.hours: \"18:00-08:00\" ends before it starts") if a value is
 * invalid. kconfig already refuses such values when they are set, so NULL
 * here means a config built some other way. err may be NULL when cap is 0. */
deadline_policy_t *deadline_policy_new(const kconfig_t *config, char *err, size_t cap);
/* Destroys the policy and nulls *self_p. Accepts NULL. */
void deadline_policy_destroy(deadline_policy_t **self_p);

/* Due time for rule, a key of [sla] without the section: every deadline
 * key (DEADLINE_KEY) of [sla] is a rule, whichever table it comes from
 * ("complaint_simple", "complaint_complex", "rework_print", "rework_album",
 * "rework_crystal", "rework_frame" today), for an
 * obligation that starts at start_us. Returns 0 with *due_us set; KEFU_ENOTFOUND for an unknown rule;
 * KEFU_EINVAL if start or due fall outside the years 0000-9999. */
int deadline_policy_due(const deadline_policy_t *self, const char *rule, int64_t start_us,
                        int64_t *due_us);
/* Same for an ad-hoc spec (e.g. a reply time committed to a customer).
 * Returns 0, or KEFU_EINVAL for a spec not of the grammar above or a time
 * outside the years 0000-9999. */
int deadline_spec_due(const deadline_policy_t *self, const char *spec, int64_t start_us,
                      int64_t *due_us);
/* Same for a wall-clock duration in microseconds (a committed reply time,
 * a department's due time: "within 2h" is two hours), without spelling it
 * as a spec first. Returns 0, or KEFU_EINVAL for dur_us <= 0 or a time
 * outside the years 0000-9999. */
int deadline_duration_due(const deadline_policy_t *self, int64_t dur_us, int64_t start_us,
                          int64_t *due_us);
/* Checks a spec's form without a calendar. Returns 0 or KEFU_EINVAL. */
int deadline_spec_check(const char *spec);
/* Checks one [calendar] value; key is the full name ("calendar.hours").
 * Returns 0; KEFU_EINVAL with err set to what is wrong, without the key
 * ("\"8:30-17:30x\" is not hours like 08:30-17:30"); KEFU_ENOTFOUND for a
 * key that is not a calendar key. */
int deadline_calendar_check(const char *key, const char *value, char *err, size_t cap);

/* The checks of the two key types the policy brings to kconfig
 * (kconfig_check_fn): a spec of the grammar above, and a [calendar] value
 * (by the row's key). Return 0 or KEFU_EINVAL with what is wrong in what. */
int deadline_key_check_spec(const kconfig_key_t *key, const char *value, char *what,
                            size_t cap);
int deadline_key_check_calendar(const kconfig_key_t *key, const char *value, char *what,
                                size_t cap);

/* Key rows for an owner's table (kconfig_table_t): a deadline rule of
 * [sla] (read with deadline_policy_due, or kconfig_deadline), and one of
 * the four [calendar] keys. So kconfig checks them without knowing their
 * grammar: the row carries the check. */
#define DEADLINE_KEY(k, d) \
    {.key = (k), .read = KCONFIG_READ_DEADLINE, .def = (d), .check = deadline_key_check_spec}
#define DEADLINE_CALENDAR_KEY(k, d) \
    {.key = (k), .read = KCONFIG_READ_TEXT, .def = (d), .check = deadline_key_check_calendar}

/* A time an obligation's clock stood still (waiting for the customer,
 * say): [from, to); to 0 for a pause not over yet. */
typedef struct {
    int64_t from, to;
} deadline_pause_t;

/* Like deadline_policy_due for an obligation whose clock stood still
 * during pauses (n of them, in time order, not overlapping): the time in
 * them does not count for a duration or @work rule (same-day and next-day
 * are fixed to the calendar and ignore pauses). While a pause is not over
 * the due time is INT64_MAX. Returns 0, KEFU_ENOTFOUND or KEFU_EINVAL. */
int deadline_policy_due_paused(const deadline_policy_t *self, const char *rule, int64_t start_us,
                               const deadline_pause_t *pauses, size_t n, int64_t *due_us);

/* Working time between a_us and b_us per the calendar, usec: the part of
 * [a, b) inside working hours on working days. For analyses ("answered
 * within half a working day?"). If b < a the result is the negative of
 * (b, a), so "late by" and "early by" read the same way. Times outside the
 * years 0000-9999 are clamped to them. */
int64_t deadline_work_between(const deadline_policy_t *self, int64_t a_us, int64_t b_us);

/* The closes of the working days (domain.md §5: "at the end of each
 * working day", 003 第一篇 四(三).4), a working day named by its local date
 * "YYYY-MM-DD" (DEADLINE_DATE_MAX bytes with the NUL).
 *
 * deadline_policy_last_close: the latest close of a working day at or
 * before at_us (at 17:30 that day's, at 17:29 the working day before's):
 * its time into *close_us and its date into date (cap bytes). Returns 0;
 * KEFU_ENOTFOUND when no working day closed after the year 0000 began;
 * KEFU_EINVAL for a time outside the years 0000-9999 or cap too small.
 * The next close after a time is deadline_spec_due("same-day").
 *
 * deadline_policy_close_of: the close of the working day named date.
 * Returns 0 with *close_us set; KEFU_EINVAL for a date not "YYYY-MM-DD"
 * (or past 9999-12-31); KEFU_ENOTFOUND for a day that is not a working
 * day (not among calendar.workdays, or one of calendar.holidays). */
#define DEADLINE_DATE_MAX 11
int deadline_policy_last_close(const deadline_policy_t *self, int64_t at_us, int64_t *close_us,
                               char *date, size_t cap);
int deadline_policy_close_of(const deadline_policy_t *self, const char *date, int64_t *close_us);

/* The length of one working day, usec (close - open: 9h by default), so
 * "half a working day" is deadline_policy_workday_us() / 2. */
int64_t deadline_policy_workday_us(const deadline_policy_t *self);
/* The site's offset from UTC in minutes east (480 for +08:00), for showing
 * due times in local time (ktime_format_rfc3339). */
int deadline_policy_utc_offset_min(const deadline_policy_t *self);
/* The next time of day `minute` (minutes after the site's local midnight,
 * calendar.utc_offset) after now_us: a reply promised "by 15:00", a
 * callback "by 15:00" (the site's, whatever TZ the client has). At 14:00
 * it is today's 15:00; at 15:00 or later, tomorrow's. Returns 0 with
 * *at_us set; KEFU_EINVAL for a minute of 1440 or more, or a time outside
 * the years 0000-9999. */
int deadline_next_clock(const deadline_policy_t *self, int64_t now_us, unsigned minute,
                        int64_t *at_us);
/* The spec text of rule ("same-day"), for messages; NULL for an unknown
 * rule. Valid until the policy is destroyed. */
const char *deadline_policy_spec(const deadline_policy_t *self, const char *rule);

#endif
