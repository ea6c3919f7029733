/* fuzz_request.c: a control request as a daemon's control socket takes
 * it (common/ctlserver.c, s_handle): decoded into an arena, a request
 * kind required, then kvalid_request() (kvalid.h: UTF-8, enums, limits,
 * nesting, no field unknown to this build and no NUL in a string, read
 * off the wire bytes too) and the field kinds it reads (pbkind.h). A
 * request that passes is printed as JSON (pbjson.h) and packed again,
 * and the repacked bytes must pass again. The same bytes are decoded as
 * a Reply too, as ctlclient and kefuctl take the daemon's answer.
 */
#include <stdint.h>
#include <stdlib.h>

#include <jansson.h>

#include "arena.h"
#include "control.pb-c.h"
#include "kvalid.h"
#include "pbjson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    arena_t *a = arena_new(0);
    Kefu__Request *req = kefu__request__unpack(arena_pbc(a), size, data);
    char err[512];
    if (req && req->req_case != KEFU__REQUEST__REQ__NOT_SET &&
        kvalid_request(&req->base, data, size, err, sizeof err) == 0) {
        json_t *j = pbjson_from_message(&req->base, 480);
        if (!j)
            abort();
        json_decref(j);
        size_t n = kefu__request__get_packed_size(req);
        uint8_t *buf = malloc(n + 1);
        if (!buf || kefu__request__pack(req, buf) != n)
            abort();
        Kefu__Request *again = kefu__request__unpack(arena_pbc(a), n, buf);
        if (!again || again->req_case != req->req_case ||
            kvalid_request(&again->base, buf, n, err, sizeof err) != 0)
            abort();   /* what passed once passes as it is packed again */
        free(buf);
    }
    Kefu__Reply *rep = kefu__reply__unpack(arena_pbc(a), size, data);
    if (rep) {
        kvalid_message(&rep->base, err, sizeof err);
        json_t *j = pbjson_from_message(&rep->base, -300);
        json_decref(j);
    }
    arena_destroy(&a);
    return 0;
}
