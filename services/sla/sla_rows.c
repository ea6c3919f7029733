/* sla_rows.c: kefuctl's commands for the SLA watchers: the escalations,
 * their acknowledgement, and the open obligations (shared/domain.md §5;
 * shared/contract.md). One request row per command (kefuctl.h, rows.c).
 * sla's own commands (raise, warn, level, clear, remind, the close of a
 * working day) have no command line:
 * its watchers send them (no_row).
 */
#include <czmq.h>
#include <string.h>

#include "kefuctl.h"
#include "pbjson.h"
#include "sla.pb-c.h"

/* ---- escalations --follow: the escalations' events, as they come ------------------- */

/* What a line of a change needs of its escalation (kind, level,
 * subject), from the escalation list at start and the raised events the
 * stream passes. */
typedef struct {
    zhashx_t *known;   /* id -> json object {kind, level, subject, owner} */
} s_follow_t;

static void s_json_free(void **item)
{
    json_t *j = *item;
    json_decref(j);
    *item = NULL;
}

static void s_know(s_follow_t *f, const json_t *e)
{
    const char *id = json_string_value(json_object_get(e, "id"));
    if (!id)
        return;
    json_t *k = json_pack("{s:O?,s:O?,s:O?,s:O?}", "kind", json_object_get(e, "kind"), "level",
                          json_object_get(e, "level"), "subject", json_object_get(e, "subject"),
                          "owner", json_object_get(e, "owner"));
    if (k)
        zhashx_update(f->known, id, k);
}

static json_t *s_change(kctl_t *ctx, s_follow_t *f, uint64_t seq, const char *event,
                        const char *id, const char *state)
{
    (void) ctx;
    json_t *line = json_object();
    json_object_set_new(line, "seq", kctl_json_u64(seq));
    json_object_set_new(line, "event", json_string(event));
    json_object_set_new(line, "id", json_string(id ? id : ""));
    json_t *k = id ? zhashx_lookup(f->known, id) : NULL;
    if (k)
        json_object_update(line, k);
    if (state)
        json_object_set_new(line, "state", json_string(state));
    return line;
}

static json_t *s_follow_line(kctl_t *ctx, void *arg, uint64_t seq, const Kefu__Envelope *ev)
{
    s_follow_t *f = arg;
    json_t *line = NULL;
    switch (ev->body_case) {
    case KEFU__ENVELOPE__BODY_ESCALATION_RAISED: {
        if (!ev->escalation_raised->escalation)
            return NULL;
        json_t *e = kctl_json_message(ctx, &ev->escalation_raised->escalation->base);
        s_know(f, e);
        line = json_object();
        json_object_set_new(line, "seq", kctl_json_u64(seq));
        json_object_set_new(line, "event", json_string("raised"));
        json_object_update(line, e);
        json_decref(e);
        break;
    }
    case KEFU__ENVELOPE__BODY_ESCALATION_ACKED:
        line = s_change(ctx, f, seq, "acked", ev->escalation_acked->id, "acked");
        json_object_set_new(line, "acked_by", json_string(ev->escalation_acked->by ? ev->escalation_acked->by : ""));
        break;
    case KEFU__ENVELOPE__BODY_ESCALATION_LEVELLED: {
        const char *id = ev->escalation_levelled->id;
        json_t *k = id ? zhashx_lookup(f->known, id) : NULL;
        if (k)
            json_object_set_new(k, "level", json_integer(ev->escalation_levelled->level));
        line = s_change(ctx, f, seq, "levelled", id, "open");
        json_object_set_new(line, "level", json_integer(ev->escalation_levelled->level));
        break;
    }
    case KEFU__ENVELOPE__BODY_ESCALATION_REMINDED:
        line = s_change(ctx, f, seq, "reminder", ev->escalation_reminded->id, "open");
        json_object_set_new(line, "n", json_integer(ev->escalation_reminded->n));
        break;
    case KEFU__ENVELOPE__BODY_ESCALATION_CLEARED: {
        line = s_change(ctx, f, seq, "cleared", ev->escalation_cleared->id, "cleared");
        Kefu__EscalationCleared c = *ev->escalation_cleared;
        json_t *j = kctl_json_message(ctx, &c.base);
        json_object_set(line, "late_us", json_object_get(j, "late_us"));
        json_decref(j);
        break;
    }
    case KEFU__ENVELOPE__BODY_OBLIGATION_WARNED: {
        if (!ev->obligation_warned->obligation)
            return NULL;
        json_t *o = kctl_json_message(ctx, &ev->obligation_warned->obligation->base);
        line = json_object();
        json_object_set_new(line, "seq", kctl_json_u64(seq));
        json_object_set_new(line, "event", json_string("warning"));
        json_object_set(line, "id", json_object_get(o, "id"));
        json_object_set(line, "kind", json_object_get(o, "kind"));
        json_object_set(line, "subject", json_object_get(o, "subject"));
        json_object_set(line, "owner", json_object_get(o, "owner"));
        json_object_set_new(line, "level", json_integer(0));
        json_object_set_new(line, "state", json_string("warning"));
        json_object_set(line, "due", json_object_get(o, "due"));
        json_decref(o);
        break;
    }
    default:
        return NULL;
    }
    return line;
}

