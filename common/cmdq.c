/* cmdq.c: a daemon's commands, from request to reply (cmdq.h).
 *
 * A command is in one of three places:
 *   queue     waiting for a key an earlier command holds or waits for;
 *   in flight its events appended, waiting for the log's ack;
 *   applying  acknowledged, waiting for the daemon's consumer to apply
 *             its last event (need <= applied).
 * Keys are held from the append until the answer; a queued command runs
 * only when none of its keys is held and no earlier queued command wants
 * one of them, so commands on one key run in arrival order.
 * The request is kept packed while it waits (the decoded one lives only
 * as long as the control handler's call) and decoded again to run.
 */
#include "cmdq.h"

#include <assert.h>

#include <czmq.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kerr.h"
#include "kid.h"
#include "klog.h"
#include "krecord.h"
#include "pbdesc.h"
#include "pbkind.h"
#include "domain.pb-c.h"

enum { S_QUEUED, S_IN_FLIGHT, S_APPLYING };

struct cmd_t {
    cmdq_t *q;
    const cmd_row_t *row;
    ctl_call_t *call;
    int state;
    bool writes;
    uint8_t *req;               /* packed Request */
    size_t req_len;
    /* the keys it named, its request id's, and the ids it generated */
    char keys[CMDQ_MAX_KEYS + 1 + CMDQ_MAX_NEW_IDS][CMDQ_KEY_MAX];
    size_t nkeys;
    uint64_t need;              /* seq of its last event, once acknowledged */
    char *subject;              /* the record its first event is about (its row's subject) */
    int64_t now;
    int64_t due_us;             /* mono time by which the caller must hear something */
    arena_t *arena;             /* a read on the reader thread: its memory; NULL: the queue's */
    uint8_t *out;               /* ... its packed reply, or */
    size_t out_len;
    int out_rc;                 /* ... its error */
    char errmsg[512];
    cmdq_done_fn *done;         /* a command of the daemon's own: told its outcome */
    void *done_arg;
    cmd_t *next;
};

/* A first answer kept in memory until the consumer's next batch writes
 * it (s_remember). */
typedef struct s_kept {
    char *id;
    uint8_t *val;
    size_t len;
    struct s_kept *next;
} s_kept_t;

static void s_kept_free(s_kept_t *k)
{
    free(k->id);
    free(k->val);
    free(k);
}

static int s_keep_all(store_txn_t *txn, void *arg);

struct cmdq_t {
    store_t *store;
    store_table_t requests;     /* request id -> the first event it made (from the log) */
    store_table_t answers;      /* request id -> u32 kind, u64 digest, the first answer */
    evlog_client_t *log;
    ctlserver_t *ctl;
    kclock_t *clock;
    const cmd_table_t *table;
    const cmd_row_t **by_case;  /* request case -> row */
    int ncases;
    void *arg;
    arena_t *arena;
    zhashx_t *held;             /* key -> count of holders (as a pointer) */
    cmd_t *queue, **queue_tail;
    cmd_t *applying;
    cmd_t *inflight;            /* appended, not yet acknowledged */
    size_t pending;
    uint64_t applied;
    uint64_t gate;              /* nothing runs before applied reaches it */
    bool draining;
    int failing;                /* the store can't take the log's events (the code), or 0 */
    store_table_t staff;        /* person -> one byte, the Kefu__Role (cmdq_staff) */
    zhashx_t *roles;            /* person -> role, as a pointer: the table in memory */
    cmdq_done_fn *next_done;    /* cmdq_submit_own: for the command being submitted */
    void *next_done_arg;
    char own_errmsg[512];       /* ... and its refusal when told at once */
    zloop_t *loop;
    int timer;
    cmdq_append_fn *append;     /* tests: the log's place (cmdq_set_append); NULL: the log */
    void *append_arg;
    /* first answers to request ids not yet in the store (s_remember) */
    s_kept_t *kept, **kept_tail;
    size_t nkept, kept_flushed;
    zhashx_t *kept_by_id;      /* request id -> its s_kept_t */
    /* the reader: a thread answering reads from its own read transaction,
     * so a long register query never holds up the command path */
    pthread_t reader;
    bool reader_started;
    pthread_mutex_t rmu;
    pthread_cond_t rcv;
    cmd_t *rjobs, **rjobs_tail;  /* under rmu */
    bool rstop;                  /* under rmu */
    zsock_t *rmain, *rthread;    /* PAIR: finished reads back to the loop */
    /* per kind of generated id, the highest N handed out (a hint: the
     * counter in the store and the held keys are the truth) */
    struct {
        char kind[32];
        uint64_t n;
    } handed[16];
};

static void s_drain(cmdq_t *self);

const cmd_row_t *cmd_table_row(const cmd_table_t *table, int req_case)
{
    for (size_t i = 0; i < table->n; i++)
        if (table->rows[i].req == req_case)
            return &table->rows[i];
    return NULL;
}

cmdq_t *cmdq_new(store_t *store, evlog_client_t *log, ctlserver_t *ctl, kclock_t *clock,
                 const cmd_table_t *table, void *arg)
{
    cmdq_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    for (size_t i = 0; i < table->n; i++)
        if (table->rows[i].req >= self->ncases)
            self->ncases = table->rows[i].req + 1;
    self->by_case = calloc((size_t) self->ncases + 1, sizeof *self->by_case);
    if (!self->by_case) {
        free(self);
        return NULL;
    }
    for (size_t i = 0; i < table->n; i++) {
        const cmd_row_t *r = &table->rows[i];
        if (r->req <= 0 || self->by_case[r->req] || (r->event != 0) != (r->exec != NULL) ||
            !r->answer) {
            klog_error("%s's command table: row %zu (request %d) is a second row for its "
                       "request, or a write without exec, or has no answer", table->daemon, i,
                       r->req);
            free(self->by_case);
            free(self);
            return NULL;
        }
        self->by_case[r->req] = r;
    }
    if (store_table(store, "requests", &self->requests) != 0 ||
        store_table(store, "replies", &self->answers) != 0 ||
        store_table(store, "cmdq.staff", &self->staff) != 0) {
        free(self->by_case);
        free(self);
        return NULL;
    }
    self->store = store;
    self->log = log;
    self->ctl = ctl;
    self->clock = clock;
    self->table = table;
    self->arg = arg;
    self->arena = arena_new(0);
    self->held = zhashx_new();
    self->queue_tail = &self->queue;
    self->timer = -1;
    self->kept_tail = &self->kept;
    self->kept_by_id = zhashx_new();
    self->roles = zhashx_new();
    /* who may act, as the store has it */
    store_txn_t *txn;
    if (store_read_begin(store, &txn) == 0) {
        store_cursor_t *c;
        if (store_cursor_open(txn, self->staff, &c) == 0) {
            const void *k, *v;
            size_t kl, vl;
            char name[80];
            store_cursor_seek(c, NULL, 0);
            while (store_cursor_next(c, &k, &kl, &v, &vl) == 0)
                if (kl < sizeof name && vl == 1) {
                    memcpy(name, k, kl);
                    name[kl] = '\0';
                    zhashx_update(self->roles, name, (void *) (uintptr_t) * (const uint8_t *) v);
                }
            store_cursor_close(&c);
        }
        store_txn_end(&txn);
    }
    return self;
}

