/* net_gate.c: the remote endpoint (net.h): remote clients' requests, by
 * key and role, to the daemons' control sockets.
 *
 * Sockets, all on the kit's loop thread:
 *   router   ROUTER bound on net.listen, a CURVE server with the site's
 *            key pair, ZAP domain "kefu". Messages of at most
 *            S_MAX_MSG bytes (libzmq drops the connection of a peer that
 *            sends more, before anything is read).
 *   zap      REP on inproc://zeromq.zap.01: libzmq asks it about every
 *            handshake (RFC 27, ZAP). The client's public key must be
 *            enrolled and not revoked; then it answers 200 with the key's
 *            name as the connection's User-Id, else 400, and logs the
 *            refusal with the key (and its name, if it has one) and the
 *            peer's address, once a minute a key (libzmq reconnects a
 *            refused client). A refused client never gets a message in.
 *   monitor  PAIR on the router's socket events: a client that fails the
 *            handshake itself (no CURVE, a wrong site key) is logged.
 *   daemons  one DEALER per daemon of the registry, to
 *            ipc://DIR/run/NAME.ctl, connected on first use.
 *
 * A request: its connection's User-Id names the key, looked up again (a
 * key revoked since the handshake is refused from then on); the request
 * is decoded, checked for where it may go (the registry's range; the
 * shared status and sync go to the daemon `to` names; stop, the clock and
 * key management are for the site's own machine), and sent on with
 * Request.via_key and via_role from the key, whatever the client set,
 * Request.actor the key's person if it names one, and a corr of the
 * gate's. The daemon's command table then decides (cmdq.h: its rows'
 * roles). The answer goes back with the client's corr appended as a
 * later field 1 (protobuf: the last one wins), so the gate never decodes
 * an answer; it only reads the gate's corr off it. A daemon that does
 * not answer within the request's wait (at most net.request_timeout) is
 * reported unavailable to the client and its late answer dropped.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "kclock.h"
#include "kerr.h"
#include "klog.h"
#include "net.h"
#include "pbdesc.h"
#include "pbwire.h"
#include "registry.h"
#include "site.h"

#define S_MAX_MSG (1 << 20)      /* a request's bytes, at most */
#define S_ZAP_ENDPOINT "inproc://zeromq.zap.01"
#define S_MONITOR_ENDPOINT "inproc://kefu-net-monitor"
#define S_MAX_DAEMONS 32

typedef struct {
    zframe_t *peer;          /* the client's routing id */
    uint64_t client_corr;
    bool has_client_corr;
    int64_t due_us;          /* mono: answered unavailable then */
    const char *daemon;      /* the registry's name */
} s_pending_t;

struct net_gate_t {
    net_t *net;
    zsock_t *router;
    zsock_t *zap;
    zsock_t *monitor;
    zsock_t *daemons[S_MAX_DAEMONS];   /* by registry order; NULL until used */
    zhashx_t *pending;       /* gate corr (as a decimal string) -> s_pending_t */
    arena_t *arena;          /* a request's or a handshake's key record and decoding, reset for each */
    zhashx_t *refused;       /* public key -> mono us of its last refusal logged */
    uint64_t next_corr;
    int timeout_ms;
    int timer;
    zloop_t *loop;
    char endpoint[256];
};

static void s_pending_free(void **item)
{
    s_pending_t *p = *item;
    if (p) {
        zframe_destroy(&p->peer);
        free(p);
    }
    *item = NULL;
}

static void s_free_item(void **item)
{
    free(*item);
    *item = NULL;
}

/* ---- answers to the client ---------------------------------------------------------------- */

static void s_send_packed(net_gate_t *self, zframe_t *peer, const uint8_t *buf, size_t len)
{
    void *sock = zsock_resolve(self->router);
    if (zmq_send(sock, zframe_data(peer), zframe_size(peer), ZMQ_SNDMORE) >= 0)
        zmq_send(sock, buf, len, 0);
}

