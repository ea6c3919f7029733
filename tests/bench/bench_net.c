/* bench_net.c: the remote endpoint's figures for `make bench`.
 *
 *   net.append_ipc_p50     us, the median of one acknowledged command (a
 *                          complaint opened: durable in the log, applied
 *                          by intake, answered) from a local client on
 *                          intake's ipc control socket, one at a time;
 *   net.append_remote_p50  the same from a remote client: CURVE over
 *                          loopback TCP to kefu-net, which checks the key
 *                          and routes the request to intake.
 *
 *   bench_net --dir DIR --endpoint tcp://127.0.0.1:PORT --key FILE [--total N]
 *
 * Runs against a live site with net.listen set and a staff key made
 * (tests/bench/run.sh), after bench_intake (its customers B-0..B-49).
 */
#include <czmq.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control.pb-c.h"
#include "kclock.h"
#include "kerr.h"
#include "keyfile.h"

#include "bench_ctl.h"

static int s_cmp(const void *a, const void *b)
{
    int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
    return x < y ? -1 : x > y;
}

/* n commands on sock, one at a time; the median latency in us, or -1. */
static double s_p50(void *sock, int n, const char *who)
{
    int64_t *lat = calloc((size_t) n, sizeof *lat);
    if (!lat)
        return -1;
    for (int i = 0; i < n; i++) {
        char customer[16];
        snprintf(customer, sizeof customer, "B-%d", i % 50);
        Kefu__Request req = KEFU__REQUEST__INIT;
        Kefu__CaseOpen co = KEFU__CASE_OPEN__INIT;
        co.customer = customer;
        co.has_kind = co.has_complexity = true;
        co.kind = KEFU__CASE_KIND__CASE_KIND_COLOUR;
        co.complexity = KEFU__COMPLEXITY__COMPLEXITY_SIMPLE;
        co.by = "staff-net";
        co.text = "prints too red";
        req.req_case = KEFU__REQUEST__REQ_CASE_OPEN;
        req.case_open = &co;
        req.actor = co.by;   /* a staff key for no one person: the client names who acts */
        int64_t t0 = kclock_mono_us();
        if (bench_call(sock, &req, NULL, who) != 0) {
            free(lat);
            return -1;
        }
        lat[i] = kclock_mono_us() - t0;
    }
    qsort(lat, (size_t) n, sizeof *lat, s_cmp);
    double p50 = (double) lat[n / 2];
    free(lat);
    return p50;
}

int main(int argc, char **argv)
{
    const char *dir = NULL, *endpoint = NULL, *key_file = NULL;
    int total = 2000;
    static const struct option opts[] = {
        {"dir", required_argument, NULL, 'd'},
        {"endpoint", required_argument, NULL, 'e'},
        {"key", required_argument, NULL, 'k'},
        {"total", required_argument, NULL, 'n'},
        {0},
    };
    int opt;
    while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (opt) {
        case 'd': dir = optarg; break;
        case 'e': endpoint = optarg; break;
        case 'k': key_file = optarg; break;
        case 'n': total = atoi(optarg); break;
        default: return 2;
        }
    }
    if (!dir || !endpoint || !key_file || total < 10) {
        fprintf(stderr, "usage: bench_net --dir DIR --endpoint E --key FILE [--total N]\n");
        return 2;
    }
    keyfile_t key;
    char err[512];
    if (keyfile_load(key_file, &key, err, sizeof err) != 0) {
        fprintf(stderr, "bench_net: %s\n", err);
        return 1;
    }
    void *local = bench_dealer(dir, "intake", 30000);
    void *remote = zmq_socket(zsys_init(), ZMQ_DEALER);
    int linger = 0, rcvtimeo = 30000;
    zmq_setsockopt(remote, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(remote, ZMQ_RCVTIMEO, &rcvtimeo, sizeof rcvtimeo);
    zmq_setsockopt(remote, ZMQ_CURVE_SERVERKEY, key.site_key, 40);
    zmq_setsockopt(remote, ZMQ_CURVE_PUBLICKEY, key.public_key, 40);
    zmq_setsockopt(remote, ZMQ_CURVE_SECRETKEY, key.secret_key, 40);
    zmq_connect(remote, endpoint);
    /* warm both paths (connections, the handshake) before measuring */
    double ipc = -1, net = -1;
    if (s_p50(local, 20, "bench_net ipc") < 0 || s_p50(remote, 20, "bench_net remote") < 0)
        fprintf(stderr, "bench_net: a warm-up command was refused or not answered\n");
    else {
        ipc = s_p50(local, total, "bench_net ipc");
        net = s_p50(remote, total, "bench_net remote");
    }
    if (ipc >= 0 && net >= 0) {
        printf("net.append_ipc_p50: %.0f us\n", ipc);
        printf("net.append_remote_p50: %.0f us\n", net);
    }
    /* closed before exit: CZMQ's context waits for its sockets at exit */
    zmq_close(local);
    zmq_close(remote);
    return ipc >= 0 && net >= 0 ? 0 : 1;
}