int cmdq_staff(cmdq_t *self, store_txn_t *txn, const char *name, int role)
{
    if (!name || !name[0] || strlen(name) >= 80 || role <= 0 || role > 255)
        return 0;
    uint8_t r = (uint8_t) role;
    int rc = store_put(txn, self->staff, name, strlen(name), &r, 1);
    if (rc == 0)
        zhashx_update(self->roles, name, (void *) (uintptr_t) role);
    return rc;
}

int cmd_actor_role(const cmd_t *cmd, const Kefu__Request *req)
{
    cmdq_t *self = cmd->q;
    if (!cmd->call || zhashx_size(self->roles) == 0 || !req->actor)
        return 0;
    return (int) (uintptr_t) zhashx_lookup(self->roles, req->actor);
}

/* True if the comma list of words list holds word. */
static bool s_word_in(const char *list, const char *word)
{
    size_t wl = strlen(word);
    for (const char *p = list; *p;) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t) (e - p) : strlen(p);
        if (n == wl && strncmp(p, word, n) == 0)
            return true;
        p = e ? e + 1 : p + n;
    }
    return false;
}

/* The roles a row is for: its column, or without one, people (CMD_PEOPLE:
 * a terminal's or dispatch's key may do only what a row names them for). */
static const char *s_row_roles(const cmd_row_t *row)
{
    return row->roles ? row->roles : CMD_PEOPLE;
}

/* May a remote client's key (Request.via_role, set by kefu-net from the
 * key, never by the client) do cmd, read or write? 0, or KEFU_EFORBIDDEN
 * with the message set and the refusal logged with the key's name.
 * A local client (no via_role) is not asked: the run directory's
 * permissions are its guard. */
static int s_may_key(cmdq_t *self, cmd_t *cmd, const Kefu__Request *req)
{
    if (!cmd->call || !req->has_via_role)
        return 0;
    char word[32];
    if (!pbdesc_enum_word(&kefu__key_role__descriptor, req->via_role, word, sizeof word) ||
        req->via_role == KEFU__KEY_ROLE__KEY_ROLE_UNSET)
        snprintf(word, sizeof word, "no role");
    else if (s_word_in(s_row_roles(cmd->row), word))
        return 0;
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field(&kefu__request__descriptor, (unsigned) req->req_case);
    cmd_errmsg(cmd, "key %s is %s; %s is for %s", req->via_key ? req->via_key : "?", word,
               f ? f->name : "this request", s_row_roles(cmd->row));
    klog_warn("%s: refused %s of key %s (%s)", self->table->daemon, f ? f->name : "a request",
              req->via_key ? req->via_key : "?", word);
    return KEFU_EFORBIDDEN;
}

/* May the caller of cmd act (cmdq_staff)? 0, or KEFU_EFORBIDDEN with the
 * message set. */
static int s_may(cmdq_t *self, cmd_t *cmd, const Kefu__Request *req)
{
    if (!cmd->call || zhashx_size(self->roles) == 0)
        return 0;  /* the daemon's own, or nobody registered: anyone */
    /* A machine's key (a floor terminal, dispatch) is no person: what it
     * may do its key's role said already (s_may_key). */
    if (req->has_via_role && (req->via_role == KEFU__KEY_ROLE__KEY_ROLE_TERMINAL ||
                              req->via_role == KEFU__KEY_ROLE__KEY_ROLE_DISPATCH))
        return 0;
    const char *actor = req->actor;
    int role = actor && actor[0] ? (int) (uintptr_t) zhashx_lookup(self->roles, actor) : 0;
    if (!role) {
        cmd_errmsg(cmd, "actor: %s is not registered staff (staff add)",
                   actor && actor[0] ? actor : "(nobody)");
        return KEFU_EFORBIDDEN;
    }
    const char *need = cmd->row->roles;
    if (!need)
        return 0;
    char word[32];
    pbdesc_enum_word(&kefu__role__descriptor, role, word, sizeof word);
    if (s_word_in(need, word))
        return 0;
    cmd_errmsg(cmd, "%s is %s; this is for %s", actor, word, need);
    return KEFU_EFORBIDDEN;
}

static void s_cmd_free(cmd_t *cmd)
{
    if (cmd) {
        free(cmd->req);
        free(cmd->subject);
        free(cmd->out);
        free(cmd);
    }
}

static void s_reader_stop(cmdq_t *self);

void cmdq_destroy(cmdq_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    cmdq_t *self = *self_p;
    /* The daemon is stopping: whatever was not answered is told so. A
     * client retrying with its request id gets the answer from the next
     * run (what was appended is in the log). The log client is destroyed
     * first, so no ack callback comes after this. */
    s_reader_stop(self);  /* its unanswered reads are failed there */
    cmd_t *lists[] = {self->queue, self->applying, self->inflight};
    for (size_t i = 0; i < 3; i++)
        for (cmd_t *c = lists[i], *n; c; c = n) {
            n = c->next;
            if (c->call)
                ctlserver_fail(self->ctl, &c->call, KEFU_EUNAVAIL,
                               "the daemon is stopping; repeat the request with its request id");
            s_cmd_free(c);
        }
    /* What answers are kept only in memory go to the store now. */
    if (self->kept) {
        int rc = store_write(self->store, s_keep_all, self);
        if (rc)
            klog_warn("can't keep %zu answers to request ids: %s", self->nkept, kefu_strerror(rc));
    }
    for (s_kept_t *k = self->kept, *n; k; k = n) {
        n = k->next;
        s_kept_free(k);
    }
    zhashx_destroy(&self->kept_by_id);
    zhashx_destroy(&self->roles);
    zhashx_destroy(&self->held);
    arena_destroy(&self->arena);
    free(self->by_case);
    free(self);
    *self_p = NULL;
}

void cmdq_set_append(cmdq_t *self, cmdq_append_fn *fn, void *arg)
{
    self->append = fn;
    self->append_arg = arg;
}

size_t cmdq_pending(const cmdq_t *self)
{
    return self->pending;
}

void *cmd_alloc(cmd_t *cmd, size_t size)
{
    void *p = arena_alloc(cmd_arena(cmd), size);
    memset(p, 0, size);
    return p;
}

