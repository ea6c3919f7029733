/* test_evlog_store.c: unit tests of services/evlog/evlog_store.c, the
 * event log's segment files, driven directly (no daemon): the test is both
 * the main thread and the syncer, calling evlog_store_write_batch() then
 * evlog_store_commit() for each batch.
 *
 * Records are built with evlog_record_write_event() from packed
 * Kefu__Envelopes with a Probe body whose n is the log seq and whose
 * payload (10..59 bytes) is derived from it, so every record read back is
 * checked whole. Segments are the smallest the store makes (64 KiB), so a
 * few thousand records fill several of them; the test reads the segment
 * files itself (its own scan with evlog_record_read) to know where each
 * segment starts and ends.
 *
 * Covered: head; reads from the first, a middle and the last seq, from
 * every seq (the sparse index), past the head (0); the max and max_bytes
 * limits (at least one record); a read never crosses a segment; the whole
 * log read in pieces; reopen (recovery) giving the same head with the scan
 * callback seeing every record once, in order, and appends after it.
 * Recovery of damage: (a) garbage after the last record, (b) a torn last
 * record (several cut points) and a whole unacknowledged record (kept),
 * (c) a corrupt record in the middle of a non-last segment (the log stops
 * before it, later segments renamed *.damaged and kept byte for byte) and
 * a missing middle segment, (d) an empty log, (e) a segment file created
 * but holding no records: zero-filled, empty (0 bytes) and short.
 * A full disk (f): less free space than a segment (ENOSPC, nothing
 * written), a write failing during the zero fill (the part-made file
 * removed; RLIMIT_FSIZE stands in for a full disk), and a 0-byte segment
 * that does not follow on (removed, not kept as *.damaged).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "event.pb-c.h"
#include "evlog_record.h"
#include "evlog_store.h"
#include "kerr.h"
#include "ktest.h"

#define SEG 65536            /* the smallest segment the store makes */
/* Records of the populated log: at ~81 bytes a record, 800 fill a segment,
 * so 2450 make 4 segments, the last with 50 records and room to grow. */
#define NRECS 2450
#define BATCH 50

typedef struct {
    char dir[64];      /* the mkdtemp directory */
    char log[96];      /* dir/evlog: the store's directory */
    evlog_store_t *st;
} fixture_t;

/* ---- events and batches ------------------------------------------------- */

static size_t s_payload_len(uint64_t seq)
{
    return (size_t) (seq % 50) + 10;
}

static uint8_t s_payload_byte(uint64_t seq, size_t i)
{
    return (uint8_t) (seq * 7 + i * 13 + 1);
}

/* The packed event the producer of seq sent (no seq field). Caller frees. */
static uint8_t *s_event(uint64_t seq, size_t *len)
{
    uint8_t payload[64];
    size_t plen = s_payload_len(seq);
    for (size_t i = 0; i < plen; i++)
        payload[i] = s_payload_byte(seq, i);
    Kefu__Envelope ev = KEFU__ENVELOPE__INIT;
    Kefu__Probe probe = KEFU__PROBE__INIT;
    ev.producer = "test";
    ev.has_producer_seq = true;
    ev.producer_seq = seq;
    ev.has_at = true;
    ev.at = 1700000000000000 + (int64_t) seq;
    probe.has_payload = true;
    probe.payload.data = payload;
    probe.payload.len = plen;
    probe.has_n = true;
    probe.n = seq;
    ev.body_case = KEFU__ENVELOPE__BODY_PROBE;
    ev.probe = &probe;
    *len = kefu__envelope__get_packed_size(&ev);
    uint8_t *b = malloc(*len);
    assert_non_null(b);
    kefu__envelope__pack(&ev, b);
    return b;
}

/* Checks that rec is the record of seq, decoding its payload. Returns
 * false (the caller asserts) so it can be used from a scan callback. */
static bool s_rec_ok(const evlog_record_t *rec, uint64_t seq)
{
    if (rec->seq != seq)
        return false;
    Kefu__Envelope *ev = kefu__envelope__unpack(NULL, rec->len, rec->data);
    if (!ev)
        return false;
    bool ok = ev->has_seq && ev->seq == seq && ev->producer &&
              strcmp(ev->producer, "test") == 0 && ev->producer_seq == seq &&
              ev->at == 1700000000000000 + (int64_t) seq &&
              ev->body_case == KEFU__ENVELOPE__BODY_PROBE && ev->probe->n == seq &&
              ev->probe->payload.len == s_payload_len(seq);
    for (size_t i = 0; ok && i < ev->probe->payload.len; i++)
        ok = ev->probe->payload.data[i] == s_payload_byte(seq, i);
    kefu__envelope__free_unpacked(ev, NULL);
    return ok;
}

/* The record of seq, as the log writes it, into a new buffer. */
static uint8_t *s_record(uint64_t seq, size_t *size)
{
    size_t len;
    uint8_t *ev = s_event(seq, &len);
    uint8_t *b = malloc(evlog_record_size(len + 11));
    assert_non_null(b);
    *size = evlog_record_write_event(b, seq, ev, len);
    free(ev);
    return b;
}

