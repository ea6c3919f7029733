/* bench_intake.c: intake's figures for `make bench`.
 *
 *   intake.commands        complaint-open commands per second, end to
 *                          end: command in, event durable in the log,
 *                          applied to intake's store, reply out; CLIENTS
 *                          clients, each a DEALER keeping WINDOW commands
 *                          in flight (--total, 40,000 from an empty store).
 *   intake.mixed_commands  the same with 5% of the commands register
 *                          queries (`complaints` newest 50: no filter, by
 *                          owner, customer, kind, state, owner and kind),
 *                          once the store holds --cases cases (70,000).
 *
 * The cases rotate over 8 owners, 50 customers and the 6 kinds, so every
 * filter of a query has many matches spread over the whole register.
 * Runs against a live site (tests/bench/run.sh starts one).
 */
#include <czmq.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control.pb-c.h"
#include "kclock.h"
#include "kerr.h"

#include "bench_ctl.h"

#define S_OWNERS 8
#define S_CUSTOMERS 50

typedef struct {
    void *socks[64];
    int clients, window;
    uint64_t corr;
    long opened;  /* case opens sent so far: picks owner, customer, kind */
    bool mixed;   /* this run's: with register queries */
} s_bench_t;

/* Request number i of a run: a case open, or with a 1-in-20 share (mixed)
 * a register query. Packs it into buf; returns its length. */
static size_t s_next(s_bench_t *b, long i, bool mixed, uint8_t *buf)
{
    char owner[16], customer[16];
    Kefu__Request req = KEFU__REQUEST__INIT;
    if (mixed && i % 20 == 19) {
        long n = i / 20;
        Kefu__CaseQuery q = KEFU__CASE_QUERY__INIT;
        q.has_limit = true;
        q.limit = 50;
        snprintf(owner, sizeof owner, "staff-%ld", n % S_OWNERS);
        snprintf(customer, sizeof customer, "B-%ld", n % S_CUSTOMERS);
        switch (n % 6) {
        case 1: q.owner = owner; break;
        case 2: q.customer = customer; break;
        case 3: q.has_kind = true; q.kind = (Kefu__CaseKind) (1 + n % 6); break;
        case 4: q.has_state = true; q.state = KEFU__CASE_STATE__CASE_STATE_OPEN; break;
        case 5: q.owner = owner; q.has_kind = true; q.kind = (Kefu__CaseKind) (1 + n % 5); break;
        default: break;  /* the newest 50 */
        }
        req.req_case = KEFU__REQUEST__REQ_CASE_QUERY;
        req.case_query = &q;
        return bench_pack(&req, b->corr++, buf);
    }
    long k = b->opened++;
    snprintf(owner, sizeof owner, "staff-%ld", k % S_OWNERS);
    snprintf(customer, sizeof customer, "B-%ld", k % S_CUSTOMERS);
    Kefu__CaseOpen co = KEFU__CASE_OPEN__INIT;
    co.customer = customer;
    co.has_kind = co.has_complexity = true;
    co.kind = (Kefu__CaseKind) (1 + k % 6);
    co.complexity = KEFU__COMPLEXITY__COMPLEXITY_SIMPLE;
    co.by = owner;
    co.text = "prints too red";
    req.req_case = KEFU__REQUEST__REQ_CASE_OPEN;
    req.case_open = &co;
    return bench_pack(&req, b->corr++, buf);
}

/* bench_next_fn over s_next. */
static size_t s_next_fn(void *arg, long i, uint8_t *buf)
{
    s_bench_t *b = arg;
    return s_next(b, i, b->mixed, buf);
}

/* total commands over the clients, each with b->window in flight.
 * Returns commands per second, or -1 on a refusal or a stall. */
static double s_run(s_bench_t *b, long total, bool mixed)
{
    b->mixed = mixed;
    return bench_drive(b->socks, b->clients, b->window, total, KEFU__REPLY__REP_CASE,
                       KEFU__REPLY__REP_CASES, s_next_fn, b, "bench_intake");
}

int main(int argc, char **argv)
{
    const char *dir = NULL;
    int clients = 8, window = 16;
    long total = 40000, cases = 70000, mixed = 40000;
    static const struct option opts[] = {{"dir", 1, 0, 'd'},   {"clients", 1, 0, 'c'},
                                         {"window", 1, 0, 'w'}, {"total", 1, 0, 'n'},
                                         {"cases", 1, 0, 'C'},  {"mixed", 1, 0, 'm'},
                                         {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd': dir = optarg; break;
        case 'c': clients = atoi(optarg); break;
        case 'w': window = atoi(optarg); break;
        case 'n': total = atol(optarg); break;
        case 'C': cases = atol(optarg); break;
        case 'm': mixed = atol(optarg); break;
        default:
            fprintf(stderr, "usage: bench_intake --dir SITE [--clients 8] [--window 16] [--total N]"
                            " [--cases N] [--mixed N]\n");
            return 2;
        }
    }
    if (!dir || clients < 1 || clients > 64 || window < 1)
        return 2;
    zsys_init();
    char ep[4200];
    snprintf(ep, sizeof ep, "ipc://%s/run/intake.ctl", dir);
    s_bench_t b = {.clients = clients, .window = window, .corr = 1};
    for (int i = 0; i < clients; i++) {
        b.socks[i] = zmq_socket(zsys_init(), ZMQ_DEALER);
        int linger = 0, hwm = 100000, tmo = 30000;
        zmq_setsockopt(b.socks[i], ZMQ_LINGER, &linger, sizeof linger);
        zmq_setsockopt(b.socks[i], ZMQ_SNDHWM, &hwm, sizeof hwm);
        zmq_setsockopt(b.socks[i], ZMQ_RCVHWM, &hwm, sizeof hwm);
        zmq_setsockopt(b.socks[i], ZMQ_RCVTIMEO, &tmo, sizeof tmo);
        zmq_connect(b.socks[i], ep);
    }
    /* Customers to complain about. */
    for (int i = 0; i < S_CUSTOMERS; i++) {
        char id[16];
        snprintf(id, sizeof id, "B-%d", i);
        Kefu__Request req = KEFU__REQUEST__INIT;
        Kefu__CustomerAdd ca = KEFU__CUSTOMER_ADD__INIT;
        Kefu__Customer cu = KEFU__CUSTOMER__INIT;
        cu.id = id;
        cu.name = "Bench Studio";
        cu.has_tier = true;
        cu.tier = KEFU__TIER__TIER_KEY;
        ca.customer = &cu;
        req.req_case = KEFU__REQUEST__REQ_CUSTOMER_ADD;
        req.customer_add = &ca;
        int rc = bench_call(b.socks[0], &req, NULL, NULL);
        if (rc) {
            fprintf(stderr, "bench_intake: customer add: %s\n", kefu_strerror(rc));
            return 1;
        }
    }
    double rate = s_run(&b, total, false);
    if (rate < 0)
        return 1;
    printf("intake.commands: %.0f commands/s\n", rate);
    fflush(stdout);
    if (mixed > 0) {
        if (b.opened < cases && s_run(&b, cases - b.opened, false) < 0)  /* fill the register */
            return 1;
        if ((rate = s_run(&b, mixed, true)) < 0)
            return 1;
        printf("intake.mixed_commands: %.0f commands/s\n", rate);
    }
    for (int i = 0; i < clients; i++)
        zmq_close(b.socks[i]);
    return 0;
}
