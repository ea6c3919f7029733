/* test_ctlclient.c: common/ctlclient.c against a scripted ROUTER.
 *
 * A server thread binds a ROUTER on ipc:// in a fresh temp directory and
 * answers each request as its `actor` field tells it to, so every case
 * lives in the test that sends it:
 *   "echo"     one reply with the request's corr
 *   "stale"    first a reply with another corr, then the right one
 *   "garbage"  bytes that are no kefu.Reply
 *   "late"     the right reply, but only after 300 ms
 *   "silent"   nothing
 *   "delim"    the right reply behind an empty delimiter frame
 *   "error"    the right corr with an error (ERR_NOT_FOUND) in the reply
 * Every reply's StatusReply.pid carries the number of requests the server
 * has seen, so a test can tell which request a reply answers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <zmq.h>

#include "ctlclient.h"
#include "kclock.h"
#include "kerr.h"
#include "ktest.h"

typedef struct {
    char dir[64];
    char endpoint[128];
    void *ctx;
    void *router;
    pthread_t thread;
    atomic_bool stop;
    atomic_int seen;   /* requests received */
} s_server_t;

static void s_send(void *router, zmq_msg_t *id, const void *data, size_t len,
                   bool delim)
{
    zmq_msg_t copy;
    zmq_msg_init(&copy);
    zmq_msg_copy(&copy, id);
    zmq_msg_send(&copy, router, ZMQ_SNDMORE);
    if (delim)
        zmq_send(router, "", 0, ZMQ_SNDMORE);
    zmq_send(router, data, len, 0);
}

static void s_send_reply(void *router, zmq_msg_t *id, uint64_t corr, int seen,
                         bool delim, int err_code)
{
    Kefu__StatusReply st = KEFU__STATUS_REPLY__INIT;
    st.name = "echo";
    st.has_pid = 1;
    st.pid = seen;
    Kefu__Error err = KEFU__ERROR__INIT;
    Kefu__Reply rep = KEFU__REPLY__INIT;
    rep.has_corr = 1;
    rep.corr = corr;
    if (err_code) {
        err.has_code = 1;
        err.code = err_code;
        err.message = "no such thing";
        rep.error = &err;
    } else {
        rep.rep_case = KEFU__REPLY__REP_STATUS;
        rep.status = &st;
    }
    uint8_t buf[256];
    size_t len = kefu__reply__pack(&rep, buf);
    s_send(router, id, buf, len, delim);
}

static void *s_server_main(void *arg)
{
    s_server_t *srv = arg;
    while (!atomic_load(&srv->stop)) {
        zmq_pollitem_t item = {srv->router, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&item, 1, 20) <= 0)
            continue;
        zmq_msg_t id, body;
        zmq_msg_init(&id);
        zmq_msg_init(&body);
        zmq_msg_recv(&id, srv->router, 0);
        zmq_msg_recv(&body, srv->router, 0);
        int seen = atomic_fetch_add(&srv->seen, 1) + 1;
        Kefu__Request *req = kefu__request__unpack(NULL, zmq_msg_size(&body),
                                                   zmq_msg_data(&body));
        const char *what = req && req->actor ? req->actor : "silent";
        uint64_t corr = req ? req->corr : 0;
        if (strcmp(what, "echo") == 0) {
            s_send_reply(srv->router, &id, corr, seen, false, 0);
        } else if (strcmp(what, "stale") == 0) {
            s_send_reply(srv->router, &id, corr - 1, -1, false, 0);
            s_send_reply(srv->router, &id, corr + 7, -1, false, 0);
            s_send_reply(srv->router, &id, corr, seen, false, 0);
        } else if (strcmp(what, "garbage") == 0) {
            /* field 15 with wire type 7: no protobuf parser accepts it */
            s_send(srv->router, &id, "\x7f\xff\xff\xff", 4, false);
        } else if (strcmp(what, "late") == 0) {
            usleep(300 * 1000);
            s_send_reply(srv->router, &id, corr, seen, false, 0);
        } else if (strcmp(what, "delim") == 0) {
            s_send_reply(srv->router, &id, corr, seen, true, 0);
        } else if (strcmp(what, "error") == 0) {
            s_send_reply(srv->router, &id, corr, seen, false,
                         KEFU__ERROR_CODE__ERR_NOT_FOUND);
        }
        if (req)
            kefu__request__free_unpacked(req, NULL);
        zmq_msg_close(&id);
        zmq_msg_close(&body);
    }
    return NULL;
}

