/* test_evlog_ckpt.c: unit tests of the log's checkpoints
 * (services/evlog/evlog_store.c, "Checkpoints"; evlog_state.c), driven as
 * the log daemon drives them but without a daemon: the test assigns
 * events (moving its "live" state on, as the main thread does), hands a
 * checkpoint over whenever the store says one is due (its cut the last
 * seq assigned, so not yet durable, and now and then inside a batch that
 * takes in the next one, as the syncer merges), and writes and commits
 * the batches itself. Events come from four producers in runs (p0 has
 * 40% of them, so more than a dedup window of 4096) and every 500th is a
 * ClockAdvanced of producer "evlog", every other one with a request id.
 * Segments are the smallest the store makes (64 KiB): 20000 events make
 * some 25 of them.
 *
 * Covered: a checkpoint is due with a log's first records and at a seal,
 * is written (flush) under its
 * cut's name, and the next open uses it: the load callback gets its cut
 * and the scan only the records after it. The state rebuilt from a
 * checkpoint (and the records after it) is the one the test kept, and
 * the one a full scan rebuilds: every producer's last producer_seq and
 * every seq of its window, the clock requests and the clock's furthest
 * point; the same after more appends and another open. The two newest
 * are kept. A damaged checkpoint (a flipped byte) is ignored and removed,
 * and the older one used; both damaged: a full scan. Truncated (to 0,
 * to its header, by one byte), a good crc over a state the daemon can't
 * read, and a leftover ckpt.tmp: the same. None:
 * a full scan. Reads after a start from a checkpoint (every seq, in both
 * orders, and the whole log in pieces) check the records recovery did
 * not read. A record damaged in such a segment: reads stop before it,
 * the checkpoints go, and the next open cuts the log there. A segment
 * missing under a checkpoint: it is not used (the log is cut as without
 * it). A torn tail after the cut is cut off. A batch bigger than one
 * write (1 MiB) is written and read back whole. The tail check with
 * checkpoints there reads only the 1 MiB + 4 KiB a crash can have
 * written (a stray byte past it is left), without any the whole rest.
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
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "event.pb-c.h"
#include "evlog_record.h"
#include "evlog_state.h"
#include "evlog_store.h"
#include "ktest.h"

#define SEG 65536
#define NPROD 4
#define NEVENTS 20000

static const char *s_names[NPROD + 1] = {"p0", "p1", "p2", "p3", "evlog"};

typedef struct {
    char dir[64];
    char log[96];
    evlog_store_t *st;
    evlog_state_t *live;      /* the daemon's state, as it assigns */
    uint64_t assigned;
    uint64_t pseq[NPROD + 1];
    /* what the last open did */
    evlog_state_t *rec;       /* the state recovery rebuilt */
    uint64_t loaded_cut;      /* 0: no checkpoint used */
    uint64_t scanned, scan_next;
} fixture_t;

/* ---- events ------------------------------------------------------------------ */

static int s_producer_of(uint64_t seq)
{
    if (seq % 500 == 0)
        return NPROD;
    uint64_t run = seq / 23;
    return run % 5 < 2 ? 0 : (int) (run % 5) - 1;
}

static int64_t s_clock_to(uint64_t seq)
{
    return 1700000000000000LL + (int64_t) seq * 1000;
}

/* The packed event that gets log seq `seq` (producer_seq pseq). */
static uint8_t *s_event(uint64_t seq, uint64_t pseq, size_t plen, size_t *len)
{
    static uint8_t payload[64 * 1024];
    int p = s_producer_of(seq);
    Kefu__Envelope ev = KEFU__ENVELOPE__INIT;
    Kefu__Probe probe = KEFU__PROBE__INIT;
    Kefu__ClockAdvanced ca = KEFU__CLOCK_ADVANCED__INIT;
    char rid[32];
    ev.producer = (char *) s_names[p];
    ev.has_producer_seq = ev.has_at = true;
    ev.producer_seq = pseq;
    ev.at = 1700000000000000LL;
    if (p == NPROD) {
        ca.has_from = ca.has_to = true;
        ca.from = s_clock_to(seq) - 1000;
        ca.to = s_clock_to(seq);
        ev.body_case = KEFU__ENVELOPE__BODY_CLOCK_ADVANCED;
        ev.clock_advanced = &ca;
        if (seq % 1000 == 0) {
            snprintf(rid, sizeof rid, "adv-%" PRIu64, seq);
            ev.request_id = rid;
        }
    } else {
        if (!plen)
            plen = (size_t) (seq % 50) + 10;
        for (size_t i = 0; i < plen; i++)
            payload[i] = (uint8_t) (seq * 7 + i);
        probe.has_payload = probe.has_n = true;
        probe.payload.data = payload;
        probe.payload.len = plen;
        probe.n = seq;
        ev.body_case = KEFU__ENVELOPE__BODY_PROBE;
        ev.probe = &probe;
    }
    *len = kefu__envelope__get_packed_size(&ev);
    uint8_t *b = malloc(*len);
    assert_non_null(b);
    kefu__envelope__pack(&ev, b);
    return b;
}

