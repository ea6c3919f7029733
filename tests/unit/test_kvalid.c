/* test_kvalid.c: unit tests of common/kvalid.c: UTF-8 well-formedness and
 * the generic message walk (strings, ids, bytes, enums, repeated fields,
 * oneofs, nesting), on the real generated messages of proto/.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "control.pb-c.h"
#include "error.pb-c.h"
#include "event.pb-c.h"
#include "evlog.pb-c.h"
#include "kerr.h"
#include "ktest.h"
#include "kvalid.h"

#define U8(lit) lit, sizeof(lit) - 1

/* ---- UTF-8 ----------------------------------------------------------------- */

static void test_utf8_valid(void **state)
{
    (void) state;
    assert_true(kvalid_utf8("", 0));
    assert_true(kvalid_utf8(U8("plain ASCII, 0-9 ~")));
    assert_true(kvalid_utf8(U8("\x00")));                    /* U+0000 is a character */
    assert_true(kvalid_utf8(U8("\x7F")));                    /* last 1-byte */
    assert_true(kvalid_utf8(U8("\xC2\x80")));                /* U+0080, first 2-byte */
    assert_true(kvalid_utf8(U8("caf\xC3\xA9")));             /* café */
    assert_true(kvalid_utf8(U8("\xDF\xBF")));                /* U+07FF, last 2-byte */
    assert_true(kvalid_utf8(U8("\xE0\xA0\x80")));            /* U+0800, first 3-byte */
    assert_true(kvalid_utf8(U8("\xE2\x82\xAC")));            /* € */
    assert_true(kvalid_utf8(U8("\xE5\xAE\xA2\xE6\x9C\x8D"))); /* 客服 */
    assert_true(kvalid_utf8(U8("\xED\x9F\xBF")));            /* U+D7FF, below surrogates */
    assert_true(kvalid_utf8(U8("\xEE\x80\x80")));            /* U+E000, above surrogates */
    assert_true(kvalid_utf8(U8("\xEF\xBF\xBF")));            /* U+FFFF */
    assert_true(kvalid_utf8(U8("\xF0\x90\x80\x80")));        /* U+10000, first 4-byte */
    assert_true(kvalid_utf8(U8("\xF0\x9F\x98\x80")));        /* 😀 */
    assert_true(kvalid_utf8(U8("\xF4\x8F\xBF\xBF")));        /* U+10FFFF, the last */
    /* len is honoured: a bad byte past it is not looked at */
    assert_true(kvalid_utf8("ok\xFF", 2));
}

