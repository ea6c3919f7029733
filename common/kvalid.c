/* kvalid.c: validation of input from outside, in one place (see kvalid.h).
 *
 * protobuf-c checks the wire format when it unpacks but not the meaning:
 * a string field may hold any bytes, an enum field any int, a repeated
 * field any count. kvalid_message() walks a decoded message generically
 * through its descriptor, so every message type, present and future, is
 * checked by the same code and no handler needs its own checks for these.
 *
 * A field is looked at only when it is set: a repeated field's elements
 * (count at quantifier_offset), an optional scalar or bytes field with its
 * has_ flag, an optional string or message when its pointer is not NULL,
 * and a oneof member only when the oneof's case (at quantifier_offset)
 * names it; the members share one union, so reading another would read a
 * pointer of the wrong type.
 *
 * The error text names the field by path, from the message type in
 * snake_case: "log_request.append.events[2]: 70000 bytes, over the limit
 * of 65536".
 */
#include "kvalid.h"

#include <assert.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "kerr.h"
#include "pbdesc.h"
#include "pbkind.h"
#include "pbwire.h"

/* Nesting deeper than this is refused: no kefu message nests more than a
 * few levels, and a recursive type could otherwise run the stack out. */
#define S_MAX_DEPTH 32
#define S_PATH_MAX  256

bool kvalid_utf8(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *) s;
    size_t i = 0;
    while (i < len) {
        unsigned char c = p[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t n;
        /* Bounds of the second byte (Unicode table 3-7): they exclude
         * overlongs (E0 80..9F, F0 80..8F), surrogates (ED A0..BF) and
         * code points over U+10FFFF (F4 90..BF). */
        unsigned char lo = 0x80, hi = 0xBF;
        if (c >= 0xC2 && c <= 0xDF)
            n = 2;
        else if (c >= 0xE0 && c <= 0xEF) {
            n = 3;
            if (c == 0xE0)
                lo = 0xA0;
            else if (c == 0xED)
                hi = 0x9F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 4;
            if (c == 0xF0)
                lo = 0x90;
            else if (c == 0xF4)
                hi = 0x8F;
        } else
            return false;   /* 80..BF continuation, C0/C1 overlong, F5..FF */
        if (len - i < n)
            return false;   /* truncated */
        if (p[i + 1] < lo || p[i + 1] > hi)
            return false;
        for (size_t k = 2; k < n; k++)
            if (p[i + k] < 0x80 || p[i + k] > 0xBF)
                return false;
        i += n;
    }
    return true;
}

/* The walk's state: where it is (a stack of fields and indexes, turned
 * into a path only when something fails, so a valid message costs no
 * string formatting) and where to report. */
typedef struct {
    const ProtobufCFieldDescriptor *field;
    size_t index;   /* SIZE_MAX: not an element of a repeated field */
} s_frame_t;

typedef struct {
    const ProtobufCMessageDescriptor *root;
    s_frame_t stack[2 * S_MAX_DEPTH + 4];
    size_t depth;
    char *err;
    size_t cap;
    bool strict;    /* unknown fields refused (requests) */
} s_walk_t;

static void s_snake(const char *name, char *out, size_t cap);

static int s_fail(s_walk_t *w, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int s_fail(s_walk_t *w, int rc, const char *fmt, ...)
{
    if (!w->err || w->cap == 0)
        return rc;
    char path[S_PATH_MAX];
    s_snake(w->root->short_name, path, sizeof path);
    size_t len = strlen(path);
    for (size_t i = 0; i < w->depth && len < sizeof path; i++) {
        const s_frame_t *fr = &w->stack[i];
        int n = fr->index == SIZE_MAX
                    ? snprintf(path + len, sizeof path - len, ".%s", fr->field->name)
                    : snprintf(path + len, sizeof path - len, "[%zu]", fr->index);
        if (n < 0)
            break;
        len += (size_t) n;
    }
    int n = snprintf(w->err, w->cap, "%s: ", path);
    if (n >= 0 && (size_t) n < w->cap) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(w->err + n, w->cap - (size_t) n, fmt, ap);
        va_end(ap);
    }
    return rc;
}

