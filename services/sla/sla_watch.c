/* sla_watch.c: the watchers' timers: when each open obligation next wants
 * an action, in a binary min-heap, fired on the site clock.
 *
 * An entry is (time, obligation id), 32 bytes, kept in one array: an id
 * of up to 23 bytes (nearly all: "reply/C-1234567") in place, with no
 * allocation per deadline, a longer one in a block of its own; no scan of
 * the obligations. Entries are hints: firing one reads the obligation
 * (and its escalation) from the store and does what its state asks now,
 * so a stale entry (the obligation met, warned or escalated since) costs
 * one lookup and nothing else, and pushing twice is harmless. What to do (sla_next_at):
 *   not escalated, before its due   the warning (once, at sla.warn_share)
 *   not escalated, at its due       raise the escalation (level 1)
 *   escalated, level 1, not acked   level 2, sla.level2_after after raising
 * Each is a command of sla's own, named after what it is for
 * ("warn-reply/C-7", "raise-reply/C-7", "level2-E-3"), so one fired twice
 * (a restart, a clock step back) is answered from the first and changes
 * nothing. The heap is filled from the store's open obligations (by_due
 * alone: its value is the obligation's opened_at, enough for a first
 * hint) when the daemon starts serving, not by reading the log again;
 * until then (catching up with the log) nothing is pushed, so a replay of
 * a long history does not hold an entry for every obligation it passes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kerr.h"
#include "klog.h"
#include "sla.h"

#define S_INLINE 24  /* an id shorter than this is kept in the entry */
/* The fill lets go of the store's pages it read every so many entries
 * (store_release_pages: safe under the cursor and the pointers it gave,
 * which map the same bytes again when read): by_due's leaves are
 * spread over the file among the other tables', and the kernel maps in
 * the cached neighbours of each (fault-around), so a walk of a million
 * would map about the whole file (~260 MB) before the release at its end. */
#define S_LOAD_RELEASE 65536

typedef struct {
    int64_t at;
    union {
        char s[S_INLINE];                /* s[0] != '\0': the id itself */
        struct {
            char zero[8];                /* zero[0] == '\0' */
            char *p;                     /* the id, malloc'ed */
        } l;
    } id;
} s_entry_t;

struct sla_watch_t {
    sla_t *sla;
    s_entry_t *heap;
    size_t n, cap;
    bool live;  /* filled from the store: pushes count from now on */
};

static const char *s_id(const s_entry_t *e)
{
    return e->id.s[0] ? e->id.s : e->id.l.p;
}

static void s_entry_free(s_entry_t *e)
{
    if (!e->id.s[0])
        free(e->id.l.p);
}

sla_watch_t *sla_watch_new(sla_t *sla)
{
    sla_watch_t *self = calloc(1, sizeof *self);
    if (self)
        self->sla = sla;
    return self;
}

void sla_watch_destroy(sla_watch_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    for (size_t i = 0; i < (*self_p)->n; i++)
        s_entry_free(&(*self_p)->heap[i]);
    free((*self_p)->heap);
    free(*self_p);
    *self_p = NULL;
}

size_t sla_watch_size(const sla_watch_t *self)
{
    return self->n;
}

static void s_swap(s_entry_t *a, s_entry_t *b)
{
    s_entry_t t = *a;
    *a = *b;
    *b = t;
}

static int s_push(sla_watch_t *self, int64_t at, const char *id)
{
    size_t len = strlen(id);
    if (at == 0 || len == 0 || len >= SLA_ID_MAX)
        return 0;
    if (self->n == self->cap) {
        size_t cap = self->cap ? self->cap * 2 : 1024;
        s_entry_t *h = realloc(self->heap, cap * sizeof *h);
        if (!h)
            return ENOMEM;
        self->heap = h;
        self->cap = cap;
    }
    s_entry_t e = {.at = at};
    if (len < S_INLINE)
        memcpy(e.id.s, id, len + 1);
    else if (!(e.id.l.p = strdup(id)))
        return ENOMEM;
    size_t i = self->n++;
    self->heap[i] = e;
    while (i > 0 && self->heap[(i - 1) / 2].at > self->heap[i].at) {
        s_swap(&self->heap[(i - 1) / 2], &self->heap[i]);
        i = (i - 1) / 2;
    }
    return 0;
}

