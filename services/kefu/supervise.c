/* supervise.c: starts, watches and stops a site's daemons (supervise.h).
 *
 * One thread, one event source. The signals we care about (SIGCHLD, and
 * SIGINT/SIGTERM/SIGHUP to stop) are blocked and read from a signalfd; the
 * main loop sleeps in poll() on it, with a timeout only when a restart is
 * due. Nothing polls waitpid on a timer.
 *
 * Daemon processes:
 *   - run as LIBEXEC/kefu-NAME --dir DIR ARGS, stdin /dev/null, stdout and
 *     stderr a pipe to the supervisor, which appends what comes to
 *     DIR/log/NAME.log and keeps the last S_TAIL_BYTES of the daemon's
 *     current run in memory. So a daemon that dies on a full disk, where
 *     its log file can't grow, is still reported with its own last words
 *     (and the failed log write is named). The loop reads the pipes
 *     whenever it sleeps, so a daemon never blocks on its stderr for long;
 *   - each in a process group of its own, so a Ctrl-C on the terminal
 *     reaches only `kefu up`, which then stops the daemons in reverse
 *     order (the log daemon last, after everyone who writes to it); stop
 *     signals go to the whole group, so nothing a daemon spawned lingers;
 *   - with PR_SET_PDEATHSIG = SIGTERM, so if the supervisor is killed
 *     outright its daemons stop instead of running on unsupervised and
 *     fighting a later `kefu up` for the sockets.
 *
 * Start: one at a time, in site_daemons[] order; a daemon counts as up
 * when it answers a StatusRequest on its control socket without an error.
 * A daemon that exits or does not answer within the start timeout fails
 * the start: the error names it and carries the tail of its log.
 *
 * Restart: a daemon that dies is started again. If it had been running for
 * S_HEALTHY_US it restarts at once; otherwise after a delay that starts at
 * S_BACKOFF_MIN_US and doubles to S_BACKOFF_MAX_US, so a daemon that
 * cannot start does not spin. A restarted daemon is not awaited: it
 * resumes from its store and the others reconnect on their own (ZeroMQ).
 */
#include "supervise.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctlclient.h"
#include "kclock.h"
#include "kerr.h"
#include "klog.h"
#include "site.h"

#define S_MS                 1000LL
#define S_SEC                1000000LL
#define S_START_TIMEOUT_MS   10000
#define S_PROBE_MS           250          /* one StatusRequest attempt */
#define S_STOP_WAIT_US       (10 * S_SEC) /* SIGTERM to SIGKILL */
#define S_HEALTHY_US         (10 * S_SEC) /* ran this long: restart at once */
#define S_BACKOFF_MIN_US     (100 * S_MS)
#define S_BACKOFF_MAX_US     (5 * S_SEC)
#define S_TAIL_LINES         20
#define S_TAIL_BYTES         4096

typedef enum { S_STARTING, S_RUNNING, S_STOPPING } s_phase_t;

typedef struct {
    const char *name;
    char prog[PATH_MAX];
    char log[PATH_MAX];
    char endpoint[256];
    char **argv;          /* prog, --dir, DIR, args..., NULL (strings not owned) */
    pid_t pid;            /* 0 when not running */
    int status;           /* wait status of the last exit */
    int64_t started;      /* mono usec of the last start */
    int64_t backoff;      /* delay after the next quick death */
    int64_t restart_at;   /* mono usec; valid when restart_pending */
    off_t log_from;       /* size of the log when it last started */
    bool restart_pending;
    int outfd;            /* read end of the daemon's stdout/stderr pipe, or -1 */
    char tail[S_TAIL_BYTES];  /* the last bytes of this run's output */
    size_t tail_len;
    int log_errno;        /* why the last write to the log failed, or 0 */
} s_daemon_t;

struct sup_t {
    s_daemon_t *daemons;
    size_t n;
    char *site;
    char **args;          /* owned copies of opts->args */
    int sfd;              /* signalfd */
    s_phase_t phase;
    unsigned stop_signals;  /* stop signals received so far */
    int start_timeout_ms;
    int64_t backoff_max;
};

