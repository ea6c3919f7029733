/* cmdq.h: a daemon's commands, from request to reply, in order, exactly once.
 *
 * Every daemon that owns state works the same way (roadmap: "a thin main,
 * its command handlers, its LMDB schema, its event appliers"): a command
 * is checked against the daemon's store, turned into events, appended to
 * the log, and answered only once the log has acknowledged the events AND
 * the daemon's own consumer has applied them, so the answer shows the new
 * state and a following read sees it. The store changes only by applying
 * the log, so deleting it and replaying the log rebuilds it exactly.
 *
 * Ordering: a command names the keys (entities) it reads or writes. It
 * waits while an earlier command on one of its keys is queued or in
 * flight, so it is checked against the state its predecessors left;
 * commands on different keys go through the log together (pipelined).
 *
 * Ids: an id is reserved from the moment a command takes it until its
 * event is applied, whether the client chose it or the daemon generated
 * it. A hand-chosen id is one of the command's keys ("order/O-7"), so a
 * second creation of it waits for the first and is then refused by the
 * daemon's check (it exists). A generated id (cmd_new_id) skips every id
 * that is applied, held by a command in flight or wanted by one queued,
 * and becomes a key of its command at once. So two creations of one id
 * are never both acknowledged; an applier that meets one all the same
 * treats it as a bug and keeps the first record.
 *
 * Idempotency: a command with a request id carries it in its events; the
 * first event of each request id is recorded in the store as events are
 * applied (cmdq_record, in the same transaction). A repeated request finds
 * it and gets the first answer again, built by the daemon's answer
 * function from that event; nothing new is written. This holds across
 * restarts and rebuilds, since the record comes from the log.
 */
#ifndef KEFU_CMDQ_H
#define KEFU_CMDQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <czmq.h>

#include "arena.h"
#include "consumer.h"
#include "control.pb-c.h"
#include "ctlserver.h"
#include "event.pb-c.h"
#include "evlog_client.h"
#include "kclock.h"
#include "store.h"

#define CMDQ_KEY_MAX    80   /* bytes of one key, with its NUL */
#define CMDQ_MAX_KEYS   8    /* keys a command names before it runs */
#define CMDQ_MAX_NEW_IDS 4   /* ids one command may generate (cmd_new_id) */
#define CMDQ_MAX_EVENTS 16
#define CMDQ_WAIT_MS    5000 /* a caller's wait when its request names none (kefuctl's default) */

typedef struct cmdq_t cmdq_t;
typedef struct cmd_t cmd_t;

/* Checks req against the store (read transaction txn) and writes the
 * events it makes into events[0..max) (allocate them with cmd_alloc();
 * set the body only: cmdq sets producer, seq, at, request id and actor).
 * Returns how many events (> 0), or a kefu error code with the message
 * set by cmd_errmsg() (name the field: "kind: one of colour, ..."). */
typedef int (cmd_exec_fn)(void *arg, cmd_t *cmd, const Kefu__Request *req, store_txn_t *txn,
                          Kefu__Envelope **events, size_t max);
/* Fills reply (its oneof member and rep_case, the row's rep) from the
 * store: for a write once its events are applied, for a read at once. id
 * is the record the row's subject names (NULL without one). Allocate
 * with cmd_alloc(). Returns 0 or a kefu error code. */
typedef int (cmd_answer_fn)(void *arg, cmd_t *cmd, const Kefu__Request *req, store_txn_t *txn,
                            const char *id, Kefu__Reply *reply);

/* One row of a daemon's command table, one per request it serves (Redis's
 * command table is the model): all that cmdq needs to know of it, so no
 * daemon keeps parallel switches over its requests. */
typedef struct {
    int req;                /* its Request oneof case (KEFU__REQUEST__REQ_...) */
    int rep;                /* the Reply oneof case it answers with */
    int event;              /* the Envelope body case of the first event it makes; 0: a read */
    /* The record whose state its checks read and it changes, as
     * "KIND/PATH": the key KIND/ + the string at PATH in the request's
     * body ("case/id" for CaseReply{id}: key "case/C-7"). Commands on one
     * key run in arrival order. NULL: no key (a read, or a creation whose
     * generated id becomes its key: cmd_new_id). An id the client chose
     * is a key too ("order/order.id"), so it is reserved from arrival. */
    const char *key;
    /* Where the answer's record id is: for a write, a path in its first
     * event's body ("case.id" in CaseOpened, "id" in CaseReplied); for a
     * read, a path in the request's body ("id"). NULL: none (lists). */
    const char *subject;
    cmd_exec_fn *exec;      /* a write's checks and events; NULL for a read */
    cmd_answer_fn *answer;  /* the reply */
    /* Who may. Role words, "supervisor,manager": of the staff registry
     * (Kefu__Role: staff, supervisor, manager; checked for writes once
     * staff is registered) and of a remote client's key (Kefu__KeyRole:
     * terminal, dispatch, staff, supervisor; checked for every request
     * that came through kefu-net, net.h). NULL: people, CMD_PEOPLE (any
     * registered person; a staff or supervisor key), not machines: a
     * terminal's or dispatch's key may do only what a row names them
     * for ("terminal," CMD_PEOPLE). */
    const char *roles;
} cmd_row_t;

