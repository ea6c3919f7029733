/* main.c: kefuctl, the command line of a kefu site.
 *
 *   kefuctl [--dir DIR] [--json] [--request-id ID] [--timeout DUR] COMMAND ...
 *
 * main() parses the global flags up to the first word that is not an
 * option, finds the command's row (commands.c: one or two words, "status",
 * "clock advance") and hands it the rest of the line: a request row to
 * kctl_row_run() (rows.c), any other row to its own handler. Commands
 * parse their options with kctl_getopt() (args.c), which accepts the
 * global flags too, so `kefuctl status --json` works like
 * `kefuctl --json status`.
 *
 * To add a daemon's commands: write services/NAME/NAME_rows.c
 * (kctl_rows_NAME); the registry finds it. A command that is no single request is a
 * cmd_NAME.c handler with its row in commands.c.
 */
#include <stdio.h>
#include <string.h>

#include "kefuctl.h"

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
    while ((opt = getopt_long(argc, argv, "+:h", kctl_global_opts, NULL)) != -1) {
        switch (opt) {
        case 'h':
            kctl_help_all(stdout);
            return KCTL_EXIT_OK;
        case ':':
            return kctl_usage(&ctx, "option %s needs a value",
                              kctl_bad_option(argv, argc, buf, sizeof buf));
        case '?':
            return kctl_usage(&ctx, "unknown option %s",
                              kctl_bad_option(argv, argc, buf, sizeof buf));
        default: {
            int rc = kctl_global(&ctx, opt, optarg);
            if (rc != KCTL_CONTINUE)
                return rc;
        }
        }
    }
    if (optind >= argc)
        return kctl_usage(&ctx, "missing command");

    const char *group = argv[optind];
    const char *next = optind + 1 < argc ? argv[optind + 1] : NULL;
    const kctl_cmd_t *cmds[KCTL_MAX_CMDS], *cmd = NULL;
    const kctl_rows_t *rows[KCTL_MAX_CMDS], *table = NULL;
    size_t n = kctl_cmd_all(cmds, rows, KCTL_MAX_CMDS);
    bool known = false;
    for (size_t i = 0; i < n && !cmd; i++) {
        if (strcmp(cmds[i]->group, group) != 0)
            continue;
        known = true;
        if (!cmds[i]->verb || (next && strcmp(cmds[i]->verb, next) == 0)) {
            cmd = cmds[i];
            table = rows[i];
        }
    }
    if (!known)
        return kctl_usage(&ctx, "unknown command '%s'", group);
    if (!cmd) {
        if (next && (strcmp(next, "--help") == 0 || strcmp(next, "-h") == 0)) {
            kctl_help_group(stdout, group);
            return KCTL_EXIT_OK;
        }
        return kctl_group_usage(&ctx, group, next);
    }
    int first = optind + (cmd->verb ? 1 : 0);
    ctx.cmd = cmd;
    ctx.rows = table;
    optind = 0;  /* glibc: a full restart of getopt on the command's argv */
    if (!cmd->run)
        return kctl_row_run(&ctx, table, cmd, argc - first, argv + first);
    return cmd->run(&ctx, argc - first, argv + first);
}