arena_t *cmd_arena(cmd_t *cmd)
{
    return cmd->arena ? cmd->arena : cmd->q->arena;
}

const cmd_row_t *cmd_row(const cmd_t *cmd)
{
    return cmd->row;
}

Kefu__Envelope *cmd_event(cmd_t *cmd)
{
    Kefu__Envelope *ev = cmd_alloc(cmd, sizeof *ev);
    kefu__envelope__init(ev);
    return ev;
}

int cmd_record(cmd_t *cmd, store_txn_t *txn, store_table_t t, const char *id,
               const ProtobufCMessageDescriptor *desc, const char *what, void **out)
{
    if (cmd_blank(id)) {
        cmd_errmsg(cmd, "id: the %s's id is required", what);
        return KEFU_EINVAL;
    }
    *out = krecord_get(txn, t, id, desc, cmd_arena(cmd));
    if (!*out) {
        cmd_errmsg(cmd, "%s %s does not exist", what, id);
        return KEFU_ENOTFOUND;
    }
    return 0;
}

Kefu__Envelope *cmd_event_of(cmd_t *cmd, int body_case, void *body)
{
    Kefu__Envelope *ev = cmd_event(cmd);
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field(&kefu__envelope__descriptor, (unsigned) body_case);
    /* a body case that is no oneof message of the envelope is a bug */
    assert(f && (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) && f->type == PROTOBUF_C_TYPE_MESSAGE);
    *(void **) ((char *) ev + f->offset) = body;
    *(uint32_t *) ((char *) ev + f->quantifier_offset) = (uint32_t) body_case;
    return ev;
}

bool cmd_blank(const char *s)
{
    if (!s)
        return true;
    for (; *s; s++)
        if (*s != ' ' && *s != '\t')
            return false;
    return true;
}

int64_t cmd_now(const cmd_t *cmd)
{
    return cmd->now;
}

void cmd_errmsg(cmd_t *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd->errmsg, sizeof cmd->errmsg, fmt, ap);
    va_end(ap);
}

int cmd_field_missing(cmd_t *cmd, const char *field, const char *what)
{
    cmd_errmsg(cmd, "%s: %s is required", field, what);
    return KEFU_EINVAL;
}

int cmd_field_enum(cmd_t *cmd, const char *field, const char *what,
                   const ProtobufCEnumDescriptor *ed)
{
    char words[300] = "";
    size_t len = 0;
    for (unsigned i = 0; i < ed->n_values && len < sizeof words; i++) {
        char w[48];
        if (ed->values[i].value == 0 || !pbdesc_enum_word(ed, ed->values[i].value, w, sizeof w))
            continue;
        int n = snprintf(words + len, sizeof words - len, "%s%s", len ? ", " : "", w);
        if (n < 0)
            break;
        len += (size_t) n;
    }
    cmd_errmsg(cmd, "%s: %s: one of %s", field, what, words);
    return KEFU_EINVAL;
}

int cmd_field_bad(cmd_t *cmd, const char *field, const char *fmt, ...)
{
    char rest[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rest, sizeof rest, fmt, ap);
    va_end(ap);
    cmd_errmsg(cmd, "%s: %s", field, rest);
    return KEFU_EINVAL;
}

/* ---- keys ------------------------------------------------------------------ */

static bool s_held(cmdq_t *self, const char *key)
{
    return zhashx_lookup(self->held, key) != NULL;
}

static void s_hold(cmdq_t *self, cmd_t *cmd)
{
    for (size_t i = 0; i < cmd->nkeys; i++) {
        uintptr_t n = (uintptr_t) zhashx_lookup(self->held, cmd->keys[i]);
        zhashx_update(self->held, cmd->keys[i], (void *) (n + 1));
    }
}

static void s_release(cmdq_t *self, cmd_t *cmd)
{
    for (size_t i = 0; i < cmd->nkeys; i++) {
        uintptr_t n = (uintptr_t) zhashx_lookup(self->held, cmd->keys[i]);
        if (n <= 1)
            zhashx_delete(self->held, cmd->keys[i]);
        else
            zhashx_update(self->held, cmd->keys[i], (void *) (n - 1));
    }
}

static bool s_shares_key(const cmd_t *a, const cmd_t *b)
{
    for (size_t i = 0; i < a->nkeys; i++)
        for (size_t j = 0; j < b->nkeys; j++)
            if (strcmp(a->keys[i], b->keys[j]) == 0)
                return true;
    return false;
}

/* A key another command holds, or a queued one waits to hold. */
static bool s_taken(cmdq_t *self, const char *key)
{
    if (s_held(self, key))
        return true;
    for (const cmd_t *c = self->queue; c; c = c->next)
        for (size_t i = 0; i < c->nkeys; i++)
            if (strcmp(c->keys[i], key) == 0)
                return true;
    return false;
}

static uint64_t *s_handed(cmdq_t *self, const char *kind)
{
    size_t max = sizeof self->handed / sizeof self->handed[0];
    for (size_t i = 0; i < max; i++) {
        if (strcmp(self->handed[i].kind, kind) == 0)
            return &self->handed[i].n;
        if (!self->handed[i].kind[0]) {
            snprintf(self->handed[i].kind, sizeof self->handed[i].kind, "%s", kind);
            return &self->handed[i].n;
        }
    }
    return NULL;  /* more kinds than slots: start from the counter each time */
}

const char *cmd_new_id(cmd_t *cmd, store_txn_t *txn, store_table_t t, const char *kind,
                       const char *prefix)
{
    cmdq_t *self = cmd->q;
    if (cmd->nkeys >= sizeof cmd->keys / sizeof cmd->keys[0]) {
        cmd_errmsg(cmd, "a command may make at most %d new ids", CMDQ_MAX_NEW_IDS);
        return NULL;
    }
    uint64_t *handed = s_handed(self, kind);
    uint64_t n = kid_counter(txn, kind);
    if (handed && *handed > n)
        n = *handed;
    char id[KID_MAX + 1], key[CMDQ_KEY_MAX];
    while (++n <= KID_NUMBER_MAX) {
        snprintf(id, sizeof id, "%s-%llu", prefix, (unsigned long long) n);
        snprintf(key, sizeof key, "%s/%s", kind, id);
        const void *v;
        size_t vlen;
        /* Taken by hand (applied, or in flight), or by another command. */
        if (s_taken(self, key) || store_get(txn, t, id, strlen(id), &v, &vlen) == 0)
            continue;
        memcpy(cmd->keys[cmd->nkeys++], key, sizeof key);
        if (handed)
            *handed = n;
        char *out = cmd_alloc(cmd, strlen(id) + 1);
        memcpy(out, id, strlen(id) + 1);
        return out;
    }
    cmd_errmsg(cmd, "no %s id is left: %s-%llu is the last", kind, prefix,
               (unsigned long long) KID_NUMBER_MAX);
    return NULL;
}

