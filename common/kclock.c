/* kclock.c: the one clock every daemon reads business time through
 * (see kclock.h).
 *
 * Three kinds share one object: wall (CLOCK_REALTIME), manual (an int64 in
 * the object, for tests) and site (an int64 in a file shared by every
 * daemon of a site). Manual and site-sim clocks are the same code: `now_p`
 * points at the int64 holding "now", in the object or in the mapping.
 *
 * The site clock file, DIR/run/clock, 24 bytes in host byte order (it
 * never leaves the machine):
 *
 *     offset  size  field
 *          0     8  magic   "KEFUCLK1"
 *          8     4  mode    u32: 0 wall, 1 simulated
 *         12     4  zero    padding, so now_us is 8-aligned
 *         16     8  now_us  int64: simulated now, usec since 1970 UTC
 *                           (0 in wall mode)
 *
 * Every process maps the file MAP_SHARED; the mapping is the page cache
 * itself, so when the log daemon stores a new now_us every other process
 * sees it on its next load, with no message passed. now_us is read and
 * written only with __atomic operations: an aligned 8-byte atomic access
 * can never be seen half-written. kclock_set uses compare-and-swap so that
 * even two writers could not move the clock backwards.
 *
 * `kefu up` creates the file with kclock_site_init before any daemon
 * starts: written to a temporary file, fsync'd, renamed over the old one
 * (so a reader sees the old file or the new one, never a partial one) and
 * the directory fsync'd. The mode never changes in place, so it is read
 * once at open.
 *
 * Crash: a process crash loses nothing (the page cache holds the time). A
 * machine crash may lose the last advance if it was not yet written back;
 * the log holds every ClockAdvanced event, which is the record of truth,
 * and the log daemon restores the clock from it.
 */
#include "kclock.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "kerr.h"
#include "kfs.h"
#include "ktime.h"

#define S_MAGIC "KEFUCLK1"

enum { S_MODE_WALL = 0, S_MODE_SIM = 1 };

/* The file layout above. */
typedef struct {
    char magic[8];
    uint32_t mode;
    uint32_t zero;
    int64_t now_us;
} s_clock_file_t;

_Static_assert(sizeof(s_clock_file_t) == 24, "clock file is 24 bytes");
_Static_assert(offsetof(s_clock_file_t, now_us) == 16, "now_us at offset 16");

typedef enum { S_WALL, S_MANUAL, S_SITE } s_kind_t;

struct kclock_t {
    s_kind_t kind;
    bool sim;                 /* manual, or site in sim mode */
    int64_t manual_now;       /* a manual clock's now */
    s_clock_file_t *map;      /* a site clock's mapping, else NULL */
    bool writable;            /* the mapping may be stored to */
    int64_t *now_p;           /* where a sim clock's now lives */
};

static kclock_t *s_new(s_kind_t kind)
{
    kclock_t *self = calloc(1, sizeof *self);
    if (!self)
        abort();
    self->kind = kind;
    return self;
}

static int64_t s_wall_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

kclock_t *kclock_new_wall(void)
{
    return s_new(S_WALL);
}

kclock_t *kclock_new_manual(int64_t now_us)
{
    kclock_t *self = s_new(S_MANUAL);
    self->sim = true;
    self->manual_now = now_us;
    self->now_p = &self->manual_now;
    return self;
}

kclock_t *kclock_open_site(const char *path)
{
    assert(path);
    /* Only the log daemon writes, but every daemon may be it; fall back to a
     * read-only mapping where the file is not writable to us. */
    bool writable = true;
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0 && (errno == EACCES || errno == EROFS)) {
        writable = false;
        fd = open(path, O_RDONLY | O_CLOEXEC);
    }
    if (fd < 0)
        return NULL;

    struct stat st;
    if (fstat(fd, &st) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return NULL;
    }
    if (!S_ISREG(st.st_mode) || st.st_size != (off_t) sizeof(s_clock_file_t)) {
        close(fd);
        errno = EINVAL;
        return NULL;
    }
    void *p = mmap(NULL, sizeof(s_clock_file_t),
                   writable ? PROT_READ | PROT_WRITE : PROT_READ,
                   MAP_SHARED, fd, 0);
    int e = errno;
    close(fd);   /* the mapping keeps the file open */
    if (p == MAP_FAILED) {
        errno = e;
        return NULL;
    }
    s_clock_file_t *map = p;
    uint32_t mode = __atomic_load_n(&map->mode, __ATOMIC_ACQUIRE);
    if (memcmp(map->magic, S_MAGIC, 8) != 0
        || (mode != S_MODE_WALL && mode != S_MODE_SIM)) {
        munmap(p, sizeof(s_clock_file_t));
        errno = EINVAL;
        return NULL;
    }

    kclock_t *self = s_new(S_SITE);
    self->map = map;
    self->writable = writable;
    self->sim = mode == S_MODE_SIM;
    self->now_p = &map->now_us;
    return self;
}

int kclock_site_init(const char *path, bool sim, int64_t start_us)
{
    assert(path);
    s_clock_file_t file;
    memset(&file, 0, sizeof file);
    memcpy(file.magic, S_MAGIC, 8);
    file.mode = sim ? S_MODE_SIM : S_MODE_WALL;
    file.now_us = sim ? start_us : 0;

    size_t cap = strlen(path) + 32;
    char *tmp = malloc(cap);
    if (!tmp)
        return ENOMEM;
    snprintf(tmp, cap, "%s.tmp.%ld", path, (long) getpid());

    int rc = 0;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        rc = errno;
        free(tmp);
        return rc;
    }
    ssize_t n = write(fd, &file, sizeof file);
    if (n < 0)
        rc = errno;
    else if ((size_t) n != sizeof file)
        rc = EIO;   /* a 24-byte write to a regular file is never short but on a full disk */
    if (rc == 0 && fsync(fd) < 0)
        rc = errno;
    if (close(fd) < 0 && rc == 0)
        rc = errno;
    if (rc == 0 && rename(tmp, path) < 0)
        rc = errno;
    if (rc != 0)
        unlink(tmp);
    free(tmp);
    if (rc == 0)
        rc = kfs_sync_parent(path);
    return rc;
}

void kclock_destroy(kclock_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    kclock_t *self = *self_p;
    if (self->map)
        munmap(self->map, sizeof(s_clock_file_t));
    free(self);
    *self_p = NULL;
}

int64_t kclock_now(kclock_t *self)
{
    assert(self);
    if (!self->sim)
        return s_wall_us();
    return __atomic_load_n(self->now_p, __ATOMIC_ACQUIRE);
}

bool kclock_is_sim(kclock_t *self)
{
    assert(self);
    return self->sim;
}

int kclock_set(kclock_t *self, int64_t now_us)
{
    assert(self);
    if (!self->sim)
        return KEFU_ECONFLICT;
    if (self->kind == S_SITE && !self->writable)
        return EACCES;
    if (now_us > KTIME_MAX_US)
        return KEFU_EINVAL;   /* past year 9999: every time shown would fail */
    int64_t cur = __atomic_load_n(self->now_p, __ATOMIC_ACQUIRE);
    do {
        if (now_us < cur)
            return KEFU_EINVAL;
    } while (!__atomic_compare_exchange_n(self->now_p, &cur, now_us, false,
                                          __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE));
    return 0;
}

int64_t kclock_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}
