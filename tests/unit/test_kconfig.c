/* test_kconfig.c: unit tests of common/kconfig.c: the site's keys (every
 * owner's table, through registry_key_tables) and their defaults
 * (contract.md "Configuration" plus kefu's own), who owns which, INI
 * files, --set, every error and its "file:line: what" message, the dump,
 * and kconfig on tables of a test's own: a check of its own, a section two
 * owners share, and the tables kconfig_new refuses (a key of two owners, a
 * default its check refuses), in a child process that must abort.
 *
 * INI files are written into a mkdtemp directory under /tmp and removed by
 * the teardown.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "kconfig.h"
#include "kerr.h"
#include "ktest.h"
#include "registry.h"

#define HOUR_US 3600000000LL

/* Every key and its default, sorted: what kconfig_dump prints on a new
 * configuration of the site. A key added to a table is added here too. */
static const char s_default_dump[] =
    "calendar.holidays = \n"
    "calendar.hours = 08:30-17:30\n"
    "calendar.utc_offset = +08:00\n"
    "calendar.workdays = mon-sat\n"
    "evlog.fetch_max = 4096\n"
    "evlog.max_batch = 4096\n"
    "evlog.segment_mb = 256\n"
    "intake.reopen_below = 3\n"
    "kefu.restart_max = 5s\n"
    "log.level = info\n"
    "net.listen = \n"
    "net.request_timeout = 30s\n"
    "sched.daily_capacity = 2000\n"
    "sched.frequent_rush = 4\n"
    "sched.key_reserve = 20\n"
    "sched.promise_album = 3d\n"
    "sched.promise_crystal = 5d\n"
    "sched.promise_frame = 5d\n"
    "sched.promise_print = next-day\n"
    "sched.route_album = received,printing,binding,qc,packed,done\n"
    "sched.route_crystal = received,printing,binding,qc,packed,done\n"
    "sched.route_frame = received,printing,binding,qc,packed,done\n"
    "sched.route_print = received,printing,qc,packed,done\n"
    "sched.rush_half_day = 4h30m@work\n"
    "sched.rush_immediate = 2h\n"
    "sched.rush_next_day = next-day\n"
    "sched.rush_quota = 300\n"
    "sched.rush_same_day = same-day\n"
    "sched.work_album = received:5m,printing:1h,binding:2h,qc:15m,packed:15m\n"
    "sched.work_crystal = received:5m,printing:1h,binding:3h,qc:15m,packed:15m\n"
    "sched.work_frame = received:5m,printing:30m,binding:1h,qc:15m,packed:15m\n"
    "sched.work_print = received:5m,printing:30m,qc:10m,packed:10m\n"
    "sla.analysis_report = 3d\n"
    "sla.channels = \n"
    "sla.complaint_complex = 24h\n"
    "sla.complaint_simple = 2h\n"
    "sla.first_contact = 7d\n"
    "sla.follow_up = 3d\n"
    "sla.level2_after = 4h\n"
    "sla.notify_command = \n"
    "sla.notify_format = json\n"
    "sla.notify_retry_max = 5m\n"
    "sla.notify_url = \n"
    "sla.remind_every = 1h\n"
    "sla.rework_album = 24h\n"
    "sla.rework_crystal = 48h\n"
    "sla.rework_frame = 48h\n"
    "sla.rework_print = same-day\n"
    "sla.route = \n"
    "sla.warn_share = 80\n";

/* The example of contract.md "Configuration", verbatim. */
static const char s_contract_ini[] =
    "[sched]\n"
    "daily_capacity = 2000        ; pieces a day\n"
    "rush_quota = 300             ; pieces of rush a day (000 \xC2\xA7\xE4\xB8\x89.2 "
    "\xE5\x9F\xBA\xE6\x95\xB0)\n"
    "frequent_rush = 4            ; rushes in 30 days that make a customer \"frequent\"\n"
    "[sla]\n"
    "complaint_simple = 2h\n"
    "complaint_complex = 24h\n"
    "rework_print = same-day\n"
    "rework_album = 24h\n"
    "rework_crystal = 48h\n"
    "rework_frame = 48h\n"
    "level2_after = 4h            ; unacknowledged level-1 escalation goes to level 2\n"
    "[net]\n"
    "listen =                     ; e.g. tcp://0.0.0.0:7700 for remote clients\n";

