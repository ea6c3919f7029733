/* evlog_event.c: the log's acceptance check for one event (evlog_event.h):
 * on a decoded envelope (evlog_event_check, the client's), and off its
 * bytes (evlog_event_scan, the log daemon's, which only says "certainly
 * accepted" or "decode and check to know"); and the client's packing of
 * an envelope without protobuf-c's walk over every member of the body's
 * oneof (evlog_event_packed_size, evlog_event_pack: the same bytes). */
#include "evlog_event.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "evlog_record.h"
#include "kerr.h"
#include "kvalid.h"
#include "pbkind.h"

/* The envelope's own fields (packing, below). */
#define S_PACK_MAX 16
static const ProtobufCFieldDescriptor *s_pack_fields[S_PACK_MAX];
static unsigned s_pack_n;
static bool s_pack_fast;
static bool s_scan_fits;   /* the envelope's own fields are the ones the scan knows */
static pthread_once_t s_pack_once = PTHREAD_ONCE_INIT;
static void s_pack_init(void);

/* The limit kvalid.c sets on string field f. */
static size_t s_string_limit(const ProtobufCFieldDescriptor *f)
{
    pbkind_t k = pbkind_of(f);
    return k == PBKIND_ID || k == PBKIND_ACTOR ? KVALID_MAX_ID : KVALID_MAX_STRING;
}

/* True when kvalid_message(&ev->base) would certainly find nothing: the
 * envelope's optional strings within their limits and UTF-8, and the
 * body alone passing kvalid_message. False means: ask kvalid_message. */
static bool s_check_fast(const Kefu__Envelope *ev)
{
    pthread_once(&s_pack_once, s_pack_init);
    if (!s_pack_fast)
        return false;
    const ProtobufCMessageDescriptor *d = &kefu__envelope__descriptor;
    const char *base = (const char *) ev;
    for (unsigned i = 0; i < s_pack_n; i++) {
        const ProtobufCFieldDescriptor *f = s_pack_fields[i];
        if (f->label == PROTOBUF_C_LABEL_REPEATED)
            return false;
        switch (f->type) {
        case PROTOBUF_C_TYPE_STRING: {
            const char *s = *(char *const *) (base + f->offset);
            if (!s)
                break;
            size_t len = strlen(s);
            if (len > s_string_limit(f) || !kvalid_utf8(s, len))
                return false;
            break;
        }
        case PROTOBUF_C_TYPE_BYTES:
        case PROTOBUF_C_TYPE_ENUM:
        case PROTOBUF_C_TYPE_MESSAGE:
            return false;   /* none today: the whole walk */
        default:
            break;          /* numbers: any value */
        }
    }
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field(d, (unsigned) ev->body_case);
    if (!f || !(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) || f->type != PROTOBUF_C_TYPE_MESSAGE)
        return false;
    /* (kvalid's depth limit, 32, counts from the envelope, one level up:
     * no kefu message nests anywhere near it, none is recursive) */
    const ProtobufCMessage *body = *(ProtobufCMessage *const *) (base + f->offset);
    return !body || kvalid_message(body, NULL, 0) == 0;
}

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
    /* kvalid_message(&ev->base) walks every field of Envelope, most of
     * them the body's oneof members: the same check, done by the
     * envelope's own fields here and the body's message alone. Anything
     * off (or a field kind not handled here) goes to the whole walk,
     * which decides and words the error as it always has. */
    if (s_check_fast(ev))
        return 0;
    return kvalid_message(&ev->base, err, cap);
}

const char *evlog_event_type(const Kefu__Envelope *ev)
{
    return evlog_event_body_name((int) ev->body_case);
}

const char *evlog_event_body_name(int body_case)
{
    if (body_case <= 0)
        return NULL;
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field(&kefu__envelope__descriptor, (unsigned) body_case);
    return f && (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) ? f->name : NULL;
}

/* ---- the scan (evlog_event_scan) ------------------------------------------ */

