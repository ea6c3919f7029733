/* evlog_store.c: the event log's segment files, recovery and reads.
 *
 * On disk
 * -------
 * DIR/evlog/ holds segment files named by the seq of their first record,
 * 20 digits ("00000000000000000001.seg"). A segment is created at its full
 * size, written with zeros once, so appending never changes the file size
 * or its block map and an fdatasync flushes data only. Records (common/evlog_record.h) follow each
 * other from offset 0; after the last record the file is zeros.
 *
 * Invariants
 * ----------
 * - seqs are consecutive across all segments, starting at 1;
 * - a segment's records are all before the next segment's;
 * - the head (last durable seq) is the last valid record: a record is only
 *   acknowledged after the fdatasync that covers it returned.
 *
 * Recovery
 * --------
 * Open scans every segment in order and checks each record (length, crc
 * over seq and payload, seq == previous + 1). The first record that fails
 * ends the log. Only the tail of the last segment can be torn in normal
 * operation (a crash during the write of a batch that was never
 * acknowledged); after a kill -9 the page cache still holds the whole
 * write, so usually nothing is lost. If what follows the end is not all
 * zeros the rest of that segment is zeroed again (ftruncate + fallocate) so
 * a later scan can't mistake old bytes for records. Segments after a
 * damaged one can't be trusted to follow on: they are renamed *.damaged
 * and reported, never deleted.
 *
 * Preparing segments
 * ------------------
 * Zero-filling a segment takes a while (hundreds of ms for 256 MiB), so a
 * prep thread writes the next one ahead of need as DIR/next.tmp; when the
 * syncer rolls over it only renames it into place. A next.tmp left by a
 * crash is simply written again.
 *
 * A full disk
 * -----------
 * Before zero-filling a segment (or next.tmp) the free space of the file
 * system is checked (statvfs, the blocks an unprivileged writer may use):
 * with less than a segment free, nothing is written and the creation
 * fails with ENOSPC and a message naming what is free and what is needed.
 * If a write fails anyway (the space went to someone else meanwhile), the
 * partial file is removed at once: a part-made segment holds nothing and
 * would only keep the disk full. Recovery never sees one, so it never
 * takes a part-made segment for a damaged one.
 *
 * Writes
 * ------
 * A batch is written with one pwritev at the write position, then
 * fdatasync'd. The write runs on with zeros to the end of the batch's
 * last page (never past the segment): a partial page write of a page not
 * in the page cache (segments are zero-filled with O_DIRECT, so none of
 * theirs is) makes the kernel read that page from disk first, ~70 us of a
 * commit's round trip; a whole page needs no read. It is crash-safe
 * because those bytes are zeros on disk already: writing zeros over zeros
 * changes nothing a recovery could see, the next batch starts at the
 * batch's true end (not the page's) and overwrites them, and a torn write
 * leaves at worst what a torn unpadded one would, a valid prefix followed
 * by zeros or by part of a record, which recovery cuts.
 *
 * Reads
 * -----
 * Every segment is mapped read-only. A sparse index (the offset of every
 * EVLOG_SPARSE-th record) finds a seq with at most EVLOG_SPARSE-1 record
 * hops. Reads return pointers into the map: durable bytes never change
 * while the store is open, so they can be sent without copying.
 */
#include "evlog_store.h"

#include <assert.h>
#include <dirent.h>
#include <sys/uio.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "kerr.h"
#include "klog.h"

#define EVLOG_SPARSE 64
#define S_PAGE 4096     /* a write runs on to a page boundary (see "Writes") */

static const uint8_t s_zeros[S_PAGE];

typedef struct {
    uint64_t first;       /* seq of the first record (from the name) */
    uint64_t last;        /* seq of the last durable record, first-1 if none */
    int fd;
    uint8_t *map;
    size_t size;          /* file size */
    size_t used;          /* durable bytes */
    uint64_t *sparse;     /* offset of record first + k*EVLOG_SPARSE */
    size_t nsparse, capsparse;
} s_seg_t;

