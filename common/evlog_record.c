/* evlog_record.c: encode and decode log records (format in evlog_record.h). */
#include "evlog_record.h"

#include <stdbool.h>
#include <string.h>

#include "pbwire.h"

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

static inline void s_put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t) (v >> (8 * i));
}

static inline void s_put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t) (v >> (8 * i));
}

static inline uint32_t s_get32(const uint8_t *p)
{
    return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 |
           (uint32_t) p[3] << 24;
}

static inline uint64_t s_get64(const uint8_t *p)
{
    return (uint64_t) s_get32(p) | (uint64_t) s_get32(p + 4) << 32;
}

/* CRC-32C (Castagnoli). On x86-64 with SSE4.2 the crc32 instruction does
 * 8 bytes a cycle; the table is the portable fallback and the reference
 * the tests compare against. The crc is the log's hottest computation
 * after the memcpy, so it is worth the few lines. */
static uint32_t s_table[256];
static bool s_hw;

__attribute__((constructor)) static void s_crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? (c >> 1) ^ 0x82F63B78u : c >> 1;
        s_table[i] = c;
    }
#if defined(__x86_64__)
    __builtin_cpu_init();
    s_hw = __builtin_cpu_supports("sse4.2");
#endif
}

static uint32_t s_crc_sw(uint32_t crc, const uint8_t *p, size_t n)
{
    while (n--)
        crc = s_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
    return crc;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) static uint32_t s_crc_hw(uint32_t crc, const uint8_t *p, size_t n)
{
    uint64_t c = crc;
    while (n >= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        c = _mm_crc32_u64(c, v);
        p += 8;
        n -= 8;
    }
    crc = (uint32_t) c;
    while (n--)
        crc = _mm_crc32_u8(crc, *p++);
    return crc;
}
#endif

uint32_t evlog_crc32c(uint32_t crc, const void *data, size_t n)
{
    crc = ~crc;
#if defined(__x86_64__)
    if (s_hw)
        return ~s_crc_hw(crc, data, n);
#endif
    return ~s_crc_sw(crc, data, n);
}

/* The crc covers the seq and the payload, so a record copied to the wrong
 * place or a stale record left behind by a rewrite is caught too. */
static uint32_t s_crc(const uint8_t *seq_le, const void *payload, size_t len)
{
    return evlog_crc32c(evlog_crc32c(0, seq_le, 8), payload, len);
}

void evlog_record_write(uint8_t *out, uint64_t seq, const void *payload, size_t len)
{
    s_put32(out, (uint32_t) len);
    s_put64(out + 8, seq);
    memcpy(out + EVLOG_HDR, payload, len);
    s_put32(out + 4, s_crc(out + 8, payload, len));
    size_t total = evlog_record_size(len);
    memset(out + EVLOG_HDR + len, 0, total - EVLOG_HDR - len);
}

size_t evlog_record_read(const uint8_t *buf, size_t avail, evlog_record_t *rec)
{
    if (avail < EVLOG_HDR)
        return 0;
    uint32_t len = s_get32(buf);
    if (len == 0 || len > EVLOG_MAX_EVENT + 16)
        return 0;
    size_t total = evlog_record_size(len);
    if (total > avail)
        return 0;
    if (s_get32(buf + 4) != s_crc(buf + 8, buf + EVLOG_HDR, len))
        return 0;
    rec->seq = s_get64(buf + 8);
    rec->data = buf + EVLOG_HDR;
    rec->len = len;
    return total;
}

size_t evlog_seq_field(uint8_t *out, uint64_t seq)
{
    return pbwire_put_field1(out, seq);
}

size_t evlog_record_write_event(uint8_t *out, uint64_t seq, const void *event, size_t len)
{
    uint8_t *payload = out + EVLOG_HDR;
    memcpy(payload, event, len);
    len += evlog_seq_field(payload + len, seq);
    s_put32(out, (uint32_t) len);
    s_put64(out + 8, seq);
    s_put32(out + 4, s_crc(out + 8, payload, len));
    size_t total = evlog_record_size(len);
    memset(out + EVLOG_HDR + len, 0, total - EVLOG_HDR - len);
    return total;
}
