/* sched_apply.c: how each event changes sched's state.
 *
 * The only place sched's store changes (besides the kit's request and
 * reaction records and the consumer's position, in the same transaction).
 * Two kinds of event come through (kservice.h):
 *   - intake's, which sched follows as facts: a customer's tier, an order
 *     taken (it becomes a job, with its promise), a case on an order, and
 *     a case resolved as reissue or rework, which sched answers with a
 *     command of its own (kservice_react): the lab-caused rush or rework
 *     it starts is then sched's own event, decided and due like any;
 *   - sched's own, which move jobs, decisions, rework and outsourcing.
 * Appliers trust the events (the commands checked them: sched_cmd.c);
 * one about a record that does not exist is logged and skipped.
 */
#include <stdio.h>
#include <string.h>

#include "kerr.h"
#include "kid.h"
#include "klog.h"
#include "scheduler.h"

const int sched_follows[] = {
    KEFU__ENVELOPE__BODY_CUSTOMER_REGISTERED,
    KEFU__ENVELOPE__BODY_CUSTOMER_UPDATED,
    KEFU__ENVELOPE__BODY_ORDER_TAKEN,
    KEFU__ENVELOPE__BODY_CASE_OPENED,
    KEFU__ENVELOPE__BODY_CASE_RESOLVED,
    0,
};

static Kefu__Job *s_job(sched_t *self, store_txn_t *txn, const char *order, uint64_t seq)
{
    Kefu__Job *j = krecord_get(txn, self->t.jobs, order, &kefu__job__descriptor, self->apply_arena);
    if (!j)
        klog_warn("seq %llu: event for an order production does not know (%s) skipped",
                  (unsigned long long) seq, order ? order : "(none)");
    return j;
}

static int s_put_job(sched_t *self, store_txn_t *txn, Kefu__Job *j)
{
    int rc = krecord_put(txn, self->t.jobs, j->order, &j->base);
    return rc ? rc : sched_open_put(self, txn, j);
}

/* The day's counters of time at (its local date). */
static Kefu__ProductionDay *s_day(sched_t *self, store_txn_t *txn, int64_t at, char *key)
{
    sched_local_date(self, at, key, 11);
    Kefu__ProductionDay *d = krecord_get(txn, self->t.days, key, &kefu__production_day__descriptor,
                                         self->apply_arena);
    if (!d) {
        d = arena_alloc(self->apply_arena, sizeof *d);
        kefu__production_day__init(d);
    }
    return d;
}

static void s_count_rule(sched_t *self, Kefu__ProductionDay *d, Kefu__RushRule rule, bool accepted)
{
    Kefu__RuleCount *rc = NULL;
    for (size_t i = 0; i < d->n_by_rule; i++)
        if (d->by_rule[i]->rule == rule)
            rc = d->by_rule[i];
    if (!rc) {
        rc = arena_alloc(self->apply_arena, sizeof *rc);
        kefu__rule_count__init(rc);
        rc->has_rule = true;
        rc->rule = rule;
        Kefu__RuleCount **v = arena_grow(self->apply_arena, d->by_rule, d->n_by_rule,
                                         d->n_by_rule + 1, sizeof *v);
        v[d->n_by_rule++] = rc;
        d->by_rule = v;
    }
    if (accepted) {
        rc->has_accepted = true;
        rc->accepted++;
    } else {
        rc->has_declined = true;
        rc->declined++;
    }
}

/* A job made again (a lab-caused rush or a rework of a finished order):
 * back on the floor from its first stage. */
static void s_reopen(Kefu__Job *j)
{
    j->has_stage = false;
    j->stage = KEFU__STAGE__STAGE_UNSET;
    j->has_done_at = false;
    j->done_at = 0;
    j->has_at_risk = false;
    j->at_risk = false;
}

/* The job goes to the head of the queue as a rush: due, accepted at, its
 * cause, the rule that accepted it, the case it comes from. */
