/* store.c: a daemon's LMDB store (see store.h for the API).
 *
 * What it is. One LMDB environment per store directory (created 0700 if
 * missing; data.mdb and lock.mdb live in it), opened with MDB_NOTLS so a
 * read transaction owns its reader slot instead of its thread: a thread
 * may hold several, and one may be begun on one thread and ended on
 * another. Tables are LMDB named databases; a built-in table "meta" holds
 * big-endian u64 counters and positions (store_meta_*).
 *
 * Durability. A daemon's store is derived from the event log and saves
 * its log position in the same transaction as its state (consumer.h), so
 * it needs each commit atomic and consistent, never durable on its own:
 * the log already made every event durable. By default commits are
 * MDB_NOSYNC: LMDB writes the pages into the page cache and syncs nothing.
 *
 *   - kill -9 of the process: nothing is lost. The page cache holds every
 *     committed page, the next open (same kernel) reads them, and the
 *     state and the position agree as after any commit.
 *   - a system crash or power loss: the disk holds some arbitrary subset
 *     of the pages written since the last sync, and LMDB reuses freed
 *     pages two commits on, so even the state at the last sync may be
 *     overwritten: the store can't be trusted at all, nor partly (this is
 *     also why a periodic mdb_env_sync would buy nothing: it would not
 *     make what follows it trustworthy). It must be detected and rebuilt.
 *
 * The mark. Detection is a file beside data.mdb, DIR/unsynced, that exists
 * while the store is open with commits that may not be on disk, holding
 * one line: the boot id (/proc/sys/kernel/random/boot_id, new at every
 * boot) of the kernel whose page cache holds them.
 *
 *   open:  no mark: the store was closed cleanly (or is new). Publish
 *          one: write our boot id to unsynced.new.PID, fdatasync it, take
 *          flock LOCK_SH, link it to its name (EEXIST: another opener was
 *          first, go round), fsync the directory. The mark is on disk
 *          before any unsynced page can be, and LOCK_SH is held while the
 *          store is open.
 *          A mark: take LOCK_EX|LOCK_NB. Got it: no other process has the
 *          store open. If the mark does not hold our boot id, the machine
 *          restarted under an open store: remove data.mdb and lock.mdb
 *          (the store comes back empty; the consumer replays the log from
 *          seq 1), fsync the directory, write our boot id into the mark
 *          and fdatasync it. Then convert to LOCK_SH. Not got it: another
 *          process has the store open on this boot, so what it committed
 *          is in the page cache: wait for LOCK_SH and join it.
 *   close: mdb_env_sync(force), close the env, then try LOCK_EX|LOCK_NB:
 *          got it, we were the last: unlink the mark, fsync the directory.
 *          A failed sync leaves the mark in place.
 *
 * A mark with our own boot id is a process that died (kill -9) on this
 * boot: trusted. A missing mark is a clean close (or a store written by a
 * build that synced every commit): trusted. Anything else in a mark (an
 * empty or torn one included) counts as another boot's, which is why a
 * new mark is published whole, never created empty and filled in. A crash
 * between the close's sync and the unlink reaching the disk, or during a
 * rewrite, costs a needless rebuild, never a wrong store. (A crash between
 * publish's create and link leaves an unsynced.new.PID file: harmless.) Because flock is released by the kernel and conversions
 * are not atomic, after every lock the mark is checked to still be the
 * file at its path (a closer may have unlinked it meanwhile); if not, the
 * open starts over on a fresh mark. When the boot id can't be read (no
 * /proc), the store falls back to synced commits (below) and writes no
 * mark, and a mark it finds counts as another boot's.
 *
 * opts->synced (or KEFU_STORE_SYNC=1 in the environment) is the old way:
 * MDB_NOMETASYNC, the data pages fdatasync'ed at every commit and the meta
 * page not, so a system crash can lose the last commit(s) but always
 * leaves a consistent older state. Such an open still honours a mark it
 * finds from an earlier boot (and empties the store) but writes none.
 * opts->no_sync (tests only) is MDB_NOSYNC without any mark: a test's
 * store is thrown away.
 *
 * Growth and retry. The map starts at opts->map_size (or the size the
 * store last grew to, which LMDB keeps in its meta page, if larger) and
 * is never larger than opts->map_max unless the data already is.
 * store_write() runs the caller's function in one write transaction:
 *
 *   1. begin; run fn; if fn returned 0, commit.
 *   2. If a put/del inside fn, fn itself or the commit hit MDB_MAP_FULL:
 *      the transaction is aborted (LMDB leaves nothing of it), the map is
 *      doubled (capped at map_max) with mdb_env_set_mapsize, and we go
 *      back to 1: fn runs again from the start on a fresh transaction.
 *   3. If the map is already at map_max: KEFU_ESTOREFULL, nothing written.
 *   4. Any other non-zero from fn or commit: abort, return it unchanged.
 *
 * A put that hit MDB_MAP_FULL is remembered on the transaction, so the
 * retry happens even if fn translated the code into its own; after that
 * error LMDB refuses everything else in the transaction anyway.
 *
 * mdb_env_set_mapsize unmaps and remaps the file, so it is legal only
 * while no transaction of this process is open: any pointer a reader got
 * from store_get or a cursor would dangle. The store counts its open
 * transactions under a mutex (the only shared state); a growth needed
 * while a read transaction is open is refused with KEFU_EUNAVAIL and
 * nothing written, and the writer may retry once its reads are done.
 * Another process that grows the map makes our next txn begin fail with
 * MDB_MAP_RESIZED; we then adopt its size (mdb_env_set_mapsize(env, 0))
 * under the same rule and begin again.
 *
 * Memory. LMDB maps the file read-only and shared (no MDB_WRITEMAP: a
 * write txn's pages are malloc'ed copies, written back with pwrite), and
 * every page a read or a B-tree descent touched stays mapped, counted in
 * the process's RSS (RssFile), until it is unmapped: a rebuild from the
 * log, or a walk of a whole table, leaves about the whole file there
 * (the kernel also maps in up to 16 cached neighbours of each page a
 * fault finds, its fault-around; MDB_NORDAHEAD, which we do not set,
 * would only stop the readahead of pages not yet cached, not that).
 * store_release_pages() unmaps them all with madvise(MADV_DONTNEED): on
 * a shared file mapping that drops only the process's page table
 * entries, the pages stay in the page cache, and the next access maps
 * the same bytes again (a minor fault), so it is safe even under an
 * open read transaction whose pointers are still in use, on any thread.
 * (On a private or anonymous mapping it would discard data, so the
 * release checks the mapping is a shared one; POSIX_MADV_DONTNEED, the
 * safe-sounding name, is a no-op in glibc on Linux.) The one hazard is
 * the address range itself: mdb_env_set_mapsize unmaps and remaps the
 * file, maybe elsewhere, and a madvise over a range reused meanwhile
 * would zero someone's heap; so the release finds the range from a
 * pointer a read txn of its own got from LMDB, and holds that txn (no
 * remap while a reader is counted, above) until the madvise is done.
 * Remapping the same size instead (mdb_env_set_mapsize) would release
 * as well, but only with no read txn open anywhere in the process, and
 * a failed mmap there would leave the store without a map.
 *
 * Hot paths allocate nothing where it is easy not to: the write
 * transaction wrapper is part of store_t (LMDB reuses its own write txn
 * too), and one ended read transaction is kept reset (mdb_txn_reset) to
 * be renewed by the next store_read_begin.
 */
