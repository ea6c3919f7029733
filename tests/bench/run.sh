#!/bin/sh
# tests/bench/run.sh: `make bench`. Prints one line per figure,
# "name: value unit" (contract.md "Build, test, benchmark").
#
# Runs the log daemon alone for the log's figures (bench_evlog.c says what
# each means), then a whole site with `kefu up` for intake's, then measures the peer a user would otherwise pick, in the same run and
# on the same disk: Redis 7 Streams with appendfsync always, 8 clients
# pipelining 64 XADDs of a 100-byte value (peer.redis_xadd_always).
#
# Environment: BUILD (build folder), BENCH_TOTAL (events for the durable
# run, default 800000).
set -eu
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$(pwd)/$BUILD ;; esac
TOTAL=${BENCH_TOTAL:-800000}
D=$(mktemp -d /tmp/kefu-bench.XXXXXX)
R=""
cleanup() {
    if [ -n "${KEFU_PID:-}" ]; then kill -TERM "$KEFU_PID" 2>/dev/null || true; wait "$KEFU_PID" 2>/dev/null || true; fi
    if [ -n "$R" ] && [ -f "$R/port" ]; then
        redis-cli -p "$(cat "$R/port")" shutdown nosave >/dev/null 2>&1 || true
    fi
    rm -rf "$D" "$D.up.log" ${R:+"$R"}
}
trap cleanup EXIT INT TERM

# start_site DIR: `kefu up` in the foreground, backgrounded by this shell,
# rather than --detach: a detached site is a new session, and with the
# kernel's autogroup scheduling a client in another session wakes it
# measurably later (~100 us here), which is the scheduler's figure, not
# the log's. Sets KEFU_PID.
start_site() {
    "$BUILD/bin/kefu" up --dir "$1" > "$D.up.log" 2>&1 &
    KEFU_PID=$!
    wait_up "$1"
}
# wait_up DIR: until some daemon of the site in DIR answers.
wait_up() {
    i=0
    until "$BUILD/bin/kefuctl" --dir "$1" status >/dev/null 2>&1; do
        i=$((i + 1)); [ $i -gt 200 ] && { echo "bench: the site did not start" >&2; cat "$D.up.log" >&2; exit 1; }
        sleep 0.05
    done
}
stop_site() {
    kill -TERM "$KEFU_PID"
    wait "$KEFU_PID" || true
    KEFU_PID=""
}

# The log's figures on the log alone: its own daemon, as a systemd unit
# runs it, so what the other daemons do with the events (intake applies
# each batch to its LMDB store, one fdatasync more per batch) is not
# counted against the log.
"$BUILD/bin/kefu-evlog" --dir "$D/log" > "$D.up.log" 2>&1 &
KEFU_PID=$!
wait_up "$D/log"
"$BUILD/tests/bench_evlog" --dir "$D/log" --total "$TOTAL"
stop_site

# Intake's figures on a whole site: intake.commands, then
# intake.mixed_commands with 5% register queries at 70,000 cases.
start_site "$D/site"
"$BUILD/tests/bench_intake" --dir "$D/site"
# The site stops before the peer runs, so neither disturbs the other.
stop_site

if command -v redis-server >/dev/null 2>&1 && command -v redis-benchmark >/dev/null 2>&1; then
    R=$(mktemp -d /tmp/kefu-redis.XXXXXX)
    port=$(shuf -i 20000-29999 -n 1)
    echo "$port" > "$R/port"
    redis-server --port "$port" --bind 127.0.0.1 --dir "$R" --appendonly yes \
        --appendfsync always --save "" --daemonize yes --logfile "$R/redis.log" >/dev/null
    i=0
    until redis-cli -p "$port" ping >/dev/null 2>&1; do
        i=$((i + 1)); [ $i -gt 100 ] && { echo "bench: redis did not start" >&2; exit 1; }
        sleep 0.05
    done
    value=$(printf '%0100d' 0)
    rps=$(redis-benchmark -p "$port" -c 8 -P 64 -n 400000 --csv \
              XADD kefu:bench '*' f "$value" | tail -n 1 | cut -d, -f2 | tr -d '"')
    printf 'peer.redis_xadd_always: %.0f events/s\n' "$rps"
else
    echo "bench: redis-server or redis-benchmark missing; no peer figure (deploy/install-deps.sh installs them)" >&2
fi
