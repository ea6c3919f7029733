#!/bin/sh
# test_intake_morning.sh: a morning at the desk, end to end (domain.md §1).
#
# A site on a simulated clock from 09:00 (+08:00). Three customers, three
# orders; a colour complaint resolved by rework (000 §一.4: lab's fault ->
# rework), a missing-piece complaint resolved by reissue (reissue on the
# rush flow), a damage complaint whose customer claims from the carrier
# first (outer packaging broken), and a query still open. Every step goes
# through kefuctl as the desk would type it. Then the complaint register
# and the analysis by cause are checked against values worked by hand
# (in the comments), and again after the query's reply deadline passes.
set -eu
BUILD=${BUILD:-build}
B=$BUILD/bin
D=$(mktemp -d /tmp/kefu-morning.XXXXXX)
cleanup() { "$B/kefu" down --dir "$D" >/dev/null 2>&1 || true; rm -rf "$D"; }
trap cleanup EXIT INT TERM
export TZ=Asia/Shanghai
K() { "$B/kefuctl" --dir "$D" --json "$@"; }
at() { K clock advance "$1" >/dev/null; }   # move the desk's clock on
fail() { echo "FAIL: $*" >&2; exit 1; }
check() {  # check WHAT JSON JQ-EXPR EXPECTED
    got=$(printf '%s' "$2" | jq -r "$3")
    [ "$got" = "$4" ] || fail "$1: $3 is '$got', expected '$4'"
}

"$B/kefu" up --dir "$D" --detach --sim-clock 2026-11-23T09:00:00+08:00

# 09:00 customers and orders (upload time = now)
K customer add K-GOLD --name "Golden Studio" --tier key --phone 13800000001 >/dev/null
K customer add S-LAKE --name "Lakeside Photo" --tier special >/dev/null
K customer add G-CORNER --name "Corner Shop" --tier general >/dev/null
K order add --customer K-GOLD --product album --qty 2 --id O-1001 >/dev/null
K order add --customer S-LAKE --product print --qty 200 --id O-1002 >/dev/null
o=$(K order add --customer G-CORNER --product frame --qty 1 --id O-1003)
check "order" "$o" .uploaded_at "2026-11-23T09:00:00+08:00"

# 09:05 colour complaint, simple: due 11:05 (000 §一.5: 2 h)
at 5m
c1=$(K complaint open --customer K-GOLD --order O-1001 --kind colour --complexity simple \
       --by li --channel phone --text "album prints too red")
check "C-1 open" "$c1" '.id + " " + .owner + " " + .reply_due + " " + .state' \
      "C-1 li 2026-11-23T11:05:00+08:00 open"
# 09:20 missing pieces, simple: due 11:20
at 15m
c2=$(K complaint open --customer S-LAKE --order O-1002 --kind missing --complexity simple \
       --by wang --text "batch 2 short by 12 prints")
check "C-2 open" "$c2" '.id + " " + .reply_due' "C-2 2026-11-23T11:20:00+08:00"
# 09:40 li answers C-1 and promises the experts' verdict within 2 h
at 20m
r=$(K complaint reply C-1 --by li --text "experts are checking the colour" --commit 2h)
check "C-1 reply" "$r" '.state + " " + .committed_until' "replied 2026-11-23T11:40:00+08:00"
# 09:50 the missing prints are confirmed: reissue on the rush flow
at 10m
r=$(K complaint resolve C-2 --by wang --outcome reissue --text "reissued, ships today")
check "C-2 resolve" "$r" '.state + " " + .first_reply_at' "resolved 2026-11-23T09:50:00+08:00"
# 10:00 damage, complex: due tomorrow 10:00 (24 h)
at 10m
c3=$(K complaint open --customer G-CORNER --order O-1003 --kind damage --complexity complex \
       --by li --channel im --text "frame glass broken")
check "C-3 open" "$c3" '.id + " " + .reply_due' "C-3 2026-11-24T10:00:00+08:00"
# 10:10 evidence: outer carton crushed
at 10m
K complaint evidence C-3 --by li --kind photo --text "outer carton crushed on arrival" >/dev/null
# 10:20 the customer claims from the carrier first (000 §一.4 damage)
at 10m
K complaint reply C-3 --by li --text "please claim from the carrier first; we will support" >/dev/null
# 10:30 experts: the lab's fault -> rework (000 §一.4 colour)
at 10m
r=$(K complaint resolve C-1 --by li --outcome rework --text "reprint on the original files")
check "C-1 resolve" "$r" .state resolved
# 10:45 a query about a delay, simple: due 12:45
at 15m
q=$(K complaint open --customer K-GOLD --kind delay --complexity simple --by zhao --query \
      --text "when does O-1001 ship?")
check "C-4 open" "$q" '.id + " " + .type + " " + .reply_due' "C-4 query 2026-11-23T12:45:00+08:00"
# 11:00 the carrier accepted the claim
at 15m
K complaint resolve C-3 --by li --outcome carrier-claim >/dev/null
# 11:30 follow-up visit on C-1 (回访)
at 30m
r=$(K complaint followup C-1 --by li --satisfaction 5)
check "C-1 followup" "$r" '.state + " " + (.satisfaction|tostring) + " " + (.history|length|tostring)' \
      "closed 5 4"