/* A varint at *p (< end), at most 10 bytes, the 10th holding one bit (as
 * a uint64 can): false otherwise. */
static inline bool s_scan_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
    const uint8_t *q = *p;
    if (q < end && !(*q & 0x80)) {   /* one byte: the common case */
        *v = *q;
        *p = q + 1;
        return true;
    }
    uint64_t x = 0;
    for (int i = 0; i < 10; i++) {
        if (q == end)
            return false;
        uint8_t b = *q++;
        if (i == 9 && b > 1)
            return false;
        x |= (uint64_t) (b & 0x7f) << (7 * i);
        if (!(b & 0x80)) {
            *v = x;
            *p = q;
            return true;
        }
    }
    return false;
}

/* A field's key or a length prefix: a varint as above, but of at most 5
 * bytes, as protobuf-c reads them (parse_tag_and_wiretype,
 * scan_length_prefix_data); it refuses a longer one, even one whose value
 * fits, such as a key padded with 0x80 bytes. So the scan is not sure of
 * one either (found by tests/fuzz/fuzz_envelope: a 6-byte key the scan
 * took for a known field and protobuf-c refused). */
static inline bool s_scan_key(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
    const uint8_t *q = *p;
    if (!s_scan_varint(p, end, v))
        return false;
    return *p - q <= 5;
}

/* A top-level string: no NUL (protobuf-c would cut it there), within
 * limit, UTF-8. */
static inline bool s_scan_string(const uint8_t *s, size_t len, size_t limit)
{
    return len <= limit && !memchr(s, 0, len) && kvalid_utf8((const char *) s, len);
}

/* The limit of Envelope's string field id, as kvalid.c sets it. */
static size_t s_scan_limit(unsigned id)
{
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field(&kefu__envelope__descriptor, id);
    pbkind_t k = f ? pbkind_of(f) : PBKIND_PLAIN;
    return k == PBKIND_ID || k == PBKIND_ACTOR ? KVALID_MAX_ID : KVALID_MAX_STRING;
}

/* The wire type a field of type t comes in, unpacked. */
static unsigned s_wire_type(ProtobufCType t)
{
    switch (t) {
    case PROTOBUF_C_TYPE_SFIXED32:
    case PROTOBUF_C_TYPE_FIXED32:
    case PROTOBUF_C_TYPE_FLOAT:
        return 5;
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_FIXED64:
    case PROTOBUF_C_TYPE_DOUBLE:
        return 1;
    case PROTOBUF_C_TYPE_STRING:
    case PROTOBUF_C_TYPE_BYTES:
    case PROTOBUF_C_TYPE_MESSAGE:
        return 2;
    default:
        return 0;   /* the varints: ints, bool, enum */
    }
}

#define S_WIRE_MAX_FIELDS 128
#define S_WIRE_MAX_DEPTH 16   /* within kvalid.c's 32, counted from the envelope */

/* True when the bytes [p, end) of a message of type d certainly decode
 * and pass kvalid_message (kvalid.h) as a part of an envelope: every
 * known field of its declared wire type (no packed encoding), a
 * singular field at most once (protobuf-c would keep the last, or merge
 * messages), strings without NUL, UTF-8 and within their limits, bytes
 * within theirs, enum values known, repeated fields within their count,
 * sub-messages the same, nesting bounded, unknown fields of the plain
 * wire types. False: not sure (decode and check to know). */
