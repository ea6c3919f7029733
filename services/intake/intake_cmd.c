/* intake_cmd.c: intake's commands: what each one touches, checks and makes.
 *
 * Each write command is checked here against the applied state (and the
 * ids handed out but not applied yet), and turned into events; the state
 * itself changes only when the events come back from the log
 * (intake_apply.c). A refusal says what is wrong in words a person can act
 * on, and writes nothing. The states a case may move through are in
 * s_case_allows(), the one place they are decided.
 */
#include <stdio.h>
#include <string.h>

#include "intake.h"
#include "kconfig.h"
#include "kerr.h"
#include "kid.h"
#include "klog.h"
#include "ktime.h"
#include "pbdesc.h"

#define S_MAX_QTY 1000000
/* A case record carries its hand-offs and evidence whole (its history
 * only the newest entries: intake_index.c), so these bound it. */
#define S_MAX_HANDOFFS 20
#define S_MAX_EVIDENCE 50
#define S_MAX_SOLUTIONS 20
#define S_MAX_TEXT 4000          /* a request's or a solution's words */
#define S_HISTORY_PAGE 100       /* complaint show: entries by default */
#define S_HISTORY_PAGE_MAX 1000

/* ---- helpers ----------------------------------------------------------------- */

/* 000 §一: a case moves open -> replied -> resolved -> closed; replies,
 * hand-offs and resolution need it not yet resolved, the follow-up visit
 * needs it resolved, evidence can come until it is closed. The loop
 * (003 第二篇 六.三): the cause is corrected, the request recorded and
 * solutions offered and confirmed while it is investigated (not yet
 * resolved); a department answers a hand-off until it is closed; a
 * resolved or closed case is reopened when the customer comes back. */
typedef enum {
    S_REPLY, S_HANDOFF, S_EVIDENCE, S_RESOLVE, S_FOLLOWUP, S_WAIT, S_RESUME,
    S_CAUSE, S_REQUEST, S_OFFER, S_CONFIRM, S_REOPEN, S_ANSWER, S_INCIDENT, S_ANALYSIS
} s_action_t;

static int s_case_allows(cmd_t *cmd, const Kefu__Case *c, s_action_t action)
{
    static const char *names[] = {"a reply", "a hand-off", "evidence", "a resolution",
                                  "a follow-up visit", "a wait", "a resumption",
                                  "a cause", "the customer's request", "a solution",
                                  "a confirmation", "a reopening", "a department's answer",
                                  "an incident report", "an analysis report"};
    Kefu__CaseState st = c->state;
    bool ok;
    switch (action) {
    case S_REPLY:
    case S_HANDOFF:
    case S_RESOLVE:
    case S_CAUSE:
    case S_REQUEST:
    case S_OFFER:
    case S_CONFIRM:
        ok = st == KEFU__CASE_STATE__CASE_STATE_OPEN || st == KEFU__CASE_STATE__CASE_STATE_REPLIED;
        break;
    case S_EVIDENCE:
    case S_ANSWER:
    case S_INCIDENT:  /* a major complaint's incident report: at once, any time before closing */
        ok = st != KEFU__CASE_STATE__CASE_STATE_CLOSED;
        break;
    case S_ANALYSIS:  /* its analysis report: afterwards, once resolved */
        ok = st == KEFU__CASE_STATE__CASE_STATE_RESOLVED || st == KEFU__CASE_STATE__CASE_STATE_CLOSED;
        break;
    case S_REOPEN:
        ok = st == KEFU__CASE_STATE__CASE_STATE_RESOLVED || st == KEFU__CASE_STATE__CASE_STATE_CLOSED;
        break;
    case S_FOLLOWUP:
        ok = st == KEFU__CASE_STATE__CASE_STATE_RESOLVED;
        break;
    case S_WAIT:    /* 000 §一.4.2: an open case waits on the carrier, once at a time */
    case S_RESUME:
        ok = st == KEFU__CASE_STATE__CASE_STATE_OPEN || st == KEFU__CASE_STATE__CASE_STATE_REPLIED;
        if (ok && action == S_WAIT && c->waiting_on) {
            cmd_errmsg(cmd, "case %s waits on %s already", c->id, c->waiting_on);
            return KEFU_ECONFLICT;
        }
        if (ok && action == S_RESUME && !c->waiting_on) {
            cmd_errmsg(cmd, "case %s waits on nobody", c->id);
            return KEFU_ECONFLICT;
        }
        break;
    default:
        ok = false;
    }
    if (ok)
        return 0;
    char state[32];
    pbdesc_enum_word(&kefu__case_state__descriptor, st, state, sizeof state);
    const char *need = action == S_FOLLOWUP ? "a resolved case"
                       : action == S_REOPEN || action == S_ANALYSIS ? "a resolved or closed case"
                       : action == S_ANSWER || action == S_INCIDENT ? "a case not closed"
                                            : "an open case";
    cmd_errmsg(cmd, "case %s is %s; %s needs %s", c->id, state, names[action], need);
    return KEFU_ECONFLICT;
}

static Kefu__Case *s_get_case(intake_t *self, cmd_t *cmd, store_txn_t *txn, const char *id,
                              arena_t *a)
{
    if (cmd_blank(id)) {
        cmd_errmsg(cmd, "id: the case's id is required");
        return NULL;
    }
    Kefu__Case *c = krecord_get(txn, self->t.cases, id, &kefu__case__descriptor, a);
    if (!c)
        cmd_errmsg(cmd, "case %s does not exist", id);
    return c;
}

static int s_need_by(cmd_t *cmd, const char *by)
{
    return cmd_blank(by) ? cmd_field_missing(cmd, "by", "who did it (a staff member)") : 0;
}

/* Who may act on a case (domain.md §1 "Ownership", 谁受理谁负责; §6): a
 * reply, a resolution and a follow-up visit are for the case's owner, a
 * colleague it was handed to (a hand-off whose department is that
 * person's name: `complaint handoff --to li`) or a supervisor or manager.
 * The one place this is decided. With nobody registered (role 0) the
 * site is open, as cmdq is: anyone may. */
static int s_case_may(cmd_t *cmd, const Kefu__Request *req, const Kefu__Case *c, const char *by,
                      s_action_t action)
{
    static const char *acts[] = {[S_REPLY] = "reply to", [S_RESOLVE] = "resolve",
                                 [S_FOLLOWUP] = "follow up"};
    if (action != S_REPLY && action != S_RESOLVE && action != S_FOLLOWUP)
        return 0;
    int role = cmd_actor_role(cmd, req);
    if (role == 0 || role == KEFU__ROLE__ROLE_SUPERVISOR || role == KEFU__ROLE__ROLE_MANAGER)
        return 0;
    if (c->owner && strcmp(c->owner, by) == 0)
        return 0;
    for (size_t i = 0; i < c->n_handoffs; i++)
        if (c->handoffs[i]->department && strcmp(c->handoffs[i]->department, by) == 0)
            return 0;
    char word[32];
    pbdesc_enum_word(&kefu__role__descriptor, role, word, sizeof word);
    cmd_errmsg(cmd, "by: %s (%s) may not %s case %s: that needs its owner (%s), a colleague "
                    "it was handed to, or a supervisor or manager",
               by, word, acts[action], c->id, c->owner ? c->owner : "?");
    return KEFU_EFORBIDDEN;
}

/* What every change to a case checks first: who does it, that the case
 * exists, that its state allows the action, and that this person may do
 * it (s_case_may). Sets *out. */
static int s_case_for(intake_t *self, cmd_t *cmd, const Kefu__Request *req, store_txn_t *txn,
                      arena_t *a, const char *id, const char *by, s_action_t action,
                      Kefu__Case **out)
{
    int rc = s_need_by(cmd, by);
    if (rc)
        return rc;
    if (!(*out = s_get_case(self, cmd, txn, id, a)))
        return cmd_blank(id) ? KEFU_EINVAL : KEFU_ENOTFOUND;
    if ((rc = s_case_allows(cmd, *out, action)))
        return rc;
    return s_case_may(cmd, req, *out, by, action);
}

/* A due time DUR from now, through the deadline policy like every due
 * time (a promised time is wall-clock time: "2h" is two hours). */
static int s_due(intake_t *self, cmd_t *cmd, int64_t dur_us, int64_t now, int64_t *due)
{
    if (deadline_duration_due(self->policy, dur_us, now, due) != 0) {
        cmd_errmsg(cmd, "a due time that far ahead is out of range");
        return KEFU_EINVAL;
    }
    return 0;
}

/* 000 §一.5: a case's reply deadline from `at`, simple within 2 h, complex
 * within 24 h (sla.* keys): at open, and again at a reopen. */
static int s_reply_due(intake_t *self, cmd_t *cmd, Kefu__Complexity complexity, int64_t at,
                       int64_t *due)
{
    int rc = deadline_policy_due(self->policy,
                                 complexity == KEFU__COMPLEXITY__COMPLEXITY_SIMPLE
                                     ? "complaint_simple" : "complaint_complex",
                                 at, due);
    if (rc == KEFU_EINVAL) {
        cmd_errmsg(cmd, "the case's reply deadline would fall past 9999-12-31, the last time "
                        "kefu can write: the site clock is too far ahead");
        return KEFU_EINVAL;
    }
    if (rc) {
        cmd_errmsg(cmd, "no reply deadline policy for this case");
        return KEFU_EINTERNAL;
    }
    return 0;
}

#define S_YEAR_US (366LL * 86400 * 1000000)
#define S_MAX_COMMITMENTS 50   /* the record carries its chain whole */

/* The next time of day `minute` of the site's day from now (field names
 * it in a refusal): 15:00 at 16:00 is tomorrow's. */
