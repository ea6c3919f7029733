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

# a role changes by adding again; a restart keeps who may act
K staff add li --role supervisor --by boss >/dev/null
now=$(K status | jq -r .now)
"$B/kefu" down --dir "$D"
"$B/kefu" up --dir "$D" --detach --sim-clock "$now"
K sync >/dev/null
forbidden "zz is not registered staff" complaint open --customer G --kind delay --complexity simple --by zz
K staff add wang --role staff --by li >/dev/null
echo "staff: ok"
