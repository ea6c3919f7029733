/* test_evlog_client.c: the log client's acknowledgements, against a
 * scripted stand-in for the log.
 *
 * The stand-in (a thread with a ROUTER on the site's log socket) plays the
 * log's side of hello and append exactly as docs/protocol.md says: it
 * keeps a producer table, answers a retry with the seqs it gave the first
 * time, and answers in the order it took requests. Its seqs are
 * 1000 + 3 * producer_seq, so no two events of one request have
 * consecutive seqs: a client that reports seqs[0] + i is caught at once.
 * It can be told to swallow the answer to the first K copies of the
 * request that holds one producer_seq (a reply lost across a kill), or to
 * answer one copy with a seq of 0 (what the log once said to a retry
 * older than its dedup window).
 *
 * Covered, each deterministic (the order of messages, never a timer):
 *   - every acknowledgement carries exactly the stand-in's seqs;
 *   - a lost answer is noticed when a later request is answered, and the
 *     request is sent again before any request sent after that answer:
 *     not after the 1 s retry timer (issue 12: a producer went on for
 *     8,600 events with one append unanswered);
 *   - while one append stays unanswered the producer never runs
 *     EVLOG_CLIENT_SPAN or more past it (append says KEFU_EUNAVAIL), so
 *     its retry is always inside the log's dedup window;
 *   - an answer with a seq of 0 is not an acknowledgement: the request
 *     stays and its retry's real seq is what the caller gets;
 *   - the producer proof (evlog_proof.h; issue 11), with the stand-in
 *     checking it as the log does: a daemon's producer reads the site
 *     secret at hello time, so one created before the log made the file
 *     is refused once, reads it again and is let in; its appends carry
 *     the proof; when the secret changes under it (the log's store made
 *     anew) a refused append is sent again with the new proof; with no
 *     readable secret the hello fails KEFU_EFORBIDDEN after two tries,
 *     not in a loop; a producer that is no daemon sends no proof.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <czmq.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "evlog.pb-c.h"
#include "evlog_client.h"
#include "evlog_proof.h"
#include "kerr.h"
#include "kclock.h"
#include "ktest.h"
#include "site.h"

#define S_MAXP 20000            /* producer_seqs the stand-in can hold */

