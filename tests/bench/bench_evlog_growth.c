/* bench_evlog_growth.c: how the log daemon's start-up and memory grow with
 * the log, for `make bench` (tests/bench/run.sh).
 *
 * For each size N of --sizes (default 100000 and 5000000 events), on a
 * log of its own: starts kefu-evlog (--bin) on a new site, fills the log
 * with N events of --payload bytes (4 producers, appends of 64 events,
 * many in flight), then kills the daemon with SIGKILL (a crash: recovery
 * has whatever the last run left, as after a power cut minus the torn
 * tail) and starts it again, and prints:
 *   eventlog.startup_ms_<N>     ms from the fork of the new daemon to its
 *                               control socket being bound, the last thing
 *                               it does before it serves (it binds after
 *                               recovery; the old socket files are removed
 *                               first, so only the new daemon's count)
 *   eventlog.rss_mb_<N>         the daemon's VmRSS once started, MiB
 *   eventlog.rss_mb_<N>_catchup its VmRSS after a reader has fetched the
 *                               whole log from seq 1 (a full catch-up)
 * with N written 100k, 1m, 5m, ... The fill rate and the catch-up rate go
 * to stderr. The log directory is removed after each size (kept, with the
 * daemon's output in DIR/growth-N.daemon.log, with BENCH_GROWTH_KEEP=1).
 * The daemon dies with the bench (PR_SET_PDEATHSIG).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "evlog_client.h"
#include "kclock.h"
#include "kerr.h"

#define S_PRODUCERS 4
#define S_PER_APPEND 64

static const char *s_bin;
static long s_payload = 100;
static long s_segment_mb;   /* 0: the daemon's default */
static pid_t s_daemon;      /* the log daemon running, 0 if none */

static void s_die(const char *what)
{
    fprintf(stderr, "bench_evlog_growth: %s\n", what);
    if (s_daemon > 0) {
        kill(s_daemon, SIGKILL);
        waitpid(s_daemon, NULL, 0);
    }
    exit(1);
}

static pid_t s_spawn(const char *site)
{
    char out[4200];
    snprintf(out, sizeof out, "%s.daemon.log", site);
    pid_t pid = fork();
    if (pid < 0)
        s_die("fork failed");
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        int fd = open(out, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        char seg[64];
        snprintf(seg, sizeof seg, "evlog.segment_mb=%ld", s_segment_mb);
        if (s_segment_mb > 0)
            execl(s_bin, s_bin, "--dir", site, "--set", seg, (char *) NULL);
        else
            execl(s_bin, s_bin, "--dir", site, (char *) NULL);
        _exit(127);
    }
    s_daemon = pid;
    return pid;
}

static void s_run_path(const char *site, const char *kind, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s/run/evlog.%s", site, kind);
}

/* Waits until the daemon's control socket exists (it is bound last). */
static void s_wait_bound(const char *site, pid_t pid)
{
    char ctl[4200];
    s_run_path(site, "ctl", ctl, sizeof ctl);
    const struct timespec tick = {0, 200 * 1000};
    for (int64_t t0 = kclock_mono_us();;) {
        struct stat st;
        if (stat(ctl, &st) == 0)
            return;
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid)
            s_die("the log daemon exited during start-up");
        if (kclock_mono_us() - t0 > 120 * 1000000LL)
            s_die("the log daemon did not start within 120 s");
        nanosleep(&tick, NULL);
    }
}

static double s_rss_mb(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int) pid);
    FILE *f = fopen(path, "r");
    if (!f)
        s_die("can't read the daemon's /proc status");
    long kb = -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
            break;
    fclose(f);
    return (double) kb / 1024.0;
}

/* ---- fill ----------------------------------------------------------------- */

/* As bench_evlog's durable run: one zloop, each producer keeping appends
 * of S_PER_APPEND events in flight, an acknowledgement sending the next. */
typedef struct {
    evlog_client_t *cl;
    long count, sent, acked;
    const uint8_t *pl;
} s_prod_t;