static int s_next_clock(intake_t *self, cmd_t *cmd, const char *field, uint32_t minute,
                        int64_t now, int64_t *at)
{
    if (minute >= 24 * 60)
        return cmd_field_bad(cmd, field, "minutes after midnight, 0 to 1439");
    if (deadline_next_clock(self->policy, now, minute, at) != 0)
        return cmd_field_bad(cmd, field, "the next such time is past 9999-12-31");
    return 0;
}

/* 000 §一.2, 003 第二篇 七.四.1: the reply time a reply commits to, if any:
 * within a duration (wall-clock, or working time with commit_work: the
 * deadline policy's @work), at an absolute time, or at the next HH:MM of
 * the site's day (calendar.utc_offset); from now to a year ahead. */
static int s_commit_until(intake_t *self, cmd_t *cmd, const Kefu__Case *c,
                          const Kefu__CaseReply *in, int64_t now, protobuf_c_boolean *has,
                          int64_t *until)
{
    int forms = !!in->has_commit_us + !!in->has_commit_until + !!in->has_commit_clock;
    *has = false;
    if (forms == 0) {
        if (in->has_commit_work && in->commit_work)
            return cmd_field_bad(cmd, "commit_work", "working time goes with commit_us");
        return 0;
    }
    if (forms > 1)
        return cmd_field_bad(cmd, "commit_us", "one committed reply time: within a duration "
                                               "(commit_us), at a time (commit_until) or at a "
                                               "time of day (commit_clock)");
    if (in->has_commit_work && in->commit_work && !in->has_commit_us)
        return cmd_field_bad(cmd, "commit_work", "working time goes with commit_us");
    if (c->n_commitments >= S_MAX_COMMITMENTS) {
        cmd_errmsg(cmd, "case %s has %d committed reply times, the most a case keeps", c->id,
                   S_MAX_COMMITMENTS);
        return KEFU_ECONFLICT;
    }
    int rc;
    if (in->has_commit_us) {
        if (in->commit_us <= 0 || in->commit_us > S_YEAR_US)
            return cmd_field_bad(cmd, "commit_us", "a committed reply time is from now to a "
                                                   "year ahead");
        if (in->has_commit_work && in->commit_work) {
            char spec[48];
            ktime_format_duration(in->commit_us, spec, sizeof spec - 6);
            strcat(spec, "@work");
            if (deadline_spec_due(self->policy, spec, now, until) != 0)
                return cmd_field_bad(cmd, "commit_us", "%s is out of range", spec);
        } else if ((rc = s_due(self, cmd, in->commit_us, now, until))) {
            return rc;
        }
    } else if (in->has_commit_until) {
        *until = in->commit_until;
    } else if ((rc = s_next_clock(self, cmd, "commit_clock", in->commit_clock, now, until))) {
        return rc;
    }
    if (*until <= now || *until > now + S_YEAR_US)
        return cmd_field_bad(cmd, in->has_commit_until ? "commit_until" : "commit_us",
                             "a committed reply time is from now to a year ahead");
    *has = true;
    return 0;
}

static bool s_cause_ok(bool has, Kefu__ResponsibleParty cause)
{
    return has && cause > KEFU__RESPONSIBLE_PARTY__PARTY_UNSET &&
           cause <= KEFU__RESPONSIBLE_PARTY__PARTY_FORCE_MAJEURE;
}

/* 003 第二篇 六.三: an outcome that carries out a solution (rework,
 * reissue, refund, exchange, compensation). */
static bool s_outcome_carries_out(Kefu__Outcome o)
{
    return o == KEFU__OUTCOME__OUTCOME_REWORK || o == KEFU__OUTCOME__OUTCOME_REISSUE ||
           o == KEFU__OUTCOME__OUTCOME_REFUND || o == KEFU__OUTCOME__OUTCOME_EXCHANGE ||
           o == KEFU__OUTCOME__OUTCOME_COMPENSATE;
}

/* ---- exec: checks and events --------------------------------------------------------- */

static int s_customer_check(cmd_t *cmd, const Kefu__Customer *c, bool adding)
{
    if (!c || cmd_blank(c->id)) {
        cmd_errmsg(cmd, "customer.id: the customer's id is required");
        return KEFU_EINVAL;
    }
    char err[200];
    if (adding && kid_check(c->id, "customer.id", err, sizeof err) != 0) {
        cmd_errmsg(cmd, "%s", err);
        return KEFU_EINVAL;
    }
    if (adding && cmd_blank(c->name))
        return cmd_field_missing(cmd, "customer.name", "the shop's name");
    if (adding && (!c->has_tier || c->tier == KEFU__TIER__TIER_UNSET))
        return cmd_field_enum(cmd, "customer.tier", "the customer's tier", &kefu__tier__descriptor);
    return 0;
}

static int s_exec_customer(intake_t *self, cmd_t *cmd, const Kefu__Request *req,
                           store_txn_t *txn, Kefu__Envelope **events, arena_t *a)
{
    bool adding = req->req_case == KEFU__REQUEST__REQ_CUSTOMER_ADD;
    const Kefu__Customer *in = adding ? req->customer_add->customer : req->customer_update->customer;
    int rc = s_customer_check(cmd, in, adding);
    if (rc)
        return rc;
    Kefu__Customer *old = krecord_get(txn, self->t.customers, in->id, &kefu__customer__descriptor, a);
    if (adding && old) {
        cmd_errmsg(cmd, "customer %s exists already", in->id);
        return KEFU_EEXISTS;
    }
    if (!adding && !old) {
        cmd_errmsg(cmd, "customer %s does not exist", in->id);
        return KEFU_ENOTFOUND;
    }
    Kefu__Customer *c = CMD_NEW(cmd, Kefu__Customer, kefu__customer__init);
    if (old)
        *c = *old;
    c->id = in->id;
#define SET(f) if (in->f) c->f = in->f
    SET(name);
    SET(contact);
    SET(phone);
    SET(address);
    SET(payment_terms);
#undef SET
    if (in->has_tier && in->tier != KEFU__TIER__TIER_UNSET) {
        c->has_tier = true;
        c->tier = in->tier;
    }
    if (!cmd_blank(in->assigned_to) && (!old || !old->assigned_to ||
                                        strcmp(old->assigned_to, in->assigned_to) != 0)) {
        /* 001 一.3: assigned to a staff member, first contact within a week */
        char err[200];
        if (kid_check(in->assigned_to, "customer.assigned_to", err, sizeof err) != 0) {
            cmd_errmsg(cmd, "%s", err);
            return KEFU_EINVAL;
        }
        if (cmd_actor_role(cmd, req) != 0 &&
            !krecord_exists(txn, self->t.staff, in->assigned_to))
            return cmd_field_bad(cmd, "customer.assigned_to", "%s is not registered staff "
                                                              "(staff add)", in->assigned_to);
        c->assigned_to = in->assigned_to;
        c->has_assigned_at = c->has_first_contact_due = true;
        c->assigned_at = cmd_now(cmd);
        if (deadline_policy_due(self->policy, "first_contact", c->assigned_at,
                                &c->first_contact_due) != 0) {
            cmd_errmsg(cmd, "the first contact's due (sla.first_contact) is out of range");
            return KEFU_EINVAL;
        }
        c->has_first_contact_at = false;
        c->first_contact_at = 0;
    } else if (in->assigned_to && !in->assigned_to[0] && !cmd_blank(c->assigned_to)) {
        /* assigned to nobody: the first contact is owed by nobody */
        c->assigned_to = NULL;
        c->has_assigned_at = c->has_first_contact_due = c->has_first_contact_at = false;
    }
    if (cmd_blank(c->name)) {
        cmd_errmsg(cmd, "customer %s: the shop name can't be empty", c->id);
        return KEFU_EINVAL;
    }
    if (adding) {
        c->has_registered_at = true;
        c->registered_at = cmd_now(cmd);
    }
    c->has_updated_at = true;
    c->updated_at = cmd_now(cmd);
    Kefu__Envelope *ev = events[0] = cmd_event(cmd);
    if (adding) {
        Kefu__CustomerRegistered *e = CMD_NEW(cmd, Kefu__CustomerRegistered, kefu__customer_registered__init);
        e->customer = c;
        ev->body_case = KEFU__ENVELOPE__BODY_CUSTOMER_REGISTERED;
        ev->customer_registered = e;
    } else {
        Kefu__CustomerUpdated *e = CMD_NEW(cmd, Kefu__CustomerUpdated, kefu__customer_updated__init);
        e->customer = c;
        ev->body_case = KEFU__ENVELOPE__BODY_CUSTOMER_UPDATED;
        ev->customer_updated = e;
    }
    return 1;
}

