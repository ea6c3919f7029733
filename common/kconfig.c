/* kconfig.c: a site's configuration (see kconfig.h).
 *
 * Every key a site knows is one row of s_keys below: name, type, default,
 * and for whole numbers the range a daemon can work with. Adding a key is
 * adding a row; sections are whatever prefixes the rows have. The object
 * holds one string per row, NULL while the default stands, and values are
 * validated when they are set, so a typed getter never meets a bad value.
 *
 * INI syntax: "[section]" lines, "key = value" lines, whole-line comments
 * starting with ";" or "#", and an inline comment starting with ";" or "#"
 * at the start of the value or after whitespace (so "tcp://h:1#x" keeps its
 * "#", but "listen =   ; off" is empty). Leading and trailing whitespace,
 * a UTF-8 byte-order mark and CRLF line ends are ignored. A key may also be
 * written "section.key = value" before any [section] line. A file is applied
 * whole or not at all: an error on line 7 leaves lines 1-6 unapplied too,
 * so a daemon never runs on half a file.
 */
#include "kconfig.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deadline.h"
#include "kerr.h"
#include "ktime.h"
#include "kvalid.h"

typedef enum {
    S_INT,        /* decimal >= 0, within [min, max] */
    S_DURATION,   /* ktime_parse_duration() */
    S_DEADLINE,   /* deadline_spec_check(): "24h", "4h30m@work", same-day, next-day */
    S_CALENDAR,   /* deadline_calendar_check(), by key */
    S_STRING,     /* any UTF-8 */
    S_CHOICE,     /* one of choices[] */
} s_type_t;

typedef struct {
    const char *key;
    s_type_t type;
    const char *def;
    int64_t min, max;              /* S_INT */
    const char *const *choices;    /* S_CHOICE, NULL-terminated */
} s_key_t;

static const char *const s_log_levels[] = {"debug", "info", "warn", "error", NULL};

#define S_INT_KEY(k, d, lo, hi) {.key = k, .type = S_INT, .def = d, .min = lo, .max = hi}
#define S_DURATION_KEY(k, d)    {.key = k, .type = S_DURATION, .def = d}
#define S_DEADLINE_KEY(k, d)    {.key = k, .type = S_DEADLINE, .def = d}
#define S_STRING_KEY(k, d)      {.key = k, .type = S_STRING, .def = d}
#define S_CALENDAR_KEY(k, d)    {.key = k, .type = S_CALENDAR, .def = d}
#define S_CHOICE_KEY(k, d, c)   {.key = k, .type = S_CHOICE, .def = d, .choices = c}

/* Whole numbers the scheduler multiplies stay far from int64 overflow. */
#define S_COUNT_MAX 2147483647

static const s_key_t s_keys[] = {
    /* contract.md "Configuration" */
    S_INT_KEY("sched.daily_capacity", "2000", 0, S_COUNT_MAX),  /* pieces a day */
    S_INT_KEY("sched.rush_quota", "300", 0, S_COUNT_MAX),       /* rush pieces a day (000 §三.2) */
    S_INT_KEY("sched.frequent_rush", "4", 0, S_COUNT_MAX),      /* rushes in 30 days */
    /* deadlines, so a shop can say "half a working day" (003 第二篇 三): 4h30m@work */
    S_DEADLINE_KEY("sla.complaint_simple", "2h"),
    S_DEADLINE_KEY("sla.complaint_complex", "24h"),
    S_DEADLINE_KEY("sla.rework_print", "same-day"),
    S_DEADLINE_KEY("sla.rework_album", "24h"),
    S_DEADLINE_KEY("sla.rework_crystal", "48h"),
    S_DEADLINE_KEY("sla.rework_frame", "48h"),
    S_DURATION_KEY("sla.level2_after", "4h"),
    S_STRING_KEY("net.listen", ""),                 /* empty: no remote clients */
    /* kefu's own */
    /* The working calendar deadlines count in (deadline.h): "same-day",
     * "@work" and "half a working day" (003 第二篇 三) mean the site's
     * local working hours, never the machine's TZ. */
    S_CALENDAR_KEY("calendar.utc_offset", "+08:00"),  /* the lab is in China */
    S_CALENDAR_KEY("calendar.hours", "08:30-17:30"),  /* the day shift (002 第三则) */
    S_CALENDAR_KEY("calendar.workdays", "mon-sat"),
    S_CALENDAR_KEY("calendar.holidays", ""),          /* YYYY-MM-DD, comma list */
    S_INT_KEY("evlog.segment_mb", "256", 1, 65536),
    S_DURATION_KEY("kefu.restart_max", "5s"),  /* kefu up: longest restart backoff */
    /* A batch is one AppendRequest: kvalid refuses more elements than the
     * upper bound, and a client sends up to 1024 events in one. */
    S_INT_KEY("evlog.max_batch", "4096", 1024, KVALID_MAX_REPEAT),
    S_INT_KEY("evlog.fetch_max", "4096", 1, 1000000),
    S_CHOICE_KEY("log.level", "info", s_log_levels),
};
#define S_NKEYS (sizeof s_keys / sizeof s_keys[0])

