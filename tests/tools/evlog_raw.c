/* evlog_raw.c: a third-party log client for shell tests, written from
 * docs/protocol.md alone: one DEALER on DIR/run/evlog.sock, one
 * LogRequest, one LogReply. It does not use the site's log client
 * (common/evlog_client.c) and knows no site secret, so it is what any
 * local program can send: the impostor of issue 11.
 *
 *   evlog_raw --dir DIR hello PRODUCER
 *   evlog_raw --dir DIR append PRODUCER PSEQ probe
 *   evlog_raw --dir DIR append PRODUCER PSEQ customer_registered ID
 *   evlog_raw --dir DIR append PRODUCER PSEQ clock_advanced FROM_US TO_US
 *
 * Prints one line: "ok last=N head=H" (hello), "ok seq=S" (append), or
 * "error NAME: MESSAGE" (NAME as kefuctl prints it: forbidden, gap...)
 * and exits 1; exits 3 when the log does not answer within 5 s, 2 on a
 * usage error.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "event.pb-c.h"
#include "evlog.pb-c.h"
#include "intake.pb-c.h"
#include "kerr.h"
#include "site.h"

#define S_AT 1795395600000000LL   /* 2026-11-23T09:00:00+08:00 */

static int s_usage(void)
{
    fprintf(stderr, "usage: evlog_raw --dir DIR hello PRODUCER\n"
                    "       evlog_raw --dir DIR append PRODUCER PSEQ "
                    "probe | customer_registered ID | clock_advanced FROM_US TO_US\n");
    return 2;
}

int main(int argc, char **argv)
{
    const char *dir = NULL;
    static const struct option opts[] = {{"dir", 1, 0, 'd'}, {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c != 'd')
            return s_usage();
        dir = optarg;
    }
    argc -= optind;
    argv += optind;
    if (!dir || argc < 2)
        return s_usage();
    bool hello = strcmp(argv[0], "hello") == 0;
    if (!hello && (strcmp(argv[0], "append") != 0 || argc < 4))
        return s_usage();

    Kefu__LogRequest req = KEFU__LOG_REQUEST__INIT;
    Kefu__HelloRequest hr = KEFU__HELLO_REQUEST__INIT;
    Kefu__AppendRequest ar = KEFU__APPEND_REQUEST__INIT;
    Kefu__Envelope ev = KEFU__ENVELOPE__INIT;
    Kefu__Probe probe = KEFU__PROBE__INIT;
    Kefu__CustomerRegistered cr = KEFU__CUSTOMER_REGISTERED__INIT;
    Kefu__Customer cust = KEFU__CUSTOMER__INIT;
    Kefu__ClockAdvanced ca = KEFU__CLOCK_ADVANCED__INIT;
    ProtobufCBinaryData packed = {0, NULL};
    req.has_corr = true;
    req.corr = 1;
    if (hello) {
        hr.producer = argv[1];
        req.req_case = KEFU__LOG_REQUEST__REQ_HELLO;
        req.hello = &hr;
    } else {
        ev.producer = argv[1];
        ev.has_producer_seq = ev.has_at = true;
        ev.producer_seq = strtoull(argv[2], NULL, 10);
        ev.at = S_AT;
        const char *type = argv[3];
        if (strcmp(type, "probe") == 0) {
            ev.body_case = KEFU__ENVELOPE__BODY_PROBE;
            ev.probe = &probe;
        } else if (strcmp(type, "customer_registered") == 0 && argc >= 5) {
            cust.id = argv[4];
            cust.name = "Impostor";
            cust.has_tier = cust.has_registered_at = cust.has_updated_at = true;
            cust.tier = KEFU__TIER__TIER_KEY;
            cust.registered_at = cust.updated_at = S_AT;
            cr.customer = &cust;
            ev.body_case = KEFU__ENVELOPE__BODY_CUSTOMER_REGISTERED;
            ev.customer_registered = &cr;
        } else if (strcmp(type, "clock_advanced") == 0 && argc >= 6) {
            ca.has_from = ca.has_to = true;
            ca.from = strtoll(argv[4], NULL, 10);
            ca.to = strtoll(argv[5], NULL, 10);
            ev.at = ca.from;
            ev.body_case = KEFU__ENVELOPE__BODY_CLOCK_ADVANCED;
            ev.clock_advanced = &ca;
        } else
            return s_usage();
        packed.len = kefu__envelope__get_packed_size(&ev);
        packed.data = malloc(packed.len);
        kefu__envelope__pack(&ev, packed.data);
        ar.n_events = 1;
        ar.events = &packed;
        req.req_case = KEFU__LOG_REQUEST__REQ_APPEND;
        req.append = &ar;
    }
    size_t len = kefu__log_request__get_packed_size(&req);
    uint8_t *buf = malloc(len);
    kefu__log_request__pack(&req, buf);
    free(packed.data);

    char ep[256];
    if (site_endpoint(dir, "evlog", "sock", ep, sizeof ep) != 0) {
        fprintf(stderr, "evlog_raw: site path too long\n");
        return 2;
    }
    void *ctx = zmq_ctx_new();
    void *sock = zmq_socket(ctx, ZMQ_DEALER);
    int linger = 0, timeo = 5000;
    zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(sock, ZMQ_RCVTIMEO, &timeo, sizeof timeo);
    int rc = 3;
    zmq_msg_t m;
    zmq_msg_init(&m);
    if (zmq_connect(sock, ep) == 0 && zmq_send(sock, buf, len, 0) >= 0 &&
        zmq_msg_recv(&m, sock, 0) >= 0) {
        Kefu__LogReply *rep = kefu__log_reply__unpack(NULL, zmq_msg_size(&m), zmq_msg_data(&m));
        if (!rep) {
            printf("error undecodable: the reply is not a LogReply\n");
            rc = 1;
        } else if (rep->error && rep->error->code != KEFU__ERROR_CODE__ERR_NONE) {
            printf("error %s: %s\n", kefu_errname(kefu_err_from_wire(rep->error->code)),
                   rep->error->message ? rep->error->message : "");
            rc = 1;
        } else if (hello && rep->rep_case == KEFU__LOG_REPLY__REP_HELLO) {
            printf("ok last=%" PRIu64 " head=%" PRIu64 "\n", rep->hello->last_producer_seq,
                   rep->hello->head);
            rc = 0;
        } else if (!hello && rep->rep_case == KEFU__LOG_REPLY__REP_APPEND &&
                   rep->append->n_seqs == 1) {
            printf("ok seq=%" PRIu64 "\n", rep->append->seqs[0]);
            rc = 0;
        } else {
            printf("error unexpected: a reply of another kind\n");
            rc = 1;
        }
        kefu__log_reply__free_unpacked(rep, NULL);
    } else
        fprintf(stderr, "evlog_raw: no answer from %s\n", ep);
    zmq_msg_close(&m);
    free(buf);
    zmq_close(sock);
    zmq_ctx_term(ctx);
    return rc;
}
