/* intake_query.c: the complaint register, lists and the analysis by cause.
 *
 * The register (000 §一.5: one line per case) is read newest first from
 * its indexes (intake_index.c), so it reads about what it returns, however
 * many cases the period holds (the walk is described below). The
 * analysis (001; 003 四.四.4) groups the period's cases by kind and the
 * complaints also by responsible party (cause, domain.md §6): count,
 * share, median time to first reply and to resolution, and how many were
 * first answered after their reply deadline; queries are counted apart.
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
    krecord_time_key(start, from > 0 ? from : 0, NULL);
    rc = store_cursor_seek(cur, start, 8);
    const void *k, *v;
    size_t kl, vl;
    while (rc == 0 && store_cursor_next(cur, &k, &kl, &v, &vl) == 0) {
        if (kl <= 8 || kl > 8 + 79)
            continue;
        if (to > 0 && krecord_key_time(k) >= to)
            break;
        char id[80];
        memcpy(id, (const uint8_t *) k + 8, kl - 8);
        id[kl - 8] = '\0';
        Kefu__Case *c = krecord_get(txn, self->t.cases, id, &kefu__case__descriptor, cmd_arena(cmd));
        if (c && fn(arg, c))
            break;
    }
    store_cursor_close(&cur);
    return rc == KEFU_ENOTFOUND ? 0 : rc;
}

/* ---- the register ------------------------------------------------------------- */

/* The register answers the newest `limit` cases that match, in the order
 * opened. Each owner, customer, order or state filter given has its range
 * of case_index (intake_index.c): the cases with that value, in
 * (opened_at, id) order; with none of them the range is case_time itself.
 * Kind and type are checked on each entry's value (few values, each with
 * many matches, so a walk meets one soon). The query walks the ranges backwards from
 * `to` together, leapfrogging: the newest entry of one range is the
 * target, every other range is asked for its newest entry at or before
 * the target, and a range that has none at the target moves the target
 * back to what it has. When every range agrees, the target is a case that
 * matches every filter. So the walk reads about as many entries as the
 * shortest range holds between the matches it returns, never the period,
 * and it stops at `limit` matches (one more says whether older ones
 * exist). Each case found is read and checked against the filters once
 * more (index values are cut at INTAKE_INDEX_VALUE_MAX bytes). */

#define S_SUFFIX_MAX (8 + 80)            /* be64 opened_at + case id */
#define S_MAX_ANSWER (8u << 20)          /* bytes of cases in one answer */
#define S_MAX_RANGES 7

typedef struct {
    store_cursor_t *cur;
    uint8_t prefix[INTAKE_INDEX_PREFIX_MAX];
    size_t plen;
    int kind, type;  /* of the current entry */
} s_range_t;

/* The suffix of entry k of range r into got, its value (kind, type) into
 * r->kind and r->type; KEFU_ENOTFOUND past the range's end. */
static int s_range_out(s_range_t *r, int rc, const void *k, size_t kl, const void *v, size_t vl,
                       uint8_t *got, size_t *glen)
{
    if (rc)
        return rc;
    if (kl <= r->plen + 8 || kl - r->plen >= S_SUFFIX_MAX || memcmp(k, r->prefix, r->plen) != 0)
        return KEFU_ENOTFOUND;  /* before this range: another value's */
    *glen = kl - r->plen;
    memcpy(got, (const uint8_t *) k + r->plen, *glen);
    r->kind = vl >= 2 ? ((const uint8_t *) v)[0] : 0;  /* 0: unknown, read the case */
    r->type = vl >= 2 ? ((const uint8_t *) v)[1] : 0;
    return 0;
}

