/* sla_apply.c: obligations from the desk's events, and sla's own.
 *
 * The only place sla's store changes (besides the kit's records). The
 * inputs, each opening or meeting obligations (domain.md §5):
 *   CaseOpened        the first reply, due at the case's reply_due
 *                     (complaint-reply-overdue); a major complaint, due at
 *                     once (major-complaint)
 *   CaseReplied       meets the first reply and every open commitment of
 *                     the case; a reply that commits the next answer opens
 *                     a commitment due then (commitment-overdue)
 *   CaseHandedOff     a hand-off with a due opens one owed by the
 *                     department (handoff-overdue)
 *   CaseResolved      meets everything open on the case but its analysis
 *                     report; a major complaint's analysis report is due
 *                     by the event's analysis_due (analysis-report-overdue);
 *                     the follow-up visit by its follow_up_due, owed by
 *                     the case's owner (follow-up-overdue)
 *   CaseFollowedUp    meets the follow-up visit
 *   CaseReopened      a reply is owed again; the visit of the resolution
 *                     that no longer stands is dropped (met)
 *   CaseReported      an incident report is escalated to leadership at
 *                     once (major-incident, level 2); an analysis report
 *                     meets its due
 *   CustomerRegistered/Updated  a customer assigned to a staff member:
 *                     the first contact, due by first_contact_due
 *                     (first-contact-overdue); a new assignment replaces
 *                     the one before
 *   ConsultationRecorded  the assigned person's consultation with the
 *                     customer meets it; one that promises a callback
 *                     (after a failed transfer) opens it, due by its
 *                     callback_by, owed by who took the call
 *                     (callback-overdue); the one that calls back
 *                     (calls_back) meets it
 *   ReworkOpened/Done the rework's due (rework-overdue)
 *   PromiseAtRisk     rush-at-risk or promise-at-risk, due at once, met
 *                     when the order is reported done (StageReported)
 *   OutsourceSent     back by expected_at (outsource-overdue); a rejection
 *                     with a redo date opens the redo, due then
 *   OutsourceReceived meets the return being waited for
 *   CaseOpened, CaseReplied, CaseResolved, CaseReopened also keep the
 *                     open complaints, for the list at the close of each
 *                     working day (sla_eod.c: open-complaints, an
 *                     obligation of sla's own, "eod/DAY")
 * The due times are the owners' (their events carry them); sla adds none
 * of its own rules but the warning share and level 2. Meeting an
 * obligation that was escalated clears its escalation by a reaction
 * (kservice_react, "clear-ID"), so the clearing is an event too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kerr.h"
#include "kid.h"
#include "klog.h"
#include "sla.h"

const int sla_follows[] = {
    KEFU__ENVELOPE__BODY_CLOCK_ADVANCED,  /* a simulated clock moves: ticks */
    KEFU__ENVELOPE__BODY_CUSTOMER_REGISTERED,
    KEFU__ENVELOPE__BODY_CUSTOMER_UPDATED,
    KEFU__ENVELOPE__BODY_CONSULTATION_RECORDED,
    KEFU__ENVELOPE__BODY_CASE_OPENED,
    KEFU__ENVELOPE__BODY_CASE_REPLIED,
    KEFU__ENVELOPE__BODY_CASE_HANDED_OFF,
    KEFU__ENVELOPE__BODY_CASE_RESOLVED,
    KEFU__ENVELOPE__BODY_CASE_FOLLOWED_UP,
    KEFU__ENVELOPE__BODY_CASE_WAITING,
    KEFU__ENVELOPE__BODY_CASE_RESUMED,
    KEFU__ENVELOPE__BODY_CASE_HANDOFF_ANSWERED,
    KEFU__ENVELOPE__BODY_CASE_REOPENED,
    KEFU__ENVELOPE__BODY_CASE_REPORTED,
    KEFU__ENVELOPE__BODY_REWORK_OPENED,
    KEFU__ENVELOPE__BODY_REWORK_DONE,
    KEFU__ENVELOPE__BODY_PROMISE_AT_RISK,
    KEFU__ENVELOPE__BODY_STAGE_REPORTED,
    KEFU__ENVELOPE__BODY_OUTSOURCE_SENT,
    KEFU__ENVELOPE__BODY_OUTSOURCE_RECEIVED,
    0,
};

