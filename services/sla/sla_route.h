/* sla_route.h: the notifier's routing rules (sla.channels, sla.route),
 * parsed in sla_keys.c (so `kefu up` refuses a bad rule, naming the bad
 * part) and read by sla_notify.c.
 *
 *   sla.channels = gm=dingtalk:https://oapi.dingtalk.com/robot/send?access_token=X,
 *                  ops=json:http://127.0.0.1:9000/ops
 *   sla.route    = major-complaint/2=gm, rework-overdue=ops
 *
 * Channel 0 is "default": sla.notify_url and sla.notify_command, as
 * before routing. A notice goes to every channel a rule matching its kind
 * (and, with /LEVEL, its level; a warning has level 0) names; a notice no
 * rule matches goes to default. KIND is an escalation kind word or "*".
 */
#ifndef KEFU_SLA_ROUTE_H
#define KEFU_SLA_ROUTE_H

#include <stddef.h>

#define SLA_CHANNELS_MAX 16    /* default included */

typedef struct {
    char name[32];
    char format[16];
    char url[1024];
} sla_channel_def_t;

typedef struct {
    char kind[48];             /* a kind word, or "*" */
    int level;                 /* 0: any */
    int channel;               /* 0: default; i: chans[i - 1] */
} sla_route_rule_t;

/* Parses sla.channels into out[0..max). Returns how many, or KEFU_EINVAL
 * with what is wrong in what. */
int sla_channels_parse(const char *value, sla_channel_def_t *out, int max, char *what, size_t cap);
/* Parses sla.route against the channels chans[0..n_chans) (n_chans -1:
 * any name passes, channel 0). Returns how many rules, or KEFU_EINVAL
 * with what is wrong in what. */
int sla_route_parse(const char *value, const sla_channel_def_t *chans, int n_chans,
                    sla_route_rule_t *out, int max, char *what, size_t cap);

#endif
