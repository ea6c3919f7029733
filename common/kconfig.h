/* kconfig.h: a site's configuration: built-in defaults, an INI file, and
 * --set SECTION.KEY=VALUE overrides, in that order.
 *
 * The keys a site knows are one table in kconfig.c (contract.md
 * "Configuration" plus kefu's own); an unknown section or key, or a value of
 * the wrong form, is an error naming the file and line, so a typo never
 * passes silently. Values are validated by type when set:
 *   int       decimal, >= 0
 *   duration  ktime_parse_duration() ("2h")
 *   deadline  a duration, or "same-day" / "next-day"
 *   string    any UTF-8 (endpoints are strings)
 */
#ifndef KEFU_KCONFIG_H
#define KEFU_KCONFIG_H

#include <stdint.h>
#include <stddef.h>

typedef struct kconfig_t kconfig_t;

/* New configuration holding the built-in defaults. Never NULL. */
kconfig_t *kconfig_new(void);
void kconfig_destroy(kconfig_t **self_p);

/* Reads an INI file (";" and "#" comments, [section], key = value,
 * inline "; comment" after a value). Returns 0, errno if it can't be read,
 * or KEFU_EINVAL with "file:line: what" in err. */
int kconfig_load_file(kconfig_t *self, const char *path, char *err, size_t cap);
/* Applies one "section.key=value". Returns 0 or KEFU_EINVAL with err set. */
int kconfig_set(kconfig_t *self, const char *assignment, char *err, size_t cap);

/* The value of "section.key" as text (defaults included); NULL for a key
 * that does not exist. Valid until the next set or destroy. */
const char *kconfig_get(const kconfig_t *self, const char *key);
/* Typed getters; the key must exist and have that type (asserted). */
int64_t kconfig_int(const kconfig_t *self, const char *key);
int64_t kconfig_duration(const kconfig_t *self, const char *key);  /* usec */

/* Writes every key as "section.key = value" lines, sorted, to buf. Returns
 * the length it needed (like snprintf). */
size_t kconfig_dump(const kconfig_t *self, char *buf, size_t cap);

#endif