/* Checks count records at data (len bytes) are seqs first.. */
static void s_check_read(const uint8_t *data, size_t len, uint64_t first, size_t count)
{
    size_t off = 0;
    for (size_t i = 0; i < count; i++) {
        evlog_record_t rec;
        size_t n = evlog_record_read(data + off, len - off, &rec);
        assert_true(n > 0);
        assert_int_equal(rec.seq, first + i);
        Kefu__Envelope *ev = kefu__envelope__unpack(NULL, rec.len, rec.data);
        assert_non_null(ev);
        assert_string_equal(ev->producer, s_names[s_producer_of(rec.seq)]);
        if (s_producer_of(rec.seq) == NPROD)
            assert_int_equal(ev->clock_advanced->to, s_clock_to(rec.seq));
        else
            assert_int_equal(ev->probe->n, rec.seq);
        kefu__envelope__free_unpacked(ev, NULL);
        off += n;
    }
    assert_int_equal(off, len);
}

/* ---- the daemon's part ------------------------------------------------------- */

/* Gives the next n seqs out into b, moving the live state on as the
 * daemon's main thread does (payload plen bytes, 0 for the usual). */
static void s_assign(fixture_t *f, evlog_batch_t *b, size_t n, size_t plen)
{
    for (size_t i = 0; i < n; i++) {
        uint64_t seq = ++f->assigned;
        int p = s_producer_of(seq);
        uint64_t pseq = ++f->pseq[p];
        size_t len;
        uint8_t *ev = s_event(seq, pseq, plen, &len);
        size_t need = evlog_record_size(len + 11);
        if (b->len + need > b->cap) {
            b->cap = (b->len + need) * 2;
            b->buf = realloc(b->buf, b->cap);
            assert_non_null(b->buf);
        }
        b->len += evlog_record_write_event(b->buf + b->len, seq, ev, len);
        free(ev);
        if (b->first == 0)
            b->first = seq;
        b->last = seq;
        producer_put(producers_get(f->live->producers, s_names[p], 1), pseq, seq);
        if (p == NPROD) {
            char rid[32];
            snprintf(rid, sizeof rid, "adv-%" PRIu64, seq);
            evlog_state_clock(f->live, seq % 1000 == 0 ? rid : NULL, s_clock_to(seq), seq);
        }
    }
}

/* Writes and commits b (the syncer's part, then the main thread's). */
static bool s_write(fixture_t *f, evlog_batch_t *b)
{
    evlog_store_write_batch(f->st, b);
    assert_ok(b->rc);
    bool newseg = b->newseg != NULL;
    evlog_store_commit(f->st, b);
    assert_int_equal(evlog_store_head(f->st), b->last);
    free(b->buf);
    memset(b, 0, sizeof *b);
    return newseg;
}

static void s_checkpoint(fixture_t *f)
{
    size_t len;
    uint8_t *state = evlog_state_save(f->live, &len);
    evlog_store_ckpt(f->st, f->assigned, state, len);
}

/* Appends up to seq `upto` in batches of 1..60, handing a checkpoint over
 * whenever one is due, before the batch it waits for is written. */
static void s_run(fixture_t *f, uint64_t upto)
{
    while (f->assigned < upto) {
        evlog_batch_t b = {0};
        size_t n = 1 + (size_t) (f->assigned * 7 % 60);
        if (n > upto - f->assigned)
            n = (size_t) (upto - f->assigned);
        s_assign(f, &b, n, 0);
        if (evlog_store_ckpt_due(f->st)) {
            s_checkpoint(f);   /* its cut is not durable yet */
            assert_false(evlog_store_ckpt_due(f->st));
            if (f->assigned % 2 && f->assigned + 5 <= upto)
                s_assign(f, &b, 5, 0);   /* merged: the cut falls inside the write */
        }
        s_write(f, &b);
    }
}

/* ---- recovery, as the daemon does it ------------------------------------------ */

static void s_scan_cb(void *arg, const evlog_record_t *rec)
{
    fixture_t *f = arg;
    if (f->scanned == 0)
        f->scan_next = rec->seq;
    assert_int_equal(rec->seq, f->scan_next);
    f->scan_next++;
    f->scanned++;
    evlog_state_apply(f->rec, rec);
}

