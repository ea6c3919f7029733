/* sla.c: the SLA watchers on the daemon kit (sla.h, kservice.h).
 *
 * Its name, tables, command table, appliers, the events of intake and
 * sched it follows, and its tick (sla_watch.c); at start, its keys and the
 * site's calendar (the close of each working day, sla_eod.c); the
 * heap of next actions is filled from the store (not from the log) at its
 * first tick, once it serves.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kerr.h"
#include "klog.h"
#include "ktime.h"
#include "sla.h"

static int s_attach(void *arg, zloop_t *loop)
{
    sla_t *self = arg;
    return sla_notify_attach(self->notify, loop);
}

static const kservice_spec_t s_spec = {
    .name = SLA_PRODUCER,
    .schema = SLA_SCHEMA,
    .tables = sla_table_names,
    .commands = &sla_commands,
    .apply = sla_apply,
    .also = sla_follows,
    .reacts = true,
    .tick = sla_watch_tick,
    .attach = s_attach,
};

int sla_new(sla_t **out, kdaemon_t *d)
{
    *out = NULL;
    sla_t *self = calloc(1, sizeof *self);
    if (!self)
        return ENOMEM;
    self->d = d;
    self->level2_after_us = kconfig_duration(d->config, "sla.level2_after");
    self->warn_share = (int) kconfig_int(d->config, "sla.warn_share");
    const char *remind = kconfig_get(d->config, "sla.remind_every");
    if (!remind || strcmp(remind, "off") == 0 || ktime_parse_duration(remind, &self->remind_every_us) != 0)
        self->remind_every_us = 0;
    self->apply_arena = arena_new(0);
    int rc = self->apply_arena ? 0 : ENOMEM;
    char err[512];
    if (rc == 0 && !(self->policy = deadline_policy_new(d->config, err, sizeof err))) {
        klog_error("deadline policy: %s", err);
        rc = KEFU_EINVAL;
    }
    if (rc == 0 && !(self->watch = sla_watch_new(self)))
        rc = ENOMEM;
    if (rc == 0)
        rc = sla_notify_new(&self->notify, self, d->config);
    if (rc == 0 && (rc = kservice_new(&self->svc, d, &s_spec, self)) == 0)
        sla_store_tables(self);  /* the heap is filled at the first tick */
    if (rc) {
        sla_destroy(&self);
        return rc;
    }
    *out = self;
    return 0;
}

int sla_run(sla_t *self)
{
    return kservice_run(self->svc);
}

void sla_destroy(sla_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    sla_t *self = *self_p;
    sla_notify_destroy(&self->notify);  /* its thread reads the store: first */
    kservice_destroy(&self->svc);
    sla_watch_destroy(&self->watch);
    arena_destroy(&self->apply_arena);
    deadline_policy_destroy(&self->policy);
    free(self);
    *self_p = NULL;
}