/* cmocka's asserts may not fail on another thread: the stand-in aborts. */
#define S_CHECK(x)                                                          \
    do {                                                                    \
        if (!(x)) {                                                         \
            fprintf(stderr, "%s:%d: stand-in log: %s\n", __FILE__, __LINE__, #x); \
            abort();                                                        \
        }                                                                   \
    } while (0)

/* ---- the stand-in log ------------------------------------------------------- */

typedef struct {
    /* script, set before the thread starts */
    uint64_t drop_pseq;         /* the request holding it ... */
    int drop_copies;            /* ... gets no answer this many times */
    uint64_t zero_pseq;         /* the first copy holding it is answered with seq 0 */
    bool full_after_drop;       /* refuse (store-full) the first request after the one
                                   holding drop_pseq, while that one waits unanswered */
    uint64_t drop_last;         /* the last pseq of the request holding drop_pseq */
    bool check_proof;           /* refuse a hello/append without the proof, as the log */
    bool secret_on_hello;       /* no secret yet: make it at the first hello (and refuse it) */
    /* what it saw */
    pthread_mutex_t mu;
    uint64_t last;              /* the producer's last producer_seq */
    uint64_t copies[S_MAXP];    /* requests seen whose first event was this pseq */
    uint64_t drop_first;        /* the first pseq of the request holding drop_pseq */
    uint64_t max_seen_before_retry;  /* highest pseq sent after it, before its retry */
    bool retried;
    int hellos, proofs_seen, forbidden;   /* requests, with a proof, refused for it */
    volatile bool stop;
    char ep[256];
    pthread_t thread;
    bool ready;
} s_fake_t;

static char s_site[64];     /* the site directory the client is given */

static uint64_t s_seq_of(uint64_t pseq)
{
    return 1000 + 3 * pseq;
}

static void s_reply(zsock_t *router, zframe_t *id, Kefu__LogReply *rep)
{
    size_t len = kefu__log_reply__get_packed_size(rep);
    uint8_t *buf = malloc(len ? len : 1);
    kefu__log_reply__pack(rep, buf);
    zframe_send(&id, router, ZFRAME_MORE);
    zsock_send(router, "b", buf, len);
    free(buf);
}

static void s_fake_request(s_fake_t *f, zsock_t *router, zframe_t *id, zframe_t *body)
{
    Kefu__LogRequest *req = kefu__log_request__unpack(NULL, zframe_size(body), zframe_data(body));
    S_CHECK(req);
    Kefu__LogReply rep = KEFU__LOG_REPLY__INIT;
    rep.has_corr = true;
    rep.corr = req->corr;
    bool hello = req->req_case == KEFU__LOG_REQUEST__REQ_HELLO;
    bool append = req->req_case == KEFU__LOG_REQUEST__REQ_APPEND;
    if (hello || append) {
        bool has = hello ? req->hello->has_proof : req->append->has_proof;
        ProtobufCBinaryData pr = hello ? req->hello->proof : req->append->proof;
        const char *producer = hello ? req->hello->producer : NULL;
        Kefu__Envelope *ev0 = NULL;
        if (append && req->append->n_events > 0) {
            ev0 = kefu__envelope__unpack(NULL, req->append->events[0].len,
                                         req->append->events[0].data);
            S_CHECK(ev0);
            producer = ev0->producer;
        }
        pthread_mutex_lock(&f->mu);
        f->hellos += hello;
        f->proofs_seen += has;
        bool ok = !f->check_proof;
        uint8_t secret[EVLOG_SECRET_BYTES], want[EVLOG_PROOF_BYTES];
        if (!ok && evlog_secret_read(s_site, secret) == 0) {
            evlog_proof_make(secret, producer, strlen(producer), want);
            ok = has && pr.len == EVLOG_PROOF_BYTES && evlog_proof_equal(pr.data, want);
        } else if (!ok && hello && f->secret_on_hello) {
            S_CHECK(evlog_secret_ensure(s_site, secret) == 0);
            f->secret_on_hello = false;
        }
        f->forbidden += !ok;
        pthread_mutex_unlock(&f->mu);
        kefu__envelope__free_unpacked(ev0, NULL);
        if (!ok) {
            Kefu__Error e = KEFU__ERROR__INIT;
            e.has_code = true;
            e.code = KEFU__ERROR_CODE__ERR_FORBIDDEN;
            e.message = "producer intake is the intake daemon's; a client may not hello or "
                        "append as it";
            rep.error = &e;
            s_reply(router, id, &rep);
            kefu__log_request__free_unpacked(req, NULL);
            return;
        }
    }
    if (hello) {
        Kefu__HelloReply hr = KEFU__HELLO_REPLY__INIT;
        hr.has_last_producer_seq = hr.has_head = true;
        pthread_mutex_lock(&f->mu);
        hr.last_producer_seq = f->last;
        hr.head = s_seq_of(f->last);
        pthread_mutex_unlock(&f->mu);
        rep.rep_case = KEFU__LOG_REPLY__REP_HELLO;
        rep.hello = &hr;
        s_reply(router, id, &rep);
    } else if (req->req_case == KEFU__LOG_REQUEST__REQ_APPEND) {
        size_t n = req->append->n_events;
        uint64_t *seqs = calloc(n, sizeof *seqs);
        uint64_t first = 0, lastp = 0;
        bool has_drop = false, has_zero = false;
        pthread_mutex_lock(&f->mu);
        uint64_t *pseqs = calloc(n, sizeof *pseqs);
        for (size_t i = 0; i < n; i++) {
            Kefu__Envelope *ev = kefu__envelope__unpack(NULL, req->append->events[i].len,
                                                        req->append->events[i].data);
            S_CHECK(ev);
            pseqs[i] = ev->producer_seq;
            kefu__envelope__free_unpacked(ev, NULL);
            S_CHECK(pseqs[i] > 0 && pseqs[i] < S_MAXP);
        }
        /* As the log: a gap or a refusal takes nothing of the request. */
        bool refuse = f->full_after_drop && f->drop_last && pseqs[0] > f->drop_last &&
                      pseqs[0] == f->last + 1 && f->copies[f->drop_first] <= (uint64_t) f->drop_copies;
        if (refuse)
            f->full_after_drop = false;  /* once */
        if (pseqs[0] > f->last + 1 || refuse) {
            Kefu__Error e = KEFU__ERROR__INIT;
            e.has_code = true;
            e.code = refuse ? KEFU__ERROR_CODE__ERR_STORE_FULL : KEFU__ERROR_CODE__ERR_GAP;
            e.message = refuse ? "the disk is full" : "gap";
            e.has_expected = !refuse;
            e.expected = f->last + 1;
            rep.error = &e;
            pthread_mutex_unlock(&f->mu);
            s_reply(router, id, &rep);
            free(pseqs);
            free(seqs);
            kefu__log_request__free_unpacked(req, NULL);
            return;
        }
        for (size_t i = 0; i < n; i++) {
            uint64_t pseq = pseqs[i];
            if (i == 0)
                first = pseq;
            lastp = pseq;
            if (pseq == f->last + 1)
                f->last = pseq;
            seqs[i] = s_seq_of(pseq);
            has_drop |= pseq == f->drop_pseq;
            has_zero |= pseq == f->zero_pseq;
        }
        free(pseqs);
        uint64_t copy = ++f->copies[first];
        bool answer = !(has_drop && copy <= (uint64_t) f->drop_copies);
        bool zero = has_zero && copy == 1;
        if (has_drop) {
            f->drop_first = first;
            f->drop_last = lastp;
        }
        if (has_drop && copy > 1)
            f->retried = true;
        if (f->drop_first && !has_drop && !f->retried && lastp > f->max_seen_before_retry)
            f->max_seen_before_retry = lastp;
        pthread_mutex_unlock(&f->mu);
        if (zero)
            seqs[0] = 0;
        if (answer) {
            Kefu__AppendReply ar = KEFU__APPEND_REPLY__INIT;
            ar.n_seqs = n;
            ar.seqs = seqs;
            rep.rep_case = KEFU__LOG_REPLY__REP_APPEND;
            rep.append = &ar;
            s_reply(router, id, &rep);
        } else
            zframe_destroy(&id);
        free(seqs);
    } else
        zframe_destroy(&id);
    kefu__log_request__free_unpacked(req, NULL);
}

static void *s_fake_run(void *arg)
{
    s_fake_t *f = arg;
    zsock_t *router = zsock_new(ZMQ_ROUTER);
    S_CHECK(router);
    zsock_set_linger(router, 0);
    S_CHECK(zsock_bind(router, "%s", f->ep) == 0);
    pthread_mutex_lock(&f->mu);
    f->ready = true;
    pthread_mutex_unlock(&f->mu);
    while (!f->stop) {
        zmq_pollitem_t item = {zsock_resolve(router), 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&item, 1, 50) <= 0)
            continue;
        zframe_t *id = zframe_recv(router);
        zframe_t *body = id && zsock_rcvmore(router) ? zframe_recv(router) : NULL;
        if (id && body)
            s_fake_request(f, router, id, body);
        else
            zframe_destroy(&id);
        zframe_destroy(&body);
    }
    zsock_destroy(&router);
    return NULL;
}

