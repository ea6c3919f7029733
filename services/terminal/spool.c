/* spool.c: a floor terminal's scans on disk until the site answers each
 * (spool.h has the file's format and its rules).
 *
 * The file is read whole when the spool opens (it holds little more than
 * the waiting scans: it is compacted on open), the waiting scans are kept
 * in memory as a ring, and from then on the file is only appended to,
 * through one O_APPEND descriptor, a record a write(2). A write that fails
 * or is cut short is undone with ftruncate to the size before it, so a
 * full disk never leaves half a line in front of later whole ones.
 */
#include "spool.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kerr.h"
#include "kfs.h"
#include "kid.h"
#include "pbdesc.h"
#include "sched.pb-c.h"

#define S_MAGIC "kefu-terminal-spool"
#define S_FORMAT 1
#define S_LINE_MAX 512     /* bytes of one record, with its newline */

struct spool_t {
    char *path;
    char *lock_path;
    int fd;                /* the spool, O_APPEND */
    int lock_fd;
    char terminal[SPOOL_TERMINAL_MAX + 1];
    char gen[SPOOL_GEN_LEN + 1];
    uint64_t last;         /* the last scan's number (0: none yet) */
    uint64_t answered;     /* every scan up to this one is answered */
    off_t size;            /* the file's length, as written */
    bool dirty;            /* written since the last fsync */
    spool_scan_t *ring;    /* the waiting scans, answered+1 .. last */
    size_t head, n, cap;
};

/* ---- stage words --------------------------------------------------------------------- */

static char s_words[8][24];

const char *spool_stage_word(int stage)
{
    if (stage < 1 || stage >= (int) (sizeof s_words / sizeof s_words[0]))
        return "";
    if (!s_words[stage][0] &&
        !pbdesc_enum_word(&kefu__stage__descriptor, stage, s_words[stage], sizeof s_words[stage]))
        return "";
    return s_words[stage];
}

int spool_stage_parse(const char *word)
{
    for (unsigned i = 0; i < kefu__stage__descriptor.n_values; i++) {
        int v = kefu__stage__descriptor.values[i].value;
        const char *w = spool_stage_word(v);
        if (v > 0 && w[0] && strcasecmp(w, word) == 0)
            return v;
    }
    return 0;
}

/* ---- records ------------------------------------------------------------------------- */

uint32_t spool_checksum(const char *line, size_t n)
{
    uint32_t h = 2166136261u;   /* FNV-1a 32 */
    for (size_t i = 0; i < n; i++) {
        h ^= (uint8_t) line[i];
        h *= 16777619u;
    }
    return h;
}

/* Ends the record in buf (n bytes so far) with its checksum and a
 * newline. Returns its length, or 0 if it does not fit. */
static size_t s_seal(char *buf, size_t n, size_t cap)
{
    if (n + 11 > cap)
        return 0;
    uint32_t ck = spool_checksum(buf, n);
    snprintf(buf + n, cap - n, " %08" PRIx32 "\n", ck);
    return n + 10;
}

/* The record of line (len bytes, no newline) without its checksum, into
 * body (NUL-terminated), if the checksum holds. */
static bool s_unseal(const char *line, size_t len, char *body, size_t cap)
{
    if (len < 10 || len - 9 >= cap || line[len - 9] != ' ')
        return false;
    char hex[9];
    memcpy(hex, line + len - 8, 8);
    hex[8] = '\0';
    char *end;
    unsigned long ck = strtoul(hex, &end, 16);
    if (*end || (uint32_t) ck != spool_checksum(line, len - 9))
        return false;
    memcpy(body, line, len - 9);
    body[len - 9] = '\0';
    return memchr(body, '\0', len - 9) == NULL;
}

static size_t s_scan_record(const spool_scan_t *sc, char *buf, size_t cap)
{
    int n = snprintf(buf, cap, "S %" PRIu64 " %s %s %s %d", sc->seq, sc->order,
                     spool_stage_word(sc->stage), sc->by[0] ? sc->by : "-", sc->correct ? 1 : 0);
    return n > 0 && (size_t) n < cap ? s_seal(buf, (size_t) n, cap) : 0;
}

