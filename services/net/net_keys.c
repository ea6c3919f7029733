/* net_keys.c: kefu-net's configuration keys, the table net_keys
 * (registry.h). Data only: built into libkefu, so `kefu up` checks them
 * before it starts anything.
 */
#include "kconfig.h"
#include "registry.h"

static const kconfig_key_t s_keys[] = {
    /* the remote endpoint, e.g. tcp://0.0.0.0:7700; empty: no remote
     * clients (the keys can still be made, for when it is set) */
    KCONFIG_KEY_STRING("net.listen", ""),
    /* the longest a remote request waits for its daemon before the
     * endpoint answers unavailable for it (the client's own wait_ms, if
     * shorter, is taken) */
    KCONFIG_KEY_DURATION("net.request_timeout", "30s"),
};
const kconfig_table_t net_keys = KCONFIG_TABLE("net", s_keys);
