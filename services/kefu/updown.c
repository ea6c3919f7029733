/* updown.c: `kefu up` and `kefu down` (updown.h).
 *
 * `kefu up` checks everything it can before it changes anything: the
 * configuration (so a typo in --set is a usage error, exit 2, before any
 * daemon runs), the --sim-clock value, the daemon programs and socket
 * paths, and, for a new log, that the disk has room for its first
 * segment (evlog.segment_mb). Then it takes the site's lock (pidfile.h), writes the site clock
 * and hands over to the supervisor (supervise.h).
 *
 * --detach forks once; the child calls setsid(), owns the lock from then
 * on (it shares the parent's flock), sends its stdio to DIR/log/kefu.log
 * and supervises. It tells the parent how the start went over a pipe:
 * "ok", or the error text, which the parent prints. The parent exits only
 * then, so `kefu up --detach && kefuctl status` always finds the daemons
 * answering. If the child dies without a word, the parent sees EOF and
 * points at kefu.log.
 *
 * `kefu down` sends SIGTERM to the supervisor named in kefu.pid (if it
 * holds the lock) and waits for it to exit through a pidfd: the
 * supervisor exits only after every daemon is reaped.
 */
#include "updown.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "kclock.h"
#include "kconfig.h"
#include "kerr.h"
#include "klog.h"
#include "ktime.h"
#include "pidfile.h"
#include "registry.h"
#include "site.h"
#include "supervise.h"

#define S_DOWN_WAIT_MS 30000
#define S_ERR_MAX      8192   /* a start error carries a log's tail */

/* Where the kefu-NAME programs are: $KEFU_LIBEXEC, else the directory of
 * this executable. Made absolute, since the detached supervisor leaves
 * the cwd. Returns 0, or 1 after saying why on stderr. */
static int s_libexec(char *buf)
{
    const char *env = getenv("KEFU_LIBEXEC");
    if (env && *env) {
        if (!realpath(env, buf)) {
            fprintf(stderr, "kefu: KEFU_LIBEXEC=%s: %s\n", env, strerror(errno));
            return 1;
        }
        return 0;
    }
    ssize_t n = readlink("/proc/self/exe", buf, PATH_MAX - 1);
    if (n <= 0) {
        fprintf(stderr, "kefu: cannot find my own program (/proc/self/exe: %s); "
                "set KEFU_LIBEXEC\n", strerror(errno));
        return 1;
    }
    buf[n] = '\0';
    char *slash = strrchr(buf, '/');
    if (slash == buf)
        slash[1] = '\0';
    else if (slash)
        *slash = '\0';
    return 0;
}

/* Loads the configuration as every daemon will, to refuse a bad one now.
 * Sets abs_config (PATH_MAX) to the config file's absolute path. Returns
 * 0, or 2 after one line on stderr. */
static int s_check_config(const up_opts_t *o, char *abs_config, int64_t *restart_max,
                          int64_t *segment_mb)
{
    kconfig_t *cfg = kconfig_new(registry_key_tables);   /* every daemon's keys */
    char err[512];
    int status = 0;
    if (o->config) {
        if (!realpath(o->config, abs_config)) {
            fprintf(stderr, "kefu: %s: %s\n", o->config, strerror(errno));
            status = 2;
        } else if (kconfig_load_file(cfg, abs_config, err, sizeof err) != 0) {
            fprintf(stderr, "kefu: %s\n", err);
            status = 2;
        }
    }
    for (size_t i = 0; status == 0 && i < o->nsets; i++)
        if (kconfig_set(cfg, o->sets[i], err, sizeof err) != 0) {
            fprintf(stderr, "kefu: --set: %s\n", err);
            status = 2;
        }
    if (status == 0) {
        *restart_max = kconfig_duration(cfg, "kefu.restart_max");
        *segment_mb = kconfig_int(cfg, "evlog.segment_mb");
    }
    kconfig_destroy(&cfg);
    return status;
}

/* A new log starts by making one whole segment (evlog.segment_mb): on a
 * disk with less room than that, kefu-evlog could only fail. Says so
 * before anything starts. An existing log is left to kefu-evlog, which
 * serves reads from what it has even on a full disk. Returns 0, or 1
 * after one line on stderr. */
