/* main.c: kefuctl, the command line of a kefu site.
 *
 *   kefuctl [--dir DIR] [--json] [--request-id ID] [--timeout DUR] COMMAND ...
 *
 * main() parses the global flags up to the first word that is not an
 * option, finds the command in s_commands (one or two words: "status",
 * "clock advance") and hands it the rest of the line. Commands parse their
 * own options with kctl_getopt(), which accepts the global flags too, so
 * `kefuctl status --json` works like `kefuctl --json status`.
 *
 * To add a command: write services/kefuctl/cmd_NAME.c with a kctl_cmd_fn,
 * declare it in kefuctl.h, add its row below. Rows of one group (all the
 * "complaint ..." verbs) stay next to each other so help lists them
 * together.
 */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kefuctl.h"
#include "kerr.h"
#include "ktime.h"
#include "site.h"

static kctl_cmd_fn s_cmd_help;

static const kctl_cmd_t s_commands[] = {
    {"status", NULL, "",
     "each daemon's health, the log head, applied positions",
     "A daemon that does not answer is listed with ok false; the command\n"
     "fails (exit 3) only when no daemon answers at all.",
     kctl_cmd_status},
    {"sync", NULL, "",
     "wait until every daemon has applied the log up to now",
     "Reads the log head, then waits (up to --timeout per daemon) until each\n"
     "daemon has applied the log up to it.",
     kctl_cmd_sync},
    {"clock", "advance", "DUR",
     "move a simulated clock (refused on a wall clock)",
     "DUR is like 90s, 30m, 2h, 3d or 1h30m. Only a site started with\n"
     "`kefu up --sim-clock` has a clock to move; a wall clock refuses\n"
     "(conflict, exit 1).",
     kctl_cmd_clock_advance},
    {"log", "tail", "[--from SEQ] [--follow]",
     "events in log order, one JSON object per line",
     "  --from SEQ   the first event to print (default 1)\n"
     "  --follow     keep printing new events until interrupted\n"
     "Each line is {\"seq\",\"type\",\"at\",\"producer\",\"producer_seq\",\"data\"};\n"
     "type is the event's name and data its fields.",
     kctl_cmd_log_tail},
    {"help", NULL, "[COMMAND]", "this help, or a command's", NULL, s_cmd_help},
    {NULL, NULL, NULL, NULL, NULL, NULL},
};

enum {
    S_OPT_DIR = KCTL_OPT_GLOBAL,
    S_OPT_JSON,
    S_OPT_REQUEST_ID,
    S_OPT_TIMEOUT,
};

static const struct option s_global_opts[] = {
    {"dir", required_argument, NULL, S_OPT_DIR},
    {"json", no_argument, NULL, S_OPT_JSON},
    {"request-id", required_argument, NULL, S_OPT_REQUEST_ID},
    {"timeout", required_argument, NULL, S_OPT_TIMEOUT},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};
#define S_N_GLOBAL_OPTS (sizeof s_global_opts / sizeof s_global_opts[0])

/* ---- help ----------------------------------------------------------------- */

static void s_words(const kctl_cmd_t *c, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s%s%s%s%s", c->group, c->verb ? " " : "", c->verb ? c->verb : "",
             *c->args ? " " : "", c->args);
}

static void s_print_help(FILE *out)
{
    fputs("usage: kefuctl [--dir DIR] [--json] [--request-id ID] [--timeout DUR] COMMAND ...\n"
          "\n"
          "Talks to the kefu site in DIR (default ./var, or $KEFU_DIR).\n"
          "\n"
          "options:\n"
          "  --dir DIR        the site's directory\n"
          "  --json           print one JSON object; a failure also as\n"
          "                   {\"error\":{\"code\":...,\"message\":...}}\n"
          "  --request-id ID  idempotency key: a write repeated with the same ID\n"
          "                   returns the first answer and changes nothing\n"
          "  --timeout DUR    how long to wait for each daemon (default 5s)\n"
          "  -h, --help       this help; `kefuctl COMMAND --help` for a command's\n"
          "\n"
          "commands:\n",
          out);
    int width = 0;
    char buf[256];
    for (const kctl_cmd_t *c = s_commands; c->group; c++) {
        s_words(c, buf, sizeof buf);
        if ((int) strlen(buf) > width)
            width = (int) strlen(buf);
    }
    for (const kctl_cmd_t *c = s_commands; c->group; c++) {
        s_words(c, buf, sizeof buf);
        fprintf(out, "  %-*s  %s\n", width, buf, c->summary);
    }
    fputs("\nexit status: 0 done, 1 refused by the site, 2 usage error, "
          "3 site unreachable\n",
          out);
}

