/* test_kefuctl_rows.c: kefuctl's request rows (services/kefuctl/rows.c,
 * services/NAME/NAME_rows.c) against the protobuf-c descriptors.
 *
 * For every daemon table of the registry and every request row in it:
 *   - the row's Request case is a member of Request.req whose message is
 *     the row's body, and its Reply case a member of Reply.rep, both in
 *     the table's daemon's range in the registry (common/daemons.def),
 *     which is where kefuctl sends it;
 *   - every mapped field path resolves in the body, to a field whose type
 *     the entry's kind accepts (kctl_arg_kind()): an enum word the enum
 *     has, a flag without value on a bool or an enum word, an actor on a
 *     string, a number's range within its type;
 *   - no flag is mapped twice, no operand name twice, and an entry
 *     without field is the actor or read by the row's hook (as is one
 *     marked KCTL_ARG_HOOK, whose field must resolve all the same);
 *   - every daemon of the registry has a table (the log's is the site's
 *     own, commands.c), and every Request case in its range (the shared
 *     status, sync and stop aside) exactly one row, or a place in its
 *     no_row (and then none).
 * Then command lines through the rows (no daemon: a site directory with
 * no sockets, so a well-formed line ends in exit 3, unreachable, and a
 * bad one in exit 2 before anything is sent), and refusals worded by
 * field given back by flag (kctl_row_rewrite()).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "intake.pb-c.h"
#include "kefuctl.h"
#include "registry.h"

#define KEFU_DAEMON(name, ...) &kctl_rows_##name,
static const kctl_rows_t *const s_tables[] = {
#include "daemons.def"
    NULL};
#undef KEFU_DAEMON

static size_t s_map_len(const kctl_arg_t *map)
{
    size_t n = 0;
    while (map && (map[n].flag || map[n].meta || map[n].field))
        n++;
    return n;
}

/* The oneof member of d numbered c (Request.req, Reply.rep: each message
 * has that one oneof; protobuf-c 1.4 keeps no oneof descriptors, only
 * the member flag), or NULL. */
static const ProtobufCFieldDescriptor *s_member(const ProtobufCMessageDescriptor *d, uint32_t c)
{
    const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field(d, c);
    if (!f || !(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) || f->type != PROTOBUF_C_TYPE_MESSAGE)
        return NULL;
    return f;
}

static void s_check_row(const kctl_rows_t *t, const kctl_cmd_t *c)
{
    const char *verb = c->verb ? c->verb : "";
    const ProtobufCFieldDescriptor *rf = s_member(&kefu__request__descriptor, c->req);
    if (!rf || rf->descriptor != c->body)
        fail_msg("%s %s: Request case %u is not a member of Request.req carrying %s", c->group,
                 verb, c->req, c->body->name);
    const registry_daemon_t *d = registry_for_request((int) c->req);
    if (!d || strcmp(d->name, t->daemon) != 0 || registry_request_shared((int) c->req))
        fail_msg("%s %s: Request case %u is %s's in the registry, not %s's", c->group, verb,
                 c->req, d ? d->name : "no daemon", t->daemon);
    if (!s_member(&kefu__reply__descriptor, c->rep))
        fail_msg("%s %s: Reply case %u is not a member of Reply.rep", c->group, verb, c->rep);
    d = registry_for_reply((int) c->rep);
    if (!d || strcmp(d->name, t->daemon) != 0)
        fail_msg("%s %s: Reply case %u is %s's in the registry, not %s's", c->group, verb,
                 c->rep, d ? d->name : "no daemon", t->daemon);
    size_t n = s_map_len(c->map);
    if (n > KCTL_MAX_ARGS)
        fail_msg("%s %s: %zu entries, at most %d", c->group, verb, n, KCTL_MAX_ARGS);
    int actors = 0;
    for (size_t i = 0; i < n; i++) {
        const kctl_arg_t *a = &c->map[i];
        const char *name = a->flag ? a->flag : a->meta;
        if (!a->flag && !a->meta)
            fail_msg("%s %s: entry %zu is neither a flag nor an operand", c->group, verb, i);
        if (!a->flag && !a->field)
            fail_msg("%s %s: operand %s fills no field", c->group, verb, a->meta);
        if ((a->flags & KCTL_ARG_REQUIRED) && (!a->flag || !a->meta))
            fail_msg("%s %s: %s: only a flag with a value is required (operands always are)",
                     c->group, verb, name);
        actors += (a->flags & KCTL_ARG_ACTOR) != 0;
        if (a->field) {
            const ProtobufCFieldDescriptor *f = kctl_field_lookup(c->body, a->field);
            if (!f)
                fail_msg("%s %s: %s: no field '%s' in %s", c->group, verb, name, a->field,
                         c->body->name);
            if ((a->flags & KCTL_ARG_HOOK) && !c->hook)
                fail_msg("%s %s: --%s is for the row's hook, and the row has none", c->group,
                         verb, name);
            if (!(a->flags & KCTL_ARG_HOOK) && kctl_arg_kind(a, f) == KCTL_KIND_NONE)
                fail_msg("%s %s: %s: field '%s' (type %d) does not take this kind of value",
                         c->group, verb, name, a->field, (int) f->type);
        } else if (!(a->flags & KCTL_ARG_ACTOR) && !c->hook) {
            fail_msg("%s %s: --%s fills no field and the row has no hook to read it",
                     c->group, verb, name);
        }
        for (size_t k = 0; k < i; k++) {
            const kctl_arg_t *b = &c->map[k];
            if (a->flag && b->flag && strcmp(a->flag, b->flag) == 0)
                fail_msg("%s %s: --%s is mapped twice", c->group, verb, a->flag);
            if (!a->flag && !b->flag && strcmp(a->meta, b->meta) == 0)
                fail_msg("%s %s: operand %s is mapped twice", c->group, verb, a->meta);
        }
    }
    if (actors > 1)
        fail_msg("%s %s: %d entries fill Request.actor", c->group, verb, actors);
}

