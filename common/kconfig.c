/* kconfig.c: a site's configuration (see kconfig.h).
 *
 * The keys come from the owners' tables given to kconfig_new (a daemon's
 * in services/NAME/NAME_keys.c, the site's in common/site_keys.c, all of
 * them listed by the registry): each row is a name, how it reads back, a
 * default, and the function that checks a value of its type. Adding a key
 * is adding a row to its owner's table; sections are whatever prefixes the
 * rows have, and two owners may share one ([sla]). The object holds one
 * string per key, NULL while the default stands, and values are checked
 * when they are set, so a typed getter never meets a bad value. kconfig
 * itself checks only its own types (whole numbers, durations, strings,
 * choices); a type with a grammar of its own brings its check in the row
 * (the deadline policy's, deadline.h), so this file includes no module
 * that reads a configuration.
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
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kerr.h"
#include "ktime.h"
#include "kvalid.h"

struct kconfig_t {
    size_t n;                     /* keys, over every table */
    const kconfig_key_t **keys;   /* owned array; the rows are the tables' */
    const char **owners;          /* owned array; owners[i] owns keys[i] */
    char **vals;                  /* owned; NULL: the default */
};

/* ---- helpers ------------------------------------------------------------ */

/* A value quoted in a message, cut at 40 bytes: "%.*s%s" takes S_Q(v).
 * Only ever used once the value is known to be UTF-8 (it goes to a
 * terminal); a cut may split a character, which a terminal shows as one
 * replacement mark. */
#define S_Q(v) (strlen(v) > 40 ? 40 : (int) strlen(v)), (v), (strlen(v) > 40 ? "..." : "")

static void *s_alloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);
    if (!p)
        abort();
    return p;
}

static char *s_strdup(const char *s)
{
    char *d = strdup(s);
    if (!d)
        abort();
    return d;
}

static int s_find(const kconfig_t *self, const char *key)
{
    for (size_t i = 0; i < self->n; i++)
        if (strcmp(self->keys[i]->key, key) == 0)
            return (int) i;
    return -1;
}

