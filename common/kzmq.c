/* kzmq.c: ZeroMQ helpers the daemons share (kzmq.h). */
#include "kzmq.h"

int kzmq_recv_routed(void *sock, zmq_msg_t *id, zmq_msg_t *body)
{
    zmq_msg_init(id);
    zmq_msg_init(body);
    if (zmq_msg_recv(id, sock, ZMQ_DONTWAIT) < 0)
        return -1;
    if (!zmq_msg_more(id) || zmq_msg_recv(body, sock, 0) < 0)
        return 0;  /* an identity alone: no body frame */
    int frames = 1;
    int more = zmq_msg_more(body);
    while (more) {  /* malformed: read the rest of it */
        zmq_msg_t junk;
        zmq_msg_init(&junk);
        if (zmq_msg_recv(&junk, sock, 0) < 0) {
            zmq_msg_close(&junk);
            break;
        }
        more = zmq_msg_more(&junk);
        zmq_msg_close(&junk);
        frames++;
    }
    return frames;
}

int kzmq_drain(void *sock, int max, kzmq_request_fn *fn, void *arg)
{
    int n = 0;
    for (; n < max; n++) {
        zmq_msg_t id, body;
        int frames = kzmq_recv_routed(sock, &id, &body);
        if (frames < 0) {
            zmq_msg_close(&id);
            zmq_msg_close(&body);
            break;
        }
        if (zmq_msg_size(&id) <= KZMQ_MAX_ID)
            fn(arg, zmq_msg_data(&id), zmq_msg_size(&id), zmq_msg_data(&body),
               zmq_msg_size(&body), frames);
        zmq_msg_close(&body);
        zmq_msg_close(&id);
    }
    return n;
}