static void test_utf8_invalid(void **state)
{
    (void) state;
    static const struct {
        const char *s;
        size_t len;
        const char *why;
    } bad[] = {
        {U8("\x80"), "lone continuation byte"},
        {U8("a\xBF" "b"), "continuation byte mid-text"},
        {U8("\xC0\x80"), "overlong U+0000 (2 bytes)"},
        {U8("\xC1\xBF"), "overlong U+007F (2 bytes)"},
        {U8("\xE0\x80\x80"), "overlong U+0000 (3 bytes)"},
        {U8("\xE0\x9F\xBF"), "overlong U+07FF (3 bytes)"},
        {U8("\xF0\x80\x80\x80"), "overlong U+0000 (4 bytes)"},
        {U8("\xF0\x8F\xBF\xBF"), "overlong U+FFFF (4 bytes)"},
        {U8("\xED\xA0\x80"), "surrogate U+D800"},
        {U8("\xED\xBF\xBF"), "surrogate U+DFFF"},
        {U8("\xED\xA0\xBD\xED\xB8\x80"), "surrogate pair (CESU-8)"},
        {U8("\xF4\x90\x80\x80"), "U+110000"},
        {U8("\xF5\x80\x80\x80"), "lead byte F5"},
        {U8("\xF8\x88\x80\x80\x80"), "5-byte form"},
        {U8("\xFE"), "byte FE"},
        {U8("\xFF"), "byte FF"},
        {U8("\xC3"), "truncated 2-byte at end"},
        {U8("\xE2\x82"), "truncated 3-byte at end"},
        {U8("\xF0\x9F\x98"), "truncated 4-byte at end"},
        {U8("\xE2\x41\xAC"), "ASCII where a continuation belongs"},
        {U8("\xE2\x82\x41"), "ASCII as last continuation"},
        {U8("\xC3\xC3\xA9"), "lead byte where a continuation belongs"},
        {U8("caf\xE9"), "Latin-1 text"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (kvalid_utf8(bad[i].s, bad[i].len)) {
            print_error("accepted: %s\n", bad[i].why);
            fail();
        }
    /* the 2-byte sequence cut by len is truncated too */
    assert_false(kvalid_utf8("caf\xC3\xA9", 4));
}

/* ---- messages ---------------------------------------------------------------- */

static char *s_repeat(char c, size_t n)
{
    char *s = malloc(n + 1);
    assert_non_null(s);
    memset(s, c, n);
    s[n] = '\0';
    return s;
}

static void test_message_ok(void **state)
{
    (void) state;
    Kefu__Probe probe = KEFU__PROBE__INIT;
    uint8_t payload[] = {0xFF, 0x00, 0xC0};   /* bytes need not be UTF-8 */
    probe.has_payload = 1;
    probe.payload.data = payload;
    probe.payload.len = sizeof payload;
    Kefu__Envelope env = KEFU__ENVELOPE__INIT;
    env.producer = "intake";
    env.actor = "\xE5\xBC\xA0\xE4\xB8\x89";   /* 张三 */
    env.request_id = "r-1";
    env.body_case = KEFU__ENVELOPE__BODY_PROBE;
    env.probe = &probe;
    char err[128] = "untouched";
    assert_rc(kvalid_message(&env.base, err, sizeof err), 0);
    assert_string_equal(err, "");

    /* unset optional strings are NULL and fine; NULL err is fine */
    Kefu__Envelope empty = KEFU__ENVELOPE__INIT;
    assert_rc(kvalid_message(&empty.base, NULL, 0), 0);
}

static void test_message_bad_utf8(void **state)
{
    (void) state;
    Kefu__Envelope env = KEFU__ENVELOPE__INIT;
    env.producer = "intake";
    env.actor = "caf\xE9";
    char err[128];
    assert_rc(kvalid_message(&env.base, err, sizeof err), KEFU_EINVAL);
    assert_string_equal(err, "envelope.actor: not valid UTF-8");

    Kefu__Error e = KEFU__ERROR__INIT;
    e.message = "\xED\xA0\x80";   /* a surrogate */
    assert_rc(kvalid_message(&e.base, err, sizeof err), KEFU_EINVAL);
    assert_string_equal(err, "error.message: not valid UTF-8");
}

static void test_message_string_limits(void **state)
{
    (void) state;
    char err[128];
    /* ids ("producer", "actor", "*_id") stop at 64 bytes */
    char *id64 = s_repeat('p', KVALID_MAX_ID);
    char *id65 = s_repeat('p', KVALID_MAX_ID + 1);
    Kefu__Envelope env = KEFU__ENVELOPE__INIT;
    env.producer = id64;
    env.actor = id64;
    env.request_id = id64;
    assert_rc(kvalid_message(&env.base, err, sizeof err), 0);
    env.producer = id65;
    assert_rc(kvalid_message(&env.base, err, sizeof err), KEFU_ETOOLARGE);
    assert_string_equal(err, "envelope.producer: 65 bytes, over the limit of 64");
    env.producer = id64;
    env.actor = id65;
    assert_rc(kvalid_message(&env.base, err, sizeof err), KEFU_ETOOLARGE);
    assert_string_equal(err, "envelope.actor: 65 bytes, over the limit of 64");
    env.actor = id64;
    env.request_id = id65;
    assert_rc(kvalid_message(&env.base, err, sizeof err), KEFU_ETOOLARGE);
    assert_string_equal(err, "envelope.request_id: 65 bytes, over the limit of 64");

    /* other strings stop at 4096 */
    char *s4096 = s_repeat('m', KVALID_MAX_STRING);
    char *s4097 = s_repeat('m', KVALID_MAX_STRING + 1);
    Kefu__Error e = KEFU__ERROR__INIT;
    e.message = s4096;
    assert_rc(kvalid_message(&e.base, err, sizeof err), 0);
    e.message = s4097;
    assert_rc(kvalid_message(&e.base, err, sizeof err), KEFU_ETOOLARGE);
    assert_string_equal(err, "error.message: 4097 bytes, over the limit of 4096");
    /* a 65-byte name is fine: "name" is no id */
    Kefu__StatusReply st = KEFU__STATUS_REPLY__INIT;
    st.name = id65;
    assert_rc(kvalid_message(&st.base, err, sizeof err), 0);

    free(id64);
    free(id65);
    free(s4096);
    free(s4097);
}

static void test_message_enum(void **state)
{
    (void) state;
    char err[128];
    Kefu__Error e = KEFU__ERROR__INIT;
    e.has_code = 1;
    e.code = KEFU__ERROR_CODE__ERR_EXISTS;   /* 14, the last */
    assert_rc(kvalid_message(&e.base, err, sizeof err), 0);
    e.code = KEFU__ERROR_CODE__ERR_NONE;
    assert_rc(kvalid_message(&e.base, err, sizeof err), 0);
    e.code = (Kefu__ErrorCode) 99;
    assert_rc(kvalid_message(&e.base, err, sizeof err), KEFU_EINVAL);
    assert_string_equal(err, "error.code: 99 is not a value of ErrorCode");
    e.code = (Kefu__ErrorCode) 15;
    assert_rc(kvalid_message(&e.base, err, sizeof err), KEFU_EINVAL);
    assert_string_equal(err, "error.code: 15 is not a value of ErrorCode");
    e.code = (Kefu__ErrorCode) -1;
    assert_rc(kvalid_message(&e.base, err, sizeof err), KEFU_EINVAL);
    assert_string_equal(err, "error.code: -1 is not a value of ErrorCode");
    /* not set: not looked at */
    e.has_code = 0;
    e.code = (Kefu__ErrorCode) 99;
    assert_rc(kvalid_message(&e.base, err, sizeof err), 0);
}

static void test_message_nested_path(void **state)
{
    (void) state;
    char err[128];
    Kefu__Error e = KEFU__ERROR__INIT;
    e.has_code = 1;
    e.code = (Kefu__ErrorCode) 99;
    Kefu__Reply rep = KEFU__REPLY__INIT;
    rep.error = &e;
    assert_rc(kvalid_message(&rep.base, err, sizeof err), KEFU_EINVAL);
    assert_string_equal(err, "reply.error.code: 99 is not a value of ErrorCode");

    Kefu__LogReply lrep = KEFU__LOG_REPLY__INIT;
    e.code = KEFU__ERROR_CODE__ERR_GAP;
    e.message = "\xC0\xAF";
    lrep.error = &e;
    assert_rc(kvalid_message(&lrep.base, err, sizeof err), KEFU_EINVAL);
    assert_string_equal(err, "log_reply.error.message: not valid UTF-8");

    /* the oneof member set is followed by its field name */
    Kefu__HelloRequest hello = KEFU__HELLO_REQUEST__INIT;
    hello.producer = "\xFF";
    Kefu__LogRequest lreq = KEFU__LOG_REQUEST__INIT;
    lreq.req_case = KEFU__LOG_REQUEST__REQ_HELLO;
    lreq.hello = &hello;
    assert_rc(kvalid_message(&lreq.base, err, sizeof err), KEFU_EINVAL);
    assert_string_equal(err, "log_request.hello.producer: not valid UTF-8");
}

static void test_message_bytes(void **state)
{
    (void) state;
    char err[128];
    uint8_t *big = calloc(1, KVALID_MAX_BYTES + 1);
    assert_non_null(big);
    Kefu__Probe probe = KEFU__PROBE__INIT;
    probe.has_payload = 1;
    probe.payload.data = big;
    probe.payload.len = KVALID_MAX_BYTES;
    Kefu__Envelope env = KEFU__ENVELOPE__INIT;
    env.body_case = KEFU__ENVELOPE__BODY_PROBE;
    env.probe = &probe;
    assert_rc(kvalid_message(&env.base, err, sizeof err), 0);
    probe.payload.len = KVALID_MAX_BYTES + 1;
    assert_rc(kvalid_message(&env.base, err, sizeof err), KEFU_ETOOLARGE);
    assert_string_equal(err, "envelope.probe.payload: 65537 bytes, over the limit of 65536");
    /* has_payload says it is not set: not looked at */
    probe.has_payload = 0;
    assert_rc(kvalid_message(&env.base, err, sizeof err), 0);
    free(big);
}

static void test_message_oneof_only_set_member(void **state)
{
    (void) state;
    char err[128];
    /* probe and clock_advanced share a union. With no case set, whatever
     * the union holds is not looked at, not even a bad probe. */
    uint8_t *big = calloc(1, KVALID_MAX_BYTES + 1);
    Kefu__Probe probe = KEFU__PROBE__INIT;
    probe.has_payload = 1;
    probe.payload.data = big;
    probe.payload.len = KVALID_MAX_BYTES + 1;
    Kefu__Envelope env = KEFU__ENVELOPE__INIT;
    env.probe = &probe;
    env.body_case = KEFU__ENVELOPE__BODY__NOT_SET;
    assert_rc(kvalid_message(&env.base, err, sizeof err), 0);
    env.body_case = KEFU__ENVELOPE__BODY_PROBE;
    assert_rc(kvalid_message(&env.base, err, sizeof err), KEFU_ETOOLARGE);
    assert_string_equal(err, "envelope.probe.payload: 65537 bytes, over the limit of 65536");

    /* with clock_advanced set, the union is read as a ClockAdvanced */
    Kefu__ClockAdvanced ca = KEFU__CLOCK_ADVANCED__INIT;
    ca.has_from = ca.has_to = 1;
    ca.from = 1;
    ca.to = 2;
    env.body_case = KEFU__ENVELOPE__BODY_CLOCK_ADVANCED;
    env.clock_advanced = &ca;
    assert_rc(kvalid_message(&env.base, err, sizeof err), 0);
    free(big);
}

static void test_message_repeated(void **state)
{
    (void) state;
    char err[128];
    size_t n = KVALID_MAX_REPEAT + 1;
    ProtobufCBinaryData *events = calloc(n, sizeof *events);
    assert_non_null(events);
    uint8_t one = 1;
    for (size_t i = 0; i < n; i++) {
        events[i].data = &one;
        events[i].len = 1;
    }
    Kefu__AppendRequest ar = KEFU__APPEND_REQUEST__INIT;
    ar.events = events;
    ar.n_events = KVALID_MAX_REPEAT;
    assert_rc(kvalid_message(&ar.base, err, sizeof err), 0);
    ar.n_events = KVALID_MAX_REPEAT + 1;
    assert_rc(kvalid_message(&ar.base, err, sizeof err), KEFU_ETOOLARGE);
    assert_string_equal(err, "append_request.events: 10001 elements, over the limit of 10000");

    /* one element too big is named by index, through the oneof */
    ar.n_events = 3;
    uint8_t *big = calloc(1, 70000);
    events[2].data = big;
    events[2].len = 70000;
    Kefu__LogRequest lreq = KEFU__LOG_REQUEST__INIT;
    lreq.req_case = KEFU__LOG_REQUEST__REQ_APPEND;
    lreq.append = &ar;
    assert_rc(kvalid_message(&lreq.base, err, sizeof err), KEFU_ETOOLARGE);
    assert_string_equal(err, "log_request.append.events[2]: 70000 bytes, over the limit of 65536");

    /* repeated scalars are counted too */
    uint64_t *seqs = calloc(n, sizeof *seqs);
    Kefu__AppendReply rep = KEFU__APPEND_REPLY__INIT;
    rep.seqs = seqs;
    rep.n_seqs = KVALID_MAX_REPEAT;
    assert_rc(kvalid_message(&rep.base, err, sizeof err), 0);
    rep.n_seqs = KVALID_MAX_REPEAT + 1;
    assert_rc(kvalid_message(&rep.base, err, sizeof err), KEFU_ETOOLARGE);
    assert_string_equal(err, "append_reply.seqs: 10001 elements, over the limit of 10000");

    /* a count with no array behind it */
    rep.n_seqs = 2;
    rep.seqs = NULL;
    assert_rc(kvalid_message(&rep.base, err, sizeof err), KEFU_EINVAL);
    assert_string_equal(err, "append_reply.seqs: 2 elements but no array");

    free(seqs);
    free(big);
    free(events);
}

static void test_message_err_buffer(void **state)
{
    (void) state;
    Kefu__Envelope env = KEFU__ENVELOPE__INIT;
    env.actor = "\xFF";
    char err[10];
    memset(err, 'x', sizeof err);
    assert_rc(kvalid_message(&env.base, err, sizeof err), KEFU_EINVAL);
    assert_string_equal(err, "envelope.");   /* cut, NUL-terminated */
    char one[1] = {'x'};
    assert_rc(kvalid_message(&env.base, one, 1), KEFU_EINVAL);
    assert_int_equal(one[0], '\0');
    assert_rc(kvalid_message(&env.base, NULL, 0), KEFU_EINVAL);
}

/* What a daemon really sees: bytes off the wire, unpacked by protobuf-c
 * (which does not look inside strings), then checked here. */
static void test_message_from_wire(void **state)
{
    (void) state;
    Kefu__Envelope env = KEFU__ENVELOPE__INIT;
    env.producer = "intake";
    env.actor = "bad\x80";
    env.has_at = 1;
    env.at = 1795397400000000LL;
    uint8_t buf[128];
    size_t len = kefu__envelope__pack(&env, buf);
    Kefu__Envelope *got = kefu__envelope__unpack(NULL, len, buf);
    assert_non_null(got);
    char err[128];
    assert_rc(kvalid_message(&got->base, err, sizeof err), KEFU_EINVAL);
    assert_string_equal(err, "envelope.actor: not valid UTF-8");
    kefu__envelope__free_unpacked(got, NULL);

    /* an Error with code 99 on the wire (an enum number this build lacks) */
    Kefu__Error e = KEFU__ERROR__INIT;
    e.has_code = 1;
    e.code = (Kefu__ErrorCode) 99;
    len = kefu__error__pack(&e, buf);
    Kefu__Error *ge = kefu__error__unpack(NULL, len, buf);
    assert_non_null(ge);
    /* protobuf-c 1.4 keeps an unknown enum number as is: only kvalid stops it */
    assert_true(ge->has_code);
    assert_int_equal(ge->code, 99);
    assert_rc(kvalid_message(&ge->base, err, sizeof err), KEFU_EINVAL);
    assert_string_equal(err, "error.code: 99 is not a value of ErrorCode");
    kefu__error__free_unpacked(ge, NULL);
}

/* ---- requests (kvalid_request) ------------------------------------------------ */

/* A packed Request adding customer `id` (caller frees). */
static uint8_t *s_customer_request(Kefu__Customer *c, size_t *len)
{
    Kefu__Request req = KEFU__REQUEST__INIT;
    Kefu__CustomerAdd ca = KEFU__CUSTOMER_ADD__INIT;
    ca.customer = c;
    req.req_case = KEFU__REQUEST__REQ_CUSTOMER_ADD;
    req.customer_add = &ca;
    *len = kefu__request__get_packed_size(&req);
    uint8_t *buf = malloc(*len);
    kefu__request__pack(&req, buf);
    return buf;
}

/* "K1\0junk" decodes as "K1": the wire check refuses it, naming the field. */
static void test_request_nul_in_string(void **state)
{
    (void) state;
    Kefu__Customer c = KEFU__CUSTOMER__INIT;
    c.id = "K1xjunk";
    c.name = "Shop";
    size_t len;
    uint8_t *buf = s_customer_request(&c, &len);
    char err[256];
    Kefu__Request *req = kefu__request__unpack(NULL, len, buf);
    assert_non_null(req);
    assert_rc(kvalid_request(&req->base, buf, len, err, sizeof err), 0);
    kefu__request__free_unpacked(req, NULL);
    uint8_t *x = memmem(buf, len, "K1xjunk", 7);
    assert_non_null(x);
    x[2] = 0;
    req = kefu__request__unpack(NULL, len, buf);
    assert_non_null(req);
    assert_string_equal(req->customer_add->customer->id, "K1");  /* what protobuf-c makes of it */
    assert_rc(kvalid_message(&req->base, err, sizeof err), 0);  /* the decoded walk can't tell */
    assert_rc(kvalid_request(&req->base, buf, len, err, sizeof err), KEFU_EINVAL);
    assert_string_equal(err, "request.customer_add.customer.id: holds a NUL byte");
    kefu__request__free_unpacked(req, NULL);
    free(buf);
}

/* A field this build does not know, deep in a request, is refused. */
static void test_request_unknown_field(void **state)
{
    (void) state;
    Kefu__Customer c = KEFU__CUSTOMER__INIT;
    c.id = "K1";
    uint8_t cb[128];
    size_t clen = kefu__customer__pack(&c, cb);
    cb[clen++] = 0x98;  /* field 99, varint: (99 << 3) | 0 = 792 */
    cb[clen++] = 0x06;
    cb[clen++] = 0x01;
    Kefu__Customer *cu = kefu__customer__unpack(NULL, clen, cb);
    assert_non_null(cu);
    assert_int_equal(cu->base.n_unknown_fields, 1);
    size_t len;
    uint8_t *buf = s_customer_request(cu, &len);
    Kefu__Request *req = kefu__request__unpack(NULL, len, buf);
    assert_non_null(req);
    char err[256];
    assert_rc(kvalid_message(&req->base, err, sizeof err), 0);  /* events keep them */
    assert_rc(kvalid_request(&req->base, buf, len, err, sizeof err), KEFU_EUNSUPPORTED);
    assert_string_equal(err, "request.customer_add.customer: field 99 of Customer is not known "
                             "to this daemon");
    kefu__request__free_unpacked(req, NULL);
    kefu__customer__free_unpacked(cu, NULL);
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_utf8_valid),
        cmocka_unit_test(test_utf8_invalid),
        cmocka_unit_test(test_message_ok),
        cmocka_unit_test(test_message_bad_utf8),
        cmocka_unit_test(test_message_string_limits),
        cmocka_unit_test(test_message_enum),
        cmocka_unit_test(test_message_nested_path),
        cmocka_unit_test(test_message_bytes),
        cmocka_unit_test(test_message_oneof_only_set_member),
        cmocka_unit_test(test_message_repeated),
        cmocka_unit_test(test_message_err_buffer),
        cmocka_unit_test(test_message_from_wire),
        cmocka_unit_test(test_request_nul_in_string),
        cmocka_unit_test(test_request_unknown_field),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
