#!/bin/sh
# test_intake_chaos.sh: intake killed with SIGKILL at random moments while
# the desk keeps working, every command sent with a request id and simply
# repeated until it is answered (kefuctl exits 3 while intake is down).
# Afterwards: exactly one case per request id (nothing lost, nothing done
# twice), every repeat answers with the case it first made, and intake's
# store deleted and rebuilt from the log holds the same register.
set -eu
BUILD=${BUILD:-build}
B=$BUILD/bin
N=${INTAKE_CHAOS_CASES:-200}
D=$(mktemp -d /tmp/kefu-ichaos.XXXXXX)
KILLER=""
cleanup() {
    [ -n "$KILLER" ] && kill "$KILLER" 2>/dev/null || true
    "$B/kefu" down --dir "$D" >/dev/null 2>&1 || true
    rm -rf "$D"
}
trap cleanup EXIT INT TERM
fail() { echo "FAIL: $*" >&2; tail -n 5 "$D"/log/*.log >&2 || true; exit 1; }
K() { "$B/kefuctl" --dir "$D" --json --timeout 2s "$@"; }

"$B/kefu" up --dir "$D" --detach --set kefu.restart_max=300ms
K customer add K-1 --name "Golden" --tier key >/dev/null

# The killer: SIGKILL intake every 0.2-0.8 s while the work goes on.
( while :; do
      sleep "0.$(shuf -i 2-8 -n 1)"
      pkill -9 -f "[k]efu-intake --dir $D" || true
  done ) &
KILLER=$!

i=1
while [ $i -le $N ]; do
    tries=0
    until out=$(K --request-id "open-$i" complaint open --customer K-1 --kind colour \
                  --complexity simple --by li --text "case $i" 2>/dev/null); do
        tries=$((tries + 1))
        [ $tries -gt 200 ] && fail "request open-$i never answered"
        sleep 0.05
    done
    printf '%s %s\n' "open-$i" "$(printf '%s' "$out" | jq -r .id)" >> "$D/answers"
    i=$((i + 1))
done
kill "$KILLER"
wait "$KILLER" 2>/dev/null || true
KILLER=""
kills=$(grep -c "intake (pid [0-9]*) was killed by signal 9" "$D/log/kefu.log" || true)
[ "$kills" -ge 3 ] || fail "intake was killed only $kills times"
if grep -E "intake .*(killed by signal [0-8]([^0-9]|$)|killed by signal 1[0-9]|exited with)" "$D/log/kefu.log"; then
    fail "intake died on its own"
fi

# Exactly one case per request id: N cases, all different.
until K sync >/dev/null 2>&1; do sleep 0.1; done
reg=$(K complaints --limit 100000)
count=$(printf '%s' "$reg" | jq '.items | length')
[ "$count" -eq "$N" ] || fail "$count cases for $N request ids"
[ "$(cut -d' ' -f2 "$D/answers" | sort -u | wc -l)" -eq "$N" ] || fail "two requests got the same case"
# Every repeat gets the case it first made.
head=$(K status | jq .head)
for i in 1 $((N / 2)) $N; do
    want=$(grep "^open-$i " "$D/answers" | cut -d' ' -f2)
    got=$(K --request-id "open-$i" complaint open --customer K-1 --kind colour \
            --complexity simple --by li --text "case $i" | jq -r .id)
    [ "$got" = "$want" ] || fail "repeat of open-$i answered $got, first $want"
done
[ "$(K status | jq .head)" -eq "$head" ] || fail "repeats wrote to the log"

# Rebuilt from the log alone, intake holds the same register.
printf '%s' "$reg" | jq -S . > "$D/before"
"$B/kefu" down --dir "$D"
rm -rf "$D/intake"
"$B/kefu" up --dir "$D" --detach
until K sync >/dev/null 2>&1; do sleep 0.1; done
K complaints --limit 100000 | jq -S . > "$D/after"
cmp -s "$D/before" "$D/after" || fail "the rebuilt register differs"
echo "ok: $N cases through $kills kills of intake: one case per request id, repeats answer the first, rebuild identical"