/* Range r's newest entry at or before suffix want. */
static int s_range_le(s_range_t *r, const uint8_t *want, size_t wlen, uint8_t *got, size_t *glen)
{
    uint8_t key[INTAKE_INDEX_PREFIX_MAX + S_SUFFIX_MAX];
    memcpy(key, r->prefix, r->plen);
    memcpy(key + r->plen, want, wlen);
    const void *k = NULL, *v = NULL;
    size_t kl = 0, vl = 0;
    int rc = store_cursor_last_le(r->cur, key, r->plen + wlen, &k, &kl, &v, &vl);
    return s_range_out(r, rc, k, kl, v, vl, got, glen);
}

/* Range r's entry before its current one. */
static int s_range_prev(s_range_t *r, uint8_t *got, size_t *glen)
{
    const void *k = NULL, *v = NULL;
    size_t kl = 0, vl = 0;
    int rc = store_cursor_prev(r->cur, &k, &kl, &v, &vl);
    return s_range_out(r, rc, k, kl, v, vl, got, glen);
}

/* LMDB's order: bytewise, the shorter first on a tie. */
static int s_cmp(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
    int c = memcmp(a, b, al < bl ? al : bl);
    return c ? c : (al > bl) - (al < bl);
}

static bool s_match(const Kefu__CaseQuery *q, const Kefu__Case *c)
{
    return !((q->owner && *q->owner && (!c->owner || strcmp(c->owner, q->owner))) ||
             (q->has_kind && q->kind && c->kind != q->kind) ||
             (q->has_state && q->state && c->state != q->state) ||
             (q->has_type && q->type && c->type != q->type) ||
             (q->customer && *q->customer && (!c->customer || strcmp(c->customer, q->customer))) ||
             (q->order && *q->order && (!c->order || strcmp(c->order, q->order))));
}

/* The ranges of q's indexed filters, the likely shortest first (it leads
 * the walk); case_time if none. Kind and type are checked on the walk
 * from the entries' values. Returns how many. */
static size_t s_ranges(intake_t *self, const Kefu__CaseQuery *q, s_range_t *r,
                       store_table_t *tables)
{
    size_t n = 0;
#define S_STR(tag, v) \
    if ((v) && *(v)) { r[n].plen = intake_index_prefix(r[n].prefix, tag, v); tables[n++] = self->t.case_index; }
    S_STR('r', q->order);
    S_STR('c', q->customer);
    S_STR('o', q->owner);
#undef S_STR
    if (q->has_state && q->state) {
        r[n].plen = intake_index_prefix_enum(r[n].prefix, 's', q->state);
        tables[n++] = self->t.case_index;
    }
    if (n == 0) {
        r[0].plen = 0;
        tables[n++] = self->t.case_time;
    }
    return n;
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
    s_range_t r[S_MAX_RANGES];
    store_table_t tables[S_MAX_RANGES];
    size_t k = s_ranges(self, q, r, tables), opened = 0;
    int rc = 0;
    for (; opened < k && rc == 0; opened++)
        rc = store_cursor_open(txn, tables[opened], &r[opened].cur);
    if (rc)
        opened--;
    Kefu__CaseItems *items = cmd_alloc(cmd, sizeof *items);
    kefu__case_items__init(items);
    Kefu__Case **found = NULL;  /* newest first */
    size_t n = 0, cap = 0, bytes = 0;
    int64_t from = q->has_from && q->from > 0 ? q->from : 0;
    uint8_t target[S_SUFFIX_MAX], got[S_SUFFIX_MAX];
    size_t tlen = 8, glen, agree = 1, i = 0;
    krecord_time_key(target, q->has_to ? q->to : INT64_MAX, NULL);  /* entries before it */
    if (rc == 0)
        rc = s_range_le(&r[0], target, tlen, target, &tlen);
    while (rc == 0 && krecord_key_time(target) >= from) {
        if (agree < k) {
            i = (i + 1) % k;
            if ((rc = s_range_le(&r[i], target, tlen, got, &glen)) != 0)
                break;
            if (s_cmp(got, glen, target, tlen) == 0)
                agree++;
            else {
                memcpy(target, got, glen);
                tlen = glen;
                agree = 1;
            }
            continue;
        }
        /* every range holds the target: a case that matches the indexed
         * filters; kind and type from the entry, the rest from the case */
        bool skip = (q->has_kind && q->kind && r[i].kind && r[i].kind != (int) q->kind) ||
                    (q->has_type && q->type && r[i].type && r[i].type != (int) q->type);
        char id[S_SUFFIX_MAX];
        memcpy(id, target + 8, tlen - 8);
        id[tlen - 8] = '\0';
        Kefu__Case *c = skip ? NULL
                        : krecord_get(txn, self->t.cases, id, &kefu__case__descriptor, cmd_arena(cmd));
        if (c && s_match(q, c)) {
            if (n == limit || bytes > S_MAX_ANSWER) {
                items->has_more = items->more = true;
                break;
            }
            /* A register line is a case without its history (complaint
             * show has it; history_count says how long it is): the
             * answer stays small, and so does its cost to the reader. */
            c->n_history = 0;
            c->history = NULL;
            c->has_history_from = false;
            intake_commitments_at(c, cmd_now(cmd));
            bytes += kefu__case__get_packed_size(c);
            if (n == cap) {
                cap = cap ? 2 * cap : 64;
                found = arena_grow(cmd_arena(cmd), found, n, cap, sizeof *found);
            }
            found[n++] = c;
        }
        rc = s_range_prev(&r[i], target, &tlen);
        agree = 1;
    }
    while (opened > 0)
        store_cursor_close(&r[--opened].cur);
    if (rc && rc != KEFU_ENOTFOUND)
        return rc;
    /* in the order opened: the oldest of the newest first */
    items->items = cmd_alloc(cmd, (n ? n : 1) * sizeof *items->items);
    for (size_t j = 0; j < n; j++)
        items->items[j] = found[n - 1 - j];
    items->n_items = n;
    reply->rep_case = KEFU__REPLY__REP_CASES;
    reply->cases = items;
    return 0;
}

