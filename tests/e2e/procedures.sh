#!/usr/bin/env bash
# procedures.sh - issue 19's procedures, end to end with the real binary:
#  - IATF 16949 §10.2.4 / 8D D7: an action plan whose corrective actions name no document
#    update (PFMEA or control plan, revision after) is refused, and accepted with a waiver
#    signed by the quality lead (a signature: role, reason, data hash; stale after an edit);
#    error-proofing "none" without a reason is refused;
#  - the challenge-part test of an error-proofing device recorded at verification (a failed
#    one refuses "verified");
#  - IATF §10.2.5-10.2.6: a field failure whose analysis records the returned-part test and
#    a no-trouble-found (NTF) decision against the criteria agreed with the customer, counted
#    apart in the figures of every report format (json, csv, xlsx, pdf);
#  - 8D D8: the customer's acceptance recorded apart from the closing; a rejected 8D re-opens
#    the round;
#  - verify passes, and names a waiver or an error-proofing value rewritten in the store.
source "$(dirname "$0")/common.bash"
TAMPER=${CAPA_BUILD:?CAPA_BUILD must name the build directory (ctest sets it)}/tests/faults/capa-tamper

# Debian's python3-openpyxl is in the system's python3 (a pyenv one earlier on PATH lacks it).
PY=python3
[[ -x /usr/bin/python3 ]] && PY=/usr/bin/python3
"$PY" -c 'import openpyxl' 2>/dev/null || fail "python3-openpyxl is needed"

setup_users
N=QC-$Y-0001
M=QC-$Y-0002
D=$(date -u +%F)

# -- a field failure: the returned part tested, no trouble found ---------------------------
as li 0 open customer=华东汽车 part_no=PCB-1 defect_code=NO-POWER severity=general \
    channel=written complaint_type=field_failure description="市场退件：不上电 / field return"
as wang 0 set "$N" validity=valid containment="同批在库品复测"
as wang 0 sign "$N" --meaning reviewed
as wang 0 set "$N" five_why.1.why="为何不上电" five_why.1.because="未复现" category_6m=measurement \
    root_cause_occurrence="未发现故障" root_cause_escape="不适用" \
    returned_part_test="退件 48 h 老化 + 功能测试 3 次，均正常" ntf_decision=ntf
snapshot ntf
as chen 1 sign "$N" --meaning reviewed
err_has "field \`ntf_criteria\` (NTF 判定标准（与客户约定）): empty; the workflow's rule: 'reviewed' requires \`ntf_criteria\` to be filled in where \`ntf_decision\` = 'ntf'"
unchanged ntf
as wang 0 set "$N" ntf_criteria="客户规范 CS-2026-07：复测 3 次无故障判 NTF"
as chen 0 sign "$N" --meaning reviewed

# -- the action plan: error-proofing and the documents the fix updates ---------------------
as wang 0 set "$N" corrective_actions.1.action="增加出货老化抽检" corrective_actions.1.owner=sun \
    corrective_actions.1.due=2026-12-20 corrective_actions.1.error_proofing=none \
    preventive_actions.1.action="退件分析纳入月度评审" preventive_actions.1.owner=wang \
    preventive_actions.1.due=2026-12-31
snapshot d7
as zhao 1 sign "$N" --meaning approved
err_has "field \`corrective_actions.1.error_proofing_reason\` (无防错理由): empty; the workflow's rule: 'approved' requires \`corrective_actions.1.error_proofing_reason\` to be filled in where \`corrective_actions.1.error_proofing\` = 'none'"
err_has "field \`corrective_actions.1.pfmea_rev_after\` (PFMEA 新版本): empty; the workflow's rule: 'approved' requires \`corrective_actions.1.pfmea_rev_after\` or \`corrective_actions.1.control_plan_rev_after\` to be filled in, or a waiver 'waived' (文件更新豁免) signed by role qe_lead over these data"
# The same refusal worded for a Chinese user (issue 17): labels, no field ids, no command.
as zhao 1 sign "$N" --meaning approved --lang zh
err_has "签核“批准”要求填写「纠正措施 1 · 无防错理由」（「纠正措施 1 · 防错方法」为“无防错”时）"
err_has "要求填写「纠正措施 1 · PFMEA 新版本」或「纠正措施 1 · 控制计划新版本」，或由品管主管签署“文件更新豁免”"
if grep -q '`\|capa \|waiver\|corrective_actions\|requires' <<<"$ERR"; then
    fail "--lang zh: English, a field id or a command: $ERR"
