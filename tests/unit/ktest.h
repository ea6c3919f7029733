/* ktest.h: what kefu's cmocka tests share.
 *
 * assert_rc(expr, want) fails with the expression, both codes and both
 * messages (kefu_strerror) when expr's return code is not want;
 * assert_ok(expr) is assert_rc(expr, 0). Include after <cmocka.h>.
 *
 * ktest_rmtree(dir) removes a test's folder and everything in it (rm -rf,
 * symbolic links not followed): 0, or -1 with errno.
 */
#ifndef KEFU_KTEST_H
#define KEFU_KTEST_H

#include <ftw.h>
#include <stdio.h>

#include "kerr.h"

#define assert_rc(expr, want)                                               \
    do {                                                                    \
        int rc_ = (expr), want_ = (want);                                   \
        if (rc_ != want_)                                                   \
            fail_msg("%s: got %d (%s), want %d (%s)", #expr, rc_,           \
                     kefu_strerror(rc_), want_, kefu_strerror(want_));      \
    } while (0)
#define assert_ok(expr) assert_rc(expr, 0)

static inline int ktest_rm_entry_(const char *path, const struct stat *st, int flag,
                                  struct FTW *ftw)
{
    (void) st, (void) flag, (void) ftw;
    return remove(path);
}

static inline int ktest_rmtree(const char *dir)
{
    return nftw(dir, ktest_rm_entry_, 16, FTW_DEPTH | FTW_PHYS);
}

#endif
