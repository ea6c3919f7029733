# lib/site.sh: what the scenario tests on one site share (sourced, not
# run: the test runner runs only tests/integration/*.sh). Before sourcing,
# set KT_NAME (the temp folder's name) and `set -eu`. Gives:
#   B, D        the programs, and a fresh site folder, stopped and removed
#               on exit
#   K ARGS      kefuctl --dir D --json ARGS
#   at DUR      advances the simulated clock and waits until every daemon
#               has applied it (and what its watchers did then)
#   wait_lines FILE N   waits until FILE has N lines (10 s at most; a
#               receiver's output: one notice a line)
#   settle      waits until the log's head stands still and every daemon
#               has applied it (a test whose daemons act on their own, as
#               sla's watchers do, defines at DUR as an advance and a settle)
#   fail MSG    says FAIL: MSG on stderr and exits 1
#   check WHAT JSON JQ-EXPR EXPECTED, eq WHAT GOT EXPECTED
#   refused WHAT PATTERN ARGS...   kefuctl ARGS exits 1, its JSON error's
#               message says PATTERN, and the log did not grow
#   refused_exit EXIT WHAT PATTERN ARGS...   the same for exit EXIT,
#               PATTERN anywhere in the output (a usage error too)
BUILD=${BUILD:-build}
B=$BUILD/bin
D=$(mktemp -d "/tmp/kefu-${KT_NAME:-test}.XXXXXX")
cleanup() { "$B/kefu" down --dir "$D" >/dev/null 2>&1 || true; rm -rf "$D"; }
trap cleanup EXIT INT TERM
K() { "$B/kefuctl" --dir "$D" --json "$@"; }
at() { K clock advance "$1" >/dev/null; K sync >/dev/null; sleep 0.3; K sync >/dev/null; }
fail() { echo "FAIL: $*" >&2; exit 1; }
lines() { [ -f "$1" ] && wc -l < "$1" || echo 0; }
wait_lines() {
    i=0
    while [ "$(lines "$1")" -lt "$2" ]; do
        i=$((i + 1)); [ $i -gt 200 ] && fail "$1 has $(lines "$1") lines, want $2"
        sleep 0.05
    done
}
settle() {
    prev=-1
    for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
        head=$(K sync | jq .head)
        [ "$head" = "$prev" ] && return 0
        prev=$head
        sleep 0.05
    done
    fail "the log never settled"
}
check() {
    got=$(printf '%s' "$2" | jq -r "$3")
    [ "$got" = "$4" ] || fail "$1: $3 is '$got', expected '$4'"
}
eq() { [ "$2" = "$3" ] || fail "$1: '$2', expected '$3'"; }
refused() {
    what=$1 pat=$2
    shift 2
    h0=$(K status | jq -r .head)
    set +e
    out=$("$B/kefuctl" --dir "$D" --json "$@" 2>/dev/null)
    rc=$?
    set -e
    [ "$rc" -eq 1 ] || fail "$what: exit $rc, expected 1 ($out)"
    printf '%s' "$out" | jq -r .error.message | grep -q -- "$pat" || fail "$what: '$out' does not say '$pat'"
    [ "$(K status | jq -r .head)" = "$h0" ] || fail "$what: the refusal wrote to the log"
}
refused_exit() {
    want=$1 what=$2 pat=$3
    shift 3
    h0=$(K status | jq -r .head)
    set +e
    out=$("$B/kefuctl" --dir "$D" --json "$@" 2>&1)
    rc=$?
    set -e
    [ "$rc" -eq "$want" ] || fail "$what: exit $rc, expected $want ($out)"
    printf '%s' "$out" | grep -q -- "$pat" || fail "$what: '$out' does not say '$pat'"
    [ "$(K status | jq -r .head)" = "$h0" ] || fail "$what: the refusal wrote to the log"
}
