#!/bin/sh
# tests/fuzz/run.sh: runs the libFuzzer targets (`make fuzz`, `make fuzz-smoke`).
#
#   FUZZ_BUILD=build-fuzz FUZZ_SECONDS=60 sh tests/fuzz/run.sh [NAME...]
#
# Runs each target $FUZZ_BUILD/fuzz/fuzz_NAME (every one, or those named)
# for FUZZ_SECONDS, one at a time, on a working corpus of its own
# ($FUZZ_BUILD/fuzz/corpus/NAME, grown from tests/fuzz/corpus/NAME and
# tests/fuzz/regress/NAME; the tree's seeds are never written), and
# prints one line per target:
#   fuzz_NAME: 123456 executions in 60 s, no failure
#   fuzz_NAME: FAILED after 2345 executions: build-fuzz/fuzz/crash-NAME-...
# A failing input is left in $FUZZ_BUILD/fuzz/ (artifact_prefix); copy it
# to tests/fuzz/regress/NAME/ once the bug is fixed (README.md). Exits 1
# if any target failed.
#
# FUZZ_ARGS adds libFuzzer flags (e.g. -max_len=65536).

set -u

build=${FUZZ_BUILD:-build-fuzz}
secs=${FUZZ_SECONDS:-60}
here=$(cd "$(dirname "$0")" && pwd)
names=$*
if [ -z "$names" ]; then
    for f in "$build"/fuzz/fuzz_*; do
        [ -x "$f" ] || continue
        names="$names ${f##*/fuzz_}"
    done
fi
failed=0
for n in $names; do
    bin=$build/fuzz/fuzz_$n
    work=$build/fuzz/corpus/$n
    log=$build/fuzz/fuzz_$n.log
    mkdir -p "$work"
    dirs="$work $here/corpus/$n"
    [ -d "$here/regress/$n" ] && dirs="$dirs $here/regress/$n"
    # shellcheck disable=SC2086 # the flags and folders are words
    "$bin" -max_total_time="$secs" -print_final_stats=1 -timeout=20 -rss_limit_mb=2048 \
        -max_len=8192 -artifact_prefix="$build/fuzz/crash-$n-" ${FUZZ_ARGS:-} $dirs >"$log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    if [ "$rc" -eq 0 ]; then
        echo "fuzz_$n: ${execs:-?} executions in $secs s, no failure"
    else
        failed=1
        crash=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
        echo "fuzz_$n: FAILED (exit $rc) after ${execs:-?} executions: ${crash:-see $log}"
        grep -E 'ERROR|SUMMARY|#[0-9]+ 0x' "$log" | head -n 12 | sed 's/^/    /'
    fi
done
exit "$failed"
