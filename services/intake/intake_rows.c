/* intake_rows.c: kefuctl's commands for the intake daemon: customers,
 * orders, complaints and queries, after-sales requests, consultations
 * (shared/domain.md §1 and "Who and what"; shared/contract.md, kefuctl).
 *
 * One request row per command (kefuctl.h, rows.c): the request message,
 * its Request and Reply cases, and which flag or operand fills which
 * field. rows.c reads each value by its field's type, so the rows say no
 * more than the command line's shape; test_kefuctl_rows walks them
 * against the descriptors, and fails on a request of intake's range in
 * the registry (common/daemons.def) that has no row.
 *
 * A write carries Request.actor = --by (the staff member who acts; for the
 * customer and order commands --by is optional and fills no field). With
 * --json the answer is the Reply's sub-message through pbjson, printed at
 * top level (a Case is {"id":...,"owner":...}, a list is {"items":[...]});
 * without it a single object is a key: value block and a list one of the
 * tables below.
 *
 * The hooks are the shapes of shared/contract.md that are no field:
 * --week and --month (a period), --from before --to, --method only with
 * the step refunded, an update that changes something, and a case opened
 * as a complaint unless --query says otherwise.
 */
#include <stdlib.h>
#include <string.h>

#include "intake.pb-c.h"
#include "kefuctl.h"
#include "ktime.h"

/* ---- text of the lists -------------------------------------------------------- */

static void s_text_customers(FILE *out, const json_t *obj)
{
    static const kctl_col_t cols[] = {
        {"id", "ID", 0},           {"name", "NAME", 0},   {"tier", "TIER", 0},
        {"contact", "CONTACT", 0}, {"phone", "PHONE", 0}, {NULL, NULL, 0},
    };
    kctl_text_table(out, json_object_get(obj, "items"), cols);
}

static void s_text_orders(FILE *out, const json_t *obj)
{
    static const kctl_col_t cols[] = {
        {"id", "ID", 0},
        {"customer", "CUSTOMER", 0},
        {"product", "PRODUCT", 0},
        {"qty", "QTY", KCTL_COL_RIGHT},
        {"batches", "BATCHES", KCTL_COL_RIGHT},
        {"uploaded_at", "UPLOADED", KCTL_COL_TIME},
        {"shipped", "SHIPPED", 0},
        {NULL, NULL, 0},
    };
    kctl_text_table(out, json_object_get(obj, "items"), cols);
}

/* The complaint register (投诉状况表, 000 §一.5): one line per case. */
/* A case's chain of commitments in a word: "2 met, 1 missed, 1 open". */
static json_t *s_commitments_word(const json_t *c)
{
    const char *names[] = {"met", "missed", "open"};
    int count[3] = {0, 0, 0};
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(c, "commitments"), i, m) {
        const char *st = json_string_value(json_object_get(m, "state"));
        for (int k = 0; k < 3; k++)
            count[k] += st && strcmp(st, names[k]) == 0;
    }
    char buf[64];
    size_t n = 0;
    buf[0] = '\0';
    for (int k = 0; k < 3; k++)
        if (count[k])
            n += (size_t) snprintf(buf + n, sizeof buf - n, "%s%d %s", n ? ", " : "", count[k],
                                   names[k]);
    return json_string(n ? buf : "-");
}

static void s_text_cases(FILE *out, const json_t *obj)
{
    static const kctl_col_t cols[] = {
        {"id", "ID", 0},
        {"opened_at", "OPENED", KCTL_COL_TIME},
        {"customer", "CUSTOMER", 0},
        {"order", "ORDER", 0},
        {"kind", "KIND", 0},
        {"owner", "OWNER", 0},
        {"state", "STATE", 0},
        {"reply_due", "REPLY DUE", KCTL_COL_TIME},
        {"outcome", "OUTCOME", 0},
        {"promises", "PROMISED TIMES", 0},
        {NULL, NULL, 0},
    };
    /* the rows with each chain of commitments in a word: a copy, obj stays as sent */
    json_t *rows = json_array();
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(obj, "items"), i, r) {
        json_t *row = json_copy(r);
        if (row)
            json_object_set_new(row, "promises", s_commitments_word(r));
        json_array_append_new(rows, row);
    }
    kctl_text_table(out, rows, cols);
    json_decref(rows);
    /* the newest --limit only: say that older ones match, and how to get them */
    const json_t *first = json_array_get(json_object_get(obj, "items"), 0);
    const char *at = json_string_value(json_object_get(first, "opened_at"));
    if (json_is_true(json_object_get(obj, "more")) && at)
        fprintf(out, "(older cases match too: --to %s)\n", at);
}

static void s_text_after_sales(FILE *out, const json_t *obj)
{
    static const kctl_col_t cols[] = {
        {"id", "ID", 0},
        {"order", "ORDER", 0},
        {"customer", "CUSTOMER", 0},
        {"kind", "KIND", 0},
        {"state", "STATE", 0},
        {"method", "METHOD", 0},
        {"amount_fen", "AMOUNT (FEN)", KCTL_COL_RIGHT},
        {"invoice", "INVOICE", 0},
        {"opened_at", "OPENED", KCTL_COL_TIME},
        {"updated_at", "UPDATED", KCTL_COL_TIME},
        {NULL, NULL, 0},
    };
    kctl_text_table(out, json_object_get(obj, "items"), cols);
}

static void s_text_consultations(FILE *out, const json_t *obj)
{
    static const kctl_col_t cols[] = {
        {"id", "ID", 0},
        {"at", "AT", KCTL_COL_TIME},
        {"customer", "CUSTOMER", 0},
        {"prospect", "PROSPECT", 0},
        {"by", "BY", 0},
        {"question", "QUESTION", 0},
        {"answer", "ANSWER", 0},
        {"referred_to", "REFERRED TO", 0},
        {NULL, NULL, 0},
    };
    kctl_text_table(out, json_object_get(obj, "items"), cols);
}

/* Rows of the analysis (001; 003 四.四.4): one a kind, or one a
 * responsible party (by_cause). */
static void s_text_analysis_rows(FILE *out, const json_t *in, bool by_cause)
{
    kctl_col_t cols[] = {
        {"kind", "KIND", 0},
        {"count", "COUNT", KCTL_COL_RIGHT},
        {"share", "SHARE", KCTL_COL_RIGHT},
        {"median_first_reply_us", "MEDIAN FIRST REPLY", KCTL_COL_RIGHT},
        {"median_resolution_us", "MEDIAN RESOLUTION", KCTL_COL_RIGHT},
        {"resolved", "RESOLVED", KCTL_COL_RIGHT},
        {"late_replies", "LATE REPLIES", KCTL_COL_RIGHT},
        {NULL, NULL, 0},
    };
    if (by_cause)
        cols[0] = (kctl_col_t){"cause", "RESPONSIBLE", 0};
    /* the rows with the share as a percentage: a copy, obj stays as sent */
    json_t *rows = json_array();
    size_t i;
    json_t *r;
    json_array_foreach(in, i, r) {
        json_t *row = json_copy(r);
        json_t *pm = json_object_get(r, "share_permille");
        if (row && json_is_integer(pm)) {
            char share[32];
            json_int_t v = json_integer_value(pm);
            snprintf(share, sizeof share, "%lld.%lld%%", (long long) (v / 10),
                     (long long) (v % 10));
            json_object_set_new(row, "share", json_string(share));
        }
        json_array_append_new(rows, row);
    }
    fputc('\n', out);
    kctl_text_table(out, rows, cols);
    json_decref(rows);
}

