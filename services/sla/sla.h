/* sla.h: the SLA watchers' parts, shared by their files.
 *
 * kefu-sla keeps a deadline for every open obligation of the desk
 * (../shared/domain.md §5) and escalates what is not met in time. Built on
 * the daemon kit (kservice.h), like intake and sched. Its files:
 *   sla.c        its spec for the kit, and its start
 *   sla_store.c  the LMDB schema
 *   sla_apply.c  obligations from intake's and sched's events (its
 *                inputs), and its own escalation events
 *   sla_watch.c  the timers: a heap of next actions, fired on the clock
 *   sla_eod.c    the end of the working day: the complaints still open,
 *                listed (its index of them, its command, its tick)
 *   sla_cmd.c    commands: the lists, the acknowledgement, and its own
 *                commands (raise, warn, level, clear) with their checks
 *   sla_rows.c   kefuctl's commands for sla (built into kefuctl)
 *
 * The loop (docs/architecture.md "The SLA watchers"): an obligation is
 * opened and met by the events of the daemon that owns it (a case's first
 * reply by intake's CaseOpened and CaseReplied, a rework by sched's
 * ReworkOpened and ReworkDone, ...), with the due time its owner computed
 * through the deadline policy. The watcher keeps, per open obligation, the
 * time of its next action (a warning at sla.warn_share of the allowed
 * time, the escalation at the due, level 2 after sla.level2_after without
 * an acknowledgement) in a heap; when the site clock reaches it (a timer on
 * the wall clock, a ClockAdvanced event on a simulated one), it submits a
 * command of its own named after the obligation ("raise-reply/C-7"), whose
 * checks read the store again. So an escalation is an event of sla's in
 * the log, raised once per breach across crashes, restarts and clock
 * steps (its request id), and cleared by a reaction when the obligation
 * is met (kservice_react).
 */
#ifndef KEFU_SLA_H
#define KEFU_SLA_H

#include "arena.h"
#include "cmdq.h"
#include "deadline.h"
#include "kdaemon.h"
#include "krecord.h"
#include "kservice.h"
#include "store.h"

#include "control.pb-c.h"
#include "event.pb-c.h"
#include "sla.pb-c.h"

#define SLA_PRODUCER "sla"
#define SLA_ID_MAX 96          /* bytes of an obligation id, with its NUL */

typedef struct sla_watch_t sla_watch_t;
typedef struct sla_notify_t sla_notify_t;

typedef struct {
    store_table_t obligations; /* id -> Obligation */
    store_table_t by_subject;  /* subject NUL obligation id -> "": a case's obligations */
    store_table_t by_due;      /* be64(due) obligation id -> be64(opened_at): the open ones by due */
    store_table_t escalations; /* id -> Escalation */
    store_table_t esc_time;    /* be64(raised_at) id -> "": escalations in time order */
    store_table_t outbox;      /* channel, be64(seq) -> notice JSON: not delivered yet (sla_notify.c) */
    store_table_t complaints;  /* case id -> ListedCase: every complaint seen (sla_eod.c) */
    store_table_t open_complaints; /* be64(since) case id -> the list it is on: the open ones */
} sla_tables_t;

typedef struct {
    kdaemon_t *d;
    kservice_t *svc;
    sla_tables_t t;
    sla_watch_t *watch;
    sla_notify_t *notify;
    int64_t level2_after_us;   /* sla.level2_after */
    int warn_share;            /* sla.warn_share, percent */
    int64_t remind_every_us;   /* sla.remind_every; 0: no reminders */
    /* the latest ClockAdvanced.to applied: a simulated clock's event can
     * arrive before the clock file shows the move, and the tick must see
     * the time the event says */
    int64_t clock_seen;
    arena_t *apply_arena;
    /* the site's calendar: the close of each working day (sla_eod.c) */
    deadline_policy_t *policy;
    int64_t eod_asked;         /* the close whose list this run asked for last */
    int64_t eod_again;         /* when to ask for it again (a passing refusal); 0: no more */
} sla_t;

/* How an escalation kind goes, where it is not as the rest go (raised at
 * level 1 when its obligation falls due, warned at sla.warn_share
 * before, level 2 after sla.level2_after unacknowledged, reminded every
 * sla.remind_every): one row per kind that differs, in sla_apply.c. */
typedef struct {
    Kefu__EscalationKind kind;
    uint32_t level;            /* raised at this level */
    bool once;                 /* told once: no level 2, no reminders */
    bool own;                  /* sla's own obligation: its escalation's event opens it */
} sla_kind_rule_t;
/* The rule of kind (the common one for a kind of no row). Never NULL. */
const sla_kind_rule_t *sla_kind_rule(Kefu__EscalationKind kind);

