/* sla_eod.c: the end of the working day: every complaint still open,
 * listed for the desk (domain.md §5, last bullet; 003 第一篇 四(三).4:
 * 客服員每日必須將當日接訴情況總結跟進, 于當日下班之前跟進各投訴事項處理情況).
 *
 * What sla knows of the complaints, from intake's events (CaseOpened,
 * CaseReplied, CaseResolved, CaseReopened), in two tables of its store,
 * derived like the rest and rebuilt with it from the log (SLA_SCHEMA 4):
 *   complaints       case id -> ListedCase: every complaint sla has seen
 *                    (customer, owner, opened, reply due, reopened,
 *                    replied), kept once resolved, for a reopen
 *   open_complaints  be64(since) case id -> the obligation id of the
 *                    latest list it is on ("" none yet): the open ones,
 *                    `since` their opening or latest reopening
 * Queries are not complaints (003's 接诉: 投诉) and are left out. A case
 * waiting on the carrier is open, and listed.
 *
 * The close. At each tick (sla_watch.c) sla takes the latest close C of a
 * working day at or before now (deadline_policy_last_close: the site's
 * calendar.hours, workdays and holidays, in calendar.utc_offset), and
 * when this run has not asked for it yet, submits its own command
 * WorkdayClose{day} named "raise-eod/DAY". On the wall clock it asks for
 * a wake-up at the next close (kservice_wake_at); on a simulated one the
 * ClockAdvanced that passes the close brings the tick.
 *
 * The command (sla_eod_exec) checks that DAY is a working day that has
 * closed and that no list of it, or of a later day, stands; lists the
 * complaints open since before C, oldest first (at most SLA_EOD_LIST_MAX,
 * with open_count the number in all); and makes one EscalationRaised:
 * kind open-complaints, subject "day/DAY", obligation "eod/DAY", owner
 * "desk", level 1, due C. The obligation is sla's own: no owner's event
 * opens it, its escalation's event does (sla_apply.c, the kind's rule
 * `own`), so the list's obligation is in the log as the list is.
 *
 * The rules, decided here:
 *   - None is raised when no complaint is open at the close (refused:
 *     "nothing to list"; a refusal writes nothing).
 *   - Once per working day: the request id "raise-eod/DAY" is in cmdq's
 *     requests table (from the log), so a repeat (kill -9 and restart, a
 *     rebuilt store, a wall clock stepped back) is answered from the
 *     first and raises nothing; one refused is refused again, or lists
 *     the complaints that were open at the close (since < C) all the same.
 *   - A clock moved over several closes at once (sla down over a weekend,
 *     `clock advance 3d`) lists the latest day only: the open set is known
 *     only now, and yesterday's list made today would show today's state
 *     under yesterday's name. For that reason a day before a list that
 *     stands is refused too.
 *   - Not warned (its obligation opens at its due), no level 2 and no
 *     reminders: a list for the desk's supervisor, not a breach (the
 *     kind's rule `once`). It is acknowledged like any escalation.
 *   - Cleared when every complaint on it is resolved (its obligation met
 *     then: late_us is how long after the close the last one took), or
 *     when the next working day's list supersedes it (met as that one is
 *     raised: every complaint still open on it is on the new one).
 *
 * Costs: a list's raising writes each open complaint's entry once; a
 * resolution of a listed complaint looks through the open ones for
 * another on its list (it stops at the first).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kerr.h"
#include "kid.h"
#include "klog.h"
#include "ktime.h"
#include "sla.h"

#define S_KEY_MAX (8 + KID_MAX)   /* an open_complaints key: be64(since), the case id */
#define S_BATCH 256               /* entries rewritten per walk of open_complaints */

/* When c became open: its latest reopening, or its opening. */
static int64_t s_since(const Kefu__ListedCase *c)
{
    return c->has_reopened_at ? c->reopened_at : c->opened_at;
}

static size_t s_open_key(uint8_t *key, const Kefu__ListedCase *c)
{
    return krecord_time_key(key, s_since(c), c->id);
}

/* Complaint id's record (apply arena), or NULL: not a complaint sla saw. */
static Kefu__ListedCase *s_get(sla_t *self, store_txn_t *txn, const char *id)
{
    if (!id || strlen(id) > KID_MAX)
        return NULL;
    return krecord_get(txn, self->t.complaints, id, &kefu__listed_case__descriptor,
                       self->apply_arena);
}

