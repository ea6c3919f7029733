/* evlog_store.h: the event log's files: segments, recovery, reads.
 *
 * The log is a directory of segment files, each named by the seq of its
 * first record (00000000000000000001.seg) and holding records in the
 * format of common/evlog_record.h, back to back, followed by zeros up to
 * the segment's preallocated size, and of checkpoints (NNN.ckpt: the
 * daemon's state after record NNN, so a start scans only what follows).
 * The design essay (crash recovery, checkpoints, the invariants) is at the
 * top of evlog_store.c.
 *
 * Threads: the log daemon's main thread owns the store and is the only one
 * to read the index and the segments list; the syncer thread
 * (evlog_sync.c) writes batches through evlog_store_write_batch(), which
 * touches only the write position, and hands back new segments for the
 * main thread to register with evlog_store_commit(). Checkpoint files are
 * written by a thread of the store's own, from images the main thread
 * makes (evlog_store_ckpt).
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

/* Called by recovery with the caller's state as a checkpoint holds it: the
 * state after every record up to cut (what evlog_store_ckpt() was given),
 * before any scan call. Returns 0 to take it, or non-zero to refuse it
 * (then the caller's state must be as before: recovery tries an older
 * checkpoint, or scans the whole log). */
typedef int (evlog_load_fn)(void *arg, uint64_t cut, const uint8_t *state, size_t len);

/* Opens the log in dir (creating it), recovers it: every valid record is
 * passed to scan (may be NULL); a torn tail is cut off. segment_bytes is
 * the size of new segments. Returns 0 and sets *out, or errno /
 * KEFU_EINTERNAL with the reason logged. Checkpoints are not used (every
 * segment is scanned), but kept. */
int evlog_store_open(evlog_store_t **out, const char *dir, size_t segment_bytes,
                     evlog_scan_fn *scan, void *arg);
/* The same, starting from the newest good checkpoint when load (not NULL)
 * takes it: then scan sees only the records after its cut, and the
 * segments before the checkpoint's are not read at all (they are checked
 * when first read). Without a good checkpoint, as evlog_store_open. */
int evlog_store_open_ckpt(evlog_store_t **out, const char *dir, size_t segment_bytes,
                          evlog_scan_fn *scan, evlog_load_fn *load, void *arg);
/* Writes the checkpoint handed over whose cut is durable (if any), stops
 * the store's threads, closes the files. */
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

/* ---- checkpoints (main thread; see "Checkpoints" in evlog_store.c) ---- */

/* True when the caller should hand over a checkpoint: a segment was
 * sealed or EVLOG_CKPT_BYTES of log were written (or scanned at open)
 * since the last one, or the log has records and no checkpoint yet; and
 * none is waiting for its cut to be durable. */
#define EVLOG_CKPT_BYTES (16u << 20)
bool evlog_store_ckpt_due(const evlog_store_t *self);
/* The caller's state after every record up to cut (cut >= head: records
 * given seqs but not yet durable count, since the file is written only
 * once cut is durable). The store takes state (malloc'd) and frees it. A
 * checkpoint still waiting for its cut is replaced. */
void evlog_store_ckpt(evlog_store_t *self, uint64_t cut, uint8_t *state, size_t len);
/* The cut of the newest checkpoint handed over or loaded (0 if none). */
uint64_t evlog_store_ckpt_cut(const evlog_store_t *self);
/* Waits until the checkpoint files handed to the writer are written. */
void evlog_store_ckpt_flush(evlog_store_t *self);

#endif
