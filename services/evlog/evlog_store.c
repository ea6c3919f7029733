/* evlog_store.c: the event log's segment files, checkpoints, recovery and
 * reads.
 *
 * On disk
 * -------
 * DIR/evlog/ holds segment files named by the seq of their first record,
 * 20 digits ("00000000000000000001.seg"). A segment is created at its full
 * size, written with zeros once, so appending never changes the file size
 * or its block map and an fdatasync flushes data only. Records (common/evlog_record.h) follow each
 * other from offset 0; after the last record the file is zeros. Next to
 * them: checkpoints ("NNNNNNNNNNNNNNNNNNNN.ckpt", below).
 *
 * Invariants
 * ----------
 * - seqs are consecutive across all segments, starting at 1;
 * - a segment's records are all before the next segment's;
 * - the head (last durable seq) is the last valid record: a record is only
 *   acknowledged after the fdatasync that covers it returned;
 * - a segment is sealed once a later one exists: it is never written
 *   again, and it holds exactly the seqs first .. (next segment's first - 1),
 *   all durable (the syncer creates the next segment only after the
 *   fdatasync of the last batch it wrote here).
 *
 * Recovery
 * --------
 * Open scans the segments in order from the newest good checkpoint (below;
 * from seq 1 without one) and checks each record (length, crc over seq
 * and payload, seq == previous + 1). The first record that fails ends the
 * log. Only the tail of the last segment can be torn in normal
 * operation (a crash during the write of a batch that was never
 * acknowledged); after a kill -9 the page cache still holds the whole
 * write, so usually nothing is lost. If what follows the end is not all
 * zeros (in the last segment, only the bytes a crash could have written
 * are looked at: see "Writes") that part of the segment is zeroed again so
 * a later scan can't mistake old bytes for records. Segments after a
 * damaged one can't be trusted to follow on: they are renamed *.damaged
 * and reported, never deleted.
 *
 * Checkpoints
 * -----------
 * The caller (the log daemon) rebuilds a state from the records: its
 * producer table, the clock advances by request id and the clock's
 * furthest point (evlog_state.h, which also gives its packed form).
 * Scanning the whole log for it made the start-up time grow with the log.
 * So the store keeps the caller's state as of some seq, its *cut*, in a
 * checkpoint file, and a start reads the newest good one and scans only
 * the records after its cut. What the store itself rebuilds needs no
 * checkpoint: the segment list comes from the directory and the
 * checkpoint, and the index of the records before the cut is built when
 * they are first read (below, "Reads").
 *
 * When. The caller asks evlog_store_ckpt_due() after each commit: a
 * checkpoint is due once a segment was sealed, or EVLOG_CKPT_BYTES of log
 * were written (or scanned at open), since the last, and at once when the
 * log has records and no checkpoint yet. It hands over its
 * state as of the last seq it assigned (which it always holds: the main
 * thread's state runs ahead of the disk); the store keeps it until that
 * cut is durable (the commit of the batch holding it), then makes the
 * file's image and hands it to the checkpoint thread, which writes it
 * while the log goes on. So a checkpoint never describes a record that
 * could be lost. The daemon also hands one over when it stops cleanly.
 *
 * The file, little-endian:
 *
 *   "KEFUCKP1"   u32 version (1)   u32 nsegs   u64 cut   u64 state_len
 *   nsegs times: u64 first, u64 last, u64 last_off, u64 used
 *   state_len bytes: the caller's state (opaque here)
 *   u32 CRC-32C of everything before it
 *
 * The segment list is every segment from the first to the one holding
 * record `cut`: its first seq, its last record's seq and offset, and the
 * bytes its records take; for the last entry, `last` is the cut itself
 * and `used` the offset just past it, where the scan goes on.
 *
 * Writing. To DIR/ckpt.tmp, fsync, rename to its name (the cut, 20
 * digits, ".ckpt"), fsync the directory. A crash at any point leaves the
 * old checkpoints and at most a ckpt.tmp, which open removes: a
 * checkpoint is there whole or not at all. The two newest are kept, the
 * older removed.
 *
 * The recovery rule. Newest first, a checkpoint is used only if: its
 * length and CRC are right and its name is its cut; its segments are
 * consecutive (first = the previous one's last + 1) and are exactly the
 * first nsegs segment files of the directory; each of those files is at
 * least `used` long and holds at last_off a valid record (crc) with seq
 * `last` that ends at `used` (one page read per segment, so a replaced,
 * truncated or shifted segment is caught); and the caller takes its
 * state (evlog_load_fn: it refuses one it can't parse, whole). Otherwise
 * the next older one is tried, and without any the log is scanned from
 * seq 1, as it always was: a missing, damaged or partial checkpoint costs
 * time, never correctness. Then the scan starts at `used` in the last
 * listed segment, expecting seq cut + 1, and goes on as above. Checkpoints
 * that were refused, and any whose cut is past the recovered head (a log
 * cut short by damage), are removed before anything new is written, so
 * a later start never trusts one that speaks of other records.
 *
 * What is not read at start. The records before a checkpoint's cut are
 * not read by recovery (that is the point). They were checked when first
 * scanned or written, and a segment's bytes never change once durable;
 * they are checked again when first read (below), and if a record turns
 * out damaged then (a disk that rots), the reads stop before it, the
 * error is logged, no more checkpoints are written and those that vouch
 * for that segment are removed: the next start scans it and cuts the log
 * there, as recovery always did.
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
 * takes a part-made segment for a damaged one. A checkpoint that can't
 * be written is only logged.
 *
 * Writes
 * ------
 * A batch is written with one pwritev at the write position, then
 * fdatasync'd; a batch of more than S_WRITE_MAX (1 MiB) bytes (batches merged while
 * the disk was slow) goes as several such writes of whole records, each
 * fdatasync'd before the next. So no write ever reaches more than
 * S_WRITE_MAX + a page past the durable end, and after a crash anything
 * but zeros can only be in the S_TAIL bytes after the last valid record:
 * recovery checks (and zeroes) only those, not the whole rest of a 256 MiB
 * segment, which it would have to read from the disk (the zeros were
 * written with O_DIRECT). Only when checkpoints are there, though: their
 * presence says a version that writes this way has opened the log (and
 * checked its tail) before; a log without any (made by an older version,
 * or empty) gets the whole check, as before. A log gets its first
 * checkpoint with its first records.
 *
 * The write runs on with zeros to the end of the batch's last page (never
 * past the segment): a partial page write of a page not
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
 *
 * The records a checkpoint skipped have no index yet: the first read
 * there checks them (crc, seq) from the start of the segment (or from
 * where the last such read stopped) up to the seq asked for, indexing
 * them as it goes; a catch-up reading in order checks each record once,
 * as part of its reads.
 *
 * Memory. A mapped page the process touched counts as its memory (RSS)
 * until it is unmapped, so reading the log (recovery's scan, a catch-up)
 * would pin it all. The store keeps the span of each map it touched, and
 * once they add up to S_RESIDENT it lets go of them (MADV_DONTNEED: the
 * pages stay in the page cache, the next access maps them again, and a
 * pointer a reply still holds stays valid). Commits index from the
 * batch's own buffer, not the map. The sparse index itself is kept for
 * the last segment and the S_INDEXED sealed ones read most recently; any
 * other sealed segment goes back to "not yet checked" and is checked and
 * indexed again when read. So the daemon's memory does not grow with the
 * log; the kernel's page cache is what holds the log.
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
#include "kfs.h"
#include "klog.h"

#define EVLOG_SPARSE 64
#define S_PAGE 4096     /* a write runs on to a page boundary (see "Writes") */
#define S_WRITE_MAX (1u << 20)           /* bytes of one write + fdatasync */
#define S_TAIL (S_WRITE_MAX + S_PAGE)    /* where a crash can leave bytes */
#define S_RESIDENT (8u << 20)            /* touched map bytes before letting go */
#define S_INDEXED 8                      /* sealed segments that keep an index */
#define S_CKPT_KEEP 2
#define S_CKPT_MAGIC "KEFUCKP1"
#define S_CKPT_VERSION 1
#define S_CKPT_HDR 32
#define S_CKPT_SEG 32
#define S_CKPT_MAX (1u << 30)            /* a checkpoint file larger is not one */

