/* evlog_proof.c: the site secret and the producer proofs (evlog_proof.h).
 *
 * Used by the log (services/evlog/evlog_server.c: creates the secret,
 * checks proofs) and by the log client (common/evlog_client.c: reads the
 * secret, sends the proof), so both sides hash the same bytes.
 */
#include "evlog_proof.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kerr.h"
#include "kfs.h"
#include "klog.h"
#include "site.h"

/* Domain separation: the same secret could key other proofs one day. */
static const char s_context[] = "kefu evlog producer v1";

int evlog_secret_path(const char *site, char *buf, size_t cap)
{
    return site_path(site, EVLOG_SECRET_FILE, buf, cap);
}

/* Reads exactly EVLOG_SECRET_BYTES from path. */
static int s_read(const char *path, uint8_t secret[EVLOG_SECRET_BYTES])
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno;
    uint8_t buf[EVLOG_SECRET_BYTES + 1];
    size_t got = 0;
    int rc = 0;
    while (got < sizeof buf) {
        ssize_t n = read(fd, buf + got, sizeof buf - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = errno;
            break;
        }
        if (n == 0)
            break;
        got += (size_t) n;
    }
    close(fd);
    if (rc == 0 && got != EVLOG_SECRET_BYTES)
        rc = EINVAL;
    if (rc == 0)
        memcpy(secret, buf, EVLOG_SECRET_BYTES);
    sodium_memzero(buf, sizeof buf);
    return rc;
}

int evlog_secret_read(const char *site, uint8_t secret[EVLOG_SECRET_BYTES])
{
    char path[PATH_MAX];
    if (evlog_secret_path(site, path, sizeof path))
        return ENAMETOOLONG;
    return s_read(path, secret);
}

static int s_write_all(int fd, const uint8_t *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return errno;
        p += n;
        len -= (size_t) n;
    }
    return 0;
}

int evlog_secret_ensure(const char *site, uint8_t secret[EVLOG_SECRET_BYTES])
{
    if (sodium_init() < 0)
        return KEFU_EINTERNAL;
    char path[PATH_MAX], tmp[PATH_MAX + 8];
    if (evlog_secret_path(site, path, sizeof path) ||
        snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int) sizeof tmp)
        return ENAMETOOLONG;
    int rc = s_read(path, secret);
    if (rc == 0) {
        /* Kept across restarts, so a daemon that read it stays proven.
         * Whoever else can read it could write as any daemon: 0600. */
        struct stat st;
        if (stat(path, &st) == 0 && (st.st_mode & 077)) {
            klog_warn("%s was readable by others; made 0600", path);
            if (chmod(path, 0600) != 0)
                return errno;
        }
        return 0;
    }
    if (rc != ENOENT && rc != EINVAL)
        return rc;
    if (rc == EINVAL)
        klog_warn("%s is not %d bytes long: a new secret replaces it (the daemons "
                  "read it again when the log refuses them)", path, EVLOG_SECRET_BYTES);
    randombytes_buf(secret, EVLOG_SECRET_BYTES);
    unlink(tmp);   /* left by a crash between create and rename */
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return errno;
    rc = s_write_all(fd, secret, EVLOG_SECRET_BYTES);
    if (rc == 0 && fsync(fd) != 0)
        rc = errno;
    if (close(fd) != 0 && rc == 0)
        rc = errno;
    if (rc == 0 && rename(tmp, path) != 0)
        rc = errno;
    if (rc == 0)
        rc = kfs_sync_parent(path);
    if (rc)
        unlink(tmp);
    return rc;
}

void evlog_proof_make(const uint8_t secret[EVLOG_SECRET_BYTES], const char *producer,
                      size_t len, uint8_t proof[EVLOG_PROOF_BYTES])
{
    if (sodium_init() < 0)   /* picks the fastest code; cheap once done */
        klog_warn("libsodium did not initialise; the proof uses its portable code");
    crypto_generichash_state st;
    crypto_generichash_init(&st, secret, EVLOG_SECRET_BYTES, EVLOG_PROOF_BYTES);
    crypto_generichash_update(&st, (const unsigned char *) s_context, sizeof s_context);
    crypto_generichash_update(&st, (const unsigned char *) producer, len);
    crypto_generichash_final(&st, proof, EVLOG_PROOF_BYTES);
    sodium_memzero(&st, sizeof st);
}

int evlog_proof_equal(const uint8_t *a, const uint8_t *b)
{
    return sodium_memcmp(a, b, EVLOG_PROOF_BYTES) == 0;
}
