/* test_store.c: unit tests of common/store.c, the LMDB wrapper.
 *
 * Each test gets a fresh store in a mkdtemp directory under /tmp, removed
 * afterwards. Covered: put/get/del and tables, snapshots, cursor order and
 * seek, meta u64 encoding, a failing write fn leaving nothing, map growth
 * (1 MiB -> 10 MiB written in one store_write), the map_max limit
 * (KEFU_ESTOREFULL with nothing visible), growth refused while a read is
 * open (KEFU_EUNAVAIL), another process growing the map (MDB_MAP_RESIZED
 * adopted: this program re-executes itself as the other process), reopen,
 * open's error codes, letting go of the map's pages (store_release_pages,
 * seen in /proc/self/smaps), and the unclean-restart mark of a derived store (a
 * forked child that dies without closing stands for kill -9; a different
 * opts.boot_id at the next open stands for a reboot).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <lmdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kerr.h"
#include "ktest.h"
#include "store.h"

#define MiB ((size_t) 1 << 20)

static const char *s_argv0;   /* for re-executing as "another process" */

typedef struct fixture_t fixture_t;
static const char *s_mark(const fixture_t *f);

struct fixture_t {
    char dir[64];     /* the mkdtemp directory */
    char db[96];      /* dir/db: the store */
    store_t *store;
    store_table_t t;
    bool passed;      /* set by a test's last line */
};

static int s_setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    strcpy(f->dir, "/tmp/kefu-test-store-XXXXXX");
    if (!mkdtemp(f->dir)) {
        free(f);
        return -1;
    }
    snprintf(f->db, sizeof f->db, "%s/db", f->dir);
    *state = f;
    return 0;
}

static int s_teardown(void **state)
{
    fixture_t *f = *state;
    /* A test that failed may have left a txn open, and closing the store
     * then is a program bug store_destroy asserts on: leave it open so
     * the failure, not an abort, is what gets reported. */
    if (f->passed)
        store_destroy(&f->store);
    int rc = ktest_rmtree(f->dir);
    free(f);
    return rc;
}

/* Opens f->store with a table "main" in f->t. */
static void s_open(fixture_t *f, size_t map_size, size_t map_max)
{
    store_opts_t o = {.map_size = map_size, .map_max = map_max, .no_sync = true};
    assert_ok(store_open(&f->store, f->db, &o));
    assert_ok(store_table(f->store, "main", &f->t));
}

/* ---- write fns ------------------------------------------------------- */

typedef struct {
    char op;              /* 'p' put, 'd' del, 'm' meta put */
    store_table_t t;
    const char *key;
    const char *val;
    uint64_t u64;
} s_op_t;

typedef struct {
    const s_op_t *ops;
    size_t n;
    int fail_with;        /* returned after all ops ran, if non-zero */
    unsigned calls;
} s_ops_arg_t;

static int s_ops_fn(store_txn_t *txn, void *arg)
{
    s_ops_arg_t *a = arg;
    a->calls++;
    for (size_t i = 0; i < a->n; i++) {
        const s_op_t *op = &a->ops[i];
        int rc = 0;
        if (op->op == 'p')
            rc = store_put(txn, op->t, op->key, strlen(op->key), op->val, strlen(op->val));
        else if (op->op == 'd')
            rc = store_del(txn, op->t, op->key, strlen(op->key));
        else if (op->op == 'm')
            rc = store_meta_put_u64(txn, op->key, op->u64);
        if (rc)
            return rc;
    }
    return a->fail_with;
}

static int s_run(store_t *s, const s_op_t *ops, size_t n)
{
    s_ops_arg_t a = {ops, n, 0, 0};
    return store_write(s, s_ops_fn, &a);
}

/* Bulk writer: n values of vlen bytes under keys "k%08u", each byte
 * (i * 31 + j) & 0xff so every value is distinct and checkable. */
typedef struct {
    store_table_t t;
    unsigned n;
    size_t vlen;
    unsigned first;       /* key number of the first value */
    unsigned calls;
} s_bulk_t;

static void s_bulk_key(char key[16], unsigned i)
{
    snprintf(key, 16, "k%08u", i);
}

static void s_bulk_val(uint8_t *v, size_t vlen, unsigned i)
{
    for (size_t j = 0; j < vlen; j++)
        v[j] = (uint8_t) ((i * 31 + j) & 0xff);
}

static int s_bulk_fn(store_txn_t *txn, void *arg)
{
    s_bulk_t *b = arg;
    b->calls++;
    uint8_t *v = malloc(b->vlen);
    if (!v)
        return ENOMEM;
    int rc = 0;
    for (unsigned i = b->first; i < b->first + b->n && rc == 0; i++) {
        char key[16];
        s_bulk_key(key, i);
        s_bulk_val(v, b->vlen, i);
        rc = store_put(txn, b->t, key, strlen(key), v, b->vlen);
    }
    free(v);
    return rc;
}

/* Counts the entries of table t, checking each bulk value. */
static unsigned s_count(store_t *s, store_table_t t, bool check_bulk)
{
    store_txn_t *txn;
    store_cursor_t *c;
    assert_ok(store_read_begin(s, &txn));
    assert_ok(store_cursor_open(txn, t, &c));
    unsigned n = 0;
    const void *k, *v;
    size_t klen, vlen;
    int rc;
    while ((rc = store_cursor_next(c, &k, &klen, &v, &vlen)) == 0) {
        if (check_bulk) {
            unsigned i;
            char key[16];
            assert_int_equal(klen, 9);
            memcpy(key, k, klen);
            key[klen] = '\0';
            assert_int_equal(sscanf(key, "k%8u", &i), 1);
            uint8_t *want = malloc(vlen);
            assert_non_null(want);
            s_bulk_val(want, vlen, i);
            assert_memory_equal(v, want, vlen);
            free(want);
        }
        n++;
    }
    assert_rc(rc, KEFU_ENOTFOUND);
    store_cursor_close(&c);
    assert_null(c);
    store_txn_end(&txn);
    assert_null(txn);
    return n;
}

