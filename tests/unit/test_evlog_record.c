/* test_evlog_record.c: unit tests of common/evlog_record.c, the log's
 * record format (header, crc, padding) and the seq field appended to a
 * producer's packed event.
 *
 * Covered, with values worked by hand: record sizes (payload 0 -> 16,
 * 1 -> 24, 8 -> 24, 9 -> 32), evlog_crc32c against the published CRC-32C
 * check values (RFC 3720's iSCSI vectors, "123456789") and a bitwise
 * reference over every length 0..200 at every alignment (so the SSE4.2
 * path and its byte tail are both compared), the header's bytes (len and
 * seq little-endian, crc = CRC-32C of the 8 seq bytes and the payload,
 * zero padding), a write
 * and read round trip, the crc catching a flipped payload bit, a flipped
 * seq bit, a flipped crc bit and a changed length, a length of 0 or over
 * the limit, truncated buffers, evlog_seq_field's varint bytes (1, 127,
 * 128, 300, 2^63, 2^64-1), and evlog_record_write_event: the payload still
 * unpacks as the producer's Kefu__Envelope, now with seq set, whatever
 * seq the producer packed (a later occurrence of a scalar field wins).
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
#include "evlog_record.h"

/* The little-endian u32 at p. */
static uint32_t s_le32(const uint8_t *p)
{
    return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 |
           (uint32_t) p[3] << 24;
}

static uint64_t s_le64(const uint8_t *p)
{
    return (uint64_t) s_le32(p) | (uint64_t) s_le32(p + 4) << 32;
}

static void s_put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t) (v >> (8 * i));
}

/* A heap buffer of exactly n bytes, so ASan and valgrind catch a write
 * past what the API says the caller must provide. */
static uint8_t *s_buf(size_t n)
{
    uint8_t *b = malloc(n);
    assert_non_null(b);
    memset(b, 0xEE, n);  /* not zero: padding must be written, not inherited */
    return b;
}

static void test_sizes(void **state)
{
    (void) state;
    /* 16-byte header + payload, rounded up to 8 */
    assert_int_equal(evlog_record_size(0), 16);
    assert_int_equal(evlog_record_size(1), 24);
    assert_int_equal(evlog_record_size(7), 24);
    assert_int_equal(evlog_record_size(8), 24);
    assert_int_equal(evlog_record_size(9), 32);
    assert_int_equal(evlog_record_size(16), 32);
    assert_int_equal(evlog_record_size(17), 40);
    assert_int_equal(evlog_record_size(EVLOG_MAX_EVENT), 16 + 65536);
}

/* CRC-32C bit by bit (reflected polynomial 0x82F63B78), the slowest and
 * plainest way: the reference the log's table and hardware paths must
 * agree with. */
static uint32_t s_ref_crc32c(const uint8_t *p, size_t n)
{
    uint32_t crc = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++)
            crc = crc & 1 ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
    }
    return ~crc;
}

static void test_crc32c(void **state)
{
    (void) state;
    /* the check value of the CRC catalogue */
    assert_int_equal(evlog_crc32c(0, "123456789", 9), 0xE3069283u);
    assert_int_equal(evlog_crc32c(0, "", 0), 0);
    /* RFC 3720 (iSCSI) B.4: 32 zeros, 32 0xff, 0..31, 31..0 */
    uint8_t v[32];
    memset(v, 0, sizeof v);
    assert_int_equal(evlog_crc32c(0, v, 32), 0x8A9136AAu);
    memset(v, 0xff, sizeof v);
    assert_int_equal(evlog_crc32c(0, v, 32), 0x62A8AB43u);
    for (int i = 0; i < 32; i++)
        v[i] = (uint8_t) i;
    assert_int_equal(evlog_crc32c(0, v, 32), 0x46DD794Eu);
    for (int i = 0; i < 32; i++)
        v[i] = (uint8_t) (31 - i);
    assert_int_equal(evlog_crc32c(0, v, 32), 0x113FDB5Cu);
    assert_int_equal(s_ref_crc32c(v, 32), 0x113FDB5Cu);  /* the reference too */

    /* every length and alignment against the reference, and continuing
     * from a crc is the same as one pass */
    uint8_t buf[256 + 8];
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (uint8_t) (i * 131 + 17);
    for (size_t align = 0; align < 8; align++) {
        for (size_t n = 0; n <= 200; n++) {
            const uint8_t *p = buf + align;
            uint32_t want = s_ref_crc32c(p, n);
            assert_int_equal(evlog_crc32c(0, p, n), want);
            size_t half = n / 3;
            assert_int_equal(evlog_crc32c(evlog_crc32c(0, p, half), p + half, n - half), want);
        }
    }
}

