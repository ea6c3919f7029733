/* fake_daemon.c: a stand-in kefu daemon for testing `kefu up`, and a
 * one-shot status client for shell tests.
 *
 * As a daemon (run through a symlink named kefu-NAME, or with --name):
 *   fake_daemon [--name NAME] --dir DIR [--config FILE] [--set S.K=V]...
 * takes the flags every kefu daemon takes (kdaemon.h), refuses others
 * with exit 2, logs its arguments on stderr, binds a ROUTER on
 * site_endpoint(DIR, NAME, "ctl") and answers StatusRequest (name, pid,
 * start time, the site clock) and StopRequest (then exits); anything else
 * gets ERR_UNSUPPORTED. SIGTERM/SIGINT end it with exit 0.
 * For failure tests, environment variables naming the daemon:
 *   FAKE_DAEMON_FAIL=NAME   exit 3 at once, saying so on stderr
 *   FAKE_DAEMON_MUTE=NAME   bind but never answer
 *
 * As a client:
 *   fake_daemon status --dir DIR NAME [--timeout MS]
 * asks daemon NAME for its status and prints "pid=P sim=0|1 now=USEC"
 * (exit 0), or exits 3 if it does not answer within MS (default 1000).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "control.pb-c.h"
#include "ctlclient.h"
#include "kclock.h"
#include "kerr.h"
#include "site.h"

static volatile sig_atomic_t s_stop;

static void s_on_signal(int sig)
{
    (void) sig;
    s_stop = 1;
}

static bool s_env_names(const char *var, const char *name)
{
    const char *v = getenv(var);
    return v && strcmp(v, name) == 0;
}

static int s_status(int argc, char **argv)
{
    static const struct option opts[] = {
        {"dir", required_argument, NULL, 'd'},
        {"timeout", required_argument, NULL, 't'},
        {NULL, 0, NULL, 0},
    };
    const char *dir = NULL;
    int timeout = 1000;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'd')
            dir = optarg;
        else if (c == 't')
            timeout = atoi(optarg);
        else
            return 2;
    }
    if (optind != argc - 1) {
        fprintf(stderr, "usage: fake_daemon status --dir DIR NAME [--timeout MS]\n");
        return 2;
    }
    char site[PATH_MAX], ep[256];
    if (site_dir(dir, site, sizeof site) != 0
        || site_endpoint(site, argv[optind], "ctl", ep, sizeof ep) != 0)
        return 2;
    ctlclient_t *client = ctlclient_new(ep);
    if (!client)
        return 2;
    Kefu__StatusRequest st = KEFU__STATUS_REQUEST__INIT;
    Kefu__Request req = KEFU__REQUEST__INIT;
    req.req_case = KEFU__REQUEST__REQ_STATUS;
    req.status = &st;
    Kefu__Reply *rep = NULL;
    int rc = ctlclient_call(client, &req, &rep, timeout);
    ctlclient_destroy(&client);
    if (rc != 0) {
        fprintf(stderr, "fake_daemon status: %s: %s\n", ep, kefu_strerror(rc));
        return 3;
    }
    int status = 0;
    if (rep->rep_case == KEFU__REPLY__REP_STATUS) {
        Kefu__StatusReply *s = rep->status;
        printf("pid=%" PRId64 " sim=%d now=%" PRId64 "\n", (int64_t) s->pid,
               s->has_sim_clock && s->sim_clock ? 1 : 0, (int64_t) s->now);
    } else {
        fprintf(stderr, "fake_daemon status: %s answered without a status\n", ep);
        status = 1;
    }
    kefu__reply__free_unpacked(rep, NULL);
    return status;
}

/* Answers one request; sets *quit on StopRequest. */
static void s_answer(void *router, const char *name, kclock_t *clock,
                     int64_t started, bool *quit)
{
    zmq_msg_t id, body;
    zmq_msg_init(&id);
    zmq_msg_init(&body);
    if (zmq_msg_recv(&id, router, 0) < 0 || !zmq_msg_more(&id)
        || zmq_msg_recv(&body, router, 0) < 0) {
        zmq_msg_close(&id);
        zmq_msg_close(&body);
        return;
    }
    Kefu__Request *req = kefu__request__unpack(NULL, zmq_msg_size(&body),
                                               zmq_msg_data(&body));
    Kefu__Reply rep = KEFU__REPLY__INIT;
    Kefu__StatusReply st = KEFU__STATUS_REPLY__INIT;
    Kefu__StopReply stop = KEFU__STOP_REPLY__INIT;
    Kefu__Error err = KEFU__ERROR__INIT;
    if (req) {
        rep.has_corr = 1;
        rep.corr = req->corr;
    }
    if (req && req->req_case == KEFU__REQUEST__REQ_STATUS) {
        st.name = (char *) name;
        st.has_pid = 1;
        st.pid = (uint32_t) getpid();
        st.has_started = 1;
        st.started = started;
        st.has_now = 1;
        st.now = kclock_now(clock);
        st.has_sim_clock = 1;
        st.sim_clock = kclock_is_sim(clock);
        rep.rep_case = KEFU__REPLY__REP_STATUS;
        rep.status = &st;
    } else if (req && req->req_case == KEFU__REQUEST__REQ_STOP) {
        rep.rep_case = KEFU__REPLY__REP_STOP;
        rep.stop = &stop;
        *quit = true;
    } else {
        err.has_code = 1;
        err.code = req ? KEFU__ERROR_CODE__ERR_UNSUPPORTED
                       : KEFU__ERROR_CODE__ERR_BAD_REQUEST;
        err.message = "the fake daemon serves status and stop only";
        rep.error = &err;
    }
    uint8_t buf[512];
    size_t len = kefu__reply__pack(&rep, buf);
    zmq_msg_send(&id, router, ZMQ_SNDMORE);
    zmq_send(router, buf, len, 0);
    if (req)
        kefu__request__free_unpacked(req, NULL);
    zmq_msg_close(&id);
    zmq_msg_close(&body);
}