#include "store.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <lmdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "kerr.h"
#include "kfs.h"
#include "klog.h"

_Static_assert(sizeof(size_t) >= 8, "a kefu store maps up to 64 GiB: 64-bit only");

#define S_MAP_SIZE_DEFAULT ((size_t) 64 << 20)
#define S_MAP_MAX_DEFAULT  ((size_t) 64 << 30)
#define S_TABLES_DEFAULT   32u
#define S_META_NAME        "meta"
/* How often txn begin adopts another process's map growth before giving
 * up with MDB_MAP_RESIZED: each round makes progress, so hitting this
 * means the map is being grown continuously. */
#define S_RESIZE_TRIES     8
#define S_MARK             "unsynced"
/* How often an open starts over on a mark that a closer unlinked under
 * it, or that another opener held mid-change, before EBUSY. */
#define S_MARK_TRIES       100
#define S_BOOT_ID_MAX      64

struct store_txn_t {
    MDB_txn *txn;
    store_t *store;
    bool write;
    bool map_full;      /* a put/del hit MDB_MAP_FULL: grow and retry */
    unsigned cursors;   /* open cursors; must be 0 when the txn ends */
};

struct store_cursor_t {
    MDB_cursor *cur;
    store_txn_t *txn;
    MDB_cursor_op op;   /* what store_cursor_next does to move */
    bool pending;       /* key/val hold an entry next has not returned */
    bool at_end;
    MDB_val key, val;
};

struct store_t {
    MDB_env *env;
    MDB_dbi meta;
    size_t map_size;    /* bytes our map has now */
    size_t map_max;
    size_t page;        /* OS page size: map sizes are multiples of it */
    unsigned growths;

    pthread_mutex_t lock;   /* guards the fields below */
    unsigned readers;       /* open read txns (not counting the cached one) */
    bool writing;           /* store_write is running */
    bool growing;           /* the writer waits for the readers to let it grow the map */
    pthread_cond_t idle;    /* signalled when readers falls to 0 or a growth ends */
    unsigned long txns;     /* transactions begun, read or write (store_txns) */
    store_txn_t *rcache;    /* one reset read txn, ready to renew */

    store_txn_t wtxn;       /* the write txn wrapper, reused by store_write */

    char *dir;              /* the store's directory (for the mark) */
    int mark_fd;            /* the mark, under LOCK_SH while open; -1: none */
    bool no_sync;           /* opened no_sync: nothing synced at close */
    bool reset;             /* emptied at open (store_was_reset) */
};

/* A default mutex fails to lock only when misused (never initialised,
 * destroyed): a program bug, so assert rather than return. */
static void s_lock(store_t *self)
{
    int rc = pthread_mutex_lock(&self->lock);
    assert(rc == 0);
    (void) rc;
}

static void s_unlock(store_t *self)
{
    int rc = pthread_mutex_unlock(&self->lock);
    assert(rc == 0);
    (void) rc;
}

