/* args.c: command-line values that several kefuctl commands read.
 *
 * Enum values are typed as the JSON shows them (pbjson.h): the value's
 * name without the enum's common prefix, lower-case, '-' for '_'
 * (CASE_KIND_COLOUR -> "colour", OUTCOME_CARRIER_CLAIM -> "carrier-claim").
 * The spelling is derived from the protobuf-c enum descriptor, the same
 * way pbjson prints it, so what kefuctl prints it also reads back, and a
 * value added to proto/ is accepted without code here. Value 0 is every
 * kefu enum's "unset" and is never accepted.
 *
 * Calendar periods (--week, --month) are the site's: a week starts at
 * 00:00 of its first day in the site's calendar.utc_offset (the daemon's
 * status tells it), wherever kefuctl runs, so the desk and its deadlines
 * count days alike (ktime.h does the calendar).
 *
 * The option parsing every command shares is here too: the global flags
 * (--dir, --json, --request-id, --timeout) and kctl_getopt(), which takes
 * them anywhere on a command's line. Request rows parse on top of it
 * (kctl_parse_args(), rows.c).
 */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "kefuctl.h"
#include "ktime.h"
#include "pbdesc.h"
#include "site.h"

/* True if value v may be typed: not unset (0), not excluded. */
static bool s_enum_allowed(int v, uint32_t exclude)
{
    return v != 0 && !(v > 0 && v < 32 && (exclude & (UINT32_C(1) << v)));
}

int kctl_enum_choices(const ProtobufCEnumDescriptor *ed, uint32_t exclude, const char *sep,
                      char *buf, size_t cap)
{
    size_t len = 0;
    buf[0] = '\0';
    for (unsigned i = 0; i < ed->n_values; i++) {
        if (!s_enum_allowed(ed->values[i].value, exclude))
            continue;
        char name[64];
        pbdesc_enum_word(ed, ed->values[i].value, name, sizeof name);
        int n = snprintf(buf + len, cap - len, "%s%s", len ? sep : "", name);
        if (n < 0 || (size_t) n >= cap - len)
            return -1;
        len += (size_t) n;
    }
    return 0;
}

int kctl_parse_enum(kctl_t *ctx, const ProtobufCEnumDescriptor *ed, uint32_t exclude,
                    const char *what, const char *arg, int *out)
{
    for (unsigned i = 0; i < ed->n_values; i++) {
        if (!s_enum_allowed(ed->values[i].value, exclude))
            continue;
        char name[64];
        pbdesc_enum_word(ed, ed->values[i].value, name, sizeof name);
        if (strcmp(name, arg) == 0) {
            *out = ed->values[i].value;
            return KCTL_CONTINUE;
        }
    }
    char choices[512];
    if (kctl_enum_choices(ed, exclude, ", ", choices, sizeof choices) != 0)
        snprintf(choices, sizeof choices, "see --help");
    return kctl_usage(ctx, "bad %s '%s': one of %s", what, arg, choices);
}

/* ---- calendar periods ------------------------------------------------------- */


/* n digits at s as a number, or -1 if they are not all digits. */
static int s_digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* 00:00 of day d of month m of year y at the site (offset_min from UTC),
 * in usec. d and m may run past the month or year's end: the day count
 * carries. */
static int64_t s_site_midnight(int y, int m, int d, int offset_min)
{
    y += (m - 1) / 12;
    m = (m - 1) % 12 + 1;
    return (ktime_days_from_civil(y, m, 1) + d - 1) * KTIME_DAY - offset_min * KTIME_MIN;
}

/* The day number (ktime_days_from_civil) of the Monday of the ISO week
 * s names: a date in it (2026-11-25) or the week by number (2026-W48;
 * ISO 8601: week 1 holds January 4th, week 53 only in a long year).
 * Returns 0 or -1. */