/* ---- helpers --------------------------------------------------------- */

static int64_t s_ms_until(int64_t at)
{
    int64_t left = at - kclock_mono_us();
    return left > 0 ? (left + 999) / 1000 : 0;
}

/* "exited with status 3" / "was killed by signal 9 (Killed)" */
static void s_describe(int status, char *buf, size_t cap)
{
    if (WIFEXITED(status))
        snprintf(buf, cap, "exited with status %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(buf, cap, "was killed by signal %d (%s)", WTERMSIG(status),
                 strsignal(WTERMSIG(status)));
    else
        snprintf(buf, cap, "stopped (wait status %#x)", (unsigned) status);
}

/* The last S_TAIL_LINES lines of data (NUL-terminated, trailing newlines
 * already cut; cut_first: its first line is a fragment, skipped), each
 * indented, into buf. */
static void s_text_tail(const char *data, bool cut_first, char *buf, size_t cap)
{
    ssize_t n = (ssize_t) strlen(data);
    while (n > 0 && data[n - 1] == '\n')
        n--;
    if (n == 0) {
        snprintf(buf, cap, "  (nothing; it wrote no log lines)");
        return;
    }
    const char *start = data;
    if (cut_first) {
        const char *nl = strchr(data, '\n');
        start = nl && nl < data + n ? nl + 1 : data;
    }
    int lines = 0;
    for (ssize_t i = n - 1; i >= start - data; i--)
        if (data[i] == '\n' && ++lines == S_TAIL_LINES) {
            start = data + i + 1;
            break;
        }
    size_t used = 0;
    buf[0] = '\0';
    for (const char *line = start; line < data + n && used + 1 < cap;) {
        const char *nl = memchr(line, '\n', (size_t) (data + n - line));
        int len = nl ? (int) (nl - line) : (int) (data + n - line);
        int w = snprintf(buf + used, cap - used, "%s  %.*s",
                         used ? "\n" : "", len, line);
        if (w < 0 || (size_t) w >= cap - used)
            break;
        used += (size_t) w;
        line = nl ? nl + 1 : line + len;
    }
}

/* The last S_TAIL_LINES lines written to the file at path after offset
 * since (what the latest run of a daemon wrote), each indented, into buf;
 * says so when there are none. */
static void s_log_tail(const char *path, off_t since, char *buf, size_t cap)
{
    char data[S_TAIL_BYTES + 1];
    ssize_t n = -1;
    off_t from = since;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        off_t size = lseek(fd, 0, SEEK_END);
        if (size - from > S_TAIL_BYTES)
            from = size - S_TAIL_BYTES;
        n = pread(fd, data, S_TAIL_BYTES, from);
        close(fd);
    }
    if (n < 0) {
        snprintf(buf, cap, "  (nothing; the log is missing)");
        return;
    }
    data[n] = '\0';
    /* Read from the middle of the file: the first line is cut. */
    s_text_tail(data, from > since, buf, cap);
}

/* Reads what d's pipe holds (never blocks): appends it to d's log and to
 * d->tail. Closes the pipe at EOF (every writer gone). */