/* The analysis: counts, then the rows by kind and the complaints' rows by
 * responsible party (003 第二篇 七.一). */
static void s_text_analysis(FILE *out, const json_t *obj)
{
    const char *from = json_string_value(json_object_get(obj, "from"));
    const char *to = json_string_value(json_object_get(obj, "to"));
    fprintf(out, "period: %s .. %s\n", from ? from : "-", to ? to : "-");
    fprintf(out, "cases:  %lld (%lld complaints, %lld queries)\n",
            (long long) json_integer_value(json_object_get(obj, "total")),
            (long long) json_integer_value(json_object_get(obj, "complaints")),
            (long long) json_integer_value(json_object_get(obj, "queries")));
    s_text_analysis_rows(out, json_object_get(obj, "rows"), false);
    json_t *bc = json_object_get(obj, "by_cause");
    if (json_array_size(bc)) {
        fprintf(out, "\ncomplaints by responsible party:\n");
        s_text_analysis_rows(out, bc, true);
    }
}

/* ---- hooks ---------------------------------------------------------------------- */

/* [from, to) must be an interval when both are given. */
static int s_interval(kctl_t *ctx, bool has_from, int64_t from, bool has_to, int64_t to)
{
    if (has_from && has_to && from >= to)
        return kctl_usage(ctx, "--from must be before --to");
    return KCTL_CONTINUE;
}

static int s_hook_cases(kctl_t *ctx, const kctl_args_t *a, ProtobufCMessage *body)
{
    (void) a;
    const Kefu__CaseQuery *q = (const Kefu__CaseQuery *) body;
    return s_interval(ctx, q->has_from, q->from, q->has_to, q->to);
}

static int s_hook_consultations(kctl_t *ctx, const kctl_args_t *a, ProtobufCMessage *body)
{
    (void) a;
    const Kefu__ConsultationList *l = (const Kefu__ConsultationList *) body;
    return s_interval(ctx, l->has_from, l->from, l->has_to, l->to);
}

/* Weekly or monthly analysis by cause (001; 003 四.四.4): one form of
 * the period, --from --to, --week or --month. */
static int s_hook_analysis(kctl_t *ctx, const kctl_args_t *a, ProtobufCMessage *body)
{
    Kefu__CaseAnalysisQuery *q = (Kefu__CaseAnalysisQuery *) body;
    const char *week = kctl_arg_value(a, "week"), *month = kctl_arg_value(a, "month");
    bool range = kctl_arg_value(a, "from") || kctl_arg_value(a, "to");
    int forms = (range ? 1 : 0) + (week ? 1 : 0) + (month ? 1 : 0);
    if (forms != 1)
        return kctl_usage(ctx, "%s the period: --from TIME --to TIME, --week YYYY-MM-DD "
                               "(or YYYY-Www) or --month YYYY-MM",
                          forms == 0 ? "give" : "give only one form of");
    /* The form first (a usage error needs no site), then the site's
     * offset, which says when its days begin. */
    int off = 0;
    if (week && kctl_parse_week(week, 0, &q->from, &q->to) != 0)
        return kctl_usage(ctx, "bad --week '%s': a date of the week, like 2026-11-25, or an ISO "
                               "week like 2026-W48", week);
    if (month && kctl_parse_month(month, 0, &q->from, &q->to) != 0)
        return kctl_usage(ctx, "bad --month '%s': a month like 2026-11", month);
    if (week || month) {
        int rc = kctl_site_offset(ctx, "intake", &off);
        if (rc != KCTL_CONTINUE)
            return rc;
    }
    if (week) {
        kctl_parse_week(week, off, &q->from, &q->to);
        q->has_from = q->has_to = 1;
    } else if (month) {
        kctl_parse_month(month, off, &q->from, &q->to);
        q->has_from = q->has_to = 1;
    } else if (!q->has_from || !q->has_to) {
        return kctl_usage(ctx, "--from and --to go together");
    }
    return s_interval(ctx, true, q->from, true, q->to);
}

static int s_hook_customer_update(kctl_t *ctx, const kctl_args_t *a, ProtobufCMessage *body)
{
    (void) a;
    const Kefu__Customer *c = ((Kefu__CustomerUpdate *) body)->customer;
    if (!c->name && !c->has_tier && !c->phone && !c->address && !c->contact && !c->payment_terms &&
        !c->assigned_to)
        return kctl_usage(ctx, "nothing to change: give --name, --tier, --phone, --address, "
                               "--contact, --terms or --assign");
    return KCTL_CONTINUE;
}

/* A case is a complaint unless --query says otherwise; the type is sent
 * either way, as it always was, so a repeat keeps its request digest. */
static int s_hook_case_open(kctl_t *ctx, const kctl_args_t *a, ProtobufCMessage *body)
{
    (void) ctx;
    (void) a;
    Kefu__CaseOpen *co = (Kefu__CaseOpen *) body;
    if (!co->has_type) {
        co->has_type = 1;
        co->type = KEFU__CASE_TYPE__CASE_TYPE_COMPLAINT;
    }
    return KCTL_CONTINUE;
}

/* A promised time given as TIME, RFC 3339, or HH:MM: the next such time
 * of the site's day, worked out by intake on the site's clock and in its
 * offset (into *clock, minutes after midnight), so a simulated clock
 * holds too. Returns KCTL_CONTINUE or the usage error's status. */
static int s_parse_until(kctl_t *ctx, const char *flag, const char *v, protobuf_c_boolean *has_clock,
                         uint32_t *clock, protobuf_c_boolean *has_at, int64_t *at)
{
    unsigned h, m;
    char end;
    if (strlen(v) <= 5 && sscanf(v, "%2u:%2u%c", &h, &m, &end) == 2 && h < 24 && m < 60) {
        *has_clock = 1;
        *clock = h * 60 + m;
    } else if (ktime_parse_rfc3339(v, at) == 0) {
        *has_at = 1;
    } else {
        return kctl_usage(ctx, "bad --%s '%s': a time like 15:00 (the site's) or "
                               "2026-11-24T15:00:00+08:00", flag, v);
    }
    return KCTL_CONTINUE;
}

/* complaint reply: --commit-until TIME (s_parse_until). */
static int s_hook_reply(kctl_t *ctx, const kctl_args_t *a, ProtobufCMessage *body)
{
    Kefu__CaseReply *r = (Kefu__CaseReply *) body;
    const char *until = kctl_arg_value(a, "commit-until");
    if (until && r->has_commit_us)
        return kctl_usage(ctx, "give --commit DUR or --commit-until TIME, not both");
    if (r->has_commit_work && !r->has_commit_us)
        return kctl_usage(ctx, "--work goes with --commit DUR");
    if (until)
        return s_parse_until(ctx, "commit-until", until, &r->has_commit_clock, &r->commit_clock,
                             &r->has_commit_until, &r->commit_until);
    return KCTL_CONTINUE;
}