/* ---- answering --------------------------------------------------------------- */

/* Answers a command's caller now (rc 0: reply), if it still waits: a
 * command answered early (s_tell) goes on without a caller. */
static void s_answer(cmdq_t *self, cmd_t *cmd, int rc, Kefu__Reply *reply)
{
    if (cmd->done) {
        cmd->done(cmd->done_arg, rc, rc ? (cmd->errmsg[0] ? cmd->errmsg : kefu_strerror(rc)) : NULL);
        cmd->done = NULL;
    }
    if (!cmd->call)
        return;
    if (rc)
        ctlserver_fail(self->ctl, &cmd->call, rc, "%s", cmd->errmsg[0] ? cmd->errmsg : kefu_strerror(rc));
    else
        ctlserver_reply(self->ctl, &cmd->call, reply);
}

/* Sends the answer of a deferred command (rc 0: reply) and frees it. */
static void s_send(cmdq_t *self, cmd_t *cmd, int rc, Kefu__Reply *reply)
{
    s_answer(self, cmd, rc, reply);
    self->pending--;
    s_cmd_free(cmd);
}

/* Tells a caller what holds its command up, before it gives up waiting;
 * the command goes on (it keeps its keys until its events are applied,
 * so nothing after it is checked against a state it has not made yet). */
