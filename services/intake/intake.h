/* intake.h: the intake daemon's parts, shared by its files.
 *
 * intake takes the desk's front-line work (../shared/domain.md §1 and "Who
 * and what"): customers, orders, complaints and queries with their reply
 * deadlines, after-sales requests, consultations, and answers the
 * complaint register and its analysis. It is built on the daemon kit
 * (kservice.h), which owns the store, the log client, the consumer, the
 * control socket and cmdq. Its files:
 *   intake.c        its spec for the kit: name, tables, commands, appliers
 *   intake_store.c  the LMDB schema: tables, layout, time keys
 *   intake_cmd.c    commands: keys, checks against the state, events
 *   intake_apply.c  event appliers: how each event changes the state
 *   intake_query.c  the register, searches and the analysis
 * The state changes only in intake_apply.c, from the log (cmdq.h).
 */
#ifndef KEFU_INTAKE_H
#define KEFU_INTAKE_H

#include "arena.h"
#include "cmdq.h"
#include "deadline.h"
#include "kdaemon.h"
#include "krecord.h"
#include "kservice.h"
#include "store.h"

#include "control.pb-c.h"
#include "event.pb-c.h"
#include "intake.pb-c.h"

#define INTAKE_PRODUCER "intake"

typedef struct {
    store_table_t customers;   /* id -> Customer */
    store_table_t orders;      /* id -> Order */
    store_table_t cases;       /* id -> Case */
    store_table_t case_time;   /* be64(opened_at) id -> "" : the register in time order */
    store_table_t case_index;  /* tag value NUL be64(opened_at) id -> kind type: the register by field */
    store_table_t case_history; /* id NUL be32(n) -> CaseEntry: history older than the record's */
    store_table_t aftersales;  /* id -> AfterSales */
    store_table_t consults;    /* id -> Consultation */
    store_table_t staff;       /* name -> Staff */
} intake_tables_t;

typedef struct {
    kdaemon_t *d;
    kservice_t *svc;            /* the kit: store, log, consumer, control, cmdq */
    intake_tables_t t;
    deadline_policy_t *policy;
    arena_t *apply_arena;       /* decoding while applying, reset per event */
} intake_t;

/* ---- intake_store.c ---- */
/* The store's tables (NULL-terminated) and their layout (kservice.h). */
extern const char *const intake_table_names[];
#define INTAKE_SCHEMA 3
/* Fills self->t from the kit's open tables. */
void intake_store_tables(intake_t *self);
/* The case_time key is krecord_time_key(opened_at, id) (krecord.h). */

/* ---- intake_index.c ---- */
/* Entries a stored case (and a write's answer) keeps in Case.history. */
#define INTAKE_HISTORY_RECENT 20
/* A case's register entries: its case_time key and one case_index entry
 * per indexed field (owner, customer, order, state). Called
 * once, when the case is opened. Returns 0 or a store error. */
int intake_index_open(intake_t *self, store_txn_t *txn, const Kefu__Case *c);
/* Moves case c's state entry from state was to c->state (nothing if the
 * same). Returns 0 or a store error. */
int intake_index_state(intake_t *self, store_txn_t *txn, const Kefu__Case *c, Kefu__CaseState was);
/* Appends entry e to case c's history: c->history keeps the newest
 * INTAKE_HISTORY_RECENT (arena memory), the older ones go to
 * case_history. Returns 0 or a store error. */
int intake_history_append(intake_t *self, store_txn_t *txn, Kefu__Case *c, arena_t *a,
                          Kefu__CaseEntry *e);
/* Replaces c->history with entries [from, from + limit) of its whole
 * history (from < 0: the newest limit), read from case_history into arena
 * memory; sets history_from. Returns 0 or a store error. */
int intake_history_page(intake_t *self, store_txn_t *txn, Kefu__Case *c, arena_t *a, int64_t from,
                        uint32_t limit);
/* The case_index key prefix of one field value: tag, the value (at most
 * INTAKE_INDEX_VALUE_MAX bytes of it), NUL. key needs
 * INTAKE_INDEX_PREFIX_MAX bytes; returns the length. */
#define INTAKE_INDEX_VALUE_MAX 200
#define INTAKE_INDEX_PREFIX_MAX (INTAKE_INDEX_VALUE_MAX + 2)
size_t intake_index_prefix(uint8_t *key, char tag, const char *value);
size_t intake_index_prefix_enum(uint8_t *key, char tag, int value);

/* ---- intake_cmd.c ---- */
/* intake's commands, one row per request it serves (cmdq.h). */
extern const cmd_table_t intake_commands;

/* ---- intake_apply.c ---- */
int intake_apply(void *arg, store_txn_t *txn, const evlog_record_t *rec, const Kefu__Envelope *ev);

/* ---- intake_query.c ---- */
/* In an answer at time now: a committed reply time still open and past
 * is shown missed (the store keeps it open until an answer comes). */
void intake_commitments_at(Kefu__Case *c, int64_t now);
int intake_query_cases(intake_t *self, cmd_t *cmd, store_txn_t *txn, const Kefu__CaseQuery *q,
                       Kefu__Reply *reply);
int intake_query_analysis(intake_t *self, cmd_t *cmd, store_txn_t *txn,
                          const Kefu__CaseAnalysisQuery *q, Kefu__Reply *reply);
int intake_list(intake_t *self, cmd_t *cmd, store_txn_t *txn, const Kefu__Request *req,
                Kefu__Reply *reply);

/* ---- intake.c ---- */
int intake_new(intake_t **out, kdaemon_t *d);
int intake_run(intake_t *self);
void intake_destroy(intake_t **self_p);

#endif
