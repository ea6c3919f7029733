/* test_intake.c: the intake daemon, started for real, driven over its
 * control socket as kefuctl would.
 *
 * Covers every case state transition and every refusal (unknown customer
 * or order, bad enum, empty owner, over-long text, bad UTF-8, a reply on a
 * closed case, ...): each refused with its typed error and a message, and
 * nothing written (the log's head does not move). Then idempotency by
 * request id, also across a kill -9 and restart of intake, and the
 * rebuild: intake's store deleted and rebuilt from the log gives the same
 * dump. The site runs on a simulated clock (kefu up --sim-clock), so
 * times and deadlines are exact.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <czmq.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctlclient.h"
#include "kerr.h"
#include "ktime.h"
#include "pbjson.h"
#include "store.h"

static char s_dir[64];
static char s_bin[512];
static ctlclient_t *s_intake, *s_evlog, *s_sched;
static int64_t s_t0;   /* the simulated start: 2026-11-23T09:00:00+08:00 */

static int s_sh(const char *fmt, ...)
{
    char cmd[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    return system(cmd);
}

static Kefu__Reply *s_call(ctlclient_t *c, Kefu__Request *req)
{
    Kefu__Reply *rep = NULL;
    int rc = ctlclient_call(c, req, &rep, 10000);
    return rc == 0 ? rep : NULL;
}

/* The log's head, from the log daemon's status. */
static uint64_t s_head_now(void)
{
    Kefu__Request req = KEFU__REQUEST__INIT;
    Kefu__StatusRequest st = KEFU__STATUS_REQUEST__INIT;
    req.req_case = KEFU__REQUEST__REQ_STATUS;
    req.status = &st;
    Kefu__Reply *rep = s_call(s_evlog, &req);
    assert_non_null(rep);
    uint64_t head = rep->status->head;
    kefu__reply__free_unpacked(rep, NULL);
    return head;
}

/* The head once it stands still: the other daemons (sched's reactions,
 * the SLA watchers' warnings and escalations) write after intake's events,
 * and only then, so a head that stays 50 ms is the site at rest. */
static uint64_t s_head(void)
{
    uint64_t h = s_head_now();
    for (int i = 0; i < 100; i++) {
        usleep(50000);
        uint64_t again = s_head_now();
        if (again == h)
            return h;
        h = again;
    }
    fail_msg("the log's head never stood still");
    return h;
}

/* sched answers a case resolved as rework or reissue on an order with
 * an event of its own (kservice_react), after intake's: waits until it is
 * made (the rework entry or the lab-caused rush naming the case), so the
 * log's head is still again. */
static void s_wait_sched_reaction(const char *case_id, bool rework)
{
    for (int tries = 0; tries < 500; tries++) {
        Kefu__Request req = KEFU__REQUEST__INIT;
        Kefu__ReworkList rl = KEFU__REWORK_LIST__INIT;
        Kefu__RushList ul = KEFU__RUSH_LIST__INIT;
        if (rework) {
            req.req_case = KEFU__REQUEST__REQ_REWORK_LIST;
            req.rework_list = &rl;
        } else {
            req.req_case = KEFU__REQUEST__REQ_RUSH_LIST;
            req.rush_list = &ul;
        }
        Kefu__Reply *rep = s_call(s_sched, &req);
        bool found = false;
        if (rep && rework && rep->reworks)
            for (size_t i = 0; i < rep->reworks->n_items; i++)
                found |= rep->reworks->items[i]->case_ && strcmp(rep->reworks->items[i]->case_, case_id) == 0;
        if (rep && !rework && rep->rush_items)
            for (size_t i = 0; i < rep->rush_items->n_items; i++)
                found |= rep->rush_items->items[i]->case_ && strcmp(rep->rush_items->items[i]->case_, case_id) == 0;
        if (rep)
            kefu__reply__free_unpacked(rep, NULL);
        if (found)
            return;
        usleep(10000);
    }
    fail_msg("sched made nothing of case %s's resolution", case_id);
}

static void s_wait_ready(const char *name)
{
    char ep[256];
    snprintf(ep, sizeof ep, "ipc://%s/run/%s.ctl", s_dir, name);
    ctlclient_t *c = ctlclient_new(ep);
    Kefu__Request req = KEFU__REQUEST__INIT;
    Kefu__StatusRequest st = KEFU__STATUS_REQUEST__INIT;
    req.req_case = KEFU__REQUEST__REQ_STATUS;
    req.status = &st;
    for (int i = 0; i < 100; i++) {
        Kefu__Reply *rep = NULL;
        if (ctlclient_call(c, &req, &rep, 200) == 0) {
            kefu__reply__free_unpacked(rep, NULL);
            break;
        }
    }
    ctlclient_destroy(&c);
}

static int s_setup(void **state)
{
    (void) state;
    snprintf(s_dir, sizeof s_dir, "/tmp/kefu-intake.XXXXXX");
    assert_non_null(mkdtemp(s_dir));
    const char *build = getenv("BUILD") ? getenv("BUILD") : "build";
    snprintf(s_bin, sizeof s_bin, "%s/bin", build);
    assert_int_equal(ktime_parse_rfc3339("2026-11-23T09:00:00+08:00", &s_t0), 0);
    assert_int_equal(s_sh("%s/kefu up --dir %s --detach --sim-clock 2026-11-23T09:00:00+08:00 "
                          "--set evlog.segment_mb=4", s_bin, s_dir), 0);
    char ep[256];
    snprintf(ep, sizeof ep, "ipc://%s/run/intake.ctl", s_dir);
    s_intake = ctlclient_new(ep);
    snprintf(ep, sizeof ep, "ipc://%s/run/evlog.ctl", s_dir);
    s_evlog = ctlclient_new(ep);
    snprintf(ep, sizeof ep, "ipc://%s/run/sched.ctl", s_dir);
    s_sched = ctlclient_new(ep);
    return 0;
}

static int s_teardown(void **state)
{
    (void) state;
    ctlclient_destroy(&s_intake);
    ctlclient_destroy(&s_evlog);
    ctlclient_destroy(&s_sched);
    s_sh("%s/kefu down --dir %s >/dev/null 2>&1", s_bin, s_dir);
    s_sh("rm -rf %s", s_dir);
    return 0;
}

/* ---- requests ------------------------------------------------------------------- */

static Kefu__Reply *s_customer_add(const char *id, const char *name, Kefu__Tier tier, const char *rid)
{
    Kefu__Request req = KEFU__REQUEST__INIT;
    Kefu__CustomerAdd ca = KEFU__CUSTOMER_ADD__INIT;
    Kefu__Customer c = KEFU__CUSTOMER__INIT;
    c.id = (char *) id;
    c.name = (char *) name;
    c.has_tier = tier != 0;
    c.tier = tier;
    ca.customer = &c;
    req.request_id = (char *) rid;
    req.req_case = KEFU__REQUEST__REQ_CUSTOMER_ADD;
    req.customer_add = &ca;
    return s_call(s_intake, &req);
}

static Kefu__Reply *s_order_add(const char *id, const char *customer, Kefu__Product p, uint32_t qty)
{
    Kefu__Request req = KEFU__REQUEST__INIT;
    Kefu__OrderAdd oa = KEFU__ORDER_ADD__INIT;
    Kefu__Order o = KEFU__ORDER__INIT;
    o.id = (char *) id;
    o.customer = (char *) customer;
    o.has_product = p != 0;
    o.product = p;
    o.has_qty = true;
    o.qty = qty;
    oa.order = &o;
    req.req_case = KEFU__REQUEST__REQ_ORDER_ADD;
    req.order_add = &oa;
    return s_call(s_intake, &req);
}

static Kefu__Reply *s_open(const char *customer, const char *order, int kind, int complexity,
                           const char *by, const char *text, const char *rid)
{
    Kefu__Request req = KEFU__REQUEST__INIT;
    Kefu__CaseOpen co = KEFU__CASE_OPEN__INIT;
    co.customer = (char *) customer;
    co.order = (char *) order;
    co.has_kind = kind != 0;
    co.kind = kind;
    co.has_complexity = complexity != 0;
    co.complexity = complexity;
    co.by = (char *) by;
    co.text = (char *) text;
    req.request_id = (char *) rid;
    req.req_case = KEFU__REQUEST__REQ_CASE_OPEN;
    req.case_open = &co;
    return s_call(s_intake, &req);
}

static Kefu__Reply *s_reply(const char *id, const char *by, int64_t commit_us, const char *rid)
{
    Kefu__Request req = KEFU__REQUEST__INIT;
    Kefu__CaseReply cr = KEFU__CASE_REPLY__INIT;
    cr.id = (char *) id;
    cr.by = (char *) by;
    cr.text = "we are checking";
    cr.has_commit_us = commit_us != 0;
    cr.commit_us = commit_us;
    req.request_id = (char *) rid;
    req.req_case = KEFU__REQUEST__REQ_CASE_REPLY;
    req.case_reply = &cr;
    return s_call(s_intake, &req);
}

static Kefu__Reply *s_resolve(const char *id, const char *by, int outcome)
{
    Kefu__Request req = KEFU__REQUEST__INIT;
    Kefu__CaseResolve r = KEFU__CASE_RESOLVE__INIT;
    r.id = (char *) id;
    r.by = (char *) by;
    r.has_outcome = outcome != 0;
    r.outcome = outcome;
    req.req_case = KEFU__REQUEST__REQ_CASE_RESOLVE;
    req.case_resolve = &r;
    return s_call(s_intake, &req);
}

static Kefu__Reply *s_followup(const char *id, const char *by, uint32_t sat)
{
    Kefu__Request req = KEFU__REQUEST__INIT;
    Kefu__CaseFollowup f = KEFU__CASE_FOLLOWUP__INIT;
    f.id = (char *) id;
    f.by = (char *) by;
    f.has_satisfaction = true;
    f.satisfaction = sat;
    req.req_case = KEFU__REQUEST__REQ_CASE_FOLLOWUP;
    req.case_followup = &f;
    return s_call(s_intake, &req);
}

static void s_ok(Kefu__Reply *rep)
{
    assert_non_null(rep);
    if (rep->error)
        fail_msg("refused: %s", rep->error->message);
}

/* Expects a refusal with code, a message containing `words`, and no
 * change to the log. */
static void s_refused(Kefu__Reply *rep, Kefu__ErrorCode code, const char *words, uint64_t head)
{
    assert_non_null(rep);
    assert_non_null(rep->error);
    if (rep->error->code != code || !strstr(rep->error->message, words))
        fail_msg("expected %d '%s', got %d '%s'", code, words, rep->error->code,
                 rep->error->message ? rep->error->message : "");
    kefu__reply__free_unpacked(rep, NULL);
    assert_int_equal(s_head(), head);
}

/* ---- tests ------------------------------------------------------------------------ */

static void test_customers_and_orders(void **state)
{
    (void) state;
    Kefu__Reply *rep = s_customer_add("K-1", "Golden Studio", KEFU__TIER__TIER_KEY, NULL);
    s_ok(rep);
    assert_string_equal(rep->customer->id, "K-1");
    assert_int_equal(rep->customer->tier, KEFU__TIER__TIER_KEY);
    assert_int_equal(rep->customer->registered_at, s_t0);
    kefu__reply__free_unpacked(rep, NULL);
    s_ok(rep = s_customer_add("G-7", "Corner Shop", KEFU__TIER__TIER_GENERAL, NULL));
    kefu__reply__free_unpacked(rep, NULL);

    uint64_t head = s_head();
    s_refused(s_customer_add("K-1", "Again", KEFU__TIER__TIER_KEY, NULL), KEFU__ERROR_CODE__ERR_EXISTS,
              "exists already", head);
    s_refused(s_customer_add("K-2", "", KEFU__TIER__TIER_KEY, NULL), KEFU__ERROR_CODE__ERR_INVALID,
              "customer.name: the shop's name is required", head);
    s_refused(s_customer_add("K-2", "No Tier", 0, NULL), KEFU__ERROR_CODE__ERR_INVALID,
              "customer.tier: the customer's tier: one of key, special, general", head);
    s_refused(s_customer_add("K-2", "Bad enum", (Kefu__Tier) 9, NULL), KEFU__ERROR_CODE__ERR_INVALID,
              "not a value of Tier", head);
    s_refused(s_customer_add("K-2", "Bad \xff\xfe UTF-8", KEFU__TIER__TIER_KEY, NULL),
              KEFU__ERROR_CODE__ERR_INVALID, "UTF-8", head);
    char longid[100];
    memset(longid, 'x', 99);
    longid[99] = '\0';
    s_refused(s_customer_add(longid, "Long id", KEFU__TIER__TIER_KEY, NULL),
              KEFU__ERROR_CODE__ERR_TOO_LARGE, "over the limit", head);

    rep = s_order_add("O-100", "K-1", KEFU__PRODUCT__PRODUCT_ALBUM, 2);
    s_ok(rep);
    assert_string_equal(rep->order->id, "O-100");
    assert_int_equal(rep->order->uploaded_at, s_t0);
    assert_int_equal(rep->order->batches, 1);
    kefu__reply__free_unpacked(rep, NULL);
    rep = s_order_add(NULL, "G-7", KEFU__PRODUCT__PRODUCT_PRINT, 40);
    s_ok(rep);
    /* generated: after the highest order number seen (O-100 was chosen by hand) */
    assert_string_equal(rep->order->id, "O-101");
    kefu__reply__free_unpacked(rep, NULL);

    head = s_head();
    s_refused(s_order_add(NULL, "NOPE", KEFU__PRODUCT__PRODUCT_PRINT, 1), KEFU__ERROR_CODE__ERR_NOT_FOUND,
              "customer NOPE does not exist", head);
    s_refused(s_order_add("O-100", "K-1", KEFU__PRODUCT__PRODUCT_PRINT, 1), KEFU__ERROR_CODE__ERR_EXISTS,
              "exists already", head);
    s_refused(s_order_add(NULL, "K-1", 0, 1), KEFU__ERROR_CODE__ERR_INVALID, "product", head);
    s_refused(s_order_add(NULL, "K-1", KEFU__PRODUCT__PRODUCT_PRINT, 0), KEFU__ERROR_CODE__ERR_INVALID,
              "quantity", head);
}

/* One rule for who acts (cmdq.h): Request.actor; the body's `by` may say
 * the same, or be left out, but never name someone else. */
static void test_actor(void **state)
{
    (void) state;
    uint64_t head = s_head();
    Kefu__Request req = KEFU__REQUEST__INIT;
    Kefu__CaseOpen co = KEFU__CASE_OPEN__INIT;
    co.customer = "K-1";
    co.has_kind = co.has_complexity = true;
    co.kind = KEFU__CASE_KIND__CASE_KIND_COLOUR;
    co.complexity = KEFU__COMPLEXITY__COMPLEXITY_SIMPLE;
    co.by = "wang";
    req.actor = "li";
    req.req_case = KEFU__REQUEST__REQ_CASE_OPEN;
    req.case_open = &co;
    s_refused(s_call(s_intake, &req), KEFU__ERROR_CODE__ERR_INVALID,
              "by: \"wang\" is not who asks", head);
    co.by = NULL;  /* the actor alone: it owns the case */
    Kefu__Reply *rep = s_call(s_intake, &req);
    assert_non_null(rep);
    assert_null(rep->error);
    assert_string_equal(rep->case_->owner, "li");
    kefu__reply__free_unpacked(rep, NULL);
}

static void test_case_life(void **state)
{
    (void) state;
    Kefu__Reply *rep = s_open("K-1", "O-100", KEFU__CASE_KIND__CASE_KIND_COLOUR,
                              KEFU__COMPLEXITY__COMPLEXITY_SIMPLE, "li", "prints too red", NULL);
    s_ok(rep);
    Kefu__Case *c = rep->case_;
    assert_string_equal(c->id, "C-1");
    assert_string_equal(c->owner, "li");
    assert_int_equal(c->state, KEFU__CASE_STATE__CASE_STATE_OPEN);
    assert_int_equal(c->opened_at, s_t0);
    assert_int_equal(c->reply_due, s_t0 + 2 * KTIME_HOUR);  /* 000 §一.5: simple, 2 h */
    assert_int_equal(c->severity, KEFU__SEVERITY__SEVERITY_GENERAL);
    assert_int_equal(c->n_history, 1);
    kefu__reply__free_unpacked(rep, NULL);

    rep = s_open("G-7", NULL, KEFU__CASE_KIND__CASE_KIND_MISSING, KEFU__COMPLEXITY__COMPLEXITY_COMPLEX,
                 "wang", NULL, NULL);
    s_ok(rep);
    assert_string_equal(rep->case_->id, "C-2");
    assert_int_equal(rep->case_->reply_due, s_t0 + 24 * KTIME_HOUR);  /* complex, 24 h */
    kefu__reply__free_unpacked(rep, NULL);

    uint64_t head = s_head();
    /* refusals of open */
    s_refused(s_open("NOPE", NULL, 1, 1, "li", NULL, NULL), KEFU__ERROR_CODE__ERR_NOT_FOUND,
              "customer NOPE does not exist", head);
    s_refused(s_open("K-1", "O-404", 1, 1, "li", NULL, NULL), KEFU__ERROR_CODE__ERR_NOT_FOUND,
              "order O-404 does not exist", head);
    s_refused(s_open("K-1", "O-101", 1, 1, "li", NULL, NULL), KEFU__ERROR_CODE__ERR_CONFLICT,
              "order O-101 is customer G-7's", head);
    s_refused(s_open("K-1", NULL, 1, 1, "", NULL, NULL), KEFU__ERROR_CODE__ERR_INVALID, "by: who did it", head);
    s_refused(s_open("K-1", NULL, 1, 1, "  ", NULL, NULL), KEFU__ERROR_CODE__ERR_INVALID, "by: who did it", head);
    s_refused(s_open("K-1", NULL, 0, 1, "li", NULL, NULL), KEFU__ERROR_CODE__ERR_INVALID,
              "kind: the case's kind: one of colour, damage, missing, quality, service, delay", head);
    s_refused(s_open("K-1", NULL, 77, 1, "li", NULL, NULL), KEFU__ERROR_CODE__ERR_INVALID,
              "not a value of CaseKind", head);
    s_refused(s_open("K-1", NULL, 1, 0, "li", NULL, NULL), KEFU__ERROR_CODE__ERR_INVALID, "complexity", head);
    char *big = malloc(5000);
    memset(big, 'a', 4999);
    big[4999] = '\0';
    s_refused(s_open("K-1", NULL, 1, 1, "li", big, NULL), KEFU__ERROR_CODE__ERR_TOO_LARGE,
              "over the limit", head);
    free(big);
    s_refused(s_open("K-1", NULL, 1, 1, "li", "\xc0\xaf", NULL), KEFU__ERROR_CODE__ERR_INVALID,
              "UTF-8", head);

    /* open -> replied (with a committed time) */
    rep = s_reply("C-1", "li", 3 * KTIME_HOUR, NULL);
    s_ok(rep);
    assert_int_equal(rep->case_->state, KEFU__CASE_STATE__CASE_STATE_REPLIED);
    assert_int_equal(rep->case_->first_reply_at, s_t0);
    assert_int_equal(rep->case_->committed_until, s_t0 + 3 * KTIME_HOUR);
    assert_int_equal(rep->case_->replies, 1);
    kefu__reply__free_unpacked(rep, NULL);
    /* replied -> replied */
    s_ok(rep = s_reply("C-1", "zhao", 0, NULL));
    assert_int_equal(rep->case_->replies, 2);
    assert_string_equal(rep->case_->owner, "li");  /* 首问负责制: owner stays */
    kefu__reply__free_unpacked(rep, NULL);
    head = s_head();
    s_refused(s_reply("C-9", "li", 0, NULL), KEFU__ERROR_CODE__ERR_NOT_FOUND, "case C-9 does not exist", head);
    s_refused(s_reply("C-1", NULL, 0, NULL), KEFU__ERROR_CODE__ERR_INVALID, "by: who did it", head);
    s_refused(s_followup("C-1", "li", 5), KEFU__ERROR_CODE__ERR_CONFLICT,
              "case C-1 is replied; a follow-up visit needs a resolved case", head);
    s_refused(s_resolve("C-1", "li", 0), KEFU__ERROR_CODE__ERR_INVALID, "outcome", head);
    /* replied -> resolved */
    s_ok(rep = s_resolve("C-1", "li", KEFU__OUTCOME__OUTCOME_REWORK));
    assert_int_equal(rep->case_->state, KEFU__CASE_STATE__CASE_STATE_RESOLVED);
    assert_int_equal(rep->case_->outcome, KEFU__OUTCOME__OUTCOME_REWORK);
    kefu__reply__free_unpacked(rep, NULL);
    s_wait_sched_reaction("C-1", true);  /* the case is on an order: sched's rework */
    head = s_head();
    s_refused(s_reply("C-1", "li", 0, NULL), KEFU__ERROR_CODE__ERR_CONFLICT,
              "case C-1 is resolved; a reply needs an open case", head);
    s_refused(s_resolve("C-1", "li", KEFU__OUTCOME__OUTCOME_REFUND), KEFU__ERROR_CODE__ERR_CONFLICT,
              "is resolved", head);
    s_refused(s_followup("C-1", "li", 6), KEFU__ERROR_CODE__ERR_INVALID, "1 to 5", head);
    /* resolved -> closed */
    s_ok(rep = s_followup("C-1", "li", 4));
    assert_int_equal(rep->case_->state, KEFU__CASE_STATE__CASE_STATE_CLOSED);
    assert_int_equal(rep->case_->satisfaction, 4);
    assert_int_equal(rep->case_->n_history, 5);
    kefu__reply__free_unpacked(rep, NULL);
    head = s_head();
    s_refused(s_reply("C-1", "li", 0, NULL), KEFU__ERROR_CODE__ERR_CONFLICT,
              "case C-1 is closed; a reply needs an open case", head);
    s_refused(s_followup("C-1", "li", 4), KEFU__ERROR_CODE__ERR_CONFLICT, "is closed", head);
    /* open -> resolved directly (C-2) */
    s_ok(rep = s_resolve("C-2", "wang", KEFU__OUTCOME__OUTCOME_REISSUE));
    assert_int_equal(rep->case_->state, KEFU__CASE_STATE__CASE_STATE_RESOLVED);
    assert_int_equal(rep->case_->first_reply_at, s_t0);  /* a resolution answers too */
    kefu__reply__free_unpacked(rep, NULL);
    /* C-2 is on no order: sched has nothing to make of it */
}

static Kefu__Reply *s_request(Kefu__Request *req)
{
    return s_call(s_intake, req);
}

static void test_handoff_evidence_aftersales(void **state)
{
    (void) state;
    Kefu__Reply *rep = s_open("G-7", "O-101", KEFU__CASE_KIND__CASE_KIND_QUALITY,
                              KEFU__COMPLEXITY__COMPLEXITY_COMPLEX, "wang", NULL, NULL);
    s_ok(rep);
    char *id = strdup(rep->case_->id);
    kefu__reply__free_unpacked(rep, NULL);

    /* hand-off to production with its own due time; the owner stays */
    Kefu__Request req = KEFU__REQUEST__INIT;
    Kefu__CaseHandoff h = KEFU__CASE_HANDOFF__INIT;
    h.id = id;
    h.by = "wang";
    h.department = "production";
    h.has_due_us = true;
    h.due_us = 4 * KTIME_HOUR;
    req.req_case = KEFU__REQUEST__REQ_CASE_HANDOFF;
    req.case_handoff = &h;
    s_ok(rep = s_request(&req));
    assert_int_equal(rep->case_->n_handoffs, 1);
    assert_string_equal(rep->case_->handoffs[0]->department, "production");
    assert_int_equal(rep->case_->handoffs[0]->due, s_t0 + 4 * KTIME_HOUR);
    assert_string_equal(rep->case_->owner, "wang");
    kefu__reply__free_unpacked(rep, NULL);
    uint64_t head = s_head();
    h.department = "";
    s_refused(s_request(&req), KEFU__ERROR_CODE__ERR_INVALID, "department", head);

    /* evidence: kind and text required; refused once the case is closed */
    Kefu__CaseAddEvidence e = KEFU__CASE_ADD_EVIDENCE__INIT;
    e.id = id;
    e.by = "wang";
    req.req_case = KEFU__REQUEST__REQ_CASE_ADD_EVIDENCE;
    req.case_add_evidence = &e;
    s_refused(s_request(&req), KEFU__ERROR_CODE__ERR_INVALID,
              "kind: the evidence's kind: one of chat-log, photo, statement, site-check, other", head);
    e.has_kind = true;
    e.kind = KEFU__EVIDENCE_KIND__EVIDENCE_KIND_STATEMENT;
    e.text = "packer says the album was checked";
    s_ok(rep = s_request(&req));
    assert_int_equal(rep->case_->n_evidence, 1);
    kefu__reply__free_unpacked(rep, NULL);
    s_ok(rep = s_resolve(id, "wang", KEFU__OUTCOME__OUTCOME_EXPLAINED));
    kefu__reply__free_unpacked(rep, NULL);
    s_ok(rep = s_followup(id, "wang", 3));
    kefu__reply__free_unpacked(rep, NULL);
    head = s_head();
    s_refused(s_request(&req), KEFU__ERROR_CODE__ERR_CONFLICT, "is closed; evidence needs", head);
    free(id);

    /* after-sales: a refund goes open -> approved -> received -> confirmed -> refunded */
    Kefu__AfterSalesOpen ao = KEFU__AFTER_SALES_OPEN__INIT;
    ao.order = "O-100";
    ao.by = "li";
    ao.has_kind = true;
    ao.kind = KEFU__AFTER_SALES_KIND__AFTER_SALES_KIND_REFUND;
    req.req_case = KEFU__REQUEST__REQ_AFTER_SALES_OPEN;
    req.after_sales_open = &ao;
    s_ok(rep = s_request(&req));
    char *aid = strdup(rep->after_sales->id);
    assert_string_equal(rep->after_sales->customer, "K-1");
    kefu__reply__free_unpacked(rep, NULL);
    head = s_head();
    ao.order = "O-404";
    s_refused(s_request(&req), KEFU__ERROR_CODE__ERR_NOT_FOUND, "order O-404 does not exist", head);
    Kefu__AfterSalesStep st = KEFU__AFTER_SALES_STEP__INIT;
    st.id = aid;
    st.by = "li";
    st.has_state = true;
    st.state = KEFU__AFTER_SALES_STATE__AFTER_SALES_STATE_CONFIRMED;
    req.req_case = KEFU__REQUEST__REQ_AFTER_SALES_STEP;
    req.after_sales_step = &st;
    s_refused(s_request(&req), KEFU__ERROR_CODE__ERR_CONFLICT, "is open; it can't go to confirmed", head);
    st.state = KEFU__AFTER_SALES_STATE__AFTER_SALES_STATE_RECEIVED;  /* goods only once approved */
    s_refused(s_request(&req), KEFU__ERROR_CODE__ERR_CONFLICT, "is open; it can't go to received", head);
    st.state = KEFU__AFTER_SALES_STATE__AFTER_SALES_STATE_APPROVED;
    s_ok(rep = s_request(&req));
    kefu__reply__free_unpacked(rep, NULL);
    st.state = KEFU__AFTER_SALES_STATE__AFTER_SALES_STATE_RECEIVED;
    s_ok(rep = s_request(&req));
    kefu__reply__free_unpacked(rep, NULL);
    st.state = KEFU__AFTER_SALES_STATE__AFTER_SALES_STATE_CONFIRMED;
    s_ok(rep = s_request(&req));
    kefu__reply__free_unpacked(rep, NULL);
    head = s_head();
    st.state = KEFU__AFTER_SALES_STATE__AFTER_SALES_STATE_EXCHANGED;
    s_refused(s_request(&req), KEFU__ERROR_CODE__ERR_CONFLICT, "(refund) is confirmed", head);
    st.state = KEFU__AFTER_SALES_STATE__AFTER_SALES_STATE_REFUNDED;
    s_refused(s_request(&req), KEFU__ERROR_CODE__ERR_INVALID, "method", head);
    st.has_method = true;
    st.method = KEFU__REFUND_METHOD__REFUND_METHOD_BANK;
    s_refused(s_request(&req), KEFU__ERROR_CODE__ERR_INVALID, "amount_fen", head);
    st.has_amount_fen = true;
    st.amount_fen = 12850;
    s_ok(rep = s_request(&req));
    assert_int_equal(rep->after_sales->state, KEFU__AFTER_SALES_STATE__AFTER_SALES_STATE_REFUNDED);
    assert_true(rep->after_sales->invoice_reversed);  /* 红冲 */
    assert_int_equal(rep->after_sales->invoice, KEFU__INVOICE_ACTION__INVOICE_ACTION_REVERSED);
    assert_int_equal(rep->after_sales->amount_fen, 12850);
    assert_int_equal(rep->after_sales->n_history, 5);
    kefu__reply__free_unpacked(rep, NULL);
    free(aid);

    /* consultations: who asked must exist */
    Kefu__ConsultationAdd ca = KEFU__CONSULTATION_ADD__INIT;
    ca.customer = "NOPE";
    ca.question = "matte or glossy?";
    ca.by = "zhao";
    req.req_case = KEFU__REQUEST__REQ_CONSULTATION_ADD;
    req.consultation_add = &ca;
    head = s_head();
    s_refused(s_request(&req), KEFU__ERROR_CODE__ERR_NOT_FOUND, "customer NOPE does not exist", head);
    ca.customer = "K-1";
    s_refused(s_request(&req), KEFU__ERROR_CODE__ERR_INVALID, "answer: the answer, a referral", head);
    ca.answer = "matte";
    s_ok(rep = s_request(&req));
    assert_string_equal(rep->consultation->id, "Q-1");
    assert_string_equal(rep->consultation->by, "zhao");
    int64_t now = rep->consultation->at;
    kefu__reply__free_unpacked(rep, NULL);

    /* a transfer that failed: a callback promised (000 §五.5), from now
     * to a year ahead, in one form */
    head = s_head();
    ca.answer = NULL;
    ca.referred_to = "production";
    ca.has_callback_by = true;
    ca.callback_by = now;
    s_refused(s_request(&req), KEFU__ERROR_CODE__ERR_INVALID,
              "callback_by: a callback is promised from now to a year ahead", head);
    ca.callback_by = now + 2 * 3600 * 1000000LL;
    ca.has_callback_clock = true;
    ca.callback_clock = 15 * 60;
    s_refused(s_request(&req), KEFU__ERROR_CODE__ERR_INVALID, "callback_by: one callback time", head);
    ca.has_callback_clock = false;
    s_ok(rep = s_request(&req));
    assert_string_equal(rep->consultation->id, "Q-2");
    assert_int_equal(rep->consultation->callback_by, now + 2 * 3600 * 1000000LL);
    kefu__reply__free_unpacked(rep, NULL);

    /* the callback that keeps it: of a consultation that exists, promised
     * one and was not called back yet; the same customer's */
    head = s_head();
    Kefu__ConsultationAdd cb = KEFU__CONSULTATION_ADD__INIT;
    cb.by = "li";
    cb.question = "the price of a 30x30 album?";
    cb.answer = "380 yuan";
    cb.calls_back = "Q-9";
    req.consultation_add = &cb;
    s_refused(s_request(&req), KEFU__ERROR_CODE__ERR_NOT_FOUND,
              "calls_back: consultation Q-9 does not exist", head);
    cb.calls_back = "Q-1";
    s_refused(s_request(&req), KEFU__ERROR_CODE__ERR_CONFLICT,
              "calls_back: consultation Q-1 promised no callback", head);
    cb.calls_back = "Q-2";
    cb.customer = "G-7";
    s_refused(s_request(&req), KEFU__ERROR_CODE__ERR_CONFLICT,
              "calls_back: consultation Q-2 was customer K-1's, not G-7's", head);
    cb.customer = NULL;
    s_ok(rep = s_request(&req));
    assert_string_equal(rep->consultation->id, "Q-3");
    assert_string_equal(rep->consultation->customer, "K-1");  /* Q-2's */
    assert_string_equal(rep->consultation->calls_back, "Q-2");
    kefu__reply__free_unpacked(rep, NULL);
    head = s_head();
    s_refused(s_request(&req), KEFU__ERROR_CODE__ERR_CONFLICT,
              "calls_back: consultation Q-2 was called back already, in Q-3", head);
    Kefu__ConsultationList ql = KEFU__CONSULTATION_LIST__INIT;
    ql.by = "zhao";
    req.req_case = KEFU__REQUEST__REQ_CONSULTATION_LIST;
    req.consultation_list = &ql;
    s_ok(rep = s_request(&req));
    assert_int_equal(rep->consultations->n_items, 2);
    const Kefu__Consultation *q2 = rep->consultations->items[1];
    assert_string_equal(q2->id, "Q-2");
    assert_string_equal(q2->called_back_in, "Q-3");
    assert_true(q2->has_called_back_at);
    kefu__reply__free_unpacked(rep, NULL);
}

/* Moves the site's simulated clock on by us. */
static void s_advance(int64_t us)
{
    Kefu__Request req = KEFU__REQUEST__INIT;
    Kefu__ClockAdvanceRequest ca = KEFU__CLOCK_ADVANCE_REQUEST__INIT;
    ca.has_by_us = true;
    ca.by_us = us;
    req.req_case = KEFU__REQUEST__REQ_CLOCK_ADVANCE;
    req.clock_advance = &ca;
    Kefu__Reply *rep = s_call(s_evlog, &req);
    s_ok(rep);
    kefu__reply__free_unpacked(rep, NULL);
}

static Kefu__Reply *s_case_get(const char *id, int64_t from, uint32_t limit)
{
    Kefu__Request req = KEFU__REQUEST__INIT;
    Kefu__CaseGet g = KEFU__CASE_GET__INIT;
    g.id = (char *) id;
    g.has_history_from = from >= 0;
    g.history_from = from >= 0 ? (uint32_t) from : 0;
    g.has_history_limit = limit != 0;
    g.history_limit = limit;
    req.req_case = KEFU__REQUEST__REQ_CASE_GET;
    req.case_get = &g;
    return s_call(s_intake, &req);
}

/* Item 6 of issue 12: a case with many replies answers every write with a
 * bounded record (its newest 20 entries and the count), and `complaint
 * show` pages its whole history, across the record and the history table. */
static void test_history_bounded(void **state)
{
    (void) state;
    Kefu__Reply *rep = s_open("K-1", NULL, KEFU__CASE_KIND__CASE_KIND_QUALITY,
                              KEFU__COMPLEXITY__COMPLEXITY_COMPLEX, "hu", "streaks", NULL);
    s_ok(rep);
    char *id = strdup(rep->case_->id);
    kefu__reply__free_unpacked(rep, NULL);
    char *text = malloc(3001);
    memset(text, 'x', 3000);
    text[3000] = '\0';
    for (int i = 1; i <= 60; i++) {
        Kefu__Request req = KEFU__REQUEST__INIT;
        Kefu__CaseReply cr = KEFU__CASE_REPLY__INIT;
        char head[16];
        snprintf(head, sizeof head, "r%02d ", i);
        memcpy(text, head, strlen(head));
        cr.id = id;
        cr.by = "hu";
        cr.text = text;
        req.req_case = KEFU__REQUEST__REQ_CASE_REPLY;
        req.case_reply = &cr;
        s_ok(rep = s_request(&req));
        Kefu__Case *c = rep->case_;
        assert_int_equal(c->replies, i);
        assert_int_equal(c->history_count, i + 1);
        assert_int_equal(c->n_history, i + 1 < 20 ? i + 1 : 20);
        assert_int_equal(c->history_from, i + 1 < 20 ? 0 : i + 1 - 20);
        assert_int_equal(strncmp(c->history[c->n_history - 1]->text, head, strlen(head)), 0);
        /* bounded: 20 entries of ~3 KB, however many replies */
        assert_true(kefu__reply__get_packed_size(rep) < 20 * 3100 + 2000);
        kefu__reply__free_unpacked(rep, NULL);
    }
    free(text);
    /* show: the newest 100 by default: all 61 here, from "opened" */
    s_ok(rep = s_case_get(id, -1, 0));
    assert_int_equal(rep->case_->n_history, 61);
    assert_int_equal(rep->case_->history_count, 61);
    assert_false(rep->case_->has_history_from);
    assert_string_equal(rep->case_->history[0]->action, "opened");
    for (int i = 1; i <= 60; i++) {
        char head[16];
        snprintf(head, sizeof head, "r%02d ", i);
        assert_int_equal(strncmp(rep->case_->history[i]->text, head, 4), 0);
    }
    kefu__reply__free_unpacked(rep, NULL);
    /* pages: in the table (entries 0..40), across it and the record, the record's */
    static const struct { int64_t from; uint32_t limit; uint32_t first, n; } pages[] = {
        {0, 5, 0, 5}, {38, 6, 38, 6}, {41, 3, 41, 3}, {58, 10, 58, 3}, {61, 5, 61, 0},
        {500, 5, 61, 0}, {-1, 7, 54, 7}, {-1, 1000, 0, 61}};
    for (size_t p = 0; p < sizeof pages / sizeof pages[0]; p++) {
        s_ok(rep = s_case_get(id, pages[p].from, pages[p].limit));
        Kefu__Case *c = rep->case_;
        assert_int_equal(c->history_count, 61);
        assert_int_equal(c->has_history_from ? c->history_from : 0, pages[p].first);
        assert_int_equal(c->n_history, pages[p].n);
        for (size_t i = 0; i < c->n_history; i++) {
            uint32_t n = pages[p].first + (uint32_t) i;
            char head[16];
            snprintf(head, sizeof head, "r%02u ", n);
            if (n == 0)
                assert_string_equal(c->history[i]->action, "opened");
            else
                assert_int_equal(strncmp(c->history[i]->text, head, 4), 0);
        }
        kefu__reply__free_unpacked(rep, NULL);
    }
    uint64_t head = s_head();
    s_refused(s_case_get(id, -1, 1001), KEFU__ERROR_CODE__ERR_INVALID, "at most 1000", head);
    /* hand-offs and evidence are bounded too: refused past the limit */
    for (int i = 0; i < 50; i++) {
        Kefu__Request req = KEFU__REQUEST__INIT;
        Kefu__CaseAddEvidence ce = KEFU__CASE_ADD_EVIDENCE__INIT;
        ce.id = id;
        ce.by = "hu";
        ce.has_kind = true;
        ce.kind = KEFU__EVIDENCE_KIND__EVIDENCE_KIND_PHOTO;
        ce.text = "a photo";
        req.req_case = KEFU__REQUEST__REQ_CASE_ADD_EVIDENCE;
        req.case_add_evidence = &ce;
        rep = s_request(&req);
        if (i < 50)
            s_ok(rep);
        kefu__reply__free_unpacked(rep, NULL);
    }
    {
        Kefu__Request req = KEFU__REQUEST__INIT;
        Kefu__CaseAddEvidence ce = KEFU__CASE_ADD_EVIDENCE__INIT;
        ce.id = id;
        ce.by = "hu";
        ce.has_kind = true;
        ce.kind = KEFU__EVIDENCE_KIND__EVIDENCE_KIND_PHOTO;
        ce.text = "one too many";
        req.req_case = KEFU__REQUEST__REQ_CASE_ADD_EVIDENCE;
        req.case_add_evidence = &ce;
        head = s_head();
        s_refused(s_request(&req), KEFU__ERROR_CODE__ERR_CONFLICT, "the most a case takes", head);
    }
    free(id);
}

/* ---- the register's indexes (item 7 of issue 12) ------------------------------------ */

#define S_REG_N 48
typedef struct {
    char id[16];
    int owner, customer, order, kind, type, state;
    int64_t at;
} s_reg_case_t;

static s_reg_case_t s_reg[S_REG_N];

static int s_reg_cmp(const void *a, const void *b)
{
    const s_reg_case_t *x = *(const s_reg_case_t *const *) a, *y = *(const s_reg_case_t *const *) b;
    if (x->at != y->at)
        return x->at < y->at ? -1 : 1;
    return strcmp(x->id, y->id);  /* the register's order: time, then the id's bytes */
}

/* Item 7 of issue 12: the register walks its indexes newest first and
 * stops at the limit; every combination of filters, period and limit
 * gives exactly the newest `limit` cases that match, in the order opened,
 * and says whether older ones match too. */
static void test_register_indexes(void **state)
{
    (void) state;
    static const char *owners[] = {"reg-a", "reg-b", "reg-c"};
    static const char *customers[] = {"R-0", "R-1", "R-2"};
    static const char *orders[] = {"RO-0", "RO-1", "RO-2"};
    Kefu__Reply *rep;
    for (int c = 0; c < 3; c++) {
        s_ok(rep = s_customer_add(customers[c], "Register Studio", KEFU__TIER__TIER_GENERAL, NULL));
        kefu__reply__free_unpacked(rep, NULL);
        s_ok(rep = s_order_add(orders[c], customers[c], KEFU__PRODUCT__PRODUCT_PRINT, 5));
        kefu__reply__free_unpacked(rep, NULL);
    }
    s_advance(KTIME_HOUR);
    int64_t t1 = 0;
    for (int i = 0; i < S_REG_N; i++) {
        s_reg_case_t *m = &s_reg[i];
        m->owner = i % 3;
        m->customer = (i / 2) % 3;
        m->order = i % 4 == 0 ? m->customer : -1;
        m->kind = 1 + (i * 5) % 6;
        m->type = i % 7 == 0 ? KEFU__CASE_TYPE__CASE_TYPE_QUERY : KEFU__CASE_TYPE__CASE_TYPE_COMPLAINT;
        Kefu__Request req = KEFU__REQUEST__INIT;
        Kefu__CaseOpen co = KEFU__CASE_OPEN__INIT;
        co.customer = (char *) customers[m->customer];
        co.order = m->order >= 0 ? (char *) orders[m->order] : NULL;
        co.has_kind = co.has_complexity = co.has_type = true;
        co.kind = m->kind;
        co.complexity = KEFU__COMPLEXITY__COMPLEXITY_SIMPLE;
        co.type = m->type;
        co.by = (char *) owners[m->owner];
        req.req_case = KEFU__REQUEST__REQ_CASE_OPEN;
        req.case_open = &co;
        s_ok(rep = s_request(&req));
        snprintf(m->id, sizeof m->id, "%s", rep->case_->id);
        m->at = rep->case_->opened_at;
        m->state = KEFU__CASE_STATE__CASE_STATE_OPEN;
        if (i == 0)
            t1 = m->at;
        kefu__reply__free_unpacked(rep, NULL);
        if (i % 3 == 2)
            s_advance(KTIME_MIN);  /* three cases at each time */
    }
    for (int i = 0; i < S_REG_N; i++) {
        if (i % 5 == 1 || i % 5 == 2) {
            s_ok(rep = s_reply(s_reg[i].id, "reg-x", 0, NULL));
            kefu__reply__free_unpacked(rep, NULL);
            s_reg[i].state = KEFU__CASE_STATE__CASE_STATE_REPLIED;
        }
        if (i % 5 == 2 || i % 5 == 3) {
            s_ok(rep = s_resolve(s_reg[i].id, "reg-x", KEFU__OUTCOME__OUTCOME_REFUND));
            kefu__reply__free_unpacked(rep, NULL);
            s_reg[i].state = KEFU__CASE_STATE__CASE_STATE_RESOLVED;
        }
    }
    static const int states[] = {0, KEFU__CASE_STATE__CASE_STATE_OPEN,
                                 KEFU__CASE_STATE__CASE_STATE_REPLIED,
                                 KEFU__CASE_STATE__CASE_STATE_RESOLVED};
    static const uint32_t limits[] = {1, 4, 1000};
    size_t queries = 0;
    for (int owner = -1; owner < 2; owner++)
    for (int cust = -1; cust < 2; cust += 2)
    for (int order = -1; order < 1; order++)
    for (int kind = 0; kind < 7; kind += 3)
    for (size_t st = 0; st < 4; st++)
    for (int type = 0; type < 3; type += 2)
    for (int win = 0; win < 2; win++)
    for (size_t l = 0; l < 3; l++) {
        int64_t from = win ? t1 + 5 * KTIME_MIN : t1, to = win ? t1 + 11 * KTIME_MIN : 0;
        Kefu__CaseQuery q = KEFU__CASE_QUERY__INIT;
        q.has_from = true;
        q.from = from;
        q.has_to = to != 0;
        q.to = to;
        q.owner = owner >= 0 ? (char *) owners[owner] : NULL;
        q.customer = cust >= 0 ? (char *) customers[cust] : NULL;
        q.order = order >= 0 ? (char *) orders[order] : NULL;
        q.has_kind = kind != 0;
        q.kind = kind;
        q.has_state = states[st] != 0;
        q.state = states[st];
        q.has_type = type != 0;
        q.type = type;
        q.has_limit = true;
        q.limit = limits[l];
        /* what it must answer, from the model */
        const s_reg_case_t *match[S_REG_N];
        size_t n = 0;
        for (int i = 0; i < S_REG_N; i++) {
            const s_reg_case_t *m = &s_reg[i];
            if (m->at < from || (to && m->at >= to) || (owner >= 0 && m->owner != owner) ||
                (cust >= 0 && m->customer != cust) || (order >= 0 && m->order != order) ||
                (kind && m->kind != kind) || (states[st] && m->state != states[st]) ||
                (type && m->type != type))
                continue;
            match[n++] = m;
        }
        qsort(match, n, sizeof *match, s_reg_cmp);
        size_t want = n > q.limit ? q.limit : n;
        Kefu__Request req = KEFU__REQUEST__INIT;
        req.req_case = KEFU__REQUEST__REQ_CASE_QUERY;
        req.case_query = &q;
        s_ok(rep = s_request(&req));
        Kefu__CaseItems *items = rep->cases;
        if (items->n_items != want || items->more != (n > want))
            fail_msg("owner %d customer %d order %d kind %d state %d type %d window %d limit %u: "
                     "%zu items (more %d), expected %zu of %zu", owner, cust, order, kind,
                     states[st], type, win, q.limit, items->n_items, items->more, want, n);
        for (size_t j = 0; j < want; j++)
            assert_string_equal(items->items[j]->id, match[n - want + j]->id);
        kefu__reply__free_unpacked(rep, NULL);
        queries++;
    }
    assert_int_equal(queries, 3 * 2 * 2 * 3 * 4 * 2 * 2 * 3);
}

/* The dump of intake's state: every list as JSON. */
static char *s_dump(void)
{
    static const int kinds[] = {KEFU__REQUEST__REQ_CUSTOMER_LIST, KEFU__REQUEST__REQ_ORDER_LIST,
                                KEFU__REQUEST__REQ_CASE_QUERY, KEFU__REQUEST__REQ_AFTER_SALES_LIST,
                                KEFU__REQUEST__REQ_CONSULTATION_LIST};
    size_t cap = 1 << 20, len = 0;
    char *out = calloc(1, cap);
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        Kefu__Request req = KEFU__REQUEST__INIT;
        Kefu__CustomerList cl = KEFU__CUSTOMER_LIST__INIT;
        Kefu__OrderList ol = KEFU__ORDER_LIST__INIT;
        Kefu__CaseQuery cq = KEFU__CASE_QUERY__INIT;
        Kefu__AfterSalesList al = KEFU__AFTER_SALES_LIST__INIT;
        Kefu__ConsultationList ql = KEFU__CONSULTATION_LIST__INIT;
        req.req_case = kinds[i];
        req.customer_list = &cl;  /* the oneof's pointer: set the right one */
        if (kinds[i] == KEFU__REQUEST__REQ_ORDER_LIST) req.order_list = &ol;
        if (kinds[i] == KEFU__REQUEST__REQ_CASE_QUERY) req.case_query = &cq;
        if (kinds[i] == KEFU__REQUEST__REQ_AFTER_SALES_LIST) req.after_sales_list = &al;
        if (kinds[i] == KEFU__REQUEST__REQ_CONSULTATION_LIST) req.consultation_list = &ql;
        Kefu__Reply *rep = s_call(s_intake, &req);
        assert_non_null(rep);
        assert_null(rep->error);
        json_t *j = pbjson_from_message(&rep->base, 0);
        json_object_del(j, "corr");
        char *s = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
        size_t n = strlen(s);
        assert_true(len + n + 2 < cap);
        memcpy(out + len, s, n);
        len += n;
        out[len++] = '\n';
        free(s);
        json_decref(j);
        kefu__reply__free_unpacked(rep, NULL);
    }
    return out;
}

