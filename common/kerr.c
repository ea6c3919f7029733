/* kerr.c: kefu's error codes, their names and messages (see kerr.h). */
#include "kerr.h"

#include <errno.h>
#include <lmdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "error.pb-c.h"

static const struct {
    const char *name;
    const char *text;
} s_codes[] = {
    [0]  = {"ok", "success"},
    [1]  = {"bad-request", "malformed request"},
    [2]  = {"too-large", "over the size limit"},
    [3]  = {"unknown-type", "unknown type"},
    [4]  = {"invalid", "invalid value"},
    [5]  = {"not-found", "not found"},
    [6]  = {"conflict", "refused by the current state or rules"},
    [7]  = {"gap", "producer sequence not contiguous"},
    [8]  = {"unavailable", "not available; try again"},
    [9]  = {"timeout", "no answer in time"},
    [10] = {"store-full", "store is full"},
    [11] = {"internal", "internal error"},
    [12] = {"forbidden", "forbidden"},
    [13] = {"unsupported", "request not supported here"},
    [14] = {"exists", "already exists"},
};
#define S_NCODES ((int) (sizeof s_codes / sizeof s_codes[0]))

static int s_kefu_index(int rc)
{
    int i = -rc - KEFU_EBASE;
    return (rc < 0 && i > 0 && i < S_NCODES) ? i : -1;
}

const char *kefu_strerror(int rc)
{
    if (rc == 0)
        return s_codes[0].text;
    int i = s_kefu_index(rc);
    if (i > 0)
        return s_codes[i].text;
    if (rc >= MDB_KEYEXIST && rc <= MDB_LAST_ERRCODE)
        return mdb_strerror(rc);
    if (rc > 0)
        return strerror(rc);
    return "unknown error";
}

const char *kefu_errname(int rc)
{
    if (rc == 0)
        return s_codes[0].name;
    int i = s_kefu_index(rc);
    if (i > 0)
        return s_codes[i].name;
    if (rc == MDB_MAP_FULL || rc == ENOSPC)
        return s_codes[10].name;
    return s_codes[11].name;
}

int kefu_err_to_wire(int rc)
{
    if (rc == 0)
        return KEFU__ERROR_CODE__ERR_NONE;
    int i = s_kefu_index(rc);
    if (i > 0)
        return i;
    if (rc == MDB_MAP_FULL || rc == ENOSPC)
        return KEFU__ERROR_CODE__ERR_STORE_FULL;
    return KEFU__ERROR_CODE__ERR_INTERNAL;
}

int kefu_err_from_wire(int code)
{
    if (code == KEFU__ERROR_CODE__ERR_NONE)
        return 0;
    if (code > 0 && code < S_NCODES)
        return -(KEFU_EBASE + code);
    return KEFU_EINTERNAL;
}

void kefu_err_printf(char *err, size_t cap, const char *fmt, ...)
{
    if (!err || cap == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, cap, fmt, ap);
    va_end(ap);
}
