#!/usr/bin/env bash
# serve_waiver.sh - the waiver in the browser (IATF 16949 §10.2.4 / 8D D7, issue 19): the
# signing dialog of an action plan offers the quality lead (the role the workflow's <waiver>
# names) the waiver with its required reason, and no one else; a waiver posted without a
# reason is refused and signs nothing; with one it is signed
# over the data the dialog showed and the production manager's approval then goes through.
# The dossier prints the waiver with its label (文件更新豁免 Document update waived) and its
# reason.
source "$(dirname "$0")/common.bash"
source "$(dirname "$0")/serve.bash"
serve_init_users
as li 0 open customer=华东汽车 part_no=P-1 description=连锡 severity=general qty_affected=5
N=$OUT
as wang 0 set "$N" validity=valid containment=隔离
as wang 0 sign "$N" --meaning reviewed
as wang 0 set "$N" five_why.1.why=为何 five_why.1.because=因为 category_6m=method \
    root_cause_occurrence=开口偏大 root_cause_escape=未覆盖
as chen 0 sign "$N" --meaning reviewed
# A plan naming no PFMEA / control-plan update: the approval needs the quality lead's waiver.
as wang 0 set "$N" corrective_actions.1.action=临时全检 corrective_actions.1.owner=sun \
    corrective_actions.1.due=2026-12-31 corrective_actions.1.error_proofing=none \
    corrective_actions.1.error_proofing_reason=临时措施 preventive_actions.1.action=改规范 \
    preventive_actions.1.owner=wang preventive_actions.1.due=2026-12-31
as zhao 1 sign "$N" --meaning approved
err_has "or a waiver 'waived' (文件更新豁免) signed by role qe_lead"
serve_start

# The quality lead: the case page leads to the dialog, which offers the waiver and its reason.
login chen "$T/chen.jar"
req c1 -b "$T/chen.jar" "$B/cases/$N?lang=both"; want 200 c1
has c1 "/cases/$N/sign\""
has c1 "签署豁免 / Sign a waiver"
req d1 -b "$T/chen.jar" "$B/cases/$N/sign?lang=both"; want 200 d1
has d1 'name="meaning" value="waived"'
has d1 '文件更新豁免 / Document update waived'
has d1 'name="reason" required="required"'
TOK=$(csrf d1)
SEEN=$(grep -o 'name="seen" value="[0-9a-f]*"' "$T/d1" | head -1 | sed 's/.*value="\(.*\)"/\1/')
[[ ${#SEEN} == 64 ]] || fail "no data hash in the dialog"
PW=$(pw chen | tr -d '\n')
req w1 -b "$T/chen.jar" -d "csrf=$TOK&seen=$SEEN&meaning=waived&reason=" \
    --data-urlencode "password=$PW" "$B/cases/$N/sign?lang=en"
[[ $S == 4* ]] || fail "a waiver without a reason: status $S"
has w1 'role="alert"' # the engine's refusal shown on the dialog
run 0 "" show "$N" --json
json 'not [g for g in d["signatures"] if g["kind"] == "waiver"]'
req w3 -b "$T/chen.jar" -d "csrf=$TOK&seen=$SEEN&meaning=waived" \
    --data-urlencode "reason=临时措施，不更新 PFMEA / interim action" \
    --data-urlencode "password=$PW" "$B/cases/$N/sign"
want 303 w3
run 0 "" show "$N" --json
json '[(g["kind"], g["meaning"], g["user"], g["reason"], g["data_hash"]) for g in d["signatures"] if g["kind"] == "waiver"] == [("waiver", "waived", "chen", "临时措施，不更新 PFMEA / interim action", "'"$SEEN"'")]'
json 'd["stage"] == "action"'

# Others are not offered the waiver: the QE (an editor) and the production manager (the signer).
login wang "$T/wang.jar"
req d2 -b "$T/wang.jar" "$B/cases/$N/sign?lang=both"; want 200 d2
lacks d2 'value="waived"'
login zhao "$T/zhao.jar"
req d3 -b "$T/zhao.jar" "$B/cases/$N/sign?lang=both"; want 200 d3
lacks d3 'value="waived"'
has d3 'name="meaning" value="approved"'
# A waiver posted by a role the workflow does not name is refused by the engine.
TOK=$(csrf d3)
req w4 -b "$T/zhao.jar" -d "csrf=$TOK&seen=$SEEN&meaning=waived" --data-urlencode "reason=x" \
    --data-urlencode "password=$(pw zhao | tr -d '\n')" "$B/cases/$N/sign?lang=en"
[[ $S == 403 ]] || fail "zhao's waiver: status $S"
has w4 "that needs the role Quality lead" # worded from the refusal (words17e), no role id
as zhao 0 sign "$N" --meaning approved

# The dossier: the waiver by its label, with its reason.
run 0 "" dossier "$N" -o "$T/d.pdf"
pdftotext "$T/d.pdf" - | tr -s ' \n' ' ' >"$T/d.txt"
# (the signature table's meaning cell: "zh / en"; the rule sentences say "文件更新豁免（waived）")
grep -qF "文件更新豁免 / " "$T/d.txt" ||
    fail "dossier: the waiver's signature without its label"
grep -qF "豁免理由 Reason for the waiver: 临时措施，不更新 PFMEA / interim action" "$T/d.txt" ||
    fail "dossier: no waiver reason"
run 0 "" verify
echo "serve_waiver: ok"
