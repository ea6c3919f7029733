/* evlog_client.h: the only way a daemon reaches the event log.
 *
 * Appending: a client created with a producer id asks the log where that
 * producer stands (HelloRequest), then numbers each event producer_seq =
 * last + 1, packs it, and sends it. The log acknowledges an append only
 * once it is durable; the client keeps every unacknowledged request and
 * sends it again, in order, when the log does not answer in time or
 * answers ERR_GAP (the log restarted and lost what was in flight). The log
 * drops retries it already holds, so an event is in the log exactly once.
 *
 * Reading: fetch() reads a range; subscribe() delivers every record from a
 * given seq in order, with no gap and no duplicate: it fetches until it has
 * caught up with the head, then follows the live stream, and fetches again
 * whenever the stream skips (the ZeroMQ Guide's Clone pattern).
 *
 * Backends: today the log daemon over ZeroMQ (ipc:// or tcp://). The
 * interface names no socket type, so a second backend (NATS JetStream)
 * can be added behind it without touching any daemon.
 *
 * A client is single-threaded: drive it with evlog_client_attach() in a
 * zloop, or with evlog_client_poll() in a plain loop.
 */
#ifndef KEFU_EVLOG_CLIENT_H
#define KEFU_EVLOG_CLIENT_H

#include <czmq.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.pb-c.h"
#include "evlog_record.h"

typedef struct evlog_client_t evlog_client_t;

/* How far a producer may run ahead of its oldest unacknowledged event, in
 * producer_seqs. Half the log's dedup window (services/evlog/producers.h),
 * so a retry of the oldest is always one the log still knows the seq of. */
#define EVLOG_CLIENT_SPAN 2048

/* Called when an append is durable (rc 0; seqs[i] is the log seq of the
 * call's event i, as the log answered it: a retry that was partly in the
 * log already gets the original seqs of those events, so the seqs need
 * not be consecutive; never 0) or has failed for good (rc < 0, seqs
 * NULL: the log refused it, e.g. KEFU_ETOOLARGE). seqs is valid only
 * during the call. */
typedef void (evlog_ack_fn)(void *arg, int rc, const uint64_t *seqs, size_t n);

/* Called with consecutive records (recs[i].seq == recs[0].seq + i), in log
 * order. Return 0 to go on; non-zero stops delivery (evlog_client_poll or
 * the zloop handler returns that code) and the same records are delivered
 * again later. Records are valid only during the call. */
typedef int (evlog_deliver_fn)(void *arg, const evlog_record_t *recs, size_t n);

/* New client for the site in site_dir (its sockets per site.h). producer
 * may be NULL for a client that only reads. Returns NULL with errno set
 * (ENAMETOOLONG for a site path too long for ipc sockets). */
evlog_client_t *evlog_client_new(const char *site_dir, const char *producer);
void evlog_client_destroy(evlog_client_t **self_p);

/* Queues an append of n events as one request; fills in producer and
 * producer_seq of each. The events are packed at once: the caller may free
 * them on return. cb may be NULL. Returns 0, KEFU_ETOOLARGE (an event or
 * the request over the limit), KEFU_EINVAL (not a valid event), or
 * KEFU_EUNAVAIL when the client has no producer, is not yet introduced
 * and could not reach the log within the hello timeout (or the log's
 * refusal of the hello, KEFU_EFORBIDDEN: evlog_client_introduce), or is
 * EVLOG_CLIENT_SPAN events past its oldest unacknowledged one (poll, and
 * try again once it is acknowledged). */
int evlog_client_append(evlog_client_t *self, Kefu__Envelope **events,
                        size_t n, evlog_ack_fn *cb, void *arg);

/* Appends and waits until durable. Returns 0 and sets *first_seq (may be
 * NULL) to the seq of events[0], the log's refusal code, or KEFU_ETIMEOUT (the request stays
 * queued and will still be retried). */
int evlog_client_append_wait(evlog_client_t *self, Kefu__Envelope **events,
                             size_t n, uint64_t *first_seq, int timeout_ms);

/* Introduces the producer to the log now (rather than at its first
 * append) and sets *head to the log's durable head once every event the
 * log had taken from this producer is durable: a daemon starting after a
 * crash learns where the log ends, its predecessor's last appends
 * included. Only with nothing in flight. A producer that is a daemon's
 * name proves it with the site secret, read now (evlog_proof.h; again
 * once if the log refuses it). Returns 0, KEFU_EUNAVAIL (no answer
 * within timeout_ms), KEFU_EINVAL, or the log's refusal (KEFU_EFORBIDDEN:
 * a daemon's producer id without a readable secret, or "evlog"). */
int evlog_client_introduce(evlog_client_t *self, uint64_t *head, int timeout_ms);

/* Requests not yet acknowledged. */
size_t evlog_client_inflight(const evlog_client_t *self);

/* Reads up to max records from seq `from` (blocking, up to timeout_ms).
 * cb is called once with what was read (maybe none). Sets *head to the
 * log's head. Returns 0, KEFU_ETIMEOUT, or cb's code. */
int evlog_client_fetch(evlog_client_t *self, uint64_t from, size_t max,
                       evlog_deliver_fn *cb, void *arg, uint64_t *head,
                       int timeout_ms);

/* Starts delivering every record with seq >= from to cb, in order, with no
 * gap and no duplicate, for as long as the client is polled. One
 * subscription per client. Returns 0. */
int evlog_client_subscribe(evlog_client_t *self, uint64_t from,
                           evlog_deliver_fn *cb, void *arg);
/* The next seq the subscription will deliver. */
uint64_t evlog_client_next(const evlog_client_t *self);

/* The log's head as last heard (0 if never). */
uint64_t evlog_client_head(const evlog_client_t *self);

/* Registers the client's sockets and retry timer in loop. Returns 0 or -1. */
int evlog_client_attach(evlog_client_t *self, zloop_t *loop);
/* Without a zloop: waits up to timeout_ms for traffic, handles all that
 * is there (acks, records, retries). Returns 0, or a deliver callback's
 * non-zero code. */
int evlog_client_poll(evlog_client_t *self, int timeout_ms);

#endif