/* The kinds that do not go as the rest (sla.h). */
static const sla_kind_rule_t s_kind_rules[] = {
    /* a major complaint goes to leadership at once (003 第一篇 四(二)) */
    {KEFU__ESCALATION_KIND__ESCALATION_KIND_MAJOR_COMPLAINT, .level = 2},
    /* and its incident report (003 第二篇 四.6) */
    {KEFU__ESCALATION_KIND__ESCALATION_KIND_MAJOR_INCIDENT, .level = 2},
    /* the complaints open at a close (003 第一篇 四(三).4): a list for the
     * desk's supervisor, not a breach: told once, superseded the next
     * working day (sla_eod.c) */
    {KEFU__ESCALATION_KIND__ESCALATION_KIND_OPEN_COMPLAINTS, .level = 1, .once = true, .own = true},
};

const sla_kind_rule_t *sla_kind_rule(Kefu__EscalationKind kind)
{
    static const sla_kind_rule_t common = {.level = 1};
    for (size_t i = 0; i < sizeof s_kind_rules / sizeof s_kind_rules[0]; i++)
        if (s_kind_rules[i].kind == kind)
            return &s_kind_rules[i];
    return &common;
}

int64_t sla_next_at(const sla_t *self, const Kefu__Obligation *o, const Kefu__Escalation *e)
{
    if (o->state != KEFU__OBLIGATION_STATE__OBLIGATION_STATE_OPEN || o->has_paused_at)
        return 0;  /* met, or its clock stands still */
    if (!e) {
        int64_t span = o->due - o->opened_at;
        int64_t warn = o->opened_at + span / 100 * self->warn_share;
        return !o->warned && span > 0 && warn < o->due ? warn : o->due;
    }
    if (e->state != KEFU__ESCALATION_STATE__ESCALATION_STATE_OPEN || sla_kind_rule(e->kind)->once)
        return 0;  /* acknowledged (it stays visible), cleared, or told once */
    int64_t next = e->level < 2 ? e->raised_at + self->level2_after_us : 0;
    if (self->remind_every_us > 0) {
        /* not acknowledged: told again every sla.remind_every */
        int64_t remind = e->raised_at + (int64_t) (e->reminders + 1) * self->remind_every_us;
        if (!next || remind < next)
            next = remind;
    }
    return next;
}

/* ---- obligations ------------------------------------------------------------------ */

static size_t s_subject_key(uint8_t *key, const char *subject, const char *id)
{
    size_t s = strlen(subject), i = strlen(id);
    memcpy(key, subject, s);
    key[s] = '\0';
    memcpy(key + s + 1, id, i);
    return s + 1 + i;
}

static int s_open(sla_t *self, store_txn_t *txn, const char *id, Kefu__EscalationKind kind,
                  const char *subject, const char *owner, int64_t at, int64_t due)
{
    if (!id || !subject || strlen(id) >= SLA_ID_MAX || strlen(subject) > 64)
        return 0;
    if (krecord_exists(txn, self->t.obligations, id))
        return 0;  /* the same fact again: one obligation */
    Kefu__Obligation o = KEFU__OBLIGATION__INIT;
    o.id = (char *) id;
    o.has_kind = o.has_opened_at = o.has_due = o.has_state = true;
    o.kind = kind;
    o.subject = (char *) subject;
    o.owner = (char *) owner;
    o.opened_at = at;
    o.due = due;
    o.state = KEFU__OBLIGATION_STATE__OBLIGATION_STATE_OPEN;
    uint8_t key[8 + SLA_ID_MAX + 66];
    int rc = krecord_put(txn, self->t.obligations, id, &o.base);
    if (rc == 0)
        rc = store_put(txn, self->t.by_subject, key, s_subject_key(key, subject, id), "", 0);
    /* by_due's value is opened_at: with the key's due, what the heap's
     * fill at start needs, without reading the obligation */
    uint8_t opened[8];
    krecord_time_key(opened, at, "");
    if (rc == 0)
        rc = store_put(txn, self->t.by_due, key, krecord_time_key(key, due, id), opened, 8);
    if (rc == 0)
        rc = sla_watch_push(self->watch, sla_next_at(self, &o, NULL), id);
    return rc;
}

/* Meets obligation o (open) at time at; clears its escalation, if any,
 * by a reaction. */
