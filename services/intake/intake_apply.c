/* intake_apply.c: how each intake event changes intake's state.
 *
 * The only place intake's store changes (besides cmdq's request record and
 * the consumer's position, in the same transaction). Appliers trust the
 * events: the checks were made when the command ran (intake_cmd.c), and an
 * event in the log is a fact. An event about a record that does not exist
 * (which the commands never make) is logged and skipped, so a damaged or
 * foreign log can't stop the daemon; so is a second creation of an id,
 * which never overwrites the first record (s_second_creation).
 */
#include <stdio.h>
#include <string.h>

#include "intake.h"
#include "kerr.h"
#include "kid.h"
#include "klog.h"
#include "pbdesc.h"


/* Appends one line to a case's course of events (its whole history in
 * case_history, the newest lines in the record: intake_index.c). Returns 0
 * or a store error. */
static int s_history(intake_t *self, store_txn_t *txn, Kefu__Case *c, arena_t *a, int64_t at,
                     const char *by, const char *action, const char *text, int64_t due)
{
    Kefu__CaseEntry *e = arena_alloc(a, sizeof *e);
    kefu__case_entry__init(e);
    e->has_at = true;
    e->at = at;
    e->by = (char *) by;
    e->action = (char *) action;
    e->text = (char *) text;
    e->has_due = due != 0;
    e->due = due;
    return intake_history_append(self, txn, c, a, e);
}

static char *s_dup(arena_t *a, const char *s)
{
    char *d = arena_alloc(a, strlen(s) + 1);
    strcpy(d, s);
    return d;
}

/* Consultation q (just applied) is the callback of q->calls_back: that
 * one's promise is met, in q at `at`. One that does not exist, or was
 * called back already (the command checks both), is logged and left. */
static int s_called_back(intake_t *self, store_txn_t *txn, arena_t *a, uint64_t seq,
                         const Kefu__Consultation *q, int64_t at)
{
    Kefu__Consultation *o = krecord_get(txn, self->t.consults, q->calls_back,
                                        &kefu__consultation__descriptor, a);
    if (!o || o->called_back_in) {
        klog_warn("seq %llu: consultation %s calls back %s, which %s; left as it is",
                  (unsigned long long) seq, q->id, q->calls_back,
                  o ? "was called back already" : "does not exist");
        return 0;
    }
    o->called_back_in = q->id;
    o->has_called_back_at = true;
    o->called_back_at = at;
    return krecord_put(txn, self->t.consults, o->id, &o->base);
}

/* The case an event changes, and its state before (for the state index). */
/* A creation event for an id that exists: the commands reserve ids until
 * their events are applied (cmdq.h), so this is a bug or a foreign log.
 * The first record stays; the event is logged and skipped. */
static bool s_second_creation(store_txn_t *txn, store_table_t t, uint64_t seq, const char *what,
                              const char *id)
{
    if (!krecord_exists(txn, t, id))
        return false;
    klog_error("seq %llu: a second creation of %s %s; the first is kept and this event skipped "
               "(a bug: ids are reserved until applied)", (unsigned long long) seq, what, id);
    return true;
}

static Kefu__Case *s_case(intake_t *self, store_txn_t *txn, arena_t *a, const char *id, uint64_t seq,
                          Kefu__CaseState *was)
{
    Kefu__Case *c = krecord_get(txn, self->t.cases, id, &kefu__case__descriptor, a);
    if (!c)
        klog_warn("seq %llu: event for unknown case %s skipped", (unsigned long long) seq,
                  id ? id : "(none)");
    else
        *was = c->state;
    return c;
}

static int s_put_case(intake_t *self, store_txn_t *txn, Kefu__Case *c)
{
    return krecord_put(txn, self->t.cases, c->id, &c->base);
}

static bool s_replied(Kefu__Case *c, int64_t at)
{
    if (!c->has_first_reply_at) {
        c->has_first_reply_at = true;
        c->first_reply_at = at;
        return true;
    }
    return false;
}

/* 003 第二篇 七.四.1: an answer to the customer (a reply, a resolution)
 * at `at` answers every promised time still open: met if by it. */