static void test_header_bytes(void **state)
{
    (void) state;
    uint8_t *b = s_buf(24);
    evlog_record_write(b, 1, "a", 1);
    /* len 1 */
    assert_int_equal(b[0], 1);
    assert_int_equal(b[1], 0);
    assert_int_equal(b[2], 0);
    assert_int_equal(b[3], 0);
    /* CRC-32C of 01 00 00 00 00 00 00 00 'a', worked out with a bitwise
     * CRC-32C in Python over struct.pack('<Q', 1) + b'a' */
    assert_int_equal(s_le32(b + 4), 0xdc76ae8au);
    assert_int_equal(s_le64(b + 8), 1);
    assert_int_equal(b[16], 'a');
    for (int i = 17; i < 24; i++)
        assert_int_equal(b[i], 0);  /* padding */
    assert_int_equal(evlog_record_skip(b), 24);
    free(b);

    /* seq 300 = 0x12c, payload "kefu": crc 0x9d86ad34 (same way) */
    b = s_buf(24);
    evlog_record_write(b, 300, "kefu", 4);
    assert_int_equal(s_le32(b), 4);
    assert_int_equal(s_le32(b + 4), 0x9d86ad34u);
    assert_int_equal(b[8], 0x2c);
    assert_int_equal(b[9], 0x01);
    for (int i = 10; i < 16; i++)
        assert_int_equal(b[i], 0);
    assert_memory_equal(b + 16, "kefu", 4);
    for (int i = 20; i < 24; i++)
        assert_int_equal(b[i], 0);
    free(b);
}

/* A payload of len bytes, each distinct from its neighbours. */
static void s_fill(uint8_t *p, size_t len, unsigned salt)
{
    for (size_t i = 0; i < len; i++)
        p[i] = (uint8_t) (i * 7 + salt);
}

static void test_round_trip(void **state)
{
    (void) state;
    static const size_t lens[] = {1, 2, 7, 8, 9, 15, 16, 17, 100, 4096, EVLOG_MAX_EVENT};
    static const uint64_t seqs[] = {1, 2, 255, 256, 1ull << 32, UINT64_MAX};
    uint8_t *payload = malloc(EVLOG_MAX_EVENT);
    assert_non_null(payload);
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        for (size_t j = 0; j < sizeof seqs / sizeof seqs[0]; j++) {
            size_t len = lens[i], size = evlog_record_size(len);
            s_fill(payload, len, (unsigned) (i + j));
            uint8_t *b = s_buf(size);
            evlog_record_write(b, seqs[j], payload, len);
            /* the crc is over the seq and the payload, which lie side by
             * side at offset 8 */
            assert_int_equal(s_le32(b + 4), s_ref_crc32c(b + 8, 8 + len));
            evlog_record_t rec;
            assert_int_equal(evlog_record_read(b, size, &rec), size);
            assert_int_equal(rec.seq, seqs[j]);
            assert_int_equal(rec.len, len);
            assert_ptr_equal(rec.data, b + 16);
            assert_memory_equal(rec.data, payload, len);
            for (size_t k = 16 + len; k < size; k++)
                assert_int_equal(b[k], 0);
            assert_int_equal(evlog_record_skip(b), size);
            free(b);
        }
    }
    free(payload);
}

