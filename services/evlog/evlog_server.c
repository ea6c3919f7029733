/* evlog_server.c: the log daemon's request handling and group commit.
 *
 * Threads
 * -------
 * The main thread runs a zloop: it reads requests from the ROUTER, checks
 * them, assigns log seqs and writes records into the *open batch* (a
 * memory buffer). The syncer thread takes one batch at a time, writes it
 * and fdatasyncs it (evlog_store_write_batch). While the syncer is busy,
 * everything that arrives goes into the next open batch: that is the
 * group commit, and under load each fdatasync covers every request that
 * came in during the previous one. The two threads talk over an inproc
 * PAIR carrying batch pointers; a batch belongs to exactly one thread at a
 * time.
 *
 * Acknowledgement
 * ---------------
 * An append's reply waits in a FIFO until the durable head reaches the
 * last seq it was given ("need"). Only after a batch's fdatasync has
 * returned are its records committed to the read side, published on the
 * PUB socket and acknowledged, so no client and no subscriber ever sees an
 * event the log could lose. If the write or the fdatasync fails the
 * daemon exits at once without acknowledging: after a failed fdatasync the
 * page cache can't be trusted, and recovery on restart cuts the log at the
 * last valid record.
 *
 * Checks
 * ------
 * Every event of an append is checked before any is taken (all or
 * none). The log reads what it needs (producer, producer_seq, the body's
 * type for its owner) off the event's bytes with evlog_event_scan(),
 * which also walks the body against its descriptor; it decodes an event
 * (protobuf-c) and checks it whole (evlog_event_check) only when the
 * scan is not sure, so a bad event gets the same typed refusal as
 * before, and an event is accepted only if the full check would accept
 * it. Decoding and re-validating every event cost more than half of the
 * append path (the client has checked each one already).
 *
 * Producer ids
 * ------------
 * A daemon's name in the registry is its producer id and nobody else's
 * (evlog_proof.h): a hello or an append as `intake` must carry intake's
 * proof, a keyed hash of the name under the site secret, which the log
 * creates in its store at start, before it binds a socket. Without that,
 * a local client appending as `intake` took intake's next producer_seq,
 * and intake's real event was answered as a retry and dropped. The
 * proofs are computed once at start, so a request costs a walk of the
 * registry's few rows and one 32-byte constant-time compare, nothing per
 * event. The log's own id, `evlog`, is refused on the socket whatever it
 * carries: the log writes its events (ClockAdvanced) itself, so no
 * client can move the clock through the log. Other names need no proof.
 *
 * Idempotency
 * -----------
 * Each event carries (producer, producer_seq). producer_seq must be
 * last + 1 (ERR_GAP otherwise, with the expected value); an event with
 * producer_seq <= last is a retry and is answered with its original seq
 * (producers.h) without being written again; a retry older than the
 * table's window is refused (ERR_CONFLICT), since its seq is no longer
 * known. The producer table is rebuilt on start, so this holds across
 * restarts: from the log's newest checkpoint and the records after it
 * (evlog_state.h; evlog_store.c, "Checkpoints"), so the start-up does not
 * grow with the log. After a commit that makes one due the main thread
 * hands its state to the store, as of the last seq it assigned; the store
 * writes it once that seq is durable. One more goes at a clean stop.
 *
 * Clock
 * -----
 * The log daemon owns the site clock: `kefuctl clock advance` appends a
 * ClockAdvanced event, and once it is durable moves the shared clock file
 * (kclock.h) and answers. Every daemon thus sees the new time at once and
 * can find the step in the log.
 */
#include "evlog_server.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "ctlserver.h"
#include "evlog.pb-c.h"
#include "evlog_event.h"
#include "evlog_proof.h"
#include "evlog_record.h"
#include "evlog_state.h"
#include "evlog_store.h"
#include "evlog_sync.h"
#include "kerr.h"
#include "klog.h"
#include "kvalid.h"
#include "ktime.h"
#include "kzmq.h"
#include "pbwire.h"
#include "registry.h"
#include "site.h"

#define S_PRODUCER "evlog"           /* the daemon's own events (clock) */
#define S_FETCH_BYTES (1024 * 1024)  /* default bytes per fetch reply */
#define S_FETCH_BYTES_MAX (4 * 1024 * 1024)
#define S_HEARTBEAT_MS 1000

enum { S_ACK_APPEND, S_ACK_HELLO };

/* A reply waiting for the durable head to reach `need`. */
typedef struct {
    uint8_t id[256];
    uint8_t idlen;
    uint8_t kind;
    uint64_t corr;
    uint64_t need;
    size_t seq_off;   /* APPEND: seqs in self->seqpool */
    uint32_t nseq, dups;
    producer_t *producer;  /* HELLO */
} s_ack_t;

/* A clock advance waiting for its event to be durable. */
typedef struct s_clockwait {
    ctl_call_t *call;
    uint64_t need;
    int64_t to;
    struct s_clockwait *next;
} s_clockwait_t;