/* ---- map size --------------------------------------------------------- */

static void s_refresh_map_size(store_t *self)
{
    MDB_envinfo info;
    /* mdb_env_info cannot fail on an open env (it returns 0 always). */
    (void) mdb_env_info(self->env, &info);
    self->map_size = info.me_mapsize;
}

/* Remaps to size (0: the size in the meta page, as another process left
 * it). Legal only with no txn of ours open, so the caller says what it
 * holds itself: the writer (store_write, between txns) holds nothing but
 * the writing flag; a reader (store_read_begin, whose begin just failed)
 * holds only its own count. Anything more is refused with KEFU_EUNAVAIL.
 * Returns 0, KEFU_EUNAVAIL or an LMDB/errno code. */
#define S_GROW_WAIT_MS 2000  /* how long the writer waits for readers to finish */

static int s_set_map_size(store_t *self, size_t size, bool writer)
{
    s_lock(self);
    if (writer && self->readers > 0) {
        /* Readers on other threads (cmdq's reader) hold the map: new ones
         * wait (store_read_begin) and the open ones end soon. A reader
         * of the writer's own thread would never end: after the wait the
         * growth is refused as before. */
        self->growing = true;
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += S_GROW_WAIT_MS / 1000;
        while (self->readers > 0 &&
               pthread_cond_timedwait(&self->idle, &self->lock, &until) == 0)
            ;
        self->growing = false;
        pthread_cond_broadcast(&self->idle);
    }
    bool alone = writer ? self->readers == 0
                        : self->readers == 1 && !self->writing;
    int rc = KEFU_EUNAVAIL;
    if (alone) {
        rc = mdb_env_set_mapsize(self->env, size);
        s_refresh_map_size(self);
    }
    s_unlock(self);
    return rc;
}

/* Doubles the map up to map_max. Returns 0, KEFU_ESTOREFULL when the map
 * is already at the limit, KEFU_EUNAVAIL, or an LMDB/errno code. */
static int s_grow(store_t *self)
{
    if (self->map_size >= self->map_max)
        return KEFU_ESTOREFULL;
    size_t next = self->map_size > self->map_max / 2 ? self->map_max
                                                     : self->map_size * 2;
    next -= next % self->page;
    if (next <= self->map_size)
        return KEFU_ESTOREFULL;
    int rc = s_set_map_size(self, next, true);
    if (rc == 0)
        self->growths++;
    return rc;
}

/* mdb_txn_begin, adopting a map another process grew (MDB_MAP_RESIZED).
 * A read txn is already counted in readers by its caller; a txn whose
 * begin failed holds nothing in the map, so that count is its only hold.
 * Returns 0, KEFU_EUNAVAIL (other txns of ours are open, so the map
 * cannot move) or an LMDB/errno code. */
static int s_txn_begin(store_t *self, unsigned flags, MDB_txn **out)
{
    int rc = mdb_txn_begin(self->env, NULL, flags, out);
    for (int i = 0; rc == MDB_MAP_RESIZED && i < S_RESIZE_TRIES; i++) {
        rc = s_set_map_size(self, 0, !(flags & MDB_RDONLY));
        if (rc)
            return rc;
        rc = mdb_txn_begin(self->env, NULL, flags, out);
    }
    return rc;
}

/* ---- open and close --------------------------------------------------- */

typedef struct {
    const char *name;
    MDB_dbi dbi;
} s_table_arg_t;

static int s_table_fn(store_txn_t *txn, void *arg)
{
    s_table_arg_t *a = arg;
    return mdb_dbi_open(txn->txn, a->name, MDB_CREATE, &a->dbi);
}

/* ---- the mark (the essay at the top says why and how) ---------------- */

/* The boot id marks are compared with: opts->boot_id, $KEFU_BOOT_ID, or
 * the kernel's. Returns 0, or errno (ENOENT without /proc, EINVAL for an
 * empty or over-long id). */
static int s_boot_id(const store_opts_t *o, char *buf, size_t size)
{
    const char *b = o->boot_id ? o->boot_id : getenv("KEFU_BOOT_ID");
    if (b && *b) {
        if (strlen(b) >= size || strchr(b, '\n'))
            return EINVAL;
        strcpy(buf, b);
        return 0;
    }
    FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");
    if (!f)
        return errno;
    bool ok = fgets(buf, (int) size, f) != NULL;
    fclose(f);
    if (!ok)
        return EIO;
    buf[strcspn(buf, "\n")] = '\0';
    return *buf ? 0 : EINVAL;
}

/* Whether fd is still the file at path: a closer may have unlinked the
 * mark between our open and our lock (then a new one must be made). */
