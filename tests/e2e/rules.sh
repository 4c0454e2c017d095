#!/usr/bin/env bash
# rules.sh - the workflow's rules as data (forms/workflow.xml), through the real binary: a
# failed verification cannot be verified (and a forged trail that says otherwise does not
# replay), an invalid complaint goes straight to the archive with the stages between shown
# as skipped, closing needs the customer reply, the person complained about may neither edit
# nor sign, and an independence refusal names who can sign instead. show, show --json and
# the dossier state the rules that applied.
source "$(dirname "$0")/common.bash"
TAMPER=${CAPA_BUILD:?CAPA_BUILD must name the build directory (ctest sets it)}/tests/faults/capa-tamper
[[ -x $TAMPER ]] || fail "$TAMPER missing (built with the tests)"

N1=QC-$Y-0001 N2=QC-$Y-0002
setup_users

open_case() {
    as li 0 open customer="$1" part_no=PCB-7731 lot_no=L2026-1102 qty_affected=12 \
        defect_code=SOLDER-BRIDGE severity=important description="$2" "${@:3}"
}

# -- 1. verification: a failed check is not verified ---------------------------------------
open_case 华东汽车 "焊点连锡" subject_person=sun
as wang 0 set "$N1" validity=valid containment="库存隔离" team.1.member=王工 team.1.team_role=组长 \
    team.2.member=孙班长 problem_what="焊点连锡" problem_where="客户来料检验" problem_how_many="12 件"
as wang 0 sign "$N1" --meaning reviewed
as wang 0 set "$N1" five_why.1.why="为何连锡" five_why.1.because="钢网开口偏大" \
    category_6m=method root_cause_occurrence="钢网开口偏大" root_cause_escape="AOI 未覆盖"
as chen 0 sign "$N1" --meaning reviewed

# Independence, no dead end: zhao fixed a date, so he may not approve; nobody else can yet.
as wang 0 set "$N1" corrective_actions.1.action="钢网开口缩小" corrective_actions.1.owner=wang \
    corrective_actions.1.due=2026-12-05 "${D7_OK[@]}" preventive_actions.1.action="更新规范" \
    preventive_actions.1.owner=wang preventive_actions.1.due=2026-12-20
as zhao 0 set "$N1" corrective_actions.1.due=2026-12-06 "${D7_OK[@]}" corrective_actions.1.status=done \
    corrective_actions.1.done_date=2026-12-04 corrective_actions.1.evidence="钢网验收单 ST-88"
snapshot indep
as zhao 1 sign "$N1" --meaning approved
err_has "You changed fields of the stage Corrective and preventive actions, so 'Approved' must come from someone else"
err_has "no self-approval"
err_has "no other user with the role Production manager can sign it: please ask the administrator to add one"
unchanged indep
run 0 "$(pw admin)\n$(pw qian)" user add qian --role prod_mgr --name 钱经理 --dept 生产部 \
    --as admin --password-stdin
as zhao 1 sign "$N1" --meaning approved
err_has "who can sign instead: qian (钱经理)"
as qian 0 sign "$N1" --meaning approved

# Recusal covers editing: sun is the person complained about (and a production user).
snapshot recusal
as sun 1 set "$N1" disposition=rework
err_has "set $N1: user \`sun\` is the person complained about (subject_person, 被投诉人) and is recused from this case: no edit, no sign-off"
as sun 1 sign "$N1" --meaning done
err_has "sign $N1: user \`sun\` is the person complained about"
unchanged recusal
run 0 "$(pw admin)\n$(pw zheng)" user add zheng --role production --name 郑班长 --dept 生产部 \
    --as admin --password-stdin
as zheng 0 set "$N1" disposition=rework qty_reworked=12
as zheng 0 sign "$N1" --meaning done

