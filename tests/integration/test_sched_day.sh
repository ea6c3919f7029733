#!/bin/sh
# test_sched_day.sh: a busy day on the production floor, end to end
# (domain.md §2; 000 §三, §四), through kefuctl as the desk types it.
#
# A site on a simulated clock, with a small day so the figures can be
# worked by hand (--set): capacity 1,000 pieces, a rush quota of 100 with
# 20% (20 pieces) kept for key customers, 3 rushes in 30 days make a
# customer frequent. Working hours 08:30-17:30 (9 h), mon-sat.
#
#   Friday 09:00   F rushes three small orders (accepted): F is now frequent
#   Monday 08:30   orders; from 09:00 one rush a minute:
#     O-G1 general 40  accepted, quota rule (40 <= 100 - 20 reserved)
#     O-F4 frequent 5  declined, count rule (3 rushes in 30 days)
#     O-G2 general 25  accepted, quota (65 used)
#     O-S1 special 10  accepted, quota (75 used)
#     O-G3 general 10  declined, customer rule (25 left, 20 of them reserved)
#     O-K2 key 25      accepted, customer rule (100 used: the quota is full)
#     O-K1 key 30      declined, quota rule (0 left; key customers too)
#   a missing-pieces complaint on O-L1 resolved as reissue: sched rushes it
#     by itself, lab-caused, past the full quota (urgency rule), due by the
#     print rework rule: today 17:30
#   print rework on O-K1 (lab): due the same day, 17:30; closed directly
#   album rework on O-G2: due in 24 h; closing it needs the signed hand-over
#   a crystal batch outsourced, rejected on receipt with a redo in 1 day,
#     then accepted
# Then the queue's order and reasons, the day's summary, bad input, and the
# property that a rebuild from the log gives the same decisions and queue.
set -eu
BUILD=${BUILD:-build}
B=$BUILD/bin
D=$(mktemp -d /tmp/kefu-sched.XXXXXX)
cleanup() { "$B/kefu" down --dir "$D" >/dev/null 2>&1 || true; [ -n "${KEEP:-}" ] || rm -rf "$D"; }
trap cleanup EXIT INT TERM
export TZ=Asia/Shanghai
SETS="--set sched.daily_capacity=1000 --set sched.rush_quota=100 --set sched.frequent_rush=3"
K() { "$B/kefuctl" --dir "$D" --json "$@"; }
at() { K clock advance "$1" >/dev/null; }
fail() { echo "FAIL: $*" >&2; exit 1; }
check() {  # check WHAT JSON JQ-EXPR EXPECTED
    got=$(printf '%s' "$2" | jq -r "$3")
    [ "$got" = "$4" ] || fail "$1: $3 is '$got', expected '$4'"
}
refused() {  # refused WANT-EXIT WANT-TEXT ARGS...: kefuctl fails so, saying so
    want=$1 text=$2
    shift 2
    set +e
    "$B/kefuctl" --dir "$D" "$@" >"$D/out" 2>"$D/err"
    got=$?
    set -e
    [ "$got" = "$want" ] || fail "kefuctl $*: exit $got, want $want ($(cat "$D/err"))"
    grep -q -- "$text" "$D/err" || fail "kefuctl $*: '$(cat "$D/err")' does not say '$text'"
}

# shellcheck disable=SC2086
"$B/kefu" up --dir "$D" --detach --sim-clock 2026-11-20T09:00:00+08:00 $SETS

K customer add K --name "Golden Studio" --tier key >/dev/null
K customer add G --name "Corner Shop" --tier general >/dev/null
K customer add F --name "Rush Photo" --tier general >/dev/null
K customer add S --name "Lakeside" --tier special >/dev/null

# ---- Friday: F rushes three orders, all accepted, all made ----------------------
for i in 1 2 3; do
    K order add --customer F --product print --qty 5 --id "O-F$i" >/dev/null
    r=$(K rush "O-F$i" --level same-day --by amy)
    check "Friday rush $i" "$r" '.decision + " " + .rule' "accepted quota"
    K stage "O-F$i" done --correct --by wang >/dev/null
