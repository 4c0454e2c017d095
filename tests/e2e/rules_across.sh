#!/usr/bin/env bash
# rules_across.sh - sign-off rules that read another stage (issue 19, workflow.xml
# <require stage= / if-stage= / in=>), on the write path and at verify's replay:
#  - verification's 'verified' is refused while an error-proofing device of the action plan
#    (prevention or detection) has no passed challenge-part test naming it; a failed test or
#    a test of another device does not count;
#  - a field failure's / warranty return's analysis cannot be signed off without the
#    returned-part test and a decision (confirmed / NTF); other complaints need neither;
#  - a sign-off forged past either rule does not replay;
#  - a store made before the rules keeps working (the rules' columns absent from its forms).
source "$(dirname "$0")/common.bash"
TAMPER=${CAPA_BUILD:?CAPA_BUILD must name the build directory (ctest sets it)}/tests/faults/capa-tamper

setup_users
N=QC-$Y-0001
Q=QC-$Y-0002

# -- a field failure must decide -------------------------------------------------------------
as li 0 open customer=华东汽车 part_no=PCB-1 defect_code=NO-POWER severity=general \
    channel=written complaint_type=field_failure description="市场退件 / field return"
as wang 0 set "$N" validity=valid containment="复测在库品"
as wang 0 sign "$N" --meaning reviewed
as wang 0 set "$N" five_why.1.why=a five_why.1.because=b category_6m=measurement \
    root_cause_occurrence=c root_cause_escape=d
snapshot decide
as chen 1 sign "$N" --meaning reviewed
err_has "field \`returned_part_test\` (退件测试): empty; the workflow's rule: 'reviewed' requires \`returned_part_test\` to be filled in where \`complaint_type\` of stage intake = 'field_failure'"
err_has "field \`ntf_decision\` (退件判定): empty; the workflow's rule: 'reviewed' requires \`ntf_decision\` to be filled in where \`complaint_type\` of stage intake = 'field_failure'"
unchanged decide
as wang 0 set "$N" returned_part_test="退件复测：C3 开路"
as chen 1 sign "$N" --meaning reviewed
err_has "\`ntf_decision\` to be filled in where \`complaint_type\` of stage intake = 'field_failure'"
grep -qF "requires \`returned_part_test\`" <<<"$ERR" && fail "a test recorded is still named"
as wang 0 set "$N" ntf_decision=confirmed
as chen 0 sign "$N" --meaning reviewed
run 0 "" show "$N"
out_has "where Complaint type = Field failure in stage Quality complaint intake"
# The other stage is named by its label and its fields and choices by that stage's form.
run 0 "" --lang zh show "$N"
out_has "当 投诉类型 = 市场失效 时（阶段“品质异常反馈”） 退件测试 已填写"
out_lacks "complaint_type"
out_lacks "= field_failure"
out_lacks "阶段 intake"

# A quality complaint needs no returned-part decision.
as li 0 open customer=南方家电 part_no=PWR-2 defect_code=BURN severity=general \
    channel=email complaint_type=quality description="来料不良"
as wang 0 set "$Q" validity=valid containment="隔离"
as wang 0 sign "$Q" --meaning reviewed
as wang 0 set "$Q" five_why.1.why=a five_why.1.because=b category_6m=material \
    root_cause_occurrence=c root_cause_escape=d
as chen 0 sign "$Q" --meaning reviewed

# -- every error-proofing device has its challenge-part test ---------------------------------
as wang 0 set "$N" corrective_actions.1.action="ICT 增加 C3 测试" corrective_actions.1.owner=sun \
    corrective_actions.1.due=2026-12-20 corrective_actions.1.error_proofing=detection \
    corrective_actions.1.error_proofing_device="ICT 夹具 F-7" \
    corrective_actions.1.control_plan_ref=CP-PCB-1 corrective_actions.1.control_plan_rev_before=A \
    corrective_actions.1.control_plan_rev_after=B \
    corrective_actions.2.action="C3 焊盘加大" corrective_actions.2.owner=sun \
    corrective_actions.2.due=2026-12-20 corrective_actions.2.error_proofing=prevention \
    corrective_actions.2.error_proofing_device="钢网 ST-9" \
    corrective_actions.2.pfmea_ref=PFMEA-PCB-1 corrective_actions.2.pfmea_rev_before=C \
    corrective_actions.2.pfmea_rev_after=D \
    corrective_actions.3.action="人工目检" corrective_actions.3.owner=sun \
    corrective_actions.3.due=2026-12-20 corrective_actions.3.error_proofing=none \
    corrective_actions.3.error_proofing_reason="临时" corrective_actions.3.pfmea_ref=PFMEA-PCB-1 \
    corrective_actions.3.pfmea_rev_before=C corrective_actions.3.pfmea_rev_after=D \
    preventive_actions.1.action="规范" preventive_actions.1.owner=wang \
    preventive_actions.1.due=2026-12-31
as zhao 0 sign "$N" --meaning approved
as sun 0 set "$N" disposition=rework
as sun 0 sign "$N" --meaning done
# One device tested; the other's test failed; a third test names a device not in the plan.
as wang 0 set "$N" method="复测" result=pass evidence="0 不良" \
    challenge_tests.1.device="ICT 夹具 F-7" challenge_tests.1.tested_at=2026-12-07T08:00Z \
    challenge_tests.1.tested_by=wang challenge_tests.1.result=pass
