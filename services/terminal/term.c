/* term.c: kefu-terminal's loop (term.h): the scanner's lines in, each
 * scan spooled, then sent to the site in order, one at a time, and its
 * answer printed.
 *
 * One thread, one poll(2): on the input while it lasts, with a timeout
 * that is the next try at the site while scans wait and it was not
 * reached (no busy loop: the wait doubles from TERM_RETRY_MIN_MS up to
 * TERM_RETRY_MAX_MS, and to 1 s at most while nobody listens, which is
 * one connect(2) to find out). Each turn takes input lines, then sends at
 * most the oldest waiting scan and waits for its answer (ctlclient_call,
 * up to the timeout). While the site answers, lines are taken one scan
 * at a time and only when nothing waits, so the answers come in the order
 * of the lines; while it does not, every line the input holds is taken
 * and those scans made durable with one fsync before they are told
 * spooled. spool_next syncs before a send in any case: scan N+1 never
 * goes out before scan N is answered, and a scan is sent only once it is
 * on disk.
 *
 * What counts as answered: the site's Job (taken), or any refusal but
 * the three that mean "not now": unavailable (the log or the daemon
 * can't take it yet, or the daemon is stopping), timeout and store-full;
 * those, no answer at all, or nobody listening, leave the scan waiting
 * and make the terminal try again later with the same request id. A
 * repeat of a request id the site has taken is answered with its first
 * answer and changes nothing, so a scan sent twice (an answer lost, an A
 * record lost in a crash) is applied once.
 *
 * Lines: "ok", "refused" and "invalid" are each scan's final word;
 * "spooled" says a scan is kept while the site can't be reached, and it
 * gets its final line once the site answers. What concerns the station
 * rather than one scan (the site lost or back, scans from a former run)
 * goes to stderr.
 */
#include "term.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "ctlclient.h"
#include "kclock.h"
#include "kerr.h"
#include "kid.h"

#include "control.pb-c.h"
#include "sched.pb-c.h"

enum { S_UP, S_ABSENT, S_SILENT };   /* the site as last found */

struct term_t {
    char terminal[SPOOL_TERMINAL_MAX + 1];
    char worker[KID_MAX + 1];  /* "": none */
    char *endpoint;
    int timeout_ms;
    bool nowait;
    volatile sig_atomic_t *stop;
    spool_t *spool;
    ctlclient_t *client;
    int site;
    int64_t next_us;           /* mono time of the next try while not S_UP */
    int backoff_ms;
    uint64_t told;             /* scans up to this seq have had their "spooled" line */
    char in[TERM_IN_MAX];      /* input read and not yet taken */
    size_t in_len;
    bool too_long;             /* dropping the rest of a line past the buffer */
    char long_head[TERM_LINE_MAX + 1];  /* ... whose start is this */
    bool eof;
    bool give_up;              /* nowait: the input ended and a try failed */
    bool unsynced;             /* scans taken and not yet synced and told */
    int fatal;                 /* a TERM_EXIT_ code to stop with, or 0 */
};

int term_new(term_t **out, const term_opts_t *opts, char *err, size_t cap)
{
    *out = NULL;
    term_t *self = calloc(1, sizeof *self);
    if (!self)
        return ENOMEM;
    snprintf(self->terminal, sizeof self->terminal, "%s", opts->terminal);
    snprintf(self->worker, sizeof self->worker, "%s", opts->by ? opts->by : "");
    self->endpoint = strdup(opts->endpoint);
    self->timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms : TERM_TIMEOUT_MS;
    self->nowait = opts->nowait;
    self->stop = opts->stop;
    self->site = S_UP;   /* until a try says otherwise */
    if (!self->endpoint) {
        term_destroy(&self);
        return ENOMEM;
    }
    int rc = spool_new(&self->spool, opts->spool, opts->terminal, NULL, err, cap);
    if (rc) {
        term_destroy(&self);
        return rc;
    }
    self->client = ctlclient_new(self->endpoint);
    if (!self->client) {
        snprintf(err, cap, "%s: not an endpoint", self->endpoint);
        term_destroy(&self);
        return KEFU_EINVAL;
    }
    if (opts->key && ctlclient_set_curve(self->client, opts->key->public_key, opts->key->secret_key,
                                         opts->key->site_key) != 0) {
        snprintf(err, cap, "the key file's keys are not CURVE keys");
        term_destroy(&self);
        return KEFU_EINVAL;
    }
    *out = self;
    return 0;
}

