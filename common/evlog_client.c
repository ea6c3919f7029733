/* evlog_client.c: the log client, ZeroMQ backend (evlog_client.h).
 *
 * Sockets: a DEALER to the log's ROUTER (hello, append, fetch) and, once
 * subscribed, a SUB to its PUB. Replies are matched by correlation id.
 *
 * Appends
 * -------
 * Each append request is kept, packed without its corr, until it is
 * acknowledged. It is sent again (with a new corr, and after it every
 * other unacknowledged request, in order) when
 *   - no reply came within S_RETRY_US (the log is down or restarting), or
 *   - the log answers ERR_GAP (it restarted and lost what was in flight).
 * Replies to the earlier copies are then recognised as stale by their
 * corr (below resend_boundary) and dropped. The log answers a retry of an
 * event it holds with the event's original seq, so resending everything
 * unacknowledged is always safe, and nothing acknowledged is lost.
 *
 * A lost reply is noticed at once, not after S_RETRY_US: the log answers
 * appends in the order it took them, and a connection delivers in order,
 * so when request B is acknowledged while A, sent before it (lower corr),
 * still waits, A or its answer was lost (a log killed between A's fsync
 * and its reply, then B sent to its successor). Since B was taken, every
 * producer_seq before B's is in the log: A is sent again at once and
 * answered with its original seqs.
 *
 * The log remembers the seq of a producer's last EVLOG_DEDUP_WINDOW
 * events only. So that a retry is always one it can answer, a producer
 * may not run more than EVLOG_CLIENT_SPAN (half the window) past its
 * oldest unacknowledged event: an append past that is refused with
 * KEFU_EUNAVAIL until the oldest is acknowledged. (Before this rule a
 * producer with one lost reply went on for 8,600 events within one retry
 * period, and the late retry was answered with seq 0.) A retry older
 * than the window is refused by the log (ERR_CONFLICT), never answered
 * with a made-up seq, and an answer with a seq of 0 is not taken as an
 * acknowledgement.
 *
 * Acknowledgements carry the seqs the log returned, one per event: a
 * retry of a request the log had partly taken (a write torn by a kill)
 * is answered with the old seqs of the events it had and new ones for the
 * rest, so a request's seqs are not always consecutive.
 *
 * Producer proof
 * --------------
 * A producer id that is a daemon's name in the registry is that daemon's
 * alone, and the log wants its proof in every hello and append
 * (evlog_proof.h). The client reads the site secret the log keeps in its
 * store when it says hello, not when it is created: a daemon may start
 * before the log has made the file, and then waits for the log anyway.
 * A hello refused ERR_FORBIDDEN reads the file again and is sent once
 * more within the same wait (the log made the file after our read);
 * refused again, the hello fails with KEFU_EFORBIDDEN and the caller
 * (the kit) tries later. An append refused ERR_FORBIDDEN reads the file
 * again too, and if the secret changed (the log's store was made anew)
 * sends everything unacknowledged again with the new proof; otherwise
 * the refusal stands. The proof is computed once per read and copied
 * into each request: nothing per event. Other producers send none.
 *
 * Subscription (the Clone pattern)
 * --------------------------------
 * CATCHUP: fetch from `next` until a reply reaches the head; live messages
 * that arrive meanwhile are kept. LIVE: deliver live records in order;
 * when a live message starts past `next` (the PUB dropped something, or
 * the log restarted) go back to CATCHUP. Heartbeats carry the head, so a
 * lost last message is noticed within a second. Records already delivered
 * are skipped, so nothing is delivered twice.
 */
#include "evlog_client.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "evlog.pb-c.h"
#include "evlog_event.h"
#include "evlog_proof.h"
#include "kclock.h"
#include "kerr.h"
#include "klog.h"
#include "pbwire.h"
#include "registry.h"
#include "site.h"

#define S_RETRY_US     (1000 * 1000)  /* resend unacknowledged after this */
#define S_TICK_MS      200
#define S_HELLO_MS     5000
#define S_MAX_KEPT     4096           /* live messages kept during catch-up */
#define S_FETCH_MAX    4096

enum { S_NONE, S_CATCHUP, S_LIVE };

/* One append request: events of one or more evlog_client_append calls
 * (segments), packed as the AppendRequest's events; the corr, the
 * LogRequest field header and the proof are put before them as it is
 * sent (s_send_append). */
typedef struct {
    evlog_ack_fn *cb;
    void *arg;
    uint32_t n;
} s_seg_t;

#define S_REQ_EVENTS 1024
#define S_REQ_BYTES (1024 * 1024)

typedef struct {
    uint64_t corr;
    uint64_t first_pseq;
    uint32_t n;
    bool sent, done;
    uint8_t *buf;       /* the AppendRequest's events field by field */
    size_t len, cap;
    s_seg_t *segs;
    size_t nsegs, capsegs;
    int64_t sent_us;
} s_req_t;

typedef struct {
    uint8_t *data;
    size_t len;
    uint64_t head;
} s_kept_t;

struct evlog_client_t {
    char log_ep[256], pub_ep[256];
    char producer[72];
    bool has_producer;
    /* a daemon's producer id: the site secret's file, and the proof
     * from its last good read ("Producer proof" at the top) */
    bool needs_proof, has_proof;
    char secret_path[PATH_MAX];
    char site[PATH_MAX];
    uint8_t proof[EVLOG_PROOF_BYTES];
    zsock_t *dealer, *sub;
    zloop_t *loop;
    int timer;
    arena_t *arena;
    uint64_t next_corr;
    uint64_t head;

