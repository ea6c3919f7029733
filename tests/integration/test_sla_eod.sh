#!/bin/sh
# test_sla_eod.sh: at the close of each working day, every complaint still
# open, listed (domain.md §5 last bullet; 003 第一篇 四(三).4), on a
# simulated clock with the default calendar: hours 08:30-17:30, workdays
# mon-sat, +08:00 (services/sla/sla_eod.c has the rules).
#
#   Tue 12-01 09:00  C-1 complaint (li, simple: due 11:00), C-2 complaint
#                    (wang, complex), C-3 a query (li)
#             09:30  li answers C-1
#             16:00  C-2 resolved
#             17:29  nothing listed yet
#             17:30  sla killed -9 as the close passes; back, it lists C-1
#                    alone (C-2 resolved, C-3 no complaint): one
#                    open-complaints escalation, once, after a second kill
#             21:30  4 h unacknowledged: no level 2 (a list, told once)
#   Wed 12-02 10:00  C-1 resolved: Tuesday's list cleared, 16h30m after the close
#             17:30  only the query open: nothing listed
#   Thu 12-03 09:00  C-4 (li), C-5 (wang); 17:30 both listed; acknowledged
#   Fri 12-04 09:00  C-4 resolved (Thursday's list stands: C-5 open)
#             17:30  C-5 listed: Thursday's list superseded, cleared
#   Sat 12-05 17:30  C-5 again: Friday's cleared
#   Sun 12-06 18:00  not a working day: nothing
#   Sun -> Wed 12-09 18:00 in one advance: the latest close only (Wed's)
# Then the notices (DingTalk bodies and the command's JSON) name the
# complaints; a restart and a rebuild of sla's store give the same
# escalations, and nothing is listed again.
set -eu
KT_NAME=sla-eod
. "$(dirname "$0")/lib/site.sh"
T=$BUILD/tests
SINK=""
FOLLOWER=""
# the follower too: a failed check exits before the test stops it
trap 'kill "$SINK" ${FOLLOWER:+"$FOLLOWER"} 2>/dev/null || true; cleanup' EXIT INT TERM
at() { K clock advance "$1" >/dev/null; settle; }
lists() { K escalations | jq -c '[.items[] | select(.kind == "open-complaints")] | reverse |
    map({id, subject, state, cases: ([.open_cases[]?.id] | join(","))})'; }
sla_pid() { K status | jq -r '.daemons[] | select(.name == "sla") | .pid'; }
back() {  # back OLDPID: until the supervisor has sla up again
    i=0
    while :; do
        p=$(K status 2>/dev/null | jq -r '.daemons[] | select(.name == "sla" and .ok) | .pid' || true)
        [ -n "$p" ] && [ "$p" != "$1" ] && return 0
        i=$((i + 1)); [ $i -gt 200 ] && fail "sla did not come back"; sleep 0.05
    done
}

PORT=$(shuf -i 20000-45000 -n 1)
"$T/http_sink" --port "$PORT" --out "$D/hook" &
SINK=$!
up() {
    "$B/kefu" up --dir "$D" --detach --sim-clock "$1" --set sla.remind_every=off \
        --set "sla.notify_url=http://127.0.0.1:$PORT/robot/send" --set sla.notify_format=dingtalk \
        --set "sla.notify_command=cat >> $D/cmd" --set "sla.route=open-complaints/1=default"
}
up 2026-12-01T09:00:00+08:00
"$B/kefuctl" --dir "$D" escalations --follow --from 0 > "$D/follow" &
FOLLOWER=$!
K customer add G --name "Corner Shop" --tier general >/dev/null
K complaint open --customer G --kind colour --complexity simple --by li >/dev/null      # C-1
K complaint open --customer G --kind delay --complexity complex --by wang >/dev/null    # C-2
K complaint open --customer G --kind missing --complexity simple --by li --query >/dev/null  # C-3
at 30m      # Tue 09:30 (replied: no reply escalation among the lists)
K complaint reply C-1 --by li --text "we are checking the colours" >/dev/null
K complaint reply C-3 --by li >/dev/null
at 6h30m    # 16:00
K complaint resolve C-2 --by wang --outcome explained >/dev/null
at 1h29m    # 17:29
check "not before the close" "$(lists)" 'tojson' '[]'

# ---- the close passes while sla is down: listed once it is back ----------------------
old=$(sla_pid)
kill -9 "$old"
K clock advance 1m >/dev/null    # 17:30
back "$old"
settle
check "the list" "$(lists)" 'tojson' '[{"id":"E-1","subject":"day/2026-12-01","state":"open","cases":"C-1"}]'
e=$(K escalations --kind open-complaints)
check "its fields" "$e" '.items[0] | [.owner, .level, .due, .raised_at, .obligation, .open_count] | join(" ")' \
      "desk 1 2026-12-01T17:30:00+08:00 2026-12-01T17:30:00+08:00 eod/2026-12-01 1"
check "the complaint" "$e" '.items[0].open_cases[0] | [.id, .owner, .customer, .opened_at, .due, .replied_at] | join(" ")' \
      "C-1 li G 2026-12-01T09:00:00+08:00 2026-12-01T11:00:00+08:00 2026-12-01T09:30:00+08:00"
check "its obligation" "$(K obligations)" '[.items[] | select(.kind == "open-complaints") | .id + " " + .owner + " " + .subject] | join(";")' \
      "eod/2026-12-01 desk day/2026-12-01"
old=$(sla_pid)
kill -9 "$old"
back "$old"
settle
check "once across kill -9" "$(lists)" 'length' 1
raised() { K log tail | jq -s '[.[] | select(.type == "escalation_raised" and .data.escalation.kind == "open-complaints")] | length'; }
check "one event" "$(raised)" '.' 1
at 4h       # 21:30: no level 2, no reminder
check "told once" "$(K escalations --kind open-complaints)" '.items[0] | (.level | tostring) + " " + .state' "1 open"
[ "$(K log tail | jq -s '[.[] | select(.type == "escalation_levelled")] | length')" = 0 ] || fail "a list went to level 2"

# ---- resolved: cleared; a day with no complaint open lists nothing --------------------
at 12h30m   # Wed 12-02 10:00
K complaint resolve C-1 --by li --outcome rework >/dev/null
settle
check "cleared when all resolved" "$(K escalations --kind open-complaints)" '.items[0] | .state + " " + .late_us' "cleared 990m"
check "met" "$(K obligations)" '[.items[] | select(.kind == "open-complaints")] | length' 0
at 7h30m    # Wed 17:30: only the query C-3 is open
check "nothing open, nothing listed" "$(lists)" 'length' 1

# ---- superseded by the next working day's list ------------------------------------------
at 15h30m   # Thu 12-03 09:00
K complaint open --customer G --kind quality --complexity complex --by li >/dev/null    # C-4
K complaint open --customer G --kind damage --complexity complex --by wang >/dev/null   # C-5
K complaint reply C-4 --by li >/dev/null
K complaint reply C-5 --by wang >/dev/null
at 8h30m    # Thu 17:30
check "Thursday" "$(lists)" '.[1] | tojson' '{"id":"E-2","subject":"day/2026-12-03","state":"open","cases":"C-4,C-5"}'
a=$(K escalation ack E-2 --by boss)
check "acknowledged" "$a" '.state + " " + .acked_by' "acked boss"
at 15h30m   # Fri 12-04 09:00
K complaint resolve C-4 --by li --outcome rework >/dev/null
settle
check "C-5 still open on it" "$(lists)" '.[1].state' acked
at 8h30m    # Fri 17:30
l=$(lists)
check "Friday supersedes" "$l" '.[1:] | map(.subject + " " + .state + " " + .cases) | join(";")' \
      "day/2026-12-03 cleared C-4,C-5;day/2026-12-04 open C-5"
at 24h      # Sat 12-05 17:30
at 24h30m   # Sun 12-06 18:00: no working day closed
l=$(lists)
check "Saturday, not Sunday" "$l" '.[2:] | map(.subject + " " + .state) | join(";")' \
      "day/2026-12-04 cleared;day/2026-12-05 open"
at 3d       # Wed 12-09 18:00: Mon, Tue and Wed closed: the latest only
l=$(lists)
check "the latest close only" "$l" '.[3:] | map(.subject + " " + .state + " " + .cases) | join(";")' \
      "day/2026-12-05 cleared C-5;day/2026-12-09 open C-5"
# the lists' ids, in the order raised: the three days on, the complaints
# resolved before owe their follow-up visits too (follow-up-overdue,
# sla.follow_up 3d), which take ids of their own in between
E3=$(echo "$l" | jq -r '.[2].id')
E4=$(echo "$l" | jq -r '.[3].id')
E5=$(echo "$l" | jq -r '.[4].id')
check "five lists" "$(K escalations --kind open-complaints)" '.items | length' 5

# ---- what people were told -----------------------------------------------------------
kill -TERM "$FOLLOWER"
wait "$FOLLOWER" || true
check "follow: raised with its complaints" "$(jq -s -c '[.[] | select(.event == "raised" and .kind == "open-complaints")][0]' "$D/follow")" \
      '[.id, .subject, .open_cases[0].id, .open_count] | join(" ")' "E-1 day/2026-12-01 C-1 1"
check "follow: Thursday's superseded" "$(jq -s -c '[.[] | select(.event == "cleared" and .id == "E-2")] | length' "$D/follow")" '.' 1
i=0
until [ "$(jq -s '[.[] | select(.kind == "open-complaints")] | length' "$D/cmd" 2>/dev/null || echo 0)" -ge 9 ]; do
    i=$((i + 1)); [ $i -gt 200 ] && fail "the command got $(jq -s -c '[.[] | select(.kind == "open-complaints") | .event + " " + .id]' "$D/cmd")"
    sleep 0.05
done
check "command notices" "$(jq -s -c '[.[] | select(.kind == "open-complaints") | .event + " " + .id] | join(";")' "$D/cmd")" '.' \
      "raised E-1;cleared E-1;raised E-2;raised $E3;cleared E-2;raised $E4;cleared $E3;raised $E5;cleared $E4"
check "command JSON lists" "$(jq -s -c '[.[] | select(.kind == "open-complaints" and .event == "raised")][1]' "$D/cmd")" \
      '[.open_cases[].id, (.open_count | tostring)] | join(" ")' "C-4 C-5 2"
check "dingtalk: raised lists" "$(jq -s '[.[] | select(.markdown.title == "kefu: open-complaints raised")] | length' "$D/hook")" '.' 5
jq -e -s '[.[] | select(.markdown.title == "kefu: open-complaints raised")][0].markdown.text |
          test("subject: day/2026-12-01") and test("open complaints: 1") and
          test("C-1, owner li, opened 2026-12-01T09:00:00\\+08:00, due 2026-12-01T11:00:00\\+08:00, replied 2026-12-01T09:30:00\\+08:00")' \
    "$D/hook" >/dev/null || fail "dingtalk body: $(grep -m1 'open-complaints raised' "$D/hook")"
"$B/kefuctl" --dir "$D" escalations --open > "$D/text"
grep -q "^$E5 day/2026-12-09: 1 open" "$D/text" || fail "text: no list of $E5: $(cat "$D/text")"
grep -q "^C-5 .*wang" "$D/text" || fail "text: no line for C-5: $(cat "$D/text")"

# ---- a restart, and a rebuild from the log: the same, nothing listed again -----------
now=$(K status | jq -r .now)
K escalations > "$D/esc.1"
"$B/kefu" down --dir "$D"
up "$now"
settle; sleep 0.3; settle
K escalations > "$D/esc.2"
cmp -s "$D/esc.1" "$D/esc.2" || fail "escalations differ after a restart: $(diff "$D/esc.1" "$D/esc.2" | head -4)"
"$B/kefu" down --dir "$D"
rm -rf "$D/sla"
up "$now"
settle; sleep 0.3; settle
K escalations > "$D/esc.3"
cmp -s "$D/esc.1" "$D/esc.3" || fail "escalations differ after a rebuild: $(diff "$D/esc.1" "$D/esc.3" | head -4)"
check "one event a day" "$(raised)" '.' 5
# a list after the rebuild: the open complaints came back from the log
at 23h30m   # Thu 12-10 17:30
check "Thursday 12-10" "$(lists)" '.[5] | .subject + " " + .cases' "day/2026-12-10 C-5"
echo "sla eod: ok"
