/* registry.h: the daemons of a site, from the one list common/daemons.def.
 *
 * Each row is a daemon: its name, a one-line summary, its place in the
 * start order, the case numbers it owns in the site-wide oneofs
 * (Request.req and Reply.rep of proto/control.proto, Envelope.body of
 * proto/event.proto: docs/protocol.md "Numbering") and its configuration
 * keys. Everything else that lists daemons derives from the rows:
 * site_daemons[] (the supervisor, `kefuctl status`/`sync`, `kefu daemons`),
 * request routing (registry_for_request), the site's configuration
 * (registry_key_tables), and through the Makefile's sed over the same
 * file, the programs built, the unit-test rule and the systemd units.
 *
 * Configuration keys. A daemon's keys live with it, in
 * services/NAME/NAME_keys.c: one table, NAME_keys, and nothing else in the
 * file (rows of kconfig.h or deadline.h, no code). The Makefile builds
 * those files into libkefu.a, not into kefu-NAME, because `kefu up` must
 * refuse a bad site configuration, every daemon's keys included, before it
 * starts anything, and kefu links only libkefu.a; and every daemon must
 * accept every key of the site, since kefu up hands each the same
 * --config and --set. A data-only file costs a program nothing it does not
 * read. The keys no daemon owns (kefu's own, log, calendar) and those
 * of daemons not built yet are the site's, in common/site_keys.c.
 */
#ifndef KEFU_REGISTRY_H
#define KEFU_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>

#include "kconfig.h"

typedef struct {
    const char *name;       /* "evlog": kefu-NAME, DIR/NAME/, DIR/run/NAME.* */
    const char *summary;    /* one line */
    int order;              /* 0, 1, ...: the start order */
    int req_lo, req_hi;     /* its Request.req / Reply.rep cases, inclusive */
    int ev_lo, ev_hi;       /* its Envelope.body cases, inclusive */
    const kconfig_table_t *keys;   /* its configuration keys (NAME_keys) */
} registry_daemon_t;

/* The daemons in start order, ended by a row whose name is NULL. */
extern const registry_daemon_t registry_daemons[];
/* How many daemons registry_daemons[] holds (the end row aside). */
size_t registry_count(void);

/* The daemon called name, or NULL. */
const registry_daemon_t *registry_lookup(const char *name);
/* The daemon whose range holds req_case (a Request.req case, e.g.
 * KEFU__REQUEST__REQ_CASE_OPEN), or NULL for a number no daemon owns
 * (0, KEFU__REQUEST__REQ__NOT_SET, a number of no range). For the requests
 * every daemon serves (registry_request_shared) it is evlog, the owner of
 * the infrastructure range: send them by name to the daemon meant. */
const registry_daemon_t *registry_for_request(int req_case);
/* The same for a Reply.rep case: the daemon whose range holds it. */
const registry_daemon_t *registry_for_reply(int rep_case);
/* The daemon whose range holds an Envelope.body case (its events), or
 * NULL. Probe (15), in evlog's range, may be appended by any tool. */
const registry_daemon_t *registry_for_event(int body_case);
/* True for the requests every daemon serves: status, sync, stop. */
bool registry_request_shared(int req_case);

/* Every table of configuration keys of the site, NULL-terminated: the
 * site's own (site_keys, site_planned_keys), then each daemon's in start
 * order. What kconfig_new takes: kconfig_new(
 * registry_key_tables) is the site's configuration at its defaults. */
extern const kconfig_table_t *const registry_key_tables[];

/* The site's keys (common/site_keys.c): kefu's own, log, calendar. */
extern const kconfig_table_t site_keys;
/* Keys of daemons not built yet (the SLA watchers' sla.level2_after), kept so a site's config file is checked
 * before they land: each group moves to services/NAME/NAME_keys.c with
 * its daemon. */
extern const kconfig_table_t site_planned_keys;

/* Each daemon's keys, defined in services/NAME/NAME_keys.c. */
#define KEFU_DAEMON(name, ...) extern const kconfig_table_t name##_keys;
#include "daemons.def"
#undef KEFU_DAEMON

#endif
