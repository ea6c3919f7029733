/* kservice.h: the kit every business daemon is built on.
 *
 * intake, sched, dispatch, sla and appraisal work alike (cmdq.h,
 * consumer.h): a command is checked against the daemon's store, turned
 * into events, appended to the log and answered once the daemon's own
 * consumer has applied them; the store changes only by applying the log
 * and is rebuilt from it. The machinery for that is here, once:
 *
 *   the store      DIR/NAME/, its tables opened by name; a store of
 *                  another layout (spec.schema) is emptied and rebuilt
 *                  from the log at start;
 *   the log client producer NAME;
 *   the consumer   the daemon's events (its registry range, and the
 *                  others it names) through spec.apply, in the batch's
 *                  transaction, and the first event of each of the
 *                  daemon's own request ids recorded (cmdq_record);
 *   the control    ipc://DIR/run/NAME.ctl, every request to cmdq, which
 *                  serves it by spec.commands (or refuses it);
 *   cmdq           with its timer, the start gate (nothing answered
 *                  before the store has caught up with the log as it was
 *                  at start), the applied position for status and sync,
 *                  and the store-failing glue (a full disk: writes
 *                  refused, reads answered);
 *   the memory     the store's pages the daemon read let go every
 *                  second (store_release_pages), so its RSS does not
 *                  grow with the store (kservice.c, "Memory").
 *
 * A daemon is then its tables, its command table and its appliers: a
 * thin main (kdaemon_init, kservice_new, kservice_run), its schema, its
 * commands, its appliers and its queries (docs/architecture.md, "Adding
 * a daemon").
 */
#ifndef KEFU_KSERVICE_H
#define KEFU_KSERVICE_H

#include <stdint.h>

#include "cmdq.h"
#include "consumer.h"
#include "kdaemon.h"
#include "store.h"

typedef struct kservice_t kservice_t;

typedef struct {
    const char *name;            /* "intake": the producer id, store folder, control socket */
    /* The layout of the tables below, a number the daemon raises when it
     * changes them: a store of another layout is emptied at start and
     * rebuilt from the log (a store without one is layout 1). */
    uint64_t schema;
    const char *const *tables;   /* the store's tables, NULL-terminated */
    const cmd_table_t *commands; /* one row per request the daemon serves */
    /* Applies one event inside the batch's transaction (consumer.h). Only
     * the events of the daemon's own range in the registry (daemons.def)
     * and those listed in `also` come through; the rest are not even
     * decoded. (A daemon not in the registry, a test's, gets every one.) */
    consumer_apply_fn *apply;
    const int *also;             /* other daemons' event cases it applies, 0-ended; may be NULL */
    bool reacts;                 /* it uses kservice_react */
    /* Called on the loop's thread once the daemon is past its start gate:
     * after each applied batch, and when a time set with kservice_wake_at
     * comes (the daemon's watchers). May be NULL. */
    void (*tick)(void *arg);
    /* Called once the loop exists, before it runs: a daemon's own sockets
     * and timers (sla's notifier). Returns 0 or -1. May be NULL. */
    int (*attach)(void *arg, zloop_t *loop);
} kservice_spec_t;

/* Opens the daemon's store, log client, consumer, control server and
 * command queue for the site of d; arg goes to apply and to the command
 * table's functions. spec and its tables must outlive the service.
 * Returns 0 and sets *out, or errno / a kefu or LMDB code (logged). */
int kservice_new(kservice_t **out, kdaemon_t *d, const kservice_spec_t *spec, void *arg);
/* Serves until the daemon is told to stop (SIGTERM/SIGINT): waits for the
 * log at start, holds commands until the store has caught up with it,
 * then applies the log and answers commands. Returns 0. */
int kservice_run(kservice_t *self);
/* Answers what is not answered yet ("repeat with the request id"),
 * closes everything and nulls *self_p. Accepts NULL. */
void kservice_destroy(kservice_t **self_p);

/* Reactions: an event of another daemon (in `also`) that the daemon
 * answers with a command of its own, as sched starts the rework of a case
 * intake resolved as rework. Called by apply inside the batch's
 * transaction: req (its body; request_id is set to request_id here) is
 * kept in the store with the batch, and submitted to cmdq as the
 * daemon's own command (cmdq_submit_own) once the batch is applied and
 * the daemon is past its start gate. Its events carry request_id, and
 * applying the first of them ends the reaction, in that transaction; so a
 * crash at any point leaves it either waiting (and submitted again after
 * the restart) or done, and a repeat finds the first answer: exactly
 * once, also when the store is rebuilt from the log (the reaction is
 * written and ended again as the replay passes both events). request_id
 * must be a function of the event (e.g. "case-C-7-rework"), so a rebuild
 * names it the same. A refused reaction is logged and dropped. Needs
 * spec.reacts. Returns 0 or a store error. */
int kservice_react(kservice_t *self, store_txn_t *txn, const char *request_id,
                   Kefu__Request *req);

/* A command of the daemon's own, now (past the start gate): req with
 * request_id set to request_id (a name the daemon derives from what it
 * reacts to, so a repeat is no change). A refusal is logged at debug
 * level: the daemon's own check said "not (any more)". Returns 0. */
int kservice_submit(kservice_t *self, Kefu__Request *req, const char *request_id);
/* Asks for a tick when the site clock reaches at_us (on the wall clock a
 * one-shot zloop timer that reads the wall clock again at least every
 * second and ticks only once it is at at_us, so a step of the clock
 * forward past it fires within a second and a step back fires nothing
 * early; on a simulated clock the ClockAdvanced events bring the ticks,
 * so nothing is set). An earlier time replaces a later one. */
void kservice_wake_at(kservice_t *self, int64_t at_us);

/* True for an event at seq that is history the daemon never served: it
 * started from an empty store (new, or rebuilt) and seq is at or before
 * the log's head as it was at start. What it did for such an event was
 * done before (a notice sent, say), so an applier does not do it again. */
bool kservice_catching_up(const kservice_t *self, uint64_t seq);

/* The daemon's store. */
store_t *kservice_store(kservice_t *self);
/* The handle of table name, one of spec.tables (a name not among them is
 * a bug: abort). */
store_table_t kservice_table(kservice_t *self, const char *name);

#endif
