/* main.c: kefu-net, the remote endpoint and its keys (net.h). Thin on purpose. */
#include "kerr.h"
#include "klog.h"
#include "net.h"

int main(int argc, char **argv)
{
    kdaemon_t d;
    int rc = kdaemon_init(&d, "net",
                          "The remote endpoint: CURVE keys and roles for terminals, desks and "
                          "dispatch; routes their requests to the daemons.",
                          argc, argv);
    if (rc) {
        kdaemon_fini(&d);
        return rc < 0 ? 0 : rc;
    }
    net_t *net;
    rc = net_new(&net, &d);
    if (rc == 0) {
        net_run(net);
        net_destroy(&net);
    } else
        klog_error("can't start: %s", kefu_strerror(rc));
    kdaemon_fini(&d);
    return rc ? 1 : 0;
}