snapshot challenge
as wang 1 sign "$N" --meaning verified
err_has "field \`corrective_actions.2.error_proofing_device\` of stage action (防错装置): value '钢网 ST-9'; the workflow's rule: 'verified' requires it found in a row of \`challenge_tests\` as \`device\` with \`result\` = 'pass' where \`corrective_actions.2.error_proofing\` = 'prevention'"
grep -qF "corrective_actions.1.error_proofing_device" <<<"$ERR" && fail "the tested device is named"
grep -qF "corrective_actions.3" <<<"$ERR" && fail "an action without a device is named"
unchanged challenge
as wang 0 set "$N" challenge_tests.2.device="钢网 ST-9" challenge_tests.2.tested_at=2026-12-07T09:00Z \
    challenge_tests.2.tested_by=wang challenge_tests.2.result=fail
as wang 1 sign "$N" --meaning verified
err_has "value '钢网 ST-9'; the workflow's rule: 'verified' requires it found in a row"
as wang 0 set "$N" challenge_tests.2.result=pass challenge_tests.3.device="钢网 ST-99" \
    challenge_tests.3.tested_at=2026-12-07T09:30Z challenge_tests.3.tested_by=wang \
    challenge_tests.3.result=pass challenge_tests.2.device="钢网 ST-99"
as wang 1 sign "$N" --meaning verified
err_has "value '钢网 ST-9'; the workflow's rule: 'verified' requires it found in a row"
as wang 0 set "$N" challenge_tests.2.device="钢网 ST-9"
as wang 0 sign "$N" --meaning verified
out_has "archive"
run 0 "" show "$N"
out_has "in each row of Corrective actions of stage Corrective and preventive actions: where Error-proofing = Prevention poka-yoke, Error-proofing device filled in and found in this stage's Challenge-part tests as Error-proofing device in a row where Result = Pass (challenge part caught) (met)"
out_has "签核要求 每行纠正措施（阶段“纠正预防措施”）： 当 防错方法 = 预防型防错 时 防错装置 已填写，且见于本阶段 防错验证（挑战件测试） 的 防错装置"
run 0 "" verify

# -- verify: a sign-off forged past the rule does not replay ---------------------------------
# The trail rewritten as one with file access could: the last test of 钢网 ST-9 made a test of
# another device, and the 'verified' event's data hash made that of the rewritten data (taken
# from a copy whose stage record was edited and re-hashed), so only the rule can catch it.
cp -a "$CAPA_DB" "$T/h"
"$TAMPER" "$T/h" stage "$N" 4 challenge_tests.2.device "钢网 ST-8" --rehash >/dev/null
run 0 "" --db "$T/h" show "$N" --json
H=$(jget '[g["data_hash"] for g in d["signatures"] if g["meaning"] == "verified"][0]')
run 0 "" log "$N" --json
S=$(jget '[e["seq"] for e in d if e["action"] == "set" and any(c["field"] == "challenge_tests.2.device" for c in e["changes"])][-1]')
V=$(jget '[e["seq"] for e in d if e["action"] == "sign" and e["stage"] == "verification"][0]')
cp -a "$CAPA_DB" "$T/pristine"
"$TAMPER" "$CAPA_DB" rewrite "$S" change:challenge_tests.2.device "钢网 ST-8" >/dev/null
"$TAMPER" "$CAPA_DB" rewrite "$V" change:data_hash "$H" >/dev/null
"$TAMPER" "$CAPA_DB" rewrite "$V" fact:data_hash "$H" >/dev/null
run 1 "" verify
err_has "audit event $V: does not replay: "
err_has "signed over stage action corrective_actions row 2: \`error_proofing_device\` not meeting the workflow's rule for 'verified'"
rm -rf "$CAPA_DB" && cp -a "$T/pristine" "$CAPA_DB"
run 0 "" verify

# -- a store made before these rules ---------------------------------------------------------
# Initialised with the definitions of then (tests/data/forms-v1: no complaint type, no
# error-proofing, no challenge tests): an analysis and a verification filled in then are
# signed off after the new definitions are installed; verify replays it all.
export CAPA_DB=$T/old
setup_users --forms "${CAPA_SRC:?ctest sets CAPA_SRC}/tests/data/forms-v1"
O=QC-$Y-0001
P=QC-$Y-0002
to_analysis() { # CASE
    as li 0 open customer=华东汽车 part_no=PCB-9 severity=general description=旧
    as wang 0 set "$1" validity=valid containment="隔离"
    as wang 0 sign "$1" --meaning reviewed
    as wang 0 set "$1" five_why.1.why=a five_why.1.because=b category_6m=method \
        root_cause_occurrence=c root_cause_escape=d
}
to_analysis "$O"
to_analysis "$P"
as chen 0 sign "$P" --meaning reviewed
as wang 0 set "$P" corrective_actions.1.action=a corrective_actions.1.owner=sun \
    corrective_actions.1.due=2026-12-20 preventive_actions.1.action=b \
    preventive_actions.1.owner=wang preventive_actions.1.due=2026-12-20
as zhao 0 sign "$P" --meaning approved
as sun 0 set "$P" disposition=rework
as sun 0 sign "$P" --meaning done
as wang 0 set "$P" method=m result=pass evidence=e
for f in intake analysis action verification workflow; do
    as admin 0 form install "$CAPA_SRC/forms/$f.xml"
    out_has "installed as version 2"
done
as chen 0 sign "$O" --meaning reviewed
as wang 0 sign "$P" --meaning verified
run 0 "" verify
echo "rules_across: ok"
