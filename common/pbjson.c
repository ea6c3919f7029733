/* pbjson.c: any protobuf-c message as JSON (see pbjson.h).
 *
 * The walk is driven entirely by the ProtobufCMessageDescriptor that
 * protobuf-c generates, so a message added to proto/ prints without any
 * code here. How protobuf-c 1.4 lays a message out, which this relies on:
 *
 *   - each field descriptor gives `offset`, where the value lives, and
 *     `quantifier_offset`, where its presence lives: a protobuf_c_boolean
 *     has_ flag for an optional scalar or bytes field (proto2), a size_t
 *     element count for a repeated field (the value is then a pointer to an
 *     array), or, for a member of a oneof (PROTOBUF_C_FIELD_FLAG_ONEOF),
 *     the oneof's uint32 case, which holds the set member's field number;
 *   - optional strings and messages have no flag: NULL means unset (a
 *     string with a declared default points at default_value when unset);
 *   - PROTOBUF_C_LABEL_NONE (proto3 without presence) is set when the
 *     value is not zero/empty, as protobuf-c's packer decides.
 *
 * Output choices beyond the header's rules: repeated fields always print,
 * as [] when empty, so a script can index a list without a presence test;
 * a uint64 above INT64_MAX (JSON integers are signed 64-bit in jansson)
 * prints as a decimal string; a float that is NaN or infinite prints as
 * null (JSON has no such numbers); a string that is not valid UTF-8 (the
 * wire does not guarantee it) prints with U+FFFD for each bad byte rather
 * than making the whole message unprintable; an enum number the
 * descriptor does not know prints as that number.
 *
 * No state is kept between calls: the enum prefix is recomputed per value
 * (enums are short) so the module needs no cache and no lock.
 */
#include "pbjson.h"

#include "pbdesc.h"
#include "pbkind.h"

#include <assert.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ktime.h"

static json_t *s_message(const ProtobufCMessage *msg, int offset_min);

/* ---- scalars -------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s (n bytes left), or 0 if the
 * bytes there are not one (overlong, surrogate, beyond U+10FFFF, cut). */
static size_t s_utf8_seq(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len;
    uint32_t cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        cp = c & 0x07;
    } else
        return 0;
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF))
        || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

/* A JSON string of s; bad UTF-8 bytes become U+FFFD (jansson refuses
 * invalid UTF-8 outright, and one bad byte must not hide the message). */
static json_t *s_string(const char *s)
{
    if (!s)
        s = "";
    json_t *j = json_string(s);
    if (j)
        return j;
    size_t n = strlen(s);
    char *buf = malloc(n * 3 + 1);  /* each byte becomes at most 3 */
    if (!buf)
        return NULL;
    const unsigned char *p = (const unsigned char *) s;
    size_t o = 0;
    while (n > 0) {
        size_t len = s_utf8_seq(p, n);
        if (len == 0) {
            memcpy(buf + o, "\xEF\xBF\xBD", 3);
            o += 3;
            len = 1;
        } else {
            memcpy(buf + o, p, len);
            o += len;
        }
        p += len;
        n -= len;
    }
    j = json_stringn(buf, o);
    free(buf);
    return j;
}

/* bytes as standard base64 with padding (RFC 4648 §4). */
static json_t *s_base64(const ProtobufCBinaryData *b)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t n = b->data ? b->len : 0;
    char *out = malloc((n + 2) / 3 * 4 + 1);
    if (!out)
        return NULL;
    const uint8_t *in = b->data;
    size_t o = 0, i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t) in[i] << 16 | (uint32_t) in[i + 1] << 8 | in[i + 2];
        out[o++] = alphabet[v >> 18];
        out[o++] = alphabet[(v >> 12) & 63];
        out[o++] = alphabet[(v >> 6) & 63];
        out[o++] = alphabet[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t) in[i] << 16;
        out[o++] = alphabet[v >> 18];
        out[o++] = alphabet[(v >> 12) & 63];
        out[o++] = '=';
        out[o++] = '=';
    } else if (n - i == 2) {
        uint32_t v = (uint32_t) in[i] << 16 | (uint32_t) in[i + 1] << 8;
        out[o++] = alphabet[v >> 18];
        out[o++] = alphabet[(v >> 12) & 63];
        out[o++] = alphabet[(v >> 6) & 63];
        out[o++] = '=';
    }
    json_t *j = json_stringn(out, o);
    free(out);
    return j;
}

