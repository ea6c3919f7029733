/* fuzz_cmd_net.c: net's command handlers under fuzzed requests, against
 * a real net on a temporary site (fuzz_cmd.h says how and what fails).
 */
#include <stddef.h>
#include <stdint.h>

#include "net.h"
#include "fuzz_cmd.h"

static int s_make(void **out, kdaemon_t *d)
{
    return net_new((net_t **) out, d);
}

static void s_unmake(void **self_p)
{
    net_destroy((net_t **) self_p);
}

static kservice_t *s_svc(void *self)
{
    return ((net_t *) self)->svc;
}

static const fuzz_daemon_t s_daemon = {
    .name = "net",
    .make = s_make,
    .unmake = s_unmake,
    .svc = s_svc,
    .table = &net_commands,
    .apply = net_apply,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_cmd_run(&s_daemon, data, size);
}
