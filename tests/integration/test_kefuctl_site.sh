#!/bin/sh
# test_kefuctl_site.sh: kefuctl's site commands against a live site, as
# contract.md words them: status (daemons with name, pid, ok, applied;
# head), sync (head), clock advance (now; refused on a wall clock with
# exit 1, and past year 9999 with exit 1, code invalid), log tail (one JSON object per line with seq, type, at, data;
# --from; --follow), a refusal's field named by its flag on stderr and by
# the daemon's words in the JSON, and exit 3 at once once the site is
# down: cleanly (no socket files left) or killed outright (stale socket
# files).
set -eu
BUILD=${BUILD:-build}
B=$BUILD/bin
D=$(mktemp -d /tmp/kefu-site.XXXXXX)
W=$(mktemp -d /tmp/kefu-wall.XXXXXX)
fp=""
cleanup() {
    [ -z "$fp" ] || kill "$fp" 2>/dev/null || true   # the follower, if a check failed first
    "$B/kefu" down --dir "$D" >/dev/null 2>&1 || true
    "$B/kefu" down --dir "$W" >/dev/null 2>&1 || true
    rm -rf "$D" "$W"
}
trap cleanup EXIT INT TERM
fail() { echo "FAIL: $*" >&2; exit 1; }
K() { "$B/kefuctl" --dir "$D" --json "$@"; }
check() {  # check WHAT JSON JQ-EXPR EXPECTED
    got=$(printf '%s' "$2" | jq -r "$3")
    [ "$got" = "$4" ] || fail "$1: $3 is '$got', expected '$4'"
}

"$B/kefu" up --dir "$D" --detach --sim-clock 2026-11-23T09:00:00+08:00
st=$(K status)
check "status" "$st" '[.daemons[] | .name + ":" + (.ok|tostring)] | join(" ")' "evlog:true intake:true sched:true sla:true net:true"
check "status pids" "$st" '[.daemons[] | select(.pid > 0)] | length' 5
check "status head" "$st" '.head' 0

# the simulated clock moves by hand; each advance is an event. Times print
# in the site's offset (calendar.utc_offset, +08:00 by default), whatever
# TZ kefuctl runs with (contract.md)
now=$(TZ=America/New_York K clock advance 90m)
check "advance" "$now" '.now' "2026-11-23T10:30:00+08:00"
K customer add K-1 --name "Golden" --tier key >/dev/null
s=$(K sync)
check "sync" "$s" '.head' 2
st=$(K status)
check "applied" "$st" '[.daemons[] | .applied] | join(" ")' "2 2 2 2 2"

# log tail: every event, one JSON object a line, in order
tail=$(K log tail)
[ "$(printf '%s\n' "$tail" | wc -l)" -eq 2 ] || fail "log tail: $(printf '%s\n' "$tail" | wc -l) lines"
check "tail 1" "$(printf '%s\n' "$tail" | sed -n 1p)" '[.seq, .type, .at, .data.to] | map(tostring) | join(" ")' \
      "1 clock_advanced 2026-11-23T09:00:00+08:00 2026-11-23T10:30:00+08:00"
check "tail 2" "$(printf '%s\n' "$tail" | sed -n 2p)" '[.seq, .type, .data.customer.id] | map(tostring) | join(" ")' \
      "2 customer_registered K-1"
check "tail --from" "$(K log tail --from 2)" '.seq' 2
check "tail --from 0" "$(K log tail --from 0 | head -1)" '.seq' 1   # 0 and 1: the beginning

# --follow prints what comes after it started
"$B/kefuctl" --dir "$D" --json log tail --from 3 --follow > "$D/follow" &
fp=$!
sleep 0.3
K customer add K-2 --name "Lake" --tier general >/dev/null
i=0
until [ -s "$D/follow" ] || [ $i -gt 50 ]; do sleep 0.1; i=$((i + 1)); done
kill -TERM $fp
wait $fp || fail "log tail --follow did not exit 0 on SIGTERM"
check "follow" "$(head -n 1 "$D/follow")" '[.seq, .type] | map(tostring) | join(" ")' "3 customer_registered"