/* Reads key as a string into out (cap bytes); returns store_get's code. */
static int s_get_str(store_t *s, store_table_t t, const char *key, char *out, size_t cap)
{
    store_txn_t *txn;
    int rc = store_read_begin(s, &txn);
    if (rc)
        return rc;
    const void *v;
    size_t vlen;
    rc = store_get(txn, t, key, strlen(key), &v, &vlen);
    if (rc == 0) {
        assert_true(vlen < cap);
        memcpy(out, v, vlen);
        out[vlen] = '\0';
    }
    store_txn_end(&txn);
    return rc;
}

/* ---- tests ------------------------------------------------------------- */

static void test_put_get_del(void **state)
{
    fixture_t *f = *state;
    s_open(f, 0, 0);
    store_table_t other, again;
    assert_ok(store_table(f->store, "other", &other));
    assert_ok(store_table(f->store, "main", &again));
    assert_int_equal(again, f->t);
    assert_int_not_equal(other, f->t);

    const s_op_t w1[] = {
        {'p', f->t, "alpha", "1", 0},
        {'p', f->t, "beta", "22", 0},
        {'p', other, "alpha", "other-1", 0},
    };
    assert_ok(s_run(f->store, w1, 3));

    char buf[64];
    assert_ok(s_get_str(f->store, f->t, "alpha", buf, sizeof buf));
    assert_string_equal(buf, "1");
    assert_ok(s_get_str(f->store, f->t, "beta", buf, sizeof buf));
    assert_string_equal(buf, "22");
    assert_ok(s_get_str(f->store, other, "alpha", buf, sizeof buf));
    assert_string_equal(buf, "other-1");
    assert_rc(s_get_str(f->store, f->t, "gamma", buf, sizeof buf), KEFU_ENOTFOUND);
    assert_rc(s_get_str(f->store, other, "beta", buf, sizeof buf), KEFU_ENOTFOUND);

    /* Existence check with NULL outs. */
    store_txn_t *txn;
    assert_ok(store_read_begin(f->store, &txn));
    assert_ok(store_get(txn, f->t, "beta", 4, NULL, NULL));
    assert_rc(store_get(txn, f->t, "bet", 3, NULL, NULL), KEFU_ENOTFOUND);
    store_txn_end(&txn);

    /* Overwrite and delete. */
    const s_op_t w2[] = {
        {'p', f->t, "beta", "333", 0},
        {'d', f->t, "alpha", NULL, 0},
    };
    assert_ok(s_run(f->store, w2, 2));
    assert_ok(s_get_str(f->store, f->t, "beta", buf, sizeof buf));
    assert_string_equal(buf, "333");
    assert_rc(s_get_str(f->store, f->t, "alpha", buf, sizeof buf), KEFU_ENOTFOUND);
    assert_ok(s_get_str(f->store, other, "alpha", buf, sizeof buf));
    assert_string_equal(buf, "other-1");

    /* Deleting a missing key: KEFU_ENOTFOUND through store_write. */
    const s_op_t w3[] = {{'d', f->t, "alpha", NULL, 0}};
    assert_rc(s_run(f->store, w3, 1), KEFU_ENOTFOUND);

    /* An empty key is LMDB's to refuse, and the code passes through. */
    const s_op_t w4[] = {{'p', f->t, "", "x", 0}};
    assert_rc(s_run(f->store, w4, 1), MDB_BAD_VALSIZE);
    assert_int_equal(s_count(f->store, f->t, false), 1);
    f->passed = true;
}

static void test_snapshot(void **state)
{
    fixture_t *f = *state;
    s_open(f, 0, 0);
    const s_op_t w1[] = {{'p', f->t, "k", "old", 0}};
    assert_ok(s_run(f->store, w1, 1));

    store_txn_t *before;
    assert_ok(store_read_begin(f->store, &before));
    const s_op_t w2[] = {{'p', f->t, "k", "new", 0}, {'p', f->t, "k2", "x", 0}};
    assert_ok(s_run(f->store, w2, 2));

    const void *v;
    size_t vlen;
    assert_ok(store_get(before, f->t, "k", 1, &v, &vlen));
    assert_int_equal(vlen, 3);
    assert_memory_equal(v, "old", 3);
    assert_rc(store_get(before, f->t, "k2", 2, &v, &vlen), KEFU_ENOTFOUND);

    /* A second read txn open at the same time sees the new state. */
    store_txn_t *after;
    assert_ok(store_read_begin(f->store, &after));
    assert_ok(store_get(after, f->t, "k", 1, &v, &vlen));
    assert_memory_equal(v, "new", 3);
    store_txn_end(&after);
    store_txn_end(&before);
    store_txn_end(&before);   /* accepts NULL */
    assert_null(before);

    /* Many begin/end rounds reuse the cached txn and keep seeing commits. */
    for (unsigned i = 0; i < 100; i++) {
        char val[16], got[16];
        snprintf(val, sizeof val, "v%u", i);
        const s_op_t w[] = {{'p', f->t, "k", val, 0}};
        assert_ok(s_run(f->store, w, 1));
        assert_ok(s_get_str(f->store, f->t, "k", got, sizeof got));
        assert_string_equal(got, val);
    }
    f->passed = true;
}