struct evlog_store_t {
    char dir[4096];
    size_t segment_bytes;
    s_seg_t **segs;       /* main thread */
    size_t nsegs, capsegs;
    uint64_t head;
    /* the syncer's write position */
    int wfd;
    size_t wsize, woff;
    bool prep_asked;      /* the next segment was asked for */
    /* the next segment, zero-filled ahead of need by the prep thread */
    pthread_t prep;
    bool prep_started;
    pthread_mutex_t prep_mu;
    pthread_cond_t prep_cv;
    bool prep_want, prep_ready;  /* under prep_mu */
    volatile bool prep_stop;     /* under prep_mu; also read while zeroing */
};

static void s_seg_free(s_seg_t *seg)
{
    if (!seg)
        return;
    if (seg->map)
        munmap(seg->map, seg->size);
    if (seg->fd >= 0)
        close(seg->fd);
    free(seg->sparse);
    free(seg);
}

static void s_sparse_add(s_seg_t *seg, size_t offset)
{
    if (seg->nsparse == seg->capsparse) {
        seg->capsparse = seg->capsparse ? 2 * seg->capsparse : 1024;
        seg->sparse = realloc(seg->sparse, seg->capsparse * sizeof *seg->sparse);
        if (!seg->sparse)
            abort();
    }
    seg->sparse[seg->nsparse++] = offset;
}

/* Records the offset of each record of seg's bytes [from, to) whose seq
 * falls on the sparse grid. */
static void s_index_range(s_seg_t *seg, size_t from, size_t to, uint64_t seq)
{
    /* The records were built by this process a moment ago: skip by length. */
    while (from < to) {
        if ((seq - seg->first) % EVLOG_SPARSE == 0)
            s_sparse_add(seg, from);
        from += evlog_record_skip(seg->map + from);
        seq++;
    }
}

static int s_seg_map(s_seg_t *seg, const char *path, int flags)
{
    seg->fd = open(path, flags | O_CLOEXEC, 0644);
    if (seg->fd < 0)
        return errno;
    struct stat st;
    if (fstat(seg->fd, &st) < 0)
        return errno;
    seg->size = (size_t) st.st_size;
    if (seg->size == 0)
        return EINVAL;
    seg->map = mmap(NULL, seg->size, PROT_READ, MAP_SHARED, seg->fd, 0);
    if (seg->map == MAP_FAILED) {
        seg->map = NULL;
        return errno;
    }
    return 0;
}

static void s_seg_path(const evlog_store_t *self, uint64_t first, const char *ext,
                       char *buf, size_t cap)
{
    snprintf(buf, cap, "%s/%020" PRIu64 ".%s", self->dir, first, ext);
}

static int s_fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return errno;
    int rc = fsync(fd) < 0 ? errno : 0;
    close(fd);
    return rc;
}

static int s_cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
    return x < y ? -1 : x > y;
}

/* The first seqs of the segment files in dir, sorted. */
static int s_list_segments(const char *dir, uint64_t **out, size_t *n)
{
    DIR *d = opendir(dir);
    if (!d)
        return errno;
    size_t cap = 16, cnt = 0;
    uint64_t *v = malloc(cap * sizeof *v);
    struct dirent *e;
    while ((e = readdir(d))) {
        char *end;
        if (strlen(e->d_name) != 24 || strcmp(e->d_name + 20, ".seg") != 0)
            continue;
        uint64_t first = strtoull(e->d_name, &end, 10);
        if (end != e->d_name + 20 || first == 0)
            continue;
        if (cnt == cap)
            v = realloc(v, (cap *= 2) * sizeof *v);
        v[cnt++] = first;
    }
    closedir(d);
    qsort(v, cnt, sizeof *v, s_cmp_u64);
    *out = v;
    *n = cnt;
    return 0;
}

static void *s_prep_run(void *arg);
static int s_new_segment(evlog_store_t *self, uint64_t first, size_t min, s_seg_t **out);

static void s_segs_push(evlog_store_t *self, s_seg_t *seg)
{
    if (self->nsegs == self->capsegs) {
        self->capsegs = self->capsegs ? 2 * self->capsegs : 16;
        self->segs = realloc(self->segs, self->capsegs * sizeof *self->segs);
        if (!self->segs)
            abort();
    }
    self->segs[self->nsegs++] = seg;
}

static bool s_all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return false;
    return true;
}

/* Scans one segment; returns the offset just past its last valid record
 * and sets *next_seq. */
