#!/bin/sh
# test_sla_day.sh: the SLA watchers through a day and a morning on a
# simulated clock (domain.md §5), with the defaults: a simple case's reply
# due in 2 h, a warning at 80% of the allowed time, level 2 after 4 h
# without an acknowledgement, an album's rework due in 24 h.
#
#   Mon 09:00  C-1 simple (li), C-2 simple (wang), C-3 major complex
#              (zhao): the major one escalates at once, to leadership;
#              C-4 simple (li); album rework RW-1 (due Tue 09:00)
#   09:30      li answers C-4 and commits the next answer by 10:30
#   10:00      wang answers C-2 in time: nothing is ever raised for it
#   10:15      li answers C-4 again (in time) and commits 11:15
#   10:35/36   C-1's warning: not at 10:35, at 10:36 (80% of 2 h)
#   10:59/11:00 C-1 complaint-reply-overdue: not at 10:59, at 11:00
#   11:15      C-4 commitment-overdue: the second promise, missed
#   12:00      a supervisor acknowledges C-4's escalation
#   15:00      C-1's escalation goes to level 2 (4 h unacknowledged);
#              C-4's stays at level 1 (acknowledged), visible
#   15:30      li answers C-1: cleared, 4h30m (270m) late
#   16:00      C-3 resolved: its major escalation cleared
#   17:30      the close: C-1, C-2 and C-4, still open, listed
#              (open-complaints, E-4, raised as the clock passes 17:30:
#              here the jump from 16:00 to 08:59)
#   Tue 08:59/09:00 RW-1 rework-overdue: not before 09:00 (its warning, due
#              at 80% of 24 h, Mon 19:12, comes when the clock next moves:
#              08:59; C-4's second promise, warned at 11:03, had its
#              escalation at once, the clock jumping past its due)
# Then: sla killed the moment a deadline falls raises it once; a paused
# case; a hand-off answered in time; a reopened case owing a reply again.
# Then callbacks (000 §五.5) and follow-up visits (回访), sla.follow_up 3d:
#   Thu 09:00  Q-1 (li) and Q-2 (wang): transfers failed, callbacks
#              promised by 15:00; C-8 resolved (visit due Sun 09:00), C-9
#              declined (no visit), C-10 resolved (visit due Sun 09:00)
#   10:00      C-8 reopened: its visit dropped; C-10 visited: met
#   10:30      C-8 resolved again: a visit due Sun 10:30
#   14:50      wang calls back (Q-3 for Q-2): nothing is ever raised for Q-2
#   14:59/15:00 Q-1 callback-overdue: not at 14:59, at 15:00
#   15:59/16:00 C-3's visit (resolved Mon 16:00) follow-up-overdue at 16:00
#   16:30      C-3 visited: cleared 30m late; li calls back Q-1: 90m late
#   Sun 09:00  nothing for C-8's dropped visit nor C-10's; 10:29/10:30
#              C-8's visit overdue; nothing ever for C-9
# Last, a restart and a rebuild of sla's store from the log give the same
# escalations.
set -eu
KT_NAME=sla
. "$(dirname "$0")/lib/site.sh"
FOLLOWER=""
cleanup() {
    [ -z "$FOLLOWER" ] || kill "$FOLLOWER" 2>/dev/null || true   # a failed check exits first
    "$B/kefu" down --dir "$D" >/dev/null 2>&1 || true
    [ -n "${KEEP:-}" ] || rm -rf "$D"
}
# at DUR: the clock moves on, and every daemon (sla's own commands
# included) has applied what that made
at() {
    K clock advance "$1" >/dev/null
    settle
}
esc() { K escalations | jq -c "[.items[] | select(.subject == \"$1\")] | map({id, kind, level, state})"; }

# (reminders until acknowledged are test_sla_notify's: off here)
"$B/kefu" up --dir "$D" --detach --sim-clock 2026-11-23T09:00:00+08:00 --set sla.remind_every=off
# a supervisor's screen: the escalations as they happen
"$B/kefuctl" --dir "$D" escalations --follow --from 0 > "$D/follow" &
FOLLOWER=$!
K customer add K --name "Golden Studio" --tier key >/dev/null
K customer add G --name "Corner Shop" --tier general >/dev/null
K order add --customer K --product album --qty 2 --id O-1 >/dev/null
K order add --customer G --product print --qty 50 --id O-2 >/dev/null
K complaint open --customer G --order O-2 --kind colour --complexity simple --by li >/dev/null
K complaint open --customer G --kind delay --complexity simple --by wang >/dev/null
K complaint open --customer K --kind quality --complexity complex --severity major --by zhao >/dev/null
K complaint open --customer K --kind service --complexity simple --by li >/dev/null
K rework open O-1 --cause lab --by li >/dev/null
settle
check "major at once" "$(esc C-3)" 'tojson' '[{"id":"E-1","kind":"major-complaint","level":2,"state":"open"}]'
o=$(K obligations)
check "obligations by due" "$o" '[.items[] | .id] | join(" ")' \
      "major/C-3 reply/C-1 reply/C-2 reply/C-4 reply/C-3 rework/RW-1"