/* Reads the rest of cursor c into "k1,k2,..." */
static void s_keys(store_cursor_t *c, char *out, size_t cap)
{
    out[0] = '\0';
    const void *k;
    size_t klen;
    int rc;
    while ((rc = store_cursor_next(c, &k, &klen, NULL, NULL)) == 0) {
        size_t n = strlen(out);
        assert_true(n + klen + 2 < cap);
        if (n)
            out[n++] = ',';
        memcpy(out + n, k, klen);
        out[n + klen] = '\0';
    }
    assert_rc(rc, KEFU_ENOTFOUND);
    /* At the end it stays at the end. */
    assert_rc(store_cursor_next(c, &k, &klen, NULL, NULL), KEFU_ENOTFOUND);
}

typedef struct {
    store_table_t t;
    char keys[64];
} s_cursor_arg_t;

static int s_cursor_in_write_fn(store_txn_t *txn, void *arg)
{
    s_cursor_arg_t *a = arg;
    int rc = store_put(txn, a->t, "e", 1, "5", 1);
    if (rc)
        return rc;
    store_cursor_t *c;
    rc = store_cursor_open(txn, a->t, &c);
    if (rc)
        return rc;
    rc = store_cursor_seek(c, "c", 1);
    if (rc == 0)
        s_keys(c, a->keys, sizeof a->keys);
    store_cursor_close(&c);
    return rc;
}

static void test_cursor(void **state)
{
    fixture_t *f = *state;
    s_open(f, 0, 0);
    store_txn_t *txn;
    store_cursor_t *c;
    char keys[64];

    /* An empty table. */
    assert_ok(store_read_begin(f->store, &txn));
    assert_ok(store_cursor_open(txn, f->t, &c));
    s_keys(c, keys, sizeof keys);
    assert_string_equal(keys, "");
    assert_ok(store_cursor_seek(c, "a", 1));
    s_keys(c, keys, sizeof keys);
    assert_string_equal(keys, "");
    store_cursor_close(&c);
    store_txn_end(&txn);

    /* Written out of order; read back bytewise, shorter first on a tie. */
    const s_op_t w[] = {
        {'p', f->t, "d", "4", 0}, {'p', f->t, "bb", "22", 0},
        {'p', f->t, "a", "1", 0}, {'p', f->t, "c", "3", 0},
        {'p', f->t, "b", "2", 0},
    };
    assert_ok(s_run(f->store, w, 5));

    assert_ok(store_read_begin(f->store, &txn));
    assert_ok(store_cursor_open(txn, f->t, &c));
    s_keys(c, keys, sizeof keys);
    assert_string_equal(keys, "a,b,bb,c,d");

    assert_ok(store_cursor_seek(c, "b", 1));        /* exact hit */
    s_keys(c, keys, sizeof keys);
    assert_string_equal(keys, "b,bb,c,d");
    assert_ok(store_cursor_seek(c, "bc", 2));       /* between bb and c */
    s_keys(c, keys, sizeof keys);
    assert_string_equal(keys, "c,d");
    assert_ok(store_cursor_seek(c, NULL, 0));       /* the first key */
    s_keys(c, keys, sizeof keys);
    assert_string_equal(keys, "a,b,bb,c,d");
    assert_ok(store_cursor_seek(c, "z", 1));        /* past the end */
    s_keys(c, keys, sizeof keys);
    assert_string_equal(keys, "");

    /* next hands out the entry seek found, with its value. */
    assert_ok(store_cursor_seek(c, "bb", 2));
    const void *k, *v;
    size_t klen, vlen;
    assert_ok(store_cursor_next(c, &k, &klen, &v, &vlen));
    assert_int_equal(klen, 2);
    assert_memory_equal(k, "bb", 2);
    assert_int_equal(vlen, 2);
    assert_memory_equal(v, "22", 2);
    assert_ok(store_cursor_next(c, &k, &klen, &v, &vlen));
    assert_memory_equal(k, "c", 1);
    assert_memory_equal(v, "3", 1);

    /* Backwards: the last key <= a key, then prev, down to the start. */
    assert_ok(store_cursor_last_le(c, "bc", 2, &k, &klen, &v, &vlen));  /* between bb and c */
    assert_int_equal(klen, 2);
    assert_memory_equal(k, "bb", 2);
    assert_memory_equal(v, "22", 2);
    assert_ok(store_cursor_prev(c, &k, &klen, NULL, NULL));
    assert_int_equal(klen, 1);
    assert_memory_equal(k, "b", 1);
    assert_ok(store_cursor_next(c, &k, &klen, NULL, NULL));  /* forward again: after b */
    assert_memory_equal(k, "bb", 2);
    assert_ok(store_cursor_last_le(c, "c", 1, &k, &klen, NULL, NULL));  /* exact hit */
    assert_memory_equal(k, "c", 1);
    assert_ok(store_cursor_last_le(c, "z", 1, &k, &klen, NULL, NULL));  /* past the end: the last */
    assert_memory_equal(k, "d", 1);
    assert_ok(store_cursor_last_le(c, NULL, 0, &k, &klen, NULL, NULL)); /* the last key */
    assert_memory_equal(k, "d", 1);
    assert_ok(store_cursor_last_le(c, "a", 1, &k, &klen, NULL, NULL));
    assert_memory_equal(k, "a", 1);
    assert_rc(store_cursor_prev(c, &k, &klen, NULL, NULL), KEFU_ENOTFOUND);  /* before the first */
    assert_rc(store_cursor_last_le(c, "0", 1, &k, &klen, NULL, NULL), KEFU_ENOTFOUND);
    s_keys(c, keys, sizeof keys);  /* unpositioned: a walk starts at the first */
    assert_string_equal(keys, "a,b,bb,c,d");
    store_cursor_close(&c);
    store_cursor_close(&c);   /* accepts NULL */
    store_txn_end(&txn);

    /* A cursor inside a write txn sees that txn's own put. */
    s_cursor_arg_t a = {f->t, ""};
    assert_ok(store_write(f->store, s_cursor_in_write_fn, &a));
    assert_string_equal(a.keys, "c,d,e");
    f->passed = true;
}