/* The roles of people, for rows that machines may use too. */
#define CMD_PEOPLE "staff,supervisor,manager"

/* A daemon's commands. */
typedef struct {
    const char *daemon;     /* "intake": for messages */
    const cmd_row_t *rows;
    size_t n;
} cmd_table_t;

/* The row of table for a request case; NULL if the daemon does not serve it. */
const cmd_row_t *cmd_table_row(const cmd_table_t *table, int req_case);

/* New command queue for a daemon: its store, log client (with a producer
 * id), control server, clock, and command table (not copied: it outlives
 * the queue); arg goes to the table's functions. Opens the store's
 * "requests" and "replies" tables. Returns NULL on a store error, or if
 * two rows serve one request (a bug: logged). */
cmdq_t *cmdq_new(store_t *store, evlog_client_t *log, ctlserver_t *ctl, kclock_t *clock,
                 const cmd_table_t *table, void *arg);
void cmdq_destroy(cmdq_t **self_p);

/* For the daemon's control handler: takes a request (and fills in who
 * acts: Request.actor and the body's `by`, one from the other; a `by`
 * that is not the actor is refused). Returns 0 with reply
 * filled (answered at once), CTL_DEFER (answered later through call), or
 * a kefu error code (message set on call): KEFU_EUNSUPPORTED for a
 * request the table has no row for. */
int cmdq_submit(cmdq_t *self, ctl_call_t *call, const Kefu__Request *req, Kefu__Reply *reply);

/* A command of the daemon's own, with no caller (kservice_react: an event
 * of another daemon the daemon turns into a command of its own): served
 * like any (the request id makes a repeat answer the first outcome), and
 * done(arg, rc, msg) is called once with its outcome (rc 0, or the
 * refusal and its message), at once or when it is answered; not if the
 * daemon stops first. Returns 0. */
typedef void (cmdq_done_fn)(void *arg, int rc, const char *msg);
int cmdq_submit_own(cmdq_t *self, const Kefu__Request *req, cmdq_done_fn *done, void *arg);

/* Who may act (contract.md: staff add). With nobody registered anyone
 * may; once someone is, a caller's Request.actor must be a registered
 * person, and a row with roles ("supervisor,manager") is for those roles
 * only: refused KEFU_EFORBIDDEN, naming the actor, the role and what the
 * row needs. The daemon's own commands are exempt. For the kit, inside the
 * apply transaction of a StaffRegistered event: records name's role (a
 * Kefu__Role). Returns 0 or a store error. */
int cmdq_staff(cmdq_t *self, store_txn_t *txn, const char *name, int role);
/* Inside exec: the role (Kefu__Role) of the command's actor; 0 if nobody
 * is registered (the site is open: anyone may) or for the daemon's own
 * commands. */
int cmd_actor_role(const cmd_t *cmd, const Kefu__Request *req);

/* For the daemon's consumer, inside the apply transaction: records the
 * first event of each request id. Returns 0 or a store error. */
int cmdq_record(cmdq_t *self, store_txn_t *txn, const evlog_record_t *rec,
                const Kefu__Envelope *ev);
/* For the daemon's consumer, inside each batch's transaction (before it
 * commits): writes the first answers kept since the last batch (see
 * s_remember in cmdq.c). Returns 0 or a store error. */
int cmdq_flush(cmdq_t *self, store_txn_t *txn);
/* For the daemon's consumer, after each committed batch: answers the
 * commands whose events are now applied, and starts waiting ones. */
void cmdq_applied(cmdq_t *self, uint64_t applied);

/* Holds every command (reads too) until the daemon has applied the log up
 * to seq: a daemon sets it to the log's head when it starts, so it never
 * answers from a store that is behind what it already wrote (ids it
 * handed out, states it changed) before a restart. While the store can't
 * catch up (cmdq_store_failing), reads pass and answer from the store as
 * it is. */
void cmdq_gate(cmdq_t *self, uint64_t seq);

/* For the daemon's consumer, when a batch could not be applied (rc: the
 * store's error, e.g. MDB_MAP_FULL or ENOSPC when its disk is full):
 * until a batch is committed again (cmdq_applied), writes are refused
 * with rc and nothing is written, reads still answer, and the callers of
 * changes already in the log are told at once why they wait. */
void cmdq_store_failing(cmdq_t *self, int rc);

