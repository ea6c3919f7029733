/* bench_ctl.h: what the benchmarks that drive daemons through their
 * control sockets share (bench_intake.c, bench_sched.c, bench_sla.c):
 * packing a request, a DEALER to DIR/run/NAME.ctl, one synchronous call,
 * a sync to a seq, and reading a packed reply's kind without decoding it.
 * Header-only (static inline): each benchmark is one source file linked
 * with libkefu alone.
 */
#ifndef KEFU_BENCH_CTL_H
#define KEFU_BENCH_CTL_H

#include <czmq.h>
#include <stdint.h>
#include <stdio.h>

#include "control.pb-c.h"
#include "kerr.h"

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
    size_t i = 0;
    while (i < n) {
        uint64_t key = 0;
        for (int shift = 0; i < n; shift += 7) {
            key |= (uint64_t) (p[i] & 0x7f) << shift;
            if (!(p[i++] & 0x80))
                break;
        }
        uint32_t field = (uint32_t) (key >> 3), wire = key & 7;
        if (field != 1)
            return field;
        if (wire != 0)
            return 0;
        while (i < n && (p[i++] & 0x80))
            ;  /* skip corr's varint */
    }
    return 0;
}

/* qsort's order of int64_t. */
static inline int bench_cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
    return x < y ? -1 : x > y;
}

#endif