/* True if an open complaint is on list (an obligation id). */
static bool s_on_list(sla_t *self, store_txn_t *txn, const char *list)
{
    store_cursor_t *c;
    if (store_cursor_open(txn, self->t.open_complaints, &c) != 0)
        return true;  /* can't tell: the list stands */
    size_t ll = strlen(list);
    const void *v;
    size_t vl;
    bool found = false;
    store_cursor_seek(c, NULL, 0);
    while (!found && store_cursor_next(c, NULL, NULL, &v, &vl) == 0)
        found = vl == ll && memcmp(v, list, ll) == 0;
    store_cursor_close(&c);
    return found;
}

/* ---- the open complaints, from intake's events -------------------------------------- */

int sla_eod_input(sla_t *self, store_txn_t *txn, const Kefu__Envelope *ev)
{
    uint8_t key[S_KEY_MAX];
    Kefu__ListedCase *l;
    int rc;
    switch (ev->body_case) {
    case KEFU__ENVELOPE__BODY_CASE_OPENED: {
        const Kefu__Case *c = ev->case_opened->case_;
        if (!c || !c->id || strlen(c->id) > KID_MAX || c->type == KEFU__CASE_TYPE__CASE_TYPE_QUERY ||
            krecord_exists(txn, self->t.complaints, c->id))
            return 0;  /* a query, or the same case again */
        Kefu__ListedCase n = KEFU__LISTED_CASE__INIT;
        n.id = c->id;
        n.customer = c->customer;
        n.owner = c->owner;
        n.has_opened_at = true;
        n.opened_at = c->has_opened_at ? c->opened_at : ev->at;
        n.has_due = c->has_reply_due;
        n.due = c->reply_due;
        rc = krecord_put(txn, self->t.complaints, n.id, &n.base);
        return rc ? rc : store_put(txn, self->t.open_complaints, key, s_open_key(key, &n), "", 0);
    }
    case KEFU__ENVELOPE__BODY_CASE_REPLIED:
        if (!(l = s_get(self, txn, ev->case_replied->id)) ||
            store_get(txn, self->t.open_complaints, key, s_open_key(key, l), NULL, NULL) != 0)
            return 0;  /* not an open complaint */
        l->has_replied_at = true;
        l->replied_at = ev->at;
        return krecord_put(txn, self->t.complaints, l->id, &l->base);
    case KEFU__ENVELOPE__BODY_CASE_RESOLVED: {
        if (!(l = s_get(self, txn, ev->case_resolved->id)))
            return 0;
        size_t kl = s_open_key(key, l);
        const void *v;
        size_t vl;
        if (store_get(txn, self->t.open_complaints, key, kl, &v, &vl) != 0)
            return 0;  /* resolved already */
        char list[SLA_ID_MAX] = "";
        if (vl < sizeof list) {
            memcpy(list, v, vl);
            list[vl] = '\0';
        }
        if ((rc = store_del(txn, self->t.open_complaints, key, kl)) != 0)
            return rc;
        /* the last complaint of its list resolved: the list is done with */
        if (list[0] && !s_on_list(self, txn, list))
            return sla_obligation_meet(self, txn, list, ev->at);
        return 0;
    }
    case KEFU__ENVELOPE__BODY_CASE_REOPENED: {
        const Kefu__CaseReopened *r = ev->case_reopened;
        if (!(l = s_get(self, txn, r->id)) ||
            store_get(txn, self->t.open_complaints, key, s_open_key(key, l), NULL, NULL) == 0)
            return 0;  /* not a complaint, or open already */
        /* open again, on no list yet: since the reopening, its new due */
        l->has_reopened_at = true;
        l->reopened_at = ev->at;
        if (r->has_reply_due) {
            l->has_due = true;
            l->due = r->reply_due;
        }
        l->has_replied_at = false;
        l->replied_at = 0;
        rc = krecord_put(txn, self->t.complaints, l->id, &l->base);
        return rc ? rc : store_put(txn, self->t.open_complaints, key, s_open_key(key, l), "", 0);
    }
    default:
        return 0;
    }
}

/* ---- a list raised: its complaints are on it ---------------------------------------- */

typedef struct {
    uint8_t key[S_KEY_MAX];
    size_t len;
} s_key_t;

