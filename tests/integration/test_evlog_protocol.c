/* test_evlog_protocol.c: the log daemon against bad and tricky input.
 *
 * Starts the real kefu-evlog on a temporary site and talks to it over
 * ZeroMQ as a hostile or buggy client would: truncated frames, garbage
 * bytes, extra frames, oversized messages and events, unknown request and
 * event types, a field with the wrong wire type, bad UTF-8, missing
 * fields, a producer_seq gap. Each gets its typed error, the daemon keeps
 * serving, and the log is unchanged (head 0) until the valid append at the
 * end; a retried append gets the seqs of the first. The control socket is
 * checked the same way.
 *
 * Producer ids (issue 11): a hello or an append as a daemon's producer
 * (intake) without its proof, or with a wrong one, is refused
 * ERR_FORBIDDEN naming the producer, and leaves the log and intake's
 * producer_seq untouched; with the proof made from the secret the log
 * created in its store it goes through. Producer evlog is refused even
 * with a proof, so no client writes a ClockAdvanced. A request refused
 * for its size is answered under its corr.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <czmq.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "control.pb-c.h"
#include "evlog.pb-c.h"
#include "evlog_proof.h"
#include "event.pb-c.h"

static char s_dir[64];
static pid_t s_pid;
static zsock_t *s_log, *s_ctl;

static int s_setup(void **state)
{
    (void) state;
    snprintf(s_dir, sizeof s_dir, "/tmp/kefu-proto.XXXXXX");
    assert_non_null(mkdtemp(s_dir));
    const char *build = getenv("BUILD") ? getenv("BUILD") : "build";
    char bin[512];
    snprintf(bin, sizeof bin, "%s/bin/kefu-evlog", build);
    s_pid = fork();
    if (s_pid == 0) {
        char log[128];
        snprintf(log, sizeof log, "%s/evlog.log", s_dir);
        freopen(log, "w", stderr);
        execl(bin, bin, "--dir", s_dir, (char *) NULL);
        _exit(127);
    }
    char path[128];
    snprintf(path, sizeof path, "%s/run/evlog.ctl", s_dir);
    struct stat st;
    for (int i = 0; i < 200 && stat(path, &st) != 0; i++)
        usleep(20000);
    assert_int_equal(stat(path, &st), 0);
    s_log = zsock_new(ZMQ_DEALER);
    s_ctl = zsock_new(ZMQ_DEALER);
    zsock_set_rcvtimeo(s_log, 5000);
    zsock_set_rcvtimeo(s_ctl, 5000);
    zsock_set_linger(s_log, 0);
    zsock_set_linger(s_ctl, 0);
    assert_int_equal(zsock_connect(s_log, "ipc://%s/run/evlog.sock", s_dir), 0);
    assert_int_equal(zsock_connect(s_ctl, "ipc://%s/run/evlog.ctl", s_dir), 0);
    return 0;
}

static int s_teardown(void **state)
{
    (void) state;
    zsock_destroy(&s_log);
    zsock_destroy(&s_ctl);
    kill(s_pid, SIGTERM);
    int status;
    waitpid(s_pid, &status, 0);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", s_dir);
    if (system(cmd) != 0)
        return -1;
    /* A clean stop after all that input: exit 0, not a crash. */
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* Sends frames and returns the decoded reply (caller frees), or NULL. */
static Kefu__LogReply *s_call_frames(zsock_t *sock, int nframes, const void **data,
                                     const size_t *len, zmq_msg_t *records)
{
    void *h = zsock_resolve(sock);
    for (int i = 0; i < nframes; i++)
        zmq_send(h, data[i], len[i], i + 1 < nframes ? ZMQ_SNDMORE : 0);
    zmq_msg_t m;
    zmq_msg_init(&m);
    if (zmq_msg_recv(&m, h, 0) < 0)
        return NULL;
    Kefu__LogReply *rep = kefu__log_reply__unpack(NULL, zmq_msg_size(&m), zmq_msg_data(&m));
    if (zmq_msg_more(&m)) {
        zmq_msg_t r;
        zmq_msg_init(&r);
        zmq_msg_recv(&r, h, 0);
        if (records)
            zmq_msg_move(records, &r);
        zmq_msg_close(&r);
    }
    zmq_msg_close(&m);
    return rep;
}