static int s_meet(sla_t *self, store_txn_t *txn, Kefu__Obligation *o, int64_t at)
{
    o->state = KEFU__OBLIGATION_STATE__OBLIGATION_STATE_MET;
    o->has_met_at = true;
    o->met_at = at;
    uint8_t key[8 + SLA_ID_MAX];
    int rc = store_del(txn, self->t.by_due, key, krecord_time_key(key, o->due, o->id));
    if (rc == KEFU_ENOTFOUND)
        rc = 0;
    if (rc == 0)
        rc = krecord_put(txn, self->t.obligations, o->id, &o->base);
    if (rc == 0 && o->escalation) {
        char rid[SLA_ID_MAX + 8];
        snprintf(rid, sizeof rid, "clear-%s", o->id);
        Kefu__Request req = KEFU__REQUEST__INIT;
        Kefu__EscalationClear c = KEFU__ESCALATION_CLEAR__INIT;
        c.obligation = o->id;
        req.req_case = KEFU__REQUEST__REQ_ESCALATION_CLEAR;
        req.escalation_clear = &c;
        req.actor = SLA_PRODUCER;
        rc = kservice_react(self->svc, txn, rid, &req);
    }
    return rc;
}

static int s_meet_id(sla_t *self, store_txn_t *txn, const char *id, int64_t at)
{
    Kefu__Obligation *o = krecord_get(txn, self->t.obligations, id, &kefu__obligation__descriptor,
                                      self->apply_arena);
    if (!o || o->state != KEFU__OBLIGATION_STATE__OBLIGATION_STATE_OPEN)
        return 0;
    return s_meet(self, txn, o, at);
}

int sla_obligation_meet(sla_t *self, store_txn_t *txn, const char *id, int64_t at)
{
    return s_meet_id(self, txn, id, at);
}

#define S_SUBJECT_MAX 64   /* obligations of one subject looked at together */

/* The ids of subject's obligations starting with prefix ("": all), into
 * ids (S_SUBJECT_MAX of them at most) and their number into *found,
 * collected first: the callers then write the tables a cursor would
 * walk. Returns 0 or a store error. */
static int s_subject_ids(sla_t *self, store_txn_t *txn, const char *subject, const char *prefix,
                         char ids[][SLA_ID_MAX], size_t *found)
{
    *found = 0;
    if (!subject || strlen(subject) > 64)
        return 0;
    uint8_t key[66];
    size_t n = strlen(subject);
    memcpy(key, subject, n);
    key[n] = '\0';
    store_cursor_t *c;
    int rc = store_cursor_open(txn, self->t.by_subject, &c);
    if (rc)
        return rc;
    const void *k;
    size_t kl;
    if (store_cursor_seek(c, key, n + 1) == 0)
        while (*found < S_SUBJECT_MAX && store_cursor_next(c, &k, &kl, NULL, NULL) == 0 &&
               kl > n + 1 && memcmp(k, key, n + 1) == 0) {
            size_t il = kl - n - 1;
            if (il >= SLA_ID_MAX)
                continue;
            memcpy(ids[*found], (const uint8_t *) k + n + 1, il);
            ids[*found][il] = '\0';
            if (strncmp(ids[*found], prefix, strlen(prefix)) == 0)
                (*found)++;
        }
    store_cursor_close(&c);
    return 0;
}

/* Meets the open obligations of subject whose id starts with prefix ("":
 * all of them); with newest, only the one made last (the largest seq at
 * the end of its id). */
static int s_meet_some(sla_t *self, store_txn_t *txn, const char *subject, const char *prefix,
                       int64_t at, bool newest);

static int s_meet_subject(sla_t *self, store_txn_t *txn, const char *subject, const char *prefix,
                          int64_t at)
{
    return s_meet_some(self, txn, subject, prefix, at, false);
}

/* The owner of obligation id (a case's first reply: the case's owner),
 * or NULL. */
static const char *s_owner_of(sla_t *self, store_txn_t *txn, const char *id)
{
    Kefu__Obligation *o = krecord_get(txn, self->t.obligations, id, &kefu__obligation__descriptor,
                                      self->apply_arena);
    return o ? o->owner : NULL;
}

static int s_meet_some(sla_t *self, store_txn_t *txn, const char *subject, const char *prefix,
                       int64_t at, bool newest)
{
    char ids[S_SUBJECT_MAX][SLA_ID_MAX];
    size_t found;
    int rc = s_subject_ids(self, txn, subject, prefix, ids, &found);
    if (rc)
        return rc;
    if (newest && found) {
        /* the open one made last: the largest seq after the last '/' */
        size_t best = found;
        unsigned long long best_seq = 0;
        for (size_t i = 0; i < found; i++) {
            Kefu__Obligation *o = krecord_get(txn, self->t.obligations, ids[i],
                                              &kefu__obligation__descriptor, self->apply_arena);
            const char *slash = strrchr(ids[i], '/');
            unsigned long long seq = slash ? strtoull(slash + 1, NULL, 10) : 0;
            if (o && o->state == KEFU__OBLIGATION_STATE__OBLIGATION_STATE_OPEN &&
                (best == found || seq > best_seq)) {
                best = i;
                best_seq = seq;
            }
        }
        return best < found ? s_meet_id(self, txn, ids[best], at) : 0;
    }
    for (size_t i = 0; i < found && rc == 0; i++)
        rc = s_meet_id(self, txn, ids[i], at);
    return rc;
}

