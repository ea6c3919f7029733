/* registry.c: the daemons of a site (see registry.h), expanded from
 * common/daemons.def.
 *
 * The rows are the .def lines in their order; the order column is the
 * line's position, so "start order" is written once, by where a line
 * stands. Lookups are a walk over a handful of rows. The ranges are
 * checked against the protobuf descriptors by tests/unit/test_registry.c,
 * not here: a daemon can't start on a registry the build already proved.
 */
#include "registry.h"

#include <assert.h>
#include <string.h>

#include "control.pb-c.h"

enum {
#define KEFU_DAEMON(name, ...) S_ORDER_##name,
#include "daemons.def"
#undef KEFU_DAEMON
    S_NDAEMONS
};

const registry_daemon_t registry_daemons[] = {
#define KEFU_DAEMON(name_, summary_, req_lo_, req_hi_, ev_lo_, ev_hi_)          \
    {.name = #name_, .summary = summary_, .order = S_ORDER_##name_,             \
     .req_lo = req_lo_, .req_hi = req_hi_, .ev_lo = ev_lo_, .ev_hi = ev_hi_,    \
     .keys = &name_##_keys},
#include "daemons.def"
#undef KEFU_DAEMON
    {.name = NULL},
};

const kconfig_table_t *const registry_key_tables[] = {
    &site_keys,
    &site_planned_keys,
#define KEFU_DAEMON(name, ...) &name##_keys,
#include "daemons.def"
#undef KEFU_DAEMON
    NULL,
};

size_t registry_count(void)
{
    return S_NDAEMONS;
}

const registry_daemon_t *registry_lookup(const char *name)
{
    assert(name);
    for (const registry_daemon_t *d = registry_daemons; d->name; d++)
        if (strcmp(d->name, name) == 0)
            return d;
    return NULL;
}

const registry_daemon_t *registry_for_request(int req_case)
{
    for (const registry_daemon_t *d = registry_daemons; d->name; d++)
        if (req_case >= d->req_lo && req_case <= d->req_hi)
            return d;
    return NULL;
}

const registry_daemon_t *registry_for_reply(int rep_case)
{
    /* Requests and replies share their ranges (docs/protocol.md). */
    return registry_for_request(rep_case);
}

const registry_daemon_t *registry_for_event(int body_case)
{
    for (const registry_daemon_t *d = registry_daemons; d->name; d++)
        if (body_case >= d->ev_lo && body_case <= d->ev_hi)
            return d;
    return NULL;
}

bool registry_request_shared(int req_case)
{
    /* ctlserver answers status and sync for every daemon (ctlserver.h);
     * stop is every daemon's too, though none serves it yet (protocol.md).
     * Clock advance (12), in the same block of numbers, is the log's. */
    return req_case == KEFU__REQUEST__REQ_STATUS || req_case == KEFU__REQUEST__REQ_SYNC ||
           req_case == KEFU__REQUEST__REQ_STOP;
}
