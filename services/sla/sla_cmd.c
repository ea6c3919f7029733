/* sla_cmd.c: the SLA watchers' commands.
 *
 * Two kinds. A supervisor's: the escalations, the open obligations, and
 * the acknowledgement. And sla's own, which its watchers submit when a
 * time falls due (sla_watch.c) or an obligation is met (a reaction,
 * sla_apply.c): raise, warn, level 2, clear; and the list of the open
 * complaints at the close of a working day (sla_eod.c). Each of these checks the
 * state itself (due by now, not yet done), so whoever sends one, and
 * however often, an escalation is raised once per breach and only when it
 * is one.
 */
#include <stdio.h>
#include <string.h>

#include "kerr.h"
#include "kid.h"
#include "ktime.h"
#include "pbdesc.h"
#include "sla.h"

#define S_MAX_LIST 100000

static Kefu__Obligation *s_obligation(sla_t *self, cmd_t *cmd, store_txn_t *txn, const char *id,
                                      int *rc)
{
    void *m = NULL;
    *rc = cmd_record(cmd, txn, self->t.obligations, id, &kefu__obligation__descriptor,
                     "obligation", &m);
    return m;
}

static Kefu__Escalation *s_get_escalation(sla_t *self, cmd_t *cmd, store_txn_t *txn,
                                          const char *id, int *rc)
{
    void *m = NULL;
    *rc = cmd_record(cmd, txn, self->t.escalations, id, &kefu__escalation__descriptor,
                     "escalation", &m);
    return m;
}

static int s_not(cmd_t *cmd, const char *fmt, const char *a)
{
    cmd_errmsg(cmd, fmt, a);
    return KEFU_ECONFLICT;
}

Kefu__Envelope *sla_escalation_raised(sla_t *self, cmd_t *cmd, store_txn_t *txn,
                                      Kefu__Escalation *e, Kefu__EscalationKind kind,
                                      const char *subject, const char *obligation,
                                      const char *owner, int64_t due)
{
    if (!(e->id = (char *) cmd_new_id(cmd, txn, self->t.escalations, "escalation", "E")))
        return NULL;
    e->has_kind = e->has_level = e->has_due = e->has_raised_at = e->has_state = true;
    e->kind = kind;
    e->subject = (char *) subject;
    e->obligation = (char *) obligation;
    e->owner = (char *) owner;
    /* a major complaint goes to leadership at once (sla_kind_rule) */
    e->level = sla_kind_rule(kind)->level;
    e->due = due;
    e->raised_at = cmd_now(cmd);
    e->state = KEFU__ESCALATION_STATE__ESCALATION_STATE_OPEN;
    Kefu__EscalationRaised *ev = CMD_NEW(cmd, Kefu__EscalationRaised, kefu__escalation_raised__init);
    ev->escalation = e;
    return cmd_event_of(cmd, KEFU__ENVELOPE__BODY_ESCALATION_RAISED, ev);
}