/* An amount in yuan, "128.50", "128.5" or "128", into fen (12850): at
 * most two decimals, 1 fen to 100 million yuan. Returns 0 or -1. */
static int s_parse_yuan(const char *s, int64_t *fen)
{
    int64_t yuan = 0, frac = 0;
    int digits = 0, decimals = -1;
    for (const char *p = s; *p; p++) {
        if (*p == '.' && decimals < 0 && digits > 0) {
            decimals = 0;
        } else if (*p >= '0' && *p <= '9') {
            if (decimals >= 0) {
                if (++decimals > 2)
                    return -1;
                frac = frac * 10 + (*p - '0');
            } else {
                if (++digits > 9)
                    return -1;
                yuan = yuan * 10 + (*p - '0');
            }
        } else {
            return -1;
        }
    }
    if (digits == 0 || decimals == 0)
        return -1;
    if (decimals == 1)
        frac *= 10;
    *fen = yuan * 100 + frac;
    return *fen >= 1 && *fen <= INT64_C(10000000000) ? 0 : -1;
}

/* --method and --amount go with refunded; the amount is given in yuan
 * (128.50) and sent in fen (12850), so no float ever carries money. */
static int s_hook_aftersales_step(kctl_t *ctx, const kctl_args_t *a, ProtobufCMessage *body)
{
    Kefu__AfterSalesStep *as = (Kefu__AfterSalesStep *) body;
    bool refunded = as->state == KEFU__AFTER_SALES_STATE__AFTER_SALES_STATE_REFUNDED;
    const char *amount = kctl_arg_value(a, "amount");
    if (as->has_method && !refunded)
        return kctl_usage(ctx, "--method goes with the step refunded");
    if (amount && !refunded)
        return kctl_usage(ctx, "--amount goes with the step refunded");
    if (amount) {
        if (s_parse_yuan(amount, &as->amount_fen) != 0)
            return kctl_usage(ctx, "bad --amount '%s': yuan with at most two decimals, like "
                                   "128.50 (0.01 to 100000000)", amount);
        as->has_amount_fen = 1;
    }
    return KCTL_CONTINUE;
}

/* One after-sales request: its fields, a refund's amount in yuan too. */
static void s_text_after_sales_one(FILE *out, const json_t *obj)
{
    kctl_text_block(out, obj);
    const json_t *fen = json_object_get(obj, "amount_fen");
    if (json_is_integer(fen)) {
        json_int_t v = json_integer_value(fen);
        fprintf(out, "amount: %lld.%02lld yuan\n", (long long) (v / 100), (long long) (v % 100));
    }
}

/* consult: a customer or a prospect (a callback: the one of the
 * consultation it calls back, unless given); an answer, a referral or a
 * callback promised (--callback-by TIME, s_parse_until). */
static int s_hook_consult(kctl_t *ctx, const kctl_args_t *a, ProtobufCMessage *body)
{
    Kefu__ConsultationAdd *q = (Kefu__ConsultationAdd *) body;
    if (q->customer && q->prospect)
        return kctl_usage(ctx, "give --customer ID or --prospect WHO (one of the two)");
    if (!q->customer && !q->prospect && !q->calls_back)
        return kctl_usage(ctx, "give --customer ID or --prospect WHO (one of the two), or "
                               "--calls-back Q-N");
    const char *by = kctl_arg_value(a, "callback-by");
    if (!q->answer && !q->referred_to && !by)
        return kctl_usage(ctx, "give --answer T, --refer DEPARTMENT or --callback-by TIME (one "
                               "or more)");
    if (by)
        return s_parse_until(ctx, "callback-by", by, &q->has_callback_clock, &q->callback_clock,
                             &q->has_callback_by, &q->callback_by);
    return KCTL_CONTINUE;
}

/* ---- the rows ----------------------------------------------------------------------- */

/* a request is opened by `aftersales open`, not stepped into open */
#define S_NOT_OPEN (UINT32_C(1) << KEFU__AFTER_SALES_STATE__AFTER_SALES_STATE_OPEN)

