#!/bin/sh
# test_intake_loop.sh: the complaint loop in full (domain.md §6; 003 第二篇
# 六-七), end to end through kefuctl on a simulated clock from 09:00 (+08:00).
#
# C-1, a quality complaint caused by production: the customer's request,
# two solutions offered, a resolution refused until the customer confirms
# one; resolved, followed up 2 of 5 (under intake.reopen_below = 3): open
# again with a new reply deadline; a third solution, a hand-off to
# production answered, resolved again and closed after a 5-of-5 follow-up.
# C-2, damage with no cause at open, set to the carrier; resolved by a
# carrier claim, reopened when the customer comes back. C-3, colour caused
# by the customer: carrier-claim refused (not damage), declined refused
# without a reason, then declined with one. C-4 a query, C-5 a service
# complaint with no cause yet, C-6 a quality complaint explained.
# Every refusal exits 1 and writes nothing. Then the analysis by
# responsible party, worked by hand (below).
set -eu
BUILD=${BUILD:-build}
B=$BUILD/bin
D=$(mktemp -d /tmp/kefu-loop.XXXXXX)
cleanup() { "$B/kefu" down --dir "$D" >/dev/null 2>&1 || true; rm -rf "$D"; }
trap cleanup EXIT INT TERM
export TZ=Asia/Shanghai
K() { "$B/kefuctl" --dir "$D" --json "$@"; }
at() { K clock advance "$1" >/dev/null; }
fail() { echo "FAIL: $*" >&2; exit 1; }
check() {  # check WHAT JSON JQ-EXPR EXPECTED
    got=$(printf '%s' "$2" | jq -r "$3")
    [ "$got" = "$4" ] || fail "$1: $3 is '$got', expected '$4'"
}
entries() { K complaint show "$1" | jq -r .history_count; }
head_of_log() { K status | jq -r .head; }
# refused WHAT CASE PATTERN ARGS...: exit 1 (or $EXIT: 2, kefuctl's usage
# error), the code is $CODE if set, the message matches PATTERN, and nothing is written: no new
# entry in the case's history, the log's head where it was
refused() {
    what=$1 id=$2 pat=$3
    shift 3
    n0=$(entries "$id") h0=$(head_of_log)
    set +e
    out=$("$B/kefuctl" --dir "$D" --json "$@" 2>/dev/null)
    rc=$?
    set -e
    [ "$rc" -eq "${EXIT:-1}" ] || fail "$what: exit $rc, expected ${EXIT:-1} ($out)"
    msg=$(printf '%s' "$out" | jq -r .error.message)
    code=$(printf '%s' "$out" | jq -r .error.code)
    [ -z "${CODE:-}" ] || [ "$code" = "$CODE" ] || fail "$what: code $code, expected $CODE"
    printf '%s' "$msg" | grep -q -- "$pat" || fail "$what: message '$msg' does not say '$pat'"
    [ "$(entries "$id")" = "$n0" ] || fail "$what: the refusal wrote to $id"
    [ "$(head_of_log)" = "$h0" ] || fail "$what: the refusal wrote to the log"
    CODE= EXIT=  # (a shell may keep a function's prefix assignments)
}

"$B/kefu" up --dir "$D" --detach --sim-clock 2026-11-24T09:00:00+08:00

K customer add K-GOLD --name "Golden Studio" --tier key >/dev/null
K customer add G-CORNER --name "Corner Shop" --tier general >/dev/null
K order add --customer K-GOLD --product print --qty 200 --id O-1 >/dev/null
K order add --customer G-CORNER --product frame --qty 1 --id O-2 >/dev/null

# 09:00 C-1 quality, simple, production's: due 11:00
c=$(K complaint open --customer K-GOLD --order O-1 --kind quality --complexity simple \
      --by li --cause production --text "20 prints banded")
check "C-1 open" "$c" '.id + " " + .cause + " " + .reply_due' \
      "C-1 production 2026-11-24T11:00:00+08:00"
refused "same cause" C-1 "cause: case C-1's cause is production already" \
        complaint cause C-1 --cause production --by li