static void s_pump(s_daemon_t *d)
{
    while (d->outfd >= 0) {
        char buf[4096];
        ssize_t n = read(d->outfd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return;
        if (n <= 0) {
            close(d->outfd);
            d->outfd = -1;
            return;
        }
        /* The log is opened per chunk: it may be rotated or removed under us. */
        int fd = open(d->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        ssize_t w = fd < 0 ? -1 : write(fd, buf, (size_t) n);
        if (w != n)
            d->log_errno = w < 0 ? errno : ENOSPC;   /* short: the disk filled */
        if (fd >= 0)
            close(fd);
        size_t k = (size_t) n;
        if (k >= sizeof d->tail) {
            memcpy(d->tail, buf + k - sizeof d->tail, sizeof d->tail);
            d->tail_len = sizeof d->tail;
        } else {
            if (d->tail_len + k > sizeof d->tail) {
                size_t drop = d->tail_len + k - sizeof d->tail;
                memmove(d->tail, d->tail + drop, d->tail_len - drop);
                d->tail_len -= drop;
            }
            memcpy(d->tail + d->tail_len, buf, k);
            d->tail_len += k;
        }
    }
}

/* Signals d's process group (a daemon's helpers go with it), or d alone
 * if the group is gone. */
static void s_signal(const s_daemon_t *d, int sig)
{
    if (kill(-d->pid, sig) != 0)
        kill(d->pid, sig);
}

static s_daemon_t *s_find(sup_t *self, pid_t pid)
{
    for (size_t i = 0; i < self->n; i++)
        if (self->daemons[i].pid == pid)
            return &self->daemons[i];
    return NULL;
}

/* ---- starting a process ------------------------------------------------ */

/* Forks and execs d. Returns 0 (the child may still fail to exec: that
 * shows as an exit with status 127) or errno when fork fails. */
static int s_spawn(sup_t *self, s_daemon_t *d)
{
    (void) self;
    pid_t parent = getpid();
    struct stat st;
    d->log_from = stat(d->log, &st) == 0 ? st.st_size : 0;
    if (d->outfd >= 0)
        s_pump(d);   /* whatever the last run left unread */
    if (d->outfd >= 0) {
        close(d->outfd);   /* a helper of the last run still holds it */
        d->outfd = -1;
    }
    d->tail_len = 0;
    d->log_errno = 0;
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) {
        int err = errno;
        klog_error("cannot start %s: pipe: %s", d->name, strerror(err));
        return err;
    }
    sigset_t none;
    sigemptyset(&none);
    struct sigaction dfl = {.sa_handler = SIG_DFL};
    sigemptyset(&dfl.sa_mask);

    pid_t pid = fork();
    if (pid < 0) {
        int err = errno;
        klog_error("cannot start %s: fork: %s", d->name, strerror(err));
        close(p[0]);
        close(p[1]);
        return err;
    }
    if (pid == 0) {
        /* The child of a process with threads (libzmq's): only
         * async-signal-safe calls until exec. */
        setpgid(0, 0);
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != parent)
            _exit(127);   /* the supervisor died before prctl took hold */
        int nul = open("/dev/null", O_RDONLY);
        if (nul < 0)
            _exit(126);
        /* dup2 clears close-on-exec on the copies only */
        dup2(nul, STDIN_FILENO);
        dup2(p[1], STDOUT_FILENO);
        dup2(p[1], STDERR_FILENO);
        if (nul > STDERR_FILENO)
            close(nul);
        /* What we changed, or a parent shell set (a background job gets
         * SIGINT ignored), must not leak into the daemon. */
        sigaction(SIGPIPE, &dfl, NULL);
        sigaction(SIGCHLD, &dfl, NULL);
        sigaction(SIGINT, &dfl, NULL);
        sigaction(SIGTERM, &dfl, NULL);
        sigprocmask(SIG_SETMASK, &none, NULL);
        execv(d->prog, d->argv);
        static const char msg[] = "kefu: exec failed\n";
        ssize_t ignored = write(STDERR_FILENO, msg, sizeof msg - 1);
        (void) ignored;
        _exit(127);
    }
    /* Also here, not only in the child: whichever runs first, the group
     * exists before we might signal it. */
    setpgid(pid, pid);
    close(p[1]);
    fcntl(p[0], F_SETFL, O_NONBLOCK);
    d->outfd = p[0];
    d->pid = pid;
    d->started = kclock_mono_us();
    d->restart_pending = false;
    klog_info("started %s (pid %d)", d->name, (int) pid);
    return 0;
}