static void test_meta(void **state)
{
    fixture_t *f = *state;
    s_open(f, 0, 0);
    store_txn_t *txn;
    uint64_t x = 99;

    assert_ok(store_read_begin(f->store, &txn));
    assert_ok(store_meta_get_u64(txn, "missing", &x));
    assert_int_equal(x, 0);
    store_txn_end(&txn);

    const s_op_t w[] = {
        {'m', 0, "pos", NULL, UINT64_C(0x0102030405060708)},
        {'m', 0, "max", NULL, UINT64_MAX},
        {'m', 0, "zero", NULL, 0},
    };
    assert_ok(s_run(f->store, w, 3));

    assert_ok(store_read_begin(f->store, &txn));
    assert_ok(store_meta_get_u64(txn, "pos", &x));
    assert_int_equal(x, UINT64_C(0x0102030405060708));
    assert_ok(store_meta_get_u64(txn, "max", &x));
    assert_int_equal(x, UINT64_MAX);
    x = 99;
    assert_ok(store_meta_get_u64(txn, "zero", &x));
    assert_int_equal(x, 0);

    /* Big-endian on disk, in the table store_table("meta") names. */
    store_table_t meta;
    store_txn_end(&txn);
    assert_ok(store_table(f->store, "meta", &meta));
    assert_ok(store_read_begin(f->store, &txn));
    const void *v;
    size_t vlen;
    assert_ok(store_get(txn, meta, "pos", 3, &v, &vlen));
    assert_int_equal(vlen, 8);
    assert_memory_equal(v, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
    store_txn_end(&txn);

    /* A value of the wrong size is reported, not misread. */
    const s_op_t bad[] = {{'p', meta, "bad", "abc", 0}};
    assert_ok(s_run(f->store, bad, 1));
    assert_ok(store_read_begin(f->store, &txn));
    assert_rc(store_meta_get_u64(txn, "bad", &x), KEFU_EINVAL);
    store_txn_end(&txn);
    f->passed = true;
}

static void test_fn_fails(void **state)
{
    fixture_t *f = *state;
    s_open(f, 0, 0);
    const s_op_t w[] = {
        {'p', f->t, "a", "1", 0}, {'p', f->t, "b", "2", 0},
        {'m', 0, "pos", NULL, 7},
    };
    s_ops_arg_t a = {w, 3, KEFU_ECONFLICT, 0};
    assert_rc(store_write(f->store, s_ops_fn, &a), KEFU_ECONFLICT);
    assert_int_equal(a.calls, 1);    /* not a map-full: no retry */

    assert_int_equal(s_count(f->store, f->t, false), 0);
    store_txn_t *txn;
    uint64_t pos = 99;
    assert_ok(store_read_begin(f->store, &txn));
    assert_ok(store_meta_get_u64(txn, "pos", &pos));
    assert_int_equal(pos, 0);
    store_txn_end(&txn);

    /* The store is fine afterwards. */
    assert_ok(s_run(f->store, w, 3));
    assert_int_equal(s_count(f->store, f->t, false), 2);
    f->passed = true;
}

static void test_growth(void **state)
{
    fixture_t *f = *state;
    s_open(f, 1 * MiB, 64 * MiB);
    assert_int_equal(store_map_size(f->store), 1 * MiB);
    assert_int_equal(store_growths(f->store), 0);

    /* 10240 x 1 KiB = 10 MiB of values in one store_write: more than an
     * 8 MiB map holds, so at least 4 doublings (1 -> 16 MiB). */
    s_bulk_t b = {f->t, 10240, 1024, 0, 0};
    assert_ok(store_write(f->store, s_bulk_fn, &b));
    unsigned g = store_growths(f->store);
    assert_true(g >= 4);
    assert_true(g <= 6);                       /* 64 MiB is plenty */
    assert_int_equal(store_map_size(f->store), MiB << g);
    assert_int_equal(b.calls, g + 1);          /* one run per map size */
    assert_int_equal(s_count(f->store, f->t, true), 10240);

    /* Reopened with the same small map_size: the data and the grown map
     * are both kept, so no growth is needed to go on. */
    size_t grown = store_map_size(f->store);
    store_destroy(&f->store);
    assert_null(f->store);
    s_open(f, 1 * MiB, 64 * MiB);
    assert_int_equal(store_map_size(f->store), grown);
    assert_int_equal(s_count(f->store, f->t, true), 10240);
    f->passed = true;
}

/* A reader on another thread (cmdq's) holds a read txn while the writer
 * must grow the map: the writer waits for it, new readers wait for the
 * growth, and the write goes through (once it failed KEFU_EUNAVAIL). */
typedef struct {
    store_t *store;
    int rc;
} s_reader_t;

static void *s_hold_read(void *arg)
{
    s_reader_t *r = arg;
    store_txn_t *txn;
    r->rc = store_read_begin(r->store, &txn);
    if (r->rc == 0) {
        usleep(200 * 1000);
        store_txn_end(&txn);
    }
    return NULL;
}

static void test_growth_waits_for_readers(void **state)
{
    fixture_t *f = *state;
    s_open(f, 1 * MiB, 64 * MiB);
    s_reader_t r = {f->store, -1};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, s_hold_read, &r), 0);
    usleep(50 * 1000);  /* the reader is in its txn */
    s_bulk_t b = {f->t, 4096, 1024, 0, 0};  /* 4 MiB: needs growths */
    assert_ok(store_write(f->store, s_bulk_fn, &b));
    pthread_join(th, NULL);
    assert_ok(r.rc);
    assert_true(store_growths(f->store) >= 2);
    assert_int_equal(s_count(f->store, f->t, true), 4096);
    f->passed = true;
}

