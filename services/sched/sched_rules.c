/* sched_rules.c: the scheduling rules of domain.md §2 (000 §三), as pure
 * functions of their figures: how a rush is decided and in what order the
 * queue is made. No store, no clock: the commands gather the figures
 * (sched_cmd.c) and record them with the decision, so a decision can be
 * read back and checked by hand, and the same history decides the same.
 *
 * Rush decisions: the five rules of 000 §三.2, tried in this order; the
 * first that decides names itself in the answer.
 *   urgency   a rush the lab caused (missing, damaged, rework) is the most
 *             urgent: accepted, past the quota (it does not use it up).
 *   quota     total control: the day's quota (基数) of rush pieces is a
 *             hard limit, for key customers too ("whatever is accepted must
 *             be delivered").
 *   output    real-time capacity: the pieces the floor can still make by
 *             the rush's due, capacity x (working time left / working day),
 *             less the open pieces already due by then. It shrinks as the
 *             plan falls behind, and is large on big-output days.
 *   count     customers who rush often (sched.frequent_rush requests in 30
 *             days) are declined, key customers aside; and since quota and
 *             room count pieces, small rushes fit where large ones do not.
 *   customer  key customers get every effort: accepted once quota and room
 *             allow. Others do not take the last sched.key_reserve percent
 *             of the quota, kept for key customers ("case by case").
 * What passes them all is accepted within the quota.
 *
 * The queue (000 §三.1): accepted rushes first, by urgency (lab-caused,
 * immediate, half-day, same-day, next-day), each level first accepted
 * first; then the jobs whose promise falls by today's close, key customers
 * first, then by promise; then the rest, first uploaded first made (tier
 * and promise break ties). Order ids break the last ties, so the order is
 * total and the same on every replay.
 */
#include <stdio.h>
#include <string.h>

#include "ktime.h"
#include "scheduler.h"

static const char *s_level_word(int level)
{
    static const char *const w[] = {"none", "immediate", "half-day", "same-day", "next-day"};
    return level >= 0 && level <= 4 ? w[level] : "none";
}

static const char *s_tier_word(int tier)
{
    static const char *const w[] = {"unknown", "key", "special", "general"};
    return tier >= 0 && tier <= 3 ? w[tier] : "unknown";
}

void sched_rush_decide(const sched_rush_in_t *in, sched_rush_out_t *out)
{
    memset(out, 0, sizeof *out);
    uint32_t left = in->quota > in->quota_used ? in->quota - in->quota_used : 0;
    out->reserve = (uint32_t) ((uint64_t) in->quota * in->reserve_pct / 100);
    int64_t made = in->workday_us > 0 && in->work_left_us > 0
                       ? (int64_t) ((__int128) in->capacity * in->work_left_us / in->workday_us)
                       : 0;
    out->room = made > (int64_t) in->load ? (uint32_t) (made - in->load) : 0;
    char wl[32];
    ktime_format_duration(in->work_left_us > 0 ? in->work_left_us : 0, wl, sizeof wl);
    if (in->work_left_us <= 0)
        snprintf(wl, sizeof wl, "0m");

    if (in->cause == KEFU__CAUSE__CAUSE_LAB) {
        out->accept = true;
        out->rule = KEFU__RUSH_RULE__RUSH_RULE_URGENCY;
        snprintf(out->reason, sizeof out->reason,
                 "urgency: lab-caused, the most urgent; accepted past the quota (%u of %u used)",
                 in->quota_used, in->quota);
        return;
    }
    if (in->qty > left) {
        out->rule = KEFU__RUSH_RULE__RUSH_RULE_QUOTA;
        snprintf(out->reason, sizeof out->reason,
                 "quota: %u pieces asked, %u of today's %u left", in->qty, left, in->quota);
        return;
    }
    if (in->qty > out->room) {
        out->rule = KEFU__RUSH_RULE__RUSH_RULE_OUTPUT;
        snprintf(out->reason, sizeof out->reason,
                 "output: %u pieces asked, room for %u by the %s due (capacity %u a day over "
                 "%s of working time left, %u pieces already due)",
                 in->qty, out->room, s_level_word(in->level), in->capacity, wl, in->load);
        return;
    }
    if (in->frequent > 0 && in->customer_rushes >= in->frequent &&
        in->tier != KEFU__TIER__TIER_KEY) {
        out->rule = KEFU__RUSH_RULE__RUSH_RULE_COUNT;
        snprintf(out->reason, sizeof out->reason,
                 "count: a frequent rusher, %u rushes in 30 days (%u make frequent); %s customer",
                 in->customer_rushes, in->frequent, s_tier_word(in->tier));
        return;
    }
    if (in->tier == KEFU__TIER__TIER_KEY) {
        out->accept = true;
        out->rule = KEFU__RUSH_RULE__RUSH_RULE_CUSTOMER;
        snprintf(out->reason, sizeof out->reason,
                 "customer: key customer, every effort (quota %u of %u used, room %u)",
                 in->quota_used, in->quota, out->room);
        return;
    }
    if (in->qty > (left > out->reserve ? left - out->reserve : 0)) {
        out->rule = KEFU__RUSH_RULE__RUSH_RULE_CUSTOMER;
        snprintf(out->reason, sizeof out->reason,
                 "customer: the last %u of the quota are kept for key customers; %u asked, "
                 "%u left; %s customer",
                 out->reserve, in->qty, left, s_tier_word(in->tier));
        return;
    }
    out->accept = true;
    out->rule = KEFU__RUSH_RULE__RUSH_RULE_QUOTA;
    snprintf(out->reason, sizeof out->reason,
             "quota: within today's quota (%u of %u used) and room (%u)", in->quota_used,
             in->quota, out->room);
}

