/* kvalid.h: validation of input from outside, in one place.
 *
 * Every message a daemon receives is checked here before any handler sees
 * it: UTF-8 of every string, enum values inside their enum, string and
 * bytes lengths within limits. Failures return a kefu code and write a
 * message naming the field ("complaint_open.text: not valid UTF-8").
 */
#ifndef KEFU_KVALID_H
#define KEFU_KVALID_H

#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Default per-field limits for kvalid_message(). */
#define KVALID_MAX_STRING 4096    /* bytes of any string field */
#define KVALID_MAX_ID     64      /* bytes of a field declared an id (pbkind.h) */
#define KVALID_MAX_BYTES  65536   /* bytes of any bytes field */
#define KVALID_MAX_REPEAT 10000   /* elements of any repeated field */

/* True if s[0..len) is well-formed UTF-8: no overlong forms, no surrogates
 * (U+D800..DFFF), nothing over U+10FFFF, no truncated sequence. U+0000 is
 * allowed (len, not a NUL, ends the text). */
bool kvalid_utf8(const char *s, size_t len);

/* Checks msg and every set sub-message recursively: strings are UTF-8 and
 * within limits, enums are values of their enum, repeated fields within
 * limits. Only set fields are checked (has_ flag, non-NULL pointer, the
 * oneof member its case names). Returns 0; KEFU_ETOOLARGE for a string,
 * bytes or repeated field over its limit; KEFU_EINVAL for bad UTF-8, an
 * enum value outside its enum, or nesting deeper than 32. On failure
 * writes "path.to.field: what is wrong" into err (cap bytes,
 * NUL-terminated; err may be NULL), the path starting with the message
 * type in snake_case: "envelope.actor: not valid UTF-8",
 * "log_request.append.events[2]: 70000 bytes, over the limit of 65536". */
int kvalid_message(const ProtobufCMessage *msg, char *err, size_t cap);

/* For a request to a daemon, decoded from wire[0..len): what
 * kvalid_message() checks, and moreover that no message in it holds a
 * field unknown to this build (KEFU_EUNSUPPORTED: a newer client's field
 * would otherwise be silently ignored, or copied into an event unbounded)
 * and that no string holds a NUL byte (KEFU_EINVAL: protobuf-c would cut
 * the string there, so "K1\0junk" would be taken for "K1"). Events are
 * checked with kvalid_message() alone: the log keeps a newer producer's
 * fields (docs/protocol.md, evolution rule 3). wire may be NULL (then
 * only the decoded message is checked). */
int kvalid_request(const ProtobufCMessage *msg, const uint8_t *wire, size_t len, char *err,
                   size_t cap);

#endif