    /* appends */
    bool introduced;
    uint64_t last_pseq;
    s_req_t *q;
    size_t qhead, qn, qcap;
    size_t inflight_events;
    size_t nsent;          /* requests sent and not yet answered */
    bool dispatching;      /* in s_on_dealer: appends wait for its flush */
    uint64_t resend_boundary;
    int fatal;

    /* hello and blocking fetch */
    uint64_t hello_corr;
    bool hello_done;
    int hello_rc;          /* the log's refusal of the hello, or 0 */
    int64_t hello_sent;
    uint64_t fetch_corr;
    bool fetch_done;
    evlog_deliver_fn *fetch_cb;
    void *fetch_arg;
    int fetch_rc;

    /* subscription */
    int mode;
    uint64_t next;
    evlog_deliver_fn *deliver;
    void *darg;
    uint64_t sub_corr;
    int64_t sub_sent;
    s_kept_t *kept;
    size_t nkept;
    evlog_record_t *recs;
    size_t caprecs;
    int stop_rc;
    int64_t stop_us;        /* when the callback refused */
};

static void s_sub_fetch(evlog_client_t *self);
static void s_flush(evlog_client_t *self);
static void s_req_free(s_req_t *r);

evlog_client_t *evlog_client_new(const char *site_dir, const char *producer)
{
    evlog_client_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    if (site_endpoint(site_dir, "evlog", "sock", self->log_ep, sizeof self->log_ep) ||
        site_endpoint(site_dir, "evlog", "pub", self->pub_ep, sizeof self->pub_ep) ||
        (producer && strlen(producer) > 64)) {
        free(self);
        errno = ENAMETOOLONG;
        return NULL;
    }
    if (producer && *producer) {
        snprintf(self->producer, sizeof self->producer, "%s", producer);
        self->has_producer = true;
        self->needs_proof = registry_lookup(producer) != NULL;
        snprintf(self->site, sizeof self->site, "%s", site_dir);
    }
    self->dealer = zsock_new(ZMQ_DEALER);
    if (!self->dealer) {
        free(self);
        errno = ENOMEM;
        return NULL;
    }
    zsock_set_linger(self->dealer, 0);
    zsock_set_sndhwm(self->dealer, 100000);
    zsock_set_rcvhwm(self->dealer, 100000);
    zsock_set_reconnect_ivl(self->dealer, 50);
    zsock_set_reconnect_ivl_max(self->dealer, 500);
    if (zsock_connect(self->dealer, "%s", self->log_ep) != 0) {
        zsock_destroy(&self->dealer);
        free(self);
        errno = EINVAL;
        return NULL;
    }
    self->arena = arena_new(0);
    self->next_corr = 1;
    self->timer = -1;
    return self;
}

void evlog_client_destroy(evlog_client_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    evlog_client_t *self = *self_p;
    if (self->loop) {
        zloop_reader_end(self->loop, self->dealer);
        if (self->sub)
            zloop_reader_end(self->loop, self->sub);
        if (self->timer >= 0)
            zloop_timer_end(self->loop, self->timer);
    }
    for (size_t i = self->qhead; i < self->qn; i++)
        s_req_free(&self->q[i]);
    free(self->q);
    for (size_t i = 0; i < self->nkept; i++)
        free(self->kept[i].data);
    free(self->kept);
    free(self->recs);
    zsock_destroy(&self->dealer);
    zsock_destroy(&self->sub);
    arena_destroy(&self->arena);
    free(self);
    *self_p = NULL;
}

/* Reads the site secret and makes this producer's proof from it. Keeps
 * the last good proof when the file can't be read. Returns 1 if the
 * proof changed, else 0. */
static int s_read_proof(evlog_client_t *self)
{
    if (!self->needs_proof)
        return 0;
    uint8_t secret[EVLOG_SECRET_BYTES], proof[EVLOG_PROOF_BYTES];
    int rc = evlog_secret_read(self->site, secret);
    if (rc) {
        klog_debug("log client %s: no site secret yet (%s)", self->producer, kefu_strerror(rc));
        return 0;
    }
    evlog_proof_make(secret, self->producer, strlen(self->producer), proof);
    memset(secret, 0, sizeof secret);
    int changed = !self->has_proof || !evlog_proof_equal(proof, self->proof);
    memcpy(self->proof, proof, sizeof proof);
    self->has_proof = true;
    return changed;
}

/* Sends append request r under its corr: LogRequest field 1 (corr),
 * field 3 (append) holding the proof (AppendRequest field 2) if any,
 * then the events as packed. Field order is free in protobuf. */
