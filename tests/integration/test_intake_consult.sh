#!/bin/sh
# test_intake_consult.sh: consultations from prospects and customers
# assigned to staff (000 §二.1-4; 001 一.3; domain.md §6), through kefuctl
# on a simulated clock from Tuesday 2026-11-24 09:00 (+08:00).
#
# Q-1, a prospect with no customer record: referred to production, with
# samples and a price reference. N-1 registered at 09:00 assigned to li:
# the first contact is due sla.first_contact (7d) later, 2026-12-01 09:00;
# reassigned to wang at 10:00: due 12-01 10:00, li's obligation gone; a
# phone change leaves the due be; li's consultation with N-1 is not the
# first contact (wang's is). At 12-01 10:00 it escalates
# (first-contact-overdue); wang's consultation at 10:30 meets it and
# clears the escalation 30m late. K-2, assigned to li and consulted the
# next day, never escalates. Then callbacks promised (000 §五.5), by
# 15:00 and by the next 09:00, one made by a colleague, with their
# refusals. Refusals exit 1 (site) or 2 (usage) and write nothing.
set -eu
KT_NAME=consult
. "$(dirname "$0")/lib/site.sh"
contact='[.items[] | select(.kind == "first-contact-overdue") | "\(.subject) \(.owner) \(.due)"] | join(", ")'

"$B/kefu" up --dir "$D" --detach --sim-clock 2026-11-24T09:00:00+08:00
K staff add boss --role supervisor >/dev/null
K staff add li --role staff --by boss >/dev/null
K staff add wang --role staff --by boss >/dev/null

q=$(K consult --prospect "Ms Zhou, 138-0000-1111" --by li --question "wedding albums?" \
    --refer production --samples "album sample book" --price-ref "30x30 album: 380 yuan")
check "a prospect's" "$q" '[.id, .prospect, .referred_to, .samples, .price_ref, (.customer // "-")] | join("|")' \
    "Q-1|Ms Zhou, 138-0000-1111|production|album sample book|30x30 album: 380 yuan|-"
refused_exit 2 "nobody asked" "give --customer ID or --prospect WHO" consult --by li --question q --answer a
refused_exit 2 "both" "one of the two" consult --customer N-1 --prospect Zhou --by li --question q --answer a
refused_exit 2 "unanswered" "--answer T, --refer DEPARTMENT" consult --prospect Zhou --by li --question q
refused_exit 1 "no such customer" "customer N-1 does not exist (a prospect" consult --customer N-1 --by li --question q --answer a

refused_exit 1 "not staff" "zz is not registered staff" customer add N-1 --name "New Shop" --tier general --assign zz --by boss
c=$(K customer add N-1 --name "New Shop" --tier general --assign li --by boss)
check "assigned" "$c" '.assigned_to + " " + .first_contact_due' "li 2026-12-01T09:00:00+08:00"
at 1s
check "owed" "$(K obligations)" "$contact" "N-1 li 2026-12-01T09:00:00+08:00"

at 59m59s                                                               # 10:00
c=$(K customer update N-1 --assign wang --by boss)
check "reassigned" "$c" '.assigned_to + " " + .first_contact_due' "wang 2026-12-01T10:00:00+08:00"
K customer update N-1 --phone 021-5555 --by boss >/dev/null
K consult --customer N-1 --by li --question "prices?" --answer "list sent" >/dev/null
K customer add K-2 --name "Second Shop" --tier key --assign li --by boss >/dev/null   # due 12-01 10:00
at 1s
check "wang's only, the phone aside, li's talk aside" "$(K obligations)" "$contact" \
    "K-2 li 2026-12-01T10:00:00+08:00, N-1 wang 2026-12-01T10:00:00+08:00"
at 24h                                                                  # 11-25 10:00
q=$(K consult --customer K-2 --by li --question "first call" --answer "introduced the lab")
check "K-2 contacted" "$(K customer show K-2)" .first_contact_at 2026-11-25T10:00:01+08:00
at 1s
check "K-2 met" "$(K obligations)" "$contact" "N-1 wang 2026-12-01T10:00:00+08:00"

at 143h59m58s                                                           # 12-01 10:00
check "overdue" "$(K escalations --open)" '[.items[] | select(.kind == "first-contact-overdue") | .subject + " " + .owner] | join(",")' "N-1 wang"
at 30m                                                                  # 10:30
K consult --customer N-1 --by wang --question "first call" --answer "samples promised" >/dev/null
at 1s
check "cleared" "$(K escalations)" '[.items[] | select(.kind == "first-contact-overdue") | "\(.subject) \(.state) \(.late_us)"] | join(",")' "N-1 cleared 30m"
check "nothing owed" "$(K obligations)" "$contact" ""
check "first contact" "$(K customer show N-1)" .first_contact_at 2026-12-01T10:30:00+08:00

# ---- a callback promised after a failed transfer (000 §五.5) ---------------------
# 12-01 10:30:01: li could not put K-2 through to production and promises
# a call back by 15:00 (the site's); zhou, a prospect, by 09:00 (the next
# one: tomorrow's). wang makes the first callback for li.
q=$(K consult --customer K-2 --by li --question "frames in stock?" --refer production --callback-by 15:00)
check "promised" "$q" '.id + " " + .callback_by' "Q-5 2026-12-01T15:00:00+08:00"
q=$(K consult --prospect "Mr Zhou, 139-0000-2222" --by li --question "crystal prices?" --callback-by 09:00)
check "promised, no answer yet" "$q" '.id + " " + .callback_by + " " + (.answer // "-")' "Q-6 2026-12-02T09:00:00+08:00 -"
at 1s
check "owed by li" "$(K obligations)" '[.items[] | select(.kind == "callback-overdue") | .subject + " " + .owner + " " + .due] | join(", ")' \
    "Q-5 li 2026-12-01T15:00:00+08:00, Q-6 li 2026-12-02T09:00:00+08:00"
refused_exit 1 "no such consultation" "not-found: --calls-back: consultation Q-99 does not exist" \
    consult --calls-back Q-99 --by wang --question q --answer a
refused_exit 1 "no promise" "conflict: --calls-back: consultation Q-4 promised no callback" \
    consult --calls-back Q-4 --by wang --question q --answer a
refused_exit 1 "another customer" "was customer K-2's, not N-1's" \
    consult --calls-back Q-5 --customer N-1 --by wang --question q --answer a
refused_exit 1 "in the past" "invalid: --callback-by: a callback is promised from now to a year ahead" \
    consult --customer K-2 --by li --question q --refer production --callback-by 2026-12-01T10:00:00+08:00
refused_exit 2 "neither who nor which" "or --calls-back Q-N" consult --by wang --question q --answer a
q=$(K consult --calls-back Q-5 --by wang --question "frames in stock?" --answer "30x40 in stock")
check "the callback" "$q" '[.id, .calls_back, .customer] | join(" ")' "Q-7 Q-5 K-2"
refused_exit 1 "called back twice" "conflict: --calls-back: consultation Q-5 was called back already, in Q-7" \
    consult --calls-back Q-5 --by li --question q --answer a
check "met in Q-7" "$(K consultations --by li)" \
    '[.items[] | select(.id == "Q-5") | .called_back_in + " " + .called_back_at] | join("")' "Q-7 2026-12-01T10:30:02+08:00"
at 1s
check "met: only zhou's owed" "$(K obligations)" '[.items[] | select(.kind == "callback-overdue") | .subject] | join(",")' "Q-6"
echo "intake consult: ok"