/* Two records back to back read one after the other. */
static void test_consecutive(void **state)
{
    (void) state;
    uint8_t b[24 + 32];
    evlog_record_write(b, 41, "x", 1);
    evlog_record_write(b + 24, 42, "ninebytes", 9);
    evlog_record_t rec;
    assert_int_equal(evlog_record_read(b, sizeof b, &rec), 24);
    assert_int_equal(rec.seq, 41);
    assert_int_equal(evlog_record_read(b + 24, sizeof b - 24, &rec), 32);
    assert_int_equal(rec.seq, 42);
    assert_int_equal(rec.len, 9);
    assert_memory_equal(rec.data, "ninebytes", 9);
}

static void test_crc_catches_damage(void **state)
{
    (void) state;
    uint8_t good[32], b[32];
    evlog_record_t rec;
    evlog_record_write(good, 7, "ninebytes", 9);
    assert_int_equal(evlog_record_read(good, sizeof good, &rec), 32);

    /* every single bit of the payload */
    for (int byte = 16; byte < 16 + 9; byte++) {
        for (int bit = 0; bit < 8; bit++) {
            memcpy(b, good, sizeof b);
            b[byte] ^= (uint8_t) (1u << bit);
            assert_int_equal(evlog_record_read(b, sizeof b, &rec), 0);
        }
    }
    /* every bit of the seq: a record copied to the wrong place */
    for (int byte = 8; byte < 16; byte++) {
        for (int bit = 0; bit < 8; bit++) {
            memcpy(b, good, sizeof b);
            b[byte] ^= (uint8_t) (1u << bit);
            assert_int_equal(evlog_record_read(b, sizeof b, &rec), 0);
        }
    }
    /* every bit of the crc itself */
    for (int byte = 4; byte < 8; byte++) {
        for (int bit = 0; bit < 8; bit++) {
            memcpy(b, good, sizeof b);
            b[byte] ^= (uint8_t) (1u << bit);
            assert_int_equal(evlog_record_read(b, sizeof b, &rec), 0);
        }
    }
    /* a changed length: shorter and longer within the same 32 bytes */
    for (uint32_t len = 1; len <= 16; len++) {
        if (len == 9)
            continue;
        memcpy(b, good, sizeof b);
        s_put32(b, len);
        assert_int_equal(evlog_record_read(b, sizeof b, &rec), 0);
    }
    /* the padding is not covered (it is zeros by construction) */
    memcpy(b, good, sizeof b);
    assert_int_equal(evlog_record_read(b, sizeof b, &rec), 32);
}

static void test_bad_length(void **state)
{
    (void) state;
    evlog_record_t rec;
    /* length 0: a zero-filled tail, or a record written with no payload */
    uint8_t zeros[64] = {0};
    assert_int_equal(evlog_record_read(zeros, sizeof zeros, &rec), 0);
    uint8_t b[16];
    evlog_record_write(b, 1, "", 0);
    assert_int_equal(s_le32(b), 0);
    assert_int_equal(evlog_record_read(b, sizeof b, &rec), 0);

    /* the largest length the reader takes is EVLOG_MAX_EVENT + 16 (an
     * event of the maximum size plus its seq field); one more is refused
     * before the crc is looked at */
    size_t big = evlog_record_size(EVLOG_MAX_EVENT + 17);
    uint8_t *p = calloc(1, big), *zpayload = calloc(1, big);
    assert_non_null(p);
    assert_non_null(zpayload);
    evlog_record_write(p, 3, zpayload, EVLOG_MAX_EVENT + 16);
    assert_int_equal(evlog_record_read(p, big, &rec), evlog_record_size(EVLOG_MAX_EVENT + 16));
    evlog_record_write(p, 3, zpayload, EVLOG_MAX_EVENT + 17);
    assert_int_equal(evlog_record_read(p, big, &rec), 0);
    free(zpayload);
    /* a huge length (garbage) is refused without reading past avail */
    memset(p, 0xA5, 16);
    assert_int_equal(evlog_record_read(p, 16, &rec), 0);
    free(p);
}