struct evlog_server_t {
    kdaemon_t *d;
    zloop_t *loop;
    zsock_t *router, *pub;
    evlog_sync_t *sync;         /* the syncer thread */
    ctlserver_t *ctl;
    evlog_store_t *store;
    /* the producer table, clock requests by id, the clock's furthest
     * point: what recovery rebuilds (evlog_state.h) */
    evlog_state_t *state;
    arena_t *arena;

    evlog_batch_t *open;        /* filled by the main thread */
    uint64_t assigned;          /* last seq given out */
    uint64_t fetch_max;
    size_t max_batch;

    s_ack_t *acks;              /* FIFO: acks[ack_head .. nacks) */
    size_t ack_head, nacks, capacks;
    uint64_t *seqpool;
    size_t nseq, capseq;

    uint64_t nbatches, nevents;  /* for the stop line */
    int64_t sync_us;
    s_clockwait_t *clockwaits, **clockwaits_tail;
    int64_t clock_target;       /* where pending advances will put the clock */
    /* proofs[i]: registry_daemons[i]'s proof under the site secret
     * ("Producer ids" at the top) */
    uint8_t (*proofs)[EVLOG_PROOF_BYTES];
};

/* ---- replies -------------------------------------------------------------- */

static void s_send_reply(evlog_server_t *self, const uint8_t *id, size_t idlen,
                         Kefu__LogReply *reply, zmq_msg_t *records)
{
    void *h = zsock_resolve(self->router);
    size_t len = kefu__log_reply__get_packed_size(reply);
    uint8_t stack[8192];
    uint8_t *buf = len <= sizeof stack ? stack : malloc(len);
    if (!buf)
        return;
    kefu__log_reply__pack(reply, buf);
    if (zmq_send(h, id, idlen, ZMQ_SNDMORE | ZMQ_DONTWAIT) >= 0) {
        if (records) {
            zmq_send(h, buf, len, ZMQ_SNDMORE);
            zmq_msg_send(records, h, 0);
        } else
            zmq_send(h, buf, len, 0);
    }
    if (buf != stack)
        free(buf);
}

static void s_send_error(evlog_server_t *self, const uint8_t *id, size_t idlen,
                         uint64_t corr, int rc, uint64_t expected, const char *msg)
{
    Kefu__LogReply reply = KEFU__LOG_REPLY__INIT;
    Kefu__Error err = KEFU__ERROR__INIT;
    reply.has_corr = true;
    reply.corr = corr;
    err.has_code = true;
    err.code = (Kefu__ErrorCode) kefu_err_to_wire(rc);
    err.message = (char *) msg;
    if (rc == KEFU_EGAP) {
        err.has_expected = true;
        err.expected = expected;
    }
    reply.error = &err;
    s_send_reply(self, id, idlen, &reply, NULL);
}

static void s_send_ack(evlog_server_t *self, const s_ack_t *a)
{
    Kefu__LogReply reply = KEFU__LOG_REPLY__INIT;
    reply.has_corr = true;
    reply.corr = a->corr;
    Kefu__AppendReply ar = KEFU__APPEND_REPLY__INIT;
    Kefu__HelloReply hr = KEFU__HELLO_REPLY__INIT;
    if (a->kind == S_ACK_APPEND) {
        ar.n_seqs = a->nseq;
        ar.seqs = self->seqpool + a->seq_off;
        ar.has_duplicates = a->dups > 0;
        ar.duplicates = a->dups;
        reply.rep_case = KEFU__LOG_REPLY__REP_APPEND;
        reply.append = &ar;
    } else {
        hr.has_last_producer_seq = true;
        hr.last_producer_seq = a->producer ? producer_last(a->producer) : 0;
        hr.has_head = true;
        hr.head = evlog_store_head(self->store);
        reply.rep_case = KEFU__LOG_REPLY__REP_HELLO;
        reply.hello = &hr;
    }
    s_send_reply(self, a->id, a->idlen, &reply, NULL);
}

static s_ack_t *s_ack_push(evlog_server_t *self, const uint8_t *id, size_t idlen,
                           uint64_t corr, int kind)
{
    if (self->nacks == self->capacks) {
        if (self->ack_head > 0) {
            /* Slide the live part down rather than grow. */
            memmove(self->acks, self->acks + self->ack_head,
                    (self->nacks - self->ack_head) * sizeof *self->acks);
            self->nacks -= self->ack_head;
            self->ack_head = 0;
        }
        if (self->nacks == self->capacks) {
            self->capacks = self->capacks ? 2 * self->capacks : 256;
            self->acks = realloc(self->acks, self->capacks * sizeof *self->acks);
            if (!self->acks)
                abort();
        }
    }
    s_ack_t *a = &self->acks[self->nacks++];
    memcpy(a->id, id, idlen);
    a->idlen = (uint8_t) idlen;
    a->kind = (uint8_t) kind;
    a->corr = corr;
    a->need = 0;
    a->seq_off = self->nseq;
    a->nseq = a->dups = 0;
    a->producer = NULL;
    return a;
}

static void s_seq_push(evlog_server_t *self, uint64_t seq)
{
    if (self->nseq == self->capseq) {
        self->capseq = self->capseq ? 2 * self->capseq : 4096;
        self->seqpool = realloc(self->seqpool, self->capseq * sizeof *self->seqpool);
        if (!self->seqpool)
            abort();
    }
    self->seqpool[self->nseq++] = seq;
}

