/* main.c: kefu-sched, the production scheduler (scheduler.h). Thin on purpose. */
#include "kerr.h"
#include "klog.h"
#include "scheduler.h"

int main(int argc, char **argv)
{
    kdaemon_t d;
    int rc = kdaemon_init(&d, "sched",
                          "Production scheduling: the queue, rush decisions, floor stages, "
                          "rework and outsourcing.",
                          argc, argv);
    if (rc) {
        kdaemon_fini(&d);
        return rc < 0 ? 0 : rc;
    }
    sched_t *sched;
    rc = sched_new(&sched, &d);
    if (rc == 0) {
        sched_run(sched);
        sched_destroy(&sched);
    } else
        klog_error("can't start: %s", kefu_strerror(rc));
    kdaemon_fini(&d);
    return rc ? 1 : 0;
}
