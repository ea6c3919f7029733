/* supervise.h: `kefu up`'s supervisor: starts a site's daemons, restarts
 * the ones that die, and stops them all on SIGINT/SIGTERM.
 *
 * The supervisor owns the process's signals: sup_new() blocks SIGCHLD,
 * SIGINT, SIGTERM (and SIGHUP unless it was ignored, as under nohup) and
 * reads them from a signalfd, so it must be created before any thread
 * exists (libzmq's included); threads started later inherit the mask.
 */
#ifndef KEFU_SUPERVISE_H
#define KEFU_SUPERVISE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sup_t sup_t;

typedef struct {
    const char *site;         /* absolute site directory */
    const char *libexec;      /* absolute directory holding kefu-NAME programs */
    const char *const *args;  /* given to every daemon after "--dir DIR";
                                 NULL-terminated; may be NULL */
    int start_timeout_ms;     /* how long a daemon may take to answer; 0: 10 s */
    int64_t restart_max_us;   /* longest wait before restarting a daemon that
                                 keeps dying; 0: 5 s (config kefu.restart_max) */
} sup_opts_t;

/* Checks what sup_new will need without changing anything: every
 * daemon's program exists and is executable, every socket path fits.
 * Returns 0, or KEFU_ENOTFOUND / KEFU_ETOOLARGE with err set (one line). */
int sup_check(const sup_opts_t *opts, char *err, size_t cap);

/* New supervisor for the daemons of site_daemons[]. Blocks the signals it
 * handles. Returns NULL with err set (one line) when a daemon's program
 * is missing or a path is too long, or on a system error. */
sup_t *sup_new(const sup_opts_t *opts, char *err, size_t cap);
/* Stops any daemon still running (as sup_stop) and frees. Accepts NULL. */
void sup_destroy(sup_t **self_p);

/* Starts every daemon in order, each as libexec/kefu-NAME --dir DIR ARGS,
 * with stdout and stderr appended to DIR/log/NAME.log, and waits until it
 * answers a StatusRequest on its control socket before starting the next.
 * Returns 0 once all answer. On failure it stops those it started and
 * returns KEFU_EUNAVAIL with err set to what went wrong, which daemon, and
 * the tail of its log (several lines); or KEFU_ECONFLICT when a stop
 * signal came first (err says so). */
int sup_start(sup_t *self, char *err, size_t cap);

/* Supervises until SIGINT, SIGTERM or SIGHUP: a daemon that dies is
 * logged and started again, at once if it had run for 10 s, otherwise
 * after a delay that starts at 100 ms and doubles up to 5 s. Then stops
 * the site (sup_stop) and returns 0. */
int sup_run(sup_t *self);

/* Stops the daemons in reverse start order: SIGTERM, up to 10 s to exit,
 * then SIGKILL. A second stop signal meanwhile kills what remains at once.
 * Returns when every daemon has been reaped. */
void sup_stop(sup_t *self);

#endif
