#!/bin/sh
# tests/bench/run.sh: `make bench`. Prints one line per figure,
# "name: value unit" (contract.md "Build, test, benchmark").
#
# Starts a site with `kefu up` in a temporary directory, runs the
# log benchmarks against it (bench_evlog.c says what each figure means),
# then measures the peer a user would otherwise pick, in the same run and
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

# In the foreground (backgrounded by this shell) rather than --detach:
# a detached site is a new session, and with the kernel's autogroup
# scheduling a client in another session wakes it measurably later
# (~100 us on this machine), which is the scheduler's figure, not the log's.
"$BUILD/bin/kefu" up --dir "$D" > "$D.up.log" 2>&1 &
KEFU_PID=$!
i=0
until "$BUILD/bin/kefuctl" --dir "$D" status >/dev/null 2>&1; do
    i=$((i + 1)); [ $i -gt 200 ] && { echo "bench: the site did not start" >&2; cat "$D.up.log" >&2; exit 1; }
    sleep 0.05
done
"$BUILD/tests/bench_evlog" --dir "$D" --total "$TOTAL"
"$BUILD/tests/bench_intake" --dir "$D"

# The site stops before the peer runs, so neither disturbs the other.
kill -TERM "$KEFU_PID"
wait "$KEFU_PID" || true
KEFU_PID=""

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