static int s_send_append(evlog_client_t *self, const s_req_t *r)
{
    uint8_t head[11 + 6 + 2 + EVLOG_PROOF_BYTES];
    size_t n = evlog_seq_field(head, r->corr);  /* field 1 varint: the same shape as corr */
    size_t plen = self->has_proof ? 2 + EVLOG_PROOF_BYTES : 0;
    head[n++] = 0x1a;  /* LogRequest field 3 (append), length-delimited */
    n += pbwire_put_varint(head + n, plen + r->len);
    if (plen) {
        head[n++] = 0x12;  /* AppendRequest field 2 (proof), length-delimited */
        head[n++] = EVLOG_PROOF_BYTES;
        memcpy(head + n, self->proof, EVLOG_PROOF_BYTES);
        n += EVLOG_PROOF_BYTES;
    }
    zmq_msg_t m;
    if (zmq_msg_init_size(&m, n + r->len) != 0)
        return KEFU_EINTERNAL;
    memcpy(zmq_msg_data(&m), head, n);
    memcpy((uint8_t *) zmq_msg_data(&m) + n, r->buf, r->len);
    if (zmq_msg_send(&m, zsock_resolve(self->dealer), ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&m);
        return KEFU_EUNAVAIL;
    }
    return 0;
}

static int s_send_request(evlog_client_t *self, Kefu__LogRequest *req)
{
    uint8_t buf[256];
    size_t len = kefu__log_request__get_packed_size(req);
    assert(len <= sizeof buf);
    kefu__log_request__pack(req, buf);
    zmq_msg_t m;
    zmq_msg_init_size(&m, len);
    memcpy(zmq_msg_data(&m), buf, len);
    if (zmq_msg_send(&m, zsock_resolve(self->dealer), ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&m);
        return KEFU_EUNAVAIL;
    }
    return 0;
}

/* ---- appends ------------------------------------------------------------- */

/* Sends r again, under a new corr. */
static void s_resend(evlog_client_t *self, s_req_t *r, int64_t now)
{
    r->corr = self->next_corr++;
    r->sent_us = now;
    s_send_append(self, r);
}

static void s_resend_all(evlog_client_t *self)
{
    self->resend_boundary = self->next_corr;
    int64_t now = kclock_mono_us();
    for (size_t i = self->qhead; i < self->qn; i++)
        if (!self->q[i].done && self->q[i].sent)
            s_resend(self, &self->q[i], now);
}

static void s_pop_done(evlog_client_t *self)
{
    while (self->qhead < self->qn && self->q[self->qhead].done) {
        s_req_free(&self->q[self->qhead]);
        self->qhead++;
    }
    if (self->qhead == self->qn)
        self->qhead = self->qn = 0;
}

/* Completes r: rc 0 with seqs[0..r->n) (a copy the callbacks can't
 * disturb), or a failure with seqs NULL. */
static void s_complete(evlog_client_t *self, s_req_t *r, int rc, const uint64_t *seqs)
{
    r->done = true;
    if (r->sent)
        self->nsent--;
    self->inflight_events -= r->n;
    /* A callback may append, which may move the queue (and r) in memory;
     * the segment array itself stays put until the request is popped. */
    s_seg_t *segs = r->segs;
    size_t nsegs = r->nsegs;
    for (size_t i = 0; i < nsegs; i++) {
        if (segs[i].cb)
            segs[i].cb(segs[i].arg, rc, rc ? NULL : seqs, segs[i].n);
        if (seqs)
            seqs += segs[i].n;
    }
}

/* Every unacknowledged request fails: the producer can't go on safely. */
static void s_fail_all(evlog_client_t *self, int rc)
{
    for (size_t i = self->qhead; i < self->qn; i++)
        if (!self->q[i].done)
            s_complete(self, &self->q[i], rc, NULL);
    s_pop_done(self);
    self->fatal = rc;
}

/* Fails r (with rc) and every request after it (with later): none of
 * them is in the log. The numbering is reset first, so appends made by
 * their callbacks follow on from r's first producer_seq. */
static void s_refuse_from(evlog_client_t *self, s_req_t *r, int rc, int later)
{
    uint64_t from = r->first_pseq;
    size_t n = 0;
    for (size_t i = self->qhead; i < self->qn; i++)
        if (!self->q[i].done && self->q[i].first_pseq >= from)
            n++;
    typedef struct {
        s_seg_t *segs;
        size_t nsegs;
        int rc;
    } s_fail_t;
    s_fail_t *f = calloc(n ? n : 1, sizeof *f);
    if (!f)
        abort();
    size_t k = 0;
    for (size_t i = self->qhead; i < self->qn; i++) {
        s_req_t *q = &self->q[i];
        if (q->done || q->first_pseq < from)
            continue;
        q->done = true;
        if (q->sent)
            self->nsent--;
        self->inflight_events -= q->n;
        /* the segment arrays stay put until their requests are popped */
        f[k++] = (s_fail_t){q->segs, q->nsegs, q == r ? rc : later};
    }
    self->last_pseq = from - 1;
    for (size_t i = 0; i < k; i++)
        for (size_t j = 0; j < f[i].nsegs; j++)
            if (f[i].segs[j].cb)
                f[i].segs[j].cb(f[i].segs[j].arg, f[i].rc, NULL, f[i].segs[j].n);
    free(f);
    s_pop_done(self);
}

/* The request with corr `acked` was answered: every request sent before
 * it (a lower corr) and still waiting was lost, or its answer was (see
 * the top of the file). Sends those again now. */
static void s_resend_lost(evlog_client_t *self, uint64_t acked)
{
    int64_t now = kclock_mono_us();
    for (size_t i = self->qhead; i < self->qn; i++)
        if (!self->q[i].done && self->q[i].sent && self->q[i].corr < acked)
            s_resend(self, &self->q[i], now);
}