static int s_daemon(int argc, char **argv)
{
    static const struct option opts[] = {
        {"name", required_argument, NULL, 'n'},
        {"dir", required_argument, NULL, 'd'},
        {"config", required_argument, NULL, 'c'},
        {"set", required_argument, NULL, 's'},
        {NULL, 0, NULL, 0},
    };
    const char *base = strrchr(argv[0], '/');
    base = base ? base + 1 : argv[0];
    const char *name = strncmp(base, "kefu-", 5) == 0 ? base + 5 : NULL;
    const char *dir = NULL;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'n': name = optarg; break;
        case 'd': dir = optarg; break;
        case 'c': case 's': break;   /* accepted, logged below */
        default:
            fprintf(stderr, "fake: unknown flag %s\n", argv[optind - 1]);
            return 2;
        }
    }
    if (!name || !dir || optind != argc) {
        fprintf(stderr, "fake: usage: kefu-NAME --dir DIR [--config F] [--set S.K=V]...\n");
        return 2;
    }
    /* One line with every argument, for tests to check what kefu passed. */
    fprintf(stderr, "fake %s[%d]: started with", name, (int) getpid());
    for (int i = 1; i < argc; i++)
        fprintf(stderr, " %s", argv[i]);
    fprintf(stderr, "\n");
    if (s_env_names("FAKE_DAEMON_FAIL", name)) {
        fprintf(stderr, "fake %s: failing on purpose (FAKE_DAEMON_FAIL)\n", name);
        return 3;
    }
    bool mute = s_env_names("FAKE_DAEMON_MUTE", name);

    char site[PATH_MAX], ep[256], clockpath[PATH_MAX];
    if (site_dir(dir, site, sizeof site) != 0
        || site_endpoint(site, name, "ctl", ep, sizeof ep) != 0
        || site_path(site, "run/clock", clockpath, sizeof clockpath) != 0) {
        fprintf(stderr, "fake %s: bad site %s\n", name, dir);
        return 1;
    }
    kclock_t *clock = kclock_open_site(clockpath);
    if (!clock)
        clock = kclock_new_wall();

    struct sigaction sa = {.sa_handler = s_on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    void *ctx = zmq_ctx_new();
    void *router = zmq_socket(ctx, ZMQ_ROUTER);
    int zero = 0;
    zmq_setsockopt(router, ZMQ_LINGER, &zero, sizeof zero);
    if (zmq_bind(router, ep) != 0) {
        fprintf(stderr, "fake %s: bind %s: %s\n", name, ep, zmq_strerror(errno));
        zmq_close(router);
        zmq_ctx_term(ctx);
        kclock_destroy(&clock);
        return 1;
    }
    int64_t started = kclock_now(clock);
    bool quit = false;
    while (!s_stop && !quit) {
        zmq_pollitem_t item = {router, 0, ZMQ_POLLIN, 0};
        int n = zmq_poll(&item, 1, -1);
        if (n < 0 && errno != EINTR)
            break;
        if (n > 0 && mute) {
            zmq_msg_t drop;
            zmq_msg_init(&drop);
            zmq_msg_recv(&drop, router, ZMQ_DONTWAIT);
            zmq_msg_close(&drop);
        } else if (n > 0) {
            s_answer(router, name, clock, started, &quit);
        }
    }
    fprintf(stderr, "fake %s[%d]: stopping\n", name, (int) getpid());
    zmq_close(router);
    zmq_ctx_term(ctx);
    kclock_destroy(&clock);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "status") == 0)
        return s_status(argc - 1, argv + 1);
    return s_daemon(argc, argv);
}