/* A case waits (pause) or goes on (resume): every open obligation of it
 * not escalated yet stops its clock, or moves its due by the pause
 * (domain.md §6: a damage case waits on the carrier, its clock paused). */
static int s_pause_subject(sla_t *self, store_txn_t *txn, const char *subject, bool pause,
                           int64_t at)
{
    char ids[S_SUBJECT_MAX][SLA_ID_MAX];
    size_t found;
    int rc = s_subject_ids(self, txn, subject, "", ids, &found);
    if (rc)
        return rc;
    for (size_t i = 0; i < found && rc == 0; i++) {
        Kefu__Obligation *o = krecord_get(txn, self->t.obligations, ids[i],
                                          &kefu__obligation__descriptor, self->apply_arena);
        if (!o || o->state != KEFU__OBLIGATION_STATE__OBLIGATION_STATE_OPEN || o->escalation ||
            pause == o->has_paused_at)
            continue;
        if (pause) {
            o->has_paused_at = true;
            o->paused_at = at;
        } else {
            uint8_t dk[8 + SLA_ID_MAX];
            rc = store_del(txn, self->t.by_due, dk, krecord_time_key(dk, o->due, o->id));
            if (rc == KEFU_ENOTFOUND)
                rc = 0;
            int64_t paused = at > o->paused_at ? at - o->paused_at : 0;
            o->due += paused;
            o->opened_at += paused;  /* the warning moves with it */
            o->has_paused_at = false;
            o->paused_at = 0;
            uint8_t opened[8];
            krecord_time_key(opened, o->opened_at, "");
            if (rc == 0)
                rc = store_put(txn, self->t.by_due, dk, krecord_time_key(dk, o->due, o->id),
                               opened, 8);
        }
        if (rc == 0)
            rc = krecord_put(txn, self->t.obligations, o->id, &o->base);
        if (rc == 0 && !pause)
            rc = sla_watch_push(self->watch, sla_next_at(self, o, NULL), o->id);
    }
    return rc;
}

/* ---- inputs -------------------------------------------------------------------------- */

