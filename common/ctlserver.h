/* ctlserver.h: the control socket every daemon serves.
 *
 * A ROUTER on ipc://DIR/run/NAME.ctl (site.h) taking kefu.Request and
 * answering kefu.Reply (proto/control.proto). It answers the requests
 * common to all daemons itself:
 *   status  name, pid, applied position, log head, site clock;
 *   sync    waits until the daemon has applied the log up to a seq;
 * and passes every other request to the daemon's handler. Bad input (not
 * a Request, invalid fields per kvalid.h, no request kind) gets a typed
 * error here and never reaches the handler.
 *
 * A handler may answer later (after the log acknowledged the events a
 * command made): it returns CTL_DEFER and keeps the call, then finishes it
 * with ctlserver_reply() or ctlserver_fail().
 */
#ifndef KEFU_CTLSERVER_H
#define KEFU_CTLSERVER_H

#include <czmq.h>
#include <stdint.h>

#include "control.pb-c.h"
#include "kclock.h"

typedef struct ctlserver_t ctlserver_t;
typedef struct ctl_call_t ctl_call_t;   /* a request awaiting its reply */

#define CTL_DEFER 1

/* The daemon's handler for requests other than status and sync. Fill
 * *reply's oneof and return 0 to answer now, return a kefu error code to
 * answer with that error (the message: ctl_call_errmsg()), or CTL_DEFER to
 * answer later through call (which the handler then owns). req and its
 * fields are valid only during the call. */
typedef int (ctl_handler_fn)(void *arg, ctl_call_t *call, const Kefu__Request *req,
                             Kefu__Reply *reply);

/* New server for daemon `name` of the site in site_dir, bound at once.
 * handler may be NULL (then other requests get ERR_UNSUPPORTED). Returns
 * NULL with errno set if the socket can't be bound. */
ctlserver_t *ctlserver_new(const char *site_dir, const char *name, kclock_t *clock,
                           ctl_handler_fn *handler, void *arg);
void ctlserver_destroy(ctlserver_t **self_p);

/* Registers the socket (and the sync timeout timer) in loop. Returns 0 or -1. */
int ctlserver_attach(ctlserver_t *self, zloop_t *loop);

/* Tells the server how far the daemon has applied the log and the head it
 * knows; answers every sync that is now satisfied. */
void ctlserver_set_position(ctlserver_t *self, uint64_t applied, uint64_t head);
uint64_t ctlserver_applied(const ctlserver_t *self);
/* The site's offset from UTC (calendar.utc_offset) status tells clients,
 * so they count days and weeks as the site does. */
void ctlserver_set_utc_offset(ctlserver_t *self, int offset_min);

/* Sets the error message for the code the handler returns (printf-style). */
void ctl_call_errmsg(ctl_call_t *call, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The request id of the call's request ("" if none). */
const char *ctl_call_request_id(const ctl_call_t *call);

/* Finishes a deferred call with reply (its corr is set here) and frees
 * the call, nulling *call_p. */
void ctlserver_reply(ctlserver_t *self, ctl_call_t **call_p, Kefu__Reply *reply);
/* Finishes a deferred call with a reply already packed (buf[0..len), a
 * kefu.Reply without corr: the call's is appended, a later field 1
 * winning in protobuf), and frees the call, nulling *call_p. For a reply
 * built off the loop's thread (cmdq's reader). */
void ctlserver_reply_packed(ctlserver_t *self, ctl_call_t **call_p, const uint8_t *buf, size_t len);
/* Finishes a deferred call with an error. */
void ctlserver_fail(ctlserver_t *self, ctl_call_t **call_p, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
