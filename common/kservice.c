/* kservice.c: a business daemon's machinery (kservice.h).
 *
 * One zloop serves the control socket (commands, handed to cmdq), the log
 * client (acks of the daemon's appends, and the subscription), the
 * consumer that applies the log to the store, and cmdq's timer. Commands
 * wait (cmdq_gate) until the consumer has caught up with the log's head
 * as it was at start, so after a crash or a rebuild the daemon never
 * answers from a store that is behind what it wrote before.
 *
 * Memory. Every page of the store's map the daemon reads stays counted in
 * its RSS until it is let go (store.c, "Memory"): a rebuild, a walk of a
 * whole table, or a day of commands would leave the whole file there. So
 * the loop lets go of them every S_RELEASE_MS (store_release_pages: they
 * stay in the page cache, the next read maps them again; a second that
 * began no transaction is skipped), and its RSS holds what the daemon's
 * structures need plus what it read in the last second; when the start's
 * catch-up ends (the gate), also the free memory the catch-up's big
 * batches left in the heap (malloc_trim).
 */
#include "kservice.h"

#include <czmq.h>
#include <errno.h>
#include <limits.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "ctlserver.h"
#include "evlog_client.h"
#include "kerr.h"
#include "klog.h"
#include "registry.h"
#include "site.h"

struct kservice_t {
    kdaemon_t *d;
    const kservice_spec_t *spec;
    void *arg;
    store_t *store;
    store_table_t *handles;     /* one per spec->tables[i] */
    size_t ntables;
    evlog_client_t *log;
    consumer_t *consumer;
    ctlserver_t *ctl;
    cmdq_t *cmdq;
    int ev_lo, ev_hi;           /* its event range (registry.h) */
    /* reactions (kservice_react): request id -> the packed Request */
    store_table_t reactions;
    bool react_new;             /* some written since the last look */
    zhashx_t *reacting;         /* request ids submitted by this process, not yet done */
    uint64_t gate;              /* the head at start: no reaction runs before it */
    bool serving;               /* past the gate */
    zloop_t *loop;              /* while running */
    bool started_empty;         /* applied 0 at start, the log not empty */
    int wake_timer;             /* kservice_wake_at's, or -1 */
    unsigned long released_txns; /* store_txns() after the last release */
    int64_t wake_at;
};

/* The kit's own table, beside the daemon's. */
#define S_REACTIONS "kservice.reactions"

/* ---- the store and its layout ------------------------------------------------ */

typedef struct {
    uint64_t schema, applied;
} s_meta_t;

static int s_read_meta(store_txn_t *txn, void *arg)
{
    s_meta_t *m = arg;
    int rc = store_meta_get_u64(txn, "schema", &m->schema);
    if (rc == 0)
        rc = store_meta_get_u64(txn, "applied", &m->applied);  /* consumer.h */
    return rc;
}

static int s_write_schema(store_txn_t *txn, void *arg)
{
    return store_meta_put_u64(txn, "schema", *(const uint64_t *) arg);
}

/* Opens the store at path; one written with another layout is removed and
 * made afresh (the consumer then replays the log from seq 1). */
static int s_store_open(store_t **store, const char *path, uint64_t schema)
{
    int rc = store_open(store, path, NULL);
    s_meta_t m = {0, 0};
    if (rc == 0)
        rc = store_write(*store, s_read_meta, &m);
    if (rc || m.schema == schema)
        return rc;
    if (m.schema != 0 || m.applied != 0) {
        klog_warn("the store in %s has layout %llu, this build uses %llu: it is emptied and "
                  "rebuilt from the log", path, (unsigned long long) (m.schema ? m.schema : 1),
                  (unsigned long long) schema);
        store_destroy(store);
        char f[PATH_MAX + 32];
        const char *files[] = {"data.mdb", "lock.mdb"};
        for (size_t i = 0; i < 2; i++) {
            snprintf(f, sizeof f, "%s/%s", path, files[i]);
            if (unlink(f) != 0 && errno != ENOENT)
                return errno;
        }
        if ((rc = store_open(store, path, NULL)) != 0)
            return rc;
    }
    return store_write(*store, s_write_schema, &schema);
}

