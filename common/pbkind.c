/* pbkind.c: the kinds of kefu's fields (pbkind.h).
 *
 * One row per field that is not plain: every int64 (a time or a
 * duration; a count would say so) and every id. A new field of either
 * type gets its row here, or test_pbkind fails. Lookups go through a
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
    {&kefu__after_sales__descriptor, "opened_at", PBKIND_TIME},
    {&kefu__after_sales__descriptor, "updated_at", PBKIND_TIME},
    {&kefu__case__descriptor, "closed_at", PBKIND_TIME},
    {&kefu__case__descriptor, "committed_until", PBKIND_TIME},
    {&kefu__case__descriptor, "first_reply_at", PBKIND_TIME},
    {&kefu__case__descriptor, "opened_at", PBKIND_TIME},
    {&kefu__case__descriptor, "reply_due", PBKIND_TIME},
    {&kefu__case__descriptor, "resolved_at", PBKIND_TIME},
    {&kefu__case_analysis__descriptor, "from", PBKIND_TIME},
    {&kefu__case_analysis__descriptor, "to", PBKIND_TIME},
    {&kefu__case_analysis_query__descriptor, "from", PBKIND_TIME},
    {&kefu__case_analysis_query__descriptor, "to", PBKIND_TIME},
    {&kefu__case_entry__descriptor, "at", PBKIND_TIME},
    {&kefu__case_entry__descriptor, "due", PBKIND_TIME},
    {&kefu__case_query__descriptor, "from", PBKIND_TIME},
    {&kefu__case_query__descriptor, "to", PBKIND_TIME},
    {&kefu__case_replied__descriptor, "committed_until", PBKIND_TIME},
    {&kefu__clock_advance_reply__descriptor, "now", PBKIND_TIME},
    {&kefu__clock_advanced__descriptor, "from", PBKIND_TIME},
    {&kefu__clock_advanced__descriptor, "to", PBKIND_TIME},
    {&kefu__consultation__descriptor, "at", PBKIND_TIME},
    {&kefu__consultation_list__descriptor, "from", PBKIND_TIME},
    {&kefu__consultation_list__descriptor, "to", PBKIND_TIME},
    {&kefu__customer__descriptor, "registered_at", PBKIND_TIME},
    {&kefu__customer__descriptor, "updated_at", PBKIND_TIME},
    {&kefu__envelope__descriptor, "at", PBKIND_TIME},
    {&kefu__evidence__descriptor, "at", PBKIND_TIME},
    {&kefu__handoff__descriptor, "at", PBKIND_TIME},
    {&kefu__handoff__descriptor, "due", PBKIND_TIME},
    {&kefu__order__descriptor, "uploaded_at", PBKIND_TIME},
    {&kefu__status_reply__descriptor, "now", PBKIND_TIME},
    {&kefu__status_reply__descriptor, "started", PBKIND_TIME},
    /* durations: microseconds, printed as 2h30m */
    {&kefu__case_analysis_row__descriptor, "median_first_reply_us", PBKIND_DURATION},
    {&kefu__case_analysis_row__descriptor, "median_resolution_us", PBKIND_DURATION},
    {&kefu__case_handoff__descriptor, "due_us", PBKIND_DURATION},
    {&kefu__case_reply__descriptor, "commit_us", PBKIND_DURATION},
    {&kefu__clock_advance_request__descriptor, "by_us", PBKIND_DURATION},
    /* ids: at most 64 bytes (kid.h) */
    {&kefu__after_sales__descriptor, "id", PBKIND_ID},
    {&kefu__after_sales_get__descriptor, "id", PBKIND_ID},
    {&kefu__after_sales_step__descriptor, "id", PBKIND_ID},
    {&kefu__after_sales_stepped__descriptor, "id", PBKIND_ID},
    {&kefu__case__descriptor, "id", PBKIND_ID},
    {&kefu__case_add_evidence__descriptor, "id", PBKIND_ID},
    {&kefu__case_evidence_added__descriptor, "id", PBKIND_ID},
    {&kefu__case_followed_up__descriptor, "id", PBKIND_ID},
    {&kefu__case_followup__descriptor, "id", PBKIND_ID},
    {&kefu__case_get__descriptor, "id", PBKIND_ID},
    {&kefu__case_handed_off__descriptor, "id", PBKIND_ID},
    {&kefu__case_handoff__descriptor, "id", PBKIND_ID},
    {&kefu__case_replied__descriptor, "id", PBKIND_ID},
    {&kefu__case_reply__descriptor, "id", PBKIND_ID},
    {&kefu__case_resolve__descriptor, "id", PBKIND_ID},
    {&kefu__case_resolved__descriptor, "id", PBKIND_ID},
    {&kefu__consultation__descriptor, "id", PBKIND_ID},
    {&kefu__customer__descriptor, "id", PBKIND_ID},
    {&kefu__customer_get__descriptor, "id", PBKIND_ID},
    {&kefu__envelope__descriptor, "actor", PBKIND_ID},
    {&kefu__envelope__descriptor, "producer", PBKIND_ID},
    {&kefu__envelope__descriptor, "request_id", PBKIND_ID},
    {&kefu__hello_request__descriptor, "producer", PBKIND_ID},
    {&kefu__order__descriptor, "id", PBKIND_ID},
    {&kefu__order_get__descriptor, "id", PBKIND_ID},
    {&kefu__request__descriptor, "actor", PBKIND_ID},
    {&kefu__request__descriptor, "request_id", PBKIND_ID},
    /* who acts: a request body's `by` is Request.actor (cmdq.h); the
     * records and events keep who acted, an id too */
    {&kefu__case_open__descriptor, "by", PBKIND_ACTOR},
    {&kefu__case_reply__descriptor, "by", PBKIND_ACTOR},
    {&kefu__case_handoff__descriptor, "by", PBKIND_ACTOR},
    {&kefu__case_add_evidence__descriptor, "by", PBKIND_ACTOR},
    {&kefu__case_resolve__descriptor, "by", PBKIND_ACTOR},
    {&kefu__case_followup__descriptor, "by", PBKIND_ACTOR},
    {&kefu__after_sales_open__descriptor, "by", PBKIND_ACTOR},
    {&kefu__after_sales_step__descriptor, "by", PBKIND_ACTOR},
    {&kefu__consultation_add__descriptor, "by", PBKIND_ACTOR},
    {&kefu__case_entry__descriptor, "by", PBKIND_ID},
    {&kefu__handoff__descriptor, "by", PBKIND_ID},
    {&kefu__evidence__descriptor, "by", PBKIND_ID},
    {&kefu__case__descriptor, "owner", PBKIND_ID},
    {&kefu__after_sales__descriptor, "by", PBKIND_ID},
    {&kefu__consultation__descriptor, "by", PBKIND_ID},
    {&kefu__case_replied__descriptor, "by", PBKIND_ID},
    {&kefu__case_resolved__descriptor, "by", PBKIND_ID},
    {&kefu__case_followed_up__descriptor, "by", PBKIND_ID},
    {&kefu__after_sales_stepped__descriptor, "by", PBKIND_ID},
    {&kefu__consultation_list__descriptor, "by", PBKIND_ID},
};

#define S_SLOTS 512   /* a power of two, more than twice the rows */

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
    for (size_t i = 0; i < sizeof s_rows / sizeof s_rows[0]; i++) {
        const ProtobufCFieldDescriptor *f =
            protobuf_c_message_descriptor_get_field_by_name(s_rows[i].msg, s_rows[i].field);
        if (!f)
            continue;  /* test_pbkind names it */
        size_t h = s_hash(f);
        while (s_slots[h].f && s_slots[h].f != f)
            h = (h + 1) & (S_SLOTS - 1);
        s_slots[h].f = f;
        s_slots[h].kind = s_rows[i].kind;
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

const pbkind_row_t *pbkind_rows(size_t *n)
{
    *n = sizeof s_rows / sizeof s_rows[0];
    return s_rows;
}
