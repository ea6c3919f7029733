#!/bin/sh
# test_net.sh: the remote endpoint (contract.md "Remote clients"; issue
# 11). A site with net.listen on loopback and staff registered; keys for
# a terminal, dispatch, a desk (staff, bound to li) and a supervisor
# (bound to boss). Shown:
#   - a client without a key, with a key the site never enrolled, and with
#     a revoked key: no answer / refused, nothing written, the attempt in
#     net's log (with the key's name where it has one);
#   - a terminal's key reports a stage (kefuctl and kefu-terminal) and
#     reads the queue, but may not open a case or acknowledge an
#     escalation: forbidden, exit 1, logged with the key's name, nothing
#     written;
#   - a dispatch key reads the queue and can't open a case;
#   - a desk key acts as its person whatever the client says;
#   - a supervisor's key acknowledges an escalation; staff's may not;
#   - the clock and the keys are for the site's own machine (and stop:
#     net_gate.c refuses it; kefuctl has no remote stop to send).
set -eu
BUILD=${BUILD:-build}
B=$BUILD/bin
T=$BUILD/tests
D=$(mktemp -d /tmp/kefu-net.XXXXXX)
cleanup() { "$B/kefu" down --dir "$D" >/dev/null 2>&1 || true; rm -rf "$D"; }
trap cleanup EXIT INT TERM
fail() { echo "FAIL: $*" >&2; exit 1; }
K() { "$B/kefuctl" --dir "$D" --json "$@"; }
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
EP=tcp://127.0.0.1:$PORT
R() { k=$1; shift; "$B/kefuctl" --endpoint "$EP" --key "$D/$k.key" --json "$@"; }
# refused KEY WANT-CODE WANT-TEXT ARGS...: exit 1 with that code and text
refused() {
    k=$1 code=$2 want=$3
    shift 3
    set +e
    out=$(R "$k" "$@" 2>/dev/null)
    rc=$?
    set -e
    [ $rc -eq 1 ] || fail "$k: kefuctl $*: exit $rc, want 1 ($out)"
    printf '%s' "$out" | jq -e --arg c "$code" '.error.code == $c' >/dev/null ||
        fail "$k: kefuctl $*: $out"
    printf '%s' "$out" | jq -r .error.message | grep -q -- "$want" || fail "$k: kefuctl $*: $out"
}
head_seq() { K status | jq -r '.daemons[] | select(.name == "evlog") | .applied'; }

"$B/kefu" up --dir "$D" --detach --sim-clock 2026-11-23T09:00:00+08:00 --set "net.listen=$EP"
K staff add boss --role supervisor >/dev/null
K staff add li --role staff --by boss >/dev/null
K customer add G --name "Corner Shop" --tier general --by li >/dev/null
K order add --customer G --product print --qty 5 --id O-1 --by li >/dev/null

# keys: made on the site's machine, by a supervisor once staff is registered
set +e
out=$(K key new t1 --role terminal --out "$D/t1.key" --by li 2>/dev/null); rc=$?
set -e
[ $rc -eq 1 ] && printf '%s' "$out" | jq -e '.error.code == "forbidden"' >/dev/null ||
    fail "staff made a key: $rc $out"
