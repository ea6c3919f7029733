#!/bin/sh
# test_aftersales.sh: after-sales in full (004 第一篇, 职责2; domain.md §6),
# through kefuctl on a simulated clock: the eight kinds, each by its own
# steps (intake_cmd.c s_steps). Goods come back only once the request is
# approved; a photo check confirms without them; a refund has a method and
# an amount (yuan in, fen kept: 128.50 -> 12850) and reverses the invoice
# (红冲); an exchange names the new shipment and endorses it (背书). Every
# refusal exits 1 and writes nothing (the log's head stays).
set -eu
KT_NAME=as
. "$(dirname "$0")/lib/site.sh"
open_as() { K aftersales open O-1 --kind "$1" --by wang --reason "$2" | jq -r .id; }
step() { K aftersales step "$@" --by wang; }

"$B/kefu" up --dir "$D" --detach --sim-clock 2026-11-24T09:00:00+08:00
K customer add K-GOLD --name "Golden Studio" --tier key >/dev/null
K order add --customer K-GOLD --product album --qty 2 --id O-1 >/dev/null

# A-1 refund with the goods back: received is refused before approved
a=$(open_as refund "album pages stuck")
[ "$a" = A-1 ] || fail "the first request is $a"
refused "goods before approval" "A-1 (refund) is open; it can't go to received; next: approved, confirmed --photo, rejected" \
    aftersales step A-1 received --by wang
step A-1 approved --text "send it back marked O-1 / A-1" >/dev/null
step A-1 received >/dev/null
step A-1 confirmed >/dev/null
refused "a refund without an amount" "amount_fen\|--amount" aftersales step A-1 refunded --by wang --method bank
refused "exchanged on a refund" "can't go to exchanged" aftersales step A-1 exchanged --by wang --shipment W-9
r=$(step A-1 refunded --method bank --amount 128.50)
check "refund" "$r" '[.state, .method, (.amount_fen|tostring), .invoice, (.invoice_reversed|tostring)] | join(" ")' \
    "refunded bank 12850 reversed true"
check "refund history" "$r" '.history[-1].action' "refunded 128.50 yuan, invoice reversed (红冲)"
"$B/kefuctl" --dir "$D" aftersales show A-1 | grep -q '^amount: 128.50 yuan$' || fail "text: the amount in yuan"
refused "rejected once settled" "next: none: it is settled" aftersales step A-1 rejected --by wang

# A-2 damage confirmed by photos only, exchanged: the new shipment, invoice endorsed
open_as damage "corner crushed" >/dev/null
r=$(step A-2 confirmed --photo --text "photos show the crushed corner")
check "photo check" "$r" '.state + " " + (.photo_only|tostring)' "confirmed true"
refused "an exchange without its shipment" "shipment" aftersales step A-2 exchanged --by wang
r=$(step A-2 exchanged --shipment SF-1234567)
check "exchange" "$r" '[.state, .shipment, .invoice] | join(" ")' "exchanged SF-1234567 endorsed"

# A-3 trace and A-4 extend-receipt: done once handled, no goods
open_as trace "no scans since Monday" >/dev/null
refused "trace has no approval" "can't go to approved; next: done, rejected" aftersales step A-3 approved --by wang
check "trace" "$(step A-3 done --text "found at the depot")" .state done
open_as extend-receipt "away until Friday" >/dev/null
check "extend" "$(step A-4 done)" .state done

# A-5 replenish: confirmed from the order, done when the missing pages ship
open_as replenish "2 pages missing" >/dev/null
refused "replenish by photo" "can't go to confirmed by a photo check" aftersales step A-5 confirmed --by wang --photo
step A-5 confirmed >/dev/null
refused "replenished without a shipment" "shipment" aftersales step A-5 done --by wang
check "replenish" "$(step A-5 done --shipment YT-77)" '.state + " " + .shipment' "done YT-77"

# A-6 return: approved, received, confirmed, refunded (alipay, 300 yuan)
open_as return "wrong size" >/dev/null
step A-6 approved >/dev/null
step A-6 received >/dev/null
step A-6 confirmed >/dev/null
check "return" "$(step A-6 refunded --method alipay --amount 300)" '.state + " " + (.amount_fen|tostring)' "refunded 30000"

# A-7 exchange rejected after the goods came back; A-8 rights claim confirmed, settled by a refund of 0.05
open_as exchange "colour off" >/dev/null
step A-7 approved >/dev/null
step A-7 received >/dev/null
check "rejected" "$(step A-7 rejected --text "colour within tolerance")" .state rejected
open_as rights-claim "filed on the platform" >/dev/null
step A-8 confirmed >/dev/null
check "rights claim" "$(step A-8 refunded --method balance --amount 0.05)" '.amount_fen' 5

# many requests to one order (004: many-to-one)
l=$(K aftersales list --order O-1)
check "one order, eight requests" "$l" '[.items[].kind] | join(",")' \
    "refund,damage,trace,extend-receipt,replenish,return,exchange,rights-claim"
check "their fen" "$l" '[.items[] | .amount_fen // 0] | add' 42855
echo "aftersales: ok"
