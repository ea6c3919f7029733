/* kclock.h: the one clock every daemon reads time through.
 *
 * Time in kefu is int64 microseconds since 1970-01-01 UTC ("usec").
 * A clock is one of:
 *   - wall:   the system's CLOCK_REALTIME;
 *   - site:   the shared clock of a site, a small file DIR/run/clock that
 *             `kefu up` writes (mode + simulated now). In wall mode it reads
 *             the wall clock; in simulated mode it returns the stored now,
 *             which only the log daemon moves (kefuctl clock advance);
 *   - manual: in-process, set and advanced by tests.
 * No code outside this file calls time(), gettimeofday() or
 * clock_gettime(CLOCK_REALTIME) for business time. (Monotonic time for
 * socket timeouts and benchmarks is kclock_mono_us().)
 */
#ifndef KEFU_KCLOCK_H
#define KEFU_KCLOCK_H

#include <stdbool.h>
#include <stdint.h>

typedef struct kclock_t kclock_t;

/* New wall clock. Never NULL (aborts on out-of-memory). */
kclock_t *kclock_new_wall(void);
/* New manual clock starting at now_us. Never NULL. */
kclock_t *kclock_new_manual(int64_t now_us);
/* Opens the site clock file at path (mapped shared: a kclock_set by any
 * process is seen by every other at once). Returns NULL with errno set:
 * the open(2) error if the file can't be opened (ENOENT when missing),
 * EINVAL if it is not a clock file. Opened read-only where the file is not
 * writable to the caller (then kclock_set returns EACCES). */
kclock_t *kclock_open_site(const char *path);
/* Creates (or atomically replaces) a site clock file: simulated at
 * start_us when sim is true, else wall. Clocks already open on the old
 * file keep reading the old one. Returns 0 or errno. */
int kclock_site_init(const char *path, bool sim, int64_t start_us);
/* Destroys the clock and nulls *self_p. Accepts NULL. */
void kclock_destroy(kclock_t **self_p);

/* Current business time in usec. */
int64_t kclock_now(kclock_t *self);
/* True when the clock is simulated (site in sim mode, or manual). */
bool kclock_is_sim(kclock_t *self);
/* Moves a simulated clock to now_us (manual, or a site clock in sim mode;
 * only the log daemon does this for a site). Setting the current time
 * again is allowed. Returns 0, KEFU_ECONFLICT on a wall clock (or a site
 * clock in wall mode), KEFU_EINVAL if now_us is before the current time
 * or past KTIME_MAX_US (9999-12-31T23:59:59.999999Z: no RFC 3339 text
 * could show it), EACCES on a site clock this process opened read-only. */
int kclock_set(kclock_t *self, int64_t now_us);

/* Monotonic microseconds for timeouts and measurements, never business time. */
int64_t kclock_mono_us(void);

#endif
