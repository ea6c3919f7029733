/* evlog_load.c: a test producer. Appends COUNT probe events to a site's
 * log with WINDOW requests in flight, and writes one line per acknowledged
 * event, "producer producer_seq seq", to --out. Used by the integration
 * tests to check that every acknowledged event is in the log exactly once. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evlog_client.h"
#include "kclock.h"
#include "kerr.h"

typedef struct {
    FILE *out;
    const char *producer;
    size_t acked, failed;
    uint64_t pseq_base;
} s_state_t;

typedef struct {
    s_state_t *st;
    uint64_t first_pseq;
} s_req_t;

static void s_ack(void *arg, int rc, const uint64_t *seqs, size_t n)
{
    s_req_t *r = arg;
    if (rc == 0) {
        for (size_t i = 0; i < n; i++)
            fprintf(r->st->out, "%s %llu %llu\n", r->st->producer,
                    (unsigned long long) (r->first_pseq + i), (unsigned long long) seqs[i]);
        r->st->acked += n;
    } else {
        fprintf(stderr, "evlog_load: append failed: %s\n", kefu_strerror(rc));
        r->st->failed += n;
    }
    free(r);
}

int main(int argc, char **argv)
{
    const char *dir = NULL, *producer = "load", *outpath = NULL;
    long count = 1000, window = 64, batch = 1, payload = 32, timeout_s = 300;
    static const struct option opts[] = {
        {"dir", 1, 0, 'd'}, {"producer", 1, 0, 'p'}, {"count", 1, 0, 'n'},
        {"window", 1, 0, 'w'}, {"batch", 1, 0, 'b'}, {"payload", 1, 0, 's'},
        {"out", 1, 0, 'o'}, {"timeout", 1, 0, 't'}, {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd': dir = optarg; break;
        case 'p': producer = optarg; break;
        case 'n': count = atol(optarg); break;
        case 'w': window = atol(optarg); break;
        case 'b': batch = atol(optarg); break;
        case 's': payload = atol(optarg); break;
        case 'o': outpath = optarg; break;
        case 't': timeout_s = atol(optarg); break;
        default:
            fprintf(stderr, "usage: evlog_load --dir DIR [--producer P] [--count N] "
                            "[--window W] [--batch B] [--payload BYTES] [--out FILE]\n");
            return 2;
        }
    }
    s_state_t st = {.out = outpath ? fopen(outpath, "w") : stdout, .producer = producer};
    if (!st.out) {
        perror(outpath);
        return 2;
    }
    evlog_client_t *cl = evlog_client_new(dir, producer);
    if (!cl) {
        perror("evlog_client_new");
        return 2;
    }
    uint8_t *pl = calloc(1, (size_t) payload + 1);
    memset(pl, 'x', (size_t) payload);
    long sent = 0;
    int64_t deadline = kclock_mono_us() + timeout_s * 1000000LL;
    Kefu__Envelope *evs[256];
    Kefu__Envelope env[256];
    Kefu__Probe probe[256];
    if (batch > 256)
        batch = 256;
    while ((long) (st.acked + st.failed) < count) {
        if (kclock_mono_us() > deadline) {
            fprintf(stderr, "evlog_load: timed out with %zu of %ld acknowledged\n", st.acked, count);
            return 1;
        }
        while (sent < count && (long) evlog_client_inflight(cl) < window * batch) {
            long n = count - sent < batch ? count - sent : batch;
            for (long i = 0; i < n; i++) {
                kefu__envelope__init(&env[i]);
                kefu__probe__init(&probe[i]);
                probe[i].has_n = probe[i].has_payload = 1;
                probe[i].n = (uint64_t) (sent + i);
                probe[i].payload.data = pl;
                probe[i].payload.len = (size_t) payload;
                env[i].has_at = 1;
                env[i].at = kclock_mono_us();
                env[i].body_case = KEFU__ENVELOPE__BODY_PROBE;
                env[i].probe = &probe[i];
                evs[i] = &env[i];
            }
            s_req_t *r = malloc(sizeof *r);
            r->st = &st;
            int rc = evlog_client_append(cl, evs, (size_t) n, s_ack, r);
            if (rc == KEFU_EUNAVAIL) {
                free(r);
                break;  /* the log isn't there yet: poll and try again */
            }
            if (rc) {
                fprintf(stderr, "evlog_load: append: %s\n", kefu_strerror(rc));
                return 1;
            }
            r->first_pseq = env[0].producer_seq;
            sent += n;
        }
        evlog_client_poll(cl, 100);
    }
    fflush(st.out);
    if (outpath)
        fclose(st.out);
    evlog_client_destroy(&cl);
    free(pl);
    return st.failed ? 1 : 0;
}
