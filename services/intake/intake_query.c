/* intake_query.c: the complaint register, lists and the analysis by cause.
 *
 * The register (000 §一.5: one line per case) is read in time order from
 * the case_time index, so a period query reads only that period. The
 * analysis (001; 003 四.四.4) groups the period's cases by kind (cause):
 * count, share, median time to first reply and to resolution, and how
 * many were first answered after their reply deadline.
 */
#include <stdlib.h>
#include <string.h>

#include "intake.h"
#include "kerr.h"

#define S_DEFAULT_LIMIT 1000
#define S_MAX_LIMIT 100000



typedef int (s_case_fn)(void *arg, Kefu__Case *c);

/* Calls fn for each case opened in [from, to) (to 0: no end), in time
 * order, until fn returns non-zero. */
static int s_each_case(intake_t *self, cmd_t *cmd, store_txn_t *txn, int64_t from, int64_t to,
                       s_case_fn *fn, void *arg)
{
    store_cursor_t *cur;
    int rc = store_cursor_open(txn, self->t.case_time, &cur);
    if (rc)
        return rc;
    uint8_t start[8];
    intake_time_key(start, from > 0 ? from : 0, NULL);
    rc = store_cursor_seek(cur, start, 8);
    const void *k, *v;
    size_t kl, vl;
    while (rc == 0 && store_cursor_next(cur, &k, &kl, &v, &vl) == 0) {
        if (kl <= 8 || kl > 8 + 79)
            continue;
        if (to > 0 && intake_key_time(k) >= to)
            break;
        char id[80];
        memcpy(id, (const uint8_t *) k + 8, kl - 8);
        id[kl - 8] = '\0';
        Kefu__Case *c = intake_get(txn, self->t.cases, id, &kefu__case__descriptor, cmd_arena(cmd));
        if (c && fn(arg, c))
            break;
    }
    store_cursor_close(&cur);
    return rc == KEFU_ENOTFOUND ? 0 : rc;
}

typedef struct {
    const Kefu__CaseQuery *q;
    Kefu__Case **items;
    size_t n, cap;
    cmd_t *cmd;
} s_select_t;

static int s_select(void *arg, Kefu__Case *c)
{
    s_select_t *s = arg;
    const Kefu__CaseQuery *q = s->q;
    if ((q->owner && *q->owner && (!c->owner || strcmp(c->owner, q->owner))) ||
        (q->has_kind && q->kind && c->kind != q->kind) ||
        (q->has_state && q->state && c->state != q->state) ||
        (q->has_type && q->type && c->type != q->type) ||
        (q->customer && *q->customer && (!c->customer || strcmp(c->customer, q->customer))) ||
        (q->order && *q->order && (!c->order || strcmp(c->order, q->order))))
        return 0;
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 64;
        s->items = arena_grow(cmd_arena(s->cmd), s->items, s->n, cap, sizeof *s->items);
        s->cap = cap;
    }
    s->items[s->n++] = c;
    return 0;
}

int intake_query_cases(intake_t *self, cmd_t *cmd, store_txn_t *txn, const Kefu__CaseQuery *q,
                       Kefu__Reply *reply)
{
    uint32_t limit = q->has_limit && q->limit ? q->limit : S_DEFAULT_LIMIT;
    if (limit > S_MAX_LIMIT) {
        cmd_errmsg(cmd, "at most %d cases at a time", S_MAX_LIMIT);
        return KEFU_EINVAL;
    }
    if (q->has_from && q->has_to && q->to <= q->from) {
        cmd_errmsg(cmd, "the period ends before it starts");
        return KEFU_EINVAL;
    }
    s_select_t s = {.q = q, .cmd = cmd};
    int rc = s_each_case(self, cmd, txn, q->has_from ? q->from : 0, q->has_to ? q->to : 0,
                         s_select, &s);
    if (rc)
        return rc;
    /* Newest last (time order); keep the newest `limit` of them. */
    size_t skip = s.n > limit ? s.n - limit : 0;
    Kefu__CaseItems *items = cmd_alloc(cmd, sizeof *items);
    kefu__case_items__init(items);
    items->n_items = s.n - skip;
    items->items = s.items + skip;
    reply->rep_case = KEFU__REPLY__REP_CASES;
    reply->cases = items;
    return 0;
}

/* ---- analysis ------------------------------------------------------------------- */

