/* main.c: the `kefu` command: starts and stops a site.
 *
 *   kefu up [--dir DIR] [--config FILE] [--set SECTION.KEY=VALUE]...
 *           [--sim-clock RFC3339] [--detach]
 *   kefu down [--dir DIR]
 *   kefu daemons
 *
 * Only the command line is here; updown.c does the work, supervise.c
 * runs the daemons. Usage errors exit 2 with one line on stderr (plus a
 * pointer to --help); `--help` prints to stdout and exits 0.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "klog.h"
#include "site.h"
#include "updown.h"

static const char s_usage[] =
    "usage: kefu COMMAND [OPTIONS]\n"
    "\n"
    "Runs one kefu site: a directory of stores, logs and sockets, and the\n"
    "daemons that serve it.\n"
    "\n"
    "commands:\n"
    "  up        start every daemon of a site and keep them running\n"
    "  down      stop a site started with `kefu up --detach`\n"
    "  daemons   list the site's daemons, in start order\n"
    "  help      this help\n"
    "\n"
    "`kefu COMMAND --help` shows a command's options.\n"
    "\n"
    "environment:\n"
    "  KEFU_DIR      the site directory when --dir is not given (default ./var)\n"
    "  KEFU_LIBEXEC  the directory holding the daemon programs (kefu-NAME);\n"
    "                default: the directory this kefu program is in\n";

static const char s_up_usage[] =
    "usage: kefu up [--dir DIR] [--config FILE] [--set SECTION.KEY=VALUE]...\n"
    "               [--sim-clock RFC3339] [--detach]\n"
    "\n"
    "Starts every daemon of the site in DIR, in order, each once the one\n"
    "before it answers, and restarts any daemon that dies. In the foreground,\n"
    "Ctrl-C (SIGINT) or SIGTERM stops them all, last started first.\n"
    "\n"
    "  --dir DIR          the site directory (default $KEFU_DIR, else ./var)\n"
    "  --config FILE      an INI configuration file; without it, the defaults\n"
    "  --set S.KEY=VALUE  set one configuration key, after the file (repeatable)\n"
    "  --sim-clock T      run the site on a simulated clock starting at T\n"
    "                     (e.g. 2026-11-23T09:00:00+08:00), moved only by\n"
    "                     `kefuctl clock advance`; default: the wall clock\n"
    "  --detach           run in the background; return once every daemon\n"
    "                     answers (the supervisor logs to DIR/log/kefu.log)\n"
    "  -h, --help         this help\n"
    "\n"
    "Each daemon NAME runs as LIBEXEC/kefu-NAME --dir DIR [--config FILE]\n"
    "[--set S.KEY=VALUE]..., its output appended to DIR/log/NAME.log. LIBEXEC\n"
    "is $KEFU_LIBEXEC, else the directory this kefu program is in.\n"
    "\n"
    "Exit status: 0 stopped cleanly (or, with --detach, the site is up);\n"
    "1 the site could not start (already running, a daemon failed);\n"
    "2 a usage or configuration error.\n";

static const char s_down_usage[] =
    "usage: kefu down [--dir DIR]\n"
    "\n"
    "Stops the site running in DIR (default $KEFU_DIR, else ./var) and returns\n"
    "once all its daemons have exited (up to 30 s).\n"
    "\n"
    "  --dir DIR    the site directory\n"
    "  -h, --help   this help\n"
    "\n"
    "Exit status: 0 stopped; 1 no site runs there, or it did not stop;\n"
    "2 a usage error.\n";

/* Reports a getopt failure for command cmd; returns exit status 2. */
static int s_bad_option(const char *cmd, char **argv, int c)
{
    const char *arg = argv[optind - 1];
    if (c == ':')
        fprintf(stderr, "kefu %s: %s needs a value\n", cmd, arg);
    else
        fprintf(stderr, "kefu %s: unknown option %s\n", cmd, arg);
    fprintf(stderr, "try `kefu %s --help`\n", cmd);
    return 2;
}

static int s_cmd_up(int argc, char **argv)
{
    static const struct option opts[] = {
        {"dir", required_argument, NULL, 'd'},
        {"config", required_argument, NULL, 'c'},
        {"set", required_argument, NULL, 's'},
        {"sim-clock", required_argument, NULL, 't'},
        {"detach", no_argument, NULL, 'D'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    up_opts_t o = {0};
    /* --set can't appear more often than there are arguments. */
    const char **sets = calloc((size_t) argc + 1, sizeof *sets);
    if (!sets)
        return 1;
    o.sets = sets;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+:h", opts, NULL)) != -1) {
        switch (c) {
        case 'd': o.dir = optarg; break;
        case 'c': o.config = optarg; break;
        case 's': sets[o.nsets++] = optarg; break;
        case 't': o.sim_clock = optarg; break;
        case 'D': o.detach = true; break;
        case 'h':
            fputs(s_up_usage, stdout);
            free(sets);
            return 0;
        default:
            free(sets);
            return s_bad_option("up", argv, c);
        }
    }
    if (optind < argc) {
        fprintf(stderr, "kefu up: unexpected argument %s\ntry `kefu up --help`\n",
                argv[optind]);
        free(sets);
        return 2;
    }
    int status = updown_up(&o);
    free(sets);
    return status;
}

static int s_cmd_down(int argc, char **argv)
{
    static const struct option opts[] = {
        {"dir", required_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *dir = NULL;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+:h", opts, NULL)) != -1) {
        switch (c) {
        case 'd': dir = optarg; break;
        case 'h': fputs(s_down_usage, stdout); return 0;
        default: return s_bad_option("down", argv, c);
        }
    }
    if (optind < argc) {
        fprintf(stderr, "kefu down: unexpected argument %s\ntry `kefu down --help`\n",
                argv[optind]);
        return 2;
    }
    return updown_down(dir);
}

static int s_cmd_daemons(int argc, char **argv)
{
    if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        puts("usage: kefu daemons\n\nLists the site's daemons, one a line, in start order.");
        return 0;
    }
    if (argc > 1) {
        fprintf(stderr, "kefu daemons: unexpected argument %s\n", argv[1]);
        return 2;
    }
    for (size_t i = 0; site_daemons[i]; i++)
        puts(site_daemons[i]);
    return 0;
}

int main(int argc, char **argv)
{
    klog_init("kefu", KLOG_INFO);
    if (argc < 2) {
        fputs(s_usage, stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "up") == 0)
        return s_cmd_up(argc - 1, argv + 1);
    if (strcmp(cmd, "down") == 0)
        return s_cmd_down(argc - 1, argv + 1);
    if (strcmp(cmd, "daemons") == 0)
        return s_cmd_daemons(argc - 1, argv + 1);
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0
        || strcmp(cmd, "-h") == 0) {
        fputs(s_usage, stdout);
        return 0;
    }
    fprintf(stderr, "kefu: unknown command %s\n\n%s", cmd, s_usage);
    return 2;
}