/* ---- sla_store.c ---- */
extern const char *const sla_table_names[];
#define SLA_SCHEMA 4  /* 2: by_due's value is opened_at; 3: outbox keyed by channel;
                         4: complaints, open_complaints */
void sla_store_tables(sla_t *self);

/* ---- sla_apply.c ---- */
extern const int sla_follows[];
int sla_apply(void *arg, store_txn_t *txn, const evlog_record_t *rec, const Kefu__Envelope *ev);
/* When obligation o (with its escalation e, or NULL) next wants an action,
 * or 0 for none (met, or escalated to level 2 / acknowledged). */
int64_t sla_next_at(const sla_t *self, const Kefu__Obligation *o, const Kefu__Escalation *e);
/* Meets obligation id at time at, if it is open; clears its escalation,
 * if any, by a reaction. Returns 0 or a store error. */
int sla_obligation_meet(sla_t *self, store_txn_t *txn, const char *id, int64_t at);

/* ---- sla_eod.c ---- */
#define SLA_EOD_LIST_MAX 200   /* complaints one list carries (an event is at most 64 KiB) */
#define SLA_EOD_OWNER "desk"   /* who owes the follow-up of the list */
/* For the appliers: intake's case events into the open complaints. */
int sla_eod_input(sla_t *self, store_txn_t *txn, const Kefu__Envelope *ev);
/* For the appliers: an open-complaints escalation e raised: its
 * complaints are on it, and the list before it is superseded. */
int sla_eod_listed(sla_t *self, store_txn_t *txn, const Kefu__Escalation *e);
/* WorkdayClose's exec (cmdq's exec_fn, one event). */
int sla_eod_exec(sla_t *self, cmd_t *cmd, const Kefu__WorkdayClose *in, store_txn_t *txn,
                 Kefu__Envelope **events);
/* The watcher's tick at site time now: asks for the list of the latest
 * close not asked for yet, and for a wake-up at the next close. */
void sla_eod_tick(sla_t *self, int64_t now);

/* ---- sla_watch.c ---- */
sla_watch_t *sla_watch_new(sla_t *sla);
void sla_watch_destroy(sla_watch_t **self_p);
/* Obligation id wants a look at time at (site clock). */
int sla_watch_push(sla_watch_t *self, int64_t at, const char *id);
/* Fills the heap from the store's open obligations (the first tick, once
 * serving; pushes before it are dropped). */
int sla_watch_load(sla_watch_t *self);
/* The kit's tick: fires what is due by the site clock. */
void sla_watch_tick(void *arg);
size_t sla_watch_size(const sla_watch_t *self);

/* ---- sla_notify.c ---- */
/* The notifier of config's sla.notify_* keys, sla.channels and sla.route.
 * Returns 0 and sets *out; ENOMEM; or KEFU_EINVAL (logged, naming the
 * rule) for a rule naming a channel sla.channels does not define. */
int sla_notify_new(sla_notify_t **out, sla_t *sla, const kconfig_t *config);
void sla_notify_destroy(sla_notify_t **self_p);
bool sla_notify_enabled(const sla_notify_t *self);
/* For the appliers: the notice of sla's own event ev (raised, levelled,
 * cleared, warned) into the outbox, in the batch's transaction. */
int sla_notify_put(sla_notify_t *self, store_txn_t *txn, uint64_t seq, const Kefu__Envelope *ev);
/* The kit's attach: the delivery thread and its socket. */
int sla_notify_attach(sla_notify_t *self, zloop_t *loop);

/* ---- sla_cmd.c ---- */
extern const cmd_table_t sla_commands;
/* Makes e (allocated by the caller, its kind's own fields set or not) a
 * new escalation: its next id, kind, subject, obligation, owner and due,
 * the level of its kind (sla_kind_rule), raised and open now; and returns
 * the EscalationRaised event that carries it (cmd's), or NULL when no id
 * is left (KEFU_ESTOREFULL). One place for every escalation sla raises:
 * an obligation's (ESCALATION_RAISE) and the day's list (sla_eod.c). */
Kefu__Envelope *sla_escalation_raised(sla_t *self, cmd_t *cmd, store_txn_t *txn,
                                      Kefu__Escalation *e, Kefu__EscalationKind kind,
                                      const char *subject, const char *obligation,
                                      const char *owner, int64_t due);

/* ---- sla.c ---- */
int sla_new(sla_t **out, kdaemon_t *d);
int sla_run(sla_t *self);
void sla_destroy(sla_t **self_p);

#endif
