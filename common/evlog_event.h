/* evlog_event.h: what makes an event acceptable to the log.
 *
 * The log daemon checks every appended event with this function, and the
 * log client checks each event with the same function before numbering it,
 * so an event the log would refuse never takes a producer_seq.
 */
#ifndef KEFU_EVLOG_EVENT_H
#define KEFU_EVLOG_EVENT_H

#include <stddef.h>
#include <stdint.h>

#include "event.pb-c.h"

/* Checks ev (packed, packed_len bytes): producer set (1..64 bytes),
 * producer_seq >= 1, at set, a known body, every field valid (kvalid.h),
 * packed_len <= EVLOG_MAX_EVENT. Returns 0, KEFU_EBADREQ (missing field),
 * KEFU_EUNKNOWNTYPE, KEFU_EINVAL or KEFU_ETOOLARGE, with a message in err. */
int evlog_event_check(const Kefu__Envelope *ev, size_t packed_len, char *err, size_t cap);

/* The body case of a packed envelope (data[0..len)) without decoding it:
 * the number of its first length-delimited field from 15 on (the body
 * oneof, proto/event.proto), read off the wire by its tags. Returns the
 * case, or 0 when there is none or the bytes are not an envelope (then
 * decode it to know). */
int evlog_event_peek_body(const uint8_t *data, size_t len);

/* The event's type name: the set body field's name ("clock_advanced"),
 * or NULL if none is set. */
const char *evlog_event_type(const Kefu__Envelope *ev);

#endif