done
check "F's third" "$r" .customer_rushes 2

# ---- Monday ------------------------------------------------------------------------
at 71h30m   # Monday 08:30
for o in "G1 G print 40" "G2 G album 25" "S1 S print 10" "G3 G print 10" \
         "K1 K print 30" "K2 K print 25" "F4 F print 5" "L1 G print 60" "C1 S crystal 4"; do
    set -- $o
    K order add --customer "$2" --product "$3" --qty "$4" --id "O-$1" >/dev/null
done
at 30m      # 09:00: 8h30m of working time left today: 1000 x 8.5/9 = 944 pieces
rush() { r=$(K rush "$1" --level same-day --by amy); at 1m; }
rush O-G1
check "O-G1" "$r" '.decision + " " + .rule + " " + (.room|tostring) + " " + .due' \
      "accepted quota 944 2026-11-23T17:30:00+08:00"
rush O-F4
check "O-F4" "$r" '.decision + " " + .rule + " " + (.customer_rushes|tostring)' "declined count 3"
rush O-G2
check "O-G2" "$r" '.decision + " " + .rule + " " + (.quota_used|tostring)' "accepted quota 40"
rush O-S1
check "O-S1" "$r" '.decision + " " + .rule + " " + (.quota_used|tostring)' "accepted quota 65"
rush O-G3
check "O-G3" "$r" '.decision + " " + .rule + " " + (.reserve|tostring)' "declined customer 20"
rush O-K2
check "O-K2 (key, the last 25)" "$r" '.decision + " " + .rule' "accepted customer"
rush O-K1
check "O-K1 (key, quota full)" "$r" '.decision + " " + .rule + " " + (.quota_used|tostring)' \
      "declined quota 100"

# 09:07 missing pieces on O-L1, resolved as reissue: sched starts the rush itself
K complaint open --customer G --order O-L1 --kind missing --complexity simple --by li >/dev/null
at 3m       # 09:10
K complaint resolve C-1 --by li --outcome reissue >/dev/null
K sync >/dev/null
j=$(K job show O-L1)
check "O-L1 lab rush" "$j" '.rush_cause + " " + .case + " " + .rush_rule + " " + .rush_due' \
      "lab C-1 urgency 2026-11-23T17:30:00+08:00"
r=$(K rushes --order O-L1)
check "O-L1 decision" "$r" '.items[0].decision + " " + .items[0].reason' \
      "accepted urgency: lab-caused, the most urgent; accepted past the quota (100 of 100 used)"

# 10:00 rework: prints the same day, albums 24 h (000 §四.2)
at 50m
w=$(K rework open O-K1 --cause lab --by li --reason "colour cast")
check "print rework" "$w" '.id + " " + .due + " " + .state + " " + (.charged|tostring)' \
      "RW-1 2026-11-23T17:30:00+08:00 open false"
w=$(K rework open O-G2 --cause lab --by li --reason "pages glued")
check "album rework" "$w" '.id + " " + .due' "RW-2 2026-11-24T10:00:00+08:00"
r=$(K rework list --open)
check "open rework" "$r" '.items | length' 2
refused 1 "needs its signed hand-over" rework done RW-2 --by li
refused 1 "need no signed hand-over" rework handover RW-1 --by li
K rework done RW-1 --by li >/dev/null
K rework handover RW-2 --by zhao >/dev/null
w=$(K rework done RW-2 --by li)
check "album rework done" "$w" '.state + " " + .handover_by' "done zhao"

# 10:30 a crystal batch goes out; back on Wednesday, rejected, redone, accepted
at 30m
o=$(K outsource send O-C1 --vendor "Crystal Works" --expect 2d --by zhao)
check "outsource" "$o" '.id + " " + .state + " " + .expected_at' \
      "OS-1 out 2026-11-25T10:30:00+08:00"