static Kefu__LogReply *s_call(const void *data, size_t len)
{
    const void *d[1] = {data};
    size_t l[1] = {len};
    return s_call_frames(s_log, 1, d, l, NULL);
}

static Kefu__LogReply *s_call_req(Kefu__LogRequest *req)
{
    size_t len = kefu__log_request__get_packed_size(req);
    uint8_t *buf = malloc(len + 1);
    kefu__log_request__pack(req, buf);
    Kefu__LogReply *rep = s_call(buf, len);
    free(buf);
    return rep;
}

static void s_expect_error(Kefu__LogReply *rep, Kefu__ErrorCode code)
{
    assert_non_null(rep);
    assert_non_null(rep->error);
    assert_int_equal(rep->error->code, code);
    assert_non_null(rep->error->message);
    assert_true(strlen(rep->error->message) > 0);
    kefu__log_reply__free_unpacked(rep, NULL);
}

/* The log's head, by a fetch from 1. */
static uint64_t s_head(void)
{
    Kefu__LogRequest req = KEFU__LOG_REQUEST__INIT;
    Kefu__FetchRequest f = KEFU__FETCH_REQUEST__INIT;
    f.has_from = true;
    f.from = 1;
    req.req_case = KEFU__LOG_REQUEST__REQ_FETCH;
    req.fetch = &f;
    Kefu__LogReply *rep = s_call_req(&req);
    assert_non_null(rep);
    assert_null(rep->error);
    assert_int_equal(rep->rep_case, KEFU__LOG_REPLY__REP_FETCH);
    uint64_t head = rep->fetch->head;
    kefu__log_reply__free_unpacked(rep, NULL);
    return head;
}

/* A packed envelope with a probe body; caller frees. */
static uint8_t *s_event(const char *producer, uint64_t pseq, size_t payload, size_t *len)
{
    Kefu__Envelope ev = KEFU__ENVELOPE__INIT;
    Kefu__Probe p = KEFU__PROBE__INIT;
    uint8_t *pl = calloc(1, payload + 1);
    p.has_payload = true;
    p.payload.data = pl;
    p.payload.len = payload;
    ev.producer = (char *) producer;
    ev.has_producer_seq = pseq > 0;
    ev.producer_seq = pseq;
    ev.has_at = true;
    ev.at = 1795397400000000LL;
    ev.body_case = KEFU__ENVELOPE__BODY_PROBE;
    ev.probe = &p;
    *len = kefu__envelope__get_packed_size(&ev);
    uint8_t *buf = malloc(*len + 64);
    kefu__envelope__pack(&ev, buf);
    free(pl);
    return buf;
}

/* Appends events with a proof (NULL: none) of EVLOG_PROOF_BYTES. */
static Kefu__LogReply *s_append_proof(ProtobufCBinaryData *events, size_t n, const uint8_t *proof)
{
    Kefu__LogRequest req = KEFU__LOG_REQUEST__INIT;
    Kefu__AppendRequest ar = KEFU__APPEND_REQUEST__INIT;
    ar.n_events = n;
    ar.events = events;
    if (proof) {
        ar.has_proof = true;
        ar.proof.data = (uint8_t *) proof;
        ar.proof.len = EVLOG_PROOF_BYTES;
    }
    req.has_corr = true;
    req.corr = 7;
    req.req_case = KEFU__LOG_REQUEST__REQ_APPEND;
    req.append = &ar;
    return s_call_req(&req);
}

static Kefu__LogReply *s_append_raw(ProtobufCBinaryData *events, size_t n)
{
    Kefu__LogRequest req = KEFU__LOG_REQUEST__INIT;
    Kefu__AppendRequest ar = KEFU__APPEND_REQUEST__INIT;
    ar.n_events = n;
    ar.events = events;
    req.has_corr = true;
    req.corr = 7;
    req.req_case = KEFU__LOG_REQUEST__REQ_APPEND;
    req.append = &ar;
    return s_call_req(&req);
}

static Kefu__LogReply *s_append_one(uint8_t *ev, size_t len)
{
    ProtobufCBinaryData b = {len, ev};
    Kefu__LogReply *rep = s_append_raw(&b, 1);
    free(ev);
    return rep;
}

/* Appends one fresh probe event (built before the call: C leaves argument
 * order unspecified). */
static Kefu__LogReply *s_append_new(const char *producer, uint64_t pseq, size_t payload)
{
    size_t len;
    uint8_t *ev = s_event(producer, pseq, payload, &len);
    return s_append_one(ev, len);
}

