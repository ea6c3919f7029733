/* pidfile.c: the supervisor's lock file (see pidfile.h).
 *
 * Locking dance: open (creating), flock(LOCK_EX|LOCK_NB), then check that
 * the path still names the inode we locked. Without that check two starts
 * could race with a stopping supervisor: it unlinks the file while one of
 * them holds it open, the other creates a fresh file, and both would
 * believe they own the site.
 */
#include "pidfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kerr.h"

/* The pid written in the file open at fd, or 0. */
static pid_t s_read_pid(int fd)
{
    char buf[32];
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    char *end;
    long pid = strtol(buf, &end, 10);
    return (pid > 0 && end != buf) ? (pid_t) pid : 0;
}

/* True when fd is still the file at path (not unlinked or replaced). */
static int s_same_file(int fd, const char *path)
{
    struct stat a, b;
    return fstat(fd, &a) == 0 && stat(path, &b) == 0
        && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

int pidfile_lock(const char *path, int *fd_out, pid_t *holder)
{
    *fd_out = -1;
    *holder = 0;
    for (int tries = 0; tries < 10; tries++) {
        int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0)
            return errno;
        if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
            int err = errno;
            if (err == EWOULDBLOCK)
                *holder = s_read_pid(fd);
            close(fd);
            return err == EWOULDBLOCK ? KEFU_EEXISTS : err;
        }
        if (s_same_file(fd, path)) {
            *fd_out = fd;
            return 0;
        }
        close(fd);   /* the owner removed it under us: start over */
    }
    return EAGAIN;
}

int pidfile_write(int fd, pid_t pid)
{
    char buf[32];
    int len = snprintf(buf, sizeof buf, "%ld\n", (long) pid);
    if (ftruncate(fd, 0) != 0)
        return errno;
    if (pwrite(fd, buf, (size_t) len, 0) != len)
        return errno ? errno : EIO;
    return 0;
}

void pidfile_release(const char *path, int *fd)
{
    if (*fd < 0)
        return;
    /* Unlink first, while we still hold the lock: anyone who opens the
     * path from now on makes a new file. */
    if (s_same_file(*fd, path))
        unlink(path);
    close(*fd);
    *fd = -1;
}

int pidfile_holder(const char *path, pid_t *pid)
{
    *pid = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return KEFU_ENOTFOUND;
    int rc = KEFU_ENOTFOUND;
    /* A shared lock we can take means nobody holds the exclusive one. */
    if (flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK) {
        *pid = s_read_pid(fd);
        rc = *pid > 0 ? 0 : KEFU_ENOTFOUND;
    }
    close(fd);
    return rc;
}