[ ! -e "$D/t1.key" ] || fail "a refused key new left its file"
K key new t1 --role terminal --out "$D/t1.key" --by boss >/dev/null
K key new disp --role dispatch --out "$D/disp.key" --by boss >/dev/null
K key new desk --role staff --person li --out "$D/desk.key" --by boss >/dev/null
k=$(K key new sup --role supervisor --person boss --out "$D/sup.key" --by boss)
[ "$(printf '%s' "$k" | jq -r '.key.role + " " + .key.person')" = "supervisor boss" ] || fail "key new: $k"
SITE=$(printf '%s' "$k" | jq -r .site_key)
[ ${#SITE} -eq 40 ] || fail "site key: $SITE"
[ "$(stat -c %a "$D/sup.key")" = 600 ] || fail "key file mode $(stat -c %a "$D/sup.key")"
set +e
K key new t1 --role terminal --out "$D/again.key" --by boss >/dev/null 2>&1; rc=$?
K key new t9 --role terminal --out "$D/t1.key" --by boss >/dev/null 2>&1; rc2=$?
set -e
[ $rc -eq 1 ] || fail "a name used twice: exit $rc"
[ $rc2 -eq 2 ] || fail "a key file overwritten: exit $rc2"
[ "$(K key list | jq '.items | length')" = 4 ] || fail "key list: $(K key list)"
# a try that gets no answer (net stopped) leaves the pair; net takes the
# waiting request once it runs again, and the same command finishes the
# file with the pair that was enrolled
NETPID=$(pgrep -f "[k]efu-net --dir $D" | head -1)
kill -STOP "$NETPID"
set +e
K --timeout 1s --request-id kn-1 key new late --role dispatch --out "$D/late.key" --by boss >/dev/null 2>&1; rc=$?
set -e
kill -CONT "$NETPID"
[ $rc -eq 3 ] || fail "key new with net stopped: exit $rc, want 3"
[ -s "$D/late.key" ] || fail "the unanswered try did not keep its pair"
l=$(K --request-id kn-1 key new late --role dispatch --out "$D/late.key" --by boss)
[ "$(printf '%s' "$l" | jq -r .key.public_key)" = "$(sed -n 's/^ *public-key = "\(.*\)"/\1/p' "$D/late.key")" ] ||
    fail "the key file's pair is not the one enrolled: $l"
grep -q "site-key" "$D/late.key" || fail "the repeat did not finish the key file"
K key revoke late --by boss >/dev/null

# no key, a stranger's key: never answered, nothing read
set +e
"$B/kefuctl" --endpoint "$EP" status >/dev/null 2>&1; rc=$?
set -e
[ $rc -eq 2 ] || fail "--endpoint without --key: exit $rc, want 2"
h0=$(head_seq)
[ "$("$T/net_client" plain "$EP" || true)" = "no answer" ] || fail "a plain client was answered"
[ "$("$T/net_client" stranger "$EP" "$SITE" || true)" = "no answer" ] || fail "a stranger was answered"
grep -q "refused unknown key" "$D/log/net.log" || fail "no log line for the unknown key"
grep -q "failed the CURVE handshake" "$D/log/net.log" || fail "no log line for the plain client"

# the terminal: stages and the queue, nothing else
s=$(R t1 stage O-1 received)
[ "$(printf '%s' "$s" | jq -r .stage)" = received ] || fail "remote stage: $s"
R t1 queue | jq -e '.items | length == 1' >/dev/null || fail "the terminal reads the queue"
h1=$(head_seq)
refused t1 forbidden "key t1 is terminal" complaint open --customer G --kind delay --complexity simple --by li
refused t1 forbidden "key t1 is terminal" customer list
refused disp forbidden "key disp is dispatch" complaint open --customer G --kind delay --complexity simple --by li
R disp queue | jq -e '.items | length == 1' >/dev/null || fail "dispatch reads the queue"
[ "$(head_seq)" = "$h1" ] || fail "a refusal wrote to the log: $h1 -> $(head_seq)"
grep -q "refused case_open of key t1 (terminal)" "$D/log/intake.log" || fail "intake did not log the refusal"
printf 'O-1 printing\n' | "$B/kefu-terminal" --terminal T1 --endpoint "$EP" --key "$D/t1.key" \
    --spool "$D/t1.spool" --nowait >"$D/term.out"
grep -q "^ok O-1 printing" "$D/term.out" || fail "kefu-terminal remote: $(cat "$D/term.out")"

# a desk key acts as li, whatever the client says
c=$(R desk complaint open --customer G --kind delay --complexity simple --by li)
[ "$(printf '%s' "$c" | jq -r .owner)" = li ] || fail "desk complaint: $c"
refused desk invalid "not who asks" complaint open --customer G --kind delay --complexity simple --by boss

# the supervisor acknowledges the escalation two hours later; staff may not
K clock advance 2h >/dev/null
K sync >/dev/null
sleep 0.3
K sync >/dev/null
E=$(K escalations | jq -r '.items[0].id')
[ "$E" = E-1 ] || fail "no escalation: $(K escalations)"
refused desk forbidden "key desk is staff" escalation ack E-1 --by li
a=$(R sup escalation ack E-1 --by boss)
[ "$(printf '%s' "$a" | jq -r .state)" = acked ] || fail "remote ack: $a"

# the site's own machine only
refused sup forbidden "site's own machine" clock advance 1h
refused sup forbidden "site's own machine" key list
refused sup forbidden "own machine" key revoke desk --by boss

# the log's stream is local only: a usage error, said at once
set +e
R sup log tail >/dev/null 2>&1; rc=$?
set -e
[ $rc -eq 2 ] || fail "remote log tail: exit $rc, want 2"

# a revoked key is refused from then on
K key revoke t1 --by boss >/dev/null
refused t1 forbidden "refused key t1" queue
grep -q "refused revoked key t1" "$D/log/net.log" || fail "no log line for the revoked key"
[ "$(K key list | jq '.items | length')" = 3 ] || fail "key list after revoke"
[ "$(K key list --revoked | jq '.items | length')" = 5 ] || fail "key list --revoked"

# the keys survive a rebuild from the log (the store is derived)
now=$(K status | jq -r .now)
"$B/kefu" down --dir "$D"
rm -f "$D"/net/*.mdb
"$B/kefu" up --dir "$D" --detach --sim-clock "$now" --set "net.listen=$EP"
K sync >/dev/null
R sup queue >/dev/null || fail "the supervisor's key after a rebuild"
refused t1 forbidden "refused key t1" queue
echo "test_net: ok"
