/* call.c: kefuctl's requests to the daemons' control sockets.
 *
 * One ctlclient per call: kefuctl makes a handful of calls per run, so a
 * fresh DEALER each time costs nothing that matters and means a late reply
 * to a call that timed out can never be taken for the next one's.
 *
 * Before waiting on a daemon, a local (ipc://) endpoint is checked for a
 * listener (ctlclient_nobody_listens): a daemon that is not running has no
 * socket file (it removes it on exit, kdaemon.h), or one left by a crash
 * that refuses connections, and `kefuctl status` on a stopped site then
 * answers at once instead of after a timeout per daemon. A daemon that is
 * there but hung still costs one timeout, which is the honest answer.
 *
 * Which requests carry --request-id is the caller's to say: a request
 * row knows whether it writes (kctl_cmd_t.writes), and `clock advance`
 * sets it itself. Reads never carry one.
 */
#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctlclient.h"
#include "kefuctl.h"
#include "kerr.h"
#include "pbjson.h"
#include "site.h"

bool kctl_endpoint_absent(const char *endpoint)
{
    return ctlclient_nobody_listens(endpoint);
}

/* A remote site: one endpoint for every daemon (the site's kefu-net routes
 * each request by the registry; a shared one, status or sync, by `to`),
 * always CURVE with the key file's pair. */
static int s_call_remote(kctl_t *ctx, const char *daemon, Kefu__Request *req,
                         Kefu__Reply **reply, int timeout_ms)
{
    /* without a usable key: kctl_call_fail() says why (a usage error) */
    if (!ctx->key_file)
        return KEFU_EINVAL;
    if (!ctx->key_loaded) {
        char err[PATH_MAX + 128];
        if (keyfile_load(ctx->key_file, &ctx->key, err, sizeof err) != 0)
            return KEFU_EINVAL;
        ctx->key_loaded = true;
    }
    ctlclient_t *client = ctlclient_new(ctx->endpoint);
    if (!client)
        return KEFU_EINTERNAL;
    int rc = ctlclient_set_curve(client, ctx->key.public_key, ctx->key.secret_key,
                                 ctx->key.site_key);
    char *to = req->to;
    req->to = (char *) daemon;
    if (rc == 0)
        rc = ctlclient_call(client, req, reply, timeout_ms);
    req->to = to;
    ctlclient_destroy(&client);
    return rc;
}

int kctl_call(kctl_t *ctx, const char *daemon, Kefu__Request *req, Kefu__Reply **reply,
              int timeout_ms)
{
    char endpoint[PATH_MAX + 32];
    *reply = NULL;
    /* How long we wait: the daemon answers before that, if only with what
     * holds the command up (cmdq.h), rather than leave us to time out. */
    if (timeout_ms > 0 && !req->has_wait_ms) {
        req->has_wait_ms = true;
        req->wait_ms = (uint32_t) timeout_ms;
    }
    if (ctx->endpoint)
        return s_call_remote(ctx, daemon, req, reply, timeout_ms);
    int rc = site_endpoint(ctx->site, daemon, "ctl", endpoint, sizeof endpoint);
    if (rc != 0)
        return rc;
    if (kctl_endpoint_absent(endpoint))
        return KEFU_ETIMEOUT;
    ctlclient_t *client = ctlclient_new(endpoint);
    if (!client)
        return KEFU_EINTERNAL;  /* out of memory: the endpoint came from site.h */
    rc = ctlclient_call(client, req, reply, timeout_ms);
    ctlclient_destroy(&client);
    return rc;
}

int kctl_request(kctl_t *ctx, const char *daemon, Kefu__Request *req,
                 Kefu__Reply__RepCase expect, Kefu__Reply **reply, int timeout_ms)
{
    Kefu__Reply *rep = NULL;
    *reply = NULL;
    int rc = kctl_call(ctx, daemon, req, &rep, timeout_ms);
    if (rc != 0)
        return kctl_call_fail(ctx, daemon, rc);
    if (rep->error) {
        rc = kctl_refused(ctx, NULL, rep->error);
        kefu__reply__free_unpacked(rep, NULL);
        return rc;
    }
    const ProtobufCMessage *sub = NULL;
    if (rep->rep_case != expect || !pbjson_oneof(&rep->base, "rep", &sub) || !sub) {
        kefu__reply__free_unpacked(rep, NULL);
        return kctl_fail(ctx, KCTL_EXIT_REFUSED, "internal",
                         "%s answered with something else than was asked", daemon);
    }
    *reply = rep;
    return KCTL_CONTINUE;
}

void kctl_set_offset(kctl_t *ctx, int offset_min)
{
    ctx->offset_min = offset_min;
    ctx->offset_known = true;
}

int kctl_time_offset(kctl_t *ctx)
{
    if (ctx->offset_known)
        return ctx->offset_min;
    Kefu__Request req = KEFU__REQUEST__INIT;
    Kefu__StatusRequest st = KEFU__STATUS_REQUEST__INIT;
    req.req_case = KEFU__REQUEST__REQ_STATUS;
    req.status = &st;
    Kefu__Reply *rep = NULL;
    int wait = ctx->timeout_ms < 1000 ? ctx->timeout_ms : 1000;
    if (kctl_call(ctx, KCTL_LOG_DAEMON, &req, &rep, wait) == 0 && rep->status &&
        rep->status->has_utc_offset_min)
        kctl_set_offset(ctx, rep->status->utc_offset_min);
    else {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        kctl_set_offset(ctx, pbjson_local_offset((int64_t) ts.tv_sec * 1000000));
    }
    if (rep)
        kefu__reply__free_unpacked(rep, NULL);
    return ctx->offset_min;
}

int kctl_site_offset(kctl_t *ctx, const char *daemon, int *offset_min)
{
    Kefu__Request req = KEFU__REQUEST__INIT;
    Kefu__StatusRequest st = KEFU__STATUS_REQUEST__INIT;
    req.req_case = KEFU__REQUEST__REQ_STATUS;
    req.status = &st;
    Kefu__Reply *rep = NULL;
    int rc = kctl_request(ctx, daemon, &req, KEFU__REPLY__REP_STATUS, &rep, ctx->timeout_ms);
    if (rc != KCTL_CONTINUE)
        return rc;
    *offset_min = rep->status->has_utc_offset_min ? rep->status->utc_offset_min : 0;
    kefu__reply__free_unpacked(rep, NULL);
    return KCTL_CONTINUE;
}
