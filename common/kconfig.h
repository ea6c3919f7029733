/* kconfig.h: a site's configuration: built-in defaults, an INI file, and
 * --set SECTION.KEY=VALUE overrides, in that order.
 *
 * The keys are not one list here: each owner keeps a table of its own
 * (kconfig_table_t), a daemon in services/NAME/NAME_keys.c, the site's
 * shared keys in common/site_keys.c, and the registry hands the whole set
 * to kconfig_new (registry_key_tables, registry.h), so every program of a
 * site, `kefu up` first, knows every key. An unknown section or key, or a
 * value of the wrong form, is an error naming the file and line, so a typo
 * never passes silently.
 *
 * A key row says how its value is read back (the typed getter it answers
 * to) and which function checks it; the checks are per type, and kconfig
 * provides the plain ones:
 *   KCONFIG_KEY_INT       decimal, >= 0, within the row's [min, max]
 *   KCONFIG_KEY_DURATION  ktime_parse_duration() ("2h")
 *   KCONFIG_KEY_STRING    any UTF-8 (endpoints are strings)
 *   KCONFIG_KEY_CHOICE    one of a NULL-terminated list
 * Other types bring their own check: the deadline policy's DEADLINE_KEY
 * and DEADLINE_CALENDAR_KEY (deadline.h). So kconfig knows no grammar but
 * its own, and deadline.c, which includes this header to read a
 * configuration, is not included back. Every value is checked for UTF-8
 * and KVALID_MAX_STRING first, whatever its type.
 */
#ifndef KEFU_KCONFIG_H
#define KEFU_KCONFIG_H

#include <stdint.h>
#include <stddef.h>

typedef struct kconfig_t kconfig_t;
typedef struct kconfig_key_t kconfig_key_t;

/* How a key's value is read back: the typed getter that accepts it. */
typedef enum {
    KCONFIG_READ_TEXT,       /* kconfig_get only */
    KCONFIG_READ_INT,        /* kconfig_int */
    KCONFIG_READ_DURATION,   /* kconfig_duration */
    KCONFIG_READ_DEADLINE,   /* kconfig_deadline */
} kconfig_read_t;

/* Checks value (UTF-8, within KVALID_MAX_STRING) for key. Returns 0, or
 * KEFU_EINVAL with what is wrong in what, without the key's name (kconfig
 * writes "key: " before it): "\"x\" is not a whole number >= 0". A quoted
 * value is cut at 40 bytes. what may be NULL when cap is 0. */
typedef int (*kconfig_check_fn)(const kconfig_key_t *key, const char *value,
                                char *what, size_t cap);

struct kconfig_key_t {
    const char *key;              /* "section.name" */
    kconfig_read_t read;
    const char *def;              /* the default; it passes check */
    kconfig_check_fn check;
    int64_t min, max;             /* KCONFIG_KEY_INT */
    const char *const *choices;   /* KCONFIG_KEY_CHOICE, NULL-terminated */
};

/* One owner's keys. */
typedef struct {
    const char *owner;            /* "intake", "site" */
    const kconfig_key_t *keys;
    size_t n;
} kconfig_table_t;

/* A table of a static array of rows. */
#define KCONFIG_TABLE(owner_, rows_) \
    {.owner = (owner_), .keys = (rows_), .n = sizeof(rows_) / sizeof((rows_)[0])}

/* The plain checks, for rows (and for other checks to build on). */
int kconfig_check_int(const kconfig_key_t *key, const char *value, char *what, size_t cap);
int kconfig_check_duration(const kconfig_key_t *key, const char *value, char *what,
                           size_t cap);
int kconfig_check_string(const kconfig_key_t *key, const char *value, char *what,
                         size_t cap);
int kconfig_check_choice(const kconfig_key_t *key, const char *value, char *what,
                         size_t cap);

#define KCONFIG_KEY_INT(k, d, lo, hi) \
    {.key = (k), .read = KCONFIG_READ_INT, .def = (d), .check = kconfig_check_int, \
     .min = (lo), .max = (hi)}
