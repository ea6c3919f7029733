/* sched_cmd.c: sched's commands: what each one touches, checks and makes.
 *
 * Each write is checked against the applied state and turned into events;
 * the state changes only when they come back from the log (sched_apply.c).
 * Refusals name the request's field (cmdq.h). Commands on one order run
 * in order (the key "job/ORDER"), so a stage, a rush and a rework of one
 * order are checked against what the one before left. The rules
 * themselves are sched_rules.c's; here they get their figures.
 */
#include <stdio.h>
#include <string.h>

#include "kerr.h"
#include "kid.h"
#include "klog.h"
#include "ktime.h"
#include "pbdesc.h"
#include "scheduler.h"

#define S_MAX_VENDOR 200

static const char *const s_products[SCHED_PRODUCTS] = {"?", "print", "album", "crystal", "frame"};

static Kefu__Job *s_get_job(sched_t *self, cmd_t *cmd, store_txn_t *txn, const char *order,
                            int *rc)
{
    if (cmd_blank(order)) {
        *rc = cmd_field_missing(cmd, "order", "the order");
        return NULL;
    }
    Kefu__Job *j = krecord_get(txn, self->t.jobs, order, &kefu__job__descriptor, cmd_arena(cmd));
    if (!j) {
        cmd_errmsg(cmd, "order: %s is not an order production knows (take it with order add)",
                   order);
        *rc = KEFU_ENOTFOUND;
    }
    return j;
}

static char *s_dup(cmd_t *cmd, const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = cmd_alloc(cmd, n);
    memcpy(p, s, n);
    return p;
}

static const char *s_product(int p)
{
    return p > 0 && p < SCHED_PRODUCTS ? s_products[p] : "?";
}

/* ---- rush -------------------------------------------------------------------------- */

/* The customer's rush requests in the 30 days before now. */
static uint32_t s_customer_rushes(sched_t *self, store_txn_t *txn, const char *customer,
                                  int64_t now)
{
    if (!customer || strlen(customer) > 64)
        return 0;
    uint8_t key[64 + 1 + 8];
    size_t n = strlen(customer);
    memcpy(key, customer, n);
    key[n] = '\0';
    krecord_time_key(key + n + 1, now - SCHED_RUSH_WINDOW_US, NULL);
    store_cursor_t *c;
    uint32_t count = 0;
    if (store_cursor_open(txn, self->t.cust_rush, &c) != 0)
        return 0;
    const void *k;
    size_t kl;
    if (store_cursor_seek(c, key, n + 9) == 0)
        while (store_cursor_next(c, &k, &kl, NULL, NULL) == 0 && kl >= n + 9 &&
               memcmp(k, key, n + 1) == 0 && krecord_key_time((const uint8_t *) k + n + 1) <= now)
            count++;
    store_cursor_close(&c);
    return count;
}

static uint32_t s_quota_used(sched_t *self, cmd_t *cmd, store_txn_t *txn, int64_t now)
{
    char day[11];
    sched_local_date(self, now, day, sizeof day);
    Kefu__ProductionDay *d = krecord_get(txn, self->t.days, day, &kefu__production_day__descriptor,
                                         cmd_arena(cmd));
    return d ? d->quota_used : 0;
}