static int s_exec_order(intake_t *self, cmd_t *cmd, const Kefu__OrderAdd *oa, store_txn_t *txn,
                        Kefu__Envelope **events, arena_t *a)
{
    const Kefu__Order *in = oa->order;
    if (!in || cmd_blank(in->customer)) {
        return cmd_field_missing(cmd, "order.customer", "the customer the order is for");
    }
    if (!krecord_get(txn, self->t.customers, in->customer, &kefu__customer__descriptor, a)) {
        cmd_errmsg(cmd, "customer %s does not exist", in->customer);
        return KEFU_ENOTFOUND;
    }
    if (!in->has_product || in->product == KEFU__PRODUCT__PRODUCT_UNSET) {
        return cmd_field_enum(cmd, "order.product", "the product", &kefu__product__descriptor);
    }
    if (!in->has_qty || in->qty == 0 || in->qty > S_MAX_QTY) {
        return cmd_field_bad(cmd, "order.qty", "a quantity from 1 to %d", S_MAX_QTY);
    }
    if (in->has_batches && (in->batches == 0 || in->batches > in->qty)) {
        cmd_errmsg(cmd, "batches must be from 1 to the quantity (%u)", in->qty);
        return KEFU_EINVAL;
    }
    if (in->has_ship_by && in->has_pickup_by) {
        cmd_errmsg(cmd, "ship_by, pickup_by: an order is promised to ship or to be picked up, "
                        "not both");
        return KEFU_EINVAL;
    }
    int64_t promise = in->has_ship_by ? in->ship_by : in->pickup_by;
    const char *promise_field = in->has_ship_by ? "order.ship_by" : "order.pickup_by";
    if ((in->has_ship_by || in->has_pickup_by) && promise <= cmd_now(cmd))
        return cmd_field_bad(cmd, promise_field, "a promised time must be ahead of now");
    Kefu__Order *o = CMD_NEW(cmd, Kefu__Order, kefu__order__init);
    *o = *in;
    if (in->id && in->id[0]) {
        /* A hand-chosen id is a key of the command (s_keys): no other
         * command holds it now, so the store is the whole truth. */
        char err[200];
        if (kid_check(in->id, "order.id", err, sizeof err) != 0) {
            cmd_errmsg(cmd, "%s", err);
            return KEFU_EINVAL;
        }
        if (krecord_exists(txn, self->t.orders, in->id)) {
            cmd_errmsg(cmd, "order %s exists already", in->id);
            return KEFU_EEXISTS;
        }
    } else if (!(o->id = (char *) cmd_new_id(cmd, txn, self->t.orders, "order", "O")))
        return KEFU_ESTOREFULL;
    o->has_batches = true;
    o->batches = in->has_batches ? in->batches : 1;
    o->has_uploaded_at = true;
    o->uploaded_at = cmd_now(cmd);  /* contract: upload time = now */
    o->has_shipped = false;
    Kefu__OrderTaken *e = CMD_NEW(cmd, Kefu__OrderTaken, kefu__order_taken__init);
    e->order = o;
    Kefu__Envelope *ev = events[0] = cmd_event(cmd);
    ev->body_case = KEFU__ENVELOPE__BODY_ORDER_TAKEN;
    ev->order_taken = e;
    return 1;
}

static int s_exec_case_open(intake_t *self, cmd_t *cmd, const Kefu__CaseOpen *in, store_txn_t *txn,
                            Kefu__Envelope **events, arena_t *a)
{
    int rc = s_need_by(cmd, in->by);
    if (rc)
        return rc;
    if (cmd_blank(in->customer)) {
        return cmd_field_missing(cmd, "customer", "the customer the case is about");
    }
    if (!krecord_get(txn, self->t.customers, in->customer, &kefu__customer__descriptor, a)) {
        cmd_errmsg(cmd, "customer %s does not exist", in->customer);
        return KEFU_ENOTFOUND;
    }
    if (!cmd_blank(in->order)) {
        Kefu__Order *o = krecord_get(txn, self->t.orders, in->order, &kefu__order__descriptor, a);
        if (!o) {
            cmd_errmsg(cmd, "order %s does not exist", in->order);
            return KEFU_ENOTFOUND;
        }
        if (!o->customer || strcmp(o->customer, in->customer) != 0) {
            cmd_errmsg(cmd, "order %s is customer %s's, not %s's", in->order,
                       o->customer ? o->customer : "?", in->customer);
            return KEFU_ECONFLICT;
        }
    }
    if (!in->has_kind || in->kind == KEFU__CASE_KIND__CASE_KIND_UNSET) {
        return cmd_field_enum(cmd, "kind", "the case's kind", &kefu__case_kind__descriptor);
    }
    if (!in->has_complexity || in->complexity == KEFU__COMPLEXITY__COMPLEXITY_UNSET) {
        return cmd_field_enum(cmd, "complexity", "the case's complexity",
                              &kefu__complexity__descriptor);
    }
    Kefu__Case *c = CMD_NEW(cmd, Kefu__Case, kefu__case__init);
    if (!(c->id = (char *) cmd_new_id(cmd, txn, self->t.cases, "case", "C")))
        return KEFU_ESTOREFULL;
    c->has_type = true;
    c->type = in->has_type && in->type ? in->type : KEFU__CASE_TYPE__CASE_TYPE_COMPLAINT;
    c->customer = in->customer;
    c->order = cmd_blank(in->order) ? NULL : in->order;
    c->has_kind = c->has_complexity = c->has_severity = true;
    c->kind = in->kind;
    c->complexity = in->complexity;
    c->severity = in->has_severity && in->severity ? in->severity : KEFU__SEVERITY__SEVERITY_GENERAL;
    if (in->has_channel && in->channel) {
        c->has_channel = true;
        c->channel = in->channel;
    }
    if (in->has_cause && in->cause != KEFU__RESPONSIBLE_PARTY__PARTY_UNSET) {
        if (!s_cause_ok(in->has_cause, in->cause))
            return cmd_field_enum(cmd, "cause", "the responsible party", &kefu__responsible_party__descriptor);
        c->has_cause = true;
        c->cause = in->cause;
    }
    c->text = in->text;
    c->owner = in->by;  /* 000 §一.5 谁受理谁负责: whoever takes it owns it */
    c->has_state = c->has_opened_at = c->has_reply_due = true;
    c->state = KEFU__CASE_STATE__CASE_STATE_OPEN;
    c->opened_at = cmd_now(cmd);
    if ((rc = s_reply_due(self, cmd, c->complexity, c->opened_at, &c->reply_due)))
        return rc;
    Kefu__CaseOpened *e = CMD_NEW(cmd, Kefu__CaseOpened, kefu__case_opened__init);
    e->case_ = c;
    Kefu__Envelope *ev = events[0] = cmd_event(cmd);
    ev->body_case = KEFU__ENVELOPE__BODY_CASE_OPENED;
    ev->case_opened = e;
    return 1;
}