static void s_prod_fill(s_prod_t *p);

static void s_acked(void *arg, int rc, const uint64_t *seqs, size_t n)
{
    (void) seqs;
    s_prod_t *p = arg;
    if (rc) {
        fprintf(stderr, "bench_evlog_growth: append failed: %s\n", kefu_strerror(rc));
        s_die("an append failed");
    }
    p->acked += (long) n;
    s_prod_fill(p);
}

static void s_prod_fill(s_prod_t *p)
{
    while (p->sent < p->count && p->sent - p->acked < 16 * S_PER_APPEND) {
        Kefu__Envelope env[S_PER_APPEND], *evs[S_PER_APPEND];
        Kefu__Probe probe[S_PER_APPEND];
        long k = p->count - p->sent < S_PER_APPEND ? p->count - p->sent : S_PER_APPEND;
        for (long j = 0; j < k; j++) {
            kefu__envelope__init(&env[j]);
            kefu__probe__init(&probe[j]);
            probe[j].has_n = probe[j].has_payload = 1;
            probe[j].n = (uint64_t) (p->sent + j);
            probe[j].payload.data = (uint8_t *) p->pl;
            probe[j].payload.len = (size_t) s_payload;
            env[j].has_at = 1;
            env[j].at = 1700000000000000LL;
            env[j].body_case = KEFU__ENVELOPE__BODY_PROBE;
            env[j].probe = &probe[j];
            evs[j] = &env[j];
        }
        int rc = evlog_client_append(p->cl, evs, (size_t) k, s_acked, p);
        if (rc == KEFU_EUNAVAIL)
            return;
        if (rc) {
            fprintf(stderr, "bench_evlog_growth: append: %s\n", kefu_strerror(rc));
            s_die("an append was refused");
        }
        p->sent += k;
    }
}

static int s_fill_check(zloop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    s_prod_t *ps = arg;
    int done = 1;
    for (int i = 0; i < S_PRODUCERS; i++) {
        s_prod_fill(&ps[i]);
        if (ps[i].acked < ps[i].count)
            done = 0;
    }
    return done ? -1 : 0;
}

static void s_fill(const char *site, long total)
{
    s_prod_t ps[S_PRODUCERS];
    uint8_t *pl = calloc(1, (size_t) s_payload + 1);
    memset(pl, 'x', (size_t) s_payload);
    zloop_t *loop = zloop_new();
    for (int i = 0; i < S_PRODUCERS; i++) {
        char name[32];
        snprintf(name, sizeof name, "growth-%d", i);
        ps[i] = (s_prod_t){.cl = evlog_client_new(site, name), .pl = pl,
                           .count = total / S_PRODUCERS + (i < total % S_PRODUCERS)};
        if (!ps[i].cl)
            s_die("can't make a client");
        evlog_client_attach(ps[i].cl, loop);
    }
    zloop_timer(loop, 5, 0, s_fill_check, ps);
    int64_t t0 = kclock_mono_us();
    for (int i = 0; i < S_PRODUCERS; i++)
        s_prod_fill(&ps[i]);
    zloop_start(loop);
    double secs = (double) (kclock_mono_us() - t0) / 1e6;
    fprintf(stderr, "bench_evlog_growth: filled %ld events in %.1f s (%.0f events/s)\n",
            total, secs, (double) total / secs);
    for (int i = 0; i < S_PRODUCERS; i++)
        evlog_client_destroy(&ps[i].cl);
    zloop_destroy(&loop);
    free(pl);
}

/* ---- catch-up --------------------------------------------------------------- */

typedef struct {
    uint64_t next;
} s_reader_t;

static int s_deliver(void *arg, const evlog_record_t *recs, size_t n)
{
    s_reader_t *r = arg;
    if (n && recs[0].seq != r->next)
        s_die("a fetch returned the wrong seq");
    r->next += n;
    return 0;
}

