/* sched_rows.c: kefuctl's commands for the sched daemon: rushes, floor
 * stages, the queue, the rework register, the outsourcing log and the
 * day's production summary (shared/domain.md §2; shared/contract.md).
 *
 * One request row per command (kefuctl.h, rows.c), as intake_rows.c:
 * flags and operands mapped to the request's fields, each value read by
 * its field's type; test_kefuctl_rows walks them against the descriptors
 * and fails on a request of sched's range without a row. A write carries
 * Request.actor = --by.
 */
#include "kefuctl.h"
#include "sched.pb-c.h"

static void s_text_queue(FILE *out, const json_t *obj)
{
    static const kctl_col_t cols[] = {
        {"priority", "#", KCTL_COL_RIGHT},
        {"order", "ORDER", 0},
        {"customer", "CUSTOMER", 0},
        {"product", "PRODUCT", 0},
        {"qty", "QTY", KCTL_COL_RIGHT},
        {"stage", "STAGE", 0},
        {"due", "DUE", KCTL_COL_TIME},
        {"reason", "WHY", 0},
        {NULL, NULL, 0},
    };
    kctl_text_table(out, json_object_get(obj, "items"), cols);
}

static void s_text_rushes(FILE *out, const json_t *obj)
{
    static const kctl_col_t cols[] = {
        {"id", "ID", 0},           {"at", "AT", KCTL_COL_TIME}, {"order", "ORDER", 0},
        {"level", "LEVEL", 0},     {"qty", "QTY", KCTL_COL_RIGHT},
        {"decision", "DECISION", 0}, {"rule", "RULE", 0},     {"reason", "WHY", 0},
        {NULL, NULL, 0},
    };
    kctl_text_table(out, json_object_get(obj, "items"), cols);
}

/* The rework register (返工件登记表, 000 §四.1). */
static void s_text_reworks(FILE *out, const json_t *obj)
{
    static const kctl_col_t cols[] = {
        {"id", "ID", 0},
        {"opened_at", "DATE", KCTL_COL_TIME},
        {"order", "ORDER", 0},
        {"product", "PRODUCT", 0},
        {"cause", "CAUSE", 0},
        {"receiver", "RECEIVER", 0},
        {"due", "DUE", KCTL_COL_TIME},
        {"state", "STATE", 0},
        {"reason", "REASON", 0},
        {NULL, NULL, 0},
    };
    kctl_text_table(out, json_object_get(obj, "items"), cols);
}

/* The outsourcing log (外加工登记, 000 §四.3). */
static void s_text_outsources(FILE *out, const json_t *obj)
{
    static const kctl_col_t cols[] = {
        {"id", "ID", 0},
        {"order", "ORDER", 0},
        {"vendor", "VENDOR", 0},
        {"keeper", "KEEPER", 0},
        {"sent_at", "SENT", KCTL_COL_TIME},
        {"expected_at", "EXPECTED", KCTL_COL_TIME},
        {"state", "STATE", 0},
        {"redo_by", "REDO BY", KCTL_COL_TIME},
        {NULL, NULL, 0},
    };
    kctl_text_table(out, json_object_get(obj, "items"), cols);
}

