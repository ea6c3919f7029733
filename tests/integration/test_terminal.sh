#!/bin/sh
# test_terminal.sh: kefu-terminal, a floor station, while the site is away
# (the sched issue's terminal test): every scan applied once, in order;
# a terminal killed mid-spool loses none.
#
# 1. A site with 40 print orders (P-01..P-40) is stopped (kefu down).
# 2. 200 scans, the five stages of the print route for each order in route
#    order (all received, then all printing, qc, packed, done), are typed
#    into terminal T1 (worker w1) at a scanner's pace; it is killed with
#    SIGKILL once it has said "spooled" for 100 of them, mid-stream. The
#    spool then holds a prefix of the scans, in order, K of them (--list),
#    and at least every one it said it spooled.
# 3. A second terminal on the same spool takes the rest (the worker
#    changed to w2 by an @worker line): all spooled, the site still away.
# 4. The site comes back (kefu up): the running terminal finds it on its
#    own (retries with backoff), sends the 200 in order and exits 0 at the
#    end of its input. Every order has exactly its five marks in route
#    order, from T1, K of them by w1; the log holds exactly 200
#    stage_reported events, in the order typed, with 200 distinct request
#    ids.
# 5. Every answer lost: the spool as it was before the site came back is
#    put back, and a terminal sends all 200 again with their request ids:
#    each is answered ok (its first answer), nothing changes, the log still
#    holds 200.
set -eu
BUILD=${BUILD:-build}
B=$BUILD/bin
# Under KEFU_VALGRIND=1 tests/run.sh puts a valgrind wrapper for every
# kefu-* program in KEFU_LIBEXEC; its reports fail the test.
TERM_BIN=${KEFU_LIBEXEC:-$B}/kefu-terminal
D=$(mktemp -d /tmp/kefu-term.XXXXXX)
A=
BB=
cleanup() {
    [ -n "$A" ] && kill -9 "$A" 2>/dev/null
    [ -n "$BB" ] && kill -9 "$BB" 2>/dev/null
    "$B/kefu" down --dir "$D" >/dev/null 2>&1 || true
    rm -rf "$D"
}
trap cleanup EXIT INT TERM
K() { "$B/kefuctl" --dir "$D" --json "$@"; }
fail() { echo "FAIL: $*" >&2; for f in "$D"/*.out "$D"/*.err; do [ -f "$f" ] && { echo "--- $f" >&2; tail -n 20 "$f" >&2; }; done; exit 1; }
T() { "$TERM_BIN" --dir "$D" --terminal T1 "$@"; }
count() { grep -c "$1" "$2" 2>/dev/null || true; }
# wait_for SECONDS CONDITION...: polls every 0.1 s
wait_for() {
    n=$(($1 * 10))
    shift
    while ! "$@"; do
        n=$((n - 1))
        [ "$n" -gt 0 ] || return 1
        sleep 0.1
    done
}

# ---- 1. a site with 40 orders, then stopped -------------------------------------------
"$B/kefu" up --dir "$D" --detach --sim-clock 2026-11-23T09:00:00+08:00
K customer add K1 --name "Studio One" --tier general >/dev/null
ORDERS=
i=1
while [ $i -le 40 ]; do
    o=$(printf 'P-%02d' $i)
    ORDERS="$ORDERS $o"
    K order add --customer K1 --product print --qty 1 --id "$o" >/dev/null
    i=$((i + 1))
done
K sync >/dev/null
"$B/kefu" down --dir "$D"
[ ! -e "$D/run/sched.ctl" ] || fail "sched's socket is still there after kefu down"

STAGES="received printing qc packed done"
for s in $STAGES; do
    for o in $ORDERS; do
        echo "$o $s"
    done
done >"$D/scans"
[ "$(wc -l <"$D/scans")" -eq 200 ] || fail "the scan list has $(wc -l <"$D/scans") lines"

# ---- 2. terminal A killed mid-spool ---------------------------------------------------
# A scanner's pace: a line at a time, a pause every 5 lines.
typist() {
    n=0
    while IFS= read -r line; do
        printf '%s\n' "$line"
        n=$((n + 1))
        [ $((n % 5)) -ne 0 ] || sleep 0.05
    done
}
# (the program itself at the pipeline's end, not the function T: $! must
# be its pid, for the kill)
typist <"$D/scans" | "$TERM_BIN" --dir "$D" --terminal T1 --by w1 >"$D/a.out" 2>"$D/a.err" &
A=$!
spooled_a() { [ "$(count '^spooled ' "$D/a.out")" -ge 100 ]; }
wait_for 30 spooled_a || fail "terminal A said spooled for $(count '^spooled ' "$D/a.out") scans in 30 s"
kill -9 "$A"
wait "$A" 2>/dev/null || true
A=
told=$(count '^spooled ' "$D/a.out")
[ "$(count '^ok \|^refused ' "$D/a.out")" -eq 0 ] || fail "terminal A got answers from a stopped site"
T --list >"$D/list.a" || fail "--list after the kill failed: $(cat "$D/list.a")"
KN=$(wc -l <"$D/list.a")
[ "$KN" -ge "$told" ] || fail "terminal A said spooled for $told scans, the spool holds $KN"
[ "$KN" -lt 200 ] || fail "terminal A spooled all 200 before it was killed: not mid-stream"
awk '{print $2, $3}' "$D/list.a" >"$D/list.a.scans"
head -n "$KN" "$D/scans" | cmp -s - "$D/list.a.scans" ||
    fail "the spool is not the first $KN scans in order: $(head -n 3 "$D/list.a")"
[ "$(awk '{print $4}' "$D/list.a" | sort -u)" = w1 ] || fail "terminal A's scans are not w1's"
[ "$(awk '{print $1}' "$D/list.a" | sort -u | wc -l)" -eq "$KN" ] || fail "request ids repeat in the spool"

# ---- 3. terminal B takes the rest, the site still away ---------------------------------
rest=$((200 - KN))
{ echo "@worker w2"; tail -n "+$((KN + 1))" "$D/scans"; } |
    "$TERM_BIN" --dir "$D" --terminal T1 >"$D/b.out" 2>"$D/b.err" &
BB=$!
spooled_b() { [ "$(count '^spooled ' "$D/b.out")" -ge "$rest" ]; }
wait_for 30 spooled_b || fail "terminal B said spooled for $(count '^spooled ' "$D/b.out") of $rest scans"
sleep 0.5
kill -0 "$BB" 2>/dev/null || fail "terminal B exited while the site was away (it should wait)"
[ "$(count '^ok \|^refused ' "$D/b.out")" -eq 0 ] || fail "terminal B got answers from a stopped site"
cp "$D/terminal-T1.spool" "$D/spool.before"

# ---- 4. the site back: B delivers everything and exits -------------------------------------
"$B/kefu" up --dir "$D" --detach
gone_b() { ! kill -0 "$BB" 2>/dev/null; }
wait_for 40 gone_b || fail "terminal B has not finished 40 s after the site came back"
rc=0
wait "$BB" || rc=$?
BB=
[ "$rc" -eq 0 ] || fail "terminal B exited $rc"
[ "$(count '^ok ' "$D/b.out")" -eq 200 ] || fail "terminal B printed $(count '^ok ' "$D/b.out") ok lines, want 200"
[ "$(count '^refused ' "$D/b.out")" -eq 0 ] || fail "refusals: $(grep '^refused ' "$D/b.out" | head -n 3)"
# The ok lines in the order typed.
sed -n 's/^ok \([^ ]*\) \([^ ]*\) (.*/\1 \2/p' "$D/b.out" | cmp -s - "$D/scans" ||
    fail "the answers did not come in the order the scans were typed"
[ -z "$(T --list)" ] || fail "the spool still holds scans"
T --nowait </dev/null || fail "a terminal with nothing to send exited $?"

K sync >/dev/null
w1=0
for o in $ORDERS; do
    K job show "$o" >"$D/job"
    got=$(jq -r '[.stages[].stage] | join(" ")' "$D/job")
    [ "$got" = "$STAGES" ] || fail "$o has the marks '$got', want '$STAGES'"
    [ "$(jq -r '[.stages[].terminal] | unique | join(",")' "$D/job")" = T1 ] || fail "$o: a mark not from T1"
    [ "$(jq -r '.stage' "$D/job")" = done ] || fail "$o is at $(jq -r .stage "$D/job")"
    w1=$((w1 + $(jq '[.stages[] | select(.by == "w1")] | length' "$D/job")))
done
[ "$w1" -eq "$KN" ] || fail "$w1 marks by w1, want $KN (terminal A's scans)"

K log tail | jq -r 'select(.type == "stage_reported") | "\(.data.order) \(.data.mark.stage) \(.request_id)"' >"$D/reports"
[ "$(wc -l <"$D/reports")" -eq 200 ] || fail "the log holds $(wc -l <"$D/reports") stage_reported events, want 200"
[ "$(awk '{print $3}' "$D/reports" | sort -u | wc -l)" -eq 200 ] || fail "request ids repeat in the log"
awk '{print $1, $2}' "$D/reports" | cmp -s - "$D/scans" || fail "the log's stage reports are not in the order typed"
awk '{print $1}' "$D/list.a" >"$D/ids.a"
head -n "$KN" "$D/reports" | awk '{print $3}' | cmp -s - "$D/ids.a" ||
    fail "terminal A's scans went out with other request ids than the spool gave them"

# ---- 5. every answer lost: all 200 sent again, nothing changes -------------------------------
cp "$D/spool.before" "$D/terminal-T1.spool"
T --nowait </dev/null >"$D/c.out" 2>"$D/c.err" || fail "the resending terminal exited $?"
[ "$(count '^ok ' "$D/c.out")" -eq 200 ] || fail "the resend printed $(count '^ok ' "$D/c.out") ok lines, want 200"
K log tail | jq -r 'select(.type == "stage_reported") | .seq' >"$D/reports2"
[ "$(wc -l <"$D/reports2")" -eq 200 ] || fail "after the resend the log holds $(wc -l <"$D/reports2") stage_reported events"
for o in P-01 P-20 P-40; do
    [ "$(K job show "$o" | jq '.stages | length')" -eq 5 ] || fail "$o changed on a resend"
done
echo "ok: $KN scans spooled by the killed terminal ($told told), $rest by the second; 200 applied once, in order"
