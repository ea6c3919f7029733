/* kcmdcheck.h: a daemon's command table against the protobuf-c
 * descriptors, so a table and proto/ can't disagree silently (for each
 * daemon's test_NAME_cmd.c; include after <cmocka.h> and the daemon's
 * header).
 *
 * Walks Request.req's members in the daemon's range (its line in
 * common/daemons.def) and checks that each has exactly one row, and every
 * row:
 *   - serves a request in the range, answers with a Reply member that
 *     exists, and, if it writes, makes an Envelope body that exists, in
 *     the range too;
 *   - has a key "KIND/PATH" whose PATH is a string field of the request's
 *     body (through sub-messages), and a subject that is a string field
 *     of the first event's body (a write) or of the request's body (a
 *     read);
 *   - has exec exactly when it writes, and an answer.
 */
#ifndef KEFU_KCMDCHECK_H
#define KEFU_KCMDCHECK_H

#include <stdio.h>
#include <string.h>

#include "cmdq.h"
#include "registry.h"

/* The message type of oneof member `number` of desc, or NULL. */
static const ProtobufCMessageDescriptor *s_member(const ProtobufCMessageDescriptor *desc,
                                                  int number)
{
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field(desc, (unsigned) number);
    if (!f || !(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) || f->type != PROTOBUF_C_TYPE_MESSAGE)
        return NULL;
    return f->descriptor;
}

/* True if path names a non-repeated string field of desc through
 * non-repeated message fields. */
static bool s_string_path(const ProtobufCMessageDescriptor *desc, const char *path)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", path);
    char *save = NULL;
    for (char *name = strtok_r(buf, ".", &save); name; name = strtok_r(NULL, ".", &save)) {
        const ProtobufCFieldDescriptor *f =
            desc ? protobuf_c_message_descriptor_get_field_by_name(desc, name) : NULL;
        if (!f || f->label == PROTOBUF_C_LABEL_REPEATED)
            return false;
        char *rest = save && *save ? save : NULL;
        if (!rest)
            return f->type == PROTOBUF_C_TYPE_STRING;
        if (f->type != PROTOBUF_C_TYPE_MESSAGE)
            return false;
        desc = f->descriptor;
    }
    return false;
}

/* Every request of [lo, hi] has exactly one row of table. */
static void kcheck_one_row_each(const cmd_table_t *table, int lo, int hi)
{
    const ProtobufCMessageDescriptor *rq = &kefu__request__descriptor;
    int served = 0;
    for (unsigned i = 0; i < rq->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &rq->fields[i];
        if (!(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) || (int) f->id < lo || (int) f->id > hi)
            continue;
        int rows = 0;
        for (size_t r = 0; r < table->n; r++)
            rows += table->rows[r].req == (int) f->id;
        if (rows != 1)
            fail_msg("request %s (%u) has %d rows in %s's table, want 1", f->name, f->id, rows,
                     table->daemon);
        served++;
    }
    assert_int_equal((size_t) served, table->n);
}

/* Every row of table is well formed against the descriptors (above). */
static void kcheck_rows(const cmd_table_t *table, int lo, int hi)
{
    for (size_t r = 0; r < table->n; r++) {
        const cmd_row_t *row = &table->rows[r];
        if (row->req < lo || row->req > hi)
            fail_msg("row %zu: request %d is outside %s's range", r, row->req, table->daemon);
        const ProtobufCMessageDescriptor *body = s_member(&kefu__request__descriptor, row->req);
        if (!body)
            fail_msg("row %zu: request %d is no Request member", r, row->req);
        if (!s_member(&kefu__reply__descriptor, row->rep))
            fail_msg("row %zu (%s): reply %d is no Reply member", r, body->name, row->rep);
        const ProtobufCMessageDescriptor *ev = NULL;
        if (row->event) {
            if (row->event < lo || row->event > hi)
                fail_msg("row %zu (%s): event %d is outside %s's range", r, body->name,
                         row->event, table->daemon);
            ev = s_member(&kefu__envelope__descriptor, row->event);
            if (!ev)
                fail_msg("row %zu (%s): event %d is no Envelope body", r, body->name, row->event);
        }
        if ((row->exec != NULL) != (row->event != 0) || !row->answer)
            fail_msg("row %zu (%s): exec must be set exactly for a write, answer always", r,
                     body->name);
        if (row->key) {
            const char *slash = strchr(row->key, '/');
            if (!slash || slash == row->key || !s_string_path(body, slash + 1))
                fail_msg("row %zu (%s): key \"%s\" is not KIND/PATH to a string of the request",
                         r, body->name, row->key);
        }
        if (row->subject && !s_string_path(ev ? ev : body, row->subject))
            fail_msg("row %zu (%s): subject \"%s\" is not a string of its %s", r, body->name,
                     row->subject, ev ? "first event" : "request");
    }
}

/* Both checks for the daemon named table->daemon, in its registry range. */
static void kcheck_cmd_table(const cmd_table_t *table)
{
    const registry_daemon_t *d = registry_lookup(table->daemon);
    if (!d)
        fail_msg("%s is not in the registry (common/daemons.def)", table->daemon);
    kcheck_one_row_each(table, d->req_lo, d->req_hi);
    kcheck_rows(table, d->req_lo, d->req_hi);
}

#endif
