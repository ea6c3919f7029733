/* evlog_keys.c: kefu-evlog's configuration keys, the table evlog_keys
 * (registry.h). Data only: the Makefile builds this file into libkefu, so
 * `kefu up` (which reads evlog.segment_mb for its disk check) and every
 * daemon know these keys; evlog_server.c reads them.
 */
#include "kconfig.h"
#include "kvalid.h"
#include "registry.h"

static const kconfig_key_t s_keys[] = {
    KCONFIG_KEY_INT("evlog.segment_mb", "256", 1, 65536),   /* a new segment file's size */
    /* A batch is one AppendRequest: kvalid refuses more elements than the
     * upper bound, and a client sends up to 1024 events in one. */
    KCONFIG_KEY_INT("evlog.max_batch", "4096", 1024, KVALID_MAX_REPEAT),
    KCONFIG_KEY_INT("evlog.fetch_max", "4096", 1, 1000000),  /* records in one fetch reply */
};
const kconfig_table_t evlog_keys = KCONFIG_TABLE("evlog", s_keys);
