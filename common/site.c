/* site.c: where a site keeps its files and sockets (see site.h).
 *
 * Every path a daemon or tool uses is derived here from one site
 * directory, so `kefu up`, the daemons and kefuctl agree on sockets and
 * stores from any cwd. The directory is made absolute and cleaned
 * lexically (".", ".." and doubled slashes removed, no symlinks followed,
 * nothing need exist), which keeps ipc paths short: a Unix socket path
 * must fit sun_path (107 bytes on Linux) and site_endpoint refuses one
 * that would not rather than let bind() truncate it.
 */
#include "site.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "kerr.h"
#include "kfs.h"

#define S_DEFAULT_DIR "./var"
#define S_SUN_PATH_MAX (sizeof(((struct sockaddr_un *) 0)->sun_path) - 1)

/* Start order: the lines of the registry (daemons.def), the log first,
 * every other daemon reads or appends to it. */
const char *const site_daemons[] = {
#define KEFU_DAEMON(name, ...) #name,
#include "daemons.def"
#undef KEFU_DAEMON
    NULL,
};

/* Cleans the absolute path in buf in place, like Go's path.Clean: one
 * slash between components, no "." components, ".." removes the component
 * before it ("/.." is "/"), no trailing slash except for "/" itself. The
 * result is never longer than the input. */
static void s_clean(char *buf)
{
    assert(buf[0] == '/');
    char *out = buf + 1;          /* next byte to write; buf[0] stays '/' */
    const char *in = buf + 1;
    while (*in) {
        /* out never passes in, but writing a component's slash may land
         * on the byte after it (its '/' or the NUL): so where the next
         * component starts is settled before anything is written. */
        const char *end = strchr(in, '/');
        size_t n = end ? (size_t) (end - in) : strlen(in);
        if (n == 0 || (n == 1 && in[0] == '.')) {
            /* empty or "." component: drop it */
        } else if (n == 2 && in[0] == '.' && in[1] == '.') {
            /* back up over the last component written, if any */
            if (out > buf + 1) {
                out--;                          /* its trailing slash */
                while (out > buf + 1 && out[-1] != '/')
                    out--;
            }
        } else {
            memmove(out, in, n);
            out += n;
            *out++ = '/';
        }
        if (!end)
            break;
        in = end + 1;
    }
    if (out > buf + 1)
        out--;                                  /* trailing slash */
    *out = '\0';
}

int site_dir(const char *dir, char *buf, size_t cap)
{
    assert(buf && cap > 0);
    if (!dir) {
        dir = getenv("KEFU_DIR");
        if (!dir || !*dir)
            dir = S_DEFAULT_DIR;
    }
    /* Built in a PATH_MAX scratch buffer first: cleaning can only shorten
     * it, so the limit that matters is cap, checked on the clean result. */
    char tmp[PATH_MAX];
    size_t n;
    if (dir[0] == '/') {
        n = strlen(dir);
        if (n >= sizeof tmp)
            return KEFU_ETOOLARGE;
        memcpy(tmp, dir, n + 1);
    } else {
        if (!getcwd(tmp, sizeof tmp))
            return errno == ERANGE ? KEFU_ETOOLARGE : errno;
        n = strlen(tmp);
        int w = snprintf(tmp + n, sizeof tmp - n, "/%s", dir);
        if (w < 0 || (size_t) w >= sizeof tmp - n)
            return KEFU_ETOOLARGE;
    }
    s_clean(tmp);
    n = strlen(tmp);
    if (n >= cap)
        return KEFU_ETOOLARGE;
    memcpy(buf, tmp, n + 1);
    return 0;
}

int site_path(const char *site, const char *rel, char *buf, size_t cap)
{
    assert(site && rel && buf);
    size_t sl = strlen(site);
    /* site "/" (possible from site_dir) must not give "//run". */
    const char *sep = (sl > 0 && site[sl - 1] == '/') ? "" : "/";
    int w = snprintf(buf, cap, "%s%s%s", site, sep, rel);
    if (w < 0 || (size_t) w >= cap)
        return KEFU_ETOOLARGE;
    return 0;
}

int site_endpoint(const char *site, const char *name, const char *kind,
                  char *buf, size_t cap)
{
    assert(site && name && kind && buf);
    /* Names and kinds come from the program (the registry, literals). */
    assert(*name && !strchr(name, '/') && *kind && !strchr(kind, '/'));
    char rel[NAME_MAX + 1];
    int w = snprintf(rel, sizeof rel, "run/%s.%s", name, kind);
    if (w < 0 || (size_t) w >= sizeof rel)
        return KEFU_ETOOLARGE;
    char path[S_SUN_PATH_MAX + 1];
    int rc = site_path(site, rel, path, sizeof path);
    if (rc)
        return rc;
    w = snprintf(buf, cap, "ipc://%s", path);
    if (w < 0 || (size_t) w >= cap)
        return KEFU_ETOOLARGE;
    return 0;
}

/* mkdir -p: every missing ancestor of path too (KEFU_DIR may name a
 * directory several levels below anything that exists). */
static int s_mkdir_p(const char *path)
{
    char tmp[PATH_MAX];
    size_t n = strlen(path);
    if (n >= sizeof tmp)
        return ENAMETOOLONG;
    memcpy(tmp, path, n + 1);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        int rc = kfs_mkdir(tmp);
        *p = '/';
        if (rc)
            return rc;
    }
    return kfs_mkdir(tmp);
}

int site_mkdirs(const char *site)
{
    assert(site);
    /* 0700: a site holds customers' details and its sockets take commands;
     * only the account running the site may use them. */
    int rc = s_mkdir_p(site);
    if (rc)
        return rc;
    static const char *const subdirs[] = {"run", "log"};
    for (size_t i = 0; i < sizeof subdirs / sizeof subdirs[0]; i++) {
        char path[PATH_MAX];
        if (site_path(site, subdirs[i], path, sizeof path))
            return ENAMETOOLONG;
        rc = kfs_mkdir(path);
        if (rc)
            return rc;
    }
    return 0;
}