typedef struct {
    char dir[64];
    char path[128];   /* DIR/kefu.ini */
    kconfig_t *cfg;
    char err[256];
} fixture_t;

static int s_setup(void **state)
{
    fixture_t *fx = calloc(1, sizeof *fx);
    if (!fx)
        return -1;
    snprintf(fx->dir, sizeof fx->dir, "/tmp/kefu-test-kconfig-XXXXXX");
    if (!mkdtemp(fx->dir)) {
        free(fx);
        return -1;
    }
    snprintf(fx->path, sizeof fx->path, "%s/kefu.ini", fx->dir);
    fx->cfg = kconfig_new(registry_key_tables);
    *state = fx;
    return 0;
}

static int s_teardown(void **state)
{
    fixture_t *fx = *state;
    kconfig_destroy(&fx->cfg);
    unlink(fx->path);
    int rc = rmdir(fx->dir);
    free(fx);
    return rc;
}

static void s_write(const fixture_t *fx, const char *text)
{
    FILE *f = fopen(fx->path, "wb");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
}

static void s_assert_dump(const kconfig_t *cfg, const char *want)
{
    char buf[4096];
    size_t n = kconfig_dump(cfg, buf, sizeof buf);
    assert_int_equal(n, strlen(want));
    assert_string_equal(buf, want);
}

static void test_defaults(void **state)
{
    fixture_t *fx = *state;
    kconfig_t *c = fx->cfg;
    assert_int_equal(kconfig_int(c, "sched.daily_capacity"), 2000);
    assert_int_equal(kconfig_int(c, "sched.rush_quota"), 300);
    assert_int_equal(kconfig_int(c, "sched.frequent_rush"), 4);
    assert_string_equal(kconfig_get(c, "sla.complaint_simple"), "2h");
    assert_string_equal(kconfig_get(c, "sla.complaint_complex"), "24h");
    assert_int_equal(kconfig_duration(c, "sla.level2_after"), 4 * HOUR_US);
    int64_t d = -1;
    assert_int_equal(kconfig_deadline(c, "sla.rework_print", &d), KCONFIG_SAME_DAY);
    assert_int_equal(d, 0);
    assert_int_equal(kconfig_deadline(c, "sla.rework_album", &d), KCONFIG_DURATION);
    assert_int_equal(d, 24 * HOUR_US);
    assert_int_equal(kconfig_deadline(c, "sla.rework_crystal", &d), KCONFIG_DURATION);
    assert_int_equal(d, 48 * HOUR_US);
    assert_int_equal(kconfig_deadline(c, "sla.rework_frame", NULL), KCONFIG_DURATION);
    assert_string_equal(kconfig_get(c, "sla.rework_print"), "same-day");
    assert_string_equal(kconfig_get(c, "sla.complaint_simple"), "2h");
    assert_string_equal(kconfig_get(c, "net.listen"), "");
    assert_int_equal(kconfig_int(c, "evlog.segment_mb"), 256);
    assert_int_equal(kconfig_int(c, "evlog.max_batch"), 4096);
    assert_int_equal(kconfig_int(c, "evlog.fetch_max"), 4096);
    assert_string_equal(kconfig_get(c, "log.level"), "info");
    assert_null(kconfig_get(c, "sched.daly_capacity"));
    assert_null(kconfig_get(c, "sched"));
    assert_null(kconfig_get(c, ""));
}

static void test_dump(void **state)
{
    fixture_t *fx = *state;
    /* exactly the contract's keys and kefu's own, sorted */
    s_assert_dump(fx->cfg, s_default_dump);

    /* too small a buffer: cut, NUL-terminated, full length returned */
    char small[16];
    assert_int_equal(kconfig_dump(fx->cfg, small, sizeof small), strlen(s_default_dump));
    assert_string_equal(small, "calendar.holida");   /* 15 bytes + NUL */
    assert_int_equal(kconfig_dump(fx->cfg, NULL, 0), strlen(s_default_dump));
}

static void test_load_contract_example(void **state)
{
    fixture_t *fx = *state;
    s_write(fx, s_contract_ini);
    assert_rc(kconfig_load_file(fx->cfg, fx->path, fx->err, sizeof fx->err), 0);
    s_assert_dump(fx->cfg, s_default_dump);
}