static int s_exec_rush(sched_t *self, cmd_t *cmd, const Kefu__RushRequest *in, store_txn_t *txn,
                       Kefu__Envelope **events)
{
    int rc = 0;
    Kefu__Job *j = s_get_job(self, cmd, txn, in->order, &rc);
    if (!j)
        return rc;
    Kefu__Cause cause = in->has_cause && in->cause ? in->cause : KEFU__CAUSE__CAUSE_CUSTOMER;
    if (in->has_cause && (in->cause < KEFU__CAUSE__CAUSE_CUSTOMER || in->cause > KEFU__CAUSE__CAUSE_LAB))
        return cmd_field_enum(cmd, "cause", "whose fault", &kefu__cause__descriptor);
    bool lab = cause == KEFU__CAUSE__CAUSE_LAB;
    bool has_level = in->has_level && in->level != KEFU__RUSH_LEVEL__RUSH_LEVEL_UNSET;
    if ((!has_level && !lab) || (has_level && (in->level < 1 || in->level >= SCHED_LEVELS)))
        return cmd_field_enum(cmd, "level", "how urgent", &kefu__rush_level__descriptor);
    if (!lab && j->stage == KEFU__STAGE__STAGE_DONE) {
        cmd_errmsg(cmd, "order: %s is done; there is nothing left to rush", j->order);
        return KEFU_ECONFLICT;
    }
    if (!lab && j->rush && j->stage != KEFU__STAGE__STAGE_DONE) {
        cmd_errmsg(cmd, "order: %s is rushed already (%s)", j->order, j->rush);
        return KEFU_ECONFLICT;
    }
    int64_t now = cmd_now(cmd);
    int64_t due = 0;
    if (has_level)
        rc = deadline_spec_due(self->policy, self->conf.rush_spec[in->level], now, &due);
    else {
        /* lab-caused without a level: the product's rework deadline (000 §四.2) */
        char rule[32];
        snprintf(rule, sizeof rule, "rework_%s", s_product(j->product));
        rc = deadline_policy_due(self->policy, rule, now, &due);
    }
    if (rc) {
        cmd_errmsg(cmd, "the rush's due time is out of range");
        return KEFU_EINVAL;
    }
    sched_rush_in_t fig = {
        .level = has_level ? in->level : KEFU__RUSH_LEVEL__RUSH_LEVEL_UNSET,
        .cause = cause,
        .qty = j->qty,
        .tier = j->tier,
        .capacity = self->conf.capacity,
        .quota = self->conf.quota,
        .quota_used = s_quota_used(self, cmd, txn, now),
        .frequent = self->conf.frequent,
        .reserve_pct = self->conf.reserve_pct,
        .customer_rushes = s_customer_rushes(self, txn, j->customer, now),
        .work_left_us = deadline_work_between(self->policy, now, due),
        .workday_us = deadline_policy_workday_us(self->policy),
    };
    if ((rc = sched_load_by(self, txn, due, j->order, &fig.load)) != 0)
        return rc;
    sched_rush_out_t out;
    sched_rush_decide(&fig, &out);

    Kefu__RushDecision *d = CMD_NEW(cmd, Kefu__RushDecision, kefu__rush_decision__init);
    if (!(d->id = (char *) cmd_new_id(cmd, txn, self->t.rushes, "rush", "R")))
        return KEFU_ESTOREFULL;
    d->order = j->order;
    d->customer = j->customer;
    d->has_tier = j->has_tier;
    d->tier = j->tier;
    d->has_level = has_level;
    d->level = fig.level;
    d->has_cause = true;
    d->cause = cause;
    d->has_qty = true;
    d->qty = j->qty;
    d->has_decision = true;
    d->decision = out.accept ? KEFU__RUSH_DECISION_KIND__RUSH_DECISION_KIND_ACCEPTED
                             : KEFU__RUSH_DECISION_KIND__RUSH_DECISION_KIND_DECLINED;
    d->has_rule = true;
    d->rule = out.rule;
    d->reason = s_dup(cmd, out.reason);
    d->has_due = out.accept;
    d->due = out.accept ? due : 0;
    d->has_at = true;
    d->at = now;
    d->by = in->by;
    d->case_ = in->case_;
    d->has_capacity = d->has_room = d->has_load = d->has_quota = d->has_quota_used = true;
    d->has_reserve = d->has_customer_rushes = d->has_frequent = true;
    d->capacity = fig.capacity;
    d->room = out.room;
    d->load = fig.load;
    d->quota = fig.quota;
    d->quota_used = fig.quota_used;
    d->reserve = out.reserve;
    d->customer_rushes = fig.customer_rushes;
    d->frequent = fig.frequent;
    Kefu__RushDecided *e = CMD_NEW(cmd, Kefu__RushDecided, kefu__rush_decided__init);
    e->decision = d;
    events[0] = cmd_event_of(cmd, KEFU__ENVELOPE__BODY_RUSH_DECIDED, e);
    return 1;
}