CODE=conflict refused "confirm with no solution" C-1 "no solution offered" \
        complaint confirm C-1 --solution 1 --by li
# 09:05 the customer's request, 09:10 two solutions
at 5m
c=$(K complaint request C-1 --by li --text "reprint the whole batch, free")
check "C-1 request" "$c" .request "reprint the whole batch, free"
at 5m
K complaint offer C-1 --by li --text "reprint the 20 banded prints today" >/dev/null
c=$(K complaint offer C-1 --by li --text "a 20% refund on the order")
check "C-1 offers" "$c" '.solutions | join("|")' \
      "reprint the 20 banded prints today|a 20% refund on the order"
CODE=invalid refused "rework before confirmation" C-1 "^solution: a solution the customer confirmed" \
        complaint resolve C-1 --by li --outcome rework
CODE=invalid refused "confirm solution 3 of 2" C-1 "^solution: the number of a solution offered, 1 to 2" \
        complaint confirm C-1 --solution 3 --by li
# 09:15 the customer takes the reprint
at 5m
c=$(K complaint confirm C-1 --solution 1 --by li --text "by phone")
check "C-1 confirm" "$c" .confirmed_solution 1

# 09:20 C-2 damage, complex, no cause yet: due tomorrow 09:20; the carrier's
at 5m
c=$(K complaint open --customer G-CORNER --order O-2 --kind damage --complexity complex --by wang)
check "C-2 open" "$c" '.id + " " + (.cause // "none")' "C-2 none"
EXIT=2 refused "unknown cause" C-2 "bad --cause '9': one of production, customer-service, customer, carrier, force-majeure" \
        complaint cause C-2 --cause 9 --by wang
c=$(K complaint cause C-2 --cause carrier --by wang --text "box crushed in transit")
check "C-2 cause" "$c" .cause carrier
# 09:25 C-3 colour, simple, the customer's
at 5m
K complaint open --customer G-CORNER --kind colour --complexity simple --by li \
  --cause customer --text "too dark on my screen" >/dev/null
CODE=invalid refused "carrier claim on colour" C-3 "^outcome: a carrier claim resolves a damage case only; case C-3 is colour" \
        complaint resolve C-3 --by li --outcome carrier-claim
CODE=invalid refused "declined without reason" C-3 "^text: the reason a declined complaint is declined is required" \
        complaint resolve C-3 --by li --outcome declined
# 09:30 C-1 resolved by rework (first reply 30m); its cause is settled now
at 5m
c=$(K complaint resolve C-1 --by li --outcome rework --text "reprinted")
check "C-1 resolve" "$c" '.state + " " + .outcome + " " + .first_reply_at' \
      "resolved rework 2026-11-24T09:30:00+08:00"
CODE=conflict refused "cause of a resolved case" C-1 "case C-1 is resolved; a cause needs an open case" \
        complaint cause C-1 --cause customer --by li
# 09:35 C-3 declined with the reason (first reply and resolution 10m)
at 5m
c=$(K complaint resolve C-3 --by li --outcome declined --text "the prints match the file; uncalibrated screen")
check "C-3 declined" "$c" '.outcome + ": " + .declined_reason' \
      "declined: the prints match the file; uncalibrated screen"
# 09:40 C-4 a query; 09:45 C-5 service, no cause (due 11:45); 09:50 C-6
# quality, production's, explained at 09:55 (5m)
at 5m
K complaint open --customer K-GOLD --order O-1 --kind delay --complexity simple --by wang --query >/dev/null
at 5m
K complaint open --customer K-GOLD --kind service --complexity simple --by wang --text "rude on the phone" >/dev/null
at 5m
K complaint open --customer K-GOLD --kind quality --complexity simple --by li --cause production >/dev/null
at 5m
K complaint resolve C-6 --by li --outcome explained >/dev/null

# 10:00 follow-up 2 of 5 (< intake.reopen_below 3): closed, then open
# again, a new reply deadline 2h from now; the confirmation no longer stands
at 5m
c=$(K complaint followup C-1 --by zhao --satisfaction 2 --text "still banded")
check "C-1 reopened" "$c" '[.state, .reply_due, (.reopened|tostring), (.satisfaction|tostring), (.outcome // "-"), (.confirmed_solution // "-"|tostring)] | join(" ")' \
      "open 2026-11-24T12:00:00+08:00 1 2 - -"