/* ---- the consumer's side ----------------------------------------------------------- */

static int s_apply(void *arg, store_txn_t *txn, const evlog_record_t *rec, const Kefu__Envelope *ev)
{
    kservice_t *self = arg;
    int rc = self->spec->apply(self->arg, txn, rec, ev);
    /* who may act: every daemon keeps the desk's staff (cmdq_staff) */
    if (rc == 0 && ev && ev->body_case == KEFU__ENVELOPE__BODY_STAFF_REGISTERED &&
        ev->staff_registered->staff)
        rc = cmdq_staff(self->cmdq, txn, ev->staff_registered->staff->name,
                        (int) ev->staff_registered->staff->role);
    /* The daemon's own events with a request id: the request's first one
     * is kept (cmdq.h, idempotency), in the same transaction; a reaction
     * of that id is done. */
    if (rc == 0 && ev && ev->producer && strcmp(ev->producer, self->spec->name) == 0 &&
        ev->request_id && ev->request_id[0]) {
        rc = cmdq_record(self->cmdq, txn, rec, ev);
        if (rc == 0 && self->spec->reacts) {
            rc = store_del(txn, self->reactions, ev->request_id, strlen(ev->request_id));
            if (rc == KEFU_ENOTFOUND)
                rc = 0;
        }
    }
    return rc;
}

/* ---- reactions ---------------------------------------------------------------------- */

int kservice_react(kservice_t *self, store_txn_t *txn, const char *request_id,
                   Kefu__Request *req)
{
    if (!self->spec->reacts || !request_id || !request_id[0])
        return KEFU_EINVAL;
    req->request_id = (char *) request_id;
    size_t n = kefu__request__get_packed_size(req);
    uint8_t stackbuf[1024], *buf = n <= sizeof stackbuf ? stackbuf : malloc(n);
    if (!buf)
        return ENOMEM;
    kefu__request__pack(req, buf);
    int rc = store_put(txn, self->reactions, request_id, strlen(request_id), buf, n);
    if (buf != stackbuf)
        free(buf);
    if (rc == 0)
        self->react_new = true;
    return rc;
}

typedef struct {
    kservice_t *svc;
    char id[];
} s_reaction_t;

static int s_forget(store_txn_t *txn, void *arg)
{
    const s_reaction_t *r = arg;
    int rc = store_del(txn, r->svc->reactions, r->id, strlen(r->id));
    return rc == KEFU_ENOTFOUND ? 0 : rc;
}

/* A reaction's outcome: made (its event was applied, which ended it), or
 * refused for good (the rules say no: logged, and forgotten), or not now
 * (the log or the store unavailable: tried again after a later batch). */
static void s_reacted(void *arg, int rc, const char *msg)
{
    s_reaction_t *r = arg;
    kservice_t *self = r->svc;
    bool transient = rc == KEFU_EUNAVAIL || rc == KEFU_ESTOREFULL || rc == KEFU_EINTERNAL;
    if (rc && !transient) {
        klog_warn("%s: the reaction %s was refused and is dropped: %s", self->spec->name, r->id,
                  msg ? msg : kefu_strerror(rc));
        if (store_write(self->store, s_forget, r) != 0)
            klog_warn("can't drop reaction %s now; it is tried again at the next start", r->id);
    } else if (rc)
        self->react_new = true;  /* again after the next batch */
    zhashx_delete(self->reacting, r->id);
    free(r);
}

/* Submits every waiting reaction not in flight. Only past the start gate,
 * so a reaction whose event is in the log already has been applied (and
 * ended) first. */
