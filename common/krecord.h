/* krecord.h: protobuf records by id in a store table.
 *
 * A business daemon keeps its state as the protobuf messages its answers
 * carry, one per record, keyed by the record's id (kid.h): what is stored
 * is what is answered. These three calls are the whole access layer; the
 * table and the message type are the caller's.
 */
#ifndef KEFU_KRECORD_H
#define KEFU_KRECORD_H

#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "store.h"

/* The record id of table t, decoded into arena memory (valid until the
 * arena is reset); NULL if absent, id NULL or empty, or undecodable
 * (logged: a store written by a build that can't be read). */
void *krecord_get(store_txn_t *txn, store_table_t t, const char *id,
                  const ProtobufCMessageDescriptor *desc, arena_t *arena);
/* True if table t holds a record id. */
bool krecord_exists(store_txn_t *txn, store_table_t t, const char *id);
/* Writes msg as the record id of table t (write txn). Returns 0 or a
 * store error. */
int krecord_put(store_txn_t *txn, store_table_t t, const char *id, const ProtobufCMessage *msg);
/* The same under a key of any bytes (key[0..klen): a composite key, such
 * as a case's history entry). */
int krecord_put_key(store_txn_t *txn, store_table_t t, const void *key, size_t klen,
                    const ProtobufCMessage *msg);

/* Every record of table t, in key order, decoded with desc into arena
 * memory, that keep(record, arg) accepts (keep NULL: all), at most max:
 * *items (arena memory) and *n. Returns 0 or a store error. */
typedef bool (krecord_keep_fn)(const void *record, const void *arg);
int krecord_list(store_txn_t *txn, store_table_t t, const ProtobufCMessageDescriptor *desc,
                 arena_t *arena, krecord_keep_fn *keep, const void *arg, size_t max,
                 void ***items, size_t *n);

/* A key that sorts by time: at as 8 bytes big-endian, then id's bytes
 * (none if id is NULL), for a table of records in time order (a
 * register, a log of decisions). key needs 8 + strlen(id) bytes; returns
 * the length. krecord_key_time reads the time back. */
size_t krecord_time_key(uint8_t *key, int64_t at, const char *id);
int64_t krecord_key_time(const uint8_t *key);

#endif
