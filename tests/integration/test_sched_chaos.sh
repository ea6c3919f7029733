#!/bin/sh
# test_sched_chaos.sh: sched killed with SIGKILL at random moments while
# the floor reports stages and the desk resolves cases that sched must
# answer by itself (a reissue: a lab-caused rush, kservice_react).
#
# 40 print orders go through their five stages (200 stage reports, each
# with a request id, repeated until answered, as kefu-terminal does), and
# 30 missing-pieces cases on other orders are resolved as reissue while
# sched keeps dying. Afterwards: every order has exactly its five stages
# in route order (none lost, none applied twice), every resolved case gave
# exactly one lab-caused rush decision (a reaction made once, whatever the
# moment of the kill), and sched's store deleted and rebuilt from the log
# holds the same jobs and decisions.
set -eu
BUILD=${BUILD:-build}
B=$BUILD/bin
ORDERS=${SCHED_CHAOS_ORDERS:-40}
CASES=${SCHED_CHAOS_CASES:-30}
D=$(mktemp -d /tmp/kefu-schaos.XXXXXX)
KILLER=""
cleanup() {
    [ -n "$KILLER" ] && kill "$KILLER" 2>/dev/null || true
    "$B/kefu" down --dir "$D" >/dev/null 2>&1 || true
    rm -rf "$D"
}
trap cleanup EXIT INT TERM
fail() { echo "FAIL: $*" >&2; tail -n 5 "$D"/log/*.log >&2 || true; exit 1; }
K() { "$B/kefuctl" --dir "$D" --json --timeout 2s "$@"; }
# retry RID ARGS...: a write with a request id, repeated until answered
retry() {
    rid=$1
    shift
    tries=0
    until K --request-id "$rid" "$@" >/dev/null 2>&1; do
        tries=$((tries + 1))
        [ $tries -gt 300 ] && fail "request $rid never answered"
        sleep 0.05
    done
}

"$B/kefu" up --dir "$D" --detach --set kefu.restart_max=300ms
K customer add K-1 --name "Golden" --tier key >/dev/null
i=1
while [ $i -le $ORDERS ]; do K order add --customer K-1 --product print --qty 5 --id "P-$i" >/dev/null; i=$((i + 1)); done
i=1
while [ $i -le $CASES ]; do
    K order add --customer K-1 --product print --qty 3 --id "M-$i" >/dev/null
    K complaint open --customer K-1 --order "M-$i" --kind missing --complexity simple --by li >/dev/null
    i=$((i + 1))
done
K sync >/dev/null

# The killer: SIGKILL sched every 0.1-0.35 s while the work goes on (the
# work takes a few seconds).
( while :; do
      sleep "0.$(shuf -i 10-35 -n 1)"
      pkill -9 -f "[k]efu-sched --dir $D" || true
  done ) &
KILLER=$!

c=1
for st in received printing qc packed done; do
    i=1
    while [ $i -le $ORDERS ]; do
        retry "T-$st-$i" stage "P-$i" "$st" --terminal T-1 --by wang
        i=$((i + 1))
    done
    # cases resolved in between: intake answers them, sched reacts
    for _ in 1 2 3 4 5 6; do
        [ $c -le $CASES ] || break
        retry "resolve-$c" complaint resolve "C-$c" --by li --outcome reissue
        c=$((c + 1))
    done
done
kill "$KILLER"
wait "$KILLER" 2>/dev/null || true
KILLER=""
kills=$(grep -c "sched (pid [0-9]*) was killed by signal 9" "$D/log/kefu.log" || true)
[ "$kills" -ge 3 ] || fail "sched was killed only $kills times"
if grep -E "sched .*(killed by signal [0-8]([^0-9]|$)|killed by signal 1[0-9]|exited with)" "$D/log/kefu.log"; then
    fail "sched died on its own"
fi

until K sync >/dev/null 2>&1; do sleep 0.1; done
sleep 1   # reactions left waiting at a kill run once sched is past its gate
until K sync >/dev/null 2>&1; do sleep 0.1; done
i=1
while [ $i -le $ORDERS ]; do
    got=$(K job show "P-$i" | jq -r '[.stages[].stage] | join(",")')
    [ "$got" = "received,printing,qc,packed,done" ] || fail "P-$i has stages $got"
    i=$((i + 1))
done
rushes=$(K rushes)
n=$(printf '%s' "$rushes" | jq '[.items[] | select(.cause == "lab")] | length')
[ "$n" -eq "$CASES" ] || fail "$n lab-caused rushes for $CASES reissues"
n=$(printf '%s' "$rushes" | jq '[.items[].case] | unique | length')
[ "$n" -eq "$CASES" ] || fail "$n cases among the lab-caused rushes, want $CASES"
stages=$(K log tail | jq -s '[.[] | select(.type == "stage_reported")] | length')
[ "$stages" -eq $((ORDERS * 5)) ] || fail "$stages stage events in the log, want $((ORDERS * 5))"

# Rebuilt from the log alone, sched holds the same jobs and decisions.
K rushes | jq -S . > "$D/before"
K queue | jq -S . >> "$D/before"
now=$(K status | jq -r .now)
"$B/kefu" down --dir "$D"
rm -rf "$D/sched"
"$B/kefu" up --dir "$D" --detach
until K sync >/dev/null 2>&1; do sleep 0.1; done
K rushes | jq -S . > "$D/after"
K queue | jq -S . >> "$D/after"
cmp -s "$D/before" "$D/after" || fail "the rebuilt sched differs: $(diff "$D/before" "$D/after" | head -5)"
echo "ok: $((ORDERS * 5)) stage reports and $CASES reactions through $kills kills of sched: each once, rebuild identical ($now)"
