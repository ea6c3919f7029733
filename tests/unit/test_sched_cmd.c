/* test_sched_cmd.c: sched's command table against the protobuf-c
 * descriptors (kcmdcheck.h says what is checked).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "kcmdcheck.h"
#include "scheduler.h"

static void test_sched_table(void **state)
{
    (void) state;
    kcheck_cmd_table(&sched_commands);
    assert_int_equal(sched_commands.n, 15);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sched_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