static bool s_same_file(int fd, const char *path)
{
    struct stat a, b;
    return fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_nlink > 0 &&
           a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* Reads the mark's boot id ("" for an empty mark). Returns 0 or errno. */
static int s_mark_read(int fd, char *buf, size_t size)
{
    ssize_t n = pread(fd, buf, size - 1, 0);
    if (n < 0)
        return errno;
    buf[n] = '\0';
    buf[strcspn(buf, "\n")] = '\0';
    return 0;
}

/* Makes the mark hold boot, on disk. Returns 0 or errno. */
static int s_mark_write(int fd, const char *boot)
{
    char line[S_BOOT_ID_MAX + 1];
    int n = snprintf(line, sizeof line, "%s\n", boot);
    if (ftruncate(fd, 0) != 0)
        return errno;
    ssize_t w = pwrite(fd, line, (size_t) n, 0);
    if (w != n)
        return w < 0 ? errno : EIO;
    return fdatasync(fd) == 0 ? 0 : errno;
}

/* Empties the store: its files go, LMDB makes new ones at open. */
static int s_wipe(const char *dir)
{
    const char *files[] = {"data.mdb", "lock.mdb"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char f[PATH_MAX];
        snprintf(f, sizeof f, "%s/%s", dir, files[i]);
        if (unlink(f) != 0 && errno != ENOENT)
            return errno;
    }
    return 0;
}

/* Publishes a new mark holding boot, for a store that has none (so it was
 * closed cleanly, or is new): the mark is written and synced under a
 * temporary name, locked LOCK_SH, and only then linked to its name, so a
 * mark at its name always names a boot (or is torn by a crash, which
 * reads as another boot's). Returns the fd, -1 with errno EEXIST if
 * another process published one first, or -1 with errno. */
static int s_mark_publish(const char *mark, const char *boot)
{
    char tmp[PATH_MAX + 32];
    snprintf(tmp, sizeof tmp, "%s.new.%ld", mark, (long) getpid());
    int fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    int rc = flock(fd, LOCK_SH) == 0 ? s_mark_write(fd, boot) : errno;
    if (rc == 0 && link(tmp, mark) != 0)
        rc = errno;
    (void) unlink(tmp);
    if (rc) {
        close(fd);
        errno = rc;
        return -1;
    }
    return fd;
}

/* The open half of the mark's protocol (top of the file), before LMDB
 * opens its files. boot: this kernel's boot id, or NULL if unknown. hold:
 * the store will commit unsynced, so the mark is made (or kept), names
 * this boot and is held (self->mark_fd); otherwise a mark is only
 * checked. Sets self->reset if the store was emptied. Returns 0 or errno
 * (EBUSY: still contended after S_MARK_TRIES rounds). */
static int s_mark_open(store_t *self, const char *boot, bool hold)
{
    assert(boot || !hold);
    char mark[PATH_MAX];
    if (snprintf(mark, sizeof mark, "%s/%s", self->dir, S_MARK) >= (int) sizeof mark)
        return ENAMETOOLONG;
    for (int tries = 0; tries < S_MARK_TRIES; tries++) {
        int rc = 0;
        int fd = open(mark, O_RDWR | O_CLOEXEC);
        if (fd < 0 && errno == ENOENT) {
            /* No mark: the store was closed cleanly (or is new). */
            if (!hold)
                return 0;
            fd = s_mark_publish(mark, boot);
            if (fd < 0 && errno == EEXIST)
                continue;   /* another opener was first: join it */
            if (fd < 0)
                return errno;
            rc = kfs_sync_dir(self->dir);   /* the mark's name on disk */
            if (rc) {
                close(fd);
                return rc;
            }
            self->mark_fd = fd;
            return 0;
        }
        if (fd < 0)
            return errno;
        char seen[S_BOOT_ID_MAX];
        if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
            /* Nobody else has the store open. */
            if (!s_same_file(fd, mark)) {
                close(fd);   /* a closer unlinked it meanwhile: go round */
                continue;
            }
            rc = s_mark_read(fd, seen, sizeof seen);
            bool ours = rc == 0 && boot && strcmp(seen, boot) == 0;
            if (rc == 0 && !ours) {
                klog_warn("store %s: the machine restarted while it was open (boot %s, now %s): "
                          "its unsynced commits can't be trusted, so it is emptied and rebuilt "
                          "from the log", self->dir, *seen ? seen : "not written",
                          boot ? boot : "unknown");
                rc = s_wipe(self->dir);
                if (rc == 0)
                    self->reset = true;
                if (rc == 0 && !hold && unlink(mark) != 0)
                    rc = errno;
                if (rc == 0)
                    rc = kfs_sync_dir(self->dir);   /* the old files gone on disk */
            }
            /* Ours: a run on this boot died with it open; its commits are
             * in the page cache, and so may the mark be. */
            if (rc == 0 && hold)
                rc = ours ? (fdatasync(fd) == 0 ? 0 : errno) : s_mark_write(fd, boot);
            if (rc == 0 && hold && flock(fd, LOCK_SH) != 0)
                rc = errno;
            if (rc || !hold) {
                close(fd);
                return rc;
            }
            if (!s_same_file(fd, mark)) {
                close(fd);   /* lost in the conversion to a closer: go round */
                continue;
            }
            self->mark_fd = fd;
            return 0;
        }
        if (errno != EWOULDBLOCK) {
            rc = errno;
            close(fd);
            return rc;
        }
        /* Another process has the store open on this boot (so its commits
         * are in the page cache), or is opening or closing it: join it
         * once it holds the mark with this boot's id. */
        if (flock(fd, LOCK_SH) != 0) {
            rc = errno;
            close(fd);
            return rc;
        }
        bool ours = boot && s_same_file(fd, mark) && s_mark_read(fd, seen, sizeof seen) == 0 &&
                    strcmp(seen, boot) == 0;
        if (ours) {
            if (hold)
                self->mark_fd = fd;
            else
                close(fd);
            return 0;
        }
        close(fd);
        usleep(1000);
    }
    return EBUSY;
}