/* Builds the batch of records first..last. Caller frees b->buf. */
static void s_batch(evlog_batch_t *b, uint64_t first, uint64_t last)
{
    memset(b, 0, sizeof *b);
    b->cap = (size_t) (last - first + 1) * evlog_record_size(64 + 64 + 11);
    b->buf = malloc(b->cap);
    assert_non_null(b->buf);
    b->first = first;
    b->last = last;
    for (uint64_t s = first; s <= last; s++) {
        size_t len;
        uint8_t *ev = s_event(s, &len);
        assert_true(b->len + evlog_record_size(len + 11) <= b->cap);
        b->len += evlog_record_write_event(b->buf + b->len, s, ev, len);
        free(ev);
    }
}

/* Appends first..last as one batch (syncer then main thread). Returns
 * whether the batch started a segment. */
static bool s_append(evlog_store_t *st, uint64_t first, uint64_t last)
{
    evlog_batch_t b;
    s_batch(&b, first, last);
    evlog_store_write_batch(st, &b);
    assert_ok(b.rc);
    bool newseg = b.newseg != NULL;
    evlog_store_commit(st, &b);
    free(b.buf);
    assert_int_equal(evlog_store_head(st), last);
    return newseg;
}

/* Appends first..last in batches of BATCH. */
static void s_append_many(evlog_store_t *st, uint64_t first, uint64_t last)
{
    for (uint64_t s = first; s <= last; s += BATCH)
        s_append(st, s, s + BATCH - 1 < last ? s + BATCH - 1 : last);
}

/* ---- the scan callback -------------------------------------------------- */

typedef struct {
    uint64_t next;     /* the seq expected next */
    uint64_t n;        /* records seen */
    uint64_t bad;      /* first seq out of order or damaged, 0 if none */
} s_scan_t;

static void s_scan_cb(void *arg, const evlog_record_t *rec)
{
    s_scan_t *s = arg;
    if (!s->bad && !s_rec_ok(rec, s->next))
        s->bad = rec->seq ? rec->seq : UINT64_MAX;
    s->next++;
    s->n++;
}

/* Reopens f->st (closing it first if open); checks that the scan saw
 * exactly 1..head, in order, and returns the head. */
static uint64_t s_reopen(fixture_t *f)
{
    evlog_store_destroy(&f->st);
    s_scan_t s = {.next = 1};
    assert_ok(evlog_store_open(&f->st, f->log, SEG, s_scan_cb, &s));
    assert_non_null(f->st);
    assert_int_equal(s.bad, 0);
    uint64_t head = evlog_store_head(f->st);
    assert_int_equal(s.n, head);
    return head;
}

/* ---- the files, as the test sees them ------------------------------------ */

typedef struct {
    uint64_t first, last;   /* last = first - 1 if no record */
    size_t end;             /* offset past the last valid record */
    size_t size;            /* file size */
    bool tail_zero;         /* all zeros from end to size */
} s_seginfo_t;

static void s_seg_path(const fixture_t *f, uint64_t first, const char *ext, char *buf,
                       size_t cap)
{
    snprintf(buf, cap, "%s/%020" PRIu64 ".%s", f->log, first, ext);
}

static bool s_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static uint8_t *s_read_file(const char *path, size_t *size)
{
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    struct stat st;
    assert_int_equal(fstat(fd, &st), 0);
    *size = (size_t) st.st_size;
    uint8_t *b = malloc(*size ? *size : 1);
    assert_non_null(b);
    assert_int_equal(pread(fd, b, *size, 0), (ssize_t) *size);
    close(fd);
    return b;
}

static void s_pwrite(const char *path, const void *data, size_t len, size_t off)
{
    int fd = open(path, O_WRONLY);
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, data, len, (off_t) off), (ssize_t) len);
    assert_int_equal(close(fd), 0);
}

static int s_cmp_info(const void *a, const void *b)
{
    uint64_t x = ((const s_seginfo_t *) a)->first, y = ((const s_seginfo_t *) b)->first;
    return x < y ? -1 : x > y;
}

/* Scans the *.seg files of the log in seq order into segs (up to cap);
 * returns how many there are. */
static size_t s_segments(const fixture_t *f, s_seginfo_t *segs, size_t cap)
{
    DIR *d = opendir(f->log);
    assert_non_null(d);
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l != 24 || strcmp(e->d_name + 20, ".seg") != 0)
            continue;
        assert_true(n < cap);
        segs[n++].first = strtoull(e->d_name, NULL, 10);
    }
    closedir(d);
    qsort(segs, n, sizeof *segs, s_cmp_info);
    for (size_t i = 0; i < n; i++) {
        char path[160];
        s_seg_path(f, segs[i].first, "seg", path, sizeof path);
        size_t size;
        uint8_t *b = s_read_file(path, &size);
        size_t off = 0;
        uint64_t seq = segs[i].first;
        evlog_record_t rec;
        size_t used;
        while ((used = evlog_record_read(b + off, size - off, &rec)) > 0 && rec.seq == seq) {
            off += used;
            seq++;
        }
        segs[i].last = seq - 1;
        segs[i].end = off;
        segs[i].size = size;
        segs[i].tail_zero = true;
        for (size_t k = off; k < size; k++)
            if (b[k]) {
                segs[i].tail_zero = false;
                break;
            }
        free(b);
    }
    return n;
}