static void test_request_id(void **state)
{
    (void) state;
    Kefu__Reply *rep = s_open("K-1", NULL, KEFU__CASE_KIND__CASE_KIND_DAMAGE,
                              KEFU__COMPLEXITY__COMPLEXITY_SIMPLE, "li", "box crushed", "r-open-1");
    s_ok(rep);
    char *id = strdup(rep->case_->id);
    kefu__reply__free_unpacked(rep, NULL);
    uint64_t head = s_head();
    /* the same request again: the same case, nothing written */
    s_ok(rep = s_open("K-1", NULL, KEFU__CASE_KIND__CASE_KIND_DAMAGE,
                      KEFU__COMPLEXITY__COMPLEXITY_SIMPLE, "li", "box crushed", "r-open-1"));
    assert_string_equal(rep->case_->id, id);
    kefu__reply__free_unpacked(rep, NULL);
    assert_int_equal(s_head(), head);
    s_ok(rep = s_reply(id, "li", 0, "r-reply-1"));
    kefu__reply__free_unpacked(rep, NULL);
    head = s_head();
    /* the first answer, not the state now: the case was open then */
    s_ok(rep = s_open("K-1", NULL, KEFU__CASE_KIND__CASE_KIND_DAMAGE,
                      KEFU__COMPLEXITY__COMPLEXITY_SIMPLE, "li", "box crushed", "r-open-1"));
    assert_int_equal(rep->case_->state, KEFU__CASE_STATE__CASE_STATE_OPEN);
    kefu__reply__free_unpacked(rep, NULL);
    /* a request id is one command's: another command with it is refused */
    s_refused(s_customer_add("K-9", "Reuse", KEFU__TIER__TIER_KEY, "r-open-1"),
              KEFU__ERROR_CODE__ERR_CONFLICT, "request id r-open-1 was used for another command", head);

    /* kill -9 intake; kefu restarts it; the ids are still remembered */
    assert_int_equal(s_sh("pkill -9 -f '[k]efu-intake --dir %s'", s_dir), 0);
    usleep(300000);
    s_wait_ready("intake");
    s_ok(rep = s_open("K-1", NULL, KEFU__CASE_KIND__CASE_KIND_DAMAGE,
                      KEFU__COMPLEXITY__COMPLEXITY_SIMPLE, "li", "box crushed", "r-open-1"));
    assert_string_equal(rep->case_->id, id);
    assert_int_equal(rep->case_->state, KEFU__CASE_STATE__CASE_STATE_OPEN);
    kefu__reply__free_unpacked(rep, NULL);
    s_ok(rep = s_reply(id, "li", 0, "r-reply-1"));
    assert_int_equal(rep->case_->replies, 1);  /* one reply, not two */
    kefu__reply__free_unpacked(rep, NULL);
    assert_int_equal(s_head(), head);
    /* a new request id is a new command */
    s_ok(rep = s_reply(id, "li", 0, "r-reply-2"));
    assert_int_equal(rep->case_->replies, 2);
    kefu__reply__free_unpacked(rep, NULL);
    assert_int_equal(s_head(), head + 1);
    free(id);
}