static const uint8_t s_zeros[S_PAGE];

typedef struct {
    uint64_t first;       /* seq of the first record (from the name) */
    uint64_t last;        /* seq of the last durable record, first-1 if none */
    size_t last_off;      /* offset of record last (if any) */
    int fd;               /* -1 once sealed */
    uint8_t *map;
    size_t size;          /* file size */
    size_t used;          /* durable bytes */
    uint64_t *sparse;     /* offset of record first + k*EVLOG_SPARSE */
    size_t nsparse, capsparse;
    /* Records a checkpoint let recovery skip, not yet checked or indexed:
     * seqs [vseq, vend) at bytes [voff, vend_off). None if vseq == vend. */
    uint64_t vseq, vend;
    size_t voff, vend_off;
    uint64_t bad;         /* the first damaged seq found there, 0 if none */
    size_t touch_lo, touch_hi;  /* bytes of the map touched and not let go */
    uint64_t tick;        /* when it was last read (the store's read count) */
} s_seg_t;

struct evlog_store_t {
    char dir[4096];
    size_t segment_bytes;
    s_seg_t **segs;       /* main thread */
    size_t nsegs, capsegs;
    uint64_t head;
    bool bounded;         /* checkpoints found: every write was bounded ("Writes") */
    size_t touched;       /* map bytes touched and not let go (main thread) */
    uint64_t tick;        /* reads so far (main thread) */
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
    /* checkpoints, main thread */
    bool ck_on;
    uint64_t ck_cut;      /* the newest handed over or loaded */
    uint64_t ck_bytes;    /* log bytes since then */
    bool ck_seal;         /* a segment sealed since then */
    uint64_t ck_pending;  /* cut of the state waiting to be durable, 0 if none */
    uint8_t *ck_state;
    size_t ck_len;
    /* the checkpoint thread */
    pthread_t ck_thread;
    bool ck_started;
    pthread_mutex_t ck_mu;
    pthread_cond_t ck_cv, ck_done;
    uint8_t *ck_job;      /* under ck_mu: an image to write */
    size_t ck_job_len;
    uint64_t ck_job_cut;
    bool ck_busy, ck_stop, ck_disabled;  /* under ck_mu */
};

/* ---- small helpers --------------------------------------------------------- */

static void s_put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t) (v >> (8 * i));
}

static void s_put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t) (v >> (8 * i));
}

static uint32_t s_get32(const uint8_t *p)
{
    return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 |
           (uint32_t) p[3] << 24;
}

static uint64_t s_get64(const uint8_t *p)
{
    return (uint64_t) s_get32(p) | (uint64_t) s_get32(p + 4) << 32;
}

static bool s_all_zero(const uint8_t *p, size_t n)
{
    size_t i = 0;
    for (; i + 64 <= n; i += 64) {
        uint64_t w[8];
        memcpy(w, p + i, sizeof w);
        if (w[0] | w[1] | w[2] | w[3] | w[4] | w[5] | w[6] | w[7])
            return false;
    }
    for (; i < n; i++)
        if (p[i])
            return false;
    return true;
}

/* ---- memory: letting go of what the maps hold (see "Memory") ---------------- */

static void s_drop(uint8_t *map, size_t size, size_t lo, size_t hi)
{
    lo &= ~(size_t) (S_PAGE - 1);
    if (hi > size)
        hi = size;
    if (map && hi > lo)
        madvise(map + lo, hi - lo, MADV_DONTNEED);
}

static void s_seg_let_go(s_seg_t *seg)
{
    if (seg->touch_hi > seg->touch_lo)
        s_drop(seg->map, seg->size, seg->touch_lo, seg->touch_hi);
    seg->touch_lo = seg->touch_hi = 0;
}

static void s_let_go(evlog_store_t *self)
{
    for (size_t i = 0; i < self->nsegs; i++)
        s_seg_let_go(self->segs[i]);
    self->touched = 0;
}