static s_fake_t *s_fake_start(uint64_t drop_pseq, int drop_copies, uint64_t zero_pseq)
{
    s_fake_t *f = calloc(1, sizeof *f);
    pthread_mutex_init(&f->mu, NULL);
    f->drop_pseq = drop_pseq;
    f->drop_copies = drop_copies;
    f->zero_pseq = zero_pseq;
    assert_int_equal(site_endpoint(s_site, "evlog", "sock", f->ep, sizeof f->ep), 0);
    pthread_create(&f->thread, NULL, s_fake_run, f);
    for (;;) {
        pthread_mutex_lock(&f->mu);
        bool ready = f->ready;
        pthread_mutex_unlock(&f->mu);
        if (ready)
            break;
        usleep(1000);
    }
    return f;
}

static void s_fake_stop(s_fake_t **f_p)
{
    s_fake_t *f = *f_p;
    f->stop = true;
    pthread_join(f->thread, NULL);
    pthread_mutex_destroy(&f->mu);
    free(f);
    *f_p = NULL;
}

/* ---- the producer ------------------------------------------------------------ */


typedef struct {
    uint64_t pseq[S_MAXP];      /* call i's first producer_seq */
    uint64_t got[S_MAXP];       /* the seq acknowledged for each producer_seq */
    size_t acked;               /* events acknowledged */
    size_t sent;                /* events handed to the client and not failed */
    int failed;                 /* calls failed */
} s_prod_t;

