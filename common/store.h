/* store.h: a daemon's LMDB store.
 *
 * One LMDB environment per daemon (DIR/NAME/), with named tables. Writes
 * go through store_write(), which runs a caller's function inside one write
 * transaction, so a daemon batches many changes into one commit. When the
 * map is full (MDB_MAP_FULL) the transaction is aborted, the map is doubled
 * up to the store's limit, and the function is run again from the start; at
 * the limit the write is refused with KEFU_ESTOREFULL and nothing is
 * written. Nothing here crashes on a full disk or map.
 *
 * Durability: a store is derived from the event log (the log is the
 * durable truth; a daemon saves its log position in the same transaction
 * as its state, consumer.h), so by default a commit is atomic and
 * consistent but not synced (MDB_NOSYNC): the consumer does not pay for
 * durability the log already paid for. What that guarantees:
 *   - a process crash (kill -9) loses nothing: every commit is in the OS
 *     page cache, and the next open sees it;
 *   - a system crash or power loss may leave the store behind or torn, so
 *     it is never trusted: while a store is open it carries a mark file
 *     (DIR/unsynced, synced before the first commit) holding the boot id
 *     of the kernel it runs on, removed only after a clean close has
 *     synced the store. An open that finds the mark with another boot id
 *     (the machine restarted under an open store) empties the store
 *     (data.mdb, lock.mdb removed), and the daemon replays the log from
 *     seq 1; store_was_reset() says so.
 * opts->synced keeps the old behaviour, one fdatasync per commit
 * (MDB_NOMETASYNC: a system crash can undo the last commits, never
 * corrupt), for a store that is not derived from the log; the environment
 * variable KEFU_STORE_SYNC=1 makes it the default (for comparisons).
 * Details and the lock protocol of the mark: store.c.
 *
 * Keys and values are byte strings (keys 1..511 bytes, LMDB's limit);
 * the store copies nothing on read: pointers returned by store_get() and
 * cursors are valid until the transaction ends (in a write transaction,
 * until the next put or del).
 *
 * Threads: store_write() is called by one thread at a time (the daemon's
 * loop). Read transactions may be begun, used and ended on any thread
 * (MDB_NOTLS), and one thread may hold several. The map can only grow
 * while no read transaction of this process is open (LMDB remaps the
 * file): a growth needed meanwhile fails with KEFU_EUNAVAIL.
 */
#ifndef KEFU_STORE_H
#define KEFU_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct store_t store_t;
typedef struct store_txn_t store_txn_t;
typedef struct store_cursor_t store_cursor_t;
typedef unsigned int store_table_t;  /* a table handle, valid for the store's life */

typedef struct {
    size_t map_size;      /* initial map size in bytes; 0: 64 MiB */
    size_t map_max;       /* growth limit in bytes; 0: 64 GiB */
    unsigned max_tables;  /* 0: 32 */
    bool synced;          /* sync every commit: a store not derived from the log */
    bool no_sync;         /* tests only: MDB_NOSYNC, no mark, no sync even at close */
    const char *boot_id;  /* tests only: the boot id to take as the kernel's
                           * (NULL: $KEFU_BOOT_ID, else /proc/sys/kernel/random/boot_id) */
} store_opts_t;

/* Opens (creating if needed) the store in directory path, which is made
 * with mode 0700 if missing (its parent must exist). opts may be NULL
 * (the defaults: derived from the log, unsynced commits). A store left
 * open by a run on an earlier boot is emptied first (see above). The map
 * starts at opts->map_size, or at the size an existing store last grew to
 * if larger. Several processes may open one store. Returns 0 and sets
 * *out (destroy it with store_destroy), or errno (ENOENT, ENOTDIR, EACCES,
 * ENOMEM, EIO; EBUSY if the mark stays contended) / an LMDB code (e.g.
 * MDB_INVALID for a file that is not an LMDB store). */
int store_open(store_t **out, const char *path, const store_opts_t *opts);
/* Closes the store and nulls *self_p. Accepts NULL. No transaction may be
 * open. Syncs the store to disk first (unless opened no_sync); the last
 * process to close it then removes the mark. A failed sync leaves the mark,
 * so the store is rebuilt if the machine restarts before the next clean
 * close. */
void store_destroy(store_t **self_p);
/* True when store_open emptied the store because the machine had
 * restarted under it (the caller replays the log from seq 1). */
bool store_was_reset(const store_t *self);

/* Opens or creates a named table (at setup, before other transactions).
 * Opening the same name twice gives the same handle; "meta" is the
 * built-in table of store_meta_*. Returns 0 and sets *table, or an LMDB
 * code (MDB_DBS_FULL past max_tables) or KEFU_ESTOREFULL. */
int store_table(store_t *self, const char *name, store_table_t *table);