#define KCONFIG_KEY_DURATION(k, d) \
    {.key = (k), .read = KCONFIG_READ_DURATION, .def = (d), .check = kconfig_check_duration}
#define KCONFIG_KEY_STRING(k, d) \
    {.key = (k), .read = KCONFIG_READ_TEXT, .def = (d), .check = kconfig_check_string}
#define KCONFIG_KEY_CHOICE(k, d, c) \
    {.key = (k), .read = KCONFIG_READ_TEXT, .def = (d), .check = kconfig_check_choice, \
     .choices = (c)}

/* New configuration of the keys of tables (NULL-terminated; not copied:
 * they must outlive it, as static tables do), at their defaults. A key in
 * two tables, or a default its own check refuses, is a bug in the program:
 * abort(), naming it. Never NULL. A site's programs pass
 * registry_key_tables (registry.h). */
kconfig_t *kconfig_new(const kconfig_table_t *const *tables);
/* Destroys the configuration and nulls *self_p. Accepts NULL. */
void kconfig_destroy(kconfig_t **self_p);

/* Reads an INI file (";" and "#" comments, [section], key = value,
 * inline "; comment" after a value). The file is applied whole or not at
 * all. Returns 0; errno if it can't be read (err: "file: reason"); or
 * KEFU_EINVAL with "file:line: what" in err, e.g.
 * "kefu.ini:7: unknown key sched.daly_capacity". */
int kconfig_load_file(kconfig_t *self, const char *path, char *err, size_t cap);
/* Applies one "section.key=value" (whitespace around key and value is
 * dropped; the value is taken whole, ";" included). Returns 0 or
 * KEFU_EINVAL with err set to what is wrong, without a prefix (the caller
 * adds "--set"): "unknown key sched.daly_capacity",
 * "sched.rush_quota: \"x\" is not a whole number >= 0". */
int kconfig_set(kconfig_t *self, const char *assignment, char *err, size_t cap);

/* The value of "section.key" as text (defaults included); NULL for a key
 * that does not exist. Valid until the next kconfig_set,
 * kconfig_load_file or kconfig_destroy. */
const char *kconfig_get(const kconfig_t *self, const char *key);
/* The owner of "section.key" (its table's owner), NULL for an unknown key.
 * Valid as long as the tables. */
const char *kconfig_owner(const kconfig_t *self, const char *key);
/* How many keys the configuration has, and the row of the i-th (i <
 * kconfig_count), in the tables' order: for a module that takes every key
 * of a kind, as the deadline policy takes every [sla] key as a rule. The
 * row is the table's (valid as long as the tables); its value is
 * kconfig_get(self, row->key). */
size_t kconfig_count(const kconfig_t *self);
const kconfig_key_t *kconfig_key(const kconfig_t *self, size_t i);
/* Typed getters; the key must exist and read that way (else abort(),
 * naming the key: a bug in the program, not in the input). */
int64_t kconfig_int(const kconfig_t *self, const char *key);
int64_t kconfig_duration(const kconfig_t *self, const char *key);  /* usec */

/* What a deadline key (sla.rework_*) says. */
enum { KCONFIG_DURATION = 0, KCONFIG_SAME_DAY = 1, KCONFIG_NEXT_DAY = 2 };
/* A deadline key's kind; for KCONFIG_DURATION *dur_us is the duration in
 * usec, else 0 (dur_us may be NULL). The key must be a deadline (abort),
 * and not working time ("4h30m@work": abort; only the deadline policy can
 * count it). */
int kconfig_deadline(const kconfig_t *self, const char *key, int64_t *dur_us);

/* Writes every key as "section.key = value" lines, sorted, to buf
 * (NUL-terminated, cut at cap; buf may be NULL when cap is 0). Returns
 * the length it needed, NUL excluded (like snprintf). */
size_t kconfig_dump(const kconfig_t *self, char *buf, size_t cap);

#endif
