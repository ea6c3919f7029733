/* test_pbjson.c: common/pbjson.c over real kefu messages.
 *
 * Each case builds a message by hand, converts it, and compares
 * json_dumps(JSON_SORT_KEYS | JSON_COMPACT) with JSON written out by hand,
 * so what a user sees from `kefuctl --json` is pinned down byte for byte.
 * The times used, worked by hand:
 *   T  = 2026-11-23T01:30:00Z = 1795397400 s   (09:30 at +08:00)
 *   T0 = 2026-11-23T01:00:00Z = 1795395600 s   (09:00 at +08:00)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "control.pb-c.h"
#include "event.pb-c.h"
#include "evlog.pb-c.h"
#include "ktime.h"
#include "pbjson.h"

#define S_T  (1795397400LL * KTIME_SEC)
#define S_T0 (1795395600LL * KTIME_SEC)
#define S_CST (8 * 60)  /* +08:00, the lab's offset */

/* Converts msg and checks it prints as expected (sorted, compact). */
#define S_ASSERT_JSON(msg, offset, expected)                                 \
    do {                                                                     \
        json_t *j_ = pbjson_from_message((const ProtobufCMessage *) (msg),   \
                                         (offset));                          \
        assert_non_null(j_);                                                 \
        char *s_ = json_dumps(j_, JSON_SORT_KEYS | JSON_COMPACT);            \
        assert_non_null(s_);                                                 \
        assert_string_equal(s_, (expected));                                 \
        free(s_);                                                            \
        json_decref(j_);                                                     \
    } while (0)

static void test_envelope_clock_advanced(void **state)
{
    (void) state;
    Kefu__ClockAdvanced ca = KEFU__CLOCK_ADVANCED__INIT;
    ca.has_from = 1;
    ca.from = S_T0;
    ca.has_to = 1;
    ca.to = S_T;
    Kefu__Envelope env = KEFU__ENVELOPE__INIT;
    env.has_seq = 1;
    env.seq = 7;
    env.producer = "evlog";
    env.has_producer_seq = 1;
    env.producer_seq = 3;
    env.has_at = 1;
    env.at = S_T;
    env.body_case = KEFU__ENVELOPE__BODY_CLOCK_ADVANCED;
    env.clock_advanced = &ca;
    /* request_id and actor are NULL: left out */
    S_ASSERT_JSON(&env, S_CST,
                  "{\"at\":\"2026-11-23T09:30:00+08:00\","
                  "\"clock_advanced\":{\"from\":\"2026-11-23T09:00:00+08:00\","
                  "\"to\":\"2026-11-23T09:30:00+08:00\"},"
                  "\"producer\":\"evlog\",\"producer_seq\":3,\"seq\":7}");
    /* offset 0 prints "Z" */
    S_ASSERT_JSON(&ca, 0,
                  "{\"from\":\"2026-11-23T01:00:00Z\",\"to\":\"2026-11-23T01:30:00Z\"}");

    const ProtobufCMessage *sub = NULL;
    assert_string_equal(pbjson_oneof(&env.base, "body", &sub), "clock_advanced");
    assert_ptr_equal(sub, &ca.base);
}

static void test_oneof_unset(void **state)
{
    (void) state;
    Kefu__Envelope env = KEFU__ENVELOPE__INIT;
    const ProtobufCMessage *sub = &env.base;
    assert_null(pbjson_oneof(&env.base, "body", &sub));
    assert_null(sub);
    S_ASSERT_JSON(&env, S_CST, "{}");

    /* a case naming a member whose pointer is NULL is not a set member */
    env.body_case = KEFU__ENVELOPE__BODY_PROBE;
    assert_null(pbjson_oneof(&env.base, "body", &sub));
    S_ASSERT_JSON(&env, S_CST, "{}");

    /* the union's other member must not be read when the case says probe */
    Kefu__Probe probe = KEFU__PROBE__INIT;
    env.probe = &probe;
    assert_string_equal(pbjson_oneof(&env.base, "body", &sub), "probe");
    assert_ptr_equal(sub, &probe.base);
    S_ASSERT_JSON(&env, S_CST, "{\"probe\":{}}");
}