static void s_print_cmd_help(FILE *out, const kctl_cmd_t *c)
{
    char buf[256];
    s_words(c, buf, sizeof buf);
    fprintf(out, "usage: kefuctl [GLOBAL OPTIONS] %s\n\n%s\n", buf, c->summary);
    if (c->help)
        fprintf(out, "\n%s\n", c->help);
    fputs("\nglobal options (anywhere on the line): --dir DIR, --json, "
          "--request-id ID, --timeout DUR\n",
          out);
}

/* Help of a group of two-word commands ("kefuctl clock --help"). */
static void s_print_group_help(FILE *out, const char *group)
{
    fprintf(out, "usage: kefuctl [GLOBAL OPTIONS] %s SUBCOMMAND ...\n\nsubcommands:\n",
            group);
    char buf[256];
    for (const kctl_cmd_t *c = s_commands; c->group; c++) {
        if (strcmp(c->group, group) != 0)
            continue;
        snprintf(buf, sizeof buf, "%s%s%s", c->verb, *c->args ? " " : "", c->args);
        fprintf(out, "  %-28s  %s\n", buf, c->summary);
    }
    fprintf(out, "\n`kefuctl %s SUBCOMMAND --help` for more.\n", group);
}

/* ---- options -------------------------------------------------------------- */

/* Applies a global flag. Returns KCTL_CONTINUE or a usage error's status. */
static int s_global(kctl_t *ctx, int opt, const char *arg)
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
    default:
        assert(!"unknown global option");
    }
    return KCTL_CONTINUE;
}

/* The option getopt just refused, for the message: the argument itself
 * for a long option ("--from" with no value, "--bogus"), else the letter
 * (optopt; it may sit inside a cluster like "-xh"). */
static const char *s_bad_option(char **argv, int argc, char *buf, size_t cap)
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
    memcpy(ctx->opts + n, s_global_opts, sizeof s_global_opts);
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
            return KCTL_OPT_END;
        }
        case 'h':
            s_print_cmd_help(stdout, ctx->cmd);
            ctx->exit_code = KCTL_EXIT_OK;
            return KCTL_OPT_EXIT;
        case ':':
            ctx->exit_code = kctl_usage(ctx, "option %s needs a value",
                                        s_bad_option(argv, argc, buf, sizeof buf));
            return KCTL_OPT_EXIT;
        case '?':
            ctx->exit_code = kctl_usage(ctx, "unknown option %s",
                                        s_bad_option(argv, argc, buf, sizeof buf));
            return KCTL_OPT_EXIT;
        default:
            if (opt < KCTL_OPT_GLOBAL)
                return opt;
            ctx->exit_code = s_global(ctx, opt, optarg);
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

/* A group word without a known subcommand: names what it takes. */
static int s_group_usage(kctl_t *ctx, const char *group, const char *verb)
{
    char verbs[256] = "";
    size_t len = 0;
    for (const kctl_cmd_t *c = s_commands; c->group; c++)
        if (strcmp(c->group, group) == 0 && len < sizeof verbs)
            len += (size_t) snprintf(verbs + len, sizeof verbs - len, "%s%s",
                                     len ? ", " : "", c->verb);
    if (verb)
        return kctl_fail(ctx, KCTL_EXIT_USAGE, "usage",
                         "unknown command '%s %s': %s takes %s (see kefuctl %s --help)",
                         group, verb, group, verbs, group);
    return kctl_fail(ctx, KCTL_EXIT_USAGE, "usage",
                     "'%s' needs a subcommand: %s (see kefuctl %s --help)", group, verbs, group);
}

