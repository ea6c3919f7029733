/* evlog_sub.c: a test subscriber built on the consumer library, as a
 * daemon would use it. Applies every event to its own LMDB store (seq ->
 * "producer producer_seq"), refusing to apply anything twice (an index on
 * producer+producer_seq) or out of order (the consumer checks seq), until
 * it has applied --until SEQ (or the log's head with --until head), then
 * writes its store in seq order to --out, one "seq producer producer_seq"
 * line per event. Killed with SIGKILL and started again on the same store,
 * it must resume where it was. Its store is derived from the log, like a
 * daemon's (store.h: unsynced commits, rebuilt after an unclean system
 * restart); --synced makes it sync every commit instead, for comparison.
 * `make bench` runs four of these with --until never as the stand-in
 * consumers of site.append_durable. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consumer.h"
#include "evlog_client.h"
#include "kclock.h"
#include "kerr.h"
#include "store.h"

typedef struct {
    store_table_t events, seen;
    uint64_t dups;
} s_sub_t;

static void s_key(uint8_t key[8], uint64_t seq)
{
    for (int i = 0; i < 8; i++)
        key[i] = (uint8_t) (seq >> (56 - 8 * i));
}

/* --skip: a daemon's consumer meeting events that are not its own (every
 * daemon sees every event, and skips the others' types without decoding
 * them, consumer_set_want): only the position is committed, per batch. */
static bool s_skip;

static bool s_want_none(void *arg, int body_case)
{
    (void) arg, (void) body_case;
    return false;
}

static int s_apply(void *arg, store_txn_t *txn, const evlog_record_t *rec, const Kefu__Envelope *ev)
{
    if (s_skip)
        return 0;
    uint64_t seq = rec->seq;
    s_sub_t *s = arg;
    char val[160];
    int n = snprintf(val, sizeof val, "%s %" PRIu64, ev && ev->producer ? ev->producer : "?",
                     ev ? ev->producer_seq : 0);
    const void *old;
    size_t oldlen;
    if (store_get(txn, s->seen, val, (size_t) n, &old, &oldlen) == 0) {
        fprintf(stderr, "evlog_sub: duplicate event %s at seq %" PRIu64 "\n", val, seq);
        s->dups++;
    }
    uint8_t key[8];
    s_key(key, seq);
    int rc = store_put(txn, s->events, key, 8, val, (size_t) n);
    if (rc == 0)
        rc = store_put(txn, s->seen, val, (size_t) n, key, 8);
    return rc;
}

static int s_dump(store_t *st, s_sub_t *s, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return 1;
    store_txn_t *txn;
    store_read_begin(st, &txn);
    store_cursor_t *c;
    store_cursor_open(txn, s->events, &c);
    store_cursor_seek(c, NULL, 0);
    const void *k, *v;
    size_t kl, vl;
    while (store_cursor_next(c, &k, &kl, &v, &vl) == 0) {
        uint64_t seq = 0;
        for (int i = 0; i < 8; i++)
            seq = seq << 8 | ((const uint8_t *) k)[i];
        fprintf(f, "%" PRIu64 " %.*s\n", seq, (int) vl, (const char *) v);
    }
    store_cursor_close(&c);
    store_txn_end(&txn);
    return fclose(f) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    const char *dir = NULL, *storepath = NULL, *out = NULL, *until = "head";
    long timeout_s = 300;
    store_opts_t sopts = {0};
    static const struct option opts[] = {{"dir", 1, 0, 'd'}, {"store", 1, 0, 's'},
                                         {"out", 1, 0, 'o'}, {"until", 1, 0, 'u'},
                                         {"timeout", 1, 0, 't'}, {"synced", 0, 0, 'S'},
                                         {"skip", 0, 0, 'k'},
                                         {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd': dir = optarg; break;
        case 's': storepath = optarg; break;
        case 'o': out = optarg; break;
        case 'u': until = optarg; break;
        case 't': timeout_s = atol(optarg); break;
        case 'S': sopts.synced = true; break;
        case 'k': s_skip = true; break;
        default:
            fprintf(stderr, "usage: evlog_sub --dir SITE --store DIR [--until SEQ|head|never] "
                            "[--out FILE] [--timeout S] [--synced] [--skip]\n");
            return 2;
        }
    }
    if (!storepath)
        return 2;
    store_t *st;
    if (store_open(&st, storepath, &sopts) != 0)
        return 2;
    s_sub_t s = {0};
    store_table(st, "events", &s.events);
    store_table(st, "seen", &s.seen);
    evlog_client_t *cl = evlog_client_new(dir, NULL);
    consumer_t *con = consumer_new(st, cl, s_apply, NULL, &s);
    if (con && s_skip)
        consumer_set_want(con, s_want_none);  /* none of the events is its own */
    if (!cl || !con)
        return 2;
    uint64_t target = UINT64_MAX;
    int64_t deadline = kclock_mono_us() + timeout_s * 1000000LL;
    if (strcmp(until, "head") == 0) {
        while (evlog_client_fetch(cl, 1, 1, NULL, NULL, &target, 1000) != 0)
            if (kclock_mono_us() > deadline)
                return 3;
    } else if (strcmp(until, "never") != 0)
        target = strtoull(until, NULL, 10);
    consumer_start(con);
    /* SIGTERM or SIGINT (CZMQ's handler sets zsys_interrupted) stops it
     * cleanly: with --until never that is how it ends. */
    while (consumer_applied(con) < target && kclock_mono_us() < deadline && !zsys_interrupted)
        evlog_client_poll(cl, 100);
    int rc = consumer_applied(con) >= target || (target == UINT64_MAX && zsys_interrupted) ? 0 : 1;
    if (rc)
        fprintf(stderr, "evlog_sub: applied %" PRIu64 " of %" PRIu64 " before the timeout\n",
                consumer_applied(con), target);
    if (out && s_dump(st, &s, out) != 0)
        rc = 1;
    if (s.dups)
        rc = 1;
    consumer_destroy(&con);
    evlog_client_destroy(&cl);
    store_destroy(&st);
    return rc;
}