static int s_exec_case_change(intake_t *self, cmd_t *cmd, const Kefu__Request *req,
                              store_txn_t *txn, Kefu__Envelope **events, arena_t *a)
{
    Kefu__Envelope *ev = cmd_event(cmd);
    Kefu__Case *c;
    int rc;
    int64_t now = cmd_now(cmd);
    switch (req->req_case) {
    case KEFU__REQUEST__REQ_CASE_REPLY: {
        const Kefu__CaseReply *in = req->case_reply;
        if ((rc = s_case_for(self, cmd, req, txn, a, in->id, in->by, S_REPLY, &c)))
            return rc;
        Kefu__CaseReplied *e = CMD_NEW(cmd, Kefu__CaseReplied, kefu__case_replied__init);
        e->id = c->id;
        e->by = in->by;
        e->text = in->text;
        if ((rc = s_commit_until(self, cmd, c, in, now, &e->has_committed_until,
                                 &e->committed_until)))
            return rc;
        ev->body_case = KEFU__ENVELOPE__BODY_CASE_REPLIED;
        ev->case_replied = e;
        break;
    }
    case KEFU__REQUEST__REQ_CASE_HANDOFF: {
        const Kefu__CaseHandoff *in = req->case_handoff;
        if ((rc = s_case_for(self, cmd, req, txn, a, in->id, in->by, S_HANDOFF, &c)))
            return rc;
        if (cmd_blank(in->department)) {
            return cmd_field_missing(cmd, "department", "the department it goes to");
        }
        if (in->has_due_us && in->due_us <= 0) {
            return cmd_field_bad(cmd, "due_us", "a department's due time is in the future");
        }
        if (c->n_handoffs >= S_MAX_HANDOFFS) {  /* the record and its answers stay bounded */
            cmd_errmsg(cmd, "case %s has %d hand-offs, the most a case takes", c->id, S_MAX_HANDOFFS);
            return KEFU_ECONFLICT;
        }
        Kefu__Handoff *h = CMD_NEW(cmd, Kefu__Handoff, kefu__handoff__init);
        h->department = in->department;
        h->has_at = true;
        h->at = now;
        h->has_due = in->has_due_us;
        if (in->has_due_us && (rc = s_due(self, cmd, in->due_us, now, &h->due)))
            return rc;
        h->by = in->by;
        Kefu__CaseHandedOff *e = CMD_NEW(cmd, Kefu__CaseHandedOff, kefu__case_handed_off__init);
        e->id = c->id;
        e->handoff = h;
        e->text = in->text;
        ev->body_case = KEFU__ENVELOPE__BODY_CASE_HANDED_OFF;
        ev->case_handed_off = e;
        break;
    }
    case KEFU__REQUEST__REQ_CASE_ADD_EVIDENCE: {
        const Kefu__CaseAddEvidence *in = req->case_add_evidence;
        if ((rc = s_case_for(self, cmd, req, txn, a, in->id, in->by, S_EVIDENCE, &c)))
            return rc;
        if (!in->has_kind || in->kind == KEFU__EVIDENCE_KIND__EVIDENCE_KIND_UNSET)
            return cmd_field_enum(cmd, "kind", "the evidence's kind", &kefu__evidence_kind__descriptor);
        if (cmd_blank(in->text))
            return cmd_field_missing(cmd, "text", "what the evidence shows");
        if (c->n_evidence >= S_MAX_EVIDENCE) {
            cmd_errmsg(cmd, "case %s has %d items of evidence, the most a case takes", c->id,
                       S_MAX_EVIDENCE);
            return KEFU_ECONFLICT;
        }
        Kefu__Evidence *x = CMD_NEW(cmd, Kefu__Evidence, kefu__evidence__init);
        x->has_kind = x->has_at = true;
        x->kind = in->kind;
        x->text = in->text;
        x->at = now;
        x->by = in->by;
        Kefu__CaseEvidenceAdded *e = CMD_NEW(cmd, Kefu__CaseEvidenceAdded, kefu__case_evidence_added__init);
        e->id = c->id;
        e->evidence = x;
        ev->body_case = KEFU__ENVELOPE__BODY_CASE_EVIDENCE_ADDED;
        ev->case_evidence_added = e;
        break;
    }
    case KEFU__REQUEST__REQ_CASE_RESOLVE: {
        const Kefu__CaseResolve *in = req->case_resolve;
        if ((rc = s_case_for(self, cmd, req, txn, a, in->id, in->by, S_RESOLVE, &c)))
            return rc;
        if (!in->has_outcome || in->outcome == KEFU__OUTCOME__OUTCOME_UNSET) {
            return cmd_field_enum(cmd, "outcome", "the resolution's outcome", &kefu__outcome__descriptor);
        }
        /* domain.md §6: outcomes fit the kind; a declined complaint says why;
         * a solution carried out is one the customer confirmed */
        if (in->outcome == KEFU__OUTCOME__OUTCOME_CARRIER_CLAIM &&
            c->kind != KEFU__CASE_KIND__CASE_KIND_DAMAGE) {
            char kind[32];
            pbdesc_enum_word(&kefu__case_kind__descriptor, c->kind, kind, sizeof kind);
            return cmd_field_bad(cmd, "outcome", "a carrier claim resolves a damage case only; "
                                                 "case %s is %s", c->id, kind);
        }
        if (in->outcome == KEFU__OUTCOME__OUTCOME_DECLINED && cmd_blank(in->text))
            return cmd_field_missing(cmd, "text", "the reason a declined complaint is declined");
        if (s_outcome_carries_out(in->outcome) && c->n_solutions > 0 && !c->has_confirmed_solution)
            return cmd_field_missing(cmd, "solution", "a solution the customer confirmed "
                                                      "(complaint confirm), as solutions were "
                                                      "offered,");
        Kefu__CaseResolved *e = CMD_NEW(cmd, Kefu__CaseResolved, kefu__case_resolved__init);
        e->id = c->id;
        e->by = in->by;
        e->has_outcome = true;
        e->outcome = in->outcome;
        e->text = in->text;
        if (c->severity == KEFU__SEVERITY__SEVERITY_MAJOR && !c->has_analysis_due &&
            !c->analysis_report) {
            /* domain.md §6: afterwards a problem analysis report is due */
            int prc = deadline_policy_due(self->policy, "analysis_report", now, &e->analysis_due);
            if (prc) {
                cmd_errmsg(cmd, "the analysis report's due (sla.analysis_report) is out of range");
                return prc == KEFU_EINVAL ? KEFU_EINVAL : KEFU_EINTERNAL;
            }
            e->has_analysis_due = true;
        }
        if (c->type == KEFU__CASE_TYPE__CASE_TYPE_COMPLAINT &&
            in->outcome != KEFU__OUTCOME__OUTCOME_DECLINED) {
            /* domain.md §1 "After closing": a complaint's follow-up visit
             * (回访; 001 一: 处理后有回访) is due; not a query's (an order
             * traced, nothing put right), and not a declined complaint's
             * (invalid, 003 四.三.2: refused a remedy, none to ask about) */
            int prc = deadline_policy_due(self->policy, "follow_up", now, &e->follow_up_due);
            if (prc) {
                cmd_errmsg(cmd, "the follow-up visit's due (sla.follow_up) is out of range");
                return prc == KEFU_EINVAL ? KEFU_EINVAL : KEFU_EINTERNAL;
            }
            e->has_follow_up_due = true;
        }
        ev->body_case = KEFU__ENVELOPE__BODY_CASE_RESOLVED;
        ev->case_resolved = e;
        break;
    }
    case KEFU__REQUEST__REQ_CASE_WAIT: {
        const Kefu__CaseWait *in = req->case_wait;
        if ((rc = s_case_for(self, cmd, req, txn, a, in->id, in->by, S_WAIT, &c)))
            return rc;
        if (cmd_blank(in->on))
            return cmd_field_missing(cmd, "on", "who the case waits on (the carrier)");
        if (strlen(in->on) > 64)
            return cmd_field_bad(cmd, "on", "at most 64 bytes");
        Kefu__CaseWaiting *e = CMD_NEW(cmd, Kefu__CaseWaiting, kefu__case_waiting__init);
        e->id = c->id;
        e->by = in->by;
        e->on = in->on;
        e->text = in->text;
        ev->body_case = KEFU__ENVELOPE__BODY_CASE_WAITING;
        ev->case_waiting = e;
        break;
    }
    case KEFU__REQUEST__REQ_CASE_RESUME: {
        const Kefu__CaseResume *in = req->case_resume;
        if ((rc = s_case_for(self, cmd, req, txn, a, in->id, in->by, S_RESUME, &c)))
            return rc;
        Kefu__CaseResumed *e = CMD_NEW(cmd, Kefu__CaseResumed, kefu__case_resumed__init);
        e->id = c->id;
        e->by = in->by;
        e->text = in->text;
        e->has_paused_us = true;
        e->paused_us = now > c->waiting_since ? now - c->waiting_since : 0;
        if (!c->has_first_reply_at && c->has_reply_due) {
            /* the first reply's clock stood still: its due moves by the pause */
            e->has_reply_due = true;
            e->reply_due = c->reply_due + e->paused_us;
        }
        ev->body_case = KEFU__ENVELOPE__BODY_CASE_RESUMED;
        ev->case_resumed = e;
        break;
    }
    case KEFU__REQUEST__REQ_CASE_FOLLOWUP: {
        const Kefu__CaseFollowup *in = req->case_followup;
        if ((rc = s_case_for(self, cmd, req, txn, a, in->id, in->by, S_FOLLOWUP, &c)))
            return rc;
        if (!in->has_satisfaction || in->satisfaction < 1 || in->satisfaction > 5) {
            cmd_errmsg(cmd, "a follow-up visit records the customer's satisfaction, 1 to 5");
            return KEFU_EINVAL;
        }
        Kefu__CaseFollowedUp *e = CMD_NEW(cmd, Kefu__CaseFollowedUp, kefu__case_followed_up__init);
        e->id = c->id;
        e->by = in->by;
        e->has_satisfaction = true;
        e->satisfaction = in->satisfaction;
        e->text = in->text;
        ev->body_case = KEFU__ENVELOPE__BODY_CASE_FOLLOWED_UP;
        ev->case_followed_up = e;
        /* 003 第二篇 六.三: still unsatisfied, the case is open again */
        if ((int64_t) in->satisfaction < kconfig_int(self->d->config, "intake.reopen_below")) {
            Kefu__CaseReopened *r = CMD_NEW(cmd, Kefu__CaseReopened, kefu__case_reopened__init);
            r->id = c->id;
            r->by = in->by;
            r->text = in->text;
            r->has_satisfaction = r->has_reply_due = true;
            r->satisfaction = in->satisfaction;
            if ((rc = s_reply_due(self, cmd, c->complexity, now, &r->reply_due)))
                return rc;
            events[0] = ev;
            events[1] = cmd_event_of(cmd, KEFU__ENVELOPE__BODY_CASE_REOPENED, r);
            return 2;
        }
        break;
    }
    case KEFU__REQUEST__REQ_CASE_SET_CAUSE: {
        const Kefu__CaseSetCause *in = req->case_set_cause;
        if ((rc = s_case_for(self, cmd, req, txn, a, in->id, in->by, S_CAUSE, &c)))
            return rc;
        if (!s_cause_ok(in->has_cause, in->cause))
            return cmd_field_enum(cmd, "cause", "the responsible party", &kefu__responsible_party__descriptor);
        if (c->has_cause && c->cause == in->cause) {
            char word[32];
            pbdesc_enum_word(&kefu__responsible_party__descriptor, c->cause, word, sizeof word);
            return cmd_field_bad(cmd, "cause", "case %s's cause is %s already", c->id, word);
        }
        Kefu__CaseCauseSet *e = CMD_NEW(cmd, Kefu__CaseCauseSet, kefu__case_cause_set__init);
        e->id = c->id;
        e->by = in->by;
        e->has_cause = true;
        e->cause = in->cause;
        e->text = in->text;
        ev->body_case = KEFU__ENVELOPE__BODY_CASE_CAUSE_SET;
        ev->case_cause_set = e;
        break;
    }
    case KEFU__REQUEST__REQ_CASE_RECORD_REQUEST: {
        const Kefu__CaseRecordRequest *in = req->case_record_request;
        if ((rc = s_case_for(self, cmd, req, txn, a, in->id, in->by, S_REQUEST, &c)))
            return rc;
        if (cmd_blank(in->text))
            return cmd_field_missing(cmd, "text", "what the customer asks for");
        if (strlen(in->text) > S_MAX_TEXT)
            return cmd_field_bad(cmd, "text", "at most %d bytes", S_MAX_TEXT);
        Kefu__CaseRequestRecorded *e = CMD_NEW(cmd, Kefu__CaseRequestRecorded,
                                               kefu__case_request_recorded__init);
        e->id = c->id;
        e->by = in->by;
        e->text = in->text;
        ev->body_case = KEFU__ENVELOPE__BODY_CASE_REQUEST_RECORDED;
        ev->case_request_recorded = e;
        break;
    }
    case KEFU__REQUEST__REQ_CASE_OFFER: {
        const Kefu__CaseOffer *in = req->case_offer;
        if ((rc = s_case_for(self, cmd, req, txn, a, in->id, in->by, S_OFFER, &c)))
            return rc;
        if (cmd_blank(in->text))
            return cmd_field_missing(cmd, "text", "the solution offered");
        if (strlen(in->text) > S_MAX_TEXT)
            return cmd_field_bad(cmd, "text", "at most %d bytes", S_MAX_TEXT);
        if (c->n_solutions >= S_MAX_SOLUTIONS) {
            cmd_errmsg(cmd, "case %s has %d solutions offered, the most a case takes", c->id,
                       S_MAX_SOLUTIONS);
            return KEFU_ECONFLICT;
        }
        Kefu__CaseSolutionOffered *e = CMD_NEW(cmd, Kefu__CaseSolutionOffered,
                                               kefu__case_solution_offered__init);
        e->id = c->id;
        e->by = in->by;
        e->text = in->text;
        e->has_solution = true;
        e->solution = (uint32_t) c->n_solutions + 1;
        ev->body_case = KEFU__ENVELOPE__BODY_CASE_SOLUTION_OFFERED;
        ev->case_solution_offered = e;
        break;
    }
    case KEFU__REQUEST__REQ_CASE_CONFIRM: {
        const Kefu__CaseConfirm *in = req->case_confirm;
        if ((rc = s_case_for(self, cmd, req, txn, a, in->id, in->by, S_CONFIRM, &c)))
            return rc;
        if (c->n_solutions == 0) {
            cmd_errmsg(cmd, "case %s has no solution offered to confirm (complaint offer)", c->id);
            return KEFU_ECONFLICT;
        }
        if (!in->has_solution || in->solution < 1 || in->solution > c->n_solutions)
            return cmd_field_bad(cmd, "solution", "the number of a solution offered, 1 to %zu",
                                 c->n_solutions);
        Kefu__CaseSolutionConfirmed *e = CMD_NEW(cmd, Kefu__CaseSolutionConfirmed,
                                                 kefu__case_solution_confirmed__init);
        e->id = c->id;
        e->by = in->by;
        e->has_solution = true;
        e->solution = in->solution;
        e->text = in->text;
        ev->body_case = KEFU__ENVELOPE__BODY_CASE_SOLUTION_CONFIRMED;
        ev->case_solution_confirmed = e;
        break;
    }
    case KEFU__REQUEST__REQ_CASE_REOPEN: {
        const Kefu__CaseReopen *in = req->case_reopen;
        if ((rc = s_case_for(self, cmd, req, txn, a, in->id, in->by, S_REOPEN, &c)))
            return rc;
        Kefu__CaseReopened *e = CMD_NEW(cmd, Kefu__CaseReopened, kefu__case_reopened__init);
        e->id = c->id;
        e->by = in->by;
        e->text = in->text;
        e->has_reply_due = true;
        if ((rc = s_reply_due(self, cmd, c->complexity, now, &e->reply_due)))
            return rc;
        ev->body_case = KEFU__ENVELOPE__BODY_CASE_REOPENED;
        ev->case_reopened = e;
        break;
    }
    case KEFU__REQUEST__REQ_CASE_HANDOFF_ANSWER: {
        const Kefu__CaseHandoffAnswer *in = req->case_handoff_answer;
        if ((rc = s_case_for(self, cmd, req, txn, a, in->id, in->by, S_ANSWER, &c)))
            return rc;
        size_t i = c->n_handoffs;  /* the latest hand-off not answered yet */
        while (i > 0 && c->handoffs[i - 1]->has_answered_at)
            i--;
        if (i == 0) {
            cmd_errmsg(cmd, "case %s has no open hand-off to answer", c->id);
            return KEFU_ECONFLICT;
        }
        Kefu__CaseHandoffAnswered *e = CMD_NEW(cmd, Kefu__CaseHandoffAnswered,
                                               kefu__case_handoff_answered__init);
        e->id = c->id;
        e->by = in->by;
        e->text = in->text;
        e->has_handoff = true;
        e->handoff = (uint32_t) (i - 1);
        ev->body_case = KEFU__ENVELOPE__BODY_CASE_HANDOFF_ANSWERED;
        ev->case_handoff_answered = e;
        break;
    }
    case KEFU__REQUEST__REQ_CASE_REPORT: {
        const Kefu__CaseReport *in = req->case_report;
        if (!!in->incident == !!in->analysis)
            return cmd_field_missing(cmd, "incident", "exactly one report, the incident report "
                                                      "or the analysis report,");
        if ((rc = s_case_for(self, cmd, req, txn, a, in->id, in->by,
                             in->incident ? S_INCIDENT : S_ANALYSIS, &c)))
            return rc;
        if (c->severity != KEFU__SEVERITY__SEVERITY_MAJOR)
            return cmd_field_bad(cmd, "id", "case %s is not a major complaint; its reports are "
                                            "a major complaint's (--severity major)", c->id);
        Kefu__CaseReported *e = CMD_NEW(cmd, Kefu__CaseReported, kefu__case_reported__init);
        e->id = c->id;
        if (in->incident) {
            const Kefu__IncidentReport *r = in->incident;
            if (c->incident) {
                cmd_errmsg(cmd, "case %s has its incident report already", c->id);
                return KEFU_ECONFLICT;
            }
            /* 003 第二篇 四.6: time, place, what happened, plan, emergency measures */
            if (!r->has_occurred_at)
                return cmd_field_missing(cmd, "incident.occurred_at", "when it happened");
            if (r->occurred_at > now)
                return cmd_field_bad(cmd, "incident.occurred_at", "when it happened: not ahead of now");
            const char *need[][3] = {{r->place, "incident.place", "where it happened"},
                                     {r->what, "incident.what", "what happened"},
                                     {r->plan, "incident.plan", "the plan"},
                                     {r->measures, "incident.measures", "the emergency measures"}};
            for (size_t i = 0; i < sizeof need / sizeof need[0]; i++) {
                if (cmd_blank(need[i][0]))
                    return cmd_field_missing(cmd, need[i][1], need[i][2]);
                if (strlen(need[i][0]) > S_MAX_TEXT)
                    return cmd_field_bad(cmd, need[i][1], "at most %d bytes", S_MAX_TEXT);
            }
            Kefu__IncidentReport *x = CMD_NEW(cmd, Kefu__IncidentReport, kefu__incident_report__init);
            *x = *r;
            x->has_at = true;
            x->at = now;
            x->by = in->by;
            e->incident = x;
        } else {
            const Kefu__AnalysisReport *r = in->analysis;
            if (c->analysis_report) {
                cmd_errmsg(cmd, "case %s has its analysis report already", c->id);
                return KEFU_ECONFLICT;
            }
            /* impact, handling, cause, corrective and preventive actions */
            const char *need[][3] = {{r->impact, "analysis.impact", "the impact"},
                                     {r->handling, "analysis.handling", "how it was handled"},
                                     {r->cause, "analysis.cause", "the cause"},
                                     {r->corrective, "analysis.corrective", "the corrective actions"},
                                     {r->preventive, "analysis.preventive", "the preventive actions"}};
            for (size_t i = 0; i < sizeof need / sizeof need[0]; i++) {
                if (cmd_blank(need[i][0]))
                    return cmd_field_missing(cmd, need[i][1], need[i][2]);
                if (strlen(need[i][0]) > S_MAX_TEXT)
                    return cmd_field_bad(cmd, need[i][1], "at most %d bytes", S_MAX_TEXT);
            }
            Kefu__AnalysisReport *x = CMD_NEW(cmd, Kefu__AnalysisReport, kefu__analysis_report__init);
            *x = *r;
            x->has_at = true;
            x->at = now;
            x->by = in->by;
            e->analysis = x;
        }
        ev->body_case = KEFU__ENVELOPE__BODY_CASE_REPORTED;
        ev->case_reported = e;
        break;
    }
    default:
        return KEFU_EUNSUPPORTED;
    }
    events[0] = ev;
    return 1;
}