static void test_rebuild(void **state)
{
    (void) state;
    char *before = s_dump();
    /* stop the site, delete intake's store, start again: intake rebuilds
     * its state from the log alone */
    assert_int_equal(s_sh("%s/kefu down --dir %s", s_bin, s_dir), 0);
    assert_int_equal(s_sh("rm -rf %s/intake", s_dir), 0);
    assert_int_equal(s_sh("%s/kefu up --dir %s --detach --sim-clock 2026-11-23T09:00:00+08:00",
                          s_bin, s_dir), 0);
    s_wait_ready("intake");
    struct stat st;
    char path[128];
    snprintf(path, sizeof path, "%s/intake/data.mdb", s_dir);
    assert_int_equal(stat(path, &st), 0);
    char *after = s_dump();
    assert_string_equal(before, after);
    free(before);
    free(after);
}

/* A store of an older layout (schema key 1, or none) is emptied and
 * rebuilt from the log at start: made so here by hand, with a case record
 * deleted and the register's index table left empty of it, while the
 * site is down; after the restart everything is back. */
typedef struct {
    store_table_t cases;
} s_old_t;

static int s_make_old(store_txn_t *txn, void *arg)
{
    s_old_t *o = arg;
    int rc = store_meta_put_u64(txn, "schema", 1);
    if (rc == 0)
        rc = store_del(txn, o->cases, "C-1", 3);
    return rc;
}

