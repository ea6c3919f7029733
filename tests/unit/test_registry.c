/* test_registry.c: unit tests of common/registry.c, the daemon registry
 * (common/daemons.def), against the places that must agree with it.
 *
 * Covered: every member of the site-wide oneofs (Request.req, Reply.rep,
 * Envelope.body, walked in the protobuf-c descriptors) falls in exactly
 * one daemon's range, and no two ranges overlap, so a daemon's new message
 * numbered outside its range fails here; the lookups by name, by request
 * case (what the remote endpoint will route by) and by event case, worked
 * by hand for the numbers of docs/protocol.md; the shared requests; the
 * start order and site_daemons[]; the Makefile's list of daemons
 * (KEFU_SERVICES, which the Makefile derives from the same file with sed
 * and passes in) equal to the rows; each daemon's folder, its main.c and
 * its key table in the tree (KEFU_SRCDIR); and each row's key table owned
 * by that daemon, with every key in the site's configuration.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "control.pb-c.h"
#include "event.pb-c.h"
#include "kconfig.h"
#include "ktest.h"
#include "registry.h"
#include "site.h"

#ifndef KEFU_SERVICES
#error "the Makefile passes -DKEFU_SERVICES=\"the daemons of daemons.def\""
#endif
#ifndef KEFU_SRCDIR
#error "the Makefile passes -DKEFU_SRCDIR=\"the checkout\""
#endif

typedef enum { S_REQ, S_EV } s_space_t;

/* How many daemons own number n in space (0, 1, or more when ranges
 * overlap); *owner the last. */
static int s_owners(s_space_t space, int n, const registry_daemon_t **owner)
{
    int count = 0;
    for (const registry_daemon_t *d = registry_daemons; d->name; d++) {
        int lo = space == S_REQ ? d->req_lo : d->ev_lo;
        int hi = space == S_REQ ? d->req_hi : d->ev_hi;
        if (n >= lo && n <= hi) {
            count++;
            *owner = d;
        }
    }
    return count;
}

/* Every member of desc's oneof (named oneof, for messages: each message
 * walked has one oneof, and protobuf-c's descriptors mark its members but
 * keep no oneof names) falls in exactly one daemon's range of space, and
 * the lookup says which. Returns how many members it checked. */
static unsigned s_walk(const ProtobufCMessageDescriptor *desc, const char *oneof,
                       s_space_t space)
{
    unsigned members = 0;
    for (unsigned i = 0; i < desc->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &desc->fields[i];
        if (!(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF))
            continue;
        const registry_daemon_t *owner = NULL;
        int n = s_owners(space, (int) f->id, &owner);
        if (n != 1)
            fail_msg("%s.%s: %s = %u is in %d daemons' ranges, want exactly 1 "
                     "(common/daemons.def)", desc->name, oneof, f->name, f->id, n);
        const registry_daemon_t *found =
            space == S_EV ? registry_for_event((int) f->id)
            : desc == &kefu__reply__descriptor ? registry_for_reply((int) f->id)
                                              : registry_for_request((int) f->id);
        assert_ptr_equal(found, owner);
        members++;
    }
    return members;
}

static void test_descriptors_in_ranges(void **state)
{
    (void) state;
    /* today: 4 shared + 22 intake requests, 4 + 11 replies, 2 + 12 events */
    assert_true(s_walk(&kefu__request__descriptor, "req", S_REQ) >= 26);
    assert_true(s_walk(&kefu__reply__descriptor, "rep", S_REQ) >= 15);
    assert_true(s_walk(&kefu__envelope__descriptor, "body", S_EV) >= 14);
}

static void test_ranges_disjoint(void **state)
{
    (void) state;
    for (const registry_daemon_t *a = registry_daemons; a->name; a++) {
        assert_true(a->req_lo >= 1 && a->req_lo <= a->req_hi);
        assert_true(a->ev_lo >= 1 && a->ev_lo <= a->ev_hi);
        for (const registry_daemon_t *b = a + 1; b->name; b++) {
            if (a->req_lo <= b->req_hi && b->req_lo <= a->req_hi)
                fail_msg("%s and %s share request numbers", a->name, b->name);
            if (a->ev_lo <= b->ev_hi && b->ev_lo <= a->ev_hi)
                fail_msg("%s and %s share event numbers", a->name, b->name);
        }
    }
}