/* Registers cmdq's timer in loop: a caller waiting longer than its
 * request's wait_ms less a fifth (CMDQ_WAIT_MS without one) is answered
 * with what holds its command up (the log not acknowledging, the store
 * not applying), typed unavailable or store-full; the command itself
 * goes on and keeps its place (a repeat with its request id learns the
 * outcome). Also starts the reader: a thread that answers reads (rows
 * without exec) in read transactions of their own, beside the command
 * path, so a long query never holds up writes; without cmdq_attach reads
 * are answered inline. The timer and the reader's socket are the loop's:
 * destroy the loop before cmdq (as a daemon's run does when it returns).
 * Returns 0 or -1. */
int cmdq_attach(cmdq_t *self, zloop_t *loop);

/* Tests and fuzzing only (tests/fuzz/fuzz_cmd.h): where a write's events
 * go instead of the log client, with evlog_client_append's contract
 * (return 0 and call cb later with the seqs, or refuse with a code), so a
 * command can run to its events, their applying and its answer with no
 * log daemon. The daemons never call it. fn NULL: the log client again. */
typedef int (cmdq_append_fn)(void *arg, Kefu__Envelope **events, size_t n, evlog_ack_fn *cb,
                             void *cb_arg);
void cmdq_set_append(cmdq_t *self, cmdq_append_fn *fn, void *arg);

/* Commands taken and not yet answered. */
size_t cmdq_pending(const cmdq_t *self);

/* Inside exec or answer: the row of the command running. */
const cmd_row_t *cmd_row(const cmd_t *cmd);
/* Inside exec or answer: memory freed when the call returns. Never NULL.
 * (A read's answer may run on the reader thread: it gets memory of its
 * own, and must only read the store and this memory.) */
void *cmd_alloc(cmd_t *cmd, size_t size);
/* Inside exec or answer: the arena cmd_alloc() uses, for decoding records
 * with the same lifetime. */
arena_t *cmd_arena(cmd_t *cmd);
/* Inside exec: a new id PREFIX-N for a record of kind (kid.h: "order",
 * prefix "O"), stored in table t: N past the kind's counter and every id
 * handed out before, and neither in t nor reserved by another command
 * (key "KIND/ID" held or wanted). The command holds that key until it is
 * answered. Returns the id (valid as long as cmd_alloc memory), or NULL
 * with the message set (no N left, or more than CMDQ_MAX_NEW_IDS ids). */
const char *cmd_new_id(cmd_t *cmd, store_txn_t *txn, store_table_t t, const char *kind,
                       const char *prefix);
/* Inside exec: a new event (cmd_alloc memory, initialised) for events[];
 * set its body only. */
Kefu__Envelope *cmd_event(cmd_t *cmd);
/* The same with its body set: body_case (KEFU__ENVELOPE__BODY_...) and
 * its message, put in the oneof member the descriptor names, so a command
 * writes `events[0] = cmd_event_of(cmd, KEFU__ENVELOPE__BODY_X, x)`. */
Kefu__Envelope *cmd_event_of(cmd_t *cmd, int body_case, void *body);
/* A new message of a protobuf-c type in cmd_alloc memory, initialised:
 * CMD_NEW(cmd, Kefu__Job, kefu__job__init). */
#define CMD_NEW(cmd, type, init) \
    ({ type *p_ = cmd_alloc((cmd), sizeof(type)); init(p_); p_; })
/* Inside answer: the record id of table t decoded (krecord_get) into
 * *out; refused "id: the WHAT's id is required" (KEFU_EINVAL) without an
 * id, "WHAT ID does not exist" (KEFU_ENOTFOUND) without the record.
 * Returns 0 or the code, message set. */
int cmd_record(cmd_t *cmd, store_txn_t *txn, store_table_t t, const char *id,
               const ProtobufCMessageDescriptor *desc, const char *what, void **out);
/* True for NULL, "" or only blanks: a text field not given. */
bool cmd_blank(const char *s);
/* Inside exec or answer: the time of the command (the site clock when a
 * write ran; when a read arrived). */
int64_t cmd_now(const cmd_t *cmd);
/* Inside exec: refusals in the daemon's terms, naming the field of the
 * request's body by its path (docs/protocol.md: a remote client has no
 * flags; kefuctl maps the field back to its flag). Each sets the message
 * and returns KEFU_EINVAL:
 *   cmd_field_missing  "FIELD: WHAT is required"
 *   cmd_field_enum     "FIELD: WHAT: one of a, b, c" (the enum's words,
 *                      from its descriptor, its 0 value left out)
 *   cmd_field_bad      "FIELD: " and the printf-style rest */
int cmd_field_missing(cmd_t *cmd, const char *field, const char *what);
int cmd_field_enum(cmd_t *cmd, const char *field, const char *what,
                   const ProtobufCEnumDescriptor *ed);
int cmd_field_bad(cmd_t *cmd, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Inside exec or answer: sets the error message for the code returned. */
void cmd_errmsg(cmd_t *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