static int s_load_cb(void *arg, uint64_t cut, const uint8_t *state, size_t len)
{
    fixture_t *f = arg;
    assert_int_equal(f->scanned, 0);   /* before any record */
    int rc = evlog_state_load(f->rec, state, len);
    if (rc == 0)
        f->loaded_cut = cut;
    return rc;
}

/* Closes the store (writing what was handed over) and opens it again,
 * with checkpoints or not; checks the scan saw exactly cut+1..head. */
static uint64_t s_reopen(fixture_t *f, bool ckpt)
{
    evlog_store_destroy(&f->st);
    evlog_state_destroy(&f->rec);
    f->rec = evlog_state_new();
    f->loaded_cut = f->scanned = 0;
    assert_ok(evlog_store_open_ckpt(&f->st, f->log, SEG, s_scan_cb, ckpt ? s_load_cb : NULL, f));
    uint64_t head = evlog_store_head(f->st);
    assert_true(f->loaded_cut <= head);
    assert_int_equal(f->scanned, head - f->loaded_cut);
    if (f->scanned)
        assert_int_equal(f->scan_next - f->scanned, f->loaded_cut + 1);
    return head;
}

/* ---- states compared -------------------------------------------------------------- */

typedef struct {
    const evlog_state_t *other;
    size_t diffs;
} s_cmp_t;

static void s_cmp_producer(void *arg, const char *name, const producer_t *p)
{
    s_cmp_t *c = arg;
    producer_t *q = producers_get(c->other->producers, name, 0);
    if (!q || producer_last(q) != producer_last(p)) {
        c->diffs++;
        return;
    }
    uint64_t last = producer_last(p);
    for (uint64_t s = last > EVLOG_DEDUP_WINDOW + 2 ? last - EVLOG_DEDUP_WINDOW - 2 : 0;
         s <= last + 2; s++)
        if (producer_lookup(p, s) != producer_lookup(q, s))
            c->diffs++;
}

static void s_assert_same(const evlog_state_t *a, const evlog_state_t *b)
{
    assert_int_equal(producers_size(a->producers), producers_size(b->producers));
    s_cmp_t c = {b, 0};
    producers_each(a->producers, s_cmp_producer, &c);
    assert_int_equal(c.diffs, 0);
    assert_int_equal(a->clock_logged, b->clock_logged);
    assert_int_equal(zhashx_size(a->clock_requests), zhashx_size(b->clock_requests));
    zhashx_t *ra = a->clock_requests;
    for (evlog_clockreq_t *r = zhashx_first(ra); r; r = zhashx_next(ra)) {
        const evlog_clockreq_t *o = zhashx_lookup(b->clock_requests, zhashx_cursor(ra));
        assert_non_null(o);
        assert_int_equal(o->to, r->to);
        assert_int_equal(o->seq, r->seq);
    }
}

/* ---- files ---------------------------------------------------------------------------- */

/* The cuts of the checkpoint files, ascending, into v (up to cap). */
static size_t s_ckpts(const fixture_t *f, uint64_t *v, size_t cap)
{
    DIR *d = opendir(f->log);
    assert_non_null(d);
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strlen(e->d_name) != 25 || strcmp(e->d_name + 20, ".ckpt") != 0)
            continue;
        assert_true(n < cap);
        uint64_t cut = strtoull(e->d_name, NULL, 10);
        size_t i = n++;
        while (i > 0 && v[i - 1] > cut) {
            v[i] = v[i - 1];
            i--;
        }
        v[i] = cut;
    }
    closedir(d);
    return n;
}

static void s_path(const fixture_t *f, uint64_t n, const char *ext, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s/%020" PRIu64 ".%s", f->log, n, ext);
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

static void s_write_file(const char *path, const uint8_t *b, size_t n)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, b, n), (ssize_t) n);
    close(fd);
}

static void s_pwrite(const char *path, const void *data, size_t len, size_t off)
{
    int fd = open(path, O_WRONLY);
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, data, len, (off_t) off), (ssize_t) len);
    close(fd);
}

typedef struct {
    uint64_t first, last;
    size_t end;
} s_seginfo_t;

static int s_cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
    return x < y ? -1 : x > y;
}

