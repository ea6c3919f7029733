/* fuzz_cmd.h: a daemon's command handlers under fuzzed requests, for
 * fuzz_cmd.c, built once per daemon on the kit (fuzz_cmd_intake,
 * fuzz_cmd_sched, fuzz_cmd_sla, fuzz_cmd_net: the Makefile's FUZZ_CMD).
 *
 * Each input is a short session against a fresh daemon: the real one
 * (NAME_new on a temporary site: its store, tables, policy and kit), a
 * command queue of our own on its store (cmdq_new, the daemon's command
 * table), and the log's place taken by this file (cmdq_set_append). A
 * request goes the way a control call does: ctlserver's checks first
 * (size, decoding into an arena, a request kind, kvalid_request), then
 * cmdq_submit (the actor rule, keys, idempotency, the row's exec against
 * the store or a read's answer). A write's events are checked as the log
 * client checks them (evlog_event_check), numbered, acknowledged, and
 * applied as the kit's consumer applies them (the daemon's apply, staff,
 * cmdq_record, cmdq_flush in one transaction, then cmdq_applied), so the
 * next request meets the state the last one made.
 *
 * The input: records of [flags u8][len u16 LE][len bytes: a packed
 * Request]; flags bit 0 set leaves the log unanswered before the next
 * request (its events wait, so commands queue behind held keys), and
 * everything is answered at the end. A reply is packed and printed as
 * JSON as kefuctl would. Commands run as the daemon's own (no caller):
 * the roles of staff are not checked (cmdq's s_may needs a control call).
 *
 * What fails the target: a crash or sanitizer report, an event a handler
 * made that the log would refuse as invalid (a handler's bug: the caller
 * would get "can't reach the event log"), and a reply that does not pack.
 */
#ifndef KEFU_FUZZ_CMD_H
#define KEFU_FUZZ_CMD_H

#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "arena.h"
#include "cmdq.h"
#include "evlog_event.h"
#include "evlog_record.h"
#include "kclock.h"
#include "kdaemon.h"
#include "kerr.h"
#include "kservice.h"
#include "kvalid.h"
#include "pbjson.h"
#include "site.h"

#define FUZZ_CMD_MAX_REQUESTS 40
#define FUZZ_CMD_START_US 1795397400000000LL   /* 2026-11-23T09:30:00+08:00, a Monday */

/* What a daemon's target says about its daemon. */
typedef struct {
    const char *name;                                     /* "intake" */
    int (*make)(void **out, kdaemon_t *d);                /* NAME_new */
    void (*unmake)(void **self_p);                        /* NAME_destroy */
    kservice_t *(*svc)(void *self);                       /* its kit */
    const cmd_table_t *table;
    consumer_apply_fn *apply;
} fuzz_daemon_t;

/* An append waiting for the log's answer. */
typedef struct fz_batch {
    evlog_ack_fn *cb;
    void *cb_arg;
    size_t n;
    uint8_t *recs[CMDQ_MAX_EVENTS];   /* each a record (evlog_record.h) */
    size_t lens[CMDQ_MAX_EVENTS];
    struct fz_batch *next;
} fz_batch_t;

typedef struct {
    const fuzz_daemon_t *fd;
    void *daemon;
    cmdq_t *q;
    store_t *store;
    uint64_t seq, producer_seq;
    fz_batch_t *batches, **tail;
    arena_t *arena;
} fz_session_t;