/* ---- stages ------------------------------------------------------------------------ */

static void s_route_text(const sched_route_t *r, char *buf, size_t cap)
{
    size_t n = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < r->n && n < cap; i++)
        n += (size_t) snprintf(buf + n, cap - n, "%s%s", i ? ", " : "", sched_stage_name(r->stage[i]));
}

static int s_route_index(const sched_route_t *r, int stage)
{
    for (size_t i = 0; i < r->n; i++)
        if (r->stage[i] == stage)
            return (int) i;
    return -1;
}

static int s_exec_stage(sched_t *self, cmd_t *cmd, const Kefu__StageReport *in, store_txn_t *txn,
                        Kefu__Envelope **events)
{
    int rc = 0;
    Kefu__Job *j = s_get_job(self, cmd, txn, in->order, &rc);
    if (!j)
        return rc;
    if (!in->has_stage || in->stage < 1 || in->stage >= SCHED_STAGES)
        return cmd_field_enum(cmd, "stage", "the stage reached", &kefu__stage__descriptor);
    char err[200];
    if (!cmd_blank(in->terminal) && kid_check(in->terminal, "terminal", err, sizeof err) != 0) {
        cmd_errmsg(cmd, "%s", err);
        return KEFU_EINVAL;
    }
    int p = j->product > 0 && j->product < SCHED_PRODUCTS ? j->product : 1;
    const sched_route_t *route = &self->conf.route[p];
    char rt[160];
    s_route_text(route, rt, sizeof rt);
    int at = s_route_index(route, in->stage);
    if (at < 0)
        return cmd_field_bad(cmd, "stage", "%s is not on the route of %s orders (%s)",
                             sched_stage_name(in->stage), s_product(p), rt);
    bool correct = in->has_correct && in->correct;
    if (!correct) {
        if (j->stage == KEFU__STAGE__STAGE_DONE) {
            cmd_errmsg(cmd, "stage: order %s is done; a correction (correct) may move it back",
                       j->order);
            return KEFU_ECONFLICT;
        }
        int cur = j->stage ? s_route_index(route, j->stage) : -1;
        int next = route->stage[cur + 1 < (int) route->n ? cur + 1 : (int) route->n - 1];
        if ((int) in->stage != next) {
            if (j->stage)
                cmd_errmsg(cmd, "stage: order %s is at %s; the next stage on its route is %s "
                                "(%s), or send it as a correction (correct)",
                           j->order, sched_stage_name(j->stage), sched_stage_name(next), rt);
            else
                cmd_errmsg(cmd, "stage: order %s has not started; its first stage is %s (%s), "
                                "or send it as a correction (correct)",
                           j->order, sched_stage_name(next), rt);
            return KEFU_ECONFLICT;
        }
    }
    int64_t now = cmd_now(cmd);
    Kefu__StageMark *m = CMD_NEW(cmd, Kefu__StageMark, kefu__stage_mark__init);
    m->has_stage = true;
    m->stage = in->stage;
    m->has_at = true;
    m->at = now;
    m->by = in->by;
    m->terminal = cmd_blank(in->terminal) ? NULL : in->terminal;
    m->has_correction = correct;
    m->correction = correct;
    Kefu__StageReported *e = CMD_NEW(cmd, Kefu__StageReported, kefu__stage_reported__init);
    e->order = j->order;
    e->mark = m;
    events[0] = cmd_event_of(cmd, KEFU__ENVELOPE__BODY_STAGE_REPORTED, e);
    /* At risk, said once: the work left (this stage's and those after it,
     * sched.work_PRODUCT) ends past the rush's due or the promise. */
    int64_t due = sched_job_due(j);
    if (j->at_risk || in->stage == SCHED_STAGE_DONE || !due)
        return 1;
    int64_t left = 0;
    for (size_t i = (size_t) at; i < route->n; i++)
        left += self->conf.work[p].us[route->stage[i]];
    if (now + left <= due)
        return 1;
    Kefu__PromiseAtRisk *r = CMD_NEW(cmd, Kefu__PromiseAtRisk, kefu__promise_at_risk__init);
    r->order = j->order;
    r->has_rush = true;
    r->rush = j->has_rush_due && j->rush_due;
    r->has_due = r->has_expected = true;
    r->due = due;
    r->expected = now + left;
    events[1] = cmd_event_of(cmd, KEFU__ENVELOPE__BODY_PROMISE_AT_RISK, r);
    return 2;
}

