/* bench_sla.c: the SLA watchers' figures for `make bench`.
 *
 * Three steps, each run by tests/bench/run.sh against a site of its own:
 *
 *   --rate BIN     on the log daemon alone: --cases complaint cases
 *                  (300,000) go into the log as intake writes them, a
 *                  CaseOpened and, --lag cases later (1000), its answer
 *                  (every other case a CaseReplied, the rest a
 *                  CaseResolved; either meets its reply obligation), each
 *                  due 2 h after it opens. Then BIN (kefu-sla) starts on an
 *                  empty store and is asked to sync up to a seq a twentieth
 *                  of the way in, then to the last. Prints
 *                    sla.obligations_rate  obligations opened and met per
 *                                          second rebuilding the store from
 *                                          the log (each of these events
 *                                          opens or meets one): the events
 *                                          from where sla was at the first
 *                                          answer to the last, over the
 *                                          time between the two answers
 *   --timers BIN   on the log daemon alone: BIN on the empty log (its RSS
 *                  then is the base), then --cases CaseOpened (1,000,000)
 *                  due 30 days ahead, none answered; BIN again on its
 *                  store (it rebuilds it from the log), then a plain
 *                  restart (the heap filled from the store). Prints, per
 *                  open deadline, the growth of VmRSS over the empty sla's
 *                    sla.timers_rss_rebuilt    after the rebuild
 *                    sla.timers_rss_restarted  after the restart
 *                    sla.timers_rss            the larger of the two
 *                    sla.timers_rss_anon       the same of RssAnon alone:
 *                                              VmRSS also counts the pages
 *                                              of the LMDB map the daemon
 *                                              has mapped in (page cache,
 *                                              its RssFile), those it read
 *                                              and has not let go of yet
 *                                              (store_release_pages)
 *   --fire         on a whole site on the wall clock (kefu up with a short
 *                  sla.complaint_simple, 3s in run.sh): --cases complaint
 *                  opens (2000) through intake's control socket, paced
 *                  evenly over --spread seconds (2), so their reply
 *                  deadlines fall due over as long, while the bench
 *                  follows the log. For each EscalationRaised, the wall
 *                  clock when it arrived minus its due. Prints
 *                    sla.fire_delay_p50, sla.fire_delay_p99
 *                                          ms past the deadline when the
 *                                          escalation reaches a subscriber
 *                  (--dump FILE writes "due raised_at received seq" per
 *                  escalation, usec, to see where a delay is spent)
 *
 * The events of --rate and --timers are appended as producer intake (the
 * log takes intake's events only from intake's producer, and no
 * kefu-intake runs on those sites), up to the client's span in flight: a
 * million take about a second. --verbose tells on stderr how each step
 * went (the fill's time, RSS by kind, the rebuild's and restart's times).
 */
#include <czmq.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "control.pb-c.h"
#include "event.pb-c.h"
#include "evlog_client.h"
#include "kclock.h"
#include "kerr.h"

#include "bench_ctl.h"

static const char *s_dir;
static kclock_t *s_wall;
static bool s_verbose;

/* --verbose: how each step went, on stderr (the figures alone on stdout). */
static void s_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void s_note(const char *fmt, ...)
{
    if (!s_verbose)
        return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
}

/* ---- the daemon under test -------------------------------------------------------------- */

static pid_t s_start(const char *bin, const char *logname)
{
    pid_t pid = fork();
    if (pid == 0) {
        char log[4200];
        snprintf(log, sizeof log, "%s/log/%s", s_dir, logname);
        FILE *o = freopen(log, "a", stdout);
        (void) o;
        dup2(1, 2);
        execl(bin, bin, "--dir", s_dir, (char *) NULL);
        _exit(127);
    }
    if (pid < 0)
        fprintf(stderr, "bench_sla: fork failed\n");
    return pid;
}

static void s_stop(pid_t pid)
{
    if (pid <= 0)
        return;
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
}

typedef struct {
    long rss, anon, file;  /* kB */
} s_rss_t;

static s_rss_t s_rss(pid_t pid)
{
    s_rss_t r = {0, 0, 0};
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int) pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return r;
    while (fgets(line, sizeof line, f)) {
        sscanf(line, "VmRSS: %ld", &r.rss);
        sscanf(line, "RssAnon: %ld", &r.anon);
        sscanf(line, "RssFile: %ld", &r.file);
    }
    fclose(f);
    return r;
}

/* ---- the log, filled as producer intake -------------------------------------------------- */

