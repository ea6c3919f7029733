/* pbkind.h: what a field means, declared once.
 *
 * protobuf says a field is an int64 or a string; kefu needs to know that
 * an int64 is a time (microseconds since 1970 UTC), a duration
 * (microseconds) or a plain number, and that a string is an id (at most
 * KID_MAX bytes) or a text. That is declared once, in a table of rows
 * (the owning daemon's, or pbkind.c's), for every field of every
 * message, and nowhere else: JSON
 * prints by it (pbjson.c), validation limits by it (kvalid.c), kefuctl
 * reads flags by it. No rule is keyed on a field's name, so an amount in
 * fen is never printed as a date because its name lacks a suffix.
 * tests/unit/test_pbkind.c walks every message reachable from the
 * protocol's roots and fails on an int64 field the table does not
 * declare, and on a row that names no field of its message.
 */
#ifndef KEFU_PBKIND_H
#define KEFU_PBKIND_H

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>

typedef enum {
    PBKIND_PLAIN = 0,  /* a number as it is, or a text (strings default) */
    PBKIND_TIME,       /* int64: microseconds since 1970 UTC */
    PBKIND_DURATION,   /* int64: microseconds */
    PBKIND_COUNT,      /* int64: a signed count or amount (fen) */
    PBKIND_ID,         /* string: an id, at most KID_MAX bytes */
    PBKIND_ACTOR,      /* string: who acts, in a request's body (its `by`): at
                          most KID_MAX bytes, and it is Request.actor (cmdq.h) */
} pbkind_t;

/* The kind of field f (of any kefu message). An undeclared field is
 * PBKIND_PLAIN. Safe from any thread. */
pbkind_t pbkind_of(const ProtobufCFieldDescriptor *f);

/* The declarations: rows of (message, field name, kind), in tables, one
 * per daemon (its messages' fields: services/NAME/NAME_kinds.c, data
 * only, built into libkefu like its keys) and one for the envelope's and
 * the request's (pbkind.c). */
typedef struct {
    const ProtobufCMessageDescriptor *msg;
    const char *field;
    pbkind_t kind;
} pbkind_row_t;
typedef struct {
    const char *owner;           /* "intake" */
    const pbkind_row_t *rows;
    size_t n;
} pbkind_table_t;
#define PBKIND_TABLE(owner_, rows_) \
    {.owner = (owner_), .rows = (rows_), .n = sizeof(rows_) / sizeof((rows_)[0])}
/* Every table, for the test that checks them. */
const pbkind_table_t *const *pbkind_tables(size_t *n);

#endif
