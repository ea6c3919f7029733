/* sched_keys.c: kefu-sched's configuration keys, the table sched_keys
 * (registry.h), and the grammar of its two own kinds of value.
 *
 * Data and their checks only: the Makefile builds this file into libkefu,
 * not into kefu-sched, so `kefu up` checks every value before it starts
 * anything; sched reads them once at start (sched_config.c) with the same
 * parsers, so what passes the check is what runs.
 *
 *   route   the stages of a product, in order, comma separated, ending
 *           with done: "received,printing,qc,packed,done" (prints have no
 *           binding); each stage once
 *   work    standard time per stage for one order of the product, as
 *           STAGE:DURATION pairs: "printing:30m,qc:10m"; a stage not
 *           named takes none. The remaining work of an order (its current
 *           stage and those after it) is what decides "at risk".
 */
#include <stdio.h>
#include <string.h>

#include "deadline.h"
#include "kconfig.h"
#include "kerr.h"
#include "ktime.h"
#include "registry.h"
#include "sched_conf.h"

static const char *const s_stages[] = {"received", "printing", "binding", "qc", "packed", "done"};

int sched_stage_word(const char *w, size_t n)
{
    for (size_t i = 0; i < sizeof s_stages / sizeof s_stages[0]; i++)
        if (strlen(s_stages[i]) == n && strncmp(s_stages[i], w, n) == 0)
            return (int) i + 1;  /* Kefu__Stage: received = 1, ... */
    return 0;
}

const char *sched_stage_name(int stage)
{
    return stage >= 1 && stage <= 6 ? s_stages[stage - 1] : "none";
}

int sched_route_parse(const char *value, sched_route_t *route, char *what, size_t cap)
{
    memset(route, 0, sizeof *route);
    const char *p = value;
    while (*p) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t) (e - p) : strlen(p);
        int st = sched_stage_word(p, n);
        if (!st) {
            snprintf(what, cap, "\"%.*s\" is not a stage: received, printing, binding, qc, "
                     "packed or done", (int) (n > 20 ? 20 : n), p);
            return KEFU_EINVAL;
        }
        for (size_t i = 0; i < route->n; i++)
            if (route->stage[i] == st) {
                snprintf(what, cap, "%s is in the route twice", sched_stage_name(st));
                return KEFU_EINVAL;
            }
        route->stage[route->n++] = st;
        p = e ? e + 1 : p + n;
    }
    if (route->n == 0 || route->stage[route->n - 1] != 6) {
        snprintf(what, cap, "a route ends with done");
        return KEFU_EINVAL;
    }
    return 0;
}

int sched_work_parse(const char *value, sched_work_t *work, char *what, size_t cap)
{
    memset(work, 0, sizeof *work);
    const char *p = value;
    while (*p) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t) (e - p) : strlen(p);
        const char *colon = memchr(p, ':', n);
        int st = colon ? sched_stage_word(p, (size_t) (colon - p)) : 0;
        char dur[32];
        size_t dn = colon ? n - (size_t) (colon - p) - 1 : 0;
        int64_t us = 0;
        if (st && dn > 0 && dn < sizeof dur) {
            memcpy(dur, colon + 1, dn);
            dur[dn] = '\0';
        }
        if (!st || dn == 0 || dn >= sizeof dur || ktime_parse_duration(dur, &us) != 0) {
            snprintf(what, cap, "\"%.*s\" is not STAGE:DURATION (printing:30m)",
                     (int) (n > 30 ? 30 : n), p);
            return KEFU_EINVAL;
        }
        work->us[st] = us;
        p = e ? e + 1 : p + n;
    }
    return 0;
}

static int s_check_route(const kconfig_key_t *key, const char *value, char *what, size_t cap)
{
    (void) key;
    sched_route_t r;
    return sched_route_parse(value, &r, what, cap);
}

static int s_check_work(const kconfig_key_t *key, const char *value, char *what, size_t cap)
{
    (void) key;
    sched_work_t w;
    return sched_work_parse(value, &w, what, cap);
}

#define S_ROUTE(k, d) {.key = (k), .read = KCONFIG_READ_TEXT, .def = (d), .check = s_check_route}
#define S_WORK(k, d) {.key = (k), .read = KCONFIG_READ_TEXT, .def = (d), .check = s_check_work}
/* Whole numbers the scheduler multiplies stay far from int64 overflow. */
#define S_COUNT_MAX 2147483647

static const kconfig_key_t s_keys[] = {
    /* the rush rules (000 §三.2; sched_rules.c) */
    KCONFIG_KEY_INT("sched.daily_capacity", "2000", 0, S_COUNT_MAX),  /* pieces a day */
    KCONFIG_KEY_INT("sched.rush_quota", "300", 0, S_COUNT_MAX),       /* rush pieces a day (基数) */
    KCONFIG_KEY_INT("sched.frequent_rush", "4", 0, S_COUNT_MAX),      /* rushes in 30 days */
    KCONFIG_KEY_INT("sched.key_reserve", "20", 0, 100),  /* % of the quota only key customers use */
    /* an accepted rush's due time, by urgency */
    DEADLINE_KEY("sched.rush_immediate", "2h"),
    DEADLINE_KEY("sched.rush_half_day", "4h30m@work"),  /* half a working day */
    DEADLINE_KEY("sched.rush_same_day", "same-day"),
    DEADLINE_KEY("sched.rush_next_day", "next-day"),
    /* the promise of an order taken without one, from its upload */
    DEADLINE_KEY("sched.promise_print", "next-day"),
    DEADLINE_KEY("sched.promise_album", "3d"),
    DEADLINE_KEY("sched.promise_crystal", "5d"),
    DEADLINE_KEY("sched.promise_frame", "5d"),
    /* each product's route over the floor's stages */
    S_ROUTE("sched.route_print", "received,printing,qc,packed,done"),
    S_ROUTE("sched.route_album", "received,printing,binding,qc,packed,done"),
    S_ROUTE("sched.route_crystal", "received,printing,binding,qc,packed,done"),
    S_ROUTE("sched.route_frame", "received,printing,binding,qc,packed,done"),
    /* standard time of each stage for one order */
    S_WORK("sched.work_print", "received:5m,printing:30m,qc:10m,packed:10m"),
    S_WORK("sched.work_album", "received:5m,printing:1h,binding:2h,qc:15m,packed:15m"),
    S_WORK("sched.work_crystal", "received:5m,printing:1h,binding:3h,qc:15m,packed:15m"),
    S_WORK("sched.work_frame", "received:5m,printing:30m,binding:1h,qc:15m,packed:15m"),
    /* rework deadlines by product (000 §四.2), read through the deadline
     * policy (deadline.h: every [sla] key is a rule) */
    DEADLINE_KEY("sla.rework_print", "same-day"),
    DEADLINE_KEY("sla.rework_album", "24h"),
    DEADLINE_KEY("sla.rework_crystal", "48h"),
    DEADLINE_KEY("sla.rework_frame", "48h"),
};
const kconfig_table_t sched_keys = KCONFIG_TABLE("sched", s_keys);