static void test_garbage_and_framing(void **state)
{
    (void) state;
    const char garbage[] = "\xff\xfe\x00 this is not protobuf \x07\x08";
    s_expect_error(s_call(garbage, sizeof garbage), KEFU__ERROR_CODE__ERR_BAD_REQUEST);
    /* A valid append cut in half. */
    size_t len;
    uint8_t *ev = s_event("p1", 1, 100, &len);
    ProtobufCBinaryData b = {len, ev};
    Kefu__LogRequest req = KEFU__LOG_REQUEST__INIT;
    Kefu__AppendRequest ar = KEFU__APPEND_REQUEST__INIT;
    ar.n_events = 1;
    ar.events = &b;
    req.req_case = KEFU__LOG_REQUEST__REQ_APPEND;
    req.append = &ar;
    size_t plen = kefu__log_request__get_packed_size(&req);
    uint8_t *buf = malloc(plen);
    kefu__log_request__pack(&req, buf);
    s_expect_error(s_call(buf, plen / 2), KEFU__ERROR_CODE__ERR_BAD_REQUEST);
    /* Three frames where one is expected. */
    const void *d[3] = {buf, "x", "y"};
    size_t l[3] = {plen, 1, 1};
    s_expect_error(s_call_frames(s_log, 3, d, l, NULL), KEFU__ERROR_CODE__ERR_BAD_REQUEST);
    /* An empty message. */
    s_expect_error(s_call("", 0), KEFU__ERROR_CODE__ERR_BAD_REQUEST);
    free(buf);
    free(ev);
    assert_int_equal(s_head(), 0);
}

static void test_wrong_field_type(void **state)
{
    (void) state;
    /* Field 3 (append, a message) sent as a varint: tag (3 << 3 | 0). */
    const uint8_t wrong[] = {0x08, 0x01, 0x18, 0x05};
    s_expect_error(s_call(wrong, sizeof wrong), KEFU__ERROR_CODE__ERR_BAD_REQUEST);
    /* An envelope whose producer_seq (varint) comes as a string. */
    const uint8_t env[] = {0x12, 0x02, 'p', '1', 0x1a, 0x01, 'x'};
    uint8_t *copy = malloc(sizeof env);
    memcpy(copy, env, sizeof env);
    s_expect_error(s_append_one(copy, sizeof env), KEFU__ERROR_CODE__ERR_BAD_REQUEST);
    assert_int_equal(s_head(), 0);
}

static void test_unknown_types(void **state)
{
    (void) state;
    /* A request kind this log doesn't know: field 99, length-delimited. */
    const uint8_t unknown_req[] = {0x08, 0x01, 0x9a, 0x06, 0x00};
    s_expect_error(s_call(unknown_req, sizeof unknown_req), KEFU__ERROR_CODE__ERR_UNKNOWN_TYPE);
    /* An event whose body is a field this log doesn't know (200). */
    size_t len;
    uint8_t *ev = s_event("p1", 1, 0, &len);
    Kefu__Envelope *e = kefu__envelope__unpack(NULL, len, ev);
    e->body_case = KEFU__ENVELOPE__BODY__NOT_SET;
    size_t l2 = kefu__envelope__get_packed_size(e);
    uint8_t *buf = malloc(l2 + 8);
    kefu__envelope__pack(e, buf);
    e->body_case = KEFU__ENVELOPE__BODY_PROBE;  /* so free_unpacked frees the probe */
    buf[l2++] = 0xc2;  /* field 200, wire type 2 */
    buf[l2++] = 0x0c;
    buf[l2++] = 0x00;
    kefu__envelope__free_unpacked(e, NULL);
    free(ev);
    s_expect_error(s_append_one(buf, l2), KEFU__ERROR_CODE__ERR_UNKNOWN_TYPE);
    assert_int_equal(s_head(), 0);
}