static void test_reply_error(void **state)
{
    (void) state;
    Kefu__Error err = KEFU__ERROR__INIT;
    err.has_code = 1;
    err.code = KEFU__ERROR_CODE__ERR_NOT_FOUND;
    err.message = "order O-17 does not exist";
    Kefu__Reply rep = KEFU__REPLY__INIT;
    rep.has_corr = 1;
    rep.corr = 5;
    rep.error = &err;
    S_ASSERT_JSON(&rep, S_CST,
                  "{\"corr\":5,\"error\":{\"code\":\"not-found\","
                  "\"message\":\"order O-17 does not exist\"}}");

    /* the common prefix is ERR_ (ERR_NONE and ERR_NOT_FOUND share
     * "ERR_NO", cut back to the underscore) */
    err.message = NULL;
    err.code = KEFU__ERROR_CODE__ERR_NONE;
    S_ASSERT_JSON(&err, 0, "{\"code\":\"none\"}");
    err.code = KEFU__ERROR_CODE__ERR_STORE_FULL;
    S_ASSERT_JSON(&err, 0, "{\"code\":\"store-full\"}");
    err.code = KEFU__ERROR_CODE__ERR_UNKNOWN_TYPE;
    S_ASSERT_JSON(&err, 0, "{\"code\":\"unknown-type\"}");
    /* a number from a newer peer that this descriptor does not know */
    err.code = (Kefu__ErrorCode) 99;
    err.has_expected = 1;
    err.expected = 12;
    S_ASSERT_JSON(&err, 0, "{\"code\":99,\"expected\":12}");
}

static void test_status_reply(void **state)
{
    (void) state;
    Kefu__StatusReply st = KEFU__STATUS_REPLY__INIT;
    st.name = "intake";
    st.has_pid = 1;
    st.pid = 4242;
    st.has_applied = 1;
    st.applied = 41;
    st.has_head = 1;
    st.head = 42;
    st.has_now = 1;
    st.now = S_T;
    st.has_sim_clock = 1;
    st.sim_clock = 0;  /* set to false: printed, unlike unset `started` */
    Kefu__Reply rep = KEFU__REPLY__INIT;
    rep.has_corr = 1;
    rep.corr = 1;
    rep.rep_case = KEFU__REPLY__REP_STATUS;
    rep.status = &st;
    S_ASSERT_JSON(&rep, S_CST,
                  "{\"corr\":1,\"status\":{\"applied\":41,\"head\":42,"
                  "\"name\":\"intake\",\"now\":\"2026-11-23T09:30:00+08:00\","
                  "\"pid\":4242,\"sim_clock\":false}}");
}

static void test_duration_field(void **state)
{
    (void) state;
    /* by_us ends in "_us": a duration, not a time */
    Kefu__ClockAdvanceRequest ca = KEFU__CLOCK_ADVANCE_REQUEST__INIT;
    ca.has_by_us = 1;
    ca.by_us = 2 * KTIME_HOUR;
    Kefu__Request req = KEFU__REQUEST__INIT;
    req.request_id = "r-1";
    req.req_case = KEFU__REQUEST__REQ_CLOCK_ADVANCE;
    req.clock_advance = &ca;
    S_ASSERT_JSON(&req, S_CST,
                  "{\"clock_advance\":{\"by_us\":\"2h\"},\"request_id\":\"r-1\"}");
    ca.by_us = 3 * KTIME_DAY;
    S_ASSERT_JSON(&ca, S_CST, "{\"by_us\":\"3d\"}");

    /* an empty sub-message of a set oneof still prints as {} */
    Kefu__StatusRequest sr = KEFU__STATUS_REQUEST__INIT;
    req.request_id = NULL;
    req.req_case = KEFU__REQUEST__REQ_STATUS;
    req.status = &sr;
    S_ASSERT_JSON(&req, S_CST, "{\"status\":{}}");
}