/* The offset of record seq in the segment starting at first. */
static size_t s_offset_of(const fixture_t *f, uint64_t first, uint64_t seq)
{
    char path[160];
    s_seg_path(f, first, "seg", path, sizeof path);
    size_t size;
    uint8_t *b = s_read_file(path, &size);
    size_t off = 0;
    for (uint64_t s = first; s < seq; s++) {
        evlog_record_t rec;
        size_t used = evlog_record_read(b + off, size - off, &rec);
        assert_true(used > 0);
        assert_int_equal(rec.seq, s);
        off += used;
    }
    free(b);
    return off;
}

/* Checks the files make one log 1..head: names follow on, every segment
 * SEG bytes and zeros after its records, all segments but the last full
 * enough that the next batch did not fit. Returns the number of segments. */
static size_t s_check_files(const fixture_t *f, uint64_t head, s_seginfo_t *segs, size_t cap)
{
    size_t n = s_segments(f, segs, cap);
    uint64_t next = 1;
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(segs[i].first, next);
        assert_int_equal(segs[i].size, SEG);
        assert_true(segs[i].tail_zero);
        next = segs[i].last + 1;
    }
    assert_int_equal(next - 1, head);
    return n;
}

/* ---- reads ---------------------------------------------------------------- */

/* Parses a read's bytes: count records from seq from, each checked.
 * Returns the bytes they take. */
static size_t s_check_read(const uint8_t *data, size_t len, uint64_t from, size_t count)
{
    size_t off = 0;
    for (size_t i = 0; i < count; i++) {
        evlog_record_t rec;
        size_t used = evlog_record_read(data + off, len - off, &rec);
        assert_true(used > 0);
        assert_true(s_rec_ok(&rec, from + i));
        off += used;
    }
    assert_int_equal(off, len);
    return off;
}

/* The segment (index) that holds seq. */
static size_t s_seg_of(const s_seginfo_t *segs, size_t n, uint64_t seq)
{
    for (size_t i = 0; i < n; i++)
        if (seq >= segs[i].first && seq <= segs[i].last)
            return i;
    fail_msg("seq %" PRIu64 " in no segment", seq);
    return 0;
}

/* ---- fixture --------------------------------------------------------------- */

static int s_setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    strcpy(f->dir, "/tmp/kefu-test-evlog-store-XXXXXX");
    if (!mkdtemp(f->dir)) {
        free(f);
        return -1;
    }
    snprintf(f->log, sizeof f->log, "%s/evlog", f->dir);
    *state = f;
    return 0;
}

/* A fixture with the log 1..NRECS already written and reopened. */
static int s_setup_full(void **state)
{
    if (s_setup(state))
        return -1;
    fixture_t *f = *state;
    if (evlog_store_open(&f->st, f->log, SEG, NULL, NULL))
        return -1;
    s_append_many(f->st, 1, NRECS);
    return 0;
}

static int s_teardown(void **state)
{
    fixture_t *f = *state;
    evlog_store_destroy(&f->st);
    int rc = ktest_rmtree(f->dir);
    free(f);
    return rc;
}

/* ---- tests: writing and reading --------------------------------------------- */

static void test_empty(void **state)
{
    fixture_t *f = *state;
    /* (d) the directory does not exist yet: open makes it */
    assert_false(s_exists(f->log));
    s_scan_t s = {.next = 1};
    assert_ok(evlog_store_open(&f->st, f->log, SEG, s_scan_cb, &s));
    assert_true(s_exists(f->log));
    assert_int_equal(s.n, 0);
    assert_int_equal(evlog_store_head(f->st), 0);
    const uint8_t *data = (const uint8_t *) "x";
    size_t len = 99;
    assert_int_equal(evlog_store_read(f->st, 1, 100, 1 << 20, &data, &len), 0);
    assert_null(data);
    assert_int_equal(len, 0);
    assert_int_equal(evlog_store_read(f->st, 0, 100, 1 << 20, &data, &len), 0);
    s_seginfo_t segs[4];
    /* the first segment is made at open, so the first append is fast */
    assert_int_equal(s_segments(f, segs, 4), 1);
    assert_int_equal(segs[0].first, 1);

    /* reopen an empty log: still empty, the same one segment kept */
    assert_int_equal(s_reopen(f), 0);
    assert_int_equal(s_reopen(f), 0);
    assert_int_equal(s_segments(f, segs, 4), 1);

    /* the first batch goes into segment 1, made at open */
    assert_false(s_append(f->st, 1, 10));
    assert_int_equal(s_check_files(f, 10, segs, 4), 1);
    assert_int_equal(segs[0].first, 1);
    assert_int_equal(evlog_store_read(f->st, 1, 100, 1 << 20, &data, &len), 10);
    s_check_read(data, len, 1, 10);
    /* the second goes after it, in the same segment */
    assert_false(s_append(f->st, 11, 11));
    assert_int_equal(s_reopen(f), 11);
    assert_int_equal(evlog_store_read(f->st, 1, 100, 1 << 20, &data, &len), 11);
    s_check_read(data, len, 1, 11);
}

