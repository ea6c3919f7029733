/* intake.c: intake on the daemon kit (intake.h, kservice.h).
 *
 * All intake adds to the kit is here: its name, its tables and their
 * layout, its command table and its appliers, and the one thing of its
 * own it needs at start, the deadline policy (deadline.h) its commands
 * compute reply due times with.
 */
#include <errno.h>
#include <stdlib.h>

#include "intake.h"
#include "kerr.h"
#include "klog.h"

static const kservice_spec_t s_spec = {
    .name = INTAKE_PRODUCER,
    .schema = INTAKE_SCHEMA,
    .tables = intake_table_names,
    .commands = &intake_commands,
    .apply = intake_apply,
};

int intake_new(intake_t **out, kdaemon_t *d)
{
    *out = NULL;
    intake_t *self = calloc(1, sizeof *self);
    if (!self)
        return ENOMEM;
    self->d = d;
    self->apply_arena = arena_new(0);
    char err[512];
    self->policy = deadline_policy_new(d->config, err, sizeof err);
    int rc = 0;
    if (!self->policy) {
        klog_error("deadline policy: %s", err);
        rc = KEFU_EINVAL;
    }
    if (rc == 0 && (rc = kservice_new(&self->svc, d, &s_spec, self)) == 0)
        intake_store_tables(self);
    if (rc) {
        intake_destroy(&self);
        return rc;
    }
    *out = self;
    return 0;
}

int intake_run(intake_t *self)
{
    return kservice_run(self->svc);
}

void intake_destroy(intake_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    intake_t *self = *self_p;
    kservice_destroy(&self->svc);
    deadline_policy_destroy(&self->policy);
    arena_destroy(&self->apply_arena);
    free(self);
    *self_p = NULL;
}
