/* cmd_intake.c: kefuctl's commands for the intake daemon: customers,
 * orders, complaints and queries, after-sales requests, consultations
 * (shared/domain.md §1 and "Who and what"; shared/contract.md, kefuctl).
 *
 * Every command here is one Request to the daemon "intake" (its control
 * socket, site_endpoint(DIR, "intake", "ctl")) and expects one Reply
 * oneof:
 *
 *   customer add|update|show    customer_add|update|get   -> customer
 *   customer list               customer_list             -> customers
 *   order add|show              order_add|get             -> order
 *   order list                  order_list                -> orders
 *   complaint open|reply|handoff|evidence|resolve|followup|show
 *                               case_open|reply|handoff|add_evidence|
 *                               resolve|followup|get      -> case
 *   complaints                  case_query                -> cases
 *   complaints analysis         case_analysis             -> analysis
 *   aftersales open|step|show   after_sales_open|step|get -> after_sales
 *   aftersales list             after_sales_list          -> after_sales_items
 *   consult                     consultation_add          -> consultation
 *   consultations               consultation_list         -> consultations
 *
 * A write carries Request.actor = --by (the staff member who acts; for
 * the customer and order commands --by is optional) and Request.request_id
 * = --request-id when given (call.c). With --json the answer is the
 * Reply's sub-message through pbjson, printed at top level (a Case is
 * {"id":...,"owner":...}, a list is {"items":[...]}); without it a single
 * object is a key: value block and a list an aligned table.
 *
 * Everything that can be checked without the daemon is checked here, so a
 * mistyped line is a usage error (exit 2) naming the fix, never a round
 * trip: missing options, enum values (spelt as JSON shows them, parsed
 * from the protobuf-c descriptor by kctl_parse_enum(), which lists the
 * choices), numbers, times, durations and periods. Whether the ids exist
 * and the rules allow it is the daemon's to say (exit 1 with its message).
 *
 * Options are declared once, in s_optdefs, and each command lists the ones
 * it takes by id; s_parse() turns that list into getopt's table and
 * collects the values as strings, so each command is the few lines that
 * build its request.
 */
#include <string.h>

#include "intake.pb-c.h"
#include "kefuctl.h"
#include "ktime.h"
#include "pbjson.h"

#define S_DAEMON "intake"

/* ---- options ---------------------------------------------------------------- */

enum {
    S_O_BASE = 256, /* above every character getopt may return */
    S_O_NAME = S_O_BASE,
    S_O_TIER,
    S_O_PHONE,
    S_O_ADDRESS,
    S_O_CONTACT,
    S_O_TERMS,
    S_O_BY,
    S_O_CUSTOMER,
    S_O_PRODUCT,
    S_O_QTY,
    S_O_ID,
    S_O_BATCHES,
    S_O_ORDER,
    S_O_KIND,
    S_O_COMPLEXITY,
    S_O_SEVERITY,
    S_O_CHANNEL,
    S_O_TEXT,
    S_O_QUERY,
    S_O_COMMIT,
    S_O_OUTCOME,
    S_O_TO,
    S_O_DUE,
    S_O_SATISFACTION,
    S_O_FROM,
    S_O_OWNER,
    S_O_STATE,
    S_O_QUERIES,
    S_O_COMPLAINTS,
    S_O_LIMIT,
    S_O_WEEK,
    S_O_MONTH,
    S_O_REASON,
    S_O_METHOD,
    S_O_QUESTION,
    S_O_ANSWER,
    S_O_FROM_ENTRY,
    S_O_END
};
#define S_NOPTS (S_O_END - S_O_BASE)

typedef struct {
    const char *name;   /* --name */
    const char *meta;   /* what the value is, for messages; NULL: a flag */
    bool may_be_empty;  /* free text that may be "" (to clear it) */
} s_optdef_t;

/* --to is a department for `complaint handoff` (where it is required, so
 * its meta names that) and a time for the lists. */
static const s_optdef_t s_optdefs[S_NOPTS] = {
    [S_O_NAME - S_O_BASE] = {"name", "NAME", false},
    [S_O_TIER - S_O_BASE] = {"tier", "TIER", false},
    [S_O_PHONE - S_O_BASE] = {"phone", "PHONE", true},
    [S_O_ADDRESS - S_O_BASE] = {"address", "ADDRESS", true},
    [S_O_CONTACT - S_O_BASE] = {"contact", "CONTACT", true},
    [S_O_TERMS - S_O_BASE] = {"terms", "TERMS", true},
    [S_O_BY - S_O_BASE] = {"by", "STAFF", false},
    [S_O_CUSTOMER - S_O_BASE] = {"customer", "CUSTOMER", false},
    [S_O_PRODUCT - S_O_BASE] = {"product", "PRODUCT", false},
    [S_O_QTY - S_O_BASE] = {"qty", "N", false},
    [S_O_ID - S_O_BASE] = {"id", "ORDER", false},
    [S_O_BATCHES - S_O_BASE] = {"batches", "N", false},
    [S_O_ORDER - S_O_BASE] = {"order", "ORDER", false},
    [S_O_KIND - S_O_BASE] = {"kind", "KIND", false},
    [S_O_COMPLEXITY - S_O_BASE] = {"complexity", "simple|complex", false},
    [S_O_SEVERITY - S_O_BASE] = {"severity", "SEVERITY", false},
    [S_O_CHANNEL - S_O_BASE] = {"channel", "CHANNEL", false},
    [S_O_TEXT - S_O_BASE] = {"text", "TEXT", true},
    [S_O_QUERY - S_O_BASE] = {"query", NULL, false},
    [S_O_COMMIT - S_O_BASE] = {"commit", "DUR", false},
    [S_O_OUTCOME - S_O_BASE] = {"outcome", "OUTCOME", false},
    [S_O_TO - S_O_BASE] = {"to", "DEPARTMENT", false},
    [S_O_DUE - S_O_BASE] = {"due", "DUR", false},
    [S_O_SATISFACTION - S_O_BASE] = {"satisfaction", "1..5", false},
    [S_O_FROM - S_O_BASE] = {"from", "TIME", false},
    [S_O_OWNER - S_O_BASE] = {"owner", "STAFF", false},
    [S_O_STATE - S_O_BASE] = {"state", "STATE", false},
    [S_O_QUERIES - S_O_BASE] = {"queries", NULL, false},
    [S_O_COMPLAINTS - S_O_BASE] = {"complaints", NULL, false},
    [S_O_LIMIT - S_O_BASE] = {"limit", "N", false},
    [S_O_WEEK - S_O_BASE] = {"week", "YYYY-MM-DD", false},
    [S_O_MONTH - S_O_BASE] = {"month", "YYYY-MM", false},
    [S_O_REASON - S_O_BASE] = {"reason", "TEXT", true},
    [S_O_METHOD - S_O_BASE] = {"method", "METHOD", false},
    [S_O_QUESTION - S_O_BASE] = {"question", "TEXT", false},
    [S_O_ANSWER - S_O_BASE] = {"answer", "TEXT", false},
    [S_O_FROM_ENTRY - S_O_BASE] = {"from-entry", "N", false},
};

