/* intake_store.c: intake's LMDB schema.
 *
 * Tables (all in DIR/intake/):
 *   customers   customer id -> packed kefu.Customer
 *   orders      order id    -> packed kefu.Order
 *   cases       case id     -> packed kefu.Case (with its newest history)
 *   case_time   8-byte big-endian opened_at, then the case id -> ""
 *               (the complaint register in time order, for period queries)
 *   case_index  tag, field value, NUL, be64 opened_at, case id -> ""
 *               (the register by owner, customer, order, kind, type, state)
 *   case_history case id, NUL, be32 entry number -> packed kefu.CaseEntry
 *               (every case's whole history; intake_index.c)
 *   aftersales  request id  -> packed kefu.AfterSales
 *   consults    id          -> packed kefu.Consultation
 *   staff       name        -> packed kefu.Staff (who may act: cmdq.h)
 *   requests    (cmdq.h) request id -> the first event it made
 *   meta        applied position (consumer.h), id counters (kid.h), the
 *               layout ("schema": another one is rebuilt from the log)
 * Records are the protobuf state messages of proto/intake.proto, so what
 * is stored is what the answers carry (krecord.h). The kit (kservice.h)
 * opens the store and the tables named in intake_table_names.
 */
#include <stdio.h>
#include <string.h>

#include "intake.h"

/* The layout of the tables above, INTAKE_SCHEMA (kservice.h: a store of
 * another one is emptied at start and rebuilt from the log):
 *   1  (no "schema" key) before case_index and case_history
 *   2  case_index, case_history, the newest 20 history entries per case
 *   3  staff */
const char *const intake_table_names[] = {
    "customers", "orders", "cases", "case_time", "case_index", "case_history",
    "aftersales", "consults", "staff", NULL,
};

void intake_store_tables(intake_t *self)
{
    kservice_t *k = self->svc;
    self->t.customers = kservice_table(k, "customers");
    self->t.orders = kservice_table(k, "orders");
    self->t.cases = kservice_table(k, "cases");
    self->t.case_time = kservice_table(k, "case_time");
    self->t.case_index = kservice_table(k, "case_index");
    self->t.case_history = kservice_table(k, "case_history");
    self->t.aftersales = kservice_table(k, "aftersales");
    self->t.consults = kservice_table(k, "consults");
    self->t.staff = kservice_table(k, "staff");
}
