/* cmd_log.c: `kefuctl log tail [--from SEQ] [--follow]`, the event log as
 * JSON lines.
 *
 * Each record is one line, whatever the output mode (JSON lines are the
 * natural text form of a stream):
 *   {"seq":N,"type":"clock_advanced","at":"RFC 3339","producer":"evlog",
 *    "producer_seq":N,"data":{...}}
 * plus "request_id" and "actor" when the event carries them. type is the
 * name of the Envelope's set `body` field and data that event's fields,
 * both through pbjson, so a new event type prints without code here. An
 * event whose body this build does not know is type "unknown"; a record
 * that does not decode is type "undecodable" (both with data {}), so one
 * odd record never hides the rest of the log.
 *
 * Without --follow the command reads with evlog_client_fetch() from SEQ up
 * to the head as it was at the first fetch, then exits; with --follow it
 * subscribes and polls until SIGINT or SIGTERM (exit 0). The log client is
 * read-only (no producer).
 */
#include <errno.h>
#include <signal.h>
#include <string.h>

#include "arena.h"
#include "evlog_client.h"
#include "kefuctl.h"
#include "kerr.h"
#include "pbjson.h"
#include "site.h"

#define S_CHUNK   512  /* records per fetch */
#define S_POLL_MS 250  /* how often --follow looks at the stop flag */

/* Set from the signal handler, so it is a file-scope volatile
 * sig_atomic_t: the one piece of state kefuctl keeps outside its context. */
static volatile sig_atomic_t s_stop;

static void s_on_signal(int sig)
{
    (void) sig;
    s_stop = 1;
}

typedef struct {
    arena_t *arena;  /* for unpacking envelopes; reset after each record */
    uint64_t next;   /* the seq the next line should have */
    bool broken;     /* stdout can no longer be written */
    int offset_min;  /* the site's, for the times */
    kctl_t *ctx;
    kctl_stream_fn *fn;  /* a command's own lines (kctl_log_stream), or NULL */
    void *arg;
} s_tail_t;

/* Moves key from src to dst if src has it. */
static void s_move(json_t *dst, json_t *src, const char *key)
{
    json_t *v = json_object_get(src, key);
    if (v)
        json_object_set(dst, key, v);
}

/* The line for one record; NULL only on out-of-memory. */
static json_t *s_record_json(s_tail_t *t, const evlog_record_t *rec)
{
    json_t *line = json_object();
    if (!line)
        return NULL;
    json_object_set_new(line, "seq", kctl_json_u64(rec->seq));
    Kefu__Envelope *env = kefu__envelope__unpack(arena_pbc(t->arena), rec->len, rec->data);
    if (!env) {
        json_object_set_new(line, "type", json_string("undecodable"));
        json_object_set_new(line, "at", json_null());
        json_object_set_new(line, "data", json_object());
        return line;
    }
    const ProtobufCMessage *sub = NULL;
    const char *type = pbjson_oneof(&env->base, "body", &sub);
    /* The whole envelope through pbjson: it formats at, and makes strings
     * off the wire safe; then its members are laid out as the contract
     * wants, the body as "data". */
    json_t *e = pbjson_from_message(&env->base, t->offset_min);
    if (!e) {
        json_decref(line);
        return NULL;
    }
    json_object_set_new(line, "type", json_string(type ? type : "unknown"));
    json_t *at = json_object_get(e, "at");
    json_object_set(line, "at", at ? at : json_null());
    s_move(line, e, "producer");
    s_move(line, e, "producer_seq");
    s_move(line, e, "request_id");
    s_move(line, e, "actor");
    json_t *data = type ? json_object_get(e, type) : NULL;
    if (data && json_is_object(data))
        json_object_set(line, "data", data);
    else
        json_object_set_new(line, "data", json_object());
    json_decref(e);
    return line;
}

static int s_deliver(void *arg, const evlog_record_t *recs, size_t n)
{
    s_tail_t *t = arg;
    for (size_t i = 0; i < n; i++) {
        if (recs[i].seq < t->next)
            continue;  /* already printed: never print a record twice */
        int rc = 0;
        if (t->fn) {
            /* a command's own view of the stream: its lines, or none */
            Kefu__Envelope *env = kefu__envelope__unpack(arena_pbc(t->arena), recs[i].len,
                                                         recs[i].data);
            json_t *line = env ? t->fn(t->ctx, t->arg, recs[i].seq, env) : NULL;
            if (line)
                rc = kctl_line(line);
            json_decref(line);
        } else {
            json_t *line = s_record_json(t, &recs[i]);
            rc = line ? kctl_line(line) : -1;
            json_decref(line);
        }
        arena_reset(t->arena);
        if (rc != 0) {
            t->broken = true;
            return 1;
        }
        t->next = recs[i].seq + 1;
    }
    return 0;
}

