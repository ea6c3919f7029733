/* sla_notify.c: the notifier: escalations and warnings delivered to people.
 *
 * Every raised, levelled, reminded and cleared escalation and every warning sla
 * applies is put, in the same transaction, in the store's outbox (key: the
 * event's seq, value: the notice as JSON, as `escalations --follow` prints
 * it). A delivery thread takes the outbox in seq order and hands each
 * notice to the configured channels:
 *   sla.notify_url      an HTTP webhook (libcurl, POST, JSON): a 2xx is
 *                       delivered; in sla.notify_format: "json" (the
 *                       notice), "dingtalk" or "wecom" (their group
 *                       robots' markdown messages)
 *   sla.notify_command  a command (sh -c), the notice as JSON on its stdin
 *                       (a mail or SMS gateway): exit 0 is delivered
 * A notice that fails is tried again after 250 ms, doubling up to
 * sla.notify_retry_max, and nothing after it goes before it: in order,
 * never dropped. Delivered seqs go back to the loop's thread, which
 * deletes them from the outbox; so delivery state survives a restart, and
 * a notice is sent again only if sla stops between its delivery and that
 * deletion (at least once; a receiver that must not see one twice keys
 * on `seq`). With no channel configured nothing is kept. An
 * open-complaints list (sla_eod.c) carries its complaints: in the JSON as
 * `open_cases`, in the robots' markdown a line each, as many as fit.
 *
 * Routing (sla_route.h): the above is channel 0, "default"; sla.channels
 * names more webhooks and sla.route says which kinds and levels go to
 * which. A notice is put once per channel it goes to, keyed (channel
 * index, be64(seq)), and each channel has its own thread, backoff and
 * delivered mark: in order and once per channel, and a channel that
 * fails holds up none of the others. The key's layout is SLA_SCHEMA 3.
 */
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "kerr.h"
#include "klog.h"
#include "ktime.h"
#include "pbjson.h"
#include "sla.h"
#include "sla_route.h"

/* One channel (sla_route.h): its target, its thread and its part of the
 * outbox (keys starting with its index), so a channel that fails holds up
 * only its own notices. */
typedef struct {
    sla_notify_t *n;
    int index;                  /* 0: default */
    char name[32];
    char url[1024];
    char format[16];
    char command[1024];
    pthread_t thread;
    bool started;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stop;                  /* under mu */
    bool more;                  /* under mu: the outbox grew */
    uint64_t delivered;         /* under mu: highest seq delivered, not yet deleted */
    uint64_t sent_upto;         /* the thread's: highest seq handed to the channels */
    zsock_t *tell_main, *tell_thread;  /* PAIR: "delivered" to the loop */
} s_chan_t;

struct sla_notify_t {
    sla_t *sla;
    int64_t retry_max_us;
    s_chan_t chans[SLA_CHANNELS_MAX];
    int n_chans;                /* default included (it may be empty: no target) */
    sla_route_rule_t rules[64];
    int n_rules;
};

static bool s_chan_on(const s_chan_t *c)
{
    return c->url[0] || c->command[0];
}

bool sla_notify_enabled(const sla_notify_t *self)
{
    if (!self)
        return false;
    for (int i = 0; i < self->n_chans; i++)
        if (s_chan_on(&self->chans[i]))
            return true;
    return false;
}

/* The outbox key of channel c's notice seq: its index, then be64(seq). */
static size_t s_key(uint8_t key[9], int c, uint64_t seq)
{
    key[0] = (uint8_t) c;
    krecord_time_key(key + 1, (int64_t) seq, NULL);
    return 9;
}

/* Which channels a notice of kind (a word) and level goes to: a bit per
 * channel (sla_route.h). */
static unsigned s_route(const sla_notify_t *self, const char *kind, int level)
{
    unsigned to = 0;
    for (int i = 0; i < self->n_rules; i++) {
        const sla_route_rule_t *r = &self->rules[i];
        if ((strcmp(r->kind, "*") == 0 || (kind && strcmp(r->kind, kind) == 0)) &&
            (r->level == 0 || r->level == level))
            to |= 1u << r->channel;
    }
    return to ? to : 1u;
}