int sla_eod_listed(sla_t *self, store_txn_t *txn, const Kefu__Escalation *e)
{
    if (!e->obligation || !e->has_due)
        return 0;
    const char *list = e->obligation;
    size_t ll = strlen(list);
    /* the lists the complaints were on before (one, nearly always: the
     * working day before's) */
    char before[4][SLA_ID_MAX];
    size_t n_before = 0;
    bool any = false;
    s_key_t *keys = malloc(S_BATCH * sizeof *keys);
    if (!keys)
        return ENOMEM;
    uint8_t from[S_KEY_MAX];
    size_t from_len = 0;
    int rc = 0;
    for (bool more = true; more && rc == 0; ) {
        /* a batch of the entries to rewrite, collected first: the writes
         * come after the cursor is closed; the next batch seeks on from
         * the last one */
        store_cursor_t *c;
        if ((rc = store_cursor_open(txn, self->t.open_complaints, &c)) != 0)
            break;
        size_t n = 0;
        more = false;
        const void *k, *v;
        size_t kl, vl;
        store_cursor_seek(c, from, from_len);
        while (store_cursor_next(c, &k, &kl, &v, &vl) == 0) {
            if (kl <= 8 || kl > S_KEY_MAX)
                continue;
            if (krecord_key_time(k) >= e->due)
                break;  /* open since the close: not on it */
            any = true;
            if (vl == ll && memcmp(v, list, ll) == 0)
                continue;
            if (n == S_BATCH) {
                more = true;
                break;
            }
            if (vl > 0 && vl < SLA_ID_MAX) {
                size_t i = 0;
                while (i < n_before && !(strlen(before[i]) == vl && memcmp(before[i], v, vl) == 0))
                    i++;
                if (i == n_before && n_before < sizeof before / sizeof before[0]) {
                    memcpy(before[n_before], v, vl);
                    before[n_before++][vl] = '\0';
                }
            }
            memcpy(keys[n].key, k, kl);
            keys[n++].len = kl;
        }
        store_cursor_close(&c);
        for (size_t i = 0; i < n && rc == 0; i++)
            rc = store_put(txn, self->t.open_complaints, keys[i].key, keys[i].len, list, ll);
        if (n) {
            memcpy(from, keys[n - 1].key, keys[n - 1].len);
            from_len = keys[n - 1].len;
        }
    }
    free(keys);
    /* superseded: what is still open of the day before is on this one */
    for (size_t i = 0; i < n_before && rc == 0; i++) {
        Kefu__Obligation *o = krecord_get(txn, self->t.obligations, before[i],
                                          &kefu__obligation__descriptor, self->apply_arena);
        if (o && o->due < e->due)
            rc = sla_obligation_meet(self, txn, before[i], e->raised_at);
    }
    /* every complaint on it was resolved before it was applied */
    if (rc == 0 && !any)
        rc = sla_obligation_meet(self, txn, list, e->raised_at);
    return rc;
}

/* ---- the command ------------------------------------------------------------------------ */

static int s_refuse(cmd_t *cmd, const char *fmt, const char *day, const char *more)
{
    cmd_errmsg(cmd, fmt, day, more);
    return KEFU_ECONFLICT;
}

