#!/bin/sh
# test_evlog_chaos.sh: nothing acknowledged is lost, nothing is doubled.
#
# Starts a site with `kefu up`, runs P producers appending N events in all
# while the log daemon is killed with SIGKILL at random moments (and
# restarted by kefu), and two subscribers, one of which is killed mid-stream
# and started again on its store. Then checks, against the log itself:
#   - every acknowledged event is in the log exactly once, at the seq its
#     acknowledgement gave;
#   - no (producer, producer_seq) appears twice in the log;
#   - both subscribers saw exactly the log, in the log's order.
# Small segments (1 MiB) make the log roll over segments under the kills.
set -eu
BUILD=${BUILD:-build}
B=$BUILD/bin
T=$BUILD/tests
N=${CHAOS_EVENTS:-100000}
P=${CHAOS_PRODUCERS:-4}
D=$(mktemp -d /tmp/kefu-chaos.XXXXXX)
PIDS=""
cleanup() {
    for p in $PIDS; do kill -9 "$p" 2>/dev/null || true; done
    "$B/kefu" down --dir "$D" >/dev/null 2>&1 || true
    rm -rf "$D"
}
trap cleanup EXIT INT TERM
fail() { echo "FAIL: $*" >&2; tail -n 20 "$D"/log/*.log >&2 || true; exit 1; }

# Restarts at most 300 ms apart, so the kills, not the backoff, set the pace.
"$B/kefu" up --dir "$D" --detach --set evlog.segment_mb=1 --set kefu.restart_max=300ms || fail "kefu up"

per=$((N / P))
N=$((per * P))
LOADERS=""
i=1
while [ $i -le $P ]; do
    "$T/evlog_load" --dir "$D" --producer "load$i" --count $per --window 32 \
        --out "$D/acked.$i" --timeout 600 &
    LOADERS="$LOADERS $!"
    i=$((i + 1))
done
PIDS="$LOADERS"
"$T/evlog_sub" --dir "$D" --store "$D/subA" --until $N --out "$D/dumpA" --timeout 600 &
SUBA=$!
"$T/evlog_sub" --dir "$D" --store "$D/subB" --until never --timeout 600 &
SUBB=$!
PIDS="$PIDS $SUBA $SUBB"

alive() {
    for p in $LOADERS; do kill -0 "$p" 2>/dev/null && return 0; done
    return 1
}
kills=0
subkilled=0
while alive || [ $kills -lt 3 ]; do
    sleep "0.$(shuf -i 2-8 -n 1)"
    pid=$(pgrep -f "kefu-evlog --dir $D" | head -n 1 || true)
    if [ -n "$pid" ]; then
        kill -9 "$pid" 2>/dev/null && kills=$((kills + 1))
    fi
    if [ $subkilled -eq 0 ] && [ $kills -ge 2 ]; then
        kill -9 $SUBB 2>/dev/null || true
        wait $SUBB 2>/dev/null || true
        subkilled=1
        "$T/evlog_sub" --dir "$D" --store "$D/subB" --until $N --out "$D/dumpB" --timeout 600 &
        SUBB=$!
        PIDS="$PIDS $SUBB"
    fi
    [ $kills -gt 200 ] && fail "loaders did not finish after 200 kills"
done
for p in $LOADERS; do wait "$p" || fail "a producer failed"; done
# The only deaths are our kills: a daemon that crashed on its own (an
# assertion, a signal other than 9) is a failure even if nothing was lost.
if grep -E "killed by signal [0-8]([^0-9]|$)|killed by signal 1[0-9]|exited with" "$D/log/kefu.log" | grep -v "signal 9 " ; then
    fail "a daemon died on its own"
fi
wait $SUBA || fail "subscriber A failed (duplicate, gap or timeout)"
wait $SUBB || fail "subscriber B failed after its restart"

# The log as it is now, read by a fresh subscriber.
"$T/evlog_sub" --dir "$D" --store "$D/subC" --out "$D/dumpLog" --timeout 120 || fail "reading the log"

cat "$D"/acked.* > "$D/acked"
acked=$(wc -l < "$D/acked")
[ "$acked" -eq $N ] || fail "$acked of $N appends acknowledged"
inlog=$(wc -l < "$D/dumpLog")
[ "$inlog" -eq $N ] || fail "the log holds $inlog events, expected $N (a retry was written twice?)"
dups=$(awk '{print $2, $3}' "$D/dumpLog" | sort | uniq -d | wc -l)
[ "$dups" -eq 0 ] || fail "$dups events appear twice in the log"
missing=$(awk 'NR == FNR { seq[$2 " " $3] = $1; next }
               seq[$1 " " $2] != $3 { print }' "$D/dumpLog" "$D/acked" | wc -l)
[ "$missing" -eq 0 ] || fail "$missing acknowledged events are not in the log at their seq"
cmp -s "$D/dumpA" "$D/dumpLog" || fail "subscriber A's order differs from the log"
cmp -s "$D/dumpB" "$D/dumpLog" || fail "subscriber B (killed and restarted) differs from the log"
echo "ok: $N events from $P producers, log killed $kills times, subscriber killed once;" \
     "every acknowledged event once, both subscribers saw the log's order"