typedef struct {
    s_prod_t *p;
    uint64_t first_pseq;
} s_call_t;

static void s_ack(void *arg, int rc, const uint64_t *seqs, size_t n)
{
    s_call_t *c = arg;
    if (rc) {
        c->p->failed++;
        c->p->sent -= n;  /* not in the log: s_produce makes them again */
    } else
        for (size_t i = 0; i < n; i++) {
            assert_int_equal(c->p->got[c->first_pseq + i], 0);  /* once only */
            c->p->got[c->first_pseq + i] = seqs[i];
            c->p->acked++;
        }
    free(c);
}

/* Appends count events, `per` per call, keeping up to window events in
 * flight; checks the span rule at every append. */
static void s_produce(evlog_client_t *cl, s_prod_t *p, size_t count, size_t per, size_t window,
                      int timeout_ms)
{
    uint8_t payload[8] = "12345678";
    int64_t deadline = kclock_mono_us() + timeout_ms * 1000LL;
    while (p->acked < count) {
        assert_true(kclock_mono_us() < deadline);
        while (p->sent < count && evlog_client_inflight(cl) < window) {
            Kefu__Envelope env[8], *evs[8];
            Kefu__Probe probe[8];
            size_t n = count - p->sent < per ? count - p->sent : per;
            for (size_t i = 0; i < n; i++) {
                kefu__envelope__init(&env[i]);
                kefu__probe__init(&probe[i]);
                probe[i].has_n = probe[i].has_payload = true;
                probe[i].n = p->sent + i;
                probe[i].payload.data = payload;
                probe[i].payload.len = sizeof payload;
                env[i].has_at = true;
                env[i].at = 1;
                env[i].body_case = KEFU__ENVELOPE__BODY_PROBE;
                env[i].probe = &probe[i];
                evs[i] = &env[i];
            }
            s_call_t *c = calloc(1, sizeof *c);
            c->p = p;
            int rc = evlog_client_append(cl, evs, n, s_ack, c);
            if (rc == KEFU_EUNAVAIL) {
                free(c);
                break;
            }
            assert_ok(rc);
            c->first_pseq = env[0].producer_seq;
            /* the span rule: never EVLOG_CLIENT_SPAN past the oldest
             * event not yet acknowledged */
            uint64_t oldest = 0;
            for (uint64_t q = 1; q <= env[n - 1].producer_seq && !oldest; q++)
                if (!p->got[q])
                    oldest = q;
            if (oldest)
                assert_true(env[n - 1].producer_seq - oldest < EVLOG_CLIENT_SPAN);
            p->sent += n;
        }
        evlog_client_poll(cl, 20);
    }
}

static void s_check_seqs(const s_prod_t *p, size_t count)
{
    for (uint64_t q = 1; q <= count; q++)
        if (p->got[q] != s_seq_of(q))
            fail_msg("producer_seq %llu acknowledged with seq %llu, the log gave %llu",
                     (unsigned long long) q, (unsigned long long) p->got[q],
                     (unsigned long long) s_seq_of(q));
}

/* ---- tests ------------------------------------------------------------------- */

