/* net.c: kefu-net on the daemon kit (net.h, kservice.h).
 *
 * Its tables, command table and applier (net_cmd.c), and the gate
 * (net_gate.c), attached to the kit's loop when net.listen is set. At
 * start it loads the site's CURVE key pair, DIR/net/site.key, or makes
 * one the first time.
 *
 * The site key is not in the log: the log is read by every consumer, and
 * the secret half must stay on this machine. It is the one file of
 * net's folder that is not derived (the store beside it is rebuilt from
 * the log like any): every client's key file holds its public half, so
 * losing it means new key files for every client. It is written once,
 * to a temporary file, synced, and renamed into place, so a crash leaves
 * either no key (made again, no client had it yet) or the whole key; a
 * key file that is there and can't be read stops the daemon rather than
 * be silently replaced.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kerr.h"
#include "kfs.h"
#include "klog.h"
#include "ktime.h"
#include "net.h"
#include "site.h"

const char *const net_table_names[] = {"keys", "by_pub", NULL};

static int s_attach(void *arg, zloop_t *loop)
{
    net_t *self = arg;
    return self->gate ? net_gate_attach(self->gate, loop) : 0;
}

static const kservice_spec_t s_spec = {
    .name = NET_PRODUCER,
    .schema = NET_SCHEMA,
    .tables = net_table_names,
    .commands = &net_commands,
    .apply = net_apply,
    .attach = s_attach,
};

/* fsync(2) of a file by path (zcert writes it through stdio); 0 or errno. */
static int s_sync_file(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno;
    int rc = fsync(fd) == 0 ? 0 : errno;
    close(fd);
    return rc;
}

/* The site's key pair, loaded or made (see the top of the file). */
static zcert_t *s_site_cert(net_t *self, int *rc)
{
    char dir[PATH_MAX], path[PATH_MAX], tmp[PATH_MAX + 8];
    *rc = site_path(self->d->site, NET_PRODUCER, dir, sizeof dir);
    if (*rc == 0)
        *rc = site_path(self->d->site, NET_PRODUCER "/site.key", path, sizeof path);
    if (*rc)
        return NULL;
    struct stat st;
    if (stat(path, &st) == 0) {
        zcert_t *cert = zcert_load(path);
        if (!cert || strlen(zcert_secret_txt(cert)) != 40 ||
            strcmp(zcert_secret_txt(cert), "0000000000000000000000000000000000000000") == 0) {
            klog_error("%s: not a site key (a CURVE key pair in zcert's format); "
                       "restore it, or remove it to make a new one (every client then "
                       "needs a new key file)", path);
            zcert_destroy(&cert);
            *rc = KEFU_EINVAL;
        }
        return cert;
    }
    zcert_t *cert = zcert_new();
    if (!cert) {
        *rc = ENOMEM;
        return NULL;
    }
    zcert_set_meta(cert, "kefu", "%s", "site key of the remote endpoint (kefu-net)");
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    *rc = kfs_mkdir(dir);
    if (*rc == 0 && zcert_save_secret(cert, tmp) != 0)
        *rc = errno ? errno : EIO;
    else if (*rc == 0 && (*rc = s_sync_file(tmp)) == 0 && rename(tmp, path) != 0)
        *rc = errno;
    else if (*rc == 0)
        *rc = kfs_sync_dir(dir);
    if (*rc) {
        klog_error("%s: can't write the site key: %s", path, strerror(*rc));
        unlink(tmp);
        zcert_destroy(&cert);
        return NULL;
    }
    chmod(path, 0600);
    klog_info("made the site key %s (public %s)", path, zcert_public_txt(cert));
    return cert;
}

int net_new(net_t **out, kdaemon_t *d)
{
    *out = NULL;
    net_t *self = calloc(1, sizeof *self);
    if (!self)
        return ENOMEM;
    self->d = d;
    int rc = 0;
    zcert_t *cert = s_site_cert(self, &rc);
    if (!cert) {
        free(self);
        return rc ? rc : KEFU_EINTERNAL;
    }
    snprintf(self->site_public, sizeof self->site_public, "%s", zcert_public_txt(cert));
    rc = kservice_new(&self->svc, d, &s_spec, self);
    if (rc == 0) {
        self->t.keys = kservice_table(self->svc, "keys");
        self->t.by_pub = kservice_table(self->svc, "by_pub");
        const char *listen = kconfig_get(d->config, "net.listen");
        int64_t timeout_us = kconfig_duration(d->config, "net.request_timeout");
        if (listen && listen[0]) {
            self->gate = net_gate_new(self, listen, zcert_public_txt(cert), zcert_secret_txt(cert),
                                      (int) (timeout_us / 1000));
            if (!self->gate)
                rc = KEFU_EINVAL;
        } else
            klog_info("net.listen is empty: no remote clients (keys can still be made)");
    }
    zcert_destroy(&cert);
    if (rc) {
        net_destroy(&self);
        return rc;
    }
    *out = self;
    return 0;
}

int net_run(net_t *self)
{
    return kservice_run(self->svc);
}

void net_destroy(net_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    net_t *self = *self_p;
    net_gate_destroy(&self->gate);   /* reads the store: before the kit closes it */
    kservice_destroy(&self->svc);
    free(self);
    *self_p = NULL;
}
