#!/bin/sh
# test_intake_scenario.sh: issue 10's "What must be shown", one desk's two
# days and a half on a simulated clock from Tuesday 2026-11-24 09:00
# (+08:00; sla.complaint_simple 2h, complex 24h; staff registered, so who
# may act is live). Times worked by hand:
#
# Day 1, 09:00  five cases:
#   C-1 damage, simple (wang, O-2)  reply due 11:00
#   C-2 quality, complex (li, O-1)  reply due 11-25 09:00
#   C-3 service, simple, MAJOR (li) reply due 11:00; to leadership at once
#   C-4 colour, simple (wang), cause customer  due 11:00
#   C-5 delay, a query (wang)       due 11:00
# 09:05  C-3's incident report: escalated at once (major-incident, level 2),
#        beside the major-complaint one (level 2). C-1 waits on the carrier.
# 09:30  replies to C-2..C-5 (all by their due); causes: C-2 production,
#        C-3 customer-service.
# 10:00  C-2 resolved (rework); C-3 resolved (explained): its analysis
#        report due 3d later, 11-27 10:00; C-4 declined with a reason.
# 10:30  C-2 followed up 2 of 5 (under 3): reopened, a new reply due
#        10:30 + 24h = 11-25 10:30.
# 11:01  C-1 is past its first due, but its clock stands still: no
#        complaint-reply-overdue for it.
# 11:30  C-2 replied; 12:00 resolved again (explained).
# Day 2, 09:05  C-1 resumes after exactly 24h: reply due 11:00 + 24h =
#        11-25 11:00. 09:10 the carrier refused the claim (evidence), cause
#        carrier, a reply; 09:30 resolved as a reprint (rework): sched
#        registers the rework of O-2 (prints: same day).
# 10:00  C-2 followed up 4 of 5: closed after its second visit (reopened 1).
#        A-1, a refund on O-1: approved, received, confirmed, refunded by
#        bank 128.50 yuan = 12850 fen, the invoice reversed (红冲).
# The register: five lines, states and outcomes as above. The analysis of
# ISO week 2026-W48 (11-23 .. 11-30): 5 cases, 4 complaints, 1 query; by
# responsible party (complaints only): carrier 1 (C-1), customer 1 (C-4),
# customer-service 1 (C-3), production 1 (C-2); by kind one each, the
# delay query the only one not resolved.
# Day 4, 11-27 10:00  C-3's analysis report is overdue (escalated); 10:30
#        written: met, cleared 30m late.
set -eu
KT_NAME=scenario
. "$(dirname "$0")/lib/site.sh"
esc() { K escalations | jq -r --arg k "$1" '[.items[] | select(.kind == $k) | "\(.subject) \(.level) \(.state)"] | sort | join(", ")'; }
open_case() { K complaint open "$@" | jq -r '.id + " " + .reply_due'; }

"$B/kefu" up --dir "$D" --detach --sim-clock 2026-11-24T09:00:00+08:00
K staff add boss --role supervisor >/dev/null
K staff add li --role staff --by boss >/dev/null
K staff add wang --role staff --by boss >/dev/null
K customer add K-GOLD --name "Golden Studio" --tier key --by boss >/dev/null
K customer add G-CORNER --name "Corner Shop" --tier general --by boss >/dev/null
K order add --customer K-GOLD --product album --qty 2 --id O-1 --by li >/dev/null
K order add --customer G-CORNER --product print --qty 200 --id O-2 --by wang >/dev/null

# ---- day 1 ----
[ "$(open_case --customer G-CORNER --order O-2 --kind damage --complexity simple --by wang)" = \
  "C-1 2026-11-24T11:00:00+08:00" ] || fail "C-1"
[ "$(open_case --customer K-GOLD --order O-1 --kind quality --complexity complex --by li)" = \
  "C-2 2026-11-25T09:00:00+08:00" ] || fail "C-2"
[ "$(open_case --customer K-GOLD --kind service --complexity simple --severity major --by li)" = \
  "C-3 2026-11-24T11:00:00+08:00" ] || fail "C-3"
[ "$(open_case --customer G-CORNER --kind colour --complexity simple --cause customer --by wang)" = \
  "C-4 2026-11-24T11:00:00+08:00" ] || fail "C-4"
[ "$(open_case --customer K-GOLD --kind delay --complexity simple --query --by wang)" = \
  "C-5 2026-11-24T11:00:00+08:00" ] || fail "C-5"

at 5m                                                                    # 09:05
K complaint report C-3 --by li --when 2026-11-24T08:50:00+08:00 --place counter \
    --what "customer shouted at by staff" --plan "manager calls back today" --measures "staff moved off the counter" >/dev/null
K complaint wait C-1 --by wang --on carrier --text "outer box crushed: the customer claims from the carrier" >/dev/null
at 1m                                                                    # 09:06
eq "to leadership at once" "$(esc major-complaint) | $(esc major-incident)" "C-3 2 open | C-3 2 open"