static bool s_wire_ok(const ProtobufCMessageDescriptor *d, const uint8_t *p,
                      const uint8_t *end, int depth)
{
    if (depth > S_WIRE_MAX_DEPTH || d->n_fields > S_WIRE_MAX_FIELDS)
        return false;
    uint32_t count[S_WIRE_MAX_FIELDS];
    memset(count, 0, d->n_fields * sizeof count[0]);
    while (p < end) {
        uint64_t key, v = 0;
        if (!s_scan_key(&p, end, &key) || key > UINT32_MAX)
            return false;
        unsigned id = (unsigned) (key >> 3), wt = (unsigned) (key & 7);
        if (id == 0)
            return false;
        const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field(d, id);
        const uint8_t *q = NULL;
        size_t qlen = 0;
        switch (wt) {
        case 0:
            if (!s_scan_varint(&p, end, &v))
                return false;
            break;
        case 1:
        case 5: {
            size_t n = wt == 1 ? 8 : 4;
            if ((size_t) (end - p) < n)
                return false;
            p += n;
            break;
        }
        case 2:
            if (!s_scan_key(&p, end, &v) || v > (uint64_t) (end - p))
                return false;
            q = p;
            qlen = (size_t) v;
            p += v;
            break;
        default:
            return false;   /* groups, or not protobuf */
        }
        if (!f)
            continue;   /* unknown: kept by protobuf-c, not checked (events aren't strict) */
        if (wt != s_wire_type(f->type))
            return false;
        size_t fi = (size_t) (f - d->fields);
        if (fi >= d->n_fields)
            return false;
        count[fi]++;
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            if (count[fi] > KVALID_MAX_REPEAT)
                return false;
        } else if (count[fi] > 1 || (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)) {
            return false;   /* twice; or a oneof member, where another may follow */
        }
        switch (f->type) {
        case PROTOBUF_C_TYPE_STRING: {
            pbkind_t k = pbkind_of(f);
            size_t limit = k == PBKIND_ID || k == PBKIND_ACTOR ? KVALID_MAX_ID : KVALID_MAX_STRING;
            if (!s_scan_string(q, qlen, limit))
                return false;
            break;
        }
        case PROTOBUF_C_TYPE_BYTES:
            if (qlen > KVALID_MAX_BYTES)
                return false;
            break;
        case PROTOBUF_C_TYPE_ENUM:
            /* protobuf-c keeps the low 32 bits as an int */
            if (!protobuf_c_enum_descriptor_get_value(f->descriptor, (int) (int32_t) (uint32_t) v))
                return false;
            break;
        case PROTOBUF_C_TYPE_MESSAGE:
            if (!s_wire_ok(f->descriptor, q, q + qlen, depth + 1))
                return false;
            break;
        default:
            break;
        }
    }
    /* a required field missing fails protobuf-c's unpack */
    for (unsigned i = 0; i < d->n_fields; i++)
        if (d->fields[i].label == PROTOBUF_C_LABEL_REQUIRED && count[i] == 0)
            return false;
    return true;
}

