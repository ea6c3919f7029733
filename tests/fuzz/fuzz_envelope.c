/* fuzz_envelope.c: an event as the log daemon takes it (evlog_event.h).
 *
 * Differential: evlog_event_scan() reads an envelope off its bytes and
 * says 0 only when it certainly decodes and passes evlog_event_check();
 * the full path decodes it (protobuf-c, into an arena) and checks it. The
 * target asserts that a scan's "sure" is never wrong (decodes, passes,
 * and the producer, producer_seq and body it read are the decoded ones),
 * that evlog_event_peek_body agrees with it, and that an envelope which
 * passes packs again with evlog_event_pack byte for byte as protobuf-c
 * packs it. The decoded envelope is printed as JSON (kefuctl log).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "arena.h"
#include "event.pb-c.h"
#include "evlog_event.h"
#include "evlog_record.h"
#include "kerr.h"
#include "pbjson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    evlog_event_info_t info;
    memset(&info, 0, sizeof info);
    int sure = evlog_event_scan(data, size, &info) == 0;
    arena_t *a = arena_new(0);
    Kefu__Envelope *ev = size <= EVLOG_MAX_EVENT
                             ? kefu__envelope__unpack(arena_pbc(a), size, data) : NULL;
    char why[512];
    int rc = ev ? evlog_event_check(ev, size, why, sizeof why) : KEFU_EBADREQ;
    if (sure) {
        if (rc != 0)
            abort();   /* the scan took an event the full check refuses */
        if (info.producer_len != strlen(ev->producer) ||
            memcmp(info.producer, ev->producer, info.producer_len) != 0 ||
            info.producer_seq != ev->producer_seq || info.body != (int) ev->body_case)
            abort();   /* ... or read other fields than protobuf-c does */
        int peek = evlog_event_peek_body(data, size);
        if (peek != info.body)
            abort();
    }
    if (rc == 0) {
        /* the log client's packing, byte for byte protobuf-c's */
        evlog_pack_plan_t plan;
        size_t n = evlog_event_packed_size(ev, &plan);
        size_t m = kefu__envelope__get_packed_size(ev);
        if (n != m)
            abort();
        uint8_t *x = malloc(n + 1), *y = malloc(m + 1);
        if (!x || !y)
            abort();
        if (evlog_event_pack(ev, &plan, x) != n || kefu__envelope__pack(ev, y) != m ||
            memcmp(x, y, n) != 0)
            abort();
        free(x);
        free(y);
        if (!evlog_event_type(ev))
            abort();   /* a checked event has a known body */
    }
    if (ev) {
        json_t *j = pbjson_from_message(&ev->base, 480);
        json_decref(j);
    }
    arena_destroy(&a);
    return 0;
}