static void s_react_all(kservice_t *self)
{
    if (!self->spec->reacts || !self->serving || !self->react_new)
        return;
    self->react_new = false;
    store_txn_t *txn;
    store_cursor_t *cur = NULL;
    if (store_read_begin(self->store, &txn) != 0) {
        self->react_new = true;
        return;
    }
    /* collect first: submitting may run a command, which reads the store.
     * Decoded into an arena: cmdq edits a request in place (its actor and
     * body's `by` may then share a string), as it does a control call's. */
    arena_t *a = arena_new(0);
    zlistx_t *todo = zlistx_new();
    if (store_cursor_open(txn, self->reactions, &cur) == 0) {
        const void *k, *v;
        size_t kl, vl;
        while (store_cursor_next(cur, &k, &kl, &v, &vl) == 0) {
            Kefu__Request *req = kefu__request__unpack(arena_pbc(a), vl, v);
            if (req)
                zlistx_add_end(todo, req);
        }
    }
    store_cursor_close(&cur);
    store_txn_end(&txn);
    for (Kefu__Request *req = zlistx_first(todo); req; req = zlistx_next(todo)) {
        const char *id = req->request_id ? req->request_id : "";
        if (!id[0] || zhashx_lookup(self->reacting, id))
            continue;
        s_reaction_t *r = malloc(sizeof *r + strlen(id) + 1);
        r->svc = self;
        strcpy(r->id, id);
        zhashx_insert(self->reacting, r->id, r);
        cmdq_submit_own(self->cmdq, req, s_reacted, r);
    }
    zlistx_destroy(&todo);
    arena_destroy(&a);
}

/* The events the daemon applies: its own range, and spec.also. */
static bool s_want(void *arg, int body)
{
    kservice_t *self = arg;
    if (body >= self->ev_lo && body <= self->ev_hi)
        return true;
    if (body == KEFU__ENVELOPE__BODY_STAFF_REGISTERED)
        return true;  /* who may act: every daemon's (cmdq_staff) */
    for (const int *a = self->spec->also; a && *a; a++)
        if (*a == body)
            return true;
    return false;
}

/* The first answers kept since the last batch go with this one. */
static int s_batch(void *arg, store_txn_t *txn)
{
    kservice_t *self = arg;
    return cmdq_flush(self->cmdq, txn);
}

static void s_applied(void *arg, uint64_t applied, uint64_t head)
{
    kservice_t *self = arg;
    ctlserver_set_position(self->ctl, applied, head);
    cmdq_applied(self->cmdq, applied);
    if (!self->serving && applied >= self->gate) {
        self->serving = true;
        self->react_new = true;  /* those left from before a restart */
#ifdef __GLIBC__
        /* a catch-up's batches (fetched records, decoded events, LMDB's
         * dirty pages) leave MiBs free in the heap that glibc keeps below
         * its top (3.5 MB of sla's rebuild of a million obligations,
         * bench_sla --timers); the burst is over, give them back */
        malloc_trim(0);
#endif
    }
    s_react_all(self);
    if (self->serving && self->spec->tick)
        self->spec->tick(self->arg);
}

/* The store can't take a batch (full): writes are refused, reads go on. */
static void s_failed(void *arg, int rc, uint64_t first)
{
    kservice_t *self = arg;
    (void) first;
    cmdq_store_failing(self->cmdq, rc);
}

static int s_ctl(void *arg, ctl_call_t *call, const Kefu__Request *req, Kefu__Reply *reply)
{
    kservice_t *self = arg;
    return cmdq_submit(self->cmdq, call, req, reply);
}

/* ---- life ------------------------------------------------------------------------------ */