int evlog_event_scan(const uint8_t *data, size_t len, evlog_event_info_t *out)
{
    enum { UNSURE = 1 };
    pthread_once(&s_pack_once, s_pack_init);
    if (!s_scan_fits || len == 0 || len > EVLOG_MAX_EVENT)
        return UNSURE;
    const uint8_t *p = data, *end = data + len;
    unsigned seen = 0;   /* bit n: field n (1..7); bit 0: a body */
    evlog_event_info_t info = {0};
    while (p < end) {
        uint64_t key, v;
        if (!s_scan_key(&p, end, &key) || key > UINT32_MAX)
            return UNSURE;
        unsigned field = (unsigned) (key >> 3), wt = (unsigned) (key & 7);
        unsigned bit;
        const uint8_t *s = NULL;
        size_t slen = 0;
        switch (field) {
        case 1:   /* seq (the log's own; a producer's is overwritten by it) */
        case 3:   /* producer_seq */
        case 4:   /* at */
            if (wt != 0 || !s_scan_varint(&p, end, &v))
                return UNSURE;
            if (field == 3)
                info.producer_seq = v;
            bit = field;
            break;
        case 7:   /* request_digest, fixed64 */
            if (wt != 1 || end - p < 8)
                return UNSURE;
            p += 8;
            bit = field;
            break;
        case 2:   /* producer */
        case 5:   /* request_id */
        case 6:   /* actor */
            if (wt != 2 || !s_scan_key(&p, end, &v) || v > (uint64_t) (end - p))
                return UNSURE;
            s = p;
            slen = (size_t) v;
            p += v;
            if (!s_scan_string(s, slen, field == 2 ? KVALID_MAX_ID : s_scan_limit(field)))
                return UNSURE;
            if (field == 2) {
                info.producer = (const char *) s;
                info.producer_len = slen;
            }
            bit = field;
            break;
        default: {
            /* a body: a known member of the oneof, one message, whose
             * bytes decode and pass kvalid_message */
            if (field < 15 || wt != 2 || !evlog_event_body_name((int) field) ||
                !s_scan_key(&p, end, &v) || v > (uint64_t) (end - p))
                return UNSURE;
            const ProtobufCFieldDescriptor *bf =
                protobuf_c_message_descriptor_get_field(&kefu__envelope__descriptor, field);
            if (!bf || bf->type != PROTOBUF_C_TYPE_MESSAGE ||
                !s_wire_ok(bf->descriptor, p, p + v, 1))
                return UNSURE;
            p += v;
            info.body = (int) field;
            bit = 0;
            break;
        }
        }
        if (seen & (1u << bit))
            return UNSURE;   /* twice: protobuf-c keeps the last or merges */
        seen |= 1u << bit;
    }
    if (!(seen & 1u) || info.producer_len == 0 || !(seen & (1u << 3)) ||
        info.producer_seq == 0 || !(seen & (1u << 4)))
        return UNSURE;
    *out = info;
    return 0;
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

/* ---- packing (evlog_event_packed_size, evlog_event_pack) ------------------- */

/* The envelope's own fields (not the oneof's), in id order, when every
 * one is an optional one of the kinds below and all come before the
 * body's ids (as protobuf-c packs: in descriptor order, the body where
 * its id falls); else s_pack_fast is false and protobuf-c packs. */
static void s_pack_init(void)
{
    const ProtobufCMessageDescriptor *d = &kefu__envelope__descriptor;
    unsigned n = 0, last = 0, first_body = UINT32_MAX;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
            if (f->id < first_body)
                first_body = f->id;
            if (f->type != PROTOBUF_C_TYPE_MESSAGE)
                return;
            continue;
        }
        if (n == S_PACK_MAX || f->label != PROTOBUF_C_LABEL_OPTIONAL || f->id <= last ||
            (f->flags & PROTOBUF_C_FIELD_FLAG_PACKED))
            return;
        switch (f->type) {
        case PROTOBUF_C_TYPE_UINT64:
        case PROTOBUF_C_TYPE_INT64:
        case PROTOBUF_C_TYPE_FIXED64:
        case PROTOBUF_C_TYPE_STRING:
            break;
        default:
            return;
        }
        last = f->id;
        s_pack_fields[n++] = f;
    }
    if (last >= first_body)
        return;
    s_pack_n = n;
    s_pack_fast = true;
    /* evlog_event_scan reads fields 1..7 by number: they must be these. */
    static const ProtobufCType want[] = {
        PROTOBUF_C_TYPE_UINT64, PROTOBUF_C_TYPE_STRING, PROTOBUF_C_TYPE_UINT64,
        PROTOBUF_C_TYPE_INT64, PROTOBUF_C_TYPE_STRING, PROTOBUF_C_TYPE_STRING,
        PROTOBUF_C_TYPE_FIXED64};
    bool fits = n == sizeof want / sizeof want[0];
    for (unsigned i = 0; fits && i < n; i++)
        fits = s_pack_fields[i]->id == i + 1 && s_pack_fields[i]->type == want[i];
    s_scan_fits = fits;
}

static size_t s_varint_size(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

static size_t s_put_varint(uint8_t *out, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        out[n++] = (uint8_t) (v | 0x80);
        v >>= 7;
    }
    out[n++] = (uint8_t) v;
    return n;
}