static void test_old_layout_rebuilt(void **state)
{
    (void) state;
    char *before = s_dump();
    assert_int_equal(s_sh("%s/kefu down --dir %s", s_bin, s_dir), 0);
    char path[128];
    snprintf(path, sizeof path, "%s/intake", s_dir);
    store_t *st = NULL;
    assert_int_equal(store_open(&st, path, NULL), 0);
    s_old_t o;
    assert_int_equal(store_table(st, "cases", &o.cases), 0);
    assert_int_equal(store_write(st, s_make_old, &o), 0);
    store_destroy(&st);
    assert_int_equal(s_sh("%s/kefu up --dir %s --detach --sim-clock 2026-11-23T09:00:00+08:00",
                          s_bin, s_dir), 0);
    s_wait_ready("intake");
    char *after = s_dump();
    assert_string_equal(before, after);
    assert_int_equal(s_sh("grep -q 'rebuilt from the log' %s/log/intake.log", s_dir), 0);
    free(before);
    free(after);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_customers_and_orders),
        cmocka_unit_test(test_case_life),
        cmocka_unit_test(test_handoff_evidence_aftersales),
        cmocka_unit_test(test_request_id),
        cmocka_unit_test(test_history_bounded),
        cmocka_unit_test(test_register_indexes),
        cmocka_unit_test(test_rebuild),
        cmocka_unit_test(test_old_layout_rebuilt),
        cmocka_unit_test(test_actor),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