/* ---- rework ------------------------------------------------------------------------ */

static int s_need_by(cmd_t *cmd, const char *by, const char *who)
{
    return cmd_blank(by) ? cmd_field_missing(cmd, "by", who) : 0;
}

static int s_exec_rework_open(sched_t *self, cmd_t *cmd, const Kefu__ReworkOpen *in,
                              store_txn_t *txn, Kefu__Envelope **events)
{
    int rc = 0;
    Kefu__Job *j = s_get_job(self, cmd, txn, in->order, &rc);
    if (!j)
        return rc;
    if (!in->has_cause || in->cause < KEFU__CAUSE__CAUSE_CUSTOMER || in->cause > KEFU__CAUSE__CAUSE_LAB)
        return cmd_field_enum(cmd, "cause", "whose fault, verified", &kefu__cause__descriptor);
    if ((rc = s_need_by(cmd, in->by, "who takes it and follows it to the end")) != 0)
        return rc;
    int64_t now = cmd_now(cmd), due;
    char rule[32];
    snprintf(rule, sizeof rule, "rework_%s", s_product(j->product));
    if (deadline_policy_due(self->policy, rule, now, &due) != 0) {
        cmd_errmsg(cmd, "the rework's due time is out of range");
        return KEFU_EINVAL;
    }
    Kefu__Rework *w = CMD_NEW(cmd, Kefu__Rework, kefu__rework__init);
    if (!(w->id = (char *) cmd_new_id(cmd, txn, self->t.reworks, "rework", "RW")))
        return KEFU_ESTOREFULL;
    w->order = j->order;
    w->customer = j->customer;
    w->has_product = true;
    w->product = j->product;
    w->has_cause = true;
    w->cause = in->cause;
    w->reason = in->reason;
    w->responsible = cmd_blank(in->responsible) ? NULL : in->responsible;
    w->receiver = in->by;
    w->has_opened_at = w->has_due = w->has_state = w->has_charged = true;
    w->opened_at = now;
    w->due = due;
    w->state = KEFU__REWORK_STATE__REWORK_STATE_OPEN;
    w->charged = in->cause == KEFU__CAUSE__CAUSE_CUSTOMER;  /* re-upload, a normal order */
    w->case_ = in->case_;
    Kefu__ReworkOpened *e = CMD_NEW(cmd, Kefu__ReworkOpened, kefu__rework_opened__init);
    e->rework = w;
    events[0] = cmd_event_of(cmd, KEFU__ENVELOPE__BODY_REWORK_OPENED, e);
    return 1;
}

