/* sla_keys.c: kefu-sla's configuration keys, the table sla_keys
 * (registry.h). Data only: built into libkefu, so `kefu up` checks them
 * before it starts anything. The deadlines the obligations carry are
 * their owners' (sla.complaint_* intake's, sla.rework_* sched's): sla
 * takes the due times from their events, computed once by the deadline
 * policy where the obligation was made.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "kconfig.h"
#include "kerr.h"
#include "pbdesc.h"
#include "registry.h"
#include "sla_route.h"
#include "sla.pb-c.h"

static const char *const s_formats[] = {"json", "dingtalk", "wecom", NULL};

/* sla.remind_every: a duration, or "off" */
static int s_check_remind(const kconfig_key_t *key, const char *value, char *what, size_t cap)
{
    return strcmp(value, "off") == 0 ? 0 : kconfig_check_duration(key, value, what, cap);
}

/* ---- routing (sla_notify.c reads it with sla_route_parse) ------------------------------ */

/* The kind word of v (an EscalationKind), or a word of no kind. */
static bool s_kind_known(const char *word)
{
    if (strcmp(word, "*") == 0)
        return true;
    const ProtobufCEnumDescriptor *ed = &kefu__escalation_kind__descriptor;
    char w[48];
    for (unsigned i = 0; i < ed->n_values; i++)
        if (ed->values[i].value != 0 && pbdesc_enum_word(ed, ed->values[i].value, w, sizeof w) &&
            strcmp(w, word) == 0)
            return true;
    return false;
}

/* Cuts s at each sep into parts (trimmed); returns how many, at most max
 * (-1: more). s is changed. */
static int s_split(char *s, char sep, char **parts, int max)
{
    int n = 0;
    if (!*s)
        return 0;
    for (char *p = s;; ) {
        char *e = strchr(p, sep);
        if (e)
            *e = '\0';
        while (*p == ' ' || *p == '\t')
            p++;
        char *end = p + strlen(p);
        while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
            *--end = '\0';
        if (n == max)
            return -1;
        parts[n++] = p;
        if (!e)
            return n;
        p = e + 1;
    }
}

int sla_channels_parse(const char *value, sla_channel_def_t *out, int max, char *what, size_t cap)
{
    char buf[2048];
    snprintf(buf, sizeof buf, "%s", value);
    char *parts[SLA_CHANNELS_MAX];
    int n = s_split(buf, ',', parts, SLA_CHANNELS_MAX - 1 < max ? SLA_CHANNELS_MAX - 1 : max);
    if (n < 0) {
        snprintf(what, cap, "more than %d channels", SLA_CHANNELS_MAX - 1);
        return KEFU_EINVAL;
    }
    for (int i = 0; i < n; i++) {
        char *eq = strchr(parts[i], '=');
        char *colon = eq ? strchr(eq + 1, ':') : NULL;
        if (!eq || eq == parts[i] || !colon) {
            snprintf(what, cap, "\"%.40s\" is not NAME=FORMAT:URL (FORMAT json, dingtalk or wecom)", parts[i]);
            return KEFU_EINVAL;
        }
        *eq = '\0';
        *colon = '\0';
        const char *name = parts[i], *format = eq + 1, *url = colon + 1;
        if (strlen(name) >= sizeof out[i].name || strcmp(name, "default") == 0) {
            snprintf(what, cap, "channel name \"%.40s\": up to 31 bytes, not \"default\"", name);
            return KEFU_EINVAL;
        }
        for (int j = 0; j < i; j++)
            if (strcmp(out[j].name, name) == 0) {
                snprintf(what, cap, "channel \"%.40s\" named twice", name);
                return KEFU_EINVAL;
            }
        if (strcmp(format, "json") != 0 && strcmp(format, "dingtalk") != 0 && strcmp(format, "wecom") != 0) {
            snprintf(what, cap, "channel %.40s: format \"%.40s\": one of json, dingtalk, wecom", name, format);
            return KEFU_EINVAL;
        }
        if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0) {
            snprintf(what, cap, "channel %.40s: \"%.40s\" is not an http:// or https:// URL", name, url);
            return KEFU_EINVAL;
        }
        snprintf(out[i].name, sizeof out[i].name, "%s", name);
        snprintf(out[i].format, sizeof out[i].format, "%s", format);
        snprintf(out[i].url, sizeof out[i].url, "%s", url);
    }
    return n;
}

