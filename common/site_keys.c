/* site_keys.c: the configuration keys no daemon owns, as tables for
 * kconfig (kconfig.h), listed in registry_key_tables (registry.h).
 *
 * site_keys: kefu's own (contract.md "Configuration": the supervisor, the
 * log level every daemon takes, and the working
 * calendar every deadline is counted in, read by the deadline policy
 * wherever a due time is computed: intake today, sched and the SLA
 * watchers next). site_planned_keys: the contract's keys of daemons not
 * built yet, grouped by the daemon that will own them. They are checked
 * now, so a site's config file written to the contract starts today; a
 * daemon that lands moves its group, rows unchanged, to its own
 * services/NAME/NAME_keys.c (kconfig_new stops a program that has a key
 * in two tables, so a row left behind is caught at once). A daemon's own
 * keys are in its folder (services/evlog/evlog_keys.c,
 * services/intake/intake_keys.c).
 *
 * Data only, like every key table: rows, no code.
 */
#include "deadline.h"
#include "kconfig.h"
#include "registry.h"

static const char *const s_log_levels[] = {"debug", "info", "warn", "error", NULL};

static const kconfig_key_t s_site[] = {
    /* The working calendar deadlines count in (deadline.h): "same-day",
     * "@work" and "half a working day" (003 第二篇 三) mean the site's
     * local working hours, never the machine's TZ. */
    DEADLINE_CALENDAR_KEY("calendar.utc_offset", "+08:00"),  /* the lab is in China */
    DEADLINE_CALENDAR_KEY("calendar.hours", "08:30-17:30"),  /* the day shift (002 第三则) */
    DEADLINE_CALENDAR_KEY("calendar.workdays", "mon-sat"),
    DEADLINE_CALENDAR_KEY("calendar.holidays", ""),          /* YYYY-MM-DD, comma list */
    KCONFIG_KEY_DURATION("kefu.restart_max", "5s"),  /* kefu up: longest restart backoff */
    KCONFIG_KEY_CHOICE("log.level", "info", s_log_levels),
};
const kconfig_table_t site_keys = KCONFIG_TABLE("site", s_site);

/* None today: dispatch (roadmap 4) and appraisal (roadmap 6) have no keys
 * in the contract yet. A row added here moves to its daemon's NAME_keys.c
 * when the daemon lands. */
const kconfig_table_t site_planned_keys = {.owner = "planned"};