static int s_fz_append(void *arg, Kefu__Envelope **events, size_t n, evlog_ack_fn *cb,
                       void *cb_arg)
{
    fz_session_t *s = arg;
    fz_batch_t *b = calloc(1, sizeof *b);
    if (!b)
        abort();
    for (size_t i = 0; i < n; i++) {
        events[i]->producer = (char *) s->fd->name;
        events[i]->has_producer_seq = true;
        events[i]->producer_seq = s->producer_seq + 1 + i;
        size_t len = kefu__envelope__get_packed_size(events[i]);
        char why[512];
        int rc = evlog_event_check(events[i], len, why, sizeof why);
        if (rc == KEFU_ETOOLARGE) {   /* a big but valid input copied into an event */
            for (size_t j = 0; j < i; j++)
                free(b->recs[j]);
            free(b);
            return rc;
        }
        if (rc) {
            fprintf(stderr, "fuzz_cmd: %s made an event the log refuses: %s\n", s->fd->name, why);
            abort();
        }
        uint8_t *packed = malloc(len);
        b->recs[i] = malloc(evlog_record_size(len + 11));
        if (!packed || !b->recs[i])
            abort();
        kefu__envelope__pack(events[i], packed);
        b->lens[i] = evlog_record_write_event(b->recs[i], s->seq + 1 + i, packed, len);
        free(packed);
    }
    s->producer_seq += n;
    s->seq += n;
    b->n = n;
    b->cb = cb;
    b->cb_arg = cb_arg;
    *s->tail = b;
    s->tail = &b->next;
    return 0;
}

/* Applies one batch's records as the kit's consumer does (kservice.c's
 * s_apply, then the batch hook). */
typedef struct {
    fz_session_t *s;
    fz_batch_t *b;
} fz_apply_t;

static int s_fz_apply_all(store_txn_t *txn, void *arg)
{
    fz_apply_t *a = arg;
    fz_session_t *s = a->s;
    for (size_t i = 0; i < a->b->n; i++) {
        evlog_record_t rec;
        if (evlog_record_read(a->b->recs[i], a->b->lens[i], &rec) == 0)
            abort();   /* our own record */
        arena_reset(s->arena);
        Kefu__Envelope *ev = kefu__envelope__unpack(arena_pbc(s->arena), rec.len, rec.data);
        if (!ev)
            abort();
        int rc = s->fd->apply(s->daemon, txn, &rec, ev);
        if (rc == 0 && ev->body_case == KEFU__ENVELOPE__BODY_STAFF_REGISTERED &&
            ev->staff_registered->staff)
            rc = cmdq_staff(s->q, txn, ev->staff_registered->staff->name,
                            (int) ev->staff_registered->staff->role);
        if (rc == 0 && ev->request_id && ev->request_id[0])
            rc = cmdq_record(s->q, txn, &rec, ev);
        if (rc)
            return rc;
    }
    return cmdq_flush(s->q, txn);
}

/* The log answers every append waiting, and the consumer applies them. */
static void s_fz_settle(fz_session_t *s)
{
    while (s->batches) {
        fz_batch_t *b = s->batches;
        s->batches = b->next;
        if (!s->batches)
            s->tail = &s->batches;
        uint64_t seqs[CMDQ_MAX_EVENTS];
        evlog_record_t rec;
        for (size_t i = 0; i < b->n; i++)
            seqs[i] = evlog_record_read(b->recs[i], b->lens[i], &rec) ? rec.seq : 0;
        fz_apply_t a = {s, b};
        int rc = store_write(s->store, s_fz_apply_all, &a);
        if (getenv("FUZZ_VERBOSE"))
            fprintf(stderr, "fuzz_cmd: %zu events applied, up to seq %" PRIu64 "\n", b->n,
                    seqs[b->n - 1]);
        b->cb(b->cb_arg, 0, seqs, b->n);   /* may run queued commands: more batches */
        if (rc) {
            /* The daemon's own events, just made by its checks: an applier
             * that can't take them is a bug (the real consumer would stop
             * there and try again forever). */
            fprintf(stderr, "fuzz_cmd: %s can't apply its own events: %s\n", s->fd->name,
                    kefu_strerror(rc));
            abort();
        }
        cmdq_applied(s->q, seqs[b->n - 1]);
        for (size_t i = 0; i < b->n; i++)
            free(b->recs[i]);
        free(b);
    }
}

static int s_fz_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void) st, (void) flag, (void) ftw;
    return remove(path);
}