/* Whether request case c is in the no_row list of one of the n tables. */
static bool s_no_row(const kctl_rows_t *const *tables, size_t n, const char *daemon, uint32_t c)
{
    for (size_t i = 0; i < n; i++)
        if (tables[i]->daemon && strcmp(tables[i]->daemon, daemon) == 0)
            for (const uint32_t *p = tables[i]->no_row; p && *p; p++)
                if (*p == c)
                    return true;
    return false;
}

static void test_rows_match_descriptors(void **state)
{
    (void) state;
    size_t rows = 0;
    for (const kctl_rows_t *const *t = s_tables; *t; t++) {
        assert_non_null((*t)->daemon);
        for (const kctl_cmd_t *c = (*t)->cmds; c->group; c++) {
            if (c->run)
                continue;  /* a command of its own: not a request row */
            assert_non_null(c->body);
            s_check_row(*t, c);
            rows++;
        }
    }
    /* intake's 32 requests (32..63), sched's 15 (64..78), sla's 3 (and its
     * watchers' own 4, no command line), net's 3 (192..194) */
    assert_int_equal(rows, 32 + 15 + 3 + 3);
}

/* Every daemon of the registry has its table, and each request of its
 * range (status, sync and stop aside: every daemon's) exactly one row or
 * a place in no_row, not both. */
static void test_every_request_has_a_row(void **state)
{
    (void) state;
    const kctl_cmd_t *cmds[KCTL_MAX_CMDS];
    const kctl_rows_t *of[KCTL_MAX_CMDS], *tables[KCTL_MAX_CMDS];
    size_t n = kctl_cmd_all(cmds, of, KCTL_MAX_CMDS), ntables = 0;
    for (size_t i = 0; i < n; i++)
        if (ntables == 0 || tables[ntables - 1] != of[i])
            tables[ntables++] = of[i];
    const ProtobufCMessageDescriptor *d = &kefu__request__descriptor;
    for (const registry_daemon_t *r = registry_daemons; r->name; r++) {
        bool has_table = false;
        for (size_t i = 0; i < ntables; i++)
            has_table |= tables[i]->daemon && strcmp(tables[i]->daemon, r->name) == 0;
        if (!has_table)
            fail_msg("daemon %s has no kefuctl rows (services/%s/%s_rows.c)",
                     r->name, r->name, r->name);
        for (unsigned i = 0; i < d->n_fields; i++) {
            const ProtobufCFieldDescriptor *f = &d->fields[i];
            if (!s_member(d, f->id) || registry_for_request((int) f->id) != r
                || registry_request_shared((int) f->id))
                continue;
            int rows = 0;
            for (size_t k = 0; k < n; k++)
                rows += !cmds[k]->run && cmds[k]->req == f->id;
            bool marked = s_no_row(tables, ntables, r->name, f->id);
            if (marked ? rows != 0 : rows != 1)
                fail_msg("%s: request %s (%u) has %d rows%s", r->name, f->name, f->id, rows,
                         marked ? " but is listed in no_row" : ", want 1");
        }
    }
}

