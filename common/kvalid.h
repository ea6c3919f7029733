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

/* Default per-field limits for kvalid_message(). */
#define KVALID_MAX_STRING 4096    /* bytes of any string field */
#define KVALID_MAX_ID     64      /* bytes of an id field (name ends in "id" or is "producer"/"actor") */
#define KVALID_MAX_BYTES  65536   /* bytes of any bytes field */
#define KVALID_MAX_REPEAT 10000   /* elements of any repeated field */

/* True if s[0..len) is well-formed UTF-8 (no overlongs, no surrogates). */
bool kvalid_utf8(const char *s, size_t len);

/* Checks msg and every sub-message recursively: strings are UTF-8 and
 * within limits, enums are values of their enum, repeated fields within
 * limits. Returns 0, KEFU_EINVAL or KEFU_ETOOLARGE; on failure writes
 * "path.to.field: what is wrong" into err (cap bytes, NUL-terminated). */
int kvalid_message(const ProtobufCMessage *msg, char *err, size_t cap);

#endif
