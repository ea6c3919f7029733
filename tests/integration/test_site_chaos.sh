#!/bin/bash
# test_site_chaos.sh: the whole site under `kefu up`, every daemon killed
# with SIGKILL at random moments during a mixed load of every daemon's
# commands (issue 11). A simulated clock, so that sla's deadlines come by
# `kefuctl clock advance`, not by waiting.
#
# The load, in rounds, each write with a request id and repeated with the
# same id until it is answered (kefuctl exits 3 while a daemon is down), as
# a desk or a terminal does:
#   intake  a customer (tiers in turn), three orders, a missing-pieces case
#           on the second; by the round, the case is answered at once (in
#           time: no escalation), left open (sla escalates it), or resolved
#           as reissue two rounds on (sched reacts with a lab rush, sla
#           clears the escalation it raised)
#   sched   a rush on the first order, the floor's stage reports (the third
#           order through to done), the queue read
#   evlog   a clock advance of an hour a round (sla raises the overdue)
#   sla     every open escalation of a case not answered acknowledged
# Meanwhile a killer sends SIGKILL to a daemon every 0.3-0.8 s: first each
# of evlog, intake, sched and sla in an order drawn from the seed, then
# any; kefu restarts them. Afterwards:
#   - every acknowledged request id is in the log, and no request id has two
#     events of one type (nothing lost, nothing done twice, reactions and
#     sla's own commands included);
#   - the state is what the load made: one customer, order and case per
#     request, each order's stages once in route order, one lab rush per
#     reissue, one escalation per breach, one acknowledgement each;
#   - every daemon's state equals a rebuild from the log: the site stopped,
#     one daemon's store removed at a time, then all three, started again,
#     the same answers to every query (customers, orders, cases, jobs,
#     queue, rushes, escalations, obligations).
# KEFU_SEED repeats a run's choices (printed at the start; the moments of
# the kills are the scheduler's). SITE_CHAOS_ROUNDS sizes it (default 14,
# about 25 s on 2 cores; `make san` runs 6).
set -eu
export LC_ALL=C   # sort as jq does
BUILD=${BUILD:-build}
B=$BUILD/bin
ROUNDS=${SITE_CHAOS_ROUNDS:-14}
SEED=${KEFU_SEED:-$(( $(date +%s%N) % 32768 ))}
START=2026-11-23T09:00:00+08:00
echo "seed: KEFU_SEED=$SEED"
RANDOM=$SEED
D=$(mktemp -d /tmp/kefu-sitechaos.XXXXXX)
KILLER=""
cleanup() {
    [ -n "$KILLER" ] && kill "$KILLER" 2>/dev/null || true
    "$B/kefu" down --dir "$D" >/dev/null 2>&1 || true
    [ -n "${KEEP:-}" ] || rm -rf "$D"
}
trap cleanup EXIT INT TERM
fail() {
    echo "FAIL (KEFU_SEED=$SEED): $*" >&2
    tail -n 8 "$D"/log/*.log >&2 || true
    exit 1
}
K() { "$B/kefuctl" --dir "$D" --json --timeout 2s "$@"; }

# w RID ARGS...: a write with request id RID, repeated with it until it is
# answered; the answer in $ans, RID listed as acknowledged. A refusal
# (exit 1) fails the test: the load asks only what the rules allow.
w() {
    local rid=$1 tries=0 rc
    shift
    while :; do
        rc=0
        ans=$(K --request-id "$rid" "$@" 2>/dev/null) || rc=$?
        [ $rc -eq 0 ] && break
        [ $rc -eq 3 ] || fail "request $rid (kefuctl $*): exit $rc: $ans"
        tries=$((tries + 1))
        [ $tries -gt 150 ] && fail "request $rid never answered"
        sleep 0.05
    done
    echo "$rid" >> "$D/acked"
}
# q ARGS...: a read (or sync), repeated until answered; the answer in $ans
q() {
    local tries=0 rc
    while :; do
        rc=0
        ans=$(K "$@" 2>/dev/null) || rc=$?
        [ $rc -eq 0 ] && return 0
        [ $rc -eq 3 ] || fail "kefuctl $*: exit $rc: $ans"
        tries=$((tries + 1))
        [ $tries -gt 150 ] && fail "kefuctl $* never answered"
        sleep 0.05
    done
}
# settle: every daemon has applied the log and the head stands still (the
# reactions and sla's own commands are in)
settle() {
    local prev=-1 head
    for _ in $(seq 1 100); do
        q sync
        head=$(printf '%s' "$ans" | jq .head)
        [ "$head" = "$prev" ] && return 0
        prev=$head
        sleep 0.2
    done
    fail "the log never settled"
}

"$B/kefu" up --dir "$D" --detach --sim-clock "$START" --set kefu.restart_max=300ms \
    --set sla.remind_every=off

# ---- the killer -----------------------------------------------------------------
DAEMONS=(evlog intake sched sla net)
ND=${#DAEMONS[@]}
first=$((RANDOM % ND))
KSEED=$RANDOM
( RANDOM=$KSEED
  n=0
  while :; do
      sleep "0.$((RANDOM % 50 + 30))"
      if [ $n -lt $ND ]; then name=${DAEMONS[$(( (first + n) % ND ))]}; else name=${DAEMONS[$((RANDOM % ND))]}; fi
      pkill -9 -f "[k]efu-$name --dir $D" && n=$((n + 1))
  done ) &
KILLER=$!

# ---- the load -------------------------------------------------------------------
tiers=(key special general)
t0=$(date +%s)
r=1
# every daemon killed at least once during the load: on a quick machine
# 14 rounds can end before the killer has been round all of them, so the
# load goes on, round by round, until it has (ROUNDS is then what was run)
all_killed() {
    for name in "${DAEMONS[@]}"; do
        grep -q "$name (pid [0-9]*) was killed by signal 9" "$D/log/kefu.log" || return 1
    done
}
while [ $r -le "$ROUNDS" ] || { ! all_killed && [ $r -le $((ROUNDS + 60)) ]; }; do
    c=CU-$r
    w "cust-$r" customer add "$c" --name "Shop $r" --tier "${tiers[$((r % 3))]}"
    for j in 1 2 3; do
        w "order-$r-$j" order add --customer "$c" --product print --qty $((RANDOM % 40 + 1)) --id "O-$r-$j"
    done
    # net: a terminal's key a round (a try with no answer keeps its pair;
    # the repeat with the same request id finishes the file)
    w "key-$r" key new "k$r" --role terminal --out "$D/k$r.key"
    w "open-$r" complaint open --customer "$c" --order "O-$r-2" --kind missing \
        --complexity simple --by li --text "round $r"
    case_id=$(printf '%s' "$ans" | jq -r .id)
    echo "$r $case_id" >> "$D/cases"
    q sync   # sched has the orders (a stage on an order sched has not seen is refused)
    w "rush-$r" rush "O-$r-1" --level same-day --by amy
    w "stage-$r-1-received" stage "O-$r-1" received --terminal T-1 --by wang
    w "stage-$r-1-printing" stage "O-$r-1" printing --terminal T-1 --by wang
    w "stage-$r-2-received" stage "O-$r-2" received --terminal T-2 --by wang
    for st in received printing qc packed done; do
        w "stage-$r-3-$st" stage "O-$r-3" "$st" --terminal T-3 --by zhao
    done
    [ $((r % 3)) -eq 1 ] && w "reply-$r" complaint reply "$case_id" --by li --text "on its way"
    # a case of two rounds ago (escalated at the last advance) resolved:
    # sched reissues on the rush flow, sla clears the escalation
    if [ $r -gt 2 ] && [ $(( (r - 2) % 3 )) -eq 0 ]; then
        w "resolve-$r" complaint resolve "$(awk -v r=$((r - 2)) '$1 == r { print $2 }' "$D/cases")" \
            --by li --outcome reissue
    fi
    q queue --limit 5
    w "clock-$r" clock advance 1h
    q sync
    # the open escalations of cases left open (r % 3 == 2), acknowledged
    q escalations --open
    for e in $(printf '%s' "$ans" | jq -r '.items[] | select(.state == "open" and .kind == "complaint-reply-overdue") | .id + ":" + .subject'); do
        s=${e#*:}
        rr=$(awk -v s="$s" '$2 == s { print $1 }' "$D/cases")
        [ $((rr % 3)) -ne 1 ] && w "ack-${e%%:*}" escalation ack "${e%%:*}" --by boss
    done
    r=$((r + 1))
done
ROUNDS=$((r - 1))
kill "$KILLER"
wait "$KILLER" 2>/dev/null || true
KILLER=""
secs=$(( $(date +%s) - t0 ))

for name in "${DAEMONS[@]}"; do
    n=$(grep -c "$name (pid [0-9]*) was killed by signal 9" "$D/log/kefu.log" || true)
    [ "$n" -ge 1 ] || fail "$name was never killed (the load took ${secs}s)"
done
kills=$(grep -c "was killed by signal 9" "$D/log/kefu.log" || true)
if grep -E "(killed by signal [0-8]([^0-9]|$)|killed by signal 1[0-9]|exited with)" "$D/log/kefu.log"; then
    fail "a daemon died on its own"
fi

# the escalations raised at the last advance, acknowledged now, as a
# supervisor would: then nothing is left to change
settle
q escalations --open
for e in $(printf '%s' "$ans" | jq -r '.items[] | select(.state == "open" and .kind == "complaint-reply-overdue") | .id + ":" + .subject'); do
    s=${e#*:}
    rr=$(awk -v s="$s" '$2 == s { print $1 }' "$D/cases")
    [ $((rr % 3)) -ne 1 ] && w "ack-${e%%:*}" escalation ack "${e%%:*}" --by boss
done
settle

# ---- nothing lost, nothing done twice: the log ------------------------------------
K log tail --from 0 > "$D/log.jsonl" || fail "log tail"
jq -r '.request_id // empty' "$D/log.jsonl" | sort -u > "$D/inlog"
sort -u "$D/acked" > "$D/acked.sorted"
lost=$(comm -23 "$D/acked.sorted" "$D/inlog")
[ -z "$lost" ] || fail "acknowledged but not in the log: $(echo $lost | head -c 300)"
twice=$(jq -s -c '[.[] | select(.request_id) | [.request_id, .type]] | group_by(.) | map(select(length > 1) | .[0])' "$D/log.jsonl")
[ "$twice" = "[]" ] || fail "request ids with an event twice: $twice"
dups=$(jq -s '[.[] | [.producer, .producer_seq]] | group_by(.) | map(select(length > 1)) | length' "$D/log.jsonl")
[ "$dups" -eq 0 ] || fail "$dups (producer, producer_seq) twice in the log"

# ---- the state is what the load made --------------------------------------------
count() { jq -s "[.[] | select($1)] | length" "$D/log.jsonl"; }
[ "$(count '.type == "customer_registered"')" -eq "$ROUNDS" ] || fail "customers in the log"
[ "$(count '.type == "order_taken"')" -eq $((ROUNDS * 3)) ] || fail "orders in the log"
[ "$(count '.type == "case_opened"')" -eq "$ROUNDS" ] || fail "cases in the log"
[ "$(count '.type == "key_enrolled"')" -eq "$ROUNDS" ] || fail "keys in the log"
r=1
while [ $r -le "$ROUNDS" ]; do   # each key file holds the pair that was enrolled
    pub=$(sed -n 's/^ *public-key = "\(.*\)"/\1/p' "$D/k$r.key")
    [ "$(jq -r --arg n "k$r" 'select(.type == "key_enrolled" and .data.key.name == $n) | .data.key.public_key' "$D/log.jsonl")" = "$pub" ] ||
        fail "key k$r: its file's pair is not the enrolled one"
    grep -q site-key "$D/k$r.key" || fail "key k$r: its file was never finished"
    r=$((r + 1))
done
[ "$(count '.type == "stage_reported"')" -eq $((ROUNDS * 8)) ] || fail "stage reports in the log"
[ "$(count '.type == "clock_advanced"')" -eq "$ROUNDS" ] || fail "clock advances in the log"
q customer list
[ "$(printf '%s' "$ans" | jq '.items | length')" -eq "$ROUNDS" ] || fail "customers: $ans"
q order list
[ "$(printf '%s' "$ans" | jq '.items | length')" -eq $((ROUNDS * 3)) ] || fail "orders"
q complaints --limit 100000
[ "$(printf '%s' "$ans" | jq '.items | length')" -eq "$ROUNDS" ] || fail "cases"
[ "$(cut -d' ' -f2 "$D/cases" | sort -u | wc -l)" -eq "$ROUNDS" ] || fail "two rounds got one case"
r=1
while [ $r -le "$ROUNDS" ]; do
    for j in "1 received,printing" "2 received" "3 received,printing,qc,packed,done"; do
        q job show "O-$r-${j% *}"
        got=$(printf '%s' "$ans" | jq -r '[.stages[].stage] | join(",")')
        [ "$got" = "${j#* }" ] || fail "O-$r-${j% *} has stages $got, want ${j#* }"
    done
    r=$((r + 1))
done
q rushes
rushes=$ans
n=$(printf '%s' "$rushes" | jq '[.items[] | select(.cause == "customer")] | length')
[ "$n" -eq "$ROUNDS" ] || fail "$n customer rush decisions for $ROUNDS rush requests"
reissues=$(awk -v n="$ROUNDS" '$1 % 3 == 0 && $1 <= n - 2' "$D/cases" | wc -l)
n=$(printf '%s' "$rushes" | jq '[.items[] | select(.cause == "lab")] | length')
[ "$n" -eq "$reissues" ] || fail "$n lab rushes for $reissues reissues"
n=$(printf '%s' "$rushes" | jq '[.items[] | select(.cause == "lab") | .case] | unique | length')
[ "$n" -eq "$reissues" ] || fail "$n cases among the lab rushes, want $reissues"
# one escalation per breach: one raise per obligation, one ack per escalation
n=$(jq -s '[.[] | select(.type == "escalation_raised") | .data.escalation.obligation] | group_by(.) | map(select(length > 1)) | length' "$D/log.jsonl")
[ "$n" -eq 0 ] || fail "$n obligations raised twice"
n=$(jq -s '[.[] | select(.type == "escalation_acked")] | group_by(.data.id) | map(select(length > 1)) | length' "$D/log.jsonl")
[ "$n" -eq 0 ] || fail "$n escalations acknowledged twice"
q escalations
esc=$ans
# a case not answered within 2 h escalated once (so none of the last round),
# and was acknowledged; those resolved two rounds on (r % 3 == 0) cleared
# too; the answered ones (r % 3 == 1) never
got=$(printf '%s' "$esc" | jq -r '[.items[] | select(.kind == "complaint-reply-overdue") | .subject + ":" + .state] | sort | join(" ")')
want=$(awk -v n="$ROUNDS" '$1 % 3 == 2 && $1 < n { print $2 ":acked" }
                           $1 % 3 == 0 && $1 <= n - 2 { print $2 ":cleared" }
                           $1 % 3 == 0 && $1 == n - 1 { print $2 ":acked" }' "$D/cases" | sort | tr '\n' ' ')
[ "$got" = "${want% }" ] || fail "reply escalations '$got', want '${want% }'"
n=$(jq -s '[.[] | select(.type == "escalation_cleared")] | length' "$D/log.jsonl")
[ "$n" -eq "$reissues" ] || fail "$n escalations cleared, want $reissues"

# ---- every daemon's state equals a rebuild from the log --------------------------
dump() {  # dump FILE: every query's answer (as the daemon wrote it: its order is its own)
    : > "$1"
    for what in "customer list" "order list" "complaints --limit 100000" "rushes" \
                "queue --limit 100000" "escalations" "obligations" "key list --revoked"; do
        # shellcheck disable=SC2086
        q $what
        printf '%s\n' "$ans" >> "$1"
    done
    r=1
    while [ $r -le "$ROUNDS" ]; do
        for j in 1 2 3; do q job show "O-$r-$j"; printf '%s\n' "$ans" >> "$1"; done
        q complaint show "$(awk -v r=$r '$1 == r { print $2 }' "$D/cases")"
        printf '%s\n' "$ans" >> "$1"
        r=$((r + 1))
    done
}
dump "$D/before"
"$B/kefu" down --dir "$D"
for gone in intake sched sla net "intake sched sla net"; do
    # net's folder keeps the site's key pair beside its store: the store only
    for s in $gone; do if [ "$s" = net ]; then rm -f "${D:?}"/net/*.mdb; else rm -rf "${D:?}/$s"; fi; done
    "$B/kefu" up --dir "$D" --detach --sim-clock "$START" --set sla.remind_every=off
    settle
    dump "$D/after"
    cmp -s "$D/before" "$D/after" ||
        fail "rebuilt without the store of $gone: $(diff "$D/before" "$D/after" | head -8)"
    "$B/kefu" down --dir "$D"
done
head=$(wc -l < "$D/log.jsonl")
echo "ok: $ROUNDS rounds ($(wc -l < "$D/acked") acknowledged writes, $head events) in ${secs}s" \
     "through $kills kills (each daemon at least once): nothing lost, nothing twice," \
     "every store rebuilt from the log the same (KEFU_SEED=$SEED)"