static const s_optdef_t *s_def(int id)
{
    return &s_optdefs[id - S_O_BASE];
}

/* A parsed command line: each option's value (a flag's is ""), NULL when
 * not given (the last one given wins), and the operands. */
typedef struct {
    const char *v[S_NOPTS];
    char **ops;
} s_args_t;

static const char *s_v(const s_args_t *a, int id)
{
    return a->v[id - S_O_BASE];
}

/* Parses the command's options (ids: the ones it takes, 0-terminated) and
 * exactly as many operands as ops names (NULL-terminated; none may be
 * empty). Returns KCTL_CONTINUE with *a filled in, or the exit status
 * (help printed, or a usage error). */
static int s_parse(kctl_t *ctx, int argc, char **argv, const int *ids, const char *const *ops,
                   s_args_t *a)
{
    struct option opts[KCTL_MAX_OPTS];
    size_t n = 0;
    for (; ids[n]; n++) {
        const s_optdef_t *d = s_def(ids[n]);
        opts[n] = (struct option){d->name, d->meta ? required_argument : no_argument, NULL,
                                  ids[n]};
    }
    opts[n] = (struct option){NULL, 0, NULL, 0};
    memset(a, 0, sizeof *a);
    int opt;
    while ((opt = kctl_getopt(ctx, argc, argv, opts)) >= 0) {
        const s_optdef_t *d = s_def(opt);
        if (d->meta && !*optarg && !d->may_be_empty)
            return kctl_usage(ctx, "--%s needs a value", d->name);
        a->v[opt - S_O_BASE] = d->meta ? optarg : "";
    }
    if (opt == KCTL_OPT_EXIT)
        return ctx->exit_code;
    int want = 0;
    while (ops[want])
        want++;
    int have = argc - optind;
    if (have < want)
        return kctl_usage(ctx, "missing %s", ops[have]);
    if (have > want)
        return kctl_usage(ctx, "unexpected argument '%s'", argv[optind + want]);
    for (int i = 0; i < want; i++)
        if (!*argv[optind + i])
            return kctl_usage(ctx, "%s must not be empty", ops[i]);
    a->ops = argv + optind;
    return KCTL_CONTINUE;
}

/* Each option of ids (0-terminated) must be given. Returns KCTL_CONTINUE
 * or the usage error naming the first one missing. */
static int s_require(kctl_t *ctx, const s_args_t *a, const int *ids)
{
    for (size_t i = 0; ids[i]; i++)
        if (!s_v(a, ids[i]))
            return kctl_usage(ctx, "missing --%s %s", s_def(ids[i])->name,
                              s_def(ids[i])->meta);
    return KCTL_CONTINUE;
}

/* Option id as a value of the enum ed (kctl_parse_enum()); *out is 0
 * when the option was not given. */
static int s_enum(kctl_t *ctx, const s_args_t *a, int id, const ProtobufCEnumDescriptor *ed,
                  uint32_t exclude, int *out)
{
    *out = 0;
    const char *s = s_v(a, id);
    if (!s)
        return KCTL_CONTINUE;
    char what[40];
    snprintf(what, sizeof what, "--%s", s_def(id)->name);
    return kctl_parse_enum(ctx, ed, exclude, what, s, out);
}

/* Option id as a whole number in [min, max]; *has stays 0 when absent. */
static int s_u32(kctl_t *ctx, const s_args_t *a, int id, uint32_t min, uint32_t max,
                 uint32_t *out, protobuf_c_boolean *has)
{
    const char *s = s_v(a, id);
    if (!s)
        return KCTL_CONTINUE;
    uint64_t v;
    if (kctl_parse_u64(s, &v) != 0 || v < min || v > max) {
        if (max == UINT32_MAX)
            return kctl_usage(ctx, "bad --%s '%s': a whole number, %u or more",
                              s_def(id)->name, s, (unsigned) min);
        return kctl_usage(ctx, "bad --%s '%s': a whole number from %u to %u", s_def(id)->name,
                          s, (unsigned) min, (unsigned) max);
    }
    *out = (uint32_t) v;
    *has = 1;
    return KCTL_CONTINUE;
}

/* Option id as an RFC 3339 time; *has stays 0 when absent. */
static int s_time(kctl_t *ctx, const s_args_t *a, int id, int64_t *out,
                  protobuf_c_boolean *has)
{
    const char *s = s_v(a, id);
    if (!s)
        return KCTL_CONTINUE;
    if (ktime_parse_rfc3339(s, out) != 0)
        return kctl_usage(ctx, "bad --%s '%s': a time like 2026-11-23T09:30:00+08:00",
                          s_def(id)->name, s);
    *has = 1;
    return KCTL_CONTINUE;
}

