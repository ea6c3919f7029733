/* test_sla_cmd.c: sla's command table against the protobuf-c
 * descriptors (kcmdcheck.h says what is checked).
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sla_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