typedef struct {
    size_t acked, failed;
    uint64_t first, last;  /* seqs */
} s_fill_t;

static void s_acked(void *arg, int rc, const uint64_t *seqs, size_t n)
{
    s_fill_t *f = arg;
    if (rc) {
        fprintf(stderr, "bench_sla: append failed: %s\n", kefu_strerror(rc));
        f->failed += n;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (!f->first || seqs[i] < f->first)
            f->first = seqs[i];
        if (seqs[i] > f->last)
            f->last = seqs[i];
    }
    f->acked += n;
}

#define S_BATCH 256
#define S_OWNERS 8

typedef struct {
    Kefu__Envelope env[S_BATCH];
    Kefu__Case cs[S_BATCH];
    Kefu__CaseOpened op[S_BATCH];
    Kefu__CaseReplied rp[S_BATCH];
    Kefu__CaseResolved rs[S_BATCH];
    char ids[S_BATCH][24], owners[S_BATCH][16];
    Kefu__Envelope *evs[S_BATCH];
} s_batch_t;

/* Event k of a fill into slot i of b. Open only (lag < 0): case k
 * opened. Else the first lag cases open, then case j is answered and case
 * lag + j opened in turn, and at the end the last lag cases answered:
 * 2 * cases events, every case open for about lag cases' time. */
static void s_event(s_batch_t *b, size_t i, long k, long cases, long lag, int64_t due_in)
{
    Kefu__Envelope *ev = &b->env[i];
    kefu__envelope__init(ev);
    ev->has_at = true;
    ev->at = kclock_now(s_wall);
    long c, m = k - lag;
    bool open;
    if (lag < 0 || k < lag) {
        c = k;
        open = true;
    } else if (m < 2 * (cases - lag)) {
        open = m % 2 == 1;
        c = open ? lag + m / 2 : m / 2;
    } else {
        c = (cases - lag) + (m - 2 * (cases - lag));
        open = false;
    }
    snprintf(b->ids[i], sizeof b->ids[i], "C-%ld", c + 1);
    snprintf(b->owners[i], sizeof b->owners[i], "staff-%ld", c % S_OWNERS);
    ev->actor = b->owners[i];
    if (open) {
        Kefu__Case *cs = &b->cs[i];
        kefu__case__init(cs);
        cs->id = b->ids[i];
        cs->has_type = cs->has_kind = cs->has_complexity = cs->has_severity = true;
        cs->type = KEFU__CASE_TYPE__CASE_TYPE_COMPLAINT;
        cs->customer = "B-1";
        cs->kind = (Kefu__CaseKind) (1 + c % 6);
        cs->complexity = KEFU__COMPLEXITY__COMPLEXITY_SIMPLE;
        cs->severity = KEFU__SEVERITY__SEVERITY_GENERAL;
        cs->has_channel = true;
        cs->channel = KEFU__CHANNEL__CHANNEL_PHONE;
        cs->text = "prints too red";
        cs->owner = b->owners[i];
        cs->has_state = cs->has_opened_at = cs->has_reply_due = true;
        cs->state = KEFU__CASE_STATE__CASE_STATE_OPEN;
        cs->opened_at = ev->at;
        cs->reply_due = ev->at + due_in;
        kefu__case_opened__init(&b->op[i]);
        b->op[i].case_ = cs;
        ev->body_case = KEFU__ENVELOPE__BODY_CASE_OPENED;
        ev->case_opened = &b->op[i];
    } else if (c % 2 == 0) {
        kefu__case_replied__init(&b->rp[i]);
        b->rp[i].id = b->ids[i];
        b->rp[i].by = b->owners[i];
        b->rp[i].text = "we reprint it today";
        ev->body_case = KEFU__ENVELOPE__BODY_CASE_REPLIED;
        ev->case_replied = &b->rp[i];
    } else {
        kefu__case_resolved__init(&b->rs[i]);
        b->rs[i].id = b->ids[i];
        b->rs[i].by = b->owners[i];
        b->rs[i].has_outcome = true;
        b->rs[i].outcome = KEFU__OUTCOME__OUTCOME_REISSUE;
        b->rs[i].text = "reissued";
        ev->body_case = KEFU__ENVELOPE__BODY_CASE_RESOLVED;
        ev->case_resolved = &b->rs[i];
    }
    b->evs[i] = ev;
}

/* Appends the events of a fill (see s_event): 2 * cases with lag >= 0,
 * cases without. Returns 0 and sets *f. */
