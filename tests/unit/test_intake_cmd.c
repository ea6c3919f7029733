/* test_intake_cmd.c: intake's command table against the protobuf-c
 * descriptors, so the table and proto/ can't disagree silently.
 *
 * Walks Request.req's members in intake's range (32..63, docs/protocol.md
 * Numbering) and checks that each has exactly one row, and every row:
 *   - serves a request in the range, answers with a Reply member that
 *     exists, and, if it writes, makes an Envelope body that exists, in
 *     the range too;
 *   - has a key "KIND/PATH" whose PATH is a string field of the request's
 *     body (through sub-messages), and a subject that is a string field
 *     of the first event's body (a write) or of the request's body (a
 *     read);
 *   - has exec exactly when it writes, and an answer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "intake.h"

#define RANGE_LO 32
#define RANGE_HI 63

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

static void test_every_request_has_one_row(void **state)
{
    (void) state;
    const ProtobufCMessageDescriptor *rq = &kefu__request__descriptor;
    int served = 0;
    for (unsigned i = 0; i < rq->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &rq->fields[i];
        if (!(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) || f->id < RANGE_LO || f->id > RANGE_HI)
            continue;
        int rows = 0;
        for (size_t r = 0; r < intake_commands.n; r++)
            rows += intake_commands.rows[r].req == (int) f->id;
        if (rows != 1)
            fail_msg("request %s (%u) has %d rows in intake's table, want 1", f->name, f->id, rows);
        served++;
    }
    assert_int_equal((size_t) served, intake_commands.n);
}

static void test_rows_match_descriptors(void **state)
{
    (void) state;
    for (size_t r = 0; r < intake_commands.n; r++) {
        const cmd_row_t *row = &intake_commands.rows[r];
        if (row->req < RANGE_LO || row->req > RANGE_HI)
            fail_msg("row %zu: request %d is outside intake's range", r, row->req);
        const ProtobufCMessageDescriptor *body = s_member(&kefu__request__descriptor, row->req);
        if (!body)
            fail_msg("row %zu: request %d is no Request member", r, row->req);
        if (!s_member(&kefu__reply__descriptor, row->rep))
            fail_msg("row %zu (%s): reply %d is no Reply member", r, body->name, row->rep);
        const ProtobufCMessageDescriptor *ev = NULL;
        if (row->event) {
            if (row->event < RANGE_LO || row->event > RANGE_HI)
                fail_msg("row %zu (%s): event %d is outside intake's range", r, body->name,
                         row->event);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_request_has_one_row),
        cmocka_unit_test(test_rows_match_descriptors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
