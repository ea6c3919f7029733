/* site.h: where a site keeps its files and sockets.
 *
 * A site lives in one directory DIR (default ./var, or $KEFU_DIR):
 *   DIR/run/NAME.ctl      control socket of daemon NAME (ipc)
 *   DIR/run/evlog.sock    the log's append/fetch socket (ipc)
 *   DIR/run/evlog.pub     the log's live stream (ipc)
 *   DIR/run/clock         the site clock (kclock.h)
 *   DIR/run/kefu.pid      pid of `kefu up`
 *   DIR/log/NAME.log      daemon NAME's stderr under `kefu up`
 *   DIR/NAME/             daemon NAME's store (the log: DIR/evlog/)
 * Every path is made absolute first, so sockets work from any cwd.
 */
#ifndef KEFU_SITE_H
#define KEFU_SITE_H

#include <stddef.h>

/* The daemons of a site, in start order, NULL-terminated: the names of
 * the registry's rows (common/daemons.def; registry.h has the rest of
 * each row). */
extern const char *const site_daemons[];

/* Resolves the site directory: dir if not NULL, else $KEFU_DIR (if set and
 * not empty), else "./var"; made absolute against the cwd and cleaned
 * lexically ("a/./b/../c" is "a/c"; it need not exist). Writes it into
 * buf (cap bytes, with the NUL). Returns 0, KEFU_ETOOLARGE (does not fit
 * cap or PATH_MAX), or errno when the cwd cannot be read (ENOENT: it was
 * removed). */
int site_dir(const char *dir, char *buf, size_t cap);

/* "DIR/rel" into buf (cap bytes, with the NUL). Returns 0 or
 * KEFU_ETOOLARGE. */
int site_path(const char *site, const char *rel, char *buf, size_t cap);

/* "ipc://DIR/run/NAME.KIND" into buf (kind "ctl", "sock", "pub").
 * Returns 0, or KEFU_ETOOLARGE when the socket path would exceed the
 * system's limit for ipc paths (107 bytes). */
int site_endpoint(const char *site, const char *name, const char *kind,
                  char *buf, size_t cap);

/* Creates DIR (and missing parents), DIR/run and DIR/log, mode 0700, if
 * missing. Returns 0 or errno (ENOTDIR when one exists as a file). */
int site_mkdirs(const char *site);

#endif
