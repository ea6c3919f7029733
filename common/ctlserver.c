/* ctlserver.c: the control socket every daemon serves (ctlserver.h).
 *
 * Frames in: [identity][packed Request]; out: [identity][packed Reply].
 * Anything else (more frames, garbage, an invalid field) is answered with
 * ERR_BAD_REQUEST / ERR_INVALID and changes nothing: the handler only ever
 * sees a request that decoded and passed kvalid_message().
 */
#include "ctlserver.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "kerr.h"
#include "klog.h"
#include "kvalid.h"
#include "kzmq.h"
#include "pbwire.h"
#include "site.h"

#define CTL_MAX_REQUEST (1024 * 1024)

struct ctl_call_t {
    uint8_t id[256];
    size_t idlen;
    uint64_t corr;
    char request_id[72];
    char errmsg[512];
    /* a pending sync */
    uint64_t seq;
    int timer;
    ctl_call_t *next;
    ctlserver_t *server;
};

struct ctlserver_t {
    char name[64];
    zsock_t *sock;
    zloop_t *loop;
    kclock_t *clock;
    ctl_handler_fn *handler;
    void *arg;
    arena_t *arena;
    uint64_t applied, head;
    int64_t started;
    ctl_call_t *syncs;   /* waiting syncs */
    int utc_offset_min;         /* calendar.utc_offset, for status */
};

ctlserver_t *ctlserver_new(const char *site_dir, const char *name, kclock_t *clock,
                           ctl_handler_fn *handler, void *arg)
{
    char ep[256];
    if (site_endpoint(site_dir, name, "ctl", ep, sizeof ep) != 0) {
        errno = ENAMETOOLONG;
        return NULL;
    }
    ctlserver_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    snprintf(self->name, sizeof self->name, "%s", name);
    self->clock = clock;
    self->handler = handler;
    self->arg = arg;
    self->arena = arena_new(0);
    self->started = kclock_now(clock);
    self->sock = zsock_new(ZMQ_ROUTER);
    if (!self->sock) {
        ctlserver_destroy(&self);
        return NULL;
    }
    zsock_set_linger(self->sock, 0);
    zsock_set_maxmsgsize(self->sock, 16 * 1024 * 1024);
    /* A stale socket file from a killed daemon is simply replaced. It can
     * only be stale: the daemon holds its lock (kdaemon.h), so no live
     * instance of it owns the file. */
    unlink(ep + strlen("ipc://"));
    if (zsock_bind(self->sock, "%s", ep) != 0) {
        int e = errno;
        klog_error("can't bind %s: %s", ep, zmq_strerror(e));
        ctlserver_destroy(&self);
        errno = e;
        return NULL;
    }
    return self;
}

void ctlserver_destroy(ctlserver_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ctlserver_t *self = *self_p;
    while (self->syncs) {
        ctl_call_t *c = self->syncs;
        self->syncs = c->next;
        free(c);
    }
    zsock_destroy(&self->sock);
    arena_destroy(&self->arena);
    free(self);
    *self_p = NULL;
}

static void s_send(ctlserver_t *self, const uint8_t *id, size_t idlen, Kefu__Reply *reply)
{
    void *sock = zsock_resolve(self->sock);
    size_t len = kefu__reply__get_packed_size(reply);
    uint8_t stack[4096];
    uint8_t *buf = len <= sizeof stack ? stack : malloc(len);
    if (!buf)
        return;
    kefu__reply__pack(reply, buf);
    if (zmq_send(sock, id, idlen, ZMQ_SNDMORE) >= 0)
        zmq_send(sock, buf, len, 0);
    if (buf != stack)
        free(buf);
}

static void s_send_error(ctlserver_t *self, const uint8_t *id, size_t idlen, uint64_t corr,
                         int rc, const char *msg)
{
    Kefu__Reply reply = KEFU__REPLY__INIT;
    Kefu__Error err = KEFU__ERROR__INIT;
    reply.has_corr = true;
    reply.corr = corr;
    err.has_code = true;
    err.code = (Kefu__ErrorCode) kefu_err_to_wire(rc);
    err.message = (char *) (msg && *msg ? msg : kefu_strerror(rc));
    reply.error = &err;
    s_send(self, id, idlen, &reply);
}