static void s_fail(net_gate_t *self, zframe_t *peer, bool has_corr, uint64_t corr, int rc,
                   const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static void s_fail(net_gate_t *self, zframe_t *peer, bool has_corr, uint64_t corr, int rc,
                   const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    Kefu__Reply reply = KEFU__REPLY__INIT;
    Kefu__Error err = KEFU__ERROR__INIT;
    reply.has_corr = has_corr;
    reply.corr = corr;
    err.has_code = true;
    err.code = (Kefu__ErrorCode) kefu_err_to_wire(rc);
    err.message = msg;
    reply.error = &err;
    uint8_t buf[1024];
    size_t len = kefu__reply__get_packed_size(&reply);
    if (len <= sizeof buf) {
        kefu__reply__pack(&reply, buf);
        s_send_packed(self, peer, buf, len);
    }
}

/* ---- the daemons' answers ------------------------------------------------------------------- */

static int s_on_daemon(zloop_t *loop, zsock_t *sock, void *arg)
{
    (void) loop;
    net_gate_t *self = arg;
    zframe_t *body = zframe_recv(sock);
    while (zsock_rcvmore(sock)) {   /* a REQ-style delimiter: the body is last */
        zframe_destroy(&body);
        body = zframe_recv(sock);
    }
    if (!body)
        return 0;
    uint64_t corr;
    char key[24];
    if (pbwire_last_field1(zframe_data(body), zframe_size(body), &corr)) {
        snprintf(key, sizeof key, "%llu", (unsigned long long) corr);
        s_pending_t *p = zhashx_lookup(self->pending, key);
        if (p) {
            size_t len = zframe_size(body);
            uint8_t *buf = malloc(len + PBWIRE_FIELD1_MAX);
            if (buf) {
                memcpy(buf, zframe_data(body), len);
                if (p->has_client_corr)   /* the client's corr, a later field 1 */
                    len += pbwire_put_field1(buf + len, p->client_corr);
                s_send_packed(self, p->peer, buf, len);
                free(buf);
            }
            zhashx_delete(self->pending, key);
        }
    }
    zframe_destroy(&body);
    return 0;
}

/* Answers unavailable for what waited too long (the timer, each second). */
static int s_on_timer(zloop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    net_gate_t *self = arg;
    int64_t now = kclock_mono_us();
    zlistx_t *late = zlistx_new();
    if (!late)
        return 0;
    for (s_pending_t *p = zhashx_first(self->pending); p; p = zhashx_next(self->pending))
        if (p->due_us <= now)
            zlistx_add_end(late, (void *) zhashx_cursor(self->pending));
    for (const char *k = zlistx_first(late); k; k = zlistx_next(late)) {
        char key[24];
        snprintf(key, sizeof key, "%s", k);
        s_pending_t *p = zhashx_lookup(self->pending, key);
        if (!p)
            continue;
        s_fail(self, p->peer, p->has_client_corr, p->client_corr, KEFU_EUNAVAIL,
               "%s did not answer in time; repeat with the same request id to learn the outcome",
               p->daemon);
        zhashx_delete(self->pending, key);
    }
    zlistx_destroy(&late);
    return 0;
}

/* The DEALER to daemon d's control socket, connected on first use. */
static zsock_t *s_daemon_sock(net_gate_t *self, const registry_daemon_t *d)
{
    if (d->order < 0 || d->order >= S_MAX_DAEMONS)
        return NULL;
    if (self->daemons[d->order])
        return self->daemons[d->order];
    char ep[PATH_MAX + 32];
    if (site_endpoint(self->net->d->site, d->name, "ctl", ep, sizeof ep) != 0)
        return NULL;
    zsock_t *s = zsock_new(ZMQ_DEALER);
    if (!s)
        return NULL;
    zsock_set_linger(s, 0);
    if (zsock_connect(s, "%s", ep) != 0 || zloop_reader(self->loop, s, s_on_daemon, self) != 0) {
        zsock_destroy(&s);
        return NULL;
    }
    self->daemons[d->order] = s;
    return s;
}

/* ---- the clients' requests ------------------------------------------------------------------ */

static const char *s_peer_address(zframe_t *body)
{
    const char *a = zframe_meta(body, "Peer-Address");
    return a ? a : "?";
}

/* Where a remote request may go: its daemon, or NULL with the refusal
 * sent. */
static const registry_daemon_t *s_route(net_gate_t *self, zframe_t *peer, const Kefu__Request *req,
                                        const net_key_t *key)
{
    int c = (int) req->req_case;
    if (registry_request_shared(c)) {
        if (c == KEFU__REQUEST__REQ_STOP) {
            s_fail(self, peer, req->has_corr, req->corr, KEFU_EFORBIDDEN,
                   "stop: a site is stopped on its own machine, not by a remote client");
            return NULL;
        }
        const registry_daemon_t *d = req->to && req->to[0] ? registry_lookup(req->to) : NULL;
        if (!d) {
            char names[256] = "";
            for (size_t i = 0; registry_daemons[i].name; i++)
                snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s",
                         i ? ", " : "", registry_daemons[i].name);
            s_fail(self, peer, req->has_corr, req->corr, KEFU_EINVAL,
                   "to: the daemon this request is for: one of %s", names);
            return NULL;
        }
        return d;
    }
    const registry_daemon_t *d = registry_for_request(c);
    if (!d) {
        s_fail(self, peer, req->has_corr, req->corr, KEFU_EUNKNOWNTYPE, "unknown request type");
        return NULL;
    }
    if (strcmp(d->name, "evlog") == 0 || strcmp(d->name, NET_PRODUCER) == 0) {
        /* the clock (evlog's) and the keys (net's) */
        const ProtobufCFieldDescriptor *f =
            protobuf_c_message_descriptor_get_field(&kefu__request__descriptor, (unsigned) c);
        klog_warn("refused %s from key %s (%s): for the site's own machine",
                  f ? f->name : "a request", key->name, s_peer_address(peer));
        s_fail(self, peer, req->has_corr, req->corr, KEFU_EFORBIDDEN,
               "%s: for the site's own machine (kefuctl there), not for a remote client",
               f ? f->name : "this request");
        return NULL;
    }
    return d;
}