/* A fn that hides LMDB's code behind its own, as a daemon's might. */
static int s_translating_fn(store_txn_t *txn, void *arg)
{
    return s_bulk_fn(txn, arg) ? KEFU_EINTERNAL : 0;
}

static void test_growth_fn_hides_map_full(void **state)
{
    fixture_t *f = *state;
    s_open(f, 1 * MiB, 64 * MiB);
    /* 2 MiB of values: more than the 1 MiB map, so MDB_MAP_FULL comes
     * from a put; the txn remembers it and the write still grows. */
    s_bulk_t b = {f->t, 2048, 1024, 0, 0};
    assert_ok(store_write(f->store, s_translating_fn, &b));
    unsigned g = store_growths(f->store);
    assert_true(g >= 2);
    assert_int_equal(b.calls, g + 1);
    assert_int_equal(s_count(f->store, f->t, true), 2048);
    f->passed = true;
}

static void test_limit(void **state)
{
    fixture_t *f = *state;
    s_open(f, 1 * MiB, 2 * MiB);
    const s_op_t before[] = {{'p', f->t, "kept", "yes", 0}};
    assert_ok(s_run(f->store, before, 1));

    /* 8 MiB cannot fit in 2 MiB: one growth (1 -> 2 MiB), then refused. */
    s_bulk_t b = {f->t, 8192, 1024, 0, 0};
    assert_rc(store_write(f->store, s_bulk_fn, &b), KEFU_ESTOREFULL);
    assert_int_equal(store_growths(f->store), 1);
    assert_int_equal(store_map_size(f->store), 2 * MiB);
    assert_int_equal(b.calls, 2);
    assert_int_equal(s_count(f->store, f->t, false), 1);   /* only "kept" */

    /* Still usable for writes that fit. */
    b = (s_bulk_t) {f->t, 100, 1024, 0, 0};
    assert_ok(store_write(f->store, s_bulk_fn, &b));
    assert_int_equal(b.calls, 1);
    assert_int_equal(s_count(f->store, f->t, false), 101);
    f->passed = true;
}

static void test_growth_blocked_by_reader(void **state)
{
    fixture_t *f = *state;
    s_open(f, 1 * MiB, 64 * MiB);
    store_txn_t *txn;
    assert_ok(store_read_begin(f->store, &txn));

    s_bulk_t b = {f->t, 4096, 1024, 0, 0};   /* 4 MiB: needs growth */
    assert_rc(store_write(f->store, s_bulk_fn, &b), KEFU_EUNAVAIL);
    assert_int_equal(store_growths(f->store), 0);
    assert_int_equal(store_map_size(f->store), 1 * MiB);
    store_txn_end(&txn);
    assert_int_equal(s_count(f->store, f->t, false), 0);

    /* With the read ended the same write grows and goes through. */
    b.calls = 0;
    assert_ok(store_write(f->store, s_bulk_fn, &b));
    assert_true(store_growths(f->store) >= 2);
    assert_int_equal(s_count(f->store, f->t, true), 4096);
    f->passed = true;
}

/* Runs this program again as "another process" writing n KiB values,
 * starting at key number first, into the store at path. */