/* After-sales steps by kind (004 第一篇 A-D, 职责2; domain.md §6), the one
 * list of them: to a state, from which states, for which kinds. The goods
 * come back only once the request is approved (confirmed before the
 * customer ships them, labelled with the order and request numbers); a
 * photo check (photo_only) confirms the problem without them. A refund
 * reverses the invoice (红冲) with its amount, an exchange ships a new
 * item and endorses it (背书); trace and extend-receipt are done once
 * handled; a replenishment is confirmed from the order and done when the
 * missing goods ship; a rights claim is confirmed, then refunded or done.
 * A request can be rejected until it is settled. */
#define S_ST(x) (UINT32_C(1) << KEFU__AFTER_SALES_STATE__AFTER_SALES_STATE_##x)
#define S_KD(x) (UINT32_C(1) << KEFU__AFTER_SALES_KIND__AFTER_SALES_KIND_##x)
#define S_GOODS (S_KD(REFUND) | S_KD(EXCHANGE) | S_KD(DAMAGE) | S_KD(RETURN))
#define S_MAX_FEN INT64_C(10000000000)   /* a refund up to 100 million yuan */
typedef struct {
    Kefu__AfterSalesState to;
    uint32_t from;      /* S_ST bits */
    uint32_t kinds;     /* S_KD bits */
    bool photo;         /* the step is a photo check (photo_only) */
    const char *hint;   /* how a person says it, in a refusal's list of next steps */
} s_step_t;