static void test_command_words_unique(void **state)
{
    (void) state;
    const kctl_cmd_t *cmds[KCTL_MAX_CMDS];
    size_t n = kctl_cmd_all(cmds, NULL, KCTL_MAX_CMDS);
    assert_true(n < KCTL_MAX_CMDS);
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < i; k++)
            if (strcmp(cmds[i]->group, cmds[k]->group) == 0
                && (cmds[i]->verb ? cmds[k]->verb && strcmp(cmds[i]->verb, cmds[k]->verb) == 0
                                  : !cmds[k]->verb))
                fail_msg("two rows for '%s %s'", cmds[i]->group,
                         cmds[i]->verb ? cmds[i]->verb : "");
}

/* ---- command lines through the rows ----------------------------------------- */

static const kctl_cmd_t *s_find(const char *group, const char *verb, const kctl_rows_t **rows)
{
    const kctl_cmd_t *cmds[KCTL_MAX_CMDS];
    const kctl_rows_t *tables[KCTL_MAX_CMDS];
    size_t n = kctl_cmd_all(cmds, tables, KCTL_MAX_CMDS);
    for (size_t i = 0; i < n; i++)
        if (strcmp(cmds[i]->group, group) == 0
            && (verb ? cmds[i]->verb && strcmp(cmds[i]->verb, verb) == 0 : !cmds[i]->verb)) {
            *rows = tables[i];
            return cmds[i];
        }
    fail_msg("no row for '%s %s'", group, verb ? verb : "");
    return NULL;
}

/* Runs `kefuctl GROUP VERB ARGS...` (argv[0] the last word, as main()
 * passes it) on a site directory with no daemon; returns the exit status. */
static int s_run(const char *group, const char *verb, int argc, char **argv)
{
    static kctl_t ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.dir_opt = "/nonexistent/kefu-test-site";
    ctx.timeout_ms = 100;
    const kctl_rows_t *rows = NULL;
    ctx.cmd = s_find(group, verb, &rows);
    ctx.rows = rows;
    optind = 0;
    return kctl_row_run(&ctx, rows, ctx.cmd, argc, argv);
}
#define S_RUN(group, verb, ...)                                                     \
    s_run((group), (verb), (int) (sizeof((char *[]){__VA_ARGS__}) / sizeof(char *)), \
          (char *[]){__VA_ARGS__, NULL})