/* Requests of 3 events: every seq is the log's, none is seqs[0] + i. */
static void test_seqs_as_answered(void **state)
{
    (void) state;
    s_fake_t *f = s_fake_start(0, 0, 0);
    evlog_client_t *cl = evlog_client_new(s_site, "p");
    s_prod_t *p = calloc(1, sizeof *p);
    s_produce(cl, p, 300, 3, 30, 10000);
    s_check_seqs(p, 300);
    assert_int_equal(p->failed, 0);
    evlog_client_destroy(&cl);
    free(p);
    s_fake_stop(&f);
}

/* The answer to event 100's request is lost once: the request goes again
 * as soon as a later one is answered, before anything sent after that. */
static void test_lost_answer_resent_at_once(void **state)
{
    (void) state;
    s_fake_t *f = s_fake_start(100, 1, 0);
    evlog_client_t *cl = evlog_client_new(s_site, "p");
    s_prod_t *p = calloc(1, sizeof *p);
    int64_t t0 = kclock_mono_us();
    s_produce(cl, p, 2000, 1, 32, 10000);
    int64_t took = kclock_mono_us() - t0;
    s_check_seqs(p, 2000);
    pthread_mutex_lock(&f->mu);
    assert_true(f->retried);
    assert_int_equal(f->copies[f->drop_first], 2);  /* resent once, not by the timer too */
    /* At most a window or two (32 in flight) went out before the retry;
     * the timer would have let ~1 s of appends by. */
    if (f->max_seen_before_retry > 100 + 3 * 32)
        fail_msg("event 100 was resent only after event %llu had been sent",
                 (unsigned long long) f->max_seen_before_retry);
    pthread_mutex_unlock(&f->mu);
    (void) took;
    evlog_client_destroy(&cl);
    free(p);
    s_fake_stop(&f);
}

/* Event 50's request is never answered for its first 1000 copies: the
 * producer stops short of EVLOG_CLIENT_SPAN past it (s_produce asserts
 * that at every append), and once it is answered all is acknowledged
 * with the log's seqs. */
static void test_span_bounded(void **state)
{
    (void) state;
    s_fake_t *f = s_fake_start(50, 1000000, 0);
    evlog_client_t *cl = evlog_client_new(s_site, "p");
    s_prod_t *p = calloc(1, sizeof *p);
    /* Append, 32 in flight, until the client refuses: the span rule. */
    uint64_t highest = 0;
    int64_t deadline = kclock_mono_us() + 10000 * 1000LL;
    for (;;) {
        assert_true(kclock_mono_us() < deadline);
        if (evlog_client_inflight(cl) >= 32) {
            evlog_client_poll(cl, 20);
            continue;
        }
        Kefu__Envelope env, *evs[1] = {&env};
        Kefu__Probe probe;
        kefu__envelope__init(&env);
        kefu__probe__init(&probe);
        probe.has_n = true;
        env.has_at = true;
        env.at = 1;
        env.body_case = KEFU__ENVELOPE__BODY_PROBE;
        env.probe = &probe;
        s_call_t *c = calloc(1, sizeof *c);
        c->p = p;
        int rc = evlog_client_append(cl, evs, 1, s_ack, c);
        if (rc == KEFU_EUNAVAIL) {
            free(c);
            break;
        }
        assert_ok(rc);
        c->first_pseq = highest = env.producer_seq;
    }
    /* refused exactly at the span from the oldest unacknowledged event,
     * the first of the request that holds 50 */
    pthread_mutex_lock(&f->mu);
    uint64_t oldest = f->drop_first;
    pthread_mutex_unlock(&f->mu);
    assert_true(oldest > 0 && oldest <= 50);
    assert_int_equal(highest, oldest + EVLOG_CLIENT_SPAN - 1);
    assert_int_equal(p->got[50], 0);
    /* Now let event 50 through: everything is acknowledged, correctly. */
    pthread_mutex_lock(&f->mu);
    f->drop_pseq = 0;
    pthread_mutex_unlock(&f->mu);
    int64_t until = kclock_mono_us() + 5000 * 1000LL;
    while (p->acked < highest && kclock_mono_us() < until)
        evlog_client_poll(cl, 50);
    assert_int_equal(p->acked, highest);
    s_check_seqs(p, highest);
    evlog_client_destroy(&cl);
    free(p);
    s_fake_stop(&f);
}