static const s_step_t s_steps[] = {
    {KEFU__AFTER_SALES_STATE__AFTER_SALES_STATE_APPROVED, S_ST(OPEN), S_GOODS, false, "approved"},
    {KEFU__AFTER_SALES_STATE__AFTER_SALES_STATE_RECEIVED, S_ST(APPROVED), S_GOODS, false, "received"},
    {KEFU__AFTER_SALES_STATE__AFTER_SALES_STATE_CONFIRMED, S_ST(RECEIVED), S_GOODS, false, "confirmed"},
    {KEFU__AFTER_SALES_STATE__AFTER_SALES_STATE_CONFIRMED, S_ST(OPEN) | S_ST(APPROVED), S_GOODS, true,
     "confirmed --photo"},
    {KEFU__AFTER_SALES_STATE__AFTER_SALES_STATE_CONFIRMED, S_ST(OPEN),
     S_KD(REPLENISH) | S_KD(RIGHTS_CLAIM), false, "confirmed"},
    {KEFU__AFTER_SALES_STATE__AFTER_SALES_STATE_REFUNDED, S_ST(CONFIRMED),
     S_KD(REFUND) | S_KD(RETURN) | S_KD(DAMAGE) | S_KD(RIGHTS_CLAIM), false, "refunded"},
    {KEFU__AFTER_SALES_STATE__AFTER_SALES_STATE_EXCHANGED, S_ST(CONFIRMED),
     S_KD(EXCHANGE) | S_KD(DAMAGE), false, "exchanged"},
    {KEFU__AFTER_SALES_STATE__AFTER_SALES_STATE_DONE, S_ST(OPEN),
     S_KD(TRACE) | S_KD(EXTEND_RECEIPT), false, "done"},
    {KEFU__AFTER_SALES_STATE__AFTER_SALES_STATE_DONE, S_ST(CONFIRMED),
     S_KD(REPLENISH) | S_KD(RIGHTS_CLAIM), false, "done"},
    {KEFU__AFTER_SALES_STATE__AFTER_SALES_STATE_REJECTED,
     S_ST(OPEN) | S_ST(APPROVED) | S_ST(RECEIVED) | S_ST(CONFIRMED), UINT32_MAX, false, "rejected"},
};

static const s_step_t *s_step_find(Kefu__AfterSalesKind kind, Kefu__AfterSalesState from,
                                   Kefu__AfterSalesState to, bool photo)
{
    for (size_t i = 0; i < sizeof s_steps / sizeof s_steps[0]; i++) {
        const s_step_t *r = &s_steps[i];
        if (r->to == to && r->photo == photo && (r->from & (UINT32_C(1) << from)) &&
            (r->kinds & (UINT32_C(1) << kind)))
            return r;
    }
    return NULL;
}

/* The steps a request of kind in state from may take next, for a
 * refusal: "approved, confirmed --photo, rejected". */
static void s_step_next(Kefu__AfterSalesKind kind, Kefu__AfterSalesState from, char *out, size_t cap)
{
    size_t n = 0;
    out[0] = '\0';
    for (size_t i = 0; i < sizeof s_steps / sizeof s_steps[0]; i++) {
        const s_step_t *r = &s_steps[i];
        if ((r->from & (UINT32_C(1) << from)) && (r->kinds & (UINT32_C(1) << kind)) && n < cap)
            n += (size_t) snprintf(out + n, cap - n, "%s%s", n ? ", " : "", r->hint);
    }
    if (!out[0])
        snprintf(out, cap, "none: it is settled");
}

static int s_exec_aftersales(intake_t *self, cmd_t *cmd, const Kefu__Request *req,
                             store_txn_t *txn, Kefu__Envelope **events, arena_t *a)
{
    Kefu__Envelope *ev = events[0] = cmd_event(cmd);
    int rc;
    if (req->req_case == KEFU__REQUEST__REQ_AFTER_SALES_OPEN) {
        const Kefu__AfterSalesOpen *in = req->after_sales_open;
        if ((rc = s_need_by(cmd, in->by)))
            return rc;
        Kefu__Order *o = cmd_blank(in->order) ? NULL
                         : krecord_get(txn, self->t.orders, in->order, &kefu__order__descriptor, a);
        if (!o && cmd_blank(in->order))
            return cmd_field_missing(cmd, "order", "the order the request is about");
        if (!o) {
            cmd_errmsg(cmd, "order %s does not exist", in->order);
            return KEFU_ENOTFOUND;
        }
        if (!in->has_kind || in->kind == KEFU__AFTER_SALES_KIND__AFTER_SALES_KIND_UNSET) {
            return cmd_field_enum(cmd, "kind", "the request's kind",
                                  &kefu__after_sales_kind__descriptor);
        }
        Kefu__AfterSales *x = CMD_NEW(cmd, Kefu__AfterSales, kefu__after_sales__init);
        if (!(x->id = (char *) cmd_new_id(cmd, txn, self->t.aftersales, "aftersales", "A")))
            return KEFU_ESTOREFULL;
        x->order = o->id;
        x->customer = o->customer;
        x->has_kind = x->has_state = x->has_opened_at = x->has_updated_at = true;
        x->kind = in->kind;
        x->state = KEFU__AFTER_SALES_STATE__AFTER_SALES_STATE_OPEN;
        x->reason = in->reason;
        x->opened_at = x->updated_at = cmd_now(cmd);
        x->by = in->by;
        Kefu__AfterSalesOpened *e = CMD_NEW(cmd, Kefu__AfterSalesOpened, kefu__after_sales_opened__init);
        e->after_sales = x;
        ev->body_case = KEFU__ENVELOPE__BODY_AFTER_SALES_OPENED;
        ev->after_sales_opened = e;
        return 1;
    }
    const Kefu__AfterSalesStep *in = req->after_sales_step;
    if ((rc = s_need_by(cmd, in->by)))
        return rc;
    Kefu__AfterSales *x = cmd_blank(in->id) ? NULL
                          : krecord_get(txn, self->t.aftersales, in->id, &kefu__after_sales__descriptor, a);
    if (!x) {
        cmd_errmsg(cmd, "after-sales request %s does not exist", in->id ? in->id : "(none)");
        return cmd_blank(in->id) ? KEFU_EINVAL : KEFU_ENOTFOUND;
    }
    bool photo = in->has_photo_only && in->photo_only;
    if (!in->has_state || !s_step_find(x->kind, x->state, in->state, photo)) {
        char kind[32], from[32], to[32], next[200];
        pbdesc_enum_word(&kefu__after_sales_kind__descriptor, x->kind, kind, sizeof kind);
        pbdesc_enum_word(&kefu__after_sales_state__descriptor, x->state, from, sizeof from);
        pbdesc_enum_word(&kefu__after_sales_state__descriptor, in->has_state ? (int) in->state : 0,
                         to, sizeof to);
        s_step_next(x->kind, x->state, next, sizeof next);
        cmd_errmsg(cmd, "state: after-sales request %s (%s) is %s; it can't go to %s%s; next: %s",
                   x->id, kind, from, to, photo ? " by a photo check" : "", next);
        return KEFU_ECONFLICT;
    }
    bool refund = in->state == KEFU__AFTER_SALES_STATE__AFTER_SALES_STATE_REFUNDED;
    bool ships = in->state == KEFU__AFTER_SALES_STATE__AFTER_SALES_STATE_EXCHANGED ||
                 (in->state == KEFU__AFTER_SALES_STATE__AFTER_SALES_STATE_DONE &&
                  x->kind == KEFU__AFTER_SALES_KIND__AFTER_SALES_KIND_REPLENISH);
    if (refund && (!in->has_method || in->method == KEFU__REFUND_METHOD__REFUND_METHOD_UNSET))
        return cmd_field_enum(cmd, "method", "a refund's method", &kefu__refund_method__descriptor);
    if (!refund && in->has_method)
        return cmd_field_bad(cmd, "method", "a method goes with the step refunded");
    /* 004 第一篇 D: a refund has an amount, in fen */
    if (refund && (!in->has_amount_fen || in->amount_fen < 1 || in->amount_fen > S_MAX_FEN))
        return cmd_field_bad(cmd, "amount_fen", "a refund's amount in fen, 1 to %lld (100 million "
                                                "yuan)", (long long) S_MAX_FEN);
    if (!refund && in->has_amount_fen)
        return cmd_field_bad(cmd, "amount_fen", "an amount goes with the step refunded");
    if (ships && cmd_blank(in->shipment))
        return cmd_field_missing(cmd, "shipment", "the new shipment (its waybill or dispatch id)");
    if (!ships && !cmd_blank(in->shipment))
        return cmd_field_bad(cmd, "shipment", "a shipment goes with exchanged, or done for a "
                                              "replenishment");
    char err[200];
    if (ships && kid_check(in->shipment, "shipment", err, sizeof err) != 0) {
        cmd_errmsg(cmd, "%s", err);
        return KEFU_EINVAL;
    }
    Kefu__AfterSalesStepped *e = CMD_NEW(cmd, Kefu__AfterSalesStepped, kefu__after_sales_stepped__init);
    e->id = x->id;
    e->has_state = true;
    e->state = in->state;
    e->has_method = in->has_method;
    e->method = in->method;
    e->by = in->by;
    e->text = in->text;
    e->has_amount_fen = in->has_amount_fen;
    e->amount_fen = in->amount_fen;
    e->has_photo_only = photo;
    e->photo_only = photo;
    e->shipment = ships ? in->shipment : NULL;
    if (refund || in->state == KEFU__AFTER_SALES_STATE__AFTER_SALES_STATE_EXCHANGED) {
        /* the original invoice: reversed (红冲) by a refund, endorsed (背书) by an exchange */
        e->has_invoice = true;
        e->invoice = refund ? KEFU__INVOICE_ACTION__INVOICE_ACTION_REVERSED
                            : KEFU__INVOICE_ACTION__INVOICE_ACTION_ENDORSED;
    }
    ev->body_case = KEFU__ENVELOPE__BODY_AFTER_SALES_STEPPED;
    ev->after_sales_stepped = e;
    return 1;
}

/* 000 §五.5: the consultation a callback is for (calls_back): it must
 * exist, have promised a callback, and not be called back yet. Sets *out. */
static int s_called_back(intake_t *self, cmd_t *cmd, store_txn_t *txn, arena_t *a,
                         const char *id, Kefu__Consultation **out)
{
    *out = krecord_get(txn, self->t.consults, id, &kefu__consultation__descriptor, a);
    if (!*out) {
        cmd_errmsg(cmd, "calls_back: consultation %s does not exist", id);
        return KEFU_ENOTFOUND;
    }
    if (!(*out)->has_callback_by) {
        cmd_errmsg(cmd, "calls_back: consultation %s promised no callback (callback_by)", id);
        return KEFU_ECONFLICT;
    }
    if ((*out)->called_back_in) {
        cmd_errmsg(cmd, "calls_back: consultation %s was called back already, in %s", id,
                   (*out)->called_back_in);
        return KEFU_ECONFLICT;
    }
    return 0;
}

