/* ctlclient.c: the client side of a daemon's control socket (ctlclient.h).
 *
 * Wire: a ZMQ DEALER connected to the daemon's ROUTER. A request is one
 * frame, a packed kefu.Request; the ROUTER sees [identity][body] and sends
 * back [identity][body], which reaches us as [body]. Should a server echo
 * a REQ-style empty delimiter as well, the reply's last frame is the body.
 *
 * Correlation: every call takes the next corr from a counter that never
 * goes back, so a reply carrying another corr belongs to an earlier call
 * (or is a duplicate) and is dropped while we keep waiting for ours.
 *
 * Timeouts: when a call times out its request may still be queued in the
 * socket or in the daemon, and its reply may arrive any time later. We
 * throw the socket away and make a new one (new ROUTER identity), so the
 * daemon's late reply is routed to a peer that no longer exists and the
 * next call starts from an empty pipe. Linger is 0 everywhere, so closing
 * never blocks on an absent daemon.
 *
 * A stale socket: libzmq keeps connecting to an ipc path in the
 * background and never reports ECONNREFUSED, so a socket file left by a
 * killed daemon would cost a whole timeout. ctlclient_nobody_listens()
 * asks the kernel directly with one non-blocking connect(2) on a plain
 * AF_UNIX socket, closed at once.
 *
 * Raw libzmq rather than CZMQ: CZMQ's global context installs SIGINT and
 * SIGTERM handlers on first use, which would change how kefuctl and
 * `kefu up` react to Ctrl-C. Each client owns a small context of its own.
 */
#include "ctlclient.h"

#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <zmq.h>

#include "kclock.h"
#include "kerr.h"

struct ctlclient_t {
    void *ctx;        /* this client's libzmq context */
    void *sock;       /* DEALER; NULL after a failed re-creation */
    void *mon;        /* PAIR on sock's handshake failures (CURVE only), or NULL */
    char *endpoint;
    uint64_t corr;    /* last corr used */
    bool curve;       /* ctlclient_set_curve() was called */
    char curve_public[41], curve_secret[41], curve_server[41];
    unsigned mon_gen; /* names each socket's monitor endpoint apart */
};

/* A new DEALER connected to self->endpoint, or NULL (bad endpoint,
 * out of sockets). */
static void *s_socket_new(ctlclient_t *self)
{
    void *sock = zmq_socket(self->ctx, ZMQ_DEALER);
    if (!sock)
        return NULL;
    int zero = 0;
    zmq_setsockopt(sock, ZMQ_LINGER, &zero, sizeof zero);
    if (self->curve) {
        zmq_setsockopt(sock, ZMQ_CURVE_SERVERKEY, self->curve_server, 40);
        zmq_setsockopt(sock, ZMQ_CURVE_PUBLICKEY, self->curve_public, 40);
        zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, self->curve_secret, 40);
        /* The site refusing the key (its ZAP answer, net_gate.c) is an
         * event on the socket, not an error of any call: watch for it, so
         * a refused key is said as such and not after a whole timeout. */
        char ep[64];
        snprintf(ep, sizeof ep, "inproc://ctlclient-mon-%u", ++self->mon_gen);
        if (zmq_socket_monitor(sock, ep, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
                                             ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL) == 0) {
            self->mon = zmq_socket(self->ctx, ZMQ_PAIR);
            if (self->mon) {
                zmq_setsockopt(self->mon, ZMQ_LINGER, &zero, sizeof zero);
                if (zmq_connect(self->mon, ep) != 0) {
                    zmq_close(self->mon);
                    self->mon = NULL;
                }
            }
        }
    }
    if (zmq_connect(sock, self->endpoint) != 0) {
        zmq_close(sock);
        return NULL;
    }
    return sock;
}

static void s_mon_close(ctlclient_t *self)
{
    if (self->mon) {
        zmq_close(self->mon);
        self->mon = NULL;
    }
}

ctlclient_t *ctlclient_new(const char *endpoint)
{
    assert(endpoint);
    /* libzmq accepts "tcp://" and such only as transport://address; reject
     * obvious garbage before making a context for it. */
    const char *sep = strstr(endpoint, "://");
    if (!sep || sep == endpoint || sep[3] == '\0')
        return NULL;

    ctlclient_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->endpoint = strdup(endpoint);
    self->ctx = zmq_ctx_new();
    if (!self->endpoint || !self->ctx)
        goto fail;
    /* One I/O thread is plenty for one request at a time; no more sockets
     * than the two we may briefly hold while re-creating. */
    zmq_ctx_set(self->ctx, ZMQ_IO_THREADS, 1);
    self->sock = s_socket_new(self);
    if (!self->sock)
        goto fail;   /* zmq_connect refused the endpoint: malformed */
    return self;
fail:
    ctlclient_destroy(&self);
    return NULL;
}

void ctlclient_destroy(ctlclient_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ctlclient_t *self = *self_p;
    s_mon_close(self);
    if (self->sock)
        zmq_close(self->sock);
    if (self->ctx)
        zmq_ctx_term(self->ctx);
    free(self->endpoint);
    free(self);
    *self_p = NULL;
}

/* Replaces the socket after a timeout so nothing still in flight can be
 * taken for the next call's reply. */
static void s_socket_renew(ctlclient_t *self)
{
    s_mon_close(self);
    if (self->sock)
        zmq_close(self->sock);
    self->sock = s_socket_new(self);
}

int ctlclient_set_curve(ctlclient_t *self, const char *public_key, const char *secret_key,
                        const char *server_key)
{
    assert(self && public_key && secret_key && server_key);
    if (strlen(public_key) != 40 || strlen(secret_key) != 40 || strlen(server_key) != 40)
        return KEFU_EINVAL;
    memcpy(self->curve_public, public_key, 41);
    memcpy(self->curve_secret, secret_key, 41);
    memcpy(self->curve_server, server_key, 41);
    self->curve = true;
    s_socket_renew(self);
    return self->sock ? 0 : KEFU_EINVAL;
}

