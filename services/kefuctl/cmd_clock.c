/* cmd_clock.c: `kefuctl clock advance DUR`, moving a simulated site clock.
 *
 * The log daemon owns the site clock (kclock.h): it moves it and records
 * the move as a ClockAdvanced event, so every daemon's timers see the new
 * time in log order. kefuctl only asks; on a site running on the wall
 * clock the daemon refuses with ERR_CONFLICT (exit 1).
 */
#include "kefuctl.h"
#include "ktime.h"

int kctl_cmd_clock_advance(kctl_t *ctx, int argc, char **argv)
{
    int rc = kctl_parse_operands(ctx, argc, argv, 1, 1);
    if (rc != KCTL_CONTINUE)
        return rc;
    const char *dur = argv[optind];
    int64_t by_us;
    if (ktime_parse_duration(dur, &by_us) != 0)
        return kctl_usage(ctx, "bad duration '%s': use e.g. 90s, 30m, 2h, 3d, 1h30m", dur);

    Kefu__ClockAdvanceRequest adv = KEFU__CLOCK_ADVANCE_REQUEST__INIT;
    adv.has_by_us = 1;
    adv.by_us = by_us;
    Kefu__Request req = KEFU__REQUEST__INIT;
    req.req_case = KEFU__REQUEST__REQ_CLOCK_ADVANCE;
    req.clock_advance = &adv;
    req.request_id = (char *) ctx->request_id;  /* a write; packing only reads it */
    Kefu__Reply *rep = NULL;
    rc = kctl_request(ctx, KCTL_LOG_DAEMON, &req, KEFU__REPLY__REP_CLOCK_ADVANCE, &rep,
                      ctx->timeout_ms);
    if (rc != KCTL_CONTINUE)
        return rc;
    json_t *out = json_object();
    const Kefu__ClockAdvanceReply *car = rep->clock_advance;
    json_object_set_new(out, "now", car->has_now ? kctl_json_time(ctx, car->now) : json_null());
    kefu__reply__free_unpacked(rep, NULL);
    return kctl_ok(ctx, out, NULL);
}