static int s_week_monday(const char *s, int64_t *days)
{
    size_t n = strlen(s);
    int y = s_digits(s, 4);
    if (n == 8 && s[4] == '-' && s[5] == 'W') {
        int w = s_digits(s + 6, 2);
        if (y < 1970 || w < 1)
            return -1;
        int64_t jan4 = ktime_days_from_civil(y, 1, 4);
        int64_t week1 = jan4 - ktime_floor_mod(jan4 + 3, 7);  /* 1970-01-01 was a Thursday */
        int64_t next4 = ktime_days_from_civil(y + 1, 1, 4);
        int64_t next1 = next4 - ktime_floor_mod(next4 + 3, 7);
        *days = week1 + (int64_t) (w - 1) * 7;
        return *days < next1 ? 0 : -1;
    }
    if (n != 10 || s[4] != '-' || s[7] != '-')
        return -1;
    int m = s_digits(s + 5, 2), d = s_digits(s + 8, 2);
    if (y < 1970 || m < 1 || m > 12 || d < 1 || d > ktime_days_in_month(y, m))
        return -1;
    int64_t day = ktime_days_from_civil(y, m, d);
    *days = day - ktime_floor_mod(day + 3, 7);   /* back to its Monday */
    return 0;
}

int kctl_parse_week(const char *s, int offset_min, int64_t *from, int64_t *to)
{
    int64_t monday;
    if (s_week_monday(s, &monday) != 0)
        return -1;
    *from = monday * KTIME_DAY - offset_min * KTIME_MIN;
    *to = *from + 7 * KTIME_DAY;
    return 0;
}

int kctl_parse_month(const char *s, int offset_min, int64_t *from, int64_t *to)
{
    if (strlen(s) != 7 || s[4] != '-')
        return -1;
    int y = s_digits(s, 4), m = s_digits(s + 5, 2);
    if (y < 1970 || m < 1 || m > 12)
        return -1;
    *from = s_site_midnight(y, m, 1, offset_min);
    *to = s_site_midnight(y, m + 1, 1, offset_min);
    return 0;
}

/* ---- options: the global flags and getopt ------------------------------------ */

enum {
    S_OPT_DIR = KCTL_OPT_GLOBAL,
    S_OPT_JSON,
    S_OPT_REQUEST_ID,
    S_OPT_TIMEOUT,
    S_OPT_ENDPOINT,
    S_OPT_KEY,
};

const struct option kctl_global_opts[] = {
    {"dir", required_argument, NULL, S_OPT_DIR},
    {"json", no_argument, NULL, S_OPT_JSON},
    {"request-id", required_argument, NULL, S_OPT_REQUEST_ID},
    {"timeout", required_argument, NULL, S_OPT_TIMEOUT},
    {"endpoint", required_argument, NULL, S_OPT_ENDPOINT},
    {"key", required_argument, NULL, S_OPT_KEY},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};
#define S_N_GLOBAL_OPTS 8  /* entries of kctl_global_opts, its end included */

int kctl_global(kctl_t *ctx, int opt, const char *arg)
{
    switch (opt) {
    case S_OPT_DIR:
        if (!*arg)
            return kctl_usage(ctx, "--dir needs a directory");
        ctx->dir_opt = arg;
        break;
    case S_OPT_JSON:
        ctx->json = true;
        break;
    case S_OPT_REQUEST_ID:
        if (!*arg)
            return kctl_usage(ctx, "--request-id needs a non-empty id");
        ctx->request_id = arg;
        break;
    case S_OPT_TIMEOUT: {
        int64_t us;
        if (ktime_parse_duration(arg, &us) != 0)
            return kctl_usage(ctx, "bad --timeout '%s': a duration like 500ms, 5s, 1m", arg);
        int64_t ms = (us + 999) / 1000;
        ctx->timeout_ms = ms > INT_MAX / 2 ? INT_MAX / 2 : (int) ms;
        break;
    }
    case S_OPT_ENDPOINT:
        /* a remote site (net.listen): transport://address, as libzmq takes it */
        if (!strstr(arg, "://") || strstr(arg, "://") == arg || !strstr(arg, "://")[3])
            return kctl_usage(ctx, "bad --endpoint '%s': tcp://HOST:PORT", arg);
        ctx->endpoint = arg;
        break;
    case S_OPT_KEY:
        if (!*arg)
            return kctl_usage(ctx, "--key needs a key file (kefuctl key new makes them)");
        ctx->key_file = arg;
        break;
    default:
        assert(!"unknown global option");
    }
    return KCTL_CONTINUE;
}

/* The option getopt just refused, for the message: the argument itself
 * for a long option ("--from" with no value, "--bogus"), else the letter
 * (optopt; it may sit inside a cluster like "-xh"). */
