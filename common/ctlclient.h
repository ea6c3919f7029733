/* ctlclient.h: one request, one reply, to a daemon's control socket.
 *
 * kefuctl, `kefu up` (health checks) and tests talk to daemons through
 * this: a DEALER connected to ipc://DIR/run/NAME.ctl (site.h), requests
 * carrying a correlation id so a late reply to an earlier, timed-out
 * request is recognised and dropped.
 */
#ifndef KEFU_CTLCLIENT_H
#define KEFU_CTLCLIENT_H

#include <stdbool.h>

#include "control.pb-c.h"

typedef struct ctlclient_t ctlclient_t;

/* New client for endpoint (e.g. "ipc:///srv/kefu/run/evlog.ctl"). Connects
 * lazily; never blocks. Returns NULL only on out-of-memory or a malformed
 * endpoint. */
ctlclient_t *ctlclient_new(const char *endpoint);
void ctlclient_destroy(ctlclient_t **self_p);

/* Talks CURVE from now on (a remote site's endpoint, net.listen): the
 * client's key pair and the site's public key, each 40 characters of
 * Z85 (keyfile.h reads them from a key file). Returns 0, or KEFU_EINVAL
 * for a key of another length. A site that refuses the key makes calls
 * return KEFU_EFORBIDDEN. */
int ctlclient_set_curve(ctlclient_t *self, const char *public_key, const char *secret_key,
                        const char *server_key);

/* Sends req (its corr is set here) and waits up to timeout_ms for the
 * reply. Returns 0 and sets *reply (caller frees it with
 * kefu__reply__free_unpacked(*reply, NULL)); the reply may carry an error
 * from the daemon, which the caller reads in (*reply)->error. Returns
 * KEFU_ETIMEOUT when the daemon did not answer (not running),
 * KEFU_EFORBIDDEN when a CURVE handshake was refused (the key), or
 * KEFU_EBADREQ if the answer could not be decoded. */
int ctlclient_call(ctlclient_t *self, Kefu__Request *req, Kefu__Reply **reply,
                   int timeout_ms);

/* True when nobody can be listening on endpoint: an ipc:// endpoint whose
 * socket file is missing, or refuses a connection (a file left behind by a
 * killed daemon). Never blocks. False for any other endpoint, and whenever
 * in doubt (the listener's backlog is full, permission denied): then only
 * a call can tell. Lets a client answer "not running" at once instead of
 * after its timeout. */
bool ctlclient_nobody_listens(const char *endpoint);

#endif