int sla_eod_exec(sla_t *self, cmd_t *cmd, const Kefu__WorkdayClose *in, store_txn_t *txn,
                 Kefu__Envelope **events)
{
    if (cmd_blank(in->day))
        return cmd_field_missing(cmd, "day", "the working day, YYYY-MM-DD");
    int64_t close;
    int rc = deadline_policy_close_of(self->policy, in->day, &close);
    if (rc == KEFU_EINVAL)
        return cmd_field_bad(cmd, "day", "\"%.20s\" is not a date YYYY-MM-DD", in->day);
    if (rc)
        return s_refuse(cmd, "day: %s is not a working day (%s)", in->day,
                        "calendar.workdays, calendar.holidays");
    char t[48];
    ktime_format_rfc3339(close, self->d->utc_offset_min, t, sizeof t);
    if (cmd_now(cmd) < close)
        return s_refuse(cmd, "day: %s has not closed yet (it closes at %s)", in->day, t);
    char oid[SLA_ID_MAX];
    snprintf(oid, sizeof oid, "eod/%s", in->day);
    if (krecord_exists(txn, self->t.obligations, oid))
        return s_refuse(cmd, "day: the complaints open at the close of %s are listed already (%s)",
                        in->day, oid);

    Kefu__Escalation *e = CMD_NEW(cmd, Kefu__Escalation, kefu__escalation__init);
    arena_t *a = cmd_arena(cmd);
    store_cursor_t *c;
    if ((rc = store_cursor_open(txn, self->t.open_complaints, &c)) != 0)
        return rc;
    const void *k, *v;
    size_t kl, vl, cap = 0;
    uint32_t count = 0;
    char id[KID_MAX + 1], seen[SLA_ID_MAX] = "", later[SLA_ID_MAX] = "";
    store_cursor_seek(c, NULL, 0);
    while (store_cursor_next(c, &k, &kl, &v, &vl) == 0) {
        if (kl <= 8 || kl - 8 > KID_MAX)
            continue;
        if (krecord_key_time(k) >= close)
            break;  /* opened (or reopened) after the close */
        if (vl > 0 && vl < sizeof seen && !(strlen(seen) == vl && memcmp(seen, v, vl) == 0)) {
            /* the list it is on: of a later day? */
            memcpy(seen, v, vl);
            seen[vl] = '\0';
            Kefu__Obligation *o = krecord_get(txn, self->t.obligations, seen,
                                              &kefu__obligation__descriptor, a);
            if (o && o->due > close) {
                memcpy(later, seen, sizeof later);
                break;
            }
        }
        count++;
        if (e->n_open_cases == SLA_EOD_LIST_MAX)
            continue;
        memcpy(id, (const uint8_t *) k + 8, kl - 8);
        id[kl - 8] = '\0';
        Kefu__ListedCase *l = krecord_get(txn, self->t.complaints, id, &kefu__listed_case__descriptor, a);
        if (!l)
            continue;
        if (e->n_open_cases == cap) {
            cap = cap ? cap * 2 : 16;
            e->open_cases = arena_grow(a, e->open_cases, e->n_open_cases, cap, sizeof *e->open_cases);
        }
        e->open_cases[e->n_open_cases++] = l;
    }
    store_cursor_close(&c);
    if (later[0])
        return s_refuse(cmd, "day: %s is before the list that stands (%s)", in->day, later);
    if (count == 0)
        return s_refuse(cmd, "day: no complaint was open at the close of %s (%s): nothing to list",
                        in->day, t);

    char *subject = arena_alloc(a, strlen(in->day) + 5);
    char *obligation = arena_alloc(a, strlen(oid) + 1);
    if (!subject || !obligation)
        return ENOMEM;
    sprintf(subject, "day/%s", in->day);
    strcpy(obligation, oid);
    e->has_open_count = true;
    e->open_count = count;
    events[0] = sla_escalation_raised(self, cmd, txn, e,
                                      KEFU__ESCALATION_KIND__ESCALATION_KIND_OPEN_COMPLAINTS, subject,
                                      obligation, SLA_EOD_OWNER, close);
    return events[0] ? 1 : KEFU_ESTOREFULL;
}

/* ---- the tick ------------------------------------------------------------------------------ */

#define S_AGAIN_EVERY (60 * KTIME_SEC)   /* a refusal for a passing reason: asked again */
#define S_AGAIN_FOR KTIME_HOUR           /* for this long after the close */

static void s_ask(sla_t *self, const char *day)
{
    Kefu__Request req = KEFU__REQUEST__INIT;
    Kefu__WorkdayClose w = KEFU__WORKDAY_CLOSE__INIT;
    w.day = (char *) day;
    req.req_case = KEFU__REQUEST__REQ_WORKDAY_CLOSE;
    req.workday_close = &w;
    req.actor = SLA_PRODUCER;
    char rid[SLA_ID_MAX];
    snprintf(rid, sizeof rid, "raise-eod/%s", day);
    kservice_submit(self->svc, &req, rid);
}

/* True if the list of day stands (its obligation is in the store). */
static bool s_listed(sla_t *self, const char *day)
{
    store_txn_t *txn;
    if (store_read_begin(kservice_store(self->svc), &txn) != 0)
        return false;
    char oid[SLA_ID_MAX];
    snprintf(oid, sizeof oid, "eod/%s", day);
    bool there = krecord_exists(txn, self->t.obligations, oid);
    store_txn_end(&txn);
    return there;
}

void sla_eod_tick(sla_t *self, int64_t now)
{
    int64_t close, next;
    char day[DEADLINE_DATE_MAX];
    if (deadline_policy_last_close(self->policy, now, &close, day, sizeof day) == 0) {
        if (close > self->eod_asked) {
            /* a close this run has not asked for: the latest one only */
            self->eod_asked = close;
            self->eod_again = now + S_AGAIN_EVERY;
            s_ask(self, day);
        } else if (close == self->eod_asked && self->eod_again && now >= self->eod_again) {
            /* asked again a while, as the watchers do (a refusal for a
             * passing reason: the log unavailable), until its list stands
             * (one refused for good is refused again: no harm) */
            self->eod_again = now < close + S_AGAIN_FOR ? now + S_AGAIN_EVERY : 0;
            if (!s_listed(self, day)) {
                s_ask(self, day);
            } else
                self->eod_again = 0;
        }
    }
    if (self->eod_again)
        kservice_wake_at(self->svc, self->eod_again);
    if (deadline_spec_due(self->policy, "same-day", now, &next) == 0)
        kservice_wake_at(self->svc, next);
}
