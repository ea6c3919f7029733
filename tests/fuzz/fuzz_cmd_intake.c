/* fuzz_cmd_intake.c: intake's command handlers under fuzzed requests, against
 * a real intake on a temporary site (fuzz_cmd.h says how and what fails).
 */
#include <stddef.h>
#include <stdint.h>

#include "intake.h"
#include "fuzz_cmd.h"

static int s_make(void **out, kdaemon_t *d)
{
    return intake_new((intake_t **) out, d);
}

static void s_unmake(void **self_p)
{
    intake_destroy((intake_t **) self_p);
}

static kservice_t *s_svc(void *self)
{
    return ((intake_t *) self)->svc;
}

static const fuzz_daemon_t s_daemon = {
    .name = "intake",
    .make = s_make,
    .unmake = s_unmake,
    .svc = s_svc,
    .table = &intake_commands,
    .apply = intake_apply,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_cmd_run(&s_daemon, data, size);
}
