/* test_kclock.c: unit tests of common/kclock.c: wall, manual and site
 * clocks, the site clock file's layout, and that a move of a site clock by
 * one process is seen by another at once.
 *
 * Files live in a mkdtemp directory under /tmp, removed by the teardown.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>

#include <cmocka.h>

#include "kclock.h"
#include "ktime.h"
#include "kerr.h"
#include "ktest.h"

/* 2026-11-23T01:30:00Z in usec (see test_ktime.c for the arithmetic). */
#define T0 (1795397400LL * 1000000)

typedef struct {
    char dir[64];
    char path[128];   /* DIR/clock */
} fixture_t;

static int s_setup(void **state)
{
    fixture_t *fx = calloc(1, sizeof *fx);
    if (!fx)
        return -1;
    snprintf(fx->dir, sizeof fx->dir, "/tmp/kefu-test-kclock-XXXXXX");
    if (!mkdtemp(fx->dir)) {
        free(fx);
        return -1;
    }
    snprintf(fx->path, sizeof fx->path, "%s/clock", fx->dir);
    *state = fx;
    return 0;
}

/* Removes every file in the directory (the tests make no subdirectories),
 * then the directory. */
static int s_teardown(void **state)
{
    fixture_t *fx = *state;
    DIR *d = opendir(fx->dir);
    if (d) {
        struct dirent *e;
        char p[512];
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            snprintf(p, sizeof p, "%s/%s", fx->dir, e->d_name);
            unlink(p);
        }
        closedir(d);
    }
    int rc = rmdir(fx->dir);
    free(fx);
    return rc;
}

static int64_t s_realtime_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void s_write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* A clock file image as the file comment of kclock.c lays it out. */
static void s_image(unsigned char img[24], const char *magic, uint32_t mode, int64_t now)
{
    memset(img, 0, 24);
    memcpy(img, magic, 8);
    memcpy(img + 8, &mode, 4);
    memcpy(img + 16, &now, 8);
}

static void test_wall(void **state)
{
    (void) state;
    kclock_t *c = kclock_new_wall();
    assert_non_null(c);
    assert_false(kclock_is_sim(c));
    int64_t before = s_realtime_us();
    int64_t now = kclock_now(c);
    int64_t after = s_realtime_us();
    assert_true(before <= now && now <= after);
    /* Wall time can't be set. */
    assert_rc(kclock_set(c, now + 1000000), KEFU_ECONFLICT);
    kclock_destroy(&c);
    assert_null(c);
    kclock_destroy(&c);      /* NULL is fine */
    kclock_destroy(NULL);
}

static void test_manual(void **state)
{
    (void) state;
    kclock_t *c = kclock_new_manual(T0);
    assert_true(kclock_is_sim(c));
    assert_int_equal(kclock_now(c), T0);
    assert_int_equal(kclock_now(c), T0);   /* stands still */
    /* advance 2h */
    assert_rc(kclock_set(c, T0 + 7200000000LL), 0);
    assert_int_equal(kclock_now(c), T0 + 7200000000LL);
    /* setting the same time again is allowed */
    assert_rc(kclock_set(c, T0 + 7200000000LL), 0);
    /* one usec back is refused and changes nothing */
    assert_rc(kclock_set(c, T0 + 7200000000LL - 1), KEFU_EINVAL);
    assert_int_equal(kclock_now(c), T0 + 7200000000LL);
    kclock_destroy(&c);
    assert_null(c);

    /* a manual clock may start before 1970 */
    c = kclock_new_manual(-5);
    assert_int_equal(kclock_now(c), -5);
    assert_rc(kclock_set(c, -6), KEFU_EINVAL);
    assert_rc(kclock_set(c, 0), 0);
    kclock_destroy(&c);
}

/* The clock never leaves the years RFC 3339 can write: up to
 * 9999-12-31T23:59:59.999999Z (253402300800 s after 1970, less 1 us) is
 * fine, one usec more is refused and changes nothing, and so is what an
 * int64 sum that wrapped would give. */
static void test_manual_limit(void **state)
{
    (void) state;
    assert_int_equal(KTIME_MAX_US, 253402300799999999LL);
    assert_int_equal(KTIME_MIN_US, -62167219200000000LL);
    kclock_t *c = kclock_new_manual(253402300799LL * 1000000 - 3600LL * 1000000);
    assert_rc(kclock_set(c, KTIME_MAX_US + 1), KEFU_EINVAL);
    assert_rc(kclock_set(c, INT64_MAX), KEFU_EINVAL);
    assert_int_equal(kclock_now(c), 253402297199LL * 1000000);
    assert_rc(kclock_set(c, KTIME_MAX_US), 0);
    assert_int_equal(kclock_now(c), KTIME_MAX_US);
    assert_rc(kclock_set(c, KTIME_MAX_US + 1), KEFU_EINVAL);
    assert_int_equal(kclock_now(c), KTIME_MAX_US);
    kclock_destroy(&c);
}