static void test_segments(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(evlog_store_head(f->st), NRECS);
    s_seginfo_t segs[16];
    size_t n = s_check_files(f, NRECS, segs, 16);
    assert_true(n >= 3);
    /* a segment was closed only when the next batch did not fit: its
     * free space is less than a batch of the biggest records */
    for (size_t i = 0; i + 1 < n; i++)
        assert_true(SEG - segs[i].end < BATCH * evlog_record_size(64 + 64 + 11));
    /* batches never straddle: every segment starts on a batch boundary */
    for (size_t i = 0; i < n; i++)
        assert_int_equal((segs[i].first - 1) % BATCH, 0);
}

static void test_read_each(void **state)
{
    fixture_t *f = *state;
    const uint8_t *data;
    size_t len;
    /* every seq alone: exercises the sparse index from every position */
    for (uint64_t s = 1; s <= NRECS; s++) {
        assert_int_equal(evlog_store_read(f->st, s, 1, SIZE_MAX, &data, &len), 1);
        s_check_read(data, len, s, 1);
    }
    /* past the head */
    data = (const uint8_t *) "x";
    len = 1;
    assert_int_equal(evlog_store_read(f->st, NRECS + 1, 1, SIZE_MAX, &data, &len), 0);
    assert_null(data);
    assert_int_equal(len, 0);
    assert_int_equal(evlog_store_read(f->st, UINT64_MAX, 10, SIZE_MAX, &data, &len), 0);
    /* max 0 */
    assert_int_equal(evlog_store_read(f->st, 1, 0, SIZE_MAX, &data, &len), 0);
}

static void test_read_limits(void **state)
{
    fixture_t *f = *state;
    s_seginfo_t segs[16];
    size_t n = s_check_files(f, NRECS, segs, 16);
    const uint8_t *data;
    size_t len;

    /* first, max 5 */
    assert_int_equal(evlog_store_read(f->st, 1, 5, SIZE_MAX, &data, &len), 5);
    s_check_read(data, len, 1, 5);
    /* the last, with room for more: just it */
    assert_int_equal(evlog_store_read(f->st, NRECS, 100, SIZE_MAX, &data, &len), 1);
    s_check_read(data, len, NRECS, 1);
    /* the last five */
    assert_int_equal(evlog_store_read(f->st, NRECS - 4, 100, SIZE_MAX, &data, &len), 5);
    s_check_read(data, len, NRECS - 4, 5);
    /* a middle one, in the second segment, 10 of them */
    uint64_t mid = (segs[1].first + segs[1].last) / 2;
    assert_int_equal(evlog_store_read(f->st, mid, 10, SIZE_MAX, &data, &len), 10);
    s_check_read(data, len, mid, 10);

    /* max_bytes: the sizes of records 101, 102, 103 */
    size_t r1, r2, r3;
    free(s_record(101, &r1));
    free(s_record(102, &r2));
    free(s_record(103, &r3));
    assert_int_equal(evlog_store_read(f->st, 101, 100, r1 + r2 + r3, &data, &len), 3);
    assert_int_equal(len, r1 + r2 + r3);
    s_check_read(data, len, 101, 3);
    assert_int_equal(evlog_store_read(f->st, 101, 100, r1 + r2 + r3 - 1, &data, &len), 2);
    assert_int_equal(len, r1 + r2);
    assert_int_equal(evlog_store_read(f->st, 101, 100, r1 + r2, &data, &len), 2);
    assert_int_equal(evlog_store_read(f->st, 101, 100, r1, &data, &len), 1);
    /* at least one record, even when it alone is over max_bytes */
    assert_int_equal(evlog_store_read(f->st, 101, 100, 1, &data, &len), 1);
    assert_int_equal(len, r1);
    assert_int_equal(evlog_store_read(f->st, 101, 100, 0, &data, &len), 1);
    s_check_read(data, len, 101, 1);
    /* max wins when it is the smaller limit */
    assert_int_equal(evlog_store_read(f->st, 101, 2, SIZE_MAX, &data, &len), 2);

    /* never across a segment: from each segment's first, everything it
     * holds and no more; from its last, one record */
    for (size_t i = 0; i < n; i++) {
        size_t want = (size_t) (segs[i].last - segs[i].first + 1);
        assert_int_equal(evlog_store_read(f->st, segs[i].first, SIZE_MAX, SIZE_MAX, &data, &len),
                         want);
        assert_int_equal(len, segs[i].end);
        s_check_read(data, len, segs[i].first, want);
        assert_int_equal(evlog_store_read(f->st, segs[i].last, SIZE_MAX, SIZE_MAX, &data, &len), 1);
        s_check_read(data, len, segs[i].last, 1);
        if (i + 1 < n) {
            assert_int_equal(evlog_store_read(f->st, segs[i].last - 2, 100, SIZE_MAX, &data, &len), 3);
            s_check_read(data, len, segs[i].last - 2, 3);
        }
    }
}

/* The whole log in reads of at most 100 records and 4 KiB, as the server
 * serves a fetch. */
static void test_read_all(void **state)
{
    fixture_t *f = *state;
    s_seginfo_t segs[16];
    size_t n = s_check_files(f, NRECS, segs, 16);
    uint64_t from = 1;
    size_t reads = 0;
    while (from <= NRECS) {
        const uint8_t *data;
        size_t len;
        size_t got = evlog_store_read(f->st, from, 100, 4096, &data, &len);
        assert_true(got >= 1 && got <= 100);
        assert_true(len <= 4096);
        s_check_read(data, len, from, got);
        assert_int_equal(s_seg_of(segs, n, from), s_seg_of(segs, n, from + got - 1));
        from += got;
        reads++;
    }
    assert_int_equal(from, NRECS + 1);
    assert_true(reads >= NRECS / 100);
}

