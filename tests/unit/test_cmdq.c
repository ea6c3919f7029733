/* test_cmdq.c: cmdq (and the kit it runs in, kservice.h), end to end.
 *
 * A real kefu-evlog, and a small daemon built on the kit in a child
 * process with a test command table: each record is a counter ("k:KEY"
 * probe events from producer "t"); a write reads the counter and makes an
 * event carrying the next value, and the applier counts a violation
 * whenever an event's value is not the counter + 1 (two commands on one
 * record checked against the same state). Requests reuse intake's
 * message types as vehicles: CustomerAdd/CustomerUpdate {customer {id:
 * KEY, name: ARG}} write, CustomerGet {id: KEY} reads, answered as a
 * Customer {id: KEY, name: "count=N violations=V"}.
 *
 * Covered: the start gate (events appended before the daemon started, by
 * its predecessor, are applied before a read is answered); commands on one
 * record answered in arrival order, each on the state the one before left
 * (30 pipelined on one socket, no violation); commands on two records
 * pipelined together; request ids (a repeat gets the first answer and
 * writes nothing; other arguments, or another command, are a conflict);
 * a refusal (typed, naming the field, nothing appended); a request the
 * table has no row for (unsupported); a remote key's role against the
 * rows' roles (forbidden, nothing appended).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

#include "kclock.h"
#include "kerr.h"
#include "krecord.h"
#include "kservice.h"
#include "ktest.h"

#define WAIT_MS 10000

static char s_site[64];
static pid_t s_evlog = -1, s_kit = -1;
static void *s_ctx;

/* ---- the daemon under test (runs in the child) -------------------------------- */

typedef struct {
    kservice_t *svc;
    store_table_t counts;   /* key -> u64 count, u64 violations */
    arena_t *arena;
} s_daemon_t;

static const char *const s_tables[] = {"counts", NULL};

static void s_get(store_txn_t *txn, store_table_t t, const char *key, uint64_t v[2])
{
    const void *p;
    size_t len;
    v[0] = v[1] = 0;
    if (store_get(txn, t, key, strlen(key), &p, &len) == 0 && len == 16)
        memcpy(v, p, 16);
}

static int s_apply(void *arg, store_txn_t *txn, const evlog_record_t *rec, const Kefu__Envelope *ev)
{
    (void) rec;
    s_daemon_t *self = arg;
    if (!ev || ev->body_case != KEFU__ENVELOPE__BODY_PROBE || !ev->producer ||
        strcmp(ev->producer, "t") != 0)
        return 0;
    const ProtobufCBinaryData *pl = &ev->probe->payload;
    char key[80] = "load";  /* evlog_load's probes, counted unversioned */
    bool versioned = pl->len > 2 && memcmp(pl->data, "k:", 2) == 0 && pl->len < sizeof key + 2;
    if (versioned) {
        memcpy(key, pl->data + 2, pl->len - 2);
        key[pl->len - 2] = '\0';
    }
    uint64_t v[2];
    s_get(txn, self->counts, key, v);
    if (versioned && ev->probe->n != v[0] + 1)
        v[1]++;  /* checked against a state another command had changed */
    v[0]++;
    return store_put(txn, self->counts, key, strlen(key), v, sizeof v);
}

static int s_exec(void *arg, cmd_t *cmd, const Kefu__Request *req, store_txn_t *txn,
                  Kefu__Envelope **events, size_t max)
{
    (void) max;
    s_daemon_t *self = arg;
    const Kefu__Customer *c = req->req_case == KEFU__REQUEST__REQ_CUSTOMER_ADD
                                  ? req->customer_add->customer : req->customer_update->customer;
    if (!c || !c->id || !c->id[0])
        return cmd_field_missing(cmd, "customer.id", "the record");
    if (c->name && strcmp(c->name, "refuse") == 0)
        return cmd_field_bad(cmd, "customer.name", "\"refuse\" is refused");
    uint64_t v[2];
    s_get(txn, self->counts, c->id, v);
    Kefu__Envelope *ev = cmd_alloc(cmd, sizeof *ev);
    kefu__envelope__init(ev);
    Kefu__Probe *p = cmd_alloc(cmd, sizeof *p);
    kefu__probe__init(p);
    size_t n = strlen(c->id) + 2;
    uint8_t *pl = cmd_alloc(cmd, n);
    memcpy(pl, "k:", 2);
    memcpy(pl + 2, c->id, n - 2);
    p->has_payload = p->has_n = true;
    p->payload.data = pl;
    p->payload.len = n;
    p->n = v[0] + 1;
    ev->body_case = KEFU__ENVELOPE__BODY_PROBE;
    ev->probe = p;
    events[0] = ev;
    return 1;
}

