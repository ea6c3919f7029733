#!/bin/bash
# test_kefu_updown.sh: `kefu up` / `kefu down` as a user runs them
# (shared/contract.md "Starting and stopping").
#
# Starts a site with --detach in a fresh temp dir; checks a second start
# is refused, so is a second instance of one daemon (exit 3), a daemon
# killed with -9 is restarted (a new pid answers), `kefu down` returns
# with every process and socket file gone, Ctrl-C (SIGINT) and SIGTERM
# stop a foreground site, and bad flags or configuration exit 2 without
# starting anything.
#
# Daemons: the real build/bin/kefu-NAME where it exists (it answers
# --help with the daemon flags), else build/tests/fake_daemon under that
# name, found through KEFU_LIBEXEC pointing at a directory of symlinks.
# Checks that need the fake's knobs (FAKE_DAEMON_FAIL, its argument log)
# run only when a daemon is faked. KEFU_TEST_FAKE=1 fakes them all.
#
# Everything binds ipc:// under the temp dir; the EXIT trap stops what we
# started and removes the dir. Run: BUILD=build bash tests/integration/test_kefu_updown.sh

set -u
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$PWD/$BUILD ;; esac
KEFU=$BUILD/bin/kefu
FAKE=$BUILD/tests/fake_daemon
for f in "$KEFU" "$FAKE"; do
    [ -x "$f" ] || { echo "test_kefu_updown: no $f (run make)" >&2; exit 1; }
done
unset KEFU_DIR

# A short temp path: ipc socket paths must stay under 107 bytes.
TMP=$(mktemp -d /tmp/kefu-updown.XXXXXX) || exit 1
SITE=$TMP/site
LIB=$TMP/lib
OUT=$TMP/out
ERR=$TMP/err
FG_PID=

# Any process still running with our temp dir in its command line is
# ours (supervisors and daemons get --dir $TMP/...): nothing may survive.
s_leftovers() {
    pgrep -f -- "$TMP/" || true
}

