#!/bin/bash
# test_intake_faults.sh: honest answers when the log stalls or the disk is
# full (issue 12, item 3). Every answer is the daemon's own, typed, never
# kefuctl's "does not answer: is the site up?".
#
# 1. The log stopped (SIGSTOP): a write with --timeout 3s is answered
#    before kefuctl gives up, exit 3, code unavailable, "the event log has
#    not acknowledged the change" and how to learn the outcome
#    (--request-id r-stall); a read is answered from the store meanwhile.
#    Once the log goes on, the write is made: its repeat gets case C-1.
# 2. (root: a 40 MiB tmpfs, 8 MiB segments) the disk filled up by another
#    file: writes go on until the disk has no room for intake's store (or
#    the log's next segment); then a write is answered store-full, and so
#    is the next at once, with nothing written; reads are answered. Once
#    room returns nothing acknowledged is lost (each repeat gets its case,
#    writing nothing), and new writes work.
# 3. The same across a restart on a full disk: a change in the log but not
#    in intake's store, intake killed (-9) and restarted by kefu on the
#    full disk: reads answer from its store, writes say store-full, and
#    once room returns everything in the log is applied.
# 4. (root) The log's own disk full at a roll-over: new appends refused
#    store-full, the waiting batch written once room returns.
set -u
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$PWD/$BUILD ;; esac
B=$BUILD/bin
TMP=$(mktemp -d /tmp/kefu-faults.XXXXXX)
D=$TMP/site
EVPID=
MOUNTED=
cleanup() {
    [ -n "$EVPID" ] && kill -CONT "$EVPID" 2>/dev/null
    "$B/kefu" down --dir "$D" >/dev/null 2>&1
    [ -n "$MOUNTED" ] && umount "$TMP/disk" 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
K() { "$B/kefuctl" --dir "$D" --json "$@"; }
fail() { echo "FAIL: $*" >&2; tail -n 5 "$D"/log/*.log >&2 2>/dev/null; exit 1; }
# expect CODE EXIT ARGS...: kefuctl ARGS exits EXIT with error code CODE
expect() {
    code=$1 want=$2
    shift 2
    rc=0
    K "$@" >"$TMP/out" 2>/dev/null || rc=$?
    [ "$rc" -eq "$want" ] || fail "kefuctl $*: exit $rc, want $want: $(cat "$TMP/out")"
    [ "$(jq -r .error.code "$TMP/out")" = "$code" ] || fail "kefuctl $*: $(cat "$TMP/out"), want $code"
}
open_case() { K complaint open --customer K1 --kind colour --complexity simple --by li "$@"; }

# ---- 1. a stalled log -------------------------------------------------------
mkdir -p "$D"
"$B/kefu" up --dir "$D" --detach --sim-clock 2026-11-23T09:00:00+08:00 || fail "kefu up"
K customer add K1 --name One --tier key >/dev/null || fail "customer add"
EVPID=$(cat "$D/run/evlog.lock" 2>/dev/null)
[ -n "$EVPID" ] || EVPID=$(pgrep -f "kefu-evlog --dir $D" | head -n 1)
kill -STOP "$EVPID"
expect unavailable 3 --timeout 3s --request-id r-stall complaint open --customer K1 \
    --kind colour --complexity simple --by li
grep -q "the event log has not acknowledged the change" "$TMP/out" || fail "stall: $(cat "$TMP/out")"
grep -q -- "--request-id r-stall" "$TMP/out" || fail "stall: no way to learn the outcome: $(cat "$TMP/out")"
[ "$(K customer show K1 | jq -r .id)" = K1 ] || fail "a read during the stall"
kill -CONT "$EVPID"
EVPID=
K sync >/dev/null || fail "sync after the stall"
c=$(open_case --request-id r-stall) || fail "the repeat after the stall"
[ "$(printf '%s' "$c" | jq -r .id)" = C-1 ] || fail "the stalled write was not made once: $c"
[ "$(K complaints | jq '.items | length')" -eq 1 ] || fail "the stalled write made $(K complaints | jq '.items | length') cases"
"$B/kefu" down --dir "$D" >/dev/null

# ---- 2. a full disk ------------------------------------------------------------------
if [ "$(id -u)" -ne 0 ]; then
    echo "SKIP: the full-disk part needs a tmpfs mount (not root)"
    echo "ok: a stalled log is reported as such; the write is made once it goes on"
    exit 0
fi
mkdir "$TMP/disk"
mount -t tmpfs -o size=40m tmpfs "$TMP/disk" || fail "mount a tmpfs"
MOUNTED=1
D=$TMP/disk/site
"$B/kefu" up --dir "$D" --detach --sim-clock 2026-11-23T09:00:00+08:00 \
    --set evlog.segment_mb=8 || fail "kefu up on the tmpfs"
K customer add K1 --name One --tier key >/dev/null || fail "customer add"
for i in 1 2 3; do open_case --request-id "ok-$i" >/dev/null || fail "case $i"; done
K sync >/dev/null
fill() { dd if=/dev/zero of="$TMP/disk/filler" bs=64k >/dev/null 2>&1 || true; sync; }
TEXT=$(head -c 3000 /dev/zero | tr '\0' x)
# write_until_full PREFIX: writes cases (request ids PREFIX-1, -2, ...) until
# one is refused; sets acked (how many were acknowledged) and last (the
# refused one's request id). The disk fills under LMDB's new pages (or the
# log's next segment), whichever comes first.
write_until_full() {
    acked=0
    last=
    for i in $(seq 1 400); do
        rc=0
        open_case --request-id "$1-$i" --text "$TEXT" >"$TMP/out" 2>/dev/null || rc=$?
        if [ "$rc" -ne 0 ]; then
            last=$1-$i
            return
        fi
        acked=$((acked + 1))
    done
    fail "400 writes on a full disk, none refused"
}
fill
write_until_full full
[ "$(jq -r .error.code "$TMP/out")" = store-full ] || fail "on a full disk: $(cat "$TMP/out")"
# The next write is refused at once, nothing written.
expect store-full 1 --request-id full-next complaint open --customer K1 --kind colour \
    --complexity simple --by li
[ "$(K customer show K1 | jq -r .id)" = K1 ] || fail "a read on a full disk"
K complaints >/dev/null || fail "the register on a full disk"
rm -f "$TMP/disk/filler"
# Room again: every acknowledged case is there, the refused one too if it
# had reached the log; a new write works.
want=$((3 + acked))
for i in $(seq 1 100); do
    K --request-id room-1 complaint open --customer K1 --kind colour --complexity simple \
        --by li >/dev/null 2>&1 && break
    sleep 0.1
done
K sync >/dev/null
n=$(K complaints | jq '.items | length')
[ "$n" -ge $((want + 1)) ] && [ "$n" -le $((want + 2)) ] ||
    fail "after room returned: $n cases, want $((want + 1)) or $((want + 2))"
for i in $(seq 1 "$acked"); do
    K --request-id "full-$i" complaint open --customer K1 --kind colour --complexity simple \
        --by li --text "$TEXT" >/dev/null || fail "acknowledged request full-$i lost"
done
[ "$(K complaints | jq '.items | length')" -eq "$n" ] || fail "repeats wrote something"

# ---- 3. a restart on a full disk ---------------------------------------------------------
# Fill again until a change is in the log but not in intake's store; then
# intake is killed (kill -9) and restarted by kefu on the full disk: it
# can't catch up, yet it answers reads, and writes say store-full.
K sync >/dev/null
fill
write_until_full again
n=$((n + acked))
[ "$(jq -r .error.code "$TMP/out")" = store-full ] || fail "on a full disk again: $(cat "$TMP/out")"
old=$(K status | jq -r '.daemons[] | select(.name == "intake") | .pid')
kill -9 "$old"
for i in $(seq 1 100); do
    pid=$(K status 2>/dev/null | jq -r '.daemons[] | select(.name == "intake" and .ok) | .pid' 2>/dev/null)
    [ -n "$pid" ] && [ "$pid" != "$old" ] && break
    sleep 0.1
done
[ -n "$pid" ] && [ "$pid" != "$old" ] || fail "intake was not restarted on the full disk"
[ "$(K customer show K1 | jq -r .id)" = K1 ] || fail "a read after a restart on a full disk"
expect store-full 1 complaint open --customer K1 --kind colour --complexity simple --by li
rm -f "$TMP/disk/filler"
for i in $(seq 1 100); do
    m=$(K complaints 2>/dev/null | jq '.items | length' 2>/dev/null || echo 0)
    [ "$m" -gt "$n" ] && break
    sleep 0.1
done
# the acknowledged ones, and the refused first one that was in the log
[ "$m" -eq $((n + 1)) ] || fail "after a restart on a full disk and room again: $m cases, want $((n + 1))"
for i in $(seq 1 "$acked"); do
    K --request-id "again-$i" complaint open --customer K1 --kind colour --complexity simple \
        --by li --text "$TEXT" >/dev/null || fail "acknowledged request again-$i lost"
done
K complaint open --customer K1 --kind colour --complexity simple --by li >/dev/null ||
    fail "a write after the restart"

# ---- 4. the log's own disk full: no room for its next segment ----------------------------
# A site with 4 MiB segments on a 24 MiB tmpfs, the rest of it filled; a
# producer appends 3 KB events until the log has no room to roll over. The
# batch that needs the new segment waits (its appends unanswered), and
# appends sent after it, another producer's too, are refused store-full at
# once with nothing written; once room returns the waiting batch is
# written and acknowledged. Every acknowledged event is in the log exactly
# once at its seq, and nothing refused is.
"$B/kefu" down --dir "$D" >/dev/null
umount "$TMP/disk"
mount -t tmpfs -o size=24m tmpfs "$TMP/disk" || fail "mount a tmpfs"
D=$TMP/disk/site
"$B/kefu" up --dir "$D" --detach --set evlog.segment_mb=4 || fail "kefu up with 4 MiB segments"
sleep 0.5   # the prep thread makes next.tmp
fill
"$BUILD/tests/evlog_load" --dir "$D" --producer full --count 3000 --window 32 --payload 3000 \
    --out "$TMP/acked" --timeout 60 2>"$TMP/load.err" &
LOAD=$!
for i in $(seq 1 300); do
    grep -q "no room on the disk for a new segment" "$D/log/evlog.log" && break
    sleep 0.1
done
grep -q "no room on the disk for a new segment" "$D/log/evlog.log" || fail "the log did not wait for room"
# Meanwhile another producer is refused at once, store-full, nothing written.
rc=0
"$BUILD/tests/evlog_load" --dir "$D" --producer other --count 5 --out "$TMP/other" \
    --timeout 20 2>"$TMP/other.err" || rc=$?
[ "$rc" -eq 1 ] || fail "another producer on a full log exited $rc, want 1"
grep -q "store is full" "$TMP/other.err" || fail "another producer: $(cat "$TMP/other.err")"
[ ! -s "$TMP/other" ] || fail "an append was acknowledged on a full log: $(cat "$TMP/other")"
rm -f "$TMP/disk/filler"
rc=0
wait $LOAD || rc=$?
# It may have had appends refused too (sent once the log was full); the
# ones in the waiting batch are acknowledged now.
[ "$rc" -le 1 ] || fail "the first producer exited $rc: $(tail -3 "$TMP/load.err")"
"$BUILD/tests/evlog_sub" --dir "$D" --store "$TMP/sub" --out "$TMP/dump" --timeout 60 ||
    fail "reading the log back"
acked=$(wc -l < "$TMP/acked")
[ "$acked" -gt 0 ] || fail "nothing acknowledged"
inlog=$(awk '$2 == "full"' "$TMP/dump" | wc -l)
[ "$inlog" -eq "$acked" ] || fail "the log holds $inlog of the producer's events, $acked were acknowledged"
[ "$(awk '$2 == "other"' "$TMP/dump" | wc -l)" -eq 0 ] || fail "a refused append is in the log"
missing=$(awk 'NR == FNR { seq[$2 " " $3] = $1; next }
               seq[$1 " " $2] != $3 { print }' "$TMP/dump" "$TMP/acked" | wc -l)
[ "$missing" -eq 0 ] || fail "$missing acknowledged events are not in the log at their seq"
grep -q "room again" "$D/log/evlog.log" || fail "the waiting batch was not written once room returned"

echo "ok: a stalled log and a full disk (the stores' and the log's) are reported as such;" \
     "reads answer; nothing acknowledged lost"