static void s_commitments_answer(Kefu__Case *c, int64_t at)
{
    for (size_t i = 0; i < c->n_commitments; i++) {
        Kefu__Commitment *m = c->commitments[i];
        if (m->state != KEFU__COMMITMENT_STATE__COMMITMENT_STATE_OPEN)
            continue;
        m->has_answered_at = true;
        m->answered_at = at;
        m->state = at <= m->until ? KEFU__COMMITMENT_STATE__COMMITMENT_STATE_MET
                                  : KEFU__COMMITMENT_STATE__COMMITMENT_STATE_MISSED;
    }
}

static int s_apply_case(intake_t *self, store_txn_t *txn, arena_t *a, uint64_t seq,
                        const Kefu__Envelope *ev)
{
    int64_t at = ev->at;
    Kefu__Case *c;
    Kefu__CaseState was = 0;
    int rc;
    switch (ev->body_case) {
    case KEFU__ENVELOPE__BODY_CASE_OPENED: {
        c = ev->case_opened->case_;
        if (!c || !c->id || s_second_creation(txn, self->t.cases, seq, "case", c->id))
            return 0;
        rc = intake_index_open(self, txn, c);  /* the register's entries */
        if (rc == 0)
            rc = kid_counter_see(txn, "case", "C", c->id);
        if (rc)
            return rc;
        was = c->state;
        rc = s_history(self, txn, c, a, at, c->owner, "opened", c->text, c->reply_due);
        break;
    }
    case KEFU__ENVELOPE__BODY_CASE_REPLIED: {
        const Kefu__CaseReplied *e = ev->case_replied;
        if (!(c = s_case(self, txn, a, e->id, seq, &was)))
            return 0;
        s_replied(c, at);
        c->state = KEFU__CASE_STATE__CASE_STATE_REPLIED;
        c->has_replies = true;
        c->replies++;
        s_commitments_answer(c, at);
        if (e->has_committed_until) {
            c->has_committed_until = true;
            c->committed_until = e->committed_until;
            Kefu__Commitment *m = arena_alloc(a, sizeof *m);
            kefu__commitment__init(m);
            m->has_at = m->has_until = m->has_state = true;
            m->at = at;
            m->by = e->by;
            m->until = e->committed_until;
            m->state = KEFU__COMMITMENT_STATE__COMMITMENT_STATE_OPEN;
            Kefu__Commitment **v = arena_grow(a, c->commitments, c->n_commitments,
                                              c->n_commitments + 1, sizeof *v);
            v[c->n_commitments++] = m;
            c->commitments = v;
        }
        rc = s_history(self, txn, c, a, at, e->by,
                       e->has_committed_until ? "replied, next answer promised" : "replied",
                       e->text, e->has_committed_until ? e->committed_until : 0);
        break;
    }
    case KEFU__ENVELOPE__BODY_CASE_HANDED_OFF: {
        const Kefu__CaseHandedOff *e = ev->case_handed_off;
        if (!(c = s_case(self, txn, a, e->id, seq, &was)) || !e->handoff)
            return 0;
        Kefu__Handoff **h = arena_grow(a, c->handoffs, c->n_handoffs, c->n_handoffs + 1, sizeof *h);
        h[c->n_handoffs++] = e->handoff;
        c->handoffs = h;
        char what[160];
        snprintf(what, sizeof what, "handed off to %s", e->handoff->department ? e->handoff->department : "?");
        char *action = arena_alloc(a, strlen(what) + 1);
        strcpy(action, what);
        rc = s_history(self, txn, c, a, at, e->handoff->by, action, e->text,
                       e->handoff->has_due ? e->handoff->due : 0);
        break;
    }
    case KEFU__ENVELOPE__BODY_CASE_EVIDENCE_ADDED: {
        const Kefu__CaseEvidenceAdded *e = ev->case_evidence_added;
        if (!(c = s_case(self, txn, a, e->id, seq, &was)) || !e->evidence)
            return 0;
        Kefu__Evidence **x = arena_grow(a, c->evidence, c->n_evidence, c->n_evidence + 1, sizeof *x);
        x[c->n_evidence++] = e->evidence;
        c->evidence = x;
        rc = s_history(self, txn, c, a, at, e->evidence->by, "evidence added", e->evidence->text, 0);
        break;
    }
    case KEFU__ENVELOPE__BODY_CASE_RESOLVED: {
        const Kefu__CaseResolved *e = ev->case_resolved;
        if (!(c = s_case(self, txn, a, e->id, seq, &was)))
            return 0;
        s_replied(c, at);  /* a resolution answers the customer too */
        s_commitments_answer(c, at);
        c->state = KEFU__CASE_STATE__CASE_STATE_RESOLVED;
        c->has_resolved_at = true;
        c->resolved_at = at;
        c->has_outcome = true;
        c->outcome = e->outcome;
        if (e->outcome == KEFU__OUTCOME__OUTCOME_DECLINED)
            c->declined_reason = e->text;  /* domain.md §6: the reason is recorded */
        if (e->has_analysis_due) {
            c->has_analysis_due = true;
            c->analysis_due = e->analysis_due;
        }
        c->has_follow_up_due = e->has_follow_up_due;  /* the visit owed for this resolution */
        c->follow_up_due = e->follow_up_due;
        rc = s_history(self, txn, c, a, at, e->by, "resolved", e->text,
                       e->has_analysis_due ? e->analysis_due : 0);
        break;
    }
    case KEFU__ENVELOPE__BODY_CASE_FOLLOWED_UP: {
        const Kefu__CaseFollowedUp *e = ev->case_followed_up;
        if (!(c = s_case(self, txn, a, e->id, seq, &was)))
            return 0;
        c->state = KEFU__CASE_STATE__CASE_STATE_CLOSED;
        c->has_closed_at = true;
        c->closed_at = at;
        c->has_satisfaction = true;
        c->satisfaction = e->satisfaction;
        rc = s_history(self, txn, c, a, at, e->by, "followed up", e->text, 0);
        break;
    }
    case KEFU__ENVELOPE__BODY_CASE_WAITING: {
        const Kefu__CaseWaiting *e = ev->case_waiting;
        if (!(c = s_case(self, txn, a, e->id, seq, &was)))
            return 0;
        c->waiting_on = e->on;
        c->has_waiting_since = true;
        c->waiting_since = at;
        char what[96];
        snprintf(what, sizeof what, "waiting on %s", e->on ? e->on : "?");
        char *action = arena_alloc(a, strlen(what) + 1);
        strcpy(action, what);
        rc = s_history(self, txn, c, a, at, e->by, action, e->text, 0);
        break;
    }
    case KEFU__ENVELOPE__BODY_CASE_RESUMED: {
        const Kefu__CaseResumed *e = ev->case_resumed;
        if (!(c = s_case(self, txn, a, e->id, seq, &was)))
            return 0;
        c->waiting_on = NULL;
        c->has_waiting_since = false;
        c->waiting_since = 0;
        c->has_paused_us = true;
        c->paused_us += e->paused_us;
        if (e->has_reply_due) {
            c->has_reply_due = true;
            c->reply_due = e->reply_due;
        }
        rc = s_history(self, txn, c, a, at, e->by, "resumed", e->text,
                       e->has_reply_due ? e->reply_due : 0);
        break;
    }
    case KEFU__ENVELOPE__BODY_CASE_CAUSE_SET: {
        const Kefu__CaseCauseSet *e = ev->case_cause_set;
        if (!(c = s_case(self, txn, a, e->id, seq, &was)))
            return 0;
        c->has_cause = true;
        c->cause = e->cause;
        char word[32], what[64];
        pbdesc_enum_word(&kefu__responsible_party__descriptor, e->cause, word, sizeof word);
        snprintf(what, sizeof what, "cause: %s", word);
        rc = s_history(self, txn, c, a, at, e->by, s_dup(a, what), e->text, 0);
        break;
    }
    case KEFU__ENVELOPE__BODY_CASE_REQUEST_RECORDED: {
        const Kefu__CaseRequestRecorded *e = ev->case_request_recorded;
        if (!(c = s_case(self, txn, a, e->id, seq, &was)))
            return 0;
        c->request = e->text;
        rc = s_history(self, txn, c, a, at, e->by, "the customer's request", e->text, 0);
        break;
    }
    case KEFU__ENVELOPE__BODY_CASE_SOLUTION_OFFERED: {
        const Kefu__CaseSolutionOffered *e = ev->case_solution_offered;
        if (!(c = s_case(self, txn, a, e->id, seq, &was)))
            return 0;
        char **v = arena_grow(a, c->solutions, c->n_solutions, c->n_solutions + 1, sizeof *v);
        v[c->n_solutions++] = e->text ? e->text : "";
        c->solutions = v;
        char what[64];
        snprintf(what, sizeof what, "solution %zu offered", c->n_solutions);
        rc = s_history(self, txn, c, a, at, e->by, s_dup(a, what), e->text, 0);
        break;
    }
    case KEFU__ENVELOPE__BODY_CASE_SOLUTION_CONFIRMED: {
        const Kefu__CaseSolutionConfirmed *e = ev->case_solution_confirmed;
        if (!(c = s_case(self, txn, a, e->id, seq, &was)))
            return 0;
        c->has_confirmed_solution = true;
        c->confirmed_solution = e->solution;
        char what[64];
        snprintf(what, sizeof what, "solution %u confirmed by the customer", e->solution);
        rc = s_history(self, txn, c, a, at, e->by, s_dup(a, what), e->text, 0);
        break;
    }
    case KEFU__ENVELOPE__BODY_CASE_REOPENED: {
        /* open again: a new reply deadline; the resolution and the
         * confirmation no longer stand (back to the solutions) */
        const Kefu__CaseReopened *e = ev->case_reopened;
        if (!(c = s_case(self, txn, a, e->id, seq, &was)))
            return 0;
        c->state = KEFU__CASE_STATE__CASE_STATE_OPEN;
        if (e->has_reply_due) {
            c->has_reply_due = true;
            c->reply_due = e->reply_due;
        }
        c->has_resolved_at = c->has_outcome = c->has_closed_at = false;
        c->resolved_at = c->closed_at = 0;
        c->outcome = 0;
        c->has_confirmed_solution = false;
        c->confirmed_solution = 0;
        c->declined_reason = NULL;
        c->has_follow_up_due = false;  /* no visit owed until it is resolved again */
        c->follow_up_due = 0;
        c->has_reopened = true;
        c->reopened++;
        char what[64];
        if (e->has_satisfaction)
            snprintf(what, sizeof what, "reopened (satisfaction %u)", e->satisfaction);
        else
            snprintf(what, sizeof what, "reopened");
        rc = s_history(self, txn, c, a, at, e->by, s_dup(a, what), e->text,
                       e->has_reply_due ? e->reply_due : 0);
        break;
    }
    case KEFU__ENVELOPE__BODY_CASE_HANDOFF_ANSWERED: {
        const Kefu__CaseHandoffAnswered *e = ev->case_handoff_answered;
        if (!(c = s_case(self, txn, a, e->id, seq, &was)))
            return 0;
        if (!e->has_handoff || e->handoff >= c->n_handoffs) {
            klog_warn("seq %llu: answer to hand-off %u of case %s, which has %zu, skipped",
                      (unsigned long long) seq, e->handoff, c->id, c->n_handoffs);
            return 0;
        }
        Kefu__Handoff *h = c->handoffs[e->handoff];
        h->has_answered_at = true;
        h->answered_at = at;
        h->answered_by = e->by;
        h->answer = e->text;
        char what[160];
        snprintf(what, sizeof what, "%s answered", h->department ? h->department : "?");
        rc = s_history(self, txn, c, a, at, e->by, s_dup(a, what), e->text, 0);
        break;
    }
    case KEFU__ENVELOPE__BODY_CASE_REPORTED: {
        /* a major complaint's report (003 第二篇 四.6) */
        const Kefu__CaseReported *e = ev->case_reported;
        if (!(c = s_case(self, txn, a, e->id, seq, &was)))
            return 0;
        if (e->incident) {
            c->incident = e->incident;
            rc = s_history(self, txn, c, a, at, e->incident->by, "incident report", e->incident->what, 0);
        } else if (e->analysis) {
            c->analysis_report = e->analysis;
            rc = s_history(self, txn, c, a, at, e->analysis->by, "analysis report",
                           e->analysis->cause, 0);
        } else {
            return 0;
        }
        break;
    }
    default:
        return 0;
    }
    if (rc == 0)
        rc = intake_index_state(self, txn, c, was);
    return rc ? rc : s_put_case(self, txn, c);
}

