/* test_terminal_spool.c: unit tests of services/terminal/spool.c, the
 * floor terminal's on-disk spool (spool.h).
 *
 * Covered: numbering and request ids (the terminal, the spool's
 * generation, the number), the waiting scans and their order across a
 * reopen, answered scans compacted away with the numbering kept (B), a
 * torn tail cut off and the numbering going on from the last whole scan,
 * a damaged line with whole lines after it refused, another terminal's
 * spool, an empty file and a second opener (the lock) refused, stage
 * words. Each test works in a mkdtemp directory of its own.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kerr.h"
#include "ktest.h"
#include "spool.h"

#include "sched.pb-c.h"

typedef struct {
    char dir[64];
    char path[128];
    char err[512];
} fixture_t;

static int s_setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    strcpy(f->dir, "/tmp/kefu-test-spool-XXXXXX");
    if (!mkdtemp(f->dir)) {
        free(f);
        return -1;
    }
    snprintf(f->path, sizeof f->path, "%s/terminal-T1.spool", f->dir);
    *state = f;
    return 0;
}

static int s_teardown(void **state)
{
    fixture_t *f = *state;
    char p[160];
    const char *const tails[] = {"", ".lock", ".tmp"};
    for (size_t i = 0; i < sizeof tails / sizeof tails[0]; i++) {
        snprintf(p, sizeof p, "%s%s", f->path, tails[i]);
        unlink(p);
    }
    rmdir(f->dir);
    free(f);
    return 0;
}

static spool_t *s_open(fixture_t *f, size_t *torn)
{
    spool_t *s = NULL;
    int rc = spool_new(&s, f->path, "T1", torn, f->err, sizeof f->err);
    if (rc)
        fail_msg("spool_new: %s (%s)", f->err, kefu_strerror(rc));
    return s;
}

static char *s_read_file(const char *path)
{
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    static char buf[8192];
    size_t n = fread(buf, 1, sizeof buf - 1, fp);
    buf[n] = '\0';
    fclose(fp);
    return buf;
}

static void s_append_raw(const char *path, const char *bytes)
{
    int fd = open(path, O_WRONLY | O_APPEND);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, bytes, strlen(bytes)), (ssize_t) strlen(bytes));
    close(fd);
}

static void test_numbers_and_ids(void **state)
{
    fixture_t *f = *state;
    spool_t *s = s_open(f, NULL);
    const spool_scan_t *sc;
    assert_rc(spool_next(s, &sc), KEFU_ENOTFOUND);
    assert_ok(spool_add(s, "O-7", KEFU__STAGE__STAGE_PRINTING, "li", false, &sc));
    assert_int_equal(sc->seq, 1);
    assert_ok(spool_add(s, "O-8", KEFU__STAGE__STAGE_QC, NULL, true, NULL));
    assert_int_equal(spool_waiting(s), 2);
    assert_ok(spool_next(s, &sc));
    assert_int_equal(sc->seq, 1);
    assert_string_equal(sc->order, "O-7");
    assert_string_equal(sc->by, "li");
    char rid[SPOOL_REQUEST_ID_MAX + 1];
    spool_request_id(s, 1, rid, sizeof rid);
    /* T1-<8 of [0-9a-z]>-000001 */
    assert_int_equal(strlen(rid), 3 + SPOOL_GEN_LEN + 7);
    assert_memory_equal(rid, "T1-", 3);
    assert_string_equal(rid + 3 + SPOOL_GEN_LEN, "-000001");
    spool_request_id(s, 1234567, rid, sizeof rid);
    assert_string_equal(rid + 3 + SPOOL_GEN_LEN, "-1234567");
    /* An order that is no id is not kept. */
    assert_rc(spool_add(s, "O 9", KEFU__STAGE__STAGE_QC, NULL, false, NULL), EINVAL);
    assert_int_equal(spool_waiting(s), 2);
    spool_destroy(&s);
    assert_null(s);
}

static void test_reopen_keeps_order_and_ids(void **state)
{
    fixture_t *f = *state;
    spool_t *s = s_open(f, NULL);
    char rid1[SPOOL_REQUEST_ID_MAX + 1], rid2[SPOOL_REQUEST_ID_MAX + 1];
    for (int i = 0; i < 5; i++) {
        char order[16];
        snprintf(order, sizeof order, "O-%d", i + 1);
        assert_ok(spool_add(s, order, KEFU__STAGE__STAGE_RECEIVED, "w1", false, NULL));
    }
    const spool_scan_t *sc;
    assert_ok(spool_next(s, &sc));
    assert_ok(spool_done(s, sc->seq));
    assert_ok(spool_next(s, &sc));
    assert_ok(spool_done(s, sc->seq));
    assert_rc(spool_done(s, 5), EINVAL);   /* only the oldest is answered */
    spool_request_id(s, 3, rid1, sizeof rid1);
    spool_destroy(&s);

    s = s_open(f, NULL);
    assert_int_equal(spool_waiting(s), 3);
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(spool_at(s, i)->seq, 3 + i);
        char order[16];
        snprintf(order, sizeof order, "O-%zu", 3 + i);
        assert_string_equal(spool_at(s, i)->order, order);
        assert_string_equal(spool_at(s, i)->by, "w1");
    }
    spool_request_id(s, 3, rid2, sizeof rid2);
    assert_string_equal(rid1, rid2);   /* the same generation */
    /* Compacted on open: no S line for what is answered, B says where it
     * starts. */
    const char *text = s_read_file(f->path);
    assert_non_null(strstr(text, "\nB 3 "));
    assert_null(strstr(text, "\nS 1 "));
    assert_null(strstr(text, "\nA "));
    /* All answered: a reopen goes on numbering from 6. */
    const spool_scan_t *sc2;
    while (spool_next(s, &sc2) == 0)
        assert_ok(spool_done(s, sc2->seq));
    spool_destroy(&s);
    s = s_open(f, NULL);
    assert_int_equal(spool_waiting(s), 0);
    assert_ok(spool_add(s, "O-9", KEFU__STAGE__STAGE_DONE, NULL, false, &sc));
    assert_int_equal(sc->seq, 6);
    spool_destroy(&s);
}