static int s_fill(long cases, long lag, int64_t due_in, s_fill_t *f)
{
    memset(f, 0, sizeof *f);
    evlog_client_t *cl = evlog_client_new(s_dir, "intake");
    if (!cl) {
        perror("bench_sla: evlog_client_new");
        return 1;
    }
    s_batch_t *b = malloc(sizeof *b);
    long total = lag < 0 ? cases : 2 * cases, sent = 0;
    int64_t t0 = kclock_mono_us(), deadline = t0 + 300 * 1000000LL;
    int rc = 0;
    while ((long) (f->acked + f->failed) < total && rc == 0) {
        if (kclock_mono_us() > deadline) {
            fprintf(stderr, "bench_sla: the fill timed out: %zu of %ld acknowledged\n", f->acked,
                    total);
            rc = 1;
            break;
        }
        while (sent < total && evlog_client_inflight(cl) + S_BATCH <= EVLOG_CLIENT_SPAN) {
            size_t n = total - sent < S_BATCH ? (size_t) (total - sent) : S_BATCH;
            for (size_t i = 0; i < n; i++)
                s_event(b, i, sent + (long) i, cases, lag, due_in);
            int arc = evlog_client_append(cl, b->evs, n, s_acked, f);
            if (arc == KEFU_EUNAVAIL)
                break;  /* too far ahead (or the log not there yet): poll first */
            if (arc) {
                fprintf(stderr, "bench_sla: append: %s\n", kefu_strerror(arc));
                rc = 1;
                break;
            }
            sent += (long) n;
        }
        evlog_client_poll(cl, 100);
    }
    if (f->failed)
        rc = 1;
    s_note("bench_sla: %ld events appended as intake in %.1f s (seqs %llu..%llu)\n",
           total, (double) (kclock_mono_us() - t0) / 1e6, (unsigned long long) f->first,
           (unsigned long long) f->last);
    free(b);
    evlog_client_destroy(&cl);
    return rc;
}

/* ---- sla.obligations_rate ------------------------------------------------------------------ */

static int s_rate(const char *bin, long cases, long lag)
{
    s_fill_t f;
    if (s_fill(cases, lag, 2 * 3600 * 1000000LL, &f) != 0)
        return 1;
    uint64_t first = f.first + (f.last - f.first) / 20, last = f.last;
    /* Connected (and the first sync queued) before sla starts, so its
     * answer comes as soon as sla passes that seq. */
    void *sock = bench_dealer(s_dir, "sla", 120000);
    Kefu__Request req = KEFU__REQUEST__INIT;
    Kefu__SyncRequest sy = KEFU__SYNC_REQUEST__INIT;
    sy.has_seq = true;
    sy.seq = first;
    sy.has_timeout_ms = true;
    sy.timeout_ms = 60000;
    req.req_case = KEFU__REQUEST__REQ_SYNC;
    req.sync = &sy;
    uint8_t buf[64];
    size_t len = bench_pack(&req, 1, buf);
    int status = 1;
    pid_t pid = s_start(bin, "sla-rate.log");
    if (pid < 0)
        return 1;
    int64_t tstart = kclock_mono_us();
    zmq_send(sock, buf, len, 0);
    zmq_msg_t m;
    zmq_msg_init(&m);
    int64_t t0 = 0, t1 = 0;
    uint64_t from = 0;
    if (zmq_msg_recv(&m, sock, 0) >= 0) {
        t0 = kclock_mono_us();
        Kefu__Reply *rep = kefu__reply__unpack(NULL, zmq_msg_size(&m), zmq_msg_data(&m));
        from = rep && rep->sync ? rep->sync->applied : 0;
        if (rep && rep->error)
            fprintf(stderr, "bench_sla: sync: %s\n", rep->error->message ? rep->error->message : "?");
        kefu__reply__free_unpacked(rep, NULL);
    }
    zmq_msg_close(&m);
    if (from < first) {
        fprintf(stderr, "bench_sla: kefu-sla did not answer the first sync (see %s/log)\n", s_dir);
        goto out;
    }
    uint64_t to = bench_sync(sock, last, 3, "bench_sla");
    t1 = kclock_mono_us();
    if (to < last) {
        fprintf(stderr, "bench_sla: kefu-sla did not reach %llu\n", (unsigned long long) last);
        goto out;
    }
    if (last - from < (last - first) / 2) {
        fprintf(stderr, "bench_sla: sla had applied %llu of %llu..%llu at the first answer; "
                        "too few left to time\n", (unsigned long long) from,
                (unsigned long long) first, (unsigned long long) last);
        goto out;
    }
    s_rss_t r = s_rss(pid);
    s_note("bench_sla: %ld cases opened and answered rebuilt in %.1f s from its start; "
           "RSS then %ld kB (anon %ld, file %ld)\n",
           cases, (double) (t1 - tstart) / 1e6, r.rss, r.anon, r.file);
    printf("sla.obligations_rate: %.0f obligations/s\n",
           (double) (last - from) / ((double) (t1 - t0) / 1e6));
    fflush(stdout);
    status = 0;
out:
    zmq_close(sock);
    s_stop(pid);
    return status;
}