static void s_assert_same_seg(const s_seginfo_t *a, const s_seginfo_t *b)
{
    assert_int_equal(a->first, b->first);
    assert_int_equal(a->last, b->last);
    assert_int_equal(a->end, b->end);
    assert_int_equal(a->size, b->size);
    assert_int_equal(a->tail_zero, b->tail_zero);
}

static void test_reopen(void **state)
{
    fixture_t *f = *state;
    s_seginfo_t before[16], after[16];
    size_t n = s_check_files(f, NRECS, before, 16);
    assert_int_equal(s_reopen(f), NRECS);
    assert_int_equal(s_check_files(f, NRECS, after, 16), n);
    for (size_t i = 0; i < n; i++)
        s_assert_same_seg(&before[i], &after[i]);
    /* reads after recovery, across the segments */
    const uint8_t *data;
    size_t len;
    for (uint64_t s = 1; s <= NRECS; s += 37) {
        size_t got = evlog_store_read(f->st, s, 3, SIZE_MAX, &data, &len);
        assert_true(got >= 1);
        s_check_read(data, len, s, got);
    }
    /* appends go on after the last record (in the last segment while it
     * has room), and survive another reopen */
    s_append_many(f->st, NRECS + 1, NRECS + 500);
    assert_int_equal(s_reopen(f), NRECS + 500);
    assert_true(s_check_files(f, NRECS + 500, after, 16) >= n);
    for (size_t i = 0; i + 1 < n; i++)
        s_assert_same_seg(&before[i], &after[i]);
    assert_int_equal(after[n - 1].first, before[n - 1].first);
    assert_true(after[n - 1].last > NRECS);
    assert_int_equal(evlog_store_read(f->st, NRECS, 2, SIZE_MAX, &data, &len), 2);
    s_check_read(data, len, NRECS, 2);
}

/* ---- tests: recovery ----------------------------------------------------------- */

/* After damage at the tail of the last segment: the log is cut at
 * head, the rest of the segment is zeros again, the cut holds on a second
 * reopen, and appends after it are read back after another reopen. */
static void s_check_cut(fixture_t *f, uint64_t head, size_t nsegs)
{
    assert_int_equal(s_reopen(f), head);
    s_seginfo_t segs[16];
    assert_int_equal(s_check_files(f, head, segs, 16), nsegs);  /* tail zeroed, size kept */
    assert_int_equal(s_reopen(f), head);
    s_append_many(f->st, head + 1, head + 60);
    assert_int_equal(s_reopen(f), head + 60);
    assert_int_equal(s_check_files(f, head + 60, segs, 16), nsegs);  /* in the same segment */
    const uint8_t *data;
    size_t len;
    assert_int_equal(evlog_store_read(f->st, head - 1, 100, SIZE_MAX, &data, &len), 62);
    s_check_read(data, len, head - 1, 62);
}

static void test_garbage_tail(void **state)
{
    fixture_t *f = *state;
    s_seginfo_t segs[16];
    size_t n = s_check_files(f, NRECS, segs, 16);
    s_seginfo_t *last = &segs[n - 1];
    assert_true(last->end + 20000 < SEG);  /* room for what follows */
    evlog_store_destroy(&f->st);

    /* (a) garbage right after the last record, and more further on */
    char path[160];
    s_seg_path(f, last->first, "seg", path, sizeof path);
    uint8_t junk[200];
    memset(junk, 0xA5, sizeof junk);
    s_pwrite(path, junk, sizeof junk, last->end);
    s_pwrite(path, junk, 5, last->end + 9000);
    s_check_cut(f, NRECS, n);
}

static void test_garbage_far(void **state)
{
    fixture_t *f = *state;
    s_seginfo_t segs[16];
    size_t n = s_check_files(f, NRECS, segs, 16);
    evlog_store_destroy(&f->st);
    /* one stray byte at the very end of the last segment */
    char path[160];
    s_seg_path(f, segs[n - 1].first, "seg", path, sizeof path);
    s_pwrite(path, "\x01", 1, SEG - 1);
    s_check_cut(f, NRECS, n);
}

static void test_torn_tail(void **state)
{
    fixture_t *f = *state;
    s_seginfo_t segs[16];
    size_t n = s_check_files(f, NRECS, segs, 16);
    size_t end = segs[n - 1].end;
    char path[160];
    s_seg_path(f, segs[n - 1].first, "seg", path, sizeof path);
    /* (b) the next record, cut after 8 bytes (not even a header), 16 (a
     * header only), half of it, and all but its last payload byte */
    uint64_t head = NRECS;
    for (int kind = 0; kind < 4; kind++) {
        evlog_store_destroy(&f->st);
        /* the record that was being written when the process died */
        size_t size;
        uint8_t *rec = s_record(head + 1, &size);
        evlog_record_t r;
        assert_int_equal(evlog_record_read(rec, size, &r), size);
        size_t cut = kind == 0 ? 8 : kind == 1 ? EVLOG_HDR : kind == 2 ? size / 2
                                                                        : EVLOG_HDR + r.len - 1;
        /* the last byte of a varint is never 0: the missing byte mattered */
        assert_true(rec[EVLOG_HDR + r.len - 1] != 0);
        assert_int_equal(s_offset_of(f, segs[n - 1].first, head + 1), end);
        s_pwrite(path, rec, cut, end);
        free(rec);
        s_check_cut(f, head, n);
        /* s_check_cut appended 60 records after the cut */
        head += 60;
        end = s_offset_of(f, segs[n - 1].first, head + 1);
    }
}