static const kctl_cmd_t s_rows[] = {
    {.group = "rush",
     .args = "ORDER --level immediate|half-day|same-day|next-day [--cause customer|lab] [--by STAFF]",
     .summary = "ask to rush an order; decided by the five rules (000 §三.2)",
     .help = "The decision (accepted or declined) is recorded with the rule that decided\n"
             "it and the figures it used: today's room, the quota used, the customer's\n"
             "rushes in 30 days, the tier. A lab-caused rush (--cause lab: missing,\n"
             "damaged, rework) is always accepted, past the quota.\n"
             "Prints the decision; --json {\"decision\",\"rule\",\"reason\",\"due\",...}.",
     .body = &kefu__rush_request__descriptor,
     .req = KEFU__REQUEST__REQ_RUSH,
     .rep = KEFU__REPLY__REP_RUSH_DECISION,
     .writes = true,
     .map = (const kctl_arg_t[]){
         {NULL, "ORDER", .field = "order"},
         {"level", "LEVEL", .field = "level"},
         {"cause", "CAUSE", .field = "cause"},
         {"by", "STAFF", .field = "by", .flags = KCTL_ARG_ACTOR},
         {0}},
    },
    {.group = "rushes",
     .args = "[--order O] [--from TIME] [--to TIME]",
     .summary = "rush decisions, with their rules and reasons",
     .help = "--json {\"items\":[...]}; text: a table.",
     .body = &kefu__rush_list__descriptor,
     .req = KEFU__REQUEST__REQ_RUSH_LIST,
     .rep = KEFU__REPLY__REP_RUSH_ITEMS,
     .map = (const kctl_arg_t[]){
         {"order", "ORDER", .field = "order"},
         {"from", "TIME", .field = "from"},
         {"to", "TIME", .field = "to"},
         {0}},
     .text = s_text_rushes,
    },
    {.group = "stage",
     .args = "ORDER STAGE [--terminal T] [--by STAFF] [--correct]",
     .summary = "a floor terminal reports a stage: received, printing, binding, qc, packed, done",
     .help = "Stages follow the product's route (prints have no binding; sched.route_*);\n"
             "one out of order is refused with the next one expected, unless sent as a\n"
             "correction (--correct), which is recorded as one.\n"
             "Prints the order's progress; --json {\"order\",\"stage\",...}.",
     .body = &kefu__stage_report__descriptor,
     .req = KEFU__REQUEST__REQ_STAGE,
     .rep = KEFU__REPLY__REP_JOB,
     .writes = true,
     .map = (const kctl_arg_t[]){
         {NULL, "ORDER", .field = "order"},
         {NULL, "STAGE", .field = "stage"},
         {"terminal", "T", .field = "terminal"},
         {"by", "STAFF", .field = "by", .flags = KCTL_ARG_ACTOR},
         {"correct", NULL, .field = "correct"},
         {0}},
    },
    {.group = "job",
     .verb = "show",
     .args = "ORDER",
     .summary = "an order's production: stages, rush, promise",
     .body = &kefu__job_get__descriptor,
     .req = KEFU__REQUEST__REQ_JOB_GET,
     .rep = KEFU__REPLY__REP_JOB,
     .map = (const kctl_arg_t[]){
         {NULL, "ORDER", .field = "order"},
         {0}},
    },
    {.group = "queue",
     .args = "[--limit N]",
     .summary = "today's production queue, first to make first",
     .help = "Accepted rushes by urgency, then what is promised by today's close, then\n"
             "first uploaded, first made; each job with its priority and the reason.\n"
             "--json {\"items\":[{\"order\",\"customer\",\"priority\",\"reason\",...}],\"total\"}.",
     .body = &kefu__queue_query__descriptor,
     .req = KEFU__REQUEST__REQ_QUEUE,
     .rep = KEFU__REPLY__REP_QUEUE_ITEMS,
     .map = (const kctl_arg_t[]){
         {"limit", "N", .field = "limit", .min = 1},
         {0}},
     .text = s_text_queue,
    },
    {.group = "rework",
     .verb = "open",
     .args = "ORDER --cause lab|customer --by STAFF [--reason T] [--responsible P]",
     .summary = "register rework (返工); due by product",
     .help = "Lab's fault: a free rework order from the original files; customer's: a\n"
             "re-upload, charged (000 §四.1). --by is the receiver who follows it to the\n"
             "end. Due: prints the same day, albums 24h, crystal and frames 48h (sla.rework_*).\n"
             "Prints the entry; --json {\"id\",\"due\",...}.",
     .body = &kefu__rework_open__descriptor,
     .req = KEFU__REQUEST__REQ_REWORK_OPEN,
     .rep = KEFU__REPLY__REP_REWORK,
     .writes = true,
     .map = (const kctl_arg_t[]){
         {NULL, "ORDER", .field = "order"},
         {"cause", "CAUSE", .field = "cause", .flags = KCTL_ARG_REQUIRED},
         {"by", "STAFF", .field = "by", .flags = KCTL_ARG_REQUIRED | KCTL_ARG_ACTOR},
         {"reason", "TEXT", .field = "reason"},
         {"responsible", "P", .field = "responsible"},
         {0}},
    },
    {.group = "rework",
     .verb = "handover",
     .args = "ID --by STAFF",
     .summary = "the signed hand-over of album, crystal or frame rework to production",
     .body = &kefu__rework_handover__descriptor,
     .req = KEFU__REQUEST__REQ_REWORK_HANDOVER,
     .rep = KEFU__REPLY__REP_REWORK,
     .writes = true,
     .map = (const kctl_arg_t[]){
         {NULL, "ID", .field = "id"},
         {"by", "STAFF", .field = "by", .flags = KCTL_ARG_REQUIRED | KCTL_ARG_ACTOR},
         {0}},
    },
    {.group = "rework",
     .verb = "done",
     .args = "ID --by STAFF",
     .summary = "closes rework: written off (核销)",
     .help = "--json {\"id\",\"state\",...}.",
     .body = &kefu__rework_close__descriptor,
     .req = KEFU__REQUEST__REQ_REWORK_CLOSE,
     .rep = KEFU__REPLY__REP_REWORK,
     .writes = true,
     .map = (const kctl_arg_t[]){
         {NULL, "ID", .field = "id"},
         {"by", "STAFF", .field = "by", .flags = KCTL_ARG_REQUIRED | KCTL_ARG_ACTOR},
         {0}},
    },
    {.group = "rework",
     .verb = "show",
     .args = "ID",
     .summary = "one rework entry",
     .body = &kefu__rework_get__descriptor,
     .req = KEFU__REQUEST__REQ_REWORK_GET,
     .rep = KEFU__REPLY__REP_REWORK,
     .map = (const kctl_arg_t[]){
         {NULL, "ID", .field = "id"},
         {0}},
    },
    {.group = "rework",
     .verb = "list",
     .args = "[--open] [--older-than DUR]",
     .summary = "the rework register; --open --older-than 2d: what must be chased",
     .help = "--json {\"items\":[...]}; text: a table.",
     .body = &kefu__rework_list__descriptor,
     .req = KEFU__REQUEST__REQ_REWORK_LIST,
     .rep = KEFU__REPLY__REP_REWORKS,
     .map = (const kctl_arg_t[]){
         {"open", NULL, .field = "open"},
         {"older-than", "DUR", .field = "older_than_us"},
         {0}},
     .text = s_text_reworks,
    },
    {.group = "outsource",
     .verb = "send",
     .args = "ORDER --vendor V --expect DUR --by STAFF",
     .summary = "outsourced work leaves (外加工): the keeper, vendor, expected back",
     .help = "--json {\"id\",\"state\",\"expected_at\",...}.",
     .body = &kefu__outsource_send__descriptor,
     .req = KEFU__REQUEST__REQ_OUTSOURCE_SEND,
     .rep = KEFU__REPLY__REP_OUTSOURCE,
     .writes = true,
     .map = (const kctl_arg_t[]){
         {NULL, "ORDER", .field = "order"},
         {"vendor", "V", .field = "vendor", .flags = KCTL_ARG_REQUIRED},
         {"expect", "DUR", .field = "expect_us", .flags = KCTL_ARG_REQUIRED},
         {"by", "STAFF", .field = "by", .flags = KCTL_ARG_REQUIRED | KCTL_ARG_ACTOR},
         {0}},
    },
    {.group = "outsource",
     .verb = "receive",
     .args = "ID --accept|--reject [--redo-by DUR] [--count N] [--damaged N] [--scratched N] "
             "[--foreign-matter N] [--note T] [--by STAFF]",
     .summary = "inspect returned outsourced work on the spot: accept, or reject",
     .help = "A rejection with --redo-by records the redo date agreed with the vendor,\n"
             "followed like the first return; without it the work is returned for good.\n"
             "--json {\"id\",\"state\",...}.",
     .body = &kefu__outsource_receive__descriptor,
     .req = KEFU__REQUEST__REQ_OUTSOURCE_RECEIVE,
     .rep = KEFU__REPLY__REP_OUTSOURCE,
     .writes = true,
     .map = (const kctl_arg_t[]){
         {NULL, "ID", .field = "id"},
         {"accept", NULL, .field = "accept"},
         {"reject", NULL, .field = "reject"},
         {"redo-by", "DUR", .field = "redo_by_us"},
         {"count", "N", .field = "inspection.count"},
         {"damaged", "N", .field = "inspection.damaged"},
         {"scratched", "N", .field = "inspection.scratched"},
         {"foreign-matter", "N", .field = "inspection.foreign_matter"},
         {"note", "TEXT", .field = "inspection.note"},
         {"by", "STAFF", .field = "by", .flags = KCTL_ARG_ACTOR},
         {0}},
    },
    {.group = "outsource",
     .verb = "show",
     .args = "ID",
     .summary = "one outsourcing entry",
     .body = &kefu__outsource_get__descriptor,
     .req = KEFU__REQUEST__REQ_OUTSOURCE_GET,
     .rep = KEFU__REPLY__REP_OUTSOURCE,
     .map = (const kctl_arg_t[]){
         {NULL, "ID", .field = "id"},
         {0}},
    },
    {.group = "outsource",
     .verb = "list",
     .args = "[--open]",
     .summary = "the outsourcing log; --open: what is out or being redone",
     .help = "--json {\"items\":[...]}; text: a table.",
     .body = &kefu__outsource_list__descriptor,
     .req = KEFU__REQUEST__REQ_OUTSOURCE_LIST,
     .rep = KEFU__REPLY__REP_OUTSOURCES,
     .map = (const kctl_arg_t[]){
         {"open", NULL, .field = "open"},
         {0}},
     .text = s_text_outsources,
    },
    {.group = "production",
     .verb = "day",
     .args = "[DATE]",
     .summary = "the day's production summary (the site's local date; default today)",
     .help = "Made, pending, rushes accepted and declined by rule, quota used, reworks\n"
             "open, outsourced out. --json {\"date\",\"made\",\"pending\",...}.",
     .body = &kefu__production_day_query__descriptor,
     .req = KEFU__REQUEST__REQ_PRODUCTION_DAY,
     .rep = KEFU__REPLY__REP_PRODUCTION,
     .map = (const kctl_arg_t[]){
         {NULL, "DATE", .field = "date", .flags = KCTL_ARG_OPTIONAL},
         {0}},
    },
    {0},
};

/* Every request of sched's range (common/daemons.def) has a row. */
const kctl_rows_t kctl_rows_sched = {
    .daemon = "sched",
    .no_row = NULL,
    .cmds = s_rows,
};
