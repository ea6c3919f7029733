/* sched_conf.c: the [sched] keys read once into sched_conf_t (sched_conf.h),
 * with the parsers that checked them (sched_keys.c). */
#include <stdio.h>
#include <string.h>

#include "kerr.h"
#include "scheduler.h"

static const char *const s_products[SCHED_PRODUCTS] = {NULL, "print", "album", "crystal", "frame"};
static const char *const s_levels[SCHED_LEVELS] = {NULL, "immediate", "half_day", "same_day",
                                                   "next_day"};

static int s_text(const kconfig_t *cfg, const char *key, char *buf, size_t cap, char *err,
                  size_t ecap)
{
    const char *v = kconfig_get(cfg, key);
    if (!v || strlen(v) >= cap) {
        snprintf(err, ecap, "%s: missing or too long", key);
        return KEFU_EINVAL;
    }
    memcpy(buf, v, strlen(v) + 1);
    return 0;
}

int sched_conf_load(sched_conf_t *c, const kconfig_t *cfg, char *err, size_t cap)
{
    memset(c, 0, sizeof *c);
    c->capacity = (uint32_t) kconfig_int(cfg, "sched.daily_capacity");
    c->quota = (uint32_t) kconfig_int(cfg, "sched.rush_quota");
    c->frequent = (uint32_t) kconfig_int(cfg, "sched.frequent_rush");
    c->reserve_pct = (uint32_t) kconfig_int(cfg, "sched.key_reserve");
    char key[64], what[200];
    int rc = 0;
    for (int l = 1; l < SCHED_LEVELS && rc == 0; l++) {
        snprintf(key, sizeof key, "sched.rush_%s", s_levels[l]);
        rc = s_text(cfg, key, c->rush_spec[l], sizeof c->rush_spec[l], err, cap);
    }
    for (int p = 1; p < SCHED_PRODUCTS && rc == 0; p++) {
        char v[256];
        snprintf(key, sizeof key, "sched.promise_%s", s_products[p]);
        rc = s_text(cfg, key, c->promise_spec[p], sizeof c->promise_spec[p], err, cap);
        snprintf(key, sizeof key, "sched.route_%s", s_products[p]);
        if (rc == 0 && (rc = s_text(cfg, key, v, sizeof v, err, cap)) == 0 &&
            (rc = sched_route_parse(v, &c->route[p], what, sizeof what)) != 0)
            snprintf(err, cap, "%s: %s", key, what);
        snprintf(key, sizeof key, "sched.work_%s", s_products[p]);
        if (rc == 0 && (rc = s_text(cfg, key, v, sizeof v, err, cap)) == 0 &&
            (rc = sched_work_parse(v, &c->work[p], what, sizeof what)) != 0)
            snprintf(err, cap, "%s: %s", key, what);
    }
    return rc;
}
