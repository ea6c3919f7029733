/* main.c: kefu-sla, the deadline watchers (sla.h). Thin on purpose. */
#include "kerr.h"
#include "klog.h"
#include "sla.h"

int main(int argc, char **argv)
{
    kdaemon_t d;
    int rc = kdaemon_init(&d, "sla",
                          "Deadline watchers: every open obligation's due time, escalations "
                          "up the chain, acknowledgements.",
                          argc, argv);
    if (rc) {
        kdaemon_fini(&d);
        return rc < 0 ? 0 : rc;
    }
    sla_t *sla;
    rc = sla_new(&sla, &d);
    if (rc == 0) {
        sla_run(sla);
        sla_destroy(&sla);
    } else
        klog_error("can't start: %s", kefu_strerror(rc));
    kdaemon_fini(&d);
    return rc ? 1 : 0;
}
