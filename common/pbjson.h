/* pbjson.h: any protobuf-c message as JSON, for kefuctl --json and log tail.
 *
 * Walks the message's descriptor, so every message of every daemon prints
 * the same way without per-message code:
 *   - field names as in the .proto; unset optional fields are left out;
 *   - enums as their value name, lower-case, without the enum's common
 *     prefix, '_' as '-' (TIER_KEY -> "key", HALF_DAY -> "half-day");
 *   - int64 fields are times (usec since 1970) and print as RFC 3339 with
 *     the given offset; int64 fields whose name ends in "_us" are
 *     durations and print as "2h"; other integers print as numbers;
 *   - bytes as base64; a set oneof as its field name.
 */
#ifndef KEFU_PBJSON_H
#define KEFU_PBJSON_H

#include <jansson.h>
#include <protobuf-c/protobuf-c.h>

/* A new JSON object for msg; caller owns it (json_decref). offset_min is
 * minutes east of UTC for times. Returns NULL only on out-of-memory. */
json_t *pbjson_from_message(const ProtobufCMessage *msg, int offset_min);

/* The set oneof field of msg's oneof named oneof_name: its field name
 * (e.g. "clock_advanced") and sub-message, or NULL if none is set. */
const char *pbjson_oneof(const ProtobufCMessage *msg, const char *oneof_name,
                         const ProtobufCMessage **sub);

/* The local UTC offset in minutes east at time t_us (from TZ). */
int pbjson_local_offset(int64_t t_us);

#endif