void ctl_call_errmsg(ctl_call_t *call, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(call->errmsg, sizeof call->errmsg, fmt, ap);
    va_end(ap);
}

const char *ctl_call_request_id(const ctl_call_t *call)
{
    return call->request_id;
}

void ctlserver_reply(ctlserver_t *self, ctl_call_t **call_p, Kefu__Reply *reply)
{
    ctl_call_t *call = *call_p;
    reply->has_corr = true;
    reply->corr = call->corr;
    s_send(self, call->id, call->idlen, reply);
    free(call);
    *call_p = NULL;
}

void ctlserver_reply_packed(ctlserver_t *self, ctl_call_t **call_p, const uint8_t *buf, size_t len)
{
    ctl_call_t *call = *call_p;
    uint8_t corr[PBWIRE_FIELD1_MAX];
    size_t n = pbwire_put_field1(corr, call->corr);
    void *sock = zsock_resolve(self->sock);
    zmq_msg_t m;
    if (zmq_msg_init_size(&m, len + n) == 0) {
        memcpy(zmq_msg_data(&m), buf, len);
        memcpy((uint8_t *) zmq_msg_data(&m) + len, corr, n);
        if (zmq_send(sock, call->id, call->idlen, ZMQ_SNDMORE) < 0 ||
            zmq_msg_send(&m, sock, 0) < 0)
            zmq_msg_close(&m);
    }
    free(call);
    *call_p = NULL;
}

void ctlserver_fail(ctlserver_t *self, ctl_call_t **call_p, int rc, const char *fmt, ...)
{
    ctl_call_t *call = *call_p;
    char msg[512] = "";
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
    }
    s_send_error(self, call->id, call->idlen, call->corr, rc, msg);
    free(call);
    *call_p = NULL;
}

static void s_status(ctlserver_t *self, Kefu__Reply *reply, Kefu__StatusReply *st)
{
    st->name = self->name;
    st->has_pid = true;
    st->pid = (uint32_t) getpid();
    st->has_applied = true;
    st->applied = self->applied;
    st->has_head = true;
    st->head = self->head;
    st->has_now = true;
    st->now = kclock_now(self->clock);
    st->has_sim_clock = true;
    st->sim_clock = kclock_is_sim(self->clock);
    st->has_started = true;
    st->started = self->started;
    st->has_utc_offset_min = true;
    st->utc_offset_min = self->utc_offset_min;
    reply->rep_case = KEFU__REPLY__REP_STATUS;
    reply->status = st;
}

static void s_sync_answer(ctlserver_t *self, ctl_call_t **call_p)
{
    ctl_call_t *call = *call_p;
    if (call->timer >= 0 && self->loop)
        zloop_timer_end(self->loop, call->timer);
    Kefu__Reply reply = KEFU__REPLY__INIT;
    Kefu__SyncReply sr = KEFU__SYNC_REPLY__INIT;
    sr.has_applied = true;
    sr.applied = self->applied;
    reply.rep_case = KEFU__REPLY__REP_SYNC;
    reply.sync = &sr;
    ctlserver_reply(self, call_p, &reply);
}

static void s_sync_unlink(ctlserver_t *self, ctl_call_t *call)
{
    for (ctl_call_t **p = &self->syncs; *p; p = &(*p)->next)
        if (*p == call) {
            *p = call->next;
            return;
        }
}

static int s_sync_expired(zloop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    ctl_call_t *call = arg;
    ctlserver_t *self = call->server;
    s_sync_unlink(self, call);
    call->timer = -1;
    ctlserver_fail(self, &call, KEFU_ETIMEOUT,
                   "%s has applied the log up to %llu, not yet %llu",
                   self->name, (unsigned long long) self->applied,
                   (unsigned long long) call->seq);
    return 0;
}

void ctlserver_set_position(ctlserver_t *self, uint64_t applied, uint64_t head)
{
    self->applied = applied;
    self->head = head > applied ? head : applied;
    ctl_call_t **p = &self->syncs;
    while (*p) {
        ctl_call_t *call = *p;
        if (call->seq <= applied) {
            *p = call->next;
            s_sync_answer(self, &call);
        } else
            p = &call->next;
    }
}