# Verification failed: 'verified' is refused naming field, value, rule and the way on.
as wang 0 set "$N1" method="复检" sample_size=50 result=fail evidence="仍有 2 件连锡"
snapshot verify_fail
as wang 1 sign "$N1" --meaning verified
err_has "sign $N1: stage verification is not complete: field \`result\` (验证结果): value 'fail' (不合格); the workflow's rule: 'verified' requires result = 'pass' (合格)"
err_has "the way on: set the field after a new check, or reject back to action (capa reject $N1 --reason TEXT)"
unchanged verify_fail
run 0 "" show "$N1" --json
json "d['stage'] == 'verification'"
json "d['stages'][4]['rules'][0] == {'zh': '签核要求 验证结果 = 合格；本案：不合格（尚未满足）', 'en': 'sign-off requires Result = Pass; this case: Fail (not met yet)'}"
json "d['stages'][4]['rules'][1]['en'] == 'sign-off requires in each row of Challenge-part tests: Result = Pass (challenge part caught) (met)'"
as wang 0 reject "$N1" --reason "复检不合格"
as qian 0 sign "$N1" --meaning approved
as zheng 0 sign "$N1" --meaning done
as wang 0 set "$N1" result=pass evidence="连续 3 批 0 不良"
as wang 0 sign "$N1" --meaning verified

# Required to close: every empty required field named at once, the customer reply first.
snapshot close
as chen 1 sign "$N1" --meaning closed
err_has "field \`customer_reply\`: value '' is required before sign-off"
err_has "field \`lessons_learned\`: value '' is required before sign-off"
unchanged close
as wang 0 set "$N1" customer_reply="已回复客户 8D 报告" lessons_learned="钢网评审"
as chen 0 sign "$N1" --meaning closed

run 0 "" show "$N1"
out_has "回避：被投诉人 sun 不得编辑或签核本案 / recusal: sun (person complained about) may neither edit nor sign this case"
out_has "签核要求 验证结果 = 合格；本案：合格（已满足） / sign-off requires Result = Pass; this case: Pass (met)"
out_has "审批独立：签核人不得修改过本阶段的任何字段 / independent sign-off: the signer changed no field of this stage"
out_has "有效性 = 无效 时直接转至 归档（无效投诉）；本案：未转 / when Validity = Invalid the case goes straight to Archive (invalid complaint); this case: not taken"
out_has "签核要求 客户回复 已填写（已满足）"
out_lacks "skipped"
run 0 "" show "$N1" --json
json "all(s['skipped'] is None for s in d['stages'])"
json "d['recusal']['en'] == 'recusal: sun (person complained about) may neither edit nor sign this case'"

# -- 2. an invalid complaint goes straight to the archive -----------------------------------
open_case 南方家电 "客户误用，非质量问题"
as wang 0 set "$N2" validity=invalid containment="无需围堵"
as wang 0 sign "$N2" --meaning reviewed
out_has "now in archive"
run 0 "" show "$N2" --json
json "d['stage'] == 'archive'"
json "[s['skipped'] for s in d['stages']] == [None] + [{'zh': '已跳过（无效投诉）', 'en': 'skipped (invalid complaint)'}] * 4 + [None]"
run 0 "" log "$N2" --json
json "[e for e in d if e['action'] == 'sign'][0]['facts']['route'] == 'validity=invalid'"
as chen 1 sign "$N2" --meaning closed
err_has "field \`customer_reply\`: value '' is required before sign-off"
as wang 0 set "$N2" customer_reply="已向客户说明：使用不当" lessons_learned="说明书补充警示"
as chen 0 sign "$N2" --meaning closed
run 0 "" show "$N2"
out_has "已跳过（无效投诉） / skipped (invalid complaint)"
out_has "本案：已转 / when Validity = Invalid the case goes straight to Archive (invalid complaint); this case: taken"
run 0 "" show "$N2" --lang zh
out_has "已跳过（无效投诉）"
out_lacks "skipped"
run 0 "" show "$N2" --lang en
out_has "skipped (invalid complaint)"
out_lacks "已跳过"
run 0 "" dossier "$N2" -o "$T/n2.pdf"
pdftotext -layout "$T/n2.pdf" "$T/n2.txt"
grep -qF "已跳过（无效投诉） Skipped (invalid complaint)" "$T/n2.txt" || fail "dossier lacks the skip"
grep -qF "invalid complaint); this case: taken" "$T/n2.txt" || fail "dossier lacks the route rule"
run 0 "" dossier "$N1" -o "$T/n1.pdf"
pdftotext -layout "$T/n1.pdf" "$T/n1.txt"
grep -qF "sign-off requires Result = Pass; this case: Pass (met)" "$T/n1.txt" ||
    fail "dossier lacks the verification rule"