static void s_other_process_writes(const char *path, unsigned first, unsigned n)
{
    char a_first[16], a_n[16];
    snprintf(a_first, sizeof a_first, "%u", first);
    snprintf(a_n, sizeof a_n, "%u", n);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        execl(s_argv0, s_argv0, "--other-writer", path, a_first, a_n, (char *) NULL);
        _exit(127);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

static int s_other_writer_main(const char *path, unsigned first, unsigned n)
{
    store_t *s;
    store_table_t t;
    store_opts_t o = {.map_size = 1 * MiB, .map_max = 64 * MiB, .no_sync = true};
    int rc = store_open(&s, path, &o);
    if (rc == 0)
        rc = store_table(s, "main", &t);
    if (rc == 0) {
        s_bulk_t b = {t, n, 1024, first, 0};
        rc = store_write(s, s_bulk_fn, &b);
    }
    if (rc)
        fprintf(stderr, "other writer: %s\n", kefu_strerror(rc));
    store_destroy(&s);
    return rc ? 1 : 0;
}

static void test_other_process_grows(void **state)
{
    fixture_t *f = *state;
    s_open(f, 1 * MiB, 64 * MiB);
    assert_int_equal(s_count(f->store, f->t, false), 0);   /* caches a reader */

    /* Another process grows the map under us (4 MiB of data); a read
     * still open here pins our mapping, so a new read must refuse. */
    store_txn_t *old;
    assert_ok(store_read_begin(f->store, &old));
    s_other_process_writes(f->db, 0, 4096);
    store_txn_t *txn;
    assert_rc(store_read_begin(f->store, &txn), KEFU_EUNAVAIL);
    store_txn_end(&old);

    /* Alone, the next read adopts the new size and sees everything. */
    assert_int_equal(s_count(f->store, f->t, true), 4096);
    assert_true(store_map_size(f->store) >= 4 * MiB);
    assert_int_equal(store_growths(f->store), 0);    /* not ours */

    /* A write after another growth adopts it in its own begin. */
    s_other_process_writes(f->db, 4096, 4096);
    const s_op_t w[] = {{'p', f->t, "z", "last", 0}};
    assert_ok(s_run(f->store, w, 1));
    assert_true(store_map_size(f->store) >= 8 * MiB);
    char buf[16];
    assert_ok(s_get_str(f->store, f->t, "z", buf, sizeof buf));
    assert_string_equal(buf, "last");
    assert_int_equal(s_count(f->store, f->t, false), 8193);
    f->passed = true;
}

static void test_reopen(void **state)
{
    fixture_t *f = *state;
    assert_ok(store_open(&f->store, f->db, NULL));       /* defaults: derived, marked */
    assert_int_equal(store_map_size(f->store), 64 * MiB);
    if (!getenv("KEFU_BOOT_ID") && !getenv("KEFU_STORE_SYNC")) {
        /* The mark names this kernel's boot. */
        char boot[128] = "";
        FILE *b = fopen("/proc/sys/kernel/random/boot_id", "r");
        assert_non_null(b);
        assert_non_null(fgets(boot, sizeof boot, b));
        fclose(b);
        assert_non_null(s_mark(f));
        assert_string_equal(s_mark(f), boot);
    }
    assert_ok(store_table(f->store, "main", &f->t));
    const s_op_t w[] = {{'p', f->t, "order", "O-17", 0}, {'m', 0, "pos", NULL, 42}};
    assert_ok(s_run(f->store, w, 2));
    store_destroy(&f->store);
    store_destroy(&f->store);   /* accepts NULL */

    assert_ok(store_open(&f->store, f->db, NULL));
    assert_ok(store_table(f->store, "main", &f->t));
    char buf[16];
    assert_ok(s_get_str(f->store, f->t, "order", buf, sizeof buf));
    assert_string_equal(buf, "O-17");
    store_txn_t *txn;
    uint64_t pos;
    assert_ok(store_read_begin(f->store, &txn));
    assert_ok(store_meta_get_u64(txn, "pos", &pos));
    assert_int_equal(pos, 42);
    store_txn_end(&txn);
    f->passed = true;
}

static void test_open_errors(void **state)
{
    fixture_t *f = *state;
    store_t *s = (store_t *) 1;
    char path[160];

    /* The directory is created 0700 (less the umask). */
    mode_t mask = umask(0);
    umask(mask);
    assert_ok(store_open(&s, f->db, NULL));
    struct stat st;
    assert_int_equal(stat(f->db, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700 & ~mask);
    store_destroy(&s);

    /* The parent must exist. */
    snprintf(path, sizeof path, "%s/no/such", f->dir);
    s = (store_t *) 1;
    assert_rc(store_open(&s, path, NULL), ENOENT);
    assert_null(s);

    /* A file where the directory should be. */
    snprintf(path, sizeof path, "%s/file", f->dir);
    int fd = open(path, O_CREAT | O_WRONLY, 0600);
    assert_true(fd >= 0);
    close(fd);
    assert_rc(store_open(&s, path, NULL), ENOTDIR);

    /* A data file that is not LMDB's: LMDB's own code comes through. */
    snprintf(path, sizeof path, "%s/junk", f->dir);
    assert_int_equal(mkdir(path, 0700), 0);
    snprintf(path, sizeof path, "%s/junk/data.mdb", f->dir);
    fd = open(path, O_CREAT | O_WRONLY, 0600);
    assert_true(fd >= 0);
    char junk[8192];
    memset(junk, 'j', sizeof junk);
    assert_int_equal(write(fd, junk, sizeof junk), (ssize_t) sizeof junk);
    close(fd);
    snprintf(path, sizeof path, "%s/junk", f->dir);
    assert_rc(store_open(&s, path, NULL), MDB_INVALID);
    assert_null(s);
    f->passed = true;
}

/* ---- unsynced commits and the mark ----------------------------------- */

/* What the mark file holds now ("" if it holds nothing, NULL if absent);
 * a static buffer. */
static const char *s_mark(const fixture_t *f)
{
    static char buf[128];
    char path[160];
    snprintf(path, sizeof path, "%s/unsynced", f->db);
    FILE *m = fopen(path, "r");
    if (!m)
        return NULL;
    size_t n = fread(buf, 1, sizeof buf - 1, m);
    fclose(m);
    buf[n] = '\0';
    return buf;
}

/* A process on boot `boot` opens the store (derived: the default, or
 * synced), commits key=val, and dies without closing it, as kill -9. */
static void s_crash_after_write(const fixture_t *f, const char *boot, bool synced,
                                const char *key, const char *val)
{
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        store_t *s;
        store_table_t t;
        store_opts_t o = {.boot_id = boot, .synced = synced};
        const s_op_t w[] = {{'p', 0, key, val, 0}};
        s_op_t w0 = w[0];
        if (store_open(&s, f->db, &o) != 0 || store_table(s, "main", &t) != 0)
            _exit(1);
        w0.t = t;
        _exit(s_run(s, &w0, 1) == 0 ? 0 : 1);   /* no store_destroy: a crash */
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

static void s_open_boot(fixture_t *f, const char *boot, bool synced)
{
    store_opts_t o = {.boot_id = boot, .synced = synced};
    assert_ok(store_open(&f->store, f->db, &o));
    assert_ok(store_table(f->store, "main", &f->t));
}

static void test_mark_kill9_same_boot_kept(void **state)
{
    fixture_t *f = *state;
    s_crash_after_write(f, "boot-A", false, "order", "O-17");
    /* Killed on boot A: the mark stays, naming A. */
    assert_non_null(s_mark(f));
    assert_string_equal(s_mark(f), "boot-A\n");

    /* Reopened on the same boot: the commit is in the page cache, kept. */
    s_open_boot(f, "boot-A", false);
    assert_false(store_was_reset(f->store));
    char buf[16];
    assert_ok(s_get_str(f->store, f->t, "order", buf, sizeof buf));
    assert_string_equal(buf, "O-17");
    assert_string_equal(s_mark(f), "boot-A\n");   /* held again while open */

    /* A clean close syncs and removes the mark. */
    store_destroy(&f->store);
    assert_null(s_mark(f));
    f->passed = true;
}

static void test_mark_reboot_unclean_emptied(void **state)
{
    fixture_t *f = *state;
    s_crash_after_write(f, "boot-A", false, "order", "O-17");

    /* The machine restarted (boot B) under the open store: it can't be
     * trusted, so it comes back empty and says so. */
    s_open_boot(f, "boot-B", false);
    assert_true(store_was_reset(f->store));
    char buf[16];
    assert_rc(s_get_str(f->store, f->t, "order", buf, sizeof buf), KEFU_ENOTFOUND);
    store_txn_t *txn;
    uint64_t pos = 1;
    assert_ok(store_read_begin(f->store, &txn));
    assert_ok(store_meta_get_u64(txn, "applied", &pos));   /* a consumer starts at seq 1 */
    assert_int_equal(pos, 0);
    store_txn_end(&txn);
    assert_string_equal(s_mark(f), "boot-B\n");

    /* New commits on boot B are kept across a close and another reboot. */
    const s_op_t w[] = {{'p', f->t, "order", "O-18", 0}, {'m', 0, "applied", NULL, 5}};
    assert_ok(s_run(f->store, w, 2));
    store_destroy(&f->store);
    assert_null(s_mark(f));
    s_open_boot(f, "boot-C", false);
    assert_false(store_was_reset(f->store));
    assert_ok(s_get_str(f->store, f->t, "order", buf, sizeof buf));
    assert_string_equal(buf, "O-18");
    f->passed = true;
}

static void test_mark_reboot_clean_kept(void **state)
{
    fixture_t *f = *state;
    s_open_boot(f, "boot-A", false);
    const s_op_t w[] = {{'p', f->t, "order", "O-17", 0}};
    assert_ok(s_run(f->store, w, 1));
    store_destroy(&f->store);   /* clean: synced, mark removed */
    assert_null(s_mark(f));

    s_open_boot(f, "boot-B", false);
    assert_false(store_was_reset(f->store));
    char buf[16];
    assert_ok(s_get_str(f->store, f->t, "order", buf, sizeof buf));
    assert_string_equal(buf, "O-17");
    f->passed = true;
}

static void test_mark_two_processes(void **state)
{
    fixture_t *f = *state;
    /* A child holds the store open on boot A until told to close. */
    int go[2], ready[2];
    assert_int_equal(pipe(go), 0);
    assert_int_equal(pipe(ready), 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        store_t *s;
        store_opts_t o = {.boot_id = "boot-A"};
        char c = store_open(&s, f->db, &o) == 0 ? 'y' : 'n';
        if (write(ready[1], &c, 1) != 1 || c != 'y')
            _exit(1);
        if (read(go[0], &c, 1) != 1)
            _exit(1);
        store_destroy(&s);
        _exit(0);
    }
    char c;
    assert_int_equal(read(ready[0], &c, 1), 1);
    assert_int_equal(c, 'y');

    /* We join it (same boot) and close first: the mark stays for it. */
    s_open_boot(f, "boot-A", false);
    assert_false(store_was_reset(f->store));
    const s_op_t w[] = {{'p', f->t, "order", "O-17", 0}};
    assert_ok(s_run(f->store, w, 1));
    store_destroy(&f->store);
    assert_non_null(s_mark(f));

    /* The last one out removes it. */
    assert_int_equal(write(go[1], "x", 1), 1);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_null(s_mark(f));
    close(go[0]), close(go[1]), close(ready[0]), close(ready[1]);

    s_open_boot(f, "boot-B", false);
    char buf[16];
    assert_false(store_was_reset(f->store));
    assert_ok(s_get_str(f->store, f->t, "order", buf, sizeof buf));
    assert_string_equal(buf, "O-17");
    f->passed = true;
}

static void test_mark_synced(void **state)
{
    fixture_t *f = *state;
    /* A synced store writes no mark, and its commits survive anything. */
    s_crash_after_write(f, "boot-A", true, "order", "O-17");
    assert_null(s_mark(f));
    s_open_boot(f, "boot-B", true);
    assert_false(store_was_reset(f->store));
    char buf[16];
    assert_ok(s_get_str(f->store, f->t, "order", buf, sizeof buf));
    assert_string_equal(buf, "O-17");
    store_destroy(&f->store);

    /* But a synced open still honours a derived run's mark from another
     * boot: emptied, and the mark goes with the old files. */
    s_crash_after_write(f, "boot-A", false, "order", "O-18");
    assert_string_equal(s_mark(f), "boot-A\n");
    s_open_boot(f, "boot-B", true);
    assert_true(store_was_reset(f->store));
    assert_rc(s_get_str(f->store, f->t, "order", buf, sizeof buf), KEFU_ENOTFOUND);
    assert_null(s_mark(f));
    f->passed = true;
}

static void test_mark_torn(void **state)
{
    fixture_t *f = *state;
    char path[160];
    snprintf(path, sizeof path, "%s/unsynced", f->db);
    /* An empty mark and one cut short (a crash while it was written) both
     * count as another boot's, even read on the boot they began on. */
    const char *torn[] = {"", "boot-"};
    for (size_t i = 0; i < 2; i++) {
        s_open_boot(f, "boot-A", false);
        const s_op_t w[] = {{'p', f->t, "order", "O-17", 0}};
        assert_ok(s_run(f->store, w, 1));
        store_destroy(&f->store);
        assert_null(s_mark(f));
        FILE *m = fopen(path, "w");
        assert_non_null(m);
        fputs(torn[i], m);
        assert_int_equal(fclose(m), 0);

        s_open_boot(f, "boot-A", false);
        assert_true(store_was_reset(f->store));
        char buf[16];
        assert_rc(s_get_str(f->store, f->t, "order", buf, sizeof buf), KEFU_ENOTFOUND);
        assert_string_equal(s_mark(f), "boot-A\n");
        store_destroy(&f->store);
    }
    /* A mark is published under a temporary name: none is left behind. */
    DIR *d = opendir(f->db);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        assert_null(strstr(e->d_name, "unsynced"));
    closedir(d);
    f->passed = true;
}

/* KiB of the store's map resident in this process: the Rss of the
 * mapping of dir/data.mdb in /proc/self/smaps (0 if not mapped). */
static long s_map_rss_kb(const char *db)
{
    char want[128], line[512];
    snprintf(want, sizeof want, "%s/data.mdb", db);
    FILE *fp = fopen("/proc/self/smaps", "r");
    assert_non_null(fp);
    long kb = 0;
    bool in = false;
    while (fgets(line, sizeof line, fp)) {
        unsigned long lo, hi;
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2) {
            size_t n = strlen(line), w = strlen(want);
            in = n >= w && strcmp(line + n - w, want) == 0;
        } else if (in) {
            long v;
            if (sscanf(line, "Rss: %ld kB", &v) == 1)
                kb += v;
        }
    }
    fclose(fp);
    return kb;
}

/* store_release_pages: what reading the whole table mapped in goes out
 * of the process (its map's Rss from over 8 MiB to a few pages), the
 * pointers of a read txn open across the release still read the same
 * bytes, every value reads back right afterwards, and a release after
 * the map grew (remapped) finds the new mapping. */
static void test_release_pages(void **state)
{
    fixture_t *f = *state;
    s_open(f, 64 * MiB, 256 * MiB);
    /* 8192 x 1 KiB: three values a 4 KiB page, ~11 MiB of leaves */
    s_bulk_t b = {f->t, 8192, 1024, 0, 0};
    assert_ok(store_write(f->store, s_bulk_fn, &b));
    assert_int_equal(s_count(f->store, f->t, true), 8192);
    long before = s_map_rss_kb(f->db);
    assert_true(before > 8 * 1024);

    /* a read txn open across the release, holding a pointer into the map */
    store_txn_t *txn;
    assert_ok(store_read_begin(f->store, &txn));
    const void *v;
    size_t vlen;
    char key[16];
    s_bulk_key(key, 4321);
    assert_ok(store_get(txn, f->t, key, strlen(key), &v, &vlen));
    assert_int_equal(vlen, 1024);
    uint8_t want[1024];
    s_bulk_val(want, sizeof want, 4321);

    assert_ok(store_release_pages(f->store));
    /* what is left: the page the release read to find the map, and its
     * fault-around (16 pages at most) */
    long after = s_map_rss_kb(f->db);
    assert_true(after <= 64);
    assert_memory_equal(v, want, sizeof want);  /* mapped again, the same bytes */
    store_txn_end(&txn);

    assert_int_equal(s_count(f->store, f->t, true), 8192);
    assert_true(s_map_rss_kb(f->db) > 8 * 1024);

    /* 64 MiB more: the map grows (mdb_env_set_mapsize remaps it), and the
     * release finds it where it is now */
    s_bulk_t more = {f->t, 65536, 1024, 8192, 0};
    assert_ok(store_write(f->store, s_bulk_fn, &more));
    assert_true(store_growths(f->store) >= 1);
    assert_int_equal(s_count(f->store, f->t, true), 8192 + 65536);
    assert_true(s_map_rss_kb(f->db) > 64 * 1024);
    assert_ok(store_release_pages(f->store));
    assert_true(s_map_rss_kb(f->db) <= 64);
    assert_ok(store_release_pages(f->store));  /* nothing read since: harmless */
    f->passed = true;
}

static void test_table_limit(void **state)
{
    fixture_t *f = *state;
    store_opts_t o = {.max_tables = 2, .no_sync = true};
    assert_ok(store_open(&f->store, f->db, &o));
    store_table_t a, b, c;
    assert_ok(store_table(f->store, "a", &a));
    assert_ok(store_table(f->store, "b", &b));   /* meta is not counted */
    assert_rc(store_table(f->store, "c", &c), MDB_DBS_FULL);
    f->passed = true;
}

int main(int argc, char **argv)
{
    s_argv0 = argv[0];
    if (argc == 5 && strcmp(argv[1], "--other-writer") == 0)
        return s_other_writer_main(argv[2], (unsigned) strtoul(argv[3], NULL, 10),
                                   (unsigned) strtoul(argv[4], NULL, 10));
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_put_get_del, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_growth_waits_for_readers, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_snapshot, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_cursor, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_meta, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_fn_fails, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_growth, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_growth_fn_hides_map_full, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_limit, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_growth_blocked_by_reader, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_other_process_grows, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_reopen, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_open_errors, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_table_limit, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_release_pages, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_mark_kill9_same_boot_kept, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_mark_reboot_unclean_emptied, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_mark_reboot_clean_kept, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_mark_two_processes, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_mark_synced, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_mark_torn, s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
