/* fuzz_cmd_sla.c: sla's command handlers under fuzzed requests, against
 * a real sla on a temporary site (fuzz_cmd.h says how and what fails).
 */
#include <stddef.h>
#include <stdint.h>

#include "sla.h"
#include "fuzz_cmd.h"

static int s_make(void **out, kdaemon_t *d)
{
    return sla_new((sla_t **) out, d);
}

static void s_unmake(void **self_p)
{
    sla_destroy((sla_t **) self_p);
}

static kservice_t *s_svc(void *self)
{
    return ((sla_t *) self)->svc;
}

static const fuzz_daemon_t s_daemon = {
    .name = "sla",
    .make = s_make,
    .unmake = s_unmake,
    .svc = s_svc,
    .table = &sla_commands,
    .apply = sla_apply,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_cmd_run(&s_daemon, data, size);
}