/* The segments as the test reads them: first, last seq, end of records. */
static size_t s_segments(const fixture_t *f, s_seginfo_t *segs, size_t cap)
{
    DIR *d = opendir(f->log);
    assert_non_null(d);
    uint64_t firsts[256];
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strlen(e->d_name) == 24 && strcmp(e->d_name + 20, ".seg") == 0) {
            assert_true(n < 256 && n < cap);
            firsts[n++] = strtoull(e->d_name, NULL, 10);
        }
    closedir(d);
    qsort(firsts, n, sizeof *firsts, s_cmp_u64);
    for (size_t i = 0; i < n; i++) {
        char path[160];
        s_path(f, firsts[i], "seg", path, sizeof path);
        size_t size;
        uint8_t *b = s_read_file(path, &size);
        size_t off = 0, used;
        uint64_t seq = firsts[i];
        evlog_record_t rec;
        while ((used = evlog_record_read(b + off, size - off, &rec)) > 0 && rec.seq == seq) {
            off += used;
            seq++;
        }
        segs[i] = (s_seginfo_t){firsts[i], seq - 1, off};
        free(b);
    }
    return n;
}

/* The offset of record seq in the segment starting at first. */
static size_t s_offset_of(const fixture_t *f, uint64_t first, uint64_t seq)
{
    char path[160];
    s_path(f, first, "seg", path, sizeof path);
    size_t size;
    uint8_t *b = s_read_file(path, &size);
    size_t off = 0;
    for (uint64_t s = first; s < seq; s++) {
        evlog_record_t rec;
        size_t used = evlog_record_read(b + off, size - off, &rec);
        assert_true(used > 0);
        off += used;
    }
    free(b);
    return off;
}

/* ---- fixture ----------------------------------------------------------------------- */

static int s_setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    strcpy(f->dir, "/tmp/kefu-test-evlog-ckpt-XXXXXX");
    if (!mkdtemp(f->dir)) {
        free(f);
        return -1;
    }
    snprintf(f->log, sizeof f->log, "%s/evlog", f->dir);
    f->live = evlog_state_new();
    f->rec = evlog_state_new();
    if (evlog_store_open_ckpt(&f->st, f->log, SEG, s_scan_cb, s_load_cb, f))
        return -1;
    *state = f;
    return 0;
}

/* A log of NEVENTS events written with checkpoints, closed and opened
 * again from its newest checkpoint. */
static int s_setup_full(void **state)
{
    if (s_setup(state))
        return -1;
    fixture_t *f = *state;
    s_run(f, NEVENTS);
    s_reopen(f, true);
    return 0;
}

static int s_teardown(void **state)
{
    fixture_t *f = *state;
    evlog_store_destroy(&f->st);
    evlog_state_destroy(&f->live);
    evlog_state_destroy(&f->rec);
    int rc = ktest_rmtree(f->dir);
    free(f);
    return rc;
}

/* ---- tests --------------------------------------------------------------------------- */

/* Due with the first records and at the first seal, written under its
 * cut, used by the next open. */
static void test_written_at_seal(void **state)
{
    fixture_t *f = *state;
    uint64_t cuts[8];
    assert_false(evlog_store_ckpt_due(f->st));   /* an empty log */
    evlog_batch_t first = {0};
    s_assign(f, &first, 40, 0);
    s_write(f, &first);
    assert_true(evlog_store_ckpt_due(f->st));    /* records and no checkpoint yet */
    s_checkpoint(f);
    evlog_store_ckpt_flush(f->st);
    assert_int_equal(s_ckpts(f, cuts, 8), 1);
    assert_int_equal(cuts[0], 40);
    for (;;) {
        evlog_batch_t b = {0};
        s_assign(f, &b, 40, 0);
        bool sealed = s_write(f, &b) && f->assigned > 40;
        if (sealed)
            break;
        assert_false(evlog_store_ckpt_due(f->st));   /* no seal yet, far from 16 MiB */
    }
    assert_true(evlog_store_ckpt_due(f->st));
    uint64_t cut = f->assigned;   /* == head: written at once */
    s_checkpoint(f);
    assert_false(evlog_store_ckpt_due(f->st));
    assert_int_equal(evlog_store_ckpt_cut(f->st), cut);
    evlog_store_ckpt_flush(f->st);
    assert_int_equal(s_ckpts(f, cuts, 8), 2);
    assert_int_equal(cuts[1], cut);
    /* more records after it: the next open scans only those */
    s_run(f, cut + 100);
    assert_int_equal(s_reopen(f, true), cut + 100);
    assert_int_equal(f->loaded_cut, cut);
    assert_int_equal(f->scanned, 100);
    s_assert_same(f->rec, f->live);
}

