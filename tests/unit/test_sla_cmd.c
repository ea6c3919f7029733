/* test_sla_cmd.c: sla's command table against the protobuf-c
 * descriptors (kcmdcheck.h says what is checked), and the rules of its
 * escalation kinds (sla_kind_rule, sla_next_at): pure logic, no store.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "kcmdcheck.h"
#include "sla.h"

static void test_sla_table(void **state)
{
    (void) state;
    kcheck_cmd_table(&sla_commands);
    assert_int_equal(sla_commands.n, 9);
}

#define K(x) KEFU__ESCALATION_KIND__ESCALATION_KIND_##x
#define S_MIN (60 * 1000000LL)

/* Raised at which level, and what comes next: with level2_after 4h,
 * remind_every 1h, warn_share 80 (the defaults), times in minutes. */
static void test_kind_rules(void **state)
{
    (void) state;
    assert_int_equal(sla_kind_rule(K(MAJOR_COMPLAINT))->level, 2);
    assert_int_equal(sla_kind_rule(K(MAJOR_INCIDENT))->level, 2);
    assert_int_equal(sla_kind_rule(K(COMPLAINT_REPLY_OVERDUE))->level, 1);
    assert_false(sla_kind_rule(K(COMPLAINT_REPLY_OVERDUE))->once);
    const sla_kind_rule_t *eod = sla_kind_rule(K(OPEN_COMPLAINTS));
    assert_int_equal(eod->level, 1);
    assert_true(eod->once);
    assert_true(eod->own);

    sla_t sla = {.level2_after_us = 240 * S_MIN, .warn_share = 80, .remind_every_us = 60 * S_MIN};
    /* a reply due at 120 after opening at 0: warned at 96, raised at 120 */
    Kefu__Obligation o = KEFU__OBLIGATION__INIT;
    o.has_state = o.has_opened_at = o.has_due = true;
    o.state = KEFU__OBLIGATION_STATE__OBLIGATION_STATE_OPEN;
    o.due = 120 * S_MIN;
    assert_int_equal(sla_next_at(&sla, &o, NULL), 96 * S_MIN);
    o.has_warned = o.warned = true;
    assert_int_equal(sla_next_at(&sla, &o, NULL), 120 * S_MIN);
    /* raised at 120, open: the reminder at 180 comes before level 2 at 360 */
    Kefu__Escalation e = KEFU__ESCALATION__INIT;
    e.has_kind = e.has_level = e.has_raised_at = e.has_state = true;
    e.kind = K(COMPLAINT_REPLY_OVERDUE);
    e.level = 1;
    e.raised_at = 120 * S_MIN;
    e.state = KEFU__ESCALATION_STATE__ESCALATION_STATE_OPEN;
    assert_int_equal(sla_next_at(&sla, &o, &e), 180 * S_MIN);
    sla.remind_every_us = 0;
    assert_int_equal(sla_next_at(&sla, &o, &e), 360 * S_MIN);
    sla.remind_every_us = 60 * S_MIN;

    /* the end-of-day list: its obligation opens at its due (the close,
     * 1050 = 17:30), so no warning; raised, nothing more: no level 2 at
     * 1290, no reminder at 1110, told once */
    Kefu__Obligation d = KEFU__OBLIGATION__INIT;
    d.has_state = d.has_opened_at = d.has_due = true;
    d.state = KEFU__OBLIGATION_STATE__OBLIGATION_STATE_OPEN;
    d.opened_at = d.due = 1050 * S_MIN;
    assert_int_equal(sla_next_at(&sla, &d, NULL), 1050 * S_MIN);
    e.kind = K(OPEN_COMPLAINTS);
    e.raised_at = 1050 * S_MIN;
    assert_int_equal(sla_next_at(&sla, &d, &e), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sla_table),
        cmocka_unit_test(test_kind_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
