/* cmd_status.c: `kefuctl status` and `kefuctl sync`, the site as a whole.
 *
 * Both ask every daemon of site_daemons[] (site.h) in turn. status is a
 * health report, so a daemon that does not answer is a row with ok false,
 * not a failure; only a site where nobody answers is unreachable (exit 3).
 * sync is a barrier (tests and scripts run it before reading what the
 * daemons derived from the log), so any daemon that cannot confirm makes
 * it fail.
 *
 * The log head comes from the log daemon (KCTL_LOG_DAEMON): its applied
 * position is the log itself. The other daemons' StatusReply.head is only
 * what they last heard, so their maximum is the fallback when the log
 * daemon does not answer.
 */
#include <string.h>

#include "kefuctl.h"
#include "kerr.h"
#include "site.h"

/* Extra wait beyond the SyncRequest's own timeout, so the daemon's "not
 * yet" (ERR_TIMEOUT in the reply) arrives before kefuctl gives up on it. */
#define S_SYNC_MARGIN_MS 1000

/* StatusRequest to daemon; see kctl_call() for the results. */
static int s_status_call(kctl_t *ctx, const char *daemon, Kefu__Reply **reply)
{
    Kefu__StatusRequest sreq = KEFU__STATUS_REQUEST__INIT;
    Kefu__Request req = KEFU__REQUEST__INIT;
    req.req_case = KEFU__REQUEST__REQ_STATUS;
    req.status = &sreq;
    return kctl_call(ctx, daemon, &req, reply, ctx->timeout_ms);
}

/* The aligned table of `kefuctl status` without --json. */
static void s_status_text(FILE *out, const json_t *obj)
{
    const json_t *list = json_object_get(obj, "daemons");
    char pid[24], applied[24];
    int w_name = (int) strlen("DAEMON"), w_pid = (int) strlen("PID");
    size_t i;
    json_t *d;
    json_array_foreach(list, i, d) {
        int n = (int) strlen(json_string_value(json_object_get(d, "name")));
        if (n > w_name)
            w_name = n;
        n = snprintf(pid, sizeof pid, "%lld",
                     (long long) json_integer_value(json_object_get(d, "pid")));
        if (n > w_pid)
            w_pid = n;
    }
    fprintf(out, "%-*s  %-*s  %-3s  %s\n", w_name, "DAEMON", w_pid, "PID", "OK", "APPLIED");
    json_array_foreach(list, i, d) {
        const json_t *p = json_object_get(d, "pid"), *a = json_object_get(d, "applied");
        snprintf(pid, sizeof pid, json_is_integer(p) ? "%lld" : "-",
                 (long long) json_integer_value(p));
        snprintf(applied, sizeof applied, json_is_integer(a) ? "%lld" : "-",
                 (long long) json_integer_value(a));
        const char *err = json_string_value(json_object_get(d, "error"));
        fprintf(out, "%-*s  %-*s  %-3s  %s%s%s\n", w_name,
                json_string_value(json_object_get(d, "name")), w_pid, pid,
                json_is_true(json_object_get(d, "ok")) ? "yes" : "no", applied,
                err ? "  " : "", err ? err : "");
    }
    fprintf(out, "head: %lld\n", (long long) json_integer_value(json_object_get(obj, "head")));
    const char *now = json_string_value(json_object_get(obj, "now"));
    if (now)
        fprintf(out, "clock: %s%s\n", now,
                json_is_true(json_object_get(obj, "sim_clock")) ? " (simulated)" : "");
}

