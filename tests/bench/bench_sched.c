/* bench_sched.c: sched's figures for `make bench`.
 *
 * Two steps, each run by tests/bench/run.sh against a site of its own:
 *
 *   --fill        on a running site (kefu up): --customers customers
 *                 (tiers key, special, general in turn) and --orders print
 *                 orders through intake's control socket, then, once sched
 *                 has them all as jobs, --stages stage reports through
 *                 sched's (every order in turn, received, printing, qc,
 *                 packed as corrections, so every order stays open and
 *                 takes --stages / --orders marks): CLIENTS clients, each
 *                 a DEALER keeping WINDOW commands in flight. Prints
 *                   sched.stage_commands  stage reports per second end to
 *                                         end (command in, event durable,
 *                                         applied by sched, answer out)
 *                 and writes to the file --seqs names the log's head before
 *                 and after the stage events.
 *   --rebuild BIN on the same log (the log daemon alone; sched's store
 *                 deleted): starts BIN (kefu-sched) on an empty store and
 *                 asks it to sync up to the first and the last seq of
 *                 --seqs. Prints
 *                   sched.queue_update    stage events sched applies per
 *                                         second rebuilding its store from
 *                                         the log, with the orders' jobs
 *                                         open: the events from where it
 *                                         was when the first sync was
 *                                         answered (at or past the stage
 *                                         events' start) to the last, over
 *                                         the time between the two answers
 *                 then, caught up, asks for the whole queue (QueueQuery
 *                 without a limit: every open job) --asks times, one at a
 *                 time, and prints
 *                   sched.queue_ms, sched.queue_p99_ms  request sent to
 *                                         answer received, median and p99
 *                 and stops BIN (SIGTERM).
 */
#include <czmq.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "control.pb-c.h"
#include "kclock.h"
#include "kerr.h"

#include "bench_ctl.h"

static const char *s_dir;

/* The log's head: the log daemon's applied (its last durable seq). */
static uint64_t s_head(void)
{
    void *s = bench_dealer(s_dir, "evlog", 60000);
    Kefu__Request req = KEFU__REQUEST__INIT;
    Kefu__StatusRequest st = KEFU__STATUS_REQUEST__INIT;
    req.req_case = KEFU__REQUEST__REQ_STATUS;
    req.status = &st;
    Kefu__Reply *rep;
    uint64_t head = 0;
    if (bench_call(s, &req, &rep, "bench_sched") == 0 && rep->status)
        head = rep->status->applied;
    if (rep)
        kefu__reply__free_unpacked(rep, NULL);
    zmq_close(s);
    return head;
}

/* ---- the load: commands with many in flight ---------------------------------------- */

typedef struct {
    void *socks[64];
    int clients, window;
    uint64_t corr;
    long customers, orders;
    bool stages;  /* stage reports (else orders) */
} s_load_t;

static const Kefu__Stage s_cycle[] = {KEFU__STAGE__STAGE_RECEIVED, KEFU__STAGE__STAGE_PRINTING,
                                      KEFU__STAGE__STAGE_QC, KEFU__STAGE__STAGE_PACKED};

/* Command number i: order add i, or stage report i (order i % orders, the
 * stage of round i / orders). */
static size_t s_next(s_load_t *b, long i, uint8_t *buf)
{
    char id[32], customer[32], by[32];
    Kefu__Request req = KEFU__REQUEST__INIT;
    if (b->stages) {
        snprintf(id, sizeof id, "O-B-%ld", i % b->orders);
        snprintf(by, sizeof by, "worker-%ld", i % 16);
        Kefu__StageReport sr = KEFU__STAGE_REPORT__INIT;
        sr.order = id;
        sr.has_stage = true;
        sr.stage = s_cycle[(i / b->orders) % 4];
        sr.terminal = "T1";
        sr.by = by;
        sr.has_correct = true;
        sr.correct = true;
        req.req_case = KEFU__REQUEST__REQ_STAGE;
        req.stage = &sr;
        return bench_pack(&req, b->corr++, buf);
    }
    snprintf(id, sizeof id, "O-B-%ld", i);
    snprintf(customer, sizeof customer, "B-%ld", i % b->customers);
    Kefu__Order o = KEFU__ORDER__INIT;
    o.id = id;
    o.customer = customer;
    o.has_product = o.has_qty = true;
    o.product = KEFU__PRODUCT__PRODUCT_PRINT;
    o.qty = (uint32_t) (1 + i % 50);
    Kefu__OrderAdd oa = KEFU__ORDER_ADD__INIT;
    oa.order = &o;
    req.req_case = KEFU__REQUEST__REQ_ORDER_ADD;
    req.order_add = &oa;
    return bench_pack(&req, b->corr++, buf);
}

/* bench_next_fn over s_next. */
static size_t s_next_fn(void *arg, long i, uint8_t *buf)
{
    return s_next(arg, i, buf);
}

/* total commands over the clients, each with b->window in flight, each
 * answered by a reply of kind want. Returns commands per second, or -1 on
 * a refusal or a stall. */
