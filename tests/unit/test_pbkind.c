/* test_pbkind.c: the kinds of kefu's fields (common/pbkind.c) against the
 * descriptors, so a new field can't go undeclared.
 *
 * Walks every message reachable from the protocol's roots (Envelope,
 * Request, Reply, LogRequest, LogReply) and fails on a signed 64-bit field
 * the table does not declare (a time, a duration or a count: each prints
 * differently, and an amount printed as a date is the bug this prevents),
 * on a row naming no field of its message, on a row whose kind does not fit
 * its field's type, and on a row given twice. Then checks what follows from
 * the kinds: an id field over 64 bytes is refused, a text of 4000 passes;
 * a time prints as RFC 3339 and a duration as 2h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <string.h>

#include "control.pb-c.h"
#include "event.pb-c.h"
#include "evlog.pb-c.h"
#include "kerr.h"
#include "ktest.h"
#include "kvalid.h"
#include "pbjson.h"
#include "pbkind.h"

static const ProtobufCMessageDescriptor *s_seen[512];
static size_t s_nseen;

static void s_walk(const ProtobufCMessageDescriptor *d, int *undeclared)
{
    for (size_t i = 0; i < s_nseen; i++)
        if (s_seen[i] == d)
            return;
    assert_true(s_nseen < sizeof s_seen / sizeof s_seen[0]);
    s_seen[s_nseen++] = d;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        bool int64 = f->type == PROTOBUF_C_TYPE_INT64 || f->type == PROTOBUF_C_TYPE_SINT64 ||
                     f->type == PROTOBUF_C_TYPE_SFIXED64;
        if (int64 && pbkind_of(f) == PBKIND_PLAIN) {
            print_error("%s.%s is an int64 with no kind in common/pbkind.c "
                        "(a time, a duration or a count?)\n", d->name, f->name);
            (*undeclared)++;
        }
        if (f->type == PROTOBUF_C_TYPE_MESSAGE)
            s_walk(f->descriptor, undeclared);
    }
}

static void test_every_int64_declared(void **state)
{
    (void) state;
    int undeclared = 0;
    s_walk(&kefu__envelope__descriptor, &undeclared);
    s_walk(&kefu__request__descriptor, &undeclared);
    s_walk(&kefu__reply__descriptor, &undeclared);
    s_walk(&kefu__log_request__descriptor, &undeclared);
    s_walk(&kefu__log_reply__descriptor, &undeclared);
    assert_int_equal(undeclared, 0);
    assert_true(s_nseen > 40);  /* the walk did reach the messages */
}

static void test_rows_name_fields(void **state)
{
    (void) state;
    size_t nt, n = 0;
    const pbkind_table_t *const *tables = pbkind_tables(&nt);
    static pbkind_row_t rows[2048];
    for (size_t t = 0; t < nt; t++)
        for (size_t i = 0; i < tables[t]->n; i++) {
            assert_true(n < 2048);
            rows[n++] = tables[t]->rows[i];
        }
    for (size_t i = 0; i < n; i++) {
        const ProtobufCFieldDescriptor *f =
            protobuf_c_message_descriptor_get_field_by_name(rows[i].msg, rows[i].field);
        if (!f)
            fail_msg("row %zu: %s has no field %s", i, rows[i].msg->name, rows[i].field);
        bool string = f->type == PROTOBUF_C_TYPE_STRING;
        bool int64 = f->type == PROTOBUF_C_TYPE_INT64 || f->type == PROTOBUF_C_TYPE_SINT64 ||
                     f->type == PROTOBUF_C_TYPE_SFIXED64;
        bool text = rows[i].kind == PBKIND_ID || rows[i].kind == PBKIND_ACTOR;
        if ((text && !string) || (!text && !int64))
            fail_msg("row %zu: %s.%s: the kind does not fit the field's type", i,
                     rows[i].msg->name, rows[i].field);
        assert_int_equal(pbkind_of(f), rows[i].kind);
        for (size_t j = 0; j < i; j++)
            if (rows[j].msg == rows[i].msg && strcmp(rows[j].field, rows[i].field) == 0)
                fail_msg("%s.%s is declared twice", rows[i].msg->name, rows[i].field);
    }
}

static void test_kinds_at_work(void **state)
{
    (void) state;
    /* an id over 64 bytes is refused; a text of 4000 bytes is not */
    char id[70], text[4001];
    memset(id, 'a', sizeof id - 1);
    id[sizeof id - 1] = '\0';
    memset(text, 'b', sizeof text - 1);
    text[sizeof text - 1] = '\0';
    Kefu__Envelope ev = KEFU__ENVELOPE__INIT;
    ev.producer = id;
    char err[256];
    assert_rc(kvalid_message(&ev.base, err, sizeof err), KEFU_ETOOLARGE);
    ev.producer = "p";
    ev.actor = text;  /* an id too */
    assert_rc(kvalid_message(&ev.base, err, sizeof err), KEFU_ETOOLARGE);
    Kefu__CaseReply cr = KEFU__CASE_REPLY__INIT;
    cr.text = text;
    assert_ok(kvalid_message(&cr.base, err, sizeof err));
    /* a time prints as RFC 3339, a duration as a duration */
    cr.text = NULL;
    cr.has_commit_us = true;
    cr.commit_us = 7200LL * 1000000;
    json_t *j = pbjson_from_message(&cr.base, 0);
    assert_string_equal(json_string_value(json_object_get(j, "commit_us")), "2h");
    json_decref(j);
    Kefu__ClockAdvanced ca = KEFU__CLOCK_ADVANCED__INIT;
    ca.has_from = true;
    ca.from = 0;
    j = pbjson_from_message(&ca.base, 0);
    assert_string_equal(json_string_value(json_object_get(j, "from")), "1970-01-01T00:00:00Z");
    json_decref(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_int64_declared),
        cmocka_unit_test(test_rows_name_fields),
        cmocka_unit_test(test_kinds_at_work),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