/* ---- the notice and its formats ------------------------------------------------------ */

int sla_notify_put(sla_notify_t *self, store_txn_t *txn, uint64_t seq, const Kefu__Envelope *ev)
{
    if (!sla_notify_enabled(self))
        return 0;
    const char *what;
    /* m points into the event or into the apply arena */
    const ProtobufCMessage *m;
    switch (ev->body_case) {
    case KEFU__ENVELOPE__BODY_ESCALATION_RAISED:
        what = "raised";
        m = &ev->escalation_raised->escalation->base;
        break;
    case KEFU__ENVELOPE__BODY_ESCALATION_LEVELLED:
    case KEFU__ENVELOPE__BODY_ESCALATION_REMINDED:
    case KEFU__ENVELOPE__BODY_ESCALATION_CLEARED: {
        /* the escalation as it now stands (kind, subject, level, lateness) */
        const char *id;
        if (ev->body_case == KEFU__ENVELOPE__BODY_ESCALATION_LEVELLED) {
            what = "levelled";
            id = ev->escalation_levelled->id;
        } else if (ev->body_case == KEFU__ENVELOPE__BODY_ESCALATION_REMINDED) {
            what = "reminder";
            id = ev->escalation_reminded->id;
        } else {
            what = "cleared";
            id = ev->escalation_cleared->id;
        }
        m = krecord_get(txn, self->sla->t.escalations, id, &kefu__escalation__descriptor,
                        self->sla->apply_arena);
        if (!m)
            return 0;
        break;
    }
    case KEFU__ENVELOPE__BODY_OBLIGATION_WARNED:
        what = "warning";
        m = &ev->obligation_warned->obligation->base;
        break;
    default:
        return 0;
    }
    json_t *j = pbjson_from_message(m, self->sla->d->utc_offset_min);
    if (!j)
        return ENOMEM;
    json_object_set_new(j, "seq", json_integer((json_int_t) seq));
    json_object_set_new(j, "event", json_string(what));
    char *text = json_dumps(j, JSON_COMPACT);
    if (!text) {
        json_decref(j);
        return ENOMEM;
    }
    unsigned to = s_route(self, json_string_value(json_object_get(j, "kind")),
                          (int) json_integer_value(json_object_get(j, "level")));
    json_decref(j);
    int rc = 0;
    for (int c = 0; c < self->n_chans && rc == 0; c++) {
        s_chan_t *ch = &self->chans[c];
        if (!(to & (1u << c)) || !s_chan_on(ch))
            continue;
        uint8_t key[9];
        rc = store_put(txn, self->sla->t.outbox, key, s_key(key, c, seq), text, strlen(text));
        if (rc == 0) {
            pthread_mutex_lock(&ch->mu);
            ch->more = true;
            pthread_cond_signal(&ch->cv);
            pthread_mutex_unlock(&ch->mu);
        }
    }
    free(text);
    return rc;
}

/* An open-complaints list's complaints (sla_eod.c), after the len bytes
 * of text (cap in all): a line each, as many as fit, and how many more. */
static void s_text_cases(char *text, size_t cap, int len, const json_t *n)
{
    const json_t *cases = json_object_get(n, "open_cases");
    size_t total = (size_t) json_integer_value(json_object_get(n, "open_count"));
    if (!json_array_size(cases) || len < 0 || (size_t) len >= cap)
        return;
    size_t at = (size_t) len, shown = 0;
    int w = snprintf(text + at, cap - at, "\n- open complaints: %zu", total);
    if (w < 0 || (size_t) w >= cap - at)
        return;
    at += (size_t) w;
    size_t i;
    const json_t *c;
    json_array_foreach(cases, i, c) {
        const char *cid = json_string_value(json_object_get(c, "id"));
        const char *cown = json_string_value(json_object_get(c, "owner"));
        const char *opened = json_string_value(json_object_get(c, "opened_at"));
        const char *cdue = json_string_value(json_object_get(c, "due"));
        const char *replied = json_string_value(json_object_get(c, "replied_at"));
        char line[400];
        int lw = snprintf(line, sizeof line, "\n  - %s, owner %s, opened %s, due %s%s%s",
                          cid ? cid : "-", cown ? cown : "-", opened ? opened : "-",
                          cdue ? cdue : "-", replied ? ", replied " : ", not replied",
                          replied ? replied : "");
        if (lw < 0 || (size_t) lw >= sizeof line || at + (size_t) lw + 40 >= cap)
            break;  /* room kept for the "more" line */
        memcpy(text + at, line, (size_t) lw + 1);
        at += (size_t) lw;
        shown++;
    }
    if (shown < total)
        snprintf(text + at, cap - at, "\n  - and %zu more", total - shown);
}

