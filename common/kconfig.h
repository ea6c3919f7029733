/* kconfig.h: a site's configuration: built-in defaults, an INI file, and
 * --set SECTION.KEY=VALUE overrides, in that order.
 *
 * The keys a site knows are one table in kconfig.c (contract.md
 * "Configuration" plus kefu's own); an unknown section or key, or a value of
 * the wrong form, is an error naming the file and line, so a typo never
 * passes silently. Values are validated by type when set:
 *   int       decimal, >= 0 (and within the key's range, e.g.
 *             evlog.max_batch 1..10000)
 *   duration  ktime_parse_duration() ("2h")
 *   deadline  a duration, or "same-day" / "next-day"
 *   string    any UTF-8 (endpoints are strings)
 *   choice    one of a list (log.level: debug, info, warn, error)
 */
#ifndef KEFU_KCONFIG_H
#define KEFU_KCONFIG_H

#include <stdint.h>
#include <stddef.h>

typedef struct kconfig_t kconfig_t;

/* New configuration holding the built-in defaults. Never NULL. */
kconfig_t *kconfig_new(void);
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
/* Typed getters; the key must exist and have that type (else abort(),
 * naming the key: a bug in the program, not in the input). */
int64_t kconfig_int(const kconfig_t *self, const char *key);
int64_t kconfig_duration(const kconfig_t *self, const char *key);  /* usec */

/* What a deadline key (sla.rework_*) says. */
enum { KCONFIG_DURATION = 0, KCONFIG_SAME_DAY = 1, KCONFIG_NEXT_DAY = 2 };
/* A deadline key's kind; for KCONFIG_DURATION *dur_us is the duration in
 * usec, else 0 (dur_us may be NULL). The key must be a deadline (abort). */
int kconfig_deadline(const kconfig_t *self, const char *key, int64_t *dur_us);

/* Writes every key as "section.key = value" lines, sorted, to buf
 * (NUL-terminated, cut at cap; buf may be NULL when cap is 0). Returns
 * the length it needed, NUL excluded (like snprintf). */
size_t kconfig_dump(const kconfig_t *self, char *buf, size_t cap);

#endif