/* The producer_seq of the oldest event not yet acknowledged (0: none). */
static uint64_t s_oldest_pseq(const evlog_client_t *self)
{
    for (size_t i = self->qhead; i < self->qn; i++)
        if (!self->q[i].done)
            return self->q[i].first_pseq;
    return 0;
}

static void s_on_append_reply(evlog_client_t *self, const Kefu__LogReply *rep)
{
    s_req_t *r = NULL;
    for (size_t i = self->qhead; i < self->qn; i++)
        if (!self->q[i].done && self->q[i].corr == rep->corr) {
            r = &self->q[i];
            break;
        }
    if (!r)
        return;  /* a reply to a copy we already resent or completed */
    if (rep->error && rep->error->code != KEFU__ERROR_CODE__ERR_NONE) {
        int rc = kefu_err_from_wire(rep->error->code);
        if (rc == KEFU_EGAP) {
            if (rep->corr < self->resend_boundary)
                return;
            uint64_t expected = rep->error->expected;
            if (expected < self->q[self->qhead].first_pseq) {
                klog_error("log client %s: the log expects producer_seq %llu, before "
                           "what this process sent: is another process using the "
                           "producer id?", self->producer, (unsigned long long) expected);
                s_fail_all(self, KEFU_ECONFLICT);
                return;
            }
            s_resend_all(self);
            return;
        }
        /* Refused for its proof, and the site secret is not the one we
         * read (the log's store was made anew): everything again, with
         * the new proof. Otherwise the refusal stands. */
        if (rc == KEFU_EFORBIDDEN && rep->corr >= self->resend_boundary && s_read_proof(self)) {
            klog_warn("log client %s: the site secret changed; sending again", self->producer);
            s_resend_all(self);
            return;
        }
        /* The log refused the request for good, and took none of it. The
         * requests after it were numbered past it and would all meet a
         * gap: they fail too (with the same code if it is a full disk,
         * else unavailable: not written, try again). The ones before it
         * are untouched: the log may have them in a batch still waiting
         * for its fsync (or for room on a full disk). Numbering goes on
         * from the refused request's first producer_seq. */
        klog_error("log client %s: append refused: %s", self->producer,
                   rep->error->message ? rep->error->message : kefu_strerror(rc));
        s_refuse_from(self, r, rc, rc == KEFU_ESTOREFULL ? rc : KEFU_EUNAVAIL);
        return;
    }
    if (rep->rep_case != KEFU__LOG_REPLY__REP_APPEND)
        return;
    /* One seq per event, none of them 0: anything else is not an
     * acknowledgement; the request stays and is sent again. */
    bool ok = rep->append->n_seqs == r->n;
    for (size_t i = 0; ok && i < r->n; i++)
        ok = rep->append->seqs[i] != 0;
    if (!ok) {
        klog_error("log client %s: the log answered an append of %u events with %zu seqs "
                   "(or a seq of 0); not taken as an acknowledgement", self->producer,
                   r->n, rep->append->n_seqs);
        return;
    }
    /* The seqs live in the reply, in the arena a callback's append
     * resets: copy them first. */
    uint64_t stack[64];
    uint64_t *seqs = r->n <= 64 ? stack : malloc(r->n * sizeof *seqs);
    if (!seqs)
        abort();
    memcpy(seqs, rep->append->seqs, r->n * sizeof *seqs);
    uint64_t corr = rep->corr;
    s_complete(self, r, 0, seqs);
    if (seqs != stack)
        free(seqs);
    s_resend_lost(self, corr);
    s_pop_done(self);
}

static int s_poll_once(evlog_client_t *self, int timeout_ms);

/* Sends a hello (with the proof as last read) under a new corr. */
static void s_hello_send(evlog_client_t *self)
{
    Kefu__LogRequest req = KEFU__LOG_REQUEST__INIT;
    Kefu__HelloRequest hr = KEFU__HELLO_REQUEST__INIT;
    hr.producer = self->producer;
    if (self->has_proof) {
        hr.has_proof = true;
        hr.proof.data = self->proof;
        hr.proof.len = EVLOG_PROOF_BYTES;
    }
    req.has_corr = true;
    req.corr = self->hello_corr = self->next_corr++;
    req.req_case = KEFU__LOG_REQUEST__REQ_HELLO;
    req.hello = &hr;
    self->hello_done = false;
    self->hello_rc = 0;
    self->hello_sent = kclock_mono_us();
    s_send_request(self, &req);
}

static int s_hello_wait(evlog_client_t *self, int timeout_ms)
{
    s_read_proof(self);   /* at hello time: see "Producer proof" at the top */
    s_hello_send(self);
    int64_t deadline = self->hello_sent + timeout_ms * 1000LL;
    bool reread = false;
    for (;;) {
        while (!self->hello_done) {
            int64_t left = (deadline - kclock_mono_us()) / 1000;
            if (left <= 0)
                return KEFU_EUNAVAIL;
            s_poll_once(self, (int) left);
        }
        if (self->hello_rc == 0)
            break;
        if (self->hello_rc != KEFU_EFORBIDDEN || reread || !self->needs_proof)
            return self->hello_rc;
        /* The log may have made the secret after our read: once more. */
        reread = true;
        s_read_proof(self);
        s_hello_send(self);
    }
    self->introduced = true;
    return 0;
}