/* 000 §五.5: the time a callback is promised by, if any: an absolute
 * time or the next time of day, from now to a year ahead. */
static int s_callback_by(intake_t *self, cmd_t *cmd, const Kefu__ConsultationAdd *in,
                         int64_t now, protobuf_c_boolean *has, int64_t *by)
{
    *has = false;
    if (!in->has_callback_by && !in->has_callback_clock)
        return 0;
    if (in->has_callback_by && in->has_callback_clock)
        return cmd_field_bad(cmd, "callback_by", "one callback time: at a time (callback_by) "
                                                 "or at a time of day (callback_clock)");
    int rc;
    if (in->has_callback_by)
        *by = in->callback_by;
    else if ((rc = s_next_clock(self, cmd, "callback_clock", in->callback_clock, now, by)))
        return rc;
    if (*by <= now || *by > now + S_YEAR_US)
        return cmd_field_bad(cmd, in->has_callback_by ? "callback_by" : "callback_clock",
                             "a callback is promised from now to a year ahead");
    *has = true;
    return 0;
}

static int s_exec_consult(intake_t *self, cmd_t *cmd, const Kefu__ConsultationAdd *in,
                          store_txn_t *txn, Kefu__Envelope **events, arena_t *a)
{
    int rc = s_need_by(cmd, in->by);
    if (rc)
        return rc;
    /* the callback of an earlier one: for the same customer or prospect,
     * unless another is named */
    Kefu__Consultation *orig = NULL;
    if (!cmd_blank(in->calls_back) && (rc = s_called_back(self, cmd, txn, a, in->calls_back, &orig)))
        return rc;
    const char *customer = in->customer, *prospect = in->prospect;
    if (orig && cmd_blank(customer) && cmd_blank(prospect)) {
        customer = orig->customer;
        prospect = orig->prospect;
    }
    /* 000 §二: a customer's, or a prospect's (no record needed yet) */
    if (cmd_blank(customer) == cmd_blank(prospect))
        return cmd_field_missing(cmd, "customer", "who asked: a customer, or a prospect (who "
                                                  "they are, how to reach them), one of the two,");
    if (orig && orig->customer && !cmd_blank(customer) && strcmp(orig->customer, customer) != 0) {
        cmd_errmsg(cmd, "calls_back: consultation %s was customer %s's, not %s's", orig->id,
                   orig->customer, customer);
        return KEFU_ECONFLICT;
    }
    if (!cmd_blank(customer) &&
        !krecord_get(txn, self->t.customers, customer, &kefu__customer__descriptor, a)) {
        cmd_errmsg(cmd, "customer %s does not exist (a prospect: give prospect instead)",
                   customer);
        return KEFU_ENOTFOUND;
    }
    if (cmd_blank(in->question)) {
        return cmd_field_missing(cmd, "question", "the question");
    }
    Kefu__Consultation *q = CMD_NEW(cmd, Kefu__Consultation, kefu__consultation__init);
    if ((rc = s_callback_by(self, cmd, in, cmd_now(cmd), &q->has_callback_by, &q->callback_by)))
        return rc;
    /* a transfer that failed is answered by the promise to call back */
    if (cmd_blank(in->answer) && cmd_blank(in->referred_to) && !q->has_callback_by)
        return cmd_field_missing(cmd, "answer", "the answer, a referral to the responsible "
                                                "department (referred_to) or a callback "
                                                "promised (callback_by),");
    const char *texts[][2] = {{prospect, "prospect"}, {in->referred_to, "referred_to"},
                              {in->samples, "samples"}, {in->price_ref, "price_ref"},
                              {in->question, "question"}, {in->answer, "answer"}};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
        if (texts[i][0] && strlen(texts[i][0]) > S_MAX_TEXT)
            return cmd_field_bad(cmd, texts[i][1], "at most %d bytes", S_MAX_TEXT);
    if (!(q->id = (char *) cmd_new_id(cmd, txn, self->t.consults, "consult", "Q")))
        return KEFU_ESTOREFULL;
    q->customer = cmd_blank(customer) ? NULL : (char *) customer;
    q->prospect = cmd_blank(prospect) ? NULL : (char *) prospect;
    q->referred_to = cmd_blank(in->referred_to) ? NULL : in->referred_to;
    q->samples = cmd_blank(in->samples) ? NULL : in->samples;
    q->price_ref = cmd_blank(in->price_ref) ? NULL : in->price_ref;
    q->question = in->question;
    q->answer = in->answer;
    q->by = in->by;
    q->calls_back = orig ? orig->id : NULL;
    q->has_at = true;
    q->at = cmd_now(cmd);
    Kefu__ConsultationRecorded *e = CMD_NEW(cmd, Kefu__ConsultationRecorded, kefu__consultation_recorded__init);
    e->consultation = q;
    Kefu__Envelope *ev = events[0] = cmd_event(cmd);
    ev->body_case = KEFU__ENVELOPE__BODY_CONSULTATION_RECORDED;
    ev->consultation_recorded = e;
    return 1;
}

/* ---- the exec functions of the table --------------------------------------------------- */

/* Records read for checking live as long as the command's memory. */
static int s_x_customer(void *arg, cmd_t *cmd, const Kefu__Request *req, store_txn_t *txn,
                        Kefu__Envelope **events, size_t max)
{
    (void) max;
    return s_exec_customer(arg, cmd, req, txn, events, cmd_arena(cmd));
}

static int s_x_order(void *arg, cmd_t *cmd, const Kefu__Request *req, store_txn_t *txn,
                     Kefu__Envelope **events, size_t max)
{
    (void) max;
    return s_exec_order(arg, cmd, req->order_add, txn, events, cmd_arena(cmd));
}

static int s_x_case_open(void *arg, cmd_t *cmd, const Kefu__Request *req, store_txn_t *txn,
                         Kefu__Envelope **events, size_t max)
{
    (void) max;
    return s_exec_case_open(arg, cmd, req->case_open, txn, events, cmd_arena(cmd));
}

static int s_x_case_change(void *arg, cmd_t *cmd, const Kefu__Request *req, store_txn_t *txn,
                           Kefu__Envelope **events, size_t max)
{
    (void) max;
    return s_exec_case_change(arg, cmd, req, txn, events, cmd_arena(cmd));
}

static int s_x_aftersales(void *arg, cmd_t *cmd, const Kefu__Request *req, store_txn_t *txn,
                          Kefu__Envelope **events, size_t max)
{
    (void) max;
    return s_exec_aftersales(arg, cmd, req, txn, events, cmd_arena(cmd));
}

/* contract.md: staff add NAME --role: registers a person, or changes
 * their role. Once one is registered, only registered people act (cmdq.h);
 * adding is then for supervisors and managers (the row's roles). */
static int s_x_staff(void *arg, cmd_t *cmd, const Kefu__Request *req, store_txn_t *txn,
                     Kefu__Envelope **events, size_t max)
{
    (void) arg;
    (void) txn;
    (void) max;
    const Kefu__Staff *in = req->staff_add->staff;
    char err[200];
    if (!in || cmd_blank(in->name))
        return cmd_field_missing(cmd, "staff.name", "the person's name");
    if (kid_check(in->name, "staff.name", err, sizeof err) != 0) {
        cmd_errmsg(cmd, "%s", err);
        return KEFU_EINVAL;
    }
    if (!in->has_role || in->role == KEFU__ROLE__ROLE_UNSET)
        return cmd_field_enum(cmd, "staff.role", "their role", &kefu__role__descriptor);
    Kefu__Staff *p = CMD_NEW(cmd, Kefu__Staff, kefu__staff__init);
    p->name = in->name;
    p->has_role = p->has_registered_at = true;
    p->role = in->role;
    p->registered_at = cmd_now(cmd);
    Kefu__StaffRegistered *e = CMD_NEW(cmd, Kefu__StaffRegistered, kefu__staff_registered__init);
    e->staff = p;
    events[0] = cmd_event_of(cmd, KEFU__ENVELOPE__BODY_STAFF_REGISTERED, e);
    return 1;
}

static int s_x_consult(void *arg, cmd_t *cmd, const Kefu__Request *req, store_txn_t *txn,
                       Kefu__Envelope **events, size_t max)
{
    (void) max;
    return s_exec_consult(arg, cmd, req->consultation_add, txn, events, cmd_arena(cmd));
}

/* ---- answers ------------------------------------------------------------------------ */

/* complaint show: the case with one page of its history (a write answers
 * with the record as stored: its newest entries). */
static int s_case_page(intake_t *self, cmd_t *cmd, store_txn_t *txn, const Kefu__CaseGet *g,
                       Kefu__Case *c)
{
    uint32_t limit = g->has_history_limit && g->history_limit ? g->history_limit : S_HISTORY_PAGE;
    if (limit > S_HISTORY_PAGE_MAX) {
        cmd_errmsg(cmd, "history_limit: at most %d history entries at a time", S_HISTORY_PAGE_MAX);
        return KEFU_EINVAL;
    }
    return intake_history_page(self, txn, c, cmd_arena(cmd),
                               g->has_history_from ? (int64_t) g->history_from : -1, limit);
}

static int s_a_customer(void *arg, cmd_t *cmd, const Kefu__Request *req, store_txn_t *txn,
                        const char *id, Kefu__Reply *reply)
{
    intake_t *self = arg;
    (void) req;
    void *m = NULL;
    int rc = cmd_record(cmd, txn, self->t.customers, id, &kefu__customer__descriptor,
                             "customer", &m);
    reply->rep_case = KEFU__REPLY__REP_CUSTOMER;
    reply->customer = m;
    return rc;
}

