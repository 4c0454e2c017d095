#!/usr/bin/env bash
# scar.sh - two workflows in one database: supplier corrective action requests (scar,
# 供应商 8D) walked through all their stages beside complaint cases, each workflow with its
# own forms, numbering (SCAR-{YYYY}-{NNNN}) and versions; list --workflow, info, show and the
# dossier; a new scar workflow version that adds a stage; then verify, and a header whose
# workflow was edited underneath capa is found.
source "$(dirname "$0")/common.bash"
TAMPER=${CAPA_BUILD:?CAPA_BUILD must name the build directory (ctest sets it)}/tests/faults/capa-tamper
[[ -x $TAMPER ]] || fail "$TAMPER missing (built with the tests)"

Q1=QC-$Y-0001 Q2=QC-$Y-0002 S1=SCAR-$Y-0001 S2=SCAR-$Y-0002
setup_users
for u in "ma sqe 马工 采购品质" "xu sqe 徐工 采购品质"; do
    set -- $u
    run 0 "$(pw admin)\n$(pw "$1")" user add "$1" --role "$2" --name "$3" --dept "$4" \
        --as admin --password-stdin
done
run 1 "$(pw admin)\n$(pw bad)" user add bad --role buyer --name B --dept D --as admin \
    --password-stdin
err_has "There is no role 'buyer'; the roles are: Administrator (admin), Sales / customer service (intake) (intake), Quality engineer (qe), Quality lead (qe_lead), Production manager (prod_mgr), Production (production), Auditor (auditor), Supplier quality engineer (sqe)"

# -- info lists both workflows ---------------------------------------------------------------
run 0 "" info
out_has "workflow complaint v1 客户投诉 / 品质异常 / Customer complaint, numbering QC-{YYYY}-{NNNN}:"
out_has "workflow scar v1 供应商 8D（SCAR） / Supplier corrective action request (SCAR), numbering SCAR-{YYYY}-{NNNN}:"
out_has "form scar_response v1; edit: sqe; sign received by sqe"
run 0 "" info --json
json "[w['id'] for w in d['workflows']] == ['complaint', 'scar']"
json "d['workflows'][1]['number_pattern'] == 'SCAR-{YYYY}-{NNNN}'"
json "[s['id'] for s in d['workflows'][1]['stages']] == ['scar_request', 'scar_response', 'scar_review', 'scar_closure']"
json "d['workflow_version'] == 1 and d['stages'][0]['id'] == 'intake'" # the default, as before

# -- opened side by side, numbered apart -----------------------------------------------------
as li 0 open customer=华东汽车 part_no=PCB-7731 description="焊点连锡" severity=important
out_is "$Q1"
as ma 0 open --workflow scar supplier="深圳精密五金" part_no=BRK-220 po_no=PO-2026-118 \
    lot_no=L0915 qty_affected=300 defect_code=BURR description="支架毛刺超标 / burrs on brackets" \
    severity=重要
out_is "$S1"
as li 0 open customer=南方家电 part_no=PCB-1001 description="外壳划伤" severity=general
out_is "$Q2"
as li 1 open --workflow scar supplier=X part_no=P description=d severity=general
err_has "open: Your role (Sales / customer service (intake)) may not open a case; that needs the role"
as ma 1 open --workflow nosuch supplier=X
err_has "workflow \`nosuch\`: not installed"
as ma 1 open --workflow scar customer=X part_no=P description=d severity=general
err_has "customer"

# -- the scar case through all its stages ----------------------------------------------------
as ma 1 sign "$S1" --meaning issued
err_has "field \`supplier_contact\`: value '' is required before sign-off"
err_has "field \`containment\`: value '' is required before sign-off"
as ma 0 set "$S1" supplier_contact="吴经理" containment="在库 300 件全检，挑出 41 件"
as ma 0 sign "$S1" --meaning issued
out_has "now in scar_response (供应商 8D 回复 / Supplier's 8D response)"
as ma 0 set "$S1" team.1.member="吴经理" team.1.team_role=组长 team.2.member="周工" \
    root_cause="冲压模具磨损" corrective_action="更换模具" verification="首件 + 巡检"
as ma 0 sign "$S1" --meaning received
as xu 0 set "$S1" decision=reject review_comments="根因未到底 / root cause not deep enough"
as xu 1 sign "$S1" --meaning accepted
err_has "field \`decision\` (审核结论): value 'reject' (退回); the workflow's rule: 'accepted' requires decision = 'accept' (接受)"
err_has "reject back to scar_response"
as xu 0 reject "$S1" --reason "根因未到底，退回供应商"
out_has "now in scar_response"
as ma 0 set "$S1" root_cause="模具保养周期过长，磨损未被点检发现" \
    preventive_action="模具保养周期由 5 万次改 3 万次"
as ma 0 sign "$S1" --meaning received
as xu 0 set "$S1" decision=accept
as xu 0 sign "$S1" --meaning accepted
as ma 0 set "$S1" effective=yes lots_checked="L0920 L0927 L1004"
as chen 0 sign "$S1" --meaning closed
out_has "closed (结案)"

# The complaint cases are untouched by all that and follow their own workflow.
as wang 0 set "$Q1" validity=valid containment="隔离"
as wang 0 sign "$Q1" --meaning reviewed
out_has "now in analysis"
as ma 1 set "$Q1" five_why.1.why=x
err_has "Your role (Supplier quality engineer) may not fill in the stage Root cause analysis"