static int s_hello(evlog_client_t *self)
{
    return s_hello_wait(self, S_HELLO_MS);
}

int evlog_client_introduce(evlog_client_t *self, uint64_t *head, int timeout_ms)
{
    if (!self->has_producer || self->inflight_events > 0)
        return KEFU_EINVAL;
    int rc = s_hello_wait(self, timeout_ms);
    if (rc == 0 && head)
        *head = self->head;
    return rc;
}

static void s_req_free(s_req_t *r)
{
    free(r->buf);
    free(r->segs);
    r->buf = NULL;
    r->segs = NULL;
}

static void s_reserve(s_req_t *r, size_t more)
{
    if (r->len + more <= r->cap)
        return;
    size_t cap = r->cap ? r->cap : 4096;
    while (cap < r->len + more)
        cap *= 2;
    r->buf = realloc(r->buf, cap);
    if (!r->buf)
        abort();
    r->cap = cap;
}

/* The request new events go into: the last one if it is not sent and has
 * room, else a new one. */
static s_req_t *s_open_request(evlog_client_t *self, size_t n, size_t bytes)
{
    if (self->qn > self->qhead) {
        s_req_t *r = &self->q[self->qn - 1];
        if (!r->sent && !r->done && r->n + n <= S_REQ_EVENTS && r->len + bytes <= S_REQ_BYTES)
            return r;
    }
    if (self->qn == self->qcap) {
        if (self->qhead > 0) {
            memmove(self->q, self->q + self->qhead, (self->qn - self->qhead) * sizeof *self->q);
            self->qn -= self->qhead;
            self->qhead = 0;
        }
        if (self->qn == self->qcap) {
            self->qcap = self->qcap ? 2 * self->qcap : 64;
            self->q = realloc(self->q, self->qcap * sizeof *self->q);
            if (!self->q)
                abort();
        }
    }
    s_req_t *r = &self->q[self->qn++];
    memset(r, 0, sizeof *r);
    r->first_pseq = self->last_pseq + 1;
    return r;
}

/* Sends every request not sent yet. */
static void s_flush(evlog_client_t *self)
{
    int64_t now = kclock_mono_us();
    for (size_t i = self->qhead; i < self->qn; i++) {
        s_req_t *r = &self->q[i];
        if (r->sent || r->done)
            continue;
        r->corr = self->next_corr++;
        r->sent = true;
        r->sent_us = now;
        self->nsent++;
        s_send_append(self, r);
    }
}

/* Appends are coalesced like Nagle's algorithm: with nothing in flight a
 * request goes out at once (lowest latency); otherwise events gather in
 * one open request that goes out when an answer comes back (or at the
 * next poll), so under load each request carries many events and the log
 * and the sockets do per-request work once for all of them. */
int evlog_client_append(evlog_client_t *self, Kefu__Envelope **events, size_t n,
                        evlog_ack_fn *cb, void *arg)
{
    if (!self->has_producer || n == 0 || n > S_REQ_EVENTS)
        return KEFU_EINVAL;
    if (self->fatal)
        return self->fatal;
    uint64_t oldest = s_oldest_pseq(self);
    if (oldest && self->last_pseq + n - oldest >= EVLOG_CLIENT_SPAN)
        return KEFU_EUNAVAIL;  /* wait for the oldest: see the top of the file */
    if (!self->introduced) {
        int rc = s_hello(self);
        if (rc)
            return rc;
    }
    /* Check and size everything before taking any producer_seq. */
    size_t *sizes = arena_alloc(self->arena, n * sizeof *sizes);
    evlog_pack_plan_t *plans = arena_alloc(self->arena, n * sizeof *plans);
    size_t total = 0;
    char err[512];
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        Kefu__Envelope *ev = events[i];
        ev->producer = self->producer;
        ev->has_producer_seq = true;
        ev->producer_seq = self->last_pseq + 1 + i;
        sizes[i] = evlog_event_packed_size(ev, &plans[i]);
        rc = evlog_event_check(ev, sizes[i], err, sizeof err);
        total += sizes[i] + 4;
    }
    if (rc == 0 && total > S_REQ_BYTES)
        rc = KEFU_ETOOLARGE;
    if (rc) {
        arena_reset(self->arena);
        return rc;
    }
    s_req_t *r = s_open_request(self, n, total);
    s_reserve(r, total);
    for (size_t i = 0; i < n; i++) {
        uint8_t *p = r->buf + r->len;
        p[0] = 0x0a;  /* AppendRequest field 1 (events), length-delimited */
        size_t h = 1 + pbwire_put_varint(p + 1, sizes[i]);
        evlog_event_pack(events[i], &plans[i], p + h);
        r->len += h + sizes[i];
    }
    arena_reset(self->arena);
    if (r->nsegs == r->capsegs) {
        r->capsegs = r->capsegs ? 2 * r->capsegs : 4;
        r->segs = realloc(r->segs, r->capsegs * sizeof *r->segs);
        if (!r->segs)
            abort();
    }
    r->segs[r->nsegs++] = (s_seg_t){cb, arg, (uint32_t) n};
    r->n += (uint32_t) n;
    self->last_pseq += n;
    self->inflight_events += n;
    /* Appends made by ack callbacks go out together when the burst of
     * replies has been handled (s_on_dealer), not one by one. */
    if (self->nsent == 0 && !self->dispatching)
        s_flush(self);
    return 0;
}

