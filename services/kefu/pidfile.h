/* pidfile.h: DIR/run/kefu.pid, the mark of a running `kefu up`.
 *
 * The file holds the supervisor's pid, and the supervisor holds an
 * exclusive flock(2) on it for as long as it lives. The lock, not the
 * number, says whether a site runs: the kernel drops it when the process
 * dies however it dies, so a stale file left by a crash (or a pid reused
 * by some other program) never blocks a start or misleads `kefu down`.
 */
#ifndef KEFU_PIDFILE_H
#define KEFU_PIDFILE_H

#include <sys/types.h>

/* Creates and locks the pid file at path. Returns 0 and sets *fd (close-
 * on-exec; keep it open for the supervisor's life; a child made by fork()
 * shares the lock). Returns KEFU_EEXISTS and sets *holder (0 if it could
 * not be read) when another process holds the lock, or an errno. */
int pidfile_lock(const char *path, int *fd, pid_t *holder);

/* Writes pid into the locked file. Returns 0 or errno. */
int pidfile_write(int fd, pid_t pid);

/* Removes the file and closes *fd (the lock goes with it); sets *fd -1.
 * Accepts *fd == -1 (then nothing is removed). */
void pidfile_release(const char *path, int *fd);

/* For `kefu down`: the pid of the process that holds the lock on path.
 * Returns 0 and sets *pid, or KEFU_ENOTFOUND when no live supervisor
 * holds it (file missing, or stale). */
int pidfile_holder(const char *path, pid_t *pid);

#endif