int kservice_new(kservice_t **out, kdaemon_t *d, const kservice_spec_t *spec, void *arg)
{
    *out = NULL;
    kservice_t *self = calloc(1, sizeof *self);
    if (!self)
        return ENOMEM;
    self->d = d;
    self->spec = spec;
    self->arg = arg;
    while (spec->tables && spec->tables[self->ntables])
        self->ntables++;
    self->handles = calloc(self->ntables + 1, sizeof *self->handles);
    char path[PATH_MAX + 16];
    int rc = self->handles ? 0 : ENOMEM;
    if (rc == 0 && site_path(d->site, spec->name, path, sizeof path) != 0)
        rc = ENAMETOOLONG;
    if (rc == 0 && (rc = s_store_open(&self->store, path, spec->schema)) != 0)
        klog_error("can't open the store in %s: %s", path, kefu_strerror(rc));
    for (size_t i = 0; rc == 0 && i < self->ntables; i++)
        if ((rc = store_table(self->store, spec->tables[i], &self->handles[i])) != 0)
            klog_error("can't open table %s: %s", spec->tables[i], kefu_strerror(rc));
    if (rc == 0 && spec->reacts &&
        (rc = store_table(self->store, S_REACTIONS, &self->reactions)) != 0)
        klog_error("can't open table %s: %s", S_REACTIONS, kefu_strerror(rc));
    if (rc == 0 && !(self->reacting = zhashx_new()))
        rc = ENOMEM;
    if (rc == 0 && !(self->log = evlog_client_new(d->site, spec->name)))
        rc = errno ? errno : KEFU_EINTERNAL;
    if (rc == 0 && !(self->ctl = ctlserver_new(d->site, spec->name, d->clock, s_ctl, self)))
        rc = errno ? errno : KEFU_EINTERNAL;
    if (rc == 0)
        ctlserver_set_utc_offset(self->ctl, d->utc_offset_min);
    if (rc == 0 && !(self->cmdq = cmdq_new(self->store, self->log, self->ctl, d->clock,
                                           spec->commands, arg)))
        rc = KEFU_EINTERNAL;
    if (rc == 0 && !(self->consumer = consumer_new(self->store, self->log, s_apply, s_applied,
                                                   self)))
        rc = KEFU_EINTERNAL;
    if (rc) {
        kservice_destroy(&self);
        return rc;
    }
    consumer_on_failure(self->consumer, s_failed);
    consumer_on_batch(self->consumer, s_batch);
    const registry_daemon_t *reg = registry_lookup(spec->name);
    if (reg) {
        self->ev_lo = reg->ev_lo;
        self->ev_hi = reg->ev_hi;
        consumer_set_want(self->consumer, s_want);
    }
    *out = self;
    return 0;
}

/* ---- the daemon's own commands and wake-ups ------------------------------------ */

static void s_submitted(void *arg, int rc, const char *msg)
{
    char *id = arg;
    if (rc)
        klog_debug("own command %s: %s", id, msg ? msg : kefu_strerror(rc));
    free(id);
}

int kservice_submit(kservice_t *self, Kefu__Request *req, const char *request_id)
{
    req->request_id = (char *) request_id;
    char *id = strdup(request_id);
    if (!id)
        return 0;
    cmdq_submit_own(self->cmdq, req, s_submitted, id);
    return 0;
}

/* How long a wake-up timer may run before the wall clock is read again.
 * zloop's timers run on the monotonic clock, so a timer set for a wall
 * time an hour away would sleep through a step of the wall clock forward
 * past it (NTP, a person) for as long as it was set; with the minute this
 * was, a deadline stepped past fired up to a minute late
 * (test_sla_clockstep). A second bounds that lateness, at the cost of one
 * timer and one clock read a second while a wake-up is pending: the
 * daemon's tick is not called for it (s_woken), nothing is scanned. */
#define S_STEP_CHECK_MS 1000

static int s_woken(zloop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    kservice_t *self = arg;
    int64_t at = self->wake_at;
    self->wake_timer = -1;
    self->wake_at = 0;
    if (at > kclock_now(self->d->clock)) {
        /* short of it: a look at the clock (S_STEP_CHECK_MS), or the clock
         * stepped back; wait for what is left, no tick */
        kservice_wake_at(self, at);
        return 0;
    }
    if (self->serving && self->spec->tick)
        self->spec->tick(self->arg);
    return 0;
}

