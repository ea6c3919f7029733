/* fuzz_cmd.c: a daemon's command handlers under fuzzed requests, against
 * the real daemon on a temporary site (fuzz_cmd.h says how and what
 * fails). One source for every daemon on the kit: the Makefile builds it
 * once per daemon of common/daemons.def but the log (FUZZ_CMD there), as
 * fuzz_cmd_NAME, with FUZZ_DAEMON the daemon's name and FUZZ_DAEMON_H the
 * header that declares its NAME_t, NAME_new, NAME_destroy, NAME_commands
 * and NAME_apply. So a new daemon on the kit is fuzzed with no file here.
 */
#include <stddef.h>
#include <stdint.h>

#include FUZZ_DAEMON_H
#include "fuzz_cmd.h"

#define S_CAT_(a, b) a##b
#define S_CAT(a, b) S_CAT_(a, b)
#define S_STR_(a) #a
#define S_STR(a) S_STR_(a)
#define S_T S_CAT(FUZZ_DAEMON, _t)

static int s_make(void **out, kdaemon_t *d)
{
    return S_CAT(FUZZ_DAEMON, _new)((S_T **) out, d);
}

static void s_unmake(void **self_p)
{
    S_CAT(FUZZ_DAEMON, _destroy)((S_T **) self_p);
}

static kservice_t *s_svc(void *self)
{
    return ((S_T *) self)->svc;
}

static const fuzz_daemon_t s_daemon = {
    .name = S_STR(FUZZ_DAEMON),
    .make = s_make,
    .unmake = s_unmake,
    .svc = s_svc,
    .table = &S_CAT(FUZZ_DAEMON, _commands),
    .apply = S_CAT(FUZZ_DAEMON, _apply),
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_cmd_run(&s_daemon, data, size);
}
