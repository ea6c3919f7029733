#!/bin/sh
# test_store_reboot.sh: a consumer's store after an unclean machine
# restart (docs/architecture.md, "power loss or kernel crash under a
# consumer's store"; common/store.c, "The mark").
#
# A site takes a few intake commands; then the whole site dies at once
# with SIGKILL (supervisor stopped first, so nothing is restarted or
# stopped cleanly), which leaves intake's store open: its mark
# (DIR/intake/unsynced) names this kernel's boot. Started again on the
# same boot, intake keeps its store (a kill -9 loses nothing). Killed the
# same way again and started with KEFU_BOOT_ID set to another id (as
# after a reboot), intake must empty its store, say so in its log, replay
# the log from seq 1, and answer with the same records; exactly once: one
# case per request id. A clean `kefu down` removes the mark, and a "reboot"
# after it keeps the store.
set -eu
BUILD=${BUILD:-build}
B=$BUILD/bin
D=$(mktemp -d /tmp/kefu-sreboot.XXXXXX)
cleanup() {
    "$B/kefu" down --dir "$D" >/dev/null 2>&1 || true
    rm -rf "$D"
}
trap cleanup EXIT INT TERM
fail() { echo "FAIL: $*" >&2; tail -n 5 "$D"/log/*.log >&2 || true; exit 1; }
K() { "$B/kefuctl" --dir "$D" --json "$@"; }
up() { "$B/kefu" up --dir "$D" --detach --sim-clock 2026-11-23T09:00:00+08:00; K sync >/dev/null; }
# crash: every process of the site dies by SIGKILL, nothing stops cleanly.
crash() {
    sup=$(cat "$D/run/kefu.pid")
    kill -STOP "$sup"
    kill -9 "$(cat "$D/run/intake.lock")" "$(cat "$D/run/evlog.lock")"
    sleep 0.2
    kill -9 "$sup"
    sleep 0.2
}
state() { K customer show K-1; K complaints --limit 1000; }

up
K customer add K-1 --name Golden --tier key >/dev/null
for i in 1 2 3; do
    K --request-id "open-$i" complaint open --customer K-1 --kind colour \
        --complexity simple --by li --text "case $i" >/dev/null
done
before=$(state)
boot=$(cat /proc/sys/kernel/random/boot_id)

crash
[ "$(cat "$D/intake/unsynced")" = "$boot" ] || fail "the mark does not name this boot"
up
[ "$(state)" = "$before" ] || fail "the store changed across a kill -9 on the same boot"
grep -q "emptied" "$D/log/intake.log" && fail "a kill -9 on the same boot emptied the store"

crash
KEFU_BOOT_ID=after-a-reboot up
grep -q "the machine restarted while it was open" "$D/log/intake.log" ||
    fail "intake did not notice the restart"
grep -q "replaying the log from seq 1" "$D/log/intake.log" || fail "no replay from seq 1"
[ "$(state)" = "$before" ] || fail "the rebuilt store differs"
# exactly once: a repeat answers with the case it first made, no new case
again=$(K --request-id open-2 complaint open --customer K-1 --kind colour \
            --complexity simple --by li --text "case 2")
echo "$again" | grep -q '"id":"C-2"' || fail "open-2 repeated answered $again"
[ "$(state)" = "$before" ] || fail "a repeat changed the register"

"$B/kefu" down --dir "$D"
[ ! -e "$D/intake/unsynced" ] || fail "a clean close left the mark"
n=$(grep -c "the machine restarted" "$D/log/intake.log")
KEFU_BOOT_ID=another-reboot up
[ "$(grep -c "the machine restarted" "$D/log/intake.log")" = "$n" ] ||
    fail "a store closed cleanly was emptied after a reboot"
[ "$(state)" = "$before" ] || fail "the store changed across a clean stop and a reboot"
echo "ok"
