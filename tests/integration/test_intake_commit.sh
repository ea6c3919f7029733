#!/bin/sh
# test_intake_commit.sh: the chain of commitments (000 §一.2; 003 第二篇
# 七.四.1; domain.md §6) through kefuctl on a simulated clock from Tuesday
# 2026-11-24 09:00 (+08:00; calendar 08:30-17:30, Monday to Saturday).
#
# C-1 (complex) opened 09:00.
#   09:30 reply --commit 2h           promise 1: 11:30
#   11:00 reply --commit-until 15:00  answers 1 at 11:00 <= 11:30: met;
#                                     promise 2: 15:00 today
#   15:00 sla escalates promise 2 (commitment-overdue)
#   15:30 complaint show: promise 2 open and past: missed (in the answer);
#         the register's line: "1 met, 1 missed"
#   16:00 reply --commit 2h --work    answers 2 at 16:00 > 15:00: missed,
#         and the escalation clears 1h late; promise 3 in working time:
#         16:00-17:30 is 1h30m, the other 30m from Wednesday's 08:30:
#         2026-11-25T09:00
# C-2 16:00 reply --commit-until 15:00: 15:00 is past today, so the next
#   one, Wednesday 15:00; C-3 --commit-until 2026-11-25T02:00:00Z, printed
#   in the site's offset as 10:00+08:00.
# Wednesday 08:50 C-1 resolved: answers 3 by 09:00: met. The chain is
#   met, missed, met, kept in the store (a restart-free rebuild would
#   replay it from the log: test_intake_replay.sh).
# Refusals: a time already past (exit 1, nothing written), --commit with
# --commit-until, --work without --commit (exit 2).
set -eu
KT_NAME=commit
. "$(dirname "$0")/lib/site.sh"
chain='[.commitments[] | "\(.until) \(.state)"] | join(", ")'

"$B/kefu" up --dir "$D" --detach --sim-clock 2026-11-24T09:00:00+08:00
K customer add K-GOLD --name "Golden Studio" --tier key >/dev/null
for n in 1 2 3; do K complaint open --customer K-GOLD --kind colour --complexity complex --by li >/dev/null; done

at 30m                                                                   # 09:30
c=$(K complaint reply C-1 --by li --commit 2h)
check "promise 1" "$c" "$chain" "2026-11-24T11:30:00+08:00 open"
at 90m                                                                   # 11:00
refused_exit 1 "a time past" "a committed reply time is from now" \
    complaint reply C-1 --by li --commit-until 2026-11-24T10:00:00+08:00
refused_exit 2 "two forms" "not both" complaint reply C-1 --by li --commit 1h --commit-until 15:00
refused_exit 2 "work alone" "--work goes with --commit" complaint reply C-1 --by li --work
c=$(K complaint reply C-1 --by li --commit-until 15:00)
check "promise 2" "$c" "$chain" "2026-11-24T11:30:00+08:00 met, 2026-11-24T15:00:00+08:00 open"
check "committed_until is the latest" "$c" .committed_until 2026-11-24T15:00:00+08:00

at 4h                                                                    # 15:00
e=$(K escalations --open)
check "promise 2 escalated" "$e" '[.items[] | select(.kind == "commitment-overdue") | .subject] | join(",")' C-1
at 30m                                                                   # 15:30
c=$(K complaint show C-1)
check "missed, not answered" "$c" "$chain" "2026-11-24T11:30:00+08:00 met, 2026-11-24T15:00:00+08:00 missed"
"$B/kefuctl" --dir "$D" complaints --owner li | grep '^C-1 ' | grep -q '1 met, 1 missed' ||
    fail "the register's line: $("$B/kefuctl" --dir "$D" complaints --owner li)"

at 30m                                                                   # 16:00
c=$(K complaint reply C-1 --by li --commit 2h --work)
check "promise 3, in working time" "$c" "$chain" \
    "2026-11-24T11:30:00+08:00 met, 2026-11-24T15:00:00+08:00 missed, 2026-11-25T09:00:00+08:00 open"
check "answered late" "$c" '.commitments[1].answered_at' 2026-11-24T16:00:00+08:00
c=$(K complaint reply C-2 --by li --commit-until 15:00)
check "the next 15:00" "$c" .committed_until 2026-11-25T15:00:00+08:00
c=$(K complaint reply C-3 --by li --commit-until 2026-11-25T02:00:00Z)
check "any offset in" "$c" .committed_until 2026-11-25T10:00:00+08:00
at 1m
e=$(K escalations)
check "the late answer clears it" "$e" '[.items[] | select(.kind == "commitment-overdue" and .subject == "C-1") | "\(.state) \(.late_us)"] | join(",")' "cleared 1h"

at 16h49m                                                                # Wed 08:50
c=$(K complaint resolve C-1 --by li --outcome rework)
check "promise 3 met by the resolution" "$c" "$chain" \
    "2026-11-24T11:30:00+08:00 met, 2026-11-24T15:00:00+08:00 missed, 2026-11-25T09:00:00+08:00 met"
r=$(K complaints --owner li)
check "the register carries the chain" "$r" '[.items[] | select(.id == "C-1") | .commitments[].state] | join(",")' "met,missed,met"
echo "intake commit: ok"
