/* kzmq.h: ZeroMQ helpers the daemons share.
 *
 * Every daemon socket that takes requests is a ROUTER whose clients send
 * one-frame messages (no empty delimiter): the ROUTER sees [identity]
 * [body]. Anything else is malformed and must be read whole, so that the
 * next message starts at a message boundary, and answered with an error.
 */
#ifndef KEFU_KZMQ_H
#define KEFU_KZMQ_H

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

#endif