/* The body to post for notice n (JSON text), in the configured format;
 * malloc'd. */
static char *s_body(const s_chan_t *self, const char *notice)
{
    if (strcmp(self->format, "json") == 0)
        return strdup(notice);
    json_t *n = json_loads(notice, 0, NULL);
    if (!n)
        return NULL;
    const char *ev = json_string_value(json_object_get(n, "event"));
    const char *kind = json_string_value(json_object_get(n, "kind"));
    const char *id = json_string_value(json_object_get(n, "id"));
    const char *subject = json_string_value(json_object_get(n, "subject"));
    const char *owner = json_string_value(json_object_get(n, "owner"));
    const char *due = json_string_value(json_object_get(n, "due"));
    json_int_t level = json_integer_value(json_object_get(n, "level"));
    /* WeCom takes at most 4096 bytes of markdown */
    char text[4000];
    int len = snprintf(text, sizeof text,
                       "### kefu: %s %s\n- escalation: %s\n- subject: %s\n- owner: %s\n- level: %lld\n"
                       "- due: %s\n- log seq: %lld",
                       kind ? kind : "escalation", ev ? ev : "", id ? id : "-", subject ? subject : "-",
                       owner ? owner : "-", (long long) level, due ? due : "-",
                       (long long) json_integer_value(json_object_get(n, "seq")));
    s_text_cases(text, sizeof text, len, n);
    char title[128];
    snprintf(title, sizeof title, "kefu: %s %s", kind ? kind : "escalation", ev ? ev : "");
    json_t *body;
    if (strcmp(self->format, "dingtalk") == 0)  /* DingTalk group robot, markdown */
        body = json_pack("{s:s,s:{s:s,s:s}}", "msgtype", "markdown", "markdown", "title", title,
                         "text", text);
    else  /* wecom: WeCom (企业微信) group robot, markdown */
        body = json_pack("{s:s,s:{s:s}}", "msgtype", "markdown", "markdown", "content", text);
    json_decref(n);
    char *out = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    return out;
}

/* ---- the channels --------------------------------------------------------------------- */

static size_t s_discard(char *p, size_t size, size_t n, void *arg)
{
    (void) p;
    (void) arg;
    return size * n;
}

static bool s_post(const s_chan_t *self, const char *notice)
{
    char *body = s_body(self, notice);
    if (!body)
        return false;
    CURL *c = curl_easy_init();
    bool ok = false;
    if (c) {
        struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
        curl_easy_setopt(c, CURLOPT_URL, self->url);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, s_discard);
        CURLcode rc = curl_easy_perform(c);
        long status = 0;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        ok = rc == CURLE_OK && status >= 200 && status < 300;
        if (!ok)
            klog_warn("notify: %s: %s (HTTP %ld); trying again", self->url,
                      rc == CURLE_OK ? "refused" : curl_easy_strerror(rc), status);
        curl_slist_free_all(h);
        curl_easy_cleanup(c);
    }
    free(body);
    return ok;
}

static bool s_run_command(const s_chan_t *self, const char *notice)
{
    FILE *p = popen(self->command, "w");
    if (!p) {
        klog_warn("notify: can't run %s: %s", self->command, strerror(errno));
        return false;
    }
    fputs(notice, p);
    fputc('\n', p);
    int st = pclose(p);
    bool ok = st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0;
    if (!ok)
        klog_warn("notify: %s failed (status %d); trying again", self->command, st);
    return ok;
}

/* The first notice after seq `after`: its seq (0: none) into *seq and its
 * text (malloc'd). */