check "an obligation" "$o" '.items[1] | .kind + " " + .owner + " " + .due' \
      "complaint-reply-overdue li 2026-11-23T11:00:00+08:00"

at 30m      # 09:30
K complaint reply C-4 --by li --commit 1h >/dev/null
at 30m      # 10:00
K complaint reply C-2 --by wang >/dev/null
at 15m      # 10:15
K complaint reply C-4 --by li --commit 1h >/dev/null
at 20m      # 10:35
warned() { K log tail | jq -r 'select(.type == "obligation_warned") | .data.obligation.id + "@" + .at' | tr '\n' ' '; }
[ -z "$(warned)" ] || fail "a warning before 80%: $(warned)"
at 1m       # 10:36
[ "$(warned)" = "reply/C-1@2026-11-23T10:36:00+08:00 " ] || fail "the warning: '$(warned)'"
at 23m      # 10:59
check "not yet" "$(esc C-1)" 'tojson' '[]'
at 1m       # 11:00
check "C-1 overdue" "$(esc C-1)" 'tojson' '[{"id":"E-2","kind":"complaint-reply-overdue","level":1,"state":"open"}]'
at 15m      # 11:15
check "second promise missed" "$(esc C-4)" 'tojson' '[{"id":"E-3","kind":"commitment-overdue","level":1,"state":"open"}]'
at 45m      # 12:00
a=$(K escalation ack E-3 --by boss)
check "ack" "$a" '.state + " " + .acked_by' "acked boss"
at 3h       # 15:00
check "level 2" "$(esc C-1)" '.[0].level' 2
at 15m      # 15:15
check "acked stays at 1, visible" "$(esc C-4)" 'tojson' '[{"id":"E-3","kind":"commitment-overdue","level":1,"state":"acked"}]'
check "open list has it" "$(K escalations --open)" '[.items[].id] | join(" ")' "E-3 E-2 E-1"
at 15m      # 15:30
K complaint reply C-1 --by li >/dev/null
settle
e=$(K escalations)
check "cleared, late" "$e" '.items[] | select(.id == "E-2") | .state + " " + .late_us' "cleared 270m"
at 30m      # 16:00
K complaint resolve C-3 --by zhao --outcome explained >/dev/null
settle
check "major cleared" "$(esc C-3)" '.[0].state' cleared
check "answered in time: nothing" "$(esc C-2)" 'tojson' '[]'

at 16h59m   # Tue 08:59
check "rework not yet" "$(esc RW-1)" 'tojson' '[]'
at 1m       # Tue 09:00
check "rework overdue" "$(esc RW-1)" 'tojson' '[{"id":"E-5","kind":"rework-overdue","level":1,"state":"open"}]'
# Monday's close listed the complaints still open then (sla_eod.c)
check "Monday's open complaints" "$(K escalations --kind open-complaints)" \
      '.items[0] | .id + " " + .subject + " " + ([.open_cases[].id] | join(","))' "E-4 day/2026-11-23 C-1,C-2,C-4"
# C-3's reply (complex: 24 h) was met by its resolution: never raised
check "C-3 once" "$(K escalations)" '[.items[] | select(.subject == "C-3")] | length' 1

# ---- what the follower saw: every change, in log order, with its seq --------------
kill -TERM "$FOLLOWER"
wait "$FOLLOWER" || fail "escalations --follow exited $?"
got=$(jq -r '[.event, .id, .kind, (.level|tostring), .state] | join(" ")' "$D/follow" | tr '\n' ';')
want="raised E-1 major-complaint 2 open;warning reply/C-1 complaint-reply-overdue 0 warning;\
raised E-2 complaint-reply-overdue 1 open;raised E-3 commitment-overdue 1 open;\
acked E-3 commitment-overdue 1 acked;levelled E-2 complaint-reply-overdue 2 open;\
cleared E-2 complaint-reply-overdue 2 cleared;cleared E-1 major-complaint 2 cleared;\
warning rework/RW-1 rework-overdue 0 warning;raised E-4 open-complaints 1 open;\
raised E-5 rework-overdue 1 open;"
[ "$got" = "$want" ] || fail "escalations --follow: $got"
jq -e -s 'map(.seq) | . == (sort) and length == 11' "$D/follow" >/dev/null || fail "follow lines out of order"

