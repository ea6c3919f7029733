/* test_site.c: unit tests of common/site.c, the site's paths and sockets.
 *
 * Covered: the daemon list, site_dir's choice (argument, $KEFU_DIR,
 * ./var), making relative paths absolute against the cwd and cleaning
 * them, size limits (cap and the 107-byte ipc path limit, at the exact
 * boundary), and site_mkdirs creating missing parents and refusing a file
 * in the way. Relative-path tests chdir into a mkdtemp directory, removed
 * afterwards.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "kerr.h"
#include "ktest.h"
#include "site.h"

typedef struct {
    char dir[64];             /* mkdtemp directory, the cwd during a test */
    char cwd[PATH_MAX];       /* its name as getcwd() spells it */
    char old_cwd[PATH_MAX];
} fixture_t;

static int s_setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    strcpy(f->dir, "/tmp/kefu-test-site-XXXXXX");
    if (!getcwd(f->old_cwd, sizeof f->old_cwd) || !mkdtemp(f->dir) ||
        chdir(f->dir) != 0 || !getcwd(f->cwd, sizeof f->cwd)) {
        free(f);
        return -1;
    }
    unsetenv("KEFU_DIR");
    *state = f;
    return 0;
}

static int s_teardown(void **state)
{
    fixture_t *f = *state;
    unsetenv("KEFU_DIR");
    int rc = chdir(f->old_cwd);
    if (ktest_rmtree(f->dir) != 0)
        rc = -1;
    free(f);
    return rc;
}

/* "cwd" + suffix */
static const char *s_in_cwd(const fixture_t *f, const char *suffix, char *buf, size_t cap)
{
    int w = snprintf(buf, cap, "%s%s", f->cwd, suffix);
    assert_true(w > 0 && (size_t) w < cap);
    return buf;
}

static void test_daemons(void **state)
{
    (void) state;
    assert_non_null(site_daemons[0]);
    assert_string_equal(site_daemons[0], "evlog");   /* the log starts first */
    assert_string_equal(site_daemons[1], "intake");
    assert_string_equal(site_daemons[2], "sched");
    assert_string_equal(site_daemons[3], "sla");
    assert_string_equal(site_daemons[4], "net");
    assert_null(site_daemons[5]);
}

static void test_dir_choice(void **state)
{
    fixture_t *f = *state;
    char buf[PATH_MAX], want[PATH_MAX];

    /* Nothing given: ./var under the cwd, which need not exist. */
    assert_ok(site_dir(NULL, buf, sizeof buf));
    assert_string_equal(buf, s_in_cwd(f, "/var", want, sizeof want));

    /* $KEFU_DIR when set; an empty one counts as unset. */
    assert_int_equal(setenv("KEFU_DIR", "/srv/kefu", 1), 0);
    assert_ok(site_dir(NULL, buf, sizeof buf));
    assert_string_equal(buf, "/srv/kefu");
    assert_int_equal(setenv("KEFU_DIR", "lab", 1), 0);
    assert_ok(site_dir(NULL, buf, sizeof buf));
    assert_string_equal(buf, s_in_cwd(f, "/lab", want, sizeof want));
    assert_int_equal(setenv("KEFU_DIR", "", 1), 0);
    assert_ok(site_dir(NULL, buf, sizeof buf));
    assert_string_equal(buf, s_in_cwd(f, "/var", want, sizeof want));

    /* An argument beats the environment. */
    assert_int_equal(setenv("KEFU_DIR", "/srv/kefu", 1), 0);
    assert_ok(site_dir("/opt/site", buf, sizeof buf));
    assert_string_equal(buf, "/opt/site");
}

static void test_dir_clean(void **state)
{
    fixture_t *f = *state;
    char buf[PATH_MAX], want[PATH_MAX];
    static const struct {
        const char *in, *out;
    } abs[] = {
        {"/", "/"},
        {"/a/b", "/a/b"},
        {"/a/b/", "/a/b"},
        {"//a///b//", "/a/b"},
        {"/a/./b/.", "/a/b"},
        {"/a/b/../c", "/a/c"},
        {"/a/b/../../..", "/"},
        {"/..", "/"},
        {"/a/..b/c..", "/a/..b/c.."},   /* names that only look like .. */
        {"/a/.hidden", "/a/.hidden"},
    };
    for (size_t i = 0; i < sizeof abs / sizeof abs[0]; i++) {
        assert_ok(site_dir(abs[i].in, buf, sizeof buf));
        if (strcmp(buf, abs[i].out) != 0)
            fail_msg("site_dir(\"%s\") = \"%s\", want \"%s\"", abs[i].in, buf, abs[i].out);
    }

    /* Relative: against the cwd; nothing needs to exist. */
    assert_ok(site_dir("no/such/./dir/", buf, sizeof buf));
    assert_string_equal(buf, s_in_cwd(f, "/no/such/dir", want, sizeof want));
    assert_ok(site_dir(".", buf, sizeof buf));
    assert_string_equal(buf, f->cwd);

    /* ".." leaves the cwd: its parent is cwd minus the last component. */
    assert_ok(site_dir("../x", buf, sizeof buf));
    char *slash = strrchr(f->cwd, '/');
    assert_non_null(slash);
    snprintf(want, sizeof want, "%.*s/x", (int) (slash - f->cwd), f->cwd);
    assert_string_equal(buf, want);
}