/* Option id as a duration (ktime.h); *has stays 0 when absent. */
static int s_duration(kctl_t *ctx, const s_args_t *a, int id, int64_t *out,
                      protobuf_c_boolean *has)
{
    const char *s = s_v(a, id);
    if (!s)
        return KCTL_CONTINUE;
    if (ktime_parse_duration(s, out) != 0)
        return kctl_usage(ctx, "bad --%s '%s': a duration like 90s, 30m, 2h, 3d or 1h30m",
                          s_def(id)->name, s);
    *has = 1;
    return KCTL_CONTINUE;
}

/* ---- the call ---------------------------------------------------------------- */

/* Sends req to intake as actor (NULL for a read) and prints the answer's
 * sub-message, which must be the Reply oneof expect: as JSON, or through
 * text. Returns the exit status. */
static int s_call(kctl_t *ctx, Kefu__Request *req, const char *actor,
                  Kefu__Reply__RepCase expect, kctl_text_fn *text)
{
    /* protobuf-c fields are char *; packing only reads them */
    req->actor = (char *) actor;
    Kefu__Reply *rep = NULL;
    int rc = kctl_request(ctx, S_DAEMON, req, expect, &rep, ctx->timeout_ms);
    if (rc != KCTL_CONTINUE)
        return rc;
    const ProtobufCMessage *sub = NULL;
    pbjson_oneof(&rep->base, "rep", &sub);  /* kctl_request() saw it set */
    json_t *j = kctl_json_message(sub);
    kefu__reply__free_unpacked(rep, NULL);
    return kctl_ok(ctx, j, text);
}

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
        {NULL, NULL, 0},
    };
    kctl_text_table(out, json_object_get(obj, "items"), cols);
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
        {"by", "BY", 0},
        {"question", "QUESTION", 0},
        {"answer", "ANSWER", 0},
        {NULL, NULL, 0},
    };
    kctl_text_table(out, json_object_get(obj, "items"), cols);
}