/* The state from a checkpoint is the one a full scan rebuilds. */
static void test_state_identical(void **state)
{
    fixture_t *f = *state;
    uint64_t cuts[8];
    size_t n = s_ckpts(f, cuts, 8);
    assert_int_equal(n, 2);   /* the two newest kept */
    assert_int_equal(f->loaded_cut, cuts[1]);
    assert_true(f->scanned < NEVENTS / 2);
    assert_true(producer_last(producers_get(f->live->producers, "p0", 0)) > EVLOG_DEDUP_WINDOW);
    assert_true(zhashx_size(f->live->clock_requests) > 10);
    s_assert_same(f->rec, f->live);
    s_assert_same(f->live, f->rec);
    evlog_state_t *from_ckpt = f->rec;
    f->rec = NULL;
    assert_int_equal(s_reopen(f, false), NEVENTS);   /* a full scan */
    assert_int_equal(f->loaded_cut, 0);
    assert_int_equal(f->scanned, NEVENTS);
    s_assert_same(f->rec, from_ckpt);
    s_assert_same(from_ckpt, f->rec);
    evlog_state_destroy(&from_ckpt);
    /* and on: more appends, more checkpoints, another start */
    s_run(f, NEVENTS + 7000);
    assert_int_equal(s_reopen(f, true), NEVENTS + 7000);
    assert_true(f->loaded_cut > NEVENTS);
    s_assert_same(f->rec, f->live);
    s_assert_same(f->live, f->rec);
    /* the state packs and unpacks to itself */
    size_t len;
    uint8_t *packed = evlog_state_save(f->live, &len);
    evlog_state_t *copy = evlog_state_new();
    assert_ok(evlog_state_load(copy, packed, len));
    s_assert_same(copy, f->live);
    /* and refuses a cut-short form whole, unchanged */
    assert_rc(evlog_state_load(copy, packed, len - 1), EINVAL);
    assert_rc(evlog_state_load(copy, packed, len / 2), EINVAL);
    s_assert_same(copy, f->live);
    free(packed);
    evlog_state_destroy(&copy);
}

/* A flipped byte: ignored (and removed), the older one used. */
static void test_damaged(void **state)
{
    fixture_t *f = *state;
    uint64_t cuts[8];
    assert_int_equal(s_ckpts(f, cuts, 8), 2);
    evlog_store_destroy(&f->st);
    char path[160];
    s_path(f, cuts[1], "ckpt", path, sizeof path);
    size_t size;
    uint8_t *b = s_read_file(path, &size);
    uint8_t flip = b[size / 2] ^ 0x04;
    s_pwrite(path, &flip, 1, size / 2);
    free(b);
    assert_int_equal(s_reopen(f, true), NEVENTS);
    assert_int_equal(f->loaded_cut, cuts[0]);
    s_assert_same(f->rec, f->live);
    assert_false(s_exists(path));
    /* the older one damaged too (its crc field): a full scan */
    evlog_store_destroy(&f->st);
    s_path(f, cuts[0], "ckpt", path, sizeof path);
    b = s_read_file(path, &size);
    flip = b[size - 1] ^ 0x80;
    s_pwrite(path, &flip, 1, size - 1);
    free(b);
    assert_int_equal(s_reopen(f, true), NEVENTS);
    assert_int_equal(f->loaded_cut, 0);
    assert_int_equal(f->scanned, NEVENTS);
    s_assert_same(f->rec, f->live);
    assert_int_equal(s_ckpts(f, cuts, 8), 0);
}

/* Cut short (a crash can't leave one, but a disk can): ignored. */
static void test_truncated(void **state)
{
    fixture_t *f = *state;
    uint64_t cuts[8];
    assert_int_equal(s_ckpts(f, cuts, 8), 2);
    char path[160], tmp[160];
    s_path(f, cuts[1], "ckpt", path, sizeof path);
    snprintf(tmp, sizeof tmp, "%s/ckpt.tmp", f->log);
    size_t size;
    uint8_t *whole = s_read_file(path, &size);
    size_t cuts_to[] = {0, 32, 32 + 32, size / 2, size - 1};
    for (size_t i = 0; i < sizeof cuts_to / sizeof *cuts_to; i++) {
        evlog_store_destroy(&f->st);
        s_write_file(path, whole, cuts_to[i]);
        assert_int_equal(s_reopen(f, true), NEVENTS);
        assert_int_equal(f->loaded_cut, cuts[0]);
        s_assert_same(f->rec, f->live);
        assert_false(s_exists(path));
    }
    /* a whole one left as ckpt.tmp (the crash came before the rename):
     * not used, removed */
    evlog_store_destroy(&f->st);
    s_write_file(tmp, whole, size);
    assert_int_equal(s_reopen(f, true), NEVENTS);
    assert_int_equal(f->loaded_cut, cuts[0]);
    assert_false(s_exists(tmp));
    /* whole and with a good crc, but a state the daemon can't read (its
     * version byte): refused by the load callback, the older one used */
    evlog_store_destroy(&f->st);
    uint8_t *odd = malloc(size);
    assert_non_null(odd);
    memcpy(odd, whole, size);
    uint32_t nsegs = (uint32_t) odd[12] | (uint32_t) odd[13] << 8;
    odd[32 + 32 * (size_t) nsegs] = 9;
    uint32_t crc = evlog_crc32c(0, odd, size - 4);
    for (int i = 0; i < 4; i++)
        odd[size - 4 + (size_t) i] = (uint8_t) (crc >> (8 * i));
    s_write_file(path, odd, size);
    free(odd);
    assert_int_equal(s_reopen(f, true), NEVENTS);
    assert_int_equal(f->loaded_cut, cuts[0]);
    s_assert_same(f->rec, f->live);
    assert_false(s_exists(path));
    /* and put back whole, it is used again */
    evlog_store_destroy(&f->st);
    s_write_file(path, whole, size);
    assert_int_equal(s_reopen(f, true), NEVENTS);
    assert_int_equal(f->loaded_cut, cuts[1]);
    s_assert_same(f->rec, f->live);
    free(whole);
}

