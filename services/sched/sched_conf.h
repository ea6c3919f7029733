/* sched_conf.h: sched's configuration, read once at start.
 *
 * The keys and the grammar of their values are sched_keys.c's (built into
 * libkefu, so `kefu up` checks them); sched_conf_load reads them through
 * the same parsers into plain numbers and tables, so no command parses
 * configuration again.
 */
#ifndef KEFU_SCHED_CONF_H
#define KEFU_SCHED_CONF_H

#include <stddef.h>
#include <stdint.h>

#include "kconfig.h"

#define SCHED_STAGES 7      /* Kefu__Stage values: 1 received .. 6 done */
#define SCHED_PRODUCTS 5    /* Kefu__Product values: 1 print .. 4 frame */
#define SCHED_LEVELS 5      /* Kefu__RushLevel values: 1 immediate .. 4 next-day */
#define SCHED_STAGE_DONE 6

/* A product's stages in order (sched.route_PRODUCT). */
typedef struct {
    int stage[SCHED_STAGES];
    size_t n;
} sched_route_t;
/* Standard time per stage for one order (sched.work_PRODUCT), by stage. */
typedef struct {
    int64_t us[SCHED_STAGES];
} sched_work_t;

/* A stage word ("qc", n bytes of w) as its Kefu__Stage value, or 0. */
int sched_stage_word(const char *w, size_t n);
/* The word of a stage value ("none" for 0 or out of range). */
const char *sched_stage_name(int stage);
/* Parse a route or work value; 0, or KEFU_EINVAL with what is wrong in
 * what. */
int sched_route_parse(const char *value, sched_route_t *route, char *what, size_t cap);
int sched_work_parse(const char *value, sched_work_t *work, char *what, size_t cap);

typedef struct {
    uint32_t capacity;       /* sched.daily_capacity, pieces a day */
    uint32_t quota;          /* sched.rush_quota */
    uint32_t frequent;       /* sched.frequent_rush; 0: nobody is frequent */
    uint32_t reserve_pct;    /* sched.key_reserve */
    char rush_spec[SCHED_LEVELS][64];        /* by level: a deadline spec */
    char promise_spec[SCHED_PRODUCTS][64];   /* by product */
    sched_route_t route[SCHED_PRODUCTS];
    sched_work_t work[SCHED_PRODUCTS];
} sched_conf_t;

/* Reads every [sched] key of cfg. Returns 0, or KEFU_EINVAL with err set
 * (a config kconfig did not check). */
int sched_conf_load(sched_conf_t *c, const kconfig_t *cfg, char *err, size_t cap);

#endif