static void test_lookups(void **state)
{
    (void) state;
    const registry_daemon_t *evlog = registry_lookup("evlog");
    const registry_daemon_t *intake = registry_lookup("intake");
    const registry_daemon_t *sched = registry_lookup("sched");
    assert_non_null(evlog);
    assert_non_null(intake);
    assert_non_null(sched);
    assert_string_equal(intake->name, "intake");
    assert_null(registry_lookup("dispatch"));   /* planned: no line yet */
    assert_null(registry_lookup(""));
    assert_null(registry_lookup("kefu"));       /* a program, not a daemon */
    assert_null(registry_lookup("Intake"));

    /* requests: docs/protocol.md "Numbering" */
    assert_ptr_equal(registry_for_request(KEFU__REQUEST__REQ_CLOCK_ADVANCE), evlog);   /* 12 */
    assert_ptr_equal(registry_for_request(KEFU__REQUEST__REQ_CASE_OPEN), intake);      /* 39 */
    assert_ptr_equal(registry_for_request(32), intake);
    assert_ptr_equal(registry_for_request(63), intake);      /* the range's end, unused */
    assert_ptr_equal(registry_for_request(31), evlog);
    assert_ptr_equal(registry_for_request(64), sched);
    assert_ptr_equal(registry_for_request(KEFU__REQUEST__REQ_STAGE), sched);          /* 65 */
    assert_null(registry_for_request(96));                   /* dispatch's, not registered */
    assert_null(registry_for_request(KEFU__REQUEST__REQ__NOT_SET));   /* 0 */
    assert_null(registry_for_request(-1));
    assert_ptr_equal(registry_for_reply(KEFU__REPLY__REP_CASE), intake);              /* 36 */
    assert_ptr_equal(registry_for_reply(KEFU__REPLY__REP_STATUS), evlog);

    /* the shared requests: every daemon serves them; routed to evlog's row */
    assert_true(registry_request_shared(KEFU__REQUEST__REQ_STATUS));
    assert_true(registry_request_shared(KEFU__REQUEST__REQ_SYNC));
    assert_true(registry_request_shared(KEFU__REQUEST__REQ_STOP));
    assert_false(registry_request_shared(KEFU__REQUEST__REQ_CLOCK_ADVANCE));
    assert_false(registry_request_shared(KEFU__REQUEST__REQ_CASE_OPEN));
    assert_ptr_equal(registry_for_request(KEFU__REQUEST__REQ_STATUS), evlog);

    /* events */
    assert_ptr_equal(registry_for_event(KEFU__ENVELOPE__BODY_PROBE), evlog);           /* 15 */
    assert_ptr_equal(registry_for_event(KEFU__ENVELOPE__BODY_CLOCK_ADVANCED), evlog);  /* 16 */
    assert_ptr_equal(registry_for_event(KEFU__ENVELOPE__BODY_CASE_OPENED), intake);    /* 35 */
    assert_ptr_equal(registry_for_event(KEFU__ENVELOPE__BODY_RUSH_DECIDED), sched);    /* 64 */
    assert_null(registry_for_event(96));
    assert_null(registry_for_event(0));
}

static void test_order_and_site_daemons(void **state)
{
    (void) state;
    assert_int_equal(registry_count(), 5);
    assert_string_equal(registry_daemons[0].name, "evlog");   /* the log starts first */
    assert_string_equal(registry_daemons[1].name, "intake");
    assert_string_equal(registry_daemons[2].name, "sched");
    assert_string_equal(registry_daemons[3].name, "sla");
    assert_string_equal(registry_daemons[4].name, "net");    /* the remote endpoint */
    assert_null(registry_daemons[5].name);
    size_t i = 0;
    for (; registry_daemons[i].name; i++) {
        assert_int_equal(registry_daemons[i].order, (int) i);
        assert_non_null(site_daemons[i]);
        assert_string_equal(site_daemons[i], registry_daemons[i].name);
        assert_true(strlen(registry_daemons[i].summary) > 10);
        assert_null(strchr(registry_daemons[i].summary, '\n'));
    }
    assert_int_equal(i, registry_count());
    assert_null(site_daemons[i]);
}

static void test_makefile_list(void **state)
{
    (void) state;
    /* The Makefile's sed over daemons.def and the C preprocessor over the
     * same lines agree: names, order, nothing more. */
    char want[256] = "";
    size_t used = 0;
    for (const registry_daemon_t *d = registry_daemons; d->name; d++)
        used += (size_t) snprintf(want + used, sizeof want - used, "%s%s",
                                  d == registry_daemons ? "" : " ", d->name);
    assert_true(used < sizeof want);
    assert_string_equal(KEFU_SERVICES, want);
}

static void test_folders(void **state)
{
    (void) state;
    for (const registry_daemon_t *d = registry_daemons; d->name; d++) {
        static const char *const files[] = {"", "/main.c", "/%s_keys.c"};
        for (size_t j = 0; j < sizeof files / sizeof files[0]; j++) {
            char rel[128], path[512];
            snprintf(rel, sizeof rel, files[j], d->name);
            snprintf(path, sizeof path, "%s/services/%s%s", KEFU_SRCDIR, d->name, rel);
            if (access(path, R_OK) != 0)
                fail_msg("daemon %s (common/daemons.def): %s is missing", d->name, path);
        }
    }
}

static void test_key_tables(void **state)
{
    (void) state;
    kconfig_t *cfg = kconfig_new(registry_key_tables);
    size_t tables = 0;
    for (const kconfig_table_t *const *t = registry_key_tables; *t; t++)
        tables++;
    assert_int_equal(tables, 2 + registry_count());   /* the site's two, then each daemon's */
    for (const registry_daemon_t *d = registry_daemons; d->name; d++) {
        assert_non_null(d->keys);
        assert_string_equal(d->keys->owner, d->name);
        for (size_t j = 0; j < d->keys->n; j++) {
            const char *key = d->keys->keys[j].key;
            assert_string_equal(kconfig_owner(cfg, key), d->name);
            assert_string_equal(kconfig_get(cfg, key), d->keys->keys[j].def);
        }
    }
    assert_true(registry_lookup("evlog")->keys->n >= 3);   /* evlog.segment_mb, ... */
    assert_string_equal(kconfig_owner(cfg, "sla.complaint_simple"), "intake");
    kconfig_destroy(&cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_descriptors_in_ranges),
        cmocka_unit_test(test_ranges_disjoint),
        cmocka_unit_test(test_lookups),
        cmocka_unit_test(test_order_and_site_daemons),
        cmocka_unit_test(test_makefile_list),
        cmocka_unit_test(test_folders),
        cmocka_unit_test(test_key_tables),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
