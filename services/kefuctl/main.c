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
    /* ---- intake (cmd_intake.c): customers, orders, cases, after-sales */
    {"customer", "add",
     "ID --name N --tier key|special|general [--phone P] [--address A] [--contact C] "
     "[--terms T] [--by STAFF]",
     "register a customer",
     "  --name N       the shop's name\n"
     "  --tier T       key (重点), special (特殊) or general (一般)\n"
     "  --phone, --address, --contact, --terms (payment terms): the record's\n"
     "                 other fields (000 §二.4)\n"
     "  --by STAFF     who registers it\n"
     "Prints the customer; --json {\"id\",\"name\",\"tier\",...}.",
     kctl_cmd_customer_add},
    {"customer", "update",
     "ID [--name N] [--tier T] [--phone P] [--address A] [--contact C] [--terms T] "
     "[--by STAFF]",
     "change a customer's record",
     "Each option given replaces that field (an empty --phone etc. clears it);\n"
     "at least one is needed. Prints the whole record after the change.",
     kctl_cmd_customer_update},
    {"customer", "show", "ID", "one customer's record", NULL, kctl_cmd_customer_show},
    {"customer", "list", "[--tier key|special|general]", "customers, optionally of one tier",
     "--json {\"items\":[...]}; text: a table.", kctl_cmd_customer_list},
    {"order", "add",
     "--customer ID --product print|album|crystal|frame --qty N [--id ORDER] [--batches N] "
     "[--by STAFF]",
     "take an order (upload time = now)",
     "  --customer ID  whose order (a registered customer)\n"
     "  --product P    print (相片), album (相册), crystal (水晶), frame (相框)\n"
     "  --qty N        pieces, 1 or more\n"
     "  --id ORDER     the order number (单号); without it the site gives one\n"
     "  --batches N    how many batches (批次) it comes in\n"
     "Prints the order; --json {\"id\",...}.",
     kctl_cmd_order_add},
    {"order", "show", "ID", "one order", NULL, kctl_cmd_order_show},
    {"order", "list", "[--customer ID]", "orders, optionally of one customer",
     "--json {\"items\":[...]}; text: a table.", kctl_cmd_order_list},
    {"complaint", "open",
     "--customer ID [--order O] --kind colour|damage|missing|quality|service|delay "
     "--complexity simple|complex [--severity general|major] --by STAFF "
     "[--channel phone|counter|letter|im|email] [--text T] [--query]",
     "open a case owned by STAFF",
     "Whoever takes a case owns it to the end (000 §一.5). A simple case is\n"
     "answered within 2h, a complex one within 24h (configurable). A major\n"
     "one is recorded as such (--severity major); escalating it to leadership\n"
     "comes with the SLA watchers, not yet on this site.\n"
     "  --query        a query about an order (客件查询) rather than a complaint\n"
     "Prints the case; --json {\"id\",\"owner\",\"reply_due\",\"state\",...}.",
     kctl_cmd_complaint_open},
    {"complaint", "reply", "ID --by STAFF [--text T] [--commit DUR]",
     "record a reply to the customer",
     "  --commit DUR   the reply promises the next answer within DUR (e.g. 4h);\n"
     "                 the site chases it (000 §一.2)\n"
     "Prints the case; --json {\"id\",\"state\",...}.",
     kctl_cmd_complaint_reply},
    {"complaint", "handoff", "ID --by STAFF --to DEPARTMENT [--due DUR] [--text T]",
     "ask another department to help; the owner keeps it",
     "  --to DEPARTMENT  e.g. production, dispatch, finance\n"
     "  --due DUR        when the department should be done, from now\n"
     "Prints the case.",
     kctl_cmd_complaint_handoff},
    {"complaint", "evidence",
     "ID --by STAFF --kind chat-log|photo|statement|site-check|other --text T",
     "add an item of evidence (000 §一.3)", "Prints the case.", kctl_cmd_complaint_evidence},
    {"complaint", "resolve",
     "ID --by STAFF --outcome rework|reissue|refund|exchange|compensate|explained|"
     "carrier-claim|declined [--text T]",
     "resolve a case",
     "declined: outside the service contract (003 四.三.2); say why with --text.\n"
     "Prints the case; --json {\"id\",\"state\",...}.",
     kctl_cmd_complaint_resolve},
    {"complaint", "followup", "ID --by STAFF --satisfaction 1..5 [--text T]",
     "record the follow-up visit (回访), closing the case", "Prints the case.",
     kctl_cmd_complaint_followup},
    {"complaint", "show", "ID [--limit N] [--from-entry N]", "a case with its history",
     "  --limit N        at most N history entries (1 to 1000; 100 by default)\n"
     "  --from-entry N   the entries from number N on (0 is \"opened\"); without it\n"
     "                   the newest N\n"
     "history_count is how many entries the history has, history_from the number\n"
     "of the first one shown (absent: 0). A write's answer shows the newest 20.\n"
     "--json {\"id\",\"state\",\"owner\",\"history\":[{\"at\",\"by\",\"action\",...}],\n"
     "\"history_count\",...}.",
     kctl_cmd_complaint_show},
    /* "complaints analysis" before "complaints": a one-word row matches
     * any second word */
    {"complaints", "analysis",
     "--from TIME --to TIME | --week YYYY-MM-DD | --month YYYY-MM",
     "cases of a period by cause, with median reply times",
     "  --week D     the 7 days from 00:00 local time of day D\n"
     "  --month M    the calendar month M, from 00:00 local time of its first day\n"
     "--json {\"from\",\"to\",\"total\",\"rows\":[{\"kind\",\"count\",\"share_permille\",\n"
     "\"median_first_reply_us\",\"median_resolution_us\",...}]}.",
     kctl_cmd_complaints_analysis},
    {"complaints", NULL,
     "[--from TIME] [--to TIME] [--owner STAFF] [--kind K] "
     "[--state open|replied|resolved|closed] [--customer C] [--order O] "
     "[--queries|--complaints] [--limit N]",
     "the complaint register (投诉状况表), one line per case",
     "Cases opened in [--from, --to) matching every filter given, up to\n"
     "--limit (default 1000). --queries: only queries; --complaints: only\n"
     "complaints. See also `kefuctl complaints analysis`.\n"
     "--json {\"items\":[...]}, each a case; text: one aligned line per case.",
     kctl_cmd_complaints},
    {"aftersales", "open", "ORDER --kind refund|exchange --by STAFF [--reason T]",
     "open an after-sales request on an order (004 第一篇)", "Prints the request; --json {\"id\",...}.",
     kctl_cmd_aftersales_open},
    {"aftersales", "step",
     "ID received|confirmed|refunded|exchanged|rejected --by STAFF "
     "[--method bank|balance|gift-card|alipay] [--text T]",
     "move an after-sales request on",
     "talk -> goods received -> confirmed -> refunded (with --method; the\n"
     "invoice is reversed) or exchanged; or rejected.",
     kctl_cmd_aftersales_step},
    {"aftersales", "show", "ID", "one after-sales request with its history", NULL,
     kctl_cmd_aftersales_show},
    {"aftersales", "list", "[--order O]", "after-sales requests, optionally of one order",
     "--json {\"items\":[...]}; text: a table.", kctl_cmd_aftersales_list},
    {"consult", NULL, "--customer ID --by STAFF --question T --answer T",
     "record a consultation and its answer", NULL, kctl_cmd_consult},
    {"consultations", NULL, "[--by STAFF] [--from TIME] [--to TIME]",
     "consultations, by staff member or period",
     "--json {\"items\":[...]}; text: a table.", kctl_cmd_consultations},
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