static void test_mono(void **state)
{
    (void) state;
    int64_t a = kclock_mono_us();
    usleep(2000);
    int64_t b = kclock_mono_us();
    assert_true(a > 0);
    assert_true(b - a >= 2000);
    assert_true(b - a < 10 * 1000000);
}

static void test_site_file_layout(void **state)
{
    fixture_t *fx = *state;
    assert_rc(kclock_site_init(fx->path, true, T0), 0);

    unsigned char got[32], want[24];
    int fd = open(fx->path, O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(read(fd, got, sizeof got), 24);
    close(fd);
    s_image(want, "KEFUCLK1", 1, T0);
    assert_memory_equal(got, want, 24);

    assert_rc(kclock_site_init(fx->path, false, T0), 0);   /* overwrites */
    fd = open(fx->path, O_RDONLY);
    assert_int_equal(read(fd, got, sizeof got), 24);
    close(fd);
    s_image(want, "KEFUCLK1", 0, 0);
    assert_memory_equal(got, want, 24);

    /* The temporary file was renamed away: only "clock" is left. */
    DIR *d = opendir(fx->dir);
    struct dirent *e;
    int files = 0;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.') {
            assert_string_equal(e->d_name, "clock");
            files++;
        }
    closedir(d);
    assert_int_equal(files, 1);
}

static void test_site_sim(void **state)
{
    fixture_t *fx = *state;
    assert_rc(kclock_site_init(fx->path, true, T0), 0);
    kclock_t *a = kclock_open_site(fx->path);
    kclock_t *b = kclock_open_site(fx->path);
    assert_non_null(a);
    assert_non_null(b);
    assert_true(kclock_is_sim(a));
    assert_int_equal(kclock_now(a), T0);
    assert_int_equal(kclock_now(b), T0);

    /* a moves the clock 30m; b sees it without doing anything */
    assert_rc(kclock_set(a, T0 + 1800000000LL), 0);
    assert_int_equal(kclock_now(b), T0 + 1800000000LL);
    /* and the file holds it, for clocks opened later */
    kclock_t *c = kclock_open_site(fx->path);
    assert_int_equal(kclock_now(c), T0 + 1800000000LL);
    kclock_destroy(&c);

    /* backwards is refused, through either handle */
    assert_rc(kclock_set(b, T0), KEFU_EINVAL);
    assert_rc(kclock_set(a, T0 + 1800000000LL - 1), KEFU_EINVAL);
    assert_int_equal(kclock_now(a), T0 + 1800000000LL);
    assert_rc(kclock_set(b, T0 + 1800000000LL), 0);

    kclock_destroy(&a);
    kclock_destroy(&b);
    assert_null(a);
}

/* The point of the site clock: another process sees a move at once. The
 * child opens the clock, tells the parent, waits for the parent to move
 * it, and exits 0 only if it reads the new time. */
static void test_site_other_process(void **state)
{
    fixture_t *fx = *state;
    assert_rc(kclock_site_init(fx->path, true, T0), 0);
    kclock_t *c = kclock_open_site(fx->path);
    assert_non_null(c);

    int ready[2], moved[2];
    assert_int_equal(pipe(ready), 0);
    assert_int_equal(pipe(moved), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        kclock_t *mine = kclock_open_site(fx->path);
        char x = 'r';
        int ok = mine && kclock_now(mine) == T0;
        if (write(ready[1], &x, 1) != 1 || read(moved[0], &x, 1) != 1)
            ok = 0;
        ok = ok && kclock_now(mine) == T0 + 3 * 86400000000LL;
        kclock_destroy(&mine);
        _exit(ok ? 0 : 1);
    }
    char x;
    assert_int_equal(read(ready[0], &x, 1), 1);
    assert_rc(kclock_set(c, T0 + 3 * 86400000000LL), 0);   /* advance 3d */
    assert_int_equal(write(moved[1], &x, 1), 1);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    close(ready[0]);
    close(ready[1]);
    close(moved[0]);
    close(moved[1]);
    kclock_destroy(&c);
}

