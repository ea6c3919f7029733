/* fuzz_spool.c: a floor terminal's spool file as kefu-terminal opens it
 * after a crash or a power cut (services/terminal/spool.h: records with
 * checksums, a torn tail cut off, corruption refused).
 *
 * Input byte 0 chooses: even, the rest is the file as it is; odd, the
 * rest is lines without their checksums, sealed here as spool.c seals
 * them (spool_checksum), so the fuzzer reaches the records' contents. A spool
 * that opens must hold valid scans (ids, stages), take one more scan,
 * send and answer it, and open again afterwards.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_fs.h"
#include "kid.h"
#include "spool.h"

static void s_check(spool_t *sp)
{
    for (size_t i = 0; i < spool_waiting(sp); i++) {
        const spool_scan_t *sc = spool_at(sp, i);
        char err[200];
        if (!sc || kid_check(sc->order, "ORDER", err, sizeof err) != 0 ||
            !spool_stage_word(sc->stage)[0] || (sc->by[0] && kid_check(sc->by, "BY", err, sizeof err) != 0))
            abort();
        char rid[SPOOL_REQUEST_ID_MAX + 1];
        spool_request_id(sp, sc->seq, rid, sizeof rid);
        if (!rid[0])
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    char path[320], lock[330];
    snprintf(path, sizeof path, "%s/spool", fuzz_scratch("spool"));
    snprintf(lock, sizeof lock, "%s.lock", path);
    FILE *f = fopen(path, "wb");
    if (!f)
        abort();
    if (!(data[0] & 1))
        fwrite(data + 1, 1, size - 1, f);
    else {
        const char *p = (const char *) data + 1, *end = (const char *) data + size;
        while (p < end) {
            const char *nl = memchr(p, '\n', (size_t) (end - p));
            size_t n = nl ? (size_t) (nl - p) : (size_t) (end - p);
            fwrite(p, 1, n, f);
            fprintf(f, " %08" PRIx32 "\n", spool_checksum(p, n));
            p += n + 1;
        }
    }
    if (fclose(f) != 0)
        abort();
    spool_t *sp = NULL;
    char err[512];
    size_t torn = 0;
    int rc = spool_new(&sp, path, "T1", &torn, err, sizeof err);
    if (rc == 0) {
        s_check(sp);
        size_t before = spool_waiting(sp);
        if (spool_add(sp, "O-1", 1, "ann", false, NULL) != 0 || spool_waiting(sp) != before + 1)
            abort();
        const spool_scan_t *sc;
        if (spool_sync(sp) != 0 || spool_next(sp, &sc) != 0 || !sc)
            abort();
        if (spool_done(sp, sc->seq) != 0)
            abort();
        spool_destroy(&sp);
        /* what it wrote is a spool */
        if (spool_new(&sp, path, "T1", NULL, err, sizeof err) != 0)
            abort();
        if (spool_waiting(sp) != before)
            abort();
        s_check(sp);
        spool_destroy(&sp);
    }
    unlink(path);
    unlink(lock);
    return 0;
}