/* Analysis by cause (001; 003 四.四.4): the period, then one row a kind. */
static void s_text_analysis(FILE *out, const json_t *obj)
{
    static const kctl_col_t cols[] = {
        {"kind", "CAUSE", 0},
        {"count", "COUNT", KCTL_COL_RIGHT},
        {"share", "SHARE", KCTL_COL_RIGHT},
        {"median_first_reply_us", "MEDIAN FIRST REPLY", KCTL_COL_RIGHT},
        {"median_resolution_us", "MEDIAN RESOLUTION", KCTL_COL_RIGHT},
        {"resolved", "RESOLVED", KCTL_COL_RIGHT},
        {"late_replies", "LATE REPLIES", KCTL_COL_RIGHT},
        {NULL, NULL, 0},
    };
    const char *from = json_string_value(json_object_get(obj, "from"));
    const char *to = json_string_value(json_object_get(obj, "to"));
    fprintf(out, "period: %s .. %s\n", from ? from : "-", to ? to : "-");
    fprintf(out, "cases:  %lld\n", (long long) json_integer_value(json_object_get(obj, "total")));
    /* the rows with the share as a percentage: a copy, obj stays as sent */
    json_t *rows = json_array();
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(obj, "rows"), i, r) {
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

/* ---- customers ------------------------------------------------------------------ */

/* The Customer fields of the options (not the id); c's strings point
 * into argv. */
static int s_customer_fields(kctl_t *ctx, const s_args_t *a, Kefu__Customer *c)
{
    int tier;
    int rc = s_enum(ctx, a, S_O_TIER, &kefu__tier__descriptor, 0, &tier);
    if (rc != KCTL_CONTINUE)
        return rc;
    c->has_tier = tier != 0;
    c->tier = (Kefu__Tier) tier;
    c->name = (char *) s_v(a, S_O_NAME);
    c->phone = (char *) s_v(a, S_O_PHONE);
    c->address = (char *) s_v(a, S_O_ADDRESS);
    c->contact = (char *) s_v(a, S_O_CONTACT);
    c->payment_terms = (char *) s_v(a, S_O_TERMS);
    return KCTL_CONTINUE;
}

static const int s_customer_opts[] = {S_O_NAME,    S_O_TIER,  S_O_PHONE, S_O_ADDRESS,
                                      S_O_CONTACT, S_O_TERMS, S_O_BY,    0};
static const char *const s_id_op[] = {"ID", NULL};

int kctl_cmd_customer_add(kctl_t *ctx, int argc, char **argv)
{
    static const int required[] = {S_O_NAME, S_O_TIER, 0};
    s_args_t a;
    int rc = s_parse(ctx, argc, argv, s_customer_opts, s_id_op, &a);
    if (rc == KCTL_CONTINUE)
        rc = s_require(ctx, &a, required);
    Kefu__Customer c = KEFU__CUSTOMER__INIT;
    if (rc == KCTL_CONTINUE)
        rc = s_customer_fields(ctx, &a, &c);
    if (rc != KCTL_CONTINUE)
        return rc;
    c.id = a.ops[0];
    Kefu__CustomerAdd add = KEFU__CUSTOMER_ADD__INIT;
    add.customer = &c;
    Kefu__Request req = KEFU__REQUEST__INIT;
    req.req_case = KEFU__REQUEST__REQ_CUSTOMER_ADD;
    req.customer_add = &add;
    return s_call(ctx, &req, s_v(&a, S_O_BY), KEFU__REPLY__REP_CUSTOMER, kctl_text_block);
}

int kctl_cmd_customer_update(kctl_t *ctx, int argc, char **argv)
{
    s_args_t a;
    int rc = s_parse(ctx, argc, argv, s_customer_opts, s_id_op, &a);
    Kefu__Customer c = KEFU__CUSTOMER__INIT;
    if (rc == KCTL_CONTINUE)
        rc = s_customer_fields(ctx, &a, &c);
    if (rc != KCTL_CONTINUE)
        return rc;
    if (!c.name && !c.has_tier && !c.phone && !c.address && !c.contact && !c.payment_terms)
        return kctl_usage(ctx, "nothing to change: give --name, --tier, --phone, --address, "
                               "--contact or --terms");
    c.id = a.ops[0];
    Kefu__CustomerUpdate up = KEFU__CUSTOMER_UPDATE__INIT;
    up.customer = &c;
    Kefu__Request req = KEFU__REQUEST__INIT;
    req.req_case = KEFU__REQUEST__REQ_CUSTOMER_UPDATE;
    req.customer_update = &up;
    return s_call(ctx, &req, s_v(&a, S_O_BY), KEFU__REPLY__REP_CUSTOMER, kctl_text_block);
}

int kctl_cmd_customer_show(kctl_t *ctx, int argc, char **argv)
{
    static const int opts[] = {0};
    s_args_t a;
    int rc = s_parse(ctx, argc, argv, opts, s_id_op, &a);
    if (rc != KCTL_CONTINUE)
        return rc;
    Kefu__CustomerGet get = KEFU__CUSTOMER_GET__INIT;
    get.id = a.ops[0];
    Kefu__Request req = KEFU__REQUEST__INIT;
    req.req_case = KEFU__REQUEST__REQ_CUSTOMER_GET;
    req.customer_get = &get;
    return s_call(ctx, &req, NULL, KEFU__REPLY__REP_CUSTOMER, kctl_text_block);
}

int kctl_cmd_customer_list(kctl_t *ctx, int argc, char **argv)
{
    static const int opts[] = {S_O_TIER, 0};
    static const char *const ops[] = {NULL};
    s_args_t a;
    int tier = 0;
    int rc = s_parse(ctx, argc, argv, opts, ops, &a);
    if (rc == KCTL_CONTINUE)
        rc = s_enum(ctx, &a, S_O_TIER, &kefu__tier__descriptor, 0, &tier);
    if (rc != KCTL_CONTINUE)
        return rc;
    Kefu__CustomerList list = KEFU__CUSTOMER_LIST__INIT;
    list.has_tier = tier != 0;
    list.tier = (Kefu__Tier) tier;
    Kefu__Request req = KEFU__REQUEST__INIT;
    req.req_case = KEFU__REQUEST__REQ_CUSTOMER_LIST;
    req.customer_list = &list;
    return s_call(ctx, &req, NULL, KEFU__REPLY__REP_CUSTOMERS, s_text_customers);
}

/* ---- orders ------------------------------------------------------------------------ */

int kctl_cmd_order_add(kctl_t *ctx, int argc, char **argv)
{
    static const int opts[] = {S_O_CUSTOMER, S_O_PRODUCT, S_O_QTY, S_O_ID,
                               S_O_BATCHES,  S_O_BY,      0};
    static const int required[] = {S_O_CUSTOMER, S_O_PRODUCT, S_O_QTY, 0};
    static const char *const ops[] = {NULL};
    s_args_t a;
    Kefu__Order o = KEFU__ORDER__INIT;
    int product = 0;
    int rc = s_parse(ctx, argc, argv, opts, ops, &a);
    if (rc == KCTL_CONTINUE)
        rc = s_require(ctx, &a, required);
    if (rc == KCTL_CONTINUE)
        rc = s_enum(ctx, &a, S_O_PRODUCT, &kefu__product__descriptor, 0, &product);
    if (rc == KCTL_CONTINUE)
        rc = s_u32(ctx, &a, S_O_QTY, 1, UINT32_MAX, &o.qty, &o.has_qty);
    if (rc == KCTL_CONTINUE)
        rc = s_u32(ctx, &a, S_O_BATCHES, 1, UINT32_MAX, &o.batches, &o.has_batches);
    if (rc != KCTL_CONTINUE)
        return rc;
    o.id = (char *) s_v(&a, S_O_ID);
    o.customer = (char *) s_v(&a, S_O_CUSTOMER);
    o.has_product = 1;
    o.product = (Kefu__Product) product;
    Kefu__OrderAdd add = KEFU__ORDER_ADD__INIT;
    add.order = &o;
    Kefu__Request req = KEFU__REQUEST__INIT;
    req.req_case = KEFU__REQUEST__REQ_ORDER_ADD;
    req.order_add = &add;
    return s_call(ctx, &req, s_v(&a, S_O_BY), KEFU__REPLY__REP_ORDER, kctl_text_block);
}

int kctl_cmd_order_show(kctl_t *ctx, int argc, char **argv)
{
    static const int opts[] = {0};
    s_args_t a;
    int rc = s_parse(ctx, argc, argv, opts, s_id_op, &a);
    if (rc != KCTL_CONTINUE)
        return rc;
    Kefu__OrderGet get = KEFU__ORDER_GET__INIT;
    get.id = a.ops[0];
    Kefu__Request req = KEFU__REQUEST__INIT;
    req.req_case = KEFU__REQUEST__REQ_ORDER_GET;
    req.order_get = &get;
    return s_call(ctx, &req, NULL, KEFU__REPLY__REP_ORDER, kctl_text_block);
}

int kctl_cmd_order_list(kctl_t *ctx, int argc, char **argv)
{
    static const int opts[] = {S_O_CUSTOMER, 0};
    static const char *const ops[] = {NULL};
    s_args_t a;
    int rc = s_parse(ctx, argc, argv, opts, ops, &a);
    if (rc != KCTL_CONTINUE)
        return rc;
    Kefu__OrderList list = KEFU__ORDER_LIST__INIT;
    list.customer = (char *) s_v(&a, S_O_CUSTOMER);
    Kefu__Request req = KEFU__REQUEST__INIT;
    req.req_case = KEFU__REQUEST__REQ_ORDER_LIST;
    req.order_list = &list;
    return s_call(ctx, &req, NULL, KEFU__REPLY__REP_ORDERS, s_text_orders);
}

/* ---- complaints and queries ------------------------------------------------------------ */

int kctl_cmd_complaint_open(kctl_t *ctx, int argc, char **argv)
{
    static const int opts[] = {S_O_CUSTOMER, S_O_ORDER, S_O_KIND,    S_O_COMPLEXITY,
                               S_O_SEVERITY, S_O_BY,    S_O_CHANNEL, S_O_TEXT,
                               S_O_QUERY,    0};
    static const int required[] = {S_O_CUSTOMER, S_O_KIND, S_O_COMPLEXITY, S_O_BY, 0};
    static const char *const ops[] = {NULL};
    s_args_t a;
    int kind = 0, complexity = 0, severity = 0, channel = 0;
    int rc = s_parse(ctx, argc, argv, opts, ops, &a);
    if (rc == KCTL_CONTINUE)
        rc = s_require(ctx, &a, required);
    if (rc == KCTL_CONTINUE)
        rc = s_enum(ctx, &a, S_O_KIND, &kefu__case_kind__descriptor, 0, &kind);
    if (rc == KCTL_CONTINUE)
        rc = s_enum(ctx, &a, S_O_COMPLEXITY, &kefu__complexity__descriptor, 0, &complexity);
    if (rc == KCTL_CONTINUE)
        rc = s_enum(ctx, &a, S_O_SEVERITY, &kefu__severity__descriptor, 0, &severity);
    if (rc == KCTL_CONTINUE)
        rc = s_enum(ctx, &a, S_O_CHANNEL, &kefu__channel__descriptor, 0, &channel);
    if (rc != KCTL_CONTINUE)
        return rc;
    Kefu__CaseOpen co = KEFU__CASE_OPEN__INIT;
    co.has_type = 1;
    co.type = s_v(&a, S_O_QUERY) ? KEFU__CASE_TYPE__CASE_TYPE_QUERY
                                 : KEFU__CASE_TYPE__CASE_TYPE_COMPLAINT;
    co.customer = (char *) s_v(&a, S_O_CUSTOMER);
    co.order = (char *) s_v(&a, S_O_ORDER);
    co.has_kind = 1;
    co.kind = (Kefu__CaseKind) kind;
    co.has_complexity = 1;
    co.complexity = (Kefu__Complexity) complexity;
    co.has_severity = severity != 0;
    co.severity = (Kefu__Severity) severity;
    co.has_channel = channel != 0;
    co.channel = (Kefu__Channel) channel;
    co.text = (char *) s_v(&a, S_O_TEXT);
    co.by = (char *) s_v(&a, S_O_BY);
    Kefu__Request req = KEFU__REQUEST__INIT;
    req.req_case = KEFU__REQUEST__REQ_CASE_OPEN;
    req.case_open = &co;
    return s_call(ctx, &req, co.by, KEFU__REPLY__REP_CASE, kctl_text_block);
}

int kctl_cmd_complaint_reply(kctl_t *ctx, int argc, char **argv)
{
    static const int opts[] = {S_O_BY, S_O_TEXT, S_O_COMMIT, 0};
    static const int required[] = {S_O_BY, 0};
    s_args_t a;
    Kefu__CaseReply cr = KEFU__CASE_REPLY__INIT;
    int rc = s_parse(ctx, argc, argv, opts, s_id_op, &a);
    if (rc == KCTL_CONTINUE)
        rc = s_require(ctx, &a, required);
    if (rc == KCTL_CONTINUE)
        rc = s_duration(ctx, &a, S_O_COMMIT, &cr.commit_us, &cr.has_commit_us);
    if (rc != KCTL_CONTINUE)
        return rc;
    cr.id = a.ops[0];
    cr.by = (char *) s_v(&a, S_O_BY);
    cr.text = (char *) s_v(&a, S_O_TEXT);
    Kefu__Request req = KEFU__REQUEST__INIT;
    req.req_case = KEFU__REQUEST__REQ_CASE_REPLY;
    req.case_reply = &cr;
    return s_call(ctx, &req, cr.by, KEFU__REPLY__REP_CASE, kctl_text_block);
}

int kctl_cmd_complaint_resolve(kctl_t *ctx, int argc, char **argv)
{
    static const int opts[] = {S_O_BY, S_O_OUTCOME, S_O_TEXT, 0};
    static const int required[] = {S_O_BY, S_O_OUTCOME, 0};
    s_args_t a;
    int outcome = 0;
    int rc = s_parse(ctx, argc, argv, opts, s_id_op, &a);
    if (rc == KCTL_CONTINUE)
        rc = s_require(ctx, &a, required);
    if (rc == KCTL_CONTINUE)
        rc = s_enum(ctx, &a, S_O_OUTCOME, &kefu__outcome__descriptor, 0, &outcome);
    if (rc != KCTL_CONTINUE)
        return rc;
    Kefu__CaseResolve cr = KEFU__CASE_RESOLVE__INIT;
    cr.id = a.ops[0];
    cr.by = (char *) s_v(&a, S_O_BY);
    cr.has_outcome = 1;
    cr.outcome = (Kefu__Outcome) outcome;
    cr.text = (char *) s_v(&a, S_O_TEXT);
    Kefu__Request req = KEFU__REQUEST__INIT;
    req.req_case = KEFU__REQUEST__REQ_CASE_RESOLVE;
    req.case_resolve = &cr;
    return s_call(ctx, &req, cr.by, KEFU__REPLY__REP_CASE, kctl_text_block);
}

/* A case with a page of its history: the newest --limit entries (100),
 * or --limit from entry --from-entry on (0 is "opened"). */
int kctl_cmd_complaint_show(kctl_t *ctx, int argc, char **argv)
{
    static const int opts[] = {S_O_FROM_ENTRY, S_O_LIMIT, 0};
    s_args_t a;
    Kefu__CaseGet get = KEFU__CASE_GET__INIT;
    int rc = s_parse(ctx, argc, argv, opts, s_id_op, &a);
    if (rc == KCTL_CONTINUE)
        rc = s_u32(ctx, &a, S_O_FROM_ENTRY, 0, UINT32_MAX, &get.history_from, &get.has_history_from);
    if (rc == KCTL_CONTINUE)
        rc = s_u32(ctx, &a, S_O_LIMIT, 1, 1000, &get.history_limit, &get.has_history_limit);
    if (rc != KCTL_CONTINUE)
        return rc;
    get.id = a.ops[0];
    Kefu__Request req = KEFU__REQUEST__INIT;
    req.req_case = KEFU__REQUEST__REQ_CASE_GET;
    req.case_get = &get;
    return s_call(ctx, &req, NULL, KEFU__REPLY__REP_CASE, kctl_text_block);
}

/* 000 §一.2: another department helps; ownership stays with the owner. */
int kctl_cmd_complaint_handoff(kctl_t *ctx, int argc, char **argv)
{
    static const int opts[] = {S_O_BY, S_O_TO, S_O_DUE, S_O_TEXT, 0};
    static const int required[] = {S_O_BY, S_O_TO, 0};
    s_args_t a;
    Kefu__CaseHandoff ch = KEFU__CASE_HANDOFF__INIT;
    int rc = s_parse(ctx, argc, argv, opts, s_id_op, &a);
    if (rc == KCTL_CONTINUE)
        rc = s_require(ctx, &a, required);
    if (rc == KCTL_CONTINUE)
        rc = s_duration(ctx, &a, S_O_DUE, &ch.due_us, &ch.has_due_us);
    if (rc != KCTL_CONTINUE)
        return rc;
    ch.id = a.ops[0];
    ch.by = (char *) s_v(&a, S_O_BY);
    ch.department = (char *) s_v(&a, S_O_TO);
    ch.text = (char *) s_v(&a, S_O_TEXT);
    Kefu__Request req = KEFU__REQUEST__INIT;
    req.req_case = KEFU__REQUEST__REQ_CASE_HANDOFF;
    req.case_handoff = &ch;
    return s_call(ctx, &req, ch.by, KEFU__REPLY__REP_CASE, kctl_text_block);
}

/* 000 §一.3: chat logs, statements, photos, a check on site. */
int kctl_cmd_complaint_evidence(kctl_t *ctx, int argc, char **argv)
{
    static const int opts[] = {S_O_BY, S_O_KIND, S_O_TEXT, 0};
    static const int required[] = {S_O_BY, S_O_KIND, S_O_TEXT, 0};
    s_args_t a;
    int kind = 0;
    int rc = s_parse(ctx, argc, argv, opts, s_id_op, &a);
    if (rc == KCTL_CONTINUE)
        rc = s_require(ctx, &a, required);
    if (rc == KCTL_CONTINUE)
        rc = s_enum(ctx, &a, S_O_KIND, &kefu__evidence_kind__descriptor, 0, &kind);
    if (rc != KCTL_CONTINUE)
        return rc;
    if (!*s_v(&a, S_O_TEXT))
        return kctl_usage(ctx, "--text must say what the evidence is");
    Kefu__CaseAddEvidence ce = KEFU__CASE_ADD_EVIDENCE__INIT;
    ce.id = a.ops[0];
    ce.by = (char *) s_v(&a, S_O_BY);
    ce.has_kind = 1;
    ce.kind = (Kefu__EvidenceKind) kind;
    ce.text = (char *) s_v(&a, S_O_TEXT);
    Kefu__Request req = KEFU__REQUEST__INIT;
    req.req_case = KEFU__REQUEST__REQ_CASE_ADD_EVIDENCE;
    req.case_add_evidence = &ce;
    return s_call(ctx, &req, ce.by, KEFU__REPLY__REP_CASE, kctl_text_block);
}

/* The follow-up visit after closing (回访, 001 二/三). */
int kctl_cmd_complaint_followup(kctl_t *ctx, int argc, char **argv)
{
    static const int opts[] = {S_O_BY, S_O_SATISFACTION, S_O_TEXT, 0};
    static const int required[] = {S_O_BY, S_O_SATISFACTION, 0};
    s_args_t a;
    Kefu__CaseFollowup cf = KEFU__CASE_FOLLOWUP__INIT;
    int rc = s_parse(ctx, argc, argv, opts, s_id_op, &a);
    if (rc == KCTL_CONTINUE)
        rc = s_require(ctx, &a, required);
    if (rc == KCTL_CONTINUE)
        rc = s_u32(ctx, &a, S_O_SATISFACTION, 1, 5, &cf.satisfaction, &cf.has_satisfaction);
    if (rc != KCTL_CONTINUE)
        return rc;
    cf.id = a.ops[0];
    cf.by = (char *) s_v(&a, S_O_BY);
    cf.text = (char *) s_v(&a, S_O_TEXT);
    Kefu__Request req = KEFU__REQUEST__INIT;
    req.req_case = KEFU__REQUEST__REQ_CASE_FOLLOWUP;
    req.case_followup = &cf;
    return s_call(ctx, &req, cf.by, KEFU__REPLY__REP_CASE, kctl_text_block);
}

/* [--from, --to) must be an interval when both are given. */
static int s_interval(kctl_t *ctx, bool has_from, int64_t from, bool has_to, int64_t to)
{
    if (has_from && has_to && from >= to)
        return kctl_usage(ctx, "--from must be before --to");
    return KCTL_CONTINUE;
}

/* The complaint register (000 §一.5) as a query. */
int kctl_cmd_complaints(kctl_t *ctx, int argc, char **argv)
{
    static const int opts[] = {S_O_FROM,     S_O_TO,    S_O_OWNER,   S_O_KIND,
                               S_O_STATE,    S_O_CUSTOMER, S_O_ORDER, S_O_QUERIES,
                               S_O_COMPLAINTS, S_O_LIMIT, 0};
    static const char *const ops[] = {NULL};
    s_args_t a;
    Kefu__CaseQuery q = KEFU__CASE_QUERY__INIT;
    int kind = 0, state = 0;
    int rc = s_parse(ctx, argc, argv, opts, ops, &a);
    if (rc == KCTL_CONTINUE)
        rc = s_time(ctx, &a, S_O_FROM, &q.from, &q.has_from);
    if (rc == KCTL_CONTINUE)
        rc = s_time(ctx, &a, S_O_TO, &q.to, &q.has_to);
    if (rc == KCTL_CONTINUE)
        rc = s_interval(ctx, q.has_from, q.from, q.has_to, q.to);
    if (rc == KCTL_CONTINUE)
        rc = s_enum(ctx, &a, S_O_KIND, &kefu__case_kind__descriptor, 0, &kind);
    if (rc == KCTL_CONTINUE)
        rc = s_enum(ctx, &a, S_O_STATE, &kefu__case_state__descriptor, 0, &state);
    if (rc == KCTL_CONTINUE)
        rc = s_u32(ctx, &a, S_O_LIMIT, 1, UINT32_MAX, &q.limit, &q.has_limit);
    if (rc != KCTL_CONTINUE)
        return rc;
    if (s_v(&a, S_O_QUERIES) && s_v(&a, S_O_COMPLAINTS))
        return kctl_usage(ctx, "--queries and --complaints exclude each other (neither: both)");
    q.owner = (char *) s_v(&a, S_O_OWNER);
    q.customer = (char *) s_v(&a, S_O_CUSTOMER);
    q.order = (char *) s_v(&a, S_O_ORDER);
    q.has_kind = kind != 0;
    q.kind = (Kefu__CaseKind) kind;
    q.has_state = state != 0;
    q.state = (Kefu__CaseState) state;
    if (s_v(&a, S_O_QUERIES) || s_v(&a, S_O_COMPLAINTS)) {
        q.has_type = 1;
        q.type = s_v(&a, S_O_QUERIES) ? KEFU__CASE_TYPE__CASE_TYPE_QUERY
                                      : KEFU__CASE_TYPE__CASE_TYPE_COMPLAINT;
    }
    Kefu__Request req = KEFU__REQUEST__INIT;
    req.req_case = KEFU__REQUEST__REQ_CASE_QUERY;
    req.case_query = &q;
    return s_call(ctx, &req, NULL, KEFU__REPLY__REP_CASES, s_text_cases);
}

/* Weekly or monthly analysis by cause (001; 003 四.四.4). */
int kctl_cmd_complaints_analysis(kctl_t *ctx, int argc, char **argv)
{
    static const int opts[] = {S_O_FROM, S_O_TO, S_O_WEEK, S_O_MONTH, 0};
    static const char *const ops[] = {NULL};
    s_args_t a;
    Kefu__CaseAnalysisQuery q = KEFU__CASE_ANALYSIS_QUERY__INIT;
    int rc = s_parse(ctx, argc, argv, opts, ops, &a);
    if (rc != KCTL_CONTINUE)
        return rc;
    bool range = s_v(&a, S_O_FROM) || s_v(&a, S_O_TO);
    int forms = (range ? 1 : 0) + (s_v(&a, S_O_WEEK) ? 1 : 0) + (s_v(&a, S_O_MONTH) ? 1 : 0);
    if (forms != 1)
        return kctl_usage(ctx, "%s the period: --from TIME --to TIME, --week YYYY-MM-DD "
                               "or --month YYYY-MM",
                          forms == 0 ? "give" : "give only one form of");
    if (s_v(&a, S_O_WEEK)) {
        if (kctl_parse_week(s_v(&a, S_O_WEEK), &q.from, &q.to) != 0)
            return kctl_usage(ctx, "bad --week '%s': the first day, like 2026-11-23",
                              s_v(&a, S_O_WEEK));
        q.has_from = q.has_to = 1;
    } else if (s_v(&a, S_O_MONTH)) {
        if (kctl_parse_month(s_v(&a, S_O_MONTH), &q.from, &q.to) != 0)
            return kctl_usage(ctx, "bad --month '%s': a month like 2026-11",
                              s_v(&a, S_O_MONTH));
        q.has_from = q.has_to = 1;
    } else {
        if (!s_v(&a, S_O_FROM) || !s_v(&a, S_O_TO))
            return kctl_usage(ctx, "--from and --to go together");
        rc = s_time(ctx, &a, S_O_FROM, &q.from, &q.has_from);
        if (rc == KCTL_CONTINUE)
            rc = s_time(ctx, &a, S_O_TO, &q.to, &q.has_to);
        if (rc == KCTL_CONTINUE)
            rc = s_interval(ctx, true, q.from, true, q.to);
        if (rc != KCTL_CONTINUE)
            return rc;
    }
    Kefu__Request req = KEFU__REQUEST__INIT;
    req.req_case = KEFU__REQUEST__REQ_CASE_ANALYSIS;
    req.case_analysis = &q;
    return s_call(ctx, &req, NULL, KEFU__REPLY__REP_ANALYSIS, s_text_analysis);
}

/* ---- after-sales requests (004 第一篇) ------------------------------------------------- */

int kctl_cmd_aftersales_open(kctl_t *ctx, int argc, char **argv)
{
    static const int opts[] = {S_O_KIND, S_O_BY, S_O_REASON, 0};
    static const int required[] = {S_O_KIND, S_O_BY, 0};
    static const char *const ops[] = {"ORDER", NULL};
    s_args_t a;
    int kind = 0;
    int rc = s_parse(ctx, argc, argv, opts, ops, &a);
    if (rc == KCTL_CONTINUE)
        rc = s_require(ctx, &a, required);
    if (rc == KCTL_CONTINUE)
        rc = s_enum(ctx, &a, S_O_KIND, &kefu__after_sales_kind__descriptor, 0, &kind);
    if (rc != KCTL_CONTINUE)
        return rc;
    Kefu__AfterSalesOpen ao = KEFU__AFTER_SALES_OPEN__INIT;
    ao.order = a.ops[0];
    ao.has_kind = 1;
    ao.kind = (Kefu__AfterSalesKind) kind;
    ao.reason = (char *) s_v(&a, S_O_REASON);
    ao.by = (char *) s_v(&a, S_O_BY);
    Kefu__Request req = KEFU__REQUEST__INIT;
    req.req_case = KEFU__REQUEST__REQ_AFTER_SALES_OPEN;
    req.after_sales_open = &ao;
    return s_call(ctx, &req, ao.by, KEFU__REPLY__REP_AFTER_SALES, kctl_text_block);
}

int kctl_cmd_aftersales_step(kctl_t *ctx, int argc, char **argv)
{
    static const int opts[] = {S_O_BY, S_O_METHOD, S_O_TEXT, 0};
    static const int required[] = {S_O_BY, 0};
    static const char *const ops[] = {"ID", "STATE", NULL};
    /* a request is opened by `aftersales open`, not stepped into open */
    const uint32_t not_open = UINT32_C(1) << KEFU__AFTER_SALES_STATE__AFTER_SALES_STATE_OPEN;
    s_args_t a;
    int state = 0, method = 0;
    int rc = s_parse(ctx, argc, argv, opts, ops, &a);
    if (rc == KCTL_CONTINUE)
        rc = s_require(ctx, &a, required);
    if (rc == KCTL_CONTINUE)
        rc = kctl_parse_enum(ctx, &kefu__after_sales_state__descriptor, not_open, "STATE",
                             a.ops[1], &state);
    if (rc == KCTL_CONTINUE)
        rc = s_enum(ctx, &a, S_O_METHOD, &kefu__refund_method__descriptor, 0, &method);
    if (rc != KCTL_CONTINUE)
        return rc;
    if (method && state != KEFU__AFTER_SALES_STATE__AFTER_SALES_STATE_REFUNDED)
        return kctl_usage(ctx, "--method goes with the step refunded");
    Kefu__AfterSalesStep as = KEFU__AFTER_SALES_STEP__INIT;
    as.id = a.ops[0];
    as.has_state = 1;
    as.state = (Kefu__AfterSalesState) state;
    as.has_method = method != 0;
    as.method = (Kefu__RefundMethod) method;
    as.by = (char *) s_v(&a, S_O_BY);
    as.text = (char *) s_v(&a, S_O_TEXT);
    Kefu__Request req = KEFU__REQUEST__INIT;
    req.req_case = KEFU__REQUEST__REQ_AFTER_SALES_STEP;
    req.after_sales_step = &as;
    return s_call(ctx, &req, as.by, KEFU__REPLY__REP_AFTER_SALES, kctl_text_block);
}

int kctl_cmd_aftersales_show(kctl_t *ctx, int argc, char **argv)
{
    static const int opts[] = {0};
    s_args_t a;
    int rc = s_parse(ctx, argc, argv, opts, s_id_op, &a);
    if (rc != KCTL_CONTINUE)
        return rc;
    Kefu__AfterSalesGet get = KEFU__AFTER_SALES_GET__INIT;
    get.id = a.ops[0];
    Kefu__Request req = KEFU__REQUEST__INIT;
    req.req_case = KEFU__REQUEST__REQ_AFTER_SALES_GET;
    req.after_sales_get = &get;
    return s_call(ctx, &req, NULL, KEFU__REPLY__REP_AFTER_SALES, kctl_text_block);
}

int kctl_cmd_aftersales_list(kctl_t *ctx, int argc, char **argv)
{
    static const int opts[] = {S_O_ORDER, 0};
    static const char *const ops[] = {NULL};
    s_args_t a;
    int rc = s_parse(ctx, argc, argv, opts, ops, &a);
    if (rc != KCTL_CONTINUE)
        return rc;
    Kefu__AfterSalesList list = KEFU__AFTER_SALES_LIST__INIT;
    list.order = (char *) s_v(&a, S_O_ORDER);
    Kefu__Request req = KEFU__REQUEST__INIT;
    req.req_case = KEFU__REQUEST__REQ_AFTER_SALES_LIST;
    req.after_sales_list = &list;
    return s_call(ctx, &req, NULL, KEFU__REPLY__REP_AFTER_SALES_ITEMS, s_text_after_sales);
}

/* ---- consultations (appraisal item 3) ------------------------------------------------------ */

int kctl_cmd_consult(kctl_t *ctx, int argc, char **argv)
{
    static const int opts[] = {S_O_CUSTOMER, S_O_BY, S_O_QUESTION, S_O_ANSWER, 0};
    static const char *const ops[] = {NULL};
    s_args_t a;
    int rc = s_parse(ctx, argc, argv, opts, ops, &a);
    if (rc == KCTL_CONTINUE)
        rc = s_require(ctx, &a, opts);  /* every one of them */
    if (rc != KCTL_CONTINUE)
        return rc;
    Kefu__ConsultationAdd ca = KEFU__CONSULTATION_ADD__INIT;
    ca.customer = (char *) s_v(&a, S_O_CUSTOMER);
    ca.by = (char *) s_v(&a, S_O_BY);
    ca.question = (char *) s_v(&a, S_O_QUESTION);
    ca.answer = (char *) s_v(&a, S_O_ANSWER);
    Kefu__Request req = KEFU__REQUEST__INIT;
    req.req_case = KEFU__REQUEST__REQ_CONSULTATION_ADD;
    req.consultation_add = &ca;
    return s_call(ctx, &req, ca.by, KEFU__REPLY__REP_CONSULTATION, kctl_text_block);
}

int kctl_cmd_consultations(kctl_t *ctx, int argc, char **argv)
{
    static const int opts[] = {S_O_BY, S_O_FROM, S_O_TO, 0};
    static const char *const ops[] = {NULL};
    s_args_t a;
    Kefu__ConsultationList list = KEFU__CONSULTATION_LIST__INIT;
    int rc = s_parse(ctx, argc, argv, opts, ops, &a);
    if (rc == KCTL_CONTINUE)
        rc = s_time(ctx, &a, S_O_FROM, &list.from, &list.has_from);
    if (rc == KCTL_CONTINUE)
        rc = s_time(ctx, &a, S_O_TO, &list.to, &list.has_to);
    if (rc == KCTL_CONTINUE)
        rc = s_interval(ctx, list.has_from, list.from, list.has_to, list.to);
    if (rc != KCTL_CONTINUE)
        return rc;
    list.by = (char *) s_v(&a, S_O_BY);
    Kefu__Request req = KEFU__REQUEST__INIT;
    req.req_case = KEFU__REQUEST__REQ_CONSULTATION_LIST;
    req.consultation_list = &list;
    return s_call(ctx, &req, NULL, KEFU__REPLY__REP_CONSULTATIONS, s_text_consultations);
}