static int s_exec_rework_change(sched_t *self, cmd_t *cmd, const Kefu__Request *req,
                                store_txn_t *txn, Kefu__Envelope **events)
{
    bool done = req->req_case == KEFU__REQUEST__REQ_REWORK_CLOSE;
    const char *id = done ? req->rework_close->id : req->rework_handover->id;
    const char *by = done ? req->rework_close->by : req->rework_handover->by;
    void *m;
    int rc = cmd_record(cmd, txn, self->t.reworks, id, &kefu__rework__descriptor, "rework", &m);
    if (rc)
        return rc;
    Kefu__Rework *w = m;
    if ((rc = s_need_by(cmd, by, done ? "who writes it off" : "who signs the hand-over")) != 0)
        return rc;
    if (w->state != KEFU__REWORK_STATE__REWORK_STATE_OPEN) {
        cmd_errmsg(cmd, "rework %s is done already", w->id);
        return KEFU_ECONFLICT;
    }
    /* albums, crystal and frames need a signed hand-over to production
     * (000 §四.2); prints go straight back */
    bool needs_handover = w->product != KEFU__PRODUCT__PRODUCT_PRINT;
    Kefu__Envelope *ev = events[0] = cmd_event(cmd);
    if (done) {
        if (needs_handover && !w->handover_by) {
            cmd_errmsg(cmd, "rework %s (%s) needs its signed hand-over to production first "
                            "(rework handover)", w->id, s_product(w->product));
            return KEFU_ECONFLICT;
        }
        Kefu__ReworkDone *e = CMD_NEW(cmd, Kefu__ReworkDone, kefu__rework_done__init);
        e->id = w->id;
        e->by = (char *) by;
        ev->body_case = KEFU__ENVELOPE__BODY_REWORK_DONE;
        ev->rework_done = e;
    } else {
        if (!needs_handover) {
            cmd_errmsg(cmd, "rework %s is of prints, which need no signed hand-over", w->id);
            return KEFU_ECONFLICT;
        }
        if (w->handover_by) {
            cmd_errmsg(cmd, "rework %s was handed over already, by %s", w->id, w->handover_by);
            return KEFU_ECONFLICT;
        }
        Kefu__ReworkHandedOver *e = CMD_NEW(cmd, Kefu__ReworkHandedOver,
                                            kefu__rework_handed_over__init);
        e->id = w->id;
        e->by = (char *) by;
        ev->body_case = KEFU__ENVELOPE__BODY_REWORK_HANDED_OVER;
        ev->rework_handed_over = e;
    }
    return 1;
}

/* ---- outsourcing ------------------------------------------------------------------- */

static int s_exec_outsource_send(sched_t *self, cmd_t *cmd, const Kefu__OutsourceSend *in,
                                 store_txn_t *txn, Kefu__Envelope **events)
{
    int rc = 0;
    Kefu__Job *j = s_get_job(self, cmd, txn, in->order, &rc);
    if (!j)
        return rc;
    if (cmd_blank(in->vendor))
        return cmd_field_missing(cmd, "vendor", "where it goes");
    if (strlen(in->vendor) > S_MAX_VENDOR)
        return cmd_field_bad(cmd, "vendor", "at most %d bytes", S_MAX_VENDOR);
    if (!in->has_expect_us || in->expect_us <= 0)
        return cmd_field_missing(cmd, "expect_us", "when it is expected back (a duration)");
    if ((rc = s_need_by(cmd, in->by, "the keeper who sends it")) != 0)
        return rc;
    int64_t now = cmd_now(cmd), back;
    if (deadline_duration_due(self->policy, in->expect_us, now, &back) != 0)
        return cmd_field_bad(cmd, "expect_us", "too far ahead");
    Kefu__Outsource *o = CMD_NEW(cmd, Kefu__Outsource, kefu__outsource__init);
    if (!(o->id = (char *) cmd_new_id(cmd, txn, self->t.outsources, "outsource", "OS")))
        return KEFU_ESTOREFULL;
    o->order = j->order;
    o->vendor = in->vendor;
    o->keeper = in->by;
    o->has_sent_at = o->has_expected_at = o->has_state = true;
    o->sent_at = now;
    o->expected_at = back;
    o->state = KEFU__OUTSOURCE_STATE__OUTSOURCE_STATE_OUT;
    Kefu__OutsourceSent *e = CMD_NEW(cmd, Kefu__OutsourceSent, kefu__outsource_sent__init);
    e->outsource = o;
    events[0] = cmd_event_of(cmd, KEFU__ENVELOPE__BODY_OUTSOURCE_SENT, e);
    return 1;
}