static void test_truncated(void **state)
{
    (void) state;
    evlog_record_t rec;
    /* payload 9: 32 bytes in all; every shorter avail is refused, even
     * 25 (the payload is whole but its padding is not there) */
    uint8_t *full = s_buf(32);
    evlog_record_write(full, 5, "ninebytes", 9);
    for (size_t avail = 0; avail < 32; avail++) {
        /* copy into a buffer of exactly avail bytes so a read past it is
         * caught by the memory checkers */
        uint8_t *b = malloc(avail ? avail : 1);
        assert_non_null(b);
        memcpy(b, full, avail);
        assert_int_equal(evlog_record_read(b, avail, &rec), 0);
        free(b);
    }
    assert_int_equal(evlog_record_read(full, 32, &rec), 32);
    assert_int_equal(evlog_record_read(full, 1000, &rec), 32);  /* more is fine */
    free(full);
}

static void s_check_field(uint64_t seq, const uint8_t *want, size_t n)
{
    uint8_t out[16];
    memset(out, 0xEE, sizeof out);
    assert_int_equal(evlog_seq_field(out, seq), n);
    assert_memory_equal(out, want, n);
    for (size_t i = n; i < sizeof out; i++)
        assert_int_equal(out[i], 0xEE);  /* nothing written past n */
}

static void test_seq_field(void **state)
{
    (void) state;
    /* tag 0x08 = field 1, varint; then the varint, 7 bits a byte, low first */
    s_check_field(0, (const uint8_t[]){0x08, 0x00}, 2);
    s_check_field(1, (const uint8_t[]){0x08, 0x01}, 2);
    s_check_field(127, (const uint8_t[]){0x08, 0x7f}, 2);
    s_check_field(128, (const uint8_t[]){0x08, 0x80, 0x01}, 3);
    /* 300 = 0b10_0101100: 0x2c|0x80, 0x02 */
    s_check_field(300, (const uint8_t[]){0x08, 0xac, 0x02}, 3);
    /* 2^63: nine groups of 7 zero bits, then 1 */
    s_check_field(1ull << 63,
                  (const uint8_t[]){0x08, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
                                    0x80, 0x80, 0x01},
                  11);
    s_check_field(UINT64_MAX,
                  (const uint8_t[]){0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                    0xff, 0xff, 0x01},
                  11);
}

/* Packs a probe event as a producer would (no seq), into a new buffer. */
static uint8_t *s_pack_probe(size_t *len, bool with_seq, uint64_t producer_seq)
{
    Kefu__Envelope ev = KEFU__ENVELOPE__INIT;
    Kefu__Probe probe = KEFU__PROBE__INIT;
    ev.producer = "intake";
    ev.has_producer_seq = true;
    ev.producer_seq = producer_seq;
    ev.has_at = true;
    ev.at = 1700000000123456;
    ev.request_id = "r-17";
    ev.actor = "staff-3";
    if (with_seq) {
        ev.has_seq = true;
        ev.seq = 999999;  /* a producer must not set it; the log's wins */
    }
    probe.has_payload = true;
    probe.payload.data = (uint8_t *) "xyz";
    probe.payload.len = 3;
    probe.has_n = true;
    probe.n = 42;
    ev.body_case = KEFU__ENVELOPE__BODY_PROBE;
    ev.probe = &probe;
    *len = kefu__envelope__get_packed_size(&ev);
    uint8_t *b = malloc(*len);
    assert_non_null(b);
    assert_int_equal(kefu__envelope__pack(&ev, b), *len);
    return b;
}

