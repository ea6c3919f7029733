/* evlog_proof.h: how a daemon proves to the log that it is the daemon.
 *
 * A daemon's producer id (its name in the registry, common/daemons.def:
 * "intake", "sched", ...) is reserved for that daemon. Without a proof
 * any local client could hello or append as producer `intake`, and
 * intake's next real event, carrying the same producer_seq, would be
 * taken as a retry and dropped (issue 11).
 *
 * The proof rests on a site secret: 32 random bytes the log creates at
 * start, if missing, in DIR/evlog/producer.secret (mode 0600, in the
 * log's store, 0700: readable only by the site's own user, the one every
 * daemon runs as; under systemd an operator in group kefu may use the
 * sockets but not read this). A client whose
 * producer is a daemon's name reads the file and sends, in HelloRequest
 * and AppendRequest (proto/evlog.proto, field `proof`), the keyed hash
 *
 *   proof = BLAKE2b-256(key = secret, "kefu evlog producer v1\0" producer)
 *
 * (libsodium's crypto_generichash). Why a keyed hash rather than the
 * secret itself: the secret never leaves the two processes that read
 * it, and a proof names its producer, so one seen anywhere (a socket
 * that one day is TCP, roadmap 7; a debug dump) lets nobody write as
 * another daemon. The log computes the proofs of the registry's
 * daemons once at start, so checking a request costs a 32-byte
 * constant-time compare (sodium_memcmp), no hashing per request or per
 * event. docs/protocol.md "Producer ids" is the reference.
 */
#ifndef KEFU_EVLOG_PROOF_H
#define KEFU_EVLOG_PROOF_H

#include <stddef.h>
#include <stdint.h>

#define EVLOG_SECRET_BYTES 32
#define EVLOG_PROOF_BYTES 32
#define EVLOG_SECRET_FILE "evlog/producer.secret"   /* under the site dir */

/* "DIR/evlog/producer.secret" into buf. Returns 0 or KEFU_ETOOLARGE. */
int evlog_secret_path(const char *site, char *buf, size_t cap);

/* Reads the site's secret. Returns 0, ENOENT (the log has not created
 * it yet), EINVAL (the file is not EVLOG_SECRET_BYTES long), or errno
 * (EACCES: another user's site). */
int evlog_secret_read(const char *site, uint8_t secret[EVLOG_SECRET_BYTES]);

/* The log's side: reads the secret, or creates it if missing (random
 * bytes, written to a temporary file, fsynced, renamed, the directory
 * fsynced, so a crash leaves the old file or the whole new one). A file
 * of the wrong length is replaced; one that others may read is made
 * 0600. The store directory DIR/evlog/ must exist. Returns 0 or errno. */
int evlog_secret_ensure(const char *site, uint8_t secret[EVLOG_SECRET_BYTES]);

/* The proof for producer (len bytes, not NUL-terminated) under secret. */
void evlog_proof_make(const uint8_t secret[EVLOG_SECRET_BYTES], const char *producer,
                      size_t len, uint8_t proof[EVLOG_PROOF_BYTES]);

/* 1 if a and b (EVLOG_PROOF_BYTES each) are equal, else 0, in time that
 * does not depend on where they differ. */
int evlog_proof_equal(const uint8_t *a, const uint8_t *b);

#endif
