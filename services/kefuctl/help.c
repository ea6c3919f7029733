/* help.c: kefuctl's help, written from the command rows (commands.c and
 * each daemon's services/NAME/NAME_rows.c): the command list, one command's usage and
 * help, a group's subcommands, and the `help` command. Text is wrapped at
 * 79 columns, never inside brackets, so "[--order O]" stays whole.
 */
#include <stdio.h>
#include <string.h>

#include "kefuctl.h"

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

void kctl_help_all(FILE *out)
{
    fputs("usage: kefuctl [--dir DIR | --endpoint tcp://HOST:PORT --key FILE] [--json]\n"
          "               [--request-id ID] [--timeout DUR] COMMAND ...\n"
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
          "  --endpoint E     a remote site (its net.listen, e.g. tcp://lab:7700), with\n"
          "  --key FILE       this client's key file (kefuctl key new, on the site)\n"
          "  -h, --help       this help; `kefuctl COMMAND --help` for a command's\n"
          "\n"
          "commands:\n",
          out);
    enum { S_MAX_CMDS = 64 };
    char buf[S_MAX_CMDS][512];
    const char *words[S_MAX_CMDS];
    const kctl_cmd_t *cmds[KCTL_MAX_CMDS];
    size_t n = kctl_cmd_all(cmds, NULL, S_MAX_CMDS);
    for (size_t i = 0; i < n; i++) {
        s_words(cmds[i], buf[i], sizeof buf[i]);
        words[i] = buf[i];
    }
    int width = s_list_width(words, n);
    for (size_t i = 0; i < n; i++)
        s_print_entry(out, words[i], width, cmds[i]->summary);
    fputs("\nexit status: 0 done, 1 refused by the site, 2 usage error, "
          "3 site unreachable\n",
          out);
}

void kctl_help_cmd(FILE *out, const kctl_cmd_t *c)
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
          "--request-id ID, --timeout DUR, --endpoint E --key FILE\n",
          out);
}

/* Help of a group of two-word commands ("kefuctl clock --help"). */
void kctl_help_group(FILE *out, const char *group)
{
    fprintf(out, "usage: kefuctl [GLOBAL OPTIONS] %s SUBCOMMAND ...\n\nsubcommands:\n",
            group);
    enum { S_MAX_VERBS = 32 };
    char buf[S_MAX_VERBS][512];
    const char *words[S_MAX_VERBS];
    const char *summaries[S_MAX_VERBS];
    size_t n = 0;
    const kctl_cmd_t *cmds[KCTL_MAX_CMDS];
    size_t all = kctl_cmd_all(cmds, NULL, KCTL_MAX_CMDS);
    for (size_t i = 0; i < all && n < S_MAX_VERBS; i++) {
        const kctl_cmd_t *c = cmds[i];
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

/* A group word without a known subcommand: names what it takes. */
int kctl_group_usage(kctl_t *ctx, const char *group, const char *verb)
{
    char verbs[256] = "";
    size_t len = 0;
    const kctl_cmd_t *cmds[KCTL_MAX_CMDS];
    size_t n = kctl_cmd_all(cmds, NULL, KCTL_MAX_CMDS);
    for (size_t i = 0; i < n; i++)
        if (strcmp(cmds[i]->group, group) == 0 && len < sizeof verbs)
            len += (size_t) snprintf(verbs + len, sizeof verbs - len, "%s%s",
                                     len ? ", " : "", cmds[i]->verb);
    if (verb)
        return kctl_fail(ctx, KCTL_EXIT_USAGE, "usage",
                         "unknown command '%s %s': %s takes %s (see kefuctl %s --help)",
                         group, verb, group, verbs, group);
    return kctl_fail(ctx, KCTL_EXIT_USAGE, "usage",
                     "'%s' needs a subcommand: %s (see kefuctl %s --help)", group, verbs, group);
}

/* `kefuctl help [COMMAND [SUBCOMMAND]]` */
int kctl_cmd_help(kctl_t *ctx, int argc, char **argv)
{
    int rc = kctl_parse_operands(ctx, argc, argv, 0, 2);
    if (rc != KCTL_CONTINUE)
        return rc;
    if (optind == argc) {
        kctl_help_all(stdout);
        return KCTL_EXIT_OK;
    }
    const char *group = argv[optind];
    const char *verb = optind + 1 < argc ? argv[optind + 1] : NULL;
    bool known = false;
    const kctl_cmd_t *cmds[KCTL_MAX_CMDS];
    size_t n = kctl_cmd_all(cmds, NULL, KCTL_MAX_CMDS);
    for (size_t i = 0; i < n; i++) {
        const kctl_cmd_t *c = cmds[i];
        if (strcmp(c->group, group) != 0)
            continue;
        known = true;
        if (!c->verb || (verb && strcmp(c->verb, verb) == 0)) {
            kctl_help_cmd(stdout, c);
            return KCTL_EXIT_OK;
        }
    }
    if (!known)
        return kctl_usage(ctx, "unknown command '%s'", group);
    if (verb)
        return kctl_usage(ctx, "unknown command '%s %s'", group, verb);
    kctl_help_group(stdout, group);
    return KCTL_EXIT_OK;
}
