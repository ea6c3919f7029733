/* consumer.h: how a daemon applies the log to its store, exactly once.
 *
 * A consumer subscribes to the log from the position saved in the
 * daemon's store (meta key "applied"), catches up, then follows live
 * (evlog_client_subscribe). Every batch of records it receives is applied
 * in one store write transaction that also saves the new position, so the
 * state and the position can't disagree: after a kill -9 the daemon
 * resumes from the last committed batch, and no event is applied twice or
 * skipped. The daemon's apply function sees each event decoded.
 *
 * Durability is the log's, not the store's: the consumer's commit is atomic
 * and consistent but not synced (store.h, the default of store_open), so
 * a consumer costs the log's producers no fdatasync per batch. The
 * guarantee, for a store opened with the defaults:
 *   - kill -9 of the daemon: nothing lost, nothing applied twice (the
 *     commits are in the page cache, state and position together);
 *   - system crash or power loss: the store may be behind or torn, so it
 *     is not trusted. The next open finds the mark the store carried with
 *     the old boot id, empties the store (store_was_reset), and the
 *     consumer, reading position 0, replays the whole log from seq 1:
 *     again nothing lost, nothing applied twice, at the price of a
 *     rebuild (replay.rate in `make bench`).
 * A clean stop (store_destroy) syncs the store, so a planned reboot
 * rebuilds nothing.
 */
#ifndef KEFU_CONSUMER_H
#define KEFU_CONSUMER_H

#include <stdbool.h>
#include <stdint.h>

#include "event.pb-c.h"
#include "evlog_client.h"
#include "store.h"

typedef struct consumer_t consumer_t;

/* Applies one event (rec: its seq and packed bytes; ev: decoded) inside
 * the batch's write transaction. Every event of the log comes through,
 * other daemons' too: an apply function skips (returns 0 for) the types
 * it does not handle, including types newer than itself (body_case not
 * set) and events that do not decode (ev NULL); returning an error for
 * them would stop the daemon at that event. Return 0, or a
 * code to abort the whole batch (it is delivered again later). Events
 * that fail to decode are passed with ev NULL (the daemon decides; most
 * skip them). May run again for the same event if the transaction is
 * retried after a map growth, never after a commit. */
typedef int (consumer_apply_fn)(void *arg, store_txn_t *txn, const evlog_record_t *rec,
                                const Kefu__Envelope *ev);
/* Called after each committed batch with the new position. */
typedef void (consumer_applied_fn)(void *arg, uint64_t applied, uint64_t head);

/* Called when a batch could not be applied or committed (rc: the apply
 * function's or the store's error; first: the batch's first seq). The
 * batch is delivered again later. */
typedef void (consumer_failed_fn)(void *arg, int rc, uint64_t first);

/* New consumer applying the log through client to store. Reads the saved
 * position. Returns NULL with errno set on a store error. */
consumer_t *consumer_new(store_t *store, evlog_client_t *client,
                         consumer_apply_fn *apply, consumer_applied_fn *applied, void *arg);
void consumer_destroy(consumer_t **self_p);

/* Which events the daemon applies, by body case (arg as consumer_new's):
 * the others are not decoded and not passed to apply (the position still
 * moves past them), so a daemon pays nothing for the site's other
 * daemons' events. An event whose case can't be read off its bytes is
 * decoded and passed as always. Without one, every event is passed. */
typedef bool (consumer_want_fn)(void *arg, int body_case);
void consumer_set_want(consumer_t *self, consumer_want_fn *want);

/* Called inside each batch's transaction, after its events are applied and
 * before it commits (again if the transaction is run again): what the
 * daemon writes along with the batch. Return 0, or a code to abort it. */
typedef int (consumer_batch_fn)(void *arg, store_txn_t *txn);
void consumer_on_batch(consumer_t *self, consumer_batch_fn *batch);

/* Sets a function told of every batch that fails (arg as consumer_new's). */
void consumer_on_failure(consumer_t *self, consumer_failed_fn *failed);

/* Starts the subscription from the saved position + 1. Returns 0. */
int consumer_start(consumer_t *self);
/* The last seq applied and committed. */
uint64_t consumer_applied(const consumer_t *self);

#endif