# ---- killed the moment a deadline falls: raised once --------------------------------
K complaint open --customer G --kind delay --complexity simple --by li >/dev/null   # C-5, due 11:00
settle
K clock advance 2h >/dev/null
pkill -9 -f "[k]efu-sla --dir $D" || true
i=0
until K status 2>/dev/null | jq -e '.daemons[] | select(.name == "sla") | .ok' >/dev/null; do
    i=$((i + 1)); [ $i -gt 100 ] && fail "sla did not come back"; sleep 0.1
done
settle
check "C-5 once" "$(esc C-5)" 'tojson' '[{"id":"E-6","kind":"complaint-reply-overdue","level":1,"state":"open"}]'

# ---- a damage case waiting on the carrier a day escalates a day later ---------------
K complaint open --customer G --kind damage --complexity simple --by li >/dev/null   # C-6, Tue 11:00: due 13:00
at 30m      # Tue 11:30
w=$(K complaint wait C-6 --on carrier --by li --text "outer box broken: the customer claims")
check "waiting" "$w" '.waiting_on + " " + .waiting_since' "carrier 2026-11-24T11:30:00+08:00"
at 24h      # Wed 11:30: the clock stood still
check "paused: nothing" "$(esc C-6)" 'tojson' '[]'
# Tuesday's close listed what was open then, superseding Monday's list
check "Tuesday's list" "$(K escalations --kind open-complaints)" \
      '[.items[] | .id + " " + .state + " " + ([.open_cases[].id] | join(","))] | join(";")' \
      "E-7 open C-1,C-2,C-4,C-5,C-6;E-4 cleared C-1,C-2,C-4"
r=$(K complaint resume C-6 --by li --text "claim failed: we reprint")
check "resumed" "$r" '.reply_due + " " + .paused_us' "2026-11-25T13:00:00+08:00 1d"
at 89m      # Wed 12:59
check "moved due: not yet" "$(esc C-6)" 'tojson' '[]'
at 1m       # Wed 13:00: a day later than it would have been
check "a day later" "$(esc C-6)" 'tojson' '[{"id":"E-8","kind":"complaint-reply-overdue","level":1,"state":"open"}]'

# ---- a hand-off answered in time raises nothing; a reopened case owes a reply again --
K complaint open --customer G --kind quality --complexity simple --by li >/dev/null   # C-7, Wed 13:00
K complaint reply C-7 --by li >/dev/null
K complaint handoff C-7 --by li --to production --due 1h >/dev/null                   # due 14:00
settle
check "the hand-off owed" "$(K obligations)" '[.items[] | select(.subject == "C-7") | .kind + " " + .owner] | join(";")' \
      "handoff-overdue production"
at 30m      # 13:30
K complaint handoff-answer C-7 --by zhao --text "reprinted" >/dev/null
at 1h       # 14:30: past the hand-off's due, answered in time
check "answered hand-off: nothing" "$(esc C-7)" 'tojson' '[]'
K complaint resolve C-7 --by li --outcome explained >/dev/null
K complaint followup C-7 --by li --satisfaction 2 >/dev/null   # under 3 of 5: reopened, due 16:30
settle
check "owed again" "$(K obligations)" '[.items[] | select(.subject == "C-7") | .due] | join(";")' \
      "2026-11-25T16:30:00+08:00"
at 2h       # 16:30
check "the reopened case overdue" "$(esc C-7)" 'tojson' '[{"id":"E-9","kind":"complaint-reply-overdue","level":1,"state":"open"}]'

# ---- a callback promised after a failed transfer (000 §五.5), follow-up visits -------
at 16h30m   # Thu 09:00
K consult --customer K --by li --question "50 albums by Friday?" --refer production --callback-by 15:00 >/dev/null  # Q-1
K consult --customer G --by wang --question "pickup time?" --refer dispatch --callback-by 15:00 >/dev/null          # Q-2
K complaint open --customer G --kind quality --complexity simple --by li >/dev/null    # C-8
K complaint resolve C-8 --by li --outcome explained >/dev/null                         # visit due Sun 09:00
K complaint open --customer G --kind colour --complexity simple --by wang >/dev/null   # C-9
K complaint resolve C-9 --by wang --outcome declined --text "outside the contract" >/dev/null
K complaint open --customer K --kind delay --complexity simple --by zhao >/dev/null    # C-10
K complaint resolve C-10 --by zhao --outcome explained >/dev/null                      # visit due Sun 09:00
settle
kinds='[.items[] | select(.kind == "callback-overdue" or .kind == "follow-up-overdue") | .id + " " + .owner + " " + .due] | join(";")'
check "callbacks and visits owed" "$(K obligations)" "$kinds" \
      "callback/Q-1 li 2026-11-26T15:00:00+08:00;callback/Q-2 wang 2026-11-26T15:00:00+08:00;\
follow-up/C-3 zhao 2026-11-26T16:00:00+08:00;follow-up/C-10 zhao 2026-11-29T09:00:00+08:00;\
follow-up/C-8 li 2026-11-29T09:00:00+08:00"
check "the visit's due" "$(K complaint show C-8)" .follow_up_due 2026-11-29T09:00:00+08:00
check "a declined case: no visit" "$(K complaint show C-9)" '.follow_up_due // "none"' none
at 1h       # Thu 10:00
K complaint reopen C-8 --by li --text "the customer called: still too red" >/dev/null   # its visit dropped
K complaint followup C-10 --by zhao --satisfaction 5 >/dev/null                          # visited: met
at 30m      # Thu 10:30
K complaint reply C-8 --by li >/dev/null
K complaint resolve C-8 --by li --outcome explained >/dev/null                         # a visit again, Sun 10:30
settle
visits='[.items[] | select(.kind == "follow-up-overdue") | .subject + " " + .owner + " " + .due] | join(";")'
check "the visit of the new resolution" "$(K obligations)" "$visits" \
      "C-3 zhao 2026-11-26T16:00:00+08:00;C-8 li 2026-11-29T10:30:00+08:00"