int sla_watch_push(sla_watch_t *self, int64_t at, const char *id)
{
    /* before the heap is filled from the store, the store is what counts:
     * the fill finds the obligation there, as the last event left it */
    return self->live ? s_push(self, at, id) : 0;
}

/* Removes the top entry (the caller has taken it, and frees its id). */
static void s_pop(sla_watch_t *self)
{
    self->heap[0] = self->heap[--self->n];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < self->n && self->heap[l].at < self->heap[m].at)
            m = l;
        if (r < self->n && self->heap[r].at < self->heap[m].at)
            m = r;
        if (m == i)
            break;
        s_swap(&self->heap[i], &self->heap[m]);
        i = m;
    }
    if (self->cap > 1024 && self->n < self->cap / 4) {
        /* a burst has passed (stale entries of met obligations, popped as
         * they fall due): give the memory back */
        s_entry_t *h = realloc(self->heap, self->cap / 2 * sizeof *h);
        if (h) {
            self->heap = h;
            self->cap /= 2;
        }
    }
}

int sla_watch_load(sla_watch_t *self)
{
    sla_t *sla = self->sla;
    for (size_t i = 0; i < self->n; i++)
        s_entry_free(&self->heap[i]);  /* what a failed fill left */
    self->n = 0;
    store_txn_t *txn;
    int rc = store_read_begin(kservice_store(sla->svc), &txn);
    if (rc)
        return rc;
    store_cursor_t *c;
    if ((rc = store_cursor_open(txn, sla->t.by_due, &c)) == 0) {
        const void *k, *v;
        size_t kl, vl;
        char id[SLA_ID_MAX];
        size_t walked = 0;
        store_cursor_seek(c, NULL, 0);
        while (rc == 0 && store_cursor_next(c, &k, &kl, &v, &vl) == 0) {
            if (++walked % S_LOAD_RELEASE == 0)
                (void) store_release_pages(kservice_store(sla->svc));  /* the last is below */
            if (kl <= 8 || kl - 8 >= SLA_ID_MAX || vl != 8)
                continue;
            memcpy(id, (const uint8_t *) k + 8, kl - 8);
            id[kl - 8] = '\0';
            /* the first action of an obligation neither warned nor
             * escalated, from its due and opened_at alone: a hint (a
             * warned or escalated one is read when it comes up, and
             * pushed again for what its state asks then) */
            Kefu__Obligation o = KEFU__OBLIGATION__INIT;
            o.has_state = o.has_due = o.has_opened_at = true;
            o.state = KEFU__OBLIGATION_STATE__OBLIGATION_STATE_OPEN;
            o.due = krecord_key_time(k);
            o.opened_at = krecord_key_time(v);
            rc = s_push(self, sla_next_at(sla, &o, NULL), id);
        }
        store_cursor_close(&c);
    }
    store_txn_end(&txn);
    /* the heap holds what the watchers need, and a firing reads its one
     * obligation again: what the walk read need not stay mapped */
    int rrc = store_release_pages(kservice_store(sla->svc));
    if (rrc)
        klog_warn("can't let go of the store's pages read by the fill: %s", kefu_strerror(rrc));
    self->live = rc == 0;
    klog_info("watching %zu open obligations", self->n);
    return rc;
}

/* An action decided under the read transaction, submitted after it (a
 * command reads the store in a transaction of its own). */
typedef struct {
    int req_case;
    char target[SLA_ID_MAX];   /* the obligation, or the escalation for level 2 */
    char rid[SLA_ID_MAX + 16];
} s_action_t;

/* What obligation id's state asks at now: an action (returns true), or
 * nothing (met, acknowledged, at level 2) or later (pushed back). */