static void test_site_wall(void **state)
{
    fixture_t *fx = *state;
    assert_rc(kclock_site_init(fx->path, false, T0), 0);
    kclock_t *c = kclock_open_site(fx->path);
    assert_non_null(c);
    assert_false(kclock_is_sim(c));
    int64_t before = s_realtime_us();
    int64_t now = kclock_now(c);
    int64_t after = s_realtime_us();
    assert_true(before <= now && now <= after);
    assert_rc(kclock_set(c, now + 1000000), KEFU_ECONFLICT);
    kclock_destroy(&c);
}

/* Opens the clock at path read-only-by-permission and checks it reads but
 * refuses to move. Returns 0 when all holds. */
static int s_read_only_checks(const char *path)
{
    kclock_t *c = kclock_open_site(path);
    if (!c)
        return 1;
    int bad = kclock_now(c) != T0 || kclock_set(c, T0 + 1) != EACCES
              || kclock_now(c) != T0;
    kclock_destroy(&c);
    return bad;
}

static void test_site_read_only(void **state)
{
    fixture_t *fx = *state;
    assert_rc(kclock_site_init(fx->path, true, T0), 0);
    assert_int_equal(chmod(fx->path, 0444), 0);
    if (geteuid() != 0) {
        assert_int_equal(s_read_only_checks(fx->path), 0);
        return;
    }
    /* root may write a 0444 file: check as "nobody" in a child instead. */
    assert_int_equal(chmod(fx->dir, 0755), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (setgid(65534) != 0 || setuid(65534) != 0)
            _exit(2);
        _exit(s_read_only_checks(fx->path));
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_site_open_errors(void **state)
{
    fixture_t *fx = *state;
    unsigned char img[24];

    errno = 0;
    assert_null(kclock_open_site(fx->path));          /* missing */
    assert_int_equal(errno, ENOENT);

    s_image(img, "KEFUCLK2", 1, T0);                   /* wrong magic */
    s_write_file(fx->path, img, 24);
    errno = 0;
    assert_null(kclock_open_site(fx->path));
    assert_int_equal(errno, EINVAL);

    s_image(img, "KEFUCLK1", 2, T0);                   /* unknown mode */
    s_write_file(fx->path, img, 24);
    errno = 0;
    assert_null(kclock_open_site(fx->path));
    assert_int_equal(errno, EINVAL);

    s_image(img, "KEFUCLK1", 1, T0);                   /* short */
    s_write_file(fx->path, img, 23);
    errno = 0;
    assert_null(kclock_open_site(fx->path));
    assert_int_equal(errno, EINVAL);

    s_write_file(fx->path, "", 0);                     /* empty */
    errno = 0;
    assert_null(kclock_open_site(fx->path));
    assert_int_equal(errno, EINVAL);

    unsigned char longer[25] = {0};                     /* too long */
    s_image(longer, "KEFUCLK1", 1, T0);
    s_write_file(fx->path, longer, 25);
    errno = 0;
    assert_null(kclock_open_site(fx->path));
    assert_int_equal(errno, EINVAL);
    unlink(fx->path);

    /* a directory is not a clock */
    errno = 0;
    assert_null(kclock_open_site(fx->dir));
    assert_true(errno == EINVAL || errno == EISDIR);

    /* a hand-made valid image opens, proving the layout is the contract */
    s_image(img, "KEFUCLK1", 1, 42);
    s_write_file(fx->path, img, 24);
    kclock_t *c = kclock_open_site(fx->path);
    assert_non_null(c);
    assert_int_equal(kclock_now(c), 42);
    kclock_destroy(&c);
}

static void test_site_init_errors(void **state)
{
    fixture_t *fx = *state;
    char p[256];
    snprintf(p, sizeof p, "%s/no-such-dir/clock", fx->dir);
    assert_rc(kclock_site_init(p, true, T0), ENOENT);
    /* rename onto a directory fails, and the temporary is cleaned up */
    snprintf(p, sizeof p, "%s/sub", fx->dir);
    assert_int_equal(mkdir(p, 0755), 0);
    int rc = kclock_site_init(p, true, T0);
    assert_true(rc == EISDIR || rc == EEXIST || rc == ENOTEMPTY);
    assert_int_equal(rmdir(p), 0);
    DIR *d = opendir(fx->dir);
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        assert_true(e->d_name[0] == '.');   /* nothing left */
    closedir(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wall),
        cmocka_unit_test(test_manual),
        cmocka_unit_test(test_manual_limit),
        cmocka_unit_test(test_mono),
        cmocka_unit_test_setup_teardown(test_site_file_layout, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_site_sim, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_site_other_process, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_site_wall, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_site_read_only, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_site_open_errors, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_site_init_errors, s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
