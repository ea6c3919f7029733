/* krecord.c: protobuf records by id (krecord.h). */
#include "krecord.h"

#include <stdlib.h>
#include <string.h>

#include "kerr.h"
#include "klog.h"

void *krecord_get(store_txn_t *txn, store_table_t t, const char *id,
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

bool krecord_exists(store_txn_t *txn, store_table_t t, const char *id)
{
    const void *v;
    size_t vlen;
    return id && *id && store_get(txn, t, id, strlen(id), &v, &vlen) == 0;
}

int krecord_put(store_txn_t *txn, store_table_t t, const char *id, const ProtobufCMessage *msg)
{
    return krecord_put_key(txn, t, id, strlen(id), msg);
}

int krecord_put_key(store_txn_t *txn, store_table_t t, const void *key, size_t klen,
                    const ProtobufCMessage *msg)
{
    size_t len = protobuf_c_message_get_packed_size(msg);
    uint8_t stack[4096];
    uint8_t *buf = len <= sizeof stack ? stack : malloc(len);
    if (!buf)
        return KEFU_EINTERNAL;
    protobuf_c_message_pack(msg, buf);
    int rc = store_put(txn, t, key, klen, buf, len);
    if (buf != stack)
        free(buf);
    return rc;
}

size_t krecord_time_key(uint8_t *key, int64_t at, const char *id)
{
    uint64_t u = (uint64_t) at;
    for (int i = 0; i < 8; i++)
        key[i] = (uint8_t) (u >> (56 - 8 * i));
    size_t n = id ? strlen(id) : 0;
    memcpy(key + 8, id ? id : "", n);
    return 8 + n;
}

int64_t krecord_key_time(const uint8_t *key)
{
    uint64_t u = 0;
    for (int i = 0; i < 8; i++)
        u = u << 8 | key[i];
    return (int64_t) u;
}

int krecord_list(store_txn_t *txn, store_table_t t, const ProtobufCMessageDescriptor *desc,
                 arena_t *arena, krecord_keep_fn *keep, const void *arg, size_t max,
                 void ***items, size_t *n)
{
    *items = NULL;
    *n = 0;
    store_cursor_t *cur;
    int rc = store_cursor_open(txn, t, &cur);
    if (rc)
        return rc;
    store_cursor_seek(cur, NULL, 0);
    size_t cap = 0;
    const void *k, *v;
    size_t kl, vl;
    while (*n < max && (rc = store_cursor_next(cur, &k, &kl, &v, &vl)) == 0) {
        void *m = protobuf_c_message_unpack(desc, arena_pbc(arena), vl, v);
        if (!m || (keep && !keep(m, arg)))
            continue;
        if (*n == cap) {
            cap = cap ? 2 * cap : 64;
            *items = arena_grow(arena, *items, *n, cap, sizeof **items);
        }
        (*items)[(*n)++] = m;
    }
    store_cursor_close(&cur);
    return rc == KEFU_ENOTFOUND ? 0 : rc;
}