typedef struct {
    int64_t *first_reply, *resolution;
    size_t nfirst, nres, capfirst, capres;
    uint32_t count, resolved, late;
} s_group_t;

static void s_push(cmd_t *cmd, int64_t **v, size_t *n, size_t *cap, int64_t x)
{
    if (*n == *cap) {
        *cap = *cap ? 2 * *cap : 64;
        *v = arena_grow(cmd_arena(cmd), *v, *n, *cap, sizeof **v);
    }
    (*v)[(*n)++] = x;
}

typedef struct {
    s_group_t g[KEFU__CASE_KIND__CASE_KIND_DELAY + 1];
    uint32_t total;
    int64_t now;
    cmd_t *cmd;
} s_analysis_t;

static int s_tally(void *arg, Kefu__Case *c)
{
    s_analysis_t *an = arg;
    if (c->kind <= 0 || c->kind > KEFU__CASE_KIND__CASE_KIND_DELAY)
        return 0;
    s_group_t *g = &an->g[c->kind];
    g->count++;
    an->total++;
    if (c->has_first_reply_at)
        s_push(an->cmd, &g->first_reply, &g->nfirst, &g->capfirst, c->first_reply_at - c->opened_at);
    if (c->has_resolved_at) {
        g->resolved++;
        s_push(an->cmd, &g->resolution, &g->nres, &g->capres, c->resolved_at - c->opened_at);
    }
    if (c->has_reply_due && (c->has_first_reply_at ? c->first_reply_at > c->reply_due
                                                   : an->now > c->reply_due))
        g->late++;
    return 0;
}

static int s_cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
    return x < y ? -1 : x > y;
}

/* The median of v[0..n): the middle value, or the mean of the two middle
 * ones (rounded down) for an even count. */