struct kconfig_t {
    char *vals[S_NKEYS];   /* owned; NULL: the default */
};

/* ---- helpers ------------------------------------------------------------ */

static void s_err(char *err, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void s_err(char *err, size_t cap, const char *fmt, ...)
{
    if (!err || cap == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, cap, fmt, ap);
    va_end(ap);
}

static char *s_strdup(const char *s)
{
    char *d = strdup(s);
    if (!d)
        abort();
    return d;
}

static int s_find(const char *key)
{
    for (size_t i = 0; i < S_NKEYS; i++)
        if (strcmp(s_keys[i].key, key) == 0)
            return (int) i;
    return -1;
}

/* True if some key lives in section (the part before the dot). */
static bool s_section_known(const char *section)
{
    size_t n = strlen(section);
    for (size_t i = 0; i < S_NKEYS; i++)
        if (strncmp(s_keys[i].key, section, n) == 0 && s_keys[i].key[n] == '.')
            return true;
    return false;
}

/* Trims whitespace at both ends in place; returns the new start. */
static char *s_trim(char *s)
{
    while (isspace((unsigned char) *s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char) s[n - 1]))
        s[--n] = '\0';
    return s;
}

static bool s_parse_int(const char *s, int64_t *out)
{
    if (!*s)
        return false;
    int64_t v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return false;
        if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, *s - '0', &v))
            return false;
    }
    *out = v;
    return true;
}

/* Checks value for key k; on failure writes "key: what" into msg. The value
 * is quoted in the message only once known to be UTF-8 (it goes to a
 * terminal), and cut at 40 bytes. */
static bool s_check(const s_key_t *k, const char *value, char *msg, size_t cap)
{
    size_t len = strlen(value);
    if (!kvalid_utf8(value, len)) {
        s_err(msg, cap, "%s: not valid UTF-8", k->key);
        return false;
    }
    if (len > KVALID_MAX_STRING) {
        s_err(msg, cap, "%s: value of %zu bytes, over the limit of %d",
              k->key, len, KVALID_MAX_STRING);
        return false;
    }
    const char *dots = len > 40 ? "..." : "";
    int shown = len > 40 ? 40 : (int) len;
    int64_t n;
    switch (k->type) {
    case S_INT:
        if (!s_parse_int(value, &n)) {
            s_err(msg, cap, "%s: \"%.*s%s\" is not a whole number >= 0",
                  k->key, shown, value, dots);
            return false;
        }
        if (n < k->min || n > k->max) {
            s_err(msg, cap, "%s: %lld is out of range %lld..%lld", k->key,
                  (long long) n, (long long) k->min, (long long) k->max);
            return false;
        }
        return true;
    case S_DURATION:
        if (ktime_parse_duration(value, &n) != 0) {
            s_err(msg, cap, "%s: \"%.*s%s\" is not a duration like 90s, 30m, 2h, 3d",
                  k->key, shown, value, dots);
            return false;
        }
        return true;
    case S_DEADLINE:
        /* The grammar lives in one place, deadline.c, which computes them. */
        if (deadline_spec_check(value) != 0) {
            s_err(msg, cap, "%s: \"%.*s%s\" is not a deadline like 24h, 4h30m@work, same-day or next-day",
                  k->key, shown, value, dots);
            return false;
        }
        return true;
    case S_CALENDAR: {
        char what[200];
        if (deadline_calendar_check(k->key, value, what, sizeof what) != 0) {
            s_err(msg, cap, "%s: %s", k->key, what);
            return false;
        }
        return true;
    }
    case S_CHOICE:
        for (const char *const *c = k->choices; *c; c++)
            if (strcmp(value, *c) == 0)
                return true;
        {
            char list[128] = "";
            size_t used = 0;
            for (const char *const *c = k->choices; *c && used < sizeof list; c++)
                used += (size_t) snprintf(list + used, sizeof list - used, "%s%s",
                                          c == k->choices ? "" : ", ", *c);
            s_err(msg, cap, "%s: \"%.*s%s\" is not one of %s",
                  k->key, shown, value, dots, list);
        }
        return false;
    case S_STRING:
        return true;
    }
    return false;
}

