/* term.h: kefu-terminal's loop: scans in, spooled, sent, answered.
 *
 * main.c reads the flags and hands term_new the station's settings; the
 * loop (term.c) reads the scanner's lines, keeps each scan in the spool
 * (spool.h) and sends them to the site one at a time, oldest first, as
 * the StageReport request on the scheduler's control socket
 * (docs/protocol.md "Floor terminals"). The site is one endpoint string:
 * the local ipc:// socket, or a remote site's net.listen with the
 * station's key file (CURVE: services/net/net.h), the same loop either way.
 */
#ifndef KEFU_TERM_H
#define KEFU_TERM_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "keyfile.h"
#include "spool.h"

#define TERM_EXIT_OK      0   /* the input ended and every scan is answered */
#define TERM_EXIT_SPOOL   1   /* the spool can't be used (in use, corrupt, I/O) */
#define TERM_EXIT_USAGE   2
#define TERM_EXIT_WAITING 3   /* scans wait in the spool: the site could not be reached */

#define TERM_TIMEOUT_MS   5000  /* default wait for one answer */
#define TERM_RETRY_MIN_MS 250   /* first wait before trying the site again */
#define TERM_RETRY_MAX_MS 5000  /* longest wait (1 s when nobody listens: that check is cheap) */
#define TERM_LINE_MAX     256   /* bytes of one scanner line */
#define TERM_IN_MAX       4096  /* input read ahead of the lines taken */

typedef struct {
    const char *terminal;     /* the station's id: StageReport.terminal, the request ids */
    const char *by;           /* the worker at the station, or NULL (the input may change it) */
    const char *spool;        /* the spool's path */
    const char *endpoint;     /* the site: "ipc://DIR/run/sched.ctl", or tcp://HOST:PORT */
    const keyfile_t *key;     /* the station's key, for a remote site; NULL: local */
    int timeout_ms;           /* how long one answer may take */
    bool nowait;              /* at the end of the input, give up at the first failed try */
    volatile sig_atomic_t *stop;  /* set by a signal: stop at the next turn (may be NULL) */
} term_opts_t;

typedef struct term_t term_t;

/* Opens the spool and the client (opts is copied). Returns 0, or a
 * spool_new code with the reason in err (cap bytes). */
int term_new(term_t **out, const term_opts_t *opts, char *err, size_t cap);
void term_destroy(term_t **self_p);

/* Reads scanner lines from fd until it ends (and then until every scan
 * is answered, or, with nowait, until a try fails), printing one line per
 * scan on stdout. Returns a TERM_EXIT_ code. */
int term_run(term_t *self, int fd);

#endif