static char *s_next(s_chan_t *self, uint64_t after, uint64_t *seq)
{
    *seq = 0;
    sla_t *sla = self->n->sla;
    store_txn_t *txn;
    if (store_read_begin(kservice_store(sla->svc), &txn) != 0)
        return NULL;
    store_cursor_t *c;
    char *text = NULL;
    if (store_cursor_open(txn, sla->t.outbox, &c) == 0) {
        uint8_t key[9];
        size_t kl = s_key(key, self->index, after + 1);
        const void *k, *v;
        size_t klen, vl;
        if (store_cursor_seek(c, key, kl) == 0 &&
            store_cursor_next(c, &k, &klen, &v, &vl) == 0 && klen == 9 &&
            ((const uint8_t *) k)[0] == self->index) {
            *seq = (uint64_t) krecord_key_time((const uint8_t *) k + 1);
            text = malloc(vl + 1);
            if (text) {
                memcpy(text, v, vl);
                text[vl] = '\0';
            }
        }
        store_cursor_close(&c);
    }
    store_txn_end(&txn);
    return text;
}

static void *s_thread(void *arg)
{
    s_chan_t *self = arg;
    int64_t backoff = 0;
    for (;;) {
        pthread_mutex_lock(&self->mu);
        bool stop = self->stop;
        self->more = false;
        pthread_mutex_unlock(&self->mu);
        if (stop)
            break;
        uint64_t seq;
        char *notice = s_next(self, self->sent_upto, &seq);
        if (notice) {
            bool ok = (!self->url[0] || s_post(self, notice)) &&
                      (!self->command[0] || s_run_command(self, notice));
            free(notice);
            if (ok) {
                self->sent_upto = seq;
                backoff = 0;
                pthread_mutex_lock(&self->mu);
                self->delivered = seq;
                pthread_mutex_unlock(&self->mu);
                zsock_signal(self->tell_thread, 0);
                continue;
            }
            backoff = backoff ? backoff * 2 : 250000;
            if (backoff > self->n->retry_max_us)
                backoff = self->n->retry_max_us;
        }
        /* wait for more, or the time to try again */
        pthread_mutex_lock(&self->mu);
        if (!self->stop && (!self->more || notice)) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            int64_t wait = notice ? backoff : 1000000;  /* without news, look once a second */
            ts.tv_sec += (time_t) (wait / 1000000);
            ts.tv_nsec += (long) (wait % 1000000) * 1000;
            if (ts.tv_nsec >= 1000000000) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000;
            }
            pthread_cond_timedwait(&self->cv, &self->mu, &ts);
        }
        pthread_mutex_unlock(&self->mu);
    }
    return NULL;
}

/* ---- the loop's side: delivered notices leave the outbox ------------------------------- */

typedef struct {
    s_chan_t *ch;
    uint64_t upto;
} s_forget_t;

static int s_forget(store_txn_t *txn, void *arg)
{
    s_forget_t *f = arg;
    store_cursor_t *c;
    sla_t *sla = f->ch->n->sla;
    int rc = store_cursor_open(txn, sla->t.outbox, &c);
    if (rc)
        return rc;
    uint8_t keys[256][9];
    size_t n = 0;
    const void *k;
    size_t kl;
    uint8_t first[9];
    store_cursor_seek(c, first, s_key(first, f->ch->index, 0));
    while (n < 256 && store_cursor_next(c, &k, &kl, NULL, NULL) == 0 && kl == 9 &&
           ((const uint8_t *) k)[0] == f->ch->index &&
           (uint64_t) krecord_key_time((const uint8_t *) k + 1) <= f->upto)
        memcpy(keys[n++], k, 9);
    store_cursor_close(&c);
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = store_del(txn, sla->t.outbox, keys[i], 9);
    return rc;
}

static int s_delivered(zloop_t *loop, zsock_t *sock, void *arg)
{
    (void) loop;
    s_chan_t *self = arg;
    zsock_wait(sock);
    pthread_mutex_lock(&self->mu);
    s_forget_t f = {self, self->delivered};
    pthread_mutex_unlock(&self->mu);
    if (store_write(kservice_store(self->n->sla->svc), s_forget, &f) != 0)
        klog_warn("notify: can't clear delivered notices now; they go again after a restart");
    return 0;
}