/* Notes that bytes [lo, hi) of seg's map were touched; lets go of every
 * map once S_RESIDENT bytes are held. Main thread. */
static void s_touch(evlog_store_t *self, s_seg_t *seg, size_t lo, size_t hi)
{
    if (hi <= lo)
        return;
    size_t before = seg->touch_hi - seg->touch_lo;
    if (before == 0) {
        seg->touch_lo = lo;
        seg->touch_hi = hi;
    } else {
        if (lo < seg->touch_lo)
            seg->touch_lo = lo;
        if (hi > seg->touch_hi)
            seg->touch_hi = hi;
    }
    self->touched += (seg->touch_hi - seg->touch_lo) - before;
    if (self->touched > S_RESIDENT)
        s_let_go(self);
}

/* A sealed segment's index goes, as if recovery had skipped it: the next
 * read there checks and indexes its records again. */
static void s_forget(s_seg_t *seg)
{
    free(seg->sparse);
    seg->sparse = NULL;
    seg->nsparse = seg->capsparse = 0;
    seg->vseq = seg->first;
    seg->voff = 0;
    seg->vend = seg->last + 1;
    seg->vend_off = seg->used;
}

/* At most S_INDEXED sealed segments keep an index, the most recently read
 * (see "Memory"); keep is spared. */
static void s_index_limit(evlog_store_t *self, const void *keep)
{
    for (;;) {
        size_t n = 0;
        s_seg_t *lru = NULL;
        for (size_t i = 0; i + 1 < self->nsegs; i++) {
            s_seg_t *seg = self->segs[i];
            if (!seg->sparse || seg->bad)
                continue;
            n++;
            if (seg != keep && (!lru || seg->tick < lru->tick))
                lru = seg;
        }
        if (n <= S_INDEXED || !lru)
            return;
        s_forget(lru);
    }
}

/* ---- segments ------------------------------------------------------------------ */

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

static s_seg_t *s_seg_new(uint64_t first)
{
    s_seg_t *seg = calloc(1, sizeof *seg);
    if (!seg)
        abort();
    seg->fd = -1;
    seg->first = first;
    seg->last = first - 1;
    return seg;
}

static void s_sparse_room(s_seg_t *seg, size_t n)
{
    if (n <= seg->capsparse)
        return;
    size_t cap = seg->capsparse ? seg->capsparse : 1024;
    while (cap < n)
        cap *= 2;
    seg->sparse = realloc(seg->sparse, cap * sizeof *seg->sparse);
    if (!seg->sparse)
        abort();
    seg->capsparse = cap;
}

static void s_sparse_add(s_seg_t *seg, size_t offset)
{
    s_sparse_room(seg, seg->nsparse + 1);
    seg->sparse[seg->nsparse++] = offset;
}

static void s_sparse_set(s_seg_t *seg, size_t k, size_t offset)
{
    s_sparse_room(seg, k + 1);
    while (seg->nsparse <= k)
        seg->sparse[seg->nsparse++] = 0;
    seg->sparse[k] = offset;
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

static int s_cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
    return x < y ? -1 : x > y;
}

/* The seqs naming the files "<20 digits>.ext" in dir, sorted. */
static int s_list(const char *dir, const char *ext, uint64_t **out, size_t *n)
{
    DIR *d = opendir(dir);
    if (!d)
        return errno;
    size_t cap = 16, cnt = 0, elen = strlen(ext);
    uint64_t *v = malloc(cap * sizeof *v);
    if (!v)
        abort();
    struct dirent *e;
    while ((e = readdir(d))) {
        char *end;
        if (strlen(e->d_name) != 21 + elen || e->d_name[20] != '.' ||
            strcmp(e->d_name + 21, ext) != 0)
            continue;
        uint64_t first = strtoull(e->d_name, &end, 10);
        if (end != e->d_name + 20 || first == 0)
            continue;
        if (cnt == cap) {
            v = realloc(v, (cap *= 2) * sizeof *v);
            if (!v)
                abort();
        }
        v[cnt++] = first;
    }
    closedir(d);
    qsort(v, cnt, sizeof *v, s_cmp_u64);
    *out = v;
    *n = cnt;
    return 0;
}

static void *s_prep_run(void *arg);
static void *s_ckpt_run(void *arg);
static int s_new_segment(evlog_store_t *self, uint64_t first, size_t min, s_seg_t **out);
static void s_ckpt_disable(evlog_store_t *self, uint64_t from);

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

/* Scans one segment from offset off0, where seq seq0 should be (the
 * segment's start, or a checkpoint's end); returns the offset just past
 * its last valid record and sets *next_seq. The records before seq0 are
 * left to be checked when first read. */
static size_t s_scan(s_seg_t *seg, size_t off0, uint64_t seq0, uint64_t *next_seq,
                     evlog_scan_fn *scan, void *arg)
{
    if (seq0 > seg->first) {
        /* grid entries 0 .. k0-1 fall before seq0: set when first read */
        size_t k0 = (size_t) ((seq0 - seg->first + EVLOG_SPARSE - 1) / EVLOG_SPARSE);
        s_sparse_set(seg, k0 - 1, 0);
        seg->vseq = seg->first;
        seg->voff = 0;
        seg->vend = seq0;
        seg->vend_off = off0;
    }
    size_t off = off0, mark = off0;
    uint64_t seq = seq0;
    for (;;) {
        evlog_record_t rec;
        size_t n = evlog_record_read(seg->map + off, seg->size - off, &rec);
        if (n == 0 || rec.seq != seq)
            break;
        if ((seq - seg->first) % EVLOG_SPARSE == 0)
            s_sparse_add(seg, off);
        if (scan)
            scan(arg, &rec);
        seg->last_off = off;
        off += n;
        seq++;
        if (off - mark >= S_RESIDENT) {
            /* not kept: a long scan would hold the whole segment */
            s_drop(seg->map, seg->size, mark, off & ~(size_t) (S_PAGE - 1));
            mark = off & ~(size_t) (S_PAGE - 1);
        }
    }
    s_drop(seg->map, seg->size, mark, off + S_PAGE);
    seg->last = seq - 1;
    seg->used = off;
    *next_seq = seq;
    return off;
}