static void test_load_values(void **state)
{
    fixture_t *fx = *state;
    s_write(fx,
            "\xEF\xBB\xBF; kefu.ini for the lab\r\n"             /* BOM, CRLF */
            "# hash comment\r\n"
            "\r\n"
            "sla.level2_after = 6h  ; a dotted key before any section\n"
            "  [ sched ]   ; spaces inside and a comment after\n"
            "daily_capacity=1500\n"
            "\trush_quota   =   250   # tab, spaces, hash comment\n"
            "rush_quota = 260\n"                                /* last one wins */
            "[sla]\n"
            "complaint_simple = 90m\n"
            "rework_print = next-day\n"
            "rework_album = 1d12h\n"
            "[net]\n"
            "listen = tcp://0.0.0.0:7700#x\n"                     /* "#" not after a space */
            "[log]\n"
            "level = debug\n"
            "[evlog]\n"
            "max_batch = 10000\n"
            "segment_mb = 1\n");
    assert_rc(kconfig_load_file(fx->cfg, fx->path, fx->err, sizeof fx->err), 0);
    kconfig_t *c = fx->cfg;
    assert_int_equal(kconfig_duration(c, "sla.level2_after"), 6 * HOUR_US);
    assert_int_equal(kconfig_int(c, "sched.daily_capacity"), 1500);
    assert_int_equal(kconfig_int(c, "sched.rush_quota"), 260);
    assert_int_equal(kconfig_int(c, "sched.frequent_rush"), 4);   /* untouched */
    assert_string_equal(kconfig_get(c, "sla.complaint_simple"), "90m");
    int64_t d = -1;
    assert_int_equal(kconfig_deadline(c, "sla.rework_print", &d), KCONFIG_NEXT_DAY);
    assert_int_equal(kconfig_deadline(c, "sla.rework_album", &d), KCONFIG_DURATION);
    assert_int_equal(d, 36 * HOUR_US);
    assert_string_equal(kconfig_get(c, "net.listen"), "tcp://0.0.0.0:7700#x");
    assert_string_equal(kconfig_get(c, "log.level"), "debug");
    assert_int_equal(kconfig_int(c, "evlog.max_batch"), 10000);
    assert_int_equal(kconfig_int(c, "evlog.segment_mb"), 1);

    /* a later file changes only what it names; empty value with a comment */
    s_write(fx, "[net]\nlisten =   ; off again\n");
    assert_rc(kconfig_load_file(fx->cfg, fx->path, fx->err, sizeof fx->err), 0);
    assert_string_equal(kconfig_get(c, "net.listen"), "");
    assert_int_equal(kconfig_int(c, "sched.daily_capacity"), 1500);

    /* an empty file changes nothing */
    s_write(fx, "");
    assert_rc(kconfig_load_file(fx->cfg, fx->path, fx->err, sizeof fx->err), 0);
    assert_int_equal(kconfig_int(c, "sched.daily_capacity"), 1500);
}