static void test_oversized(void **state)
{
    (void) state;
    /* over the 64 KiB event limit */
    s_expect_error(s_append_new("p1", 1, 70000), KEFU__ERROR_CODE__ERR_TOO_LARGE);
    size_t big = 5 * 1024 * 1024;  /* over the 4 MiB request limit */
    uint8_t *junk = calloc(1, big);
    Kefu__LogReply *rep = s_call(junk, big);
    assert_non_null(rep);
    assert_int_equal(rep->corr, 0);   /* zeros: no corr to read */
    s_expect_error(rep, KEFU__ERROR_CODE__ERR_TOO_LARGE);
    /* A real request that big is answered under its corr: field 1, then
     * an append (field 3) of one 5 MiB event, read off the top level only. */
    size_t n = 0;
    junk[n++] = 0x08;                       /* corr = 300 */
    junk[n++] = 0xac;
    junk[n++] = 0x02;
    junk[n++] = 0x1a;                       /* append, length-delimited */
    size_t body = big - 16, ev = body - 5;  /* its body: events (field 1) of ev bytes */
    for (size_t v = body; v; v >>= 7)
        junk[n++] = (uint8_t) ((v & 0x7f) | (v >> 7 ? 0x80 : 0));
    size_t at = n;
    junk[n++] = 0x0a;
    for (size_t v = ev; v; v >>= 7)
        junk[n++] = (uint8_t) ((v & 0x7f) | (v >> 7 ? 0x80 : 0));
    assert_int_equal(n - at + ev, body);
    rep = s_call(junk, n + ev);
    assert_non_null(rep);
    assert_int_equal(rep->corr, 300);
    s_expect_error(rep, KEFU__ERROR_CODE__ERR_TOO_LARGE);
    free(junk);
    assert_int_equal(s_head(), 0);
}

static void test_bad_fields(void **state)
{
    (void) state;
    /* producer with bad UTF-8 */
    s_expect_error(s_append_new("p\xc3\x28", 1, 10), KEFU__ERROR_CODE__ERR_INVALID);
    /* missing producer_seq */
    s_expect_error(s_append_new("p1", 0, 10), KEFU__ERROR_CODE__ERR_BAD_REQUEST);
    /* missing producer */
    s_expect_error(s_append_new("", 1, 10), KEFU__ERROR_CODE__ERR_BAD_REQUEST);
    /* a gap: the log expects 1 for a new producer */
    Kefu__LogReply *rep = s_append_new("p1", 5, 10);
    assert_non_null(rep);
    assert_non_null(rep->error);
    assert_int_equal(rep->error->code, KEFU__ERROR_CODE__ERR_GAP);
    assert_int_equal(rep->error->expected, 1);
    kefu__log_reply__free_unpacked(rep, NULL);
    /* one bad event spoils the whole append: nothing written */
    ProtobufCBinaryData two[2];
    two[0].data = s_event("p1", 1, 10, &two[0].len);
    two[1].data = s_event("p2", 2, 10, &two[1].len);
    s_expect_error(s_append_raw(two, 2), KEFU__ERROR_CODE__ERR_BAD_REQUEST);
    free(two[0].data);
    free(two[1].data);
    assert_int_equal(s_head(), 0);
}

static void test_valid_then_retry(void **state)
{
    (void) state;
    ProtobufCBinaryData evs[3];
    for (int i = 0; i < 3; i++)
        evs[i].data = s_event("p1", (uint64_t) i + 1, 10, &evs[i].len);
    Kefu__LogReply *rep = s_append_raw(evs, 3);
    assert_non_null(rep);
    assert_null(rep->error);
    assert_int_equal(rep->corr, 7);
    assert_int_equal(rep->append->n_seqs, 3);
    assert_int_equal(rep->append->seqs[0], 1);
    assert_int_equal(rep->append->seqs[2], 3);
    kefu__log_reply__free_unpacked(rep, NULL);
    /* the same request again: same seqs, nothing written */
    rep = s_append_raw(evs, 3);
    assert_non_null(rep);
    assert_null(rep->error);
    assert_int_equal(rep->append->seqs[0], 1);
    assert_int_equal(rep->append->seqs[2], 3);
    assert_int_equal(rep->append->duplicates, 3);
    kefu__log_reply__free_unpacked(rep, NULL);
    assert_int_equal(s_head(), 3);
    for (int i = 0; i < 3; i++)
        free(evs[i].data);
    /* the fetch returns exactly those records */
    Kefu__LogRequest req = KEFU__LOG_REQUEST__INIT;
    Kefu__FetchRequest f = KEFU__FETCH_REQUEST__INIT;
    f.has_from = true;
    f.from = 2;
    req.req_case = KEFU__LOG_REQUEST__REQ_FETCH;
    req.fetch = &f;
    size_t len = kefu__log_request__get_packed_size(&req);
    uint8_t buf[64];
    kefu__log_request__pack(&req, buf);
    const void *d[1] = {buf};
    zmq_msg_t recs;
    zmq_msg_init(&recs);
    rep = s_call_frames(s_log, 1, d, &len, &recs);
    assert_non_null(rep);
    assert_int_equal(rep->fetch->first, 2);
    assert_int_equal(rep->fetch->count, 2);
    assert_true(zmq_msg_size(&recs) > 0);
    kefu__log_reply__free_unpacked(rep, NULL);
    zmq_msg_close(&recs);
}

