/* kdaemon.h: what every kefu daemon does before its loop starts.
 *
 * Every daemon takes the same flags:
 *   kefu-NAME [--dir DIR] [--config FILE] [--set SECTION.KEY=VALUE]... [--help]
 * and needs the same things: the site directory, the configuration
 * (defaults < file < --set), its log lines named, and the site clock. This
 * keeps each daemon's main thin (Malamute's malamute.c is the model).
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
} kdaemon_t;

/* Parses argv, loads the configuration, creates the site's folders, opens
 * (creating as a wall clock if missing) the site clock. Returns 0 to run;
 * otherwise: -1 after --help (exit 0), 2 for a usage or
 * configuration error (said on stderr), 1 if the site can't be set up. */
int kdaemon_init(kdaemon_t *self, const char *name, const char *summary,
                 int argc, char **argv);
void kdaemon_fini(kdaemon_t *self);

#endif
