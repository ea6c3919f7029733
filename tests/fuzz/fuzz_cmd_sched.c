/* fuzz_cmd_sched.c: sched's command handlers under fuzzed requests, against
 * a real sched on a temporary site (fuzz_cmd.h says how and what fails).
 */
#include <stddef.h>
#include <stdint.h>

#include "scheduler.h"
#include "fuzz_cmd.h"

static int s_make(void **out, kdaemon_t *d)
{
    return sched_new((sched_t **) out, d);
}

static void s_unmake(void **self_p)
{
    sched_destroy((sched_t **) self_p);
}

static kservice_t *s_svc(void *self)
{
    return ((sched_t *) self)->svc;
}

static const fuzz_daemon_t s_daemon = {
    .name = "sched",
    .make = s_make,
    .unmake = s_unmake,
    .svc = s_svc,
    .table = &sched_commands,
    .apply = sched_apply,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_cmd_run(&s_daemon, data, size);
}