static bool s_decide(sla_watch_t *self, store_txn_t *txn, arena_t *a, const char *id, int64_t now,
                     s_action_t *act)
{
    sla_t *sla = self->sla;
    Kefu__Obligation *o = krecord_get(txn, sla->t.obligations, id, &kefu__obligation__descriptor, a);
    if (!o)
        return false;
    Kefu__Escalation *e = o->escalation ? krecord_get(txn, sla->t.escalations, o->escalation,
                                                      &kefu__escalation__descriptor, a)
                                        : NULL;
    int64_t next = sla_next_at(sla, o, e);
    if (next == 0)
        return false;
    if (next > now) {
        sla_watch_push(self, next, id);  /* not yet (a stale entry) */
        return false;
    }
    if (e && e->level < 2 && now >= e->raised_at + sla->level2_after_us) {
        act->req_case = KEFU__REQUEST__REQ_ESCALATION_LEVEL;
        snprintf(act->target, sizeof act->target, "%s", e->id);
        snprintf(act->rid, sizeof act->rid, "level2-%s", e->id);
    } else if (e) {
        /* not acknowledged: the reminder it is due, named by its number */
        act->req_case = KEFU__REQUEST__REQ_ESCALATION_REMIND;
        snprintf(act->target, sizeof act->target, "%s", e->id);
        snprintf(act->rid, sizeof act->rid, "remind-%s-%u", e->id, e->reminders + 1);
    } else if (now < o->due) {
        act->req_case = KEFU__REQUEST__REQ_OBLIGATION_WARN;
        snprintf(act->target, sizeof act->target, "%s", id);
        snprintf(act->rid, sizeof act->rid, "warn-%s", id);
    } else {
        act->req_case = KEFU__REQUEST__REQ_ESCALATION_RAISE;
        snprintf(act->target, sizeof act->target, "%s", id);
        snprintf(act->rid, sizeof act->rid, "raise-%s", id);
    }
    /* looked at again in a minute: a command refused for a passing reason
     * (the log unavailable) is tried again; one that was made finds the
     * state moved on and pushes its real next time */
    sla_watch_push(self, now + 60 * 1000000LL, id);
    return true;
}

static void s_submit(sla_t *sla, const s_action_t *act)
{
    Kefu__Request req = KEFU__REQUEST__INIT;
    req.actor = SLA_PRODUCER;
    Kefu__EscalationRaise raise = KEFU__ESCALATION_RAISE__INIT;
    Kefu__ObligationWarn warn = KEFU__OBLIGATION_WARN__INIT;
    Kefu__EscalationLevel level = KEFU__ESCALATION_LEVEL__INIT;
    Kefu__EscalationRemind remind = KEFU__ESCALATION_REMIND__INIT;
    req.req_case = act->req_case;
    switch (act->req_case) {
    case KEFU__REQUEST__REQ_ESCALATION_REMIND:
        remind.id = (char *) act->target;
        req.escalation_remind = &remind;
        break;
    case KEFU__REQUEST__REQ_ESCALATION_LEVEL:
        level.id = (char *) act->target;
        req.escalation_level = &level;
        break;
    case KEFU__REQUEST__REQ_OBLIGATION_WARN:
        warn.obligation = (char *) act->target;
        req.obligation_warn = &warn;
        break;
    default:
        raise.obligation = (char *) act->target;
        req.escalation_raise = &raise;
    }
    kservice_submit(sla->svc, &req, act->rid);
}

#define S_TICK_MAX 4096  /* actions one tick takes; the rest at the next */

void sla_watch_tick(void *arg)
{
    sla_t *sla = arg;
    sla_watch_t *self = sla->watch;
    if (!self->live && sla_watch_load(self) != 0)
        return;  /* the next batch or wake-up tries again */
    int64_t now = kclock_now(sla->d->clock);
    if (sla->clock_seen > now)
        now = sla->clock_seen;
    if (self->n && self->heap[0].at <= now) {
        store_txn_t *txn;
        if (store_read_begin(kservice_store(sla->svc), &txn) != 0)
            return;  /* the next batch or wake-up tries again */
        arena_t *a = arena_new(0);
        s_action_t *acts = malloc(S_TICK_MAX * sizeof *acts);
        size_t n = 0;
        while (acts && self->n && self->heap[0].at <= now && n < S_TICK_MAX) {
            s_entry_t top = self->heap[0];
            s_pop(self);
            arena_reset(a);
            if (s_decide(self, txn, a, s_id(&top), now, &acts[n]))
                n++;
            s_entry_free(&top);
        }
        arena_destroy(&a);
        store_txn_end(&txn);
        for (size_t i = 0; i < n; i++)
            s_submit(sla, &acts[i]);
        free(acts);
    }
    if (self->n)
        kservice_wake_at(sla->svc, self->heap[0].at);
    /* the close of a working day (no obligation's time): after what fell
     * due by now, so a reply due at the close is raised before the list */
    sla_eod_tick(sla, now);
}
