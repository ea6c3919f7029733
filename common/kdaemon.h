/* kdaemon.h: what every kefu daemon does before its loop starts.
 *
 * Every daemon takes the same flags:
 *   kefu-NAME [--dir DIR] [--config FILE] [--set SECTION.KEY=VALUE]... [--help]
 * and needs the same things: the site directory, the configuration
 * (defaults < file < --set), its log lines named, and the site clock. This
 * keeps each daemon's main thin (Malamute's malamute.c is the model).
 *
 * One instance per daemon per site: kdaemon_init takes an exclusive flock
 * on DIR/run/NAME.lock (holding the pid) before the daemon binds anything,
 * so a second kefu-NAME on the same DIR refuses to start instead of taking
 * over the first one's sockets. The kernel drops the lock when the process
 * dies, however it dies, so a crash never blocks a restart. The file
 * itself stays. kdaemon_fini removes the daemon's socket files
 * (DIR/run/NAME.ctl, .sock, .pub) while it still holds the lock, so a
 * stopped site leaves none behind for clients to wait on.
 *
 * Exit statuses of every daemon:
 *   0  stopped cleanly (SIGTERM), or --help
 *   1  could not start (site, store, log, sockets: the log says why)
 *   2  usage or configuration error
 *   3  another instance of this daemon already runs for the site
 */
#ifndef KEFU_KDAEMON_H
#define KEFU_KDAEMON_H

#include <limits.h>

#include "kclock.h"
#include "kconfig.h"

typedef struct {
    const char *name;          /* "evlog", "intake", ... */
    char site[PATH_MAX];       /* absolute site directory */
    kconfig_t *config;
    kclock_t *clock;           /* the site clock */
    int lockfd;                /* DIR/run/NAME.lock, flock'd; -1 if not held */
    int utc_offset_min;        /* the site's calendar.utc_offset */
} kdaemon_t;

/* Exit status of a daemon refused because another instance runs. */
#define KDAEMON_EXIT_RUNNING 3

/* Parses argv, loads the configuration (every key of the site:
 * registry_key_tables), creates the site's folders, takes the daemon's
 * lock, opens (creating as a wall clock if missing) the site
 * clock. Returns 0 to run; otherwise: -1 after --help (exit 0), 2 for a
 * usage or configuration error (said on stderr), 1 if the site can't be
 * set up, KDAEMON_EXIT_RUNNING (3) when another kefu-NAME holds the lock
 * (said on stderr with its pid). summary is --help's second line; NULL
 * takes the daemon's summary from the registry (common/daemons.def). */
int kdaemon_init(kdaemon_t *self, const char *name, const char *summary,
                 int argc, char **argv);
/* Removes the daemon's socket files if it holds the lock, releases the
 * lock, and frees the configuration and clock. Call it after every socket
 * is closed. Safe after a failed kdaemon_init. */
void kdaemon_fini(kdaemon_t *self);

#endif