/* Enters field f (index SIZE_MAX) or element index of the current field. */
static void s_push(s_walk_t *w, const ProtobufCFieldDescriptor *f, size_t index)
{
    assert(w->depth < sizeof w->stack / sizeof w->stack[0]);
    w->stack[w->depth++] = (s_frame_t){f, index};
}

static void s_pop(s_walk_t *w)
{
    w->depth--;
}

/* The type name in snake_case: "AppendRequest" -> "append_request". */
static void s_snake(const char *name, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; name[i] && o + 2 < cap; i++) {
        char c = name[i];
        if (isupper((unsigned char) c)) {
            bool after_lower = i > 0 && (islower((unsigned char) name[i - 1])
                                         || isdigit((unsigned char) name[i - 1]));
            bool acronym_end = i > 0 && isupper((unsigned char) name[i - 1])
                               && islower((unsigned char) name[i + 1]);
            if (after_lower || acronym_end)
                out[o++] = '_';
            c = (char) tolower((unsigned char) c);
        }
        out[o++] = c;
    }
    out[o] = '\0';
}

/* Ids (producer names and actors among them) are short keys, stored and
 * compared everywhere: the fields declared ids (pbkind.h) get the tighter
 * limit. */
static size_t s_string_limit(const ProtobufCFieldDescriptor *f)
{
    pbkind_t k = pbkind_of(f);
    return k == PBKIND_ID || k == PBKIND_ACTOR ? KVALID_MAX_ID : KVALID_MAX_STRING;
}

static int s_message(s_walk_t *w, const ProtobufCMessage *msg, int depth);

/* Checks one value of field f at p (an element of a repeated field, or
 * the field itself). */
static int s_value(s_walk_t *w, const ProtobufCFieldDescriptor *f,
                   const void *p, int depth)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_STRING: {
        const char *s = *(char *const *) p;
        if (!s)
            return 0;
        size_t len = strlen(s);
        size_t limit = s_string_limit(f);
        if (len > limit)
            return s_fail(w, KEFU_ETOOLARGE, "%zu bytes, over the limit of %zu",
                          len, limit);
        if (!kvalid_utf8(s, len))
            return s_fail(w, KEFU_EINVAL, "not valid UTF-8");
        return 0;
    }
    case PROTOBUF_C_TYPE_BYTES: {
        const ProtobufCBinaryData *b = p;
        if (b->len > KVALID_MAX_BYTES)
            return s_fail(w, KEFU_ETOOLARGE, "%zu bytes, over the limit of %d",
                          b->len, KVALID_MAX_BYTES);
        return 0;
    }
    case PROTOBUF_C_TYPE_ENUM: {
        int v = *(const int *) p;
        const ProtobufCEnumDescriptor *ed = f->descriptor;
        if (!protobuf_c_enum_descriptor_get_value(ed, v))
            return s_fail(w, KEFU_EINVAL, "%d is not a value of %s", v, ed->short_name);
        return 0;
    }
    case PROTOBUF_C_TYPE_MESSAGE: {
        const ProtobufCMessage *sub = *(ProtobufCMessage *const *) p;
        if (!sub)
            return 0;
        return s_message(w, sub, depth + 1);
    }
    default:
        return 0;   /* numbers and bools: every bit pattern is a value */
    }
}