static void s_rush(Kefu__Job *j, int64_t due, int64_t accepted_at, Kefu__Cause cause,
                   Kefu__RushRule rule, char *case_id)
{
    j->has_rush_due = j->has_rush_accepted_at = j->has_rush_cause = j->has_rush_rule = true;
    j->rush_due = due;
    j->rush_accepted_at = accepted_at;
    j->rush_cause = cause;
    j->rush_rule = rule;
    j->case_ = case_id;
}

/* ---- intake's facts ------------------------------------------------------------ */

static int s_order_taken(sched_t *self, store_txn_t *txn, const Kefu__Order *o, uint64_t seq)
{
    if (!o || !o->id || krecord_exists(txn, self->t.jobs, o->id)) {
        if (o && o->id)
            klog_error("seq %llu: order %s taken twice; the first is kept",
                       (unsigned long long) seq, o->id);
        return 0;
    }
    Kefu__Job j = KEFU__JOB__INIT;
    j.order = o->id;
    j.customer = o->customer;
    const void *v;
    size_t vl;
    if (o->customer && store_get(txn, self->t.customers, o->customer, strlen(o->customer), &v,
                                 &vl) == 0 && vl == 1) {
        j.has_tier = true;
        j.tier = (Kefu__Tier) * (const uint8_t *) v;
    }
    j.has_product = true;
    j.product = o->product;
    j.has_qty = true;
    j.qty = o->qty;
    j.has_uploaded_at = true;
    j.uploaded_at = o->uploaded_at;
    j.has_promise = true;
    j.has_promise_at = true;
    if (o->has_ship_by) {
        j.promise = KEFU__PROMISE_SOURCE__PROMISE_SOURCE_SHIP_BY;
        j.promise_at = o->ship_by;
    } else if (o->has_pickup_by) {
        j.promise = KEFU__PROMISE_SOURCE__PROMISE_SOURCE_PICKUP_BY;
        j.promise_at = o->pickup_by;
    } else {
        /* the product's promise (sched.promise_PRODUCT), from the upload */
        j.promise = KEFU__PROMISE_SOURCE__PROMISE_SOURCE_POLICY;
        int p = o->product > 0 && o->product < SCHED_PRODUCTS ? o->product : 1;
        if (deadline_spec_due(self->policy, self->conf.promise_spec[p], o->uploaded_at,
                              &j.promise_at) != 0)
            j.promise_at = o->uploaded_at;
    }
    return s_put_job(self, txn, &j);
}

/* A case resolved as reissue or rework on an order production knows:
 * sched's own command, named after the case so it happens once. */
static int s_case_resolved(sched_t *self, store_txn_t *txn, const Kefu__Envelope *ev)
{
    const Kefu__CaseResolved *r = ev->case_resolved;
    if (!r->id || (r->outcome != KEFU__OUTCOME__OUTCOME_REISSUE &&
                   r->outcome != KEFU__OUTCOME__OUTCOME_REWORK))
        return 0;
    const void *v;
    size_t vl;
    if (store_get(txn, self->t.cases, r->id, strlen(r->id), &v, &vl) != 0 || vl == 0 || vl > 64)
        return 0;  /* no order on the case: nothing to make */
    char order[65];
    memcpy(order, v, vl);
    order[vl] = '\0';
    if (!krecord_exists(txn, self->t.jobs, order))
        return 0;
    char rid[96];
    Kefu__Request req = KEFU__REQUEST__INIT;
    req.actor = ev->actor ? ev->actor : r->by;
    Kefu__RushRequest rush = KEFU__RUSH_REQUEST__INIT;
    Kefu__ReworkOpen rw = KEFU__REWORK_OPEN__INIT;
    char reason[160];
    if (r->outcome == KEFU__OUTCOME__OUTCOME_REISSUE) {
        snprintf(rid, sizeof rid, "case-%s-reissue", r->id);
        rush.order = order;
        rush.has_cause = true;
        rush.cause = KEFU__CAUSE__CAUSE_LAB;
        rush.case_ = r->id;
        req.req_case = KEFU__REQUEST__REQ_RUSH;
        req.rush = &rush;
    } else {
        snprintf(rid, sizeof rid, "case-%s-rework", r->id);
        snprintf(reason, sizeof reason, "case %s resolved as rework", r->id);
        rw.order = order;
        rw.has_cause = true;
        rw.cause = KEFU__CAUSE__CAUSE_LAB;
        rw.reason = reason;
        rw.case_ = r->id;
        req.req_case = KEFU__REQUEST__REQ_REWORK_OPEN;
        req.rework_open = &rw;
    }
    return kservice_react(self->svc, txn, rid, &req);
}

