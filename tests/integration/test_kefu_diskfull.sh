#!/bin/bash
# test_kefu_diskfull.sh: starting a site on a disk too small or too full
# (issue 12, item 4), on a 20 MiB tmpfs this test mounts and unmounts.
#
#   - `kefu up` on a disk smaller than one log segment (evlog.segment_mb,
#     256 MiB by default) refuses with exit 1 and a message naming the
#     free space and evlog.segment_mb, and writes no segment;
#   - kefu-evlog started by hand there (as systemd would) says the same in
#     its own words, exits 1 and leaves no part-made segment;
#   - with a segment that fits (--set evlog.segment_mb=8) the site starts;
#   - a daemon that dies on a full disk, where its log file can't take a
#     line, is reported with its own last words from memory, and the
#     failed log write is named (a fake daemon that fails on purpose).
#
# Needs root (mount). Everything binds ipc:// under the temp dir; the EXIT
# trap stops what we started and unmounts.
# Run: BUILD=build bash tests/integration/test_kefu_diskfull.sh

set -u
if [ "$(id -u)" -ne 0 ]; then
    echo "SKIP: test_kefu_diskfull needs a tmpfs mount (not root)"
    exit 0
fi
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$PWD/$BUILD ;; esac
KEFU=$BUILD/bin/kefu
for f in "$KEFU" "$BUILD/bin/kefu-evlog" "$BUILD/bin/kefuctl" "$BUILD/tests/fake_daemon"; do
    [ -x "$f" ] || { echo "test_kefu_diskfull: no $f (run make)" >&2; exit 1; }
done
unset KEFU_DIR

TMP=$(mktemp -d /tmp/kefu-diskfull.XXXXXX) || exit 1
M=$TMP/disk
ERR=$TMP/err
mkdir "$M"
cleanup() {
    trap - EXIT INT TERM
    for site in "$M"/*/; do
        [ -f "$site/run/kefu.pid" ] && "$KEFU" down --dir "$site" >/dev/null 2>&1
    done
    for pid in $(pgrep -f -- "$TMP/" || true); do
        kill -9 "$pid" 2>/dev/null
    done
    umount "$M" 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
mount -t tmpfs -o size=20m tmpfs "$M" || { echo "FAIL: cannot mount a tmpfs on $M" >&2; exit 1; }

failures=0
fail() {
    echo "FAIL: $*" >&2
    [ -s "$ERR" ] && sed 's/^/  stderr: /' "$ERR" >&2
    failures=$((failures + 1))
}
# segs DIR: the files in DIR/evlog (segments, next.tmp, *.damaged), one a line;
# not the site secret, which a log that started makes (evlog_proof.h)
segs() { ls -A "$1/evlog" 2>/dev/null | grep -vx 'producer\.secret' || true; }

# ---- a disk smaller than one segment: kefu up refuses, writes nothing -----
S=$M/small
timeout 30 "$KEFU" up --detach --dir "$S" >/dev/null 2>"$ERR"
rc=$?
[ $rc -eq 1 ] || fail "kefu up on a 20 MiB disk with 256 MiB segments: exit $rc, want 1"
grep -q "not enough disk space for a new event log" "$ERR" && grep -q "256 MiB (evlog.segment_mb)" "$ERR" \
    || fail "kefu up: stderr does not say the disk is too small for a segment"
[ -z "$(segs "$S")" ] || fail "kefu up refused but left in $S/evlog: $(segs "$S")"
[ -e "$S/run/kefu.pid" ] && fail "a refused start left $S/run/kefu.pid"

# ---- kefu-evlog by hand (systemd's way): its own clear refusal ------------
timeout 30 "$BUILD/bin/kefu-evlog" --dir "$S" >/dev/null 2>"$ERR"
rc=$?
[ $rc -eq 1 ] || fail "kefu-evlog on a too small disk: exit $rc, want 1"
grep -q "a log segment needs 262144 KiB (evlog.segment_mb)" "$ERR" \
    || fail "kefu-evlog: stderr does not say what a segment needs"
[ -z "$(segs "$S")" ] || fail "kefu-evlog left a part-made segment: $(segs "$S")"
used=$(df -B1 --output=used "$M" | tail -1)
[ "$used" -lt 1048576 ] || fail "the refused starts left $used bytes used on the disk"
for f in "$S"/run/*; do [ -S "$f" ] && fail "kefu-evlog left the socket $f"; done

# ---- a segment that fits: the site runs ----------------------------------
G=$M/good
if timeout 30 "$KEFU" up --detach --dir "$G" --set evlog.segment_mb=8 >/dev/null 2>"$ERR"; then
    "$BUILD/bin/kefuctl" --dir "$G" status >/dev/null 2>"$ERR" || fail "status of the 8 MiB-segment site"
    "$KEFU" down --dir "$G" 2>"$ERR" || fail "kefu down of the 8 MiB-segment site"
else
    fail "kefu up --set evlog.segment_mb=8 on a 20 MiB disk: exit $?"
fi
[ "$(segs "$G")" = "00000000000000000001.seg" ] || fail "the 8 MiB site's log: $(segs "$G" | tr '\n' ' ')"
rm -rf "$G"

# ---- a daemon dying on a full disk: its own words, from memory -------------
# A site whose log exists (so kefu up does not refuse a new one), the disk
# then filled to two pages: one for the clock, one for the pid file, none
# for the daemon's log lines.
F=$M/full
LIB=$TMP/lib
mkdir -p "$LIB" "$F/evlog"
for name in $("$KEFU" daemons); do ln -s "$BUILD/tests/fake_daemon" "$LIB/kefu-$name"; done
: >"$F/evlog/00000000000000000001.seg"
dd if=/dev/zero of="$M/filler" bs=1M 2>/dev/null
truncate -s -8192 "$M/filler"
FAKE_DAEMON_FAIL=evlog KEFU_LIBEXEC=$LIB timeout 30 "$KEFU" up --dir "$F" >/dev/null 2>"$ERR"
rc=$?
[ $rc -eq 1 ] || fail "a daemon failing on a full disk: kefu up exit $rc, want 1"
grep -q "evlog exited with status 3 while starting" "$ERR" || fail "kefu up does not name evlog's exit"
grep -q "evlog.log could not be written (No space left on device)" "$ERR" \
    || fail "kefu up does not say evlog's log could not be written"
grep -q "failing on purpose" "$ERR" || fail "kefu up does not show evlog's own last words"
[ -s "$F/log/evlog.log" ] && fail "evlog.log was written on a full disk? (the test's premise)"
rm -f "$M/filler"

if [ "$failures" -ne 0 ]; then
    echo "test_kefu_diskfull: $failures check(s) failed" >&2
    exit 1
fi
echo "test_kefu_diskfull: all checks passed"