/* A whole record written but never acknowledged (the process died between
 * the write and the fdatasync's return): it is valid, so it is kept. */
static void test_unacked_whole_record(void **state)
{
    fixture_t *f = *state;
    s_seginfo_t segs[16];
    size_t n = s_check_files(f, NRECS, segs, 16);
    evlog_store_destroy(&f->st);
    char path[160];
    s_seg_path(f, segs[n - 1].first, "seg", path, sizeof path);
    size_t size;
    uint8_t *rec = s_record(NRECS + 1, &size);
    s_pwrite(path, rec, size, segs[n - 1].end);
    free(rec);
    assert_int_equal(s_reopen(f), NRECS + 1);
    const uint8_t *data;
    size_t len;
    assert_int_equal(evlog_store_read(f->st, NRECS + 1, 10, SIZE_MAX, &data, &len), 1);
    s_check_read(data, len, NRECS + 1, 1);
    s_append_many(f->st, NRECS + 2, NRECS + 10);
    assert_int_equal(s_reopen(f), NRECS + 10);
    s_check_files(f, NRECS + 10, segs, 16);
}

static void test_corrupt_middle(void **state)
{
    fixture_t *f = *state;
    s_seginfo_t segs[16];
    size_t n = s_check_files(f, NRECS, segs, 16);
    assert_true(n >= 3);
    evlog_store_destroy(&f->st);

    /* keep the later segments' bytes to compare with what is set aside */
    uint8_t *kept[16];
    size_t kept_size[16];
    for (size_t i = 2; i < n; i++) {
        char path[160];
        s_seg_path(f, segs[i].first, "seg", path, sizeof path);
        kept[i] = s_read_file(path, &kept_size[i]);
    }
    /* (c) flip a payload bit of a record in the middle of segment 2 (of
     * n; not the last) */
    uint64_t bad = (segs[1].first + segs[1].last) / 2;
    size_t off = s_offset_of(f, segs[1].first, bad);
    char path2[160];
    s_seg_path(f, segs[1].first, "seg", path2, sizeof path2);
    size_t size2;
    uint8_t *b = s_read_file(path2, &size2);
    uint8_t flipped = b[off + EVLOG_HDR + 3] ^ 0x10;
    free(b);
    s_pwrite(path2, &flipped, 1, off + EVLOG_HDR + 3);

    /* the log ends before it */
    assert_int_equal(s_reopen(f), bad - 1);
    s_seginfo_t now[16];
    assert_int_equal(s_check_files(f, bad - 1, now, 16), 2);
    assert_int_equal(now[1].end, off);  /* the rest of segment 2 zeroed */
    assert_int_equal(now[1].size, SEG);
    const uint8_t *data;
    size_t len;
    assert_int_equal(evlog_store_read(f->st, bad - 1, 10, SIZE_MAX, &data, &len), 1);
    assert_int_equal(evlog_store_read(f->st, bad, 10, SIZE_MAX, &data, &len), 0);
    /* the later segments are set aside, never deleted, byte for byte */
    for (size_t i = 2; i < n; i++) {
        char seg[160], aside[160];
        s_seg_path(f, segs[i].first, "seg", seg, sizeof seg);
        s_seg_path(f, segs[i].first, "damaged", aside, sizeof aside);
        assert_false(s_exists(seg));
        assert_true(s_exists(aside));
        size_t sz;
        uint8_t *now_b = s_read_file(aside, &sz);
        assert_int_equal(sz, kept_size[i]);
        assert_memory_equal(now_b, kept[i], sz);
        free(now_b);
    }
    /* the same on a second reopen */
    assert_int_equal(s_reopen(f), bad - 1);
    /* appends go on from the cut, in segment 2, then into new segments
     * named after their first seq; the *.damaged files stay */
    s_append_many(f->st, bad, NRECS + 200);
    assert_int_equal(s_reopen(f), NRECS + 200);
    size_t m = s_check_files(f, NRECS + 200, now, 16);
    assert_true(m >= 3);
    assert_int_equal(now[1].first, segs[1].first);
    assert_int_equal(s_offset_of(f, segs[1].first, bad), off);
    for (uint64_t s = bad - 2; s <= NRECS + 200; s += 50) {
        size_t got = evlog_store_read(f->st, s, 5, SIZE_MAX, &data, &len);
        assert_true(got >= 1);
        s_check_read(data, len, s, got);
    }
    for (size_t i = 2; i < n; i++) {
        char aside[160];
        s_seg_path(f, segs[i].first, "damaged", aside, sizeof aside);
        assert_true(s_exists(aside));
        free(kept[i]);
    }
}