at 4h20m    # Thu 14:50
q=$(K consult --calls-back Q-2 --by wang --question "pickup time?" --answer "tomorrow from 10:00")
check "the callback" "$q" '.id + " " + .calls_back + " " + .customer' "Q-3 Q-2 G"
at 9m       # Thu 14:59
check "callback not yet overdue" "$(esc Q-1)" 'tojson' '[]'
at 1m       # Thu 15:00
check "callback overdue" "$(esc Q-1)" 'map(del(.id)) | tojson' '[{"kind":"callback-overdue","level":1,"state":"open"}]'
QE=$(esc Q-1 | jq -r '.[0].id')   # after the days' lists (open-complaints) and earlier escalations
check "called back in time: nothing" "$(esc Q-2)" 'tojson' '[]'
visit() { K escalations | jq -r "[.items[] | select(.subject == \"$1\" and .kind == \"follow-up-overdue\") | .owner + \" \" + .state + \" \" + (.level|tostring) + \" \" + (.late_us // \"-\")] | join(\";\")"; }
at 59m      # Thu 15:59
[ -z "$(visit C-3)" ] || fail "a visit overdue before its due: $(visit C-3)"
at 1m       # Thu 16:00: three days after C-3's resolution
[ "$(visit C-3)" = "zhao open 1 -" ] || fail "C-3's visit: '$(visit C-3)'"
at 30m      # Thu 16:30
K complaint followup C-3 --by zhao --satisfaction 4 >/dev/null
K consult --calls-back Q-1 --by li --question "50 albums by Friday?" --answer "yes, by Friday 17:00" >/dev/null
settle
[ "$(visit C-3)" = "zhao cleared 1 30m" ] || fail "C-3's visit cleared: '$(visit C-3)'"
check "callback cleared, late" "$(esc Q-1)" '.[0].state' cleared
check "its lateness" "$(K escalations)" '.items[] | select(.id == "'"$QE"'") | .late_us' 90m
at 64h30m   # Sun 09:00: C-8's first resolution's visit would have been due, but it was dropped
[ -z "$(visit C-8)" ] || fail "a dropped visit escalated: $(visit C-8)"
[ -z "$(visit C-10)" ] || fail "a visited case escalated: $(visit C-10)"
at 1h29m    # Sun 10:29
[ -z "$(visit C-8)" ] || fail "C-8's visit before its due: $(visit C-8)"
at 1m       # Sun 10:30
[ "$(visit C-8)" = "li open 1 -" ] || fail "C-8's visit: '$(visit C-8)'"
check "nothing for a declined case" "$(K escalations)" '[.items[] | select(.subject == "C-9")] | length' 0

# ---- a restart, and a rebuild from the log, give the same escalations ---------------
now=$(K status | jq -r .now)
K escalations > "$D/esc.1"
K obligations > "$D/obl.1"
"$B/kefu" down --dir "$D"
"$B/kefu" up --dir "$D" --detach --sim-clock "$now" --set sla.remind_every=off
settle
K escalations > "$D/esc.2"
cmp -s "$D/esc.1" "$D/esc.2" || fail "escalations differ after a restart: $(diff "$D/esc.1" "$D/esc.2" | head -4)"
"$B/kefu" down --dir "$D"
rm -rf "$D/sla"
"$B/kefu" up --dir "$D" --detach --sim-clock "$now" --set sla.remind_every=off
settle
K escalations > "$D/esc.3"
K obligations > "$D/obl.3"
cmp -s "$D/esc.1" "$D/esc.3" || fail "escalations differ after a rebuild: $(diff "$D/esc.1" "$D/esc.3" | head -4)"
cmp -s "$D/obl.1" "$D/obl.3" || fail "obligations differ after a rebuild"
echo "sla day: ok"