void intake_commitments_at(Kefu__Case *c, int64_t now)
{
    for (size_t i = 0; c && i < c->n_commitments; i++)
        if (c->commitments[i]->state == KEFU__COMMITMENT_STATE__COMMITMENT_STATE_OPEN &&
            c->commitments[i]->until < now)
            c->commitments[i]->state = KEFU__COMMITMENT_STATE__COMMITMENT_STATE_MISSED;
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
    s_group_t by_cause[KEFU__RESPONSIBLE_PARTY__PARTY_FORCE_MAJEURE + 1];  /* complaints; [0]: no cause yet */
    uint32_t total, complaints, queries;
    int64_t now;
    cmd_t *cmd;
} s_analysis_t;

static void s_count(s_analysis_t *an, s_group_t *g, const Kefu__Case *c)
{
    g->count++;
    if (c->has_first_reply_at)
        s_push(an->cmd, &g->first_reply, &g->nfirst, &g->capfirst, c->first_reply_at - c->opened_at);
    if (c->has_resolved_at) {
        g->resolved++;
        s_push(an->cmd, &g->resolution, &g->nres, &g->capres, c->resolved_at - c->opened_at);
    }
    if (c->has_reply_due && (c->has_first_reply_at ? c->first_reply_at > c->reply_due
                                                   : an->now > c->reply_due))
        g->late++;
}