/* Runs fn(txn, arg) in one write transaction and commits it if fn returns
 * 0. If fn returns non-zero the transaction is aborted and that code is
 * returned. On MDB_MAP_FULL (from a put/del in fn, from fn, or from the
 * commit) the map doubles (up to map_max) and fn runs again from the
 * start on a fresh transaction: fn must not keep side effects outside the
 * transaction. fn closes every cursor it opens, and must not call
 * store_write or store_txn_end on txn (asserted). Returns 0, fn's code,
 * KEFU_ESTOREFULL (the map is at map_max; nothing written), KEFU_EUNAVAIL
 * (the map must grow or follow another process's growth while a read
 * transaction of this process is open; nothing written, retry once reads
 * have ended), or an LMDB/errno code. */
typedef int (store_write_fn)(store_txn_t *txn, void *arg);
int store_write(store_t *self, store_write_fn *fn, void *arg);

/* A read-only transaction: a snapshot as of its begin. Returns 0 and sets
 * *txn, or KEFU_EUNAVAIL (another process grew the map while other
 * transactions of ours are open), ENOMEM or an LMDB code
 * (MDB_READERS_FULL). End it with store_txn_end(). */
int store_read_begin(store_t *self, store_txn_t **txn);
/* Ends a read transaction (its cursors closed first) and nulls *txn_p.
 * Accepts NULL. Write transactions end in store_write (asserted). */
void store_txn_end(store_txn_t **txn_p);

/* Reads key; returns 0 and points *val and *vlen into the map (valid until the
 * transaction ends; either may be NULL to test existence), KEFU_ENOTFOUND,
 * or an LMDB code. */
int store_get(store_txn_t *txn, store_table_t t, const void *key, size_t klen,
              const void **val, size_t *vlen);
/* Writes key, replacing any value (write transactions only: asserted).
 * Returns 0 or an LMDB code (MDB_MAP_FULL makes store_write grow and
 * retry; MDB_BAD_VALSIZE for an empty or over-long key). */
int store_put(store_txn_t *txn, store_table_t t, const void *key, size_t klen,
              const void *val, size_t vlen);
/* Deletes key (write transactions only: asserted). Returns 0,
 * KEFU_ENOTFOUND, or an LMDB code. */
int store_del(store_txn_t *txn, store_table_t t, const void *key, size_t klen);

/* Small helpers for counters and positions: a u64 value stored big-endian
 * under a string key in the store's built-in "meta" table. A missing key
 * reads as 0; a value that is not 8 bytes reads as KEFU_EINVAL. Otherwise
 * as store_get/store_put. */
int store_meta_get_u64(store_txn_t *txn, const char *key, uint64_t *val);
int store_meta_put_u64(store_txn_t *txn, const char *key, uint64_t val);

/* Cursors: iterate a table in key order (bytewise, shorter first on a
 * tie). A new cursor is before the first key. store_cursor_seek positions
 * at the first key >= key (klen 0: the first key); it returns 0 also when
 * there is no such key (next then returns KEFU_ENOTFOUND), or an LMDB
 * code. store_cursor_next returns 0 with the current entry and advances,
 * KEFU_ENOTFOUND at the end, or an LMDB code; any out pointer may be NULL.
 * store_cursor_open returns 0 and sets *out, ENOMEM or an LMDB code.
 * Close every cursor before its transaction ends (asserted);
 * store_cursor_close accepts NULL and nulls *c_p. */
int store_cursor_open(store_txn_t *txn, store_table_t t, store_cursor_t **out);
int store_cursor_seek(store_cursor_t *c, const void *key, size_t klen);
int store_cursor_next(store_cursor_t *c, const void **key, size_t *klen,
                      const void **val, size_t *vlen);
void store_cursor_close(store_cursor_t **c_p);
/* Walking backwards: store_cursor_last_le positions at the last key <=
 * key (klen 0: the last key of the table) and returns it; store_cursor_prev
 * moves to the key before the current one and returns it. Both return 0
 * with the entry, KEFU_ENOTFOUND when there is none (the cursor is then
 * unpositioned), or an LMDB code. After either, store_cursor_next returns
 * the entry after the current one. */
int store_cursor_last_le(store_cursor_t *c, const void *key, size_t klen, const void **k,
                         size_t *kl, const void **v, size_t *vl);
int store_cursor_prev(store_cursor_t *c, const void **k, size_t *kl, const void **v, size_t *vl);

/* Lets go of the pages of the map this process has read (they stay in
 * the kernel's page cache; the next access maps them again, a minor
 * fault), so that what a rebuild or a walk of a whole table read is no
 * longer counted in the process's memory (RSS). Safe at any time, on any
 * thread, even with read transactions open and their pointers in use:
 * the store's map is a read-only shared mapping of the file (store.c,
 * "Memory"). The caller chooses when: after reading much it will not
 * read again soon. Returns 0, or errno from madvise (the pages then
 * simply stay). */
int store_release_pages(store_t *self);
/* Transactions begun so far, read or write (store_release_pages' own
 * included): a caller that lets go of pages on a timer skips a period in
 * which none began, as nothing was read. */
unsigned long store_txns(store_t *self);

/* Bytes the map may currently use, and the number of map growths since
 * open (for tests and status; read them on the writing thread). */
size_t store_map_size(const store_t *self);
unsigned store_growths(const store_t *self);

#endif