static int s_on_request(zloop_t *loop, zsock_t *sock, void *arg)
{
    (void) loop;
    net_gate_t *self = arg;
    zframe_t *peer = zframe_recv(sock);
    zframe_t *body = peer && zsock_rcvmore(sock) ? zframe_recv(sock) : NULL;
    while (zsock_rcvmore(sock)) {   /* more frames than [id][body]: keep the last */
        zframe_destroy(&body);
        body = zframe_recv(sock);
    }
    if (!peer || !body) {
        zframe_destroy(&peer);
        zframe_destroy(&body);
        return 0;
    }
    /* Who: the key the handshake named, as it stands now. */
    arena_reset(self->arena);   /* the key's record and the request, below */
    const char *user = zframe_meta(body, "User-Id");
    net_key_t key;
    int rc = user ? net_key_by_name(self->net, self->arena, user, &key) : KEFU_ENOTFOUND;
    Kefu__Request *req = NULL;
    if (rc != 0 || key.revoked) {
        klog_warn("refused a request of key %s from %s: %s", user ? user : "(none)",
                  s_peer_address(body), rc ? "not enrolled" : "revoked");
        s_fail(self, peer, false, 0, KEFU_EFORBIDDEN, "key %s is %s", user ? user : "(none)",
               rc ? "not enrolled" : "revoked");
        goto done;
    }
    req = kefu__request__unpack(arena_pbc(self->arena), zframe_size(body), zframe_data(body));
    if (!req) {
        s_fail(self, peer, false, 0, KEFU_EBADREQ, "not a kefu.Request");
        goto done;
    }
    if (req->req_case == KEFU__REQUEST__REQ__NOT_SET) {
        s_fail(self, peer, req->has_corr, req->corr, KEFU_EBADREQ, "empty request");
        goto done;
    }
    const registry_daemon_t *d = s_route(self, peer, req, &key);
    if (!d)
        goto done;
    zsock_t *ds = s_daemon_sock(self, d);
    if (!ds) {
        s_fail(self, peer, req->has_corr, req->corr, KEFU_EUNAVAIL, "%s can't be reached", d->name);
        goto done;
    }
    /* What the client may not say of itself: who it is and what it may do. */
    uint64_t client_corr = req->corr;
    bool has_client_corr = req->has_corr;
    char gate_key[24];
    uint64_t corr = ++self->next_corr;
    snprintf(gate_key, sizeof gate_key, "%llu", (unsigned long long) corr);
    req->has_corr = true;
    req->corr = corr;
    req->via_key = key.name;
    req->has_via_role = true;
    req->via_role = (Kefu__KeyRole) key.role;
    if (key.person[0])
        req->actor = key.person;           /* a desk's key acts as its person */
    else if (!req->actor || !req->actor[0])
        req->actor = key.name;             /* a terminal's: the key names it */
    req->to = NULL;
    uint32_t wait_ms = req->has_wait_ms && req->wait_ms > 0 &&
                               req->wait_ms < (uint32_t) self->timeout_ms
                           ? req->wait_ms
                           : (uint32_t) self->timeout_ms;
    req->has_wait_ms = true;
    req->wait_ms = wait_ms;
    size_t len = kefu__request__get_packed_size(req);
    uint8_t *buf = malloc(len ? len : 1);
    if (buf) {
        kefu__request__pack(req, buf);
        s_pending_t *p = calloc(1, sizeof *p);
        if (p) {
            p->peer = peer;
            peer = NULL;
            p->client_corr = client_corr;
            p->has_client_corr = has_client_corr;
            p->due_us = kclock_mono_us() + (int64_t) wait_ms * 1000;
            p->daemon = d->name;
            zhashx_update(self->pending, gate_key, p);
            if (zmq_send(zsock_resolve(ds), buf, len, ZMQ_DONTWAIT) < 0) {
                s_fail(self, p->peer, has_client_corr, client_corr, KEFU_EUNAVAIL,
                       "%s is not taking requests now", d->name);
                zhashx_delete(self->pending, gate_key);
            }
        }
        free(buf);
    }
done:
    zframe_destroy(&peer);
    zframe_destroy(&body);
    return 0;
}

