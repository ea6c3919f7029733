/* fuzz_record.c: the log's records on disk and on the wire
 * (common/evlog_record.h), read as the log's recovery scan and its
 * clients read them: one after another until the first that is not a
 * valid record.
 *
 * Input byte 0 chooses: even, the rest is taken as segment bytes as
 * they are (torn, corrupt, zero fill); odd, the rest is payloads
 * ([u16 LE len][bytes]...) written as records with seqs 1, 2, ... and
 * read back, which must give exactly those records (the crc would
 * otherwise keep the fuzzer out of the payloads). Every record read must
 * lie within the bytes, be rewritten byte for byte by evlog_record_write,
 * and its payload is peeked and decoded as a consumer does.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "event.pb-c.h"
#include "evlog_event.h"
#include "evlog_record.h"

static void s_check_payload(const evlog_record_t *rec)
{
    /* what a consumer does with a record: its body's case off the bytes,
     * and the envelope decoded when it wants it */
    int peek = evlog_event_peek_body(rec->data, rec->len);
    arena_t *a = arena_new(0);
    Kefu__Envelope *ev = kefu__envelope__unpack(arena_pbc(a), rec->len, rec->data);
    evlog_event_info_t info;
    if (evlog_event_scan(rec->data, rec->len, &info) == 0) {
        /* sure of it: it decodes, with that body */
        if (!ev || (int) ev->body_case != info.body || (peek && peek != info.body))
            abort();
    }
    arena_destroy(&a);
}

/* Reads the records of buf[0..len) in order; returns how many. */
static size_t s_scan(const uint8_t *buf, size_t len, uint64_t first_seq, int expect_seqs)
{
    size_t off = 0, n = 0;
    while (off < len) {
        evlog_record_t rec;
        size_t sz = evlog_record_read(buf + off, len - off, &rec);
        if (!sz)
            break;
        if (sz != evlog_record_size(rec.len) || sz > len - off || rec.data != buf + off + EVLOG_HDR ||
            evlog_record_skip(buf + off) != sz || rec.len == 0)
            abort();
        if (expect_seqs && rec.seq != first_seq + n)
            abort();
        uint8_t *again = malloc(sz);
        if (!again)
            abort();
        evlog_record_write(again, rec.seq, rec.data, rec.len);
        if (memcmp(again, buf + off, EVLOG_HDR + rec.len) != 0)
            abort();
        free(again);
        s_check_payload(&rec);
        off += sz;
        n++;
    }
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    if (!(data[0] & 1)) {
        /* the bytes as a segment holds them; copied so ASan sees its end */
        uint8_t *buf = malloc(size - 1 + 1);
        if (!buf)
            abort();
        memcpy(buf, data + 1, size - 1);
        s_scan(buf, size - 1, 0, 0);
        free(buf);
        return 0;
    }
    /* payloads written as records, then read back */
    size_t cap = 0, off = 1, n = 0;
    for (size_t o = 1; o + 2 <= size;) {
        size_t l = (size_t) data[o] | (size_t) data[o + 1] << 8;
        o += 2;
        if (l > size - o)
            l = size - o;
        cap += evlog_record_size(l);
        o += l;
    }
    uint8_t *buf = calloc(1, cap + 1);
    if (!buf)
        abort();
    size_t at = 0;
    while (off + 2 <= size) {
        size_t l = (size_t) data[off] | (size_t) data[off + 1] << 8;
        off += 2;
        if (l > size - off)
            l = size - off;
        if (l == 0)
            break;   /* a record has 1 byte at least: this ends the log */
        evlog_record_write(buf + at, n + 1, data + off, l);
        at += evlog_record_size(l);
        off += l;
        n++;
    }
    if (s_scan(buf, at, 1, 1) != n)
        abort();
    free(buf);
    return 0;
}