static int s_exec_outsource_receive(sched_t *self, cmd_t *cmd, const Kefu__OutsourceReceive *in,
                                    store_txn_t *txn, Kefu__Envelope **events)
{
    void *m;
    int rc = cmd_record(cmd, txn, self->t.outsources, in->id, &kefu__outsource__descriptor,
                        "outsourcing", &m);
    if (rc)
        return rc;
    Kefu__Outsource *o = m;
    bool accept = in->has_accept && in->accept, reject = in->has_reject && in->reject;
    if (accept == reject)
        return cmd_field_bad(cmd, "accept", "say accept or reject (one of the two)");
    if (in->has_redo_by_us && (!reject || in->redo_by_us <= 0))
        return cmd_field_bad(cmd, "redo_by_us", "a redo date goes with a rejection, ahead of now");
    if (o->state != KEFU__OUTSOURCE_STATE__OUTSOURCE_STATE_OUT &&
        o->state != KEFU__OUTSOURCE_STATE__OUTSOURCE_STATE_REDO) {
        char st[32];
        pbdesc_enum_word(&kefu__outsource_state__descriptor, o->state, st, sizeof st);
        cmd_errmsg(cmd, "outsourcing %s is %s: nothing is out to receive", o->id, st);
        return KEFU_ECONFLICT;
    }
    int64_t now = cmd_now(cmd), redo = 0;
    if (in->has_redo_by_us && deadline_duration_due(self->policy, in->redo_by_us, now, &redo) != 0)
        return cmd_field_bad(cmd, "redo_by_us", "too far ahead");
    Kefu__OutsourceReceived *e = CMD_NEW(cmd, Kefu__OutsourceReceived,
                                         kefu__outsource_received__init);
    e->id = o->id;
    e->by = in->by;
    e->has_accepted = true;
    e->accepted = accept;
    e->inspection = in->inspection;
    e->has_redo_by = in->has_redo_by_us;
    e->redo_by = redo;
    events[0] = cmd_event_of(cmd, KEFU__ENVELOPE__BODY_OUTSOURCE_RECEIVED, e);
    return 1;
}

/* ---- the table's functions ------------------------------------------------------------ */

static int s_x(void *arg, cmd_t *cmd, const Kefu__Request *req, store_txn_t *txn,
               Kefu__Envelope **events, size_t max)
{
    sched_t *self = arg;
    (void) max;  /* at most 2 */
    switch (req->req_case) {
    case KEFU__REQUEST__REQ_RUSH:
        return s_exec_rush(self, cmd, req->rush, txn, events);
    case KEFU__REQUEST__REQ_STAGE:
        return s_exec_stage(self, cmd, req->stage, txn, events);
    case KEFU__REQUEST__REQ_REWORK_OPEN:
        return s_exec_rework_open(self, cmd, req->rework_open, txn, events);
    case KEFU__REQUEST__REQ_REWORK_HANDOVER:
    case KEFU__REQUEST__REQ_REWORK_CLOSE:
        return s_exec_rework_change(self, cmd, req, txn, events);
    case KEFU__REQUEST__REQ_OUTSOURCE_SEND:
        return s_exec_outsource_send(self, cmd, req->outsource_send, txn, events);
    case KEFU__REQUEST__REQ_OUTSOURCE_RECEIVE:
        return s_exec_outsource_receive(self, cmd, req->outsource_receive, txn, events);
    default:
        return KEFU_EUNSUPPORTED;
    }
}

#define S_ANSWER(fn, table, desc, what, field, rcase)                                          \
    static int fn(void *arg, cmd_t *cmd, const Kefu__Request *req, store_txn_t *txn,          \
                  const char *id, Kefu__Reply *reply)                                          \
    {                                                                                          \
        sched_t *self = arg;                                                                   \
        (void) req;                                                                            \
        void *m = NULL;                                                                        \
        int rc = cmd_record(cmd, txn, self->t.table, id, desc, what, &m);                      \
        reply->rep_case = rcase;                                                               \
        reply->field = m;                                                                      \
        return rc;                                                                             \
    }
S_ANSWER(s_a_job, jobs, &kefu__job__descriptor, "order", job, KEFU__REPLY__REP_JOB)
S_ANSWER(s_a_rush, rushes, &kefu__rush_decision__descriptor, "rush decision", rush_decision,
         KEFU__REPLY__REP_RUSH_DECISION)
