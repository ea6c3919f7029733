/* evlog_sync.h: the log's syncer thread (group commit).
 *
 * The main thread fills an open batch of records and submits it; the
 * syncer writes and fdatasyncs one batch at a time (evlog_store_write_batch)
 * and reports each finished batch on a socket the main loop polls. A batch
 * submitted while another one is still queued is merged into it, and the
 * syncer takes the queued batch the moment it finishes the previous one,
 * without waiting for the main thread: every fdatasync covers everything
 * that arrived while the previous one ran.
 */
#ifndef KEFU_EVLOG_SYNC_H
#define KEFU_EVLOG_SYNC_H

#include <czmq.h>
#include <stdbool.h>

#include "evlog_store.h"

typedef struct evlog_sync_t evlog_sync_t;

/* Starts the syncer thread for store. Returns NULL on failure. */
evlog_sync_t *evlog_sync_new(evlog_store_t *store);
/* Writes what is queued, stops the thread, frees every batch. Accepts NULL. */
void evlog_sync_destroy(evlog_sync_t **self_p);

/* An empty batch for the main thread to fill (owned by the caller until
 * submitted). Never NULL. */
evlog_batch_t *evlog_sync_batch(evlog_sync_t *self);
/* Hands *batch_p to the syncer (or merges it into the batch already
 * queued) and replaces it with an empty batch. Does nothing if empty.
 * A small batch with nothing else in the pipeline is written at once by
 * the calling thread instead: then it is returned, finished, and the
 * caller treats it as it would one from evlog_sync_done(). Otherwise
 * returns NULL. */
evlog_batch_t *evlog_sync_submit(evlog_sync_t *self, evlog_batch_t **batch_p);

/* The socket that becomes readable when a batch is finished. */
zsock_t *evlog_sync_sock(evlog_sync_t *self);
/* The next finished batch, in submission order, or NULL if none is ready
 * (waits up to timeout_ms; 0 does not wait). The caller gives it back with
 * evlog_sync_release() once it has acknowledged it. */
evlog_batch_t *evlog_sync_done(evlog_sync_t *self, int timeout_ms);
void evlog_sync_release(evlog_sync_t *self, evlog_batch_t *batch);
/* True while a batch waits for room on the disk for a new segment (the
 * file system is full): new appends should be refused, not queued. */
bool evlog_sync_full(evlog_sync_t *self);
/* Batches submitted and not yet returned by evlog_sync_done(). */
unsigned evlog_sync_outstanding(const evlog_sync_t *self);

#endif