typedef struct {
    bool done;
    int rc;
    uint64_t first;
} s_wait_t;

static void s_wait_ack(void *arg, int rc, const uint64_t *seqs, size_t n)
{
    (void) n;
    s_wait_t *w = arg;
    w->done = true;
    w->rc = rc;
    w->first = seqs ? seqs[0] : 0;
}

int evlog_client_append_wait(evlog_client_t *self, Kefu__Envelope **events, size_t n,
                             uint64_t *first_seq, int timeout_ms)
{
    s_wait_t *w = calloc(1, sizeof *w);
    int64_t deadline = kclock_mono_us() + (int64_t) timeout_ms * 1000;
    int rc = evlog_client_append(self, events, n, s_wait_ack, w);
    while (rc == 0 && !w->done) {
        int64_t left = (deadline - kclock_mono_us()) / 1000;
        if (left <= 0) {
            /* The request stays queued; its callback must not touch w. */
            for (size_t i = self->qhead; i < self->qn; i++)
                for (size_t j = 0; j < self->q[i].nsegs; j++)
                    if (self->q[i].segs[j].arg == w)
                        self->q[i].segs[j].cb = NULL, self->q[i].segs[j].arg = NULL;
            free(w);
            return KEFU_ETIMEOUT;
        }
        s_poll_once(self, (int) (left < S_TICK_MS ? left : S_TICK_MS));
    }
    if (rc == 0)
        rc = w->rc;
    if (rc == 0 && first_seq)
        *first_seq = w->first;
    free(w);
    return rc;
}

size_t evlog_client_inflight(const evlog_client_t *self)
{
    return self->inflight_events;
}

/* ---- reading ------------------------------------------------------------------ */

/* Parses a blob of records into self->recs, checking each; returns how
 * many are valid (a damaged blob is cut where it goes bad). */
static size_t s_parse_at(evlog_client_t *self, size_t n, const uint8_t *data, size_t len)
{
    size_t off = 0;
    while (off < len) {
        if (n == self->caprecs) {
            self->caprecs = self->caprecs ? 2 * self->caprecs : 1024;
            self->recs = realloc(self->recs, self->caprecs * sizeof *self->recs);
            if (!self->recs)
                abort();
        }
        size_t used = evlog_record_read(data + off, len - off, &self->recs[n]);
        if (used == 0)
            break;
        off += used;
        n++;
    }
    return n;
}

static size_t s_parse(evlog_client_t *self, const uint8_t *data, size_t len)
{
    return s_parse_at(self, 0, data, len);
}

/* Delivers the part of recs[0..n) that continues from `next`. Returns
 * 0, or 1 if the records start past `next` (a gap), or the callback's
 * code. */
static int s_deliver(evlog_client_t *self, const evlog_record_t *recs, size_t n)
{
    size_t i = 0;
    while (i < n && recs[i].seq < self->next)
        i++;
    if (i == n)
        return 0;
    if (recs[i].seq != self->next)
        return 1;
    size_t j = i + 1;
    while (j < n && recs[j].seq == recs[j - 1].seq + 1)
        j++;
    int rc = self->deliver(self->darg, recs + i, j - i);
    if (rc) {
        self->stop_rc = rc;
        self->stop_us = kclock_mono_us();
        return rc;
    }
    self->next = recs[j - 1].seq + 1;
    return j < n ? 1 : 0;
}

static uint64_t s_le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

/* A live message (head, records) in LIVE mode. */
/* Live records recs[0..n) (from one or more messages) in LIVE mode. */
static void s_live_recs(evlog_client_t *self, uint64_t head, size_t n)
{
    if (head > self->head)
        self->head = head;
    int rc = s_deliver(self, self->recs, n);
    if (rc == 0 && self->next <= head)
        rc = 1;  /* the stream is behind the head it reports: we missed some */
    if (rc != 0 && self->mode == S_LIVE) {
        self->mode = S_CATCHUP;
        if (rc == 1)
            s_sub_fetch(self);
    }
}

static void s_live(evlog_client_t *self, uint64_t head, const uint8_t *data, size_t len)
{
    s_live_recs(self, head, s_parse(self, data, len));
}

static void s_keep(evlog_client_t *self, uint64_t head, const uint8_t *data, size_t len)
{
    if (self->nkept == S_MAX_KEPT)
        return;  /* catch-up will fetch these */
    if (!self->kept)
        self->kept = calloc(S_MAX_KEPT, sizeof *self->kept);
    s_kept_t *k = &self->kept[self->nkept++];
    k->data = malloc(len ? len : 1);
    memcpy(k->data, data, len);
    k->len = len;
    k->head = head;
}

static void s_sub_fetch(evlog_client_t *self)
{
    Kefu__LogRequest req = KEFU__LOG_REQUEST__INIT;
    Kefu__FetchRequest fr = KEFU__FETCH_REQUEST__INIT;
    fr.has_from = fr.has_max_events = true;
    fr.from = self->next;
    fr.max_events = S_FETCH_MAX;
    req.has_corr = true;
    req.corr = self->sub_corr = self->next_corr++;
    req.req_case = KEFU__LOG_REQUEST__REQ_FETCH;
    req.fetch = &fr;
    self->sub_sent = kclock_mono_us();
    s_send_request(self, &req);
}