static int s_apply_aftersales(intake_t *self, store_txn_t *txn, arena_t *a, uint64_t seq,
                              const Kefu__Envelope *ev)
{
    Kefu__AfterSales *x;
    if (ev->body_case == KEFU__ENVELOPE__BODY_AFTER_SALES_OPENED) {
        x = ev->after_sales_opened->after_sales;
        if (!x || !x->id ||
            s_second_creation(txn, self->t.aftersales, seq, "after-sales request", x->id))
            return 0;
        int rc = kid_counter_see(txn, "aftersales", "A", x->id);
        if (rc)
            return rc;
        Kefu__CaseEntry e = KEFU__CASE_ENTRY__INIT, *h[1] = {&e};
        e.has_at = true;
        e.at = ev->at;
        e.by = x->by;
        e.action = "opened";
        e.text = x->reason;
        x->n_history = 1;
        x->history = h;
        return krecord_put(txn, self->t.aftersales, x->id, &x->base);
    }
    const Kefu__AfterSalesStepped *s = ev->after_sales_stepped;
    x = krecord_get(txn, self->t.aftersales, s->id, &kefu__after_sales__descriptor, a);
    if (!x) {
        klog_warn("seq %llu: step of unknown after-sales request %s skipped",
                  (unsigned long long) seq, s->id ? s->id : "(none)");
        return 0;
    }
    x->has_state = true;
    x->state = s->state;
    x->has_updated_at = true;
    x->updated_at = ev->at;
    if (s->has_method) {
        x->has_method = true;
        x->method = s->method;
    }
    if (s->has_amount_fen) {
        x->has_amount_fen = true;
        x->amount_fen = s->amount_fen;
    }
    if (s->has_photo_only && s->photo_only)
        x->has_photo_only = x->photo_only = true;
    if (s->shipment)
        x->shipment = s->shipment;
    /* 004 第一篇 D: a refund reverses the invoice (红冲; a log from before
     * the event said so carries no invoice field), an exchange endorses it */
    Kefu__InvoiceAction inv = s->has_invoice ? s->invoice
                              : s->state == KEFU__AFTER_SALES_STATE__AFTER_SALES_STATE_REFUNDED
                                  ? KEFU__INVOICE_ACTION__INVOICE_ACTION_REVERSED
                                  : KEFU__INVOICE_ACTION__INVOICE_ACTION_UNSET;
    if (inv) {
        x->has_invoice = true;
        x->invoice = inv;
    }
    if (inv == KEFU__INVOICE_ACTION__INVOICE_ACTION_REVERSED) {
        x->has_invoice_reversed = true;
        x->invoice_reversed = true;
    }
    char *word = arena_alloc(a, 160);
    pbdesc_enum_word(&kefu__after_sales_state__descriptor, s->state, word, 32);
    size_t wl = strlen(word);
    if (s->has_amount_fen)
        wl += (size_t) snprintf(word + wl, 160 - wl, " %lld.%02lld yuan",
                                (long long) (s->amount_fen / 100), (long long) (s->amount_fen % 100));
    if (s->has_photo_only && s->photo_only)
        wl += (size_t) snprintf(word + wl, 160 - wl, " by a photo check");
    if (s->shipment)
        wl += (size_t) snprintf(word + wl, 160 - wl, ", shipment %.64s", s->shipment);
    /* (an older event's line stays as it was written: its state's word) */
    if (s->has_invoice && inv == KEFU__INVOICE_ACTION__INVOICE_ACTION_REVERSED)
        snprintf(word + wl, 160 - wl, ", invoice reversed (红冲)");
    else if (s->has_invoice && inv == KEFU__INVOICE_ACTION__INVOICE_ACTION_ENDORSED)
        snprintf(word + wl, 160 - wl, ", invoice endorsed (背书)");
    Kefu__CaseEntry **h = arena_grow(a, x->history, x->n_history, x->n_history + 1, sizeof *h);
    Kefu__CaseEntry *e = arena_alloc(a, sizeof *e);
    kefu__case_entry__init(e);
    e->has_at = true;
    e->at = ev->at;
    e->by = s->by;
    e->action = word;
    e->text = s->text;
    h[x->n_history++] = e;
    x->history = h;
    return krecord_put(txn, self->t.aftersales, x->id, &x->base);
}