/* Reaps every exited child. While running, schedules restarts. */
static void s_reap(sup_t *self)
{
    for (;;) {
        int status;
        pid_t pid = waitpid(-1, &status, WNOHANG);
        if (pid <= 0)
            return;
        s_daemon_t *d = s_find(self, pid);
        if (!d)
            continue;   /* not ours (cannot happen: we fork only daemons) */
        s_pump(d);      /* its last words are in the pipe by now */
        d->pid = 0;
        d->status = status;
        char how[96];
        s_describe(status, how, sizeof how);
        if (self->phase == S_STOPPING) {
            klog_info("%s (pid %d) %s", d->name, (int) pid, how);
            continue;
        }
        if (self->phase == S_STARTING)
            continue;   /* s_await reports it */

        int64_t now = kclock_mono_us();
        int64_t ran = now - d->started;
        int64_t delay = 0;
        if (ran >= S_HEALTHY_US) {
            d->backoff = S_BACKOFF_MIN_US;
        } else {
            delay = d->backoff;
            d->backoff = d->backoff * 2 > self->backoff_max
                       ? self->backoff_max : d->backoff * 2;
        }
        d->restart_at = now + delay;
        d->restart_pending = true;
        klog_warn("%s (pid %d) %s after %lld ms; restarting in %lld ms",
                  d->name, (int) pid, how, (long long) (ran / S_MS),
                  (long long) (delay / S_MS));
    }
}

/* Reads every pending signal: reaps children, counts stop signals.
 * Returns the number of stop signals received so far. */
static unsigned s_drain(sup_t *self)
{
    struct signalfd_siginfo si;
    bool child = false;
    while (read(self->sfd, &si, sizeof si) == (ssize_t) sizeof si) {
        if (si.ssi_signo == SIGCHLD) {
            child = true;
        } else {
            self->stop_signals++;
            klog_info("%s received", strsignal((int) si.ssi_signo));
        }
    }
    /* Signals of one kind merge while pending: reap whatever exited,
     * whatever the number of SIGCHLDs read. */
    if (child)
        s_reap(self);
    return self->stop_signals;
}

/* Sleeps until a signal arrives or timeout_ms passes (-1: no limit). */
static void s_sleep(sup_t *self, int64_t timeout_ms)
{
    /* Also wakes for output of the daemons, and copies it to their logs. */
    struct pollfd p[1 + 16];
    size_t n = 0;
    p[n++] = (struct pollfd) {.fd = self->sfd, .events = POLLIN};
    for (size_t i = 0; i < self->n && n < sizeof p / sizeof p[0]; i++)
        if (self->daemons[i].outfd >= 0)
            p[n++] = (struct pollfd) {.fd = self->daemons[i].outfd, .events = POLLIN};
    if (timeout_ms > INT_MAX)
        timeout_ms = INT_MAX;
    if (poll(p, n, (int) timeout_ms) < 0 && errno != EINTR)
        klog_error("poll: %s", strerror(errno));
    for (size_t i = 0; i < self->n; i++)
        s_pump(&self->daemons[i]);
}

/* ---- construction ------------------------------------------------------ */

/* Fills d's program, log and endpoint paths and checks the program is
 * there. Returns 0, or KEFU_ETOOLARGE / KEFU_ENOTFOUND with err set. */
static int s_daemon_paths(s_daemon_t *d, const char *site, const char *libexec,
                          char *err, size_t cap)
{
    char rel[128];
    snprintf(rel, sizeof rel, "log/%s.log", d->name);
    int plen = snprintf(d->prog, sizeof d->prog, "%s/kefu-%s", libexec, d->name);
    if (plen < 0 || (size_t) plen >= sizeof d->prog
        || site_path(site, rel, d->log, sizeof d->log) != 0
        || site_endpoint(site, d->name, "ctl", d->endpoint,
                         sizeof d->endpoint) != 0) {
        snprintf(err, cap, "the site path %s is too long for %s's sockets "
                 "(ipc paths are limited to 107 bytes)", site, d->name);
        return KEFU_ETOOLARGE;
    }
    if (access(d->prog, X_OK) != 0) {
        snprintf(err, cap, "no program %s (%s); set KEFU_LIBEXEC to the "
                 "directory holding the kefu-* daemons", d->prog, strerror(errno));
        return KEFU_ENOTFOUND;
    }
    return 0;
}

