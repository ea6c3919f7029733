/* evlog_server.h: the log daemon's sockets, appends, fan-out and clock.
 *
 * The server owns the store (evlog_store.h), the producer table
 * (producers.h) and a syncer thread; it answers the log protocol
 * (proto/evlog.proto) on ipc://DIR/run/evlog.sock, publishes every durable
 * record on ipc://DIR/run/evlog.pub, and serves the control socket
 * (status, sync, clock advance). The design essay is in evlog_server.c.
 */
#ifndef KEFU_EVLOG_SERVER_H
#define KEFU_EVLOG_SERVER_H

#include "kdaemon.h"

typedef struct evlog_server_t evlog_server_t;

/* Recovers the log in d->site/evlog and binds the sockets. Returns 0 and
 * sets *out, or an error code (logged). */
int evlog_server_new(evlog_server_t **out, kdaemon_t *d);
/* Runs until SIGINT/SIGTERM, then finishes the batch being synced. Returns 0. */
int evlog_server_run(evlog_server_t *self);
void evlog_server_destroy(evlog_server_t **self_p);

#endif