static const s_key_t *s_typed(const kconfig_t *self, const char *key, s_type_t type,
                              const char **value)
{
    assert(self && key);
    int i = s_find(key);
    /* A typo in a key name in the program: fail loudly even with NDEBUG,
     * naming the key, rather than read outside the table. */
    if (i < 0 || s_keys[i].type != type) {
        fprintf(stderr, "kconfig: %s: %s\n", key,
                i < 0 ? "no such key" : "read with the wrong type");
        abort();
    }
    *value = self->vals[i] ? self->vals[i] : s_keys[i].def;
    return &s_keys[i];
}

/* ---- API ------------------------------------------------------------------ */

kconfig_t *kconfig_new(void)
{
    kconfig_t *self = calloc(1, sizeof *self);
    if (!self)
        abort();
    return self;
}

static void s_free_vals(char **vals)
{
    for (size_t i = 0; i < S_NKEYS; i++) {
        free(vals[i]);
        vals[i] = NULL;
    }
}

void kconfig_destroy(kconfig_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    s_free_vals((*self_p)->vals);
    free(*self_p);
    *self_p = NULL;
}

/* Parses one INI line into staged. section holds the current [section]
 * ("" before the first). Returns false with msg set on an error. */
static bool s_line(char *line, char *section, size_t section_cap, char **staged,
                   char *msg, size_t cap)
{
    line = s_trim(line);
    if (*line == '\0' || *line == ';' || *line == '#')
        return true;

    if (*line == '[') {
        char *end = strchr(line, ']');
        if (!end) {
            s_err(msg, cap, "missing ] after %.40s", line);
            return false;
        }
        *end = '\0';
        char *rest = s_trim(end + 1);
        if (*rest != '\0' && *rest != ';' && *rest != '#') {
            s_err(msg, cap, "unexpected text after [%.40s]", line + 1);
            return false;
        }
        char *name = s_trim(line + 1);
        if (!s_section_known(name) || strlen(name) >= section_cap) {
            s_err(msg, cap, "unknown section [%.40s]", name);
            return false;
        }
        snprintf(section, section_cap, "%s", name);
        return true;
    }

    char *eq = strchr(line, '=');
    if (!eq) {
        s_err(msg, cap, "expected key = value, got \"%.40s\"", line);
        return false;
    }
    *eq = '\0';
    char *key = s_trim(line);
    char *value = eq + 1;
    while (isspace((unsigned char) *value))
        value++;
    /* An inline comment starts the value or follows whitespace. */
    for (char *c = value; *c; c++)
        if ((*c == ';' || *c == '#') && (c == value || isspace((unsigned char) c[-1]))) {
            *c = '\0';
            break;
        }
    value = s_trim(value);
    if (*key == '\0') {
        s_err(msg, cap, "missing key before =");
        return false;
    }
    /* No key is near 100 bytes: a longer one is unknown, whatever it is. */
    char full[256];
    if (strlen(key) > 100) {
        s_err(msg, cap, "unknown key %.40s...", key);
        return false;
    }
    if (*section)
        snprintf(full, sizeof full, "%s.%s", section, key);
    else if (strchr(key, '.'))
        snprintf(full, sizeof full, "%s", key);
    else {
        s_err(msg, cap, "key %.40s is outside any [section]", key);
        return false;
    }
    int i = s_find(full);
    if (i < 0) {
        s_err(msg, cap, "unknown key %s", full);
        return false;
    }
    if (!s_check(&s_keys[i], value, msg, cap))
        return false;
    free(staged[i]);
    staged[i] = s_strdup(value);
    return true;
}

int kconfig_load_file(kconfig_t *self, const char *path, char *err, size_t cap)
{
    assert(self && path);
    FILE *f = fopen(path, "re");
    if (!f) {
        int rc = errno;
        s_err(err, cap, "%s: %s", path, strerror(rc));
        return rc;
    }
    /* Changes go to a copy, swapped in only when the whole file is good. */
    char *staged[S_NKEYS];
    for (size_t i = 0; i < S_NKEYS; i++)
        staged[i] = self->vals[i] ? s_strdup(self->vals[i]) : NULL;

    char section[64] = "";
    char msg[256];
    char *line = NULL;
    size_t line_cap = 0;
    int lineno = 0;
    int rc = 0;
    while (getline(&line, &line_cap, f) >= 0) {
        lineno++;
        char *text = line;
        if (lineno == 1 && strncmp(text, "\xEF\xBB\xBF", 3) == 0)
            text += 3;   /* a byte-order mark some editors write */
        if (!s_line(text, section, sizeof section, staged, msg, sizeof msg)) {
            s_err(err, cap, "%s:%d: %s", path, lineno, msg);
            rc = KEFU_EINVAL;
            break;
        }
    }
    if (rc == 0 && ferror(f)) {
        rc = errno ? errno : EIO;
        s_err(err, cap, "%s: %s", path, strerror(rc));
    }
    free(line);
    fclose(f);

    if (rc != 0) {
        s_free_vals(staged);
        return rc;
    }
    s_free_vals(self->vals);
    memcpy(self->vals, staged, sizeof staged);
    return 0;
}