/* ---- sched's own ----------------------------------------------------------------- */

static int s_rush_decided(sched_t *self, store_txn_t *txn, const Kefu__RushDecision *d,
                          uint64_t seq)
{
    if (!d || !d->id || !d->order)
        return 0;
    if (krecord_exists(txn, self->t.rushes, d->id)) {
        klog_error("seq %llu: rush decision %s made twice; the first is kept",
                   (unsigned long long) seq, d->id);
        return 0;
    }
    int rc = krecord_put(txn, self->t.rushes, d->id, &d->base);
    uint8_t key[8 + 64 + 1 + 8];
    if (rc == 0)
        rc = store_put(txn, self->t.rush_time, key, krecord_time_key(key, d->at, d->id), "", 0);
    if (rc == 0 && d->customer && strlen(d->customer) <= 64) {
        uint8_t ck[64 + 1 + 8 + 64];
        size_t n = strlen(d->customer);
        memcpy(ck, d->customer, n);
        ck[n] = '\0';
        size_t kl = n + 1 + krecord_time_key(ck + n + 1, d->at, d->id);
        rc = store_put(txn, self->t.cust_rush, ck, kl, "", 0);
    }
    if (rc == 0)
        rc = kid_counter_see(txn, "rush", "R", d->id);
    Kefu__Job *j = rc == 0 ? s_job(self, txn, d->order, seq) : NULL;
    if (j) {
        j->has_rush_requests = true;
        j->rush_requests++;
        bool accepted = d->decision == KEFU__RUSH_DECISION_KIND__RUSH_DECISION_KIND_ACCEPTED;
        if (accepted) {
            if (j->stage == KEFU__STAGE__STAGE_DONE)
                s_reopen(j);  /* a lab-caused reissue of a finished order */
            j->rush = d->id;
            j->has_rush_level = d->has_level;
            j->rush_level = d->level;
            s_rush(j, d->due, d->at, d->cause, d->rule, d->case_);
        }
        rc = s_put_job(self, txn, j);
    }
    char day[11];
    Kefu__ProductionDay *dy = rc == 0 ? s_day(self, txn, d->at, day) : NULL;
    if (dy) {
        bool accepted = d->decision == KEFU__RUSH_DECISION_KIND__RUSH_DECISION_KIND_ACCEPTED;
        if (accepted) {
            dy->has_rushes_accepted = true;
            dy->rushes_accepted++;
            if (d->cause == KEFU__CAUSE__CAUSE_LAB) {
                dy->has_lab_rushes = true;
                dy->lab_rushes++;
            } else {
                dy->has_quota_used = true;
                dy->quota_used += d->qty;
            }
        } else {
            dy->has_rushes_declined = true;
            dy->rushes_declined++;
        }
        s_count_rule(self, dy, d->rule, accepted);
        rc = krecord_put(txn, self->t.days, day, &dy->base);
    }
    return rc;
}

