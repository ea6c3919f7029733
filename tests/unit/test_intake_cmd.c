/* test_intake_cmd.c: intake's command table against the protobuf-c
 * descriptors (kcmdcheck.h says what is checked).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "intake.h"
#include "kcmdcheck.h"

static void test_intake_table(void **state)
{
    (void) state;
    kcheck_cmd_table(&intake_commands);
    assert_int_equal(intake_commands.n, 32);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_intake_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