int kconfig_set(kconfig_t *self, const char *assignment, char *err, size_t cap)
{
    assert(self && assignment);
    const char *eq = strchr(assignment, '=');
    if (!eq) {
        s_err(err, cap, "expected section.key=value, got \"%.60s\"", assignment);
        return KEFU_EINVAL;
    }
    char *copy = s_strdup(assignment);
    copy[eq - assignment] = '\0';
    char *key = s_trim(copy);
    /* A value given on the command line is taken whole: no comments. */
    char *value = s_trim(copy + (eq - assignment) + 1);
    int rc = KEFU_EINVAL;
    int i = s_find(key);
    if (*key == '\0')
        s_err(err, cap, "missing key before =");
    else if (i < 0)
        s_err(err, cap, "unknown key %.80s", key);
    else if (s_check(&s_keys[i], value, err, cap)) {
        free(self->vals[i]);
        self->vals[i] = s_strdup(value);
        rc = 0;
    }
    free(copy);
    return rc;
}

const char *kconfig_get(const kconfig_t *self, const char *key)
{
    assert(self && key);
    int i = s_find(key);
    if (i < 0)
        return NULL;
    return self->vals[i] ? self->vals[i] : s_keys[i].def;
}

int64_t kconfig_int(const kconfig_t *self, const char *key)
{
    const char *v;
    s_typed(self, key, S_INT, &v);
    int64_t n = 0;
    bool ok = s_parse_int(v, &n);
    assert(ok);   /* checked when set */
    (void) ok;
    return n;
}

int64_t kconfig_duration(const kconfig_t *self, const char *key)
{
    const char *v;
    s_typed(self, key, S_DURATION, &v);
    int64_t us = 0;
    int rc = ktime_parse_duration(v, &us);
    assert(rc == 0);   /* checked when set */
    (void) rc;
    return us;
}

int kconfig_deadline(const kconfig_t *self, const char *key, int64_t *dur_us)
{
    const char *v;
    s_typed(self, key, S_DEADLINE, &v);
    if (dur_us)
        *dur_us = 0;
    if (strcmp(v, "same-day") == 0)
        return KCONFIG_SAME_DAY;
    if (strcmp(v, "next-day") == 0)
        return KCONFIG_NEXT_DAY;
    int64_t us = 0;
    if (ktime_parse_duration(v, &us) != 0) {
        /* Valid (checked when set) but not a wall duration: "4h30m@work"
         * needs the calendar, which only deadline_policy_due() has. Fail
         * loudly rather than hand back a wall-clock duration that would
         * give a wrong due time. */
        fprintf(stderr, "kconfig: %s = %s: working time; read it with deadline_policy_due()\n",
                key, v);
        abort();
    }
    if (dur_us)
        *dur_us = us;
    return KCONFIG_DURATION;
}

static int s_cmp_key(const void *a, const void *b)
{
    return strcmp(s_keys[*(const size_t *) a].key, s_keys[*(const size_t *) b].key);
}

size_t kconfig_dump(const kconfig_t *self, char *buf, size_t cap)
{
    assert(self);
    size_t order[S_NKEYS];
    for (size_t i = 0; i < S_NKEYS; i++)
        order[i] = i;
    qsort(order, S_NKEYS, sizeof order[0], s_cmp_key);

    if (buf && cap > 0)
        buf[0] = '\0';
    size_t n = 0;
    for (size_t j = 0; j < S_NKEYS; j++) {
        size_t i = order[j];
        const char *v = self->vals[i] ? self->vals[i] : s_keys[i].def;
        bool room = buf && n < cap;
        int w = snprintf(room ? buf + n : NULL, room ? cap - n : 0, "%s = %s\n",
                         s_keys[i].key, v);
        n += (size_t) w;
    }
    return n;
}