/* ---- sla.timers_rss -------------------------------------------------------------------------- */

/* Starts bin, waits until it has applied seq, and returns its RSS (the
 * daemon left running: *pid). */
static int s_up_rss(const char *bin, const char *logname, uint64_t seq, pid_t *pid, s_rss_t *r,
                    double *secs)
{
    void *sock = bench_dealer(s_dir, "sla", 120000);
    int64_t t0 = kclock_mono_us();
    *pid = s_start(bin, logname);
    if (*pid < 0) {
        zmq_close(sock);
        return 1;
    }
    /* a sync to 0 is answered once the daemon serves its socket, that is
     * once its heap is loaded from the store; then to seq */
    uint64_t got = bench_sync(sock, seq ? seq : 0, 3, "bench_sla");
    *secs = (double) (kclock_mono_us() - t0) / 1e6;
    zmq_close(sock);
    if (seq && got < seq) {
        fprintf(stderr, "bench_sla: kefu-sla did not reach %llu (see %s/log)\n",
                (unsigned long long) seq, s_dir);
        return 1;
    }
    usleep(200 * 1000);  /* its start settles (threads, first timers) */
    *r = s_rss(*pid);
    return r->rss > 0 ? 0 : 1;
}

static int s_timers(const char *bin, long cases)
{
    pid_t pid;
    s_rss_t base, rebuilt, restarted;
    double secs;
    if (s_up_rss(bin, "sla-timers.log", 0, &pid, &base, &secs) != 0) {
        s_stop(pid);
        return 1;
    }
    s_stop(pid);
    s_fill_t f;
    if (s_fill(cases, -1, 30LL * 86400 * 1000000LL, &f) != 0)
        return 1;
    if (s_up_rss(bin, "sla-timers.log", f.last, &pid, &rebuilt, &secs) != 0) {
        s_stop(pid);
        return 1;
    }
    s_note("bench_sla: %ld open obligations rebuilt from the log in %.1f s "
           "(%.0f obligations/s from its start)\n", cases, secs, (double) cases / secs);
    s_stop(pid);
    if (s_up_rss(bin, "sla-timers.log", f.last, &pid, &restarted, &secs) != 0) {
        s_stop(pid);
        return 1;
    }
    s_note("bench_sla: restarted on its store with %ld open obligations in %.1f s\n",
           cases, secs);
    s_stop(pid);
    const char *names[] = {"empty", "rebuilt", "restarted"};
    const s_rss_t *rs[] = {&base, &rebuilt, &restarted};
    for (int i = 0; i < 3; i++)
        s_note("bench_sla: kefu-sla %s: VmRSS %ld kB (RssAnon %ld kB, RssFile %ld kB)\n",
               names[i], rs[i]->rss, rs[i]->anon, rs[i]->file);
    double per_rebuilt = (double) (rebuilt.rss - base.rss) * 1024.0 / (double) cases;
    double per_restarted = (double) (restarted.rss - base.rss) * 1024.0 / (double) cases;
    double anon_rebuilt = (double) (rebuilt.anon - base.anon) * 1024.0 / (double) cases;
    double anon_restarted = (double) (restarted.anon - base.anon) * 1024.0 / (double) cases;
    printf("sla.timers_rss: %.0f bytes\n", per_rebuilt > per_restarted ? per_rebuilt : per_restarted);
    printf("sla.timers_rss_rebuilt: %.0f bytes\n", per_rebuilt);
    printf("sla.timers_rss_restarted: %.0f bytes\n", per_restarted);
    printf("sla.timers_rss_anon: %.0f bytes\n",
           anon_rebuilt > anon_restarted ? anon_rebuilt : anon_restarted);
    return 0;
}

/* ---- sla.fire_delay ------------------------------------------------------------------------- */