/* True if some key lives in section (the part before the dot). */
static bool s_section_known(const kconfig_t *self, const char *section)
{
    size_t n = strlen(section);
    for (size_t i = 0; i < self->n; i++)
        if (strncmp(self->keys[i]->key, section, n) == 0 && self->keys[i]->key[n] == '.')
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

/* ---- the checks of kconfig's own types ------------------------------------ */

int kconfig_check_int(const kconfig_key_t *k, const char *value, char *what, size_t cap)
{
    assert(k && value);
    int64_t n;
    if (!s_parse_int(value, &n)) {
        kefu_err_printf(what, cap, "\"%.*s%s\" is not a whole number >= 0", S_Q(value));
        return KEFU_EINVAL;
    }
    if (n < k->min || n > k->max) {
        kefu_err_printf(what, cap, "%lld is out of range %lld..%lld", (long long) n,
              (long long) k->min, (long long) k->max);
        return KEFU_EINVAL;
    }
    return 0;
}

int kconfig_check_duration(const kconfig_key_t *k, const char *value, char *what, size_t cap)
{
    assert(k && value);
    int64_t us;
    if (ktime_parse_duration(value, &us) != 0) {
        kefu_err_printf(what, cap, "\"%.*s%s\" is not a duration like 90s, 30m, 2h, 3d", S_Q(value));
        return KEFU_EINVAL;
    }
    return 0;
}

int kconfig_check_string(const kconfig_key_t *k, const char *value, char *what, size_t cap)
{
    (void) what;
    (void) cap;
    assert(k && value);
    return 0;   /* UTF-8 and the length are checked for every key */
}

int kconfig_check_choice(const kconfig_key_t *k, const char *value, char *what, size_t cap)
{
    assert(k && value && k->choices);
    for (const char *const *c = k->choices; *c; c++)
        if (strcmp(value, *c) == 0)
            return 0;
    char list[128] = "";
    size_t used = 0;
    for (const char *const *c = k->choices; *c && used < sizeof list; c++)
        used += (size_t) snprintf(list + used, sizeof list - used, "%s%s",
                                  c == k->choices ? "" : ", ", *c);
    kefu_err_printf(what, cap, "\"%.*s%s\" is not one of %s", S_Q(value), list);
    return KEFU_EINVAL;
}

/* Checks value for key k; on failure writes "key: what" into msg. The
 * checks every key shares come first: UTF-8 (a value may be quoted back to
 * a terminal) and the length limit; then the row's own check. */
static bool s_check(const kconfig_key_t *k, const char *value, char *msg, size_t cap)
{
    size_t len = strlen(value);
    if (!kvalid_utf8(value, len)) {
        kefu_err_printf(msg, cap, "%s: not valid UTF-8", k->key);
        return false;
    }
    if (len > KVALID_MAX_STRING) {
        kefu_err_printf(msg, cap, "%s: value of %zu bytes, over the limit of %d",
              k->key, len, KVALID_MAX_STRING);
        return false;
    }
    char what[200] = "";
    if (k->check(k, value, what, sizeof what) != 0) {
        kefu_err_printf(msg, cap, "%s: %s", k->key, what);
        return false;
    }
    return true;
}

static const kconfig_key_t *s_typed(const kconfig_t *self, const char *key,
                                    kconfig_read_t read, const char **value)
{
    assert(self && key);
    int i = s_find(self, key);
    /* A typo in a key name in the program: fail loudly even with NDEBUG,
     * naming the key, rather than read outside the table. */
    if (i < 0 || self->keys[i]->read != read) {
        fprintf(stderr, "kconfig: %s: %s\n", key,
                i < 0 ? "no such key" : "read with the wrong type");
        abort();
    }
    *value = self->vals[i] ? self->vals[i] : self->keys[i]->def;
    return self->keys[i];
}

/* ---- API ------------------------------------------------------------------ */

kconfig_t *kconfig_new(const kconfig_table_t *const *tables)
{
    assert(tables);
    kconfig_t *self = s_alloc(1, sizeof *self);
    for (const kconfig_table_t *const *t = tables; *t; t++)
        self->n += (*t)->n;
    self->keys = s_alloc(self->n, sizeof *self->keys);
    self->owners = s_alloc(self->n, sizeof *self->owners);
    self->vals = s_alloc(self->n, sizeof *self->vals);
    size_t n = self->n;
    self->n = 0;   /* grows row by row, so s_find sees the rows so far */
    for (const kconfig_table_t *const *t = tables; *t; t++)
        for (size_t j = 0; j < (*t)->n; j++) {
            const kconfig_key_t *k = &(*t)->keys[j];
            /* A malformed row, a key of two owners, or a default that its
             * own check refuses: the tables are wrong, not the input. Said
             * and stopped, with NDEBUG too, before any value is read. */
            if (!k->key || !strchr(k->key, '.') || !k->check || !k->def) {
                fprintf(stderr, "kconfig: a row of %s (%s) needs section.name, a check "
                        "and a default\n", (*t)->owner, k->key ? k->key : "no name");
                abort();
            }
            int dup = s_find(self, k->key);
            if (dup >= 0) {
                fprintf(stderr, "kconfig: %s is a key of both %s and %s\n", k->key,
                        self->owners[dup], (*t)->owner);
                abort();
            }
            char msg[256];
            if (!s_check(k, k->def, msg, sizeof msg)) {
                fprintf(stderr, "kconfig: the default of %s (%s): %s\n", k->key,
                        (*t)->owner, msg);
                abort();
            }
            self->keys[self->n] = k;
            self->owners[self->n] = (*t)->owner;
            self->n++;
        }
    assert(self->n == n);
    (void) n;
    return self;
}

static void s_free_vals(char **vals, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(vals[i]);
        vals[i] = NULL;
    }
}

void kconfig_destroy(kconfig_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    kconfig_t *self = *self_p;
    s_free_vals(self->vals, self->n);
    free(self->vals);
    free(self->keys);
    free(self->owners);
    free(self);
    *self_p = NULL;
}

/* Parses one INI line into staged. section holds the current [section]
 * ("" before the first). Returns false with msg set on an error. */
