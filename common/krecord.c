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
