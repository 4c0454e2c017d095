#!/usr/bin/env bash
# recurrence_detail.sh - recurrence as auditors ask it (issue 19): on a recurrence, `show`
# (text and --json), the dossier and the web case page name each earlier case, whether it
# is closed and whether its corrective actions were verified effective (a standing
# "verified" sign-off: one superseded by a rejection or a second round does not count), and
# link to it on the web page.
source "$(dirname "$0")/common.bash"
source "$(dirname "$0")/serve.bash"
setup_users

open_one() {
    as li 0 open customer=华东汽车 part_no=PCB-1 defect_code=SOLDER severity=general \
        description="连锡"
}
to_verified() { # CASE: intake to a "verified" sign-off (the case then in archive)
    as wang 0 set "$1" validity=valid containment="隔离"
    as wang 0 sign "$1" --meaning reviewed
    as wang 0 set "$1" five_why.1.why="为何" five_why.1.because="因为" category_6m=method \
        root_cause_occurrence="发生" root_cause_escape="流出"
    as chen 0 sign "$1" --meaning reviewed
    as wang 0 set "$1" corrective_actions.1.action="纠正" corrective_actions.1.owner=sun \
        corrective_actions.1.due=2026-12-20 "${D7_OK[@]}" preventive_actions.1.action="预防" \
        preventive_actions.1.owner=wang preventive_actions.1.due=2026-12-20
    as zhao 0 sign "$1" --meaning approved
    as sun 0 set "$1" disposition=rework
    as sun 0 sign "$1" --meaning done
    as wang 0 set "$1" method="复检" result=pass evidence="0 不良"
    as wang 0 sign "$1" --meaning verified
}

# A: verified effective and closed. B: verified, then the customer was not satisfied: sent
# round again, its verification superseded. C: still in intake. D: the recurrence.
open_one
CA=$OUT
to_verified "$CA"
as wang 0 set "$CA" customer_reply="已回复" satisfaction=satisfied lessons_learned="经验"
as chen 0 sign "$CA" --meaning closed
open_one
CB=$OUT
to_verified "$CB"
as wang 0 set "$CB" customer_reply="已回复" satisfaction=dissatisfied lessons_learned="经验"
as chen 0 sign "$CB" --meaning closed
open_one
CC=$OUT
open_one
CD=$OUT

run 0 "" show "$CA" --json
VAT=$(jget '[s["time"] for s in d["signatures"] if s["meaning"] == "verified"][0]')
run 0 "" show "$CD" --json
json "d['recurrence_of'] == ['$CA', '$CB', '$CC']"
json "d['recurrence'] == [
    {'number': '$CA', 'closed': True, 'verified_effective': True, 'verified_at': '$VAT', 'verified_by': '王工'},
    {'number': '$CB', 'closed': False, 'verified_effective': False, 'verified_at': None, 'verified_by': None},
    {'number': '$CC', 'closed': False, 'verified_effective': False, 'verified_at': None, 'verified_by': None}]"
run 0 "" show "$CA" --json
json 'd["recurrence"] == [] and d["recurrence_of"] == []'
run 0 "" show "$CD" --lang en
out_has "recurrence of: $CA $CB $CC"
out_has "$CA: closed, corrective actions verified effective $VAT"
out_has "$CB: open, corrective actions NOT verified effective"

run 0 "" dossier "$CD" -o "$T/d.pdf"
pdftotext -layout "$T/d.pdf" - | tr -s ' ' >"$T/d.txt"
grep -qF "$CA, $CB, $CC" "$T/d.txt" || fail "the dossier lacks the earlier case numbers"
grep -qF "$CA: 已结案 closed, 措施已验证有效 corrective actions verified" "$T/d.txt" ||
    fail "the dossier lacks $CA's verification: $(grep -F "$CA" "$T/d.txt")"
grep -qF "$CB: 未结案 open, 措施未验证有效 corrective actions NOT" "$T/d.txt" ||
    fail "the dossier lacks $CB's state"

serve_start
login zhou "$T/zhou.jar"
req p -b "$T/zhou.jar" "$B/cases/$CD?lang=en"
want 200 p
has p "<a href=\"/cases/$CA\">$CA</a> (verified effective)"
has p "<a href=\"/cases/$CB\">$CB</a> (not verified effective)"
req pa -b "$T/zhou.jar" "$B/cases/$CA?lang=en"
want 200 pa
lacks pa 'Recurrence of'
serve_stop
echo "recurrence_detail: ok"