static int s_stage_reported(sched_t *self, store_txn_t *txn, const Kefu__StageReported *e,
                            int64_t at, uint64_t seq)
{
    Kefu__Job *j = e->mark ? s_job(self, txn, e->order, seq) : NULL;
    if (!j)
        return 0;
    bool was_done = j->stage == KEFU__STAGE__STAGE_DONE;
    if (j->n_stages >= SCHED_MAX_MARKS) {
        /* a job made again and again: its record keeps the newest (the
         * log keeps them all) */
        memmove(j->stages, j->stages + 1, (j->n_stages - 1) * sizeof *j->stages);
        j->n_stages--;
    }
    Kefu__StageMark **m = arena_grow(self->apply_arena, j->stages, j->n_stages, j->n_stages + 1,
                                     sizeof *m);
    m[j->n_stages++] = e->mark;
    j->stages = m;
    j->has_stage = true;
    j->stage = e->mark->stage;
    bool done = j->stage == KEFU__STAGE__STAGE_DONE;
    if (done && !was_done) {
        j->has_done_at = true;
        j->done_at = at;
    } else if (!done && was_done) {
        j->has_done_at = false;  /* a correction moved it back */
        j->done_at = 0;
    }
    int rc = s_put_job(self, txn, j);
    if (rc == 0 && done != was_done) {
        /* made that day, or (a correction) not made after all */
        char day[11];
        Kefu__ProductionDay *dy = s_day(self, txn, at, day);
        dy->has_made = dy->has_jobs_done = true;
        if (done) {
            dy->made += j->qty;
            dy->jobs_done++;
        } else {
            dy->made = dy->made > j->qty ? dy->made - j->qty : 0;
            dy->jobs_done = dy->jobs_done ? dy->jobs_done - 1 : 0;
        }
        rc = krecord_put(txn, self->t.days, day, &dy->base);
    }
    return rc;
}

static int s_rework_opened(sched_t *self, store_txn_t *txn, Kefu__Rework *w, uint64_t seq)
{
    if (!w || !w->id || krecord_exists(txn, self->t.reworks, w->id))
        return 0;
    int rc = krecord_put(txn, self->t.reworks, w->id, &w->base);
    uint8_t key[8 + 65];
    if (rc == 0)
        rc = store_put(txn, self->t.rework_open, key, krecord_time_key(key, w->opened_at, w->id),
                       "", 0);
    if (rc == 0)
        rc = kid_counter_see(txn, "rework", "RW", w->id);
    /* the order is made again: the lab's rework first of all, due by the
     * rework rule; the customer's as a new upload, promised by it */
    Kefu__Job *j = rc == 0 ? s_job(self, txn, w->order, seq) : NULL;
    if (j) {
        s_reopen(j);
        if (w->cause == KEFU__CAUSE__CAUSE_LAB)
            s_rush(j, w->due, w->opened_at, KEFU__CAUSE__CAUSE_LAB,
                   KEFU__RUSH_RULE__RUSH_RULE_URGENCY, w->case_);
        else {
            j->uploaded_at = w->opened_at;
            j->promise_at = w->due;
        }
        rc = s_put_job(self, txn, j);
    }
    return rc;
}

static int s_rework_change(sched_t *self, store_txn_t *txn, const Kefu__Envelope *ev, uint64_t seq)
{
    bool done = ev->body_case == KEFU__ENVELOPE__BODY_REWORK_DONE;
    const char *id = done ? ev->rework_done->id : ev->rework_handed_over->id;
    const char *by = done ? ev->rework_done->by : ev->rework_handed_over->by;
    Kefu__Rework *w = krecord_get(txn, self->t.reworks, id, &kefu__rework__descriptor,
                                  self->apply_arena);
    if (!w) {
        klog_warn("seq %llu: event for unknown rework %s skipped", (unsigned long long) seq,
                  id ? id : "(none)");
        return 0;
    }
    int rc = 0;
    if (done) {
        w->has_state = true;
        w->state = KEFU__REWORK_STATE__REWORK_STATE_DONE;
        w->done_by = (char *) by;
        w->has_done_at = true;
        w->done_at = ev->at;
        uint8_t key[8 + 65];
        rc = store_del(txn, self->t.rework_open, key, krecord_time_key(key, w->opened_at, w->id));
        if (rc == KEFU_ENOTFOUND)
            rc = 0;
    } else {
        w->handover_by = (char *) by;
        w->has_handover_at = true;
        w->handover_at = ev->at;
    }
    return rc ? rc : krecord_put(txn, self->t.reworks, w->id, &w->base);
}

