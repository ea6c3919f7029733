/* keyfile.h: a remote client's key file (`kefuctl key new ... --out FILE`).
 *
 * CZMQ's zcert format (text: a metadata section and a curve section), as
 * written by services/net/net_rows.c: the client's CURVE key pair, and as
 * metadata the key's name, its role and the site's public key (site-key).
 * kefuctl --key and kefu-terminal --key read it; the secret half makes
 * the file as secret as a password (mode 0600).
 */
#ifndef KEFU_KEYFILE_H
#define KEFU_KEYFILE_H

#include <stddef.h>

typedef struct {
    char public_key[41];   /* Z85 */
    char secret_key[41];
    char site_key[41];     /* the site's public key */
    char name[64];         /* the key's name at the site */
    char role[16];         /* as enrolled: "terminal", ... */
} keyfile_t;

/* Reads path into *out. Returns 0, or -1 with why in err (cap bytes): no
 * such file, not a key file, no secret key, no site key. */
int keyfile_load(const char *path, keyfile_t *out, char *err, size_t cap);

#endif
