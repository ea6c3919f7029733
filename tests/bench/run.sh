#!/bin/sh
# tests/bench/run.sh: `make bench`. Prints one line per figure,
# "name: value unit" (contract.md "Build, test, benchmark").
#
# Runs the log daemon alone for the log's figures (bench_evlog.c says what
# each means; bench_evlog_growth.c its start-up and memory on logs of 100k
# and 5M events), then the same durable appends into a site with five
# consumers following the log (site.append_durable: the site's business
# daemons and stand-in consumers up to five, tests/tools/evlog_sub --skip,
# each decoding every event and committing its position per batch in its
# own LMDB store, as a full site of five business daemons will with the
# bench's probe events, which every daemon skips as not its own), then a
# whole site with `kefu up` for intake's figures and the remote endpoint's
# (net.append_remote_p50 beside net.append_ipc_p50), then sched's (a site filled with orders and stage
# reports, then a fresh kefu-sched rebuilding its store from that log and
# answering the queue), then sla's (a fresh kefu-sla rebuilding obligations
# from a log, its RSS at a million open deadlines, how late escalations fire
# on the wall clock), then the peer a user would otherwise pick, in the same
# run and on the same disk: Redis 7 Streams with appendfsync always, 8
# clients pipelining 64 XADDs of a 100-byte value (peer.redis_xadd_always).
# Last, the ratios: site.append_durable over the log alone and over Redis,
# and the log's start-up at 5M events over its start-up at 100k.
#
# Environment: BUILD (build folder), BENCH_TOTAL (events for the durable
# runs, default 800000). KEFU_STORE_SYNC=1 makes every store sync each
# commit (store.h), the way consumers committed before, for comparison.
set -eu
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$(pwd)/$BUILD ;; esac
TOTAL=${BENCH_TOTAL:-800000}
D=$(mktemp -d /tmp/kefu-bench.XXXXXX)
R=""
SUBS=""
F="$D.figures"
cleanup() {
    for p in $SUBS; do kill -TERM "$p" 2>/dev/null || true; done
    if [ -n "${KEFU_PID:-}" ]; then kill -TERM "$KEFU_PID" 2>/dev/null || true; wait "$KEFU_PID" 2>/dev/null || true; fi
    if [ -n "$R" ] && [ -f "$R/port" ]; then
        redis-cli -p "$(cat "$R/port")" shutdown nosave >/dev/null 2>&1 || true
    fi
    rm -rf "$D" "$D.up.log" "$D.out" "$F" ${R:+"$R"}
}
trap cleanup EXIT INT TERM

