/* test_evlog_event.c: reading an event's type off its bytes
 * (evlog_event_peek_body, common/evlog_event.c), as a consumer does to skip
 * other daemons' events without decoding them.
 *
 * Every body of Envelope, packed with and without the envelope fields
 * before and after it, peeks as its oneof case; an envelope without a
 * body, truncated bytes and garbage peek as 0 (decode to know).
 *
 * And the log's scan (evlog_event_scan) of a key or a length prefix
 * longer than the 5 bytes protobuf-c reads: not sure, as protobuf-c
 * refuses the envelope (tests/fuzz/fuzz_envelope found the scan sure).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "event.pb-c.h"
#include "evlog_event.h"

static size_t s_pack(Kefu__Envelope *ev, uint8_t *buf)
{
    return kefu__envelope__pack(ev, buf);
}

static void test_every_body(void **state)
{
    (void) state;
    const ProtobufCMessageDescriptor *d = &kefu__envelope__descriptor;
    int bodies = 0;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (!(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF))
            continue;
        /* an empty body message of that case, with the envelope's fields */
        Kefu__Envelope ev = KEFU__ENVELOPE__INIT;
        ev.producer = "intake";
        ev.has_producer_seq = ev.has_at = ev.has_seq = true;
        ev.producer_seq = 7;
        ev.at = 1795397400000000LL;
        ev.seq = 1234567;
        ev.request_id = "r-1";
        ev.has_request_digest = true;
        ev.request_digest = 0xdeadbeefcafef00dULL;
        const ProtobufCMessageDescriptor *bd = f->descriptor;
        ProtobufCMessage *body = calloc(1, bd->sizeof_message);
        protobuf_c_message_init(f->descriptor, body);
        *(uint32_t *) ((char *) &ev + f->quantifier_offset) = f->id;
        *(ProtobufCMessage **) ((char *) &ev + f->offset) = body;
        uint8_t buf[512];
        size_t len = s_pack(&ev, buf);
        assert_int_equal(evlog_event_peek_body(buf, len), (int) f->id);
        /* the log appends the seq as field 1 after the producer's bytes */
        buf[len] = 0x08;
        buf[len + 1] = 0x05;
        assert_int_equal(evlog_event_peek_body(buf, len + 2), (int) f->id);
        free(body);
        bodies++;
    }
    assert_true(bodies >= 14);
}

static void test_no_body_or_garbage(void **state)
{
    (void) state;
    Kefu__Envelope ev = KEFU__ENVELOPE__INIT;
    ev.producer = "p";
    ev.has_producer_seq = true;
    ev.producer_seq = 1;
    uint8_t buf[256];
    size_t len = s_pack(&ev, buf);
    assert_int_equal(evlog_event_peek_body(buf, len), 0);
    assert_int_equal(evlog_event_peek_body(buf, 0), 0);
    const uint8_t garbage[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    assert_int_equal(evlog_event_peek_body(garbage, sizeof garbage), 0);
    const uint8_t cut[] = {0x7a, 0x10, 0x01};  /* field 15, length 16, 1 byte */
    assert_int_equal(evlog_event_peek_body(cut, sizeof cut), 0);
    const uint8_t group[] = {0x7b};  /* field 15, wire type 3 */
    assert_int_equal(evlog_event_peek_body(group, sizeof group), 0);
}

/* A valid envelope with its producer's key (0x12) or length (0x06)
 * written in more bytes than protobuf-c reads. */
static void test_scan_long_varints(void **state)
{
    (void) state;
    Kefu__Envelope ev = KEFU__ENVELOPE__INIT;
    Kefu__Probe probe = KEFU__PROBE__INIT;
    ev.producer = "intake";
    ev.has_producer_seq = ev.has_at = true;
    ev.producer_seq = 1;
    ev.at = 1795397400000000LL;
    ev.body_case = KEFU__ENVELOPE__BODY_PROBE;
    ev.probe = &probe;
    uint8_t buf[256], odd[264];
    size_t len = s_pack(&ev, buf);
    assert_int_equal(buf[0], 0x12);
    assert_int_equal(buf[1], 6);
    evlog_event_info_t info;
    assert_int_equal(evlog_event_scan(buf, len, &info), 0);

    /* 5 bytes each: still what protobuf-c reads, and the scan is sure */
    static const uint8_t key5[] = {0x92, 0x80, 0x80, 0x80, 0x00};
    static const uint8_t key6[] = {0x92, 0x80, 0x80, 0x80, 0x80, 0x00};
    static const uint8_t len5[] = {0x12, 0x86, 0x80, 0x80, 0x80, 0x00};
    static const uint8_t len6[] = {0x12, 0x86, 0x80, 0x80, 0x80, 0x80, 0x00};
    const struct {
        const uint8_t *head;
        size_t n;
        size_t replaces;   /* bytes of buf it stands for: the key, or key and length */
        int sure;
    } cases[] = {{key5, sizeof key5, 1, 1}, {key6, sizeof key6, 1, 0},
                 {len5, sizeof len5, 2, 1}, {len6, sizeof len6, 2, 0}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        memcpy(odd, cases[i].head, cases[i].n);
        memcpy(odd + cases[i].n, buf + cases[i].replaces, len - cases[i].replaces);
        size_t n = cases[i].n + len - cases[i].replaces;
        Kefu__Envelope *got = kefu__envelope__unpack(NULL, n, odd);
        assert_int_equal(got != NULL, cases[i].sure);
        assert_int_equal(evlog_event_scan(odd, n, &info) == 0, cases[i].sure);
        kefu__envelope__free_unpacked(got, NULL);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_body),
        cmocka_unit_test(test_no_body_or_garbage),
        cmocka_unit_test(test_scan_long_varints),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
