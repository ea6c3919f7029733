#!/bin/sh
# test_kefuctl_intake_cli.sh: kefuctl's intake commands (customer, order,
# complaint, complaints, aftersales, consult, consultations) without the
# intake daemon.
#
# What holds whatever the daemon does (shared/contract.md, kefuctl): help
# exits 0 and lists every command; a bad command line exits 2 with one
# stderr line "kefuctl: usage: ..." before anything is sent (missing
# --by, an enum value that is not one, naming the accepted ones, a bad
# duration, time, period or number); a site that is not running exits 3.
# With tests/tools/fake_daemon standing in as "intake" (it refuses every
# request it does not know with ERR_UNSUPPORTED), a refusal exits 1 with
# the daemon's code, and a daemon that never answers exits 3.
# Tests against the live intake daemon live in other scripts.
#
# POSIX sh: run as `BUILD=build sh tests/integration/test_kefuctl_intake_cli.sh`;
# exits 0 when every check passes.

set -u
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$PWD/$BUILD ;; esac
KEFUCTL=$BUILD/bin/kefuctl
FAKE=$BUILD/tests/fake_daemon
[ -x "$KEFUCTL" ] || { echo "test_kefuctl_intake_cli: no $KEFUCTL (run make)" >&2; exit 1; }

# A short temp path: ipc socket paths must stay under 107 bytes.
TMP=$(mktemp -d /tmp/kefuctl-intake.XXXXXX) || exit 1
fake_pid=
cleanup() {
    [ -n "$fake_pid" ] && kill "$fake_pid" 2>/dev/null && wait "$fake_pid" 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
SITE=$TMP/site          # never created: no site there
OUT=$TMP/out
ERR=$TMP/err
unset KEFU_DIR

. "$(dirname "$0")/lib/kefuctl_checks.sh"

# usage ARGS...: a usage error, checked without and with --json.
usage() {
    expect 2 --dir "$SITE" "$@" && failure_shape usage 0 "$@"
    expect 2 --dir "$SITE" --json "$@" && failure_shape usage 1 --json "$@"
}

# usage_says TEXT ARGS...: a usage error whose line contains TEXT.
usage_says() {
    text=$1
    shift
    usage "$@"
    expect 2 --dir "$SITE" "$@" && { grep -qF -- "$text" "$ERR" || fail "kefuctl $*: stderr does not say '$text'"; }
}

# unreachable ARGS...: exit 3, code "unavailable", without and with --json.
unreachable() {
    expect 3 "$@" && failure_shape unavailable 0 "$@"
    expect 3 --json "$@" && failure_shape unavailable 1 --json "$@"
}

has() {
    grep -q -- "$1" "$OUT" || fail "$2"
}

# ---- help ------------------------------------------------------------------
COMMANDS='customer add|customer update|customer show|customer list|order add|order show|order list|complaint open|complaint reply|complaint handoff|complaint evidence|complaint resolve|complaint followup|complaint cause|complaint request|complaint offer|complaint confirm|complaint reopen|complaint handoff-answer|complaint report|complaint show|complaints analysis|complaints|aftersales open|aftersales step|aftersales show|aftersales list|consult|consultations'
if expect 0 --help; then
    IFS='|'
    for cmd in $COMMANDS; do
        has "^  $cmd" "--help does not list '$cmd'"
    done
    unset IFS
fi
IFS='|'
for cmd in $COMMANDS; do
    unset IFS
    # shellcheck disable=SC2086 # split the two-word commands on purpose
    expect 0 $cmd --help && has "^usage: kefuctl .*$cmd" "$cmd --help: no usage line"
    IFS='|'
done
unset IFS
expect 0 complaint --help && has followup "complaint --help lists no followup"
expect 0 aftersales --help && has step "aftersales --help lists no step"
expect 0 help complaints analysis && has "--week" "help complaints analysis: no --week"

# ---- usage errors (exit 2) -------------------------------------------------
# missing --by, wherever a staff member acts
usage_says "missing --by" complaint open --customer C1 --kind colour --complexity simple
usage_says "missing --by" complaint reply K-1 --text hello
usage_says "missing --by" complaint resolve K-1 --outcome rework
usage_says "missing --by" complaint handoff K-1 --to production
usage_says "missing --by" complaint evidence K-1 --kind photo --text "torn box"
usage_says "missing --by" complaint followup K-1 --satisfaction 4
usage_says "missing --by" complaint cause K-1 --cause carrier
usage_says "missing --by" complaint request K-1 --text "a reprint"
usage_says "missing --by" complaint offer K-1 --text "a reprint"
usage_says "missing --by" complaint confirm K-1 --solution 1
usage_says "missing --by" complaint reopen K-1
usage_says "missing --by" complaint handoff-answer K-1
usage_says "missing --cause" complaint cause K-1 --by alice
usage_says "bad --cause" complaint open --customer C1 --kind colour --complexity simple --by alice --cause lab
usage_says "missing --text" complaint request K-1 --by alice
usage_says "missing --text" complaint offer K-1 --by alice
usage_says "missing --solution" complaint confirm K-1 --by alice
usage complaint confirm K-1 --solution 0 --by alice
usage_says "missing --by" aftersales open O-1 --kind refund
usage_says "missing --by" aftersales step A-1 received
usage_says "missing --by" consult --customer C1 --question q --answer a
usage complaint open --customer C1 --kind colour --complexity simple --by ''
# other required options and operands
usage_says "missing --customer" complaint open --kind colour --complexity simple --by alice
usage_says "missing --kind" complaint open --customer C1 --complexity simple --by alice
usage_says "missing --complexity" complaint open --customer C1 --kind colour --by alice
usage_says "missing --outcome" complaint resolve K-1 --by alice
usage_says "missing --to" complaint handoff K-1 --by alice
usage_says "missing --text" complaint evidence K-1 --by alice --kind photo
usage_says "missing --satisfaction" complaint followup K-1 --by alice
usage_says "missing --name" customer add C1 --tier key
usage_says "missing --tier" customer add C1 --name "Bright Studio"
usage_says "missing ID" customer add --name n --tier key
usage_says "missing --qty" order add --customer C1 --product print
usage_says "missing --kind" aftersales open O-1 --by alice
usage_says "missing STATE" aftersales step A-1 --by alice
usage_says "missing ORDER" aftersales open --kind refund --by alice
usage_says "give --answer T, --refer DEPARTMENT or --callback-by TIME" consult --customer C1 --by alice --question q
usage_says "bad --callback-by '3pm'" consult --customer C1 --by alice --question q --callback-by 3pm
usage_says "give --customer ID or --prospect WHO" consult --by alice --question q --answer a
usage_says "missing ID" complaint show
usage_says "missing ID" complaint reply --by alice
usage_says "nothing to change" customer update C1
usage complaint show K-1 K-2
usage customer list extra
usage complaints extra
usage complaint open --customer C1 --kind colour --complexity simple --by alice --bogus
usage complaint reply K-1 --by
# enum values: a bad one names every accepted one
usage_says "one of colour, damage, missing, quality, service, delay" \
    complaint open --customer C1 --kind blue --complexity simple --by alice
usage_says "one of simple, complex" \
    complaint open --customer C1 --kind colour --complexity hard --by alice
usage_says "one of general, major" \
    complaint open --customer C1 --kind colour --complexity simple --severity huge --by alice
usage_says "one of phone, counter, letter, im, email" \
    complaint open --customer C1 --kind colour --complexity simple --by alice --channel fax
usage_says "one of rework, reissue, refund, exchange, compensate, explained, carrier-claim, declined" \
    complaint resolve K-1 --by alice --outcome carrier_claim
usage_says "one of chat-log, photo, statement, site-check, other" \
    complaint evidence K-1 --by alice --kind video --text x
usage_says "one of key, special, general" customer add C1 --name n --tier vip
usage_says "one of key, special, general" customer list --tier KEY
usage_says "one of print, album, crystal, frame" order add --customer C1 --product mug --qty 1
usage_says "one of open, replied, resolved, closed" complaints --state unset
usage_says "--kind needs a value" complaints --kind ''
usage_says "one of refund, exchange, trace, extend-receipt, damage, replenish, return, rights-claim" \
    aftersales open O-1 --kind repair --by alice
usage_says "one of received, confirmed, refunded, exchanged, rejected, approved, done" \
    aftersales step A-1 open --by alice
usage_says "one of bank, balance, gift-card, alipay" \
    aftersales step A-1 refunded --by alice --method cash
usage_says "--method goes with" aftersales step A-1 received --by alice --method bank
usage_says "--amount goes with" aftersales step A-1 received --by alice --amount 1
usage_says "bad --amount '128.505'" aftersales step A-1 refunded --by alice --method bank --amount 128.505
usage_says "bad --amount '-3'" aftersales step A-1 refunded --by alice --method bank --amount -3
# durations, numbers, times, periods
usage_says "bad --commit '2x'" complaint reply K-1 --by alice --commit 2x
usage complaint reply K-1 --by alice --commit 0s
usage complaint reply K-1 --by alice --commit -- -1h
usage_says "bad --due" complaint handoff K-1 --by alice --to production --due soon
usage_says "bad --qty" order add --customer C1 --product print --qty 0
usage order add --customer C1 --product print --qty -3
usage order add --customer C1 --product print --qty 12abc
usage order add --customer C1 --product print --qty 1 --batches 0
usage_says "from 1 to 5" complaint followup K-1 --by alice --satisfaction 6
usage complaint followup K-1 --by alice --satisfaction 0
usage_says "bad --limit" complaints --limit 0
usage_says "bad --from" complaints --from yesterday
usage complaints --to 2026-11-23
usage_says "--from must be before --to" \
    complaints --from 2026-11-23T00:00:00+08:00 --to 2026-11-22T00:00:00+08:00
usage_says "exclude each other" complaints --queries --complaints
usage consultations --from 2026-11-23T09:00:00
usage_says "bad --month '2026-13'" complaints analysis --month 2026-13
usage complaints analysis --month 2026-1
usage complaints analysis --month 2026-11-01
usage complaints analysis --month 1969-12
usage_says "bad --week" complaints analysis --week 2026-02-29
usage complaints analysis --week 2026-11
usage complaints analysis --week 2026-11-23x
usage_says "bad --week '2025-W53'" complaints analysis --week 2025-W53   # 2025 has 52 weeks
usage_says "or an ISO week like 2026-W48" complaints analysis --week 2026-W00
usage complaints analysis --week 2026-W4
usage_says "give the period" complaints analysis
usage_says "give only one form" complaints analysis --week 2026-11-23 --month 2026-11
usage_says "give only one form" complaints analysis --from 2026-11-01T00:00:00Z --month 2026-11
usage_says "--from and --to go together" complaints analysis --from 2026-11-01T00:00:00Z
usage complaints analysis --from 2026-11-02T00:00:00Z --to 2026-11-01T00:00:00Z
usage complaints analysis --from 2026-11-01 --to 2026-11-08
usage --request-id '' complaint reply K-1 --by alice

# ---- unreachable site (exit 3) ---------------------------------------------
unreachable --dir "$SITE" customer add C1 --name "Bright Studio" --tier key --phone 123
unreachable --dir "$SITE" customer update C1 --tier general
unreachable --dir "$SITE" customer show C1
unreachable --dir "$SITE" customer list --tier key
unreachable --dir "$SITE" order add --customer C1 --product album --qty 2 --id O-1
unreachable --dir "$SITE" order show O-1
unreachable --dir "$SITE" order list --customer C1
unreachable --dir "$SITE" complaint open --customer C1 --order O-1 --kind damage \
    --complexity complex --severity major --by alice --channel im --text "box crushed"
unreachable --dir "$SITE" complaint open --customer C1 --kind delay --complexity simple \
    --by alice --query
unreachable --dir "$SITE" --request-id r-1 complaint reply K-1 --by alice --commit 4h
unreachable --dir "$SITE" complaint handoff K-1 --by alice --to production --due 2h
unreachable --dir "$SITE" complaint evidence K-1 --by alice --kind site-check --text x
unreachable --dir "$SITE" complaint resolve K-1 --by alice --outcome carrier-claim
unreachable --dir "$SITE" complaint followup K-1 --by alice --satisfaction 5
unreachable --dir "$SITE" complaint show K-1
unreachable --dir "$SITE" complaints --state open --queries --limit 10
unreachable --dir "$SITE" complaints analysis --week 2026-11-23
unreachable --dir "$SITE" complaints analysis --month 2026-11
unreachable --dir "$SITE" aftersales open O-1 --kind exchange --by alice --reason torn
unreachable --dir "$SITE" aftersales step A-1 refunded --by alice --method gift-card
unreachable --dir "$SITE" aftersales show A-1
unreachable --dir "$SITE" aftersales list --order O-1
unreachable --dir "$SITE" consult --customer C1 --by alice --question q --answer a
unreachable --dir "$SITE" consultations --by alice
# global flags after the command work the same
unreachable complaint show K-1 --dir "$SITE"
expect 3 --dir "$SITE" complaint show K-1 && grep -q "intake" "$ERR" ||
    fail "complaint show on no site: the message does not name intake"

# ---- a stand-in daemon -----------------------------------------------------
# fake_daemon as "intake" refuses intake requests with ERR_UNSUPPORTED:
# the refusal is exit 1 with the daemon's code.
if [ -x "$FAKE" ]; then
    LIVE=$TMP/live
    mkdir -p "$LIVE/run"
    "$FAKE" --name intake --dir "$LIVE" 2>"$TMP/fake.log" &
    fake_pid=$!
    i=0
    while [ ! -e "$LIVE/run/intake.ctl" ] && [ $i -lt 100 ]; do
        sleep 0.05
        i=$((i + 1))
    done
    for args in "complaint show K-1" "customer list" "complaints analysis --month 2026-11"; do
        # shellcheck disable=SC2086
        expect 1 --dir "$LIVE" $args && failure_shape unsupported 0 $args
        # shellcheck disable=SC2086
        expect 1 --dir "$LIVE" --json $args && failure_shape unsupported 1 --json $args
    done
    # usage errors still win over a live daemon
    usage_says "missing --by" --dir "$LIVE" complaint reply K-1
    kill "$fake_pid" 2>/dev/null
    wait "$fake_pid" 2>/dev/null
    fake_pid=

    # a daemon that never answers: exit 3 after --timeout
    FAKE_DAEMON_MUTE=intake "$FAKE" --name intake --dir "$LIVE" 2>"$TMP/fake.log" &
    fake_pid=$!
    i=0
    while [ ! -e "$LIVE/run/intake.ctl" ] && [ $i -lt 100 ]; do
        sleep 0.05
        i=$((i + 1))
    done
    unreachable --dir "$LIVE" --timeout 200ms complaint show K-1
    kill "$fake_pid" 2>/dev/null
    wait "$fake_pid" 2>/dev/null
    fake_pid=
else
    echo "test_kefuctl_intake_cli: no $FAKE; stand-in daemon checks skipped" >&2
fi

echo "test_kefuctl_intake_cli: $checks checks, $failures failed"
[ "$failures" -eq 0 ]