static size_t s_seq_record(char kind, uint64_t seq, char *buf, size_t cap)
{
    int n = snprintf(buf, cap, "%c %" PRIu64, kind, seq);
    return n > 0 && (size_t) n < cap ? s_seal(buf, (size_t) n, cap) : 0;
}

static size_t s_head_record(const spool_t *self, char *buf, size_t cap)
{
    int n = snprintf(buf, cap, "%s %d %s %s", S_MAGIC, S_FORMAT, self->terminal, self->gen);
    return n > 0 && (size_t) n < cap ? s_seal(buf, (size_t) n, cap) : 0;
}

/* A decimal number of 1..UINT64_MAX, whole. */
static bool s_number(const char *s, uint64_t *v)
{
    if (!s || *s < '1' || *s > '9')
        return false;
    errno = 0;
    char *end;
    unsigned long long x = strtoull(s, &end, 10);
    if (errno || *end)
        return false;
    *v = x;
    return true;
}

/* ---- the ring of waiting scans ------------------------------------------------------- */

static int s_push(spool_t *self, const spool_scan_t *sc)
{
    if (self->n == self->cap) {
        size_t cap = self->cap ? self->cap * 2 : 64;
        spool_scan_t *r = malloc(cap * sizeof *r);
        if (!r)
            return ENOMEM;
        for (size_t i = 0; i < self->n; i++)
            r[i] = self->ring[(self->head + i) % self->cap];
        free(self->ring);
        self->ring = r;
        self->cap = cap;
        self->head = 0;
    }
    self->ring[(self->head + self->n) % self->cap] = *sc;
    self->n++;
    return 0;
}

size_t spool_waiting(const spool_t *self)
{
    return self->n;
}

const spool_scan_t *spool_at(const spool_t *self, size_t i)
{
    return i < self->n ? &self->ring[(self->head + i) % self->cap] : NULL;
}

/* ---- files --------------------------------------------------------------------------- */