static int s_setup(void **state)
{
    s_server_t *srv = calloc(1, sizeof *srv);
    assert_non_null(srv);
    strcpy(srv->dir, "/tmp/kefu-ctlclient.XXXXXX");
    assert_non_null(mkdtemp(srv->dir));
    snprintf(srv->endpoint, sizeof srv->endpoint, "ipc://%s/t.ctl", srv->dir);
    srv->ctx = zmq_ctx_new();
    srv->router = zmq_socket(srv->ctx, ZMQ_ROUTER);
    int zero = 0;
    zmq_setsockopt(srv->router, ZMQ_LINGER, &zero, sizeof zero);
    assert_int_equal(zmq_bind(srv->router, srv->endpoint), 0);
    assert_int_equal(pthread_create(&srv->thread, NULL, s_server_main, srv), 0);
    *state = srv;
    return 0;
}

static int s_teardown(void **state)
{
    s_server_t *srv = *state;
    atomic_store(&srv->stop, true);
    pthread_join(srv->thread, NULL);
    zmq_close(srv->router);
    zmq_ctx_term(srv->ctx);
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/t.ctl", srv->dir);
    unlink(path);
    rmdir(srv->dir);
    free(srv);
    return 0;
}

/* One StatusRequest with actor `what`. */
static int s_call(ctlclient_t *c, const char *what, Kefu__Reply **rep,
                  int timeout_ms, uint64_t *corr_out)
{
    Kefu__StatusRequest st = KEFU__STATUS_REQUEST__INIT;
    Kefu__Request req = KEFU__REQUEST__INIT;
    req.actor = (char *) what;
    req.req_case = KEFU__REQUEST__REQ_STATUS;
    req.status = &st;
    int rc = ctlclient_call(c, &req, rep, timeout_ms);
    if (corr_out)
        *corr_out = req.corr;
    return rc;
}

static void test_new_rejects_malformed(void **state)
{
    (void) state;
    assert_null(ctlclient_new(""));
    assert_null(ctlclient_new("nowhere"));
    assert_null(ctlclient_new("ipc://"));
    assert_null(ctlclient_new("carrier-pigeon://loft"));
    ctlclient_destroy(NULL);
    ctlclient_t *none = NULL;
    ctlclient_destroy(&none);
}

static void test_echo_corr_matches(void **state)
{
    s_server_t *srv = *state;
    ctlclient_t *c = ctlclient_new(srv->endpoint);
    assert_non_null(c);
    uint64_t prev = 0;
    for (int i = 1; i <= 3; i++) {
        Kefu__Reply *rep = NULL;
        uint64_t corr = 0;
        assert_rc(s_call(c, "echo", &rep, 2000, &corr), 0);
        assert_non_null(rep);
        assert_true(corr > prev);   /* a fresh corr for every call */
        prev = corr;
        assert_true(rep->has_corr);
        assert_int_equal(rep->corr, corr);
        assert_int_equal(rep->rep_case, KEFU__REPLY__REP_STATUS);
        assert_string_equal(rep->status->name, "echo");
        assert_int_equal(rep->status->pid, i);
        kefu__reply__free_unpacked(rep, NULL);
    }
    ctlclient_destroy(&c);
    assert_null(c);
}

static void test_stale_replies_dropped(void **state)
{
    s_server_t *srv = *state;
    ctlclient_t *c = ctlclient_new(srv->endpoint);
    Kefu__Reply *rep = NULL;
    uint64_t corr = 0;
    assert_rc(s_call(c, "stale", &rep, 2000, &corr), 0);
    /* the two foreign corrs came first and were skipped */
    assert_int_equal(rep->corr, corr);
    assert_int_equal(rep->status->pid, 1);
    kefu__reply__free_unpacked(rep, NULL);
    ctlclient_destroy(&c);
}

static void test_timeout_then_late_reply_ignored(void **state)
{
    s_server_t *srv = *state;
    ctlclient_t *c = ctlclient_new(srv->endpoint);
    Kefu__Reply *rep = NULL;
    int64_t t0 = kclock_mono_us();
    assert_rc(s_call(c, "late", &rep, 100, NULL), KEFU_ETIMEOUT);
    int64_t took = kclock_mono_us() - t0;
    assert_null(rep);
    assert_true(took >= 90 * 1000 && took < 290 * 1000);

    /* The server answers request 1 at 300 ms, then serves request 2; the
     * reply we get must be request 2's (pid 2), never the late one. */
    uint64_t corr = 0;
    assert_rc(s_call(c, "echo", &rep, 2000, &corr), 0);
    assert_int_equal(rep->corr, corr);
    assert_int_equal(rep->status->pid, 2);
    kefu__reply__free_unpacked(rep, NULL);

    /* and nothing else is waiting: a silent request times out cleanly */
    assert_rc(s_call(c, "silent", &rep, 400, NULL), KEFU_ETIMEOUT);
    assert_null(rep);
    ctlclient_destroy(&c);
}

