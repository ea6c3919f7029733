/* sla_rows.c: kefuctl's commands for the SLA watchers: the escalations,
 * their acknowledgement, and the open obligations (shared/domain.md §5;
 * shared/contract.md). One request row per command (kefuctl.h, rows.c).
 * sla's own commands (raise, warn, level, clear) have no command line:
 * its watchers send them (no_row).
 */
#include "kefuctl.h"
#include "sla.pb-c.h"

static void s_text_escalations(FILE *out, const json_t *obj)
{
    static const kctl_col_t cols[] = {
        {"id", "ID", 0},
        {"kind", "KIND", 0},
        {"subject", "SUBJECT", 0},
        {"owner", "OWNER", 0},
        {"level", "LEVEL", KCTL_COL_RIGHT},
        {"due", "DUE", KCTL_COL_TIME},
        {"raised_at", "RAISED", KCTL_COL_TIME},
        {"state", "STATE", 0},
        {NULL, NULL, 0},
    };
    kctl_text_table(out, json_object_get(obj, "items"), cols);
}

static void s_text_obligations(FILE *out, const json_t *obj)
{
    static const kctl_col_t cols[] = {
        {"due", "DUE", KCTL_COL_TIME},
        {"kind", "KIND", 0},
        {"subject", "SUBJECT", 0},
        {"owner", "OWNER", 0},
        {"id", "OBLIGATION", 0},
        {"escalation", "ESCALATION", 0},
        {NULL, NULL, 0},
    };
    kctl_text_table(out, json_object_get(obj, "items"), cols);
}

static const kctl_cmd_t s_rows[] = {
    {.group = "escalations",
     .args = "[--open] [--kind K]",
     .summary = "escalations, newest first",
     .help = "An escalation is raised when an obligation passes its due (level 1: the\n"
             "owner's supervisor), goes to level 2 (the general manager) when nobody\n"
             "acknowledges it within sla.level2_after, and is cleared when the\n"
             "obligation is met. --open: not cleared yet.\n"
             "--json {\"items\":[{\"id\",\"kind\",\"subject\",\"level\",\"raised_at\",\"state\",...}]}.",
     .body = &kefu__escalation_list__descriptor,
     .req = KEFU__REQUEST__REQ_ESCALATION_LIST,
     .rep = KEFU__REPLY__REP_ESCALATIONS,
     .map = (const kctl_arg_t[]){
         {"open", NULL, .field = "open"},
         {"kind", "KIND", .field = "kind"},
         {0}},
     .text = s_text_escalations,
    },
    {.group = "escalation",
     .verb = "ack",
     .args = "ID --by STAFF",
     .summary = "a supervisor acknowledges an escalation (it stays visible until cleared)",
     .body = &kefu__escalation_ack__descriptor,
     .req = KEFU__REQUEST__REQ_ESCALATION_ACK,
     .rep = KEFU__REPLY__REP_ESCALATION,
     .writes = true,
     .map = (const kctl_arg_t[]){
         {NULL, "ID", .field = "id"},
         {"by", "STAFF", .field = "by", .flags = KCTL_ARG_REQUIRED | KCTL_ARG_ACTOR},
         {0}},
    },
    {.group = "obligations",
     .args = "[--due-within DUR]",
     .summary = "every open obligation by due time: replies, commitments, rework, returns...",
     .help = "--json {\"items\":[{\"kind\",\"subject\",\"owner\",\"due\",...}]}.",
     .body = &kefu__obligation_list__descriptor,
     .req = KEFU__REQUEST__REQ_OBLIGATION_LIST,
     .rep = KEFU__REPLY__REP_OBLIGATIONS,
     .map = (const kctl_arg_t[]){
         {"due-within", "DUR", .field = "due_within_us"},
         {0}},
     .text = s_text_obligations,
    },
    {0},
};

static const uint32_t s_no_row[] = {
    KEFU__REQUEST__REQ_ESCALATION_RAISE, KEFU__REQUEST__REQ_OBLIGATION_WARN,
    KEFU__REQUEST__REQ_ESCALATION_LEVEL, KEFU__REQUEST__REQ_ESCALATION_CLEAR, 0,
};

/* Every request of sla's range (common/daemons.def) has a row or is its
 * watchers' own. */
const kctl_rows_t kctl_rows_sla = {
    .daemon = "sla",
    .no_row = s_no_row,
    .cmds = s_rows,
};