/* Sends every waiting reply whose records are durable, in arrival order. */
static void s_release(evlog_server_t *self)
{
    uint64_t head = evlog_store_head(self->store);
    while (self->ack_head < self->nacks && self->acks[self->ack_head].need <= head)
        s_send_ack(self, &self->acks[self->ack_head++]);
    if (self->ack_head == self->nacks)
        self->ack_head = self->nacks = self->nseq = 0;

    while (self->clockwaits && self->clockwaits->need <= head) {
        s_clockwait_t *w = self->clockwaits;
        self->clockwaits = w->next;
        if (!self->clockwaits)
            self->clockwaits_tail = &self->clockwaits;
        Kefu__Reply reply = KEFU__REPLY__INIT;
        Kefu__ClockAdvanceReply car = KEFU__CLOCK_ADVANCE_REPLY__INIT;
        /* A repeated request finds the clock already there (or past it). */
        int rc = kclock_now(self->d->clock) >= w->to ? 0 : kclock_set(self->d->clock, w->to);
        if (rc)
            ctlserver_fail(self->ctl, &w->call, rc, "the clock could not be moved");
        else {
            car.has_now = true;
            car.now = w->to;
            reply.rep_case = KEFU__REPLY__REP_CLOCK_ADVANCE;
            reply.clock_advance = &car;
            ctlserver_reply(self->ctl, &w->call, &reply);
        }
        free(w);
    }
}

/* ---- the open batch and group commit ------------------------------------ */