# -- list, show, dossier ---------------------------------------------------------------------
run 0 "" list --json
json "[(c['number'], c['workflow']) for c in d] == [('$Q1', 'complaint'), ('$S1', 'scar'), ('$Q2', 'complaint')]"
run 0 "" list --workflow scar --json
json "[c['number'] for c in d] == ['$S1'] and d[0]['stage'] == 'scar_closure' and d[0]['closed']"
run 0 "" list --workflow complaint --json
json "[c['number'] for c in d] == ['$Q1', '$Q2']"
run 0 "" list --stage scar_review --json
json "d == []"
run 2 "" list --workflow nosuch
err_has "workflow \`nosuch\`: not installed"
run 2 "" list --workflow scar --stage analysis
err_has "unknown stage 'analysis'; stages are: scar_request scar_response scar_review scar_closure"
run 0 "" show "$S1" --json
json "d['workflow'] == 'scar' and d['closed'] is True"
json "[s['id'] for s in d['stages']] == ['scar_request', 'scar_response', 'scar_review', 'scar_closure']"
json "[s['form']['id'] for s in d['stages']] == ['scar_request', 'scar_response', 'scar_review', 'scar_closure']"
json "d['stages'][1]['values']['team.2.member'] == '周工'"
json "d['stages'][0]['values']['severity'] == 'important'"
json "[(s['stage'], s['kind']) for s in d['signatures']] == [('scar_request', 'sign'), ('scar_response', 'sign'), ('scar_review', 'reject'), ('scar_response', 'sign'), ('scar_review', 'sign'), ('scar_closure', 'sign')]"
json "d['stages'][2]['rules'][0]['en'] == 'sign-off requires Decision = Accept; this case: Accept (met)'"
run 0 "" show "$Q1" --json
json "d['workflow'] == 'complaint'"
run 0 "" show "$S1" --lang en
out_has "Supplier's 8D response"
out_has "Accepted: 徐工 (xu, Supplier quality engineer)"
run 0 "" dossier "$S1" -o "$T/s1.pdf"
pdftotext -layout "$T/s1.pdf" "$T/s1.txt"
grep -qF "D1–D7 · 供应商 8D 回复 / Supplier's 8D response" "$T/s1.txt" ||
    fail "dossier lacks the scar stage with its D-numbers"
grep -qF "模具保养周期过长" "$T/s1.txt" || fail "dossier lacks the supplier's root cause"
run 0 "" help sign "$Q2"
out_has "reviewed"
run 0 "" verify

# -- a new version of scar adds a stage; the closed case keeps its records -------------------
as ma 0 open --workflow scar supplier="东莞塑胶" part_no=CAP-9 description="缩水" severity=general
out_is "$S2"
as ma 0 set "$S2" supplier_contact="李" containment="挑选"
as ma 0 sign "$S2" --meaning issued
python3 - "$CAPA_SRC/forms/workflow-scar.xml" "$T/scar-v2.xml" <<'EOF'
import sys
s = open(sys.argv[1], encoding="utf-8").read()
s = s.replace('version="1">', 'version="2">', 1)
s = s.replace("  </stages>", """    <stage id="scar_audit" zh="供应商稽核" en="Supplier audit" form="scar_closure"
           editors="sqe qe_lead">
      <signoff meaning="audited" zh="稽核" en="Audited" by="qe_lead"/>
    </stage>
  </stages>""")
open(sys.argv[2], "w", encoding="utf-8").write(s)
EOF
run 0 "$(pw admin)" form install "$T/scar-v2.xml" --as admin --password-stdin
run 0 "" info --json
json "d['workflows'][1]['version'] == 2 and d['workflows'][1]['stages'][-1]['id'] == 'scar_audit'"
json "d['workflows'][0]['version'] == 1"
run 0 "" show "$S1" --json
json "d['closed'] is True and len(d['stages']) == 5 and d['stages'][4]['entered'] is None"
json "d['stages'][3]['values']['effective'] == 'yes'"
# A version that drops or reorders stages is refused: cases depend on them.
python3 - "$CAPA_SRC/forms/workflow-scar.xml" "$T/scar-bad.xml" <<'EOF'
import sys, re
s = open(sys.argv[1], encoding="utf-8").read().replace('version="1">', 'version="3">', 1)
s = re.sub(r'    <!-- D8.*?</stage>\n', '', s, flags=re.S)
open(sys.argv[2], "w", encoding="utf-8").write(s)
EOF
snapshot drop
run 1 "$(pw admin)" form install "$T/scar-bad.xml" --as admin --password-stdin
err_has "a new version of workflow \`scar\` must keep the stages of the current one, in order"
unchanged drop
# S2 walks on through the new last stage.
as ma 0 set "$S2" root_cause=rc corrective_action=ca verification=v
as ma 0 sign "$S2" --meaning received
as xu 0 set "$S2" decision=accept
as xu 0 sign "$S2" --meaning accepted
as ma 0 set "$S2" effective=yes
as chen 0 sign "$S2" --meaning closed
out_has "now in scar_audit"
as ma 0 set "$S2" effective=yes lots_checked="稽核 2026-12"
as chen 0 sign "$S2" --meaning audited
out_has "closed (结案)"
run 0 "" verify
run 0 "" backup "$T/good"

# -- the header's workflow is derived from the open event: an edit is found -----------------
"$TAMPER" "$CAPA_DB" hdr "$S1" workflow complaint 2>"$T/t.err" || fail "tamper: $(cat "$T/t.err")"
run 1 "" verify
err_has "case $S1: header: stored workflow 'complaint', event"
err_has "says 'scar'"
run 1 "" verify --json
json "any(m['case'] == '$S1' and m['db'] == 'cases' and m['field'] == 'workflow' for m in d['mismatches'])"

# what to type for a scar case: help open --workflow names its first form's fields
run 0 "" help open --workflow scar
out_has "scar_request v1"
out_has "supplier"
run 1 "" help open --workflow nope
err_has 'workflow `nope`: not installed'