static int s_message(s_walk_t *w, const ProtobufCMessage *msg, int depth)
{
    const ProtobufCMessageDescriptor *d = msg->descriptor;
    assert(d && d->magic == PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC);
    if (depth > S_MAX_DEPTH)
        return s_fail(w, KEFU_EINVAL, "nested more than %d deep", S_MAX_DEPTH);
    const char *base = (const char *) msg;
    if (w->strict && msg->n_unknown_fields > 0)
        return s_fail(w, KEFU_EUNSUPPORTED, "field %u of %s is not known to this daemon",
                      (unsigned) msg->unknown_fields[0].tag, d->short_name);

    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        s_push(w, f, SIZE_MAX);
        int rc = 0;
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t n = *(const size_t *) (base + f->quantifier_offset);
            if (n > KVALID_MAX_REPEAT)
                rc = s_fail(w, KEFU_ETOOLARGE, "%zu elements, over the limit of %d",
                            n, KVALID_MAX_REPEAT);
            const char *arr = *(const char *const *) (base + f->offset);
            if (rc == 0 && n > 0 && !arr)
                rc = s_fail(w, KEFU_EINVAL, "%zu elements but no array", n);
            size_t size = pbdesc_elem_size(f->type);
            for (size_t k = 0; rc == 0 && k < n; k++) {
                s_push(w, f, k);
                rc = s_value(w, f, arr + k * size, depth);
                s_pop(w);
            }
        } else if (pbdesc_is_set(msg, f))
            rc = s_value(w, f, base + f->offset, depth);
        s_pop(w);
        if (rc)
            return rc;
    }
    return 0;
}

int kvalid_message(const ProtobufCMessage *msg, char *err, size_t cap)
{
    assert(msg);
    s_walk_t w = {.root = msg->descriptor, .err = err, .cap = cap};
    if (err && cap > 0)
        err[0] = '\0';
    return s_message(&w, msg, 0);
}

/* ---- requests: the decoded message and its wire bytes ------------------------ */

/* Walks the wire bytes of a message of type d: a string field holding a
 * NUL byte fails (protobuf-c would cut it there: "K1\0junk" would be read
 * as "K1"), sub-messages are walked too. The bytes decoded already, so
 * their shape is sound; a shape error here is reported as malformed. */
static int s_wire(s_walk_t *w, const ProtobufCMessageDescriptor *d, const uint8_t *p,
                  const uint8_t *end, int depth)
{
    if (depth > S_MAX_DEPTH)
        return s_fail(w, KEFU_EINVAL, "nested more than %d deep", S_MAX_DEPTH);
    while (p < end) {
        uint64_t key, v;
        if (!pbwire_get_varint(&p, end, &key))
            return s_fail(w, KEFU_EBADREQ, "malformed");
        unsigned wt = (unsigned) (key & 7);
        const ProtobufCFieldDescriptor *f =
            protobuf_c_message_descriptor_get_field(d, (unsigned) (key >> 3));
        switch (wt) {
        case 0:
            if (!pbwire_get_varint(&p, end, &v))
                return s_fail(w, KEFU_EBADREQ, "malformed");
            break;
        case 1:
        case 5: {
            size_t n = wt == 1 ? 8 : 4;
            if ((size_t) (end - p) < n)
                return s_fail(w, KEFU_EBADREQ, "malformed");
            p += n;
            break;
        }
        case 2: {
            if (!pbwire_get_varint(&p, end, &v) || v > (uint64_t) (end - p))
                return s_fail(w, KEFU_EBADREQ, "malformed");
            const uint8_t *q = p;
            p += v;
            if (!f)
                break;
            int rc = 0;
            s_push(w, f, SIZE_MAX);
            if (f->type == PROTOBUF_C_TYPE_STRING && memchr(q, 0, (size_t) v))
                rc = s_fail(w, KEFU_EINVAL, "holds a NUL byte");
            else if (f->type == PROTOBUF_C_TYPE_MESSAGE)
                rc = s_wire(w, f->descriptor, q, q + v, depth + 1);
            s_pop(w);
            if (rc)
                return rc;
            break;
        }
        default:
            return s_fail(w, KEFU_EBADREQ, "malformed: wire type %u", wt);
        }
    }
    return 0;
}

int kvalid_request(const ProtobufCMessage *msg, const uint8_t *wire, size_t len, char *err,
                   size_t cap)
{
    assert(msg);
    s_walk_t w = {.root = msg->descriptor, .err = err, .cap = cap, .strict = true};
    if (err && cap > 0)
        err[0] = '\0';
    int rc = s_message(&w, msg, 0);
    if (rc == 0 && wire) {
        w.depth = 0;
        rc = s_wire(&w, msg->descriptor, wire, wire + len, 0);
    }
    return rc;
}
