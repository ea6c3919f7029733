#!/bin/sh
# test_intake_major.sh: a major complaint's reports (003 第二篇 四.6;
# domain.md §6), through kefuctl on a simulated clock from 09:00 (+08:00).
#
# C-1, a major quality complaint opened at 09:00: sla takes it to
# leadership at once (major-complaint, level 2). Its incident report at
# 09:10 (time, place, what, plan, measures) is refused without a place,
# and the analysis report before the resolution; then recorded, and sla
# escalates it at once (major-incident, level 2). A second incident
# report is refused; so are reports on C-2, a general complaint.
# Resolved at 10:00: the problem analysis report is due
# sla.analysis_report (3d) later, 2026-11-27T10:00:00+08:00, an open
# obligation (analysis-report-overdue); the resolution clears the two
# escalations of the case but not that one. At 11-27 10:00 it escalates;
# the report at 10:30 meets it and clears the escalation, 30m late; the
# follow-up visit of the resolution (due the same 10:00) stays owed.
# Every refusal exits 1 and writes nothing (the log's head stays).
set -eu
KT_NAME=major
. "$(dirname "$0")/lib/site.sh"
INC="--when 2026-11-24T08:30:00+08:00 --place counter --what shouting --plan apologise --measures calm"
ANA="--impact one-customer --handling refund --cause rude --corrective training --preventive checks"

"$B/kefu" up --dir "$D" --detach --sim-clock 2026-11-24T09:00:00+08:00
K customer add K-GOLD --name "Golden Studio" --tier key >/dev/null
c=$(K complaint open --customer K-GOLD --kind service --complexity simple --severity major --by li)
check "C-1" "$c" .id C-1
K complaint open --customer K-GOLD --kind delay --complexity simple --by li >/dev/null   # C-2
at 10m                                                                                  # 09:10
e=$(K escalations)
check "at once" "$e" '[.items[] | select(.kind == "major-complaint") | .level] | join(",")' 2

refused "no place" "incident.place\|--place" complaint report C-1 --by li --when 2026-11-24T08:30:00+08:00 \
    --what shouting --plan apologise --measures calm
refused "analysis before resolution" "needs a resolved or closed case" complaint report C-1 --by li $ANA
refused "a general complaint" "not a major complaint" complaint report C-2 --by li $INC
# shellcheck disable=SC2086
r=$(K complaint report C-1 --by li $INC)
check "incident" "$r" '.incident.place + " " + .incident.occurred_at + " " + .incident.at' \
    "counter 2026-11-24T08:30:00+08:00 2026-11-24T09:10:00+08:00"
refused "a second incident report" "has its incident report already" complaint report C-1 --by li $INC
at 1m                                                                                   # 09:11
e=$(K escalations)
check "the incident to the GM" "$e" '[.items[] | select(.kind == "major-incident") | "\(.level) \(.subject) \(.state)"] | join(",")' "2 C-1 open"

at 49m                                                                                  # 10:00
r=$(K complaint resolve C-1 --by li --outcome explained)
check "resolved" "$r" '.state + " " + .analysis_due' "resolved 2026-11-27T10:00:00+08:00"
at 1m
o=$(K obligations)
check "analysis due" "$o" '[.items[] | select(.kind == "analysis-report-overdue") | .subject + " " + .due + " " + .owner] | join(",")' \
    "C-1 2026-11-27T10:00:00+08:00 li"
e=$(K escalations)
check "resolution clears the case's escalations" "$e" '[.items[] | select(.subject == "C-1") | .state] | unique | join(",")' cleared

at 71h59m                                                                               # 11-27 10:00
e=$(K escalations --open)
check "the report overdue" "$e" '[.items[] | select(.kind == "analysis-report-overdue") | .subject] | join(",")' C-1
at 30m                                                                                  # 10:30
r=$(K complaint report C-1 --by li $ANA)
check "analysis" "$r" '.analysis_report.cause + " " + .analysis_report.at' "rude 2026-11-27T10:30:00+08:00"
refused "a second analysis report" "has its analysis report already" complaint report C-1 --by li $ANA
at 1m
e=$(K escalations)
check "the report clears it" "$e" '[.items[] | select(.kind == "analysis-report-overdue") | "\(.state) \(.late_us)"] | join(",")' "cleared 30m"
o=$(K obligations)
# what C-1 still owes: the follow-up visit of its resolution (sla.follow_up, 3d)
check "but the visit, nothing owed" "$o" '[.items[] | select(.subject == "C-1") | .kind] | join(",")' \
    follow-up-overdue
h=$(K complaint show C-1)
check "history" "$h" '[.history[].action] | join(",")' "opened,incident report,resolved,analysis report"
echo "intake major: ok"