static void s_tell(cmdq_t *self, cmd_t *cmd, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void s_tell(cmdq_t *self, cmd_t *cmd, int rc, const char *fmt, ...)
{
    if (!cmd->call)
        return;
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    const char *rid = ctl_call_request_id(cmd->call);
    if (rid && rid[0])
        ctlserver_fail(self->ctl, &cmd->call, rc,
                       "%s; it may still be made: repeat the command with --request-id %s to "
                       "learn its outcome", msg, rid);
    else
        ctlserver_fail(self->ctl, &cmd->call, rc,
                       "%s; it may still be made: look before you repeat it (a --request-id "
                       "makes a repeat safe)", msg);
}

static Kefu__Request *s_unpack_request(cmdq_t *self, cmd_t *cmd)
{
    return kefu__request__unpack(arena_pbc(self->arena), cmd->req_len, cmd->req);
}

/* Keeps the first answer to a request id, so a repeat gets exactly it.
 * Written outside the log: a store rebuilt from the log has none, and a
 * repeat then gets the answer built again from the request's first event
 * (same record, its state now). An answer is kept in memory at once and
 * written to the store with the consumer's next batch (cmdq_flush), not
 * in a write transaction of its own; a repeat finds it in either. A kill
 * before that batch commits loses only the exact copy: the repeat is
 * answered from the first event. */
static int s_keep_all(store_txn_t *txn, void *arg)
{
    cmdq_t *self = arg;
    for (s_kept_t *k = self->kept; k; k = k->next) {
        int rc = store_put(txn, self->answers, k->id, strlen(k->id), k->val, k->len);
        if (rc)
            return rc;
    }
    return 0;
}

/* The digest of a request's arguments: FNV-1a over the packed request
 * without corr, request_id and wait_ms (event.proto,
 * Envelope.request_digest). */
static uint64_t s_digest(const Kefu__Request *req)
{
    Kefu__Request r = *req;
    r.has_corr = false;
    r.corr = 0;
    r.request_id = NULL;
    r.has_wait_ms = false;  /* how long a caller waits is no argument */
    r.wait_ms = 0;
    size_t len = kefu__request__get_packed_size(&r);
    uint8_t stack[2048];
    uint8_t *buf = len <= sizeof stack ? stack : malloc(len);
    if (!buf)
        abort();
    kefu__request__pack(&r, buf);
    uint64_t h = 14695981039346656037ULL;
    for (size_t i = 0; i < len; i++) {
        h ^= buf[i];
        h *= 1099511628211ULL;
    }
    if (buf != stack)
        free(buf);
    return h;
}

#define S_KEPT_HDR 12   /* u32 request kind, u64 digest, then the reply */

/* Keeps reply as the first answer to req's request id. Returns the kept
 * copy's packed reply (valid until the next batch commits: send it at
 * once), or NULL if req has no request id or memory ran out. */
static const s_kept_t *s_remember(cmdq_t *self, const Kefu__Request *req, Kefu__Reply *reply)
{
    if (!req->request_id || !req->request_id[0])
        return NULL;
    size_t len = kefu__reply__get_packed_size(reply);
    s_kept_t *k = calloc(1, sizeof *k);
    if (!k || !(k->id = strdup(req->request_id)) || !(k->val = malloc(S_KEPT_HDR + len))) {
        if (k)
            s_kept_free(k);
        return NULL;  /* a repeat is answered from the first event */
    }
    k->len = S_KEPT_HDR + len;
    uint32_t kind = (uint32_t) req->req_case;
    uint64_t digest = s_digest(req);
    memcpy(k->val, &kind, 4);
    memcpy(k->val + 4, &digest, 8);
    kefu__reply__pack(reply, k->val + S_KEPT_HDR);
    *self->kept_tail = k;
    self->kept_tail = &k->next;
    self->nkept++;
    zhashx_update(self->kept_by_id, k->id, k);
    return k;
}

/* The answer kept for request id: in memory or in the store. */
static bool s_kept_get(cmdq_t *self, store_txn_t *txn, const char *id, const void **v,
                       size_t *vlen)
{
    s_kept_t *k = zhashx_lookup(self->kept_by_id, id);
    if (k) {
        *v = k->val;
        *vlen = k->len;
        return true;
    }
    return store_get(txn, self->answers, id, strlen(id), v, vlen) == 0;
}

int cmdq_flush(cmdq_t *self, store_txn_t *txn)
{
    self->kept_flushed = self->nkept;
    return s_keep_all(txn, self);
}

/* The batch that carried the kept answers committed: they are in the
 * store now. */
static void s_kept_committed(cmdq_t *self)
{
    while (self->kept_flushed > 0 && self->kept) {
        s_kept_t *k = self->kept;
        self->kept = k->next;
        if (!self->kept)
            self->kept_tail = &self->kept;
        if (zhashx_lookup(self->kept_by_id, k->id) == k)
            zhashx_delete(self->kept_by_id, k->id);
        s_kept_free(k);
        self->nkept--;
        self->kept_flushed--;
    }
    self->kept_flushed = 0;
}

/* The body of req: the message its oneof case names. */
static const ProtobufCMessage *s_body(const Kefu__Request *req)
{
    return pbdesc_oneof_message(&req->base, (unsigned) req->req_case);
}

static int s_answer_id(cmdq_t *self, cmd_t *cmd, const Kefu__Request *req, store_txn_t *txn,
                       const char *id, Kefu__Reply *reply);

/* The answer to cmd, through its row: ev is its first event for a write
 * (the one in the log: for a repeat, the request's first), NULL for a read. */
static int s_answer_row(cmdq_t *self, cmd_t *cmd, const Kefu__Request *req, store_txn_t *txn,
                        const Kefu__Envelope *ev, Kefu__Reply *reply)
{
    const cmd_row_t *row = cmd->row;
    if (ev && (int) ev->body_case != row->event) {
        /* a repeated request id, first used for another command */
        cmd_errmsg(cmd, "request id %s was used for another command",
                   req->request_id ? req->request_id : "");
        return KEFU_ECONFLICT;
    }
    const char *id = NULL;
    if (row->subject && ev)
        id = pbdesc_string_at(pbdesc_oneof_message(&ev->base, (unsigned) ev->body_case),
                              row->subject);
    else if (row->subject)
        id = pbdesc_string_at(s_body(req), row->subject);
    return s_answer_id(self, cmd, req, txn, id, reply);
}

/* The answer to cmd about record id, checked against its row. */
static int s_answer_id(cmdq_t *self, cmd_t *cmd, const Kefu__Request *req, store_txn_t *txn,
                       const char *id, Kefu__Reply *reply)
{
    const cmd_row_t *row = cmd->row;
    int rc = row->answer(self->arg, cmd, req, txn, id, reply);
    if (rc == 0 && (int) reply->rep_case != row->rep) {
        klog_error("%s: the answer to request %d is reply %d, its row says %d",
                   self->table->daemon, req->req_case, reply->rep_case, row->rep);
        return KEFU_EINTERNAL;
    }
    return rc;
}

/* ---- the reader ---------------------------------------------------------------------- */

/* Reads are answered on a thread of their own, each in its own read
 * transaction (LMDB readers run beside the writer and see the last
 * committed state), into memory of its own: a register query over
 * thousands of cases then costs the command path nothing. The answer
 * functions only read the store and the command's memory. The reply goes
 * back packed, over an inproc PAIR, to the loop's thread, which owns the
 * control socket. */
static void *s_reader_run(void *arg)
{
    cmdq_t *self = arg;
    arena_t *arena = arena_new(0);
    void *out = zsock_resolve(self->rthread);
    for (;;) {
        pthread_mutex_lock(&self->rmu);
        while (!self->rjobs && !self->rstop)
            pthread_cond_wait(&self->rcv, &self->rmu);
        cmd_t *cmd = self->rjobs;
        if (cmd) {
            self->rjobs = cmd->next;
            if (!self->rjobs)
                self->rjobs_tail = &self->rjobs;
            cmd->next = NULL;
        }
        pthread_mutex_unlock(&self->rmu);
        if (!cmd)
            break;  /* stopping, and nothing left */
        arena_reset(arena);
        cmd->arena = arena;
        Kefu__Request *req = kefu__request__unpack(arena_pbc(arena), cmd->req_len, cmd->req);
        store_txn_t *txn = NULL;
        int rc = req ? store_read_begin(self->store, &txn) : KEFU_EINTERNAL;
        Kefu__Reply reply = KEFU__REPLY__INIT;
        if (rc == 0)
            rc = s_answer_row(self, cmd, req, txn, NULL, &reply);
        if (rc == 0) {
            cmd->out_len = kefu__reply__get_packed_size(&reply);
            cmd->out = malloc(cmd->out_len ? cmd->out_len : 1);
            if (cmd->out)
                kefu__reply__pack(&reply, cmd->out);
            else
                rc = KEFU_EINTERNAL;
        }
        store_txn_end(&txn);
        cmd->out_rc = rc;
        cmd->arena = NULL;
        zmq_send(out, &cmd, sizeof cmd, 0);
    }
    arena_destroy(&arena);
    return NULL;
}

/* A read answered: send it (the loop's thread). */
static int s_reader_done(zloop_t *loop, zsock_t *sock, void *arg)
{
    (void) loop;
    cmdq_t *self = arg;
    cmd_t *cmd;
    while (zmq_recv(zsock_resolve(sock), &cmd, sizeof cmd, ZMQ_DONTWAIT) == sizeof cmd) {
        if (cmd->out_rc == 0)
            ctlserver_reply_packed(self->ctl, &cmd->call, cmd->out, cmd->out_len);
        s_send(self, cmd, cmd->out_rc, NULL);  /* an error (the call is there), or frees */
    }
    return 0;
}

static int s_reader_start(cmdq_t *self, zloop_t *loop)
{
    char ep[64];
    snprintf(ep, sizeof ep, "inproc://cmdq-reader-%p", (void *) self);
    self->rmain = zsock_new(ZMQ_PAIR);
    self->rthread = zsock_new(ZMQ_PAIR);
    if (!self->rmain || !self->rthread || zsock_bind(self->rmain, "%s", ep) != 0 ||
        zsock_connect(self->rthread, "%s", ep) != 0)
        return -1;
    pthread_mutex_init(&self->rmu, NULL);
    pthread_cond_init(&self->rcv, NULL);
    self->rjobs_tail = &self->rjobs;
    if (pthread_create(&self->reader, NULL, s_reader_run, self) != 0)
        return -1;
    self->reader_started = true;
    return zloop_reader(loop, self->rmain, s_reader_done, self);
}

/* Stops the reader after the read it is on; fails the reads not answered. */
static void s_reader_stop(cmdq_t *self)
{
    if (self->reader_started) {
        pthread_mutex_lock(&self->rmu);
        self->rstop = true;
        cmd_t *left = self->rjobs;
        self->rjobs = NULL;
        pthread_cond_signal(&self->rcv);
        pthread_mutex_unlock(&self->rmu);
        pthread_join(self->reader, NULL);
        pthread_cond_destroy(&self->rcv);
        pthread_mutex_destroy(&self->rmu);
        self->reader_started = false;
        for (cmd_t *n; left; left = n) {
            n = left->next;
            if (left->call)
                ctlserver_fail(self->ctl, &left->call, KEFU_EUNAVAIL, "the daemon is stopping");
            s_cmd_free(left);
        }
        cmd_t *cmd;
        while (zmq_recv(zsock_resolve(self->rmain), &cmd, sizeof cmd, ZMQ_DONTWAIT) == sizeof cmd) {
            if (cmd->call)
                ctlserver_fail(self->ctl, &cmd->call, KEFU_EUNAVAIL, "the daemon is stopping");
            s_cmd_free(cmd);
        }
    }
    zsock_destroy(&self->rmain);
    zsock_destroy(&self->rthread);
}

/* Keeps req packed in cmd (once), for a command that outlives the
 * control handler's call. Returns 0 or KEFU_EINTERNAL (out of memory). */
static int s_keep_request(cmd_t *cmd, const Kefu__Request *req)
{
    if (cmd->req)
        return 0;
    cmd->req_len = kefu__request__get_packed_size(req);
    cmd->req = malloc(cmd->req_len);
    if (!cmd->req)
        return KEFU_EINTERNAL;
    kefu__request__pack(req, cmd->req);
    return 0;
}

/* Hands a read to the reader: true if taken (answered later). */
static bool s_reader_take(cmdq_t *self, cmd_t *cmd, const Kefu__Request *req)
{
    if (!self->reader_started || s_keep_request(cmd, req) != 0)
        return false;
    pthread_mutex_lock(&self->rmu);
    *self->rjobs_tail = cmd;
    self->rjobs_tail = &cmd->next;
    pthread_cond_signal(&self->rcv);
    pthread_mutex_unlock(&self->rmu);
    return true;
}

/* The command's events are applied: build and send its answer. */
static void s_finish(cmdq_t *self, cmd_t *cmd)
{
    arena_reset(self->arena);
    Kefu__Reply reply = KEFU__REPLY__INIT;
    Kefu__Request *req = s_unpack_request(self, cmd);
    store_txn_t *txn = NULL;
    int rc = req ? store_read_begin(self->store, &txn) : KEFU_EINTERNAL;
    if (rc == 0)
        rc = s_answer_id(self, cmd, req, txn, cmd->subject, &reply);
    store_txn_end(&txn);
    /* With a request id the reply is packed once, for the kept copy, and
     * sent as it is packed. */
    const s_kept_t *k = rc == 0 ? s_remember(self, req, &reply) : NULL;
    s_release(self, cmd);
    if (k && cmd->call)
        ctlserver_reply_packed(self->ctl, &cmd->call, k->val + S_KEPT_HDR, k->len - S_KEPT_HDR);
    s_send(self, cmd, rc, &reply);  /* the reply, if not sent; frees cmd */
}

static void s_acked(void *arg, int rc, const uint64_t *seqs, size_t n)
{
    cmd_t *cmd = arg;
    cmdq_t *self = cmd->q;
    for (cmd_t **pp = &self->inflight; *pp; pp = &(*pp)->next)
        if (*pp == cmd) {
            *pp = cmd->next;
            break;
        }
    cmd->next = NULL;
    if (rc) {
        if (rc == KEFU_ESTOREFULL)
            cmd_errmsg(cmd, "the event log's disk is full; nothing was changed");
        else
            cmd_errmsg(cmd, "the event log refused the change: %s", kefu_strerror(rc));
        s_release(self, cmd);
        s_send(self, cmd, rc == KEFU_EUNAVAIL || rc == KEFU_ESTOREFULL ? rc : KEFU_EINTERNAL, NULL);
        s_drain(self);
        return;
    }
    /* Applied once the consumer has passed the last of its events (the
     * highest seq: a retry's seqs need not be consecutive). */
    cmd->need = 0;
    for (size_t i = 0; i < n; i++)
        if (seqs[i] > cmd->need)
            cmd->need = seqs[i];
    if (cmd->need <= self->applied) {
        s_finish(self, cmd);
        s_drain(self);
        return;
    }
    cmd->state = S_APPLYING;
    cmd->next = self->applying;
    self->applying = cmd;
}

static void s_failing_msg(cmdq_t *self, cmd_t *cmd)
{
    cmd_errmsg(cmd, "the daemon's store can't take changes now (%s): it is behind the log "
                    "until there is room; nothing was written, reads still answer",
               kefu_strerror(self->failing));
}

/* Runs a command whose keys are free. Returns 0 with reply filled (the
 * caller sends it), CTL_DEFER (in flight now), or an error code. */
static int s_run(cmdq_t *self, cmd_t *cmd, const Kefu__Request *req, Kefu__Reply *reply)
{
    store_txn_t *txn;
    int rc = store_read_begin(self->store, &txn);
    if (rc)
        return rc;
    /* A repeated request: the first answer again, nothing written; but
     * the same id with other arguments is another request, refused (as
     * Stripe's idempotency keys are). */
    bool idem = req->request_id && req->request_id[0] && cmd->writes;
    uint64_t digest = idem ? s_digest(req) : 0;
    if (idem) {
        const void *v;
        size_t vlen;
        size_t idlen = strlen(req->request_id);
        if (s_kept_get(self, txn, req->request_id, &v, &vlen) && vlen >= S_KEPT_HDR) {
            uint32_t kind;
            uint64_t was;
            memcpy(&kind, v, 4);
            memcpy(&was, (const uint8_t *) v + 4, 8);
            Kefu__Reply *first = kefu__reply__unpack(arena_pbc(self->arena), vlen - S_KEPT_HDR,
                                                     (const uint8_t *) v + S_KEPT_HDR);
            store_txn_end(&txn);
            if (kind != (uint32_t) req->req_case) {
                cmd_errmsg(cmd, "request id %s was used for another command", req->request_id);
                return KEFU_ECONFLICT;
            }
            if (was != digest) {
                cmd_errmsg(cmd, "request id %s was used with other arguments", req->request_id);
                return KEFU_ECONFLICT;
            }
            if (!first)
                return KEFU_EINTERNAL;
            *reply = *first;
            return 0;
        }
        if (store_get(txn, self->requests, req->request_id, idlen, &v, &vlen) == 0) {
            Kefu__Envelope *ev = kefu__envelope__unpack(arena_pbc(self->arena), vlen, v);
            if (ev && ev->has_request_digest && ev->request_digest != digest) {
                store_txn_end(&txn);
                cmd_errmsg(cmd, "request id %s was used with other arguments", req->request_id);
                return KEFU_ECONFLICT;
            }
            rc = ev ? s_answer_row(self, cmd, req, txn, ev, reply) : KEFU_EINTERNAL;
            store_txn_end(&txn);
            return rc;
        }
    }
    if (self->failing && cmd->writes) {
        s_failing_msg(self, cmd);
        store_txn_end(&txn);
        return self->failing;
    }
    cmd->now = kclock_now(self->clock);
    Kefu__Envelope *events[CMDQ_MAX_EVENTS];
    if (cmd->writes && (rc = s_may(self, cmd, req)) != 0) {
        store_txn_end(&txn);
        return rc;
    }
    if (!cmd->row->exec) {
        rc = s_answer_row(self, cmd, req, txn, NULL, reply);  /* a read */
        store_txn_end(&txn);
        return rc;
    }
    int n = cmd->row->exec(self->arg, cmd, req, txn, events, CMDQ_MAX_EVENTS);
    if (n <= 0) {
        if (n == 0) {
            klog_error("%s: a write (request %d) made no event", self->table->daemon, req->req_case);
            n = KEFU_EINTERNAL;
        }
        store_txn_end(&txn);
        return n;
    }
    store_txn_end(&txn);
    for (int i = 0; i < n; i++) {
        events[i]->has_at = true;
        events[i]->at = cmd->now;
        events[i]->request_id = idem ? req->request_id : NULL;
        events[i]->has_request_digest = idem;
        events[i]->request_digest = digest;
        events[i]->actor = req->actor && req->actor[0] ? req->actor : NULL;
    }
    if ((rc = s_keep_request(cmd, req)) != 0)
        return rc;
    rc = self->append ? self->append(self->append_arg, events, (size_t) n, s_acked, cmd)
                      : evlog_client_append(self->log, events, (size_t) n, s_acked, cmd);
    if (rc) {
        cmd_errmsg(cmd, "can't reach the event log (%s); nothing was changed", kefu_strerror(rc));
        return rc == KEFU_ETOOLARGE || rc == KEFU_EINVAL ? rc : KEFU_EUNAVAIL;
    }
    /* What the answer needs of the first event: the record it is about
     * (a generated id is known only here). */
    if (cmd->row->subject) {
        const char *id = pbdesc_string_at(
            pbdesc_oneof_message(&events[0]->base, (unsigned) events[0]->body_case),
            cmd->row->subject);
        if (id && !(cmd->subject = strdup(id)))
            abort();
    }
    cmd->state = S_IN_FLIGHT;
    cmd->next = self->inflight;
    self->inflight = cmd;
    s_hold(self, cmd);
    return CTL_DEFER;
}

/* Held by the start gate: everything until the store has caught up with
 * the log, except reads while the store can't catch up (it is full):
 * those answer from the store as it is. */
static bool s_gated(const cmdq_t *self, const cmd_t *cmd)
{
    return self->applied < self->gate && !(self->failing && !cmd->writes);
}

/* Runs the queued commands whose turn has come, in order. */
static void s_drain(cmdq_t *self)
{
    if (self->draining)
        return;  /* s_run may answer at once and come back here */
    self->draining = true;
    cmd_t **pp = &self->queue;
    while (*pp) {
        cmd_t *cmd = *pp;
        bool blocked = s_gated(self, cmd);
        for (size_t i = 0; i < cmd->nkeys && !blocked; i++)
            blocked = s_held(self, cmd->keys[i]);
        for (cmd_t *e = self->queue; e != cmd && !blocked; e = e->next)
            blocked = s_shares_key(e, cmd);
        if (blocked) {
            pp = &cmd->next;
            continue;
        }
        *pp = cmd->next;
        if (!*pp)
            self->queue_tail = pp;
        cmd->next = NULL;
        arena_reset(self->arena);
        Kefu__Reply reply = KEFU__REPLY__INIT;
        Kefu__Request *req = s_unpack_request(self, cmd);
        int rc = req ? s_run(self, cmd, req, &reply) : KEFU_EINTERNAL;
        if (rc != CTL_DEFER)
            s_send(self, cmd, rc, &reply);
        pp = &self->queue;  /* the queue may have changed: start over */
    }
    self->draining = false;
}

/* ---- who acts ------------------------------------------------------------------- */

/* One rule for the acting person: Request.actor. A body's `by` (its field
 * declared PBKIND_ACTOR, pbkind.h) says the same or nothing: given alone
 * (an older client) it becomes the actor; given with the actor, it must be
 * the actor (a remote client's actor will be bound to its key); absent, it
 * is filled from the actor, so the daemon's checks read one value.
 * Returns 0 or KEFU_EINVAL (message set). Edits req in place: the decoded
 * request is the call's own (ctlserver decodes into its arena). */
static int s_actor(cmd_t *cmd, Kefu__Request *req)
{
    ProtobufCMessage *body = (ProtobufCMessage *) pbdesc_oneof_message(&req->base,
                                                                      (unsigned) req->req_case);
    if (!body)
        return 0;
    const ProtobufCMessageDescriptor *d = body->descriptor;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (f->type != PROTOBUF_C_TYPE_STRING || f->label == PROTOBUF_C_LABEL_REPEATED ||
            pbkind_of(f) != PBKIND_ACTOR)
            continue;
        char **by = (char **) ((char *) body + f->offset);
        bool has_by = *by && **by, has_actor = req->actor && req->actor[0];
        if (has_by && has_actor && strcmp(*by, req->actor) != 0) {
            cmd_errmsg(cmd, "%s: \"%s\" is not who asks (actor \"%s\"): the one acting is "
                            "the request's actor", f->name, *by, req->actor);
            return KEFU_EINVAL;
        }
        if (has_by && !has_actor)
            req->actor = *by;
        else if (has_actor && !has_by)
            *by = req->actor;
    }
    return 0;
}

