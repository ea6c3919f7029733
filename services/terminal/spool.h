/* spool.h: a floor terminal's scans on disk, in order, until the site
 * has answered each (kefu-terminal, main.c and term.c).
 *
 * Every scan is appended here and made durable before it is sent; it
 * stays "waiting" until the site answers it (taken or refused), and a
 * terminal that starts again sends the waiting ones first, in order, with
 * the request ids they had. The spool gives each scan its number, so the
 * request id (spool_request_id) is a function of the terminal, the
 * spool's generation and the number, and a repeat is recognised by the
 * site however often it is sent.
 *
 * The file: text, one record a line, append-only, each line ending in an
 * 8-hex-digit checksum (FNV-1a 32 of the bytes before the space that
 * precedes it):
 *
 *   kefu-terminal-spool 1 TERMINAL GEN CK   the first line: format 1, the
 *                                  terminal it belongs to, its generation
 *                                  (8 random [0-9a-z], drawn when the file
 *                                  is made: part of every request id)
 *   B SEQ CK                       base: every scan before SEQ is answered
 *                                  (written by a compaction, right after
 *                                  the first line)
 *   S SEQ ORDER STAGE BY C CK      a scan: its number (the last one's + 1,
 *                                  from 1), order id, stage word
 *                                  ("printing"), worker ("-": none), 1 if
 *                                  sent as a correction else 0
 *   A SEQ CK                       answered: every scan up to SEQ
 *
 * An S line is fsync'ed before its scan is sent (spool_next syncs); A
 * lines are not synced on their own (the next sync takes them along): a
 * lost A line only makes a scan go out again, with its request id, and
 * the site answers a repeat with its first answer and changes nothing.
 * On open, a damaged tail (a line without its newline or checksum: a
 * write cut short by a crash) is cut off; a damaged line with whole lines
 * after it is corruption, and the spool is refused. When no scan is
 * answered the file holds only the first line, B, and the waiting scans:
 * it is rewritten so (a new file, fsync'ed, renamed over the old) on open
 * and whenever it grows past SPOOL_COMPACT_BYTES.
 *
 * One process at a time: FILE.lock is held with flock(2) while the spool
 * is open (it holds the pid); the kernel drops it however the process
 * dies.
 */
#ifndef KEFU_SPOOL_H
#define KEFU_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kid.h"

#define SPOOL_TERMINAL_MAX 32          /* bytes of a terminal id (a request id is at most 64) */
#define SPOOL_GEN_LEN 8                /* characters of a spool's generation */
#define SPOOL_COMPACT_BYTES (1 << 20)  /* rewrite once the file is larger */
#define SPOOL_REQUEST_ID_MAX 64        /* bytes of a request id, without its NUL */

typedef struct {
    uint64_t seq;                 /* 1, 2, ...: its number in the spool */
    char order[KID_MAX + 1];
    int stage;                    /* Kefu__Stage, 1..6 */
    char by[KID_MAX + 1];         /* "" : no worker */
    bool correct;
} spool_scan_t;

typedef struct spool_t spool_t;

/* Opens the spool at path for terminal (making it if missing), takes its
 * lock, reads the waiting scans, cuts a damaged tail off and compacts.
 * Returns 0, or with err (cap bytes) saying why: KEFU_ECONFLICT (another
 * process holds it), KEFU_EINVAL (not a spool, another terminal's,
 * corrupt), or an errno. *torn (may be NULL) gets the bytes cut off. */
int spool_new(spool_t **out, const char *path, const char *terminal, size_t *torn, char *err,
              size_t cap);
/* Syncs what was written, releases the lock, frees. */
void spool_destroy(spool_t **self_p);

/* Appends a scan (not yet synced: spool_sync, or spool_next before it is
 * sent). order and by (NULL or "": none) must be ids (kid_check). *scan
 * (may be NULL) points at the scan kept, valid until the next call but
 * spool_waiting/spool_at. Returns 0 or an errno (the file is as before:
 * the scan is not kept). */
int spool_add(spool_t *self, const char *order, int stage, const char *by, bool correct,
              const spool_scan_t **scan);
/* Makes every record written so far durable. Returns 0 or an errno. */
int spool_sync(spool_t *self);
/* The oldest waiting scan, durable (synced first if need be), in *scan:
 * valid until spool_done. Returns 0, KEFU_ENOTFOUND when none waits, or
 * the errno of a failed sync. */
int spool_next(spool_t *self, const spool_scan_t **scan);
/* The oldest waiting scan, seq, is answered. Returns 0, or an errno
 * (the A line was not written: the scan goes out again after a restart,
 * which is safe); in both cases it waits no more. */
int spool_done(spool_t *self, uint64_t seq);

/* Scans waiting, and the i-th of them (0: the oldest), or NULL. */
size_t spool_waiting(const spool_t *self);
const spool_scan_t *spool_at(const spool_t *self, size_t i);

/* The request id of scan seq: "TERMINAL-GEN-NNNNNN" (the number
 * zero-padded to 6 digits, more when it needs them), into buf (at least
 * SPOOL_REQUEST_ID_MAX + 1 bytes). */
void spool_request_id(const spool_t *self, uint64_t seq, char *buf, size_t cap);
const char *spool_path(const spool_t *self);

/* The word of a stage ("printing"), "" for none; and the stage of a word
 * (any case), 0 for none. */
const char *spool_stage_word(int stage);
int spool_stage_parse(const char *word);

/* The checksum a record line ends with: FNV-1a 32 of its first n bytes
 * (the record, without the space and the checksum), written as " %08x"
 * (PRIx32) before the newline. For tools that make spool files. */
uint32_t spool_checksum(const char *line, size_t n);

#endif