int intake_apply(void *arg, store_txn_t *txn, const evlog_record_t *rec, const Kefu__Envelope *ev)
{
    intake_t *self = arg;
    if (!ev)
        return 0;  /* not decodable by this version: not ours to apply */
    int rc = 0;
    arena_t *a = self->apply_arena;
    arena_reset(a);
    switch (ev->body_case) {
    case KEFU__ENVELOPE__BODY_CUSTOMER_REGISTERED:
    case KEFU__ENVELOPE__BODY_CUSTOMER_UPDATED: {
        Kefu__Customer *c = ev->body_case == KEFU__ENVELOPE__BODY_CUSTOMER_REGISTERED
                                ? ev->customer_registered->customer
                                : ev->customer_updated->customer;
        if (c && c->id &&
            !(ev->body_case == KEFU__ENVELOPE__BODY_CUSTOMER_REGISTERED &&
              s_second_creation(txn, self->t.customers, rec->seq, "customer", c->id)))
            rc = krecord_put(txn, self->t.customers, c->id, &c->base);
        break;
    }
    case KEFU__ENVELOPE__BODY_ORDER_TAKEN: {
        Kefu__Order *o = ev->order_taken->order;
        if (o && o->id && !s_second_creation(txn, self->t.orders, rec->seq, "order", o->id)) {
            rc = krecord_put(txn, self->t.orders, o->id, &o->base);
            if (rc == 0)
                rc = kid_counter_see(txn, "order", "O", o->id);
        }
        break;
    }
    case KEFU__ENVELOPE__BODY_CASE_OPENED:
    case KEFU__ENVELOPE__BODY_CASE_REPLIED:
    case KEFU__ENVELOPE__BODY_CASE_HANDED_OFF:
    case KEFU__ENVELOPE__BODY_CASE_EVIDENCE_ADDED:
    case KEFU__ENVELOPE__BODY_CASE_RESOLVED:
    case KEFU__ENVELOPE__BODY_CASE_FOLLOWED_UP:
    case KEFU__ENVELOPE__BODY_CASE_WAITING:
    case KEFU__ENVELOPE__BODY_CASE_RESUMED:
    case KEFU__ENVELOPE__BODY_CASE_CAUSE_SET:
    case KEFU__ENVELOPE__BODY_CASE_REQUEST_RECORDED:
    case KEFU__ENVELOPE__BODY_CASE_SOLUTION_OFFERED:
    case KEFU__ENVELOPE__BODY_CASE_SOLUTION_CONFIRMED:
    case KEFU__ENVELOPE__BODY_CASE_REOPENED:
    case KEFU__ENVELOPE__BODY_CASE_HANDOFF_ANSWERED:
    case KEFU__ENVELOPE__BODY_CASE_REPORTED:
        rc = s_apply_case(self, txn, a, rec->seq, ev);
        break;
    case KEFU__ENVELOPE__BODY_AFTER_SALES_OPENED:
    case KEFU__ENVELOPE__BODY_AFTER_SALES_STEPPED:
        rc = s_apply_aftersales(self, txn, a, rec->seq, ev);
        break;
    case KEFU__ENVELOPE__BODY_STAFF_REGISTERED: {
        /* the desk's people; who may act is the kit's (cmdq_staff) */
        Kefu__Staff *p = ev->staff_registered->staff;
        if (p && p->name)
            rc = krecord_put(txn, self->t.staff, p->name, &p->base);
        break;
    }
    case KEFU__ENVELOPE__BODY_CONSULTATION_RECORDED: {
        Kefu__Consultation *q = ev->consultation_recorded->consultation;
        if (q && q->id &&
            !s_second_creation(txn, self->t.consults, rec->seq, "consultation", q->id)) {
            rc = krecord_put(txn, self->t.consults, q->id, &q->base);
            if (rc == 0)
                rc = kid_counter_see(txn, "consult", "Q", q->id);
            /* 001 一.3: the assigned person's first consultation with the
             * customer is the first contact */
            Kefu__Customer *c = rc == 0 && q->customer && q->by
                                    ? krecord_get(txn, self->t.customers, q->customer,
                                                  &kefu__customer__descriptor, a)
                                    : NULL;
            if (c && c->assigned_to && !c->has_first_contact_at &&
                strcmp(c->assigned_to, q->by) == 0) {
                c->has_first_contact_at = true;
                c->first_contact_at = ev->at;
                rc = krecord_put(txn, self->t.customers, c->id, &c->base);
            }
            /* 000 §五.5: this is the callback an earlier one promised */
            if (rc == 0 && q->calls_back)
                rc = s_called_back(self, txn, a, rec->seq, q, ev->at);
        }
        break;
    }
    default:
        break;  /* other daemons' events and probes */
    }
    return rc;  /* the kit records intake's own request ids (kservice.h) */
}