/* None at all: the whole log is scanned, as before checkpoints. */
static void test_missing(void **state)
{
    fixture_t *f = *state;
    uint64_t cuts[8];
    size_t n = s_ckpts(f, cuts, 8);
    evlog_store_destroy(&f->st);
    for (size_t i = 0; i < n; i++) {
        char path[160];
        s_path(f, cuts[i], "ckpt", path, sizeof path);
        assert_int_equal(unlink(path), 0);
    }
    assert_int_equal(s_reopen(f, true), NEVENTS);
    assert_int_equal(f->loaded_cut, 0);
    assert_int_equal(f->scanned, NEVENTS);
    s_assert_same(f->rec, f->live);
}

/* Reads of what recovery did not read: checked and indexed then. */
static void test_reads(void **state)
{
    fixture_t *f = *state;
    assert_true(f->loaded_cut > 0);
    const uint8_t *data;
    size_t len;
    /* every seq alone, from the last down: each segment's records are
     * first reached from its far end */
    for (uint64_t s = NEVENTS; s >= 1; s--) {
        assert_int_equal(evlog_store_read(f->st, s, 1, SIZE_MAX, &data, &len), 1);
        s_check_read(data, len, s, 1);
    }
    for (uint64_t s = 1; s <= NEVENTS; s++) {
        size_t got = evlog_store_read(f->st, s, 3, SIZE_MAX, &data, &len);
        assert_true(got >= 1 && got <= 3);
        s_check_read(data, len, s, got);
    }
    /* a fresh start: the whole log in pieces, as a catch-up reads it */
    s_reopen(f, true);
    uint64_t from = 1;
    while (from <= NEVENTS) {
        size_t got = evlog_store_read(f->st, from, 100, 4096, &data, &len);
        assert_true(got >= 1 && got <= 100);
        assert_true(len <= 4096 || got == 1);
        s_check_read(data, len, from, got);
        from += got;
    }
    assert_int_equal(evlog_store_read(f->st, NEVENTS + 1, 10, SIZE_MAX, &data, &len), 0);
    /* and from a middle of each segment first */
    s_reopen(f, true);
    s_seginfo_t segs[64];
    size_t n = s_segments(f, segs, 64);
    for (size_t i = 0; i < n; i++) {
        uint64_t mid = (segs[i].first + segs[i].last) / 2;
        size_t got = evlog_store_read(f->st, mid, SIZE_MAX, SIZE_MAX, &data, &len);
        assert_int_equal(got, segs[i].last - mid + 1);
        s_check_read(data, len, mid, got);
        got = evlog_store_read(f->st, segs[i].first, SIZE_MAX, SIZE_MAX, &data, &len);
        assert_int_equal(got, segs[i].last - segs[i].first + 1);
        assert_int_equal(len, segs[i].end);
        s_check_read(data, len, segs[i].first, got);
    }
}