/* ---- ZAP: every handshake --------------------------------------------------------------------- */

/* Whether to log a refusal of key pub now: once a minute a key at most, as
 * libzmq reconnects a refused client every few hundred milliseconds and
 * the log would say the same thing all day. */
static bool s_log_refusal(net_gate_t *self, const char *pub)
{
    int64_t now = kclock_mono_us();
    int64_t *last = zhashx_lookup(self->refused, pub);
    if (last && now - *last < 60 * 1000000LL)
        return false;
    if (!last) {
        if (zhashx_size(self->refused) >= 4096)
            zhashx_purge(self->refused);   /* a flood of strangers: start again */
        last = malloc(sizeof *last);
        if (!last)
            return true;
        zhashx_insert(self->refused, pub, last);
    }
    *last = now;
    return true;
}

static int s_on_zap(zloop_t *loop, zsock_t *sock, void *arg)
{
    (void) loop;
    net_gate_t *self = arg;
    zmsg_t *msg = zmsg_recv(sock);
    if (!msg)
        return 0;
    char *version = zmsg_popstr(msg), *request_id = zmsg_popstr(msg);
    char *domain = zmsg_popstr(msg), *address = zmsg_popstr(msg);
    char *identity = zmsg_popstr(msg), *mechanism = zmsg_popstr(msg);
    zframe_t *cred = zmsg_pop(msg);
    const char *status = "400", *text = "refused";
    char user[80] = "";
    if (mechanism && strcmp(mechanism, "CURVE") == 0 && cred && zframe_size(cred) == 32) {
        char pub[41];
        zmq_z85_encode(pub, zframe_data(cred), 32);
        net_key_t key;
        arena_reset(self->arena);
        int rc = net_key_by_public(self->net, self->arena, pub, &key);
        if (rc == 0 && !key.revoked) {
            status = "200";
            text = "OK";
            snprintf(user, sizeof user, "%s", key.name);
            klog_debug("key %s (%s) connected from %s", key.name, pub, address ? address : "?");
        } else if (rc == 0) {
            text = "revoked key";
            if (s_log_refusal(self, pub))
                klog_warn("refused revoked key %s (%s) from %s", key.name, pub,
                          address ? address : "?");
        } else {
            text = "unknown key";
            if (s_log_refusal(self, pub))
                klog_warn("refused unknown key %s from %s", pub, address ? address : "?");
        }
    } else
        klog_warn("refused a %s handshake from %s: CURVE only", mechanism ? mechanism : "?",
                  address ? address : "?");
    zmsg_t *reply = zmsg_new();
    zmsg_addstr(reply, "1.0");
    zmsg_addstr(reply, request_id ? request_id : "");
    zmsg_addstr(reply, status);
    zmsg_addstr(reply, text);
    zmsg_addstr(reply, user);
    zmsg_addmem(reply, NULL, 0);   /* no metadata */
    zmsg_send(&reply, sock);
    free(version);
    free(request_id);
    free(domain);
    free(address);
    free(identity);
    free(mechanism);
    zframe_destroy(&cred);
    zmsg_destroy(&msg);
    return 0;
}