static int s_exec(void *arg, cmd_t *cmd, const Kefu__Request *req, store_txn_t *txn,
                  Kefu__Envelope **events, size_t max)
{
    sla_t *self = arg;
    (void) max;
    int64_t now = cmd_now(cmd);
    int rc = 0;
    switch (req->req_case) {
    case KEFU__REQUEST__REQ_ESCALATION_RAISE: {
        Kefu__Obligation *o = s_obligation(self, cmd, txn, req->escalation_raise->obligation, &rc);
        if (!o)
            return rc;
        if (o->state != KEFU__OBLIGATION_STATE__OBLIGATION_STATE_OPEN || o->escalation)
            return s_not(cmd, "obligation %s is met or escalated already", o->id);
        if (now < o->due)
            return s_not(cmd, "obligation %s is not due yet", o->id);
        Kefu__Escalation *e = CMD_NEW(cmd, Kefu__Escalation, kefu__escalation__init);
        events[0] = sla_escalation_raised(self, cmd, txn, e, o->kind, o->subject, o->id, o->owner,
                                          o->due);
        return events[0] ? 1 : KEFU_ESTOREFULL;
    }
    case KEFU__REQUEST__REQ_OBLIGATION_WARN: {
        Kefu__Obligation *o = s_obligation(self, cmd, txn, req->obligation_warn->obligation, &rc);
        if (!o)
            return rc;
        if (o->state != KEFU__OBLIGATION_STATE__OBLIGATION_STATE_OPEN || o->escalation || o->warned)
            return s_not(cmd, "obligation %s is met, escalated or warned already", o->id);
        if (sla_next_at(self, o, NULL) > now)
            return s_not(cmd, "obligation %s is not near its due yet", o->id);
        o->has_warned = o->warned = true;
        Kefu__ObligationWarned *ev = CMD_NEW(cmd, Kefu__ObligationWarned, kefu__obligation_warned__init);
        ev->obligation = o;
        events[0] = cmd_event_of(cmd, KEFU__ENVELOPE__BODY_OBLIGATION_WARNED, ev);
        return 1;
    }
    case KEFU__REQUEST__REQ_ESCALATION_LEVEL: {
        Kefu__Escalation *e = s_get_escalation(self, cmd, txn, req->escalation_level->id, &rc);
        if (!e)
            return rc;
        if (e->state != KEFU__ESCALATION_STATE__ESCALATION_STATE_OPEN || e->level >= 2)
            return s_not(cmd, "escalation %s is acknowledged, cleared or at level 2", e->id);
        if (now < e->raised_at + self->level2_after_us)
            return s_not(cmd, "escalation %s has time to be acknowledged yet", e->id);
        Kefu__EscalationLevelled *ev = CMD_NEW(cmd, Kefu__EscalationLevelled,
                                               kefu__escalation_levelled__init);
        ev->id = e->id;
        ev->has_level = true;
        ev->level = 2;
        events[0] = cmd_event_of(cmd, KEFU__ENVELOPE__BODY_ESCALATION_LEVELLED, ev);
        return 1;
    }
    case KEFU__REQUEST__REQ_ESCALATION_REMIND: {
        Kefu__Escalation *e = s_get_escalation(self, cmd, txn, req->escalation_remind->id, &rc);
        if (!e)
            return rc;
        if (e->state != KEFU__ESCALATION_STATE__ESCALATION_STATE_OPEN || self->remind_every_us <= 0)
            return s_not(cmd, "escalation %s is acknowledged or cleared, or nobody is reminded", e->id);
        if (now < e->raised_at + (int64_t) (e->reminders + 1) * self->remind_every_us)
            return s_not(cmd, "escalation %s has no reminder due yet", e->id);
        Kefu__EscalationReminded *ev = CMD_NEW(cmd, Kefu__EscalationReminded,
                                               kefu__escalation_reminded__init);
        ev->id = e->id;
        ev->has_n = true;
        ev->n = e->reminders + 1;
        events[0] = cmd_event_of(cmd, KEFU__ENVELOPE__BODY_ESCALATION_REMINDED, ev);
        return 1;
    }
    case KEFU__REQUEST__REQ_ESCALATION_CLEAR: {
        Kefu__Obligation *o = s_obligation(self, cmd, txn, req->escalation_clear->obligation, &rc);
        if (!o)
            return rc;
        if (o->state != KEFU__OBLIGATION_STATE__OBLIGATION_STATE_MET || !o->escalation)
            return s_not(cmd, "obligation %s is not met, or was never escalated", o->id);
        Kefu__Escalation *e = s_get_escalation(self, cmd, txn, o->escalation, &rc);
        if (!e)
            return rc;
        if (e->state == KEFU__ESCALATION_STATE__ESCALATION_STATE_CLEARED)
            return s_not(cmd, "escalation %s is cleared already", e->id);
        Kefu__EscalationCleared *ev = CMD_NEW(cmd, Kefu__EscalationCleared,
                                              kefu__escalation_cleared__init);
        ev->id = e->id;
        ev->has_late_us = true;
        ev->late_us = o->met_at > o->due ? o->met_at - o->due : 0;
        events[0] = cmd_event_of(cmd, KEFU__ENVELOPE__BODY_ESCALATION_CLEARED, ev);
        return 1;
    }
    case KEFU__REQUEST__REQ_ESCALATION_ACK: {
        const Kefu__EscalationAck *in = req->escalation_ack;
        if (cmd_blank(in->by))
            return cmd_field_missing(cmd, "by", "the supervisor who acknowledges it");
        Kefu__Escalation *e = s_get_escalation(self, cmd, txn, in->id, &rc);
        if (!e)
            return rc;
        if (e->state != KEFU__ESCALATION_STATE__ESCALATION_STATE_OPEN) {
            char st[32];
            pbdesc_enum_word(&kefu__escalation_state__descriptor, e->state, st, sizeof st);
            cmd_errmsg(cmd, "escalation %s is %s already", e->id, st);
            return KEFU_ECONFLICT;
        }
        Kefu__EscalationAcked *ev = CMD_NEW(cmd, Kefu__EscalationAcked, kefu__escalation_acked__init);
        ev->id = e->id;
        ev->by = in->by;
        events[0] = cmd_event_of(cmd, KEFU__ENVELOPE__BODY_ESCALATION_ACKED, ev);
        return 1;
    }
    case KEFU__REQUEST__REQ_WORKDAY_CLOSE:
        return sla_eod_exec(self, cmd, req->workday_close, txn, events);
    default:
        return KEFU_EUNSUPPORTED;
    }
}