static int s_input(sla_t *self, store_txn_t *txn, const Kefu__Envelope *ev, uint64_t seq)
{
    char id[SLA_ID_MAX];
    int64_t at = ev->at;
    switch (ev->body_case) {
    case KEFU__ENVELOPE__BODY_CLOCK_ADVANCED:
        if (ev->clock_advanced->has_to && ev->clock_advanced->to > self->clock_seen)
            self->clock_seen = ev->clock_advanced->to;
        return 0;
    case KEFU__ENVELOPE__BODY_CASE_OPENED: {
        const Kefu__Case *c = ev->case_opened->case_;
        if (!c || !c->id)
            return 0;
        snprintf(id, sizeof id, "reply/%s", c->id);
        int rc = c->has_reply_due ? s_open(self, txn, id,
                                           KEFU__ESCALATION_KIND__ESCALATION_KIND_COMPLAINT_REPLY_OVERDUE,
                                           c->id, c->owner, at, c->reply_due)
                                  : 0;
        if (rc == 0 && c->severity == KEFU__SEVERITY__SEVERITY_MAJOR) {
            /* 003 第一篇 四(二): to leadership at once */
            snprintf(id, sizeof id, "major/%s", c->id);
            rc = s_open(self, txn, id, KEFU__ESCALATION_KIND__ESCALATION_KIND_MAJOR_COMPLAINT, c->id,
                        c->owner, at, at);
        }
        return rc;
    }
    case KEFU__ENVELOPE__BODY_CASE_REPLIED: {
        const Kefu__CaseReplied *r = ev->case_replied;
        if (!r->id)
            return 0;
        /* the first reply, and one owed again after a reopen */
        int rc = s_meet_subject(self, txn, r->id, "reply/", at);
        if (rc == 0)
            rc = s_meet_subject(self, txn, r->id, "commit/", at);  /* a reply answers a promise */
        if (rc == 0 && r->has_committed_until) {
            snprintf(id, sizeof id, "commit/%s/%llu", r->id, (unsigned long long) seq);
            rc = s_open(self, txn, id, KEFU__ESCALATION_KIND__ESCALATION_KIND_COMMITMENT_OVERDUE,
                        r->id, r->by, at, r->committed_until);
        }
        return rc;
    }
    case KEFU__ENVELOPE__BODY_CASE_HANDED_OFF: {
        const Kefu__CaseHandedOff *h = ev->case_handed_off;
        if (!h->id || !h->handoff || !h->handoff->has_due)
            return 0;
        snprintf(id, sizeof id, "handoff/%s/%llu", h->id, (unsigned long long) seq);
        return s_open(self, txn, id, KEFU__ESCALATION_KIND__ESCALATION_KIND_HANDOFF_OVERDUE, h->id,
                      h->handoff->department, at, h->handoff->due);
    }
    case KEFU__ENVELOPE__BODY_CASE_RESOLVED: {
        const Kefu__CaseResolved *r = ev->case_resolved;
        char ids[S_SUBJECT_MAX][SLA_ID_MAX];
        size_t found;
        int rc = s_subject_ids(self, txn, r->id, "", ids, &found);
        for (size_t i = 0; i < found && rc == 0; i++)
            if (strncmp(ids[i], "analysis/", 9) != 0 &&  /* the report outlives the resolution */
                strncmp(ids[i], "contact/", 8) != 0)     /* a customer's of that name */
                rc = s_meet_id(self, txn, ids[i], at);
        if (rc || !r->id || (!r->has_analysis_due && !r->has_follow_up_due))
            return rc;
        /* both owed by the case's owner (its first reply's), who may not
         * be who resolved it */
        char first[SLA_ID_MAX];
        snprintf(first, sizeof first, "reply/%s", r->id);
        const char *owner = s_owner_of(self, txn, first);
        if (!owner)
            owner = r->by;
        if (r->has_analysis_due) {
            /* domain.md §6: afterwards, a problem analysis report is due */
            snprintf(id, sizeof id, "analysis/%s", r->id);
            rc = s_open(self, txn, id,
                        KEFU__ESCALATION_KIND__ESCALATION_KIND_ANALYSIS_REPORT_OVERDUE, r->id,
                        owner, at, r->analysis_due);
        }
        if (rc == 0 && r->has_follow_up_due) {
            /* domain.md §1 "After closing": the follow-up visit (回访); a
             * case resolved again after a reopen owes a visit of its own */
            snprintf(id, sizeof id, "follow-up/%s", r->id);
            if (krecord_exists(txn, self->t.obligations, id))
                snprintf(id, sizeof id, "follow-up/%s/%llu", r->id, (unsigned long long) seq);
            rc = s_open(self, txn, id, KEFU__ESCALATION_KIND__ESCALATION_KIND_FOLLOW_UP_OVERDUE,
                        r->id, owner, at, r->follow_up_due);
        }
        return rc;
    }
    case KEFU__ENVELOPE__BODY_CASE_FOLLOWED_UP:
        return s_meet_subject(self, txn, ev->case_followed_up->id, "follow-up/", at);
    case KEFU__ENVELOPE__BODY_CUSTOMER_REGISTERED:
    case KEFU__ENVELOPE__BODY_CUSTOMER_UPDATED: {
        const Kefu__Customer *c = ev->body_case == KEFU__ENVELOPE__BODY_CUSTOMER_REGISTERED
                                      ? ev->customer_registered->customer
                                      : ev->customer_updated->customer;
        if (!c || !c->id)
            return 0;
        /* one first contact owed at a time: the current assignment's
         * (its id carries assigned_at, so another update leaves it be) */
        char cur[SLA_ID_MAX] = "";
        if (c->assigned_to && c->has_first_contact_due && !c->has_first_contact_at) {
            long long sec = (long long) (c->assigned_at / 1000000);
            if (strlen(c->id) <= 45) {
                snprintf(cur, sizeof cur, "contact/%s/%lld", c->id, sec);
            } else {
                /* an id is at most 64 bytes (kid.h): a long customer id by its hash */
                uint64_t h = 1469598103934665603ULL;  /* FNV-1a */
                for (const char *p = c->id; *p; p++)
                    h = (h ^ (uint8_t) *p) * 1099511628211ULL;
                snprintf(cur, sizeof cur, "contact/#%016llx/%lld", (unsigned long long) h, sec);
            }
        }
        char ids[S_SUBJECT_MAX][SLA_ID_MAX];
        size_t found;
        int rc = s_subject_ids(self, txn, c->id, "contact/", ids, &found);
        for (size_t i = 0; i < found && rc == 0; i++)
            if (strcmp(ids[i], cur) != 0)
                rc = s_meet_id(self, txn, ids[i], at);
        if (rc == 0 && cur[0])
            rc = s_open(self, txn, cur, KEFU__ESCALATION_KIND__ESCALATION_KIND_FIRST_CONTACT_OVERDUE,
                        c->id, c->assigned_to, at, c->first_contact_due);
        return rc;
    }
    case KEFU__ENVELOPE__BODY_CONSULTATION_RECORDED: {
        const Kefu__Consultation *q = ev->consultation_recorded->consultation;
        if (!q || !q->by)
            return 0;
        int rc = 0;
        if (q->customer) {
            char ids[S_SUBJECT_MAX][SLA_ID_MAX];
            size_t found;
            rc = s_subject_ids(self, txn, q->customer, "contact/", ids, &found);
            for (size_t i = 0; i < found && rc == 0; i++) {
                const char *owner = s_owner_of(self, txn, ids[i]);
                if (owner && strcmp(owner, q->by) == 0)  /* the assigned person's contact */
                    rc = s_meet_id(self, txn, ids[i], at);
            }
        }
        if (rc == 0 && q->calls_back) {
            /* 000 §五.5: the callback made, by whoever makes it */
            snprintf(id, sizeof id, "callback/%s", q->calls_back);
            rc = s_meet_id(self, txn, id, at);
        }
        if (rc == 0 && q->id && q->has_callback_by) {
            /* a failed transfer leaves a callback promise (000 §五.5),
             * owed by who took the call */
            snprintf(id, sizeof id, "callback/%s", q->id);
            rc = s_open(self, txn, id, KEFU__ESCALATION_KIND__ESCALATION_KIND_CALLBACK_OVERDUE,
                        q->id, q->by, at, q->callback_by);
        }
        return rc;
    }
    case KEFU__ENVELOPE__BODY_CASE_REPORTED: {
        const Kefu__CaseReported *r = ev->case_reported;
        if (!r->id)
            return 0;
        if (r->analysis) {
            snprintf(id, sizeof id, "analysis/%s", r->id);
            return s_meet_id(self, txn, id, at);
        }
        if (!r->incident)
            return 0;
        /* 003 第二篇 四.6: the incident report goes to the GM at once; it
         * stands until the case is resolved */
        snprintf(id, sizeof id, "incident/%s", r->id);
        return s_open(self, txn, id, KEFU__ESCALATION_KIND__ESCALATION_KIND_MAJOR_INCIDENT, r->id,
                      r->incident->by, at, at);
    }
    case KEFU__ENVELOPE__BODY_CASE_HANDOFF_ANSWERED:
        /* the department answered the latest hand-off: its due is met */
        return s_meet_some(self, txn, ev->case_handoff_answered->id, "handoff/", at, true);
    case KEFU__ENVELOPE__BODY_CASE_REOPENED: {
        /* the customer is back: a reply is owed again, by the new due; the
         * resolution no longer stands, so neither does its visit (the
         * next resolution owes one again) */
        const Kefu__CaseReopened *r = ev->case_reopened;
        if (!r->id)
            return 0;
        int rc = s_meet_subject(self, txn, r->id, "follow-up/", at);
        if (rc || !r->has_reply_due)
            return rc;
        char first[SLA_ID_MAX];
        snprintf(first, sizeof first, "reply/%s", r->id);
        const char *owner = s_owner_of(self, txn, first);
        snprintf(id, sizeof id, "reply/%s/%llu", r->id, (unsigned long long) seq);
        return s_open(self, txn, id, KEFU__ESCALATION_KIND__ESCALATION_KIND_COMPLAINT_REPLY_OVERDUE,
                      r->id, owner ? owner : r->by, at, r->reply_due);
    }
    case KEFU__ENVELOPE__BODY_CASE_WAITING:
        return s_pause_subject(self, txn, ev->case_waiting->id, true, at);
    case KEFU__ENVELOPE__BODY_CASE_RESUMED:
        return s_pause_subject(self, txn, ev->case_resumed->id, false, at);
    case KEFU__ENVELOPE__BODY_REWORK_OPENED: {
        const Kefu__Rework *w = ev->rework_opened->rework;
        if (!w || !w->id || !w->has_due)
            return 0;
        snprintf(id, sizeof id, "rework/%s", w->id);
        return s_open(self, txn, id, KEFU__ESCALATION_KIND__ESCALATION_KIND_REWORK_OVERDUE, w->id,
                      w->receiver, at, w->due);
    }
    case KEFU__ENVELOPE__BODY_REWORK_DONE:
        if (!ev->rework_done->id)
            return 0;
        snprintf(id, sizeof id, "rework/%s", ev->rework_done->id);
        return s_meet_id(self, txn, id, at);
    case KEFU__ENVELOPE__BODY_PROMISE_AT_RISK: {
        const Kefu__PromiseAtRisk *r = ev->promise_at_risk;
        if (!r->order)
            return 0;
        snprintf(id, sizeof id, "risk/%s", r->order);
        return s_open(self, txn, id,
                      r->rush ? KEFU__ESCALATION_KIND__ESCALATION_KIND_RUSH_AT_RISK
                              : KEFU__ESCALATION_KIND__ESCALATION_KIND_PROMISE_AT_RISK,
                      r->order, NULL, at, at);
    }
    case KEFU__ENVELOPE__BODY_STAGE_REPORTED: {
        const Kefu__StageReported *s = ev->stage_reported;
        if (!s->order || !s->mark || s->mark->stage != KEFU__STAGE__STAGE_DONE)
            return 0;
        snprintf(id, sizeof id, "risk/%s", s->order);
        return s_meet_id(self, txn, id, at);
    }
    case KEFU__ENVELOPE__BODY_OUTSOURCE_SENT: {
        const Kefu__Outsource *o = ev->outsource_sent->outsource;
        if (!o || !o->id || !o->has_expected_at)
            return 0;
        snprintf(id, sizeof id, "outsource/%s", o->id);
        return s_open(self, txn, id, KEFU__ESCALATION_KIND__ESCALATION_KIND_OUTSOURCE_OVERDUE, o->id,
                      o->keeper, at, o->expected_at);
    }
    case KEFU__ENVELOPE__BODY_OUTSOURCE_RECEIVED: {
        const Kefu__OutsourceReceived *r = ev->outsource_received;
        if (!r->id)
            return 0;
        int rc = s_meet_subject(self, txn, r->id, "outsource/", at);
        if (rc == 0 && !r->accepted && r->has_redo_by) {
            /* the redo date agreed with the vendor is an obligation of its own */
            snprintf(id, sizeof id, "outsource/%s/%llu", r->id, (unsigned long long) seq);
            rc = s_open(self, txn, id, KEFU__ESCALATION_KIND__ESCALATION_KIND_OUTSOURCE_OVERDUE,
                        r->id, r->by, at, r->redo_by);
        }
        return rc;
    }
    default:
        return 0;
    }
}