int sup_check(const sup_opts_t *opts, char *err, size_t cap)
{
    err[0] = '\0';
    for (size_t i = 0; site_daemons[i]; i++) {
        s_daemon_t d = {.name = site_daemons[i]};
        int rc = s_daemon_paths(&d, opts->site, opts->libexec, err, cap);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static char *s_strdup_or(const char *s, bool *ok)
{
    char *copy = strdup(s);
    if (!copy)
        *ok = false;
    return copy;
}

sup_t *sup_new(const sup_opts_t *opts, char *err, size_t cap)
{
    assert(opts && opts->site && opts->libexec);
    err[0] = '\0';
    sup_t *self = calloc(1, sizeof *self);
    if (!self) {
        snprintf(err, cap, "out of memory");
        return NULL;
    }
    self->sfd = -1;
    self->start_timeout_ms = opts->start_timeout_ms > 0
                           ? opts->start_timeout_ms : S_START_TIMEOUT_MS;
    self->backoff_max = opts->restart_max_us > 0 ? opts->restart_max_us : S_BACKOFF_MAX_US;
    bool ok = true;
    self->site = s_strdup_or(opts->site, &ok);
    size_t nargs = 0;
    while (opts->args && opts->args[nargs])
        nargs++;
    self->args = calloc(nargs + 1, sizeof *self->args);
    for (size_t i = 0; ok && self->args && i < nargs; i++)
        self->args[i] = s_strdup_or(opts->args[i], &ok);
    while (site_daemons[self->n])
        self->n++;
    self->daemons = calloc(self->n, sizeof *self->daemons);
    for (size_t i = 0; self->daemons && i < self->n; i++)
        self->daemons[i].outfd = -1;
    if (!ok || !self->args || !self->daemons) {
        snprintf(err, cap, "out of memory");
        goto fail;
    }

    for (size_t i = 0; i < self->n; i++) {
        s_daemon_t *d = &self->daemons[i];
        d->name = site_daemons[i];
        d->backoff = S_BACKOFF_MIN_US;
        if (s_daemon_paths(d, self->site, opts->libexec, err, cap) != 0)
            goto fail;
        d->argv = calloc(nargs + 4, sizeof *d->argv);
        if (!d->argv) {
            snprintf(err, cap, "out of memory");
            goto fail;
        }
        d->argv[0] = d->prog;
        d->argv[1] = "--dir";
        d->argv[2] = self->site;
        for (size_t a = 0; a < nargs; a++)
            d->argv[3 + a] = self->args[a];
    }

    /* Signals: block them and read them from a signalfd. SIGCHLD must not
     * be SIG_IGN (the kernel would reap for us and lose the status);
     * SIGHUP stops the site unless we were started ignoring it (nohup). */
    struct sigaction dfl = {.sa_handler = SIG_DFL}, ign = {.sa_handler = SIG_IGN};
    struct sigaction hup;
    sigemptyset(&dfl.sa_mask);
    sigemptyset(&ign.sa_mask);
    sigaction(SIGCHLD, &dfl, NULL);
    sigaction(SIGPIPE, &ign, NULL);
    sigaction(SIGHUP, NULL, &hup);
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGCHLD);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGTERM);
    if (hup.sa_handler != SIG_IGN)
        sigaddset(&mask, SIGHUP);
    /* Blocked signals are queued even when their action is to ignore
     * them, so a SIGINT ignored by a parent shell still reaches us. */
    if (sigprocmask(SIG_BLOCK, &mask, NULL) != 0
        || (self->sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC)) < 0) {
        snprintf(err, cap, "signalfd: %s", strerror(errno));
        goto fail;
    }
    self->phase = S_STARTING;
    return self;