static int s_check_space(const char *site, int64_t segment_mb)
{
    char dir[PATH_MAX];
    if (site_path(site, "evlog", dir, sizeof dir) != 0)
        return 0;   /* site_mkdirs and the daemons report a long path */
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        bool segments = false;
        while (!segments && (e = readdir(d))) {
            size_t n = strlen(e->d_name);
            segments = n > 4 && strcmp(e->d_name + n - 4, ".seg") == 0;
        }
        closedir(d);
        if (segments)
            return 0;
    }
    struct statvfs vfs;
    if (statvfs(d ? dir : site, &vfs) != 0)
        return 0;   /* can't tell: kefu-evlog will say */
    uint64_t avail = (uint64_t) vfs.f_bavail * (uint64_t) vfs.f_frsize;
    uint64_t need = (uint64_t) segment_mb * 1024 * 1024;
    if (avail >= need)
        return 0;
    fprintf(stderr, "kefu: not enough disk space for a new event log in %s: %" PRIu64
            " MiB free, and its first segment needs %" PRId64 " MiB (evlog.segment_mb); "
            "free some space or set a smaller evlog.segment_mb\n",
            site, avail / (1024 * 1024), segment_mb);
    return 1;
}

/* Writes all of s to fd; a reader that went away is not our problem. */
static void s_write_all(int fd, const char *s)
{
    size_t len = strlen(s);
    while (len > 0) {
        ssize_t n = write(fd, s, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        s += n;
        len -= (size_t) n;
    }
}

/* Runs the site in this process until a stop signal. */
static int s_foreground(const sup_opts_t *so, const char *pidpath, int *lockfd)
{
    int rc = pidfile_write(*lockfd, getpid());
    if (rc != 0) {
        fprintf(stderr, "kefu: %s: %s\n", pidpath, strerror(rc));
        pidfile_release(pidpath, lockfd);
        return 1;
    }
    char *err = malloc(S_ERR_MAX);
    if (!err) {
        pidfile_release(pidpath, lockfd);
        return 1;
    }
    sup_t *sup = sup_new(so, err, S_ERR_MAX);
    rc = sup ? sup_start(sup, err, S_ERR_MAX) : KEFU_EUNAVAIL;
    if (rc == 0)
        sup_run(sup);
    else if (rc == KEFU_ECONFLICT)
        klog_info("%s", err);   /* Ctrl-C while starting: a clean stop */
    else
        fprintf(stderr, "kefu: %s\n", err);
    sup_destroy(&sup);
    pidfile_release(pidpath, lockfd);
    free(err);
    return rc == 0 || rc == KEFU_ECONFLICT ? 0 : 1;
}

/* The detached supervisor: reports the start on notify, then runs. */
static int s_detached_child(const sup_opts_t *so, int notify,
                            const char *pidpath, int *lockfd)
{
    char *err = malloc(S_ERR_MAX);
    sup_t *sup = err ? sup_new(so, err, S_ERR_MAX) : NULL;
    int rc = sup ? sup_start(sup, err, S_ERR_MAX) : KEFU_EUNAVAIL;
    if (rc != 0) {
        const char *why = err ? err : "out of memory";
        fprintf(stderr, "kefu: %s\n", why);   /* for kefu.log */
        s_write_all(notify, why);
    } else {
        s_write_all(notify, "ok");
    }
    close(notify);
    if (rc == 0)
        sup_run(sup);
    sup_destroy(&sup);
    pidfile_release(pidpath, lockfd);
    free(err);
    return rc == 0 ? 0 : 1;
}

static int s_detach(const sup_opts_t *so, const char *pidpath, int *lockfd)
{
    char logpath[PATH_MAX];
    int p[2] = {-1, -1};
    int logfd = -1, nul = -1;
    if (site_path(so->site, "log/kefu.log", logpath, sizeof logpath) != 0
        || (logfd = open(logpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)) < 0
        || (nul = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0
        || pipe2(p, O_CLOEXEC) != 0) {
        fprintf(stderr, "kefu: cannot detach: %s: %s\n", logpath, strerror(errno));
        goto fail;
    }
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "kefu: cannot detach: fork: %s\n", strerror(errno));
        goto fail;
    }
    if (pid == 0) {
        close(p[0]);
        setsid();   /* no controlling terminal: a closing shell can't HUP us */
        int rc = pidfile_write(*lockfd, getpid());
        /* stdio to the log before anything can print; dup2 clears
         * close-on-exec, so the daemons inherit it until they set their own. */
        dup2(nul, STDIN_FILENO);
        dup2(logfd, STDOUT_FILENO);
        dup2(logfd, STDERR_FILENO);
        close(nul);
        close(logfd);
        if (chdir("/") != 0)
            rc = errno;   /* cannot happen; every path we hold is absolute */
        if (rc != 0) {
            char msg[256];
            snprintf(msg, sizeof msg, "cannot start the supervisor: %s", strerror(rc));
            s_write_all(p[1], msg);
            close(p[1]);
            pidfile_release(pidpath, lockfd);
            return 1;
        }
        klog_info("supervisor for %s (pid %d)", so->site, (int) getpid());
        return s_detached_child(so, p[1], pidpath, lockfd);
    }

    /* Parent: the child holds the lock now (a shared flock); just close. */
    close(p[1]);
    close(logfd);
    close(nul);
    close(*lockfd);
    *lockfd = -1;
    char *msg = calloc(1, S_ERR_MAX);
    size_t used = 0;
    for (;;) {
        char chunk[1024];
        ssize_t n = read(p[0], chunk, sizeof chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        size_t room = msg ? S_ERR_MAX - 1 - used : 0;
        size_t take = (size_t) n < room ? (size_t) n : room;
        if (take > 0) {
            memcpy(msg + used, chunk, take);
            used += take;
        }
    }
    close(p[0]);
    int status = 1;
    if (msg && strcmp(msg, "ok") == 0)
        status = 0;
    else if (msg && msg[0])
        fprintf(stderr, "kefu: %s\n", msg);
    else
        fprintf(stderr, "kefu: the supervisor stopped before the site was up; "
                "see %s\n", logpath);
    free(msg);
    return status;

fail:
    if (p[0] >= 0)
        close(p[0]);
    if (p[1] >= 0)
        close(p[1]);
    if (logfd >= 0)
        close(logfd);
    if (nul >= 0)
        close(nul);
    pidfile_release(pidpath, lockfd);
    return 1;
}

int updown_up(const up_opts_t *o)
{
    char site[PATH_MAX], config[PATH_MAX], libexec[PATH_MAX];
    char pidpath[PATH_MAX], clockpath[PATH_MAX];
    char err[1024];
    int rc = site_dir(o->dir, site, sizeof site);
    if (rc != 0) {
        fprintf(stderr, "kefu: site directory: %s\n", kefu_strerror(rc));
        return 2;
    }
    int64_t restart_max = 0, segment_mb = 0;
    int status = s_check_config(o, config, &restart_max, &segment_mb);
    if (status != 0)
        return status;
    bool sim = false;
    int64_t start = 0;
    if (o->sim_clock) {
        if (ktime_parse_rfc3339(o->sim_clock, &start) != 0) {
            fprintf(stderr, "kefu: --sim-clock %s: not an RFC 3339 time "
                    "(like 2026-11-23T09:00:00+08:00)\n", o->sim_clock);
            return 2;
        }
        sim = true;
    }
    if (s_libexec(libexec) != 0)
        return 1;

    /* Every daemon gets the configuration exactly as we checked it. */
    size_t nargs = (o->config ? 2 : 0) + 2 * o->nsets;
    const char **args = calloc(nargs + 1, sizeof *args);
    if (!args)
        return 1;
    size_t a = 0;
    if (o->config) {
        args[a++] = "--config";
        args[a++] = config;
    }
    for (size_t i = 0; i < o->nsets; i++) {
        args[a++] = "--set";
        args[a++] = o->sets[i];
    }
    sup_opts_t so = {.site = site, .libexec = libexec, .args = args,
                     .restart_max_us = restart_max};

    int lockfd = -1;
    status = 1;
    if (sup_check(&so, err, sizeof err) != 0) {
        fprintf(stderr, "kefu: %s\n", err);
        goto done;
    }
    if ((rc = site_mkdirs(site)) != 0) {
        fprintf(stderr, "kefu: cannot create the site directory %s: %s\n",
                site, kefu_strerror(rc));
        goto done;
    }
    if (site_path(site, "run/kefu.pid", pidpath, sizeof pidpath) != 0
        || site_path(site, "run/clock", clockpath, sizeof clockpath) != 0) {
        fprintf(stderr, "kefu: the site path %s is too long\n", site);
        goto done;
    }
    if (s_check_space(site, segment_mb) != 0)
        goto done;
    pid_t holder = 0;
    rc = pidfile_lock(pidpath, &lockfd, &holder);
    if (rc == KEFU_EEXISTS) {
        if (holder > 0)
            fprintf(stderr, "kefu: a site is already running in %s (pid %d)\n",
                    site, (int) holder);
        else
            fprintf(stderr, "kefu: a site is already running in %s\n", site);
        goto done;
    }
    if (rc != 0) {
        fprintf(stderr, "kefu: %s: %s\n", pidpath, kefu_strerror(rc));
        goto done;
    }
    /* Only with the lock held: a running site's clock is not ours to reset. */
    if ((rc = kclock_site_init(clockpath, sim, start)) != 0) {
        fprintf(stderr, "kefu: cannot write the site clock %s: %s\n",
                clockpath, kefu_strerror(rc));
        pidfile_release(pidpath, &lockfd);
        goto done;
    }
    status = o->detach ? s_detach(&so, pidpath, &lockfd)
                       : s_foreground(&so, pidpath, &lockfd);
done:
    free(args);
    return status;
}

/* Waits until the process behind pidfd (or, without one, the holder of
 * the lock at pidpath) is gone, up to ms. Returns true when gone. */
static bool s_wait_gone(int pidfd, const char *pidpath, int ms)
{
    int64_t deadline = kclock_mono_us() + (int64_t) ms * 1000;
    for (;;) {
        int64_t left = (deadline - kclock_mono_us()) / 1000;
        if (left < 0)
            left = 0;
        if (pidfd >= 0) {
            struct pollfd p = {.fd = pidfd, .events = POLLIN};
            int n = poll(&p, 1, (int) left);
            if (n > 0)
                return true;
            if (n == 0)
                return false;
            if (errno != EINTR)
                return false;
            continue;
        }
        /* No pidfd (a kernel before 5.3): the lock is dropped when the
         * supervisor exits; look every 50 ms. */
        pid_t pid;
        if (pidfile_holder(pidpath, &pid) != 0)
            return true;
        if (left == 0)
            return false;
        struct timespec nap = {0, 50 * 1000 * 1000};
        nanosleep(&nap, NULL);
    }
}

int updown_down(const char *dir)
{
    char site[PATH_MAX], pidpath[PATH_MAX];
    int rc = site_dir(dir, site, sizeof site);
    if (rc != 0) {
        fprintf(stderr, "kefu: site directory: %s\n", kefu_strerror(rc));
        return 2;
    }
    if (site_path(site, "run/kefu.pid", pidpath, sizeof pidpath) != 0) {
        fprintf(stderr, "kefu: the site path %s is too long\n", site);
        return 2;
    }
    pid_t pid;
    if (pidfile_holder(pidpath, &pid) != 0) {
        fprintf(stderr, "kefu: no site is running in %s\n", site);
        return 1;
    }
    /* The pidfd first, then the signal: it pins the process we signal. */
    int pidfd = (int) syscall(SYS_pidfd_open, pid, 0);
    if (kill(pid, SIGTERM) != 0) {
        int err = errno;
        if (pidfd >= 0)
            close(pidfd);
        if (err == ESRCH) {
            fprintf(stderr, "kefu: no site is running in %s\n", site);
            return 1;
        }
        fprintf(stderr, "kefu: cannot stop the site in %s (pid %d): %s\n",
                site, (int) pid, strerror(err));
        return 1;
    }
    bool gone = s_wait_gone(pidfd, pidpath, S_DOWN_WAIT_MS);
    if (pidfd >= 0)
        close(pidfd);
    if (!gone) {
        fprintf(stderr, "kefu: the site in %s (pid %d) did not stop within %d s\n",
                site, (int) pid, S_DOWN_WAIT_MS / 1000);
        return 1;
    }
    return 0;
}