void term_destroy(term_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    term_t *self = *self_p;
    ctlclient_destroy(&self->client);
    spool_destroy(&self->spool);
    free(self->endpoint);
    free(self);
    *self_p = NULL;
}

/* ---- what it prints ------------------------------------------------------------------ */

static void s_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void s_note(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("kefu-terminal: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* "O-7 printing", "O-7 printing correct". */
static void s_label(const spool_scan_t *sc, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s %s%s", sc->order, spool_stage_word(sc->stage),
             sc->correct ? " correct" : "");
}

/* A "spooled" line for each waiting scan that has had none. */
static void s_tell_spooled(term_t *self)
{
    size_t n = spool_waiting(self->spool);
    for (size_t i = 0; i < n; i++) {
        const spool_scan_t *sc = spool_at(self->spool, i);
        if (sc->seq <= self->told)
            continue;
        char label[160];
        s_label(sc, label, sizeof label);
        printf("spooled %s (site unreachable; %zu waiting)\n", label, i + 1);
        self->told = sc->seq;
    }
    fflush(stdout);
}

/* The line as typed, for a message: printable ASCII, at most 60 bytes. */
static void s_shown(const char *line, char *buf, size_t cap)
{
    size_t n = 0;
    for (const char *p = line; *p && n + 4 < cap && n < 60; p++)
        buf[n++] = (unsigned char) *p >= 0x20 && (unsigned char) *p < 0x7f && *p != '"' ? *p : '?';
    if (*line && strlen(line) > 60 && n + 4 < cap) {
        memcpy(buf + n, "...", 3);
        n += 3;
    }
    buf[n] = '\0';
}

static void s_commit(term_t *self);

/* An "invalid" line, after the lines of the scans taken before it. */
static void s_invalid(term_t *self, const char *line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void s_invalid(term_t *self, const char *line, const char *fmt, ...)
{
    s_commit(self);
    char shown[80];
    s_shown(line, shown, sizeof shown);
    printf("invalid \"%s\": ", shown);
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
}

/* ---- the site ------------------------------------------------------------------------ */

static void s_site_lost(term_t *self, int how, const char *why)
{
    bool was_up = self->site == S_UP;
    int max = how == S_ABSENT ? 1000 : TERM_RETRY_MAX_MS;
    if (was_up || self->backoff_ms <= 0)
        self->backoff_ms = TERM_RETRY_MIN_MS;
    else
        self->backoff_ms = self->backoff_ms * 2 > max ? max : self->backoff_ms * 2;
    if (self->backoff_ms > max)
        self->backoff_ms = max;
    self->site = how;
    self->next_us = kclock_mono_us() + (int64_t) self->backoff_ms * 1000;
    if (was_up)
        s_note("the site can't take scans now (%s); they are kept in the spool and sent "
               "once it can", why);
    s_tell_spooled(self);
}

static void s_site_back(term_t *self)
{
    if (self->site != S_UP)
        s_note("the site answers again; %zu scan%s waiting", spool_waiting(self->spool),
               spool_waiting(self->spool) == 1 ? "" : "s");
    self->site = S_UP;
    self->backoff_ms = 0;
}

/* Refusals that mean "not now": the scan waits and goes out again. */
static bool s_transient(int rc)
{
    return rc == KEFU_EUNAVAIL || rc == KEFU_ETIMEOUT || rc == KEFU_ESTOREFULL;
}

/* Sends the oldest waiting scan and takes its answer. Returns true when
 * it was answered (or none waits), false when the site was not reached
 * (or self->fatal is set). */
static bool s_deliver(term_t *self)
{
    const spool_scan_t *next;
    int rc = spool_next(self->spool, &next);
    if (rc == KEFU_ENOTFOUND)
        return true;
    if (rc) {
        s_note("%s: %s; the scans can't be kept safely, stopping", spool_path(self->spool),
               strerror(rc));
        self->fatal = TERM_EXIT_SPOOL;
        return false;
    }
    spool_scan_t sc = *next;
    char why[600];
    if (ctlclient_nobody_listens(self->endpoint)) {
        snprintf(why, sizeof why, "nobody listens on %s", self->endpoint);
        s_site_lost(self, S_ABSENT, why);
        return false;
    }
    char rid[SPOOL_REQUEST_ID_MAX + 1];
    spool_request_id(self->spool, sc.seq, rid, sizeof rid);
    Kefu__StageReport st = KEFU__STAGE_REPORT__INIT;
    st.order = sc.order;
    st.has_stage = true;
    st.stage = (Kefu__Stage) sc.stage;
    st.terminal = self->terminal;
    st.by = sc.by[0] ? sc.by : NULL;
    if (sc.correct) {
        st.has_correct = true;
        st.correct = true;
    }
    Kefu__Request req = KEFU__REQUEST__INIT;
    req.req_case = KEFU__REQUEST__REQ_STAGE;
    req.stage = &st;
    req.request_id = rid;
    req.actor = st.by;
    req.has_wait_ms = true;
    req.wait_ms = (uint32_t) self->timeout_ms;
    Kefu__Reply *rep = NULL;
    rc = ctlclient_call(self->client, &req, &rep, self->timeout_ms);
    if (rc) {
        if (rc == KEFU_ETIMEOUT)
            snprintf(why, sizeof why, "no answer from %s in %d ms", self->endpoint,
                     self->timeout_ms);
        else if (rc == KEFU_EFORBIDDEN)
            snprintf(why, sizeof why, "%s refused this station's key (not enrolled, revoked, "
                                      "or another site's)", self->endpoint);
        else
            snprintf(why, sizeof why, "%s: %s", self->endpoint, kefu_strerror(rc));
        s_site_lost(self, S_SILENT, why);
        return false;
    }
    int code = rep->error ? kefu_err_from_wire(rep->error->code) : 0;
    if (rep->error && !code)
        code = KEFU_EINTERNAL;
    const char *msg = rep->error && rep->error->message ? rep->error->message : "";
    if (code && s_transient(code)) {
        snprintf(why, sizeof why, "%s: %s", kefu_errname(code), msg[0] ? msg : kefu_strerror(code));
        kefu__reply__free_unpacked(rep, NULL);
        s_site_lost(self, S_SILENT, why);
        return false;
    }
    s_site_back(self);
    char label[160];
    s_label(&sc, label, sizeof label);
    if (code)
        printf("refused %s: %s: %s (%s)\n", label, kefu_errname(code),
               msg[0] ? msg : kefu_strerror(code), rid);
    else if (rep->rep_case != KEFU__REPLY__REP_JOB || !rep->job)
        printf("refused %s: internal: the site answered with something else than a job (%s)\n",
               label, rid);
    else
        printf("ok %s (%s)\n", label, rid);
    fflush(stdout);
    kefu__reply__free_unpacked(rep, NULL);
    if (sc.seq > self->told)
        self->told = sc.seq;
    rc = spool_done(self->spool, sc.seq);
    if (rc)
        s_note("%s: %s (the answered scan %s may be sent again after a restart; the site "
               "answers a repeat with its first answer)", spool_path(self->spool), strerror(rc),
               rid);
    return true;
}

/* ---- the scanner's lines ------------------------------------------------------------- */

static bool s_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* One line (NUL-terminated, no newline). Returns true when it added a
 * scan to the spool. */
static bool s_line(term_t *self, char *line)
{
    char *p = line;
    while (s_space(*p))
        p++;
    size_t n = strlen(p);
    while (n && s_space(p[n - 1]))
        p[--n] = '\0';
    if (!*p || *p == '#')
        return false;
    char copy[TERM_LINE_MAX + 1];
    snprintf(copy, sizeof copy, "%s", p);
    char *w[4] = {NULL};
    int nw = 0;
    for (char *q = p; *q && nw < 4;) {
        w[nw++] = q;
        while (*q && !s_space(*q))
            q++;
        if (*q)
            *q++ = '\0';
        while (s_space(*q))
            q++;
        if (nw == 3 && *q)
            nw = 4;   /* a fourth word */
    }
    char err[200];
    if (w[0][0] == '@') {
        if (strcmp(w[0], "@worker") != 0) {
            s_invalid(self, copy, "one of: ORDER STAGE [correct], @worker [NAME]");
            return false;
        }
        if (nw > 2) {
            s_invalid(self, copy, "@worker takes one name");
            return false;
        }
        if (nw == 2 && kid_check(w[1], "NAME", err, sizeof err) != 0) {
            s_invalid(self, copy, "%s", err);
            return false;
        }
        s_commit(self);
        snprintf(self->worker, sizeof self->worker, "%s", nw == 2 ? w[1] : "");
        printf("worker %s\n", nw == 2 ? w[1] : "none");
        fflush(stdout);
        return false;
    }
    if (nw < 2 || nw > 3) {
        s_invalid(self, copy, "a scan is ORDER STAGE [correct]");
        return false;
    }
    if (kid_check(w[0], "ORDER", err, sizeof err) != 0) {
        s_invalid(self, copy, "%s", err);
        return false;
    }
    int stage = spool_stage_parse(w[1]);
    if (!stage) {
        char words[120] = "";
        size_t used = 0;
        for (int s = 1; spool_stage_word(s)[0] && used < sizeof words; s++)
            used += (size_t) snprintf(words + used, sizeof words - used, "%s%s", s > 1 ? ", " : "",
                                      spool_stage_word(s));
        s_invalid(self, copy, "STAGE: one of %s", words);
        return false;
    }
    if (nw == 3 && strcasecmp(w[2], "correct") != 0) {
        s_invalid(self, copy, "the word after the stage may only be \"correct\"");
        return false;
    }
    int rc = spool_add(self->spool, w[0], stage, self->worker, nw == 3, NULL);
    if (rc) {
        s_commit(self);
        printf("error %s %s: not taken: %s: %s (scan it again)\n", w[0], spool_stage_word(stage),
               spool_path(self->spool), strerror(rc));
        fflush(stdout);
        return false;
    }
    self->unsynced = true;
    return true;
}

/* The scans taken so far made durable, and told as spooled while the
 * site is not reached. */
static void s_commit(term_t *self)
{
    if (!self->unsynced || self->fatal)
        return;
    self->unsynced = false;
    int rc = spool_sync(self->spool);
    if (rc) {
        s_note("%s: %s; the scans can't be kept safely, stopping", spool_path(self->spool),
               strerror(rc));
        self->fatal = TERM_EXIT_SPOOL;
        return;
    }
    if (self->site == S_ABSENT)
        self->next_us = 0;   /* a cheap check: maybe it is back */
    if (self->site != S_UP)
        s_tell_spooled(self);
}

/* Reads what the input holds into the buffer; at its end, ends the
 * last line. */
static void s_fill(term_t *self, int fd)
{
    ssize_t r = read(fd, self->in + self->in_len, sizeof self->in - self->in_len);
    if (r < 0 && (errno == EINTR || errno == EAGAIN))
        return;
    if (r > 0) {
        self->in_len += (size_t) r;
        return;
    }
    if (r < 0)
        s_note("reading the scanner: %s; taking no more scans", strerror(errno));
    self->eof = true;
    if (self->in_len && self->in[self->in_len - 1] != '\n') {
        if (self->in_len < sizeof self->in)
            self->in[self->in_len++] = '\n';
        else
            self->too_long = true;
    }
    if (self->too_long && !memchr(self->in, '\n', self->in_len)) {
        s_invalid(self, self->long_head, "longer than %d bytes", TERM_LINE_MAX);
        self->too_long = false;
        self->in_len = 0;
    }
    if (self->nowait)
        self->next_us = 0;   /* one more try before giving up */
}

/* Drops the buffer's first n bytes. */
static void s_consume(term_t *self, size_t n)
{
    memmove(self->in, self->in + n, self->in_len - n);
    self->in_len -= n;
}

/* Takes the whole lines the buffer holds, in order: all of them while
 * the site is not reached, else up to the first scan (which is sent
 * before the next line is taken, so the answers come in the order of the
 * lines). Makes the new scans durable and, while the site is not
 * reached, says they are spooled. */
static void s_take(term_t *self)
{
    for (;;) {
        char *nl = memchr(self->in, '\n', self->in_len);
        if (self->too_long) {
            if (!nl) {
                self->in_len = 0;
                break;
            }
            s_consume(self, (size_t) (nl - self->in) + 1);
            s_invalid(self, self->long_head, "longer than %d bytes", TERM_LINE_MAX);
            self->too_long = false;
            continue;
        }
        if (!nl) {
            if (self->in_len == sizeof self->in) {
                /* No newline in a full buffer: drop up to the next one. */
                memcpy(self->long_head, self->in, TERM_LINE_MAX);
                self->long_head[TERM_LINE_MAX] = '\0';
                self->too_long = true;
                self->in_len = 0;
            }
            break;
        }
        size_t ll = (size_t) (nl - self->in);
        char line[TERM_LINE_MAX + 1];
        memcpy(line, self->in, ll < TERM_LINE_MAX ? ll : TERM_LINE_MAX);
        line[ll < TERM_LINE_MAX ? ll : TERM_LINE_MAX] = '\0';
        for (size_t i = 0; i < ll && i < TERM_LINE_MAX; i++)
            if (line[i] == '\0')
                line[i] = ' ';
        s_consume(self, ll + 1);
        if (ll > TERM_LINE_MAX) {
            s_invalid(self, line, "longer than %d bytes", TERM_LINE_MAX);
            continue;
        }
        if (s_line(self, line) && self->site == S_UP)
            break;
        if (self->fatal)
            return;
    }
    s_commit(self);
}

/* ---- the loop ------------------------------------------------------------------------ */

static int s_waiting_exit(term_t *self)
{
    size_t n = spool_waiting(self->spool);
    if (!n)
        return TERM_EXIT_OK;
    s_note("%zu scan%s wait%s in %s; the next kefu-terminal --terminal %s sends %s", n,
           n == 1 ? "" : "s", n == 1 ? "s" : "", spool_path(self->spool), self->terminal,
           n == 1 ? "it" : "them");
    return TERM_EXIT_WAITING;
}

int term_run(term_t *self, int fd)
{
    size_t n = spool_waiting(self->spool);
    if (n) {
        char first[SPOOL_REQUEST_ID_MAX + 1];
        spool_request_id(self->spool, spool_at(self->spool, 0)->seq, first, sizeof first);
        s_note("%zu scan%s from the spool go%s first (from %s)", n, n == 1 ? "" : "s",
               n == 1 ? "es" : "", first);
        self->told = spool_at(self->spool, n - 1)->seq;
    }
    for (;;) {
        if (self->stop && *self->stop)
            return s_waiting_exit(self);
        /* 1. The lines read, while nothing waits or the site is not reached. */
        if (!spool_waiting(self->spool) || self->site != S_UP)
            s_take(self);
        if (self->fatal)
            return self->fatal;
        size_t waiting = spool_waiting(self->spool);
        bool lines = memchr(self->in, '\n', self->in_len) != NULL;
        if (self->eof && !lines && (!waiting || self->give_up))
            return s_waiting_exit(self);
        /* 2. The oldest waiting scan, when it is time to try. */
        int64_t now = kclock_mono_us();
        if (waiting && (self->site == S_UP || now >= self->next_us)) {
            if (!s_deliver(self) && self->eof && self->nowait)
                self->give_up = true;
            continue;
        }
        /* 3. Nothing to do but wait: for input, or the next try. */
        int timeout = waiting ? (int) ((self->next_us - now + 999) / 1000) : -1;
        bool input = !self->eof && !lines && self->in_len < sizeof self->in;
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        int r = poll(&pfd, input ? 1 : 0, timeout);
        if (r < 0 && errno != EINTR) {
            s_note("poll: %s", strerror(errno));
            return TERM_EXIT_SPOOL;
        }
        if (r > 0 && pfd.revents)
            s_fill(self, fd);
    }
}