static void s_on_sub_fetch(evlog_client_t *self, const Kefu__FetchReply *f,
                           const uint8_t *data, size_t len)
{
    self->sub_corr = 0;
    if (f->head > self->head)
        self->head = f->head;
    size_t n = s_parse(self, data, len);
    int rc = s_deliver(self, self->recs, n);
    if (rc < 0 || rc > 1 || self->stop_rc)
        return;  /* the callback stopped us; the retry tick fetches again */
    if (n > 0 && self->next <= f->head) {
        s_sub_fetch(self);
        return;
    }
    /* Caught up: what came live meanwhile follows on. */
    self->mode = S_LIVE;
    size_t nk = self->nkept;
    self->nkept = 0;
    for (size_t i = 0; i < nk; i++) {
        if (self->mode == S_LIVE)
            s_live(self, self->kept[i].head, self->kept[i].data, self->kept[i].len);
        free(self->kept[i].data);
    }
}

/* Reads what the live stream holds. In LIVE mode every message waiting
 * (up to S_LIVE_BATCH) is delivered in one call: while a daemon commits
 * one batch to its store, the next ones queue, and it then applies them
 * all in one transaction (group commit on the consumer's side). */
#define S_LIVE_BATCH 64

static void s_on_sub(evlog_client_t *self)
{
    void *h = zsock_resolve(self->sub);
    zmq_msg_t bodies[S_LIVE_BATCH];
    size_t nb = 0, nrecs = 0;
    uint64_t head = 0;
    for (int i = 0; i < 256 && nb < S_LIVE_BATCH; i++) {
        zmq_msg_t hm;
        zmq_msg_init(&hm);
        if (zmq_msg_recv(&hm, h, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&hm);
            break;
        }
        zmq_msg_t *body = &bodies[nb];
        zmq_msg_init(body);
        bool ok = zmq_msg_more(&hm) && zmq_msg_recv(body, h, 0) >= 0 && zmq_msg_size(&hm) == 8;
        uint64_t hd = ok ? s_le64(zmq_msg_data(&hm)) : 0;
        zmq_msg_close(&hm);
        if (ok && self->mode == S_LIVE && !self->stop_rc) {
            /* keep the message open: its records are delivered below */
            nrecs = s_parse_at(self, nrecs, zmq_msg_data(body), zmq_msg_size(body));
            if (hd > head)
                head = hd;
            nb++;
            continue;
        }
        if (ok && self->mode == S_CATCHUP)
            s_keep(self, hd, zmq_msg_data(body), zmq_msg_size(body));
        zmq_msg_close(body);
    }
    if (nb > 0)
        s_live_recs(self, head, nrecs);
    for (size_t i = 0; i < nb; i++)
        zmq_msg_close(&bodies[i]);
}

static void s_on_dealer(evlog_client_t *self)
{
    void *h = zsock_resolve(self->dealer);
    bool outer = !self->dispatching;
    self->dispatching = true;
    for (int i = 0; i < 1024; i++) {
        zmq_msg_t m, rec;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, h, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&m);
            break;
        }
        zmq_msg_init(&rec);
        if (zmq_msg_more(&m))
            zmq_msg_recv(&rec, h, 0);
        Kefu__LogReply *rep = kefu__log_reply__unpack(arena_pbc(self->arena),
                                                      zmq_msg_size(&m), zmq_msg_data(&m));
        if (rep && rep->has_corr) {
            if (self->hello_corr && rep->corr == self->hello_corr && rep->error &&
                rep->error->code != KEFU__ERROR_CODE__ERR_NONE) {
                self->hello_done = true;
                self->hello_corr = 0;
                self->hello_rc = kefu_err_from_wire(rep->error->code);
                klog_error("log client %s: hello refused: %s", self->producer,
                           rep->error->message ? rep->error->message
                                               : kefu_strerror(self->hello_rc));
            } else if (rep->corr == self->hello_corr &&
                       rep->rep_case == KEFU__LOG_REPLY__REP_HELLO) {
                self->hello_done = true;
                self->hello_corr = 0;
                self->last_pseq = rep->hello->last_producer_seq;
                if (rep->hello->head > self->head)
                    self->head = rep->hello->head;
            } else if (rep->corr == self->sub_corr && rep->rep_case == KEFU__LOG_REPLY__REP_FETCH) {
                s_on_sub_fetch(self, rep->fetch, zmq_msg_data(&rec), zmq_msg_size(&rec));
            } else if (rep->corr == self->fetch_corr && rep->rep_case == KEFU__LOG_REPLY__REP_FETCH) {
                self->fetch_corr = 0;
                self->fetch_done = true;
                if (rep->fetch->head > self->head)
                    self->head = rep->fetch->head;
                size_t n = s_parse(self, zmq_msg_data(&rec), zmq_msg_size(&rec));
                self->fetch_rc = self->fetch_cb ? self->fetch_cb(self->fetch_arg, self->recs, n) : 0;
            } else
                s_on_append_reply(self, rep);
        }
        zmq_msg_close(&rec);
        zmq_msg_close(&m);
        arena_reset(self->arena);
    }
    if (outer) {
        self->dispatching = false;
        s_flush(self);
    }
}

