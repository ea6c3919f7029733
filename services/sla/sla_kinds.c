/* sla_kinds.c: the kinds of sla's fields (pbkind.h): every int64 of
 * sla.proto's messages and every id, as the table sla_kinds. Data only
 * (see intake_kinds.c).
 */
#include "control.pb-c.h"
#include "event.pb-c.h"
#include "pbkind.h"

static const pbkind_row_t s_rows[] = {
    /* times: microseconds since 1970 UTC */
    {&kefu__obligation__descriptor, "opened_at", PBKIND_TIME},
    {&kefu__obligation__descriptor, "due", PBKIND_TIME},
    {&kefu__obligation__descriptor, "met_at", PBKIND_TIME},
    {&kefu__obligation__descriptor, "paused_at", PBKIND_TIME},
    {&kefu__escalation__descriptor, "due", PBKIND_TIME},
    {&kefu__escalation__descriptor, "raised_at", PBKIND_TIME},
    {&kefu__escalation__descriptor, "acked_at", PBKIND_TIME},
    {&kefu__escalation__descriptor, "levelled_at", PBKIND_TIME},
    {&kefu__escalation__descriptor, "cleared_at", PBKIND_TIME},
    {&kefu__listed_case__descriptor, "opened_at", PBKIND_TIME},
    {&kefu__listed_case__descriptor, "due", PBKIND_TIME},
    {&kefu__listed_case__descriptor, "reopened_at", PBKIND_TIME},
    {&kefu__listed_case__descriptor, "replied_at", PBKIND_TIME},
    /* durations: microseconds */
    {&kefu__escalation__descriptor, "late_us", PBKIND_DURATION},
    {&kefu__escalation_cleared__descriptor, "late_us", PBKIND_DURATION},
    {&kefu__obligation_list__descriptor, "due_within_us", PBKIND_DURATION},
    /* ids (kid.h), and who acted; an owner may be a department: plain text */
    {&kefu__obligation__descriptor, "id", PBKIND_ID},
    {&kefu__obligation__descriptor, "subject", PBKIND_ID},
    {&kefu__obligation__descriptor, "escalation", PBKIND_ID},
    {&kefu__escalation__descriptor, "id", PBKIND_ID},
    {&kefu__escalation__descriptor, "subject", PBKIND_ID},
    {&kefu__escalation__descriptor, "obligation", PBKIND_ID},
    {&kefu__escalation__descriptor, "acked_by", PBKIND_ID},
    {&kefu__escalation_acked__descriptor, "id", PBKIND_ID},
    {&kefu__escalation_acked__descriptor, "by", PBKIND_ID},
    {&kefu__escalation_levelled__descriptor, "id", PBKIND_ID},
    {&kefu__escalation_cleared__descriptor, "id", PBKIND_ID},
    {&kefu__escalation_ack__descriptor, "id", PBKIND_ID},
    {&kefu__escalation_raise__descriptor, "obligation", PBKIND_ID},
    {&kefu__obligation_warn__descriptor, "obligation", PBKIND_ID},
    {&kefu__escalation_level__descriptor, "id", PBKIND_ID},
    {&kefu__escalation_clear__descriptor, "obligation", PBKIND_ID},
    {&kefu__escalation_remind__descriptor, "id", PBKIND_ID},
    {&kefu__escalation_reminded__descriptor, "id", PBKIND_ID},
    {&kefu__listed_case__descriptor, "id", PBKIND_ID},
    {&kefu__listed_case__descriptor, "customer", PBKIND_ID},
    {&kefu__listed_case__descriptor, "owner", PBKIND_ID},
    /* who acts: a request body's `by` is Request.actor (cmdq.h) */
    {&kefu__escalation_ack__descriptor, "by", PBKIND_ACTOR},
};
const pbkind_table_t sla_kinds = PBKIND_TABLE("sla", s_rows);