/* The close half: after the env is synced and closed, the last process
 * holding the mark removes it. */
static void s_mark_close(store_t *self, bool synced)
{
    if (self->mark_fd < 0)
        return;
    if (synced && flock(self->mark_fd, LOCK_EX | LOCK_NB) == 0) {
        char mark[PATH_MAX];
        snprintf(mark, sizeof mark, "%s/%s", self->dir, S_MARK);
        if (s_same_file(self->mark_fd, mark) && unlink(mark) == 0)
            (void) kfs_sync_dir(self->dir);   /* at worst the mark stays: a needless rebuild */
    }
    close(self->mark_fd);
    self->mark_fd = -1;
}

int store_open(store_t **out, const char *path, const store_opts_t *opts)
{
    assert(out && path);
    *out = NULL;
    store_opts_t o = opts ? *opts : (store_opts_t) {0};
    size_t page = (size_t) sysconf(_SC_PAGESIZE);
    size_t map_max = o.map_max ? o.map_max : S_MAP_MAX_DEFAULT;
    size_t map_size = o.map_size ? o.map_size : S_MAP_SIZE_DEFAULT;
    map_max -= map_max % page;
    if (map_max < page)
        map_max = page;
    if (map_size > map_max)
        map_size = map_max;
    map_size -= map_size % page;
    if (map_size < page)
        map_size = page;

    int rc = kfs_mkdir(path);
    if (rc)
        return rc;

    store_t *self = calloc(1, sizeof *self);
    if (!self)
        return ENOMEM;
    self->page = page;
    self->map_max = map_max;
    self->wtxn.store = self;
    self->wtxn.write = true;
    self->mark_fd = -1;
    self->no_sync = o.no_sync;
    self->dir = strdup(path);
    if (!self->dir) {
        free(self);
        return ENOMEM;
    }
    rc = pthread_mutex_init(&self->lock, NULL);
    if (rc == 0 && (rc = pthread_cond_init(&self->idle, NULL)) != 0)
        pthread_mutex_destroy(&self->lock);
    if (rc) {
        free(self->dir);
        free(self);
        return rc;
    }

    /* Unsynced commits (the default) need a boot id for the mark; without
     * one the store syncs every commit instead. no_sync: no mark at all. */
    char boot[S_BOOT_ID_MAX];
    bool have_boot = s_boot_id(&o, boot, sizeof boot) == 0;
    const char *env_sync = getenv("KEFU_STORE_SYNC");
    bool synced = o.synced || (env_sync && strcmp(env_sync, "1") == 0);
    bool unsynced = !o.no_sync && !synced && have_boot;
    if (!o.no_sync) {
        rc = s_mark_open(self, have_boot ? boot : NULL, unsynced);
        if (rc)
            goto fail;
    }

    rc = mdb_env_create(&self->env);
    if (rc)
        goto fail;
    /* +1: the built-in meta table does not count against the caller's. */
    rc = mdb_env_set_maxdbs(self->env, (o.max_tables ? o.max_tables : S_TABLES_DEFAULT) + 1);
    if (rc)
        goto fail;
    /* No mapsize before open: LMDB then maps the size recorded in the
     * file, which keeps the growth of earlier runs; raised to map_size
     * below when that is smaller (a new store records 1 MiB). */
    unsigned flags = MDB_NOTLS | MDB_NOMETASYNC | (o.no_sync || unsynced ? MDB_NOSYNC : 0);
    rc = mdb_env_open(self->env, path, flags, 0600);
    if (rc)
        goto fail;
    /* Reader slots of crashed processes would pin old pages forever and
     * make the map grow for nothing. */
    int dead;
    rc = mdb_reader_check(self->env, &dead);
    if (rc)
        goto fail;
    /* A new store (no commit yet) recorded LMDB's default 1 MiB: take
     * map_size exactly. An old one keeps what it grew to, raised to
     * map_size if that is larger. */
    MDB_envinfo info;
    (void) mdb_env_info(self->env, &info);
    if (info.me_last_txnid == 0 || info.me_mapsize < map_size) {
        rc = mdb_env_set_mapsize(self->env, map_size);
        if (rc)
            goto fail;
    }
    s_refresh_map_size(self);

    s_table_arg_t meta = {S_META_NAME, 0};
    rc = store_write(self, s_table_fn, &meta);
    if (rc)
        goto fail;
    self->meta = meta.dbi;
    *out = self;
    return 0;

fail:
    if (self->env)
        mdb_env_close(self->env);
    if (self->mark_fd >= 0)
        close(self->mark_fd);   /* left with our boot id: trusted on this boot */
    pthread_cond_destroy(&self->idle);
    pthread_mutex_destroy(&self->lock);
    free(self->dir);
    free(self);
    return rc;
}