/* escalations --follow [--from SEQ]: the escalations' events as they come,
 * one JSON object a line with the seq to resume from (contract.md). */
static int s_hook_escalations(kctl_t *ctx, const kctl_args_t *a, ProtobufCMessage *body)
{
    (void) body;
    const char *from_s = kctl_arg_value(a, "from");
    if (!kctl_arg_value(a, "follow")) {
        if (from_s)
            return kctl_usage(ctx, "--from goes with --follow");
        return KCTL_CONTINUE;
    }
    uint64_t from = 1;
    if (from_s && kctl_parse_u64(from_s, &from) != 0)
        return kctl_usage(ctx, "bad --from '%s': a log seq, 0 or more", from_s);
    s_follow_t f = {.known = zhashx_new()};
    zhashx_set_destructor(f.known, s_json_free);
    /* what is known already: kind and level of the escalations raised
     * before --from */
    Kefu__Request req = KEFU__REQUEST__INIT;
    Kefu__EscalationList all = KEFU__ESCALATION_LIST__INIT;
    req.req_case = KEFU__REQUEST__REQ_ESCALATION_LIST;
    req.escalation_list = &all;
    Kefu__Reply *rep = NULL;
    int rc = kctl_request(ctx, "sla", &req, KEFU__REPLY__REP_ESCALATIONS, &rep, ctx->timeout_ms);
    if (rc != KCTL_CONTINUE) {
        zhashx_destroy(&f.known);
        return rc;
    }
    for (size_t i = 0; i < rep->escalations->n_items; i++) {
        json_t *e = kctl_json_message(ctx, &rep->escalations->items[i]->base);
        s_know(&f, e);
        json_decref(e);
    }
    kefu__reply__free_unpacked(rep, NULL);
    rc = kctl_log_stream(ctx, from, true, s_follow_line, &f);
    zhashx_destroy(&f.known);
    return rc;
}

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
    const json_t *items = json_object_get(obj, "items");
    kctl_text_table(out, items, cols);
    /* an open-complaints list (the close of a working day): its complaints */
    static const kctl_col_t case_cols[] = {
        {"id", "CASE", 0},
        {"owner", "OWNER", 0},
        {"customer", "CUSTOMER", 0},
        {"opened_at", "OPENED", KCTL_COL_TIME},
        {"due", "DUE", KCTL_COL_TIME},
        {"replied_at", "REPLIED", KCTL_COL_TIME},
        {NULL, NULL, 0},
    };
    size_t i;
    const json_t *e;
    json_array_foreach(items, i, e) {
        const json_t *cases = json_object_get(e, "open_cases");
        if (!json_array_size(cases))
            continue;
        json_int_t total = json_integer_value(json_object_get(e, "open_count"));
        fprintf(out, "\n%s %s: %lld open\n", json_string_value(json_object_get(e, "id")),
                json_string_value(json_object_get(e, "subject")), (long long) total);
        kctl_text_table(out, cases, case_cols);
        if ((json_int_t) json_array_size(cases) < total)
            fprintf(out, "  and %lld more\n", (long long) (total - (json_int_t) json_array_size(cases)));
    }
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
     .args = "[--open] [--kind K] | --follow [--from SEQ]",
     .summary = "escalations, newest first",
     .help = "An escalation is raised when an obligation passes its due (level 1: the\n"
             "owner's supervisor), goes to level 2 (the general manager) when nobody\n"
             "acknowledges it within sla.level2_after, and is cleared when the\n"
             "obligation is met. --open: not cleared yet. At the close of each working\n"
             "day, open-complaints lists every complaint still open (open_cases), until\n"
             "they are resolved or the next day's list supersedes it.\n"
             "--json {\"items\":[{\"id\",\"kind\",\"subject\",\"level\",\"raised_at\",\"state\",...}]}.\n"
             "  --follow       new and changed escalations (and warnings) as they happen, one\n"
             "                 JSON object a line: seq, event (raised, warning, acked,\n"
             "                 levelled, cleared), id, kind, level, state; until Ctrl-C\n"
             "  --from SEQ     with --follow: from that log seq (0 and 1: the beginning)",
     .body = &kefu__escalation_list__descriptor,
     .req = KEFU__REQUEST__REQ_ESCALATION_LIST,
     .rep = KEFU__REPLY__REP_ESCALATIONS,
     .map = (const kctl_arg_t[]){
         {"open", NULL, .field = "open"},
         {"kind", "KIND", .field = "kind"},
         {"follow", NULL, .field = NULL},
         {"from", "SEQ", .field = NULL},
         {0}},
     .hook = s_hook_escalations,
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
    KEFU__REQUEST__REQ_ESCALATION_LEVEL, KEFU__REQUEST__REQ_ESCALATION_CLEAR,
    KEFU__REQUEST__REQ_ESCALATION_REMIND, KEFU__REQUEST__REQ_WORKDAY_CLOSE, 0,
};

/* Every request of sla's range (common/daemons.def) has a row or is its
 * watchers' own. */
const kctl_rows_t kctl_rows_sla = {
    .daemon = "sla",
    .no_row = s_no_row,
    .cmds = s_rows,
};
