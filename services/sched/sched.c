/* sched.c: sched on the daemon kit (scheduler.h, kservice.h).
 *
 * Its name, tables, command table, appliers and the intake events it
 * follows; and what it needs at start: its configuration (sched_conf.c)
 * and the deadline policy every due time is computed by (deadline.h).
 */
#include <errno.h>
#include <stdlib.h>

#include "kerr.h"
#include "klog.h"
#include "scheduler.h"

static const kservice_spec_t s_spec = {
    .name = SCHED_PRODUCER,
    .schema = SCHED_SCHEMA,
    .tables = sched_table_names,
    .commands = &sched_commands,
    .apply = sched_apply,
    .also = sched_follows,
    .reacts = true,
};

int sched_new(sched_t **out, kdaemon_t *d)
{
    *out = NULL;
    sched_t *self = calloc(1, sizeof *self);
    if (!self)
        return ENOMEM;
    self->d = d;
    self->utc_offset_min = d->utc_offset_min;
    self->apply_arena = arena_new(0);
    char err[512];
    int rc = 0;
    if (!(self->policy = deadline_policy_new(d->config, err, sizeof err))) {
        klog_error("deadline policy: %s", err);
        rc = KEFU_EINVAL;
    }
    if (rc == 0 && (rc = sched_conf_load(&self->conf, d->config, err, sizeof err)) != 0)
        klog_error("configuration: %s", err);
    if (rc == 0 && (rc = kservice_new(&self->svc, d, &s_spec, self)) == 0)
        sched_store_tables(self);
    if (rc) {
        sched_destroy(&self);
        return rc;
    }
    *out = self;
    return 0;
}

int sched_run(sched_t *self)
{
    return kservice_run(self->svc);
}

void sched_destroy(sched_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    sched_t *self = *self_p;
    kservice_destroy(&self->svc);
    deadline_policy_destroy(&self->policy);
    arena_destroy(&self->apply_arena);
    free(self);
    *self_p = NULL;
}