/* The router's socket events: handshakes that failed before ZAP could
 * be asked (no CURVE, a wrong site key). */
static int s_on_monitor(zloop_t *loop, zsock_t *sock, void *arg)
{
    (void) loop;
    net_gate_t *self = arg;
    zframe_t *ev = zframe_recv(sock);
    zframe_t *addr = ev && zsock_rcvmore(sock) ? zframe_recv(sock) : NULL;
    if (ev && zframe_size(ev) >= 6) {
        uint16_t e;
        memcpy(&e, zframe_data(ev), 2);
        if (e == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL || e == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL)
            klog_warn("a client on %s failed the CURVE handshake (no key, or another site's key)",
                      self->endpoint);
    }
    zframe_destroy(&ev);
    zframe_destroy(&addr);
    return 0;
}

/* ---- life --------------------------------------------------------------------------------------- */

net_gate_t *net_gate_new(net_t *net, const char *endpoint, const char *public_key,
                         const char *secret_key, int timeout_ms)
{
    net_gate_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->net = net;
    self->timeout_ms = timeout_ms > 0 ? timeout_ms : 30000;
    self->timer = -1;
    snprintf(self->endpoint, sizeof self->endpoint, "%s", endpoint);
    self->pending = zhashx_new();
    self->arena = arena_new(0);
    self->refused = zhashx_new();
    self->zap = zsock_new(ZMQ_REP);
    self->router = zsock_new(ZMQ_ROUTER);
    if (!self->pending || !self->arena || !self->refused || !self->zap || !self->router)
        goto fail;
    zhashx_set_destructor(self->refused, s_free_item);
    zhashx_set_destructor(self->pending, s_pending_free);
    /* ZAP first: libzmq asks whoever is bound there, and refuses every
     * handshake while nobody is */
    if (zsock_bind(self->zap, S_ZAP_ENDPOINT) != 0) {
        klog_error("can't bind %s: %s", S_ZAP_ENDPOINT, zmq_strerror(zmq_errno()));
        goto fail;
    }
    zsock_set_zap_domain(self->router, "kefu");
    zsock_set_curve_server(self->router, 1);
    zsock_set_curve_publickey(self->router, public_key);
    zsock_set_curve_secretkey(self->router, secret_key);
    zsock_set_maxmsgsize(self->router, S_MAX_MSG);
    zsock_set_linger(self->router, 0);
    zsock_set_router_mandatory(self->router, 0);
    zsock_set_handshake_ivl(self->router, 5000);
    if (zmq_socket_monitor(zsock_resolve(self->router), S_MONITOR_ENDPOINT,
                           ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL |
                               ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL) == 0) {
        self->monitor = zsock_new(ZMQ_PAIR);
        if (self->monitor && zsock_connect(self->monitor, S_MONITOR_ENDPOINT) != 0)
            zsock_destroy(&self->monitor);
    }
    if (zsock_bind(self->router, "%s", endpoint) < 0) {
        klog_error("net.listen: can't listen on %s: %s", endpoint, zmq_strerror(zmq_errno()));
        goto fail;
    }
    klog_info("remote clients on %s (CURVE; site key %s)", endpoint, public_key);
    return self;
fail:
    net_gate_destroy(&self);
    return NULL;
}

void net_gate_destroy(net_gate_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    net_gate_t *self = *self_p;
    if (self->router)
        zmq_socket_monitor(zsock_resolve(self->router), NULL, 0);
    zsock_destroy(&self->monitor);
    zsock_destroy(&self->router);
    zsock_destroy(&self->zap);
    for (size_t i = 0; i < S_MAX_DAEMONS; i++)
        zsock_destroy(&self->daemons[i]);
    zhashx_destroy(&self->pending);
    arena_destroy(&self->arena);
    zhashx_destroy(&self->refused);
    free(self);
    *self_p = NULL;
}

int net_gate_attach(net_gate_t *self, zloop_t *loop)
{
    self->loop = loop;
    if (zloop_reader(loop, self->zap, s_on_zap, self) != 0 ||
        zloop_reader(loop, self->router, s_on_request, self) != 0 ||
        (self->monitor && zloop_reader(loop, self->monitor, s_on_monitor, self) != 0))
        return -1;
    self->timer = zloop_timer(loop, 1000, 0, s_on_timer, self);
    return self->timer < 0 ? -1 : 0;
}