/* ---- answers ------------------------------------------------------------------------ */

static int s_a_escalation(void *arg, cmd_t *cmd, const Kefu__Request *req, store_txn_t *txn,
                          const char *id, Kefu__Reply *reply)
{
    sla_t *self = arg;
    (void) req;
    int rc = 0;
    reply->rep_case = KEFU__REPLY__REP_ESCALATION;
    reply->escalation = s_get_escalation(self, cmd, txn, id, &rc);
    return rc;
}

static int s_a_obligation(void *arg, cmd_t *cmd, const Kefu__Request *req, store_txn_t *txn,
                          const char *id, Kefu__Reply *reply)
{
    sla_t *self = arg;
    (void) req;
    int rc = 0;
    reply->rep_case = KEFU__REPLY__REP_OBLIGATION;
    reply->obligation = s_obligation(self, cmd, txn, id, &rc);
    return rc;
}

/* The escalations, newest first (esc_time backwards). */
static int s_escalations(sla_t *self, cmd_t *cmd, store_txn_t *txn, const Kefu__EscalationList *q,
                         Kefu__Reply *reply)
{
    Kefu__EscalationItems *out = CMD_NEW(cmd, Kefu__EscalationItems, kefu__escalation_items__init);
    reply->rep_case = KEFU__REPLY__REP_ESCALATIONS;
    reply->escalations = out;
    store_cursor_t *c;
    int rc = store_cursor_open(txn, self->t.esc_time, &c);
    if (rc)
        return rc;
    const void *k;
    size_t kl, cap = 0;
    char id[72];
    for (rc = store_cursor_last_le(c, NULL, 0, &k, &kl, NULL, NULL); rc == 0 && out->n_items < S_MAX_LIST;
         rc = store_cursor_prev(c, &k, &kl, NULL, NULL)) {
        if (kl <= 8 || kl - 8 >= sizeof id)
            continue;
        memcpy(id, (const uint8_t *) k + 8, kl - 8);
        id[kl - 8] = '\0';
        Kefu__Escalation *e = krecord_get(txn, self->t.escalations, id,
                                          &kefu__escalation__descriptor, cmd_arena(cmd));
        if (!e || (q->has_open && q->open && e->state == KEFU__ESCALATION_STATE__ESCALATION_STATE_CLEARED) ||
            (q->has_kind && q->kind && e->kind != q->kind))
            continue;
        if (out->n_items == cap) {
            cap = cap ? cap * 2 : 64;
            out->items = arena_grow(cmd_arena(cmd), out->items, out->n_items, cap, sizeof *out->items);
        }
        out->items[out->n_items++] = e;
    }
    store_cursor_close(&c);
    return rc == KEFU_ENOTFOUND ? 0 : rc;
}