fail:
    sup_destroy(&self);
    return NULL;
}

void sup_destroy(sup_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    sup_t *self = *self_p;
    if (self->sfd >= 0)
        sup_stop(self);
    if (self->sfd >= 0)
        close(self->sfd);
    /* The signal mask stays: the process is about to exit, and unblocking
     * would deliver a late SIGTERM with its default action. */
    for (size_t i = 0; self->daemons && i < self->n; i++) {
        s_pump(&self->daemons[i]);
        if (self->daemons[i].outfd >= 0)
            close(self->daemons[i].outfd);
        free(self->daemons[i].argv);
    }
    free(self->daemons);
    for (size_t i = 0; self->args && self->args[i]; i++)
        free(self->args[i]);
    free(self->args);
    free(self->site);
    free(self);
    *self_p = NULL;
}

/* ---- start ------------------------------------------------------------- */

/* True when d answers a StatusRequest without an error within probe_ms. */
static bool s_probe(ctlclient_t *client, int probe_ms)
{
    Kefu__StatusRequest st = KEFU__STATUS_REQUEST__INIT;
    Kefu__Request req = KEFU__REQUEST__INIT;
    req.actor = "kefu";
    req.req_case = KEFU__REQUEST__REQ_STATUS;
    req.status = &st;
    Kefu__Reply *rep = NULL;
    int rc = ctlclient_call(client, &req, &rep, probe_ms);
    if (rc != 0)
        return false;
    bool ok = !rep->error || !rep->error->has_code
           || rep->error->code == KEFU__ERROR_CODE__ERR_NONE;
    kefu__reply__free_unpacked(rep, NULL);
    return ok;
}

/* Reports daemon d's failure into err with its log's tail. */
static void s_fail(s_daemon_t *d, const char *what, char *err, size_t cap)
{
    char tail[S_TAIL_BYTES + 512];
    s_pump(d);
    if (d->log_errno) {
        /* Its log could not take what it said: show it from memory. */
        char tmp[S_TAIL_BYTES + 1];
        memcpy(tmp, d->tail, d->tail_len);
        tmp[d->tail_len] = '\0';
        s_text_tail(tmp, false, tail, sizeof tail);
        snprintf(err, cap, "%s %s; %s could not be written (%s); its last lines:\n%s",
                 d->name, what, d->log, strerror(d->log_errno), tail);
        return;
    }
    s_log_tail(d->log, d->log_from, tail, sizeof tail);
    snprintf(err, cap, "%s %s; its last lines in %s:\n%s", d->name, what,
             d->log, tail);
}

/* Waits until daemons[idx] answers. Returns 0, KEFU_EUNAVAIL (err set:
 * it or an earlier daemon died, or it did not answer in time), or
 * KEFU_ECONFLICT on a stop signal. */
static int s_await(sup_t *self, size_t idx, char *err, size_t cap)
{
    s_daemon_t *d = &self->daemons[idx];
    ctlclient_t *client = ctlclient_new(d->endpoint);
    if (!client) {
        snprintf(err, cap, "%s: cannot reach %s", d->name, d->endpoint);
        return KEFU_EUNAVAIL;
    }
    int64_t deadline = kclock_mono_us() + self->start_timeout_ms * S_MS;
    int rc = KEFU_EUNAVAIL;
    for (;;) {
        if (s_drain(self) > 0) {
            snprintf(err, cap, "stopped by a signal while starting %s", d->name);
            rc = KEFU_ECONFLICT;
            break;
        }
        size_t dead = idx + 1;
        for (size_t i = 0; i <= idx; i++)
            if (self->daemons[i].pid == 0)
                dead = i;
        if (dead <= idx) {
            s_daemon_t *x = &self->daemons[dead];
            char how[160];
            s_describe(x->status, how, sizeof how);
            if (dead == idx)
                snprintf(how + strlen(how), sizeof how - strlen(how),
                         " while starting");
            else
                snprintf(how + strlen(how), sizeof how - strlen(how),
                         " while %s was starting", d->name);
            s_fail(x, how, err, cap);
            break;
        }
        int64_t left = s_ms_until(deadline);
        if (left <= 0) {
            char what[320];
            snprintf(what, sizeof what, "did not answer on %s within %d s",
                     d->endpoint, self->start_timeout_ms / 1000);
            s_fail(d, what, err, cap);
            break;
        }
        int probe = left < S_PROBE_MS ? (int) left : S_PROBE_MS;
        int64_t probe_end = kclock_mono_us() + probe * S_MS;
        if (s_probe(client, probe)) {
            s_pump(d);   /* what it said while starting is in its log now */
            rc = 0;
            break;
        }
        /* An error reply or garbage comes back at once: don't spin, wait
         * out the probe (waking for any signal). */
        if (s_ms_until(probe_end) > 0)
            s_sleep(self, s_ms_until(probe_end));
    }
    ctlclient_destroy(&client);
    return rc;
}

