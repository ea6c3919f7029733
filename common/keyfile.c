/* keyfile.c: reading a remote client's key file (keyfile.h). */
#include "keyfile.h"

#include <czmq.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

static int s_copy(char *dst, size_t cap, const char *src)
{
    if (!src || strlen(src) >= cap)
        return -1;
    memcpy(dst, src, strlen(src) + 1);
    return 0;
}

int keyfile_load(const char *path, keyfile_t *out, char *err, size_t cap)
{
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, cap, "%s: %s", path, strerror(errno));
        return -1;
    }
    fclose(f);
    zcert_t *cert = zcert_load(path);
    if (!cert) {
        snprintf(err, cap, "%s: not a key file (kefuctl key new makes them)", path);
        return -1;
    }
    const char *sec = zcert_secret_txt(cert);
    int rc = -1;
    if (!sec || strlen(sec) != 40 || strcmp(sec, "0000000000000000000000000000000000000000") == 0)
        snprintf(err, cap, "%s: holds no secret key (a public certificate only?)", path);
    else if (s_copy(out->site_key, sizeof out->site_key, zcert_meta(cert, "site-key")) != 0 ||
             strlen(out->site_key) != 40)
        snprintf(err, cap, "%s: holds no site-key (not made by kefuctl key new?)", path);
    else {
        s_copy(out->public_key, sizeof out->public_key, zcert_public_txt(cert));
        s_copy(out->secret_key, sizeof out->secret_key, sec);
        s_copy(out->name, sizeof out->name, zcert_meta(cert, "name"));
        s_copy(out->role, sizeof out->role, zcert_meta(cert, "role"));
        rc = 0;
    }
    zcert_destroy(&cert);
    return rc;
}
