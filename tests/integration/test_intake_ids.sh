#!/bin/sh
# test_intake_ids.sh: an id is reserved from the moment a command takes it
# until its event is applied; no acknowledged order is ever overwritten
# (issue 12, the two data-loss bugs), and ids keep to one alphabet.
#
# 1. The log stopped (SIGSTOP), `order add` without --id takes O-1 and
#    waits; `order add --id O-1` for another customer waits behind it and,
#    once the log goes on, is refused (exists, exit 1): the first caller
#    gets its own order, the log holds one order_taken for O-1.
# 2. A hand-chosen id with a number too long to be a counter
#    (O-99999999999999999999) moves no counter: 16 orders added at once
#    get 16 distinct ids, O-2..O-17 (after case 1's O-1), and
#    each caller is answered with its own order (its own quantity).
# 3. Ids outside the alphabet (a space, '/', "../", a leading '.', a newline) are
#    refused with a message naming the field; nothing is written.
# 4. A request id repeated with the same arguments gets the first answer;
#    with other arguments it is refused (conflict), also after intake's
#    store is rebuilt from the log.
set -eu
BUILD=${BUILD:-build}
B=$BUILD/bin
D=$(mktemp -d /tmp/kefu-ids.XXXXXX)
cleanup() {
    [ -n "${EVPID:-}" ] && kill -CONT "$EVPID" 2>/dev/null
    "$B/kefu" down --dir "$D" >/dev/null 2>&1 || true
    rm -rf "$D"
}
trap cleanup EXIT INT TERM
K() { "$B/kefuctl" --dir "$D" --json "$@"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
head_of_log() { K status | jq -r .head; }
count_type() { K log tail | jq -r --arg t "$1" --arg id "$2" \
    'select(.type == $t and .data.order.id == $id) | .seq' | wc -l; }

"$B/kefu" up --dir "$D" --detach --sim-clock 2026-11-23T09:00:00+08:00
K customer add K1 --name "One" --tier key >/dev/null
K customer add K2 --name "Two" --tier general >/dev/null

# ---- 1. a generated id in flight meets the same id chosen by hand --------
EVPID=$(cat "$D/run/evlog.pid" 2>/dev/null || pgrep -f "kefu-evlog --dir $D" | head -n 1)
[ -n "$EVPID" ] || fail "no log daemon pid"
kill -STOP "$EVPID"
K order add --customer K1 --product print --qty 6 >"$D/a.out" 2>"$D/a.err" &
A=$!
sleep 0.5
K order add --customer K2 --product print --qty 9 --id O-1 >"$D/b.out" 2>"$D/b.err" &
BB=$!
sleep 0.5
kill -CONT "$EVPID"
EVPID=
wait $A || fail "the generated order add failed: $(cat "$D/a.err")"
rc=0
wait $BB || rc=$?
[ "$rc" -eq 1 ] || fail "order add --id O-1 exited $rc, want 1 (refused): $(cat "$D/b.out")"
[ "$(jq -r .id "$D/a.out")" = O-1 ] || fail "the generated order is $(jq -r .id "$D/a.out"), want O-1"
[ "$(jq -r .customer "$D/a.out")" = K1 ] || fail "the first caller was shown customer $(jq -r .customer "$D/a.out")'s order"
[ "$(jq -r .qty "$D/a.out")" = 6 ] || fail "the first caller was shown qty $(jq -r .qty "$D/a.out")"
[ "$(jq -r .error.code "$D/b.out")" = exists ] || fail "the hand-chosen O-1 got $(cat "$D/b.out"), want exists"
[ "$(count_type order_taken O-1)" -eq 1 ] || fail "the log holds $(count_type order_taken O-1) order_taken for O-1"
[ "$(K order show O-1 | jq -r .customer)" = K1 ] || fail "O-1 was overwritten"

# ---- 2. a long hand-chosen id moves no counter ---------------------------------
K order add --customer K2 --product print --qty 1 --id O-99999999999999999999 >/dev/null
i=1
while [ $i -le 16 ]; do
    K order add --customer K1 --product print --qty $((100 + i)) >"$D/p.$i" 2>&1 &
    i=$((i + 1))
done
wait
ids=$(cat "$D"/p.* | jq -r .id | sort -u | wc -l)
[ "$ids" -eq 16 ] || fail "16 parallel adds got $ids distinct ids: $(cat "$D"/p.* | jq -c '{id,qty}')"
i=1
while [ $i -le 16 ]; do
    id=$(jq -r .id "$D/p.$i")
    [ "$(jq -r .qty "$D/p.$i")" = $((100 + i)) ] || fail "caller $i was answered with qty $(jq -r .qty "$D/p.$i")"
    [ "$(K order show "$id" | jq -r .qty)" = $((100 + i)) ] || fail "order $id holds another caller's qty"
    n=${id#O-}
    [ "$n" -ge 2 ] && [ "$n" -le 17 ] || fail "generated id $id: the counter moved ($n)"
    i=$((i + 1))
done

# ---- 3. the id alphabet ---------------------------------------------------------------
h=$(head_of_log)
for bad in "K 3" "K/3" "../K3" ".K3" "K3
x"; do
    rc=0
    K customer add "$bad" --name N --tier general >"$D/c.out" 2>/dev/null || rc=$?
    [ "$rc" -eq 1 ] || fail "customer add '$bad' exited $rc, want 1"
    [ "$(jq -r .error.code "$D/c.out")" = invalid ] || fail "customer add '$bad': $(cat "$D/c.out")"
    jq -r .error.message "$D/c.out" | grep -q "customer.id" || fail "the refusal does not name the field: $(cat "$D/c.out")"
    rc=0
    K order add --customer K1 --product print --qty 1 --id "$bad" >"$D/c.out" 2>/dev/null || rc=$?
    [ "$rc" -eq 1 ] || fail "order add --id '$bad' exited $rc, want 1"
done
[ "$(head_of_log)" = "$h" ] || fail "a refused id wrote to the log"
# ---- 4. a request id reused with other arguments is refused --------------------------
a=$(K --request-id r-1 customer add K9 --name "Nine" --tier key)
b=$(K --request-id r-1 customer add K9 --name "Nine" --tier key) || fail "a repeat was refused"
[ "$a" = "$b" ] || fail "a repeat got another answer: $a / $b"
rc=0
K --request-id r-1 customer add K9 --name "Other" --tier key >"$D/r.out" 2>/dev/null || rc=$?
[ "$rc" -eq 1 ] || fail "request id r-1 with other arguments exited $rc, want 1"
[ "$(jq -r .error.code "$D/r.out")" = conflict ] || fail "request id reuse: $(cat "$D/r.out")"
jq -r .error.message "$D/r.out" | grep -q "other arguments" || fail "request id reuse: $(cat "$D/r.out")"
# ... also when the answer is built again from the log: intake's store rebuilt
"$B/kefu" down --dir "$D" >/dev/null
rm -rf "$D/intake"
"$B/kefu" up --dir "$D" --detach --sim-clock 2026-11-23T09:00:00+08:00
rc=0
K --request-id r-1 customer add K9 --name "Other" --tier key >"$D/r.out" 2>/dev/null || rc=$?
[ "$rc" -eq 1 ] || fail "after a rebuild, request id r-1 with other arguments exited $rc, want 1"
K --request-id r-1 customer add K9 --name "Nine" --tier key >/dev/null || fail "after a rebuild, the repeat was refused"
[ "$(K order show O-1 | jq -r .customer)" = K1 ] || fail "after a rebuild, O-1 is not K1's"

echo "ok: a generated id in flight is reserved against a hand-chosen one; a long id moves no counter; bad ids refused; a request id with other arguments refused"