/* A segment missing from the middle: the ones after it can't follow on. */
static void test_missing_middle(void **state)
{
    fixture_t *f = *state;
    s_seginfo_t segs[16];
    size_t n = s_check_files(f, NRECS, segs, 16);
    assert_true(n >= 3);
    evlog_store_destroy(&f->st);
    char path[160];
    s_seg_path(f, segs[1].first, "seg", path, sizeof path);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(s_reopen(f), segs[0].last);
    for (size_t i = 2; i < n; i++) {
        char aside[160];
        s_seg_path(f, segs[i].first, "damaged", aside, sizeof aside);
        assert_true(s_exists(aside));
    }
    s_seginfo_t now[16];
    assert_int_equal(s_check_files(f, segs[0].last, now, 16), 1);
    /* appends go on: segment 1 is full enough, so a new segment with the
     * name the missing one had */
    s_append_many(f->st, segs[0].last + 1, segs[0].last + 100);
    assert_int_equal(s_reopen(f), segs[0].last + 100);
    assert_int_equal(s_check_files(f, segs[0].last + 100, now, 16), 2);
    assert_int_equal(now[1].first, segs[1].first);
}

/* (e) The process died after it created a segment for a batch and before
 * it wrote the batch: a segment file of zeros. */
static void test_empty_segment(void **state)
{
    fixture_t *f = *state;
    s_seginfo_t segs[16];
    size_t n = s_check_files(f, NRECS, segs, 16);
    evlog_store_destroy(&f->st);
    char path[160];
    s_seg_path(f, NRECS + 1, "seg", path, sizeof path);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
    assert_true(fd >= 0);
    static const uint8_t zeros[SEG];
    assert_int_equal(pwrite(fd, zeros, SEG, 0), SEG);
    close(fd);

    /* a whole segment of zeros is a good empty segment: recovery keeps it */
    assert_int_equal(s_reopen(f), NRECS);
    assert_true(s_exists(path));
    assert_int_equal(s_check_files(f, NRECS, segs, 16), n + 1);
    /* the next batch goes into it, from its start: no new segment */
    assert_false(s_append(f->st, NRECS + 1, NRECS + 40));
    assert_int_equal(s_reopen(f), NRECS + 40);
    assert_int_equal(s_check_files(f, NRECS + 40, segs, 16), n + 1);
    assert_int_equal(segs[n].first, NRECS + 1);
    assert_int_equal(segs[n].last, NRECS + 40);
    const uint8_t *data;
    size_t len;
    assert_int_equal(evlog_store_read(f->st, NRECS, 100, SIZE_MAX, &data, &len), 1);
    assert_int_equal(evlog_store_read(f->st, NRECS + 1, 100, SIZE_MAX, &data, &len), 40);
    s_check_read(data, len, NRECS + 1, 40);
}

/* (e) The same crash a moment earlier: the file was created (open with
 * O_CREAT) but not yet filled, so it has 0 bytes. Recovery must not
 * refuse to open the log over it. */
static void test_empty_segment_0_bytes(void **state)
{
    fixture_t *f = *state;
    evlog_store_destroy(&f->st);
    char path[160];
    s_seg_path(f, NRECS + 1, "seg", path, sizeof path);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
    assert_true(fd >= 0);
    close(fd);

    /* BUG (services/evlog/evlog_store.c, s_seg_map): a 0-byte segment
     * file makes s_seg_map return EINVAL, so evlog_store_open fails and
     * the log daemon can't start after a crash between the open(O_CREAT)
     * and the zero fill in s_new_segment. */
    s_scan_t s = {.next = 1};
    assert_ok(evlog_store_open(&f->st, f->log, SEG, s_scan_cb, &s));
    assert_int_equal(s.n, NRECS);
    assert_int_equal(evlog_store_head(f->st), NRECS);
    s_append_many(f->st, NRECS + 1, NRECS + 40);
    assert_int_equal(s_reopen(f), NRECS + 40);
    s_seginfo_t segs[16];
    s_check_files(f, NRECS + 40, segs, 16);
    const uint8_t *data;
    size_t len;
    assert_int_equal(evlog_store_read(f->st, NRECS + 1, 100, SIZE_MAX, &data, &len), 40);
    s_check_read(data, len, NRECS + 1, 40);
}

/* (e) Or died during the zero fill: a short file of zeros, smaller than
 * the next batch. */
static void test_empty_segment_short(void **state)
{
    fixture_t *f = *state;
    evlog_store_destroy(&f->st);
    char path[160];
    s_seg_path(f, NRECS + 1, "seg", path, sizeof path);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
    assert_true(fd >= 0);
    static const uint8_t zeros[4096];
    assert_int_equal(pwrite(fd, zeros, sizeof zeros, 0), sizeof zeros);
    close(fd);

    assert_int_equal(s_reopen(f), NRECS);
    /* 100 records take more than 4096 bytes */
    evlog_batch_t b;
    s_batch(&b, NRECS + 1, NRECS + 100);
    assert_true(b.len > 4096);
    evlog_store_write_batch(f->st, &b);
    /* BUG (services/evlog/evlog_store.c, evlog_store_write_batch ->
     * s_new_segment): the batch does not fit in the short empty segment
     * NRECS+1.seg, so a new segment is made for it, named by the batch's
     * first seq: the same name. open(O_CREAT | O_EXCL) fails with EEXIST,
     * and every later batch fails the same way: the log is stuck. */
    int rc = b.rc;
    if (rc == 0)
        evlog_store_commit(f->st, &b);
    free(b.buf);
    assert_ok(rc);
    assert_int_equal(s_reopen(f), NRECS + 100);
    const uint8_t *data;
    size_t len;
    assert_int_equal(evlog_store_read(f->st, NRECS + 1, 100, SIZE_MAX, &data, &len), 100);
    s_check_read(data, len, NRECS + 1, 100);
}