# A reply on a closed case is refused with the state it is in (exit 1).
if out=$("$B/kefuctl" --dir "$D" complaint reply C-1 --by li 2>&1); then
    fail "a reply on a closed case was accepted"
fi
echo "$out" | grep -q "case C-1 is closed" || fail "refusal says: $out"

# The register, in time order.
reg=$(K complaints --from 2026-11-23T00:00:00+08:00 --to 2026-11-24T00:00:00+08:00)
check "register" "$reg" '[.items[] | .id + ":" + .state + ":" + (.outcome // "-")] | join(" ")' \
      "C-1:closed:rework C-2:resolved:reissue C-3:resolved:carrier-claim C-4:open:-"
check "register by owner" "$(K complaints --owner li)" '[.items[].id] | join(" ")' "C-1 C-3"
check "queries" "$(K complaints --queries)" '[.items[].id] | join(" ")' "C-4"

# The analysis of the morning, by cause (hand-worked):
#   colour : first reply 09:05->09:40 = 35m, resolution 09:05->10:30 = 85m
#   missing: first reply 09:20->09:50 = 30m (the resolution), resolution 30m
#   damage : first reply 10:00->10:20 = 20m, resolution 10:00->11:00 = 60m
#   delay  : no reply yet; at 11:30 not late (due 12:45)
#   4 cases, 250 per mille each
an=$(K complaints analysis --from 2026-11-23T09:00:00+08:00 --to 2026-11-23T12:00:00+08:00)
check "analysis total" "$an" .total 4
check "analysis colour" "$an" '.rows[] | select(.kind=="colour") | [.count, .share_permille, .median_first_reply_us, .median_resolution_us, .late_replies] | map(tostring) | join(" ")' "1 250 35m 85m 0"
check "analysis missing" "$an" '.rows[] | select(.kind=="missing") | [.median_first_reply_us, .median_resolution_us] | join(" ")' "30m 30m"
check "analysis damage" "$an" '.rows[] | select(.kind=="damage") | [.median_first_reply_us, .median_resolution_us] | join(" ")' "20m 1h"
check "analysis delay" "$an" '.rows[] | select(.kind=="delay") | [.count, .resolved, .late_replies] | map(tostring) | join(" ")' "1 0 0"

# 13:00: the query is past its 12:45 deadline without a reply.
at 90m
an=$(K complaints analysis --from 2026-11-23T09:00:00+08:00 --to 2026-11-23T12:00:00+08:00)
check "late query" "$an" '.rows[] | select(.kind=="delay") | .late_replies' 1

# Consultations and an after-sales refund (004 第一篇), and the log holds it all.
K consult --customer S-LAKE --by wang --question "matte or glossy for weddings?" --answer "matte" >/dev/null
a=$(K aftersales open O-1002 --kind refund --by wang --reason "12 prints unusable")
id=$(printf '%s' "$a" | jq -r .id)
K aftersales step "$id" approved --by wang >/dev/null   # the customer may send the prints back
K aftersales step "$id" received --by wang >/dev/null
K aftersales step "$id" confirmed --by wang >/dev/null
a=$(K aftersales step "$id" refunded --by wang --method alipay --amount 36)
check "refund" "$a" '.state + " " + .method + " " + (.invoice_reversed|tostring) + " " + (.amount_fen|tostring)' "refunded alipay true 3600"
K sync >/dev/null

# The week is the site's (calendar.utc_offset, +08:00 by default), not the
# TZ of the machine kefuctl runs on: from a UTC shell, the week of
# 2026-11-23 still starts at the lab's midnight, and is printed so.
w=$(TZ=UTC "$B/kefuctl" --dir "$D" --json complaints analysis --week 2026-11-23)
check "week in the site's offset" "$w" '.from + " " + .to' \
    "2026-11-23T00:00:00+08:00 2026-11-30T00:00:00+08:00"
check "week's cases" "$w" .total 4
# The ISO week that holds a date, Monday first: Wednesday 2026-11-25 and
# ISO week 2026-W48 (week 1 holds 2026-01-01, a Thursday; its Monday is
# 2025-12-29; + 47 weeks = 2026-11-23) are the same week.
for wk in 2026-11-25 2026-11-29 2026-W48; do
    w=$(K complaints analysis --week "$wk")
    check "week $wk" "$w" '.from + " " + .to + " " + (.total|tostring)' \
        "2026-11-23T00:00:00+08:00 2026-11-30T00:00:00+08:00 4"
done
w=$(K complaints analysis --week 2026-W53)   # 2026 has 53 weeks: Mon 2026-12-28
check "week 53" "$w" .from 2026-12-28T00:00:00+08:00
w=$(K complaints analysis --week 2027-W01)   # the week of 2027-01-04
check "week 1" "$w" .from 2027-01-04T00:00:00+08:00
echo "ok: a morning at the desk: 4 cases, register and analysis as worked by hand"