int sla_route_parse(const char *value, const sla_channel_def_t *chans, int n_chans,
                    sla_route_rule_t *out, int max, char *what, size_t cap)
{
    char buf[2048];
    snprintf(buf, sizeof buf, "%s", value);
    char *parts[64];
    int n = s_split(buf, ',', parts, max < 64 ? max : 64);
    if (n < 0) {
        snprintf(what, cap, "more than %d rules", max < 64 ? max : 64);
        return KEFU_EINVAL;
    }
    for (int i = 0; i < n; i++) {
        char *eq = strchr(parts[i], '=');
        if (!eq || eq == parts[i]) {
            snprintf(what, cap, "\"%.40s\" is not KIND[/LEVEL]=CHANNEL", parts[i]);
            return KEFU_EINVAL;
        }
        *eq = '\0';
        char *chan = eq + 1, *kind = parts[i], *slash = strchr(kind, '/');
        int level = 0;
        if (slash) {
            *slash = '\0';
            if (strcmp(slash + 1, "1") == 0)
                level = 1;
            else if (strcmp(slash + 1, "2") == 0)
                level = 2;
            else {
                snprintf(what, cap, "rule %.40s: level \"%.40s\": 1 or 2", kind, slash + 1);
                return KEFU_EINVAL;
            }
        }
        if (!s_kind_known(kind)) {
            snprintf(what, cap, "rule %.40s: kind \"%.40s\": an escalation kind (complaint-reply-overdue, "
                     "major-complaint, ...) or *", kind, kind);
            return KEFU_EINVAL;
        }
        int c = -1;
        if (strcmp(chan, "default") == 0 || (n_chans < 0 && *chan))
            c = 0;
        for (int j = 0; j < n_chans && c < 0; j++)
            if (strcmp(chans[j].name, chan) == 0)
                c = j + 1;
        if (c < 0) {
            snprintf(what, cap, "rule %.40s: channel \"%.40s\": default or one of sla.channels", kind, chan);
            return KEFU_EINVAL;
        }
        snprintf(out[i].kind, sizeof out[i].kind, "%s", kind);
        out[i].level = level;
        out[i].channel = c;
    }
    return n;
}

static int s_check_channels(const kconfig_key_t *key, const char *value, char *what, size_t cap)
{
    (void) key;
    sla_channel_def_t c[SLA_CHANNELS_MAX];
    int n = sla_channels_parse(value, c, SLA_CHANNELS_MAX, what, cap);
    return n < 0 ? n : 0;
}

/* The channels a rule names are looked up when sla starts (n_chans -1
 * here: any name); here, the rules' form, kinds and levels. */
static int s_check_route(const kconfig_key_t *key, const char *value, char *what, size_t cap)
{
    (void) key;
    sla_route_rule_t r[64];
    int n = sla_route_parse(value, NULL, -1, r, 64, what, cap);
    return n < 0 ? n : 0;
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
    /* more webhooks, by name: NAME=FORMAT:URL, comma separated */
    {.key = "sla.channels", .read = KCONFIG_READ_TEXT, .def = "", .check = s_check_channels},
    /* which notices go where: KIND[/LEVEL]=CHANNEL, comma separated; a
     * notice goes to every channel a rule of its kind (and level) names,
     * and to "default" (sla.notify_url/command) when none does */
    {.key = "sla.route", .read = KCONFIG_READ_TEXT, .def = "", .check = s_check_route},
};
const kconfig_table_t sla_keys = KCONFIG_TABLE("sla", s_keys);
