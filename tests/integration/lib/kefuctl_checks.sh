# lib/kefuctl_checks.sh: the checks the kefuctl command-line tests share
# (sourced, not run: the test runner runs only tests/integration/*.sh).
# Needs KEFUCTL, OUT and ERR set by the sourcing script.

failures=0
checks=0

fail() {
    echo "FAIL: $*" >&2
    echo "  stdout: $(cat "$OUT")" >&2
    echo "  stderr: $(cat "$ERR")" >&2
    failures=$((failures + 1))
}

# expect CODE ARGS...: runs kefuctl ARGS and checks its exit status.
expect() {
    want=$1
    shift
    checks=$((checks + 1))
    "$KEFUCTL" "$@" >"$OUT" 2>"$ERR"
    got=$?
    if [ "$got" -ne "$want" ]; then
        fail "kefuctl $*: exit $got, want $want"
        return 1
    fi
    return 0
}

# A failure's shape: stderr one line "kefuctl: CODE: ..."; stdout empty
# without --json (json=0), one error object with --json (json=1).
failure_shape() {
    code=$1 json=$2
    shift 2
    if [ "$(wc -l <"$ERR")" -ne 1 ] || ! grep -q "^kefuctl: $code: ." "$ERR"; then
        fail "kefuctl $*: stderr is not one 'kefuctl: $code: ...' line"
        return
    fi
    if [ "$json" = 1 ]; then
        if [ "$(wc -l <"$OUT")" -ne 1 ] ||
            ! grep -Eq "^\{\"error\":\{\"code\":\"$code\",\"message\":\"[^\"]+.*\"\}\}\$" "$OUT"; then
            fail "kefuctl $*: stdout is not one {\"error\":{\"code\":\"$code\",...}} line"
        fi
    elif [ -s "$OUT" ]; then
        fail "kefuctl $*: a failure printed on stdout without --json"
    fi
}