/* ---- dispatch ------------------------------------------------------------- */

/* `kefuctl help [COMMAND [SUBCOMMAND]]` */
static int s_cmd_help(kctl_t *ctx, int argc, char **argv)
{
    int rc = kctl_parse_operands(ctx, argc, argv, 0, 2);
    if (rc != KCTL_CONTINUE)
        return rc;
    if (optind == argc) {
        s_print_help(stdout);
        return KCTL_EXIT_OK;
    }
    const char *group = argv[optind];
    const char *verb = optind + 1 < argc ? argv[optind + 1] : NULL;
    bool known = false;
    for (const kctl_cmd_t *c = s_commands; c->group; c++) {
        if (strcmp(c->group, group) != 0)
            continue;
        known = true;
        if (!c->verb || (verb && strcmp(c->verb, verb) == 0)) {
            s_print_cmd_help(stdout, c);
            return KCTL_EXIT_OK;
        }
    }
    if (!known)
        return kctl_usage(ctx, "unknown command '%s'", group);
    if (verb)
        return kctl_usage(ctx, "unknown command '%s %s'", group, verb);
    s_print_group_help(stdout, group);
    return KCTL_EXIT_OK;
}

/* --json decides the shape of every failure, including one found before
 * the flag is reached (`kefuctl --bogus --json`), so look for it first. */
static void s_prescan(kctl_t *ctx, int argc, char **argv)
{
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
        if (strcmp(argv[i], "--json") == 0)
            ctx->json = true;
}

int main(int argc, char **argv)
{
    /* static: the context holds PATH_MAX bytes and an option table; it is
     * still the one context object, passed to everything by pointer */
    static kctl_t ctx;
    ctx.timeout_ms = KCTL_DEFAULT_TIMEOUT_MS;
    s_prescan(&ctx, argc, argv);

    opterr = 0;
    int opt;
    char buf[8];
    /* '+': stop at the command word; its options are the command's */
    while ((opt = getopt_long(argc, argv, "+:h", s_global_opts, NULL)) != -1) {
        switch (opt) {
        case 'h':
            s_print_help(stdout);
            return KCTL_EXIT_OK;
        case ':':
            return kctl_usage(&ctx, "option %s needs a value",
                              s_bad_option(argv, argc, buf, sizeof buf));
        case '?':
            return kctl_usage(&ctx, "unknown option %s",
                              s_bad_option(argv, argc, buf, sizeof buf));
        default: {
            int rc = s_global(&ctx, opt, optarg);
            if (rc != KCTL_CONTINUE)
                return rc;
        }
        }
    }
    if (optind >= argc)
        return kctl_usage(&ctx, "missing command");

    const char *group = argv[optind];
    const char *next = optind + 1 < argc ? argv[optind + 1] : NULL;
    const kctl_cmd_t *cmd = NULL;
    bool known = false;
    for (const kctl_cmd_t *c = s_commands; c->group && !cmd; c++) {
        if (strcmp(c->group, group) != 0)
            continue;
        known = true;
        if (!c->verb || (next && strcmp(c->verb, next) == 0))
            cmd = c;
    }
    if (!known)
        return kctl_usage(&ctx, "unknown command '%s'", group);
    if (!cmd) {
        if (next && (strcmp(next, "--help") == 0 || strcmp(next, "-h") == 0)) {
            s_print_group_help(stdout, group);
            return KCTL_EXIT_OK;
        }
        return s_group_usage(&ctx, group, next);
    }
    int first = optind + (cmd->verb ? 1 : 0);
    ctx.cmd = cmd;
    optind = 0;  /* glibc: a full restart of getopt on the command's argv */
    return cmd->run(&ctx, argc - first, argv + first);
}