/* Every event type has one owning daemon (the registry): a client that
 * is not intake appending intake's customer_registered is refused, typed,
 * and nothing is written. */
static void test_event_ownership(void **state)
{
    (void) state;
    uint64_t h = s_head();
    Kefu__Envelope ev = KEFU__ENVELOPE__INIT;
    Kefu__CustomerRegistered cr = KEFU__CUSTOMER_REGISTERED__INIT;
    Kefu__Customer c = KEFU__CUSTOMER__INIT;
    c.id = "K-X";
    c.name = "Impostor";
    cr.customer = &c;
    ev.producer = "third-party";
    ev.has_producer_seq = ev.has_at = true;
    ev.producer_seq = 1;
    ev.at = 1795397400000000LL;
    ev.body_case = KEFU__ENVELOPE__BODY_CUSTOMER_REGISTERED;
    ev.customer_registered = &cr;
    size_t len = kefu__envelope__get_packed_size(&ev);
    uint8_t *buf = malloc(len);
    kefu__envelope__pack(&ev, buf);
    Kefu__LogReply *rep = s_append_one(buf, len);
    assert_non_null(rep);
    assert_non_null(rep->error);
    assert_int_equal(rep->error->code, KEFU__ERROR_CODE__ERR_FORBIDDEN);
    assert_non_null(strstr(rep->error->message, "customer_registered event is intake's"));
    kefu__log_reply__free_unpacked(rep, NULL);
    assert_int_equal(s_head(), h);
}

static Kefu__LogReply *s_hello(const char *producer, const uint8_t *proof)
{
    Kefu__LogRequest req = KEFU__LOG_REQUEST__INIT;
    Kefu__HelloRequest hr = KEFU__HELLO_REQUEST__INIT;
    hr.producer = (char *) producer;
    if (proof) {
        hr.has_proof = true;
        hr.proof.data = (uint8_t *) proof;
        hr.proof.len = EVLOG_PROOF_BYTES;
    }
    req.has_corr = true;
    req.corr = 11;
    req.req_case = KEFU__LOG_REQUEST__REQ_HELLO;
    req.hello = &hr;
    return s_call_req(&req);
}

/* A refusal for impersonation: ERR_FORBIDDEN, naming the producer. */
static void s_expect_impostor(Kefu__LogReply *rep, const char *producer)
{
    assert_non_null(rep);
    assert_non_null(rep->error);
    assert_int_equal(rep->error->code, KEFU__ERROR_CODE__ERR_FORBIDDEN);
    char want[128];
    snprintf(want, sizeof want, "producer %s is the %s daemon's; a client may not hello or "
                                "append as it", producer, producer);
    if (!strstr(rep->error->message, want))
        fail_msg("refusal \"%s\" does not say \"%s\"", rep->error->message, want);
    kefu__log_reply__free_unpacked(rep, NULL);
}

/* A client as producer intake (a daemon's name) without the site
 * secret: hello and append refused, nothing written, intake's
 * producer_seq not taken; a wrong proof the same. With the proof made
 * from the secret in the log's store (what the daemon's client sends),
 * both go through. evlog's own name: refused with a proof too. */
