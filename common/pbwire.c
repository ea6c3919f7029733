/* pbwire.c: varints and field 1 on the wire (pbwire.h). */
#include "pbwire.h"

bool pbwire_get_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
    *v = 0;
    for (int shift = 0; shift < 70 && *p < end; shift += 7) {
        uint8_t b = *(*p)++;
        *v |= (uint64_t) (b & 0x7f) << shift;
        if (!(b & 0x80))
            return true;
    }
    return false;
}

size_t pbwire_put_varint(uint8_t *out, uint64_t v)
{
    size_t n = 0;
    do {
        uint8_t b = v & 0x7f;
        v >>= 7;
        out[n++] = b | (v ? 0x80 : 0);
    } while (v);
    return n;
}

size_t pbwire_put_field1(uint8_t *out, uint64_t v)
{
    out[0] = 0x08;   /* field 1, wire type 0 (varint) */
    return 1 + pbwire_put_varint(out + 1, v);
}

bool pbwire_last_field1(const uint8_t *p, size_t len, uint64_t *v)
{
    const uint8_t *end = p + len;
    bool found = false;
    while (p < end) {
        uint64_t tag, x;
        if (!pbwire_get_varint(&p, end, &tag))
            return false;
        switch (tag & 7) {
        case 0:
            if (!pbwire_get_varint(&p, end, &x))
                return false;
            if (tag >> 3 == 1) {
                *v = x;
                found = true;
            }
            break;
        case 1:
            if (end - p < 8)
                return false;
            p += 8;
            break;
        case 2:
            if (!pbwire_get_varint(&p, end, &x) || x > (uint64_t) (end - p))
                return false;
            p += x;
            break;
        case 5:
            if (end - p < 4)
                return false;
            p += 4;
            break;
        default:   /* groups: no kefu message has them */
            return false;
        }
    }
    return found;
}