static double s_run(s_load_t *b, long total, uint32_t want)
{
    return bench_drive(b->socks, b->clients, b->window, total, want, 0, s_next_fn, b,
                       "bench_sched");
}

static int s_fill(const char *seqs, int clients, int window, long customers, long orders,
                  long stages)
{
    s_load_t b = {.clients = clients, .window = window, .corr = 1, .customers = customers,
                  .orders = orders};
    for (int i = 0; i < clients; i++)
        b.socks[i] = bench_dealer(s_dir, "intake", 60000);
    static const Kefu__Tier tiers[] = {KEFU__TIER__TIER_KEY, KEFU__TIER__TIER_SPECIAL,
                                       KEFU__TIER__TIER_GENERAL};
    for (long i = 0; i < customers; i++) {
        char id[32];
        snprintf(id, sizeof id, "B-%ld", i);
        Kefu__Request req = KEFU__REQUEST__INIT;
        Kefu__CustomerAdd ca = KEFU__CUSTOMER_ADD__INIT;
        Kefu__Customer cu = KEFU__CUSTOMER__INIT;
        cu.id = id;
        cu.name = "Bench Studio";
        cu.has_tier = true;
        cu.tier = tiers[i % 3];
        ca.customer = &cu;
        req.req_case = KEFU__REQUEST__REQ_CUSTOMER_ADD;
        req.customer_add = &ca;
        int rc = bench_call(b.socks[0], &req, NULL, "bench_sched");
        if (rc) {
            fprintf(stderr, "bench_sched: customer add: %s\n", kefu_strerror(rc));
            return 1;
        }
    }
    if (s_run(&b, orders, KEFU__REPLY__REP_ORDER) < 0)
        return 1;
    uint64_t first = s_head();
    for (int i = 0; i < clients; i++) {
        zmq_close(b.socks[i]);
        b.socks[i] = bench_dealer(s_dir, "sched", 60000);
    }
    if (!first || bench_sync(b.socks[0], first, 1, "bench_sched") < first) {
        fprintf(stderr, "bench_sched: sched did not take the orders (log head %llu)\n",
                (unsigned long long) first);
        return 1;
    }
    b.stages = true;
    double rate = s_run(&b, stages, KEFU__REPLY__REP_JOB);
    if (rate < 0)
        return 1;
    printf("sched.stage_commands: %.0f commands/s\n", rate);
    uint64_t last = s_head();
    for (int i = 0; i < clients; i++)
        zmq_close(b.socks[i]);
    FILE *f = fopen(seqs, "w");
    if (!f || fprintf(f, "%llu %llu\n", (unsigned long long) first, (unsigned long long) last) < 0 ||
        fclose(f) != 0) {
        fprintf(stderr, "bench_sched: can't write %s\n", seqs);
        return 1;
    }
    return 0;
}

/* ---- the rebuild and the queue ------------------------------------------------------- */

static double s_pct_ms(int64_t *v, size_t n, double p)
{
    qsort(v, n, sizeof *v, bench_cmp_i64);
    return (double) v[(size_t) (p * (double) (n - 1) + 0.5)] / 1000.0;
}

static int s_queue(void *sock, long asks, long orders)
{
    int64_t *lat = calloc((size_t) asks, sizeof *lat);
    uint8_t buf[64];
    for (long i = 0; i < asks; i++) {
        Kefu__Request req = KEFU__REQUEST__INIT;
        Kefu__QueueQuery q = KEFU__QUEUE_QUERY__INIT;  /* no limit: every open job */
        req.req_case = KEFU__REQUEST__REQ_QUEUE;
        req.queue = &q;
        size_t len = bench_pack(&req, (uint64_t) i + 100, buf);
        zmq_msg_t m;
        zmq_msg_init(&m);
        int64_t t = kclock_mono_us();
        zmq_send(sock, buf, len, 0);
        int got = zmq_msg_recv(&m, sock, 0);
        lat[i] = kclock_mono_us() - t;
        if (got < 0 ||
            bench_reply_field(zmq_msg_data(&m), zmq_msg_size(&m)) != KEFU__REPLY__REP_QUEUE_ITEMS) {
            fprintf(stderr, "bench_sched: queue: no queue in the answer\n");
            zmq_msg_close(&m);
            free(lat);
            return 1;
        }
        if (i == 0) {  /* once: the queue holds every order (decoding is not timed) */
            Kefu__Reply *rep = kefu__reply__unpack(NULL, zmq_msg_size(&m), zmq_msg_data(&m));
            long n = rep && rep->queue_items ? (long) rep->queue_items->n_items : -1;
            kefu__reply__free_unpacked(rep, NULL);
            if (n != orders) {
                fprintf(stderr, "bench_sched: queue: %ld open jobs, not %ld\n", n, orders);
                zmq_msg_close(&m);
                free(lat);
                return 1;
            }
        }
        zmq_msg_close(&m);
    }
    printf("sched.queue_ms: %.2f ms\n", s_pct_ms(lat, (size_t) asks, 0.50));
    printf("sched.queue_p99_ms: %.2f ms\n", s_pct_ms(lat, (size_t) asks, 0.99));
    free(lat);
    return 0;
}

