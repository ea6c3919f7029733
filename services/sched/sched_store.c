/* sched_store.c: sched's LMDB schema.
 *
 * Tables (all in DIR/sched/):
 *   jobs        order id -> packed kefu.Job: an order's production
 *   open        order id -> sched_open_t, then the customer id: one entry
 *               per job not done, what the queue sorts (scheduler.h); so the
 *               queue reads fixed-size entries, not 10,000 protobufs
 *   customers   customer id -> one byte, the Tier (intake's facts)
 *   cases       case id -> order id (intake's cases on an order)
 *   rushes      decision id -> packed kefu.RushDecision
 *   rush_time   be64(at) id -> "": decisions in time order
 *   cust_rush   customer id, NUL, be64(at), decision id -> "": rush requests
 *               by customer
 *               (the "rush often" count of rule 3)
 *   reworks     id -> packed kefu.Rework
 *   rework_open be64(opened_at) id -> "": open rework, oldest first
 *   outsources  id -> packed kefu.Outsource
 *   days        YYYY-MM-DD (the site's local date) -> packed
 *               kefu.ProductionDay: the day's counters (made, rushes by
 *               rule, quota used)
 *   requests, replies, kservice.reactions   the kit's (cmdq.h, kservice.h)
 *   meta        applied position, id counters, the layout ("schema")
 * Everything is derived from the log: deleting the folder rebuilds it.
 */
#include <string.h>

#include "kerr.h"
#include "ktime.h"
#include "scheduler.h"

/* SCHED_SCHEMA 1: the tables above. */
const char *const sched_table_names[] = {
    "jobs", "open", "customers", "cases", "rushes", "rush_time", "cust_rush",
    "reworks", "rework_open", "outsources", "days", NULL,
};

void sched_store_tables(sched_t *self)
{
    kservice_t *k = self->svc;
    self->t.jobs = kservice_table(k, "jobs");
    self->t.open = kservice_table(k, "open");
    self->t.customers = kservice_table(k, "customers");
    self->t.cases = kservice_table(k, "cases");
    self->t.rushes = kservice_table(k, "rushes");
    self->t.rush_time = kservice_table(k, "rush_time");
    self->t.cust_rush = kservice_table(k, "cust_rush");
    self->t.reworks = kservice_table(k, "reworks");
    self->t.rework_open = kservice_table(k, "rework_open");
    self->t.outsources = kservice_table(k, "outsources");
    self->t.days = kservice_table(k, "days");
}

int64_t sched_job_due(const Kefu__Job *job)
{
    return job->has_rush_due && job->rush_due ? job->rush_due : job->promise_at;
}

int sched_open_put(sched_t *self, store_txn_t *txn, const Kefu__Job *job)
{
    size_t idlen = strlen(job->order);
    if (job->stage == KEFU__STAGE__STAGE_DONE) {
        int rc = store_del(txn, self->t.open, job->order, idlen);
        return rc == KEFU_ENOTFOUND ? 0 : rc;
    }
    uint8_t buf[sizeof(sched_open_t) + 80];
    sched_open_t e;
    memset(&e, 0, sizeof e);
    e.uploaded_at = job->uploaded_at;
    e.promise_at = job->promise_at;
    e.rush_due = job->has_rush_due ? job->rush_due : 0;
    e.rush_accepted_at = job->rush_accepted_at;
    e.qty = job->qty;
    e.tier = (uint8_t) job->tier;
    e.product = (uint8_t) job->product;
    e.stage = (uint8_t) job->stage;
    e.lab = job->rush_cause == KEFU__CAUSE__CAUSE_LAB && e.rush_due;
    e.rush_level = e.rush_due ? (uint8_t) job->rush_level : 0;
    e.rush_rule = (uint8_t) job->rush_rule;
    size_t clen = job->customer ? strlen(job->customer) : 0;
    if (clen > 64)
        clen = 64;
    memcpy(buf, &e, sizeof e);
    memcpy(buf + sizeof e, job->customer ? job->customer : "", clen);
    return store_put(txn, self->t.open, job->order, idlen, buf, sizeof e + clen);
}

void sched_local_date(const sched_t *self, int64_t t, char *buf, size_t cap)
{
    char full[40];
    if (ktime_format_rfc3339(t, self->utc_offset_min, full, sizeof full) < 0 || cap < 11) {
        if (cap)
            buf[0] = '\0';
        return;
    }
    memcpy(buf, full, 10);
    buf[10] = '\0';
}