/* ---- sla's own events ---------------------------------------------------------------- */

static Kefu__Escalation *s_escalation(sla_t *self, store_txn_t *txn, const char *id, uint64_t seq)
{
    Kefu__Escalation *e = krecord_get(txn, self->t.escalations, id, &kefu__escalation__descriptor,
                                      self->apply_arena);
    if (!e)
        klog_warn("seq %llu: event for unknown escalation %s skipped", (unsigned long long) seq,
                  id ? id : "(none)");
    return e;
}

/* Escalation e changed: its obligation's next action, into the heap. */
static int s_repush(sla_t *self, store_txn_t *txn, const Kefu__Escalation *e)
{
    Kefu__Obligation *o = e->obligation ? krecord_get(txn, self->t.obligations, e->obligation,
                                                      &kefu__obligation__descriptor,
                                                      self->apply_arena)
                                        : NULL;
    return o ? sla_watch_push(self->watch, sla_next_at(self, o, e), o->id) : 0;
}

static int s_own(sla_t *self, store_txn_t *txn, const Kefu__Envelope *ev, uint64_t seq)
{
    Kefu__Escalation *e;
    int rc = 0;
    switch (ev->body_case) {
    case KEFU__ENVELOPE__BODY_ESCALATION_RAISED: {
        e = ev->escalation_raised->escalation;
        if (!e || !e->id || !e->obligation || krecord_exists(txn, self->t.escalations, e->id))
            return 0;
        Kefu__Obligation *o = krecord_get(txn, self->t.obligations, e->obligation,
                                          &kefu__obligation__descriptor, self->apply_arena);
        if (!o && e->has_kind && sla_kind_rule(e->kind)->own && e->has_due) {
            /* sla's own obligation (no owner's event opens it): opened by
             * its escalation, at its due */
            rc = s_open(self, txn, e->obligation, e->kind, e->subject, e->owner, e->due, e->due);
            o = rc ? NULL : krecord_get(txn, self->t.obligations, e->obligation,
                                        &kefu__obligation__descriptor, self->apply_arena);
            if (rc)
                return rc;
        }
        if (!o || o->escalation) {
            klog_warn("seq %llu: escalation %s of obligation %s skipped (none, or escalated)",
                      (unsigned long long) seq, e->id, e->obligation);
            return 0;
        }
        o->escalation = e->id;
        uint8_t key[8 + 65];
        rc = krecord_put(txn, self->t.escalations, e->id, &e->base);
        if (rc == 0)
            rc = krecord_put(txn, self->t.obligations, o->id, &o->base);
        if (rc == 0)
            rc = store_put(txn, self->t.esc_time, key, krecord_time_key(key, e->raised_at, e->id), "", 0);
        if (rc == 0)
            rc = kid_counter_see(txn, "escalation", "E", e->id);
        if (rc == 0)
            rc = sla_watch_push(self->watch, sla_next_at(self, o, e), o->id);
        if (rc == 0 && e->kind == KEFU__ESCALATION_KIND__ESCALATION_KIND_OPEN_COMPLAINTS)
            rc = sla_eod_listed(self, txn, e);
        return rc;
    }
    case KEFU__ENVELOPE__BODY_OBLIGATION_WARNED: {
        const Kefu__Obligation *w = ev->obligation_warned->obligation;
        Kefu__Obligation *o = w && w->id ? krecord_get(txn, self->t.obligations, w->id,
                                                       &kefu__obligation__descriptor,
                                                       self->apply_arena)
                                         : NULL;
        if (!o)
            return 0;
        o->has_warned = o->warned = true;
        rc = krecord_put(txn, self->t.obligations, o->id, &o->base);
        return rc ? rc : sla_watch_push(self->watch, o->due, o->id);
    }
    case KEFU__ENVELOPE__BODY_ESCALATION_ACKED:
        if (!(e = s_escalation(self, txn, ev->escalation_acked->id, seq)))
            return 0;
        e->has_state = e->has_acked_at = true;
        e->state = KEFU__ESCALATION_STATE__ESCALATION_STATE_ACKED;
        e->acked_by = ev->escalation_acked->by;
        e->acked_at = ev->at;
        return krecord_put(txn, self->t.escalations, e->id, &e->base);
    case KEFU__ENVELOPE__BODY_ESCALATION_LEVELLED:
        if (!(e = s_escalation(self, txn, ev->escalation_levelled->id, seq)))
            return 0;
        e->has_level = e->has_levelled_at = true;
        e->level = ev->escalation_levelled->level;
        e->levelled_at = ev->at;
        rc = krecord_put(txn, self->t.escalations, e->id, &e->base);
        return rc ? rc : s_repush(self, txn, e);  /* its reminders go on */
    case KEFU__ENVELOPE__BODY_ESCALATION_REMINDED: {
        if (!(e = s_escalation(self, txn, ev->escalation_reminded->id, seq)))
            return 0;
        e->has_reminders = true;
        e->reminders = ev->escalation_reminded->n;
        rc = krecord_put(txn, self->t.escalations, e->id, &e->base);
        return rc ? rc : s_repush(self, txn, e);
    }
    case KEFU__ENVELOPE__BODY_ESCALATION_CLEARED:
        if (!(e = s_escalation(self, txn, ev->escalation_cleared->id, seq)))
            return 0;
        e->has_state = e->has_cleared_at = e->has_late_us = true;
        e->state = KEFU__ESCALATION_STATE__ESCALATION_STATE_CLEARED;
        e->cleared_at = ev->at;
        e->late_us = ev->escalation_cleared->late_us;
        return krecord_put(txn, self->t.escalations, e->id, &e->base);
    default:
        return 0;
    }
}

int sla_apply(void *arg, store_txn_t *txn, const evlog_record_t *rec, const Kefu__Envelope *ev)
{
    sla_t *self = arg;
    if (!ev)
        return 0;
    arena_reset(self->apply_arena);
    int rc = s_input(self, txn, ev, rec->seq);  /* each takes its own cases only */
    if (rc == 0)
        rc = sla_eod_input(self, txn, ev);
    if (rc == 0)
        rc = s_own(self, txn, ev, rec->seq);
    /* its notice, unless this is history replayed into a new store */
    if (rc == 0 && !kservice_catching_up(self->svc, rec->seq))
        rc = sla_notify_put(self->notify, txn, rec->seq, ev);
    return rc;
}