/* An answer with seq 0 is not an acknowledgement. */
static void test_seq_zero_refused(void **state)
{
    (void) state;
    s_fake_t *f = s_fake_start(0, 0, 20);
    evlog_client_t *cl = evlog_client_new(s_site, "p");
    s_prod_t *p = calloc(1, sizeof *p);
    s_produce(cl, p, 200, 1, 16, 10000);
    s_check_seqs(p, 200);
    pthread_mutex_lock(&f->mu);
    uint64_t copies = 0;
    for (uint64_t q = 1; q <= 20; q++)
        copies = f->copies[q] > copies ? f->copies[q] : copies;
    assert_true(copies >= 2);  /* the request holding 20 went again */
    pthread_mutex_unlock(&f->mu);
    evlog_client_destroy(&cl);
    free(p);
    s_fake_stop(&f);
}

/* The log refuses a request (store-full) while the answer to an earlier
 * one, holding event 90, is still to come (its first 3 copies go
 * unanswered): that earlier request is acknowledged as usual in the end,
 * the refused one and those after it fail with store-full, and numbering
 * goes on from the refused request with no gap (the stand-in answers
 * one with ERR_GAP) and no new hello. */
static void test_refused_request(void **state)
{
    (void) state;
    s_fake_t *f = s_fake_start(90, 3, 0);
    pthread_mutex_lock(&f->mu);
    f->full_after_drop = true;
    pthread_mutex_unlock(&f->mu);
    evlog_client_t *cl = evlog_client_new(s_site, "p");
    s_prod_t *p = calloc(1, sizeof *p);
    s_produce(cl, p, 1000, 1, 32, 10000);
    assert_true(p->failed > 0);          /* the refused request and those after it */
    pthread_mutex_lock(&f->mu);
    uint64_t last = f->last;
    bool retried = f->retried;
    assert_false(f->full_after_drop);    /* the refusal happened */
    pthread_mutex_unlock(&f->mu);
    assert_true(retried);                /* event 90's request was answered after all */
    assert_int_equal(p->got[90], s_seq_of(90));
    /* s_produce counts failed events as not sent: the 1000 acknowledged
     * ones are producer_seqs 1..1000, each with the log's seq */
    assert_int_equal(last, 1000);
    s_check_seqs(p, 1000);
    evlog_client_destroy(&cl);
    free(p);
    s_fake_stop(&f);
}

/* Writes n bytes of value c as the site secret (made 0600 by hand). */
static void s_put_secret(uint8_t c, size_t n)
{
    char path[256];
    assert_ok(evlog_secret_path(s_site, path, sizeof path));
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    for (size_t i = 0; i < n; i++)
        fputc(c, fp);
    fclose(fp);
}

static void s_secret_clear(void)
{
    char path[256], dir[256];
    assert_ok(evlog_secret_path(s_site, path, sizeof path));
    unlink(path);
    snprintf(dir, sizeof dir, "%s/evlog", s_site);
    mkdir(dir, 0700);
}

/* One probe through append_wait; returns its rc. */
static int s_probe(evlog_client_t *cl)
{
    Kefu__Envelope env = KEFU__ENVELOPE__INIT, *evs[1] = {&env};
    Kefu__Probe probe = KEFU__PROBE__INIT;
    env.has_at = true;
    env.at = 1;
    env.body_case = KEFU__ENVELOPE__BODY_PROBE;
    env.probe = &probe;
    return evlog_client_append_wait(cl, evs, 1, NULL, 5000);
}

/* A daemon's producer created before the log made the secret: its first
 * hello carries no proof and is refused; it reads the file again, is let
 * in, and every append carries the proof. Then the secret changes (a
 * log whose store was made anew): the next append is refused once, read
 * again and sent again, and succeeds. */
