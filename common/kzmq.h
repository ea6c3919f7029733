/* kzmq.h: ZeroMQ helpers the daemons share.
 *
 * Every daemon socket that takes requests is a ROUTER whose clients send
 * one-frame messages (no empty delimiter): the ROUTER sees [identity]
 * [body]. Anything else is malformed and must be read whole, so that the
 * next message starts at a message boundary, and answered with an error.
 */
#ifndef KEFU_KZMQ_H
#define KEFU_KZMQ_H

#include <stddef.h>
#include <stdint.h>
#include <zmq.h>

/* The longest identity a daemon answers to: ZeroMQ's own are 5 bytes; a
 * client-set routing id may be up to 255. */
#define KZMQ_MAX_ID 255

/* Receives one message from ROUTER sock without waiting. Initialises id
 * and body (the caller closes both, whatever is returned). Returns -1 if
 * no message waits; otherwise the number of frames after the identity:
 * 1 for a well-formed request (body holds it); with more, the rest were
 * read and dropped and body holds the first. */
int kzmq_recv_routed(void *sock, zmq_msg_t *id, zmq_msg_t *body);

/* One request read off a ROUTER: the sender's identity and the body.
 * frames is 1 for a well-formed request; otherwise the message had no
 * body (0) or more frames (the rest were dropped), and the handler
 * answers it as malformed. The bytes are valid during the call. */
typedef void (kzmq_request_fn)(void *arg, const uint8_t *id, size_t idlen, const uint8_t *body,
                               size_t len, int frames);
/* The drain loop of every daemon's ROUTER: hands each message waiting on
 * sock to fn, up to max (so a busy socket can't starve the rest of the
 * loop), never waiting for more. A message from an identity over
 * KZMQ_MAX_ID bytes (no reply could reach it) is dropped. Returns how many
 * messages were read. */
int kzmq_drain(void *sock, int max, kzmq_request_fn *fn, void *arg);

#endif
