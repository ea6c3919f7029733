/* klog.h: the daemons' log lines on stderr.
 *
 * One line per message: "2026-11-23T07:30:01.123Z evlog[1234] I text".
 * The timestamp is wall time (a log line says when it was written, not
 * business time). `kefu up` sends each daemon's stderr to DIR/log/NAME.log.
 */
#ifndef KEFU_KLOG_H
#define KEFU_KLOG_H

#include <stdbool.h>

enum { KLOG_DEBUG = 0, KLOG_INFO = 1, KLOG_WARN = 2, KLOG_ERROR = 3 };

/* Sets the name printed on each line and the lowest level printed (clamped
 * to KLOG_DEBUG..KLOG_ERROR). Call once in main, before threads start.
 * Until then lines are named "kefu" at level info. */
void klog_init(const char *name, int min_level);
/* Writes one line to stderr if level >= the minimum. Long messages are cut
 * with "..."; newlines inside become spaces. Leaves errno unchanged. */
void klog(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The level named "debug", "info", "warn" or "error" (config log.level),
 * or -1 for any other name. */
int klog_level_from_name(const char *name);
/* True if a line at level would be printed (to skip costly formatting). */
bool klog_enabled(int level);

#define klog_debug(...) klog(KLOG_DEBUG, __VA_ARGS__)
#define klog_info(...)  klog(KLOG_INFO, __VA_ARGS__)
#define klog_warn(...)  klog(KLOG_WARN, __VA_ARGS__)
#define klog_error(...) klog(KLOG_ERROR, __VA_ARGS__)

#endif