/* ---- the queue ------------------------------------------------------------------- */

static int s_class(const sched_open_t *e, int64_t today_close)
{
    if (e->rush_due)
        return 0;
    return e->promise_at && e->promise_at <= today_close ? 1 : 2;
}

static int s_tier_rank(int tier)
{
    return tier >= 1 && tier <= 3 ? tier : 4;  /* key first; unknown last */
}

#define S_CMP(x, y) do { if ((x) != (y)) return (x) < (y) ? -1 : 1; } while (0)

int sched_queue_cmp(const sched_open_t *a, const char *a_id, const sched_open_t *b,
                    const char *b_id, int64_t today_close)
{
    int ca = s_class(a, today_close), cb = s_class(b, today_close);
    S_CMP(ca, cb);
    switch (ca) {
    case 0:
        S_CMP(a->lab ? 0 : a->rush_level, b->lab ? 0 : b->rush_level);
        S_CMP(a->rush_accepted_at, b->rush_accepted_at);
        S_CMP(a->uploaded_at, b->uploaded_at);
        break;
    case 1:
        S_CMP(s_tier_rank(a->tier), s_tier_rank(b->tier));
        S_CMP(a->promise_at, b->promise_at);
        S_CMP(a->uploaded_at, b->uploaded_at);
        break;
    default:
        S_CMP(a->uploaded_at, b->uploaded_at);
        S_CMP(s_tier_rank(a->tier), s_tier_rank(b->tier));
        S_CMP(a->promise_at, b->promise_at);
    }
    return strcmp(a_id, b_id);
}

/* t at offset off (minutes): its local day (since 1970), month, day and
 * minute of the day, by arithmetic alone (the queue writes two of these
 * per item: 10,000 items' gmtime_r and snprintf were most of its answer's
 * time). false where RFC 3339 can't write t. */
static bool s_local(int64_t t, int off, int64_t *day, int *mon, int *mday, int *minute)
{
    int64_t local;
    if (__builtin_add_overflow(t, (int64_t) off * 60 * 1000000, &local))
        return false;
    int64_t secs = ktime_floor_div(local, 1000000);
    int64_t d = ktime_floor_div(secs, 86400);
    int y;
    ktime_civil_from_days(d, &y, mon, mday);
    if (y < 0 || y > 9999)
        return false;
    *day = d;
    *minute = (int) ((secs - d * 86400) / 60);
    return true;
}

static char *s_two(char *p, int v)
{
    p[0] = (char) ('0' + v / 10);
    p[1] = (char) ('0' + v % 10);
    return p + 2;
}

/* "09:12", or "11-30 09:12" on another local day than ref. */
static void s_when(int64_t t, int64_t ref, int off, char *buf, size_t cap)
{
    int64_t d, rd;
    int m, md, min, rm, rmd, rmin;
    if (cap < 12 || !s_local(t, off, &d, &m, &md, &min) ||
        !s_local(ref, off, &rd, &rm, &rmd, &rmin)) {
        snprintf(buf, cap, "?");
        return;
    }
    char *p = buf;
    if (d != rd) {
        p = s_two(p, m);
        *p++ = '-';
        p = s_two(p, md);
        *p++ = ' ';
    }
    p = s_two(p, min / 60);
    *p++ = ':';
    p = s_two(p, min % 60);
    *p = '\0';
}

void sched_queue_reason(const sched_open_t *e, int64_t today_close, int off, char *buf, size_t cap)
{
    static const char *const rules[] = {"", "output", "urgency", "count", "customer", "quota"};
    char t1[24], t2[24];
    const char *tier = s_tier_word(e->tier);
    switch (s_class(e, today_close)) {
    case 0:
        s_when(e->rush_accepted_at, today_close, off, t1, sizeof t1);
        s_when(e->rush_due, today_close, off, t2, sizeof t2);
        if (e->lab)
            snprintf(buf, cap, "rush lab-caused, accepted %s, due %s; %s customer", t1, t2, tier);
        else
            snprintf(buf, cap, "rush %s, accepted %s by %s rule, due %s; %s customer",
                     s_level_word(e->rush_level), t1,
                     e->rush_rule <= 5 ? rules[e->rush_rule] : "?", t2, tier);
        break;
    case 1:
        s_when(e->promise_at, today_close, off, t1, sizeof t1);
        s_when(e->uploaded_at, today_close, off, t2, sizeof t2);
        snprintf(buf, cap, "promised by %s (today); %s customer; uploaded %s", t1, tier, t2);
        break;
    default:
        s_when(e->uploaded_at, today_close, off, t1, sizeof t1);
        s_when(e->promise_at, today_close, off, t2, sizeof t2);
        snprintf(buf, cap, "first uploaded, first made: uploaded %s; %s customer; promised %s",
                 t1, tier, t2);
    }
}