check "C-1 history" "$c" '[.history[-2:][].action] | join(", ")' "followed up, reopened (satisfaction 2)"
CODE=conflict refused "reopen an open case" C-1 "case C-1 is open; a reopening needs a resolved or closed case" \
        complaint reopen C-1 --by li
refused "follow up an open case" C-1 "a follow-up visit needs a resolved case" \
        complaint followup C-1 --by zhao --satisfaction 4
# 10:10 a third solution, confirmed; 10:20 a hand-off to production
at 10m
K complaint offer C-1 --by li --text "reprint all 200 on the new paper" >/dev/null
K complaint confirm C-1 --solution 3 --by li >/dev/null
at 10m
K complaint handoff C-1 --by li --to production --due 4h >/dev/null
refused "answer with no hand-off" C-3 "case C-3 has no open hand-off to answer" \
        complaint handoff-answer C-3 --by zhou
# 10:40 production answers: the hand-off ends
at 20m
c=$(K complaint handoff-answer C-1 --by zhou --text "reprinted, ships 14:00")
check "C-1 answer" "$c" '.handoffs[0] | [.department, .answered_at, .answered_by, .answer] | join(" | ")' \
      "production | 2026-11-24T10:40:00+08:00 | zhou | reprinted, ships 14:00"
check "C-1 answer history" "$c" '.history[-1].action' "production answered"
CODE=conflict refused "answer twice" C-1 "case C-1 has no open hand-off to answer" \
        complaint handoff-answer C-1 --by zhou
# 11:00 C-1 resolved again (solution 3 confirmed); C-2 by the carrier's claim
at 20m
K complaint resolve C-1 --by li --outcome rework >/dev/null
K complaint resolve C-2 --by wang --outcome carrier-claim >/dev/null
# 11:30 follow-up 5 of 5: closed for good
at 30m
c=$(K complaint followup C-1 --by zhao --satisfaction 5)
check "C-1 closed" "$c" '[.state, (.satisfaction|tostring), (.reopened|tostring), .resolved_at] | join(" ")' \
      "closed 5 1 2026-11-24T11:00:00+08:00"
# 11:40 the carrier refused the claim: the customer comes back; complex,
# due 24h on
at 10m
c=$(K complaint reopen C-2 --by wang --text "the carrier refused the claim")
check "C-2 reopened" "$c" '[.state, .reply_due, (.reopened|tostring), (.outcome // "-")] | join(" ")' \
      "open 2026-11-25T11:40:00+08:00 1 -"

# the events as the log holds them (kefu-sla follows them)
lg=$(K log tail | jq -c 'select(.type | startswith("case_")) | select(.data.id == "C-1" or .data.id == "C-2")')
printf '%s\n' "$lg" | jq -se '[.[] | select(.type == "case_followed_up" or .type == "case_reopened") | select(.data.id == "C-1") | .type] == ["case_followed_up", "case_reopened", "case_followed_up"]' >/dev/null \
    || fail "log: C-1's follow-ups and reopen: $lg"
printf '%s\n' "$lg" | jq -se '[.[] | select(.type == "case_reopened")] | map([.data.id, .data.reply_due, (.data.satisfaction // 0)]) == [["C-1", "2026-11-24T12:00:00+08:00", 2], ["C-2", "2026-11-25T11:40:00+08:00", 0]]' >/dev/null \
    || fail "log: case_reopened: $(printf '%s\n' "$lg" | jq -c 'select(.type == "case_reopened")')"
printf '%s\n' "$lg" | jq -se '[.[] | select(.type == "case_handoff_answered") | .data] == [{"id":"C-1","by":"zhou","text":"reprinted, ships 14:00","handoff":0}]' >/dev/null \
    || fail "log: case_handoff_answered: $(printf '%s\n' "$lg" | jq -c 'select(.type == "case_handoff_answered")')"

