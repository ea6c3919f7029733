#!/bin/sh
# test_intake_replay.sh: a log written before issue 10's last part replays
# into today's intake with the same state (docs/protocol.md "Evolution
# rules"). tests/fixtures/old_log/ is a site's log made by the build of
# commit b7f3aa2 running tests/fixtures/old_log_scenario.sh (59 events: customers,
# orders with promises, five cases through the whole loop, after-sales the
# old way, a consultation, a staff member), with that build's answers in
# expected/. Its segment is kept cut to its first 8 KiB (the rest was
# zeros) and grown back here.
#
# Today's site starts on that log with no stores: every daemon rebuilds
# from it. Every field the old answers had is there with the same value
# (the new fields come on top), nothing is written by the replay (head 59),
# and what today's intake derives from the old events is right:
#   C-1: 09:20 reply --commit 2h (11:20), 13:00 reply --commit 4h (17:00)
#        and resolved at 13:00: the first missed (answered 13:00 > 11:20),
#        the second met by the resolution
#   A-1: refunded before invoice actions were carried: the invoice reversed
#   sla: C-1's, C-2's and C-5's resolutions and Q-1 carry no follow-up
#        due and no callback: no visit and no callback owed, none raised
set -eu
BUILD=${BUILD:-build}
B=$BUILD/bin
FX=$(dirname "$0")/../fixtures/old_log
D=$(mktemp -d /tmp/kefu-replay.XXXXXX)
cleanup() { "$B/kefu" down --dir "$D" >/dev/null 2>&1 || true; rm -rf "$D"; }
trap cleanup EXIT INT TERM
K() { "$B/kefuctl" --dir "$D" --json "$@"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
check() {  # check WHAT JSON JQ-EXPR EXPECTED
    got=$(printf '%s' "$2" | jq -r "$3")
    [ "$got" = "$4" ] || fail "$1: $3 is '$got', expected '$4'"
}
# same WHAT OLD-FILE NEW-JSON: every scalar of the old answer, at its path, in the new
same() {
    diff=$(printf '%s' "$3" | jq -c --slurpfile old "$2" \
        '. as $new | [$old[0] | paths(scalars) as $p | select(($new | getpath($p)) != ($old[0] | getpath($p))) | $p]')
    [ "$diff" = "[]" ] || fail "$1: differs from the old answer at $diff"
}

mkdir -p "$D/evlog"
cp "$FX"/evlog/* "$D/evlog/"
truncate -s 268435456 "$D/evlog/00000000000000000001.seg"
E=$FX/expected
now=$(jq -r .now "$E/status.json")
"$B/kefu" up --dir "$D" --detach --sim-clock "$now"
K sync >/dev/null
check "nothing written" "$(K status)" .head "$(jq -r .head "$E/status.json")"

for c in C-1 C-2 C-3 C-4 C-5; do same "$c" "$E/$c.json" "$(K complaint show "$c" --from-entry 0 --limit 1000)"; done
for x in K-GOLD G-CORNER; do same "$x" "$E/$x.json" "$(K customer show "$x")"; done
for x in O-1 O-2; do same "$x" "$E/$x.json" "$(K order show "$x")"; done
for x in A-1 A-2; do same "$x" "$E/$x.json" "$(K aftersales show "$x")"; done
same register "$E/register.json" "$(K complaints)"
same analysis "$E/analysis.json" \
    "$(K complaints analysis --from 2026-11-24T00:00:00+08:00 --to 2026-11-26T00:00:00+08:00)"
same consultations "$E/consultations.json" "$(K consultations)"

c=$(K complaint show C-1)
check "C-1's chain" "$c" '[.commitments[] | "\(.until) \(.answered_at) \(.state)"] | join(", ")' \
    "2026-11-24T11:20:00+08:00 2026-11-24T13:00:00+08:00 missed, 2026-11-24T17:00:00+08:00 2026-11-24T13:00:00+08:00 met"
check "A-1's invoice" "$(K aftersales show A-1)" '.invoice + " " + (.invoice_reversed|tostring)' "reversed true"
# the old log's staff: who may act holds after the replay too
set +e
out=$("$B/kefuctl" --dir "$D" --json complaint reply C-2 --by zz 2>/dev/null)
rc=$?
set -e
[ "$rc" -eq 1 ] && printf '%s' "$out" | jq -e '.error.code == "forbidden"' >/dev/null ||
    fail "the replayed staff: $rc $out"
# sla from the old events: resolutions without follow_up_due and
# consultations without callback_by owe no visit and no callback, also
# once the clock is well past when one would have fallen due
owed='[.items[] | select(.kind == "follow-up-overdue" or .kind == "callback-overdue")] | length'
check "no visits or callbacks owed" "$(K obligations)" "$owed" 0
K clock advance 30d >/dev/null
K sync >/dev/null
sleep 0.3
K sync >/dev/null
check "none escalated" "$(K escalations)" "$owed" 0
echo "intake replay: ok"