static int s_a_order(void *arg, cmd_t *cmd, const Kefu__Request *req, store_txn_t *txn,
                     const char *id, Kefu__Reply *reply)
{
    intake_t *self = arg;
    (void) req;
    void *m = NULL;
    int rc = cmd_record(cmd, txn, self->t.orders, id, &kefu__order__descriptor, "order", &m);
    reply->rep_case = KEFU__REPLY__REP_ORDER;
    reply->order = m;
    return rc;
}

static int s_a_case(void *arg, cmd_t *cmd, const Kefu__Request *req, store_txn_t *txn,
                    const char *id, Kefu__Reply *reply)
{
    intake_t *self = arg;
    void *m = NULL;
    int rc = cmd_record(cmd, txn, self->t.cases, id, &kefu__case__descriptor, "case", &m);
    if (rc == 0 && req->req_case == KEFU__REQUEST__REQ_CASE_GET)
        rc = s_case_page(self, cmd, txn, req->case_get, m);
    if (rc == 0)
        intake_commitments_at(m, cmd_now(cmd));
    reply->rep_case = KEFU__REPLY__REP_CASE;
    reply->case_ = m;
    return rc;
}

static int s_a_aftersales(void *arg, cmd_t *cmd, const Kefu__Request *req, store_txn_t *txn,
                          const char *id, Kefu__Reply *reply)
{
    intake_t *self = arg;
    (void) req;
    void *m = NULL;
    int rc = cmd_record(cmd, txn, self->t.aftersales, id, &kefu__after_sales__descriptor,
                             "after-sales request", &m);
    reply->rep_case = KEFU__REPLY__REP_AFTER_SALES;
    reply->after_sales = m;
    return rc;
}

static int s_a_consult(void *arg, cmd_t *cmd, const Kefu__Request *req, store_txn_t *txn,
                       const char *id, Kefu__Reply *reply)
{
    intake_t *self = arg;
    (void) req;
    void *m = NULL;
    int rc = cmd_record(cmd, txn, self->t.consults, id, &kefu__consultation__descriptor,
                             "consultation", &m);
    reply->rep_case = KEFU__REPLY__REP_CONSULTATION;
    reply->consultation = m;
    return rc;
}

static int s_a_staff(void *arg, cmd_t *cmd, const Kefu__Request *req, store_txn_t *txn,
                     const char *id, Kefu__Reply *reply)
{
    intake_t *self = arg;
    (void) req;
    void *m = NULL;
    int rc = cmd_record(cmd, txn, self->t.staff, id, &kefu__staff__descriptor, "staff member", &m);
    reply->rep_case = KEFU__REPLY__REP_STAFF;
    reply->staff = m;
    return rc;
}

static int s_a_cases(void *arg, cmd_t *cmd, const Kefu__Request *req, store_txn_t *txn,
                     const char *id, Kefu__Reply *reply)
{
    (void) id;
    return intake_query_cases(arg, cmd, txn, req->case_query, reply);
}

static int s_a_analysis(void *arg, cmd_t *cmd, const Kefu__Request *req, store_txn_t *txn,
                        const char *id, Kefu__Reply *reply)
{
    (void) id;
    return intake_query_analysis(arg, cmd, txn, req->case_analysis, reply);
}

static int s_a_list(void *arg, cmd_t *cmd, const Kefu__Request *req, store_txn_t *txn,
                    const char *id, Kefu__Reply *reply)
{
    (void) id;
    return intake_list(arg, cmd, txn, req, reply);
}

/* ---- the command table: one row per request intake serves ----------------------------- */

#define Q(x) KEFU__REQUEST__REQ_##x
#define R(x) KEFU__REPLY__REP_##x
#define E(x) KEFU__ENVELOPE__BODY_##x

static const cmd_row_t s_rows[] = {
    /* request            reply            first event           key                    subject          exec             answer */
    {Q(CUSTOMER_ADD),     R(CUSTOMER),     E(CUSTOMER_REGISTERED), "customer/customer.id", "customer.id", s_x_customer, s_a_customer, NULL},
    {Q(CUSTOMER_UPDATE),  R(CUSTOMER),     E(CUSTOMER_UPDATED),  "customer/customer.id", "customer.id",  s_x_customer,    s_a_customer,   NULL},
    {Q(CUSTOMER_GET),     R(CUSTOMER),     0,                    NULL,                   "id",           NULL,            s_a_customer,   NULL},
    {Q(CUSTOMER_LIST),    R(CUSTOMERS),    0,                    NULL,                   NULL,           NULL,            s_a_list,       NULL},
    {Q(ORDER_ADD),        R(ORDER),        E(ORDER_TAKEN),       "order/order.id",       "order.id",     s_x_order,       s_a_order,      NULL},
    {Q(ORDER_GET),        R(ORDER),        0,                    NULL,                   "id",           NULL,            s_a_order,      NULL},
    {Q(ORDER_LIST),       R(ORDERS),       0,                    NULL,                   NULL,           NULL,            s_a_list,       NULL},
    {Q(CASE_OPEN),        R(CASE),         E(CASE_OPENED),       NULL,                   "case.id",      s_x_case_open,   s_a_case,       NULL},
    {Q(CASE_REPLY),       R(CASE),         E(CASE_REPLIED),      "case/id",              "id",           s_x_case_change, s_a_case,       NULL},
    {Q(CASE_HANDOFF),     R(CASE),         E(CASE_HANDED_OFF),   "case/id",              "id",           s_x_case_change, s_a_case,       NULL},
    {Q(CASE_ADD_EVIDENCE),R(CASE),         E(CASE_EVIDENCE_ADDED), "case/id",            "id",           s_x_case_change, s_a_case,       NULL},
    {Q(CASE_RESOLVE),     R(CASE),         E(CASE_RESOLVED),     "case/id",              "id",           s_x_case_change, s_a_case,       NULL},
    {Q(CASE_FOLLOWUP),    R(CASE),         E(CASE_FOLLOWED_UP),  "case/id",              "id",           s_x_case_change, s_a_case,       NULL},
    {Q(CASE_WAIT),        R(CASE),         E(CASE_WAITING),      "case/id",              "id",           s_x_case_change, s_a_case,       NULL},
    {Q(CASE_RESUME),      R(CASE),         E(CASE_RESUMED),      "case/id",              "id",           s_x_case_change, s_a_case,       NULL},
    {Q(CASE_SET_CAUSE),   R(CASE),         E(CASE_CAUSE_SET),    "case/id",              "id",           s_x_case_change, s_a_case,       NULL},
    {Q(CASE_RECORD_REQUEST), R(CASE),      E(CASE_REQUEST_RECORDED), "case/id",          "id",           s_x_case_change, s_a_case,       NULL},
    {Q(CASE_OFFER),       R(CASE),         E(CASE_SOLUTION_OFFERED), "case/id",          "id",           s_x_case_change, s_a_case,       NULL},
    {Q(CASE_CONFIRM),     R(CASE),         E(CASE_SOLUTION_CONFIRMED), "case/id",        "id",           s_x_case_change, s_a_case,       NULL},
    {Q(CASE_REOPEN),      R(CASE),         E(CASE_REOPENED),     "case/id",              "id",           s_x_case_change, s_a_case,       NULL},
    {Q(CASE_HANDOFF_ANSWER), R(CASE),      E(CASE_HANDOFF_ANSWERED), "case/id",          "id",           s_x_case_change, s_a_case,       NULL},
    {Q(CASE_REPORT),      R(CASE),         E(CASE_REPORTED),     "case/id",              "id",           s_x_case_change, s_a_case,       NULL},
    {Q(STAFF_ADD),        R(STAFF),        E(STAFF_REGISTERED),  "staff/staff.name",     "staff.name",   s_x_staff,       s_a_staff,      "supervisor,manager"},
    {Q(CASE_GET),         R(CASE),         0,                    NULL,                   "id",           NULL,            s_a_case,       NULL},
    {Q(CASE_QUERY),       R(CASES),        0,                    NULL,                   NULL,           NULL,            s_a_cases,      NULL},
    {Q(CASE_ANALYSIS),    R(ANALYSIS),     0,                    NULL,                   NULL,           NULL,            s_a_analysis,   NULL},
    /* after-sales opens on one order run in order (the order's key) */
    {Q(AFTER_SALES_OPEN), R(AFTER_SALES),  E(AFTER_SALES_OPENED), "order/order",         "after_sales.id", s_x_aftersales, s_a_aftersales, NULL},
    {Q(AFTER_SALES_STEP), R(AFTER_SALES),  E(AFTER_SALES_STEPPED), "aftersales/id",      "id",           s_x_aftersales,  s_a_aftersales, NULL},
    {Q(AFTER_SALES_GET),  R(AFTER_SALES),  0,                    NULL,                   "id",           NULL,            s_a_aftersales, NULL},
    {Q(AFTER_SALES_LIST), R(AFTER_SALES_ITEMS), 0,               NULL,                   NULL,           NULL,            s_a_list,       NULL},
    /* a callback waits for its consultation's creation and for another
     * callback of it (the key cmd_new_id reserves a new one under) */
    {Q(CONSULTATION_ADD), R(CONSULTATION), E(CONSULTATION_RECORDED), "consult/calls_back", "consultation.id", s_x_consult, s_a_consult, NULL},
    {Q(CONSULTATION_LIST),R(CONSULTATIONS), 0,                   NULL,                   NULL,           NULL,            s_a_list,       NULL},
};

#undef Q
#undef R
#undef E

const cmd_table_t intake_commands = {"intake", s_rows, sizeof s_rows / sizeof s_rows[0]};