/* ---- life --------------------------------------------------------------------------------- */

int sla_notify_new(sla_notify_t **out, sla_t *sla, const kconfig_t *config)
{
    *out = NULL;
    sla_notify_t *self = calloc(1, sizeof *self);
    if (!self)
        return ENOMEM;
    self->sla = sla;
    self->retry_max_us = kconfig_duration(config, "sla.notify_retry_max");
    s_chan_t *d = &self->chans[0];
    snprintf(d->name, sizeof d->name, "default");
    snprintf(d->url, sizeof d->url, "%s", kconfig_get(config, "sla.notify_url"));
    snprintf(d->format, sizeof d->format, "%s", kconfig_get(config, "sla.notify_format"));
    snprintf(d->command, sizeof d->command, "%s", kconfig_get(config, "sla.notify_command"));
    /* kconfig checked both keys; a rule naming a channel sla.channels
     * lacks is caught here (the key's own check cannot see the other) */
    sla_channel_def_t defs[SLA_CHANNELS_MAX];
    char what[256] = "";
    int n = sla_channels_parse(kconfig_get(config, "sla.channels"), defs, SLA_CHANNELS_MAX - 1,
                               what, sizeof what);
    int r = n < 0 ? n : sla_route_parse(kconfig_get(config, "sla.route"), defs, n, self->rules,
                                        64, what, sizeof what);
    if (n < 0 || r < 0) {
        klog_error("%s: %s", n < 0 ? "sla.channels" : "sla.route", what);
        free(self);
        return KEFU_EINVAL;
    }
    self->n_rules = r;
    self->n_chans = 1 + n;
    for (int i = 0; i < n; i++) {
        s_chan_t *c = &self->chans[i + 1];
        memcpy(c->name, defs[i].name, sizeof c->name);      /* same sizes, NUL-ended */
        memcpy(c->url, defs[i].url, sizeof c->url);
        memcpy(c->format, defs[i].format, sizeof c->format);
    }
    for (int i = 0; i < self->n_chans; i++) {
        self->chans[i].n = self;
        self->chans[i].index = i;
        pthread_mutex_init(&self->chans[i].mu, NULL);
        pthread_cond_init(&self->chans[i].cv, NULL);
    }
    *out = self;
    return 0;
}

int sla_notify_attach(sla_notify_t *self, zloop_t *loop)
{
    if (!sla_notify_enabled(self))
        return 0;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    for (int i = 0; i < self->n_chans; i++) {
        s_chan_t *c = &self->chans[i];
        if (!s_chan_on(c))
            continue;
        char ep[64];
        snprintf(ep, sizeof ep, "inproc://sla-notify-%p", (void *) c);
        c->tell_main = zsock_new(ZMQ_PAIR);
        c->tell_thread = zsock_new(ZMQ_PAIR);
        if (!c->tell_main || !c->tell_thread || zsock_bind(c->tell_main, "%s", ep) != 0 ||
            zsock_connect(c->tell_thread, "%s", ep) != 0)
            return -1;
        if (zloop_reader(loop, c->tell_main, s_delivered, c) != 0)
            return -1;
        if (pthread_create(&c->thread, NULL, s_thread, c) != 0)
            return -1;
        c->started = true;
        klog_info("notifying %s:%s%s%s%s", c->name, c->url[0] ? " " : "", c->url,
                  c->command[0] ? " and by " : "", c->command);
    }
    return 0;
}

void sla_notify_destroy(sla_notify_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    sla_notify_t *self = *self_p;
    bool any = false;
    for (int i = 0; i < self->n_chans; i++) {
        s_chan_t *c = &self->chans[i];
        if (c->started) {
            pthread_mutex_lock(&c->mu);
            c->stop = true;
            pthread_cond_signal(&c->cv);
            pthread_mutex_unlock(&c->mu);
            pthread_join(c->thread, NULL);
            any = true;
        }
        zsock_destroy(&c->tell_main);
        zsock_destroy(&c->tell_thread);
        pthread_cond_destroy(&c->cv);
        pthread_mutex_destroy(&c->mu);
    }
    if (any)
        curl_global_cleanup();
    free(self);
    *self_p = NULL;
}