static bool s_line(const kconfig_t *self, char *line, char *section, size_t section_cap,
                   char **staged, char *msg, size_t cap)
{
    line = s_trim(line);
    if (*line == '\0' || *line == ';' || *line == '#')
        return true;

    if (*line == '[') {
        char *end = strchr(line, ']');
        if (!end) {
            kefu_err_printf(msg, cap, "missing ] after %.40s", line);
            return false;
        }
        *end = '\0';
        char *rest = s_trim(end + 1);
        if (*rest != '\0' && *rest != ';' && *rest != '#') {
            kefu_err_printf(msg, cap, "unexpected text after [%.40s]", line + 1);
            return false;
        }
        char *name = s_trim(line + 1);
        if (!s_section_known(self, name) || strlen(name) >= section_cap) {
            kefu_err_printf(msg, cap, "unknown section [%.40s]", name);
            return false;
        }
        snprintf(section, section_cap, "%s", name);
        return true;
    }

    char *eq = strchr(line, '=');
    if (!eq) {
        kefu_err_printf(msg, cap, "expected key = value, got \"%.40s\"", line);
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
        kefu_err_printf(msg, cap, "missing key before =");
        return false;
    }
    /* No key is near 100 bytes: a longer one is unknown, whatever it is. */
    char full[256];
    if (strlen(key) > 100) {
        kefu_err_printf(msg, cap, "unknown key %.40s...", key);
        return false;
    }
    if (*section)
        snprintf(full, sizeof full, "%s.%s", section, key);
    else if (strchr(key, '.'))
        snprintf(full, sizeof full, "%s", key);
    else {
        kefu_err_printf(msg, cap, "key %.40s is outside any [section]", key);
        return false;
    }
    int i = s_find(self, full);
    if (i < 0) {
        kefu_err_printf(msg, cap, "unknown key %s", full);
        return false;
    }
    if (!s_check(self->keys[i], value, msg, cap))
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
        kefu_err_printf(err, cap, "%s: %s", path, strerror(rc));
        return rc;
    }
    /* Changes go to a copy, swapped in only when the whole file is good. */
    char **staged = s_alloc(self->n, sizeof *staged);
    for (size_t i = 0; i < self->n; i++)
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
        if (!s_line(self, text, section, sizeof section, staged, msg, sizeof msg)) {
            kefu_err_printf(err, cap, "%s:%d: %s", path, lineno, msg);
            rc = KEFU_EINVAL;
            break;
        }
    }
    if (rc == 0 && ferror(f)) {
        rc = errno ? errno : EIO;
        kefu_err_printf(err, cap, "%s: %s", path, strerror(rc));
    }
    free(line);
    fclose(f);

    if (rc != 0) {
        s_free_vals(staged, self->n);
        free(staged);
        return rc;
    }
    s_free_vals(self->vals, self->n);
    free(self->vals);
    self->vals = staged;
    return 0;
}

int kconfig_set(kconfig_t *self, const char *assignment, char *err, size_t cap)
{
    assert(self && assignment);
    const char *eq = strchr(assignment, '=');
    if (!eq) {
        kefu_err_printf(err, cap, "expected section.key=value, got \"%.60s\"", assignment);
        return KEFU_EINVAL;
    }
    char *copy = s_strdup(assignment);
    copy[eq - assignment] = '\0';
    char *key = s_trim(copy);
    /* A value given on the command line is taken whole: no comments. */
    char *value = s_trim(copy + (eq - assignment) + 1);
    int rc = KEFU_EINVAL;
    int i = s_find(self, key);
    if (*key == '\0')
        kefu_err_printf(err, cap, "missing key before =");
    else if (i < 0)
        kefu_err_printf(err, cap, "unknown key %.80s", key);
    else if (s_check(self->keys[i], value, err, cap)) {
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
    int i = s_find(self, key);
    if (i < 0)
        return NULL;
    return self->vals[i] ? self->vals[i] : self->keys[i]->def;
}

const char *kconfig_owner(const kconfig_t *self, const char *key)
{
    assert(self && key);
    int i = s_find(self, key);
    return i < 0 ? NULL : self->owners[i];
}

size_t kconfig_count(const kconfig_t *self)
{
    assert(self);
    return self->n;
}

const kconfig_key_t *kconfig_key(const kconfig_t *self, size_t i)
{
    assert(self && i < self->n);
    return self->keys[i];
}

int64_t kconfig_int(const kconfig_t *self, const char *key)
{
    const char *v;
    s_typed(self, key, KCONFIG_READ_INT, &v);
    int64_t n = 0;
    bool ok = s_parse_int(v, &n);
    assert(ok);   /* checked when set */
    (void) ok;
    return n;
}

int64_t kconfig_duration(const kconfig_t *self, const char *key)
{
    const char *v;
    s_typed(self, key, KCONFIG_READ_DURATION, &v);
    int64_t us = 0;
    int rc = ktime_parse_duration(v, &us);
    assert(rc == 0);   /* checked when set */
    (void) rc;
    return us;
}

int kconfig_deadline(const kconfig_t *self, const char *key, int64_t *dur_us)
{
    const char *v;
    s_typed(self, key, KCONFIG_READ_DEADLINE, &v);
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
    return strcmp((*(const kconfig_key_t *const *) a)->key,
                  (*(const kconfig_key_t *const *) b)->key);
}

size_t kconfig_dump(const kconfig_t *self, char *buf, size_t cap)
{
    assert(self);
    /* Sorted by name: a copy of the row pointers, then each one's value
     * found again by name (a few dozen keys). */
    const kconfig_key_t **order = s_alloc(self->n, sizeof *order);
    memcpy(order, self->keys, self->n * sizeof *order);
    qsort(order, self->n, sizeof order[0], s_cmp_key);

    if (buf && cap > 0)
        buf[0] = '\0';
    size_t n = 0;
    for (size_t j = 0; j < self->n; j++) {
        const char *v = kconfig_get(self, order[j]->key);
        bool room = buf && n < cap;
        int w = snprintf(room ? buf + n : NULL, room ? cap - n : 0, "%s = %s\n",
                         order[j]->key, v);
        n += (size_t) w;
    }
    free(order);
    return n;
}
