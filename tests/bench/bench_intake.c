/* bench_intake.c: intake's figure for `make bench`.
 *
 *   intake.commands   complaint-open commands per second, end to end:
 *                     command in, event durable in the log, applied to
 *                     intake's store, reply out; CLIENTS clients, each a
 *                     DEALER keeping WINDOW commands in flight.
 *
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

static size_t s_pack(Kefu__Request *req, uint64_t corr, uint8_t *buf)
{
    req->has_corr = true;
    req->corr = corr;
    return kefu__request__pack(req, buf);
}

/* One synchronous request (setup). */
static int s_call(void *sock, Kefu__Request *req)
{
    uint8_t buf[1024];
    size_t len = s_pack(req, 1, buf);
    zmq_send(sock, buf, len, 0);
    zmq_msg_t m;
    zmq_msg_init(&m);
    if (zmq_msg_recv(&m, sock, 0) < 0)
        return KEFU_ETIMEOUT;
    Kefu__Reply *rep = kefu__reply__unpack(NULL, zmq_msg_size(&m), zmq_msg_data(&m));
    zmq_msg_close(&m);
    int rc = !rep ? KEFU_EBADREQ : rep->error && rep->error->code != KEFU__ERROR_CODE__ERR_EXISTS
                                        ? kefu_err_from_wire(rep->error->code) : 0;
    kefu__reply__free_unpacked(rep, NULL);
    return rc;
}

int main(int argc, char **argv)
{
    const char *dir = NULL;
    int clients = 8, window = 16;
    long total = 40000;
    static const struct option opts[] = {{"dir", 1, 0, 'd'}, {"clients", 1, 0, 'c'},
                                         {"window", 1, 0, 'w'}, {"total", 1, 0, 'n'}, {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd': dir = optarg; break;
        case 'c': clients = atoi(optarg); break;
        case 'w': window = atoi(optarg); break;
        case 'n': total = atol(optarg); break;
        default:
            fprintf(stderr, "usage: bench_intake --dir SITE [--clients 8] [--window 16] [--total N]\n");
            return 2;
        }
    }
    if (!dir || clients < 1 || clients > 64 || window < 1)
        return 2;
    zsys_init();
    char ep[4200];
    snprintf(ep, sizeof ep, "ipc://%s/run/intake.ctl", dir);
    void *socks[64];
    for (int i = 0; i < clients; i++) {
        socks[i] = zmq_socket(zsys_init(), ZMQ_DEALER);
        int linger = 0, hwm = 100000, tmo = 30000;
        zmq_setsockopt(socks[i], ZMQ_LINGER, &linger, sizeof linger);
        zmq_setsockopt(socks[i], ZMQ_SNDHWM, &hwm, sizeof hwm);
        zmq_setsockopt(socks[i], ZMQ_RCVHWM, &hwm, sizeof hwm);
        zmq_setsockopt(socks[i], ZMQ_RCVTIMEO, &tmo, sizeof tmo);
        zmq_connect(socks[i], ep);
    }
    /* A customer to complain about. */
    Kefu__Request req = KEFU__REQUEST__INIT;
    Kefu__CustomerAdd ca = KEFU__CUSTOMER_ADD__INIT;
    Kefu__Customer cu = KEFU__CUSTOMER__INIT;
    cu.id = "BENCH";
    cu.name = "Bench Studio";
    cu.has_tier = true;
    cu.tier = KEFU__TIER__TIER_KEY;
    ca.customer = &cu;
    req.req_case = KEFU__REQUEST__REQ_CUSTOMER_ADD;
    req.customer_add = &ca;
    int rc = s_call(socks[0], &req);
    if (rc) {
        fprintf(stderr, "bench_intake: customer add: %s\n", kefu_strerror(rc));
        return 1;
    }
    Kefu__CaseOpen co = KEFU__CASE_OPEN__INIT;
    co.customer = "BENCH";
    co.has_kind = co.has_complexity = true;
    co.kind = KEFU__CASE_KIND__CASE_KIND_COLOUR;
    co.complexity = KEFU__COMPLEXITY__COMPLEXITY_SIMPLE;
    co.by = "bench";
    co.text = "prints too red";
    req = (Kefu__Request) KEFU__REQUEST__INIT;
    req.req_case = KEFU__REQUEST__REQ_CASE_OPEN;
    req.case_open = &co;

    long per = total / clients, sent[64] = {0}, done[64] = {0}, all = 0;
    uint64_t corr = 1;
    uint8_t buf[1024];
    zmq_pollitem_t items[64];
    for (int i = 0; i < clients; i++)
        items[i] = (zmq_pollitem_t){socks[i], 0, ZMQ_POLLIN, 0};
    int64_t t0 = kclock_mono_us();
    while (all < per * clients) {
        for (int i = 0; i < clients; i++)
            while (sent[i] < per && sent[i] - done[i] < window) {
                size_t len = s_pack(&req, corr++, buf);
                zmq_send(socks[i], buf, len, 0);
                sent[i]++;
            }
        if (zmq_poll(items, clients, 30000) <= 0) {
            fprintf(stderr, "bench_intake: no answer for 30 s (%ld of %ld done)\n", all, per * clients);
            return 1;
        }
        for (int i = 0; i < clients; i++) {
            if (!(items[i].revents & ZMQ_POLLIN))
                continue;
            zmq_msg_t m;
            zmq_msg_init(&m);
            while (zmq_msg_recv(&m, socks[i], ZMQ_DONTWAIT) >= 0) {
                Kefu__Reply *rep = kefu__reply__unpack(NULL, zmq_msg_size(&m), zmq_msg_data(&m));
                if (!rep || rep->error || rep->rep_case != KEFU__REPLY__REP_CASE) {
                    fprintf(stderr, "bench_intake: refused: %s\n",
                            rep && rep->error && rep->error->message ? rep->error->message : "?");
                    return 1;
                }
                kefu__reply__free_unpacked(rep, NULL);
                done[i]++;
                all++;
            }
            zmq_msg_close(&m);
        }
    }
    double secs = (double) (kclock_mono_us() - t0) / 1e6;
    printf("intake.commands: %.0f commands/s\n", (double) all / secs);
    for (int i = 0; i < clients; i++)
        zmq_close(socks[i]);
    return 0;
}