/* ---- the daemon's entry points ------------------------------------------------ */

/* A refusal told at once: to the control handler's call, or for a
 * command of the daemon's own (no call), kept for cmdq_submit_own. */
static void s_call_errmsg(cmdq_t *self, ctl_call_t *call, const char *msg)
{
    if (call)
        ctl_call_errmsg(call, "%s", msg);
    else
        snprintf(self->own_errmsg, sizeof self->own_errmsg, "%s", msg);
}

int cmdq_submit(cmdq_t *self, ctl_call_t *call, const Kefu__Request *req, Kefu__Reply *reply)
{
    cmd_t *cmd = calloc(1, sizeof *cmd);
    if (!cmd)
        return KEFU_EINTERNAL;
    cmd->q = self;
    cmd->call = call;
    if (!call) {
        cmd->done = self->next_done;
        cmd->done_arg = self->next_done_arg;
    }
    cmd->row = req->req_case > 0 && (int) req->req_case < self->ncases ? self->by_case[req->req_case] : NULL;
    if (!cmd->row) {
        free(cmd);
        char m[128];
        snprintf(m, sizeof m, "%s does not serve this request", self->table->daemon);
        s_call_errmsg(self, call, m);
        return KEFU_EUNSUPPORTED;
    }
    cmd->writes = cmd->row->event != 0;
    cmd->now = kclock_now(self->clock);  /* a read's time; a write's is when it runs */
    int arc = s_actor(cmd, (Kefu__Request *) req);
    if (arc == 0)
        arc = s_may_key(self, cmd, req);
    if (arc) {
        s_call_errmsg(self, call, cmd->errmsg);
        free(cmd);
        return arc;
    }
    /* The caller hears something before it stops waiting (s_tick). */
    int64_t wait_ms = req->has_wait_ms && req->wait_ms >= 1000 ? req->wait_ms : CMDQ_WAIT_MS;
    cmd->due_us = kclock_mono_us() + (wait_ms - wait_ms / 5) * 1000;
    cmd->nkeys = 0;
    if (cmd->row->key) {
        /* "KIND/PATH": the record the command's checks read and it changes */
        const char *slash = strchr(cmd->row->key, '/');
        const char *id = slash ? pbdesc_string_at(s_body(req), slash + 1) : NULL;
        if (slash && id && id[0])
            snprintf(cmd->keys[cmd->nkeys++], CMDQ_KEY_MAX, "%.*s/%s",
                     (int) (slash - cmd->row->key), cmd->row->key, id);
    }
    if (cmd->writes && req->request_id && req->request_id[0])
        snprintf(cmd->keys[cmd->nkeys++], CMDQ_KEY_MAX, "request/%s", req->request_id);
    arena_reset(self->arena);

    if (self->failing && cmd->writes) {
        s_failing_msg(self, cmd);
        s_call_errmsg(self, call, cmd->errmsg);
        s_cmd_free(cmd);
        return self->failing;
    }
    bool blocked = s_gated(self, cmd);
    for (size_t i = 0; i < cmd->nkeys && !blocked; i++)
        blocked = s_held(self, cmd->keys[i]);
    for (cmd_t *e = self->queue; e && !blocked; e = e->next)
        blocked = s_shares_key(e, cmd);
    if (blocked) {
        if (s_keep_request(cmd, req) != 0) {
            free(cmd);
            return KEFU_EINTERNAL;
        }
        cmd->state = S_QUEUED;
        *self->queue_tail = cmd;
        self->queue_tail = &cmd->next;
        self->pending++;
        return CTL_DEFER;
    }
    /* A read with nothing in its way: the reader answers it. */
    if (!cmd->writes && s_reader_take(self, cmd, req)) {
        self->pending++;
        return CTL_DEFER;
    }
    int rc = s_run(self, cmd, req, reply);
    if (rc == CTL_DEFER) {
        self->pending++;
        return rc;
    }
    if (rc)
        s_call_errmsg(self, call, cmd->errmsg[0] ? cmd->errmsg : kefu_strerror(rc));
    s_cmd_free(cmd);
    return rc;
}