static void test_repeated_packed(void **state)
{
    (void) state;
    uint64_t seqs[] = {1, 2, 3};
    Kefu__AppendReply ar = KEFU__APPEND_REPLY__INIT;
    ar.n_seqs = 3;
    ar.seqs = seqs;
    ar.has_duplicates = 1;
    ar.duplicates = 0;
    S_ASSERT_JSON(&ar, 0, "{\"duplicates\":0,\"seqs\":[1,2,3]}");

    /* an empty repeated field prints as [] so scripts need no presence test */
    Kefu__AppendReply empty = KEFU__APPEND_REPLY__INIT;
    S_ASSERT_JSON(&empty, 0, "{\"seqs\":[]}");

    /* uint64 beyond jansson's signed integers: a decimal string */
    uint64_t big[] = {9223372036854775807ULL, 18446744073709551615ULL};
    ar.n_seqs = 2;
    ar.seqs = big;
    ar.has_duplicates = 0;
    S_ASSERT_JSON(&ar, 0, "{\"seqs\":[9223372036854775807,\"18446744073709551615\"]}");

    /* repeated bytes: one base64 string each */
    ProtobufCBinaryData evs[] = {{3, (uint8_t *) "foo"}, {0, NULL}};
    Kefu__AppendRequest areq = KEFU__APPEND_REQUEST__INIT;
    areq.n_events = 2;
    areq.events = evs;
    S_ASSERT_JSON(&areq, 0, "{\"events\":[\"Zm9v\",\"\"]}");
}

static void test_bytes_base64(void **state)
{
    (void) state;
    /* RFC 4648 §10 test vectors, and bytes that need '+' and '/' */
    static const struct {
        const char *in;
        size_t len;
        const char *out;
    } v[] = {
        {"", 0, "{\"n\":1,\"payload\":\"\"}"},
        {"f", 1, "{\"n\":1,\"payload\":\"Zg==\"}"},
        {"fo", 2, "{\"n\":1,\"payload\":\"Zm8=\"}"},
        {"foo", 3, "{\"n\":1,\"payload\":\"Zm9v\"}"},
        {"foob", 4, "{\"n\":1,\"payload\":\"Zm9vYg==\"}"},
        {"fooba", 5, "{\"n\":1,\"payload\":\"Zm9vYmE=\"}"},
        {"foobar", 6, "{\"n\":1,\"payload\":\"Zm9vYmFy\"}"},
        {"\xff\x00\xfe", 3, "{\"n\":1,\"payload\":\"/wD+\"}"},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        Kefu__Probe p = KEFU__PROBE__INIT;
        p.has_payload = 1;
        p.payload.len = v[i].len;
        p.payload.data = (uint8_t *) v[i].in;
        p.has_n = 1;
        p.n = 1;
        S_ASSERT_JSON(&p, 0, v[i].out);
    }
    /* has_payload false: left out even with data there */
    Kefu__Probe p = KEFU__PROBE__INIT;
    p.payload.len = 3;
    p.payload.data = (uint8_t *) "foo";
    S_ASSERT_JSON(&p, 0, "{}");
}

static void test_bad_utf8(void **state)
{
    (void) state;
    /* one stray byte and one overlong '/' each become U+FFFD */
    Kefu__Envelope env = KEFU__ENVELOPE__INIT;
    env.producer = "ab\xff" "c\xc0\xaf" "d";
    S_ASSERT_JSON(&env, 0,
                  "{\"producer\":\"ab\xef\xbf\xbd" "c\xef\xbf\xbd\xef\xbf\xbd" "d\"}");
    env.producer = "caf\xc3\xa9";  /* valid UTF-8 passes unchanged */
    S_ASSERT_JSON(&env, 0, "{\"producer\":\"caf\xc3\xa9\"}");
}

static void test_local_offset(void **state)
{
    (void) state;
    /* POSIX TZ strings, so no zoneinfo files are needed */
    setenv("TZ", "CST-8", 1);
    assert_int_equal(pbjson_local_offset(S_T), 480);
    setenv("TZ", "UTC0", 1);
    assert_int_equal(pbjson_local_offset(S_T), 0);
    /* New York: EST (-5h) in November, EDT (-4h) on 2026-07-01 */
    setenv("TZ", "EST5EDT,M3.2.0,M11.1.0", 1);
    assert_int_equal(pbjson_local_offset(S_T), -300);
    assert_int_equal(pbjson_local_offset(1782864000LL * KTIME_SEC), -240);
    /* before 1970 (floor division): 1969-12-31T23:59:59.5Z */
    setenv("TZ", "CST-8", 1);
    assert_int_equal(pbjson_local_offset(-500000), 480);
    unsetenv("TZ");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_envelope_clock_advanced),
        cmocka_unit_test(test_oneof_unset),
        cmocka_unit_test(test_reply_error),
        cmocka_unit_test(test_status_reply),
        cmocka_unit_test(test_duration_field),
        cmocka_unit_test(test_repeated_packed),
        cmocka_unit_test(test_bytes_base64),
        cmocka_unit_test(test_bad_utf8),
        cmocka_unit_test(test_local_offset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