static void s_batch_reserve(evlog_batch_t *b, size_t more)
{
    if (b->len + more <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 1024 * 1024;
    while (cap < b->len + more)
        cap *= 2;
    b->buf = realloc(b->buf, cap);
    if (!b->buf)
        abort();
    b->cap = cap;
}

/* Writes one event (as packed by its producer) into the open batch as the
 * next seq and returns that seq. */
static uint64_t s_batch_put(evlog_server_t *self, const uint8_t *event, size_t len)
{
    evlog_batch_t *b = self->open;
    uint64_t seq = ++self->assigned;
    s_batch_reserve(b, evlog_record_size(len + 11));
    b->len += evlog_record_write_event(b->buf + b->len, seq, event, len);
    if (b->first == 0)
        b->first = seq;
    b->last = seq;
    return seq;
}

static void s_done(evlog_server_t *self, evlog_batch_t *b);
static void s_checkpoint(evlog_server_t *self, bool force);

static void s_kick(evlog_server_t *self)
{
    evlog_batch_t *done = evlog_sync_submit(self->sync, &self->open);
    if (done)
        s_done(self, done);
}

static void s_publish(evlog_server_t *self, const uint8_t *records, size_t len)
{
    uint8_t head[8];
    uint64_t h = evlog_store_head(self->store);
    for (int i = 0; i < 8; i++)
        head[i] = (uint8_t) (h >> (8 * i));
    void *p = zsock_resolve(self->pub);
    zmq_send(p, head, 8, ZMQ_SNDMORE | ZMQ_DONTWAIT);
    zmq_send(p, records, len, ZMQ_DONTWAIT);
}

/* The syncer finished a batch: make it readable, publish it, answer. */
static void s_done(evlog_server_t *self, evlog_batch_t *b)
{
    if (b->rc) {
        klog_error("can't write the log (seq %" PRIu64 "..%" PRIu64 "): %s; "
                   "stopping without acknowledging them",
                   b->first, b->last, strerror(b->rc));
        _exit(1);
    }
    evlog_store_commit(self->store, b);
    s_checkpoint(self, false);
    self->nbatches++;
    self->nevents += b->last - b->first + 1;
    self->sync_us += b->sync_us;
    /* The clock moves before its ClockAdvanced event is published, so a
     * daemon that applies the event and reads the clock sees the new time
     * (the SLA watchers fire on it). */
    uint64_t durable = evlog_store_head(self->store);
    for (s_clockwait_t *w = self->clockwaits; w && w->need <= durable; w = w->next)
        if (kclock_now(self->d->clock) < w->to)
            kclock_set(self->d->clock, w->to);
    s_publish(self, b->buf, b->len);
    evlog_sync_release(self->sync, b);
    s_release(self);
    uint64_t head = evlog_store_head(self->store);
    ctlserver_set_position(self->ctl, head, head);
}

static int s_synced(zloop_t *loop, zsock_t *sock, void *arg)
{
    (void) loop;
    (void) sock;
    evlog_server_t *self = arg;
    evlog_batch_t *b;
    while ((b = evlog_sync_done(self->sync, 0)))
        s_done(self, b);
    return 0;
}

/* ---- requests -------------------------------------------------------------- */

/* Whether a client may hello or append as producer name (len bytes):
 * any name that is no daemon's; a daemon's only with its proof; the
 * log's own never ("Producer ids" at the top). Returns 0, or
 * KEFU_EFORBIDDEN with the reason in why. */
static int s_producer_allowed(const evlog_server_t *self, const char *name, size_t len,
                              bool has_proof, const ProtobufCBinaryData *proof,
                              char *why, size_t cap)
{
    for (size_t i = 0; registry_daemons[i].name; i++) {
        const char *d = registry_daemons[i].name;
        if (strlen(d) != len || memcmp(d, name, len) != 0)
            continue;
        bool own = strcmp(d, S_PRODUCER) == 0;
        if (!own && has_proof && proof->len == EVLOG_PROOF_BYTES &&
            evlog_proof_equal(proof->data, self->proofs[i]))
            return 0;
        snprintf(why, cap, "producer %s is the %s daemon's; a client may not hello or append as it "
                           "(%s)", d, d,
                 own ? "the log writes its own events"
                     : has_proof ? "its proof does not match this site's secret"
                                 : "no proof of the site secret: docs/protocol.md \"Producer ids\"");
        return KEFU_EFORBIDDEN;
    }
    return 0;
}

static void s_hello(evlog_server_t *self, const uint8_t *id, size_t idlen, uint64_t corr,
                    const Kefu__HelloRequest *hr)
{
    /* Answer once the producer's own last event is durable, so the last
     * seq it is told is one the log can't lose (and a daemon restarting
     * after a crash waits for its predecessor's last appends). Not on
     * everyone's: a new producer is answered at once even while a batch
     * waits for room on a full disk, and learns from its first append
     * that the log is full. A client sends a hello with nothing else in
     * flight, so answering it ahead of the queue keeps its order. */
    char why[256];
    if (hr->producer && s_producer_allowed(self, hr->producer, strlen(hr->producer),
                                           hr->has_proof, &hr->proof, why, sizeof why)) {
        s_send_error(self, id, idlen, corr, KEFU_EFORBIDDEN, 0, why);
        return;
    }
    producer_t *p = hr->producer && hr->producer[0]
                        ? producers_get(self->state->producers, hr->producer, 0) : NULL;
    uint64_t need = p && producer_last(p) ? producer_lookup(p, producer_last(p)) : 0;
    if (need <= evlog_store_head(self->store)) {
        s_ack_t now = {.kind = S_ACK_HELLO, .corr = corr, .producer = p,
                       .idlen = (uint8_t) idlen};
        memcpy(now.id, id, idlen);
        s_send_ack(self, &now);
        return;
    }
    s_ack_t *a = s_ack_push(self, id, idlen, corr, S_ACK_HELLO);
    a->producer = p;
    a->need = need;
}

/* Appends the events of one request, all or none of them checked first. */
static void s_append(evlog_server_t *self, const uint8_t *id, size_t idlen, uint64_t corr,
                     const Kefu__AppendRequest *ar)
{
    char err[600], why[512];
    size_t n = ar->n_events;
    if (n == 0) {
        s_send_error(self, id, idlen, corr, KEFU_EBADREQ, 0, "append with no events");
        return;
    }
    if (n > self->max_batch) {
        snprintf(err, sizeof err, "append of %zu events; the limit is %zu", n, self->max_batch);
        s_send_error(self, id, idlen, corr, KEFU_ETOOLARGE, 0, err);
        return;
    }
    /* Each event is read off its bytes (evlog_event_scan; "Checks" at the
     * top). Only an event the scan is unsure of is decoded and checked
     * whole, which also words the refusal. */
    evlog_event_info_t *info = arena_alloc(self->arena, n * sizeof *info);
    for (size_t i = 0; i < n; i++) {
        const ProtobufCBinaryData *raw = &ar->events[i];
        int rc = 0;
        if (evlog_event_scan(raw->data, raw->len, &info[i]) != 0) {
            Kefu__Envelope *ev = raw->len <= EVLOG_MAX_EVENT
                                     ? kefu__envelope__unpack(arena_pbc(self->arena),
                                                              raw->len, raw->data)
                                     : NULL;
            if (raw->len > EVLOG_MAX_EVENT) {
                rc = KEFU_ETOOLARGE;
                snprintf(why, sizeof why, "event is %zu bytes; the limit is %d",
                         raw->len, EVLOG_MAX_EVENT);
            } else if (!ev) {
                rc = KEFU_EBADREQ;
                snprintf(why, sizeof why, "not a kefu Envelope");
            } else
                rc = evlog_event_check(ev, raw->len, why, sizeof why);
            if (rc == 0)
                info[i] = (evlog_event_info_t){.producer = ev->producer,
                                               .producer_len = strlen(ev->producer),
                                               .producer_seq = ev->producer_seq,
                                               .body = (int) ev->body_case};
        }
        if (rc == 0 && info[i].producer_len > KVALID_MAX_ID) {   /* kvalid's limit */
            rc = KEFU_ETOOLARGE;
            snprintf(why, sizeof why, "envelope.producer is over %d bytes", KVALID_MAX_ID);
        }
        if (rc == 0 && (info[i].producer_len != info[0].producer_len ||
                        memcmp(info[i].producer, info[0].producer, info[0].producer_len))) {
            rc = KEFU_EBADREQ;
            snprintf(why, sizeof why, "all events of an append must have one producer");
        }
        /* Every event type has one owner (the registry, daemons.def): only
         * that daemon's producer writes it, so nobody else's events change
         * its state. Probes are anyone's. */
        const registry_daemon_t *owner =
            rc == 0 && info[i].body != KEFU__ENVELOPE__BODY_PROBE
                ? registry_for_event(info[i].body) : NULL;
        if (owner && (strlen(owner->name) != info[i].producer_len ||
                      memcmp(owner->name, info[i].producer, info[i].producer_len))) {
            rc = KEFU_EFORBIDDEN;
            snprintf(why, sizeof why, "a %s event is %s's to write, not producer %.*s's",
                     evlog_event_body_name(info[i].body), owner->name,
                     (int) info[i].producer_len, info[i].producer);
        }
        if (rc == 0 && info[i].producer_seq != info[0].producer_seq + i) {
            rc = KEFU_EBADREQ;
            snprintf(why, sizeof why, "producer_seq must be consecutive within an append");
        }
        if (rc) {
            snprintf(err, sizeof err, "event %zu: %s", i, why);
            s_send_error(self, id, idlen, corr, rc, 0, err);
            return;
        }
    }
    /* Before the producer is looked up (or made): a refused impostor
     * leaves no trace in the table. */
    if (s_producer_allowed(self, info[0].producer, info[0].producer_len, ar->has_proof,
                           &ar->proof, why, sizeof why)) {
        s_send_error(self, id, idlen, corr, KEFU_EFORBIDDEN, 0, why);
        return;
    }
    char producer[KVALID_MAX_ID + 1];
    memcpy(producer, info[0].producer, info[0].producer_len);
    producer[info[0].producer_len] = '\0';
    producer_t *p = producers_get(self->state->producers, producer, 1);
    uint64_t last = producer_last(p), first = info[0].producer_seq;
    if (first + n - 1 > last && evlog_sync_full(self->sync)) {
        /* New events while the disk has no room for the next segment:
         * refused at once, nothing assigned (evlog_sync.h). Retries of
         * events already taken are answered as usual below. */
        snprintf(err, sizeof err, "the log's disk is full: no room for a new segment of "
                                  "evlog.segment_mb; nothing was written");
        s_send_error(self, id, idlen, corr, KEFU_ESTOREFULL, 0, err);
        return;
    }
    if (first > last + 1) {
        snprintf(err, sizeof err, "producer %s: producer_seq %" PRIu64 " but the log expects %" PRIu64,
                 producer, first, last + 1);
        s_send_error(self, id, idlen, corr, KEFU_EGAP, last + 1, err);
        return;
    }
    if (first <= last && producer_lookup(p, first) == 0) {
        /* A retry of events this log holds but whose seqs it no longer
         * remembers (older than the dedup window): refused, never
         * answered with a seq it can't vouch for. The shipped client
         * can't send one (EVLOG_CLIENT_SPAN). */
        snprintf(err, sizeof err,
                 "producer %s: producer_seq %" PRIu64 " is a retry older than the last %d "
                 "events of this producer; the log holds it but no longer knows its seq",
                 producer, first, EVLOG_DEDUP_WINDOW);
        s_send_error(self, id, idlen, corr, KEFU_ECONFLICT, 0, err);
        return;
    }
    s_ack_t *a = s_ack_push(self, id, idlen, corr, S_ACK_APPEND);
    for (size_t i = 0; i < n; i++) {
        uint64_t pseq = first + i, seq;
        if (pseq <= last) {
            seq = producer_lookup(p, pseq);
            a->dups++;
        } else {
            seq = s_batch_put(self, ar->events[i].data, ar->events[i].len);
            producer_put(p, pseq, seq);
        }
        s_seq_push(self, seq);
        a->nseq++;
        if (seq > a->need)
            a->need = seq;
    }
}

static void s_fetch(evlog_server_t *self, const uint8_t *id, size_t idlen, uint64_t corr,
                    const Kefu__FetchRequest *fr)
{
    uint64_t from = fr->from ? fr->from : 1;
    size_t max = fr->max_events && fr->max_events < self->fetch_max ? fr->max_events
                                                                    : self->fetch_max;
    size_t max_bytes = fr->max_bytes ? fr->max_bytes : S_FETCH_BYTES;
    if (max_bytes > S_FETCH_BYTES_MAX)
        max_bytes = S_FETCH_BYTES_MAX;
    const uint8_t *data;
    size_t len;
    size_t count = evlog_store_read(self->store, from, max, max_bytes, &data, &len);

    Kefu__LogReply reply = KEFU__LOG_REPLY__INIT;
    Kefu__FetchReply f = KEFU__FETCH_REPLY__INIT;
    reply.has_corr = true;
    reply.corr = corr;
    f.has_first = true;
    f.first = count ? from : 0;
    f.has_count = true;
    f.count = (uint32_t) count;
    f.has_head = true;
    f.head = evlog_store_head(self->store);
    reply.rep_case = KEFU__LOG_REPLY__REP_FETCH;
    reply.fetch = &f;
    /* Durable bytes never change while the store is open: send them from
     * the map without copying. */
    zmq_msg_t records;
    zmq_msg_init_data(&records, (void *) data, len, NULL, NULL);
    s_send_reply(self, id, idlen, &reply, &records);
    zmq_msg_close(&records);
}

/* The corr of a request too large to decode: LogRequest field 1 read off
 * the message's top level (pbwire.h: nothing inside the other fields is
 * read, so this costs a few steps however large the request). 0 when the
 * top level does not read as protobuf to its end. */
static uint64_t s_peek_corr(const uint8_t *p, size_t len)
{
    uint64_t corr;
    return pbwire_last_field1(p, len, &corr) ? corr : 0;
}

static void s_request(evlog_server_t *self, const uint8_t *id, size_t idlen,
                      const uint8_t *body, size_t len)
{
    if (len > EVLOG_MAX_REQUEST + 4096) {
        /* Not decoded (that is what the limit spares), but answered under
         * its corr when that can be read, so the client can tell which
         * request was refused. */
        char err[128];
        snprintf(err, sizeof err, "request is %zu bytes; the limit is %d", len, EVLOG_MAX_REQUEST);
        s_send_error(self, id, idlen, s_peek_corr(body, len), KEFU_ETOOLARGE, 0, err);
        return;
    }
    Kefu__LogRequest *req = kefu__log_request__unpack(arena_pbc(self->arena), len, body);
    if (!req) {
        s_send_error(self, id, idlen, 0, KEFU_EBADREQ, 0, "malformed request: not a kefu LogRequest");
        return;
    }
    switch (req->req_case) {
    case KEFU__LOG_REQUEST__REQ_HELLO:
        s_hello(self, id, idlen, req->corr, req->hello);
        break;
    case KEFU__LOG_REQUEST__REQ_APPEND:
        s_append(self, id, idlen, req->corr, req->append);
        break;
    case KEFU__LOG_REQUEST__REQ_FETCH:
        s_fetch(self, id, idlen, req->corr, req->fetch);
        break;
    default:
        s_send_error(self, id, idlen, req->corr,
                     req->base.n_unknown_fields ? KEFU_EUNKNOWNTYPE : KEFU_EBADREQ, 0,
                     req->base.n_unknown_fields ? "unknown request type" : "empty request");
    }
}

static void s_on_request(void *arg, const uint8_t *id, size_t idlen, const uint8_t *body,
                         size_t len, int frames)
{
    evlog_server_t *self = arg;
    if (frames != 1)
        s_send_error(self, id, idlen, 0, KEFU_EBADREQ, 0, "malformed request: one frame expected");
    else
        s_request(self, id, idlen, body, len);
}

/* Drains what the ROUTER holds (bounded, so the syncer's answer is not
 * kept waiting), then hands the open batch to the syncer if it is idle. */
static int s_readable(zloop_t *loop, zsock_t *sock, void *arg)
{
    (void) loop;
    evlog_server_t *self = arg;
    kzmq_drain(zsock_resolve(sock), 1024, s_on_request, self);
    arena_reset(self->arena);
    s_release(self);
    s_kick(self);
    return 0;
}

static int s_heartbeat(zloop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    evlog_server_t *self = arg;
    s_publish(self, NULL, 0);
    return 0;
}

/* ---- control: clock advance --------------------------------------------- */

static void s_clockwait_add(evlog_server_t *self, ctl_call_t *call, uint64_t need, int64_t to)
{
    s_clockwait_t *w = calloc(1, sizeof *w);
    if (!w)
        abort();
    w->call = call;
    w->need = need;
    w->to = to;
    *self->clockwaits_tail = w;
    self->clockwaits_tail = &w->next;
}

static int s_ctl(void *arg, ctl_call_t *call, const Kefu__Request *req, Kefu__Reply *reply)
{
    (void) reply;
    evlog_server_t *self = arg;
    if (req->req_case != KEFU__REQUEST__REQ_CLOCK_ADVANCE) {
        ctl_call_errmsg(call, "the log daemon does not serve this request");
        return KEFU_EUNSUPPORTED;
    }
    if (!kclock_is_sim(self->d->clock)) {
        ctl_call_errmsg(call, "the site runs on the wall clock; start it with "
                              "`kefu up --sim-clock TIME` to move time by hand");
        return KEFU_ECONFLICT;
    }
    /* A repeated request answers what the first one did. */
    const evlog_clockreq_t *done = req->request_id && req->request_id[0]
                                       ? zhashx_lookup(self->state->clock_requests,
                                                       req->request_id)
                                       : NULL;
    if (done) {
        s_clockwait_add(self, call, done->seq, done->to);
        s_release(self);
        return CTL_DEFER;
    }
    int64_t by = req->clock_advance->by_us;
    if (!req->clock_advance->has_by_us || by <= 0 || by > 3660LL * 86400 * 1000000) {
        ctl_call_errmsg(call, "clock advance needs a duration between 1us and 3660d");
        return KEFU_EINVAL;
    }
    int64_t now = kclock_now(self->d->clock);
    int64_t from = self->clock_target > now ? self->clock_target : now;
    /* Business time stays where RFC 3339 can write it: past year 9999 no
     * time could be shown or parsed back, deadlines could not be set, and
     * further advances would overflow int64. from <= KTIME_MAX_US and
     * by <= 3660d, so the sum itself can't overflow; checked anyway. */
    int64_t to;
    if (__builtin_add_overflow(from, by, &to) || to > KTIME_MAX_US) {
        char fbuf[48];
        if (ktime_format_rfc3339(from, 0, fbuf, sizeof fbuf) < 0)
            snprintf(fbuf, sizeof fbuf, "%" PRId64 " us", from);
        ctl_call_errmsg(call, "the clock is at %s; it can't move past "
                              "9999-12-31T23:59:59Z, the last time RFC 3339 can write", fbuf);
        return KEFU_EINVAL;
    }
    if (evlog_sync_full(self->sync)) {
        ctl_call_errmsg(call, "the log's disk is full: no room for a new segment; "
                              "the clock was not moved");
        return KEFU_ESTOREFULL;
    }
    Kefu__ClockAdvanced ca = KEFU__CLOCK_ADVANCED__INIT;
    ca.has_from = ca.has_to = true;
    ca.from = from;
    ca.to = to;
    producer_t *p = producers_get(self->state->producers, S_PRODUCER, 1);
    Kefu__Envelope ev = KEFU__ENVELOPE__INIT;
    ev.producer = S_PRODUCER;
    ev.has_producer_seq = ev.has_at = true;
    ev.producer_seq = producer_last(p) + 1;
    ev.at = from;
    ev.actor = req->actor;
    ev.request_id = req->request_id;
    ev.body_case = KEFU__ENVELOPE__BODY_CLOCK_ADVANCED;
    ev.clock_advanced = &ca;
    uint8_t buf[1024];
    size_t len = kefu__envelope__get_packed_size(&ev);
    if (len > sizeof buf) {
        ctl_call_errmsg(call, "actor or request id too long");
        return KEFU_ETOOLARGE;
    }
    kefu__envelope__pack(&ev, buf);
    uint64_t seq = s_batch_put(self, buf, len);
    producer_put(p, ev.producer_seq, seq);
    /* as recovery would find it in the log: a checkpoint taken from now on holds it */
    evlog_state_clock(self->state, req->request_id, ca.to, seq);
    s_clockwait_add(self, call, seq, ca.to);
    self->clock_target = ca.to;
    s_kick(self);
    return CTL_DEFER;
}

/* ---- life cycle -------------------------------------------------------------- */

static void s_scan(void *arg, const evlog_record_t *rec)
{
    evlog_server_t *self = arg;
    evlog_state_apply(self->state, rec);
}

/* Recovery found a good checkpoint: its state, as of cut. */
static int s_load(void *arg, uint64_t cut, const uint8_t *state, size_t len)
{
    evlog_server_t *self = arg;
    int rc = evlog_state_load(self->state, state, len);
    if (rc)
        klog_warn("the checkpoint at seq %" PRIu64 " holds no state this version reads", cut);
    return rc;
}

/* Hands the store a checkpoint when one is due (or, with force, whenever
 * there is something new since the last): the state as of the last seq
 * given out. */
static void s_checkpoint(evlog_server_t *self, bool force)
{
    if (!evlog_store_ckpt_due(self->store) &&
        !(force && self->assigned > evlog_store_ckpt_cut(self->store)))
        return;
    size_t len;
    uint8_t *state = evlog_state_save(self->state, &len);
    evlog_store_ckpt(self->store, self->assigned, state, len);
}

static int s_bind(zsock_t *sock, const char *site, const char *kind)
{
    char ep[256];
    if (site_endpoint(site, "evlog", kind, ep, sizeof ep) != 0)
        return ENAMETOOLONG;
    unlink(ep + strlen("ipc://"));  /* left behind by a killed daemon */
    if (zsock_bind(sock, "%s", ep) != 0) {
        klog_error("can't bind %s: %s", ep, zmq_strerror(errno));
        return errno ? errno : EADDRINUSE;
    }
    return 0;
}

int evlog_server_new(evlog_server_t **out, kdaemon_t *d)
{
    *out = NULL;
    evlog_server_t *self = calloc(1, sizeof *self);
    if (!self)
        return ENOMEM;
    self->d = d;
    self->state = evlog_state_new();
    self->arena = arena_new(256 * 1024);
    self->clockwaits_tail = &self->clockwaits;
    self->fetch_max = (uint64_t) kconfig_int(d->config, "evlog.fetch_max");
    self->max_batch = (size_t) kconfig_int(d->config, "evlog.max_batch");
    if (self->fetch_max == 0)
        self->fetch_max = 4096;
    if (self->max_batch == 0)
        self->max_batch = 4096;

    char dir[PATH_MAX + 16];
    site_path(d->site, "evlog", dir, sizeof dir);
    size_t segment = (size_t) kconfig_int(d->config, "evlog.segment_mb") * 1024 * 1024;
    int64_t t0 = kclock_mono_us();
    int rc = evlog_store_open_ckpt(&self->store, dir, segment, s_scan, s_load, self);
    arena_reset(self->state->arena);
    if (rc) {
        klog_error("can't open the log in %s: %s", dir, kefu_strerror(rc));
        evlog_server_destroy(&self);
        return rc;
    }
    self->assigned = evlog_store_head(self->store);
    /* The site secret, before any socket is bound: a daemon that reaches
     * the log finds the file ("Producer ids" at the top). */
    uint8_t secret[EVLOG_SECRET_BYTES];
    if ((rc = evlog_secret_ensure(d->site, secret)) != 0) {
        klog_error("can't create the site secret %s/%s: %s", d->site, EVLOG_SECRET_FILE,
                   kefu_strerror(rc));
        evlog_server_destroy(&self);
        return rc;
    }
    self->proofs = calloc(registry_count() + 1, sizeof *self->proofs);
    if (!self->proofs)
        abort();
    for (size_t i = 0; registry_daemons[i].name; i++)
        evlog_proof_make(secret, registry_daemons[i].name, strlen(registry_daemons[i].name),
                         self->proofs[i]);
    memset(secret, 0, sizeof secret);
    /* A simulated clock never goes back behind what the log says it
     * reached (a site started again with the same --sim-clock). */
    if (kclock_is_sim(d->clock) && kclock_now(d->clock) < self->state->clock_logged) {
        klog_info("the simulated clock resumes where the log left it");
        kclock_set(d->clock, self->state->clock_logged);
    }
    klog_info("log recovered: head %" PRIu64 " in %.1f ms", self->assigned,
              (double) (kclock_mono_us() - t0) / 1000.0);
    s_checkpoint(self, false);   /* a long scan now saves the next one */

    self->router = zsock_new(ZMQ_ROUTER);
    self->pub = zsock_new(ZMQ_PUB);
    if (!self->router || !self->pub) {
        evlog_server_destroy(&self);
        return KEFU_EINTERNAL;
    }
    zsock_set_linger(self->router, 0);
    zsock_set_linger(self->pub, 0);
    zsock_set_rcvhwm(self->router, 100000);
    zsock_set_sndhwm(self->router, 100000);
    zsock_set_sndhwm(self->pub, 100000);
    zsock_set_maxmsgsize(self->router, 16 * 1024 * 1024);
    if ((rc = s_bind(self->router, d->site, "sock")) || (rc = s_bind(self->pub, d->site, "pub"))) {
        evlog_server_destroy(&self);
        return rc;
    }
    self->ctl = ctlserver_new(d->site, "evlog", d->clock, s_ctl, self);
    if (!self->ctl) {
        rc = errno ? errno : KEFU_EINTERNAL;
        evlog_server_destroy(&self);
        return rc;
    }
    ctlserver_set_utc_offset(self->ctl, d->utc_offset_min);
    ctlserver_set_position(self->ctl, self->assigned, self->assigned);

    self->sync = evlog_sync_new(self->store);
    if (!self->sync) {
        evlog_server_destroy(&self);
        return KEFU_EINTERNAL;
    }
    self->open = evlog_sync_batch(self->sync);
    *out = self;
    return 0;
}

int evlog_server_run(evlog_server_t *self)
{
    self->loop = zloop_new();
    zloop_reader(self->loop, self->router, s_readable, self);
    zloop_reader(self->loop, evlog_sync_sock(self->sync), s_synced, self);
    zloop_timer(self->loop, S_HEARTBEAT_MS, 0, s_heartbeat, self);
    ctlserver_attach(self->ctl, self->loop);
    klog_info("serving the log of %s", self->d->site);
    zloop_start(self->loop);
    /* Stopping: let the batch being synced finish, so what is durable is
     * also acknowledged where the peers are still there to hear it. */
    while (evlog_sync_outstanding(self->sync) > 0) {
        evlog_batch_t *b = evlog_sync_done(self->sync, 10000);
        if (!b)
            break;
        s_done(self, b);
    }
    /* A clean stop: the state as of the head, so the next start reads
     * nothing (written as the store closes). */
    if (evlog_sync_outstanding(self->sync) == 0 && self->assigned == evlog_store_head(self->store))
        s_checkpoint(self, true);
    zloop_destroy(&self->loop);
    klog_info("stopped at head %" PRIu64 "; this run: %" PRIu64 " events in %" PRIu64
              " commits, %.0f us per write+fdatasync", evlog_store_head(self->store),
              self->nevents, self->nbatches,
              self->nbatches ? (double) self->sync_us / (double) self->nbatches : 0.0);
    return 0;
}

void evlog_server_destroy(evlog_server_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    evlog_server_t *self = *self_p;
    if (self->sync && self->open)
        evlog_sync_release(self->sync, self->open);
    evlog_sync_destroy(&self->sync);
    while (self->clockwaits) {
        s_clockwait_t *w = self->clockwaits;
        self->clockwaits = w->next;
        ctlserver_fail(self->ctl, &w->call, KEFU_EUNAVAIL, "the log is stopping");
        free(w);
    }
    ctlserver_destroy(&self->ctl);
    zsock_destroy(&self->router);
    zsock_destroy(&self->pub);
    evlog_store_destroy(&self->store);
    evlog_state_destroy(&self->state);
    arena_destroy(&self->arena);
    free(self->acks);
    free(self->seqpool);
    free(self->proofs);
    free(self);
    *self_p = NULL;
}