int sup_start(sup_t *self, char *err, size_t cap)
{
    assert(self->phase == S_STARTING);
    err[0] = '\0';
    for (size_t i = 0; i < self->n; i++) {
        s_daemon_t *d = &self->daemons[i];
        int rc = s_spawn(self, d);
        if (rc != 0) {
            snprintf(err, cap, "cannot start %s: %s", d->name, strerror(rc));
            rc = KEFU_EUNAVAIL;
        } else {
            rc = s_await(self, i, err, cap);
        }
        if (rc != 0) {
            /* Not logged here: err has several lines, the caller prints it. */
            sup_stop(self);
            return rc;
        }
        klog_info("%s is up", d->name);
    }
    self->phase = S_RUNNING;
    klog_info("site %s is up (%zu daemons)", self->site, self->n);
    return 0;
}

/* ---- run and stop ------------------------------------------------------ */

int sup_run(sup_t *self)
{
    assert(self->phase == S_RUNNING);
    while (s_drain(self) == 0) {
        int64_t now = kclock_mono_us();
        for (size_t i = 0; i < self->n; i++) {
            s_daemon_t *d = &self->daemons[i];
            if (d->restart_pending && d->restart_at <= now
                && s_spawn(self, d) != 0)
                d->restart_at = now + d->backoff;   /* fork failed: later */
        }
        /* Sleep until the next restart is due, or until a signal. */
        int64_t timeout = -1;
        for (size_t i = 0; i < self->n; i++) {
            s_daemon_t *d = &self->daemons[i];
            if (!d->restart_pending)
                continue;
            int64_t ms = s_ms_until(d->restart_at);
            if (timeout < 0 || ms < timeout)
                timeout = ms;
        }
        s_sleep(self, timeout);
    }
    sup_stop(self);
    return 0;
}

void sup_stop(sup_t *self)
{
    self->phase = S_STOPPING;
    unsigned signals_at_start = self->stop_signals;
    for (size_t i = self->n; i-- > 0;) {
        s_daemon_t *d = &self->daemons[i];
        d->restart_pending = false;
        if (d->pid <= 0)
            continue;
        klog_info("stopping %s (pid %d)", d->name, (int) d->pid);
        s_signal(d, SIGTERM);
        int64_t deadline = kclock_mono_us() + S_STOP_WAIT_US;
        bool killed = false;
        for (;;) {
            s_drain(self);
            if (d->pid <= 0)
                break;
            bool hurry = self->stop_signals > signals_at_start;
            if (!killed && (hurry || s_ms_until(deadline) == 0)) {
                klog_warn("%s (pid %d): %s; killing it", d->name, (int) d->pid,
                          hurry ? "a second stop signal came"
                                : "it did not stop within 10 s");
                s_signal(d, SIGKILL);
                killed = true;
            }
            /* After SIGKILL the exit is certain; SIGCHLD wakes us. */
            s_sleep(self, killed ? -1 : s_ms_until(deadline));
        }
    }
}