/* A record recovery did not read turns out damaged when first read. */
static void test_damage_found_at_read(void **state)
{
    fixture_t *f = *state;
    s_seginfo_t segs[64];
    size_t n = s_segments(f, segs, 64);
    assert_true(n > 6);
    assert_true(segs[2].last < f->loaded_cut);   /* a segment recovery skipped */
    uint64_t bad = (segs[2].first + segs[2].last) / 2;
    size_t off = s_offset_of(f, segs[2].first, bad);
    char path[160];
    s_path(f, segs[2].first, "seg", path, sizeof path);
    uint8_t byte;
    int fd = open(path, O_RDONLY);
    assert_int_equal(pread(fd, &byte, 1, (off_t) (off + EVLOG_HDR + 2)), 1);
    close(fd);
    byte ^= 0x10;
    s_pwrite(path, &byte, 1, off + EVLOG_HDR + 2);   /* the map sees it too */

    const uint8_t *data;
    size_t len;
    size_t got = evlog_store_read(f->st, segs[2].first, SIZE_MAX, SIZE_MAX, &data, &len);
    assert_int_equal(got, bad - segs[2].first);
    s_check_read(data, len, segs[2].first, got);
    assert_int_equal(evlog_store_read(f->st, bad, 10, SIZE_MAX, &data, &len), 0);
    assert_int_equal(evlog_store_read(f->st, bad + 1, 10, SIZE_MAX, &data, &len), 0);
    /* the rest of the log is still read */
    assert_int_equal(evlog_store_read(f->st, segs[3].first, 5, SIZE_MAX, &data, &len), 5);
    s_check_read(data, len, segs[3].first, 5);
    /* no checkpoint vouches for it any more, none is written */
    uint64_t cuts[8];
    assert_int_equal(s_ckpts(f, cuts, 8), 0);
    assert_false(evlog_store_ckpt_due(f->st));
    /* the next start scans it and cuts the log there, as recovery does */
    assert_int_equal(s_reopen(f, true), bad - 1);
    assert_int_equal(f->loaded_cut, 0);
    char aside[160];
    s_path(f, segs[3].first, "damaged", aside, sizeof aside);
    assert_true(s_exists(aside));
}

/* A segment the checkpoint lists is gone: it is not used. */
static void test_segment_missing(void **state)
{
    fixture_t *f = *state;
    s_seginfo_t segs[64];
    size_t n = s_segments(f, segs, 64);
    assert_true(n > 3);
    evlog_store_destroy(&f->st);
    char path[160];
    s_path(f, segs[1].first, "seg", path, sizeof path);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(s_reopen(f, true), segs[0].last);
    assert_int_equal(f->loaded_cut, 0);
    uint64_t cuts[8];
    assert_int_equal(s_ckpts(f, cuts, 8), 0);   /* they spoke of records past the head */
    /* a fresh checkpoint from here on is fine */
    evlog_state_destroy(&f->live);
    f->live = f->rec;
    f->rec = NULL;
    f->assigned = segs[0].last;
    for (int p = 0; p <= NPROD; p++) {
        producer_t *pr = producers_get(f->live->producers, s_names[p], 0);
        f->pseq[p] = pr ? producer_last(pr) : 0;
    }
    s_run(f, segs[0].last + 3000);
    assert_int_equal(s_reopen(f, true), segs[0].last + 3000);
    assert_true(f->loaded_cut > segs[0].last);
    s_assert_same(f->rec, f->live);
}

/* A torn write after the cut: cut off, as without a checkpoint. */
static void test_torn_after_cut(void **state)
{
    fixture_t *f = *state;
    s_seginfo_t segs[64];
    size_t n = s_segments(f, segs, 64);
    evlog_store_destroy(&f->st);
    char path[160];
    s_path(f, segs[n - 1].first, "seg", path, sizeof path);
    size_t len;
    uint8_t *ev = s_event(NEVENTS + 1, 999999, 0, &len);
    uint8_t rec[256];
    size_t size = evlog_record_write_event(rec, NEVENTS + 1, ev, len);
    free(ev);
    s_pwrite(path, rec, size / 2, segs[n - 1].end);   /* half a record */
    uint8_t junk[100];
    memset(junk, 0x5a, sizeof junk);
    s_pwrite(path, junk, sizeof junk, segs[n - 1].end + 3000);
    assert_int_equal(s_reopen(f, true), NEVENTS);
    assert_true(f->loaded_cut > 0);
    s_assert_same(f->rec, f->live);
    size_t fsize;
    uint8_t *b = s_read_file(path, &fsize);
    for (size_t i = segs[n - 1].end; i < fsize; i++)
        assert_int_equal(b[i], 0);
    free(b);
    s_run(f, NEVENTS + 50);
    assert_int_equal(s_reopen(f, true), NEVENTS + 50);
    s_assert_same(f->rec, f->live);
}

