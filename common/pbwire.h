/* pbwire.h: the few protobuf wire steps kefu takes without a decode.
 *
 * Some places read or write one field of a packed message and leave the
 * rest as bytes: the log appends a record's seq to the producer's bytes
 * (field 1 of Envelope), a reply built off the loop's thread gets its
 * caller's corr appended (field 1 of Reply: protobuf lets a later field 1
 * win), the remote endpoint reads its corr off a daemon's answer, and the
 * log reads the corr of a request too large to decode. The varints and
 * the top-level walk they need are here once. (The log's event scan,
 * evlog_event.c, keeps its own stricter reader: its keys and lengths are
 * at most 5 bytes, as protobuf-c reads them.)
 */
#ifndef KEFU_PBWIRE_H
#define KEFU_PBWIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PBWIRE_VARINT_MAX 10
#define PBWIRE_FIELD1_MAX 11   /* field 1's key and a varint */

/* Reads a varint at *p (before end), at most 10 bytes; advances *p.
 * Returns false if it runs past end or over 10 bytes. */
bool pbwire_get_varint(const uint8_t **p, const uint8_t *end, uint64_t *v);
/* Writes v as a varint at out (PBWIRE_VARINT_MAX bytes at most). Returns
 * how many bytes. */
size_t pbwire_put_varint(uint8_t *out, uint64_t v);
/* Writes field 1 as a varint (key 0x08, then v) at out
 * (PBWIRE_FIELD1_MAX bytes at most). Returns how many bytes. */
size_t pbwire_put_field1(uint8_t *out, uint64_t v);
/* The last top-level field 1 of the packed message p[0..len) as a varint
 * (what a decode would take), every other field skipped by its length
 * (nothing inside them is read). Returns false when there is none, or
 * the top level does not read as protobuf to its end. */
bool pbwire_last_field1(const uint8_t *p, size_t len, uint64_t *v);

#endif