static void test_producer_impersonation(void **state)
{
    (void) state;
    uint64_t h = s_head();
    s_expect_impostor(s_hello("intake", NULL), "intake");
    s_expect_impostor(s_append_new("intake", 1, 10), "intake");
    size_t len;
    uint8_t *ev = s_event("intake", 1, 10, &len);
    ProtobufCBinaryData b = {len, ev};
    uint8_t wrong[EVLOG_PROOF_BYTES] = {0};
    s_expect_impostor(s_append_proof(&b, 1, wrong), "intake");
    s_expect_impostor(s_hello("intake", wrong), "intake");
    assert_int_equal(s_head(), h);

    uint8_t secret[EVLOG_SECRET_BYTES], proof[EVLOG_PROOF_BYTES];
    assert_int_equal(evlog_secret_read(s_dir, secret), 0);
    char path[256];
    struct stat st;
    assert_int_equal(evlog_secret_path(s_dir, path, sizeof path), 0);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    /* a proof for another daemon does not open intake */
    evlog_proof_make(secret, "sched", 5, proof);
    s_expect_impostor(s_append_proof(&b, 1, proof), "intake");
    evlog_proof_make(secret, "intake", 6, proof);
    Kefu__LogReply *rep = s_hello("intake", proof);
    assert_non_null(rep);
    assert_null(rep->error);
    assert_int_equal(rep->hello->last_producer_seq, 0);  /* the refusals took nothing */
    kefu__log_reply__free_unpacked(rep, NULL);
    rep = s_append_proof(&b, 1, proof);
    assert_non_null(rep);
    assert_null(rep->error);
    assert_int_equal(rep->append->seqs[0], h + 1);
    kefu__log_reply__free_unpacked(rep, NULL);
    free(ev);

    /* the log's own producer, and its ClockAdvanced */
    Kefu__Envelope ca_ev = KEFU__ENVELOPE__INIT;
    Kefu__ClockAdvanced ca = KEFU__CLOCK_ADVANCED__INIT;
    ca.has_from = ca.has_to = true;
    ca.from = 1795397400000000LL;
    ca.to = 4102444800000000LL;   /* 2100-01-01 */
    ca_ev.producer = "evlog";
    ca_ev.has_producer_seq = ca_ev.has_at = true;
    ca_ev.producer_seq = 1;
    ca_ev.at = ca.from;
    ca_ev.body_case = KEFU__ENVELOPE__BODY_CLOCK_ADVANCED;
    ca_ev.clock_advanced = &ca;
    len = kefu__envelope__get_packed_size(&ca_ev);
    ev = malloc(len);
    kefu__envelope__pack(&ca_ev, ev);
    b = (ProtobufCBinaryData){len, ev};
    s_expect_impostor(s_append_proof(&b, 1, NULL), "evlog");
    evlog_proof_make(secret, "evlog", 5, proof);
    s_expect_impostor(s_append_proof(&b, 1, proof), "evlog");
    s_expect_impostor(s_hello("evlog", proof), "evlog");
    free(ev);
    assert_int_equal(s_head(), h + 1);
}

/* A retry that the log had partly written gets the old seqs for those
 * events and new ones for the rest: not consecutive (issue 12). */
static void test_partial_retry_seqs(void **state)
{
    (void) state;
    ProtobufCBinaryData evs[4];
    for (int i = 0; i < 4; i++)
        evs[i].data = s_event("p-part", (uint64_t) i + 1, 10, &evs[i].len);
    uint64_t h = s_head();
    Kefu__LogReply *rep = s_append_raw(evs, 2);  /* pseq 1, 2 */
    assert_non_null(rep);
    assert_null(rep->error);
    kefu__log_reply__free_unpacked(rep, NULL);
    kefu__log_reply__free_unpacked(s_append_new("p-other", 1, 10), NULL);
    rep = s_append_raw(evs, 4);                  /* pseq 1..4 again */
    assert_non_null(rep);
    assert_null(rep->error);
    assert_int_equal(rep->append->n_seqs, 4);
    assert_int_equal(rep->append->seqs[0], h + 1);
    assert_int_equal(rep->append->seqs[1], h + 2);
    assert_int_equal(rep->append->seqs[2], h + 4);  /* h + 3 is p-other's */
    assert_int_equal(rep->append->seqs[3], h + 5);
    assert_int_equal(rep->append->duplicates, 2);
    kefu__log_reply__free_unpacked(rep, NULL);
    for (int i = 0; i < 4; i++)
        free(evs[i].data);
}

/* A retry older than the dedup window (4096 events of its producer) is
 * refused with a typed error, never answered with seq 0; one inside the
 * window still gets its first seq. */
