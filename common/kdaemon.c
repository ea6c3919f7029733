/* kdaemon.c: the start-up every daemon shares (kdaemon.h), and the
 * one-instance lock with the socket clean-up that goes with it. */
#include "kdaemon.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kerr.h"
#include "klog.h"
#include "ktime.h"
#include "registry.h"
#include "site.h"

static void s_usage(FILE *out, const char *name, const char *summary)
{
    /* No summary given: the registry's line for the daemon says it. */
    const registry_daemon_t *row = summary ? NULL : registry_lookup(name);
    if (!summary)
        summary = row ? row->summary : "";
    fprintf(out,
            "usage: kefu-%s [--dir DIR] [--config FILE] [--set SECTION.KEY=VALUE]...\n"
            "%s\n"
            "  --dir DIR       the site directory (default ./var, or $KEFU_DIR)\n"
            "  --config FILE   INI configuration (default: built-in defaults)\n"
            "  --set S.K=V     overrides one configuration key; may repeat\n"
            "  --help          this text\n"
            "Normally started by `kefu up` or systemd, not by hand.\n",
            name, summary);
}

static int s_level(const char *s)
{
    static const char *names[] = {"debug", "info", "warn", "error"};
    for (int i = 0; i < 4; i++)
        if (s && strcmp(s, names[i]) == 0)
            return i;
    return KLOG_INFO;
}

/* Takes DIR/run/NAME.lock and writes our pid into it. Returns 0,
 * KEFU_EEXISTS with *holder set (0 if unknown) when another process holds
 * it, or errno. */
static int s_lock(kdaemon_t *self, pid_t *holder)
{
    char rel[64], path[PATH_MAX + 16];
    *holder = 0;
    snprintf(rel, sizeof rel, "run/%s.lock", self->name);
    if (site_path(self->site, rel, path, sizeof path) != 0)
        return ENAMETOOLONG;
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return errno;
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int err = errno;
        if (err == EWOULDBLOCK) {
            char buf[32];
            ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
            buf[n > 0 ? n : 0] = '\0';
            long pid = strtol(buf, NULL, 10);
            *holder = pid > 0 ? (pid_t) pid : 0;
        }
        close(fd);
        return err == EWOULDBLOCK ? KEFU_EEXISTS : err;
    }
    /* The file stays after we exit (unlinking a lock file races with the
     * next taker); only the flock says who runs. The pid is for messages. */
    char buf[32];
    int len = snprintf(buf, sizeof buf, "%ld\n", (long) getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, buf, (size_t) len, 0) != len)
        klog_warn("can't write my pid into %s: %s", path, strerror(errno));
    self->lockfd = fd;
    return 0;
}

int kdaemon_init(kdaemon_t *self, const char *name, const char *summary,
                 int argc, char **argv)
{
    memset(self, 0, sizeof *self);
    self->lockfd = -1;
    self->name = name;
    /* stderr is a pipe to `kefu up`: should the supervisor be gone, a log
     * line must fail with EPIPE, not kill the daemon before it stops
     * cleanly (libzmq never raises SIGPIPE itself). */
    signal(SIGPIPE, SIG_IGN);
    self->config = kconfig_new(registry_key_tables);   /* every key of the site */
    static const struct option opts[] = {
        {"dir", required_argument, NULL, 'd'},
        {"config", required_argument, NULL, 'c'},
        {"set", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *dir = NULL, *config = NULL;
    char err[512];
    /* --set applies after the file whatever the order on the line. */
    const char *sets[64];
    int nsets = 0;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd': dir = optarg; break;
        case 'c': config = optarg; break;
        case 's':
            if (nsets == 64) {
                fprintf(stderr, "kefu-%s: too many --set options (64 at most)\n", name);
                return 2;
            }
            sets[nsets++] = optarg;
            break;
        case 'h': s_usage(stdout, name, summary); return -1;
        default: s_usage(stderr, name, summary); return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "kefu-%s: unexpected argument '%s'\n", name, argv[optind]);
        return 2;
    }
    if (config) {
        int rc = kconfig_load_file(self->config, config, err, sizeof err);
        if (rc > 0) {
            fprintf(stderr, "kefu-%s: can't read %s: %s\n", name, config, strerror(rc));
            return 2;
        }
        if (rc) {
            fprintf(stderr, "kefu-%s: %s\n", name, err);
            return 2;
        }
    }
    for (int i = 0; i < nsets; i++)
        if (kconfig_set(self->config, sets[i], err, sizeof err) != 0) {
            fprintf(stderr, "kefu-%s: --set %s: %s\n", name, sets[i], err);
            return 2;
        }
    klog_init(name, s_level(kconfig_get(self->config, "log.level")));
    /* checked when set (deadline.c): it parses */
    ktime_parse_offset(kconfig_get(self->config, "calendar.utc_offset"), &self->utc_offset_min);
    if (site_dir(dir, self->site, sizeof self->site) != 0) {
        fprintf(stderr, "kefu-%s: site directory path too long\n", name);
        return 2;
    }
    int rc = site_mkdirs(self->site);
    if (rc) {
        klog_error("can't create the site folders in %s: %s", self->site, kefu_strerror(rc));
        return 1;
    }
    pid_t holder;
    rc = s_lock(self, &holder);
    if (rc == KEFU_EEXISTS) {
        /* Said plainly on stderr: whoever started us by hand reads it there,
         * and `kefu up` shows it from the daemon's log. */
        if (holder > 0)
            klog_error("another kefu-%s (pid %d) already runs for the site %s; "
                       "not starting a second one", name, (int) holder, self->site);
        else
            klog_error("another kefu-%s already runs for the site %s; "
                       "not starting a second one", name, self->site);
        return KDAEMON_EXIT_RUNNING;
    }
    if (rc) {
        klog_error("can't take the lock run/%s.lock in %s: %s", name, self->site,
                   kefu_strerror(rc));
        return 1;
    }
    char path[PATH_MAX + 16];
    site_path(self->site, "run/clock", path, sizeof path);
    self->clock = kclock_open_site(path);
    if (!self->clock && errno == ENOENT) {
        /* Started without `kefu up` (systemd): the site runs on the wall clock. */
        if (kclock_site_init(path, false, 0) == 0)
            self->clock = kclock_open_site(path);
    }
    if (!self->clock) {
        klog_error("can't open the site clock %s: %s", path, strerror(errno));
        return 1;
    }
    return 0;
}

void kdaemon_fini(kdaemon_t *self)
{
    if (self->lockfd >= 0) {
        /* Ours for sure while we hold the lock: nobody else may bind them.
         * libzmq leaves an ipc socket file behind when it closes; without
         * this, a client of a stopped site would wait out its timeout on a
         * file nobody listens on. Only sockets go: never another file that
         * happens to carry the name. */
        static const char *const kinds[] = {"ctl", "sock", "pub"};
        for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
            char rel[64], path[PATH_MAX + 16];
            struct stat st;
            snprintf(rel, sizeof rel, "run/%s.%s", self->name, kinds[i]);
            if (site_path(self->site, rel, path, sizeof path) == 0
                && lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
                unlink(path);
        }
        close(self->lockfd);
        self->lockfd = -1;
    }
    kclock_destroy(&self->clock);
    kconfig_destroy(&self->config);
}
