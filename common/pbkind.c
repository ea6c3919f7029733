/* pbkind.c: the kinds of kefu's fields (pbkind.h).
 *
 * One row per field that is not plain: every int64 (a time or a
 * duration; a count would say so) and every id. The envelope's and the
 * request's rows are here; a daemon's messages have theirs in its table,
 * services/NAME/NAME_kinds.c, found through the registry (daemons.def).
 * A new field of either type gets its row, or test_pbkind fails. Lookups go through a
 * small open-addressing table keyed by the field descriptor's address,
 * built once (pthread_once), so the hot paths (validating every event the
 * log takes) pay one hash probe per field.
 */
#include "pbkind.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#include "control.pb-c.h"
#include "event.pb-c.h"
#include "evlog.pb-c.h"

static const pbkind_row_t s_rows[] = {
    /* times: microseconds since 1970 UTC, printed in RFC 3339 */
    {&kefu__envelope__descriptor, "at", PBKIND_TIME},
    {&kefu__status_reply__descriptor, "now", PBKIND_TIME},
    {&kefu__status_reply__descriptor, "started", PBKIND_TIME},
    /* ids: at most 64 bytes (kid.h) */
    {&kefu__envelope__descriptor, "actor", PBKIND_ID},
    {&kefu__envelope__descriptor, "producer", PBKIND_ID},
    {&kefu__envelope__descriptor, "request_id", PBKIND_ID},
    {&kefu__request__descriptor, "actor", PBKIND_ID},
    {&kefu__request__descriptor, "request_id", PBKIND_ID},
};

static const pbkind_table_t s_common = PBKIND_TABLE("common", s_rows);

/* Every daemon's table (services/NAME/NAME_kinds.c), by the registry. */
#define KEFU_DAEMON(name, ...) extern const pbkind_table_t name##_kinds;
#include "daemons.def"
#undef KEFU_DAEMON
static const pbkind_table_t *const s_tables[] = {
    &s_common,
#define KEFU_DAEMON(name, ...) &name##_kinds,
#include "daemons.def"
#undef KEFU_DAEMON
};
#define S_NTABLES (sizeof s_tables / sizeof s_tables[0])

#define S_SLOTS 2048  /* a power of two, more than twice the rows of all tables */

static struct {
    const ProtobufCFieldDescriptor *f;
    pbkind_t kind;
} s_slots[S_SLOTS];
static pthread_once_t s_once = PTHREAD_ONCE_INIT;

static size_t s_hash(const void *p)
{
    uintptr_t v = (uintptr_t) p;
    v ^= v >> 17;
    v *= 0x9E3779B97F4A7C15ULL;
    return (size_t) (v >> 32) & (S_SLOTS - 1);
}

static void s_build(void)
{
    for (size_t t = 0; t < S_NTABLES; t++)
    for (size_t i = 0; i < s_tables[t]->n; i++) {
        const pbkind_row_t *r = &s_tables[t]->rows[i];
        const ProtobufCFieldDescriptor *f =
            protobuf_c_message_descriptor_get_field_by_name(r->msg, r->field);
        if (!f)
            continue;  /* test_pbkind names it */
        size_t h = s_hash(f);
        while (s_slots[h].f && s_slots[h].f != f)
            h = (h + 1) & (S_SLOTS - 1);
        s_slots[h].f = f;
        s_slots[h].kind = r->kind;
    }
}

pbkind_t pbkind_of(const ProtobufCFieldDescriptor *f)
{
    pthread_once(&s_once, s_build);
    for (size_t h = s_hash(f); s_slots[h].f; h = (h + 1) & (S_SLOTS - 1))
        if (s_slots[h].f == f)
            return s_slots[h].kind;
    return PBKIND_PLAIN;
}

const pbkind_table_t *const *pbkind_tables(size_t *n)
{
    *n = S_NTABLES;
    return s_tables;
}