static int s_outsource(sched_t *self, store_txn_t *txn, const Kefu__Envelope *ev, uint64_t seq)
{
    if (ev->body_case == KEFU__ENVELOPE__BODY_OUTSOURCE_SENT) {
        Kefu__Outsource *o = ev->outsource_sent->outsource;
        if (!o || !o->id || krecord_exists(txn, self->t.outsources, o->id))
            return 0;
        int rc = krecord_put(txn, self->t.outsources, o->id, &o->base);
        return rc ? rc : kid_counter_see(txn, "outsource", "OS", o->id);
    }
    const Kefu__OutsourceReceived *e = ev->outsource_received;
    Kefu__Outsource *o = krecord_get(txn, self->t.outsources, e->id, &kefu__outsource__descriptor,
                                     self->apply_arena);
    if (!o) {
        klog_warn("seq %llu: event for unknown outsourcing %s skipped", (unsigned long long) seq,
                  e->id ? e->id : "(none)");
        return 0;
    }
    o->has_rounds = true;
    o->rounds++;
    o->inspection = e->inspection;
    o->has_received_at = true;
    o->received_at = ev->at;
    o->received_by = e->by;
    o->has_state = true;
    if (e->accepted)
        o->state = KEFU__OUTSOURCE_STATE__OUTSOURCE_STATE_ACCEPTED;
    else if (e->has_redo_by) {
        o->state = KEFU__OUTSOURCE_STATE__OUTSOURCE_STATE_REDO;
        o->has_redo_by = true;
        o->redo_by = e->redo_by;
    } else
        o->state = KEFU__OUTSOURCE_STATE__OUTSOURCE_STATE_RETURNED;
    return krecord_put(txn, self->t.outsources, o->id, &o->base);
}

int sched_apply(void *arg, store_txn_t *txn, const evlog_record_t *rec, const Kefu__Envelope *ev)
{
    sched_t *self = arg;
    if (!ev)
        return 0;
    arena_reset(self->apply_arena);
    uint64_t seq = rec->seq;
    switch (ev->body_case) {
    case KEFU__ENVELOPE__BODY_CUSTOMER_REGISTERED:
    case KEFU__ENVELOPE__BODY_CUSTOMER_UPDATED: {
        const Kefu__Customer *c = ev->body_case == KEFU__ENVELOPE__BODY_CUSTOMER_REGISTERED
                                      ? ev->customer_registered->customer
                                      : ev->customer_updated->customer;
        if (!c || !c->id || !c->has_tier)
            return 0;
        uint8_t tier = (uint8_t) c->tier;
        return store_put(txn, self->t.customers, c->id, strlen(c->id), &tier, 1);
    }
    case KEFU__ENVELOPE__BODY_ORDER_TAKEN:
        return s_order_taken(self, txn, ev->order_taken->order, seq);
    case KEFU__ENVELOPE__BODY_CASE_OPENED: {
        const Kefu__Case *c = ev->case_opened->case_;
        if (!c || !c->id || !c->order || !c->order[0] || strlen(c->order) > 64)
            return 0;
        return store_put(txn, self->t.cases, c->id, strlen(c->id), c->order, strlen(c->order));
    }
    case KEFU__ENVELOPE__BODY_CASE_RESOLVED:
        return s_case_resolved(self, txn, ev);
    case KEFU__ENVELOPE__BODY_RUSH_DECIDED:
        return s_rush_decided(self, txn, ev->rush_decided->decision, seq);
    case KEFU__ENVELOPE__BODY_STAGE_REPORTED:
        return s_stage_reported(self, txn, ev->stage_reported, ev->at, seq);
    case KEFU__ENVELOPE__BODY_PROMISE_AT_RISK: {
        Kefu__Job *j = s_job(self, txn, ev->promise_at_risk->order, seq);
        if (!j)
            return 0;
        j->has_at_risk = true;
        j->at_risk = true;
        return krecord_put(txn, self->t.jobs, j->order, &j->base);
    }
    case KEFU__ENVELOPE__BODY_REWORK_OPENED:
        return s_rework_opened(self, txn, ev->rework_opened->rework, seq);
    case KEFU__ENVELOPE__BODY_REWORK_HANDED_OVER:
    case KEFU__ENVELOPE__BODY_REWORK_DONE:
        return s_rework_change(self, txn, ev, seq);
    case KEFU__ENVELOPE__BODY_OUTSOURCE_SENT:
    case KEFU__ENVELOPE__BODY_OUTSOURCE_RECEIVED:
        return s_outsource(self, txn, ev, seq);
    default:
        return 0;
    }
}
