#!/bin/sh
# test_staff.sh: who may act (contract.md: staff add). With nobody
# registered anyone may; the first `staff add` may come from anyone. Once
# people are registered, only they act, in every daemon, and a row's roles
# decide: a supervisor acknowledges an escalation, staff may not, and only
# supervisors and managers add people. The daemons' own commands (sla's
# escalations, sched's reactions) go on regardless.
set -eu
BUILD=${BUILD:-build}
B=$BUILD/bin
D=$(mktemp -d /tmp/kefu-staff.XXXXXX)
cleanup() { "$B/kefu" down --dir "$D" >/dev/null 2>&1 || true; rm -rf "$D"; }
trap cleanup EXIT INT TERM
K() { "$B/kefuctl" --dir "$D" --json "$@"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
forbidden() {  # forbidden WANT-TEXT ARGS...: refused, code forbidden, exit 1
    want=$1
    shift
    set +e
    out=$("$B/kefuctl" --dir "$D" --json "$@" 2>/dev/null)
    rc=$?
    set -e
    [ $rc -eq 1 ] || fail "kefuctl $*: exit $rc, want 1 ($out)"
    printf '%s' "$out" | jq -e '.error.code == "forbidden"' >/dev/null || fail "kefuctl $*: $out"
    printf '%s' "$out" | jq -r .error.message | grep -q -- "$want" || fail "kefuctl $*: $out"
}

"$B/kefu" up --dir "$D" --detach --sim-clock 2026-11-23T09:00:00+08:00
K customer add G --name "Corner Shop" --tier general >/dev/null   # nobody registered: anyone
s=$(K staff add boss --role supervisor)                            # the first: anyone
[ "$(printf '%s' "$s" | jq -r '.name + " " + .role')" = "boss supervisor" ] || fail "staff add: $s"
K staff add li --role staff --by boss >/dev/null
K sync >/dev/null

forbidden "zz is not registered staff" complaint open --customer G --kind delay --complexity simple --by zz
forbidden "(nobody) is not registered" customer add H --name "Hill" --tier general
forbidden "li is staff; this is for supervisor,manager" staff add wang --role staff --by li
K complaint open --customer G --kind delay --complexity simple --by li >/dev/null
K order add --customer G --product print --qty 5 --id O-1 --by li >/dev/null
forbidden "zz is not registered staff" stage O-1 received --by zz       # sched too
K stage O-1 received --by li >/dev/null

# sla's own commands raise the escalation; staff may not acknowledge it
K clock advance 2h >/dev/null
K sync >/dev/null
sleep 0.3
K sync >/dev/null
e=$(K escalations)
[ "$(printf '%s' "$e" | jq -r '.items[0].id + " " + .items[0].kind')" = "E-1 complaint-reply-overdue" ] ||
    fail "the escalation: $e"
forbidden "li is staff; this is for supervisor,manager" escalation ack E-1 --by li
a=$(K escalation ack E-1 --by boss)
[ "$(printf '%s' "$a" | jq -r .state)" = acked ] || fail "ack by the supervisor: $a"

# Who may act on a case (domain.md §1 ownership; intake_cmd.c s_case_may):
# C-2 is li's; wang (staff) may not reply, resolve or follow it up, and a
# refusal writes nothing; handed to wang he may reply; boss (supervisor)
# may resolve; the owner follows up.
K staff add wang --role staff --by boss >/dev/null
K staff add zhao --role staff --by boss >/dev/null
c=$(K complaint open --customer G --kind quality --complexity simple --by li | jq -r .id)
[ "$c" = C-2 ] || fail "the second case is $c"
h0=$(K status | jq -r .head)
forbidden "wang (staff) may not reply to case C-2: that needs its owner (li)" complaint reply C-2 --by wang
forbidden "wang (staff) may not resolve case C-2" complaint resolve C-2 --by wang --outcome explained
[ "$(K status | jq -r .head)" = "$h0" ] || fail "a forbidden act wrote to the log"
[ "$(K complaint show C-2 | jq -r '.state + " " + (.history_count|tostring)')" = "open 1" ] ||
    fail "a forbidden act changed C-2: $(K complaint show C-2)"
K complaint handoff C-2 --by li --to wang >/dev/null
[ "$(K complaint reply C-2 --by wang --text "checking" | jq -r .state)" = replied ] ||
    fail "the colleague it was handed to may reply"
forbidden "zhao (staff) may not reply to case C-2" complaint reply C-2 --by zhao
[ "$(K complaint resolve C-2 --by boss --outcome explained | jq -r .state)" = resolved ] ||
    fail "a supervisor may resolve"
forbidden "zhao (staff) may not follow up case C-2" complaint followup C-2 --by zhao --satisfaction 5
[ "$(K complaint followup C-2 --by li --satisfaction 5 | jq -r .state)" = closed ] ||
    fail "the owner follows up"

# a role changes by adding again; a restart keeps who may act
K staff add li --role supervisor --by boss >/dev/null
now=$(K status | jq -r .now)
"$B/kefu" down --dir "$D"
"$B/kefu" up --dir "$D" --detach --sim-clock "$now"
K sync >/dev/null
forbidden "zz is not registered staff" complaint open --customer G --kind delay --complexity simple --by zz
K staff add wang --role staff --by li >/dev/null
echo "staff: ok"
