/* net_kinds.c: the kinds of net's fields (pbkind.h): every int64 of
 * net.proto's messages and every id, as the table net_kinds. Data only
 * (see intake_kinds.c).
 */
#include "control.pb-c.h"
#include "event.pb-c.h"
#include "pbkind.h"

static const pbkind_row_t s_rows[] = {
    /* times: microseconds since 1970 UTC */
    {&kefu__key__descriptor, "enrolled_at", PBKIND_TIME},
    {&kefu__key__descriptor, "revoked_at", PBKIND_TIME},
    /* names: a key's is an id-like word; the person is who acts */
    {&kefu__key__descriptor, "name", PBKIND_ID},
    {&kefu__key__descriptor, "person", PBKIND_ID},
    {&kefu__key_enroll__descriptor, "name", PBKIND_ID},
    {&kefu__key_enroll__descriptor, "person", PBKIND_ID},
    {&kefu__key_revoke__descriptor, "name", PBKIND_ID},
    {&kefu__key_revoked__descriptor, "name", PBKIND_ID},
    {&kefu__key_revoked__descriptor, "by", PBKIND_ID},
    /* who acts: a request body's `by` is Request.actor (cmdq.h) */
    {&kefu__key_revoke__descriptor, "by", PBKIND_ACTOR},
    {&kefu__key_enroll__descriptor, "by", PBKIND_ACTOR},
};
const pbkind_table_t net_kinds = PBKIND_TABLE("net", s_rows);