/* Field f of ev as protobuf-c would pack it: its bytes' size, or 0 when
 * it packs nothing (an unset scalar, a NULL or default string). With out,
 * writes them. */
static size_t s_pack_field(const Kefu__Envelope *ev, const ProtobufCFieldDescriptor *f,
                           uint8_t *out)
{
    const char *base = (const char *) ev;
    const void *member = base + f->offset;
    uint8_t tmp[32];
    uint8_t *o = out ? out : tmp;
    size_t n;
    if (f->type == PROTOBUF_C_TYPE_STRING) {
        const char *s = *(const char *const *) member;
        if (!s || s == f->default_value)
            return 0;
        size_t len = strlen(s);
        uint64_t key = (uint64_t) f->id << 3 | 2;
        if (!out)
            return s_varint_size(key) + s_varint_size(len) + len;
        n = s_put_varint(o, key);
        n += s_put_varint(o + n, len);
        memcpy(o + n, s, len);
        return n + len;
    }
    if (!*(const protobuf_c_boolean *) (base + f->quantifier_offset))
        return 0;
    if (f->type == PROTOBUF_C_TYPE_FIXED64) {
        uint64_t v = *(const uint64_t *) member;
        n = s_put_varint(o, (uint64_t) f->id << 3 | 1);
        for (int i = 0; i < 8; i++)
            o[n + i] = (uint8_t) (v >> (8 * i));
        return n + 8;
    }
    /* uint64, int64: a varint (a negative int64 as its 64 bits, 10 bytes) */
    uint64_t v = *(const uint64_t *) member;
    uint64_t key = (uint64_t) f->id << 3;
    if (!out)
        return s_varint_size(key) + s_varint_size(v);
    n = s_put_varint(o, key);
    return n + s_put_varint(o + n, v);
}

/* The body's message, or NULL. */
static const ProtobufCMessage *s_body(const Kefu__Envelope *ev,
                                      const ProtobufCFieldDescriptor **fp)
{
    if (ev->body_case == KEFU__ENVELOPE__BODY__NOT_SET)
        return NULL;
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field(&kefu__envelope__descriptor,
                                                (unsigned) ev->body_case);
    if (!f || !(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF))
        return NULL;
    *fp = f;
    return *(const ProtobufCMessage *const *) ((const char *) ev + f->offset);
}

size_t evlog_event_packed_size(const Kefu__Envelope *ev, evlog_pack_plan_t *plan)
{
    pthread_once(&s_pack_once, s_pack_init);
    const ProtobufCFieldDescriptor *bf = NULL;
    const ProtobufCMessage *body = s_body(ev, &bf);
    plan->body_len = SIZE_MAX;
    if (!s_pack_fast || ev->base.n_unknown_fields > 0 || !body)
        return kefu__envelope__get_packed_size(ev);
    size_t total = 0;
    for (unsigned i = 0; i < s_pack_n; i++)
        total += s_pack_field(ev, s_pack_fields[i], NULL);
    size_t blen = protobuf_c_message_get_packed_size(body);
    plan->body_len = blen;
    return total + s_varint_size((uint64_t) bf->id << 3 | 2) + s_varint_size(blen) + blen;
}

size_t evlog_event_pack(const Kefu__Envelope *ev, const evlog_pack_plan_t *plan, uint8_t *out)
{
    if (plan->body_len == SIZE_MAX)
        return kefu__envelope__pack(ev, out);
    const ProtobufCFieldDescriptor *bf = NULL;
    const ProtobufCMessage *body = s_body(ev, &bf);
    size_t n = 0;
    for (unsigned i = 0; i < s_pack_n; i++)
        n += s_pack_field(ev, s_pack_fields[i], out + n);
    n += s_put_varint(out + n, (uint64_t) bf->id << 3 | 2);
    n += s_put_varint(out + n, plan->body_len);
    return n + protobuf_c_message_pack(body, out + n);
}