static int s_answer(void *arg, cmd_t *cmd, const Kefu__Request *req, store_txn_t *txn,
                    const char *id, Kefu__Reply *reply)
{
    s_daemon_t *self = arg;
    if (!id)
        id = req->req_case == KEFU__REQUEST__REQ_CUSTOMER_ADD ? req->customer_add->customer->id
                                                              : req->customer_update->customer->id;
    uint64_t v[2];
    s_get(txn, self->counts, id, v);
    Kefu__Customer *c = cmd_alloc(cmd, sizeof *c);
    kefu__customer__init(c);
    char *name = cmd_alloc(cmd, 64);
    snprintf(name, 64, "count=%llu violations=%llu", (unsigned long long) v[0],
             (unsigned long long) v[1]);
    size_t n = strlen(id) + 1;
    c->id = cmd_alloc(cmd, n);
    memcpy(c->id, id, n);
    c->name = name;
    reply->rep_case = KEFU__REPLY__REP_CUSTOMER;
    reply->customer = c;
    return 0;
}

#define Q(x) KEFU__REQUEST__REQ_##x
static const cmd_row_t s_rows[] = {
    {Q(CUSTOMER_ADD), KEFU__REPLY__REP_CUSTOMER, KEFU__ENVELOPE__BODY_PROBE,
     "thing/customer.id", NULL, s_exec, s_answer, NULL},
    {Q(CUSTOMER_UPDATE), KEFU__REPLY__REP_CUSTOMER, KEFU__ENVELOPE__BODY_PROBE,
     "thing/customer.id", NULL, s_exec, s_answer, "terminal," CMD_PEOPLE},
    {Q(CUSTOMER_GET), KEFU__REPLY__REP_CUSTOMER, 0, NULL, "id", NULL, s_answer, NULL},
};
#undef Q
static const cmd_table_t s_table = {"t", s_rows, sizeof s_rows / sizeof s_rows[0]};

static const kservice_spec_t s_spec = {
    .name = "t", .schema = 1, .tables = s_tables, .commands = &s_table, .apply = s_apply,
};

static int s_daemon_main(void)
{
    char *argv[] = {"test_cmdq", "--dir", s_site, NULL};
    kdaemon_t d;
    int rc = kdaemon_init(&d, "t", "cmdq's test daemon", 3, argv);
    if (rc)
        return 1;
    s_daemon_t self = {0};
    self.arena = arena_new(0);
    rc = kservice_new(&self.svc, &d, &s_spec, &self);
    if (rc == 0) {
        self.counts = kservice_table(self.svc, "counts");
        kservice_run(self.svc);
    }
    kservice_destroy(&self.svc);
    arena_destroy(&self.arena);
    kdaemon_fini(&d);
    return rc ? 1 : 0;
}

/* ---- the client side (the parent) ---------------------------------------------- */

static bool s_wait_file(const char *rel)
{
    char path[160];
    snprintf(path, sizeof path, "%s/%s", s_site, rel);
    struct stat st;
    for (int i = 0; i < 1000; i++) {
        if (stat(path, &st) == 0)
            return true;
        usleep(10000);
    }
    return false;
}

static pid_t s_spawn(char *const argv[], const char *logname)
{
    pid_t pid = fork();
    if (pid == 0) {
        char path[160];
        snprintf(path, sizeof path, "%s/%s", s_site, logname);
        int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        if (argv)
            execv(argv[0], argv);
        else
            _exit(s_daemon_main());
        _exit(127);
    }
    return pid;
}

static void s_stop(pid_t *pid)
{
    if (*pid > 0) {
        kill(*pid, SIGTERM);
        int status;
        waitpid(*pid, &status, 0);
        *pid = -1;
    }
}

