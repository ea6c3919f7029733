/* fuzz_fs.h: a scratch folder for a fuzz target whose code under test
 * reads and writes files (tests/fuzz/): on tmpfs when there is one, so
 * the fsyncs the code does cost little, made once per process.
 */
#ifndef KEFU_FUZZ_FS_H
#define KEFU_FUZZ_FS_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* The folder (made at the first call; left for the process's end to
 * matter nothing: the targets remove what they write in it). */
static const char *fuzz_scratch(const char *name)
{
    static char dir[256];
    if (!dir[0]) {
        const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
        snprintf(dir, sizeof dir, "%s/kefu-fuzz-%s-XXXXXX", base, name);
        if (!mkdtemp(dir))
            abort();
    }
    return dir;
}

#endif