/* Zeroes a segment's bytes [off, to), keeping its size and its blocks
 * written (not fallocate: see s_zero_file). Recovery only. */
static int s_rezero(s_seg_t *seg, size_t off, size_t to)
{
    static const uint8_t zeros[1 << 16];
    while (off < to) {
        size_t n = to - off < sizeof zeros ? to - off : sizeof zeros;
        ssize_t w = pwrite(seg->fd, zeros, n, (off_t) off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return w < 0 ? errno : EIO;
        off += (size_t) w;
    }
    return fdatasync(seg->fd) < 0 ? errno : 0;
}

/* Where recovery's check for zeros after offset end stops (see "Writes"). */
static size_t s_zero_end(const evlog_store_t *self, const s_seg_t *seg, size_t end,
                         bool last)
{
    if (!last || !self->bounded || seg->size - end <= S_TAIL)
        return seg->size;
    return end + S_TAIL;
}

/* ---- checkpoints: reading (see "The recovery rule") ------------------------- */

typedef struct {
    uint8_t *file;
    size_t len;
    uint64_t cut;
    uint32_t nsegs;
    const uint8_t *segs;    /* nsegs * S_CKPT_SEG bytes */
    const uint8_t *state;
    size_t state_len;
} s_ckpt_t;

/* Reads and checks the checkpoint file named for cut. 0, or why not
 * (logged). */
static int s_ckpt_read(const evlog_store_t *self, uint64_t cut, s_ckpt_t *ck)
{
    memset(ck, 0, sizeof *ck);
    char path[4200];
    s_seg_path(self, cut, "ckpt", path, sizeof path);
    const char *why = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0) {
        why = strerror(errno);
        goto out;
    }
    if (st.st_size < S_CKPT_HDR + S_CKPT_SEG + 4 || st.st_size > S_CKPT_MAX) {
        why = "truncated or not a checkpoint (size)";
        goto out;
    }
    ck->len = (size_t) st.st_size;
    ck->file = malloc(ck->len);
    if (!ck->file)
        abort();
    for (size_t got = 0; got < ck->len;) {
        ssize_t r = pread(fd, ck->file + got, ck->len - got, (off_t) got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            why = r < 0 ? strerror(errno) : "shorter than its size";
            goto out;
        }
        got += (size_t) r;
    }
    const uint8_t *f = ck->file;
    ck->nsegs = s_get32(f + 12);
    ck->cut = s_get64(f + 16);
    ck->state_len = (size_t) s_get64(f + 24);
    if (memcmp(f, S_CKPT_MAGIC, 8) != 0 || s_get32(f + 8) != S_CKPT_VERSION) {
        why = "not a checkpoint of this version";
        goto out;
    }
    if (ck->nsegs == 0 || ck->nsegs > (ck->len - S_CKPT_HDR - 4) / S_CKPT_SEG ||
        s_get64(f + 24) != ck->len - S_CKPT_HDR - 4 - (size_t) ck->nsegs * S_CKPT_SEG) {
        why = "truncated (lengths do not add up)";
        goto out;
    }
    if (evlog_crc32c(0, f, ck->len - 4) != s_get32(f + ck->len - 4)) {
        why = "damaged (crc)";
        goto out;
    }
    if (ck->cut != cut) {
        why = "its cut is not its name";
        goto out;
    }
    ck->segs = f + S_CKPT_HDR;
    ck->state = ck->segs + (size_t) ck->nsegs * S_CKPT_SEG;
    for (uint32_t i = 0; i < ck->nsegs; i++) {
        const uint8_t *e = ck->segs + (size_t) i * S_CKPT_SEG;
        uint64_t first = s_get64(e), last = s_get64(e + 8), lo = s_get64(e + 16),
                 used = s_get64(e + 24);
        uint64_t prev_last = i ? s_get64(e - S_CKPT_SEG + 8) : 0;
        if (first != prev_last + 1 || last < first || lo + EVLOG_HDR >= used ||
            (i + 1 == ck->nsegs && last != cut)) {
            why = "its segment list is not a log's";
            goto out;
        }
    }
out:
    if (fd >= 0)
        close(fd);
    if (why) {
        klog_warn("evlog: checkpoint %s not used: %s", path, why);
        free(ck->file);
        ck->file = NULL;
        return EINVAL;
    }
    return 0;
}

/* Tries checkpoint ck against the segment files firsts[0..n): opens the
 * segments it lists and checks each one's last record, then hands the
 * state to load. On success pushes all but the last listed segment
 * (sealed; their records left to be checked when read) and sets *ckseg to
 * the last one, where the scan goes on. Else nothing is kept. */