grep -qF "may neither edit nor sign this case" "$T/n1.txt" || fail "dossier lacks the recusal"
# 8D completeness: the D-numbers beside the stage names, D1 team, D2 5W2H, action status.
for want in "D0–D3 · 品质异常反馈 / Quality complaint intake" "D4 · 原因分析 / Root cause analysis" \
    "D5, D7 · 纠正预防措施" "D6 · 验证 / Verification" "D8 · 归档 / Archive" "D1 小组成员" \
    "D2 什么问题" "钢网验收单 ST-88" "已完成"; do
    grep -qF -- "$want" "$T/n1.txt" || fail "dossier lacks: $want"
done
run 0 "" show "$N1" --json
json "[s['eightd'] for s in d['stages']] == ['D0–D3', 'D4', 'D5, D7', 'D5', 'D6', 'D8']"
json "d['stages'][2]['values']['corrective_actions.1.status'] == 'done'"
run 0 "" verify

# -- 3. a forged trail: the failed result signed as verified does not replay ---------------
# The forger rewrites the verification data to 'fail' and the sign-off's data hash to that
# of the failing data (taken from a copy whose stored record was edited and re-hashed), and
# recomputes the chain: the hash matches, the workflow's rule does not.
run 0 "" backup "$T/good"
run 0 "" log "$N1" --json
SET_PASS=$(jget '[e["seq"] for e in d if e["action"] == "set" and e["stage"] == "verification"][-1]')
SIGN_VER=$(jget '[e["seq"] for e in d if e["action"] == "sign" and e["stage"] == "verification"][-1]')
cp -a "$T/good" "$T/copy"
"$TAMPER" "$T/copy" stage "$N1" 4 result fail --rehash 2>"$T/t.err" || fail "tamper: $(cat "$T/t.err")"
CAPA_DB=$T/copy run 0 "" show "$N1" --json
HFAIL=$(jget '[s["data_hash"] for s in d["signatures"] if s["meaning"] == "verified"][-1]')
[[ ${#HFAIL} == 64 ]] || fail "no failing hash"
cp -a "$T/good" "$T/forged"
for rw in "$SET_PASS change:result fail" "$SIGN_VER fact:data_hash $HFAIL" \
    "$SIGN_VER change:data_hash $HFAIL"; do
    # shellcheck disable=SC2086
    "$TAMPER" "$T/forged" rewrite $rw 2>"$T/t.err" || fail "tamper rewrite $rw: $(cat "$T/t.err")"
done
CAPA_DB=$T/forged run 1 "" verify
err_has "audit event $SIGN_VER (sign $N1): signed over field \`result\` = 'fail', but the workflow's rule says 'verified' requires result = 'pass'"
CAPA_DB=$T/forged run 1 "" verify --json
json "d['ok'] is False and any(m['db'] == 'events' and m['case'] == '$N1' for m in d['mismatches'])"

# -- 4. a workflow whose rules name what its forms lack is refused --------------------------
sed 's/<require field="result" equals="pass"\/>/<require field="result" equals="passed"\/>/' \
    "$CAPA_SRC/forms/workflow.xml" >"$T/wf-bad.xml"
snapshot badwf
run 1 "$(pw admin)" form install "$T/wf-bad.xml" --as admin --password-stdin
err_has "stage \`verification\`: the sign-off's rule wants field \`result\` = 'passed', which is not a choice of form \`verification\`"
sed 's/to="archive" zh="无效投诉"/to="intake" zh="无效投诉"/' "$CAPA_SRC/forms/workflow.xml" >"$T/wf-back.xml"
run 1 "$(pw admin)" form install "$T/wf-back.xml" --as admin --password-stdin
err_has "stage \`intake\` routes to \`intake\`, which is not a later stage"
unchanged badwf
run 0 "" verify