#define S_HELP_WIDTH 79  /* columns of help text */
#define S_HELP_COL   36  /* a command line longer than this gets lines of its own */

/* The end of the unit of help text at s: the next space outside
 * brackets ("[--order O]" is one unit), or the end. */
static const char *s_unit_end(const char *s)
{
    int depth = 0;
    for (; *s && (depth > 0 || *s != ' '); s++)
        depth += *s == '[' ? 1 : *s == ']' && depth > 0 ? -1 : 0;
    return s;
}

/* Writes text starting at column col (the cursor is there), breaking it
 * at spaces outside brackets ("[--order O]" stays whole) so lines stay
 * within S_HELP_WIDTH where they can; continuation lines start at column
 * indent. Ends the last line. */
static void s_wrap(FILE *out, const char *text, int col, int indent)
{
    const char *p = text;
    bool first = true;
    while (*p) {
        const char *q = s_unit_end(p);
        /* an option and its value ("--kind colour|damage") stay together */
        if (p[0] == '-' && p[1] == '-' && *q == ' ' && q[1] && !strchr("-[|", q[1]))
            q = s_unit_end(q + 1);
        int len = (int) (q - p);
        if (!first && col + 1 + len > S_HELP_WIDTH) {
            fprintf(out, "\n%*s", indent, "");
            col = indent;
        } else if (!first) {
            fputc(' ', out);
            col++;
        }
        fwrite(p, 1, (size_t) len, out);
        col += len;
        first = false;
        p = *q ? q + 1 : q;
    }
    fputc('\n', out);
}