static void test_dir_limits(void **state)
{
    (void) state;
    char buf[8];
    /* "/abc" is 4 bytes plus the NUL: cap 5 fits, cap 4 does not. */
    assert_ok(site_dir("/abc", buf, 5));
    assert_string_equal(buf, "/abc");
    assert_rc(site_dir("/abc", buf, 4), KEFU_ETOOLARGE);
    /* The limit is on the cleaned result: "/a/./b/../c" is "/a/c". */
    assert_ok(site_dir("/a/./b/../c", buf, 5));
    assert_string_equal(buf, "/a/c");

    /* Longer than PATH_MAX before cleaning. */
    static char huge[PATH_MAX + 16];
    huge[0] = '/';
    memset(huge + 1, 'a', sizeof huge - 2);
    huge[sizeof huge - 1] = '\0';
    char big[PATH_MAX];
    assert_rc(site_dir(huge, big, sizeof big), KEFU_ETOOLARGE);
}

static void test_path(void **state)
{
    (void) state;
    char buf[64];
    assert_ok(site_path("/s", "run/clock", buf, sizeof buf));
    assert_string_equal(buf, "/s/run/clock");
    assert_ok(site_path("/", "run", buf, sizeof buf));
    assert_string_equal(buf, "/run");
    /* "/s/run/clock" is 12 bytes: cap 13 fits, 12 does not. */
    assert_ok(site_path("/s", "run/clock", buf, 13));
    assert_rc(site_path("/s", "run/clock", buf, 12), KEFU_ETOOLARGE);
}

static void test_endpoint(void **state)
{
    (void) state;
    char buf[256];
    assert_ok(site_endpoint("/s", "evlog", "sock", buf, sizeof buf));
    assert_string_equal(buf, "ipc:///s/run/evlog.sock");
    assert_ok(site_endpoint("/s", "intake", "ctl", buf, sizeof buf));
    assert_string_equal(buf, "ipc:///s/run/intake.ctl");
    assert_ok(site_endpoint("/", "evlog", "pub", buf, sizeof buf));
    assert_string_equal(buf, "ipc:///run/evlog.pub");

    /* sun_path is 108 bytes on Linux, so a socket path may have 107.
     * "/run/evlog.sock" is 15 bytes: a 92-byte site gives exactly 107,
     * a 93-byte one 108. */
    assert_int_equal(sizeof(((struct sockaddr_un *) 0)->sun_path), 108);
    char site[128];
    site[0] = '/';
    memset(site + 1, 's', 91);
    site[92] = '\0';
    assert_ok(site_endpoint(site, "evlog", "sock", buf, sizeof buf));
    assert_int_equal(strlen(buf), 6 + 107);
    site[92] = 's';
    site[93] = '\0';
    assert_rc(site_endpoint(site, "evlog", "sock", buf, sizeof buf), KEFU_ETOOLARGE);

    /* buf too small for the "ipc://" form: 23 bytes need cap 24. */
    assert_ok(site_endpoint("/s", "evlog", "sock", buf, 24));
    assert_rc(site_endpoint("/s", "evlog", "sock", buf, 23), KEFU_ETOOLARGE);
}

static bool s_is_dir(const char *path, mode_t *mode)
{
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return false;
    *mode = st.st_mode & 0777;
    return true;
}

static void test_mkdirs(void **state)
{
    fixture_t *f = *state;
    char site[PATH_MAX], path[PATH_MAX + 8];
    mode_t mode, mask = umask(0);
    umask(mask);

    /* Missing parents are created too. */
    assert_ok(site_dir("a/b/site", site, sizeof site));
    assert_ok(site_mkdirs(site));
    static const char *const sub[] = {"/a", "/a/b", "/a/b/site", "/a/b/site/run",
                                      "/a/b/site/log"};
    for (size_t i = 0; i < sizeof sub / sizeof sub[0]; i++) {
        snprintf(path, sizeof path, "%s%s", f->cwd, sub[i]);
        if (!s_is_dir(path, &mode))
            fail_msg("%s is not a directory", path);
        assert_int_equal(mode, 0700 & ~mask);
    }
    /* Again: all there, fine. */
    assert_ok(site_mkdirs(site));

    /* A file where run/ should be. */
    assert_ok(site_dir("other", site, sizeof site));
    assert_int_equal(mkdir(site, 0700), 0);
    snprintf(path, sizeof path, "%s/run", site);
    int fd = open(path, O_CREAT | O_WRONLY, 0600);
    assert_true(fd >= 0);
    close(fd);
    assert_rc(site_mkdirs(site), ENOTDIR);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_daemons, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_dir_choice, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_dir_clean, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_dir_limits, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_path, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_endpoint, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_mkdirs, s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