/* The open obligations by due time, those due within q's span. */
static int s_obligations(sla_t *self, cmd_t *cmd, store_txn_t *txn, const Kefu__ObligationList *q,
                         Kefu__Reply *reply)
{
    Kefu__ObligationItems *out = CMD_NEW(cmd, Kefu__ObligationItems, kefu__obligation_items__init);
    reply->rep_case = KEFU__REPLY__REP_OBLIGATIONS;
    reply->obligations = out;
    if (q->has_due_within_us && q->due_within_us < 0)
        return cmd_field_bad(cmd, "due_within_us", "a span ahead of now");
    int64_t until = q->has_due_within_us ? cmd_now(cmd) + q->due_within_us : INT64_MAX;
    store_cursor_t *c;
    int rc = store_cursor_open(txn, self->t.by_due, &c);
    if (rc)
        return rc;
    const void *k;
    size_t kl, cap = 0;
    char id[SLA_ID_MAX];
    store_cursor_seek(c, NULL, 0);
    while ((rc = store_cursor_next(c, &k, &kl, NULL, NULL)) == 0 && out->n_items < S_MAX_LIST) {
        if (kl <= 8 || kl - 8 >= sizeof id)
            continue;
        if (krecord_key_time(k) > until)
            break;
        memcpy(id, (const uint8_t *) k + 8, kl - 8);
        id[kl - 8] = '\0';
        Kefu__Obligation *o = krecord_get(txn, self->t.obligations, id,
                                          &kefu__obligation__descriptor, cmd_arena(cmd));
        if (!o)
            continue;
        if (out->n_items == cap) {
            cap = cap ? cap * 2 : 64;
            out->items = arena_grow(cmd_arena(cmd), out->items, out->n_items, cap, sizeof *out->items);
        }
        out->items[out->n_items++] = o;
    }
    store_cursor_close(&c);
    return rc == KEFU_ENOTFOUND ? 0 : rc;
}

static int s_a_list(void *arg, cmd_t *cmd, const Kefu__Request *req, store_txn_t *txn,
                    const char *id, Kefu__Reply *reply)
{
    (void) id;
    if (req->req_case == KEFU__REQUEST__REQ_ESCALATION_LIST)
        return s_escalations(arg, cmd, txn, req->escalation_list, reply);
    return s_obligations(arg, cmd, txn, req->obligation_list, reply);
}

/* ---- the command table: one row per request sla serves --------------------------------- */

#define Q(x) KEFU__REQUEST__REQ_##x
#define R(x) KEFU__REPLY__REP_##x
#define E(x) KEFU__ENVELOPE__BODY_##x

static const cmd_row_t s_rows[] = {
    /* request              reply            first event              key                       subject          exec    answer */
    {Q(ESCALATION_LIST),    R(ESCALATIONS),  0,                       NULL,                     NULL,            NULL,   s_a_list,       NULL},
    {Q(ESCALATION_ACK),     R(ESCALATION),   E(ESCALATION_ACKED),     "escalation/id",          "id",            s_exec, s_a_escalation, "supervisor,manager"},
    {Q(OBLIGATION_LIST),    R(OBLIGATIONS),  0,                       NULL,                     NULL,            NULL,   s_a_list,       NULL},
    /* sla's own (sla_watch.c, sla_apply.c) */
    {Q(ESCALATION_RAISE),   R(ESCALATION),   E(ESCALATION_RAISED),    "obligation/obligation",  "escalation.id", s_exec, s_a_escalation, NULL},
    {Q(OBLIGATION_WARN),    R(OBLIGATION),   E(OBLIGATION_WARNED),    "obligation/obligation",  "obligation.id", s_exec, s_a_obligation, NULL},
    {Q(ESCALATION_LEVEL),   R(ESCALATION),   E(ESCALATION_LEVELLED),  "escalation/id",          "id",            s_exec, s_a_escalation, NULL},
    {Q(ESCALATION_CLEAR),   R(ESCALATION),   E(ESCALATION_CLEARED),   "obligation/obligation",  "id",            s_exec, s_a_escalation, NULL},
    {Q(ESCALATION_REMIND),  R(ESCALATION),   E(ESCALATION_REMINDED),  "escalation/id",          "id",            s_exec, s_a_escalation, NULL},
    {Q(WORKDAY_CLOSE),      R(ESCALATION),   E(ESCALATION_RAISED),    "eod/day",                "escalation.id", s_exec, s_a_escalation, NULL},
};

#undef Q
#undef R
#undef E

const cmd_table_t sla_commands = {"sla", s_rows, sizeof s_rows / sizeof s_rows[0]};