static int s_rebuild(const char *bin, const char *seqs, long asks, long orders)
{
    unsigned long long first = 0, last = 0;
    FILE *f = fopen(seqs, "r");
    if (!f || fscanf(f, "%llu %llu", &first, &last) != 2 || last <= first) {
        fprintf(stderr, "bench_sched: no seqs in %s (run --fill first)\n", seqs);
        if (f)
            fclose(f);
        return 1;
    }
    fclose(f);
    /* Connected (and the first sync queued) before sched starts, so its
     * answer comes as soon as sched passes the orders. */
    void *sock = bench_dealer(s_dir, "sched", 60000);
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
    pid_t pid = fork();
    if (pid == 0) {
        char log[4200];
        snprintf(log, sizeof log, "%s/log/sched-rebuild.log", s_dir);
        FILE *o = freopen(log, "a", stdout);
        (void) o;
        dup2(1, 2);
        execl(bin, bin, "--dir", s_dir, (char *) NULL);
        _exit(127);
    }
    if (pid < 0) {
        fprintf(stderr, "bench_sched: fork failed\n");
        return 1;
    }
    int status = 1;
    zmq_send(sock, buf, len, 0);
    zmq_msg_t m;
    zmq_msg_init(&m);
    Kefu__Reply *rep = NULL;
    int64_t t0 = 0, t1 = 0;
    uint64_t from = 0;
    if (zmq_msg_recv(&m, sock, 0) >= 0) {
        t0 = kclock_mono_us();
        rep = kefu__reply__unpack(NULL, zmq_msg_size(&m), zmq_msg_data(&m));
        from = rep && rep->sync ? rep->sync->applied : 0;
        if (rep && rep->error)
            fprintf(stderr, "bench_sched: sync: %s\n", rep->error->message ? rep->error->message : "?");
        kefu__reply__free_unpacked(rep, NULL);
    }
    zmq_msg_close(&m);
    if (from < first) {
        fprintf(stderr, "bench_sched: kefu-sched did not answer the first sync (%s; see %s/log)\n",
                zmq_strerror(zmq_errno()), s_dir);
        goto out;
    }
    uint64_t to = bench_sync(sock, last, 1, "bench_sched");
    t1 = kclock_mono_us();
    if (to < last) {
        fprintf(stderr, "bench_sched: kefu-sched did not reach %llu\n", last);
        goto out;
    }
    if (last - from < (last - first) / 2) {
        fprintf(stderr, "bench_sched: sched had applied %llu of %llu..%llu at the first answer; "
                        "too few left to time\n", (unsigned long long) from, first, last);
        goto out;
    }
    printf("sched.queue_update: %.0f events/s\n",
           (double) (last - from) / ((double) (t1 - t0) / 1e6));
    fflush(stdout);
    status = s_queue(sock, asks, orders);
    fflush(stdout);
out:
    zmq_close(sock);
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    return status;
}

int main(int argc, char **argv)
{
    const char *rebuild = NULL, *seqs = NULL;
    bool fill = false;
    int clients = 8, window = 32;
    long customers = 50, orders = 10000, stages = 200000, asks = 50;
    static const struct option opts[] = {
        {"dir", 1, 0, 'd'},    {"fill", 0, 0, 'f'},      {"rebuild", 1, 0, 'r'},
        {"seqs", 1, 0, 's'},   {"clients", 1, 0, 'c'},   {"window", 1, 0, 'w'},
        {"orders", 1, 0, 'o'}, {"customers", 1, 0, 'C'}, {"stages", 1, 0, 'n'},
        {"asks", 1, 0, 'a'},   {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd': s_dir = optarg; break;
        case 'f': fill = true; break;
        case 'r': rebuild = optarg; break;
        case 's': seqs = optarg; break;
        case 'c': clients = atoi(optarg); break;
        case 'w': window = atoi(optarg); break;
        case 'o': orders = atol(optarg); break;
        case 'C': customers = atol(optarg); break;
        case 'n': stages = atol(optarg); break;
        case 'a': asks = atol(optarg); break;
        default:
            goto usage;
        }
    }
    if (!s_dir || fill == !!rebuild || !seqs || clients < 1 || clients > 64 ||
        window < 1 || orders < 1 || customers < 1 || stages < 1 || asks < 1)
        goto usage;
    zsys_init();
    return fill ? s_fill(seqs, clients, window, customers, orders, stages)
                : s_rebuild(rebuild, seqs, asks, orders);
usage:
    fprintf(stderr, "usage: bench_sched --dir SITE --fill --seqs FILE [--customers 50] [--orders 10000]"
                    " [--stages 200000] [--clients 8] [--window 32]\n"
                    "       bench_sched --dir SITE --rebuild KEFU-SCHED --seqs FILE [--orders 10000]"
                    " [--asks 50]\n");
    return 2;
}
