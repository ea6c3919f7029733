#!/bin/sh
# test_evlog_impersonation.sh: a daemon's producer id is that daemon's
# (issue 11), on a whole site (`kefu up`), from a third-party client that
# knows docs/protocol.md and not the site secret (tests/tools/evlog_raw).
#
# 1. Appending intake's customer_registered as producer third-party:
#    forbidden (the event type is intake's).
# 2. As producer intake itself, with intake's next producer_seq (read
#    off the log, as an impostor would): hello and append (a
#    customer_registered and a probe) all forbidden, naming the producer;
#    the log's head does not move.
# 3. intake's next real command works and is applied exactly once: the
#    customer is there, the impostor's is not, the log holds one
#    customer_registered for it, from intake, at the producer_seq the
#    impostor tried (before the fix that event was answered as a retry of
#    the impostor's and dropped).
# 4. A foreign clock_advanced to the year 2100, as producer evlog and as
#    producer third-party: forbidden; after the site is stopped and
#    started again (the log rebuilding its clock from the log) the clock
#    is where it was, the log holds no clock_advanced, and intake (whose
#    client reads the kept secret again at its hello) still works.
# 5. The secret: DIR/evlog/producer.secret, 32 bytes, mode 0600.
set -eu
BUILD=${BUILD:-build}
B=$BUILD/bin
RAW=$BUILD/tests/evlog_raw
D=$(mktemp -d /tmp/kefu-imp.XXXXXX)
cleanup() {
    "$B/kefu" down --dir "$D" >/dev/null 2>&1 || true
    rm -rf "$D"
}
trap cleanup EXIT INT TERM
K() { "$B/kefuctl" --dir "$D" --json "$@"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
head_of_log() { K status | jq -r .head; }
# expect_refused WANT ARGS...: evlog_raw ARGS must exit 1 printing WANT.
expect_refused() {
    want=$1
    shift
    rc=0
    out=$("$RAW" --dir "$D" "$@") || rc=$?
    [ "$rc" -eq 1 ] || fail "evlog_raw $* exited $rc, want 1 (refused): $out"
    case $out in
    *"$want"*) ;;
    *) fail "evlog_raw $*: got \"$out\", want \"$want\"" ;;
    esac
}
# last_pseq PRODUCER: the producer's last producer_seq in the log.
last_pseq() { K log tail | jq -s --arg p "$1" '[.[] | select(.producer == $p) | .producer_seq] | max // 0'; }
customers() { K customer list | jq -r '[.items[].id] | sort | join(",")'; }

CLOCK=2026-11-23T09:00:00+08:00
"$B/kefu" up --dir "$D" --detach --sim-clock "$CLOCK"
K customer add K1 --name "One" --tier key >/dev/null
now0=$(K status | jq -r .now)

# ---- 5. the secret ------------------------------------------------------------
S="$D/evlog/producer.secret"
[ -f "$S" ] || fail "no site secret at $S"
[ "$(stat -c %s "$S")" -eq 32 ] || fail "the secret is $(stat -c %s "$S") bytes, want 32"
[ "$(stat -c %a "$S")" = 600 ] || fail "the secret has mode $(stat -c %a "$S"), want 600"

# ---- 1. someone else's event type ----------------------------------------------
h0=$(head_of_log)
expect_refused "error forbidden: event 0: a customer_registered event is intake's to write, not producer third-party's" \
    append third-party 1 customer_registered K-X

# ---- 2. intake's own producer id -------------------------------------------------
next=$(( $(last_pseq intake) + 1 ))
[ "$next" -ge 2 ] || fail "intake's next producer_seq is $next; K1 should have taken 1"
IMP="error forbidden: producer intake is the intake daemon's; a client may not hello or append as it"
expect_refused "$IMP" hello intake
expect_refused "$IMP" append intake "$next" customer_registered K-X
expect_refused "$IMP" append intake "$next" probe
[ "$(head_of_log)" = "$h0" ] || fail "the log's head moved from $h0 to $(head_of_log) on refused appends"
# a name that is no daemon's needs nothing: unchanged for tools and probes
"$RAW" --dir "$D" hello third-party | grep -q '^ok last=0 ' || fail "a third-party hello was refused"

# ---- 3. intake's next real command ------------------------------------------------
K customer add K2 --name "Two" --tier general >"$D/k2.out" || fail "customer add K2 failed: $(cat "$D/k2.out")"
[ "$(jq -r .id "$D/k2.out")" = K2 ] || fail "customer add K2 answered $(cat "$D/k2.out")"
[ "$(customers)" = "K1,K2" ] || fail "intake holds customers $(customers), want K1,K2"
K customer show K-X >/dev/null 2>&1 && fail "the impostor's customer K-X is in intake's store"
n=$(K log tail | jq -s '[.[] | select(.type == "customer_registered" and .data.customer.id == "K2")] | length')
[ "$n" -eq 1 ] || fail "the log holds $n customer_registered for K2, want 1"
p=$(K log tail | jq -r 'select(.type == "customer_registered" and .data.customer.id == "K2") | "\(.producer) \(.producer_seq)"')
[ "$p" = "intake $next" ] || fail "K2's event is \"$p\", want \"intake $next\" (the producer_seq the impostor tried)"
[ "$(K log tail | jq -s '[.[] | select(.data.customer.id == "K-X")] | length')" -eq 0 ] ||
    fail "the impostor's K-X is in the log"

# ---- 4. a foreign clock_advanced, then a restart ----------------------------------------
from=$(K log tail | jq -r 'select(.producer == "intake") | .at' | tail -n 1)
TO=4102444800000000   # 2100-01-01T00:00:00Z
expect_refused "error forbidden: producer evlog is the evlog daemon's; a client may not hello or append as it" \
    append evlog 1 clock_advanced 1795395600000000 $TO
expect_refused "error forbidden: event 0: a clock_advanced event is evlog's to write, not producer third-party's" \
    append third-party 1 clock_advanced 1795395600000000 $TO
h1=$(head_of_log)
"$B/kefu" down --dir "$D" >/dev/null
"$B/kefu" up --dir "$D" --detach --sim-clock "$CLOCK"
now1=$(K status | jq -r .now)
[ "$now1" = "$now0" ] || fail "after a restart the clock is $now1, want $now0 (it was at $from before)"
case $now1 in 2100*) fail "the clock moved to 2100" ;; esac
[ "$(K log tail | jq -s '[.[] | select(.type == "clock_advanced")] | length')" -eq 0 ] ||
    fail "the log holds a clock_advanced nobody asked the log for"
[ "$(head_of_log)" = "$h1" ] || fail "the head moved across the restart: $h1 to $(head_of_log)"
K customer add K3 --name "Three" --tier general >/dev/null || fail "intake can't write after the restart"
[ "$(customers)" = "K1,K2,K3" ] || fail "after the restart intake holds $(customers)"
[ "$(last_pseq intake)" -eq $((next + 1)) ] || fail "intake's producer_seq is $(last_pseq intake), want $((next + 1))"
echo "ok: impostors refused (third-party type, intake hello/append, evlog clock), intake applied K2 at producer_seq $next, clock kept across a restart"
