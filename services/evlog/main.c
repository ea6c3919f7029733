/* main.c: kefu-evlog, the site's event log daemon. Thin on purpose: flags
 * and configuration (kdaemon.h), then the server (evlog_server.h). */
#include "evlog_server.h"
#include "kerr.h"
#include "klog.h"

int main(int argc, char **argv)
{
    kdaemon_t d;
    int rc = kdaemon_init(&d, "evlog", NULL, argc, argv);   /* summary: the registry's */
    if (rc) {
        kdaemon_fini(&d);
        return rc < 0 ? 0 : rc;
    }
    evlog_server_t *server;
    rc = evlog_server_new(&server, &d);
    if (rc == 0) {
        evlog_server_run(server);
        evlog_server_destroy(&server);
    } else
        klog_error("can't start: %s", kefu_strerror(rc));
    kdaemon_fini(&d);
    return rc ? 1 : 0;
}
