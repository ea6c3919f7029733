/* evlog_record.h: the event log's record format, on disk and on the wire.
 *
 * A record is a 16-byte header and a payload, little-endian:
 *
 *   u32 len     payload length in bytes (1 .. EVLOG_MAX_EVENT)
 *   u32 crc     CRC-32C of seq (8 bytes LE) followed by the payload
 *   u64 seq     log sequence number
 *   u8  payload[len]   a packed kefu.Envelope whose last field is seq: the
 *                      producer's event (<= EVLOG_MAX_EVENT) and the seq
 *                      field the log appends (<= 11 bytes)
 *   pad to a multiple of 8 bytes with zeros
 *
 * The same bytes are written to the segment files, sent in fetch replies
 * and on the live stream, so the log never re-encodes an event. A reader
 * checks the crc and that seqs are consecutive; the first record that
 * fails ends the valid log (see services/evlog/evlog_store.c for recovery).
 */
#ifndef KEFU_EVLOG_RECORD_H
#define KEFU_EVLOG_RECORD_H

#include <stddef.h>
#include <stdint.h>

#define EVLOG_HDR        16
#define EVLOG_MAX_EVENT  (64 * 1024)        /* bytes of one packed event */
#define EVLOG_MAX_REQUEST (4 * 1024 * 1024) /* bytes of one append request */

typedef struct {
    uint64_t seq;
    const uint8_t *data;  /* packed Envelope */
    size_t len;
} evlog_record_t;

/* CRC-32C of data, continuing from crc (0 to start): evlog_crc32c(0,
 * "123456789", 9) == 0xE3069283. */
uint32_t evlog_crc32c(uint32_t crc, const void *data, size_t n);

/* Bytes a record with a payload of len bytes takes (header + pad). */
static inline size_t evlog_record_size(size_t len)
{
    return (EVLOG_HDR + len + 7) & ~(size_t) 7;
}

/* Writes the record of (seq, payload) at out, which has
 * evlog_record_size(len) bytes. */
void evlog_record_write(uint8_t *out, uint64_t seq, const void *payload, size_t len);

/* Writes the record of an event as its producer packed it, with the seq
 * field appended to the payload (the log's append path). out must have
 * evlog_record_size(len + 11) bytes. Returns the record's size. */
size_t evlog_record_write_event(uint8_t *out, uint64_t seq, const void *event, size_t len);

/* Size of the record at buf without checking it: for bytes already
 * checked (the durable log). */
static inline size_t evlog_record_skip(const uint8_t *buf)
{
    uint32_t len = (uint32_t) buf[0] | (uint32_t) buf[1] << 8 |
                   (uint32_t) buf[2] << 16 | (uint32_t) buf[3] << 24;
    return evlog_record_size(len);
}

/* Reads one record at buf (avail bytes). Returns its total size and fills
 * rec, 0 when buf holds no complete valid record (end of data, zero
 * fill, torn or corrupt record). */
size_t evlog_record_read(const uint8_t *buf, size_t avail, evlog_record_t *rec);

/* Appends the varint-encoded Envelope field 1 (seq) to a packed envelope:
 * writes at most 11 bytes at out, returns how many. */
size_t evlog_seq_field(uint8_t *out, uint64_t seq);

#endif
