/* kid.c: record ids (kid.h). */
#include "kid.h"

#include <stdio.h>
#include <string.h>

#include "kerr.h"

static bool s_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

int kid_check(const char *id, const char *field, char *err, size_t cap)
{
    const char *why = NULL;
    size_t n = id ? strlen(id) : 0;
    if (n == 0)
        why = "an id is required";
    else if (n > KID_MAX)
        why = "longer than 64 bytes";
    else if (!s_alnum(id[0]))
        why = "must start with a letter or a digit";
    else
        for (size_t i = 0; i < n && !why; i++)
            if (!s_alnum(id[i]) && id[i] != '-' && id[i] != '_' && id[i] != '.')
                why = "may hold only letters, digits, '-', '_' and '.'";
    if (!why)
        return 0;
    if (err && cap) {
        /* Quote the id only when it is printable and short. */
        bool show = n > 0 && n <= KID_MAX;
        for (size_t i = 0; show && i < n; i++)
            show = (unsigned char) id[i] >= 0x20 && (unsigned char) id[i] < 0x7f;
        if (show)
            snprintf(err, cap, "%s: \"%s\" is not an id: %s", field, id, why);
        else
            snprintf(err, cap, "%s: not an id: %s", field, why);
    }
    return KEFU_EINVAL;
}

uint64_t kid_number(const char *id, const char *prefix)
{
    if (!id || !prefix)
        return 0;
    size_t p = strlen(prefix);
    if (strncmp(id, prefix, p) != 0 || id[p] != '-')
        return 0;
    const char *d = id + p + 1;
    if (*d < '1' || *d > '9')
        return 0;  /* no number, or a leading zero: "O-01" is not O-1 */
    uint64_t n = 0;
    for (; *d; d++) {
        if (*d < '0' || *d > '9')
            return 0;
        n = n * 10 + (uint64_t) (*d - '0');
        if (n > KID_NUMBER_MAX)
            return 0;  /* checked per digit: never overflows */
    }
    return n;
}

static void s_key(char *key, size_t cap, const char *kind)
{
    snprintf(key, cap, "counter/%s", kind);
}

uint64_t kid_counter(store_txn_t *txn, const char *kind)
{
    char key[80];
    s_key(key, sizeof key, kind);
    uint64_t v = 0;
    store_meta_get_u64(txn, key, &v);
    return v;
}

int kid_counter_see(store_txn_t *txn, const char *kind, const char *prefix, const char *id)
{
    uint64_t n = kid_number(id, prefix);
    if (n == 0 || n <= kid_counter(txn, kind))
        return 0;
    char key[80];
    s_key(key, sizeof key, kind);
    return store_meta_put_u64(txn, key, n);
}