static void s_check_event(uint64_t seq, bool producer_set_seq)
{
    size_t len;
    uint8_t *packed = s_pack_probe(&len, producer_set_seq, 5);
    uint8_t field[11];
    size_t flen = evlog_seq_field(field, seq);
    /* the caller provides evlog_record_size(len + 11) bytes, no more */
    size_t cap = evlog_record_size(len + 11);
    uint8_t *b = s_buf(cap);
    size_t size = evlog_record_write_event(b, seq, packed, len);
    assert_int_equal(size, evlog_record_size(len + flen));
    assert_true(size <= cap);

    evlog_record_t rec;
    assert_int_equal(evlog_record_read(b, size, &rec), size);
    assert_int_equal(rec.seq, seq);
    assert_int_equal(rec.len, len + flen);
    /* the producer's bytes unchanged, then the field */
    assert_memory_equal(rec.data, packed, len);
    assert_memory_equal(rec.data + len, field, flen);
    for (size_t i = EVLOG_HDR + rec.len; i < size; i++)
        assert_int_equal(b[i], 0);

    Kefu__Envelope *ev = kefu__envelope__unpack(NULL, rec.len, rec.data);
    assert_non_null(ev);
    assert_true(ev->has_seq);
    assert_int_equal(ev->seq, seq);
    assert_string_equal(ev->producer, "intake");
    assert_true(ev->has_producer_seq);
    assert_int_equal(ev->producer_seq, 5);
    assert_true(ev->has_at);
    assert_int_equal(ev->at, 1700000000123456);
    assert_string_equal(ev->request_id, "r-17");
    assert_string_equal(ev->actor, "staff-3");
    assert_int_equal(ev->body_case, KEFU__ENVELOPE__BODY_PROBE);
    assert_true(ev->probe->has_payload);
    assert_int_equal(ev->probe->payload.len, 3);
    assert_memory_equal(ev->probe->payload.data, "xyz", 3);
    assert_true(ev->probe->has_n);
    assert_int_equal(ev->probe->n, 42);
    kefu__envelope__free_unpacked(ev, NULL);
    free(b);
    free(packed);
}

static void test_write_event(void **state)
{
    (void) state;
    static const uint64_t seqs[] = {1, 127, 128, 300, 1ull << 63, UINT64_MAX};
    for (size_t i = 0; i < sizeof seqs / sizeof seqs[0]; i++) {
        s_check_event(seqs[i], false);
        s_check_event(seqs[i], true);
    }
}

/* Sizes worked by hand: an event of 6 bytes + field 08 01 = 8 -> 24;
 * 7 + 2 = 9 -> 32; 6 + 3 (seq 300) = 9 -> 32. */
static void test_write_event_sizes(void **state)
{
    (void) state;
    uint8_t ev[7] = {0x10, 0x01, 0x18, 0x02, 0x20, 0x03, 0x00};  /* any bytes */
    uint8_t *b = s_buf(evlog_record_size(7 + 11));
    assert_int_equal(evlog_record_write_event(b, 1, ev, 6), 24);
    assert_int_equal(s_le32(b), 8);
    assert_int_equal(b[16 + 6], 0x08);
    assert_int_equal(b[16 + 7], 0x01);
    assert_int_equal(evlog_record_write_event(b, 1, ev, 7), 32);
    assert_int_equal(s_le32(b), 9);
    assert_int_equal(evlog_record_write_event(b, 300, ev, 6), 32);
    assert_int_equal(s_le32(b), 9);
    assert_int_equal(b[16 + 7], 0xac);
    assert_int_equal(b[16 + 8], 0x02);
    for (int i = 16 + 9; i < 32; i++)
        assert_int_equal(b[i], 0);
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sizes),
        cmocka_unit_test(test_crc32c),
        cmocka_unit_test(test_header_bytes),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_consecutive),
        cmocka_unit_test(test_crc_catches_damage),
        cmocka_unit_test(test_bad_length),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_seq_field),
        cmocka_unit_test(test_write_event),
        cmocka_unit_test(test_write_event_sizes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
