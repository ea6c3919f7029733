/* fuzz_terminal.c: the scanner's lines as kefu-terminal reads them
 * (services/terminal/term.c: "ORDER STAGE [correct]", "@worker [NAME]",
 * comments, blanks, over-long lines, NULs, a last line without its
 * newline), from a file descriptor in the buffer's chunks.
 *
 * term.c is included whole, so its static line reader is run as it is;
 * the site is taken for absent (nobody listens on the endpoint), so every
 * line is taken and every scan spooled, none sent. Every scan the
 * spool then holds must be a valid one (an order id, a stage, a worker
 * id or none), and no more of them than the input had lines.
 */
#include "term.c"

#include <fcntl.h>

#include "fuzz_fs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool quiet;
    if (!quiet) {
        quiet = true;
        /* its lines (stdout) are not what is checked; its notes and any
         * report go to stderr */
        if (!getenv("FUZZ_VERBOSE") && !freopen("/dev/null", "w", stdout))
            abort();
    }
    const char *dir = fuzz_scratch("terminal");
    char spool[320], lock[330], in[320], ep[400];
    snprintf(spool, sizeof spool, "%s/spool", dir);
    snprintf(lock, sizeof lock, "%s.lock", spool);
    snprintf(in, sizeof in, "%s/input", dir);
    snprintf(ep, sizeof ep, "ipc://%s/nobody.ctl", dir);
    FILE *f = fopen(in, "wb");
    if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0)
        abort();
    term_opts_t opts = {.terminal = "T1", .spool = spool, .endpoint = ep, .timeout_ms = 100,
                        .nowait = true};
    term_t *t;
    char err[512];
    if (term_new(&t, &opts, err, sizeof err) != 0)
        abort();
    t->site = S_ABSENT;
    t->next_us = INT64_MAX;   /* never tries the site */
    int fd = open(in, O_RDONLY);
    if (fd < 0)
        abort();
    while (!t->eof && !t->fatal) {
        s_fill(t, fd);
        s_take(t);
    }
    close(fd);
    size_t lines = 1;
    for (size_t i = 0; i < size; i++)
        lines += data[i] == '\n';
    size_t n = spool_waiting(t->spool);
    if (n > lines)
        abort();
    for (size_t i = 0; i < n; i++) {
        const spool_scan_t *sc = spool_at(t->spool, i);
        if (!sc || kid_check(sc->order, "ORDER", err, sizeof err) != 0 ||
            !spool_stage_word(sc->stage)[0] ||
            (sc->by[0] && kid_check(sc->by, "NAME", err, sizeof err) != 0))
            abort();
    }
    term_destroy(&t);
    unlink(spool);
    unlink(lock);
    unlink(in);
    return 0;
}
