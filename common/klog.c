/* klog.c: the daemons' log lines on stderr (see klog.h).
 *
 * Each message becomes exactly one line,
 *     2026-11-23T07:30:01.123Z evlog[1234] I text
 * formatted into a stack buffer and written with a single write(2), so
 * lines from several threads (or from daemons sharing one log file under
 * `kefu up`) never interleave mid-line. A message longer than the buffer is
 * cut and ends in "..."; newlines inside a message become spaces, so one
 * message is always one line and `grep` over DIR/log/ stays reliable.
 *
 * The timestamp is wall time on purpose: a log line records when it was
 * written, which is not business time (a simulated site clock may be days
 * ahead). That is the one reason this file reads CLOCK_REALTIME itself
 * rather than going through kclock.
 *
 * The name and level are process-wide: every thread of a daemon logs under
 * the same name, set once in main before threads start. They are the only
 * mutable globals in common/, and they are never written after klog_init.
 */
#include "klog.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define S_LINE_MAX 2048   /* bytes of one line, newline included */
#define S_NAME_MAX 32

static char s_name[S_NAME_MAX] = "kefu";
static int s_min_level = KLOG_INFO;

static const char s_letters[] = {'D', 'I', 'W', 'E'};
static const char *const s_level_names[] = {"debug", "info", "warn", "error"};

void klog_init(const char *name, int min_level)
{
    if (name)
        snprintf(s_name, sizeof s_name, "%s", name);
    if (min_level < KLOG_DEBUG)
        min_level = KLOG_DEBUG;
    if (min_level > KLOG_ERROR)
        min_level = KLOG_ERROR;
    s_min_level = min_level;
}

int klog_level_from_name(const char *name)
{
    for (int i = KLOG_DEBUG; name && i <= KLOG_ERROR; i++)
        if (strcmp(name, s_level_names[i]) == 0)
            return i;
    return -1;
}

bool klog_enabled(int level)
{
    return level >= s_min_level;
}

/* Writes all of buf to stderr, retrying short writes and EINTR. A failing
 * stderr has nowhere to report to, so the line is dropped. */
static void s_write_all(const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(STDERR_FILENO, buf, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return;
        }
        buf += n;
        len -= (size_t) n;
    }
}

void klog(int level, const char *fmt, ...)
{
    if (level < s_min_level)
        return;
    if (level > KLOG_ERROR)
        level = KLOG_ERROR;
    /* A caller often logs and then looks at errno; logging must not move it. */
    int saved_errno = errno;

    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);

    char line[S_LINE_MAX];
    int head = snprintf(line, sizeof line,
                        "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s[%ld] %c ",
                        tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                        tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000,
                        s_name, (long) getpid(), s_letters[level]);
    size_t len = (size_t) head;
    /* Room for the text: the buffer less the head and the final newline. */
    size_t room = sizeof line - len - 1;

    va_list ap;
    va_start(ap, fmt);
    errno = saved_errno;   /* so a "%m" in fmt names the caller's errno */
    int n = vsnprintf(line + len, room, fmt, ap);
    va_end(ap);

    if (n < 0)
        n = 0;
    size_t text = (size_t) n < room ? (size_t) n : room - 1;
    if ((size_t) n >= room)
        memcpy(line + len + text - 3, "...", 3);
    /* One message, one line: drop a trailing newline, flatten the rest. */
    while (text > 0 && (line[len + text - 1] == '\n' || line[len + text - 1] == '\r'))
        text--;
    for (size_t i = len; i < len + text; i++)
        if (line[i] == '\n' || line[i] == '\r')
            line[i] = ' ';
    len += text;
    line[len++] = '\n';

    s_write_all(line, len);
    errno = saved_errno;
}