static json_t *s_enum(const ProtobufCEnumDescriptor *ed, int value)
{
    char word[128];
    if (!pbdesc_enum_word(ed, value, word, sizeof word))
        return json_integer(value);
    return json_string(word);
}

/* A signed 64-bit field, as its kind declares (pbkind.h): a time in usec
 * as RFC 3339, a duration as 2h30m, anything else as the number. A value
 * the formatters cannot print falls back to the plain number rather than
 * losing it. */
static json_t *s_int64(const ProtobufCFieldDescriptor *f, int64_t v, int offset_min)
{
    char buf[64];
    int n = -1;
    switch (pbkind_of(f)) {
    case PBKIND_DURATION:
        n = ktime_format_duration(v, buf, sizeof buf);
        break;
    case PBKIND_TIME:
        n = ktime_format_rfc3339(v, offset_min, buf, sizeof buf);
        break;
    default:
        break;
    }
    return n > 0 ? json_string(buf) : json_integer(v);
}

static json_t *s_real(double d)
{
    /* json_real() refuses NaN and infinities */
    return isfinite(d) ? json_real(d) : json_null();
}

/* The JSON value of one value of field f stored at p. */
static json_t *s_value(const ProtobufCFieldDescriptor *f, const void *p, int offset_min)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
        return json_integer(*(const int32_t *) p);
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        return json_integer(*(const uint32_t *) p);
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
        return s_int64(f, *(const int64_t *) p, offset_min);
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64: {
        uint64_t v = *(const uint64_t *) p;
        if (v <= (uint64_t) INT64_MAX)
            return json_integer((json_int_t) v);
        char buf[24];
        snprintf(buf, sizeof buf, "%llu", (unsigned long long) v);
        return json_string(buf);
    }
    case PROTOBUF_C_TYPE_FLOAT:
        return s_real(*(const float *) p);
    case PROTOBUF_C_TYPE_DOUBLE:
        return s_real(*(const double *) p);
    case PROTOBUF_C_TYPE_BOOL:
        return json_boolean(*(const protobuf_c_boolean *) p);
    case PROTOBUF_C_TYPE_ENUM:
        /* protobuf-c forces every enum to int size */
        return s_enum(f->descriptor, *(const int *) p);
    case PROTOBUF_C_TYPE_STRING:
        return s_string(*(char *const *) p);
    case PROTOBUF_C_TYPE_BYTES:
        return s_base64((const ProtobufCBinaryData *) p);
    case PROTOBUF_C_TYPE_MESSAGE: {
        const ProtobufCMessage *sub = *(ProtobufCMessage *const *) p;
        return sub ? s_message(sub, offset_min) : json_object();
    }
    }
    return json_null();  /* a type newer than this code */
}


/* ---- presence ------------------------------------------------------- */

/* True when the value at p is what protobuf-c would not send for a
 * proto3 field without presence. */
static bool s_zeroish(const ProtobufCFieldDescriptor *f, const void *p)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_FLOAT:
        return *(const float *) p == 0;
    case PROTOBUF_C_TYPE_DOUBLE:
        return *(const double *) p == 0;
    case PROTOBUF_C_TYPE_STRING: {
        const char *s = *(char *const *) p;
        return !s || !*s || s == f->default_value;
    }
    case PROTOBUF_C_TYPE_BYTES: {
        const ProtobufCBinaryData *b = p;
        return !b->data || b->len == 0;
    }
    case PROTOBUF_C_TYPE_MESSAGE:
        return *(ProtobufCMessage *const *) p == NULL;
    default: {
        size_t n = pbdesc_elem_size(f->type);
        const uint8_t *b = p;
        for (size_t i = 0; i < n; i++)
            if (b[i])
                return false;
        return true;
    }
    }
}

static bool s_is_pointer(ProtobufCType t)
{
    return t == PROTOBUF_C_TYPE_STRING || t == PROTOBUF_C_TYPE_MESSAGE;
}