S_ANSWER(s_a_rework, reworks, &kefu__rework__descriptor, "rework", rework, KEFU__REPLY__REP_REWORK)
S_ANSWER(s_a_outsource, outsources, &kefu__outsource__descriptor, "outsourcing", outsource,
         KEFU__REPLY__REP_OUTSOURCE)

static int s_a_queue(void *arg, cmd_t *cmd, const Kefu__Request *req, store_txn_t *txn,
                     const char *id, Kefu__Reply *reply)
{
    (void) id;
    return sched_query_queue(arg, cmd, txn, req->queue, reply);
}

static int s_a_day(void *arg, cmd_t *cmd, const Kefu__Request *req, store_txn_t *txn,
                   const char *id, Kefu__Reply *reply)
{
    (void) id;
    return sched_query_day(arg, cmd, txn, req->production_day, reply);
}

static int s_a_list(void *arg, cmd_t *cmd, const Kefu__Request *req, store_txn_t *txn,
                    const char *id, Kefu__Reply *reply)
{
    (void) id;
    return sched_list(arg, cmd, txn, req, reply);
}

/* ---- the command table: one row per request sched serves ------------------------------- */

#define Q(x) KEFU__REQUEST__REQ_##x
#define R(x) KEFU__REPLY__REP_##x
#define E(x) KEFU__ENVELOPE__BODY_##x

static const cmd_row_t s_rows[] = {
    /* request              reply              first event            key                 subject              exec  answer */
    {Q(RUSH),               R(RUSH_DECISION),  E(RUSH_DECIDED),       "job/order",        "decision.id",       s_x,  s_a_rush,      NULL},
    {Q(STAGE),              R(JOB),            E(STAGE_REPORTED),     "job/order",        "order",             s_x,  s_a_job,       "terminal," CMD_PEOPLE},
    {Q(JOB_GET),            R(JOB),            0,                     NULL,               "order",             NULL, s_a_job,       "terminal,dispatch," CMD_PEOPLE},
    {Q(QUEUE),              R(QUEUE_ITEMS),    0,                     NULL,               NULL,                NULL, s_a_queue,     "terminal,dispatch," CMD_PEOPLE},
    {Q(RUSH_LIST),          R(RUSH_ITEMS),     0,                     NULL,               NULL,                NULL, s_a_list,      NULL},
    {Q(REWORK_OPEN),        R(REWORK),         E(REWORK_OPENED),      "job/order",        "rework.id",         s_x,  s_a_rework,    NULL},
    {Q(REWORK_HANDOVER),    R(REWORK),         E(REWORK_HANDED_OVER), "rework/id",        "id",                s_x,  s_a_rework,    NULL},
    {Q(REWORK_CLOSE),       R(REWORK),         E(REWORK_DONE),        "rework/id",        "id",                s_x,  s_a_rework,    NULL},
    {Q(REWORK_GET),         R(REWORK),         0,                     NULL,               "id",                NULL, s_a_rework,    NULL},
    {Q(REWORK_LIST),        R(REWORKS),        0,                     NULL,               NULL,                NULL, s_a_list,      NULL},
    {Q(OUTSOURCE_SEND),     R(OUTSOURCE),      E(OUTSOURCE_SENT),     "job/order",        "outsource.id",      s_x,  s_a_outsource, NULL},
    {Q(OUTSOURCE_RECEIVE),  R(OUTSOURCE),      E(OUTSOURCE_RECEIVED), "outsource/id",     "id",                s_x,  s_a_outsource, NULL},
    {Q(OUTSOURCE_GET),      R(OUTSOURCE),      0,                     NULL,               "id",                NULL, s_a_outsource, NULL},
    {Q(OUTSOURCE_LIST),     R(OUTSOURCES),     0,                     NULL,               NULL,                NULL, s_a_list,      NULL},
    {Q(PRODUCTION_DAY),     R(PRODUCTION),     0,                     NULL,               NULL,                NULL, s_a_day,       NULL},
};

#undef Q
#undef R
#undef E

const cmd_table_t sched_commands = {"sched", s_rows, sizeof s_rows / sizeof s_rows[0]};
