/* evlog_store.h: the event log's files: segments, recovery, reads.
 *
 * The log is a directory of segment files, each named by the seq of its
 * first record (00000000000000000001.seg) and holding records in the
 * format of common/evlog_record.h, back to back, followed by zeros up to
 * the segment's preallocated size. The design essay (crash recovery, the
 * invariants) is at the top of evlog_store.c.
 *
 * Threads: the log daemon's main thread owns the store and is the only one
 * to read the index and the segments list; the syncer thread
 * (evlog_sync.c) writes batches through evlog_store_write_batch(), which
 * touches only the write position, and hands back new segments for the
 * main thread to register with evlog_store_commit().
 */
#ifndef KEFU_EVLOG_STORE_H
#define KEFU_EVLOG_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "evlog_record.h"

typedef struct evlog_store_t evlog_store_t;

/* Called for every valid record found by recovery, in order. */
typedef void (evlog_scan_fn)(void *arg, const evlog_record_t *rec);

/* Opens the log in dir (creating it), recovers it: every valid record is
 * passed to scan (may be NULL); a torn tail is cut off. segment_bytes is
 * the size of new segments. Returns 0 and sets *out, or errno /
 * KEFU_EINTERNAL with the reason logged. */
int evlog_store_open(evlog_store_t **out, const char *dir, size_t segment_bytes,
                     evlog_scan_fn *scan, void *arg);
void evlog_store_destroy(evlog_store_t **self_p);

/* Free space for a new segment: 0 when the file system holding dir has at
 * least need bytes free for an unprivileged writer, ENOSPC when not, or
 * the statvfs errno. Sets *avail (if not NULL) to the bytes free. A new
 * log (evlog_store_open on a dir without segments) and every later
 * segment fail with ENOSPC, having written nothing, when this says so. */
int evlog_store_space(const char *dir, size_t need, uint64_t *avail);

/* Last durable seq (0 for an empty log). */
uint64_t evlog_store_head(const evlog_store_t *self);

/* A batch of whole records (first..last seq), contiguous in buf. */
typedef struct {
    uint8_t *buf;
    size_t len, cap;
    uint64_t first, last;
    /* filled by evlog_store_write_batch: */
    int rc;                 /* 0 or errno */
    bool unwritten;         /* rc set before a byte was written (no room for a segment) */
    size_t offset;          /* byte offset in that segment */
    void *newseg;           /* a segment started for this batch, for commit */
    int64_t sync_us;        /* time the syncer took (statistics) */
} evlog_batch_t;

/* Syncer thread: writes the batch at the write position and makes it
 * durable (fdatasync), starting a new segment first if it does not fit.
 * Sets batch->rc, segment and offset. Never touches the read side. */
void evlog_store_write_batch(evlog_store_t *self, evlog_batch_t *batch);

/* Main thread, after write_batch returned for batch: makes its records
 * readable and moves the head. */
void evlog_store_commit(evlog_store_t *self, const evlog_batch_t *batch);

/* Main thread: the durable records from seq `from` on, up to max records
 * and max_bytes (at least one record if any), contiguous within one
 * segment: sets *data and *len to their bytes (valid while the store is open;
 * durable bytes never change) and returns how many records. 0 if from is
 * past the head. */
size_t evlog_store_read(evlog_store_t *self, uint64_t from, size_t max,
                        size_t max_bytes, const uint8_t **data, size_t *len);

#endif