int cmdq_submit_own(cmdq_t *self, const Kefu__Request *req, cmdq_done_fn *done, void *arg)
{
    Kefu__Reply reply = KEFU__REPLY__INIT;
    self->next_done = done;
    self->next_done_arg = arg;
    self->own_errmsg[0] = '\0';
    int rc = cmdq_submit(self, NULL, req, &reply);
    self->next_done = NULL;
    self->next_done_arg = NULL;
    if (rc == CTL_DEFER)
        return 0;
    /* Told at once: answered (a repeat's first answer), or refused. The
     * reply's memory is the queue's arena. */
    done(arg, rc, rc ? (self->own_errmsg[0] ? self->own_errmsg : kefu_strerror(rc)) : NULL);
    return 0;
}

int cmdq_record(cmdq_t *self, store_txn_t *txn, const evlog_record_t *rec,
                const Kefu__Envelope *ev)
{
    if (!ev || !ev->request_id || !ev->request_id[0])
        return 0;
    size_t klen = strlen(ev->request_id);
    const void *v;
    size_t vlen;
    int rc = store_get(txn, self->requests, ev->request_id, klen, &v, &vlen);
    if (rc == 0)
        return 0;  /* the request's first event is recorded already */
    if (rc != KEFU_ENOTFOUND)
        return rc;
    return store_put(txn, self->requests, ev->request_id, klen, rec->data, rec->len);
}

