#!/bin/sh
# test_kefuctl_cli.sh: kefuctl's command line against no site at all.
#
# What holds before any daemon runs (shared/contract.md, kefuctl): help
# exits 0, usage errors exit 2, a site that is not there exits 3; every
# failure is one line on stderr ("kefuctl: CODE: message") and, with
# --json, exactly one {"error":{"code":...,"message":...}} line on stdout.
# Tests against live daemons live in other scripts.
#
# POSIX sh, no tools beyond grep/wc: run as `BUILD=build sh
# tests/integration/test_kefuctl_cli.sh`; exits 0 when every check passes.

set -u
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$PWD/$BUILD ;; esac
KEFUCTL=$BUILD/bin/kefuctl
[ -x "$KEFUCTL" ] || { echo "test_kefuctl_cli: no $KEFUCTL (run make)" >&2; exit 1; }

# A short temp path: ipc socket paths must stay under 107 bytes.
TMP=$(mktemp -d /tmp/kefuctl-cli.XXXXXX) || exit 1
trap 'rm -rf "$TMP"' EXIT
trap 'exit 1' INT TERM
SITE=$TMP/site          # never created: no site there
OUT=$TMP/out
ERR=$TMP/err
unset KEFU_DIR

. "$(dirname "$0")/lib/kefuctl_checks.sh"

# usage ARGS...: a usage error, checked without and with --json.
usage() {
    expect 2 "$@" && failure_shape usage 0 "$@"
    expect 2 --json "$@" && failure_shape usage 1 --json "$@"
}

# unreachable ARGS...: exit 3, code "unavailable", without and with --json.
unreachable() {
    expect 3 "$@" && failure_shape unavailable 0 "$@"
    expect 3 --json "$@" && failure_shape unavailable 1 --json "$@"
}

# ---- help ------------------------------------------------------------------
# has PATTERN WHAT: the last stdout matches PATTERN, else fails with WHAT.
has() {
    grep -q -- "$1" "$OUT" || fail "$2"
}

if expect 0 --help; then
    has '^usage: kefuctl ' "--help: no usage line"
    for cmd in status sync 'clock advance' 'log tail'; do
        has "^  $cmd" "--help does not list '$cmd'"
    done
fi
expect 0 -h
expect 0 help
for cmd in status sync 'clock advance' 'log tail'; do
    # shellcheck disable=SC2086 # split the two-word commands on purpose
    expect 0 $cmd --help && has "^usage: kefuctl .*$cmd" "$cmd --help: no usage line"
    # shellcheck disable=SC2086
    expect 0 help $cmd && has "^usage: kefuctl .*$cmd" "help $cmd: no usage line"
done
expect 0 clock --help && has advance "clock --help lists no advance"
expect 0 log --help && has tail "log --help lists no tail"
# help goes to stdout, with nothing on stderr, --json or not
if expect 0 --json status --help && [ -s "$ERR" ]; then
    fail "status --help wrote to stderr"
fi

# ---- usage errors (exit 2) -------------------------------------------------
usage                                       # no command
usage nosuchcommand
usage --dir "$SITE" nosuchcommand
usage --bogus status
usage --dir                                 # flag without its value
usage --timeout 5x status
usage --timeout 0s status
usage --request-id '' clock advance 1h
usage status extra
usage sync extra
usage --dir "$SITE" status --bogus
usage clock                                 # group without subcommand
usage clock rewind 1h
usage --dir "$SITE" clock advance           # missing DUR
usage --dir "$SITE" clock advance 2x
usage --dir "$SITE" clock advance -- -1h
usage --dir "$SITE" clock advance 0s
usage --dir "$SITE" clock advance 1h 2h
usage log
usage --dir "$SITE" log tail --from
usage --dir "$SITE" log tail --from -3
usage --dir "$SITE" log tail --from 12abc
usage --dir "$SITE" log tail extra
usage --dir "$SITE" log tail --bogus
# --json found after the error still shapes it
expect 2 --bogus --json status && failure_shape usage 1 --bogus --json status

# ---- unreachable site (exit 3) ---------------------------------------------
unreachable --dir "$SITE" status
unreachable --dir "$SITE" sync
unreachable --dir "$SITE" clock advance 2h
unreachable --dir "$SITE" --request-id r-1 clock advance 90s
unreachable --dir "$SITE" log tail
unreachable --dir "$SITE" log tail --from 5
unreachable --dir "$SITE" log tail --follow
# global flags after the command work the same
unreachable status --dir "$SITE"
unreachable clock advance 1h30m --dir="$SITE"
# KEFU_DIR, and the default ./var
checks=$((checks + 1))
KEFU_DIR=$SITE "$KEFUCTL" --json status >"$OUT" 2>"$ERR"
rc=$?
if [ $rc -ne 3 ] || ! grep -q "$SITE" "$OUT"; then
    fail "KEFU_DIR=$SITE status: exit $rc, want 3 naming $SITE"
fi
checks=$((checks + 1))
(cd "$TMP" && "$KEFUCTL" status >"$OUT" 2>"$ERR")
rc=$?
if [ $rc -ne 3 ] || ! grep -q "$TMP/var" "$ERR"; then
    fail "status in $TMP: exit $rc, want 3 naming ./var"
fi

# A stale socket file (a daemon that crashed) is waited for, then exit 3.
mkdir -p "$TMP/stale/run"
: >"$TMP/stale/run/evlog.ctl"
unreachable --dir "$TMP/stale" --timeout 200ms status
unreachable --dir "$TMP/stale" --timeout 200ms clock advance 1h

# ---- the escalation kinds README lists are the protocol's -----------------------
# kefuctl refuses an unknown --kind listing every EscalationKind from the
# descriptor (sla.proto, the one list); README's `escalations` row names
# each kind sla raises: the same, but short-shipment-open (dispatch's,
# roadmap 4: nothing raises it yet). A kind added to the enum and not to
# README, or the other way, fails here.
README=$(dirname "$0")/../../README.md
if expect 2 escalations --kind nope; then
    proto=$(sed -n 's/.*: one of \(.*\) (see .*/\1/p' "$ERR" | tr ',' '\n' | tr -d ' ' |
        grep -vx 'short-shipment-open' | sort | tr '\n' ' ')
    docs=$(grep '^| `escalations \[--open\]' "$README" | sed -n 's/.*`kind` (\([^)]*\)).*/\1/p' |
        tr ',' '\n' | tr -d '` ' | sort | tr '\n' ' ')
    checks=$((checks + 1))
    [ -n "$proto" ] && [ "$proto" = "$docs" ] ||
        fail "README's escalation kinds '$docs' are not the protocol's '$proto'"
fi

echo "test_kefuctl_cli: $checks checks, $failures failed"
[ "$failures" -eq 0 ]