static size_t s_scan(s_seg_t *seg, uint64_t *next_seq, evlog_scan_fn *scan, void *arg)
{
    size_t off = 0;
    uint64_t seq = seg->first;
    for (;;) {
        evlog_record_t rec;
        size_t n = evlog_record_read(seg->map + off, seg->size - off, &rec);
        if (n == 0 || rec.seq != seq)
            break;
        if ((seq - seg->first) % EVLOG_SPARSE == 0)
            s_sparse_add(seg, off);
        if (scan)
            scan(arg, &rec);
        off += n;
        seq++;
    }
    seg->last = seq - 1;
    seg->used = off;
    *next_seq = seq;
    return off;
}

/* Zeroes a segment from off to its end, keeping its size and its blocks
 * written (not fallocate: see s_zero_file). Recovery only. */
static int s_rezero(s_seg_t *seg, size_t off)
{
    static const uint8_t zeros[1 << 16];
    while (off < seg->size) {
        size_t n = seg->size - off < sizeof zeros ? seg->size - off : sizeof zeros;
        ssize_t w = pwrite(seg->fd, zeros, n, (off_t) off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return w < 0 ? errno : EIO;
        off += (size_t) w;
    }
    return fdatasync(seg->fd) < 0 ? errno : 0;
}

int evlog_store_open(evlog_store_t **out, const char *dir, size_t segment_bytes,
                     evlog_scan_fn *scan, void *arg)
{
    *out = NULL;
    if (mkdir(dir, 0700) < 0 && errno != EEXIST)
        return errno;
    evlog_store_t *self = calloc(1, sizeof *self);
    if (!self)
        return ENOMEM;
    snprintf(self->dir, sizeof self->dir, "%s", dir);
    self->segment_bytes = segment_bytes < 65536 ? 65536 : segment_bytes;
    self->wfd = -1;

    uint64_t *firsts = NULL;
    size_t n = 0;
    int rc = s_list_segments(dir, &firsts, &n);
    if (rc) {
        free(self);
        return rc;
    }
    uint64_t next = 1;
    bool damaged = false;
    for (size_t i = 0; i < n && rc == 0; i++) {
        char path[4200];
        s_seg_path(self, firsts[i], "seg", path, sizeof path);
        struct stat st;
        if (stat(path, &st) == 0 && st.st_size == 0) {
            /* An empty file holds nothing to recover or keep aside (a
             * segment whose creation failed, left by an older version or
             * a crash between creat and the first write): remove it. A
             * segment after it then does not follow, and goes aside. */
            klog_warn("evlog: segment %s is empty; removing it", path);
            if (unlink(path) < 0)
                rc = errno;
            continue;
        }
        if (damaged || firsts[i] != next) {
            /* Does not follow on from what is valid: keep it aside. */
            char aside[4200];
            s_seg_path(self, firsts[i], "damaged", aside, sizeof aside);
            klog_error("evlog: segment %s does not follow seq %" PRIu64
                       "; moved aside as %s", path, next - 1, aside);
            if (rename(path, aside) < 0)
                rc = errno;
            damaged = true;
            continue;
        }
        s_seg_t *seg = calloc(1, sizeof *seg);
        seg->first = firsts[i];
        seg->fd = -1;
        rc = s_seg_map(seg, path, O_RDWR);
        size_t end = rc == 0 ? s_scan(seg, &next, scan, arg) : 0;
        if ((rc == 0 || rc == EINVAL) && end == 0 && i + 1 == n &&
            !(rc == 0 && seg->size >= self->segment_bytes && s_all_zero(seg->map, seg->size))) {
            /* The last segment holds no record and is not a whole segment
             * of zeros: a crash came while it was being made. Nothing in
             * it was ever acknowledged; it is made again when needed. */
            klog_warn("evlog: segment %s holds no record; removing it", path);
            s_seg_free(seg);
            rc = unlink(path) < 0 ? errno : 0;
            break;
        }
        if (rc) {
            klog_error("evlog: can't open segment %s: %s", path, strerror(rc));
            s_seg_free(seg);
            break;
        }
        if (!s_all_zero(seg->map + end, seg->size - end)) {
            klog_warn("evlog: segment %s: torn or damaged record at offset %zu "
                      "after seq %" PRIu64 "; cutting the log there",
                      path, end, next - 1);
            rc = s_rezero(seg, end);
            damaged = true;  /* later segments can't follow a cut */
        }
        s_segs_push(self, seg);
    }
    free(firsts);
    if (rc == 0)
        rc = s_fsync_dir(dir);
    if (rc) {
        evlog_store_destroy(&self);
        return rc;
    }
    self->head = next - 1;
    if (self->nsegs > 0) {
        s_seg_t *last = self->segs[self->nsegs - 1];
        self->wfd = last->fd;
        self->wsize = last->size;
        self->woff = last->used;
    }
    if (self->nsegs == 0) {
        /* A new log: its first segment now, so the first append is fast. */
        s_seg_t *seg;
        rc = s_new_segment(self, 1, 0, &seg);
        if (rc) {
            evlog_store_destroy(&self);
            return rc;
        }
        s_segs_push(self, seg);
        self->wfd = seg->fd;
        self->wsize = seg->size;
        self->woff = 0;
    }
    pthread_mutex_init(&self->prep_mu, NULL);
    pthread_cond_init(&self->prep_cv, NULL);
    self->prep_asked = self->prep_want = self->woff > self->wsize / 2;
    self->prep_started = pthread_create(&self->prep, NULL, s_prep_run, self) == 0;
    *out = self;
    return 0;
}

void evlog_store_destroy(evlog_store_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    evlog_store_t *self = *self_p;
    if (self->prep_started) {
        pthread_mutex_lock(&self->prep_mu);
        self->prep_stop = true;
        pthread_cond_signal(&self->prep_cv);
        pthread_mutex_unlock(&self->prep_mu);
        pthread_join(self->prep, NULL);
        pthread_cond_destroy(&self->prep_cv);
        pthread_mutex_destroy(&self->prep_mu);
    }
    for (size_t i = 0; i < self->nsegs; i++)
        s_seg_free(self->segs[i]);
    free(self->segs);
    free(self);
    *self_p = NULL;
}

uint64_t evlog_store_head(const evlog_store_t *self)
{
    return self->head;
}

/* Creates path (which must not exist unless excl is false) full of zeros
 * and durable. Unlike fallocate's unwritten extents, blocks written once
 * need no metadata change when they are written again, so each later
 * fdatasync flushes data only (measured here: ~280 us against ~580 us).
 * The zeros go by O_DIRECT where the file system allows it: no page cache
 * copy, ~25 ms of CPU for 256 MiB instead of ~550 ms. */
int evlog_store_space(const char *dir, size_t need, uint64_t *avail)
{
    struct statvfs vfs;
    if (statvfs(dir, &vfs) != 0)
        return errno;
    uint64_t free_bytes = (uint64_t) vfs.f_bavail * (uint64_t) vfs.f_frsize;
    if (avail)
        *avail = free_bytes;
    return free_bytes < need ? ENOSPC : 0;
}

/* ENOSPC, logged with the figures, when the file system of self->dir has
 * less than size bytes free for what goes to path; else 0. */
static int s_check_space(const evlog_store_t *self, const char *path, size_t size)
{
    uint64_t avail = 0;
    int rc = evlog_store_space(self->dir, size, &avail);
    if (rc == ENOSPC)
        klog_error("evlog: can't create %s: the disk holding %s has %" PRIu64
                   " KiB free and a log segment needs %zu KiB (evlog.segment_mb)",
                   path, self->dir, avail / 1024, size / 1024);
    else if (rc)
        rc = 0;   /* can't tell (statvfs failed): let the writes say */
    return rc;
}

static int s_zero_file(const char *path, size_t size, bool excl, volatile bool *stop)
{
    /* In the background (stop != NULL), go gently: a 1 MiB write, then a
     * pause, so the log's own fdatasyncs never queue behind a burst of
     * zeros (about 20% of the disk's time; 256 MiB in ~2 s here). */
    const struct timespec pause = {0, 5 * 1000 * 1000};
    int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (excl ? O_EXCL : O_TRUNC);
    int fd = open(path, flags | O_DIRECT, 0644);
    if (fd < 0 && errno == EINVAL)
        fd = open(path, flags, 0644);  /* tmpfs and friends: no O_DIRECT */
    if (fd < 0)
        return errno;
    const size_t chunk = 1 << 20;
    void *zeros = NULL;
    int rc = posix_memalign(&zeros, 4096, chunk);
    if (rc == 0)
        memset(zeros, 0, chunk);
    for (size_t off = 0; rc == 0 && off < size;) {
        if (stop && *stop) {
            rc = ECANCELED;
            break;
        }
        size_t n = size - off < chunk ? size - off : chunk;
        ssize_t w = pwrite(fd, zeros, n, (off_t) off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            rc = w < 0 ? errno : EIO;
        else
            off += (size_t) w;
        if (stop)
            nanosleep(&pause, NULL);
    }
    if (rc == 0 && fdatasync(fd) < 0)
        rc = errno;
    free(zeros);
    close(fd);
    /* We made (or truncated) it: a part-made file is no use to anyone
     * and, on a full disk, holds the space the next attempt needs. */
    if (rc)
        unlink(path);
    return rc;
}

static void s_prep_path(const evlog_store_t *self, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s/next.tmp", self->dir);
}

/* The prep thread: on request, writes DIR/next.tmp full of zeros. */
static void *s_prep_run(void *arg)
{
    evlog_store_t *self = arg;
    char path[4200];
    s_prep_path(self, path, sizeof path);
    pthread_mutex_lock(&self->prep_mu);
    for (;;) {
        while (!self->prep_want && !self->prep_stop)
            pthread_cond_wait(&self->prep_cv, &self->prep_mu);
        if (self->prep_stop)
            break;
        self->prep_want = false;
        if (self->prep_ready)
            continue;  /* one is ready and not taken yet: never rewrite it */
        pthread_mutex_unlock(&self->prep_mu);
        unlink(path);   /* a part-made one left by a crash counts as used space */
        int rc = s_check_space(self, path, self->segment_bytes);
        if (rc == 0)
            rc = s_zero_file(path, self->segment_bytes, false, &self->prep_stop);
        if (rc && rc != ECANCELED)
            klog_warn("evlog: can't prepare the next segment: %s", strerror(rc));
        pthread_mutex_lock(&self->prep_mu);
        self->prep_ready = rc == 0;
    }
    pthread_mutex_unlock(&self->prep_mu);
    return NULL;
}

static void s_prep_request(evlog_store_t *self)
{
    pthread_mutex_lock(&self->prep_mu);
    self->prep_want = true;
    pthread_cond_signal(&self->prep_cv);
    pthread_mutex_unlock(&self->prep_mu);
}

/* Syncer: starts a segment whose first record is `first`, from the
 * prepared file when there is one, else by writing it now. */
static int s_new_segment(evlog_store_t *self, uint64_t first, size_t min, s_seg_t **out)
{
    char path[4200], prep[4200];
    s_seg_path(self, first, "seg", path, sizeof path);
    s_prep_path(self, prep, sizeof prep);
    s_seg_t *seg = calloc(1, sizeof *seg);
    seg->fd = -1;
    seg->first = first;
    seg->last = first - 1;
    size_t size = self->segment_bytes > min ? self->segment_bytes : min;
    bool prepared = false;
    if (size == self->segment_bytes && self->prep_started) {
        pthread_mutex_lock(&self->prep_mu);
        prepared = self->prep_ready && rename(prep, path) == 0;
        if (prepared)
            self->prep_ready = false;
        pthread_mutex_unlock(&self->prep_mu);
    }
    int rc;
    bool made = prepared;   /* path is ours to remove if we fail below */
    if (prepared) {
        seg->fd = open(path, O_RDWR | O_CLOEXEC);
        rc = seg->fd < 0 ? errno : s_fsync_dir(self->dir);
    } else if ((rc = s_check_space(self, path, size)) == 0) {
        rc = s_zero_file(path, size, true, NULL);   /* removes it on failure */
        if (rc == 0) {
            made = true;
            seg->fd = open(path, O_RDWR | O_CLOEXEC);
            rc = seg->fd < 0 ? errno : s_fsync_dir(self->dir);
        }
    }
    if (rc == 0) {
        seg->size = size;
        seg->map = mmap(NULL, size, PROT_READ, MAP_SHARED, seg->fd, 0);
        if (seg->map == MAP_FAILED) {
            seg->map = NULL;
            rc = errno;
        }
    }
    if (rc) {
        klog_error("evlog: can't create segment %s: %s", path, strerror(rc));
        if (made)
            unlink(path);
        s_seg_free(seg);
        return rc;
    }
    *out = seg;
    return 0;
}

void evlog_store_write_batch(evlog_store_t *self, evlog_batch_t *b)
{
    b->newseg = NULL;
    b->rc = 0;
    b->unwritten = false;
    if (self->wfd < 0 || self->woff + b->len > self->wsize) {
        s_seg_t *seg;
        b->rc = s_new_segment(self, b->first, b->len, &seg);
        if (b->rc) {
            b->unwritten = true;  /* nothing of it on disk: it can be tried again */
            return;
        }
        b->newseg = seg;
        self->wfd = seg->fd;
        self->wsize = seg->size;
        self->woff = 0;
        self->prep_asked = false;
    }
    b->offset = self->woff;
    /* The write runs on to the end of its last page, with zeros (see
     * "Writes" at the top): the bytes there are zeros on disk already. */
    size_t end = self->woff + b->len;
    size_t pad = (S_PAGE - end % S_PAGE) % S_PAGE;
    if (pad > self->wsize - end)
        pad = self->wsize - end;
    size_t total = b->len + pad, done = 0;
    while (done < total) {
        struct iovec iov[2];
        int n = 0;
        if (done < b->len)
            iov[n++] = (struct iovec){b->buf + done, b->len - done};
        size_t zdone = done > b->len ? done - b->len : 0;
        if (zdone < pad)
            iov[n++] = (struct iovec){(void *) (s_zeros + zdone), pad - zdone};
        ssize_t w = pwritev(self->wfd, iov, n, (off_t) (self->woff + done));
        if (w < 0) {
            if (errno == EINTR)
                continue;
            b->rc = errno;
            return;
        }
        done += (size_t) w;
    }
    if (fdatasync(self->wfd) < 0) {
        /* After a failed fdatasync the page cache state is unknown; the
         * daemon must stop rather than acknowledge (see evlog_server.c). */
        b->rc = errno;
        return;
    }
    self->woff += b->len;
    /* Half way through a segment, have the next one made ready. */
    if (!self->prep_asked && self->prep_started && self->woff > self->wsize / 2) {
        self->prep_asked = true;
        s_prep_request(self);
    }
}

void evlog_store_commit(evlog_store_t *self, const evlog_batch_t *b)
{
    assert(b->rc == 0 && b->first == self->head + 1);
    if (b->newseg)
        s_segs_push(self, b->newseg);
    s_seg_t *seg = self->segs[self->nsegs - 1];
    assert(b->offset == seg->used);
    s_index_range(seg, b->offset, b->offset + b->len, b->first);
    seg->used += b->len;
    seg->last = b->last;
    self->head = b->last;
}

/* The segment holding seq (seq <= head). */
static s_seg_t *s_find(evlog_store_t *self, uint64_t seq)
{
    size_t lo = 0, hi = self->nsegs;
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (self->segs[mid]->first <= seq)
            lo = mid;
        else
            hi = mid;
    }
    return self->segs[lo];
}

size_t evlog_store_read(evlog_store_t *self, uint64_t from, size_t max,
                        size_t max_bytes, const uint8_t **data, size_t *len)
{
    *data = NULL;
    *len = 0;
    if (from == 0)
        from = 1;
    if (from > self->head || max == 0 || self->nsegs == 0)
        return 0;
    s_seg_t *seg = s_find(self, from);
    if (from > seg->last)
        return 0;
    uint64_t k = (from - seg->first) / EVLOG_SPARSE;
    size_t off = seg->sparse[k];
    uint64_t seq = seg->first + k * EVLOG_SPARSE;
    /* Durable bytes were checked when written or recovered: skip by length. */
    while (seq < from) {
        off += evlog_record_skip(seg->map + off);
        seq++;
    }
    size_t start = off, count = 0;
    while (count < max && seq <= seg->last) {
        size_t n = evlog_record_skip(seg->map + off);
        if (count > 0 && off + n - start > max_bytes)
            break;
        off += n;
        seq++;
        count++;
    }
    *data = seg->map + start;
    *len = off - start;
    return count;
}