static int s_setup(void **state)
{
    (void) state;
    strcpy(s_site, "/tmp/kefu-test-cmdq-XXXXXX");
    if (!mkdtemp(s_site))
        return -1;
    const char *build = getenv("BUILD") && *getenv("BUILD") ? getenv("BUILD") : "build";
    char bin[4096], load[4096], dir[80];
    snprintf(bin, sizeof bin, "%s/bin/kefu-evlog", build);
    snprintf(load, sizeof load, "%s/tests/evlog_load", build);
    snprintf(dir, sizeof dir, "%s", s_site);
    char *evlog_argv[] = {bin, "--dir", dir, "--set", "evlog.segment_mb=1", NULL};
    s_evlog = s_spawn(evlog_argv, "evlog.out");
    if (!s_wait_file("run/evlog.sock"))
        return -1;
    /* The daemon's predecessor left 50 events (producer t) it never applied. */
    char *load_argv[] = {load, "--dir", dir, "--producer", "t", "--count", "50",
                         "--out", "/dev/null", NULL};
    pid_t l = s_spawn(load_argv, "load.out");
    int status;
    if (waitpid(l, &status, 0) != l || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return -1;
    s_kit = s_spawn(NULL, "t.out");
    if (!s_wait_file("run/t.ctl"))
        return -1;
    s_ctx = zmq_ctx_new();  /* only now: the children forked without one */
    return 0;
}

static int s_teardown(void **state)
{
    (void) state;
    s_stop(&s_kit);
    s_stop(&s_evlog);
    if (s_ctx)
        zmq_ctx_term(s_ctx);
    ktest_rmtree(s_site);
    return 0;
}

static void *s_connect(const char *name)
{
    char ep[160];
    snprintf(ep, sizeof ep, "ipc://%s/run/%s.ctl", s_site, name);
    void *s = zmq_socket(s_ctx, ZMQ_DEALER);
    int zero = 0;
    zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
    assert_int_equal(zmq_connect(s, ep), 0);
    return s;
}

static void s_send(void *sock, Kefu__Request *req, uint64_t corr)
{
    req->has_corr = true;
    req->corr = corr;
    size_t len = kefu__request__get_packed_size(req);
    uint8_t buf[1024];
    assert_true(len <= sizeof buf);
    kefu__request__pack(req, buf);
    assert_true(zmq_send(sock, buf, len, 0) == (int) len);
}

static Kefu__Reply *s_recv(void *sock)
{
    zmq_pollitem_t it = {sock, 0, ZMQ_POLLIN, 0};
    assert_true(zmq_poll(&it, 1, WAIT_MS) == 1);
    zmq_msg_t m;
    zmq_msg_init(&m);
    assert_true(zmq_msg_recv(&m, sock, 0) >= 0);
    Kefu__Reply *rep = kefu__reply__unpack(NULL, zmq_msg_size(&m), zmq_msg_data(&m));
    zmq_msg_close(&m);
    assert_non_null(rep);
    return rep;
}

/* A write (CustomerAdd, or CustomerUpdate with update) on key with arg. */
static void s_write(void *sock, const char *key, const char *arg, const char *rid, bool update,
                    uint64_t corr)
{
    Kefu__Request req = KEFU__REQUEST__INIT;
    Kefu__CustomerAdd ca = KEFU__CUSTOMER_ADD__INIT;
    Kefu__CustomerUpdate cu = KEFU__CUSTOMER_UPDATE__INIT;
    Kefu__Customer c = KEFU__CUSTOMER__INIT;
    c.id = (char *) key;
    c.name = (char *) arg;
    req.request_id = (char *) rid;
    if (update) {
        cu.customer = &c;
        req.req_case = KEFU__REQUEST__REQ_CUSTOMER_UPDATE;
        req.customer_update = &cu;
    } else {
        ca.customer = &c;
        req.req_case = KEFU__REQUEST__REQ_CUSTOMER_ADD;
        req.customer_add = &ca;
    }
    s_send(sock, &req, corr);
}

/* The record's name field: "count=N violations=V". */
static void s_read(void *sock, const char *key, char *out, size_t cap)
{
    Kefu__Request req = KEFU__REQUEST__INIT;
    Kefu__CustomerGet g = KEFU__CUSTOMER_GET__INIT;
    g.id = (char *) key;
    req.req_case = KEFU__REQUEST__REQ_CUSTOMER_GET;
    req.customer_get = &g;
    s_send(sock, &req, 1);
    Kefu__Reply *rep = s_recv(sock);
    assert_null(rep->error);
    snprintf(out, cap, "%s", rep->customer->name);
    kefu__reply__free_unpacked(rep, NULL);
}

static uint64_t s_head(void)
{
    void *s = s_connect("evlog");
    Kefu__Request req = KEFU__REQUEST__INIT;
    Kefu__StatusRequest st = KEFU__STATUS_REQUEST__INIT;
    req.req_case = KEFU__REQUEST__REQ_STATUS;
    req.status = &st;
    s_send(s, &req, 1);
    Kefu__Reply *rep = s_recv(s);
    uint64_t head = rep->status->head;
    kefu__reply__free_unpacked(rep, NULL);
    zmq_close(s);
    return head;
}

/* ---- tests ----------------------------------------------------------------------- */

static void test_gate(void **state)
{
    (void) state;
    void *s = s_connect("t");
    char name[64];
    s_read(s, "load", name, sizeof name);
    assert_string_equal(name, "count=50 violations=0");
    zmq_close(s);
}

/* 30 writes on one record, sent at once: answered in arrival order, each
 * checked against the state the one before it left. */
static void test_one_record_in_order(void **state)
{
    (void) state;
    void *s = s_connect("t");
    for (uint64_t i = 1; i <= 30; i++)
        s_write(s, "a", "x", NULL, false, 100 + i);
    for (uint64_t i = 1; i <= 30; i++) {
        Kefu__Reply *rep = s_recv(s);
        assert_null(rep->error);
        assert_int_equal(rep->corr, 100 + i);
        char want[64];
        snprintf(want, sizeof want, "count=%llu violations=0", (unsigned long long) i);
        assert_string_equal(rep->customer->name, want);
        kefu__reply__free_unpacked(rep, NULL);
    }
    zmq_close(s);
}

/* Writes on two records interleaved: all made, none on a stale state. */
static void test_two_records(void **state)
{
    (void) state;
    void *s = s_connect("t");
    for (uint64_t i = 0; i < 40; i++)
        s_write(s, i % 2 ? "b" : "c", "x", NULL, false, 200 + i);
    for (int i = 0; i < 40; i++) {
        Kefu__Reply *rep = s_recv(s);
        assert_null(rep->error);
        kefu__reply__free_unpacked(rep, NULL);
    }
    char name[64];
    s_read(s, "b", name, sizeof name);
    assert_string_equal(name, "count=20 violations=0");
    s_read(s, "c", name, sizeof name);
    assert_string_equal(name, "count=20 violations=0");
    zmq_close(s);
}

static void test_request_ids(void **state)
{
    (void) state;
    void *s = s_connect("t");
    s_write(s, "d", "x", "r1", false, 1);
    Kefu__Reply *rep = s_recv(s);
    assert_null(rep->error);
    assert_string_equal(rep->customer->name, "count=1 violations=0");
    kefu__reply__free_unpacked(rep, NULL);
    uint64_t head = s_head();
    /* a repeat: the first answer, nothing written */
    s_write(s, "d", "x", "r1", false, 2);
    rep = s_recv(s);
    assert_null(rep->error);
    assert_string_equal(rep->customer->name, "count=1 violations=0");
    kefu__reply__free_unpacked(rep, NULL);
    /* other arguments, another command: conflicts */
    s_write(s, "d", "y", "r1", false, 3);
    rep = s_recv(s);
    assert_non_null(rep->error);
    assert_int_equal(rep->error->code, KEFU__ERROR_CODE__ERR_CONFLICT);
    assert_non_null(strstr(rep->error->message, "other arguments"));
    kefu__reply__free_unpacked(rep, NULL);
    s_write(s, "d", "x", "r1", true, 4);
    rep = s_recv(s);
    assert_non_null(rep->error);
    assert_int_equal(rep->error->code, KEFU__ERROR_CODE__ERR_CONFLICT);
    assert_non_null(strstr(rep->error->message, "another command"));
    kefu__reply__free_unpacked(rep, NULL);
    assert_int_equal(s_head(), head);
    char name[64];
    s_read(s, "d", name, sizeof name);
    assert_string_equal(name, "count=1 violations=0");
    zmq_close(s);
}

static void test_refusal_and_unsupported(void **state)
{
    (void) state;
    void *s = s_connect("t");
    uint64_t head = s_head();
    s_write(s, "e", "refuse", NULL, false, 1);
    Kefu__Reply *rep = s_recv(s);
    assert_non_null(rep->error);
    assert_int_equal(rep->error->code, KEFU__ERROR_CODE__ERR_INVALID);
    assert_string_equal(rep->error->message, "customer.name: \"refuse\" is refused");
    kefu__reply__free_unpacked(rep, NULL);
    assert_int_equal(s_head(), head);
    /* a request the table has no row for */
    Kefu__Request req = KEFU__REQUEST__INIT;
    Kefu__OrderGet og = KEFU__ORDER_GET__INIT;
    og.id = "O-1";
    req.req_case = KEFU__REQUEST__REQ_ORDER_GET;
    req.order_get = &og;
    s_send(s, &req, 2);
    rep = s_recv(s);
    assert_non_null(rep->error);
    assert_int_equal(rep->error->code, KEFU__ERROR_CODE__ERR_UNSUPPORTED);
    kefu__reply__free_unpacked(rep, NULL);
    zmq_close(s);
}

/* A remote key's role (Request.via_role, as kefu-net sets it) against
 * the rows' roles: CUSTOMER_GET has none (people only), CUSTOMER_UPDATE
 * names terminals too. A refusal names the key, its role and the row's
 * roles, and writes nothing. */
static void s_as_key(Kefu__Request *req, Kefu__KeyRole role)
{
    req->via_key = "k1";
    req->has_via_role = true;
    req->via_role = role;
}

static void test_key_roles(void **state)
{
    (void) state;
    void *s = s_connect("t");
    uint64_t head = s_head();
    Kefu__Request req = KEFU__REQUEST__INIT;
    Kefu__CustomerGet g = KEFU__CUSTOMER_GET__INIT;
    g.id = "r";
    req.req_case = KEFU__REQUEST__REQ_CUSTOMER_GET;
    req.customer_get = &g;
    s_as_key(&req, KEFU__KEY_ROLE__KEY_ROLE_TERMINAL);
    s_send(s, &req, 1);
    Kefu__Reply *rep = s_recv(s);
    assert_non_null(rep->error);
    assert_int_equal(rep->error->code, KEFU__ERROR_CODE__ERR_FORBIDDEN);
    assert_string_equal(rep->error->message,
                        "key k1 is terminal; customer_get is for staff,supervisor,manager");
    kefu__reply__free_unpacked(rep, NULL);
    s_as_key(&req, KEFU__KEY_ROLE__KEY_ROLE_STAFF);   /* a person's key may */
    s_send(s, &req, 2);
    rep = s_recv(s);
    assert_null(rep->error);
    kefu__reply__free_unpacked(rep, NULL);
    s_as_key(&req, KEFU__KEY_ROLE__KEY_ROLE_UNSET);   /* a role nobody has */
    s_send(s, &req, 3);
    rep = s_recv(s);
    assert_non_null(rep->error);
    assert_int_equal(rep->error->code, KEFU__ERROR_CODE__ERR_FORBIDDEN);
    kefu__reply__free_unpacked(rep, NULL);

    /* a write the row opens to terminals; dispatch still may not */
    Kefu__CustomerUpdate u = KEFU__CUSTOMER_UPDATE__INIT;
    Kefu__Customer c = KEFU__CUSTOMER__INIT;
    c.id = "r";
    c.name = "x";
    u.customer = &c;
    Kefu__Request w = KEFU__REQUEST__INIT;
    w.req_case = KEFU__REQUEST__REQ_CUSTOMER_UPDATE;
    w.customer_update = &u;
    s_as_key(&w, KEFU__KEY_ROLE__KEY_ROLE_DISPATCH);
    s_send(s, &w, 4);
    rep = s_recv(s);
    assert_non_null(rep->error);
    assert_int_equal(rep->error->code, KEFU__ERROR_CODE__ERR_FORBIDDEN);
    kefu__reply__free_unpacked(rep, NULL);
    assert_int_equal(s_head(), head);
    s_as_key(&w, KEFU__KEY_ROLE__KEY_ROLE_TERMINAL);
    s_send(s, &w, 5);
    rep = s_recv(s);
    assert_null(rep->error);
    kefu__reply__free_unpacked(rep, NULL);
    assert_int_equal(s_head(), head + 1);
    zmq_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gate),
        cmocka_unit_test(test_key_roles),
        cmocka_unit_test(test_one_record_in_order),
        cmocka_unit_test(test_two_records),
        cmocka_unit_test(test_request_ids),
        cmocka_unit_test(test_refusal_and_unsupported),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