static int s_ckpt_try(evlog_store_t *self, const s_ckpt_t *ck, const uint64_t *firsts,
                      size_t n, evlog_load_fn *load, void *arg, s_seg_t **ckseg)
{
    char path[4200];
    s_seg_path(self, ck->cut, "ckpt", path, sizeof path);
    if (ck->nsegs > n) {
        klog_warn("evlog: checkpoint %s not used: it lists %" PRIu32 " segments, the log has %zu",
                  path, ck->nsegs, n);
        return EINVAL;
    }
    s_seg_t **segs = calloc(ck->nsegs, sizeof *segs);
    if (!segs)
        abort();
    int rc = 0;
    for (uint32_t i = 0; i < ck->nsegs && rc == 0; i++) {
        const uint8_t *e = ck->segs + (size_t) i * S_CKPT_SEG;
        uint64_t first = s_get64(e), last = s_get64(e + 8);
        size_t lo = (size_t) s_get64(e + 16), used = (size_t) s_get64(e + 24);
        char spath[4200];
        s_seg_path(self, first, "seg", spath, sizeof spath);
        if (firsts[i] != first) {
            klog_warn("evlog: checkpoint %s not used: it lists segment %s, the log has "
                      "%020" PRIu64 ".seg there", path, spath, firsts[i]);
            rc = EINVAL;
            break;
        }
        bool last_listed = i + 1 == ck->nsegs;
        s_seg_t *seg = segs[i] = s_seg_new(first);
        rc = s_seg_map(seg, spath, last_listed ? O_RDWR : O_RDONLY);
        evlog_record_t rec;
        if (rc == 0 && (seg->size < used ||
                        evlog_record_read(seg->map + lo, used - lo, &rec) != used - lo ||
                        rec.seq != last))
            rc = EINVAL;
        if (seg->map)
            s_drop(seg->map, seg->size, lo, used);
        if (rc) {
            klog_warn("evlog: checkpoint %s not used: segment %s does not hold record %" PRIu64
                      " where the checkpoint says", path, spath, last);
            break;
        }
        seg->last = last;
        seg->last_off = lo;
        seg->used = used;
        if (!last_listed) {
            close(seg->fd);     /* sealed: read through the map only */
            seg->fd = -1;
            seg->vseq = first;
            seg->voff = 0;
            seg->vend = last + 1;
            seg->vend_off = used;
        }
    }
    if (rc == 0 && load(arg, ck->cut, ck->state, ck->state_len) != 0) {
        klog_warn("evlog: checkpoint %s not used: its state was refused", path);
        rc = EINVAL;
    }
    if (rc) {
        for (uint32_t i = 0; i < ck->nsegs; i++)
            s_seg_free(segs[i]);
        free(segs);
        return rc;
    }
    for (uint32_t i = 0; i + 1 < ck->nsegs; i++)
        s_segs_push(self, segs[i]);
    *ckseg = segs[ck->nsegs - 1];
    free(segs);
    return 0;
}

/* Removes the checkpoint files whose cut is in [lo, hi]. */
static void s_ckpt_remove(const evlog_store_t *self, uint64_t lo, uint64_t hi)
{
    uint64_t *cuts;
    size_t n;
    if (s_list(self->dir, "ckpt", &cuts, &n) != 0)
        return;
    for (size_t i = 0; i < n; i++) {
        if (cuts[i] < lo || cuts[i] > hi)
            continue;
        char path[4200];
        s_seg_path(self, cuts[i], "ckpt", path, sizeof path);
        if (unlink(path) == 0)
            klog_info("evlog: removed checkpoint %s", path);
    }
    free(cuts);
}

/* ---- open ------------------------------------------------------------------------ */

int evlog_store_open(evlog_store_t **out, const char *dir, size_t segment_bytes,
                     evlog_scan_fn *scan, void *arg)
{
    return evlog_store_open_ckpt(out, dir, segment_bytes, scan, NULL, arg);
}