# 12:00 the analysis of 09:00-12:00 (hand-worked):
#   6 cases: 5 complaints, 1 query (C-4).
#   by responsible party, of the 5 complaints (share in 1/1000):
#     production C-1, C-6: 2 (400); first replies 30m, 5m -> median 17m30s (1050s);
#       resolutions C-1 2h (09:00-11:00, its latest), C-6 5m -> 1h2m30s (3750s);
#       2 resolved, 0 late (C-1's first reply 09:30 before its due)
#     customer C-3: 1 (200); 10m, 10m; 1 resolved
#     carrier C-2: 1 (200); first reply 1h40m (the 11:00 resolution),
#       no resolution (reopened), 0 resolved, not late (due tomorrow)
#     none C-5: 1 (200); no reply, due 11:45 passed: 1 late
#   by kind, all 6: quality 2, damage, colour, delay, service 1 each
at 20m
an=$(K complaints analysis --from 2026-11-24T09:00:00+08:00 --to 2026-11-24T12:00:00+08:00)
check "analysis counts" "$an" '[.total, .complaints, .queries] | map(tostring) | join(" ")' "6 5 1"
check "analysis by kind" "$an" '[.rows[] | "\(.kind):\(.count)"] | join(" ")' \
      "colour:1 damage:1 quality:2 service:1 delay:1"
check "by cause" "$an" '[.by_cause[] | "\(.cause // "none"):\(.count):\(.share_permille)"] | join(" ")' \
      "production:2:400 customer:1:200 carrier:1:200 none:1:200"
check "production" "$an" '.by_cause[] | select(.cause=="production") | [.median_first_reply_us, .median_resolution_us, (.resolved|tostring), (.late_replies|tostring)] | join(" ")' \
      "1050s 3750s 2 0"
check "customer" "$an" '.by_cause[] | select(.cause=="customer") | [.median_first_reply_us, .median_resolution_us, (.resolved|tostring)] | join(" ")' \
      "10m 10m 1"
check "carrier" "$an" '.by_cause[] | select(.cause=="carrier") | [.median_first_reply_us, (.median_resolution_us // "-"), (.resolved|tostring), (.late_replies|tostring)] | join(" ")' \
      "100m - 0 0"
check "none" "$an" '.by_cause[] | select(.cause==null) | [(.median_first_reply_us // "-"), (.resolved|tostring), (.late_replies|tostring)] | join(" ")' \
      "- 0 1"
txt=$(TZ=UTC "$B/kefuctl" --dir "$D" complaints analysis --from 2026-11-24T09:00:00+08:00 --to 2026-11-24T12:00:00+08:00)
printf '%s\n' "$txt" | grep -q "^cases:  6 (5 complaints, 1 queries)" || fail "analysis text: $txt"
printf '%s\n' "$txt" | grep -q "^complaints by responsible party:" || fail "analysis text: no by-cause table: $txt"
printf '%s\n' "$txt" | grep -q "^production  *2  *40.0%" || fail "analysis text: no production row: $txt"

# the log replays to the same state: intake's store rebuilt from the log
K complaint show C-1 >"$D/c1.before"
"$B/kefu" down --dir "$D" >/dev/null
rm -rf "$D/intake"
# intake.reopen_below is 0..6 (a configuration error is exit 2); with 1 a
# follow-up of 1 of 5 closes the case
rc=0
"$B/kefu" up --dir "$D" --detach --set intake.reopen_below=7 >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 2 ] || fail "intake.reopen_below=7: kefu up exited $rc, expected 2"
"$B/kefu" up --dir "$D" --detach --sim-clock 2026-11-24T12:20:00+08:00 --set intake.reopen_below=1 >/dev/null
K complaint show C-1 >"$D/c1.after"
cmp -s "$D/c1.before" "$D/c1.after" || fail "C-1 after a restart differs: $(diff "$D/c1.before" "$D/c1.after")"
c=$(K complaint followup C-6 --by zhao --satisfaction 1)
check "C-6 closed (reopen_below 1)" "$c" '[.state, (.reopened // 0 | tostring)] | join(" ")' "closed 0"

echo "ok: the complaint loop: request, solutions, confirmation, reopen, hand-off answered, analysis by responsible party"