static void test_lines(void **state)
{
    (void) state;
    /* well-formed: every value types, and only the site is missing */
    assert_int_equal(S_RUN("complaint", "open", "open", "--customer", "K-1", "--kind", "colour",
                           "--complexity", "simple", "--by", "li", "--query"),
                     KCTL_EXIT_UNREACHABLE);
    assert_int_equal(S_RUN("order", "add", "add", "--customer", "K-1", "--product", "album",
                           "--qty", "2", "--batches", "2"),
                     KCTL_EXIT_UNREACHABLE);
    assert_int_equal(S_RUN("complaint", "reply", "reply", "C-1", "--by", "li", "--commit", "2h"),
                     KCTL_EXIT_UNREACHABLE);
    assert_int_equal(S_RUN("complaints", NULL, "complaints", "--from",
                           "2026-11-23T00:00:00+08:00", "--queries", "--limit", "5"),
                     KCTL_EXIT_UNREACHABLE);
    assert_int_equal(S_RUN("complaints", "analysis", "analysis", "--week", "2026-11-23"),
                     KCTL_EXIT_UNREACHABLE);
    assert_int_equal(S_RUN("aftersales", "step", "step", "A-1", "refunded", "--by", "li",
                           "--method", "alipay"),
                     KCTL_EXIT_UNREACHABLE);
    /* a callback promised by a time of the site's day, or by an instant;
     * the callback itself, its customer the one called back */
    assert_int_equal(S_RUN("consult", NULL, "consult", "--customer", "K-1", "--by", "li",
                           "--question", "q", "--callback-by", "15:00"),
                     KCTL_EXIT_UNREACHABLE);
    assert_int_equal(S_RUN("consult", NULL, "consult", "--prospect", "Zhou", "--by", "li",
                           "--question", "q", "--refer", "production", "--callback-by",
                           "2026-11-26T15:00:00+08:00"),
                     KCTL_EXIT_UNREACHABLE);
    assert_int_equal(S_RUN("consult", NULL, "consult", "--calls-back", "Q-1", "--by", "li",
                           "--question", "q", "--answer", "a"),
                     KCTL_EXIT_UNREACHABLE);
    /* bad: caught before anything is sent */
    assert_int_equal(S_RUN("consult", NULL, "consult", "--customer", "K-1", "--by", "li",
                           "--question", "q", "--callback-by", "3pm"),
                     KCTL_EXIT_USAGE);
    assert_int_equal(S_RUN("consult", NULL, "consult", "--customer", "K-1", "--by", "li",
                           "--question", "q", "--callback-by", "24:00"),
                     KCTL_EXIT_USAGE);
    assert_int_equal(S_RUN("consult", NULL, "consult", "--by", "li", "--question", "q",
                           "--answer", "a"),
                     KCTL_EXIT_USAGE);
    assert_int_equal(S_RUN("consult", NULL, "consult", "--customer", "K-1", "--by", "li",
                           "--question", "q"),
                     KCTL_EXIT_USAGE);
    assert_int_equal(S_RUN("complaint", "open", "open", "--customer", "K-1", "--kind", "red",
                           "--complexity", "simple", "--by", "li"),
                     KCTL_EXIT_USAGE);
    assert_int_equal(S_RUN("order", "add", "add", "--customer", "K-1", "--product", "album",
                           "--qty", "0"),
                     KCTL_EXIT_USAGE);
    assert_int_equal(S_RUN("complaint", "followup", "followup", "C-1", "--by", "li",
                           "--satisfaction", "6"),
                     KCTL_EXIT_USAGE);
    assert_int_equal(S_RUN("complaint", "reply", "reply", "C-1", "--by", "li", "--commit", "0s"),
                     KCTL_EXIT_USAGE);
    assert_int_equal(S_RUN("complaints", NULL, "complaints", "--queries", "--complaints"),
                     KCTL_EXIT_USAGE);
    assert_int_equal(S_RUN("complaints", NULL, "complaints", "--from", "2026-11-23"),
                     KCTL_EXIT_USAGE);
    assert_int_equal(S_RUN("aftersales", "step", "step", "A-1", "open", "--by", "li"),
                     KCTL_EXIT_USAGE);
    assert_int_equal(S_RUN("aftersales", "step", "step", "A-1", "received", "--by", "li",
                           "--method", "bank"),
                     KCTL_EXIT_USAGE);
    assert_int_equal(S_RUN("customer", "update", "update", "K-1"), KCTL_EXIT_USAGE);
    assert_int_equal(S_RUN("complaints", "analysis", "analysis"), KCTL_EXIT_USAGE);
}

/* ---- refusals by field, given back by flag --------------------------------- */

static void s_assert_rewrite(const char *group, const char *verb, const char *msg,
                             const char *want)
{
    const kctl_rows_t *rows;
    const kctl_cmd_t *c = s_find(group, verb, &rows);
    char buf[256];
    assert_string_equal(kctl_row_rewrite(c, msg, buf, sizeof buf), want);
}