cleanup() {
    trap - EXIT INT TERM
    for site in "$TMP"/*/; do
        [ -f "$site/run/kefu.pid" ] && "$KEFU" down --dir "$site" >/dev/null 2>&1
    done
    [ -n "$FG_PID" ] && kill -TERM "$FG_PID" 2>/dev/null && wait "$FG_PID" 2>/dev/null
    for pid in $(s_leftovers); do
        kill -9 "$pid" 2>/dev/null
    done
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

failures=0
fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}
# fail_err MSG: a failure about kefu's last run; shows its stderr.
fail_err() {
    fail "$@"
    [ -s "$ERR" ] && sed 's/^/  stderr: /' "$ERR" >&2
}

# expect CODE ARGS...: runs kefu ARGS (stdout $OUT, stderr $ERR) and
# checks its exit status.
expect() {
    local want=$1
    shift
    KEFU_LIBEXEC=$LIB "$KEFU" "$@" >"$OUT" 2>"$ERR"
    local got=$?
    if [ "$got" -ne "$want" ]; then
        fail_err "kefu $*: exit $got, want $want"
        return 1
    fi
    return 0
}

# True when pid is a live process (a zombie has exited).
alive() {
    local st
    st=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
    case $st in Z*) return 1 ;; esac
    return 0
}

# status_pid SITE NAME: the pid daemon NAME answers with, or fails.
status_pid() {
    local line
    line=$("$FAKE" status --dir "$1" "$2" --timeout 2000 2>/dev/null) || return 1
    line=${line#pid=}
    echo "${line%% *}"
}

# wait_answer SITE NAME SECS [OLDPID]: waits until NAME answers (with a
# pid other than OLDPID); prints the pid.
wait_answer() {
    local deadline=$((SECONDS + $3)) pid
    while [ "$SECONDS" -lt "$deadline" ]; do
        if pid=$(status_pid "$1" "$2") && [ "$pid" != "${4:-}" ]; then
            echo "$pid"
            return 0
        fi
        sleep 0.1
    done
    return 1
}

# wait_gone PID SECS
wait_gone() {
    local deadline=$((SECONDS + $2))
    while alive "$1"; do
        [ "$SECONDS" -lt "$deadline" ] || return 1
        sleep 0.1
    done
    return 0
}

# ---- the daemons: real where built, fake otherwise ------------------------
mapfile -t DAEMONS < <("$KEFU" daemons)
[ "${#DAEMONS[@]}" -gt 0 ] || { echo "FAIL: kefu daemons lists nothing" >&2; exit 1; }
mkdir -p "$LIB"
FAKED=()
for name in "${DAEMONS[@]}"; do
    real=$BUILD/bin/kefu-$name
    if [ "${KEFU_TEST_FAKE:-0}" != 1 ] && [ -x "$real" ] && "$real" --help 2>&1 | grep -q -- '--dir'; then
        ln -s "$real" "$LIB/kefu-$name"
    else
        ln -s "$FAKE" "$LIB/kefu-$name"
        FAKED+=("$name")
    fi
done
echo "daemons: ${DAEMONS[*]} (faked: ${FAKED[*]:-none})"

# ---- usage and configuration errors: exit 2, nothing started -------------
expect 2
expect 2 frobnicate
expect 0 --help && { grep -q KEFU_LIBEXEC "$OUT" || fail "kefu --help does not document KEFU_LIBEXEC"; }
expect 0 up --help && { grep -q -- --sim-clock "$OUT" || fail "kefu up --help lacks --sim-clock"; }
expect 0 down --help
expect 2 up --no-such-flag
expect 2 up --dir
expect 2 down --dir "$TMP/bad" extra

BAD=$TMP/bad
if expect 2 up --detach --dir "$BAD" --set sched.no_such_key=1; then
    [ "$(wc -l <"$ERR")" -eq 1 ] && grep -q 'no_such_key' "$ERR" \
        || fail_err "bad --set: stderr is not one line naming the key"
fi
expect 2 up --detach --dir "$BAD" --set sched.daily_capacity=lots
expect 2 up --detach --dir "$BAD" --set nonsense
expect 2 up --detach --dir "$BAD" --sim-clock tomorrow
expect 2 up --detach --dir "$BAD" --config "$TMP/no-such.ini"
[ -e "$BAD/run/kefu.pid" ] && fail "a refused start left $BAD/run/kefu.pid"
[ -z "$(s_leftovers)" ] || fail "a refused start left processes: $(s_leftovers)"

# ---- kefu up --detach ----------------------------------------------------
START=2026-11-23T09:00:00+08:00
START_US=$(( $(date -d "$START" +%s) * 1000000 ))
if expect 0 up --detach --dir "$SITE" --set sched.daily_capacity=100 --sim-clock "$START"; then
    [ -s "$OUT" ] || [ -s "$ERR" ] && fail "kefu up --detach printed something on success"
fi
SUP=$(cat "$SITE/run/kefu.pid" 2>/dev/null)
[ -n "$SUP" ] && alive "$SUP" || fail "no live supervisor in $SITE/run/kefu.pid"

declare -A PIDS
for name in "${DAEMONS[@]}"; do
    # --detach returned: every daemon must answer now, without waiting
    if PIDS[$name]=$(status_pid "$SITE" "$name"); then
        :
    else
        fail "$name does not answer right after kefu up --detach"
    fi
done
for name in "${FAKED[@]}"; do
    grep -q -- "--dir $SITE --set sched.daily_capacity=100" "$SITE/log/$name.log" \
        || fail "$name was not given --dir and --set (see $SITE/log/$name.log)"
    line=$("$FAKE" status --dir "$SITE" "$name" 2>/dev/null)
    [ "$line" = "pid=${PIDS[$name]} sim=1 now=$START_US" ] \
        || fail "$name's site clock: '$line', want sim=1 now=$START_US"
done

# ---- a second start is refused ---------------------------------------------
if expect 1 up --detach --dir "$SITE"; then
    grep -q "a site is already running in $SITE (pid $SUP)" "$ERR" \
        || fail_err "second start: stderr does not say a site runs (pid $SUP)"
fi
expect 1 up --dir "$SITE"
for name in "${DAEMONS[@]}"; do
    [ "$(status_pid "$SITE" "$name")" = "${PIDS[$name]}" ] \
        || fail "$name changed after a refused second start"
done

# ---- a second instance of one daemon is refused (real daemons only) -------
# Each daemon holds DIR/run/NAME.lock: a kefu-NAME started by hand on a
# live site exits 3 at once, naming the pid that runs, and the site's own
# instance keeps its sockets.
for name in "${DAEMONS[@]}"; do
    case " ${FAKED[*]:-} " in *" $name "*) continue ;; esac
    timeout 10 "$BUILD/bin/kefu-$name" --dir "$SITE" >"$OUT" 2>"$ERR"
    rc=$?
    [ "$rc" -eq 3 ] || fail_err "a second kefu-$name on a live site: exit $rc, want 3"
    grep -q "another kefu-$name (pid ${PIDS[$name]}) already runs for the site $SITE" "$ERR" \
        || fail_err "a second kefu-$name: stderr does not name the running pid ${PIDS[$name]}"
    [ "$(status_pid "$SITE" "$name")" = "${PIDS[$name]}" ] \
        || fail "$name does not answer from pid ${PIDS[$name]} after a second instance was refused"
done

# ---- a daemon killed with -9 comes back ------------------------------------
VICTIM=${DAEMONS[${#DAEMONS[@]} - 1]}
OLD=${PIDS[$VICTIM]}
if [ -n "$OLD" ]; then
    kill -9 "$OLD"
    if NEW=$(wait_answer "$SITE" "$VICTIM" 15 "$OLD"); then
        PIDS[$VICTIM]=$NEW
        alive "$OLD" && fail "$VICTIM's old pid $OLD still runs"
        grep -q "$VICTIM (pid $OLD) was killed by signal 9" "$SITE/log/kefu.log" \
            || fail "kefu.log does not record $VICTIM's death"
    else
        fail "$VICTIM was not restarted within 15 s after kill -9"
    fi
fi
alive "$SUP" || fail "the supervisor died with its daemon"

# ---- kefu down --------------------------------------------------------------
if expect 0 down --dir "$SITE"; then
    alive "$SUP" && fail "kefu down returned while the supervisor $SUP runs"
    for name in "${DAEMONS[@]}"; do
        [ -n "${PIDS[$name]}" ] && alive "${PIDS[$name]}" \
            && fail "kefu down returned while $name (pid ${PIDS[$name]}) runs"
        status_pid "$SITE" "$name" >/dev/null && fail "$name still answers after kefu down"
    done
    [ -e "$SITE/run/kefu.pid" ] && fail "kefu down left $SITE/run/kefu.pid"
    # A daemon removes its socket files as it exits, so clients of a stopped
    # site find none to wait on.
    for name in "${DAEMONS[@]}"; do
        case " ${FAKED[*]:-} " in *" $name "*) continue ;; esac
        for f in "$SITE/run/$name".*; do
            [ -S "$f" ] && fail "kefu down left the socket $f"
        done
    done
fi
if expect 1 down --dir "$SITE"; then
    grep -q "no site is running in $SITE" "$ERR" || fail_err "second down: stderr does not say no site runs"
fi
[ -z "$(s_leftovers)" ] || fail "processes left after kefu down: $(s_leftovers)"

# ---- the foreground: SIGINT and SIGTERM stop the site ----------------------
for sig in INT TERM; do
    FG=$TMP/fg-$sig
    KEFU_LIBEXEC=$LIB "$KEFU" up --dir "$FG" >"$TMP/fg.out" 2>&1 &
    FG_PID=$!
    declare -A FGPIDS=()
    for name in "${DAEMONS[@]}"; do
        FGPIDS[$name]=$(wait_answer "$FG" "$name" 15) || fail "foreground: $name did not come up"
    done
    # A non-interactive shell starts background jobs with SIGINT ignored;
    # kefu must still stop on it (Ctrl-C in a terminal).
    kill -"$sig" "$FG_PID"
    wait "$FG_PID"
    rc=$?
    FG_PID=
    [ "$rc" -eq 0 ] || { fail "foreground kefu up: exit $rc after SIG$sig, want 0"; sed 's/^/  /' "$TMP/fg.out" >&2; }
    for name in "${DAEMONS[@]}"; do
        [ -n "${FGPIDS[$name]}" ] && alive "${FGPIDS[$name]}" \
            && fail "foreground: $name (pid ${FGPIDS[$name]}) outlived SIG$sig"
    done
    [ -e "$FG/run/kefu.pid" ] && fail "foreground: SIG$sig left $FG/run/kefu.pid"
done
[ -z "$(s_leftovers)" ] || fail "processes left after the foreground runs: $(s_leftovers)"

# ---- a daemon that can't start fails the start (fake daemons only) ---------
if [ "${#FAKED[@]}" -gt 0 ]; then
    BROKEN=${FAKED[${#FAKED[@]} - 1]}
    if FAKE_DAEMON_FAIL=$BROKEN expect 1 up --detach --dir "$TMP/broken"; then
        grep -q "$BROKEN exited with status 3" "$ERR" && grep -q "failing on purpose" "$ERR" \
            || fail_err "failed start: stderr does not name $BROKEN and show its log"
    fi
    [ -e "$TMP/broken/run/kefu.pid" ] && fail "failed start left its pid file"
    [ -z "$(s_leftovers)" ] || fail "failed start left processes: $(s_leftovers)"
fi

# ---- sanitizer reports (make san): the supervisor and daemons log to files
bad_logs=$(grep -lE 'ERROR: [A-Za-z]+Sanitizer|runtime error:' "$TMP"/*/log/*.log 2>/dev/null)
if [ -n "$bad_logs" ]; then
    fail "sanitizer reports in: $bad_logs"
    for f in $bad_logs; do sed 's/^/  /' "$f" >&2; done
fi

if [ "$failures" -ne 0 ]; then
    echo "test_kefu_updown: $failures check(s) failed" >&2
    exit 1
fi
echo "test_kefu_updown: all checks passed"