static const kctl_cmd_t s_rows[] = {
    {.group = "customer",
     .verb = "add",
     .args = "ID --name N --tier key|special|general [--phone P] [--address A] [--contact C] "
             "[--terms T] [--assign STAFF] [--by STAFF]",
     .summary = "register a customer",
     .help = "  --name N       the shop's name\n"
             "  --tier T       key (重点), special (特殊) or general (一般)\n"
             "  --phone, --address, --contact, --terms (payment terms): the record's\n"
             "                 other fields (000 §二.4)\n"
             "  --assign STAFF the staff member it is assigned to (001 一.3), who makes the\n"
             "                 first contact within sla.first_contact (7d): their first\n"
             "                 `consult` with it (first-contact-overdue otherwise)\n"
             "  --by STAFF     who registers it\n"
             "Prints the customer; --json {\"id\",\"name\",\"tier\",...}.",
     .body = &kefu__customer_add__descriptor,
     .req = KEFU__REQUEST__REQ_CUSTOMER_ADD,
     .rep = KEFU__REPLY__REP_CUSTOMER,
     .writes = true,
     .map = (const kctl_arg_t[]){
         {NULL, "ID", .field = "customer.id"},
         {"name", "NAME", .field = "customer.name", .flags = KCTL_ARG_REQUIRED},
         {"tier", "TIER", .field = "customer.tier", .flags = KCTL_ARG_REQUIRED},
         {"phone", "PHONE", .field = "customer.phone", .flags = KCTL_ARG_EMPTY},
         {"address", "ADDRESS", .field = "customer.address", .flags = KCTL_ARG_EMPTY},
         {"contact", "CONTACT", .field = "customer.contact", .flags = KCTL_ARG_EMPTY},
         {"terms", "TERMS", .field = "customer.payment_terms", .flags = KCTL_ARG_EMPTY},
         {"assign", "STAFF", .field = "customer.assigned_to"},
         {"by", "STAFF", .field = NULL, .flags = KCTL_ARG_ACTOR},
         {0}},
    },
    {.group = "customer",
     .verb = "update",
     .args = "ID [--name N] [--tier T] [--phone P] [--address A] [--contact C] [--terms T] "
             "[--assign STAFF] [--by STAFF]",
     .summary = "change a customer's record",
     .help = "Each option given replaces that field (an empty --phone etc. clears it);\n"
             "at least one is needed. --assign STAFF (re)assigns the customer: a new\n"
             "first contact is due within sla.first_contact (7d); --assign '' unassigns.\n"
             "Prints the whole record after the change.",
     .body = &kefu__customer_update__descriptor,
     .req = KEFU__REQUEST__REQ_CUSTOMER_UPDATE,
     .rep = KEFU__REPLY__REP_CUSTOMER,
     .writes = true,
     .map = (const kctl_arg_t[]){
         {NULL, "ID", .field = "customer.id"},
         {"name", "NAME", .field = "customer.name"},
         {"tier", "TIER", .field = "customer.tier"},
         {"phone", "PHONE", .field = "customer.phone", .flags = KCTL_ARG_EMPTY},
         {"address", "ADDRESS", .field = "customer.address", .flags = KCTL_ARG_EMPTY},
         {"contact", "CONTACT", .field = "customer.contact", .flags = KCTL_ARG_EMPTY},
         {"terms", "TERMS", .field = "customer.payment_terms", .flags = KCTL_ARG_EMPTY},
         {"assign", "STAFF", .field = "customer.assigned_to", .flags = KCTL_ARG_EMPTY},
         {"by", "STAFF", .field = NULL, .flags = KCTL_ARG_ACTOR},
         {0}},
     .hook = s_hook_customer_update,
    },
    {.group = "customer",
     .verb = "show",
     .args = "ID",
     .summary = "one customer's record",
     .help = NULL,
     .body = &kefu__customer_get__descriptor,
     .req = KEFU__REQUEST__REQ_CUSTOMER_GET,
     .rep = KEFU__REPLY__REP_CUSTOMER,
     .map = (const kctl_arg_t[]){
         {NULL, "ID", .field = "id"},
         {0}},
    },
    {.group = "customer",
     .verb = "list",
     .args = "[--tier key|special|general]",
     .summary = "customers, optionally of one tier",
     .help = "--json {\"items\":[...]}; text: a table.",
     .body = &kefu__customer_list__descriptor,
     .req = KEFU__REQUEST__REQ_CUSTOMER_LIST,
     .rep = KEFU__REPLY__REP_CUSTOMERS,
     .map = (const kctl_arg_t[]){
         {"tier", "TIER", .field = "tier"},
         {0}},
     .text = s_text_customers,
    },
    {.group = "order",
     .verb = "add",
     .args = "--customer ID --product print|album|crystal|frame --qty N [--id ORDER] [--batches N] "
             "[--ship-by TIME|--pickup-by TIME] [--by STAFF]",
     .summary = "take an order (upload time = now)",
     .help = "  --customer ID  whose order (a registered customer)\n"
             "  --product P    print (相片), album (相册), crystal (水晶), frame (相框)\n"
             "  --qty N        pieces, 1 or more\n"
             "  --id ORDER     the order number (单号); without it the site gives one\n"
             "  --batches N    how many batches (批次) it comes in\n"
             "  --ship-by TIME   promised to ship by then (RFC 3339)\n"
             "  --pickup-by TIME promised for pickup by then; without either, production\n"
             "                 gives it its product's promise (sched.promise_PRODUCT)\n"
             "Prints the order; --json {\"id\",...}.",
     .body = &kefu__order_add__descriptor,
     .req = KEFU__REQUEST__REQ_ORDER_ADD,
     .rep = KEFU__REPLY__REP_ORDER,
     .writes = true,
     .map = (const kctl_arg_t[]){
         {"customer", "CUSTOMER", .field = "order.customer", .flags = KCTL_ARG_REQUIRED},
         {"product", "PRODUCT", .field = "order.product", .flags = KCTL_ARG_REQUIRED},
         {"qty", "N", .field = "order.qty", .flags = KCTL_ARG_REQUIRED, .min = 1},
         {"id", "ORDER", .field = "order.id"},
         {"batches", "N", .field = "order.batches", .min = 1},
         {"ship-by", "TIME", .field = "order.ship_by"},
         {"pickup-by", "TIME", .field = "order.pickup_by"},
         {"by", "STAFF", .field = NULL, .flags = KCTL_ARG_ACTOR},
         {0}},
    },
    {.group = "order",
     .verb = "show",
     .args = "ID",
     .summary = "one order",
     .help = NULL,
     .body = &kefu__order_get__descriptor,
     .req = KEFU__REQUEST__REQ_ORDER_GET,
     .rep = KEFU__REPLY__REP_ORDER,
     .map = (const kctl_arg_t[]){
         {NULL, "ID", .field = "id"},
         {0}},
    },
    {.group = "order",
     .verb = "list",
     .args = "[--customer ID]",
     .summary = "orders, optionally of one customer",
     .help = "--json {\"items\":[...]}; text: a table.",
     .body = &kefu__order_list__descriptor,
     .req = KEFU__REQUEST__REQ_ORDER_LIST,
     .rep = KEFU__REPLY__REP_ORDERS,
     .map = (const kctl_arg_t[]){
         {"customer", "CUSTOMER", .field = "customer"},
         {0}},
     .text = s_text_orders,
    },
    {.group = "complaint",
     .verb = "open",
     .args = "--customer ID [--order O] --kind colour|damage|missing|quality|service|delay "
             "--complexity simple|complex [--severity general|major] --by STAFF "
             "[--channel phone|counter|letter|im|email] [--text T] [--query] "
             "[--cause production|customer-service|customer|carrier|force-majeure]",
     .summary = "open a case owned by STAFF",
     .help = "Whoever takes a case owns it to the end (000 §一.5). A simple case is\n"
             "answered within 2h, a complex one within 24h (configurable). A major\n"
             "one is recorded as such (--severity major); escalating it to leadership\n"
             "comes with the SLA watchers, not yet on this site.\n"
             "  --query        a query about an order (客件查询) rather than a complaint\n"
             "  --cause C      the responsible party, if known (`complaint cause` corrects it)\n"
             "Prints the case; --json {\"id\",\"owner\",\"reply_due\",\"state\",...}.",
     .body = &kefu__case_open__descriptor,
     .req = KEFU__REQUEST__REQ_CASE_OPEN,
     .rep = KEFU__REPLY__REP_CASE,
     .writes = true,
     .map = (const kctl_arg_t[]){
         {"customer", "CUSTOMER", .field = "customer", .flags = KCTL_ARG_REQUIRED},
         {"order", "ORDER", .field = "order"},
         {"kind", "KIND", .field = "kind", .flags = KCTL_ARG_REQUIRED},
         {"complexity", "simple|complex", .field = "complexity", .flags = KCTL_ARG_REQUIRED},
         {"severity", "SEVERITY", .field = "severity"},
         {"by", "STAFF", .field = "by", .flags = KCTL_ARG_REQUIRED | KCTL_ARG_ACTOR},
         {"channel", "CHANNEL", .field = "channel"},
         {"text", "TEXT", .field = "text", .flags = KCTL_ARG_EMPTY},
         {"query", NULL, .field = "type", .word = "query"},
         {"cause", "CAUSE", .field = "cause"},
         {0}},
     .hook = s_hook_case_open,
    },
    {.group = "complaint",
     .verb = "cause",
     .args = "ID --cause production|customer-service|customer|carrier|force-majeure --by STAFF "
             "[--text T]",
     .summary = "set or correct the responsible party while the case is investigated",
     .help = "003 第二篇 六.二: who caused it, beside the kind; `complaints analysis`\n"
             "groups the complaints by it. Prints the case; --json {\"id\",\"cause\",...}.",
     .body = &kefu__case_set_cause__descriptor,
     .req = KEFU__REQUEST__REQ_CASE_SET_CAUSE,
     .rep = KEFU__REPLY__REP_CASE,
     .writes = true,
     .map = (const kctl_arg_t[]){
         {NULL, "ID", .field = "id"},
         {"cause", "CAUSE", .field = "cause", .flags = KCTL_ARG_REQUIRED},
         {"by", "STAFF", .field = "by", .flags = KCTL_ARG_REQUIRED | KCTL_ARG_ACTOR},
         {"text", "TEXT", .field = "text", .flags = KCTL_ARG_EMPTY},
         {0}},
    },
    {.group = "complaint",
     .verb = "request",
     .args = "ID --text T --by STAFF",
     .summary = "record what the customer asks for (a later one replaces it)",
     .help = "003 第二篇 六.三: find the customer's request before offering solutions.\n"
             "Prints the case; --json {\"id\",\"request\",...}.",
     .body = &kefu__case_record_request__descriptor,
     .req = KEFU__REQUEST__REQ_CASE_RECORD_REQUEST,
     .rep = KEFU__REPLY__REP_CASE,
     .writes = true,
     .map = (const kctl_arg_t[]){
         {NULL, "ID", .field = "id"},
         {"text", "TEXT", .field = "text", .flags = KCTL_ARG_REQUIRED},
         {"by", "STAFF", .field = "by", .flags = KCTL_ARG_REQUIRED | KCTL_ARG_ACTOR},
         {0}},
    },
    {.group = "complaint",
     .verb = "offer",
     .args = "ID --text T --by STAFF",
     .summary = "record a solution offered to the customer (several may be)",
     .help = "Solutions are numbered 1, 2, ... as offered; the customer confirms one\n"
             "with `complaint confirm`. Once solutions are offered, a resolution that\n"
             "carries one out (rework, reissue, refund, exchange, compensate) needs it.\n"
             "Prints the case; --json {\"id\",\"solutions\":[...],...}.",
     .body = &kefu__case_offer__descriptor,
     .req = KEFU__REQUEST__REQ_CASE_OFFER,
     .rep = KEFU__REPLY__REP_CASE,
     .writes = true,
     .map = (const kctl_arg_t[]){
         {NULL, "ID", .field = "id"},
         {"text", "TEXT", .field = "text", .flags = KCTL_ARG_REQUIRED},
         {"by", "STAFF", .field = "by", .flags = KCTL_ARG_REQUIRED | KCTL_ARG_ACTOR},
         {0}},
    },
    {.group = "complaint",
     .verb = "confirm",
     .args = "ID --solution N --by STAFF [--text T]",
     .summary = "the customer confirms solution N before it is carried out",
     .help = "Prints the case; --json {\"id\",\"confirmed_solution\",...}.",
     .body = &kefu__case_confirm__descriptor,
     .req = KEFU__REQUEST__REQ_CASE_CONFIRM,
     .rep = KEFU__REPLY__REP_CASE,
     .writes = true,
     .map = (const kctl_arg_t[]){
         {NULL, "ID", .field = "id"},
         {"solution", "N", .field = "solution", .flags = KCTL_ARG_REQUIRED, .min = 1},
         {"by", "STAFF", .field = "by", .flags = KCTL_ARG_REQUIRED | KCTL_ARG_ACTOR},
         {"text", "TEXT", .field = "text", .flags = KCTL_ARG_EMPTY},
         {0}},
    },
    {.group = "complaint",
     .verb = "reopen",
     .args = "ID --by STAFF [--text T]",
     .summary = "the customer came back: the resolved or closed case is open again",
     .help = "A new reply deadline as at open; the resolution and the confirmed\n"
             "solution no longer stand, nor the follow-up visit it made due (the next\n"
             "resolution makes one due again). A follow-up with satisfaction under\n"
             "intake.reopen_below (3) reopens the case too.\n"
             "Prints the case; --json {\"id\",\"state\",\"reply_due\",\"reopened\",...}.",
     .body = &kefu__case_reopen__descriptor,
     .req = KEFU__REQUEST__REQ_CASE_REOPEN,
     .rep = KEFU__REPLY__REP_CASE,
     .writes = true,
     .map = (const kctl_arg_t[]){
         {NULL, "ID", .field = "id"},
         {"by", "STAFF", .field = "by", .flags = KCTL_ARG_REQUIRED | KCTL_ARG_ACTOR},
         {"text", "TEXT", .field = "text", .flags = KCTL_ARG_EMPTY},
         {0}},
    },
    {.group = "complaint",
     .verb = "handoff-answer",
     .args = "ID --by STAFF [--text T]",
     .summary = "the department answered the latest open hand-off, which ends it",
     .help = "Records who answered, when and what (--text).\n"
             "Prints the case; --json {\"id\",\"handoffs\":[{\"answered_at\",...}],...}.",
     .body = &kefu__case_handoff_answer__descriptor,
     .req = KEFU__REQUEST__REQ_CASE_HANDOFF_ANSWER,
     .rep = KEFU__REPLY__REP_CASE,
     .writes = true,
     .map = (const kctl_arg_t[]){
         {NULL, "ID", .field = "id"},
         {"by", "STAFF", .field = "by", .flags = KCTL_ARG_REQUIRED | KCTL_ARG_ACTOR},
         {"text", "TEXT", .field = "text", .flags = KCTL_ARG_EMPTY},
         {0}},
    },
    {.group = "staff",
     .verb = "add",
     .args = "NAME --role staff|supervisor|manager [--by STAFF]",
     .summary = "registers a person and their role (with none registered, anyone may act)",
     .help = "Once one person is registered, only registered people act, each as their\n"
             "role allows (a supervisor acknowledges escalations); adding people is then\n"
             "for supervisors and managers. Again with another role: changes it.\n"
             "--json {\"name\",\"role\",...}.",
     .body = &kefu__staff_add__descriptor,
     .req = KEFU__REQUEST__REQ_STAFF_ADD,
     .rep = KEFU__REPLY__REP_STAFF,
     .writes = true,
     .map = (const kctl_arg_t[]){
         {NULL, "NAME", .field = "staff.name"},
         {"role", "ROLE", .field = "staff.role", .flags = KCTL_ARG_REQUIRED},
         {"by", "STAFF", .field = NULL, .flags = KCTL_ARG_ACTOR},
         {0}},
    },
    {.group = "complaint",
     .verb = "report",
     .args = "ID --by STAFF (--when TIME --place P --what T --plan T --measures T | "
             "--impact T --handling T --cause T --corrective T --preventive T)",
     .summary = "a major complaint's incident report, or afterwards its analysis report",
     .help = "003 第二篇 四.6 (事件报告制度), domain.md §6; one of the two:\n"
             "  the incident report, at once, before the case is closed: --when (when it\n"
             "    happened), --place, --what (what happened), --plan, --measures (the\n"
             "    emergency measures); the SLA watcher takes it to the general manager\n"
             "    at once (escalation major-incident, level 2)\n"
             "  the problem analysis report, once resolved: --impact, --handling, --cause,\n"
             "    --corrective, --preventive; due sla.analysis_report (3d) after the\n"
             "    resolution (analysis-report-overdue otherwise)\n"
             "Prints the case; --json {\"id\",\"incident\":{...},\"analysis_report\":{...},\n"
             "\"analysis_due\",...}.",
     .body = &kefu__case_report__descriptor,
     .req = KEFU__REQUEST__REQ_CASE_REPORT,
     .rep = KEFU__REPLY__REP_CASE,
     .writes = true,
     .map = (const kctl_arg_t[]){
         {NULL, "ID", .field = "id"},
         {"by", "STAFF", .field = "by", .flags = KCTL_ARG_REQUIRED | KCTL_ARG_ACTOR},
         {"when", "TIME", .field = "incident.occurred_at"},
         {"place", "TEXT", .field = "incident.place"},
         {"what", "TEXT", .field = "incident.what"},
         {"plan", "TEXT", .field = "incident.plan"},
         {"measures", "TEXT", .field = "incident.measures"},
         {"impact", "TEXT", .field = "analysis.impact"},
         {"handling", "TEXT", .field = "analysis.handling"},
         {"cause", "TEXT", .field = "analysis.cause"},
         {"corrective", "TEXT", .field = "analysis.corrective"},
         {"preventive", "TEXT", .field = "analysis.preventive"},
         {0}},
    },
    {.group = "complaint",
     .verb = "wait",
     .args = "ID --on WHO --by STAFF [--text T]",
     .summary = "the case waits on someone else (the carrier's claim): its clock stops",
     .help = "000 §一.4.2: outer packaging broken, the case waits on the carrier until\n"
             "the customer's claim succeeds or fails. Its reply deadline, and the SLA\n"
             "watchers' clock, stand still until `complaint resume`.\n"
             "Prints the case; --json {\"id\",\"waiting_on\",\"waiting_since\",...}.",
     .body = &kefu__case_wait__descriptor,
     .req = KEFU__REQUEST__REQ_CASE_WAIT,
     .rep = KEFU__REPLY__REP_CASE,
     .writes = true,
     .map = (const kctl_arg_t[]){
         {NULL, "ID", .field = "id"},
         {"on", "WHO", .field = "on", .flags = KCTL_ARG_REQUIRED},
         {"by", "STAFF", .field = "by", .flags = KCTL_ARG_REQUIRED | KCTL_ARG_ACTOR},
         {"text", "TEXT", .field = "text", .flags = KCTL_ARG_EMPTY},
         {0}},
    },
    {.group = "complaint",
     .verb = "resume",
     .args = "ID --by STAFF [--text T]",
     .summary = "the wait is over: the case's clock goes on, its deadline moved by the pause",
     .help = "Prints the case; --json {\"id\",\"reply_due\",\"paused_us\",...}.",
     .body = &kefu__case_resume__descriptor,
     .req = KEFU__REQUEST__REQ_CASE_RESUME,
     .rep = KEFU__REPLY__REP_CASE,
     .writes = true,
     .map = (const kctl_arg_t[]){
         {NULL, "ID", .field = "id"},
         {"by", "STAFF", .field = "by", .flags = KCTL_ARG_REQUIRED | KCTL_ARG_ACTOR},
         {"text", "TEXT", .field = "text", .flags = KCTL_ARG_EMPTY},
         {0}},
    },
    {.group = "complaint",
     .verb = "reply",
     .args = "ID --by STAFF [--text T] [--commit DUR [--work] | --commit-until TIME]",
     .summary = "record a reply to the customer",
     .help = "  --commit DUR   the reply promises the next answer within DUR (e.g. 4h);\n"
             "  --work         DUR is working time (@work: calendar.hours, workdays)\n"
             "  --commit-until TIME  ... by TIME: RFC 3339, or HH:MM, the next such time\n"
             "                 of the site's day (calendar.utc_offset)\n"
             "The site chases each promised time (000 §一.2); the next reply or the\n"
             "resolution answers it, met if by then, missed if later (commitments[]).\n"
             "Prints the case; --json {\"id\",\"state\",\"commitments\":[...],...}.",
     .body = &kefu__case_reply__descriptor,
     .req = KEFU__REQUEST__REQ_CASE_REPLY,
     .rep = KEFU__REPLY__REP_CASE,
     .writes = true,
     .map = (const kctl_arg_t[]){
         {NULL, "ID", .field = "id"},
         {"by", "STAFF", .field = "by", .flags = KCTL_ARG_REQUIRED | KCTL_ARG_ACTOR},
         {"text", "TEXT", .field = "text", .flags = KCTL_ARG_EMPTY},
         {"commit", "DUR", .field = "commit_us"},
         {"work", NULL, .field = "commit_work"},
         {"commit-until", "TIME", .field = "commit_until", .flags = KCTL_ARG_HOOK},
         {0}},
     .hook = s_hook_reply,
    },
    {.group = "complaint",
     .verb = "handoff",
     .args = "ID --by STAFF --to DEPARTMENT [--due DUR] [--text T]",
     .summary = "ask another department to help; the owner keeps it",
     .help = "  --to DEPARTMENT  e.g. production, dispatch, finance\n"
             "  --due DUR        when the department should be done, from now\n"
             "Prints the case.",
     .body = &kefu__case_handoff__descriptor,
     .req = KEFU__REQUEST__REQ_CASE_HANDOFF,
     .rep = KEFU__REPLY__REP_CASE,
     .writes = true,
     .map = (const kctl_arg_t[]){
         {NULL, "ID", .field = "id"},
         {"by", "STAFF", .field = "by", .flags = KCTL_ARG_REQUIRED | KCTL_ARG_ACTOR},
         {"to", "DEPARTMENT", .field = "department", .flags = KCTL_ARG_REQUIRED},
         {"due", "DUR", .field = "due_us"},
         {"text", "TEXT", .field = "text", .flags = KCTL_ARG_EMPTY},
         {0}},
    },
    {.group = "complaint",
     .verb = "evidence",
     .args = "ID --by STAFF --kind chat-log|photo|statement|site-check|other --text T",
     .summary = "add an item of evidence (000 §一.3)",
     .help = "Prints the case.",
     .body = &kefu__case_add_evidence__descriptor,
     .req = KEFU__REQUEST__REQ_CASE_ADD_EVIDENCE,
     .rep = KEFU__REPLY__REP_CASE,
     .writes = true,
     .map = (const kctl_arg_t[]){
         {NULL, "ID", .field = "id"},
         {"by", "STAFF", .field = "by", .flags = KCTL_ARG_REQUIRED | KCTL_ARG_ACTOR},
         {"kind", "KIND", .field = "kind", .flags = KCTL_ARG_REQUIRED},
         {"text", "TEXT", .field = "text", .flags = KCTL_ARG_REQUIRED},
         {0}},
    },
    {.group = "complaint",
     .verb = "resolve",
     .args = "ID --by STAFF --outcome rework|reissue|refund|exchange|compensate|explained|"
             "carrier-claim|declined [--text T]",
     .summary = "resolve a case",
     .help = "declined: outside the service contract (003 四.三.2); --text, the reason,\n"
             "is required and recorded. carrier-claim: a damage case only. With\n"
             "solutions offered, rework|reissue|refund|exchange|compensate need the\n"
             "customer's confirmation (complaint confirm). Unless it is declined, the\n"
             "case's follow-up visit is then due within sla.follow_up (3d):\n"
             "follow_up_due (follow-up-overdue otherwise).\n"
             "Prints the case; --json {\"id\",\"state\",\"follow_up_due\",...}.",
     .body = &kefu__case_resolve__descriptor,
     .req = KEFU__REQUEST__REQ_CASE_RESOLVE,
     .rep = KEFU__REPLY__REP_CASE,
     .writes = true,
     .map = (const kctl_arg_t[]){
         {NULL, "ID", .field = "id"},
         {"by", "STAFF", .field = "by", .flags = KCTL_ARG_REQUIRED | KCTL_ARG_ACTOR},
         {"outcome", "OUTCOME", .field = "outcome", .flags = KCTL_ARG_REQUIRED},
         {"text", "TEXT", .field = "text", .flags = KCTL_ARG_EMPTY},
         {0}},
    },
    {.group = "complaint",
     .verb = "followup",
     .args = "ID --by STAFF --satisfaction 1..5 [--text T]",
     .summary = "record the follow-up visit (回访), closing the case",
     .help = "Meets the visit due since the resolution (follow_up_due). Satisfaction\n"
             "under intake.reopen_below (default 3) reopens the case instead (closed,\n"
             "then open again with a new reply deadline).\n"
             "Prints the case.",
     .body = &kefu__case_followup__descriptor,
     .req = KEFU__REQUEST__REQ_CASE_FOLLOWUP,
     .rep = KEFU__REPLY__REP_CASE,
     .writes = true,
     .map = (const kctl_arg_t[]){
         {NULL, "ID", .field = "id"},
         {"by", "STAFF", .field = "by", .flags = KCTL_ARG_REQUIRED | KCTL_ARG_ACTOR},
         {"satisfaction", "1..5", .field = "satisfaction", .flags = KCTL_ARG_REQUIRED,
          .min = 1, .max = 5},
         {"text", "TEXT", .field = "text", .flags = KCTL_ARG_EMPTY},
         {0}},
    },
    {.group = "complaint",
     .verb = "show",
     .args = "ID [--limit N] [--from-entry N]",
     .summary = "a case with its history",
     .help = "  --limit N        at most N history entries (1 to 1000; 100 by default)\n"
             "  --from-entry N   the entries from number N on (0 is \"opened\"); without it\n"
             "                   the newest N\n"
             "history_count is how many entries the history has, history_from the number\n"
             "of the first one shown (absent: 0). A write's answer shows the newest 20.\n"
             "--json {\"id\",\"state\",\"owner\",\"history\":[{\"at\",\"by\",\"action\",...}],\n"
             "\"history_count\",...}.",
     .body = &kefu__case_get__descriptor,
     .req = KEFU__REQUEST__REQ_CASE_GET,
     .rep = KEFU__REPLY__REP_CASE,
     .map = (const kctl_arg_t[]){
         {NULL, "ID", .field = "id"},
         {"from-entry", "N", .field = "history_from"},
         {"limit", "N", .field = "history_limit", .min = 1, .max = 1000},
         {0}},
    },
    /* "complaints analysis" before "complaints": a one-word row matches
   * any second word */
    {.group = "complaints",
     .verb = "analysis",
     .args = "--from TIME --to TIME | --week YYYY-MM-DD|YYYY-Www | --month YYYY-MM",
     .summary = "cases of a period by cause, with median reply times",
     .help = "  --week W     the ISO week (Monday first, from 00:00 local time) that holds\n"
             "               the date W (2026-11-25), or ISO week W (2026-W48)\n"
             "  --month M    the calendar month M, from 00:00 local time of its first day\n"
             "--json {\"from\",\"to\",\"total\",\"rows\":[{\"kind\",\"count\",\"share_permille\",\n"
             "\"median_first_reply_us\",\"median_resolution_us\",...}],\n"
             "\"by_cause\":[{\"cause\",\"count\",...}],\"complaints\",\"queries\"}: by_cause\n"
             "groups the complaints by responsible party (a row without cause: none yet).",
     .body = &kefu__case_analysis_query__descriptor,
     .req = KEFU__REQUEST__REQ_CASE_ANALYSIS,
     .rep = KEFU__REPLY__REP_ANALYSIS,
     .map = (const kctl_arg_t[]){
         {"from", "TIME", .field = "from"},
         {"to", "TIME", .field = "to"},
         {"week", "YYYY-MM-DD", .field = NULL},
         {"month", "YYYY-MM", .field = NULL},
         {0}},
     .hook = s_hook_analysis,
     .text = s_text_analysis,
    },
    {.group = "complaints",
     .verb = NULL,
     .args = "[--from TIME] [--to TIME] [--owner STAFF] [--kind K] "
             "[--state open|replied|resolved|closed] [--customer C] [--order O] "
             "[--queries|--complaints] [--limit N]",
     .summary = "the complaint register (投诉状况表), one line per case",
     .help = "Cases opened in [--from, --to) matching every filter given, up to\n"
             "--limit (default 1000). --queries: only queries; --complaints: only\n"
             "complaints. See also `kefuctl complaints analysis`.\n"
             "--json {\"items\":[...]}, each a case; text: one aligned line per case.",
     .body = &kefu__case_query__descriptor,
     .req = KEFU__REQUEST__REQ_CASE_QUERY,
     .rep = KEFU__REPLY__REP_CASES,
     .map = (const kctl_arg_t[]){
         {"from", "TIME", .field = "from"},
         {"to", "TIME", .field = "to"},
         {"owner", "STAFF", .field = "owner"},
         {"kind", "KIND", .field = "kind"},
         {"state", "STATE", .field = "state"},
         {"customer", "CUSTOMER", .field = "customer"},
         {"order", "ORDER", .field = "order"},
         {"queries", NULL, .field = "type", .word = "query"},
         {"complaints", NULL, .field = "type", .word = "complaint"},
         {"limit", "N", .field = "limit", .min = 1},
         {0}},
     .hook = s_hook_cases,
     .text = s_text_cases,
    },
    {.group = "aftersales",
     .verb = "open",
     .args = "ORDER --kind trace|extend-receipt|damage|replenish|exchange|return|refund|"
             "rights-claim --by STAFF [--reason T]",
     .summary = "open an after-sales request on an order (004 第一篇, 职责2)",
     .help = "One order may have many requests. The kinds (004 职责2): trace a parcel\n"
             "(查件), extend receipt time (延长收货), damage (破损), replenish what was\n"
             "missing (补货), exchange (换货), return (退货), refund (退款), rights claim\n"
             "(维权). See `aftersales step` for each kind's steps.\n"
             "Prints the request; --json {\"id\",...}.",
     .body = &kefu__after_sales_open__descriptor,
     .req = KEFU__REQUEST__REQ_AFTER_SALES_OPEN,
     .rep = KEFU__REPLY__REP_AFTER_SALES,
     .writes = true,
     .map = (const kctl_arg_t[]){
         {NULL, "ORDER", .field = "order"},
         {"kind", "KIND", .field = "kind", .flags = KCTL_ARG_REQUIRED},
         {"by", "STAFF", .field = "by", .flags = KCTL_ARG_REQUIRED | KCTL_ARG_ACTOR},
         {"reason", "TEXT", .field = "reason", .flags = KCTL_ARG_EMPTY},
         {0}},
    },
    {.group = "aftersales",
     .verb = "step",
     .args = "ID approved|received|confirmed|refunded|exchanged|done|rejected --by STAFF "
             "[--photo] [--method bank|balance|gift-card|alipay --amount YUAN] "
             "[--shipment S] [--text T]",
     .summary = "move an after-sales request on",
     .help = "004 第一篇: talk -> approved (the request confirmed: the customer ships the\n"
             "goods back, labelled with the order and request numbers) -> received ->\n"
             "confirmed -> settled; or confirmed --photo from open or approved (a photo\n"
             "check confirms the fault, no goods back); or rejected until settled.\n"
             "  damage, exchange, return, refund: as above; refunded (refund, return,\n"
             "      damage) needs --method and --amount, and reverses the invoice (红冲);\n"
             "      exchanged (exchange, damage) needs --shipment, the new item's, and\n"
             "      endorses the invoice (背书)\n"
             "  trace, extend-receipt: done once handled\n"
             "  replenish: confirmed (from the order), then done --shipment\n"
             "  rights-claim: confirmed, then refunded or done\n"
             "  --amount YUAN  the refund, e.g. 128.50 (sent in fen, 12850)\n"
             "Prints the request (amount in yuan); --json {\"id\",\"state\",\"amount_fen\",\n"
             "\"invoice\",\"shipment\",...}.",
     .body = &kefu__after_sales_step__descriptor,
     .req = KEFU__REQUEST__REQ_AFTER_SALES_STEP,
     .rep = KEFU__REPLY__REP_AFTER_SALES,
     .writes = true,
     .map = (const kctl_arg_t[]){
         {NULL, "ID", .field = "id"},
         {NULL, "STATE", .field = "state", .exclude = S_NOT_OPEN},
         {"by", "STAFF", .field = "by", .flags = KCTL_ARG_REQUIRED | KCTL_ARG_ACTOR},
         {"photo", NULL, .field = "photo_only"},
         {"method", "METHOD", .field = "method"},
         {"amount", "YUAN", .field = NULL},
         {"shipment", "SHIPMENT", .field = "shipment"},
         {"text", "TEXT", .field = "text", .flags = KCTL_ARG_EMPTY},
         {0}},
     .hook = s_hook_aftersales_step,
     .text = s_text_after_sales_one,
    },
    {.group = "aftersales",
     .verb = "show",
     .args = "ID",
     .summary = "one after-sales request with its history",
     .help = NULL,
     .body = &kefu__after_sales_get__descriptor,
     .req = KEFU__REQUEST__REQ_AFTER_SALES_GET,
     .rep = KEFU__REPLY__REP_AFTER_SALES,
     .map = (const kctl_arg_t[]){
         {NULL, "ID", .field = "id"},
         {0}},
     .text = s_text_after_sales_one,
    },
    {.group = "aftersales",
     .verb = "list",
     .args = "[--order O]",
     .summary = "after-sales requests, optionally of one order",
     .help = "--json {\"items\":[...]}; text: a table.",
     .body = &kefu__after_sales_list__descriptor,
     .req = KEFU__REQUEST__REQ_AFTER_SALES_LIST,
     .rep = KEFU__REPLY__REP_AFTER_SALES_ITEMS,
     .map = (const kctl_arg_t[]){
         {"order", "ORDER", .field = "order"},
         {0}},
     .text = s_text_after_sales,
    },
    {.group = "consult",
     .verb = NULL,
     .args = "(--customer ID | --prospect WHO | --calls-back Q-N) --by STAFF --question T "
             "(--answer T | --refer DEPT | --callback-by TIME) [--samples T] [--price-ref T]",
     .summary = "record a consultation and its answer (000 §二.1-4)",
     .help = "  --prospect WHO  someone with no customer record yet: who and how to reach\n"
             "                  them (000 §二: a prospect need not be a customer)\n"
             "  --refer DEPT    referred to the responsible department (with or without\n"
             "                  an answer)\n"
             "  --samples T     samples given or sent; --price-ref T  the price reference\n"
             "  --callback-by TIME  a callback promised (a transfer that failed, 000 §五.5)\n"
             "                  by TIME: RFC 3339, or HH:MM, the next such time of the\n"
             "                  site's day; owed by --by (callback-overdue otherwise)\n"
             "  --calls-back Q-N  this is the callback Q-N promised, which meets it; the\n"
             "                  customer or prospect is Q-N's unless given\n"
             "The assigned staff member's first consultation with a customer is its\n"
             "first contact (customer add --assign).\n"
             "Prints the consultation; --json {\"id\",\"callback_by\",\"called_back_in\",...}.",
     .body = &kefu__consultation_add__descriptor,
     .req = KEFU__REQUEST__REQ_CONSULTATION_ADD,
     .rep = KEFU__REPLY__REP_CONSULTATION,
     .writes = true,
     .map = (const kctl_arg_t[]){
         {"customer", "CUSTOMER", .field = "customer"},
         {"prospect", "WHO", .field = "prospect"},
         {"by", "STAFF", .field = "by", .flags = KCTL_ARG_REQUIRED | KCTL_ARG_ACTOR},
         {"question", "TEXT", .field = "question", .flags = KCTL_ARG_REQUIRED},
         {"answer", "TEXT", .field = "answer"},
         {"refer", "DEPARTMENT", .field = "referred_to"},
         {"samples", "TEXT", .field = "samples"},
         {"price-ref", "TEXT", .field = "price_ref"},
         {"callback-by", "TIME", .field = "callback_by", .flags = KCTL_ARG_HOOK},
         {"calls-back", "Q-N", .field = "calls_back"},
         {0}},
     .hook = s_hook_consult,
    },
    {.group = "consultations",
     .verb = NULL,
     .args = "[--by STAFF] [--from TIME] [--to TIME]",
     .summary = "consultations, by staff member or period",
     .help = "--json {\"items\":[...]}; text: a table.",
     .body = &kefu__consultation_list__descriptor,
     .req = KEFU__REQUEST__REQ_CONSULTATION_LIST,
     .rep = KEFU__REPLY__REP_CONSULTATIONS,
     .map = (const kctl_arg_t[]){
         {"by", "STAFF", .field = "by"},
         {"from", "TIME", .field = "from"},
         {"to", "TIME", .field = "to"},
         {0}},
     .hook = s_hook_consultations,
     .text = s_text_consultations,
    },
    {0},
};

/* Every request of intake's range (common/daemons.def) has a row. */
const kctl_rows_t kctl_rows_intake = {
    .daemon = "intake",
    .no_row = NULL,
    .cmds = s_rows,
};