/* Resends what has waited too long: appends, the hello, the fetch. */
static void s_tick(evlog_client_t *self)
{
    s_flush(self);
    int64_t now = kclock_mono_us();
    if (self->qhead < self->qn) {
        for (size_t i = self->qhead; i < self->qn; i++)
            if (!self->q[i].done && self->q[i].sent) {
                if (now - self->q[i].sent_us > S_RETRY_US)
                    s_resend_all(self);
                break;
            }
    }
    /* After a refusal, wait S_RETRY_US before offering the records again,
     * so a store that can't take them is not hammered. */
    if (self->mode == S_CATCHUP && (self->sub_corr == 0 || now - self->sub_sent > S_RETRY_US) &&
        (!self->stop_rc || now - self->stop_us > S_RETRY_US)) {
        self->stop_rc = 0;
        s_sub_fetch(self);
    }
}

static int s_poll_once(evlog_client_t *self, int timeout_ms)
{
    s_flush(self);
    zmq_pollitem_t items[2] = {
        {zsock_resolve(self->dealer), 0, ZMQ_POLLIN, 0},
        {self->sub ? zsock_resolve(self->sub) : NULL, 0, ZMQ_POLLIN, 0},
    };
    int rc = zmq_poll(items, self->sub ? 2 : 1, timeout_ms);
    if (rc > 0 && (items[0].revents & ZMQ_POLLIN))
        s_on_dealer(self);
    if (rc > 0 && self->sub && (items[1].revents & ZMQ_POLLIN))
        s_on_sub(self);
    int stop = self->stop_rc;  /* before s_tick may clear it for a retry */
    s_tick(self);
    return stop;
}

int evlog_client_poll(evlog_client_t *self, int timeout_ms)
{
    return s_poll_once(self, timeout_ms < S_TICK_MS ? timeout_ms : S_TICK_MS);
}

int evlog_client_fetch(evlog_client_t *self, uint64_t from, size_t max,
                       evlog_deliver_fn *cb, void *arg, uint64_t *head, int timeout_ms)
{
    Kefu__LogRequest req = KEFU__LOG_REQUEST__INIT;
    Kefu__FetchRequest fr = KEFU__FETCH_REQUEST__INIT;
    fr.has_from = fr.has_max_events = true;
    fr.from = from ? from : 1;
    fr.max_events = (uint32_t) (max > S_FETCH_MAX ? S_FETCH_MAX : max);
    req.has_corr = true;
    req.corr = self->fetch_corr = self->next_corr++;
    req.req_case = KEFU__LOG_REQUEST__REQ_FETCH;
    req.fetch = &fr;
    self->fetch_done = false;
    self->fetch_cb = cb;
    self->fetch_arg = arg;
    self->fetch_rc = 0;
    s_send_request(self, &req);
    int64_t deadline = kclock_mono_us() + (int64_t) timeout_ms * 1000;
    while (!self->fetch_done) {
        int64_t left = (deadline - kclock_mono_us()) / 1000;
        if (left <= 0) {
            self->fetch_corr = 0;
            return KEFU_ETIMEOUT;
        }
        s_poll_once(self, (int) (left < S_TICK_MS ? left : S_TICK_MS));
    }
    if (head)
        *head = self->head;
    return self->fetch_rc;
}

/* ---- subscription and reactor ------------------------------------------------ */

static int s_loop_dealer(zloop_t *loop, zsock_t *sock, void *arg)
{
    (void) loop;
    (void) sock;
    evlog_client_t *self = arg;
    s_on_dealer(self);
    return 0;
}

static int s_loop_sub(zloop_t *loop, zsock_t *sock, void *arg)
{
    (void) loop;
    (void) sock;
    s_on_sub(arg);
    return 0;
}

static int s_loop_tick(zloop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    s_tick(arg);
    return 0;
}

int evlog_client_subscribe(evlog_client_t *self, uint64_t from, evlog_deliver_fn *cb, void *arg)
{
    assert(!self->sub);
    self->sub = zsock_new(ZMQ_SUB);
    if (!self->sub)
        return KEFU_EINTERNAL;
    zsock_set_linger(self->sub, 0);
    zsock_set_rcvhwm(self->sub, 100000);
    zsock_set_subscribe(self->sub, "");
    zsock_set_reconnect_ivl(self->sub, 50);
    zsock_set_reconnect_ivl_max(self->sub, 500);
    if (zsock_connect(self->sub, "%s", self->pub_ep) != 0)
        return KEFU_EINTERNAL;
    self->deliver = cb;
    self->darg = arg;
    self->next = from ? from : 1;
    self->mode = S_CATCHUP;
    if (self->loop)
        zloop_reader(self->loop, self->sub, s_loop_sub, self);
    s_sub_fetch(self);
    return 0;
}

uint64_t evlog_client_next(const evlog_client_t *self)
{
    return self->next;
}

uint64_t evlog_client_head(const evlog_client_t *self)
{
    return self->head;
}

int evlog_client_attach(evlog_client_t *self, zloop_t *loop)
{
    self->loop = loop;
    if (zloop_reader(loop, self->dealer, s_loop_dealer, self) != 0)
        return -1;
    if (self->sub && zloop_reader(loop, self->sub, s_loop_sub, self) != 0)
        return -1;
    self->timer = zloop_timer(loop, S_TICK_MS, 0, s_loop_tick, self);
    return self->timer >= 0 ? 0 : -1;
}