static void test_proof_read_at_hello(void **state)
{
    (void) state;
    s_secret_clear();
    s_fake_t *f = s_fake_start(0, 0, 0);
    pthread_mutex_lock(&f->mu);
    f->check_proof = f->secret_on_hello = true;
    pthread_mutex_unlock(&f->mu);
    evlog_client_t *cl = evlog_client_new(s_site, "intake");
    assert_non_null(cl);
    uint64_t head = 0;
    assert_ok(evlog_client_introduce(cl, &head, 5000));
    pthread_mutex_lock(&f->mu);
    assert_int_equal(f->hellos, 2);
    assert_int_equal(f->forbidden, 1);     /* the first, sent before the file existed */
    assert_int_equal(f->proofs_seen, 1);   /* the second */
    pthread_mutex_unlock(&f->mu);
    for (int i = 0; i < 3; i++)
        assert_ok(s_probe(cl));
    pthread_mutex_lock(&f->mu);
    assert_int_equal(f->last, 3);
    assert_int_equal(f->proofs_seen, 4);
    assert_int_equal(f->forbidden, 1);
    pthread_mutex_unlock(&f->mu);
    s_put_secret(0x5a, EVLOG_SECRET_BYTES);   /* a new secret */
    assert_ok(s_probe(cl));
    pthread_mutex_lock(&f->mu);
    assert_int_equal(f->last, 4);
    assert_int_equal(f->forbidden, 2);        /* the stale proof, once */
    pthread_mutex_unlock(&f->mu);
    evlog_client_destroy(&cl);
    s_fake_stop(&f);
}

/* No readable secret (a file of the wrong length): the hello is refused,
 * read again, refused again, and introduce says KEFU_EFORBIDDEN, after
 * exactly two hellos. A producer that is no daemon ("p") is let in
 * without a proof, and sends none. */
static void test_proof_missing(void **state)
{
    (void) state;
    s_secret_clear();
    s_put_secret(1, 7);
    s_fake_t *f = s_fake_start(0, 0, 0);
    pthread_mutex_lock(&f->mu);
    f->check_proof = true;
    pthread_mutex_unlock(&f->mu);
    evlog_client_t *cl = evlog_client_new(s_site, "sched");
    uint64_t head;
    assert_int_equal(evlog_client_introduce(cl, &head, 5000), KEFU_EFORBIDDEN);
    pthread_mutex_lock(&f->mu);
    assert_int_equal(f->hellos, 2);
    assert_int_equal(f->proofs_seen, 0);
    f->check_proof = false;   /* the log asks nothing of "p" */
    f->hellos = f->forbidden = 0;
    pthread_mutex_unlock(&f->mu);
    evlog_client_destroy(&cl);
    s_put_secret(2, EVLOG_SECRET_BYTES);
    cl = evlog_client_new(s_site, "p");
    assert_ok(s_probe(cl));
    pthread_mutex_lock(&f->mu);
    assert_int_equal(f->hellos, 1);
    assert_int_equal(f->proofs_seen, 0);
    pthread_mutex_unlock(&f->mu);
    evlog_client_destroy(&cl);
    s_fake_stop(&f);
}

static int s_setup(void **state)
{
    (void) state;
    snprintf(s_site, sizeof s_site, "/tmp/kefu-client.XXXXXX");
    if (!mkdtemp(s_site))
        return -1;
    char run[128];
    snprintf(run, sizeof run, "%s/run", s_site);
    mkdir(run, 0700);
    return 0;
}

static int s_teardown(void **state)
{
    (void) state;
    ktest_rmtree(s_site);
    return 0;
}

int main(void)
{
    zsys_init();
    zsys_set_logstream(NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seqs_as_answered),
        cmocka_unit_test(test_lost_answer_resent_at_once),
        cmocka_unit_test(test_span_bounded),
        cmocka_unit_test(test_seq_zero_refused),
        cmocka_unit_test(test_refused_request),
        cmocka_unit_test(test_proof_read_at_hello),
        cmocka_unit_test(test_proof_missing),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