static void test_retry_older_than_window(void **state)
{
    (void) state;
    enum { TOTAL = 4100, PER = 1025 };
    uint64_t h = s_head();
    ProtobufCBinaryData *evs = calloc(PER, sizeof *evs);
    for (uint64_t done = 0; done < TOTAL;) {
        size_t n = TOTAL - done < PER ? TOTAL - done : PER;
        for (size_t i = 0; i < n; i++)
            evs[i].data = s_event("p-window", done + i + 1, 1, &evs[i].len);
        Kefu__LogReply *rep = s_append_raw(evs, n);
        assert_non_null(rep);
        assert_null(rep->error);
        kefu__log_reply__free_unpacked(rep, NULL);
        for (size_t i = 0; i < n; i++)
            free(evs[i].data);
        done += n;
    }
    free(evs);
    Kefu__LogReply *rep = s_append_new("p-window", 1, 1);  /* 4099 events ago */
    s_expect_error(rep, KEFU__ERROR_CODE__ERR_CONFLICT);
    rep = s_append_new("p-window", 10, 1);                 /* 4090 ago: known */
    assert_non_null(rep);
    assert_null(rep->error);
    assert_int_equal(rep->append->n_seqs, 1);
    assert_int_equal(rep->append->seqs[0], h + 10);
    kefu__log_reply__free_unpacked(rep, NULL);
    assert_int_equal(s_head(), h + TOTAL);
}

static Kefu__Reply *s_ctl_call(const void *data, size_t len)
{
    void *h = zsock_resolve(s_ctl);
    zmq_send(h, data, len, 0);
    zmq_msg_t m;
    zmq_msg_init(&m);
    if (zmq_msg_recv(&m, h, 0) < 0)
        return NULL;
    Kefu__Reply *rep = kefu__reply__unpack(NULL, zmq_msg_size(&m), zmq_msg_data(&m));
    zmq_msg_close(&m);
    return rep;
}

static void test_control_socket(void **state)
{
    (void) state;
    Kefu__Reply *rep = s_ctl_call("\xff\xff\xff", 3);
    assert_non_null(rep);
    assert_int_equal(rep->error->code, KEFU__ERROR_CODE__ERR_BAD_REQUEST);
    kefu__reply__free_unpacked(rep, NULL);
    const uint8_t unknown[] = {0x08, 0x05, 0xa2, 0x06, 0x00};  /* field 100 */
    rep = s_ctl_call(unknown, sizeof unknown);
    assert_non_null(rep);
    assert_int_equal(rep->corr, 5);
    assert_int_equal(rep->error->code, KEFU__ERROR_CODE__ERR_UNSUPPORTED);
    kefu__reply__free_unpacked(rep, NULL);
    /* clock advance on a wall clock: refused with a reason */
    Kefu__Request req = KEFU__REQUEST__INIT;
    Kefu__ClockAdvanceRequest ca = KEFU__CLOCK_ADVANCE_REQUEST__INIT;
    ca.has_by_us = true;
    ca.by_us = 3600000000LL;
    req.req_case = KEFU__REQUEST__REQ_CLOCK_ADVANCE;
    req.clock_advance = &ca;
    uint8_t buf[64];
    size_t len = kefu__request__get_packed_size(&req);
    kefu__request__pack(&req, buf);
    rep = s_ctl_call(buf, len);
    assert_non_null(rep);
    assert_int_equal(rep->error->code, KEFU__ERROR_CODE__ERR_CONFLICT);
    kefu__reply__free_unpacked(rep, NULL);
    /* status still answers, with the head of the valid appends */
    Kefu__StatusRequest sr = KEFU__STATUS_REQUEST__INIT;
    req.req_case = KEFU__REQUEST__REQ_STATUS;
    req.status = &sr;
    len = kefu__request__get_packed_size(&req);
    kefu__request__pack(&req, buf);
    rep = s_ctl_call(buf, len);
    assert_non_null(rep);
    assert_null(rep->error);
    assert_string_equal(rep->status->name, "evlog");
    assert_int_equal(rep->status->applied, 3);
    kefu__reply__free_unpacked(rep, NULL);
}

int main(void)
{
    zsys_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_garbage_and_framing),
        cmocka_unit_test(test_wrong_field_type),
        cmocka_unit_test(test_unknown_types),
        cmocka_unit_test(test_oversized),
        cmocka_unit_test(test_bad_fields),
        cmocka_unit_test(test_valid_then_retry),
        cmocka_unit_test(test_control_socket),
        /* after the control test, which counts the head */
        cmocka_unit_test(test_partial_retry_seqs),
        cmocka_unit_test(test_event_ownership),
        cmocka_unit_test(test_producer_impersonation),
        cmocka_unit_test(test_retry_older_than_window),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
