/* pbdesc.h: what kefu reads from protobuf-c descriptors, in one place.
 *
 * Validation (kvalid.c), JSON output (pbjson.c), kefuctl's enum arguments
 * and daemons' messages all walk messages or spell enum values the same
 * way; these are the shared pieces, so an enum is printed exactly as it is
 * typed and a field counts as set by one rule.
 */
#ifndef KEFU_PBDESC_H
#define KEFU_PBDESC_H

#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stddef.h>

/* Writes how users spell value v of enum ed: the value name without the
 * prefix all the enum's names share (cut back to an underscore), lower
 * case, '_' as '-' (TIER_KEY -> "key", OUTCOME_CARRIER_CLAIM ->
 * "carrier-claim"; a value named exactly the prefix stays whole). Writes
 * "" and returns false for a value the enum does not have. */
bool pbdesc_enum_word(const ProtobufCEnumDescriptor *ed, int v, char *buf, size_t cap);

/* Bytes one element of a repeated field of type t takes in its array. */
size_t pbdesc_elem_size(ProtobufCType t);

/* Whether non-repeated field f of msg is set: a oneof member when the
 * case names it, a string or message when not NULL, an optional scalar
 * by its has_ flag; required and proto3 fields always. */
bool pbdesc_is_set(const ProtobufCMessage *msg, const ProtobufCFieldDescriptor *f);

/* The member of msg's oneof that is set, given its field number (the
 * oneof case, e.g. a Request's req_case): the sub-message, or NULL if that
 * member is not a set message. */
const ProtobufCMessage *pbdesc_oneof_message(const ProtobufCMessage *msg, unsigned field);

/* The string at path in msg: field names joined by '.', every one but the
 * last a message ("order.id": msg.order.id). NULL when a field on the way
 * is absent, unknown, or not of that type. The string is msg's. */
const char *pbdesc_string_at(const ProtobufCMessage *msg, const char *path);

#endif