static void test_garbage_is_badreq(void **state)
{
    s_server_t *srv = *state;
    ctlclient_t *c = ctlclient_new(srv->endpoint);
    Kefu__Reply *rep = NULL;
    assert_rc(s_call(c, "garbage", &rep, 2000, NULL), KEFU_EBADREQ);
    assert_null(rep);
    /* the client stays usable */
    assert_rc(s_call(c, "echo", &rep, 2000, NULL), 0);
    assert_int_equal(rep->status->pid, 2);
    kefu__reply__free_unpacked(rep, NULL);
    ctlclient_destroy(&c);
}

static void test_delimiter_and_error_reply(void **state)
{
    s_server_t *srv = *state;
    ctlclient_t *c = ctlclient_new(srv->endpoint);
    Kefu__Reply *rep = NULL;
    uint64_t corr = 0;
    assert_rc(s_call(c, "delim", &rep, 2000, &corr), 0);
    assert_int_equal(rep->corr, corr);
    kefu__reply__free_unpacked(rep, NULL);

    /* a daemon's refusal is a reply, not a client error */
    assert_rc(s_call(c, "error", &rep, 2000, &corr), 0);
    assert_int_equal(rep->corr, corr);
    assert_non_null(rep->error);
    assert_int_equal(kefu_err_from_wire(rep->error->code), KEFU_ENOTFOUND);
    kefu__reply__free_unpacked(rep, NULL);
    ctlclient_destroy(&c);
}

static void test_no_daemon_times_out(void **state)
{
    s_server_t *srv = *state;
    char ep[160];
    snprintf(ep, sizeof ep, "ipc://%s/nobody.ctl", srv->dir);
    ctlclient_t *c = ctlclient_new(ep);
    assert_non_null(c);
    Kefu__Reply *rep = NULL;
    assert_rc(s_call(c, "echo", &rep, 100, NULL), KEFU_ETIMEOUT);
    assert_rc(s_call(c, "echo", &rep, 0, NULL), KEFU_ETIMEOUT);
    assert_null(rep);
    ctlclient_destroy(&c);
    assert_int_equal(atomic_load(&srv->seen), 0);
}

/* ctlclient_nobody_listens: a missing file and a stale one (bound, then
 * closed: what a killed daemon leaves) say so at once; a live ROUTER and
 * non-ipc endpoints do not, and the probe's connection disturbs nothing. */
static void test_nobody_listens(void **state)
{
    s_server_t *srv = *state;
    assert_false(ctlclient_nobody_listens(srv->endpoint));

    char ep[160];
    snprintf(ep, sizeof ep, "ipc://%s/nobody.ctl", srv->dir);
    assert_true(ctlclient_nobody_listens(ep));
    snprintf(ep, sizeof ep, "ipc://%s/no-such-dir/x.ctl", srv->dir);
    assert_true(ctlclient_nobody_listens(ep));

    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s/stale.ctl", srv->dir);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *) &sa, sizeof sa), 0);
    close(fd);   /* the file stays, nobody listens */
    assert_int_equal(access(sa.sun_path, F_OK), 0);
    snprintf(ep, sizeof ep, "ipc://%s", sa.sun_path);
    int64_t t0 = kclock_mono_us();
    assert_true(ctlclient_nobody_listens(ep));
    assert_true(kclock_mono_us() - t0 < 100000);
    unlink(sa.sun_path);

    assert_false(ctlclient_nobody_listens("tcp://127.0.0.1:1"));
    assert_false(ctlclient_nobody_listens("inproc://x"));

    /* The live server still answers, and saw no request from the probe. */
    ctlclient_t *c = ctlclient_new(srv->endpoint);
    assert_non_null(c);
    Kefu__Reply *rep = NULL;
    assert_rc(s_call(c, "echo", &rep, 2000, NULL), 0);
    assert_int_equal(rep->status->pid, 1);
    kefu__reply__free_unpacked(rep, NULL);
    ctlclient_destroy(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_new_rejects_malformed),
        cmocka_unit_test_setup_teardown(test_echo_corr_matches, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_stale_replies_dropped, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_timeout_then_late_reply_ignored, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_garbage_is_badreq, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_delimiter_and_error_reply, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_no_daemon_times_out, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_nobody_listens, s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