static int64_t s_median(int64_t *v, size_t n)
{
    qsort(v, n, sizeof *v, s_cmp64);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int intake_query_analysis(intake_t *self, cmd_t *cmd, store_txn_t *txn,
                          const Kefu__CaseAnalysisQuery *q, Kefu__Reply *reply)
{
    if (!q->has_from || !q->has_to || q->to <= q->from) {
        cmd_errmsg(cmd, "an analysis needs a period (--from and --to, --week or --month)");
        return KEFU_EINVAL;
    }
    s_analysis_t *an = cmd_alloc(cmd, sizeof *an);
    an->cmd = cmd;
    an->now = kclock_now(self->d->clock);
    int rc = s_each_case(self, cmd, txn, q->from, q->to, s_tally, an);
    if (rc)
        return rc;
    Kefu__CaseAnalysis *out = cmd_alloc(cmd, sizeof *out);
    kefu__case_analysis__init(out);
    out->has_from = out->has_to = out->has_total = true;
    out->from = q->from;
    out->to = q->to;
    out->total = an->total;
    out->rows = cmd_alloc(cmd, KEFU__CASE_KIND__CASE_KIND_DELAY * sizeof *out->rows);
    for (int k = 1; k <= KEFU__CASE_KIND__CASE_KIND_DELAY; k++) {
        s_group_t *g = &an->g[k];
        if (g->count == 0)
            continue;
        Kefu__CaseAnalysisRow *r = cmd_alloc(cmd, sizeof *r);
        kefu__case_analysis_row__init(r);
        r->has_kind = r->has_count = r->has_share_permille = r->has_resolved = r->has_late_replies = true;
        r->kind = (Kefu__CaseKind) k;
        r->count = g->count;
        r->share_permille = (uint32_t) ((g->count * 1000u + an->total / 2) / an->total);
        r->resolved = g->resolved;
        r->late_replies = g->late;
        if (g->nfirst) {
            r->has_median_first_reply_us = true;
            r->median_first_reply_us = s_median(g->first_reply, g->nfirst);
        }
        if (g->nres) {
            r->has_median_resolution_us = true;
            r->median_resolution_us = s_median(g->resolution, g->nres);
        }
        out->rows[out->n_rows++] = r;
    }
    reply->rep_case = KEFU__REPLY__REP_ANALYSIS;
    reply->analysis = out;
    return 0;
}

/* ---- plain lists ----------------------------------------------------------------------- */

/* Every record of table t (decoded with desc) that keep() accepts. */
static int s_all(cmd_t *cmd, store_txn_t *txn, store_table_t t, const ProtobufCMessageDescriptor *desc,
                 bool (*keep)(const void *m, const Kefu__Request *req), const Kefu__Request *req,
                 void ***items, size_t *n)
{
    store_cursor_t *cur;
    int rc = store_cursor_open(txn, t, &cur);
    if (rc)
        return rc;
    store_cursor_seek(cur, NULL, 0);
    size_t cap = 0;
    *items = NULL;
    *n = 0;
    const void *k, *v;
    size_t kl, vl;
    while (store_cursor_next(cur, &k, &kl, &v, &vl) == 0 && *n < S_MAX_LIMIT) {
        void *m = protobuf_c_message_unpack(desc, arena_pbc(cmd_arena(cmd)), vl, v);
        if (!m || !keep(m, req))
            continue;
        if (*n == cap) {
            cap = cap ? 2 * cap : 64;
            *items = arena_grow(cmd_arena(cmd), *items, *n, cap, sizeof **items);
        }
        (*items)[(*n)++] = m;
    }
    store_cursor_close(&cur);
    return 0;
}

static bool s_same(const char *want, const char *have)
{
    return !want || !*want || (have && strcmp(want, have) == 0);
}

static bool s_keep_customer(const void *m, const Kefu__Request *req)
{
    const Kefu__Customer *c = m;
    const Kefu__CustomerList *q = req->customer_list;
    return !q->has_tier || !q->tier || c->tier == q->tier;
}

static bool s_keep_order(const void *m, const Kefu__Request *req)
{
    return s_same(req->order_list->customer, ((const Kefu__Order *) m)->customer);
}

static bool s_keep_aftersales(const void *m, const Kefu__Request *req)
{
    return s_same(req->after_sales_list->order, ((const Kefu__AfterSales *) m)->order);
}

static bool s_keep_consult(const void *m, const Kefu__Request *req)
{
    const Kefu__Consultation *c = m;
    const Kefu__ConsultationList *q = req->consultation_list;
    return s_same(q->by, c->by) && (!q->has_from || c->at >= q->from) && (!q->has_to || c->at < q->to);
}

int intake_list(intake_t *self, cmd_t *cmd, store_txn_t *txn, const Kefu__Request *req,
                Kefu__Reply *reply)
{
    void **items;
    size_t n;
    int rc;
    switch (req->req_case) {
    case KEFU__REQUEST__REQ_CUSTOMER_LIST: {
        rc = s_all(cmd, txn, self->t.customers, &kefu__customer__descriptor, s_keep_customer, req, &items, &n);
        Kefu__CustomerItems *out = cmd_alloc(cmd, sizeof *out);
        kefu__customer_items__init(out);
        out->n_items = n;
        out->items = (Kefu__Customer **) items;
        reply->rep_case = KEFU__REPLY__REP_CUSTOMERS;
        reply->customers = out;
        return rc;
    }
    case KEFU__REQUEST__REQ_ORDER_LIST: {
        rc = s_all(cmd, txn, self->t.orders, &kefu__order__descriptor, s_keep_order, req, &items, &n);
        Kefu__OrderItems *out = cmd_alloc(cmd, sizeof *out);
        kefu__order_items__init(out);
        out->n_items = n;
        out->items = (Kefu__Order **) items;
        reply->rep_case = KEFU__REPLY__REP_ORDERS;
        reply->orders = out;
        return rc;
    }
    case KEFU__REQUEST__REQ_AFTER_SALES_LIST: {
        rc = s_all(cmd, txn, self->t.aftersales, &kefu__after_sales__descriptor, s_keep_aftersales, req,
                   &items, &n);
        Kefu__AfterSalesItems *out = cmd_alloc(cmd, sizeof *out);
        kefu__after_sales_items__init(out);
        out->n_items = n;
        out->items = (Kefu__AfterSales **) items;
        reply->rep_case = KEFU__REPLY__REP_AFTER_SALES_ITEMS;
        reply->after_sales_items = out;
        return rc;
    }
    case KEFU__REQUEST__REQ_CONSULTATION_LIST: {
        rc = s_all(cmd, txn, self->t.consults, &kefu__consultation__descriptor, s_keep_consult, req,
                   &items, &n);
        Kefu__ConsultationItems *out = cmd_alloc(cmd, sizeof *out);
        kefu__consultation_items__init(out);
        out->n_items = n;
        out->items = (Kefu__Consultation **) items;
        reply->rep_case = KEFU__REPLY__REP_CONSULTATIONS;
        reply->consultations = out;
        return rc;
    }
    default:
        return KEFU_EUNSUPPORTED;
    }
}
