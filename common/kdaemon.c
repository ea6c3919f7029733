/* kdaemon.c: the start-up every daemon shares (kdaemon.h). */
#include "kdaemon.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "kerr.h"
#include "klog.h"
#include "site.h"

static void s_usage(FILE *out, const char *name, const char *summary)
{
    fprintf(out,
            "usage: kefu-%s [--dir DIR] [--config FILE] [--set SECTION.KEY=VALUE]...\n"
            "%s\n"
            "  --dir DIR       the site directory (default ./var, or $KEFU_DIR)\n"
            "  --config FILE   INI configuration (default: built-in defaults)\n"
            "  --set S.K=V     overrides one configuration key; may repeat\n"
            "  --help          this text\n"
            "Normally started by `kefu up` or systemd, not by hand.\n",
            name, summary);
}

static int s_level(const char *s)
{
    static const char *names[] = {"debug", "info", "warn", "error"};
    for (int i = 0; i < 4; i++)
        if (s && strcmp(s, names[i]) == 0)
            return i;
    return KLOG_INFO;
}

int kdaemon_init(kdaemon_t *self, const char *name, const char *summary,
                 int argc, char **argv)
{
    memset(self, 0, sizeof *self);
    self->name = name;
    self->config = kconfig_new();
    static const struct option opts[] = {
        {"dir", required_argument, NULL, 'd'},
        {"config", required_argument, NULL, 'c'},
        {"set", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *dir = NULL, *config = NULL;
    char err[512];
    /* --set applies after the file whatever the order on the line. */
    const char *sets[64];
    int nsets = 0;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd': dir = optarg; break;
        case 'c': config = optarg; break;
        case 's':
            if (nsets == 64) {
                fprintf(stderr, "kefu-%s: too many --set options (64 at most)\n", name);
                return 2;
            }
            sets[nsets++] = optarg;
            break;
        case 'h': s_usage(stdout, name, summary); return -1;
        default: s_usage(stderr, name, summary); return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "kefu-%s: unexpected argument '%s'\n", name, argv[optind]);
        return 2;
    }
    if (config) {
        int rc = kconfig_load_file(self->config, config, err, sizeof err);
        if (rc > 0) {
            fprintf(stderr, "kefu-%s: can't read %s: %s\n", name, config, strerror(rc));
            return 2;
        }
        if (rc) {
            fprintf(stderr, "kefu-%s: %s\n", name, err);
            return 2;
        }
    }
    for (int i = 0; i < nsets; i++)
        if (kconfig_set(self->config, sets[i], err, sizeof err) != 0) {
            fprintf(stderr, "kefu-%s: --set %s: %s\n", name, sets[i], err);
            return 2;
        }
    klog_init(name, s_level(kconfig_get(self->config, "log.level")));
    if (site_dir(dir, self->site, sizeof self->site) != 0) {
        fprintf(stderr, "kefu-%s: site directory path too long\n", name);
        return 2;
    }
    int rc = site_mkdirs(self->site);
    if (rc) {
        klog_error("can't create the site folders in %s: %s", self->site, kefu_strerror(rc));
        return 1;
    }
    char path[PATH_MAX + 16];
    site_path(self->site, "run/clock", path, sizeof path);
    self->clock = kclock_open_site(path);
    if (!self->clock && errno == ENOENT) {
        /* Started without `kefu up` (systemd): the site runs on the wall clock. */
        if (kclock_site_init(path, false, 0) == 0)
            self->clock = kclock_open_site(path);
    }
    if (!self->clock) {
        klog_error("can't open the site clock %s: %s", path, strerror(errno));
        return 1;
    }
    return 0;
}

void kdaemon_fini(kdaemon_t *self)
{
    kclock_destroy(&self->clock);
    kconfig_destroy(&self->config);
}
