/* commands.c: kefuctl's command table: the site's own commands and, for
 * each daemon of the registry (daemons.def), that daemon's rows
 * (services/NAME/NAME_rows.c; evlog's are the site's, here).
 *
 * Help lists the rows in this order: status, sync, clock, log, then each
 * daemon's, then help. main.c takes the first row whose words match a
 * command line, so in a daemon's table a two-word row comes before a
 * one-word row of the same group ("complaints analysis" before
 * "complaints").
 */
#include "kefuctl.h"

/* The commands that are not one daemon request: their own handlers. */
static const kctl_cmd_t s_site_cmds[] = {
    {"status", NULL, "",
     "each daemon's health, the log head, applied positions",
     "A daemon that does not answer is listed with ok false; the command\n"
     "fails (exit 3) only when no daemon answers at all.",
     .run = kctl_cmd_status},
    {"sync", NULL, "",
     "wait until every daemon has applied the log up to now",
     "Reads the log head, then waits (up to --timeout per daemon) until each\n"
     "daemon has applied the log up to it.",
     .run = kctl_cmd_sync},
    {"clock", "advance", "DUR",
     "move a simulated clock (refused on a wall clock)",
     "DUR is like 90s, 30m, 2h, 3d or 1h30m. Only a site started with\n"
     "`kefu up --sim-clock` has a clock to move; a wall clock refuses\n"
     "(conflict, exit 1).",
     .run = kctl_cmd_clock_advance},
    {"log", "tail", "[--from SEQ] [--follow]",
     "events in log order, one JSON object per line",
     "  --from SEQ   the first event to print (default 1)\n"
     "  --follow     keep printing new events until interrupted\n"
     "Each line is {\"seq\",\"type\",\"at\",\"producer\",\"producer_seq\",\"data\"};\n"
     "type is the event's name and data its fields.",
     .run = kctl_cmd_log_tail},
    {0},
};

static const kctl_cmd_t s_help_cmds[] = {
    {"help", NULL, "[COMMAND]", "this help, or a command's", NULL, .run = kctl_cmd_help},
    {0},
};

/* The log daemon's one request of its own, clock advance, is a handler
 * (cmd_clock.c) rather than a request row: its words predate the rows. */
static const uint32_t s_evlog_no_row[] = {KEFU__REQUEST__REQ_CLOCK_ADVANCE, 0};
/* The log daemon's rows are the site's own commands. */
const kctl_rows_t kctl_rows_evlog = {.daemon = "evlog", .no_row = s_evlog_no_row,
                                     .cmds = s_site_cmds};
static const kctl_rows_t s_help = {.cmds = s_help_cmds};

#define KEFU_DAEMON(name, ...) &kctl_rows_##name,
static const kctl_rows_t *const s_tables[] = {
#include "daemons.def"
    &s_help, NULL};
#undef KEFU_DAEMON

size_t kctl_cmd_all(const kctl_cmd_t **cmds, const kctl_rows_t **rows, size_t cap)
{
    size_t n = 0;
    for (const kctl_rows_t *const *t = s_tables; *t; t++)
        for (const kctl_cmd_t *c = (*t)->cmds; c->group && n < cap; c++, n++) {
            cmds[n] = c;
            if (rows)
                rows[n] = *t;
        }
    return n;
}
