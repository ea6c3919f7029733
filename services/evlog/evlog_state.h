/* evlog_state.h: what the log daemon rebuilds from its log on start, and
 * the checkpoint form of it.
 *
 * The state after the records 1..cut is: the producer table (producers.h:
 * for each producer its last producer_seq and the log seqs of its last
 * EVLOG_DEDUP_WINDOW events), the clock advances by request id (so a
 * repeated advance gets the first one's answer) and the furthest time a
 * ClockAdvanced event reached. evlog_state_apply() moves it on by one
 * record, as recovery's scan does; evlog_state_save() packs it for a
 * checkpoint and evlog_state_load() unpacks one (evlog_store.h: the store
 * keeps checkpoints opaque and calls the daemon's load with the newest
 * good one, then the scan with only the records after it).
 *
 * The packed form, version 1, every integer an unsigned LEB128 varint
 * (the clock's times as their int64 bits):
 *
 *   version (1)
 *   clock_logged
 *   nproducers, then per producer:
 *     namelen, name bytes, last, n (= min(last, EVLOG_DEDUP_WINDOW)),
 *     then the log seqs of producer_seqs last-n+1 .. last: the first one,
 *     then each as the difference from the one before (> 0: a producer's
 *     events have increasing seqs)
 *   nrequests, then per clock request:
 *     idlen, id bytes, to, seq
 *
 * evlog_state_load() checks every length and that the bytes end exactly
 * there; anything else is refused whole (EINVAL) and the state is left
 * as it was, so the store falls back to an older checkpoint or a scan.
 */
#ifndef KEFU_EVLOG_STATE_H
#define KEFU_EVLOG_STATE_H

#include <czmq.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "evlog_record.h"
#include "producers.h"

/* A clock advance made, by request id. */
typedef struct {
    int64_t to;
    uint64_t seq;
} evlog_clockreq_t;

typedef struct {
    producers_t *producers;
    zhashx_t *clock_requests;   /* request id -> evlog_clockreq_t */
    int64_t clock_logged;       /* the latest ClockAdvanced.to in the log */
    arena_t *arena;             /* for decoding records */
    producer_t *lastp;          /* apply's cache: consecutive records from one producer */
    char lastname[256];
} evlog_state_t;

evlog_state_t *evlog_state_new(void);
void evlog_state_destroy(evlog_state_t **self_p);
/* Empties the state (the state before record 1). */
void evlog_state_clear(evlog_state_t *self);

/* Moves the state on by one record (the next after what it holds). */
void evlog_state_apply(evlog_state_t *self, const evlog_record_t *rec);
/* A ClockAdvanced event to `to`, with request_id (may be NULL or empty),
 * got log seq `seq`. */
void evlog_state_clock(evlog_state_t *self, const char *request_id, int64_t to, uint64_t seq);

/* The packed state (malloc'd, the caller frees it); sets *len. */
uint8_t *evlog_state_save(const evlog_state_t *self, size_t *len);
/* Replaces the state by the packed one: 0, or EINVAL (malformed; the
 * state is unchanged). */
int evlog_state_load(evlog_state_t *self, const uint8_t *buf, size_t len);

#endif