static int s_tally(void *arg, Kefu__Case *c)
{
    s_analysis_t *an = arg;
    if (c->kind <= 0 || c->kind > KEFU__CASE_KIND__CASE_KIND_DELAY)
        return 0;
    an->total++;
    s_count(an, &an->g[c->kind], c);
    if (c->type == KEFU__CASE_TYPE__CASE_TYPE_QUERY) {
        an->queries++;
    } else {
        an->complaints++;
        int k = c->has_cause && c->cause > 0 && c->cause <= KEFU__RESPONSIBLE_PARTY__PARTY_FORCE_MAJEURE
                    ? (int) c->cause : 0;
        s_count(an, &an->by_cause[k], c);
    }
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

/* One row of the analysis: group g of `of` cases. */
static Kefu__CaseAnalysisRow *s_row(cmd_t *cmd, s_group_t *g, uint32_t of)
{
    Kefu__CaseAnalysisRow *r = cmd_alloc(cmd, sizeof *r);
    kefu__case_analysis_row__init(r);
    r->has_count = r->has_share_permille = r->has_resolved = r->has_late_replies = true;
    r->count = g->count;
    r->share_permille = (uint32_t) ((g->count * 1000u + of / 2) / of);
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
    return r;
}

int intake_query_analysis(intake_t *self, cmd_t *cmd, store_txn_t *txn,
                          const Kefu__CaseAnalysisQuery *q, Kefu__Reply *reply)
{
    if (!q->has_from || !q->has_to || q->to <= q->from) {
        cmd_errmsg(cmd, "from, to: an analysis needs a period, from before to");
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
    out->has_complaints = out->has_queries = true;
    out->complaints = an->complaints;
    out->queries = an->queries;
    out->rows = cmd_alloc(cmd, KEFU__CASE_KIND__CASE_KIND_DELAY * sizeof *out->rows);
    for (int k = 1; k <= KEFU__CASE_KIND__CASE_KIND_DELAY; k++) {
        if (an->g[k].count == 0)
            continue;
        Kefu__CaseAnalysisRow *r = s_row(cmd, &an->g[k], an->total);
        r->has_kind = true;
        r->kind = (Kefu__CaseKind) k;
        out->rows[out->n_rows++] = r;
    }
    /* by responsible party: share of the complaints; the ones without a
     * cause yet last, as a row with none */
    out->by_cause = cmd_alloc(cmd, (KEFU__RESPONSIBLE_PARTY__PARTY_FORCE_MAJEURE + 1) * sizeof *out->by_cause);
    for (int k = 1; k <= KEFU__RESPONSIBLE_PARTY__PARTY_FORCE_MAJEURE + 1; k++) {
        int i = k % (KEFU__RESPONSIBLE_PARTY__PARTY_FORCE_MAJEURE + 1);
        if (an->by_cause[i].count == 0)
            continue;
        Kefu__CaseAnalysisRow *r = s_row(cmd, &an->by_cause[i], an->complaints);
        r->has_cause = i != 0;
        r->cause = (Kefu__ResponsibleParty) i;
        out->by_cause[out->n_by_cause++] = r;
    }
    reply->rep_case = KEFU__REPLY__REP_ANALYSIS;
    reply->analysis = out;
    return 0;
}

/* ---- plain lists ----------------------------------------------------------------------- */

/* Every record of table t that keep() accepts (krecord_list). */
#define s_all(cmd, txn, t, desc, keep, req, items, n) \
    krecord_list(txn, t, desc, cmd_arena(cmd), keep, req, S_MAX_LIMIT, items, n)

static bool s_same(const char *want, const char *have)
{
    return !want || !*want || (have && strcmp(want, have) == 0);
}

static bool s_keep_customer(const void *m, const void *arg)
{
    const Kefu__Request *req = arg;
    const Kefu__Customer *c = m;
    const Kefu__CustomerList *q = req->customer_list;
    return !q->has_tier || !q->tier || c->tier == q->tier;
}

static bool s_keep_order(const void *m, const void *arg)
{
    const Kefu__Request *req = arg;
    return s_same(req->order_list->customer, ((const Kefu__Order *) m)->customer);
}

static bool s_keep_aftersales(const void *m, const void *arg)
{
    const Kefu__Request *req = arg;
    return s_same(req->after_sales_list->order, ((const Kefu__AfterSales *) m)->order);
}

static bool s_keep_consult(const void *m, const void *arg)
{
    const Kefu__Request *req = arg;
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