fi
unchanged d7
as wang 0 set "$N" corrective_actions.1.error_proofing_reason="NTF：无失效机理可防错"
# A reference without its revisions is refused too.
as wang 0 set "$N" corrective_actions.1.pfmea_ref=PFMEA-PCB-1
as zhao 1 sign "$N" --meaning approved
err_has "\`corrective_actions.1.pfmea_rev_before\` to be filled in where \`corrective_actions.1.pfmea_ref\` is filled in"
grep -qF error_proofing_reason <<<"$ERR" && fail "a reason given is still named"
as wang 0 set "$N" corrective_actions.1.pfmea_ref=
snapshot waiver
# The waiver is the quality lead's, and needs a reason.
as wang 1 sign "$N" --meaning waived --reason "无需更新"
err_has "waiver 'waived' (文件更新豁免) on stage action needs role qe_lead"
as chen 1 sign "$N" --meaning waived
err_has "reason"
as zhao 1 sign "$N" --meaning approved --reason "x"
err_has "--reason is for a waiver"
unchanged waiver
as chen 0 sign "$N" --meaning waived --reason "NTF：无文件需更新 / no document to update"
out_has "now in action"
# An edit after the waiver: the waiver no longer covers the data signed off.
as wang 0 set "$N" corrective_actions.1.evidence="老化抽检记录 AG-01"
as zhao 1 sign "$N" --meaning approved
err_has "none stands"
as chen 0 sign "$N" --meaning waived --reason "NTF：无文件需更新（证据已补）"
as zhao 0 sign "$N" --meaning approved
out_has "rework"
run 0 "" show "$N" --json
json '[ (g["kind"], g["meaning"], g["role"]) for g in d["signatures"] if g["kind"] == "waiver"] == [("waiver", "waived", "qe_lead")] * 2'
json '[g["reason"] for g in d["signatures"] if g["kind"] == "waiver"][1] == "NTF：无文件需更新（证据已补）"'
run 0 "" show "$N"
out_has "or a waiver 'waived' (Document update waived) signed"

# -- verification: the challenge-part test of each error-proofing device -------------------
as sun 0 set "$N" disposition=rework
as sun 0 sign "$N" --meaning done
as wang 0 set "$N" method="老化复测" result=pass evidence="0 不良" \
    challenge_tests.1.device="老化抽检工装 AG-01" challenge_tests.1.tested_at=2026-12-07T08:00Z \
    challenge_tests.1.tested_by=wang challenge_tests.1.result=fail
as wang 1 sign "$N" --meaning verified
err_has "field \`challenge_tests.1.result\` (结果): value 'fail'; the workflow's rule: 'verified' requires \`challenge_tests.1.result\` = 'pass'"
as wang 0 set "$N" challenge_tests.1.result=pass challenge_tests.1.note="挑战件 5 次全部检出"
as wang 0 sign "$N" --meaning verified
run 0 "" show "$N" --json
json 'd["stages"][4]["values"]["challenge_tests.1.tested_by"] == "wang"'
json 'd["stages"][4]["values"]["challenge_tests.1.tested_at"] == "2026-12-07T08:00Z"'
json 'd["stages"][4]["values"]["challenge_tests.1.result"] == "pass"'
as wang 0 set "$N" customer_reply="8D 已回复" lessons_learned="NTF 判定标准与客户书面约定" \
    customer_acceptance=accepted
as chen 0 sign "$N" --meaning closed
run 0 "" show "$N" --json
json 'd["closed"] is True and d["stages"][5]["values"]["customer_acceptance"] == "accepted"'

# -- a warranty return, failure confirmed; the customer rejects the 8D: round 2 ------------
as li 0 open customer=南方家电 part_no=PWR-2 defect_code=BURN severity=important \
    channel=email complaint_type=warranty description="保修退货：烧毁 / warranty return"
as wang 0 set "$M" validity=valid containment="隔离"
as wang 0 sign "$M" --meaning reviewed
as wang 0 set "$M" five_why.1.why="为何烧毁" five_why.1.because="电容耐压不足" \
    category_6m=material root_cause_occurrence="电容降额不足" root_cause_escape="老化未覆盖" \
    ntf_decision=confirmed
