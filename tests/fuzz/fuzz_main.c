/* fuzz_main.c: a fuzz target as a plain test (tests/fuzz/README.md).
 *
 * Linked with one tests/fuzz/fuzz_NAME.c by gcc into test_fuzz_NAME, part
 * of `make test` (and of valgrind's run): calls LLVMFuzzerTestOneInput
 * on every file of tests/fuzz/corpus/NAME (the seeds) and
 * tests/fuzz/regress/NAME (every input that once made the target fail:
 * it must not any more), and fails if the target aborts or there is no
 * seed at all. Files named on the command line run instead (to replay one
 * input under gdb or valgrind).
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int s_run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        exit(1);
    }
    uint8_t *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len == cap) {
            cap = cap ? cap * 2 : 4096;
            buf = realloc(buf, cap);
            if (!buf)
                abort();
        }
        size_t r = fread(buf + len, 1, cap - len, f);
        if (r == 0)
            break;
        len += r;
    }
    fclose(f);
    /* exactly the input's bytes, as libFuzzer gives them */
    uint8_t *exact = malloc(len ? len : 1);
    if (!exact)
        abort();
    memcpy(exact, buf, len);
    free(buf);
    LLVMFuzzerTestOneInput(exact, len);
    free(exact);
    return 0;
}

static int s_names(const void *a, const void *b)
{
    return strcmp(*(char *const *) a, *(char *const *) b);
}

/* Runs every file of dir in name order; returns how many. */
static size_t s_run_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    char **names = NULL;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        names = realloc(names, (n + 1) * sizeof *names);
        if (!names || !(names[n] = strdup(e->d_name)))
            abort();
        n++;
    }
    closedir(d);
    qsort(names, n, sizeof *names, s_names);
    for (size_t i = 0; i < n; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        s_run_file(path);
        free(names[i]);
    }
    free(names);
    return n;
}

int main(int argc, char **argv)
{
    if (argc > 1) {
        for (int i = 1; i < argc; i++)
            s_run_file(argv[i]);
        return 0;
    }
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/corpus/%s", FUZZ_DIR, FUZZ_NAME);
    size_t seeds = s_run_dir(dir);
    snprintf(dir, sizeof dir, "%s/regress/%s", FUZZ_DIR, FUZZ_NAME);
    size_t regress = s_run_dir(dir);
    printf("fuzz_%s: %zu seeds, %zu regression inputs: no failure\n", FUZZ_NAME, seeds, regress);
    if (seeds == 0) {
        fprintf(stderr, "fuzz_%s: no seed in %s/corpus/%s\n", FUZZ_NAME, FUZZ_DIR, FUZZ_NAME);
        return 1;
    }
    return 0;
}
