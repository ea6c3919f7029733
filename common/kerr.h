/* kerr.h: kefu's error codes and their messages.
 *
 * Functions that can fail return int: 0 on success, or a negative code.
 * kefu's own codes are KEFU_E* below, one per wire ErrorCode
 * (proto/error.proto), so a code crosses a socket unchanged in meaning.
 * LMDB codes (MDB_*, also negative, -30799..-30780) and positive errno
 * values pass through where they are the truth; kefu_strerror() names all
 * three kinds.
 */
#ifndef KEFU_KERR_H
#define KEFU_KERR_H

#include <stddef.h>

#define KEFU_EBASE 40000

enum {
    KEFU_EBADREQ      = -(KEFU_EBASE + 1),   /* malformed request, missing field */
    KEFU_ETOOLARGE    = -(KEFU_EBASE + 2),   /* over a size limit */
    KEFU_EUNKNOWNTYPE = -(KEFU_EBASE + 3),   /* unknown event or request kind */
    KEFU_EINVAL       = -(KEFU_EBASE + 4),   /* value out of range, bad UTF-8, bad format */
    KEFU_ENOTFOUND    = -(KEFU_EBASE + 5),   /* unknown id */
    KEFU_ECONFLICT    = -(KEFU_EBASE + 6),   /* state or rule says no */
    KEFU_EGAP         = -(KEFU_EBASE + 7),   /* producer sequence not contiguous */
    KEFU_EUNAVAIL     = -(KEFU_EBASE + 8),   /* can't serve now; retry */
    KEFU_ETIMEOUT     = -(KEFU_EBASE + 9),   /* no answer in time */
    KEFU_ESTOREFULL   = -(KEFU_EBASE + 10),  /* store can't grow */
    KEFU_EINTERNAL    = -(KEFU_EBASE + 11),  /* bug or I/O failure */
    KEFU_EFORBIDDEN   = -(KEFU_EBASE + 12),  /* role may not do this */
    KEFU_EUNSUPPORTED = -(KEFU_EBASE + 13),  /* request not served here */
    KEFU_EEXISTS      = -(KEFU_EBASE + 14),  /* id already taken */
};

/* A static string describing rc: kefu, LMDB or errno code. Never NULL. */
const char *kefu_strerror(int rc);

/* The short stable name of rc for users and scripts ("not-found",
 * "bad-request", ...). LMDB and errno codes map to "internal" except
 * MDB_MAP_FULL and ENOSPC ("store-full"), as on the wire. Never NULL. */
const char *kefu_errname(int rc);

/* rc as a wire ErrorCode value (0 for rc == 0; ERR_INTERNAL for codes
 * with no wire meaning), and back (0 for ERR_NONE). */
int kefu_err_to_wire(int rc);
int kefu_err_from_wire(int code);

/* Writes the message for a caller's error buffer (err, cap bytes), as
 * snprintf; does nothing when err is NULL or cap 0, so a caller that
 * wants no message passes NULL. */
void kefu_err_printf(char *err, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