int kctl_cmd_status(kctl_t *ctx, int argc, char **argv)
{
    int rc = kctl_parse_operands(ctx, argc, argv, 0, 0);
    if (rc != KCTL_CONTINUE)
        return rc;
    json_t *out = json_object(), *list = json_array();
    json_object_set_new(out, "daemons", list);
    uint64_t log_head = 0, max_head = 0;
    bool have_log_head = false;
    size_t answered = 0;
    for (size_t i = 0; site_daemons[i]; i++) {
        const char *name = site_daemons[i];
        bool is_log = strcmp(name, KCTL_LOG_DAEMON) == 0;
        Kefu__Reply *rep = NULL;
        rc = s_status_call(ctx, name, &rep);
        if (rc == KEFU_ETOOLARGE) {  /* the same for every daemon: say it once */
            json_decref(out);
            return kctl_call_fail(ctx, name, rc);
        }
        const Kefu__StatusReply *st = NULL;
        if (rc == 0) {
            answered++;
            if (!rep->error && rep->rep_case == KEFU__REPLY__REP_STATUS)
                st = rep->status;
        }
        json_t *d = json_object();
        json_object_set_new(d, "name", json_string(name));
        json_object_set_new(d, "pid", st && st->has_pid ? json_integer(st->pid) : json_null());
        json_object_set_new(d, "ok", json_boolean(st != NULL));
        json_object_set_new(d, "applied",
                            st && st->has_applied ? kctl_json_u64(st->applied) : json_null());
        if (st && st->has_head) {
            json_object_set_new(d, "head", kctl_json_u64(st->head));
            if (st->head > max_head)
                max_head = st->head;
            if (is_log) {
                log_head = st->head;
                have_log_head = true;
            }
        }
        if (!st) {
            /* why not ok, as a code: not there, said no, or made no sense */
            const char *why = rc != 0       ? "unavailable"
                              : rep->error ? kefu_errname(kefu_err_from_wire(rep->error->code))
                                           : "bad-request";
            json_object_set_new(d, "error", json_string(why));
        }
        if (st && is_log) {
            /* the log daemon owns the site clock: report it too */
            if (st->has_utc_offset_min)
                kctl_set_offset(ctx, st->utc_offset_min);
            if (st->has_now)
                json_object_set_new(out, "now", kctl_json_time(ctx, st->now));
            if (st->has_sim_clock)
                json_object_set_new(out, "sim_clock", json_boolean(st->sim_clock));
        }
        json_array_append_new(list, d);
        if (rep)
            kefu__reply__free_unpacked(rep, NULL);
    }
    if (answered == 0) {
        json_decref(out);
        return kctl_fail(ctx, KCTL_EXIT_UNREACHABLE, "unavailable",
                         "no daemon answers: is the site in %s up?", ctx->site);
    }
    json_object_set_new(out, "head", kctl_json_u64(have_log_head ? log_head : max_head));
    return kctl_ok(ctx, out, s_status_text);
}

int kctl_cmd_sync(kctl_t *ctx, int argc, char **argv)
{
    int rc = kctl_parse_operands(ctx, argc, argv, 0, 0);
    if (rc != KCTL_CONTINUE)
        return rc;

    Kefu__StatusRequest sreq = KEFU__STATUS_REQUEST__INIT;
    Kefu__Request req = KEFU__REQUEST__INIT;
    req.req_case = KEFU__REQUEST__REQ_STATUS;
    req.status = &sreq;
    Kefu__Reply *rep = NULL;
    rc = kctl_request(ctx, KCTL_LOG_DAEMON, &req, KEFU__REPLY__REP_STATUS, &rep,
                      ctx->timeout_ms);
    if (rc != KCTL_CONTINUE)
        return rc;
    /* the log's head; for the log daemon applied is the same figure */
    const Kefu__StatusReply *st = rep->status;
    uint64_t head = st->has_head ? st->head : st->has_applied ? st->applied : 0;
    kefu__reply__free_unpacked(rep, NULL);

    for (size_t i = 0; site_daemons[i]; i++) {
        const char *name = site_daemons[i];
        if (strcmp(name, KCTL_LOG_DAEMON) == 0)
            continue;  /* the log is the head */
        Kefu__SyncRequest sync = KEFU__SYNC_REQUEST__INIT;
        sync.has_seq = 1;
        sync.seq = head;
        sync.has_timeout_ms = 1;
        sync.timeout_ms = (uint32_t) ctx->timeout_ms;
        Kefu__Request sync_req = KEFU__REQUEST__INIT;
        sync_req.req_case = KEFU__REQUEST__REQ_SYNC;
        sync_req.sync = &sync;
        rc = kctl_call(ctx, name, &sync_req, &rep, ctx->timeout_ms + S_SYNC_MARGIN_MS);
        if (rc != 0)
            return kctl_call_fail(ctx, name, rc);
        if (rep->error) {
            /* ctlserver's sync refusal names the daemon that lags */
            rc = kctl_refused(ctx, NULL, rep->error);
            kefu__reply__free_unpacked(rep, NULL);
            return rc;
        }
        bool ok = rep->rep_case == KEFU__REPLY__REP_SYNC;
        kefu__reply__free_unpacked(rep, NULL);
        if (!ok)
            return kctl_fail(ctx, KCTL_EXIT_REFUSED, "internal",
                             "%s answered a sync with something else", name);
    }
    json_t *out = json_object();
    json_object_set_new(out, "head", kctl_json_u64(head));
    return kctl_ok(ctx, out, NULL);
}
