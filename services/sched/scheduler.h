/* scheduler.h: the production scheduler's parts, shared by its files.
 *
 * sched runs the floor's side of the desk (../shared/domain.md §2; 000
 * §三, §四): the production queue, rush decisions by the five rules, floor
 * stages along each product's route, the rework register and the
 * outsourcing log, and the day's production summary. It is built on the
 * daemon kit (kservice.h) like intake. Its files:
 *   sched.c        its spec for the kit, and its start (configuration, policy)
 *   sched_conf.c   the [sched] keys read into sched_conf_t (sched_conf.h)
 *   sched_store.c  the LMDB schema: tables, the open-job entry, day keys
 *   sched_rules.c  the rules as pure functions: rush decisions, queue order
 *   sched_cmd.c    commands: checks against the state, events; the table
 *   sched_apply.c  event appliers: how each event changes the state
 *   sched_query.c  the queue, the lists and the day's summary
 *   sched_rows.c   kefuctl's commands for sched (built into kefuctl)
 *
 * Inputs and state. sched follows four of intake's events (customers'
 * tiers, orders with their promises, cases on an order and their
 * resolutions) into tables of its own: they are facts it reads, never
 * records it owns. Its own state (jobs' progress, decisions, rework,
 * outsourcing) changes only by its own events (sched.proto). A case
 * resolved as reissue or rework becomes a command of sched's own
 * (kservice_react), so the lab-caused rush or rework it starts is an
 * event of sched's in the log, with its decision and due time, like any.
 */
#ifndef KEFU_SCHEDULER_H
#define KEFU_SCHEDULER_H

#include "arena.h"
#include "cmdq.h"
#include "deadline.h"
#include "kdaemon.h"
#include "krecord.h"
#include "kservice.h"
#include "sched_conf.h"
#include "store.h"

#include "control.pb-c.h"
#include "event.pb-c.h"
#include "sched.pb-c.h"

#define SCHED_PRODUCER "sched"
#define SCHED_MAX_MARKS 32     /* stage reports one job keeps */
#define SCHED_RUSH_WINDOW_US (30LL * 86400 * 1000000)  /* "rush often": in 30 days */

typedef struct {
    store_table_t jobs;       /* order id -> Job */
    store_table_t open;       /* order id -> sched_open_t + customer id: the queue */
    store_table_t customers;  /* customer id -> one byte, its Tier (from intake) */
    store_table_t cases;      /* case id -> order id (cases on an order, from intake) */
    store_table_t rushes;     /* decision id -> RushDecision */
    store_table_t rush_time;  /* be64(at) id -> "": decisions in time order */
    store_table_t cust_rush;  /* customer id NUL be64(at) decision id -> "": rush requests by customer */
    store_table_t reworks;    /* id -> Rework */
    store_table_t rework_open;/* be64(opened_at) id -> "": the open ones, oldest first */
    store_table_t outsources; /* id -> Outsource */
    store_table_t days;       /* YYYY-MM-DD (local) -> ProductionDay: the day's counters */
} sched_tables_t;

typedef struct {
    kdaemon_t *d;
    kservice_t *svc;
    sched_tables_t t;
    sched_conf_t conf;
    deadline_policy_t *policy;
    int utc_offset_min;
    arena_t *apply_arena;     /* decoding while applying, reset per event */
} sched_t;

/* ---- sched_store.c ---- */
extern const char *const sched_table_names[];
#define SCHED_SCHEMA 1
void sched_store_tables(sched_t *self);

/* An open job as the queue reads it: fixed fields, then the customer's
 * id (the rest of the value). Host byte order: the store is this
 * machine's, derived from the log. */
typedef struct {
    int64_t uploaded_at;
    int64_t promise_at;
    int64_t rush_due;          /* 0: no accepted rush */
    int64_t rush_accepted_at;
    uint32_t qty;
    uint8_t tier, product, stage, rush_level;  /* rush_level 0: none (or lab-caused) */
    uint8_t lab;               /* lab-caused: the most urgent */
    uint8_t rush_rule;         /* the rule that accepted it */
    uint8_t pad[6];
} sched_open_t;
/* Writes job's open entry (or deletes it once the job is done). */
int sched_open_put(sched_t *self, store_txn_t *txn, const Kefu__Job *job);
/* Time-ordered keys are krecord_time_key (krecord.h). */
/* The site's local date of t, "YYYY-MM-DD" (buf of 11 or more). */
void sched_local_date(const sched_t *self, int64_t t, char *buf, size_t cap);
/* A job's due: the accepted rush's, else its promise. */
int64_t sched_job_due(const Kefu__Job *job);

/* ---- sched_rules.c: the rules, pure (tests/unit/test_sched_rules.c) ---- */
/* What a rush decision reads (000 §三.2). */
typedef struct {
    Kefu__RushLevel level;
    Kefu__Cause cause;
    uint32_t qty;
    Kefu__Tier tier;
    uint32_t capacity, quota, quota_used, frequent, reserve_pct;
    uint32_t customer_rushes;  /* in the last 30 days, before this one */
    int64_t work_left_us;      /* working time from now to the rush's due */
    int64_t workday_us;        /* one working day */
    uint32_t load;             /* open pieces (other jobs) due by then */
} sched_rush_in_t;
typedef struct {
    bool accept;
    Kefu__RushRule rule;
    uint32_t room, reserve;
    char reason[300];
} sched_rush_out_t;
/* Decides a rush by the five rules, first one that decides wins; the
 * reason names the rule and the figures. Deterministic. */
void sched_rush_decide(const sched_rush_in_t *in, sched_rush_out_t *out);

/* The queue's order: < 0 if a is made before b. today_close: the close of
 * today's working day (what is due by then goes first among the plain). */
int sched_queue_cmp(const sched_open_t *a, const char *a_id, const sched_open_t *b,
                    const char *b_id, int64_t today_close);
/* Why e is where it is, for a supervisor. */
void sched_queue_reason(const sched_open_t *e, int64_t today_close, int utc_offset_min,
                        char *buf, size_t cap);

/* ---- sched_cmd.c ---- */
extern const cmd_table_t sched_commands;

/* ---- sched_apply.c ---- */
int sched_apply(void *arg, store_txn_t *txn, const evlog_record_t *rec, const Kefu__Envelope *ev);
extern const int sched_follows[];  /* intake's events it reads (kservice_spec_t.also) */

/* ---- sched_query.c ---- */
int sched_query_queue(sched_t *self, cmd_t *cmd, store_txn_t *txn, const Kefu__QueueQuery *q,
                      Kefu__Reply *reply);
int sched_query_day(sched_t *self, cmd_t *cmd, store_txn_t *txn, const Kefu__ProductionDayQuery *q,
                    Kefu__Reply *reply);
int sched_list(sched_t *self, cmd_t *cmd, store_txn_t *txn, const Kefu__Request *req,
               Kefu__Reply *reply);
/* Open pieces of jobs other than `except` due by `by`. */
int sched_load_by(sched_t *self, store_txn_t *txn, int64_t by, const char *except, uint32_t *load);

/* ---- sched.c ---- */
int sched_new(sched_t **out, kdaemon_t *d);
int sched_run(sched_t *self);
void sched_destroy(sched_t **self_p);

#endif
