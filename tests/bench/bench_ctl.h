/* bench_ctl.h: what the benchmarks that drive daemons through their
 * control sockets share (bench_intake.c, bench_sched.c, bench_sla.c):
 * packing a request, a DEALER to DIR/run/NAME.ctl, one synchronous call,
 * a sync to a seq, reading a packed reply's kind without decoding it, and
 * driving commands over several DEALERs with a window in flight each.
 * Header-only (static inline): each benchmark is one source file linked
 * with libkefu alone.
 */
#ifndef KEFU_BENCH_CTL_H
#define KEFU_BENCH_CTL_H

#include <czmq.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "control.pb-c.h"
#include "kclock.h"
#include "kerr.h"
#include "pbwire.h"

/* req with correlation id corr, packed into buf (big enough); its length. */
static inline size_t bench_pack(Kefu__Request *req, uint64_t corr, uint8_t *buf)
{
    req->has_corr = true;
    req->corr = corr;
    return kefu__request__pack(req, buf);
}

/* A DEALER to daemon name's control socket in site dir, waiting up to
 * rcvtimeo_ms for an answer. It reconnects at once, so it may connect
 * before the daemon binds (a benchmark that starts the daemon itself). */
static inline void *bench_dealer(const char *dir, const char *name, int rcvtimeo_ms)
{
    char ep[4200];
    snprintf(ep, sizeof ep, "ipc://%s/run/%s.ctl", dir, name);
    void *s = zmq_socket(zsys_init(), ZMQ_DEALER);
    int linger = 0, hwm = 100000, ivl = 1;
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(s, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(s, ZMQ_RCVHWM, &hwm, sizeof hwm);
    zmq_setsockopt(s, ZMQ_RCVTIMEO, &rcvtimeo_ms, sizeof rcvtimeo_ms);
    zmq_setsockopt(s, ZMQ_RECONNECT_IVL, &ivl, sizeof ivl);
    zmq_connect(s, ep);
    return s;
}

/* One synchronous request on sock; *out (out may be NULL) gets the decoded
 * reply (free it) or NULL. Returns 0, or the reply's error (ERR_EXISTS
 * counts as done: a rerun), said on stderr after "who: " (who NULL:
 * silent). */
static inline int bench_call(void *sock, Kefu__Request *req, Kefu__Reply **out, const char *who)
{
    uint8_t buf[1024];
    size_t len = bench_pack(req, 1, buf);
    if (out)
        *out = NULL;
    zmq_send(sock, buf, len, 0);
    zmq_msg_t m;
    zmq_msg_init(&m);
    if (zmq_msg_recv(&m, sock, 0) < 0)
        return KEFU_ETIMEOUT;
    Kefu__Reply *rep = kefu__reply__unpack(NULL, zmq_msg_size(&m), zmq_msg_data(&m));
    zmq_msg_close(&m);
    int rc = !rep ? KEFU_EBADREQ : rep->error && rep->error->code != KEFU__ERROR_CODE__ERR_EXISTS
                                        ? kefu_err_from_wire(rep->error->code) : 0;
    if (who && rc && rep && rep->error && rep->error->message)
        fprintf(stderr, "%s: %s\n", who, rep->error->message);
    if (out && rc == 0)
        *out = rep;
    else
        kefu__reply__free_unpacked(rep, NULL);
    return rc;
}

/* Waits until the daemon behind sock has applied seq, asking again while a
 * sync times out, up to tries times; returns what it had applied when it
 * answered (0 on a failure). */
static inline uint64_t bench_sync(void *sock, uint64_t seq, int tries, const char *who)
{
    for (int i = 0; i < tries; i++) {
        Kefu__Request req = KEFU__REQUEST__INIT;
        Kefu__SyncRequest sy = KEFU__SYNC_REQUEST__INIT;
        sy.has_seq = true;
        sy.seq = seq;
        sy.has_timeout_ms = true;
        sy.timeout_ms = 60000;
        req.req_case = KEFU__REQUEST__REQ_SYNC;
        req.sync = &sy;
        Kefu__Reply *rep;
        uint64_t applied = 0;
        int rc = bench_call(sock, &req, &rep, who);
        if (rc == 0 && rep->sync)
            applied = rep->sync->applied;
        if (rep)
            kefu__reply__free_unpacked(rep, NULL);
        if (rc == 0 && applied >= seq)
            return applied;
        if (rc != KEFU_ETIMEOUT)
            return 0;
    }
    return 0;
}

/* The field number of the first top-level field after corr in a packed
 * Reply (0 if malformed): 2 is an error, else the answer's kind. A client
 * that reads no further costs the machine nothing the daemons measured
 * would share (the answers of a register are big). */
static inline uint32_t bench_reply_field(const uint8_t *p, size_t n)
{
    const uint8_t *end = p + n;
    uint64_t key, corr;
    while (p < end) {
        if (!pbwire_get_varint(&p, end, &key))
            return 0;
        if (key >> 3 != 1)
            return (uint32_t) (key >> 3);
        if ((key & 7) != 0 || !pbwire_get_varint(&p, end, &corr))
            return 0;  /* corr is a varint */
    }
    return 0;
}

/* The i-th request of a drive, packed into buf (1 KiB); its length. */
typedef size_t bench_next_fn(void *arg, long i, uint8_t *buf);

/* Sends total requests made by next over the n DEALERs socks (at most
 * 64), each with up to window unanswered, until all are answered; an
 * answer is a reply whose kind (bench_reply_field) is want or want2 (0:
 * none). Returns requests per second, or -1 on a refusal (said on stderr
 * with its message, as who) or on 30 s without an answer. */
static inline double bench_drive(void **socks, int n, int window, long total, uint32_t want,
                                 uint32_t want2, bench_next_fn *next, void *arg, const char *who)
{
    long per = (total + n - 1) / n, sent[64] = {0}, done[64] = {0}, all = 0, i = 0;
    uint8_t buf[1024];
    zmq_pollitem_t items[64];
    for (int k = 0; k < n; k++)
        items[k] = (zmq_pollitem_t){socks[k], 0, ZMQ_POLLIN, 0};
    int64_t t0 = kclock_mono_us();
    while (all < total) {
        for (int k = 0; k < n; k++)
            while (i < total && sent[k] < per && sent[k] - done[k] < window) {
                size_t len = next(arg, i++, buf);
                zmq_send(socks[k], buf, len, 0);
                sent[k]++;
            }
        if (zmq_poll(items, n, 30000) <= 0) {
            fprintf(stderr, "%s: no answer for 30 s (%ld of %ld done)\n", who, all, total);
            return -1;
        }
        for (int k = 0; k < n; k++) {
            if (!(items[k].revents & ZMQ_POLLIN))
                continue;
            zmq_msg_t m;
            zmq_msg_init(&m);
            while (zmq_msg_recv(&m, socks[k], ZMQ_DONTWAIT) >= 0) {
                uint32_t f = bench_reply_field(zmq_msg_data(&m), zmq_msg_size(&m));
                if (f != want && (want2 == 0 || f != want2)) {
                    Kefu__Reply *rep = kefu__reply__unpack(NULL, zmq_msg_size(&m), zmq_msg_data(&m));
                    fprintf(stderr, "%s: refused: %s\n", who,
                            rep && rep->error && rep->error->message ? rep->error->message : "?");
                    if (rep)
                        kefu__reply__free_unpacked(rep, NULL);
                    zmq_msg_close(&m);
                    return -1;
                }
                done[k]++;
                all++;
            }
            zmq_msg_close(&m);
        }
    }
    return (double) all / ((double) (kclock_mono_us() - t0) / 1e6);
}

/* qsort's order of int64_t. */
static inline int bench_cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
    return x < y ? -1 : x > y;
}

#endif