# start_site DIR: `kefu up` in the foreground, backgrounded by this shell,
# rather than --detach: a detached site is a new session, and with the
# kernel's autogroup scheduling a client in another session wakes it
# measurably later (~100 us here), which is the scheduler's figure, not
# the log's. Sets KEFU_PID.
start_site() {
    dir=$1
    shift
    "$BUILD/bin/kefu" up --dir "$dir" "$@" > "$D.up.log" 2>&1 &
    KEFU_PID=$!
    wait_up "$dir"
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
# figures CMD...: runs a benchmark program, prints its figures and keeps
# them in $F for the ratios.
figures() {
    "$@" > "$D.out"
    cat "$D.out"
    cat "$D.out" >> "$F"
}
# figure NAME: a figure printed so far (empty if none).
figure() {
    sed -n "s/^$1: \([0-9.]*\) .*/\1/p" "$F" | tail -n 1
}

# The log's figures on the log alone: its own daemon, as a systemd unit
# runs it, so what the other daemons do with the events (intake applies
# each batch to its LMDB store, one fdatasync more per batch) is not
# counted against the log.
"$BUILD/bin/kefu-evlog" --dir "$D/log" > "$D.up.log" 2>&1 &
KEFU_PID=$!
wait_up "$D/log"
figures "$BUILD/tests/bench_evlog" --dir "$D/log" --total "$TOTAL"
stop_site

# How the log daemon's start-up and memory grow with the log
# (bench_evlog_growth.c): logs of 100k and 5M events of its own, each
# filled, the daemon killed (SIGKILL) and started again on it, then read
# whole by a catch-up (eventlog.startup_ms_*, eventlog.rss_mb_*).
figures "$BUILD/tests/bench_evlog_growth" --bin "$BUILD/bin/kefu-evlog" --dir "$D"

# The same durable appends into a site with five consumers: the site's
# business daemons (through `kefu up`, as a site runs: kefu-intake and
# kefu-sched today) and stand-ins up to five, each following the log
# live and committing every batch with its position.
start_site "$D/fan"
i=0
until "$BUILD/bin/kefuctl" --dir "$D/fan" sync >/dev/null 2>&1; do
    i=$((i + 1)); [ $i -gt 200 ] && { echo "bench: intake did not start" >&2; cat "$D.up.log" >&2; exit 1; }
    sleep 0.05
done
DAEMONS_UP=$("$BUILD/bin/kefuctl" --dir "$D/fan" --json status | jq '.daemons | length')
STANDINS=$((5 - (DAEMONS_UP - 1)))   # the log is no consumer
n=1
while [ "$n" -le "$STANDINS" ]; do
    "$BUILD/tests/evlog_sub" --dir "$D/fan" --store "$D/fan/standin-$n" --until never \
        --timeout 3600 --skip 2> "$D/fan/standin-$n.log" &
    SUBS="$SUBS $!"
    n=$((n + 1))
done
sleep 0.5   # their subscriptions are live
figures "$BUILD/tests/bench_evlog" --dir "$D/fan" --only durable --total "$TOTAL" \
    --name site.append_durable
for p in $SUBS; do kill -TERM "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
SUBS=""
stop_site

# Intake's figures on a whole site: intake.commands, then
# intake.mixed_commands with 5% register queries at 70,000 cases.
NET_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
start_site "$D/site" --set "net.listen=tcp://127.0.0.1:$NET_PORT"
figures "$BUILD/tests/bench_intake" --dir "$D/site"
# The remote endpoint's figure beside the ipc one (bench_net.c): one
# acknowledged command at a time, over CURVE on loopback TCP and over ipc.
"$BUILD/bin/kefuctl" --dir "$D/site" key new bench --role staff --out "$D/bench.key" >/dev/null
figures "$BUILD/tests/bench_net" --dir "$D/site" --endpoint "tcp://127.0.0.1:$NET_PORT" \
    --key "$D/bench.key"
# The site stops before the peer runs, so neither disturbs the other.
stop_site

# sched's figures (bench_sched.c says what each means). A site of its own
# gets 10,000 open print orders and 200,000 stage reports through intake's
# and sched's control sockets (sched.stage_commands); then, on the log
# daemon alone, a fresh kefu-sched rebuilds its store from that log
# (sched.queue_update) and answers the whole queue (sched.queue_ms).
start_site "$D/sched"
i=0
until "$BUILD/bin/kefuctl" --dir "$D/sched" sync >/dev/null 2>&1; do
    i=$((i + 1)); [ $i -gt 200 ] && { echo "bench: sched did not start" >&2; cat "$D.up.log" >&2; exit 1; }
    sleep 0.05
done
figures "$BUILD/tests/bench_sched" --dir "$D/sched" --fill --seqs "$D/sched.seqs"
stop_site
rm -rf "$D/sched/sched"
"$BUILD/bin/kefu-evlog" --dir "$D/sched" > "$D.up.log" 2>&1 &
KEFU_PID=$!
wait_up "$D/sched"
figures "$BUILD/tests/bench_sched" --dir "$D/sched" --rebuild "$BUILD/bin/kefu-sched" \
    --seqs "$D/sched.seqs"
stop_site

# sla's figures (bench_sla.c says what each means). On the log daemon
# alone, with intake's events appended straight to the log: 300,000 cases
# opened and answered, rebuilt by a fresh kefu-sla (sla.obligations_rate);
# then, on another log, 1,000,000 open cases, and kefu-sla's RSS over an
# empty one's after rebuilding them and after a restart (sla.timers_rss).
# Last a whole site on the wall clock, replies due 3 s after a case
# opens: 2,000 complaint opens over 2 s, and how late each escalation
# reaches a subscriber of the log (sla.fire_delay_p50, _p99).
for step in rate timers; do
    "$BUILD/bin/kefu-evlog" --dir "$D/sla-$step" > "$D.up.log" 2>&1 &
    KEFU_PID=$!
    wait_up "$D/sla-$step"
    figures "$BUILD/tests/bench_sla" --dir "$D/sla-$step" "--$step" "$BUILD/bin/kefu-sla"
    stop_site
    rm -rf "$D/sla-$step"
done
"$BUILD/bin/kefu" up --dir "$D/sla-fire" --set sla.complaint_simple=3s > "$D.up.log" 2>&1 &
KEFU_PID=$!
i=0
until "$BUILD/bin/kefuctl" --dir "$D/sla-fire" sync >/dev/null 2>&1; do
    i=$((i + 1)); [ $i -gt 200 ] && { echo "bench: sla's site did not start" >&2; cat "$D.up.log" >&2; exit 1; }
    sleep 0.05
done
figures "$BUILD/tests/bench_sla" --dir "$D/sla-fire" --fire
stop_site
rm -rf "$D/sla-fire"

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
    printf 'peer.redis_xadd_always: %.0f events/s\n' "$rps" | tee -a "$F"
else
    echo "bench: redis-server or redis-benchmark missing; no peer figure (deploy/install-deps.sh installs them)" >&2
fi

# ratio NAME A B: prints A/B as figure NAME when both were measured.
ratio() {
    a=$(figure "$2"); b=$(figure "$3")
    [ -n "$a" ] && [ -n "$b" ] && awk -v n="$1" -v a="$a" -v b="$b" \
        'BEGIN { if (b > 0) printf "%s: %.2f x\n", n, a / b }'
    return 0
}
ratio site.append_durable_vs_log site.append_durable eventlog.append_durable
ratio site.append_durable_vs_redis site.append_durable peer.redis_xadd_always
ratio eventlog.startup_5m_vs_100k eventlog.startup_ms_5m eventlog.startup_ms_100k
