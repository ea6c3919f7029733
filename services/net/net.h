/* net.h: kefu-net, the site's one remote endpoint (shared/contract.md
 * "Remote clients"; docs/architecture.md "The remote endpoint").
 *
 * Two halves, one daemon:
 *
 *   the keys   a daemon on the kit (kservice.h): `kefuctl key new`
 *              enrols a client's CURVE public key with a role (and the
 *              person it acts as), `key revoke` ends it, `key list`
 *              shows them. Enrolments and revocations are events in the
 *              log (KeyEnrolled, KeyRevoked); the store's keys table is
 *              derived from them, like any daemon's.
 *   the gate   net_gate.c: a ROUTER on net.listen (TCP, off by default),
 *              always CURVE with the site's key pair (DIR/net/site.key).
 *              Every handshake is checked against the keys table (ZAP,
 *              libzmq's authentication protocol) before a message is
 *              read; every request is then routed by the registry to its
 *              daemon's control socket, with Request.via_key and
 *              via_role set from the key (never from the client) and
 *              Request.actor bound to the key's person. The daemons'
 *              command tables decide what a role may do (cmdq.h).
 *
 * Local clients (ipc://DIR/run/NAME.ctl) never pass here: the run
 * directory's permissions (0700) are their guard.
 */
#ifndef KEFU_NET_H
#define KEFU_NET_H

#include "kservice.h"

#define NET_PRODUCER "net"
#define NET_SCHEMA 1

typedef struct net_gate_t net_gate_t;

typedef struct {
    store_table_t keys;     /* name -> Key */
    store_table_t by_pub;   /* public key (40 bytes of Z85) -> name */
} net_tables_t;

typedef struct {
    kdaemon_t *d;
    kservice_t *svc;
    net_tables_t t;
    net_gate_t *gate;           /* NULL when net.listen is empty */
    char site_public[41];       /* the site's CURVE public key, Z85 */
} net_t;

extern const char *const net_table_names[];
extern const cmd_table_t net_commands;

int net_new(net_t **out, kdaemon_t *d);
int net_run(net_t *self);
void net_destroy(net_t **self_p);

/* The kit's applier (net_cmd.c): KeyEnrolled and KeyRevoked into the
 * keys tables. */
consumer_apply_fn net_apply;

/* ---- the gate (net_gate.c) ---- */

/* A gate for net's site, listening on endpoint with the site's key pair
 * (Z85 strings), its requests to each daemon's control socket timing
 * out after timeout_ms. Returns NULL (logged) if the endpoint can't be
 * bound. */
net_gate_t *net_gate_new(net_t *net, const char *endpoint, const char *public_key,
                         const char *secret_key, int timeout_ms);
void net_gate_destroy(net_gate_t **self_p);
/* Registers the gate's sockets and its timer in loop. Returns 0 or -1. */
int net_gate_attach(net_gate_t *self, zloop_t *loop);

/* The key enrolled as name, or with public key pub (40 characters of
 * Z85), from the store (a read of its own, the record decoded into arena:
 * the caller's, reset as it likes), into *out. Returns 0, KEFU_ENOTFOUND,
 * or a store error. */
typedef struct {
    char name[80];
    char person[80];
    int role;           /* Kefu__KeyRole */
    bool revoked;
} net_key_t;
int net_key_by_name(net_t *self, arena_t *arena, const char *name, net_key_t *out);
int net_key_by_public(net_t *self, arena_t *arena, const char *pub, net_key_t *out);

#endif