/* A batch bigger than one write goes as several, and reads back whole. */
static void test_big_batch(void **state)
{
    fixture_t *f = *state;
    evlog_store_destroy(&f->st);
    evlog_state_destroy(&f->rec);
    f->rec = evlog_state_new();
    const size_t seg = 16u << 20;
    assert_ok(evlog_store_open_ckpt(&f->st, f->log, seg, s_scan_cb, s_load_cb, f));
    evlog_batch_t b = {0};
    s_assign(f, &b, 110, 60000);   /* ~6.6 MB */
    assert_true(b.len > (4u << 20));
    uint64_t last = b.last;
    s_write(f, &b);
    s_assign(f, &b, 3, 0);
    s_write(f, &b);
    evlog_store_destroy(&f->st);
    evlog_state_destroy(&f->rec);
    f->rec = evlog_state_new();
    f->scanned = 0;
    assert_ok(evlog_store_open_ckpt(&f->st, f->log, seg, s_scan_cb, s_load_cb, f));
    assert_int_equal(evlog_store_head(f->st), last + 3);
    assert_int_equal(f->scanned, last + 3);
    s_assert_same(f->rec, f->live);
    const uint8_t *data;
    size_t len;
    for (uint64_t s = 1; s <= last + 3;) {
        size_t got = evlog_store_read(f->st, s, 1000, 1 << 20, &data, &len);
        assert_true(got >= 1);
        s_check_read(data, len, s, got);
        s += got;
    }
}

/* The tail check: with checkpoints there (so every write was bounded),
 * only the bytes a crash can have written after the last record are read
 * and zeroed; without any, the rest of the segment, as before. */
static void test_tail_window(void **state)
{
    fixture_t *f = *state;
    evlog_store_destroy(&f->st);
    const size_t seg = 16u << 20;
    char path[160];
    s_path(f, 1, "seg", path, sizeof path);
    unlink(path);   /* the 64 KiB one s_setup made */
    assert_ok(evlog_store_open_ckpt(&f->st, f->log, seg, s_scan_cb, s_load_cb, f));
    evlog_batch_t b = {0};
    s_assign(f, &b, 100, 0);
    s_write(f, &b);
    assert_true(evlog_store_ckpt_due(f->st));
    s_checkpoint(f);
    evlog_store_destroy(&f->st);
    s_seginfo_t segs[4];
    assert_int_equal(s_segments(f, segs, 4), 1);
    size_t end = segs[0].end;
    s_pwrite(path, "\x01", 1, end + 100);             /* a torn write could reach it */
    s_pwrite(path, "\x02", 1, end + (3u << 20));      /* none could */
    f->st = NULL;
    evlog_state_destroy(&f->rec);
    f->rec = evlog_state_new();
    f->loaded_cut = f->scanned = 0;
    assert_ok(evlog_store_open_ckpt(&f->st, f->log, seg, s_scan_cb, s_load_cb, f));
    assert_int_equal(evlog_store_head(f->st), 100);
    assert_int_equal(f->loaded_cut, 100);
    size_t size;
    uint8_t *bytes = s_read_file(path, &size);
    assert_int_equal(bytes[end + 100], 0);
    assert_int_equal(bytes[end + (3u << 20)], 2);
    free(bytes);
    /* no checkpoint: the whole rest is checked and zeroed */
    evlog_store_destroy(&f->st);
    uint64_t cuts[8];
    size_t n = s_ckpts(f, cuts, 8);
    for (size_t i = 0; i < n; i++) {
        char c[160];
        s_path(f, cuts[i], "ckpt", c, sizeof c);
        unlink(c);
    }
    evlog_state_destroy(&f->rec);
    f->rec = evlog_state_new();
    f->loaded_cut = f->scanned = 0;
    assert_ok(evlog_store_open_ckpt(&f->st, f->log, seg, s_scan_cb, s_load_cb, f));
    assert_int_equal(evlog_store_head(f->st), 100);
    assert_int_equal(f->scanned, 100);
    bytes = s_read_file(path, &size);
    for (size_t i = end; i < size; i++)
        assert_int_equal(bytes[i], 0);
    free(bytes);
    s_assert_same(f->rec, f->live);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_written_at_seal, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_state_identical, s_setup_full, s_teardown),
        cmocka_unit_test_setup_teardown(test_damaged, s_setup_full, s_teardown),
        cmocka_unit_test_setup_teardown(test_truncated, s_setup_full, s_teardown),
        cmocka_unit_test_setup_teardown(test_missing, s_setup_full, s_teardown),
        cmocka_unit_test_setup_teardown(test_reads, s_setup_full, s_teardown),
        cmocka_unit_test_setup_teardown(test_damage_found_at_read, s_setup_full, s_teardown),
        cmocka_unit_test_setup_teardown(test_segment_missing, s_setup_full, s_teardown),
        cmocka_unit_test_setup_teardown(test_torn_after_cut, s_setup_full, s_teardown),
        cmocka_unit_test_setup_teardown(test_big_batch, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_tail_window, s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