static int s_write_all(int fd, const char *buf, size_t len)
{
    while (len) {
        ssize_t w = write(fd, buf, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return w < 0 ? errno : EIO;
        buf += w;
        len -= (size_t) w;
    }
    return 0;
}

/* Appends one record; undoes a failed or short write. */
static int s_append(spool_t *self, const char *rec, size_t len)
{
    if (self->fd < 0)
        return EBADF;
    int rc = s_write_all(self->fd, rec, len);
    if (rc) {
        if (ftruncate(self->fd, self->size) != 0) {
            /* Half a record stays: nothing may follow it. */
            close(self->fd);
            self->fd = -1;
        }
        return rc;
    }
    self->size += (off_t) len;
    self->dirty = true;
    return 0;
}

/* Writes the spool afresh: the first line, B, the waiting scans; to
 * PATH.tmp, synced, renamed over PATH, the folder synced; then appends
 * go to the new file. */
static int s_compact(spool_t *self)
{
    size_t tlen = strlen(self->path) + 5;
    char *tmp = malloc(tlen);
    if (!tmp)
        return ENOMEM;
    snprintf(tmp, tlen, "%s.tmp", self->path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    int rc = fd < 0 ? errno : 0;
    char rec[S_LINE_MAX];
    off_t size = 0;
    size_t n = s_head_record(self, rec, sizeof rec);
    if (!rc && (rc = s_write_all(fd, rec, n)) == 0)
        size += (off_t) n;
    if (!rc && self->answered > 0) {
        n = s_seq_record('B', self->answered + 1, rec, sizeof rec);
        if ((rc = s_write_all(fd, rec, n)) == 0)
            size += (off_t) n;
    }
    for (size_t i = 0; !rc && i < self->n; i++) {
        n = s_scan_record(spool_at(self, i), rec, sizeof rec);
        if ((rc = n ? s_write_all(fd, rec, n) : EINVAL) == 0)
            size += (off_t) n;
    }
    if (!rc && fsync(fd) != 0)
        rc = errno;
    if (fd >= 0 && close(fd) != 0 && !rc)
        rc = errno;
    if (!rc && rename(tmp, self->path) != 0)
        rc = errno;
    if (rc) {
        unlink(tmp);
        free(tmp);
        return rc;
    }
    free(tmp);
    rc = kfs_sync_parent(self->path);
    /* The old file is gone from the folder: nothing more goes to it. */
    if (self->fd >= 0)
        close(self->fd);
    self->fd = open(self->path, O_WRONLY | O_APPEND | O_CLOEXEC);
    if (self->fd < 0)
        return errno;
    self->size = size;
    self->dirty = false;
    return rc;
}

static int s_lock(spool_t *self, char *err, size_t cap)
{
    self->lock_fd = open(self->lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (self->lock_fd < 0) {
        int e = errno;
        snprintf(err, cap, "%s: %s", self->lock_path, strerror(e));
        return e;
    }
    if (flock(self->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        if (e != EWOULDBLOCK) {
            snprintf(err, cap, "%s: %s", self->lock_path, strerror(e));
            return e;
        }
        char pid[24] = "";
        ssize_t r = pread(self->lock_fd, pid, sizeof pid - 1, 0);
        pid[r > 0 ? r : 0] = '\0';
        pid[strcspn(pid, "\n")] = '\0';
        snprintf(err, cap, "%s is in use by another kefu-terminal%s%s", self->path,
                 pid[0] ? ", pid " : "", pid);
        return KEFU_ECONFLICT;
    }
    /* The pid is only for another process's message: a failure to write
     * it costs nothing else. */
    char pid[24];
    int n = snprintf(pid, sizeof pid, "%ld\n", (long) getpid());
    if (ftruncate(self->lock_fd, 0) != 0 || pwrite(self->lock_fd, pid, (size_t) n, 0) != n)
        pid[0] = '\0';
    return 0;
}

static int s_gen(char *gen)
{
    static const char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
    uint8_t raw[SPOOL_GEN_LEN];
    size_t got = 0;
    while (got < sizeof raw) {
        ssize_t r = getrandom(raw + got, sizeof raw - got, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return r < 0 ? errno : EIO;
        got += (size_t) r;
    }
    for (size_t i = 0; i < SPOOL_GEN_LEN; i++)
        gen[i] = digits[raw[i] % 36];
    gen[SPOOL_GEN_LEN] = '\0';
    return 0;
}

/* One whole record, body without its checksum, line number no. */
static int s_load_record(spool_t *self, char *body, int no, bool *base_ok, char *err, size_t cap)
{
    char *save = NULL;
    char *f[8];
    int nf = 0;
    for (char *t = strtok_r(body, " ", &save); t; t = strtok_r(NULL, " ", &save))
        if (nf < 8)
            f[nf++] = t;
        else
            nf = 9;
    if (no == 1) {
        if (nf != 4 || strcmp(f[0], S_MAGIC) != 0) {
            snprintf(err, cap, "%s is not a kefu-terminal spool", self->path);
            return KEFU_EINVAL;
        }
        if (strcmp(f[1], "1") != 0) {
            snprintf(err, cap, "%s: spool format %s, this kefu-terminal reads format %d",
                     self->path, f[1], S_FORMAT);
            return KEFU_EINVAL;
        }
        if (strcmp(f[2], self->terminal) != 0) {
            snprintf(err, cap, "%s is the spool of terminal %s, not %s", self->path, f[2],
                     self->terminal);
            return KEFU_EINVAL;
        }
        if (strlen(f[3]) != SPOOL_GEN_LEN || strspn(f[3], "0123456789abcdefghijklmnopqrstuvwxyz") !=
                                                 SPOOL_GEN_LEN) {
            snprintf(err, cap, "%s: line 1: a bad generation", self->path);
            return KEFU_EINVAL;
        }
        memcpy(self->gen, f[3], SPOOL_GEN_LEN + 1);
        *base_ok = true;
        return 0;
    }
    bool first = *base_ok;
    *base_ok = false;
    uint64_t seq;
    if (nf < 2 || strlen(f[0]) != 1 || !s_number(f[1], &seq))
        goto bad;
    switch (f[0][0]) {
    case 'B':
        if (nf != 2 || !first)
            goto bad;
        self->last = self->answered = seq - 1;
        return 0;
    case 'S': {
        if (nf != 6 || seq != self->last + 1)
            goto bad;
        spool_scan_t sc = {.seq = seq};
        if (kid_check(f[2], "order", NULL, 0) != 0 || strlen(f[2]) > KID_MAX)
            goto bad;
        snprintf(sc.order, sizeof sc.order, "%s", f[2]);
        sc.stage = spool_stage_parse(f[3]);
        if (!sc.stage)
            goto bad;
        if (strcmp(f[4], "-") != 0) {
            if (kid_check(f[4], "by", NULL, 0) != 0)
                goto bad;
            snprintf(sc.by, sizeof sc.by, "%s", f[4]);
        }
        if (strcmp(f[5], "0") != 0 && strcmp(f[5], "1") != 0)
            goto bad;
        sc.correct = f[5][0] == '1';
        int rc = s_push(self, &sc);
        if (rc) {
            snprintf(err, cap, "%s: %s", self->path, strerror(rc));
            return rc;
        }
        self->last = seq;
        return 0;
    }
    case 'A':
        if (nf != 2 || seq > self->last)
            goto bad;
        while (self->n && self->ring[self->head].seq <= seq) {
            self->head = (self->head + 1) % self->cap;
            self->n--;
        }
        if (seq > self->answered)
            self->answered = seq;
        return 0;
    }
bad:
    snprintf(err, cap, "%s: line %d is not a record that can follow the ones before it", self->path,
             no);
    return KEFU_EINVAL;
}

/* Reads the file (fd, open for reading) into the spool; cuts a damaged
 * tail off. */
static int s_load(spool_t *self, int fd, size_t *torn, char *err, size_t cap)
{
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        snprintf(err, cap, "%s: %s", self->path, strerror(e));
        return e;
    }
    size_t len = (size_t) st.st_size;
    char *buf = malloc(len + 1);
    if (!buf) {
        snprintf(err, cap, "%s: %s", self->path, strerror(ENOMEM));
        return ENOMEM;
    }
    size_t got = 0;
    while (got < len) {
        ssize_t r = pread(fd, buf + got, len - got, (off_t) got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t) r;
    }
    len = got;
    int rc = 0, no = 0;
    size_t pos = 0, bad_at = SIZE_MAX;
    int bad_no = 0;
    bool base_ok = false;
    char body[S_LINE_MAX];
    while (pos < len && !rc) {
        char *nl = memchr(buf + pos, '\n', len - pos);
        size_t ll = nl ? (size_t) (nl - (buf + pos)) : len - pos;
        no++;
        bool whole = nl && s_unseal(buf + pos, ll, body, sizeof body);
        if (!whole) {
            if (bad_at == SIZE_MAX) {
                bad_at = pos;
                bad_no = no;
            }
        } else if (bad_at != SIZE_MAX) {
            snprintf(err, cap, "%s: line %d is damaged and whole lines follow it (line %d)",
                     self->path, bad_no, no);
            rc = KEFU_EINVAL;
        } else
            rc = s_load_record(self, body, no, &base_ok, err, cap);
        pos += ll + (nl ? 1 : 0);
    }
    free(buf);
    if (rc)
        return rc;
    if (no == 0) {
        snprintf(err, cap, "%s is not a kefu-terminal spool (it is empty)", self->path);
        return KEFU_EINVAL;
    }
    if (bad_at == 0) {
        snprintf(err, cap, "%s is not a kefu-terminal spool (its first line is damaged)",
                 self->path);
        return KEFU_EINVAL;
    }
    self->size = (off_t) (bad_at == SIZE_MAX ? len : bad_at);
    if (torn)
        *torn = bad_at == SIZE_MAX ? 0 : len - bad_at;
    return 0;
}

int spool_new(spool_t **out, const char *path, const char *terminal, size_t *torn, char *err,
              size_t cap)
{
    *out = NULL;
    if (torn)
        *torn = 0;
    if (strlen(terminal) > SPOOL_TERMINAL_MAX || kid_check(terminal, "terminal", NULL, 0) != 0) {
        snprintf(err, cap, "terminal: an id of at most %d bytes", SPOOL_TERMINAL_MAX);
        return KEFU_EINVAL;
    }
    spool_t *self = calloc(1, sizeof *self);
    if (!self)
        return ENOMEM;
    self->fd = self->lock_fd = -1;
    snprintf(self->terminal, sizeof self->terminal, "%s", terminal);
    size_t llen = strlen(path) + 6;
    self->path = strdup(path);
    self->lock_path = malloc(llen);
    if (!self->path || !self->lock_path) {
        spool_destroy(&self);
        return ENOMEM;
    }
    snprintf(self->lock_path, llen, "%s.lock", path);
    int rc = s_lock(self, err, cap);
    if (rc) {
        spool_destroy(&self);
        return rc;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) {
        /* A new spool: its first line written whole by the compaction. */
        rc = s_gen(self->gen);
        if (!rc)
            rc = s_compact(self);
        if (rc)
            snprintf(err, cap, "%s: %s", path, strerror(rc));
        else
            *out = self;
        if (rc)
            spool_destroy(&self);
        return rc;
    }
    if (fd < 0) {
        rc = errno;
        snprintf(err, cap, "%s: %s", path, strerror(rc));
        spool_destroy(&self);
        return rc;
    }
    size_t cut = 0;
    rc = s_load(self, fd, &cut, err, cap);
    close(fd);
    if (rc) {
        spool_destroy(&self);
        return rc;
    }
    if (torn)
        *torn = cut;
    /* Rewritten without what is answered (and without a damaged tail). */
    rc = s_compact(self);
    if (rc) {
        snprintf(err, cap, "%s: %s", path, strerror(rc));
        spool_destroy(&self);
        return rc;
    }
    *out = self;
    return 0;
}

void spool_destroy(spool_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    spool_t *self = *self_p;
    if (self->fd >= 0) {
        if (self->dirty)
            fsync(self->fd);
        close(self->fd);
    }
    if (self->lock_fd >= 0)
        close(self->lock_fd);   /* drops the flock */
    free(self->ring);
    free(self->path);
    free(self->lock_path);
    free(self);
    *self_p = NULL;
}

int spool_add(spool_t *self, const char *order, int stage, const char *by, bool correct,
              const spool_scan_t **scan)
{
    /* Ids hold no space: a record's fields stay apart. */
    if (kid_check(order, "order", NULL, 0) != 0 || !spool_stage_word(stage)[0] ||
        (by && by[0] && kid_check(by, "by", NULL, 0) != 0))
        return EINVAL;
    spool_scan_t sc = {.seq = self->last + 1, .stage = stage, .correct = correct};
    snprintf(sc.order, sizeof sc.order, "%s", order);
    snprintf(sc.by, sizeof sc.by, "%s", by ? by : "");
    char rec[S_LINE_MAX];
    size_t n = s_scan_record(&sc, rec, sizeof rec);
    if (!n)
        return EINVAL;
    int rc = s_push(self, &sc);
    if (rc)
        return rc;
    rc = s_append(self, rec, n);
    if (rc) {
        self->n--;   /* not kept */
        return rc;
    }
    self->last = sc.seq;
    if (scan)
        *scan = spool_at(self, self->n - 1);
    return 0;
}

int spool_sync(spool_t *self)
{
    if (self->fd < 0)
        return EBADF;
    if (!self->dirty)
        return 0;
    if (fdatasync(self->fd) != 0)
        return errno;
    self->dirty = false;
    return 0;
}

int spool_next(spool_t *self, const spool_scan_t **scan)
{
    *scan = NULL;
    if (!self->n)
        return KEFU_ENOTFOUND;
    int rc = spool_sync(self);
    if (rc)
        return rc;
    *scan = spool_at(self, 0);
    return 0;
}

int spool_done(spool_t *self, uint64_t seq)
{
    if (!self->n || self->ring[self->head].seq != seq)
        return EINVAL;
    self->head = (self->head + 1) % self->cap;
    self->n--;
    self->answered = seq;
    char rec[S_LINE_MAX];
    size_t n = s_seq_record('A', seq, rec, sizeof rec);
    int rc = s_append(self, rec, n);
    if (!rc && self->size > SPOOL_COMPACT_BYTES)
        rc = s_compact(self);
    return rc;
}

void spool_request_id(const spool_t *self, uint64_t seq, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s-%s-%06" PRIu64, self->terminal, self->gen, seq);
}

const char *spool_path(const spool_t *self)
{
    return self->path;
}