/* One request as ctlserver's s_handle takes it (its 1 MiB limit is never
 * reached here: a record holds at most 64 KiB), then cmdq. */
static void s_fz_request(fz_session_t *s, const uint8_t *body, size_t len)
{
    arena_t *a = arena_new(0);
    Kefu__Request *req = kefu__request__unpack(arena_pbc(a), len, body);
    char err[512];
    if (req && req->req_case != KEFU__REQUEST__REQ__NOT_SET &&
        req->req_case != KEFU__REQUEST__REQ_STATUS && req->req_case != KEFU__REQUEST__REQ_SYNC &&
        kvalid_request(&req->base, body, len, err, sizeof err) == 0) {
        Kefu__Reply reply = KEFU__REPLY__INIT;
        int rc = cmdq_submit(s->q, NULL, req, &reply);
        if (getenv("FUZZ_VERBOSE"))
            fprintf(stderr, "fuzz_cmd: request %d: %s\n", (int) req->req_case,
                    rc == CTL_DEFER ? "in flight" : kefu_strerror(rc));
        if (rc == 0) {
            size_t n = kefu__reply__get_packed_size(&reply);
            uint8_t *out = malloc(n + 1);
            if (!out || kefu__reply__pack(&reply, out) != n)
                abort();
            free(out);
            json_t *j = pbjson_from_message(&reply.base, 480);
            json_decref(j);
        }
    }
    arena_destroy(&a);
}

static int fuzz_cmd_run(const fuzz_daemon_t *fd, const uint8_t *data, size_t size)
{
    const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    char dir[256];
    snprintf(dir, sizeof dir, "%s/kefu-fuzz-%s-XXXXXX", base, fd->name);
    if (!mkdtemp(dir))
        abort();
    /* A simulated site clock, so every run sees the same time. */
    char path[512];
    snprintf(path, sizeof path, "%s/run", dir);
    if (mkdir(path, 0700) != 0)
        abort();
    snprintf(path, sizeof path, "%s/run/clock", dir);
    if (kclock_site_init(path, true, FUZZ_CMD_START_US) != 0)
        abort();
    char prog[64];
    snprintf(prog, sizeof prog, "kefu-%s", fd->name);
    char *argv[] = {prog, "--dir", dir, "--set", "log.level=error", NULL};
    optind = 0;   /* glibc: a fresh getopt for each kdaemon_init */
    kdaemon_t d;
    if (kdaemon_init(&d, fd->name, NULL, 5, argv) != 0)
        abort();
    fz_session_t s = {.fd = fd};
    s.tail = &s.batches;
    s.arena = arena_new(0);
    if (fd->make(&s.daemon, &d) != 0)
        abort();
    s.store = kservice_store(fd->svc(s.daemon));
    kclock_t *clock = kclock_new_manual(FUZZ_CMD_START_US);
    s.q = cmdq_new(s.store, NULL, NULL, clock, fd->table, s.daemon);
    if (!s.q)
        abort();
    cmdq_set_append(s.q, s_fz_append, &s);

    size_t off = 0;
    for (int i = 0; i < FUZZ_CMD_MAX_REQUESTS && off + 3 <= size; i++) {
        uint8_t flags = data[off];
        size_t len = (size_t) data[off + 1] | (size_t) data[off + 2] << 8;
        off += 3;
        if (len > size - off)
            len = size - off;
        s_fz_request(&s, data + off, len);
        off += len;
        if (!(flags & 1))
            s_fz_settle(&s);
        kclock_set(clock, kclock_now(clock) + 60 * 1000000LL);   /* a minute between requests */
    }
    s_fz_settle(&s);

    cmdq_destroy(&s.q);
    kclock_destroy(&clock);
    fd->unmake(&s.daemon);
    kdaemon_fini(&d);
    arena_destroy(&s.arena);
    nftw(dir, s_fz_rm, 16, FTW_DEPTH | FTW_PHYS);
    return 0;
}

#endif
