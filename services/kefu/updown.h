/* updown.h: `kefu up` and `kefu down`, once their flags are parsed.
 *
 * main.c turns the command line into these calls; the supervisor itself
 * lives in supervise.c, the site's lock in pidfile.c. Each returns the
 * process's exit status (contract.md "Starting and stopping"):
 *   0  done (a foreground site stopped cleanly, a detached site is up,
 *      a site is down);
 *   1  refused or failed (already running, a daemon did not come up,
 *      no site to stop);
 *   2  a usage or configuration error, said on stderr in one line.
 */
#ifndef KEFU_UPDOWN_H
#define KEFU_UPDOWN_H

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    const char *dir;          /* NULL: $KEFU_DIR or ./var */
    const char *config;       /* NULL: built-in defaults */
    const char *const *sets;  /* "section.key=value", nsets of them */
    size_t nsets;
    const char *sim_clock;    /* RFC 3339 start of a simulated clock, or NULL */
    bool detach;
} up_opts_t;

int updown_up(const up_opts_t *opts);
int updown_down(const char *dir);

#endif
