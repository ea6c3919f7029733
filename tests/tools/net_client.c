/* net_client.c: a remote client the real ones can't be, for the remote
 * endpoint's tests (tests/integration/test_net.sh).
 *
 *   net_client plain ENDPOINT          no CURVE at all
 *   net_client stranger ENDPOINT SITEKEY
 *                                      CURVE with a fresh key pair the site
 *                                      never enrolled
 *
 * Each sends one StatusRequest (to evlog) and waits a second: prints
 * "answered" (exit 0) or "no answer" (exit 3). A site that refuses the
 * client must leave it with no answer: nothing it sends is read.
 */
#include <stdio.h>
#include <string.h>
#include <zmq.h>

#include "control.pb-c.h"

int main(int argc, char **argv)
{
    if (argc < 3 || (strcmp(argv[1], "stranger") == 0 && argc < 4)) {
        fprintf(stderr, "usage: net_client plain ENDPOINT | stranger ENDPOINT SITEKEY\n");
        return 2;
    }
    void *ctx = zmq_ctx_new();
    void *s = zmq_socket(ctx, ZMQ_DEALER);
    int zero = 0;
    zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
    if (strcmp(argv[1], "stranger") == 0) {
        char pub[41], sec[41];
        zmq_curve_keypair(pub, sec);
        zmq_setsockopt(s, ZMQ_CURVE_SERVERKEY, argv[3], 40);
        zmq_setsockopt(s, ZMQ_CURVE_PUBLICKEY, pub, 40);
        zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, sec, 40);
    }
    zmq_connect(s, argv[2]);
    Kefu__Request req = KEFU__REQUEST__INIT;
    Kefu__StatusRequest st = KEFU__STATUS_REQUEST__INIT;
    req.req_case = KEFU__REQUEST__REQ_STATUS;
    req.status = &st;
    req.to = "evlog";
    req.has_corr = 1;
    req.corr = 1;
    uint8_t buf[256];
    size_t len = kefu__request__pack(&req, buf);
    zmq_send(s, buf, len, ZMQ_DONTWAIT);
    zmq_pollitem_t it = {s, 0, ZMQ_POLLIN, 0};
    int rc = zmq_poll(&it, 1, 1000);
    puts(rc > 0 ? "answered" : "no answer");
    zmq_close(s);
    zmq_ctx_term(ctx);
    return rc > 0 ? 0 : 3;
}
