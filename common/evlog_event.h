/* evlog_event.h: what makes an event acceptable to the log.
 *
 * The log client checks each event with evlog_event_check() before
 * numbering it, so an event the log would refuse never takes a
 * producer_seq. The log daemon accepts the same events, but reads them
 * off their bytes (evlog_event_scan(): one pass, nothing decoded or
 * allocated) and decodes and checks with evlog_event_check() only an
 * event the scan is not sure of, which is then refused, or accepted,
 * exactly as before, with the same words.
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

/* Packing an envelope as kefu__envelope__pack() does, byte for byte,
 * without its walk over every member of the body's oneof: the envelope's
 * own fields here, the body by protobuf-c. evlog_event_packed_size()
 * returns the packed size and keeps what evlog_event_pack() needs in
 * *plan; evlog_event_pack() writes that many bytes to out (the envelope
 * must not change in between). An envelope this can't do (unknown
 * fields, a body case with no body) falls back to protobuf-c. */
typedef struct {
    size_t body_len;    /* SIZE_MAX: packed by protobuf-c */
} evlog_pack_plan_t;
size_t evlog_event_packed_size(const Kefu__Envelope *ev, evlog_pack_plan_t *plan);
size_t evlog_event_pack(const Kefu__Envelope *ev, const evlog_pack_plan_t *plan, uint8_t *out);

/* The event's type name: the set body field's name ("clock_advanced"),
 * or NULL if none is set. */
const char *evlog_event_type(const Kefu__Envelope *ev);
/* The same for a body case (NULL if it is none of Envelope's). */
const char *evlog_event_body_name(int body_case);

/* What the log itself needs of an event, read off its bytes. */
typedef struct {
    const char *producer;   /* in the bytes, producer_len of them, no NUL */
    size_t producer_len;
    uint64_t producer_seq;
    int body;               /* the body's oneof case */
} evlog_event_info_t;

/* The log's check of a packed envelope without decoding it: one pass
 * over its bytes. Returns 0 when the envelope certainly decodes and
 * passes evlog_event_check() (out filled): every top-level field known,
 * once, of its declared wire type and within its bounds; producer (1..64
 * bytes of UTF-8, no NUL), producer_seq >= 1 and at present; exactly one
 * known body, whose fields are walked the same way against their
 * descriptors (wire types, strings' UTF-8 and limits, bytes' limits,
 * enum values, repeated counts, nesting: what kvalid_message checks);
 * len <= EVLOG_MAX_EVENT. Returns 1 when it can't be sure (a missing or
 * repeated field, an unknown top-level one, a wrong wire type, a packed
 * repeated field, a oneof inside the body, bad bytes...): then decode it
 * and let evlog_event_check() decide and say why. */
int evlog_event_scan(const uint8_t *data, size_t len, evlog_event_info_t *out);

#endif