as chen 1 sign "$M" --meaning reviewed
err_has "\`returned_part_test\` to be filled in where \`ntf_decision\` is filled in"
as wang 0 set "$M" returned_part_test="退件解剖：C12 击穿"
as chen 0 sign "$M" --meaning reviewed
as wang 0 set "$M" corrective_actions.1.action="C12 改 50 V" corrective_actions.1.owner=sun \
    corrective_actions.1.due=2026-12-20 corrective_actions.1.error_proofing=prevention \
    corrective_actions.1.error_proofing_device="BOM 防呆：耐压下限校验" \
    corrective_actions.1.pfmea_ref=PFMEA-PWR-2 corrective_actions.1.pfmea_rev_before=B \
    corrective_actions.1.pfmea_rev_after=C preventive_actions.1.action="降额规范" \
    preventive_actions.1.owner=wang preventive_actions.1.due=2026-12-31
as zhao 0 sign "$M" --meaning approved
as sun 0 set "$M" disposition=scrap
as sun 0 sign "$M" --meaning done
as wang 0 set "$M" method="加严老化" result=pass evidence="0 不良" \
    challenge_tests.1.device="BOM 防呆：耐压下限校验" challenge_tests.1.tested_at=2026-12-07T10:00Z \
    challenge_tests.1.tested_by=wang challenge_tests.1.result=pass
as wang 0 sign "$M" --meaning verified
as wang 0 set "$M" customer_reply="8D 已提交客户门户" lessons_learned="降额" \
    satisfaction=satisfied customer_acceptance=rejected
as chen 0 sign "$M" --meaning closed
out_has "analysis"
run 0 "" show "$M" --json
json 'd["closed"] is False and d["stage"] == "analysis" and d["round"] == 2'
json 'd["earlier_rounds"][0]["stages"][-1]["values"]["customer_acceptance"] == "rejected"'
as chen 0 sign "$M" --meaning reviewed

# -- the figures: the NTF case apart, in every format ---------------------------------------
run 0 "" report --from "$D" --to "$D" --format json -o "$T/r.json"
python3 - "$T/r.json" "$N" <<'PY' || fail "json figures"
import json, sys
d = json.load(open(sys.argv[1]))
assert (d["returns_decided"], d["ntf"], d["ntf_rate"], d["ntf_cases"]) == (2, 1, 0.5, [sys.argv[2]]), d
assert d["by_complaint_type"]["field_failure"] == 1 and d["by_complaint_type"]["warranty"] == 1, d
PY
run 0 "" report --from "$D" --to "$D" --format csv -o "$T/r.raw.csv"
tr -d '\r' <"$T/r.raw.csv" >"$T/r.csv" # CRLF rows, as Excel wants them
grep -qx 'returns_decided,,2,' "$T/r.csv" || fail "csv returns_decided: $(grep returns "$T/r.csv")"
grep -qx 'ntf,,1,' "$T/r.csv" || fail "csv ntf: $(grep ntf "$T/r.csv")"
grep -qx 'ntf_rate,,0.5000,' "$T/r.csv" || fail "csv ntf_rate: $(grep ntf_rate "$T/r.csv")"
grep -qx "ntf_case,$N,$N," "$T/r.csv" || fail "csv ntf_case"
run 0 "" report --from "$D" --to "$D" --format xlsx -o "$T/r.xlsx"
"$PY" - "$T/r.xlsx" "$N" <<'PY' || fail "xlsx figures"
import sys, openpyxl
rows = {(r[0], r[1] or ""): r[2] for r in openpyxl.load_workbook(sys.argv[1]).active.iter_rows(values_only=True)}
assert rows[("returns_decided", "")] == 2 and rows[("ntf", "")] == 1, rows
assert rows[("ntf_rate", "")] == 0.5 and rows[("ntf_case", sys.argv[2])] == sys.argv[2], rows
PY
run 0 "" report --from "$D" --to "$D" -o "$T/r.pdf"
pdftotext -layout "$T/r.pdf" "$T/r.txt"
grep -q "未发现故障 NTF: 1" "$T/r.txt" || fail "pdf: NTF count missing"
grep -q "NTF: $N" "$T/r.txt" || fail "pdf: the NTF case missing"