at 48h
o=$(K outsource receive OS-1 --reject --redo-by 1d --count 4 --damaged 1 --scratched 2 --by zhao)
check "rejected" "$o" '.state + " " + .redo_by + " " + (.inspection.damaged|tostring)' \
      "redo 2026-11-26T10:30:00+08:00 1"
at 20h
o=$(K outsource receive OS-1 --accept --count 4 --by zhao)
check "redone" "$o" '.state + " " + (.rounds|tostring)' "accepted 2"

# ---- the queue and the day ----------------------------------------------------------
q=$(K queue)
# lab-caused first: O-L1 (accepted 09:10), then the lab's reworks of O-G2
# and O-K1 (both 10:00: by order id); then the same-day rushes in
# acceptance order (O-G1 09:00, O-S1 09:03, O-K2 09:05); then the rest
check "queue" "$q" '[.items[0:6][].order] | join(" ")' "O-L1 O-G2 O-K1 O-G1 O-S1 O-K2"
check "queue reasons" "$q" '.items[3].reason' \
      "rush same-day, accepted 11-23 09:00 by quota rule, due 11-23 17:30; general customer"
check "queue total" "$q" ".total" 9
d=$(K production day 2026-11-23)
check "the day" "$d" '[.rushes_accepted, .rushes_declined, .quota_used, .lab_rushes] | map(tostring) | join(" ")' \
      "5 3 100 1"
check "by rule" "$d" '[.by_rule[] | "\(.rule):\(.accepted // 0)/\(.declined // 0)"] | sort | join(" ")' \
      "count:0/1 customer:1/1 quota:3/1 urgency:1/0"
d=$(K production day)
check "today" "$d" '[.date, (.reworks_open|tostring), (.outsourced_out|tostring)] | join(" ")' \
      "2026-11-26 0 0"

# ---- bad input ----------------------------------------------------------------------
refused 1 "O-NOPE is not an order production knows" rush O-NOPE --level same-day
refused 2 "level" rush O-G3 --level sometime
refused 1 "binding is not on the route of print orders" stage O-G3 binding
refused 1 "first stage is received" stage O-G3 printing
refused 1 "O-F1 is done" rush O-F1 --level same-day
refused 1 "rushed already" rush O-G1 --level next-day
refused 2 "qty" order add --customer G --product print --qty 0
refused 2 "cause" rework open O-G3 --by li
refused 1 "accept or reject" outsource receive OS-1 --accept --reject
refused 1 "terminal" stage O-G3 received --terminal "no spaces"
refused 1 "nothing is out" outsource receive OS-1 --accept
K stage O-G3 received --terminal T-7 --by wang >/dev/null
j=$(K stage O-G3 printing --by wang)
check "stages" "$j" '([.stages[].stage] | join(",")) + " " + .stages[0].terminal' "received,printing T-7"

# ---- the same history gives the same decisions and queue, after a rebuild ------------
now=$(K status | jq -r .now)
K rushes >"$D/rushes.1"
K queue >"$D/queue.1"
K rework list >"$D/rework.1"
K production day 2026-11-23 >"$D/day.1"
"$B/kefu" down --dir "$D"
rm -rf "$D/sched"
# shellcheck disable=SC2086
"$B/kefu" up --dir "$D" --detach --sim-clock "$now" $SETS
K sync >/dev/null
K rushes >"$D/rushes.2"
K queue >"$D/queue.2"
K rework list >"$D/rework.2"
K production day 2026-11-23 >"$D/day.2"
for f in rushes queue rework day; do
    cmp -s "$D/$f.1" "$D/$f.2" || fail "$f differs after the rebuild: $(diff "$D/$f.1" "$D/$f.2" | head -5)"
done
# the reaction was not made twice: one decision for O-L1
check "one lab rush" "$(K rushes --order O-L1)" '.items | length' 1
echo "sched day: ok"