/* Reads from t->next to the head as the first fetch finds it. */
static int s_tail(kctl_t *ctx, evlog_client_t *client, s_tail_t *t)
{
    uint64_t target = 0;
    bool first = true;
    for (;;) {
        uint64_t before = t->next, head = 0;
        int rc = evlog_client_fetch(client, t->next, S_CHUNK, s_deliver, t, &head,
                                    ctx->timeout_ms);
        if (t->broken)
            return KCTL_EXIT_REFUSED;  /* kctl_line() failed: nowhere to report */
        if (rc == KEFU_ETIMEOUT)
            return kctl_fail(ctx, KCTL_EXIT_UNREACHABLE, "unavailable",
                             "the event log does not answer: is the site in %s up?", ctx->site);
        if (rc != 0)
            return kctl_fail(ctx, KCTL_EXIT_REFUSED, kefu_errname(rc), "the event log: %s",
                             kefu_strerror(rc));
        if (first) {
            /* a busy log grows while we read: stop at what was there */
            target = head;
            first = false;
        }
        if (t->next > target)
            return KCTL_EXIT_OK;
        if (t->next == before)
            return kctl_fail(ctx, KCTL_EXIT_REFUSED, "internal",
                             "the event log sent nothing from seq %llu though its head is %llu",
                             (unsigned long long) t->next, (unsigned long long) head);
    }
}

/* Follows the log until a signal. */
static int s_follow(kctl_t *ctx, evlog_client_t *client, s_tail_t *t)
{
    evlog_client_subscribe(client, t->next, s_deliver, t);
    while (!s_stop) {
        evlog_client_poll(client, S_POLL_MS);
        if (t->broken)
            return KCTL_EXIT_REFUSED;
    }
    (void) ctx;
    return KCTL_EXIT_OK;
}

int kctl_cmd_log_tail(kctl_t *ctx, int argc, char **argv)
{
    static const struct option opts[] = {
        {"from", required_argument, NULL, 'f'},
        {"follow", no_argument, NULL, 'F'},
        {NULL, 0, NULL, 0},
    };
    uint64_t from = 1;
    bool follow = false;
    int opt;
    while ((opt = kctl_getopt(ctx, argc, argv, opts)) >= 0) {
        if (opt == 'f') {
            if (kctl_parse_u64(optarg, &from) != 0)
                return kctl_usage(ctx, "bad --from '%s': a log seq (0 and 1: the beginning)",
                                  optarg);
        } else
            follow = true;
    }
    if (opt == KCTL_OPT_EXIT)
        return ctx->exit_code;
    if (optind < argc)
        return kctl_usage(ctx, "unexpected argument '%s'", argv[optind]);
    return kctl_log_stream(ctx, from, follow, NULL, NULL);
}

int kctl_log_stream(kctl_t *ctx, uint64_t from, bool follow, kctl_stream_fn *fn, void *arg)
{
    /* The remote endpoint carries requests, not the log's stream (net.h):
     * a remote client watches through the requests (escalations,
     * obligations, queue), not by reading the log. */
    if (ctx->endpoint)
        return kctl_fail(ctx, KCTL_EXIT_USAGE, "usage",
                         "the log (log tail, --follow) is read on the site's own machine, "
                         "not over --endpoint");
    /* no log socket file: the log is not running, say so without waiting */
    char endpoint[PATH_MAX + 32];
    if (site_endpoint(ctx->site, KCTL_LOG_DAEMON, "sock", endpoint, sizeof endpoint) != 0)
        return kctl_call_fail(ctx, KCTL_LOG_DAEMON, KEFU_ETOOLARGE);
    if (kctl_endpoint_absent(endpoint))
        return kctl_fail(ctx, KCTL_EXIT_UNREACHABLE, "unavailable",
                         "the event log is not running: is the site in %s up?", ctx->site);

    if (follow) {
        /* our own handler, not CZMQ's: it must be installed before the
         * client makes its first socket, and CZMQ's would print and set its
         * own flag; no SA_RESTART so a wait returns at once */
        zsys_handler_set(NULL);
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = s_on_signal;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
    }
    evlog_client_t *client = evlog_client_new(ctx->site, NULL);
    if (!client) {
        if (errno == ENAMETOOLONG)
            return kctl_call_fail(ctx, KCTL_LOG_DAEMON, KEFU_ETOOLARGE);
        return kctl_fail(ctx, KCTL_EXIT_REFUSED, "internal", "cannot open the log client: %s",
                         strerror(errno));
    }
    s_tail_t t = {.arena = arena_new(0), .next = from ? from : 1, .broken = false,
                 .offset_min = kctl_time_offset(ctx), .ctx = ctx, .fn = fn, .arg = arg};
    int rc = follow ? s_follow(ctx, client, &t) : s_tail(ctx, client, &t);
    evlog_client_destroy(&client);
    arena_destroy(&t.arena);
    return rc;
}