typedef struct {
    int64_t *delay;   /* us past the due, per escalation received */
    size_t n, cap;
    long other;       /* EscalationRaised of obligations not of this run */
    FILE *dump;       /* --dump: "due raised_at received seq" per escalation */
} s_fire_t;

static int s_seen(void *arg, const evlog_record_t *recs, size_t n)
{
    s_fire_t *s = arg;
    int64_t now = kclock_now(s_wall);
    for (size_t i = 0; i < n; i++) {
        Kefu__Envelope *ev = kefu__envelope__unpack(NULL, recs[i].len, recs[i].data);
        if (ev && ev->body_case == KEFU__ENVELOPE__BODY_ESCALATION_RAISED &&
            ev->escalation_raised->escalation && ev->escalation_raised->escalation->has_due) {
            const Kefu__Escalation *e = ev->escalation_raised->escalation;
            bool ours = e->kind == KEFU__ESCALATION_KIND__ESCALATION_KIND_COMPLAINT_REPLY_OVERDUE;
            if (ours && s->n < s->cap) {
                s->delay[s->n++] = now - e->due;
                if (s->dump)
                    fprintf(s->dump, "%lld %lld %lld %llu\n", (long long) e->due,
                            (long long) e->raised_at, (long long) now,
                            (unsigned long long) recs[i].seq);
            } else
                s->other++;
        }
        kefu__envelope__free_unpacked(ev, NULL);
    }
    return 0;
}

static double s_pct_ms(const int64_t *v, size_t n, double p)
{
    return (double) v[(size_t) (p * (double) (n - 1) + 0.5)] / 1000.0;
}

static int s_fire(long cases, int64_t spread_us, int64_t wait_us, FILE *dump)
{
    void *sock = bench_dealer(s_dir, "intake", 120000);
    /* a customer to complain about */
    Kefu__Request req = KEFU__REQUEST__INIT;
    Kefu__CustomerAdd ca = KEFU__CUSTOMER_ADD__INIT;
    Kefu__Customer cu = KEFU__CUSTOMER__INIT;
    cu.id = "B-1";
    cu.name = "Bench Studio";
    cu.has_tier = true;
    cu.tier = KEFU__TIER__TIER_KEY;
    ca.customer = &cu;
    req.req_case = KEFU__REQUEST__REQ_CUSTOMER_ADD;
    req.customer_add = &ca;
    int rc = bench_call(sock, &req, NULL, "bench_sla");
    if (rc) {
        fprintf(stderr, "bench_sla: customer add: %s\n", kefu_strerror(rc));
        zmq_close(sock);
        return 1;
    }
    /* follow the log from its head */
    evlog_client_t *cl = evlog_client_new(s_dir, NULL);
    uint64_t head = 0;
    int64_t give_up = kclock_mono_us() + 10 * 1000000LL;
    while (evlog_client_fetch(cl, 1, 1, NULL, NULL, &head, 1000) != 0)
        if (kclock_mono_us() > give_up) {
            fprintf(stderr, "bench_sla: the log does not answer\n");
            return 1;
        }
    s_fire_t s = {.delay = calloc((size_t) cases, sizeof(int64_t)), .cap = (size_t) cases,
                  .dump = dump};
    evlog_client_subscribe(cl, head + 1, s_seen, &s);
    long sent = 0, answered = 0, refused = 0;
    uint8_t buf[1024];
    int64_t t0 = kclock_mono_us(), end = t0 + spread_us + wait_us;
    while ((long) s.n < cases && kclock_mono_us() < end) {
        /* the opens due by now, evenly over the spread */
        int64_t now = kclock_mono_us();
        long due = now >= t0 + spread_us ? cases
                                         : (long) ((double) cases * (double) (now - t0) /
                                                   (double) spread_us) + 1;
        for (; sent < due && sent < cases; sent++) {
            char owner[16];
            snprintf(owner, sizeof owner, "staff-%ld", sent % S_OWNERS);
            Kefu__Request r = KEFU__REQUEST__INIT;
            Kefu__CaseOpen co = KEFU__CASE_OPEN__INIT;
            co.customer = "B-1";
            co.has_kind = co.has_complexity = true;
            co.kind = (Kefu__CaseKind) (1 + sent % 6);
            co.complexity = KEFU__COMPLEXITY__COMPLEXITY_SIMPLE;
            co.by = owner;
            co.text = "prints too red";
            r.req_case = KEFU__REQUEST__REQ_CASE_OPEN;
            r.case_open = &co;
            size_t len = bench_pack(&r, (uint64_t) sent + 10, buf);
            zmq_send(sock, buf, len, 0);
        }
        zmq_msg_t m;
        zmq_msg_init(&m);
        while (zmq_msg_recv(&m, sock, ZMQ_DONTWAIT) >= 0) {
            Kefu__Reply *rep = kefu__reply__unpack(NULL, zmq_msg_size(&m), zmq_msg_data(&m));
            if (!rep || rep->error) {
                if (refused++ == 0)
                    fprintf(stderr, "bench_sla: complaint open refused: %s\n",
                            rep && rep->error && rep->error->message ? rep->error->message : "?");
            } else
                answered++;
            kefu__reply__free_unpacked(rep, NULL);
        }
        zmq_msg_close(&m);
        evlog_client_poll(cl, sent < cases ? 1 : 20);
    }
    evlog_client_destroy(&cl);
    zmq_close(sock);
    s_note("bench_sla: %ld complaints opened over %.1f s (%ld answered, %ld refused), "
           "%zu escalations received (%ld others) %.1f s after the first open\n",
           sent, (double) spread_us / 1e6, answered, refused, s.n, s.other,
           (double) (kclock_mono_us() - t0) / 1e6);
    if ((long) s.n < cases || refused) {
        fprintf(stderr, "bench_sla: %zu of %ld escalations within %.0f s\n", s.n, cases,
                (double) (spread_us + wait_us) / 1e6);
        free(s.delay);
        return 1;
    }
    qsort(s.delay, s.n, sizeof *s.delay, bench_cmp_i64);
    s_note("bench_sla: fire delay min %.2f, max %.2f ms\n", s_pct_ms(s.delay, s.n, 0),
           s_pct_ms(s.delay, s.n, 1));
    printf("sla.fire_delay_p50: %.2f ms\n", s_pct_ms(s.delay, s.n, 0.50));
    printf("sla.fire_delay_p99: %.2f ms\n", s_pct_ms(s.delay, s.n, 0.99));
    free(s.delay);
    return 0;
}

