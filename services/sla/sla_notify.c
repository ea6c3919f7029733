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
 * on `seq`). With no channel configured nothing is kept.
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

struct sla_notify_t {
    sla_t *sla;
    char url[1024];
    char format[16];
    char command[1024];
    int64_t retry_max_us;
    pthread_t thread;
    bool started;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stop;                  /* under mu */
    bool more;                  /* under mu: the outbox grew */
    uint64_t delivered;         /* under mu: highest seq delivered, not yet deleted */
    uint64_t sent_upto;         /* the thread's: highest seq handed to the channels */
    zsock_t *tell_main, *tell_thread;  /* PAIR: "delivered" to the loop */
};

bool sla_notify_enabled(const sla_notify_t *self)
{
    return self && (self->url[0] || self->command[0]);
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
    json_decref(j);
    if (!text)
        return ENOMEM;
    uint8_t key[8];
    size_t kl = krecord_time_key(key, (int64_t) seq, NULL);
    int rc = store_put(txn, self->sla->t.outbox, key, kl, text, strlen(text));
    free(text);
    if (rc == 0) {
        pthread_mutex_lock(&self->mu);
        self->more = true;
        pthread_cond_signal(&self->cv);
        pthread_mutex_unlock(&self->mu);
    }
    return rc;
}

/* The body to post for notice n (JSON text), in the configured format;
 * malloc'd. */
static char *s_body(const sla_notify_t *self, const char *notice)
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
    char text[1024];
    snprintf(text, sizeof text,
             "### kefu: %s %s\n- escalation: %s\n- subject: %s\n- owner: %s\n- level: %lld\n"
             "- due: %s\n- log seq: %lld",
             kind ? kind : "escalation", ev ? ev : "", id ? id : "-", subject ? subject : "-",
             owner ? owner : "-", (long long) level, due ? due : "-",
             (long long) json_integer_value(json_object_get(n, "seq")));
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

static bool s_post(const sla_notify_t *self, const char *notice)
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

static bool s_run_command(const sla_notify_t *self, const char *notice)
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
static char *s_next(sla_notify_t *self, uint64_t after, uint64_t *seq)
{
    *seq = 0;
    store_txn_t *txn;
    if (store_read_begin(kservice_store(self->sla->svc), &txn) != 0)
        return NULL;
    store_cursor_t *c;
    char *text = NULL;
    if (store_cursor_open(txn, self->sla->t.outbox, &c) == 0) {
        uint8_t key[8];
        size_t kl = krecord_time_key(key, (int64_t) after + 1, NULL);
        const void *k, *v;
        size_t klen, vl;
        if (store_cursor_seek(c, key, kl) == 0 &&
            store_cursor_next(c, &k, &klen, &v, &vl) == 0 && klen == 8) {
            *seq = (uint64_t) krecord_key_time(k);
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
    sla_notify_t *self = arg;
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
            if (backoff > self->retry_max_us)
                backoff = self->retry_max_us;
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
    sla_notify_t *n;
    uint64_t upto;
} s_forget_t;

static int s_forget(store_txn_t *txn, void *arg)
{
    s_forget_t *f = arg;
    store_cursor_t *c;
    int rc = store_cursor_open(txn, f->n->sla->t.outbox, &c);
    if (rc)
        return rc;
    uint8_t keys[256][8];
    size_t n = 0;
    const void *k;
    size_t kl;
    store_cursor_seek(c, NULL, 0);
    while (n < 256 && store_cursor_next(c, &k, &kl, NULL, NULL) == 0 && kl == 8 &&
           (uint64_t) krecord_key_time(k) <= f->upto)
        memcpy(keys[n++], k, 8);
    store_cursor_close(&c);
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = store_del(txn, f->n->sla->t.outbox, keys[i], 8);
    return rc;
}

static int s_delivered(zloop_t *loop, zsock_t *sock, void *arg)
{
    (void) loop;
    sla_notify_t *self = arg;
    zsock_wait(sock);
    pthread_mutex_lock(&self->mu);
    s_forget_t f = {self, self->delivered};
    pthread_mutex_unlock(&self->mu);
    if (store_write(kservice_store(self->sla->svc), s_forget, &f) != 0)
        klog_warn("notify: can't clear delivered notices now; they go again after a restart");
    return 0;
}

/* ---- life --------------------------------------------------------------------------------- */

sla_notify_t *sla_notify_new(sla_t *sla, const kconfig_t *config)
{
    sla_notify_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->sla = sla;
    snprintf(self->url, sizeof self->url, "%s", kconfig_get(config, "sla.notify_url"));
    snprintf(self->format, sizeof self->format, "%s", kconfig_get(config, "sla.notify_format"));
    snprintf(self->command, sizeof self->command, "%s", kconfig_get(config, "sla.notify_command"));
    self->retry_max_us = kconfig_duration(config, "sla.notify_retry_max");
    pthread_mutex_init(&self->mu, NULL);
    pthread_cond_init(&self->cv, NULL);
    return self;
}

int sla_notify_attach(sla_notify_t *self, zloop_t *loop)
{
    if (!sla_notify_enabled(self))
        return 0;
    char ep[64];
    snprintf(ep, sizeof ep, "inproc://sla-notify-%p", (void *) self);
    self->tell_main = zsock_new(ZMQ_PAIR);
    self->tell_thread = zsock_new(ZMQ_PAIR);
    if (!self->tell_main || !self->tell_thread || zsock_bind(self->tell_main, "%s", ep) != 0 ||
        zsock_connect(self->tell_thread, "%s", ep) != 0)
        return -1;
    if (zloop_reader(loop, self->tell_main, s_delivered, self) != 0)
        return -1;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (pthread_create(&self->thread, NULL, s_thread, self) != 0)
        return -1;
    self->started = true;
    klog_info("notifying%s%s%s%s", self->url[0] ? " " : "", self->url,
              self->command[0] ? " and by " : "", self->command);
    return 0;
}

void sla_notify_destroy(sla_notify_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    sla_notify_t *self = *self_p;
    if (self->started) {
        pthread_mutex_lock(&self->mu);
        self->stop = true;
        pthread_cond_signal(&self->cv);
        pthread_mutex_unlock(&self->mu);
        pthread_join(self->thread, NULL);
        curl_global_cleanup();
    }
    zsock_destroy(&self->tell_main);
    zsock_destroy(&self->tell_thread);
    pthread_cond_destroy(&self->cv);
    pthread_mutex_destroy(&self->mu);
    free(self);
    *self_p = NULL;
}