# a refusal names the field (intake: customer.id; the control server:
# request.actor); the stderr line names what was typed (the operand ID,
# --by), the JSON keeps the daemon's words; nothing is written
long=$(printf 'b%.0s' $(seq 1 100))
refused() {  # refused WANT-STDERR WANT-JSON ARGS...
    want_err=$1 want_json=$2
    shift 2
    rc=0
    "$B/kefuctl" --dir "$D" --json "$@" >"$D/r.out" 2>"$D/r.err" || rc=$?
    [ $rc -eq 1 ] || fail "kefuctl $*: exit $rc, want 1"
    grep -q "^kefuctl: [a-z-]*: $want_err" "$D/r.err" || fail "kefuctl $*: stderr $(cat "$D/r.err")"
    check "kefuctl $*" "$(cat "$D/r.out")" ".error.message | startswith(\"$want_json\")" true
}
refused 'ID: ' 'customer.id: ' customer add "K 3" --name N --tier general
refused '--by: ' 'request.actor: ' customer add K-3 --name N --tier general --by "$long"
check "refusals write nothing" "$(K sync)" '.head' 3

# on a wall clock, clock advance is refused (exit 1, code conflict)
"$B/kefu" up --dir "$W" --detach
if out=$("$B/kefuctl" --dir "$W" --json clock advance 1h 2>/dev/null); then
    fail "clock advance on a wall clock was accepted"
else
    rc=$?
    [ $rc -eq 1 ] || fail "clock advance on a wall clock: exit $rc, want 1"
    check "wall" "$out" '.error.code' conflict
fi

# once the site is down: exit 3, at once (no socket files are left to
# wait on; the default --timeout is 5s per daemon)
"$B/kefu" down --dir "$D"
t0=$(date +%s%N)
if "$B/kefuctl" --dir "$D" status >/dev/null 2>&1; then fail "status of a stopped site succeeded"; else
    rc=$?; [ $rc -eq 3 ] || fail "status of a stopped site: exit $rc, want 3"; fi
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ $ms -lt 2000 ] || fail "status of a stopped site took $ms ms"
for f in "$D"/run/*; do [ -S "$f" ] && fail "kefu down left the socket $f"; done

# the clock stops at the end of what RFC 3339 can write (year 9999): an
# advance past 9999-12-31T23:59:59Z is refused (exit 1, invalid) and moves
# nothing; up to it is fine. (D restarts on a later --sim-clock, which stands.)
"$B/kefu" up --dir "$D" --detach --sim-clock 9999-12-25T00:00:00Z --set calendar.utc_offset=+00:00
check "near 9999" "$(K clock advance 6d23h59m59s)" '.now' "9999-12-31T23:59:59Z"
for dur in 1s 3660d; do
    if out=$(K clock advance "$dur" 2>/dev/null); then
        fail "clock advance $dur past year 9999 was accepted: $out"
    else
        rc=$?
        [ $rc -eq 1 ] || fail "clock advance $dur past year 9999: exit $rc, want 1"
        check "past 9999" "$out" '.error.code' invalid
        check "past 9999 message" "$out" '.error.message | test("past 9999-12-31T23:59:59Z")' true
    fi
done
check "clock after refusals" "$(K status)" '.now' "9999-12-31T23:59:59Z"
"$B/kefu" down --dir "$D"

# a site killed outright leaves its socket files, with nobody listening:
# kefuctl still answers exit 3 at once rather than after its timeout
sup=$(cat "$W/run/kefu.pid")
pids=$("$B/kefuctl" --dir "$W" --json status | jq -r '.daemons[].pid')
any_alive() { for p in "$@"; do kill -0 "$p" 2>/dev/null && return 0; done; return 1; }
kill -STOP "$sup"               # no restarts
for p in $pids; do kill -9 "$p"; done
kill -9 "$sup"
i=0
while [ $i -lt 50 ] && any_alive $pids "$sup"; do sleep 0.1; i=$((i + 1)); done
[ -S "$W/run/evlog.ctl" ] || fail "the killed site left no socket file to test with"
for cmd in status "log tail"; do
    t0=$(date +%s%N)
    # shellcheck disable=SC2086
    if "$B/kefuctl" --dir "$W" $cmd >/dev/null 2>&1; then fail "$cmd of a killed site succeeded"; else
        rc=$?; [ $rc -eq 3 ] || fail "$cmd of a killed site: exit $rc, want 3"; fi
    ms=$(( ($(date +%s%N) - t0) / 1000000 ))
    [ $ms -lt 2000 ] || fail "$cmd of a killed site (stale socket files) took $ms ms"
done
echo "ok: status, sync, clock advance, log tail (and --follow) against a live site"