/* Whether a non-repeated field f of msg is set. */
static bool s_present(const ProtobufCMessage *msg, const ProtobufCFieldDescriptor *f)
{
    const char *base = (const char *) msg;
    const void *p = base + f->offset;
    if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
        /* members share one union: only the one the case names is there */
        if (*(const uint32_t *) (base + f->quantifier_offset) != f->id)
            return false;
        return !s_is_pointer(f->type) || *(void *const *) p != NULL;
    }
    switch (f->label) {
    case PROTOBUF_C_LABEL_REQUIRED:
        return !s_is_pointer(f->type) || *(void *const *) p != NULL;
    case PROTOBUF_C_LABEL_OPTIONAL:
        if (f->type == PROTOBUF_C_TYPE_STRING) {
            const char *s = *(char *const *) p;
            return s && s != f->default_value;
        }
        if (f->type == PROTOBUF_C_TYPE_MESSAGE)
            return *(void *const *) p != NULL;
        return *(const protobuf_c_boolean *) (base + f->quantifier_offset);
    case PROTOBUF_C_LABEL_NONE:
        return !s_zeroish(f, p);
    case PROTOBUF_C_LABEL_REPEATED:
        break;
    }
    return false;
}

/* ---- messages ------------------------------------------------------- */

static json_t *s_repeated(const ProtobufCMessage *msg, const ProtobufCFieldDescriptor *f,
                          int offset_min)
{
    const char *base = (const char *) msg;
    size_t n = *(const size_t *) (base + f->quantifier_offset);
    const char *arr = *(char *const *) (base + f->offset);
    size_t size = pbdesc_elem_size(f->type);
    json_t *a = json_array();
    if (!a)
        return NULL;
    for (size_t i = 0; arr && i < n; i++) {
        if (json_array_append_new(a, s_value(f, arr + i * size, offset_min)) != 0) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

static json_t *s_message(const ProtobufCMessage *msg, int offset_min)
{
    const ProtobufCMessageDescriptor *d = msg->descriptor;
    assert(d && d->magic == PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC);
    json_t *o = json_object();
    if (!o)
        return NULL;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        json_t *v;
        if (f->label == PROTOBUF_C_LABEL_REPEATED)
            v = s_repeated(msg, f, offset_min);
        else if (s_present(msg, f))
            v = s_value(f, (const char *) msg + f->offset, offset_min);
        else
            continue;
        /* json_object_set_new() consumes v even when it fails, and fails
         * on a NULL v, so one test covers out-of-memory anywhere below */
        if (json_object_set_new(o, f->name, v) != 0) {
            json_decref(o);
            return NULL;
        }
    }
    return o;
}

json_t *pbjson_from_message(const ProtobufCMessage *msg, int offset_min)
{
    assert(msg);
    return s_message(msg, offset_min);
}

/* protobuf-c 1.4 descriptors carry no oneof names (only each member's
 * ONEOF flag and the shared case offset), so a oneof is recognised by its
 * case offset: the name is checked only in that the message must have
 * exactly one oneof. Every kefu message has at most one; a message with
 * two makes the lookup ambiguous, which this reports as not set. */
const char *pbjson_oneof(const ProtobufCMessage *msg, const char *oneof_name,
                         const ProtobufCMessage **sub)
{
    assert(msg);
    (void) oneof_name;
    const ProtobufCMessageDescriptor *d = msg->descriptor;
    const ProtobufCFieldDescriptor *set = NULL;
    bool found = false;
    unsigned case_offset = 0;
    if (sub)
        *sub = NULL;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (!(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF))
            continue;
        if (found && f->quantifier_offset != case_offset)
            return NULL;  /* a second oneof: cannot tell which is meant */
        found = true;
        case_offset = f->quantifier_offset;
        if (s_present(msg, f))
            set = f;
    }
    if (!set)
        return NULL;
    if (sub && set->type == PROTOBUF_C_TYPE_MESSAGE)
        *sub = *(ProtobufCMessage *const *) ((const char *) msg + set->offset);
    return set->name;
}

int pbjson_local_offset(int64_t t_us)
{
    /* floor division: a time before 1970 still maps to its own second */
    int64_t secs = t_us / 1000000 - (t_us % 1000000 < 0);
    time_t t = (time_t) secs;
    struct tm tm;
    tzset();  /* localtime_r() need not read TZ itself */
    if (!localtime_r(&t, &tm))
        return 0;
    return (int) (tm.tm_gmtoff / 60);
}