int evlog_store_open_ckpt(evlog_store_t **out, const char *dir, size_t segment_bytes,
                          evlog_scan_fn *scan, evlog_load_fn *load, void *arg)
{
    *out = NULL;
    int mrc = kfs_mkdir(dir);
    if (mrc)
        return mrc;
    evlog_store_t *self = calloc(1, sizeof *self);
    if (!self)
        return ENOMEM;
    snprintf(self->dir, sizeof self->dir, "%s", dir);
    self->segment_bytes = segment_bytes < 65536 ? 65536 : segment_bytes;
    self->wfd = -1;
    pthread_mutex_init(&self->prep_mu, NULL);
    pthread_cond_init(&self->prep_cv, NULL);
    pthread_mutex_init(&self->ck_mu, NULL);
    pthread_cond_init(&self->ck_cv, NULL);
    pthread_cond_init(&self->ck_done, NULL);
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s/ckpt.tmp", dir);
    unlink(tmp);   /* a checkpoint a crash cut short */

    uint64_t *firsts = NULL, *cuts = NULL;
    size_t n = 0, ncuts = 0;
    int rc = s_list(dir, "seg", &firsts, &n);
    if (rc == 0)
        rc = s_list(dir, "ckpt", &cuts, &ncuts);
    if (rc) {
        free(firsts);
        evlog_store_destroy(&self);
        return rc;
    }
    self->bounded = ncuts > 0;   /* see "Writes" */
    /* The newest checkpoint that passes the recovery rule, if any. */
    uint64_t next = 1, ckcut = 0;
    size_t start = 0, ckoff = 0;
    s_seg_t *ckseg = NULL;
    for (size_t j = ncuts; load && j-- > 0 && !ckseg;) {
        s_ckpt_t ck;
        if (s_ckpt_read(self, cuts[j], &ck) == 0 &&
            s_ckpt_try(self, &ck, firsts, n, load, arg, &ckseg) == 0) {
            ckcut = ck.cut;
            start = ck.nsegs - 1;
            next = ckcut + 1;
            ckoff = ckseg->used;
            klog_info("evlog: recovering from checkpoint %020" PRIu64 ".ckpt (%" PRIu32
                      " segments not read)", ckcut, ck.nsegs - 1);
        }
        free(ck.file);
    }
    bool damaged = false;
    uint64_t scanned = 0;
    size_t nscanned = 0;
    for (size_t i = start; i < n && rc == 0; i++) {
        char path[4200];
        s_seg_path(self, firsts[i], "seg", path, sizeof path);
        s_seg_t *seg;
        size_t off0 = 0;
        uint64_t seq0 = firsts[i];
        if (ckseg) {
            seg = ckseg;
            ckseg = NULL;
            off0 = ckoff;
            seq0 = ckcut + 1;
        } else {
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
            seg = s_seg_new(firsts[i]);
            rc = s_seg_map(seg, path, O_RDWR);
        }
        bool last = i + 1 == n;
        size_t end = rc == 0 ? s_scan(seg, off0, seq0, &next, scan, arg) : 0;
        if ((rc == 0 || rc == EINVAL) && end == 0 && last &&
            !(rc == 0 && seg->size >= self->segment_bytes &&
              s_all_zero(seg->map, s_zero_end(self, seg, 0, true)))) {
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
        scanned += end - off0;
        nscanned++;
        size_t zend = s_zero_end(self, seg, end, last);
        bool clean = s_all_zero(seg->map + end, zend - end);
        s_drop(seg->map, seg->size, end, zend);
        if (!clean) {
            klog_warn("evlog: segment %s: torn or damaged record at offset %zu "
                      "after seq %" PRIu64 "; cutting the log there",
                      path, end, next - 1);
            rc = s_rezero(seg, end, zend);
            damaged = true;  /* later segments can't follow a cut */
        }
        s_segs_push(self, seg);
    }
    s_seg_free(ckseg);
    free(firsts);
    self->head = next - 1;
    /* Checkpoints that recovery refused (newer than the one it used) or
     * that speak of records past the head are gone before anything new
     * is written. */
    if (rc == 0 && ncuts > 0 && cuts[ncuts - 1] > (load ? ckcut : self->head))
        s_ckpt_remove(self, (load ? ckcut : self->head) + 1, UINT64_MAX);
    free(cuts);
    if (rc == 0 && self->nsegs == 0) {
        /* A new log: its first segment now, so the first append is fast. */
        s_seg_t *seg;
        rc = s_new_segment(self, 1, 0, &seg);
        if (rc == 0)
            s_segs_push(self, seg);
    }
    if (rc == 0)
        rc = kfs_sync_dir(dir);
    if (rc) {
        evlog_store_destroy(&self);
        return rc;
    }
    s_seg_t *lastseg = self->segs[self->nsegs - 1];
    self->wfd = lastseg->fd;
    self->wsize = lastseg->size;
    self->woff = lastseg->used;
    for (size_t i = 0; i + 1 < self->nsegs; i++) {
        if (self->segs[i]->fd >= 0)
            close(self->segs[i]->fd);   /* sealed */
        self->segs[i]->fd = -1;
    }
    s_let_go(self);
    self->ck_on = true;
    self->ck_cut = ckcut;
    self->ck_bytes = scanned;
    self->ck_seal = nscanned > 1;
    self->prep_asked = self->prep_want = self->woff > self->wsize / 2;
    self->prep_started = pthread_create(&self->prep, NULL, s_prep_run, self) == 0;
    self->ck_started = pthread_create(&self->ck_thread, NULL, s_ckpt_run, self) == 0;
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
    }
    if (self->ck_started) {
        /* writes what it was given first */
        pthread_mutex_lock(&self->ck_mu);
        self->ck_stop = true;
        pthread_cond_signal(&self->ck_cv);
        pthread_mutex_unlock(&self->ck_mu);
        pthread_join(self->ck_thread, NULL);
    }
    free(self->ck_job);
    free(self->ck_state);
    pthread_cond_destroy(&self->prep_cv);
    pthread_mutex_destroy(&self->prep_mu);
    pthread_cond_destroy(&self->ck_cv);
    pthread_cond_destroy(&self->ck_done);
    pthread_mutex_destroy(&self->ck_mu);
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

/* ---- making segments ------------------------------------------------------------ */

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
    s_seg_t *seg = s_seg_new(first);
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
        rc = seg->fd < 0 ? errno : kfs_sync_dir(self->dir);
    } else if ((rc = s_check_space(self, path, size)) == 0) {
        rc = s_zero_file(path, size, true, NULL);   /* removes it on failure */
        if (rc == 0) {
            made = true;
            seg->fd = open(path, O_RDWR | O_CLOEXEC);
            rc = seg->fd < 0 ? errno : kfs_sync_dir(self->dir);
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

/* ---- writes ------------------------------------------------------------------------ */

/* Writes len bytes of buf at offset at, then pad zeros, all of it. */
static int s_pwrite_all(int fd, const uint8_t *buf, size_t len, size_t pad, size_t at)
{
    size_t total = len + pad, done = 0;
    while (done < total) {
        struct iovec iov[2];
        int n = 0;
        if (done < len)
            iov[n++] = (struct iovec){(void *) (buf + done), len - done};
        size_t zdone = done > len ? done - len : 0;
        if (zdone < pad)
            iov[n++] = (struct iovec){(void *) (s_zeros + zdone), pad - zdone};
        ssize_t w = pwritev(fd, iov, n, (off_t) (at + done));
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return errno;
        }
        done += (size_t) w;
    }
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
    /* At most S_WRITE_MAX bytes of whole records per write + fdatasync,
     * so a crash can leave bytes only just past the durable end (see
     * "Writes"). The last write runs on to the end of its page, with
     * zeros: the bytes there are zeros on disk already. */
    for (size_t done = 0; done < b->len;) {
        size_t chunk = b->len - done;
        if (chunk > S_WRITE_MAX) {
            chunk = 0;
            for (;;) {
                size_t r = evlog_record_skip(b->buf + done + chunk);
                if (chunk > 0 && chunk + r > S_WRITE_MAX)
                    break;
                chunk += r;
            }
        }
        size_t at = self->woff + done, end = at + chunk, pad = 0;
        if (done + chunk == b->len) {
            pad = (S_PAGE - end % S_PAGE) % S_PAGE;
            if (pad > self->wsize - end)
                pad = self->wsize - end;
        }
        b->rc = s_pwrite_all(self->wfd, b->buf + done, chunk, pad, at);
        if (b->rc)
            return;
        if (fdatasync(self->wfd) < 0) {
            /* After a failed fdatasync the page cache state is unknown; the
             * daemon must stop rather than acknowledge (see evlog_server.c). */
            b->rc = errno;
            return;
        }
        done += chunk;
    }
    self->woff += b->len;
    /* Half way through a segment, have the next one made ready. */
    if (!self->prep_asked && self->prep_started && self->woff > self->wsize / 2) {
        self->prep_asked = true;
        s_prep_request(self);
    }
}

/* ---- checkpoints: writing -------------------------------------------------------- */

/* The checkpoint thread: writes the images it is given (see "Writing"). */
static void s_ckpt_write(evlog_store_t *self, const uint8_t *img, size_t len, uint64_t cut)
{
    char tmp[4200], path[4200];
    snprintf(tmp, sizeof tmp, "%s/ckpt.tmp", self->dir);
    s_seg_path(self, cut, "ckpt", path, sizeof path);
    int rc = 0;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        rc = errno;
    for (size_t done = 0; rc == 0 && done < len;) {
        ssize_t w = write(fd, img + done, len - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            rc = w < 0 ? errno : EIO;
        else
            done += (size_t) w;
    }
    if (rc == 0 && fsync(fd) < 0)
        rc = errno;
    if (fd >= 0)
        close(fd);
    if (rc == 0 && rename(tmp, path) < 0)
        rc = errno;
    if (rc == 0)
        rc = kfs_sync_dir(self->dir);
    if (rc) {
        unlink(tmp);
        klog_warn("evlog: can't write checkpoint %s: %s (the next start scans more)", path,
                  strerror(rc));
        return;
    }
    /* Keep the newest S_CKPT_KEEP: an older one is only a fallback. */
    uint64_t *cuts;
    size_t n;
    if (s_list(self->dir, "ckpt", &cuts, &n) == 0) {
        for (size_t i = 0; i + S_CKPT_KEEP < n; i++) {
            if (cuts[i] >= cut)
                break;
            char old[4200];
            s_seg_path(self, cuts[i], "ckpt", old, sizeof old);
            unlink(old);
        }
        free(cuts);
    }
}

static void *s_ckpt_run(void *arg)
{
    evlog_store_t *self = arg;
    pthread_mutex_lock(&self->ck_mu);
    for (;;) {
        while (!self->ck_job && !self->ck_stop)
            pthread_cond_wait(&self->ck_cv, &self->ck_mu);
        if (!self->ck_job)
            break;   /* stopping, nothing left to write */
        uint8_t *img = self->ck_job;
        size_t len = self->ck_job_len;
        uint64_t cut = self->ck_job_cut;
        self->ck_job = NULL;
        self->ck_busy = true;
        bool off = self->ck_disabled;
        pthread_mutex_unlock(&self->ck_mu);
        if (!off)
            s_ckpt_write(self, img, len, cut);
        free(img);
        pthread_mutex_lock(&self->ck_mu);
        self->ck_busy = false;
        pthread_cond_broadcast(&self->ck_done);
    }
    pthread_mutex_unlock(&self->ck_mu);
    return NULL;
}

/* Main thread: the pending state's cut is durable, record cut being at
 * [cut_off, cut_end) of segment segs[idx]: makes the file's image and
 * hands it to the checkpoint thread. */
static void s_ckpt_ready(evlog_store_t *self, size_t idx, uint64_t cut, size_t cut_off,
                         size_t cut_end)
{
    size_t nseg = idx + 1;
    size_t len = S_CKPT_HDR + nseg * S_CKPT_SEG + self->ck_len + 4;
    uint8_t *img = malloc(len);
    if (!img)
        abort();
    memcpy(img, S_CKPT_MAGIC, 8);
    s_put32(img + 8, S_CKPT_VERSION);
    s_put32(img + 12, (uint32_t) nseg);
    s_put64(img + 16, cut);
    s_put64(img + 24, self->ck_len);
    bool ok = nseg <= UINT32_MAX;
    for (size_t i = 0; i < nseg; i++) {
        const s_seg_t *s = self->segs[i];
        uint8_t *e = img + S_CKPT_HDR + i * S_CKPT_SEG;
        bool at = i == idx;
        s_put64(e, s->first);
        s_put64(e + 8, at ? cut : s->last);
        s_put64(e + 16, at ? cut_off : s->last_off);
        s_put64(e + 24, at ? cut_end : s->used);
        if (!at && s->last < s->first)
            ok = false;   /* a sealed segment with no record: not a log to vouch for */
    }
    memcpy(img + S_CKPT_HDR + nseg * S_CKPT_SEG, self->ck_state, self->ck_len);
    s_put32(img + len - 4, evlog_crc32c(0, img, len - 4));
    free(self->ck_state);
    self->ck_state = NULL;
    self->ck_pending = 0;
    if (!ok || !self->ck_started) {
        free(img);
        return;
    }
    self->ck_cut = cut;
    pthread_mutex_lock(&self->ck_mu);
    free(self->ck_job);   /* one not yet started: this one is newer */
    self->ck_job = img;
    self->ck_job_len = len;
    self->ck_job_cut = cut;
    pthread_cond_signal(&self->ck_cv);
    pthread_mutex_unlock(&self->ck_mu);
}

/* Main thread: damage found in records a checkpoint vouched for: none is
 * written from now on, and those with a cut from `from` on are removed. */
static void s_ckpt_disable(evlog_store_t *self, uint64_t from)
{
    self->ck_on = false;
    free(self->ck_state);
    self->ck_state = NULL;
    self->ck_pending = 0;
    if (self->ck_started) {
        pthread_mutex_lock(&self->ck_mu);
        self->ck_disabled = true;
        free(self->ck_job);
        self->ck_job = NULL;
        while (self->ck_busy)
            pthread_cond_wait(&self->ck_done, &self->ck_mu);
        pthread_mutex_unlock(&self->ck_mu);
    }
    s_ckpt_remove(self, from, UINT64_MAX);
    kfs_sync_dir(self->dir);
}

bool evlog_store_ckpt_due(const evlog_store_t *self)
{
    return self->ck_on && self->ck_pending == 0 && self->head > self->ck_cut &&
           (self->ck_bytes >= EVLOG_CKPT_BYTES || self->ck_seal || self->ck_cut == 0);
}

uint64_t evlog_store_ckpt_cut(const evlog_store_t *self)
{
    return self->ck_cut;
}

/* The index of the segment holding seq (seq <= head). */
static size_t s_find_idx(const evlog_store_t *self, uint64_t seq)
{
    size_t lo = 0, hi = self->nsegs;
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (self->segs[mid]->first <= seq)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

void evlog_store_ckpt(evlog_store_t *self, uint64_t cut, uint8_t *state, size_t len)
{
    free(self->ck_state);
    self->ck_state = NULL;
    self->ck_pending = 0;
    if (!self->ck_on || cut == 0 || cut < self->head) {
        free(state);
        return;
    }
    self->ck_state = state;
    self->ck_len = len;
    self->ck_pending = cut;
    self->ck_bytes = 0;
    self->ck_seal = false;
    if (cut == self->head) {
        size_t idx = s_find_idx(self, cut);
        const s_seg_t *seg = self->segs[idx];
        s_ckpt_ready(self, idx, cut, seg->last_off, seg->used);
    }
}

void evlog_store_ckpt_flush(evlog_store_t *self)
{
    if (!self->ck_started)
        return;
    pthread_mutex_lock(&self->ck_mu);
    while (self->ck_job || self->ck_busy)
        pthread_cond_wait(&self->ck_done, &self->ck_mu);
    pthread_mutex_unlock(&self->ck_mu);
}

/* ---- commit and reads ---------------------------------------------------------- */

void evlog_store_commit(evlog_store_t *self, const evlog_batch_t *b)
{
    assert(b->rc == 0 && b->first == self->head + 1);
    if (b->newseg) {
        if (self->nsegs > 0) {
            s_seg_t *prev = self->segs[self->nsegs - 1];
            if (prev->fd >= 0)
                close(prev->fd);   /* sealed: the syncer writes the new one */
            prev->fd = -1;
        }
        s_segs_push(self, b->newseg);
        self->ck_seal = true;
        s_index_limit(self, NULL);
    }
    s_seg_t *seg = self->segs[self->nsegs - 1];
    assert(b->offset == seg->used);
    /* Index from the batch's own bytes, not the map (see "Memory"). */
    uint64_t cut = self->ck_pending;
    size_t cut_off = 0, cut_end = 0, off = 0;
    for (uint64_t seq = b->first; off < b->len; seq++) {
        if ((seq - seg->first) % EVLOG_SPARSE == 0)
            s_sparse_add(seg, b->offset + off);
        size_t n = evlog_record_skip(b->buf + off);
        if (seq == cut) {
            cut_off = b->offset + off;
            cut_end = cut_off + n;
        }
        seg->last_off = b->offset + off;
        off += n;
    }
    seg->used += b->len;
    seg->last = b->last;
    self->head = b->last;
    self->ck_bytes += b->len;
    if (cut && cut <= b->last) {
        if (cut >= b->first)
            s_ckpt_ready(self, self->nsegs - 1, cut, cut_off, cut_end);
        else {
            free(self->ck_state);   /* can't be: cut was >= head when given */
            self->ck_state = NULL;
            self->ck_pending = 0;
        }
    }
}

/* Records of seg a checkpoint let recovery skip are found damaged at
 * vseq: reads stop before it, and the checkpoints go (see "What is not
 * read at start"). */
static void s_damaged(evlog_store_t *self, s_seg_t *seg)
{
    seg->bad = seg->vseq > seg->first ? seg->vseq : seg->first;
    char path[4200];
    s_seg_path(self, seg->first, "seg", path, sizeof path);
    klog_error("evlog: segment %s: record %" PRIu64 " is damaged (found when first read); "
               "reads stop before it, and the checkpoints from this segment on are removed "
               "so that the next start recovers the log from it (cutting it there)",
               path, seg->bad);
    s_ckpt_disable(self, seg->first);
}

/* Checks and indexes the records of seg not yet checked, up to (not
 * including) seq `to`. False if damage was found. */
static bool s_check_upto(evlog_store_t *self, s_seg_t *seg, uint64_t to)
{
    if (to > seg->vend)
        to = seg->vend;
    size_t mark = seg->voff;
    while (!seg->bad && seg->vseq < to) {
        uint64_t k = seg->vseq - seg->first;
        if (k % EVLOG_SPARSE == 0)
            s_sparse_set(seg, (size_t) (k / EVLOG_SPARSE), seg->voff);
        evlog_record_t rec;
        size_t n = evlog_record_read(seg->map + seg->voff, seg->vend_off - seg->voff, &rec);
        if (n == 0 || rec.seq != seg->vseq) {
            s_damaged(self, seg);
            break;
        }
        seg->voff += n;
        seg->vseq++;
        if (seg->voff - mark >= S_RESIDENT) {
            s_touch(self, seg, mark, seg->voff);
            mark = seg->voff;
        }
    }
    s_touch(self, seg, mark, seg->voff);
    if (!seg->bad && seg->vseq == seg->vend && seg->voff != seg->vend_off) {
        seg->vseq--;   /* the records do not end where the checkpoint said */
        s_damaged(self, seg);
    }
    return !seg->bad;
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
    s_seg_t *seg = self->segs[s_find_idx(self, from)];
    if (from > seg->last)
        return 0;
    seg->tick = ++self->tick;
    if (!seg->sparse)
        s_index_limit(self, seg);   /* it is getting one */
    if (seg->vseq < seg->vend && from >= seg->vseq && from < seg->vend)
        s_check_upto(self, seg, from);   /* the records before it, first */
    uint64_t stop = seg->bad ? seg->bad : seg->last + 1;   /* readable: < stop */
    if (from >= stop)
        return 0;
    bool unchecked = seg->vseq < seg->vend;
    uint64_t k = (from - seg->first) / EVLOG_SPARSE, seq = seg->first + k * EVLOG_SPARSE;
    size_t off;
    if (unchecked && from >= seg->vseq && from < seg->vend) {
        off = seg->voff;   /* from == vseq: just checked up to it */
        seq = seg->vseq;
    } else if (unchecked && from >= seg->vend && seq < seg->vend) {
        off = seg->vend_off;   /* the grid entry is among the unchecked */
        seq = seg->vend;
    } else
        off = seg->sparse[k];
    size_t lo = off;
    /* Durable bytes were checked when written or recovered: skip by length. */
    while (seq < from) {
        off += evlog_record_skip(seg->map + off);
        seq++;
    }
    size_t start = off, count = 0;
    while (count < max && seq < stop) {
        size_t n;
        if (seg->vseq < seg->vend && seq == seg->vseq) {
            /* not checked yet (a catch-up of a segment recovery skipped) */
            if (!s_check_upto(self, seg, seq + 1))
                break;
            n = seg->voff - off;
        } else
            n = evlog_record_skip(seg->map + off);
        if (count > 0 && off + n - start > max_bytes)
            break;
        off += n;
        seq++;
        count++;
    }
    s_touch(self, seg, lo, off);
    if (count == 0)
        return 0;
    *data = seg->map + start;
    *len = off - start;
    return count;
}