static void test_rewrite(void **state)
{
    (void) state;
    s_assert_rewrite("complaint", "open", "kind: one of colour, damage, missing",
                     "--kind: one of colour, damage, missing");
    s_assert_rewrite("complaint", "open", "by: needed: who acts", "--by: needed: who acts");
    s_assert_rewrite("complaint", "open", "actor: at most 64 bytes", "--by: at most 64 bytes");
    s_assert_rewrite("customer", "add", "request.actor: 100 bytes, over the limit of 64",
                     "--by: 100 bytes, over the limit of 64");
    s_assert_rewrite("complaint", "open", "request.case_open.text: not UTF-8",
                     "--text: not UTF-8");
    s_assert_rewrite("order", "add", "order.qty: 1 to 1000000", "--qty: 1 to 1000000");
    s_assert_rewrite("order", "add", "order.customer: needed", "--customer: needed");
    s_assert_rewrite("customer", "add", "customer.payment_terms: too long",
                     "--terms: too long");
    s_assert_rewrite("customer", "add", "customer.id: taken", "ID: taken");
    s_assert_rewrite("complaint", "reply", "commit_us: at most 366d", "--commit: at most 366d");
    s_assert_rewrite("consult", NULL, "calls_back: consultation Q-9 does not exist",
                     "--calls-back: consultation Q-9 does not exist");
    /* a flag its hook reads, by the field it lands in */
    s_assert_rewrite("consult", NULL, "callback_by: a callback is promised from now",
                     "--callback-by: a callback is promised from now");
    s_assert_rewrite("complaint", "reply", "commit_until: from now to a year ahead",
                     "--commit-until: from now to a year ahead");
    s_assert_rewrite("aftersales", "step", "state: refunded needs a method",
                     "STATE: refunded needs a method");
    /* not a field of the row: the daemon's words as they are */
    s_assert_rewrite("complaint", "reply", "case C-1 is resolved; a reply needs an open case",
                     "case C-1 is resolved; a reply needs an open case");
    s_assert_rewrite("complaint", "reply", "customer: not this row's", "customer: not this row's");
    s_assert_rewrite("order", "add", "qty: the path is order.qty", "qty: the path is order.qty");
    s_assert_rewrite("complaint", "open", "request.case_reply.kind: another request's",
                     "request.case_reply.kind: another request's");
    const kctl_rows_t *rows;
    const kctl_cmd_t *status = s_find("status", NULL, &rows);
    char buf[64];
    assert_string_equal(kctl_row_rewrite(status, "kind: x", buf, sizeof buf), "kind: x");
}

/* --week: the ISO week of a date, or by number; [Monday 00:00, +7 days)
 * at the site's offset. Worked by hand: 2026-11-25 is a Wednesday, its
 * Monday 2026-11-23; ISO week 48 of 2026 is that week (2026-01-01 is a
 * Thursday, so week 1 starts Monday 2025-12-29, and 47 weeks later is
 * 2026-11-23); 2026 has 53 weeks (it starts on a Thursday), 2025 has 52. */
static void test_week(void **state)
{
    (void) state;
    int64_t from, to;
    const int64_t mon = 1795392000LL * 1000000;   /* 2026-11-23T00:00:00Z */
    assert_int_equal(kctl_parse_week("2026-11-25", 0, &from, &to), 0);
    assert_true(from == mon && to == mon + 7 * 86400LL * 1000000);
    assert_int_equal(kctl_parse_week("2026-11-23", 480, &from, &to), 0);   /* +08:00 */
    assert_true(from == mon - 8 * 3600LL * 1000000);
    assert_int_equal(kctl_parse_week("2026-11-29", 0, &from, &to), 0);     /* a Sunday */
    assert_true(from == mon);
    assert_int_equal(kctl_parse_week("2026-W48", 0, &from, &to), 0);
    assert_true(from == mon);
    assert_int_equal(kctl_parse_week("2026-W01", 0, &from, &to), 0);
    assert_true(from == mon - 47 * 7 * 86400LL * 1000000);
    assert_int_equal(kctl_parse_week("2026-W53", 0, &from, &to), 0);
    assert_int_equal(kctl_parse_week("2025-W53", 0, &from, &to), -1);
    assert_int_equal(kctl_parse_week("2026-W00", 0, &from, &to), -1);
    assert_int_equal(kctl_parse_week("2026-W4x", 0, &from, &to), -1);
    assert_int_equal(kctl_parse_week("2026-02-30", 0, &from, &to), -1);
    assert_int_equal(kctl_parse_week("26-11-25", 0, &from, &to), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows_match_descriptors),
        cmocka_unit_test(test_every_request_has_a_row),
        cmocka_unit_test(test_command_words_unique),
        cmocka_unit_test(test_lines),
        cmocka_unit_test(test_rewrite),
        cmocka_unit_test(test_week),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
