/* main.c: kefu-terminal, the program a production-floor station runs.
 *
 *   kefu-terminal --terminal T [--by WORKER] [--dir DIR] [--spool FILE]
 *                 [--endpoint ENDPOINT [--key FILE]] [--timeout MS] [--nowait] [--list]
 *
 * It reads scans from stdin as a barcode scanner types them, one a line,
 * keeps each in an on-disk spool and reports it to the site's scheduler,
 * printing one line per scan (term.c); while the site can't be reached
 * the scans wait in the spool and go out in order, each applied once,
 * when it can (spool.h). main() only reads the flags, works out the
 * endpoint (the daemon the registry names for StageReport, on DIR's
 * run/NAME.ctl) and the spool's path, and runs the loop. Its protocol,
 * for other terminal software, is docs/protocol.md "Floor terminals".
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kerr.h"
#include "kfs.h"
#include "kid.h"
#include "registry.h"
#include "site.h"
#include "spool.h"
#include "term.h"

#include "control.pb-c.h"

static void s_usage(FILE *f)
{
    fputs(
        "usage: kefu-terminal --terminal T [--by WORKER] [--dir DIR] [--spool FILE]\n"
        "                     [--endpoint ENDPOINT [--key FILE]] [--timeout MS] [--nowait] [--list]\n"
        "\n"
        "A production-floor station: reads scans on stdin, one a line, as a barcode\n"
        "scanner types them, and reports each to the site's scheduler.\n"
        "\n"
        "  ORDER STAGE [correct]  the order reached STAGE: received, printing, binding,\n"
        "                         qc, packed or done (any case); \"correct\" sends it as a\n"
        "                         correction, out of route order on purpose\n"
        "  @worker [NAME]         the worker of the scans that follow (none without NAME)\n"
        "  # ...                  a comment; blank lines are skipped too\n"
        "\n"
        "One line per scan on stdout:\n"
        "  ok ORDER STAGE (REQUEST-ID)            the site took it\n"
        "  refused ORDER STAGE: CODE: MESSAGE (REQUEST-ID)\n"
        "                                         the site said no; the scan is done\n"
        "  spooled ORDER STAGE (site unreachable; N waiting)\n"
        "                                         kept on disk; its ok or refused line\n"
        "                                         follows once the site answers\n"
        "  invalid \"LINE\": WHY                    not a scan; nothing kept\n"
        "  worker NAME                            after an @worker line\n"
        "Each scan is on disk (fsync) before it is sent, and scans go out in order,\n"
        "one at a time, each with a request id of its own (TERMINAL-GEN-NNNNNN), so\n"
        "each is applied once however often it is sent. A new run on the same spool\n"
        "sends what an earlier one left first. When the input ends, the terminal\n"
        "waits until every scan is answered, then exits.\n"
        "\n"
        "  --terminal T     the station's id (letters, digits, '-', '_', '.'; at most\n"
        "                   32 bytes); it names the spool and every request id\n"
        "  --by WORKER      the worker at the station (the report's by and actor)\n"
        "  --dir DIR        the site directory (default $KEFU_DIR, else ./var)\n"
        "  --spool FILE     the spool (default DIR/terminal-T.spool; FILE.lock beside it)\n"
        "  --endpoint E     the site's control socket (default ipc://DIR/run/sched.ctl,\n"
        "                   the daemon that serves stage reports), or a remote site's\n"
        "                   net.listen, tcp://HOST:PORT, with --key\n"
        "  --key FILE       the station's key file (kefuctl key new NAME --role terminal,\n"
        "                   on the site), for a tcp:// endpoint\n"
        "  --timeout MS     how long to wait for one answer (default 5000, 100..600000)\n"
        "  --nowait         when the input ends, stop at the first failed try instead of\n"
        "                   waiting for the site (the scans stay in the spool: exit 3)\n"
        "  --list           print the scans waiting in the spool, oldest first, and exit\n"
        "                   (the spool must not be in use by a running terminal)\n"
        "  --help           this text\n"
        "\n"
        "Exit: 0 the input ended and every scan is answered; 1 the spool can't be used\n"
        "(in use by another kefu-terminal, corrupt, an I/O error); 2 usage;\n"
        "3 scans wait in the spool (the site could not be reached, or a signal).\n",
        f);
}

static int s_bad(const char *fmt, const char *arg)
{
    fputs("kefu-terminal: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs(" (kefu-terminal --help)\n", stderr);
    return TERM_EXIT_USAGE;
}

static volatile sig_atomic_t s_stop;

static void s_on_signal(int sig)
{
    (void) sig;
    s_stop = 1;
}

/* Prints the waiting scans: "REQUEST-ID ORDER STAGE WORKER [correct]". */
static int s_list(const char *path, const char *terminal)
{
    spool_t *spool;
    char err[PATH_MAX + 200];
    int rc = spool_new(&spool, path, terminal, NULL, err, sizeof err);
    if (rc) {
        fprintf(stderr, "kefu-terminal: %s\n", err);
        return TERM_EXIT_SPOOL;
    }
    for (size_t i = 0; i < spool_waiting(spool); i++) {
        const spool_scan_t *sc = spool_at(spool, i);
        char rid[SPOOL_REQUEST_ID_MAX + 1];
        spool_request_id(spool, sc->seq, rid, sizeof rid);
        printf("%s %s %s %s%s\n", rid, sc->order, spool_stage_word(sc->stage),
               sc->by[0] ? sc->by : "-", sc->correct ? " correct" : "");
    }
    spool_destroy(&spool);
    return TERM_EXIT_OK;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"terminal", required_argument, NULL, 't'},
        {"by", required_argument, NULL, 'b'},
        {"dir", required_argument, NULL, 'd'},
        {"spool", required_argument, NULL, 's'},
        {"endpoint", required_argument, NULL, 'e'},
        {"key", required_argument, NULL, 'k'},
        {"timeout", required_argument, NULL, 'T'},
        {"nowait", no_argument, NULL, 'n'},
        {"list", no_argument, NULL, 'l'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    const char *terminal = NULL, *by = NULL, *dir = NULL, *spool = NULL, *endpoint = NULL,
               *key_file = NULL;
    int timeout_ms = TERM_TIMEOUT_MS;
    bool nowait = false, list = false;
    opterr = 0;
    int opt;
    while ((opt = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (opt) {
        case 't': terminal = optarg; break;
        case 'b': by = optarg; break;
        case 'd': dir = optarg; break;
        case 's': spool = optarg; break;
        case 'e': endpoint = optarg; break;
        case 'k': key_file = optarg; break;
        case 'n': nowait = true; break;
        case 'l': list = true; break;
        case 'h':
            s_usage(stdout);
            return TERM_EXIT_OK;
        case 'T': {
            char *end;
            errno = 0;
            long v = strtol(optarg, &end, 10);
            if (errno || *end || end == optarg || v < 100 || v > 600000)
                return s_bad("--timeout: milliseconds, 100..600000, not '%s'", optarg);
            timeout_ms = (int) v;
            break;
        }
        case ':':
            return s_bad("%s needs a value", argv[optind - 1]);
        default:
            return s_bad("unknown option %s", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return s_bad("unexpected argument '%s': scans come on stdin", argv[optind]);
    if (!terminal)
        return s_bad("%s", "--terminal T is required");
    char err[PATH_MAX + 200];
    if (kid_check(terminal, "--terminal", err, sizeof err) != 0)
        return s_bad("%s", err);
    if (strlen(terminal) > SPOOL_TERMINAL_MAX) {
        snprintf(err, sizeof err, "--terminal: at most %d bytes (it is part of every request id)",
                 SPOOL_TERMINAL_MAX);
        return s_bad("%s", err);
    }
    if (by && kid_check(by, "--by", err, sizeof err) != 0)
        return s_bad("%s", err);

    char site[PATH_MAX];
    int rc = site_dir(dir, site, sizeof site);
    if (rc) {
        fprintf(stderr, "kefu-terminal: the site directory: %s\n", kefu_strerror(rc));
        return TERM_EXIT_USAGE;
    }
    char ep[PATH_MAX + 32];
    if (!endpoint) {
        const registry_daemon_t *d = registry_for_request(KEFU__REQUEST__REQ_STAGE);
        if (!d || site_endpoint(site, d->name, "ctl", ep, sizeof ep) != 0) {
            fprintf(stderr, "kefu-terminal: %s: no control socket for stage reports there "
                            "(the path is too long?)\n", site);
            return TERM_EXIT_USAGE;
        }
        endpoint = ep;
    } else {
        /* transport://address, as libzmq takes it (ctlclient_new) */
        const char *sep = strstr(endpoint, "://");
        if (!sep || sep == endpoint || !sep[3])
            return s_bad("--endpoint: transport://address (ipc://PATH, tcp://HOST:PORT), not '%s'",
                         endpoint);
        if (strncmp(endpoint, "ipc://", 6) != 0 && !key_file)
            return s_bad("--endpoint %s needs --key FILE: a remote site takes CURVE clients only",
                         endpoint);
    }
    static keyfile_t key;
    if (key_file && keyfile_load(key_file, &key, err, sizeof err) != 0)
        return s_bad("--key %s", err);
    char path[PATH_MAX];
    if (!spool) {
        char rel[64];
        snprintf(rel, sizeof rel, "terminal-%s.spool", terminal);
        if (site_path(site, rel, path, sizeof path) != 0) {
            fprintf(stderr, "kefu-terminal: %s: the spool's path is too long\n", site);
            return TERM_EXIT_USAGE;
        }
        /* The site's folder, made as `kefu up` makes it, if no site ran there yet. */
        int rc = kfs_mkdir(site);
        if (rc) {
            fprintf(stderr, "kefu-terminal: %s: %s\n", site, strerror(rc));
            return TERM_EXIT_SPOOL;
        }
        spool = path;
    }
    if (list)
        return s_list(spool, terminal);

    setvbuf(stdout, NULL, _IOLBF, 0);
    struct sigaction sa = {.sa_handler = s_on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    term_opts_t o = {
        .terminal = terminal,
        .by = by,
        .spool = spool,
        .endpoint = endpoint,
        .key = key_file ? &key : NULL,
        .timeout_ms = timeout_ms,
        .nowait = nowait,
        .stop = &s_stop,
    };
    term_t *term;
    err[0] = '\0';
    rc = term_new(&term, &o, err, sizeof err);
    if (rc) {
        fprintf(stderr, "kefu-terminal: %s\n", err[0] ? err : kefu_strerror(rc));
        return TERM_EXIT_SPOOL;
    }
    rc = term_run(term, STDIN_FILENO);
    term_destroy(&term);
    return rc;
}
