/* fuzz_config.c: a site's configuration file (common/kconfig.h), as
 * every daemon and `kefu up` load it, with every key of the site
 * (registry_key_tables).
 *
 * The input is the file. It loads whole or not at all (0 or
 * KEFU_EINVAL); a file that loads must give a deadline policy
 * (deadline_policy_new: kconfig checked every value when it was set, so
 * NULL there is a bug), sched's reading of its keys (sched_conf_load:
 * the same) and a dump. Each line is also tried as a --set
 * assignment (kconfig_set), with the same promise.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "deadline.h"
#include "kconfig.h"
#include "kerr.h"
#include "registry.h"
#include "sched_conf.h"

static void s_usable(const kconfig_t *c)
{
    char err[512];
    deadline_policy_t *p = deadline_policy_new(c, err, sizeof err);
    if (!p)
        abort();   /* a value kconfig took that the policy can't read */
    deadline_policy_destroy(&p);
    sched_conf_t sc;
    if (sched_conf_load(&sc, c, err, sizeof err) != 0)
        abort();
    size_t n = kconfig_dump(c, NULL, 0);
    char *buf = malloc(n + 1);
    if (!buf || kconfig_dump(c, buf, n + 1) != n || strlen(buf) != n)
        abort();
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char path[64];
    if (!path[0])
        snprintf(path, sizeof path, "/tmp/kefu-fuzz-config-%d.ini", (int) getpid());
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0)
        abort();
    char err[1024];
    kconfig_t *c = kconfig_new(registry_key_tables);
    int rc = kconfig_load_file(c, path, err, sizeof err);
    if (rc != 0 && rc != KEFU_EINVAL)
        abort();
    if (rc == 0)
        s_usable(c);
    kconfig_destroy(&c);
    unlink(path);

    /* each line as --set SECTION.KEY=VALUE */
    c = kconfig_new(registry_key_tables);
    char *text = malloc(size + 1);
    if (!text)
        abort();
    memcpy(text, data, size);
    text[size] = '\0';
    int sets = 0;
    for (char *save = NULL, *line = strtok_r(text, "\n", &save); line && sets < 16;
         line = strtok_r(NULL, "\n", &save), sets++) {
        rc = kconfig_set(c, line, err, sizeof err);
        if (rc != 0 && rc != KEFU_EINVAL)
            abort();
    }
    s_usable(c);
    free(text);
    kconfig_destroy(&c);
    return 0;
}
