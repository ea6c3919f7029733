/* sla_keys.c: kefu-sla's configuration keys, the table sla_keys
 * (registry.h). Data only: built into libkefu, so `kefu up` checks them
 * before it starts anything. The deadlines the obligations carry are
 * their owners' (sla.complaint_* intake's, sla.rework_* sched's): sla
 * takes the due times from their events, computed once by the deadline
 * policy where the obligation was made.
 */
#include <string.h>

#include "kconfig.h"
#include "registry.h"

static const char *const s_formats[] = {"json", "dingtalk", "wecom", NULL};

/* sla.remind_every: a duration, or "off" */
static int s_check_remind(const kconfig_key_t *key, const char *value, char *what, size_t cap)
{
    return strcmp(value, "off") == 0 ? 0 : kconfig_check_duration(key, value, what, cap);
}

static const kconfig_key_t s_keys[] = {
    /* an escalation nobody acknowledges goes from level 1 (the owner's
     * supervisor) to level 2 (the general manager) after this */
    KCONFIG_KEY_DURATION("sla.level2_after", "4h"),
    /* a warning when this share of the allowed time has passed */
    KCONFIG_KEY_INT("sla.warn_share", "80", 1, 99),
    /* an escalation nobody acknowledges is told again this often; off: never */
    {.key = "sla.remind_every", .read = KCONFIG_READ_TEXT, .def = "1h", .check = s_check_remind},
    /* the notifier (sla_notify.c): a webhook, a command, or both; empty: off */
    KCONFIG_KEY_STRING("sla.notify_url", ""),
    KCONFIG_KEY_CHOICE("sla.notify_format", "json", s_formats),  /* the webhook's body */
    KCONFIG_KEY_STRING("sla.notify_command", ""),  /* sh -c, the notice on stdin */
    KCONFIG_KEY_DURATION("sla.notify_retry_max", "5m"),  /* the longest wait between tries */
};
const kconfig_table_t sla_keys = KCONFIG_TABLE("sla", s_keys);
