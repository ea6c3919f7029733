/* intake_kinds.c: the kinds of intake's fields (pbkind.h): every int64
 * of intake.proto's messages (a time or a duration) and every id, as
 * the table intake_kinds. Data only, like NAME_keys.c: the Makefile
 * builds it into libkefu, where pbjson and kvalid read it through
 * pbkind_of(); test_pbkind fails on an int64 no table declares.
 */
#include "control.pb-c.h"
#include "event.pb-c.h"
#include "pbkind.h"

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
    {&kefu__consultation__descriptor, "at", PBKIND_TIME},
    {&kefu__consultation_list__descriptor, "from", PBKIND_TIME},
    {&kefu__consultation_list__descriptor, "to", PBKIND_TIME},
    {&kefu__customer__descriptor, "registered_at", PBKIND_TIME},
    {&kefu__customer__descriptor, "updated_at", PBKIND_TIME},
    {&kefu__evidence__descriptor, "at", PBKIND_TIME},
    {&kefu__handoff__descriptor, "at", PBKIND_TIME},
    {&kefu__handoff__descriptor, "due", PBKIND_TIME},
    {&kefu__order__descriptor, "uploaded_at", PBKIND_TIME},
    {&kefu__order__descriptor, "ship_by", PBKIND_TIME},
    {&kefu__order__descriptor, "pickup_by", PBKIND_TIME},
    /* durations: microseconds, printed as 2h30m */
    {&kefu__case_analysis_row__descriptor, "median_first_reply_us", PBKIND_DURATION},
    {&kefu__case_analysis_row__descriptor, "median_resolution_us", PBKIND_DURATION},
    {&kefu__case_handoff__descriptor, "due_us", PBKIND_DURATION},
    {&kefu__case_reply__descriptor, "commit_us", PBKIND_DURATION},
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
    {&kefu__order__descriptor, "id", PBKIND_ID},
    {&kefu__order_get__descriptor, "id", PBKIND_ID},
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
const pbkind_table_t intake_kinds = PBKIND_TABLE("intake", s_rows);