void store_destroy(store_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    store_t *self = *self_p;
    assert(self->readers == 0 && !self->writing);
    if (self->rcache) {
        mdb_txn_abort(self->rcache->txn);
        free(self->rcache);
    }
    /* Every unsynced commit goes to disk before the mark may go. */
    int rc = self->no_sync ? 0 : mdb_env_sync(self->env, 1);
    if (rc)
        klog_warn("store %s: can't sync at close (%s): it will be rebuilt if the machine "
                  "restarts first", self->dir, kefu_strerror(rc));
    mdb_env_close(self->env);
    s_mark_close(self, rc == 0);
    pthread_cond_destroy(&self->idle);
    pthread_mutex_destroy(&self->lock);
    free(self->dir);
    free(self);
    *self_p = NULL;
}

bool store_was_reset(const store_t *self)
{
    assert(self);
    return self->reset;
}

int store_table(store_t *self, const char *name, store_table_t *table)
{
    assert(self && name && table);
    /* Opened in a write txn so a new table is created; LMDB keeps the
     * handle for the env's life once that txn commits (on abort it is
     * discarded, so a retried fn opens it again). */
    s_table_arg_t a = {name, 0};
    int rc = store_write(self, s_table_fn, &a);
    if (rc == 0)
        *table = a.dbi;
    return rc;
}

/* ---- transactions ------------------------------------------------------ */

/* LMDB reports a short write (the file system ran out of room in the
 * middle of a commit's pages) as EIO, "short write, filesystem full?". When
 * the store's file system has less than a map growth step of room left,
 * that is what it was: the commit failed for want of space (ENOSPC, which
 * reaches users as store-full), nothing of it took effect, and it can be
 * tried again once there is room. */
static bool s_disk_full(store_t *self)
{
    const char *path = NULL;
    struct statvfs st;
    if (mdb_env_get_path(self->env, &path) != 0 || !path || statvfs(path, &st) != 0)
        return false;
    return (uint64_t) st.f_bavail * st.f_frsize < 1024 * 1024;
}

int store_write(store_t *self, store_write_fn *fn, void *arg)
{
    assert(self && fn);
    s_lock(self);
    /* One store_write at a time, and none from inside fn: LMDB would
     * deadlock on its writer lock, so say it plainly here. The flag also
     * tells a reader's map adoption that a write txn may be open. */
    assert(!self->writing);
    self->writing = true;
    self->txns++;
    s_unlock(self);

    store_txn_t *t = &self->wtxn;
    int rc;
    for (;;) {
        MDB_txn *txn;
        rc = s_txn_begin(self, 0, &txn);
        if (rc)
            break;
        t->txn = txn;
        t->map_full = false;
        t->cursors = 0;

        rc = fn(t, arg);
        assert(t->cursors == 0);  /* fn closes its cursors */
        if (rc == 0 && !t->map_full) {
            rc = mdb_txn_commit(txn);   /* frees txn whatever it returns */
            if (rc == EIO && s_disk_full(self))
                rc = ENOSPC;
        } else
            mdb_txn_abort(txn);
        bool full = t->map_full || rc == MDB_MAP_FULL;
        t->txn = NULL;
        if (!full)
            break;
        rc = s_grow(self);
        if (rc)
            break;
    }

    s_lock(self);
    self->writing = false;
    s_unlock(self);
    return rc;
}

int store_read_begin(store_t *self, store_txn_t **txn)
{
    assert(self && txn);
    *txn = NULL;
    /* Counted before the begin, so no growth can remap under it; a growth
     * waiting for the readers to go goes first. */
    s_lock(self);
    while (self->growing)
        pthread_cond_wait(&self->idle, &self->lock);
    self->readers++;
    self->txns++;
    store_txn_t *t = self->rcache;
    self->rcache = NULL;
    s_unlock(self);

    int rc = 0;
    if (t) {
        rc = mdb_txn_renew(t->txn);
        if (rc) {
            /* A failed renew leaves the txn reset (possibly for a map
             * another process grew); start over with a fresh one, whose
             * begin knows how to adopt the new size. */
            mdb_txn_abort(t->txn);
            t->txn = NULL;
        }
    } else {
        t = calloc(1, sizeof *t);
        if (!t)
            rc = ENOMEM;
        else
            t->store = self;
    }
    if (t && !t->txn)
        rc = s_txn_begin(self, MDB_RDONLY, &t->txn);
    if (rc) {
        free(t);
        s_lock(self);
        if (--self->readers == 0)
            pthread_cond_broadcast(&self->idle);
        s_unlock(self);
        return rc;
    }
    *txn = t;
    return 0;
}

void store_txn_end(store_txn_t **txn_p)
{
    if (!txn_p || !*txn_p)
        return;
    store_txn_t *t = *txn_p;
    /* Write txns end in store_write; ending one here would leave store_write
     * committing a dead txn. */
    assert(!t->write);
    assert(t->cursors == 0);
    store_t *self = t->store;
    mdb_txn_reset(t->txn);
    s_lock(self);
    if (--self->readers == 0)
        pthread_cond_broadcast(&self->idle);
    if (!self->rcache) {
        self->rcache = t;
        t = NULL;
    }
    s_unlock(self);
    if (t) {
        mdb_txn_abort(t->txn);
        free(t);
    }
    *txn_p = NULL;
}

