#!/bin/sh
# tests/run.sh: kefu's test runner (`make test`, `make unit`, `make integration`).
#
#   BUILD=build sh tests/run.sh [unit|integration|all] [PATTERN]
#
# Runs every unit test binary $BUILD/tests/test_* and every script
# tests/integration/*.sh (whose name contains PATTERN, if given), each with
# BUILD (made absolute) in its environment and under a time limit, and
# prints one line per test:
#   PASS name (1.2s)
#   FAIL name (3.4s)      followed by the test's output, indented
# then exactly one summary line "N passed, N failed". Exits 1 if any test
# failed.
#
# Environment:
#   KEFU_TEST_TIMEOUT   seconds one test may take (default 600)
#   KEFU_VALGRIND=1     run the unit tests under valgrind memcheck, and the
#                       daemons that integration tests start through `kefu`
#                       too (KEFU_LIBEXEC points kefu at valgrind wrappers);
#                       a leak or memory error fails the test
#
# POSIX sh (dash): `make` runs it with sh. Integration scripts run with the
# shell their #! line names (bash or sh).

set -u

BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$(pwd)/$BUILD ;; esac
export BUILD

what=${1:-all}
pattern=${2:-}
case $what in
unit|integration|all) ;;
*) echo "usage: sh tests/run.sh [unit|integration|all] [PATTERN]" >&2; exit 2 ;;
esac

limit=${KEFU_TEST_TIMEOUT:-600}
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp "${TMPDIR:-/tmp}/kefu-run.XXXXXX") || exit 1
trap 'rm -f "$out"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

passed=0
failed=0
failed_names=

# Seconds since the epoch with fractions (GNU date), for durations.
now() { date +%s.%N; }

# run NAME CMD...: runs one test, prints its line, counts it.
run() {
    name=$1
    shift
    t0=$(now)
    timeout -k 10 "$limit" "$@" >"$out" 2>&1 </dev/null
    rc=$?
    secs=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }')
    if [ "$rc" -eq 0 ]; then
        passed=$((passed + 1))
        echo "PASS $name (${secs}s)"
    else
        failed=$((failed + 1))
        failed_names="$failed_names $name"
        why="exit $rc"
        [ "$rc" -eq 124 ] && why="timed out after ${limit}s"
        echo "FAIL $name (${secs}s, $why)"
        sed 's/^/    /' "$out"
    fi
}

matches() {
    [ -z "$pattern" ] && return 0
    case $1 in *"$pattern"*) return 0 ;; esac
    return 1
}

if [ "$what" != integration ]; then
    for t in "$BUILD"/tests/test_*; do
        [ -f "$t" ] && [ -x "$t" ] || continue
        name=$(basename "$t")
        matches "$name" || continue
        if [ "${KEFU_VALGRIND:-0}" = 1 ]; then
            run "$name" valgrind -q --leak-check=full --show-leak-kinds=definite,indirect \
                --errors-for-leak-kinds=definite,indirect --error-exitcode=99 "$t"
        else
            run "$name" "$t"
        fi
    done
fi

# With KEFU_VALGRIND=1, `kefu up` starts every daemon under valgrind: a
# wrapper per daemon in a folder KEFU_LIBEXEC names. Each daemon writes a
# report per process; a test whose daemons report an error or a leak fails.
vgdir=
if [ "${KEFU_VALGRIND:-0}" = 1 ] && [ "$what" != unit ]; then
    vgdir=$(mktemp -d "${TMPDIR:-/tmp}/kefu-vg.XXXXXX") || exit 1
    trap 'rm -f "$out"; rm -rf "$vgdir"' EXIT
    for bin in "$BUILD"/bin/kefu-*; do
        d=$(basename "$bin")
        printf '#!/bin/sh\nexec valgrind -q --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect --log-file=%s/reports/%s.%%p "%s" "$@"\n' \
            "$vgdir" "$d" "$bin" > "$vgdir/$d"
        chmod +x "$vgdir/$d"
    done
    mkdir -p "$vgdir/reports"
    export KEFU_LIBEXEC=$vgdir
fi

# run_vg NAME CMD...: run, then fail the test if a daemon's report is not
# empty (-q prints only errors and leaks).
run_vg() {
    name=$1
    rm -f "$vgdir"/reports/*
    before=$failed
    run "$@"
    [ "$failed" -eq "$before" ] || return 0  # failed already
    for r in "$vgdir"/reports/*; do
        [ -s "$r" ] || continue
        echo "FAIL $name: valgrind: $(basename "$r")"
        sed 's/^/    /' "$r" | head -n 40
        passed=$((passed - 1))
        failed=$((failed + 1))
        failed_names="$failed_names $name"
        break
    done
}

if [ "$what" != unit ]; then
    for t in "$here"/integration/*.sh; do
        [ -f "$t" ] || continue
        name=$(basename "$t" .sh)
        matches "$name" || continue
        shell="sh"
        case $(head -n 1 "$t") in '#!'*bash*) shell=bash ;; esac
        if [ -n "$vgdir" ]; then
            run_vg "$name" "$shell" "$t"
        else
            run "$name" "$shell" "$t"
        fi
    done
fi

[ "$failed" -eq 0 ] || echo "failed:$failed_names"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
