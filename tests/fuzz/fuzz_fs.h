/* fuzz_fs.h: a scratch folder for a fuzz target whose code under test
 * reads and writes files (tests/fuzz/): on tmpfs when there is one, so
 * the fsyncs the code does cost little, made once per process.
 */
#ifndef KEFU_FUZZ_FS_H
#define KEFU_FUZZ_FS_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char s_fuzz_scratch[256];

/* At exit: the folder goes (empty: the targets remove what they write in
 * it; a crash leaves it, with the files of the failing input). */
static void s_fuzz_scratch_rm(void)
{
    rmdir(s_fuzz_scratch);
}

/* The folder, made at the first call. */
static const char *fuzz_scratch(const char *name)
{
    char *dir = s_fuzz_scratch;
    if (!dir[0]) {
        const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
        snprintf(dir, sizeof s_fuzz_scratch, "%s/kefu-fuzz-%s-XXXXXX", base, name);
        if (!mkdtemp(dir))
            abort();
        atexit(s_fuzz_scratch_rm);
    }
    return dir;
}

#endif