/* ---- reads and writes -------------------------------------------------- */

/* Notes MDB_MAP_FULL on a write txn so store_write grows even if fn turns
 * the code into its own. */
static int s_note(store_txn_t *txn, int rc)
{
    if (rc == MDB_MAP_FULL)
        txn->map_full = true;
    return rc;
}

int store_get(store_txn_t *txn, store_table_t t, const void *key, size_t klen,
              const void **val, size_t *vlen)
{
    assert(txn && txn->txn && (key || klen == 0));
    MDB_val k = {klen, (void *) key}, v;
    int rc = mdb_get(txn->txn, t, &k, &v);
    if (rc == MDB_NOTFOUND)
        return KEFU_ENOTFOUND;
    if (rc)
        return rc;
    if (val)
        *val = v.mv_data;
    if (vlen)
        *vlen = v.mv_size;
    return 0;
}

int store_put(store_txn_t *txn, store_table_t t, const void *key, size_t klen,
              const void *val, size_t vlen)
{
    assert(txn && txn->txn && (key || klen == 0) && (val || vlen == 0));
    assert(txn->write);
    MDB_val k = {klen, (void *) key}, v = {vlen, (void *) val};
    return s_note(txn, mdb_put(txn->txn, t, &k, &v, 0));
}

int store_del(store_txn_t *txn, store_table_t t, const void *key, size_t klen)
{
    assert(txn && txn->txn && (key || klen == 0));
    assert(txn->write);
    MDB_val k = {klen, (void *) key};
    int rc = mdb_del(txn->txn, t, &k, NULL);
    if (rc == MDB_NOTFOUND)
        return KEFU_ENOTFOUND;
    return s_note(txn, rc);
}

int store_meta_get_u64(store_txn_t *txn, const char *key, uint64_t *val)
{
    assert(txn && key && val);
    const void *v;
    size_t vlen;
    int rc = store_get(txn, txn->store->meta, key, strlen(key), &v, &vlen);
    if (rc == KEFU_ENOTFOUND) {
        *val = 0;
        return 0;
    }
    if (rc)
        return rc;
    if (vlen != 8)
        return KEFU_EINVAL;  /* not written by store_meta_put_u64 */
    const uint8_t *b = v;
    uint64_t x = 0;
    for (int i = 0; i < 8; i++)
        x = x << 8 | b[i];
    *val = x;
    return 0;
}

int store_meta_put_u64(store_txn_t *txn, const char *key, uint64_t val)
{
    assert(txn && key);
    /* Big-endian so a cursor over meta would order numbers correctly and
     * the bytes read the same on any host. */
    uint8_t b[8];
    for (int i = 7; i >= 0; i--, val >>= 8)
        b[i] = (uint8_t) val;
    return store_put(txn, txn->store->meta, key, strlen(key), b, sizeof b);
}

/* ---- cursors ----------------------------------------------------------- */

int store_cursor_open(store_txn_t *txn, store_table_t t, store_cursor_t **out)
{
    assert(txn && txn->txn && out);
    *out = NULL;
    store_cursor_t *c = calloc(1, sizeof *c);
    if (!c)
        return ENOMEM;
    int rc = mdb_cursor_open(txn->txn, t, &c->cur);
    if (rc) {
        free(c);
        return rc;
    }
    c->txn = txn;
    c->op = MDB_FIRST;
    txn->cursors++;
    *out = c;
    return 0;
}

int store_cursor_seek(store_cursor_t *c, const void *key, size_t klen)
{
    assert(c && (key || klen == 0));
    c->pending = c->at_end = false;
    c->op = MDB_NEXT;
    int rc;
    if (klen == 0) {
        /* LMDB refuses an empty key for MDB_SET_RANGE (MDB_BAD_VALSIZE). */
        rc = mdb_cursor_get(c->cur, &c->key, &c->val, MDB_FIRST);
    } else {
        c->key = (MDB_val) {klen, (void *) key};
        rc = mdb_cursor_get(c->cur, &c->key, &c->val, MDB_SET_RANGE);
    }
    if (rc == MDB_NOTFOUND) {
        c->at_end = true;
        return 0;
    }
    if (rc)
        return rc;
    c->pending = true;
    return 0;
}

int store_cursor_next(store_cursor_t *c, const void **key, size_t *klen,
                      const void **val, size_t *vlen)
{
    assert(c);
    if (c->at_end)
        return KEFU_ENOTFOUND;
    if (!c->pending) {
        int rc = mdb_cursor_get(c->cur, &c->key, &c->val, c->op);
        c->op = MDB_NEXT;
        if (rc == MDB_NOTFOUND) {
            c->at_end = true;
            return KEFU_ENOTFOUND;
        }
        if (rc)
            return rc;
    }
    c->pending = false;
    if (key)
        *key = c->key.mv_data;
    if (klen)
        *klen = c->key.mv_size;
    if (val)
        *val = c->val.mv_data;
    if (vlen)
        *vlen = c->val.mv_size;
    return 0;
}