/* ---- tests: a full disk ----------------------------------------------------- */

/* Entries in f->log other than "." and "..". */
static size_t s_nfiles(const fixture_t *f)
{
    DIR *d = opendir(f->log);
    assert_non_null(d);
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

/* Caps the size of any file this process writes at bytes (a write past it
 * fails with EFBIG, as one past a full disk fails with ENOSPC); old gets
 * the limit to restore. */
static void s_limit_fsize(rlim_t bytes, struct rlimit *old)
{
    signal(SIGXFSZ, SIG_IGN);   /* EFBIG rather than the signal */
    assert_int_equal(getrlimit(RLIMIT_FSIZE, old), 0);
    struct rlimit lim = {.rlim_cur = bytes, .rlim_max = old->rlim_max};
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
}

/* (f) Less free space than one segment: a new log fails with ENOSPC and
 * writes nothing, rather than fill the disk with a part-made segment. The
 * file size limit keeps the machine safe should the check be missing:
 * the zero fill would stop at 4 MiB (EFBIG) instead of filling /tmp. */
static void test_no_space_new_log(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(mkdir(f->log, 0700), 0);
    uint64_t avail = 0;
    assert_ok(evlog_store_space(f->log, 0, &avail));
    size_t seg = (size_t) avail + 64 * 1024 * 1024;
    assert_rc(evlog_store_space(f->log, seg, NULL), ENOSPC);
    assert_ok(evlog_store_space(f->log, SEG, NULL));

    struct rlimit old;
    s_limit_fsize(4 * 1024 * 1024, &old);
    int rc = evlog_store_open(&f->st, f->log, seg, NULL, NULL);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    assert_rc(rc, ENOSPC);
    assert_null(f->st);
    assert_int_equal(s_nfiles(f), 0);

    /* with a segment that fits, the same directory makes a log */
    assert_ok(evlog_store_open(&f->st, f->log, SEG, NULL, NULL));
    s_append_many(f->st, 1, 10);
    assert_int_equal(s_reopen(f), 10);
}

/* (f) A write that fails while a segment is being made (the space went
 * elsewhere after the check): the part-made file is removed at once, so
 * nothing holds the space and recovery never sees it. */
static void test_failed_fill_removes_segment(void **state)
{
    fixture_t *f = *state;
    struct rlimit old;
    s_limit_fsize(SEG / 2, &old);
    int rc = evlog_store_open(&f->st, f->log, SEG, NULL, NULL);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    assert_rc(rc, EFBIG);
    assert_null(f->st);
    assert_int_equal(s_nfiles(f), 0);
    assert_int_equal(s_reopen(f), 0);
    s_append_many(f->st, 1, 10);
    assert_int_equal(s_reopen(f), 10);
}

/* (f) A 0-byte segment that does not follow on (left by a failed
 * creation after the log moved on, or by an older version): it holds
 * nothing, so it is removed, never kept as an empty *.damaged. */
static void test_empty_segment_0_bytes_not_following(void **state)
{
    fixture_t *f = *state;
    evlog_store_destroy(&f->st);
    char path[160], aside[160];
    s_seg_path(f, NRECS + 100, "seg", path, sizeof path);
    s_seg_path(f, NRECS + 100, "damaged", aside, sizeof aside);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(s_reopen(f), NRECS);
    assert_false(s_exists(path));
    assert_false(s_exists(aside));
    s_seginfo_t segs[16];
    s_check_files(f, NRECS, segs, 16);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_empty, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_segments, s_setup_full, s_teardown),
        cmocka_unit_test_setup_teardown(test_read_each, s_setup_full, s_teardown),
        cmocka_unit_test_setup_teardown(test_read_limits, s_setup_full, s_teardown),
        cmocka_unit_test_setup_teardown(test_read_all, s_setup_full, s_teardown),
        cmocka_unit_test_setup_teardown(test_reopen, s_setup_full, s_teardown),
        cmocka_unit_test_setup_teardown(test_garbage_tail, s_setup_full, s_teardown),
        cmocka_unit_test_setup_teardown(test_garbage_far, s_setup_full, s_teardown),
        cmocka_unit_test_setup_teardown(test_torn_tail, s_setup_full, s_teardown),
        cmocka_unit_test_setup_teardown(test_unacked_whole_record, s_setup_full, s_teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_middle, s_setup_full, s_teardown),
        cmocka_unit_test_setup_teardown(test_missing_middle, s_setup_full, s_teardown),
        cmocka_unit_test_setup_teardown(test_empty_segment, s_setup_full, s_teardown),
        cmocka_unit_test_setup_teardown(test_empty_segment_0_bytes, s_setup_full, s_teardown),
        cmocka_unit_test_setup_teardown(test_empty_segment_short, s_setup_full, s_teardown),
        cmocka_unit_test_setup_teardown(test_no_space_new_log, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_failed_fill_removes_segment, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_empty_segment_0_bytes_not_following, s_setup_full,
                                        s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
