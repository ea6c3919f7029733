/* intake_store.c: intake's LMDB schema and record access.
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
 *   requests    (cmdq.h) request id -> the first event it made
 *   meta        applied position (consumer.h), id counters (kid.h), the
 *               layout ("schema": another one is rebuilt from the log)
 * Records are the protobuf state messages of proto/intake.proto, so what
 * is stored is what the answers carry.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "intake.h"
#include "kerr.h"
#include "klog.h"
#include "site.h"

/* The layout of the tables below. A store of another layout is emptied
 * at start and rebuilt from the log (it is derived from the log alone):
 *   1  (no "schema" key) before case_index and case_history
 *   2  case_index, case_history, the newest 20 history entries per case */
#define S_SCHEMA 2

typedef struct {
    uint64_t schema, applied;
} s_meta_t;

static int s_read_meta(store_txn_t *txn, void *arg)
{
    s_meta_t *m = arg;
    int rc = store_meta_get_u64(txn, "schema", &m->schema);
    if (rc == 0)
        rc = store_meta_get_u64(txn, "applied", &m->applied);  /* consumer.h */
    return rc;
}

static int s_write_schema(store_txn_t *txn, void *arg)
{
    (void) arg;
    return store_meta_put_u64(txn, "schema", S_SCHEMA);
}

/* Opens the store at path; one written by another schema is removed and
 * made afresh (the consumer then replays the log from seq 1). */
static int s_open(store_t **store, const char *path)
{
    int rc = store_open(store, path, NULL);
    s_meta_t m = {0, 0};
    if (rc == 0)
        rc = store_write(*store, s_read_meta, &m);
    if (rc || m.schema == S_SCHEMA)
        return rc;
    if (m.schema != 0 || m.applied != 0) {
        klog_warn("the store in %s has layout %llu, this build uses %u: it is emptied and "
                  "rebuilt from the log", path, (unsigned long long) (m.schema ? m.schema : 1),
                  S_SCHEMA);
        store_destroy(store);
        char f[PATH_MAX + 32];
        const char *files[] = {"data.mdb", "lock.mdb"};
        for (size_t i = 0; i < 2; i++) {
            snprintf(f, sizeof f, "%s/%s", path, files[i]);
            if (unlink(f) != 0 && errno != ENOENT)
                return errno;
        }
        if ((rc = store_open(store, path, NULL)) != 0)
            return rc;
    }
    return store_write(*store, s_write_schema, NULL);
}

int intake_store_open(intake_t *self)
{
    char path[PATH_MAX + 16];
    site_path(self->d->site, "intake", path, sizeof path);
    int rc = s_open(&self->store, path);
    if (rc)
        return rc;
    struct {
        const char *name;
        store_table_t *t;
    } tables[] = {
        {"customers", &self->t.customers}, {"orders", &self->t.orders},
        {"cases", &self->t.cases},         {"case_time", &self->t.case_time},
        {"case_index", &self->t.case_index}, {"case_history", &self->t.case_history},
        {"aftersales", &self->t.aftersales}, {"consults", &self->t.consults},
    };
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++)
        if ((rc = store_table(self->store, tables[i].name, tables[i].t)) != 0)
            return rc;
    return 0;
}

void *intake_get(store_txn_t *txn, store_table_t t, const char *id,
                 const ProtobufCMessageDescriptor *desc, arena_t *arena)
{
    if (!id || !*id)
        return NULL;
    const void *v;
    size_t vlen;
    if (store_get(txn, t, id, strlen(id), &v, &vlen) != 0)
        return NULL;
    ProtobufCMessage *m = protobuf_c_message_unpack(desc, arena_pbc(arena), vlen, v);
    if (!m)
        klog_error("record %s (%s) does not decode", id, desc->short_name);
    return m;
}

bool intake_exists(store_txn_t *txn, store_table_t t, const char *id)
{
    const void *v;
    size_t vlen;
    return id && *id && store_get(txn, t, id, strlen(id), &v, &vlen) == 0;
}

int intake_put(store_txn_t *txn, store_table_t t, const char *id, const ProtobufCMessage *msg)
{
    size_t len = protobuf_c_message_get_packed_size(msg);
    uint8_t stack[4096];
    uint8_t *buf = len <= sizeof stack ? stack : malloc(len);
    if (!buf)
        return KEFU_EINTERNAL;
    protobuf_c_message_pack(msg, buf);
    int rc = store_put(txn, t, id, strlen(id), buf, len);
    if (buf != stack)
        free(buf);
    return rc;
}

size_t intake_time_key(uint8_t *key, int64_t at, const char *id)
{
    uint64_t u = (uint64_t) at;
    for (int i = 0; i < 8; i++)
        key[i] = (uint8_t) (u >> (56 - 8 * i));
    size_t n = id ? strlen(id) : 0;
    memcpy(key + 8, id ? id : "", n);
    return 8 + n;
}

int64_t intake_key_time(const uint8_t *key)
{
    uint64_t u = 0;
    for (int i = 0; i < 8; i++)
        u = u << 8 | key[i];
    return (int64_t) u;
}