void cmdq_applied(cmdq_t *self, uint64_t applied)
{
    self->applied = applied;
    s_kept_committed(self);
    if (self->failing)
        klog_info("the store takes the log's events again (applied %llu)",
                  (unsigned long long) applied);
    self->failing = 0;  /* a batch was committed */
    cmd_t **pp = &self->applying;
    while (*pp) {
        cmd_t *cmd = *pp;
        if (cmd->need <= applied) {
            *pp = cmd->next;
            s_finish(self, cmd);
        } else
            pp = &cmd->next;
    }
    s_drain(self);
}

void cmdq_gate(cmdq_t *self, uint64_t seq)
{
    self->gate = seq;
}

void cmdq_store_failing(cmdq_t *self, int rc)
{
    if (rc == 0 || self->failing == rc)
        return;
    self->failing = rc;
    /* Queued writes have not run: refused now, nothing written. */
    cmd_t **pp = &self->queue;
    while (*pp) {
        cmd_t *c = *pp;
        if (!c->writes) {
            pp = &c->next;
            continue;
        }
        *pp = c->next;
        s_failing_msg(self, c);
        s_send(self, c, rc, NULL);
    }
    self->queue_tail = pp;
    /* Commands in the log but not applied: their callers learn why now.
     * Queued reads may now pass the gate. */
    for (cmd_t *c = self->applying; c; c = c->next)
        s_tell(self, c, rc, "the change is in the log (seq %llu) but the daemon's store can't "
                            "take it (%s); it is applied once there is room",
               (unsigned long long) c->need, kefu_strerror(rc));
    s_drain(self);
}

/* Every caller waiting past its due time hears what holds it up. */
static int s_tick(zloop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    cmdq_t *self = arg;
    int64_t now = kclock_mono_us();
    for (cmd_t *c = self->inflight; c; c = c->next)
        if (c->call && now >= c->due_us)
            s_tell(self, c, KEFU_EUNAVAIL, "the event log has not acknowledged the change "
                                           "in time (is it stopped, or its disk slow?)");
    for (cmd_t *c = self->applying; c; c = c->next)
        if (c->call && now >= c->due_us)
            s_tell(self, c, self->failing ? self->failing : KEFU_EUNAVAIL,
                   "the change is in the log (seq %llu) but not applied yet", (unsigned long long) c->need);
    for (cmd_t *c = self->queue; c; c = c->next)
        if (c->call && now >= c->due_us)
            s_tell(self, c, KEFU_EUNAVAIL, "%s", self->applied < self->gate
                       ? "the daemon is still catching up with the log"
                       : "the command waits for an earlier one on the same record, which the "
                         "event log has not acknowledged");
    return 0;
}

int cmdq_attach(cmdq_t *self, zloop_t *loop)
{
    self->loop = loop;
    self->timer = zloop_timer(loop, 250, 0, s_tick, self);
    if (self->timer < 0 || s_reader_start(self, loop) != 0)
        return -1;
    return 0;
}
