/* sla_store.c: the SLA watchers' LMDB schema.
 *
 * Tables (all in DIR/sla/):
 *   obligations  id -> packed kefu.Obligation ("reply/C-7", "commit/C-7/41",
 *                "handoff/C-7/43", "major/C-7", "rework/RW-1", "risk/O-7",
 *                "outsource/OS-1", "outsource/OS-1/88": KIND/SUBJECT, and
 *                the seq of the event that made it where a subject has
 *                several)
 *   by_subject   subject NUL obligation id -> "": a case's (or order's)
 *                obligations, met together when it is resolved
 *   by_due       be64(due) obligation id -> be64(opened_at): the open ones
 *                by due time (obligations --due-within; the heap's fill)
 *   escalations  id -> packed kefu.Escalation
 *   esc_time     be64(raised_at) id -> "": escalations in time order
 *   outbox       channel index (1 byte) be64(seq) -> a notice (JSON) not
 *                delivered yet on that channel: the notifier's delivery
 *                state (sla_notify.c)
 *   complaints   case id -> packed kefu.ListedCase: every complaint intake
 *                opened (not the queries), as an end-of-day list shows it;
 *                kept once resolved, for a reopen (sla_eod.c)
 *   open_complaints  be64(since) case id -> the obligation id of the latest
 *                end-of-day list it is on ("": none yet): the complaints
 *                open now, since their opening or latest reopening
 *   requests, replies, kservice.reactions, meta   the kit's
 * Everything is derived from the log; the heap of next actions
 * (sla_watch.c) is filled from obligations at start.
 */
#include "sla.h"

const char *const sla_table_names[] = {
    "obligations", "by_subject", "by_due", "escalations", "esc_time", "outbox",
    "complaints", "open_complaints", NULL,
};

void sla_store_tables(sla_t *self)
{
    kservice_t *k = self->svc;
    self->t.obligations = kservice_table(k, "obligations");
    self->t.by_subject = kservice_table(k, "by_subject");
    self->t.by_due = kservice_table(k, "by_due");
    self->t.escalations = kservice_table(k, "escalations");
    self->t.esc_time = kservice_table(k, "esc_time");
    self->t.outbox = kservice_table(k, "outbox");
    self->t.complaints = kservice_table(k, "complaints");
    self->t.open_complaints = kservice_table(k, "open_complaints");
}