uint64_t ctlserver_applied(const ctlserver_t *self)
{
    return self->applied;
}

static void s_handle(ctlserver_t *self, const uint8_t *id, size_t idlen,
                     const uint8_t *body, size_t len)
{
    if (len > CTL_MAX_REQUEST) {
        s_send_error(self, id, idlen, 0, KEFU_ETOOLARGE, "request over 1 MiB");
        return;
    }
    Kefu__Request *req = kefu__request__unpack(arena_pbc(self->arena), len, body);
    if (!req) {
        s_send_error(self, id, idlen, 0, KEFU_EBADREQ, "malformed request: not a kefu Request");
        return;
    }
    if (req->req_case == KEFU__REQUEST__REQ__NOT_SET) {
        s_send_error(self, id, idlen, req->corr,
                     req->base.n_unknown_fields ? KEFU_EUNSUPPORTED : KEFU_EBADREQ,
                     req->base.n_unknown_fields ? "unknown request kind" : "empty request");
        return;
    }
    char err[512];
    int rc = kvalid_request(&req->base, body, len, err, sizeof err);
    if (rc) {
        s_send_error(self, id, idlen, req->corr, rc, err);
        return;
    }
    ctl_call_t *call = calloc(1, sizeof *call);
    if (!call)
        return;
    memcpy(call->id, id, idlen);
    call->idlen = idlen;
    call->corr = req->corr;
    call->timer = -1;
    call->server = self;
    snprintf(call->request_id, sizeof call->request_id, "%s",
             req->request_id ? req->request_id : "");

    Kefu__Reply reply = KEFU__REPLY__INIT;
    if (req->req_case == KEFU__REQUEST__REQ_STATUS) {
        Kefu__StatusReply st = KEFU__STATUS_REPLY__INIT;
        s_status(self, &reply, &st);
        ctlserver_reply(self, &call, &reply);
        return;
    }
    if (req->req_case == KEFU__REQUEST__REQ_SYNC) {
        call->seq = req->sync->seq;
        if (call->seq <= self->applied) {
            s_sync_answer(self, &call);
            return;
        }
        uint32_t ms = req->sync->has_timeout_ms && req->sync->timeout_ms
                          ? req->sync->timeout_ms : 10000;
        if (self->loop)
            call->timer = zloop_timer(self->loop, ms, 1, s_sync_expired, call);
        call->next = self->syncs;
        self->syncs = call;
        return;
    }
    if (!self->handler) {
        ctlserver_fail(self, &call, KEFU_EUNSUPPORTED, "%s does not serve this request", self->name);
        return;
    }
    rc = self->handler(self->arg, call, req, &reply);
    if (rc == CTL_DEFER)
        return;
    if (rc == 0 && reply.rep_case == KEFU__REPLY__REP__NOT_SET && !reply.error)
        rc = KEFU_EUNSUPPORTED;
    if (rc) {
        char msg[sizeof call->errmsg];
        memcpy(msg, call->errmsg, sizeof msg);
        ctlserver_fail(self, &call, rc, "%s", msg);
        return;
    }
    ctlserver_reply(self, &call, &reply);
}

static void s_on_request(void *arg, const uint8_t *id, size_t idlen, const uint8_t *body,
                         size_t len, int frames)
{
    ctlserver_t *self = arg;
    if (frames != 1)
        s_send_error(self, id, idlen, 0, KEFU_EBADREQ, "malformed request: one frame expected");
    else
        s_handle(self, id, idlen, body, len);
    arena_reset(self->arena);
}

static int s_readable(zloop_t *loop, zsock_t *sock, void *arg)
{
    (void) loop;
    ctlserver_t *self = arg;
    kzmq_drain(zsock_resolve(sock), 256, s_on_request, self);
    return 0;
}

int ctlserver_attach(ctlserver_t *self, zloop_t *loop)
{
    self->loop = loop;
    return zloop_reader(loop, self->sock, s_readable, self);
}

void ctlserver_set_utc_offset(ctlserver_t *self, int offset_min)
{
    self->utc_offset_min = offset_min;
}
