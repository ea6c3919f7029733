/* intake.c: the intake daemon's wiring (intake.h).
 *
 * One zloop serves three things: the control socket (commands from
 * kefuctl, handed to cmdq), the log client (acks of intake's appends, and
 * the subscription), and the consumer that applies the log to intake's
 * store. Commands wait (cmdq_gate) until the consumer has caught up with
 * the log's head as it was at start, so after a crash or a rebuild intake
 * never answers from a store that is behind what it wrote before.
 */
#include <errno.h>
#include <stdlib.h>

#include "intake.h"
#include "kerr.h"
#include "klog.h"
#include "site.h"

static int s_ctl(void *arg, ctl_call_t *call, const Kefu__Request *req, Kefu__Reply *reply)
{
    intake_t *self = arg;
    return cmdq_submit(self->cmdq, call, req, reply);
}

static void s_applied(void *arg, uint64_t applied, uint64_t head)
{
    intake_t *self = arg;
    ctlserver_set_position(self->ctl, applied, head);
    cmdq_applied(self->cmdq, applied);
}

/* The store can't take a batch (full): writes are refused, reads go on. */
static void s_failed(void *arg, int rc, uint64_t first)
{
    intake_t *self = arg;
    (void) first;
    cmdq_store_failing(self->cmdq, rc);
}

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
    if (rc == 0 && (rc = intake_store_open(self)) != 0)
        klog_error("can't open the store: %s", kefu_strerror(rc));
    if (rc == 0 && !(self->log = evlog_client_new(d->site, INTAKE_PRODUCER)))
        rc = errno ? errno : KEFU_EINTERNAL;
    if (rc == 0 && !(self->ctl = ctlserver_new(d->site, "intake", d->clock, s_ctl, self)))
        rc = errno ? errno : KEFU_EINTERNAL;
    if (rc == 0 && !(self->cmdq = cmdq_new(self->store, self->log, self->ctl, d->clock,
                                           &intake_commands, self)))
        rc = KEFU_EINTERNAL;
    if (rc == 0 && !(self->consumer = consumer_new(self->store, self->log, intake_apply,
                                                   s_applied, self)))
        rc = KEFU_EINTERNAL;
    if (rc) {
        intake_destroy(&self);
        return rc;
    }
    consumer_on_failure(self->consumer, s_failed);
    *out = self;
    return 0;
}

int intake_run(intake_t *self)
{
    zloop_t *loop = zloop_new();
    ctlserver_attach(self->ctl, loop);
    evlog_client_attach(self->log, loop);
    cmdq_attach(self->cmdq, loop);
    /* Hold commands until the store has caught up with the log as it is
     * now, this daemon's own last appends before a crash included (the
     * log answers the introduction once they are durable). The log may be
     * down: then wait for it. */
    uint64_t head = 0;
    while (evlog_client_introduce(self->log, &head, 1000) != 0 && !zsys_interrupted)
        klog_warn("waiting for the event log");
    cmdq_gate(self->cmdq, head);
    uint64_t applied = consumer_applied(self->consumer);
    ctlserver_set_position(self->ctl, applied, head);
    cmdq_applied(self->cmdq, applied);
    consumer_start(self->consumer);
    klog_info("serving intake of %s; applied %llu of %llu", self->d->site,
              (unsigned long long) applied, (unsigned long long) head);
    zloop_start(loop);
    klog_info("stopped at %llu", (unsigned long long) consumer_applied(self->consumer));
    evlog_client_destroy(&self->log);  /* before the loop it is attached to */
    zloop_destroy(&loop);
    return 0;
}

void intake_destroy(intake_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    intake_t *self = *self_p;
    consumer_destroy(&self->consumer);
    cmdq_destroy(&self->cmdq);
    ctlserver_destroy(&self->ctl);
    evlog_client_destroy(&self->log);
    store_destroy(&self->store);
    deadline_policy_destroy(&self->policy);
    arena_destroy(&self->apply_arena);
    free(self);
    *self_p = NULL;
}
