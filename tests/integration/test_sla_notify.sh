#!/bin/sh
# test_sla_notify.sh: the notifier reaches people (domain.md §5): a local
# webhook receiver on loopback that fails its first two tries, and a
# command. A case goes unanswered on a simulated clock: its warning, its
# escalation and, once answered, its clearing arrive at both, each
# exactly once and in order, in the DingTalk robot's format; a restart
# sends nothing again; then the WeCom format.
set -eu
KT_NAME=notify
. "$(dirname "$0")/lib/site.sh"
T=$BUILD/tests
SINK=""
cleanup() {
    [ -n "$SINK" ] && kill "$SINK" 2>/dev/null || true
    "$B/kefu" down --dir "$D" >/dev/null 2>&1 || true
    [ -n "${KEEP:-}" ] || rm -rf "$D"
}
fail() { echo "FAIL: $*" >&2; tail -n 5 "$D"/log/sla.log >&2 || true; exit 1; }

PORT=$(shuf -i 20000-45000 -n 1)
"$T/http_sink" --port "$PORT" --out "$D/hook" --fail 2 &
SINK=$!
up() {
    "$B/kefu" up --dir "$D" --detach --sim-clock "$1" \
        --set "sla.notify_url=http://127.0.0.1:$PORT/robot/send" --set "sla.notify_format=$2" \
        --set "sla.notify_command=cat >> $D/cmd" --set sla.notify_retry_max=200ms \
        --set sla.remind_every=30m
}
up 2026-11-23T09:00:00+08:00 dingtalk
K customer add G --name "Corner Shop" --tier general >/dev/null
K complaint open --customer G --kind delay --complexity simple --by li >/dev/null
K clock advance 1h36m >/dev/null     # the warning (80% of 2 h)
K clock advance 24m >/dev/null       # 11:00: overdue
wait_lines "$D/cmd" 2
K clock advance 29m >/dev/null       # 11:29: no reminder yet
sleep 0.3
[ "$(lines "$D/cmd")" -eq 2 ] || fail "a reminder before 30 minutes"
K clock advance 1m >/dev/null        # 11:30: nobody acknowledged it: a reminder
wait_lines "$D/cmd" 3
K complaint reply C-1 --by li >/dev/null   # cleared
wait_lines "$D/hook" 4
wait_lines "$D/cmd" 4
sleep 0.5
[ "$(lines "$D/hook")" -eq 4 ] || fail "the webhook got $(lines "$D/hook") notices, want 4"
[ "$(lines "$D/cmd")" -eq 4 ] || fail "the command got $(lines "$D/cmd") notices, want 4"
got=$(jq -r '.msgtype + " " + .markdown.title' "$D/hook" | tr '\n' ';')
[ "$got" = "markdown kefu: complaint-reply-overdue warning;markdown kefu: complaint-reply-overdue raised;markdown kefu: complaint-reply-overdue reminder;markdown kefu: complaint-reply-overdue cleared;" ] ||
    fail "dingtalk bodies: $got"
jq -e -s '.[1].markdown.text | test("escalation: E-1") and test("subject: C-1")' "$D/hook" >/dev/null ||
    fail "the raised notice does not name E-1 and C-1: $(sed -n 2p "$D/hook")"
got=$(jq -r '.event + " " + .id' "$D/cmd" | tr '\n' ';')
[ "$got" = "warning reply/C-1;raised E-1;reminder E-1;cleared E-1;" ] || fail "command notices: $got"
jq -e -s 'map(.seq) | . == (sort) and (unique | length) == 4' "$D/cmd" >/dev/null || fail "command notices out of order"
# acknowledged: no more reminders
K complaint open --customer G --kind delay --complexity simple --by li >/dev/null   # C-2, due 13:30
K clock advance 1h40m >/dev/null     # 13:10: its warning (at 13:06)
wait_lines "$D/cmd" 5
K clock advance 20m >/dev/null       # 13:30: its escalation E-2
wait_lines "$D/cmd" 6
K escalation ack E-2 --by boss >/dev/null
K clock advance 2h >/dev/null
sleep 0.5
[ "$(lines "$D/cmd")" -eq 6 ] || fail "a reminder after the acknowledgement: $(tail -1 "$D/cmd")"

# a restart sends nothing again: the outbox was emptied as they went
now=$(K status | jq -r .now)
"$B/kefu" down --dir "$D"
up "$now" wecom
K sync >/dev/null
sleep 1
[ "$(lines "$D/hook")" -eq 6 ] || fail "a restart sent again: $(lines "$D/hook") notices"

# the WeCom robot's format
K complaint open --customer G --kind delay --complexity simple --by wang >/dev/null
K clock advance 2h >/dev/null
wait_lines "$D/hook" 7               # the clock jumps past the warning: the escalation only
jq -e -s '.[6].msgtype == "markdown" and (.[6].markdown.content | test("complaint-reply-overdue raised"))' \
    "$D/hook" >/dev/null || fail "wecom body: $(sed -n 4p "$D/hook")"
echo "sla notify: ok"