# -- verify replays it all, and names the new facts rewritten ------------------------------
run 0 "" verify
run 0 "" show "$N" --json
k=$(jget '[i for i, g in enumerate(d["signatures"], 1) if g["kind"] == "waiver"][-1]')
"$TAMPER" "$CAPA_DB" sig "$N" "$k" role qe >/dev/null
run 1 "" verify
err_has "$N"
err_has "role"
"$TAMPER" "$CAPA_DB" sig "$N" "$k" role qe_lead >/dev/null
run 0 "" verify
"$TAMPER" "$CAPA_DB" stage "$N" 2 corrective_actions.1.error_proofing prevention >/dev/null
run 1 "" verify
err_has "corrective_actions.1.error_proofing"
"$TAMPER" "$CAPA_DB" stage "$N" 2 corrective_actions.1.error_proofing none >/dev/null
run 0 "" verify
# The waiver's event rewritten (the chain recomputed after it): it does not replay, nor does
# the approval that leaned on it.
run 0 "" log "$N" --json
W1=$(jget '[e["seq"] for e in d if e["action"] == "waive"][0]')
W2=$(jget '[e["seq"] for e in d if e["action"] == "waive"][1]')
cp -a "$CAPA_DB" "$T/pristine"
run 0 "" user list --json
WANG=$(jget '[u["name"] for u in d if u["id"] == "wang"][0]')
"$TAMPER" "$CAPA_DB" rewrite "$W1" actor wang >/dev/null
"$TAMPER" "$CAPA_DB" rewrite "$W1" fact:name "$WANG" >/dev/null
"$TAMPER" "$CAPA_DB" rewrite "$W1" fact:role qe >/dev/null
"$TAMPER" "$CAPA_DB" rewrite "$W1" change:signature "waived $WANG (qe)" >/dev/null
run 1 "" verify
err_has "audit event $W1: does not replay: "
err_has "user \`wang\` has role qe, which may not sign this waiver"
rm -rf "$CAPA_DB" && cp -a "$T/pristine" "$CAPA_DB"
"$TAMPER" "$CAPA_DB" rewrite "$W2" change:data_hash 0000000000000000000000000000000000000000000000000000000000000000 >/dev/null
run 1 "" verify
err_has "audit event $W2: does not replay: "
err_has "the data hash it signs is not that of stage action"
rm -rf "$CAPA_DB" && cp -a "$T/pristine" "$CAPA_DB"
run 0 "" verify
# -- a store made before these rules keeps working ----------------------------------------
# Initialised with the definitions of then (tests/data/forms-v1): a plan approved under the
# old rules; after the new definitions are installed (capa form install), a plan filled in
# with the old form version is still approved, and a new case's plan is held to the rules.
export CAPA_DB=$T/old
setup_users --forms "${CAPA_SRC:?ctest sets CAPA_SRC}/tests/data/forms-v1"
to_action() { # CASE: open, through intake and analysis, an action plan without D7 data
    as li 0 open customer=华东汽车 part_no=PCB-9 severity=general description=旧
    as wang 0 set "$1" validity=valid containment="隔离"
    as wang 0 sign "$1" --meaning reviewed
    as wang 0 set "$1" five_why.1.why=a five_why.1.because=b category_6m=method \
        root_cause_occurrence=c root_cause_escape=d
    as chen 0 sign "$1" --meaning reviewed
    as wang 0 set "$1" corrective_actions.1.action=a corrective_actions.1.owner=sun \
        corrective_actions.1.due=2026-12-20 preventive_actions.1.action=b \
        preventive_actions.1.owner=wang preventive_actions.1.due=2026-12-20
}
to_action "QC-$Y-0001"
as zhao 0 sign "QC-$Y-0001" --meaning approved
to_action "QC-$Y-0002"
for f in intake analysis action verification workflow; do
    as admin 0 form install "$CAPA_SRC/forms/$f.xml"
    out_has "installed as version 2"
done
as zhao 0 sign "QC-$Y-0002" --meaning approved # its plan was filled in with action v1
run 0 "" show "QC-$Y-0002" --json
json 'd["stages"][2]["form"]["version"] == 1'
to_action "QC-$Y-0003"
as zhao 1 sign "QC-$Y-0003" --meaning approved
err_has "corrective_actions.1.error_proofing"
run 0 "" verify
echo "procedures: ok"
