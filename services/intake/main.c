/* main.c: kefu-intake, the desk's front line (intake.h). Thin on purpose. */
#include "intake.h"
#include "kerr.h"
#include "klog.h"

int main(int argc, char **argv)
{
    kdaemon_t d;
    int rc = kdaemon_init(&d, "intake",
                          "Customers, orders, complaints and queries with reply deadlines, "
                          "after-sales requests and consultations.",
                          argc, argv);
    if (rc) {
        kdaemon_fini(&d);
        return rc < 0 ? 0 : rc;
    }
    intake_t *intake;
    rc = intake_new(&intake, &d);
    if (rc == 0) {
        intake_run(intake);
        intake_destroy(&intake);
    } else
        klog_error("can't start: %s", kefu_strerror(rc));
    kdaemon_fini(&d);
    return rc ? 1 : 0;
}