int main(int argc, char **argv)
{
    const char *rate = NULL, *timers = NULL, *dump = NULL;
    bool fire = false;
    long cases = 0, lag = 1000;
    double spread = 2.0, wait = 20.0;
    static const struct option opts[] = {
        {"dir", 1, 0, 'd'},   {"rate", 1, 0, 'r'},   {"timers", 1, 0, 't'},
        {"fire", 0, 0, 'f'},  {"cases", 1, 0, 'n'},  {"lag", 1, 0, 'l'},
        {"spread", 1, 0, 's'}, {"wait", 1, 0, 'w'},  {"dump", 1, 0, 'D'},
        {"verbose", 0, 0, 'v'}, {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd': s_dir = optarg; break;
        case 'r': rate = optarg; break;
        case 't': timers = optarg; break;
        case 'f': fire = true; break;
        case 'n': cases = atol(optarg); break;
        case 'l': lag = atol(optarg); break;
        case 's': spread = atof(optarg); break;
        case 'w': wait = atof(optarg); break;
        case 'D': dump = optarg; break;
        case 'v': s_verbose = true; break;
        default:
            goto usage;
        }
    }
    if (!s_dir || (!!rate + !!timers + fire) != 1 || cases < 0 || lag < 0 || spread <= 0 ||
        wait <= 0)
        goto usage;
    if (rate && lag > (cases ? cases : 300000))
        lag = cases ? cases : 300000;
    zsys_init();
    s_wall = kclock_new_wall();
    if (rate)
        return s_rate(rate, cases ? cases : 300000, lag);
    if (timers)
        return s_timers(timers, cases ? cases : 1000000);
    FILE *df = dump ? fopen(dump, "w") : NULL;
    if (dump && !df) {
        perror(dump);
        return 2;
    }
    int rc = s_fire(cases ? cases : 2000, (int64_t) (spread * 1e6), (int64_t) (wait * 1e6), df);
    if (df)
        fclose(df);
    return rc;
usage:
    fprintf(stderr, "usage: bench_sla --dir SITE --rate KEFU-SLA [--cases 300000] [--lag 1000]\n"
                    "       bench_sla --dir SITE --timers KEFU-SLA [--cases 1000000]\n"
                    "       bench_sla --dir SITE --fire [--cases 2000] [--spread 2] [--wait 20]"
                    " [--dump FILE]\n"
                    "       (each with --verbose: how it went, on stderr)\n");
    return 2;
}