static void test_torn_tail(void **state)
{
    fixture_t *f = *state;
    spool_t *s = s_open(f, NULL);
    assert_ok(spool_add(s, "O-1", KEFU__STAGE__STAGE_RECEIVED, NULL, false, NULL));
    assert_ok(spool_add(s, "O-2", KEFU__STAGE__STAGE_RECEIVED, NULL, false, NULL));
    spool_destroy(&s);
    /* A write cut short by a crash: half a record, no newline. */
    s_append_raw(f->path, "S 3 O-3 rece");
    size_t torn = 0;
    s = s_open(f, &torn);
    assert_int_equal(torn, strlen("S 3 O-3 rece"));
    assert_int_equal(spool_waiting(s), 2);
    const spool_scan_t *sc;
    assert_ok(spool_add(s, "O-3", KEFU__STAGE__STAGE_RECEIVED, NULL, false, &sc));
    assert_int_equal(sc->seq, 3);
    spool_destroy(&s);
    /* A whole line with a bad checksum at the end is a torn tail too. */
    s_append_raw(f->path, "S 4 O-4 received - 0 00000000\n");
    s = s_open(f, &torn);
    assert_true(torn > 0);
    assert_int_equal(spool_waiting(s), 3);
    spool_destroy(&s);
}

static void test_damage_refused(void **state)
{
    fixture_t *f = *state;
    spool_t *s = s_open(f, NULL);
    assert_ok(spool_add(s, "O-1", KEFU__STAGE__STAGE_RECEIVED, NULL, false, NULL));
    assert_ok(spool_add(s, "O-2", KEFU__STAGE__STAGE_RECEIVED, NULL, false, NULL));
    spool_destroy(&s);
    char *text = s_read_file(f->path);
    char *o1 = strstr(text, "O-1");
    assert_non_null(o1);
    o1[2] = '9';   /* O-9: its checksum no longer holds, and O-2's line follows */
    FILE *fp = fopen(f->path, "wb");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
    spool_t *t = NULL;
    assert_rc(spool_new(&t, f->path, "T1", NULL, f->err, sizeof f->err), KEFU_EINVAL);
    assert_null(t);
    assert_non_null(strstr(f->err, "damaged"));
}

static void test_refusals(void **state)
{
    fixture_t *f = *state;
    spool_t *s = s_open(f, NULL), *t = NULL;
    /* A second opener: the lock. */
    assert_rc(spool_new(&t, f->path, "T1", NULL, f->err, sizeof f->err), KEFU_ECONFLICT);
    assert_non_null(strstr(f->err, "in use"));
    spool_destroy(&s);
    /* Another terminal's spool. */
    assert_rc(spool_new(&t, f->path, "T2", NULL, f->err, sizeof f->err), KEFU_EINVAL);
    assert_non_null(strstr(f->err, "terminal T1"));
    /* A terminal id that can't be part of a request id. */
    assert_rc(spool_new(&t, f->path, "T 1", NULL, f->err, sizeof f->err), KEFU_EINVAL);
    assert_rc(spool_new(&t, f->path, "T123456789012345678901234567890123", NULL, f->err,
                        sizeof f->err),
              KEFU_EINVAL);
    /* An empty file is no spool. */
    FILE *fp = fopen(f->path, "wb");
    assert_non_null(fp);
    fclose(fp);
    assert_rc(spool_new(&t, f->path, "T1", NULL, f->err, sizeof f->err), KEFU_EINVAL);
    assert_null(t);
}

static void test_stage_words(void **state)
{
    (void) state;
    assert_string_equal(spool_stage_word(KEFU__STAGE__STAGE_PRINTING), "printing");
    assert_string_equal(spool_stage_word(KEFU__STAGE__STAGE_QC), "qc");
    assert_string_equal(spool_stage_word(0), "");
    assert_string_equal(spool_stage_word(99), "");
    assert_int_equal(spool_stage_parse("PRINTING"), KEFU__STAGE__STAGE_PRINTING);
    assert_int_equal(spool_stage_parse("done"), KEFU__STAGE__STAGE_DONE);
    assert_int_equal(spool_stage_parse("unset"), 0);
    assert_int_equal(spool_stage_parse("foo"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_numbers_and_ids, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_reopen_keeps_order_and_ids, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_torn_tail, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_damage_refused, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_refusals, s_setup, s_teardown),
        cmocka_unit_test(test_stage_words),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