/* One line of a command list: "  WORDS  summary", WORDS padded to width;
 * WORDS too long for that get their own (wrapped) lines, the summary
 * then under the summary column. */
static void s_print_entry(FILE *out, const char *words, int width, const char *summary)
{
    if ((int) strlen(words) <= width) {
        fprintf(out, "  %-*s  %s\n", width, words, summary);
        return;
    }
    /* continuation lines line up after the command's words */
    int lead = 0, spaces = 0;
    for (const char *p = words; *p && spaces < 2 && *p != '-' && *p != '['; p++, lead++)
        spaces += *p == ' ';
    fputs("  ", out);
    s_wrap(out, words, 2, 2 + (lead < 24 ? lead : 4));
    fprintf(out, "  %*s  %s\n", width, "", summary);
}

/* The widest WORDS at most S_HELP_COL long. */
static int s_list_width(const char *const *words, size_t n)
{
    int width = 0;
    for (size_t i = 0; i < n; i++) {
        int len = (int) strlen(words[i]);
        if (len <= S_HELP_COL && len > width)
            width = len;
    }
    return width;
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
    enum { S_MAX_CMDS = 64 };
    char buf[S_MAX_CMDS][512];
    const char *words[S_MAX_CMDS];
    size_t n = 0;
    for (const kctl_cmd_t *c = s_commands; c->group && n < S_MAX_CMDS; c++, n++) {
        s_words(c, buf[n], sizeof buf[n]);
        words[n] = buf[n];
    }
    int width = s_list_width(words, n);
    for (size_t i = 0; i < n; i++)
        s_print_entry(out, words[i], width, s_commands[i].summary);
    fputs("\nexit status: 0 done, 1 refused by the site, 2 usage error, "
          "3 site unreachable\n",
          out);
}

static void s_print_cmd_help(FILE *out, const kctl_cmd_t *c)
{
    char buf[512];
    s_words(c, buf, sizeof buf);
    /* continuation lines line up after the command's words */
    int lead = (int) strlen("usage: kefuctl [GLOBAL OPTIONS] ") + (int) strlen(c->group)
               + (c->verb ? 1 + (int) strlen(c->verb) : 0) + 1;
    fputs("usage: kefuctl [GLOBAL OPTIONS] ", out);
    s_wrap(out, buf, (int) strlen("usage: kefuctl [GLOBAL OPTIONS] "), lead <= 40 ? lead : 4);
    fprintf(out, "\n%s\n", c->summary);
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
    enum { S_MAX_VERBS = 32 };
    char buf[S_MAX_VERBS][512];
    const char *words[S_MAX_VERBS];
    const char *summaries[S_MAX_VERBS];
    size_t n = 0;
    for (const kctl_cmd_t *c = s_commands; c->group && n < S_MAX_VERBS; c++) {
        if (strcmp(c->group, group) != 0 || !c->verb)
            continue;
        snprintf(buf[n], sizeof buf[n], "%s%s%s", c->verb, *c->args ? " " : "", c->args);
        words[n] = buf[n];
        summaries[n++] = c->summary;
    }
    int width = s_list_width(words, n);
    for (size_t i = 0; i < n; i++)
        s_print_entry(out, words[i], width, summaries[i]);
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
