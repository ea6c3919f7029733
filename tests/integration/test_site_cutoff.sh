#!/bin/sh
# test_site_cutoff.sh: a daemon cut off from the log catches up with no gap,
# and the log cut off from its producers loses nothing (issue 11).
#
# 1. sched stopped (SIGSTOP) while the log takes what concerns it: intake
#    takes orders and resolves a missing-pieces case as reissue (a reaction
#    sched owes), the clock moves, and a test producer appends 150,000
#    probe events, more than the live stream's high-water mark holds for a
#    stopped subscriber (100,000 messages), so the stream drops some and
#    sched must notice the gap and fetch. SIGCONT: sched's applied position
#    reaches the log's head, it knows every order, it rushed the reissue
#    once, and its store rebuilt from the log holds the same.
# 2. sla stopped while the clock passes a case's reply deadline: SIGCONT,
#    and it raises the escalation once.
# 3. The log stopped for 3 s while intake takes cases, each with a request
#    id and repeated until answered, by four desks at once: they are
#    answered unavailable (exit 3) while it is stopped, and in the end one
#    case per request id, none lost.
set -eu
BUILD=${BUILD:-build}
B=$BUILD/bin
T=$BUILD/tests
D=$(mktemp -d /tmp/kefu-cutoff.XXXXXX)
STOPPED=""
cleanup() {
    [ -n "$STOPPED" ] && kill -CONT $STOPPED 2>/dev/null || true
    "$B/kefu" down --dir "$D" >/dev/null 2>&1 || true
    [ -n "${KEEP:-}" ] || rm -rf "$D"
}
trap cleanup EXIT INT TERM
fail() { echo "FAIL: $*" >&2; tail -n 5 "$D"/log/*.log >&2 || true; exit 1; }
K() { "$B/kefuctl" --dir "$D" --json "$@"; }
pid_of() { pgrep -f "[k]efu-$1 --dir $D" | head -n 1; }
applied() { K --timeout 1s status 2>/dev/null | jq -r ".daemons[] | select(.name == \"$1\") | .applied" || true; }
head_now() { K status | jq .head; }

"$B/kefu" up --dir "$D" --detach --sim-clock 2026-11-23T09:00:00+08:00 --set sla.remind_every=off
K customer add K-1 --name Golden --tier key >/dev/null
for i in 1 2 3; do K order add --customer K-1 --product print --qty 5 --id "O-$i" >/dev/null; done
K complaint open --customer K-1 --order O-3 --kind missing --complexity simple --by li >/dev/null  # C-1
K sync >/dev/null

# ---- 1. sched cut off ---------------------------------------------------------------
SP=$(pid_of sched)
kill -STOP "$SP"
STOPPED=$SP
i=4
while [ $i -le 10 ]; do K order add --customer K-1 --product print --qty 5 --id "O-$i" >/dev/null; i=$((i + 1)); done
K complaint resolve C-1 --by li --outcome reissue >/dev/null
"$T/evlog_load" --dir "$D" --producer probe --count 150000 --window 64 --out "$D/acked" --timeout 120 ||
    fail "the probe producer"
K clock advance 1h >/dev/null
while [ $i -le 15 ]; do K order add --customer K-1 --product print --qty 5 --id "O-$i" >/dev/null; i=$((i + 1)); done
head=$(head_now)
a=$(applied sched)
[ -z "$a" ] || [ "$a" = null ] || [ "$a" -lt "$head" ] || fail "a stopped sched applied $a of $head"
kill -CONT "$SP"
STOPPED=""
K --timeout 30s sync >/dev/null || fail "sync after sched went on"
[ "$(applied sched)" -ge "$head" ] || fail "sched applied $(applied sched), the head was $head"
[ "$(pid_of sched)" = "$SP" ] || fail "sched was restarted: the test wants the one that was stopped"
i=1
while [ $i -le 15 ]; do
    K job show "O-$i" >/dev/null 2>&1 || fail "sched does not know O-$i"
    i=$((i + 1))
done
sleep 0.5   # the reaction, submitted once sched applied the resolution
K sync >/dev/null
n=$(K rushes | jq '[.items[] | select(.cause == "lab" and .case == "C-1")] | length')
[ "$n" -eq 1 ] || fail "$n lab rushes for C-1's reissue, want 1"
K stage O-15 received --by wang >/dev/null || fail "a stage report after the catch-up"
K sync >/dev/null
# what the caught-up sched holds is what a rebuild from the log holds
K rushes | jq -S . > "$D/before"
K queue --limit 1000 | jq -S . >> "$D/before"
"$B/kefu" down --dir "$D"
rm -rf "$D/sched"
"$B/kefu" up --dir "$D" --detach --sim-clock 2026-11-23T09:00:00+08:00 --set sla.remind_every=off
K --timeout 60s sync >/dev/null
K rushes | jq -S . > "$D/after"
K queue --limit 1000 | jq -S . >> "$D/after"
cmp -s "$D/before" "$D/after" || fail "sched rebuilt differs from the caught-up one: $(diff "$D/before" "$D/after" | head -5)"

# ---- 2. sla cut off while a deadline passes -------------------------------------------
c=$(K complaint open --customer K-1 --kind delay --complexity simple --by li | jq -r .id)
K sync >/dev/null
LP=$(pid_of sla)
kill -STOP "$LP"
STOPPED=$LP
K clock advance 3h >/dev/null   # past its reply due (2 h)
sleep 0.5
kill -CONT "$LP"
STOPPED=""
i=0
until [ "$(K escalations | jq --arg c "$c" '[.items[] | select(.subject == $c)] | length')" -ge 1 ]; do
    i=$((i + 1)); [ $i -gt 50 ] && fail "sla did not raise $c after it went on"; sleep 0.1
done
K clock advance 1m >/dev/null
K sync >/dev/null
n=$(K log tail --from "$head" | jq -s --arg c "$c" '[.[] | select(.type == "escalation_raised" and .data.escalation.subject == $c)] | length')
[ "$n" -eq 1 ] || fail "$c raised $n times"

# ---- 3. the log cut off while intake takes commands -----------------------------------
EP=$(pid_of evlog)
kill -STOP "$EP"
STOPPED=$EP
( sleep 3; kill -CONT "$EP" ) &
CONT=$!
# desk W opens cases W-1..W-PER, each repeated with its request id until
# answered; one line per answer in answers.W, one per "unavailable" in unavail.W
desk() {
    j=1
    : > "$D/answers.$1"
    : > "$D/unavail.$1"
    while [ $j -le $PER ]; do
        tries=0
        until out=$(K --timeout 1s --request-id "stall-$1-$j" complaint open --customer K-1 \
                      --kind colour --complexity simple --by li --text "stalled $1-$j" 2>/dev/null); do
            rc=$?
            [ $rc -eq 3 ] || { echo "stall-$1-$j: exit $rc: $out" >> "$D/desk.err"; return 1; }
            [ "$(printf '%s' "$out" | jq -r .error.code)" = unavailable ] ||
                { echo "stall-$1-$j: $out" >> "$D/desk.err"; return 1; }
            echo x >> "$D/unavail.$1"
            tries=$((tries + 1))
            [ $tries -gt 100 ] && { echo "stall-$1-$j never answered" >> "$D/desk.err"; return 1; }
            sleep 0.05
        done
        printf '%s %s\n' "stall-$1-$j" "$(printf '%s' "$out" | jq -r .id)" >> "$D/answers.$1"
        j=$((j + 1))
    done
}
DESKS=4
PER=3
N=$((DESKS * PER))
pids=
w=1
while [ $w -le $DESKS ]; do desk $w & pids="$pids $!"; w=$((w + 1)); done
for p in $pids; do wait "$p" || fail "a desk failed: $(cat "$D/desk.err")"; done
wait $CONT
STOPPED=""
cat "$D"/answers.* > "$D/answers"
unavail=$(cat "$D"/unavail.* | wc -l)
[ "$(wc -l < "$D/answers")" -eq $N ] || fail "$(wc -l < "$D/answers") answers for $N requests"
[ $unavail -ge 1 ] || fail "no command was answered unavailable while the log was stopped"
K sync >/dev/null
[ "$(cut -d' ' -f2 "$D/answers" | sort -u | wc -l)" -eq $N ] || fail "two requests got one case: $(cat "$D/answers")"
n=$(K log tail --from "$head" | jq -s '[.[] | select(.type == "case_opened" and (.request_id // "" | startswith("stall-")))] | length')
[ "$n" -eq $N ] || fail "$n cases opened in the log for $N requests"
n=$(K complaints --limit 100000 | jq '[.items[] | select(.owner == "li" and .kind == "colour")] | length')
[ "$n" -eq $N ] || fail "$n stalled cases in intake's register, want $N"
echo "ok: sched caught up after a stop past the stream's high-water mark (head $head), sla raised once" \
     "after a stop, $N cases through a stopped log ($unavail answers unavailable), one each"