static void s_catch_up(const char *site, uint64_t head)
{
    evlog_client_t *cl = evlog_client_new(site, NULL);
    s_reader_t r = {.next = 1};
    int64_t t0 = kclock_mono_us();
    while (r.next <= head) {
        uint64_t h = 0;
        int rc = evlog_client_fetch(cl, r.next, 4096, s_deliver, &r, &h, 10000);
        if (rc)
            s_die("a catch-up fetch failed");
    }
    double secs = (double) (kclock_mono_us() - t0) / 1e6;
    fprintf(stderr, "bench_evlog_growth: caught up %" PRIu64 " events in %.1f s\n", head, secs);
    evlog_client_destroy(&cl);
}

/* ---- one size ------------------------------------------------------------------ */

static void s_name(long n, char *buf, size_t cap)
{
    if (n % 1000000 == 0)
        snprintf(buf, cap, "%ldm", n / 1000000);
    else if (n % 1000 == 0)
        snprintf(buf, cap, "%ldk", n / 1000);
    else
        snprintf(buf, cap, "%ld", n);
}

static void s_size(const char *base, long n)
{
    char site[4096], cmd[8300], name[32];
    s_name(n, name, sizeof name);
    snprintf(site, sizeof site, "%s/growth-%s", base, name);
    pid_t pid = s_spawn(site);
    s_wait_bound(site, pid);
    s_fill(site, n);

    /* A crash, then a start on what it left. */
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    s_daemon = 0;
    const char *kinds[] = {"sock", "pub", "ctl"};
    for (int i = 0; i < 3; i++) {
        char p[4200];
        s_run_path(site, kinds[i], p, sizeof p);
        unlink(p);
    }
    int64_t t0 = kclock_mono_us();
    pid = s_spawn(site);
    s_wait_bound(site, pid);
    double ms = (double) (kclock_mono_us() - t0) / 1000.0;
    evlog_client_t *cl = evlog_client_new(site, NULL);
    uint64_t head = 0;
    if (evlog_client_fetch(cl, 1, 1, NULL, NULL, &head, 10000) != 0 || head != (uint64_t) n)
        s_die("the restarted log does not hold every event");
    evlog_client_destroy(&cl);
    double rss = s_rss_mb(pid);
    printf("eventlog.startup_ms_%s: %.1f ms\n", name, ms);
    printf("eventlog.rss_mb_%s: %.1f MiB\n", name, rss);
    fflush(stdout);
    s_catch_up(site, head);
    printf("eventlog.rss_mb_%s_catchup: %.1f MiB\n", name, s_rss_mb(pid));
    fflush(stdout);

    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    s_daemon = 0;
    if (getenv("BENCH_GROWTH_KEEP"))
        return;
    snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s.daemon.log'", site, site);
    if (system(cmd) != 0)
        fprintf(stderr, "bench_evlog_growth: can't remove %s\n", site);
}

int main(int argc, char **argv)
{
    const char *dir = NULL, *sizes = "100000,5000000";
    static const struct option opts[] = {
        {"bin", 1, 0, 'b'}, {"dir", 1, 0, 'd'}, {"sizes", 1, 0, 'n'},
        {"payload", 1, 0, 'P'}, {"segment-mb", 1, 0, 'S'}, {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'b': s_bin = optarg; break;
        case 'd': dir = optarg; break;
        case 'n': sizes = optarg; break;
        case 'P': s_payload = atol(optarg); break;
        case 'S': s_segment_mb = atol(optarg); break;
        default:
            fprintf(stderr, "usage: bench_evlog_growth --bin KEFU-EVLOG --dir DIR "
                            "[--sizes 100000,5000000] [--payload 100] [--segment-mb M]\n");
            return 2;
        }
    }
    if (!s_bin || !dir)
        return 2;
    zsys_init();
    char *list = strdup(sizes);
    for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ","))
        s_size(dir, atol(tok));
    free(list);
    return 0;
}