static void test_load_errors(void **state)
{
    fixture_t *fx = *state;
    static const struct {
        const char *text;
        const char *want;   /* after "PATH:" */
    } cases[] = {
        {"[sched]\ndaily_capacity = 1\nrush_quota = 2\nfrequent_rush = 3\n\n; c\n"
         "daly_capacity = 5\n",
         "7: unknown key sched.daly_capacity"},
        {"[schedule]\n", "1: unknown section [schedule]"},
        {"[]\n", "1: unknown section []"},
        {"[sched\n", "1: missing ] after [sched"},
        {"[sched] x\n", "1: unexpected text after [sched]"},
        {"daily_capacity = 5\n", "1: key daily_capacity is outside any [section]"},
        {"sched.nope = 5\n", "1: unknown key sched.nope"},
        {"[sched]\ndaily_capacity\n", "2: expected key = value, got \"daily_capacity\""},
        {"[sched]\n = 5\n", "2: missing key before ="},
        {"[sched]\ndaily_capacity = abc\n",
         "2: sched.daily_capacity: \"abc\" is not a whole number >= 0"},
        {"[sched]\ndaily_capacity = -1\n",
         "2: sched.daily_capacity: \"-1\" is not a whole number >= 0"},
        {"[sched]\ndaily_capacity = 1.5\n",
         "2: sched.daily_capacity: \"1.5\" is not a whole number >= 0"},
        {"[sched]\ndaily_capacity =\n",
         "2: sched.daily_capacity: \"\" is not a whole number >= 0"},
        {"[sched]\ndaily_capacity = 99999999999999999999\n",
         "2: sched.daily_capacity: \"99999999999999999999\" is not a whole number >= 0"},
        {"[sched]\ndaily_capacity = 2147483648\n",
         "2: sched.daily_capacity: 2147483648 is out of range 0..2147483647"},
        {"[evlog]\nmax_batch = 0\n", "2: evlog.max_batch: 0 is out of range 1024..10000"},
        {"[evlog]\nmax_batch = 10001\n", "2: evlog.max_batch: 10001 is out of range 1024..10000"},
        {"[sla]\ncomplaint_simple = 2x\n",
         "2: sla.complaint_simple: \"2x\" is not a deadline like 24h, 4h30m@work, same-day or next-day"},
        {"[sla]\ncomplaint_simple = 0s\n",
         "2: sla.complaint_simple: \"0s\" is not a deadline like 24h, 4h30m@work, same-day or next-day"},
        {"[sla]\ncomplaint_simple = 2h@play\n",
         "2: sla.complaint_simple: \"2h@play\" is not a deadline like 24h, 4h30m@work, same-day or next-day"},
        {"[sla]\nrework_print = same day\n",
         "2: sla.rework_print: \"same day\" is not a deadline like 24h, 4h30m@work, same-day or next-day"},
        {"[log]\nlevel = loud\n",
         "2: log.level: \"loud\" is not one of debug, info, warn, error"},
        {"[log]\nlevel = INFO\n",
         "2: log.level: \"INFO\" is not one of debug, info, warn, error"},
        {"[net]\nlisten = tcp://caf\xE9\n", "2: net.listen: not valid UTF-8"},
        {"[sched]\nk123456789k123456789k123456789k123456789k123456789"
         "k123456789k123456789k123456789k123456789k123456789x = 1\n",
         "2: unknown key k123456789k123456789k123456789k123456789..."},
        {"[sched]\ndaily_capacity = 123456789012345678901234567890123456789012345\n",
         "2: sched.daily_capacity: \"1234567890123456789012345678901234567890...\" "
         "is not a whole number >= 0"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        s_write(fx, cases[i].text);
        char want[512];
        snprintf(want, sizeof want, "%s:%s", fx->path, cases[i].want);
        memset(fx->err, 0, sizeof fx->err);
        int rc = kconfig_load_file(fx->cfg, fx->path, fx->err, sizeof fx->err);
        if (rc != KEFU_EINVAL || strcmp(fx->err, want) != 0) {
            print_error("case %zu: rc %d (%s), err \"%s\"\n  want \"%s\"\n", i, rc,
                        kefu_strerror(rc), fx->err, want);
            fail();
        }
    }
    /* nothing of all that was applied */
    s_assert_dump(fx->cfg, s_default_dump);
}

static void test_load_is_all_or_nothing(void **state)
{
    fixture_t *fx = *state;
    assert_rc(kconfig_set(fx->cfg, "sched.rush_quota=111", fx->err, sizeof fx->err), 0);
    s_write(fx, "[sched]\ndaily_capacity = 1500\nrush_quota = 250\n[sla]\nlevel2_after = soon\n");
    assert_rc(kconfig_load_file(fx->cfg, fx->path, fx->err, sizeof fx->err), KEFU_EINVAL);
    char want[256];
    snprintf(want, sizeof want,
             "%s:5: sla.level2_after: \"soon\" is not a duration like 90s, 30m, 2h, 3d",
             fx->path);
    assert_string_equal(fx->err, want);
    /* lines 2 and 3 were good but are not applied; the earlier set stands */
    assert_int_equal(kconfig_int(fx->cfg, "sched.daily_capacity"), 2000);
    assert_int_equal(kconfig_int(fx->cfg, "sched.rush_quota"), 111);
}

static void test_load_unreadable(void **state)
{
    fixture_t *fx = *state;
    char want[256];
    assert_rc(kconfig_load_file(fx->cfg, fx->path, fx->err, sizeof fx->err), ENOENT);
    snprintf(want, sizeof want, "%s: %s", fx->path, strerror(ENOENT));
    assert_string_equal(fx->err, want);
    /* a directory opens but does not read */
    assert_rc(kconfig_load_file(fx->cfg, fx->dir, fx->err, sizeof fx->err), EISDIR);
    snprintf(want, sizeof want, "%s: %s", fx->dir, strerror(EISDIR));
    assert_string_equal(fx->err, want);
    /* err may be NULL */
    assert_rc(kconfig_load_file(fx->cfg, fx->path, NULL, 0), ENOENT);
    s_assert_dump(fx->cfg, s_default_dump);
}

static void test_set(void **state)
{
    fixture_t *fx = *state;
    kconfig_t *c = fx->cfg;
    assert_rc(kconfig_set(c, "sched.rush_quota=250", fx->err, sizeof fx->err), 0);
    assert_int_equal(kconfig_int(c, "sched.rush_quota"), 250);
    assert_string_equal(kconfig_get(c, "sched.rush_quota"), "250");
    assert_rc(kconfig_set(c, "  sched.rush_quota =  0 ", fx->err, sizeof fx->err), 0);
    assert_int_equal(kconfig_int(c, "sched.rush_quota"), 0);
    assert_rc(kconfig_set(c, "sla.complaint_complex=3d", fx->err, sizeof fx->err), 0);
    assert_string_equal(kconfig_get(c, "sla.complaint_complex"), "3d");
    assert_rc(kconfig_set(c, "sla.rework_frame=next-day", fx->err, sizeof fx->err), 0);
    assert_int_equal(kconfig_deadline(c, "sla.rework_frame", NULL), KCONFIG_NEXT_DAY);
    /* the value is taken whole: ";" and "=" are part of it */
    assert_rc(kconfig_set(c, "net.listen=tcp://h:1 ; x=y", fx->err, sizeof fx->err), 0);
    assert_string_equal(kconfig_get(c, "net.listen"), "tcp://h:1 ; x=y");
    assert_rc(kconfig_set(c, "net.listen=", fx->err, sizeof fx->err), 0);
    assert_string_equal(kconfig_get(c, "net.listen"), "");
    assert_rc(kconfig_set(c, "log.level=error", fx->err, sizeof fx->err), 0);
    assert_string_equal(kconfig_get(c, "log.level"), "error");

    /* --set after a file wins over it (kefu up applies them in that order) */
    s_write(fx, "[sched]\ndaily_capacity = 1500\n");
    assert_rc(kconfig_load_file(c, fx->path, fx->err, sizeof fx->err), 0);
    assert_rc(kconfig_set(c, "sched.daily_capacity=1800", fx->err, sizeof fx->err), 0);
    assert_int_equal(kconfig_int(c, "sched.daily_capacity"), 1800);
}

static void test_set_errors(void **state)
{
    fixture_t *fx = *state;
    static const struct {
        const char *assignment;
        const char *want;
    } cases[] = {
        {"sched.daly_capacity=5", "unknown key sched.daly_capacity"},
        {"sched.rush_quota", "expected section.key=value, got \"sched.rush_quota\""},
        {"", "expected section.key=value, got \"\""},
        {"=5", "missing key before ="},
        {"  =5", "missing key before ="},
        {"sched=5", "unknown key sched"},
        {"rush_quota=5", "unknown key rush_quota"},
        {"SCHED.RUSH_QUOTA=5", "unknown key SCHED.RUSH_QUOTA"},
        {"sched.rush_quota=x", "sched.rush_quota: \"x\" is not a whole number >= 0"},
        {"sched.rush_quota=", "sched.rush_quota: \"\" is not a whole number >= 0"},
        {"sched.rush_quota=+5", "sched.rush_quota: \"+5\" is not a whole number >= 0"},
        {"evlog.fetch_max=1000001", "evlog.fetch_max: 1000001 is out of range 1..1000000"},
        {"evlog.segment_mb=0", "evlog.segment_mb: 0 is out of range 1..65536"},
        {"sla.level2_after=4", "sla.level2_after: \"4\" is not a duration like 90s, 30m, 2h, 3d"},
        {"sla.rework_album=-1h",
         "sla.rework_album: \"-1h\" is not a deadline like 24h, 4h30m@work, same-day or next-day"},
        {"log.level=", "log.level: \"\" is not one of debug, info, warn, error"},
        {"net.listen=\xC0\x80", "net.listen: not valid UTF-8"},
        /* the notifier's routing (services/sla/sla_route.h): the bad part named */
        {"sla.route=major/2=gm", "sla.route: rule major: kind \"major\": an escalation kind "
                                 "(complaint-reply-overdue, major-complaint, ...) or *"},
        {"sla.route=major-complaint/3=gm", "sla.route: rule major-complaint: level \"3\": 1 or 2"},
        {"sla.route=major-complaint", "sla.route: \"major-complaint\" is not KIND[/LEVEL]=CHANNEL"},
        {"sla.channels=gm=xml:http://h/", "sla.channels: channel gm: format \"xml\": one of json, "
                                          "dingtalk, wecom"},
        {"sla.channels=gm=json:ftp://h/", "sla.channels: channel gm: \"ftp://h/\" is not an "
                                          "http:// or https:// URL"},
        {"sla.channels=default=json:http://h/", "sla.channels: channel name \"default\": up to 31 "
                                                "bytes, not \"default\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        memset(fx->err, 0, sizeof fx->err);
        int rc = kconfig_set(fx->cfg, cases[i].assignment, fx->err, sizeof fx->err);
        if (rc != KEFU_EINVAL || strcmp(fx->err, cases[i].want) != 0) {
            print_error("case %zu: rc %d (%s), err \"%s\"\n  want \"%s\"\n", i, rc,
                        kefu_strerror(rc), fx->err, cases[i].want);
            fail();
        }
    }
    assert_rc(kconfig_set(fx->cfg, "nope.x=1", NULL, 0), KEFU_EINVAL);
    s_assert_dump(fx->cfg, s_default_dump);   /* nothing changed */
}

static void test_dump_after_changes(void **state)
{
    fixture_t *fx = *state;
    assert_rc(kconfig_set(fx->cfg, "net.listen=tcp://0.0.0.0:7700", fx->err, sizeof fx->err), 0);
    assert_rc(kconfig_set(fx->cfg, "sched.rush_quota=250", fx->err, sizeof fx->err), 0);
    char buf[4096];
    kconfig_dump(fx->cfg, buf, sizeof buf);
    assert_non_null(strstr(buf, "\nnet.listen = tcp://0.0.0.0:7700\nnet.request_timeout = 30s\nsched.daily_capacity = 2000\n"
                                "sched.frequent_rush = 4\n"));
    assert_non_null(strstr(buf, "\nsched.rush_quota = 250\n"));
}

static void test_owners(void **state)
{
    fixture_t *fx = *state;
    static const struct {
        const char *key, *owner;
    } cases[] = {
        {"evlog.segment_mb", "evlog"},     {"evlog.fetch_max", "evlog"},
        {"sla.complaint_simple", "intake"}, {"sla.complaint_complex", "intake"},
        {"sla.rework_print", "sched"},     {"sched.rush_quota", "sched"},
        {"sla.level2_after", "sla"},   {"calendar.hours", "site"},
        {"kefu.restart_max", "site"},      {"log.level", "site"},
        {"net.listen", "net"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *o = kconfig_owner(fx->cfg, cases[i].key);
        assert_non_null(o);
        if (strcmp(o, cases[i].owner) != 0)
            fail_msg("%s: owner %s, want %s", cases[i].key, o, cases[i].owner);
    }
    assert_null(kconfig_owner(fx->cfg, "sla.nope"));
    assert_null(kconfig_owner(fx->cfg, "sla"));
}

/* A check of a test's own: even numbers, through the plain int check. */
static int s_check_even(const kconfig_key_t *k, const char *value, char *what, size_t cap)
{
    int rc = kconfig_check_int(k, value, what, cap);
    if (rc == 0 && (value[strlen(value) - 1] - '0') % 2 != 0) {
        snprintf(what, cap, "%s is odd", value);
        rc = KEFU_EINVAL;
    }
    return rc;
}

static const char *const s_colours[] = {"red", "blue", NULL};
static const kconfig_key_t s_rows_a[] = {
    {.key = "shop.pairs", .read = KCONFIG_READ_INT, .def = "2", .check = s_check_even,
     .min = 0, .max = 100},
    KCONFIG_KEY_CHOICE("shop.colour", "red", s_colours),
};
static const kconfig_key_t s_rows_b[] = {
    KCONFIG_KEY_DURATION("shop.open_for", "8h"),   /* another owner, the same section */
    KCONFIG_KEY_STRING("b.name", "x"),
};
static const kconfig_table_t s_table_a = KCONFIG_TABLE("a", s_rows_a);
static const kconfig_table_t s_table_b = KCONFIG_TABLE("b", s_rows_b);

static void test_own_tables(void **state)
{
    fixture_t *fx = *state;
    const kconfig_table_t *const tables[] = {&s_table_a, &s_table_b, NULL};
    kconfig_t *c = kconfig_new(tables);
    char err[256];
    assert_int_equal(kconfig_int(c, "shop.pairs"), 2);
    assert_string_equal(kconfig_owner(c, "shop.pairs"), "a");
    assert_string_equal(kconfig_owner(c, "shop.open_for"), "b");
    assert_rc(kconfig_set(c, "shop.pairs=8", err, sizeof err), 0);
    assert_int_equal(kconfig_int(c, "shop.pairs"), 8);
    assert_rc(kconfig_set(c, "shop.pairs=7", err, sizeof err), KEFU_EINVAL);
    assert_string_equal(err, "shop.pairs: 7 is odd");
    assert_rc(kconfig_set(c, "shop.pairs=102", err, sizeof err), KEFU_EINVAL);
    assert_string_equal(err, "shop.pairs: 102 is out of range 0..100");
    assert_rc(kconfig_set(c, "shop.colour=green", err, sizeof err), KEFU_EINVAL);
    assert_string_equal(err, "shop.colour: \"green\" is not one of red, blue");
    /* a section of two owners, in one file; a key of another table is unknown */
    s_write(fx, "[shop]\npairs = 4\nopen_for = 10h\ncolour = blue\n");
    assert_rc(kconfig_load_file(c, fx->path, err, sizeof err), 0);
    assert_int_equal(kconfig_duration(c, "shop.open_for"), 10 * HOUR_US);
    s_write(fx, "[log]\nlevel = info\n");
    assert_rc(kconfig_load_file(c, fx->path, err, sizeof err), KEFU_EINVAL);
    char want[256];
    snprintf(want, sizeof want, "%s:1: unknown section [log]", fx->path);
    assert_string_equal(err, want);
    char buf[256];
    kconfig_dump(c, buf, sizeof buf);
    assert_string_equal(buf, "b.name = x\nshop.colour = blue\nshop.open_for = 10h\n"
                             "shop.pairs = 4\n");
    kconfig_destroy(&c);
    assert_null(c);
    kconfig_destroy(&c);   /* NULL is fine */

    /* no table at all: every key unknown */
    const kconfig_table_t *const none[] = {NULL};
    c = kconfig_new(none);
    assert_null(kconfig_get(c, "log.level"));
    assert_int_equal(kconfig_dump(c, NULL, 0), 0);
    kconfig_destroy(&c);
}

/* Runs kconfig_new(tables) in a child (stderr to /dev/null): true if it
 * aborted, as it must for tables that are wrong. */
static bool s_new_aborts(const kconfig_table_t *const *tables)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int fd = open("/dev/null", O_WRONLY);
        if (fd >= 0)
            dup2(fd, 2);
        kconfig_t *c = kconfig_new(tables);
        kconfig_destroy(&c);
        _exit(0);
    }
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    return WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT;
}

static void test_bad_tables(void **state)
{
    (void) state;
    static const kconfig_key_t dup_rows[] = {KCONFIG_KEY_STRING("shop.colour", "red")};
    static const kconfig_table_t dup = KCONFIG_TABLE("dup", dup_rows);
    static const kconfig_key_t bad_def_rows[] = {KCONFIG_KEY_INT("shop.n", "lots", 0, 9)};
    static const kconfig_table_t bad_def = KCONFIG_TABLE("bad", bad_def_rows);
    static const kconfig_key_t no_section_rows[] = {KCONFIG_KEY_STRING("name", "")};
    static const kconfig_table_t no_section = KCONFIG_TABLE("bad", no_section_rows);
    const kconfig_table_t *const t1[] = {&s_table_a, &dup, NULL};
    const kconfig_table_t *const t2[] = {&bad_def, NULL};
    const kconfig_table_t *const t3[] = {&no_section, NULL};
    const kconfig_table_t *const good[] = {&s_table_a, &s_table_b, NULL};
    assert_true(s_new_aborts(t1));
    assert_true(s_new_aborts(t2));
    assert_true(s_new_aborts(t3));
    assert_false(s_new_aborts(good));
    assert_false(s_new_aborts(registry_key_tables));
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, s_setup, s_teardown)
    const struct CMUnitTest tests[] = {
        T(test_defaults),
        T(test_dump),
        T(test_load_contract_example),
        T(test_load_values),
        T(test_load_errors),
        T(test_load_is_all_or_nothing),
        T(test_load_unreadable),
        T(test_set),
        T(test_set_errors),
        T(test_dump_after_changes),
        T(test_owners),
        T(test_own_tables),
        T(test_bad_tables),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
