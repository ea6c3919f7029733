#!/bin/sh
# test_sla_route.sh: the notifier's routing (sla.channels, sla.route;
# services/sla/sla_route.h). A major complaint's escalation (level 2 at
# once, domain.md §5) goes to the "gm" receiver, everything else to the
# default one (sla.notify_url), which fails its first 15 tries: gm's
# notice arrives while default is still failing, each receiver gets
# exactly its notices once, in order, and a restart sends nothing again.
# A rule of an unknown kind is refused at `kefu up`, naming it.
#
# Times (simulated clock, +08:00 site):
#   09:00  C-1 opened (simple: reply due 11:00)
#   10:36  its warning (80% of 2 h)            -> default
#   11:00  C-1's complaint-reply-overdue, level 1 -> default
#   11:00  C-2 opened major: its major-complaint, level 2, at once -> gm
#          (C-2's own reply is due 13:00: nothing more before the end)
set -eu
KT_NAME=route
. "$(dirname "$0")/lib/site.sh"
T=$BUILD/tests
SA=""; SB=""
cleanup() {
    [ -n "$SA" ] && kill "$SA" 2>/dev/null || true
    [ -n "$SB" ] && kill "$SB" 2>/dev/null || true
    "$B/kefu" down --dir "$D" >/dev/null 2>&1 || true
    [ -n "${KEEP:-}" ] || rm -rf "$D"
}
fail() { echo "FAIL: $*" >&2; tail -n 5 "$D"/log/sla.log >&2 || true; exit 1; }

PA=$(shuf -i 20000-32000 -n 1)
PB=$(shuf -i 33000-45000 -n 1)
"$T/http_sink" --port "$PA" --out "$D/gm" &
SA=$!
"$T/http_sink" --port "$PB" --out "$D/default" --fail 15 &
SB=$!

# a bad rule is refused before anything starts, naming its kind
if "$B/kefu" up --dir "$D" --detach --set "sla.route=major/2=gm" >"$D/bad" 2>&1; then
    fail "kefu up took sla.route=major/2=gm"
fi
grep -q 'kind "major"' "$D/bad" || fail "the refusal does not name the kind: $(cat "$D/bad")"

up() {
    "$B/kefu" up --dir "$D" --detach --sim-clock "$1" \
        --set "sla.notify_url=http://127.0.0.1:$PB/all" \
        --set "sla.channels=gm=json:http://127.0.0.1:$PA/gm" \
        --set "sla.route=major-complaint/2=gm" \
        --set sla.notify_retry_max=200ms --set sla.remind_every=off
}
up 2026-11-23T09:00:00+08:00
K customer add G --name "Corner Shop" --tier general >/dev/null
K complaint open --customer G --kind delay --complexity simple --by li >/dev/null   # C-1
K clock advance 1h36m >/dev/null     # 10:36: C-1's warning, to default (failing)
K clock advance 24m >/dev/null       # 11:00: E-1, to default (failing)
K complaint open --customer G --kind damage --complexity simple --severity major --by li >/dev/null
wait_lines "$D/gm" 1                 # E-2 reaches gm while default still fails
[ "$(lines "$D/default")" -eq 0 ] || fail "default got through before its 15 failures"
wait_lines "$D/default" 2
sleep 0.5
[ "$(lines "$D/gm")" -eq 1 ] || fail "gm got $(lines "$D/gm") notices, want 1"
[ "$(lines "$D/default")" -eq 2 ] || fail "default got $(lines "$D/default") notices, want 2"
got=$(jq -r '.event + " " + .kind + " " + (.level|tostring)' "$D/gm")
[ "$got" = "raised major-complaint 2" ] || fail "gm: $got"
# by kind and subject: the 11:00 raise may come before or after C-2's (ids E-1, E-2)
got=$(jq -r '.event + " " + .kind + " " + .subject' "$D/default" | tr '\n' ';')
[ "$got" = "warning complaint-reply-overdue C-1;raised complaint-reply-overdue C-1;" ] || fail "default: $got"

# a restart sends nothing again, on either channel
now=$(K status | jq -r .now)
"$B/kefu" down --dir "$D"
up "$now"
K sync >/dev/null
sleep 1
[ "$(lines "$D/gm")" -eq 1 ] && [ "$(lines "$D/default")" -eq 2 ] ||
    fail "a restart sent again: gm $(lines "$D/gm"), default $(lines "$D/default")"
echo "sla route: ok"