/* Hands the cursor's current entry out, after a backward move. */
static int s_cursor_out(store_cursor_t *c, int rc, const void **k, size_t *kl, const void **v,
                        size_t *vl)
{
    c->pending = false;
    c->op = MDB_NEXT;
    if (rc == MDB_NOTFOUND) {
        c->op = MDB_FIRST;  /* unpositioned: a next starts over */
        return KEFU_ENOTFOUND;
    }
    if (rc)
        return rc;
    c->at_end = false;
    if (k)
        *k = c->key.mv_data;
    if (kl)
        *kl = c->key.mv_size;
    if (v)
        *v = c->val.mv_data;
    if (vl)
        *vl = c->val.mv_size;
    return 0;
}

int store_cursor_last_le(store_cursor_t *c, const void *key, size_t klen, const void **k,
                         size_t *kl, const void **v, size_t *vl)
{
    assert(c && (key || klen == 0));
    c->at_end = false;
    int rc;
    if (klen == 0)
        rc = mdb_cursor_get(c->cur, &c->key, &c->val, MDB_LAST);
    else {
        MDB_val want = {klen, (void *) key};
        c->key = want;
        rc = mdb_cursor_get(c->cur, &c->key, &c->val, MDB_SET_RANGE);
        if (rc == MDB_NOTFOUND)
            rc = mdb_cursor_get(c->cur, &c->key, &c->val, MDB_LAST);  /* every key < key */
        else if (rc == 0 && (c->key.mv_size != klen || memcmp(c->key.mv_data, key, klen) != 0))
            rc = mdb_cursor_get(c->cur, &c->key, &c->val, MDB_PREV);  /* the first > key: step back */
    }
    return s_cursor_out(c, rc, k, kl, v, vl);
}

int store_cursor_prev(store_cursor_t *c, const void **k, size_t *kl, const void **v, size_t *vl)
{
    assert(c);
    int rc = mdb_cursor_get(c->cur, &c->key, &c->val, MDB_PREV);
    return s_cursor_out(c, rc, k, kl, v, vl);
}

void store_cursor_close(store_cursor_t **c_p)
{
    if (!c_p || !*c_p)
        return;
    store_cursor_t *c = *c_p;
    mdb_cursor_close(c->cur);
    assert(c->txn->cursors > 0);
    c->txn->cursors--;
    free(c);
    *c_p = NULL;
}

/* ---- status ------------------------------------------------------------ */

size_t store_map_size(const store_t *self)
{
    assert(self);
    return self->map_size;
}

unsigned store_growths(const store_t *self)
{
    assert(self);
    return self->growths;
}

/* The bounds of the mapping of this process that holds address p, and
 * whether it is a shared mapping of a file ("r--s", as LMDB maps a store
 * without MDB_WRITEMAP). Returns 0, ENOENT (no such mapping: not
 * possible for a pointer LMDB gave), KEFU_EINVAL (another kind of
 * mapping: never released), or errno. */
static int s_mapping_of(const void *p, uintptr_t *lo, uintptr_t *hi)
{
    FILE *f = fopen("/proc/self/maps", "re");
    if (!f)
        return errno;
    uintptr_t a = (uintptr_t) p;
    char line[512], perms[8];
    unsigned long start, end;
    int rc = ENOENT;
    while (rc == ENOENT && fgets(line, sizeof line, f)) {
        size_t len = strlen(line);
        bool whole = len > 0 && line[len - 1] == '\n';
        if (sscanf(line, "%lx-%lx %7s", &start, &end, perms) == 3 && a >= start && a < end) {
            *lo = start;
            *hi = end;
            rc = strcmp(perms, "r--s") == 0 ? 0 : KEFU_EINVAL;
        }
        /* the rest of an over-long line (a long path) is no new line */
        while (!whole && fgets(line, sizeof line, f)) {
            len = strlen(line);
            whole = len > 0 && line[len - 1] == '\n';
        }
    }
    fclose(f);
    return rc;
}

int store_release_pages(store_t *self)
{
    assert(self);
    /* LMDB does not tell where it mapped the file (mdb_env_info's
     * me_mapaddr is the MDB_FIXEDMAP address, NULL here), so take a
     * pointer into the map, a key of the main table (which always holds
     * "meta"), and the mapping around it. The read txn holds the map in
     * place meanwhile: no growth remaps it while a reader is counted. */
    store_txn_t *txn;
    int rc = store_read_begin(self, &txn);
    if (rc)
        return rc;
    MDB_dbi main_dbi;
    MDB_cursor *cur = NULL;
    MDB_val k = {0, NULL}, v;
    rc = mdb_dbi_open(txn->txn, NULL, 0, &main_dbi);
    if (rc == 0 && (rc = mdb_cursor_open(txn->txn, main_dbi, &cur)) == 0) {
        rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
        mdb_cursor_close(cur);
    }
    uintptr_t lo = 0, hi = 0;
    if (rc == 0)
        rc = s_mapping_of(k.mv_data, &lo, &hi);
    if (rc == 0 && madvise((void *) lo, hi - lo, MADV_DONTNEED) != 0)
        rc = errno;
    store_txn_end(&txn);
    return rc;
}

unsigned long store_txns(store_t *self)
{
    assert(self);
    s_lock(self);
    unsigned long n = self->txns;
    s_unlock(self);
    return n;
}
