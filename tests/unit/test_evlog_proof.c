/* test_evlog_proof.c: the site secret and the producer proofs
 * (common/evlog_proof.h; issue 11).
 *
 * The secret: made once, 32 bytes, mode 0600, no temporary file left,
 * the same on every later start (a daemon that read it stays proven),
 * a loose mode tightened, a file of the wrong length replaced, and a
 * missing one reported ENOENT to a reader. The proof: exactly the
 * construction docs/protocol.md gives a third-party implementer
 * (BLAKE2b-256 keyed with the secret over "kefu evlog producer v1", a
 * NUL, the producer), different per producer and per secret.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "evlog_proof.h"
#include "ktest.h"

static char s_site[64];

static void s_path(char *buf, size_t cap)
{
    assert_ok(evlog_secret_path(s_site, buf, cap));
}

static void test_secret_made_once(void **state)
{
    (void) state;
    uint8_t a[EVLOG_SECRET_BYTES], b[EVLOG_SECRET_BYTES], c[EVLOG_SECRET_BYTES];
    char path[256], tmp[300];
    s_path(path, sizeof path);
    assert_rc(evlog_secret_read(s_site, a), ENOENT);   /* before the log made it */
    assert_ok(evlog_secret_ensure(s_site, a));
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_size, EVLOG_SECRET_BYTES);
    assert_int_equal(st.st_mode & 0777, 0600);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    assert_int_not_equal(access(tmp, F_OK), 0);
    assert_ok(evlog_secret_read(s_site, b));
    assert_memory_equal(a, b, sizeof a);
    /* a restart keeps it; a loose mode is tightened, the bytes kept */
    assert_int_equal(chmod(path, 0644), 0);
    assert_ok(evlog_secret_ensure(s_site, c));
    assert_memory_equal(a, c, sizeof a);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    /* not all zeros: random bytes were written */
    uint8_t zero[EVLOG_SECRET_BYTES] = {0};
    assert_memory_not_equal(a, zero, sizeof a);
}

static void test_secret_wrong_length_replaced(void **state)
{
    (void) state;
    char path[256];
    s_path(path, sizeof path);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs("short", fp);
    fclose(fp);
    uint8_t a[EVLOG_SECRET_BYTES], b[EVLOG_SECRET_BYTES];
    assert_rc(evlog_secret_read(s_site, a), EINVAL);
    assert_ok(evlog_secret_ensure(s_site, a));
    assert_ok(evlog_secret_read(s_site, b));
    assert_memory_equal(a, b, sizeof a);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_size, EVLOG_SECRET_BYTES);
}

static void test_proof(void **state)
{
    (void) state;
    uint8_t s1[EVLOG_SECRET_BYTES], s2[EVLOG_SECRET_BYTES];
    for (int i = 0; i < EVLOG_SECRET_BYTES; i++) {
        s1[i] = (uint8_t) i;
        s2[i] = (uint8_t) (i + 1);
    }
    uint8_t p1[EVLOG_PROOF_BYTES], again[EVLOG_PROOF_BYTES], sched[EVLOG_PROOF_BYTES],
        other[EVLOG_PROOF_BYTES], want[EVLOG_PROOF_BYTES];
    evlog_proof_make(s1, "intake", 6, p1);
    evlog_proof_make(s1, "intake", 6, again);
    evlog_proof_make(s1, "sched", 5, sched);
    evlog_proof_make(s2, "intake", 6, other);
    assert_true(evlog_proof_equal(p1, again));
    assert_false(evlog_proof_equal(p1, sched));
    assert_false(evlog_proof_equal(p1, other));
    /* only the first len bytes of the name count */
    evlog_proof_make(s1, "intakeXYZ", 6, again);
    assert_true(evlog_proof_equal(p1, again));
    /* the construction of docs/protocol.md, computed here on its own */
    const char msg[] = "kefu evlog producer v1\0intake";
    assert_int_equal(crypto_generichash(want, sizeof want, (const unsigned char *) msg,
                                        sizeof msg - 1, s1, sizeof s1), 0);
    assert_memory_equal(p1, want, sizeof want);
    /* equal compares every byte */
    memcpy(again, p1, sizeof again);
    again[EVLOG_PROOF_BYTES - 1] ^= 1;
    assert_false(evlog_proof_equal(p1, again));
}

static int s_setup(void **state)
{
    (void) state;
    snprintf(s_site, sizeof s_site, "/tmp/kefu-proof.XXXXXX");
    if (!mkdtemp(s_site))
        return -1;
    char dir[128];
    snprintf(dir, sizeof dir, "%s/evlog", s_site);
    return mkdir(dir, 0700);
}

static int s_teardown(void **state)
{
    (void) state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", s_site);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_secret_made_once),
        cmocka_unit_test(test_secret_wrong_length_replaced),
        cmocka_unit_test(test_proof),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