at 24m                                                                   # 09:30
K complaint reply C-2 --by li --text "photos asked" >/dev/null
K complaint cause C-2 --by li --cause production >/dev/null
K complaint cause C-3 --by li --cause customer-service >/dev/null
K complaint reply C-3 --by li --text "manager will call" >/dev/null
K complaint reply C-4 --by wang >/dev/null
K complaint reply C-5 --by wang --text "ships tomorrow" >/dev/null
at 30m                                                                   # 10:00
K complaint resolve C-2 --by li --outcome rework >/dev/null
c=$(K complaint resolve C-3 --by li --outcome explained)
check "C-3's analysis due" "$c" .analysis_due 2026-11-27T10:00:00+08:00
K complaint resolve C-4 --by wang --outcome declined --text "colour as the proof approved" >/dev/null
at 30m                                                                   # 10:30
c=$(K complaint followup C-2 --by li --satisfaction 2 --text "still sticky")
check "C-2 reopened" "$c" '.state + " " + .reply_due + " " + (.reopened|tostring)' \
    "open 2026-11-25T10:30:00+08:00 1"
at 31m                                                                   # 11:01
eq "C-1 paused: not overdue" "$(esc complaint-reply-overdue)" ""
at 29m                                                                   # 11:30
K complaint reply C-2 --by li --text "new album in production" >/dev/null
at 30m                                                                   # 12:00
K complaint resolve C-2 --by li --outcome explained >/dev/null

# ---- day 2 ----
at 21h5m                                                                 # 11-25 09:05
c=$(K complaint resume C-1 --by wang --text "the carrier refused the claim")
check "moved by exactly the pause" "$c" '.reply_due + " " + (.paused_us|tostring)' "2026-11-25T11:00:00+08:00 1d"
at 5m                                                                    # 09:10
K complaint evidence C-1 --by wang --kind statement --text "carrier's refusal letter" >/dev/null
K complaint cause C-1 --by wang --cause carrier >/dev/null
K complaint reply C-1 --by wang --text "we reprint" >/dev/null
at 20m                                                                   # 09:30
K complaint resolve C-1 --by wang --outcome rework --text "reprint of the 200 prints" >/dev/null
at 1s
check "the reprint in the rework register" "$(K rework list)" \
    '[.items[] | select(.order == "O-2") | .case + " " + .cause] | join(",")' "C-1 lab"
at 29m59s                                                                # 10:00
c=$(K complaint followup C-2 --by li --satisfaction 4)
check "C-2 closed after the second visit" "$c" '.state + " " + (.satisfaction|tostring) + " " + (.reopened|tostring)' "closed 4 1"
a=$(K aftersales open O-1 --kind refund --by li --reason "C-2: half the album" | jq -r .id)
K aftersales step "$a" approved --by li >/dev/null
K aftersales step "$a" received --by li >/dev/null
K aftersales step "$a" confirmed --by li >/dev/null
r=$(K aftersales step "$a" refunded --by li --method bank --amount 128.50)
check "refund" "$r" '[.id, .state, (.amount_fen|tostring), .invoice] | join(" ")' "A-1 refunded 12850 reversed"

# ---- the register and the analysis, by hand ----
reg=$(K complaints --from 2026-11-23T00:00:00+08:00 --to 2026-11-30T00:00:00+08:00)
check "register" "$reg" '[.items[] | "\(.id) \(.kind) \(.state) \(.outcome // "-") \(.cause // "-")"] | join("; ")' \
    "C-1 damage resolved rework carrier; C-2 quality closed explained production; C-3 service resolved explained customer-service; C-4 colour resolved declined customer; C-5 delay replied - -"
an=$(K complaints analysis --week 2026-W48)
check "period" "$an" '.from + " " + .to' "2026-11-23T00:00:00+08:00 2026-11-30T00:00:00+08:00"
check "counts" "$an" '"\(.total) \(.complaints) \(.queries)"' "5 4 1"
check "by responsible party" "$an" '[.by_cause[] | "\(.cause) \(.count)"] | sort | join(", ")' \
    "carrier 1, customer 1, customer-service 1, production 1"
check "by kind" "$an" '[.rows[] | "\(.kind) \(.count) \(.resolved)"] | sort | join(", ")' \
    "colour 1 1, damage 1 1, delay 1 0, quality 1 1, service 1 1"

# ---- day 4: the analysis report ----
at 48h                                                                   # 11-27 10:00
eq "the analysis report overdue" "$(esc analysis-report-overdue)" "C-3 1 open"
at 30m                                                                   # 10:30
K complaint report C-3 --by li --impact "one key customer upset" --handling "apology, manager call" \
    --cause "counter staff under pressure" --corrective "coaching" --preventive "two at the counter at peaks" >/dev/null
at 1s
check "written: cleared" "$(K escalations)" '[.items[] | select(.kind == "analysis-report-overdue") | "\(.state) \(.late_us)"] | join(",")' "cleared 30m"
echo "intake scenario: ok"
