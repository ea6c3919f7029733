/* sched_query.c: what sched answers from its store: the production
 * queue, the lists of rush decisions, rework and outsourcing, and the
 * day's production summary (000 §三-四).
 *
 * The queue reads the open table's fixed-size entries (scheduler.h), sorts
 * them by the queue's rule (sched_rules.c) and builds the items asked
 * for, so answering 10,000 open jobs decodes no protobuf.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kerr.h"
#include "ktime.h"
#include "scheduler.h"

#define S_MAX_LIST 100000

typedef struct {
    sched_open_t e;
    char id[65];
    char customer[65];
} s_entry_t;

static int64_t s_today_close(sched_t *self, int64_t now)
{
    int64_t close;
    return deadline_spec_due(self->policy, "same-day", now, &close) == 0 ? close : now;
}

/* Every open entry (into malloc'd *out). */
static int s_open_all(sched_t *self, store_txn_t *txn, s_entry_t **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    store_cursor_t *cur;
    int rc = store_cursor_open(txn, self->t.open, &cur);
    if (rc)
        return rc;
    size_t cap = 0;
    const void *k, *v;
    size_t kl, vl;
    store_cursor_seek(cur, NULL, 0);
    while ((rc = store_cursor_next(cur, &k, &kl, &v, &vl)) == 0) {
        if (vl < sizeof(sched_open_t) || kl > 64 || vl - sizeof(sched_open_t) > 64)
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 1024;
            s_entry_t *grown = realloc(*out, cap * sizeof **out);
            if (!grown) {
                rc = ENOMEM;
                break;
            }
            *out = grown;
        }
        s_entry_t *x = &(*out)[(*n)++];
        memcpy(&x->e, v, sizeof x->e);
        memcpy(x->id, k, kl);
        x->id[kl] = '\0';
        size_t cl = vl - sizeof(sched_open_t);
        memcpy(x->customer, (const uint8_t *) v + sizeof(sched_open_t), cl);
        x->customer[cl] = '\0';
    }
    store_cursor_close(&cur);
    if (rc == KEFU_ENOTFOUND)
        rc = 0;
    if (rc) {
        free(*out);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

int sched_load_by(sched_t *self, store_txn_t *txn, int64_t by, const char *except, uint32_t *load)
{
    *load = 0;
    store_cursor_t *cur;
    int rc = store_cursor_open(txn, self->t.open, &cur);
    if (rc)
        return rc;
    const void *k, *v;
    size_t kl, vl, el = except ? strlen(except) : 0;
    uint64_t sum = 0;
    store_cursor_seek(cur, NULL, 0);
    while ((rc = store_cursor_next(cur, &k, &kl, &v, &vl)) == 0) {
        if (vl < sizeof(sched_open_t) || (kl == el && memcmp(k, except, el) == 0))
            continue;
        sched_open_t e;
        memcpy(&e, v, sizeof e);
        int64_t due = e.rush_due ? e.rush_due : e.promise_at;
        if (due && due <= by)
            sum += e.qty;
    }
    store_cursor_close(&cur);
    *load = sum > UINT32_MAX ? UINT32_MAX : (uint32_t) sum;
    return rc == KEFU_ENOTFOUND ? 0 : rc;
}

/* qsort has no argument: set just before, on the thread sorting (a read
 * may run on cmdq's reader thread) */
static __thread int64_t s_sort_close;

static int s_cmp(const void *a, const void *b)
{
    const s_entry_t *x = a, *y = b;
    return sched_queue_cmp(&x->e, x->id, &y->e, y->id, s_sort_close);
}

int sched_query_queue(sched_t *self, cmd_t *cmd, store_txn_t *txn, const Kefu__QueueQuery *q,
                      Kefu__Reply *reply)
{
    s_entry_t *all;
    size_t n;
    int rc = s_open_all(self, txn, &all, &n);
    if (rc)
        return rc;
    int64_t now = cmd_now(cmd);
    int64_t close = s_today_close(self, now);
    s_sort_close = close;
    /* An empty queue has no array (all is NULL): qsort's pointer must not
     * be NULL even for 0 elements (C11 7.1.4; UBSan, tests/fuzz/regress). */
    if (n > 1)
        qsort(all, n, sizeof *all, s_cmp);
    size_t want = q && q->limit && q->limit < n ? q->limit : n;
    Kefu__QueueItems *out = CMD_NEW(cmd, Kefu__QueueItems, kefu__queue_items__init);
    out->has_total = true;
    out->total = (uint32_t) n;
    out->n_items = want;
    out->items = cmd_alloc(cmd, (want ? want : 1) * sizeof *out->items);
    Kefu__QueueItem *items = cmd_alloc(cmd, (want ? want : 1) * sizeof *items);
    for (size_t i = 0; i < want; i++) {
        const s_entry_t *x = &all[i];
        Kefu__QueueItem *it = &items[i];
        kefu__queue_item__init(it);
        size_t il = strlen(x->id) + 1, cl = strlen(x->customer) + 1;
        char reason[200];
        sched_queue_reason(&x->e, close, self->utc_offset_min, reason, sizeof reason);
        size_t rl = strlen(reason) + 1;
        char *s = cmd_alloc(cmd, il + cl + rl);
        it->order = memcpy(s, x->id, il);
        it->customer = memcpy(s + il, x->customer, cl);
        it->reason = memcpy(s + il + cl, reason, rl);
        it->has_priority = true;
        it->priority = (uint32_t) i + 1;
        it->has_tier = x->e.tier != 0;
        it->tier = x->e.tier;
        it->has_product = true;
        it->product = x->e.product;
        it->has_qty = true;
        it->qty = x->e.qty;
        it->has_stage = x->e.stage != 0;
        it->stage = x->e.stage;
        it->has_uploaded_at = true;
        it->uploaded_at = x->e.uploaded_at;
        int64_t due = x->e.rush_due ? x->e.rush_due : x->e.promise_at;
        it->has_due = due != 0;
        it->due = due;
        out->items[i] = it;
    }
    free(all);
    reply->rep_case = KEFU__REPLY__REP_QUEUE_ITEMS;
    reply->queue_items = out;
    return 0;
}

/* ---- lists --------------------------------------------------------------------------- */

static bool s_keep_rush(const void *m, const void *arg)
{
    const Kefu__RushDecision *d = m;
    const Kefu__RushList *q = arg;
    return (!q->order || !q->order[0] || (d->order && strcmp(q->order, d->order) == 0)) &&
           (!q->has_from || d->at >= q->from) && (!q->has_to || d->at < q->to);
}

typedef struct {
    const Kefu__ReworkList *q;
    int64_t now;
} s_rework_q_t;

static bool s_keep_rework(const void *m, const void *arg)
{
    const Kefu__Rework *w = m;
    const s_rework_q_t *a = arg;
    if (a->q->has_open && a->q->open && w->state != KEFU__REWORK_STATE__REWORK_STATE_OPEN)
        return false;
    return !a->q->has_older_than_us || a->now - w->opened_at > a->q->older_than_us;
}

static bool s_keep_outsource(const void *m, const void *arg)
{
    const Kefu__Outsource *o = m;
    const Kefu__OutsourceList *q = arg;
    return !(q->has_open && q->open) || o->state == KEFU__OUTSOURCE_STATE__OUTSOURCE_STATE_OUT ||
           o->state == KEFU__OUTSOURCE_STATE__OUTSOURCE_STATE_REDO;
}

int sched_list(sched_t *self, cmd_t *cmd, store_txn_t *txn, const Kefu__Request *req,
               Kefu__Reply *reply)
{
    void **items;
    size_t n;
    int rc;
    arena_t *a = cmd_arena(cmd);
    switch (req->req_case) {
    case KEFU__REQUEST__REQ_RUSH_LIST: {
        rc = krecord_list(txn, self->t.rushes, &kefu__rush_decision__descriptor, a, s_keep_rush,
                          req->rush_list, S_MAX_LIST, &items, &n);
        Kefu__RushItems *out = CMD_NEW(cmd, Kefu__RushItems, kefu__rush_items__init);
        out->n_items = n;
        out->items = (Kefu__RushDecision **) items;
        reply->rep_case = KEFU__REPLY__REP_RUSH_ITEMS;
        reply->rush_items = out;
        return rc;
    }
    case KEFU__REQUEST__REQ_REWORK_LIST: {
        s_rework_q_t q = {req->rework_list, cmd_now(cmd)};
        rc = krecord_list(txn, self->t.reworks, &kefu__rework__descriptor, a, s_keep_rework, &q,
                          S_MAX_LIST, &items, &n);
        Kefu__ReworkItems *out = CMD_NEW(cmd, Kefu__ReworkItems, kefu__rework_items__init);
        out->n_items = n;
        out->items = (Kefu__Rework **) items;
        reply->rep_case = KEFU__REPLY__REP_REWORKS;
        reply->reworks = out;
        return rc;
    }
    case KEFU__REQUEST__REQ_OUTSOURCE_LIST: {
        rc = krecord_list(txn, self->t.outsources, &kefu__outsource__descriptor, a,
                          s_keep_outsource, req->outsource_list, S_MAX_LIST, &items, &n);
        Kefu__OutsourceItems *out = CMD_NEW(cmd, Kefu__OutsourceItems, kefu__outsource_items__init);
        out->n_items = n;
        out->items = (Kefu__Outsource **) items;
        reply->rep_case = KEFU__REPLY__REP_OUTSOURCES;
        reply->outsources = out;
        return rc;
    }
    default:
        return KEFU_EUNSUPPORTED;
    }
}

/* ---- the day ------------------------------------------------------------------------- */

static bool s_date_ok(const char *d)
{
    int y, m, day;
    char tail;
    return d && strlen(d) == 10 && sscanf(d, "%4d-%2d-%2d%c", &y, &m, &day, &tail) == 3 &&
           d[4] == '-' && d[7] == '-' && m >= 1 && m <= 12 && day >= 1 &&
           day <= ktime_days_in_month(y, m);
}

int sched_query_day(sched_t *self, cmd_t *cmd, store_txn_t *txn, const Kefu__ProductionDayQuery *q,
                    Kefu__Reply *reply)
{
    char date[11];
    if (q && q->date && q->date[0]) {
        if (!s_date_ok(q->date))
            return cmd_field_bad(cmd, "date", "\"%.20s\" is not a date YYYY-MM-DD", q->date);
        memcpy(date, q->date, 11);
    } else
        sched_local_date(self, cmd_now(cmd), date, sizeof date);
    Kefu__ProductionDay *d = krecord_get(txn, self->t.days, date, &kefu__production_day__descriptor,
                                         cmd_arena(cmd));
    if (!d)
        d = CMD_NEW(cmd, Kefu__ProductionDay, kefu__production_day__init);
    char *ds = cmd_alloc(cmd, 11);
    memcpy(ds, date, 11);
    d->date = ds;
    d->has_quota = true;
    d->quota = self->conf.quota;
    d->has_made = d->has_jobs_done = d->has_rushes_accepted = d->has_rushes_declined = true;
    d->has_quota_used = d->has_lab_rushes = true;
    /* what is open now */
    store_cursor_t *cur;
    int rc = store_cursor_open(txn, self->t.open, &cur);
    const void *k, *v;
    size_t kl, vl;
    uint64_t pending = 0;
    uint32_t jobs = 0;
    if (rc == 0) {
        store_cursor_seek(cur, NULL, 0);
        while (store_cursor_next(cur, &k, &kl, &v, &vl) == 0 && vl >= sizeof(sched_open_t)) {
            sched_open_t e;
            memcpy(&e, v, sizeof e);
            pending += e.qty;
            jobs++;
        }
        store_cursor_close(&cur);
    }
    uint32_t reworks = 0;
    if (rc == 0 && (rc = store_cursor_open(txn, self->t.rework_open, &cur)) == 0) {
        store_cursor_seek(cur, NULL, 0);
        while (store_cursor_next(cur, NULL, NULL, NULL, NULL) == 0)
            reworks++;
        store_cursor_close(&cur);
    }
    void **items;
    size_t n = 0;
    Kefu__OutsourceList open = KEFU__OUTSOURCE_LIST__INIT;
    open.has_open = open.open = true;
    if (rc == 0)
        rc = krecord_list(txn, self->t.outsources, &kefu__outsource__descriptor, cmd_arena(cmd),
                          s_keep_outsource, &open, S_MAX_LIST, &items, &n);
    d->has_pending = d->has_jobs_open = d->has_reworks_open = d->has_outsourced_out = true;
    d->pending = pending > UINT32_MAX ? UINT32_MAX : (uint32_t) pending;
    d->jobs_open = jobs;
    d->reworks_open = reworks;
    d->outsourced_out = (uint32_t) n;
    reply->rep_case = KEFU__REPLY__REP_PRODUCTION;
    reply->production = d;
    return rc;
}