void kservice_wake_at(kservice_t *self, int64_t at_us)
{
    if (!self->loop || kclock_is_sim(self->d->clock))
        return;
    if (self->wake_timer >= 0) {
        if (self->wake_at <= at_us)
            return;  /* an earlier one is set */
        zloop_timer_end(self->loop, self->wake_timer);
        self->wake_timer = -1;
    }
    int64_t ms = (at_us - kclock_now(self->d->clock) + 999) / 1000;
    if (ms < 1)
        ms = 1;
    if (ms > S_STEP_CHECK_MS)
        ms = S_STEP_CHECK_MS;  /* look again within a second: the wall clock may step */
    self->wake_at = at_us;
    self->wake_timer = zloop_timer(self->loop, (size_t) ms, 1, s_woken, self);
}

/* How often the loop lets go of the store's pages it read (see "Memory"
 * at the top): a /proc/self/maps read and one madvise, some tens of us,
 * and afterwards a minor fault per page read again. A second in which no
 * transaction began read nothing, and is skipped: an idle daemon's timer
 * costs a lock. */
#define S_RELEASE_MS 1000

static int s_release(zloop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    kservice_t *self = arg;
    if (store_txns(self->store) == self->released_txns)
        return 0;
    int rc = store_release_pages(self->store);
    self->released_txns = store_txns(self->store);
    if (rc)
        klog_debug("can't let go of the store's pages: %s", kefu_strerror(rc));
    return 0;
}

int kservice_run(kservice_t *self)
{
    zloop_t *loop = zloop_new();
    self->loop = loop;
    self->wake_timer = -1;
    ctlserver_attach(self->ctl, loop);
    evlog_client_attach(self->log, loop);
    cmdq_attach(self->cmdq, loop);
    zloop_timer(loop, S_RELEASE_MS, 0, s_release, self);
    /* Hold commands until the store has caught up with the log as it is
     * now, this daemon's own last appends before a crash included (the
     * log answers the introduction once they are durable). The log may be
     * down: then wait for it. */
    uint64_t head = 0;
    int rc;
    while ((rc = evlog_client_introduce(self->log, &head, 1000)) != 0 && !zsys_interrupted) {
        klog_warn("waiting for the event log: %s", kefu_strerror(rc));
        /* A refusal comes back at once (a site secret not there yet or
         * not readable: evlog_proof.h): don't ask again in a tight loop. */
        if (rc != KEFU_EUNAVAIL)
            zclock_sleep(1000);
    }
    cmdq_gate(self->cmdq, head);
    self->gate = head;
    uint64_t applied = consumer_applied(self->consumer);
    self->started_empty = applied == 0 && head > 0;
    if (self->spec->attach && self->spec->attach(self->arg, loop) != 0)
        klog_error("%s: can't attach its own sockets", self->spec->name);
    s_applied(self, applied, head);
    consumer_start(self->consumer);
    klog_info("serving %s of %s; applied %llu of %llu", self->spec->name, self->d->site,
              (unsigned long long) applied, (unsigned long long) head);
    zloop_start(loop);
    klog_info("stopped at %llu", (unsigned long long) consumer_applied(self->consumer));
    evlog_client_destroy(&self->log);  /* before the loop it is attached to */
    self->loop = NULL;
    zloop_destroy(&loop);
    return 0;
}

void kservice_destroy(kservice_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    kservice_t *self = *self_p;
    consumer_destroy(&self->consumer);
    cmdq_destroy(&self->cmdq);
    if (self->reacting) {
        /* not done: they wait in the store for the next start */
        for (s_reaction_t *r = zhashx_first(self->reacting); r; r = zhashx_next(self->reacting))
            free(r);
        zhashx_destroy(&self->reacting);
    }
    ctlserver_destroy(&self->ctl);
    evlog_client_destroy(&self->log);
    store_destroy(&self->store);
    free(self->handles);
    free(self);
    *self_p = NULL;
}

bool kservice_catching_up(const kservice_t *self, uint64_t seq)
{
    return self->started_empty && seq <= self->gate;
}

store_t *kservice_store(kservice_t *self)
{
    return self->store;
}

store_table_t kservice_table(kservice_t *self, const char *name)
{
    for (size_t i = 0; i < self->ntables; i++)
        if (strcmp(self->spec->tables[i], name) == 0)
            return self->handles[i];
    klog_error("%s has no table %s", self->spec->name, name);
    abort();
}