const char *kctl_bad_option(char **argv, int argc, char *buf, size_t cap)
{
    const char *last = optind >= 1 && optind - 1 < argc ? argv[optind - 1] : NULL;
    if (last && strncmp(last, "--", 2) == 0)
        return last;
    if (optopt > ' ' && optopt < 127) {
        snprintf(buf, cap, "-%c", optopt);
        return buf;
    }
    return last ? last : "?";
}

int kctl_getopt(kctl_t *ctx, int argc, char **argv, const struct option *opts)
{
    size_t n = 0;
    for (; opts && opts[n].name; n++) {
        /* vals that getopt itself returns, or that name global flags,
         * would be mistaken for them */
        assert(opts[n].val != 'h' && opts[n].val != '?' && opts[n].val != ':');
        assert(opts[n].val > 0 && opts[n].val < KCTL_OPT_GLOBAL && opts[n].flag == NULL);
        assert(n + S_N_GLOBAL_OPTS < KCTL_MAX_OPTS);
        ctx->opts[n] = opts[n];
    }
    memcpy(ctx->opts + n, kctl_global_opts, S_N_GLOBAL_OPTS * sizeof kctl_global_opts[0]);
    opterr = 0;  /* our messages, in the contract's shape */
    for (;;) {
        char buf[8];
        int opt = getopt_long(argc, argv, ":h", ctx->opts, NULL);
        switch (opt) {
        case -1: {
            int rc = site_dir(ctx->dir_opt, ctx->site, sizeof ctx->site);
            if (rc != 0) {
                ctx->exit_code = kctl_usage(ctx, "the site directory is too long");
                return KCTL_OPT_EXIT;
            }
            if (ctx->key_file && !ctx->endpoint) {
                ctx->exit_code = kctl_usage(ctx, "--key goes with --endpoint (a remote site)");
                return KCTL_OPT_EXIT;
            }
            if (ctx->endpoint && !ctx->key_loaded) {
                /* a remote site takes CURVE clients only: the key file now,
                 * so a bad one is a usage error before anything is sent */
                char err[PATH_MAX + 128];
                if (!ctx->key_file)
                    ctx->exit_code = kctl_usage(ctx, "--endpoint needs --key FILE (kefuctl key "
                                                     "new, on the site, makes one)");
                else if (keyfile_load(ctx->key_file, &ctx->key, err, sizeof err) != 0)
                    ctx->exit_code = kctl_usage(ctx, "--key %s", err);
                else
                    ctx->key_loaded = true;
                if (!ctx->key_loaded)
                    return KCTL_OPT_EXIT;
            }
            return KCTL_OPT_END;
        }
        case 'h':
            kctl_help_cmd(stdout, ctx->cmd);
            ctx->exit_code = KCTL_EXIT_OK;
            return KCTL_OPT_EXIT;
        case ':':
            ctx->exit_code = kctl_usage(ctx, "option %s needs a value",
                                        kctl_bad_option(argv, argc, buf, sizeof buf));
            return KCTL_OPT_EXIT;
        case '?':
            ctx->exit_code = kctl_usage(ctx, "unknown option %s",
                                        kctl_bad_option(argv, argc, buf, sizeof buf));
            return KCTL_OPT_EXIT;
        default:
            if (opt < KCTL_OPT_GLOBAL)
                return opt;
            ctx->exit_code = kctl_global(ctx, opt, optarg);
            if (ctx->exit_code != KCTL_CONTINUE)
                return KCTL_OPT_EXIT;
        }
    }
}

int kctl_parse_operands(kctl_t *ctx, int argc, char **argv, int min, int max)
{
    int opt;
    while ((opt = kctl_getopt(ctx, argc, argv, NULL)) >= 0)
        ;  /* no command options are declared: only global flags come back */
    if (opt == KCTL_OPT_EXIT)
        return ctx->exit_code;
    int n = argc - optind;
    if (n < min)
        return kctl_usage(ctx, "missing %s", *ctx->cmd->args ? ctx->cmd->args : "argument");
    if (n > max)
        return kctl_usage(ctx, "unexpected argument '%s'", argv[optind + max]);
    return KCTL_CONTINUE;
}

int kctl_parse_u64(const char *s, uint64_t *out)
{
    if (!s || *s < '0' || *s > '9')
        return -1;  /* strtoull would take "-1", " 1" and "+1" */
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0')
        return -1;
    *out = v;
    return 0;
}
