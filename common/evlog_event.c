/* evlog_event.c: the log's acceptance check for one event (evlog_event.h). */
#include "evlog_event.h"

#include <stdio.h>
#include <string.h>

#include "evlog_record.h"
#include "kerr.h"
#include "kvalid.h"

int evlog_event_check(const Kefu__Envelope *ev, size_t packed_len, char *err, size_t cap)
{
    if (packed_len > EVLOG_MAX_EVENT) {
        snprintf(err, cap, "event is %zu bytes; the limit is %d", packed_len, EVLOG_MAX_EVENT);
        return KEFU_ETOOLARGE;
    }
    if (!ev->producer || !ev->producer[0]) {
        snprintf(err, cap, "envelope.producer is required");
        return KEFU_EBADREQ;
    }
    if (!ev->has_producer_seq || ev->producer_seq == 0) {
        snprintf(err, cap, "envelope.producer_seq is required (1, 2, ...)");
        return KEFU_EBADREQ;
    }
    if (!ev->has_at) {
        snprintf(err, cap, "envelope.at is required");
        return KEFU_EBADREQ;
    }
    if (ev->body_case == KEFU__ENVELOPE__BODY__NOT_SET) {
        if (ev->base.n_unknown_fields > 0)
            snprintf(err, cap, "unknown event type (field %u)", ev->base.unknown_fields[0].tag);
        else
            snprintf(err, cap, "event has no body");
        return ev->base.n_unknown_fields > 0 ? KEFU_EUNKNOWNTYPE : KEFU_EBADREQ;
    }
    return kvalid_message(&ev->base, err, cap);
}

const char *evlog_event_type(const Kefu__Envelope *ev)
{
    if (ev->body_case == KEFU__ENVELOPE__BODY__NOT_SET)
        return NULL;
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field(&kefu__envelope__descriptor, ev->body_case);
    return f ? f->name : NULL;
}

int evlog_event_peek_body(const uint8_t *data, size_t len)
{
    const uint8_t *p = data, *end = data + len;
    while (p < end) {
        uint64_t key = 0, v = 0;
        int shift = 0;
        do {
            if (p == end || shift > 63)
                return 0;
            key |= (uint64_t) (*p & 0x7f) << shift;
            shift += 7;
        } while (*p++ & 0x80);
        unsigned field = (unsigned) (key >> 3), wt = (unsigned) (key & 7);
        switch (wt) {
        case 0:
            do {
                if (p == end)
                    return 0;
            } while (*p++ & 0x80);
            break;
        case 1:
            if (end - p < 8)
                return 0;
            p += 8;
            break;
        case 5:
            if (end - p < 4)
                return 0;
            p += 4;
            break;
        case 2:
            shift = 0;
            do {
                if (p == end || shift > 63)
                    return 0;
                v |= (uint64_t) (*p & 0x7f) << shift;
                shift += 7;
            } while (*p++ & 0x80);
            if (v > (uint64_t) (end - p))
                return 0;
            if (field >= 15)
                return (int) field;
            p += v;
            break;
        default:
            return 0;
        }
    }
    return 0;
}
