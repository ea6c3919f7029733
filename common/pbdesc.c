/* pbdesc.c: shared protobuf-c descriptor helpers (pbdesc.h). */
#include "pbdesc.h"

#include <stdint.h>
#include <string.h>

/* ERR_NONE/ERR_NOT_FOUND share "ERR_NO", cut to "ERR_"; a one-value enum
 * TIER_KEY gives "TIER_"; IMMEDIATE and HALF_DAY share nothing. */
static size_t s_enum_prefix(const ProtobufCEnumDescriptor *ed)
{
    if (ed->n_values == 0)
        return 0;
    const char *first = ed->values[0].name;
    size_t len = strlen(first);
    for (unsigned i = 1; i < ed->n_values && len > 0; i++) {
        const char *name = ed->values[i].name;
        size_t k = 0;
        while (k < len && name[k] == first[k])
            k++;
        len = k;
    }
    while (len > 0 && first[len - 1] != '_')
        len--;
    return len;
}

bool pbdesc_enum_word(const ProtobufCEnumDescriptor *ed, int v, char *buf, size_t cap)
{
    const ProtobufCEnumValue *ev = ed ? protobuf_c_enum_descriptor_get_value(ed, v) : NULL;
    if (cap > 0)
        buf[0] = '\0';
    if (!ev)
        return false;
    const char *name = ev->name + s_enum_prefix(ed);
    if (*name == '\0')
        name = ev->name;
    size_t i = 0;
    for (; name[i] && i + 1 < cap; i++) {
        char c = name[i];
        buf[i] = c == '_' ? '-' : (c >= 'A' && c <= 'Z') ? (char) (c - 'A' + 'a') : c;
    }
    if (cap > 0)
        buf[i] = '\0';
    return true;
}

size_t pbdesc_elem_size(ProtobufCType t)
{
    switch (t) {
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        return sizeof(int64_t);
    case PROTOBUF_C_TYPE_FLOAT:
        return sizeof(float);
    case PROTOBUF_C_TYPE_DOUBLE:
        return sizeof(double);
    case PROTOBUF_C_TYPE_BOOL:
        return sizeof(protobuf_c_boolean);
    case PROTOBUF_C_TYPE_STRING:
        return sizeof(char *);
    case PROTOBUF_C_TYPE_BYTES:
        return sizeof(ProtobufCBinaryData);
    case PROTOBUF_C_TYPE_MESSAGE:
        return sizeof(ProtobufCMessage *);
    default:
        return sizeof(int32_t);  /* 32-bit ints and enums */
    }
}

bool pbdesc_is_set(const ProtobufCMessage *msg, const ProtobufCFieldDescriptor *f)
{
    const char *base = (const char *) msg;
    if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
        return *(const uint32_t *) (base + f->quantifier_offset) == f->id;
    if (f->type == PROTOBUF_C_TYPE_STRING || f->type == PROTOBUF_C_TYPE_MESSAGE)
        return *(void *const *) (base + f->offset) != NULL;
    if (f->label == PROTOBUF_C_LABEL_OPTIONAL && f->quantifier_offset)
        return *(const protobuf_c_boolean *) (base + f->quantifier_offset);
    return true;
}

const ProtobufCMessage *pbdesc_oneof_message(const ProtobufCMessage *msg, unsigned field)
{
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field(msg->descriptor, field);
    if (!f || f->type != PROTOBUF_C_TYPE_MESSAGE || !pbdesc_is_set(msg, f))
        return NULL;
    return *(ProtobufCMessage *const *) ((const char *) msg + f->offset);
}

const char *pbdesc_string_at(const ProtobufCMessage *msg, const char *path)
{
    char name[64];
    while (msg && path && *path) {
        const char *dot = strchr(path, '.');
        size_t n = dot ? (size_t) (dot - path) : strlen(path);
        if (n >= sizeof name)
            return NULL;
        memcpy(name, path, n);
        name[n] = '\0';
        const ProtobufCFieldDescriptor *f =
            protobuf_c_message_descriptor_get_field_by_name(msg->descriptor, name);
        if (!f || f->label == PROTOBUF_C_LABEL_REPEATED || !pbdesc_is_set(msg, f))
            return NULL;
        const void *p = (const char *) msg + f->offset;
        if (!dot)
            return f->type == PROTOBUF_C_TYPE_STRING ? *(char *const *) p : NULL;
        if (f->type != PROTOBUF_C_TYPE_MESSAGE)
            return NULL;
        msg = *(ProtobufCMessage *const *) p;
        path = dot + 1;
    }
    return NULL;
}