/* Milliseconds left until deadline (mono usec), >= 0; -1 for no deadline. */
static long s_left_ms(int64_t deadline)
{
    if (deadline < 0)
        return -1;
    int64_t left = deadline - kclock_mono_us();
    return left > 0 ? (long) ((left + 999) / 1000) : 0;
}

/* Waits for events on the socket until deadline. Returns 1 when ready,
 * 0 on timeout, -1 on a libzmq error. EINTR just means wait again. */
static int s_wait(ctlclient_t *self, short events, int64_t deadline)
{
    for (;;) {
        zmq_pollitem_t items[2] = {{self->sock, 0, events, 0}, {self->mon, 0, ZMQ_POLLIN, 0}};
        int rc = zmq_poll(items, self->mon ? 2 : 1, s_left_ms(deadline));
        if (rc > 0 && (items[0].revents & events))
            return 1;
        if (rc > 0 && self->mon && (items[1].revents & ZMQ_POLLIN)) {
            zmq_msg_t ev;
            zmq_msg_init(&ev);
            int n = zmq_msg_recv(&ev, self->mon, ZMQ_DONTWAIT);
            uint16_t e = 0;
            if (n >= 2)
                memcpy(&e, zmq_msg_data(&ev), 2);
            bool more = zmq_msg_more(&ev);
            zmq_msg_close(&ev);
            while (more) {   /* the event's endpoint frame */
                zmq_msg_init(&ev);
                more = zmq_msg_recv(&ev, self->mon, ZMQ_DONTWAIT) >= 0 && zmq_msg_more(&ev);
                zmq_msg_close(&ev);
            }
            if (e == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH || e == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL)
                return 2;
            continue;
        }
        if (rc > 0)
            continue;
        if (rc == 0)
            return 0;
        if (errno != EINTR)
            return -1;
        if (s_left_ms(deadline) == 0)
            return 0;
    }
}

/* Receives one whole message and keeps its last frame in *body (caller
 * closes it). Returns 0 or -1. */
static int s_recv_body(void *sock, zmq_msg_t *body)
{
    zmq_msg_init(body);
    for (;;) {
        zmq_msg_close(body);
        zmq_msg_init(body);
        if (zmq_msg_recv(body, sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(body);
            return -1;
        }
        if (!zmq_msg_more(body))
            return 0;
    }
}

int ctlclient_call(ctlclient_t *self, Kefu__Request *req, Kefu__Reply **reply,
                   int timeout_ms)
{
    assert(self && req && reply);
    *reply = NULL;
    int64_t deadline = timeout_ms < 0 ? -1
                     : kclock_mono_us() + (int64_t) timeout_ms * 1000;

    if (!self->sock) {
        /* An earlier re-creation failed (out of file descriptors); try
         * again rather than give up on the client for good. */
        self->sock = s_socket_new(self);
        if (!self->sock)
            return KEFU_EUNAVAIL;
    }

    req->has_corr = 1;
    req->corr = ++self->corr;
    size_t len = kefu__request__get_packed_size(req);
    zmq_msg_t out;
    if (zmq_msg_init_size(&out, len) != 0)
        return KEFU_EINTERNAL;
    kefu__request__pack(req, zmq_msg_data(&out));

    /* A DEALER with a connect pending accepts sends (they wait in its
     * pipe), so POLLOUT is normally immediate; it only waits at the
     * high-water mark. */
    int rc = s_wait(self, ZMQ_POLLOUT, deadline);
    if (rc == 1 && zmq_msg_send(&out, self->sock, ZMQ_DONTWAIT) < 0)
        rc = -1;
    if (rc != 1) {
        zmq_msg_close(&out);
        s_socket_renew(self);
        return rc == 0 ? KEFU_ETIMEOUT : rc == 2 ? KEFU_EFORBIDDEN : KEFU_EINTERNAL;
    }

    for (;;) {
        rc = s_wait(self, ZMQ_POLLIN, deadline);
        if (rc != 1) {
            s_socket_renew(self);
            return rc == 0 ? KEFU_ETIMEOUT : rc == 2 ? KEFU_EFORBIDDEN : KEFU_EINTERNAL;
        }
        zmq_msg_t body;
        if (s_recv_body(self->sock, &body) != 0)
            continue;   /* spurious wake-up: poll again */
        Kefu__Reply *rep = kefu__reply__unpack(NULL, zmq_msg_size(&body),
                                               zmq_msg_data(&body));
        zmq_msg_close(&body);
        if (!rep)
            return KEFU_EBADREQ;
        if (rep->has_corr && rep->corr == self->corr) {
            *reply = rep;
            return 0;
        }
        /* A reply to an earlier call, or a duplicate: not ours. */
        kefu__reply__free_unpacked(rep, NULL);
    }
}

bool ctlclient_nobody_listens(const char *endpoint)
{
    assert(endpoint);
    if (strncmp(endpoint, "ipc://", 6) != 0)
        return false;
    const char *path = endpoint + 6;
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof sa.sun_path || path[0] == '@')
        return false;   /* not a path we can test (abstract, too long) */
    memcpy(sa.sun_path, path, n + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    int rc = connect(fd, (struct sockaddr *) &sa, sizeof sa);
    int err = rc == 0 ? 0 : errno;
    close(fd);
    /* ENOENT/ENOTDIR: no file; ECONNREFUSED: a file nobody listens on.
     * EAGAIN is a full backlog: someone listens. */
    return err == ENOENT || err == ENOTDIR || err == ECONNREFUSED;
}
