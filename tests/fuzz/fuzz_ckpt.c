/* fuzz_ckpt.c: the log daemon's checkpoint as it reads one back at start
 * (services/evlog/evlog_state.h: varints, lengths, deltas; anything
 * malformed refused whole, the state left as it was).
 *
 * A checkpoint that loads must save again to bytes that load and save
 * to as many bytes (its hash tables' order may differ); one refused must leave the state it was loaded over as
 * it was (a state with a producer and a clock request in it).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "evlog_state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    evlog_state_t *st = evlog_state_new();
    evlog_state_clock(st, "adv-1", 1795397400000000LL, 3);
    size_t was_len;
    uint8_t *was = evlog_state_save(st, &was_len);
    int rc = evlog_state_load(st, data, size);
    size_t n;
    uint8_t *now = evlog_state_save(st, &n);
    if (rc != 0) {
        if (n != was_len || memcmp(now, was, n) != 0)
            abort();   /* refused, yet changed */
    } else {
        evlog_state_t *again = evlog_state_new();
        if (evlog_state_load(again, now, n) != 0)
            abort();   /* what it saved does not load */
        size_t m;
        uint8_t *twice = evlog_state_save(again, &m);
        if (m != n)
            abort();   /* (the same length: tables' order may differ, not their sizes) */
        free(twice);
        evlog_state_destroy(&again);
    }
    free(now);
    free(was);
    evlog_state_destroy(&st);
    return 0;
}
