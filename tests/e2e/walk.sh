#!/usr/bin/env bash
# walk.sh - the acceptance walk of issue 3, command for command, through the real binary:
# one complaint through all six stages with one rejection loop, then show/list/log/verify,
# a plant's own intake form installed as version 2 (old cases keep version 1), and backup.
source "$(dirname "$0")/common.bash"

N=QC-$Y-0001

# -- init and users -----------------------------------------------------------------------
run 0 "$(pw admin)" init --org "示例电子有限公司" --password-stdin
err_empty
[[ -d $CAPA_DB ]] || fail "init did not create $CAPA_DB"
for u in "li intake 李娜 业务部" "wang qe 王工 品管部" "chen qe_lead 陈主管 品管部" \
    "zhao prod_mgr 赵经理 生产部" "sun production 孙班长 生产部" "zhou auditor 周审核 审计部"; do
    set -- $u
    run 0 "$(pw admin)\n$(pw "$1")" user add "$1" --role "$2" --name "$3" --dept "$4" \
        --as admin --password-stdin
    err_empty
done
run 0 "" user list --json
json 'len(d) == 7 and [u["id"] for u in d] == sorted(u["id"] for u in d)'
json '{u["id"]: u["role"] for u in d}["zhao"] == "prod_mgr"'
json '[u for u in d if u["id"] == "li"][0]["name"] == "李娜"'
json '[u for u in d if u["id"] == "li"][0]["dept"] == "业务部"'
json 'not any(u["locked"] for u in d)'

stage_is() {
    run 0 "" show "$N" --json
    json "d['stage'] == '$1'"
}

# -- intake -------------------------------------------------------------------------------
as li 0 open customer="华东汽车" part_no=PCB-7731 lot_no=L2026-1102 qty_affected=120 \
    defect_code=SOLDER-BRIDGE severity=important channel=written complaint_type=quality \
    responsible_dept=生产部 description="焊点连锡，客户来料检验发现"
out_is "$N"
err_empty
stage_is intake
json 'd["opened_by"] == "li" and d["closed"] is False'

as wang 0 set "$N" validity=valid containment="库存隔离 3 批，全检"
err_empty
as wang 0 sign "$N" --meaning reviewed
out_has "analysis"
stage_is analysis

# -- analysis -----------------------------------------------------------------------------
as wang 0 set "$N" five_why.1.why="为何连锡" five_why.1.because="钢网开口偏大" \
    category_6m=method root_cause_occurrence="钢网开口设计偏大 0.05 mm" \
    root_cause_escape="AOI 程序未覆盖该位置"
as chen 0 sign "$N" --meaning reviewed
stage_is action

# The issue's list query, while the case is in action.
run 0 "" list --stage action --customer 华东汽车 --text 连锡
out_has "$N"
run 0 "" list --stage action --customer 华东汽车 --text 连锡 --json
json "len(d) == 1 and d[0]['number'] == '$N' and d[0]['stage'] == 'action'"
json 'd[0]["customer"] == "华东汽车" and d[0]["part_no"] == "PCB-7731"'
json 'd[0]["defect_code"] == "SOLDER-BRIDGE" and d[0]["severity"] == "important"'
run 0 "" list --stage analysis --json
json 'd == []'
run 0 "" list --customer 南方家电 --json
json 'd == []'
run 0 "" list --text 不存在的词 --json
json 'd == []'

# -- action, rejected once (审查 N), then approved (审查 Y) ------------------------------
as wang 0 set "$N" corrective_actions.1.action="钢网开口缩小 10%" \
    corrective_actions.1.owner=sun corrective_actions.1.due=2026-12-05 "${D7_OK[@]}"
as zhao 0 reject "$N" --reason "缺少预防措施"
out_has "analysis"
stage_is analysis
as chen 0 sign "$N" --meaning reviewed
stage_is action
as wang 0 set "$N" preventive_actions.1.action="更新钢网设计规范" \
    preventive_actions.1.owner=wang preventive_actions.1.due=2026-12-20
as zhao 0 sign "$N" --meaning approved
stage_is rework

# -- rework, verification, archive --------------------------------------------------------
as sun 0 set "$N" disposition=rework rework_mode=in_house rework_order=RW-2026-0088 \
    qty_reworked=120 qty_scrapped=0 qty_received=120
as sun 0 sign "$N" --meaning done
stage_is verification
as wang 0 set "$N" method="复检 + 批量验证" sample_size=200 result=pass evidence="连续 3 批 0 不良"
as wang 0 sign "$N" --meaning verified
stage_is archive
as wang 0 set "$N" customer_reply="已回复客户 8D 报告" follow_up_date=2026-12-28 \
    follow_up_by=wang satisfaction=satisfied lessons_learned="钢网设计评审加入开口检查" \
    documents_updated="WI-SMT-012 rev C"
as chen 0 sign "$N" --meaning closed
out_has "closed"
err_empty

# -- show --json: every stage, values, labels, signatures ---------------------------------
run 0 "" show "$N" --json
json "d['number'] == '$N' and d['stage'] == 'archive' and d['closed'] is True"
json 'd["closed_at"] is not None and d["opened"].endswith("Z")'
json '[s["id"] for s in d["stages"]] == ["intake", "analysis", "action", "rework", "verification", "archive"]'
json 'all(s["form"]["id"] == s["id"] and s["form"]["version"] == 1 for s in d["stages"])'
json 'd["stages"][0]["values"]["customer"] == "华东汽车"'
json 'd["stages"][0]["values"]["qty_affected"] == "120"'
json 'd["stages"][0]["values"]["containment"] == "库存隔离 3 批，全检"'
json 'd["stages"][1]["values"]["five_why.1.because"] == "钢网开口偏大"'
json 'd["stages"][2]["values"]["corrective_actions.1.due"] == "2026-12-05"'
json 'd["stages"][2]["values"]["preventive_actions.1.owner"] == "wang"'
json 'd["stages"][3]["values"]["rework_order"] == "RW-2026-0088"'
json 'd["stages"][4]["values"]["result"] == "pass"'
json 'd["stages"][5]["values"]["satisfaction"] == "satisfied"'
json 'set(d["stages"][0]["editors"]) == {"li", "wang"}'
# Labelled fields in form order, choices with both labels, group rows numbered.
json '[f for f in d["stages"][0]["fields"] if f["id"] == "customer"][0]["label"] == {"zh": "客户", "en": "Customer"}'
json '[f for f in d["stages"][0]["fields"] if f["id"] == "severity"][0]["display"] == {"zh": "重要", "en": "Important"}'
json '[f for f in d["stages"][1]["fields"] if f["id"] == "five_why"][0]["rows"] == [{"row": 1, "values": {"why": "为何连锡", "because": "钢网开口偏大"}}]'
json '[f for f in d["stages"][0]["fields"] if f["id"] == "severity"][0]["value"] == "important"'
# Signatures: 7 sign-offs and 1 rejection; the analysis sign-off before the rejection is
# superseded, the one after it is not.
json 'len(d["signatures"]) == 8'
json '[(s["stage"], s["kind"], s["meaning"], s["user"]) for s in d["signatures"]] == [
    ("intake", "sign", "reviewed", "wang"), ("analysis", "sign", "reviewed", "chen"),
    ("action", "reject", "rejected", "zhao"), ("analysis", "sign", "reviewed", "chen"),
    ("action", "sign", "approved", "zhao"), ("rework", "sign", "done", "sun"),
    ("verification", "sign", "verified", "wang"), ("archive", "sign", "closed", "chen")]'
json '[s["superseded"] for s in d["signatures"]][:2] == [False, True]'
json 'not any(s["superseded"] for s in d["signatures"][3:])'
json 'd["signatures"][2]["reason"] == "缺少预防措施"'
json 'd["signatures"][2]["meaning_label"] == {"zh": "驳回", "en": "Rejected"}'
json 'd["signatures"][4]["name"] == "赵经理" and d["signatures"][4]["role"] == "prod_mgr"'
json 'd["signatures"][4]["meaning_label"] == {"zh": "批准", "en": "Approved"}'
json 'all(len(s["data_hash"]) == 64 and s["time"].endswith("Z") for s in d["signatures"])'
json 'all(s["seq"] > 0 for s in d["signatures"])'

# -- show as text, three languages --------------------------------------------------------
run 0 "" show "$N"
err_empty
out_has "QC-$Y-0001"
out_has "客户 / Customer: 华东汽车"
out_has "重要 / Important (important)"
out_has "原因分析 / Root cause analysis"
out_has "批准 / Approved: 赵经理 (zhao, prod_mgr)"
out_has "驳回 / Rejected: 赵经理 (zhao, prod_mgr)"
out_has "理由 / reason: 缺少预防措施"
out_has "已作废"
out_has "钢网开口缩小 10%"
out_has "sun (孙班长)"
run 0 "" show "$N" --lang en
out_has "Customer: 华东汽车"
out_has "Severity: Important (important)"
out_lacks "客户: "
run 0 "" show "$N" --lang zh
out_has "客户: 华东汽车"
out_has "严重度: 重要 (important)"
out_lacks "Customer: "

# -- list ---------------------------------------------------------------------------------
run 0 "" list --closed --json
json "[c['number'] for c in d] == ['$N'] and d[0]['closed'] is True"
run 0 "" list --open --json
json 'd == []'
today=$(date -u +%F)
run 0 "" list --from "$today" --to "$today" --json
json 'len(d) == 1'
run 0 "" list --to 2000-01-01 --json
json 'd == []'

# -- log: the audit trail -----------------------------------------------------------------
run 0 "" log "$N" --json
json "all(e['case'] == '$N' for e in d)"
json '[e["action"] for e in d].count("sign") == 7 and [e["action"] for e in d].count("reject") == 1'
json 'd[0]["action"] == "open" and d[0]["actor"] == "li" and d[0]["stage"] == "intake"'
json '[e for e in d if e["action"] == "reject"][0]["reason"] == "缺少预防措施"'
json '[e for e in d if e["action"] == "reject"][0]["actor"] == "zhao"'
json '{"field": "containment", "old": None, "new": "库存隔离 3 批，全检"} in [c for e in d for c in e["changes"]]'
json 'all(len(e["hash"]) == 64 for e in d) and [e["seq"] for e in d] == sorted(e["seq"] for e in d)'
run 0 "" log "$N"
out_has "reject"
out_has "缺少预防措施"
out_has "containment: ∅ → '库存隔离 3 批，全检'"
run 0 "" log --json
json '[e["action"] for e in d][0] == "init"'
json 'sum(1 for e in d if e["action"] == "user_add") == 7' # admin at init + 6
events=$(jget 'len(d)')
last=$(jget 'd[-1]["hash"]')

# -- verify and info agree on the chain head ----------------------------------------------
run 0 "" verify
err_empty
[[ $OUT =~ ^[0-9a-f]{64}$ ]] || fail "verify printed '$OUT', not a hash"
[[ $OUT == "$last" ]] || fail "verify head $OUT is not the last event's hash $last"
head=$OUT
run 0 "" verify --json
json "{k: d[k] for k in ('ok', 'head', 'events', 'bad_seq', 'error')} == {'ok': True, 'head': '$head', 'events': $events, 'bad_seq': None, 'error': None} and d['seq'] == $events and d['mismatches'] == []"
run 0 "" info --json
json "d['head'] == '$head' and d['cases'] == 1 and d['events'] == $events"
json 'd["org"] == "示例电子有限公司" and d["number_pattern"] == "QC-{YYYY}-{NNNN}"'
json '[s["id"] for s in d["stages"]][2] == "action" and d["stages"][2]["reject_to"] == "analysis"'
run 0 "" info
out_has "示例电子有限公司"

# -- a plant's own intake form: check, install as version 2; the old case keeps v1 --------
sed -e 's/version="1"/version="2"/' \
    -e 's#</form>#  <field id="customer_ref" type="text" zh="客户编号" en="Customer reference" max-length="40"/>\n</form>#' \
    "$CAPA_SRC/forms/intake.xml" >"$T/my-intake.xml"
grep -q customer_ref "$T/my-intake.xml" || fail "could not build my-intake.xml"
run 0 "" form check "$T/my-intake.xml"
out_has "my-intake.xml: ok"
err_empty
run 0 "" form check "$CAPA_SRC/forms/workflow.xml" "$CAPA_SRC/forms/action.xml"
out_has "workflow.xml: ok"
out_has "action.xml: ok"
as admin 0 form install "$T/my-intake.xml"
out_has "version 2"
as li 0 open customer="华东汽车" part_no=PCB-7731 severity=general description="新表单测试" \
    customer_ref=CR-0042
out_is "QC-$Y-0002"
run 0 "" show QC-$Y-0002 --json
json 'd["stages"][0]["form"] == {"id": "intake", "version": 2}'
json 'd["stages"][0]["values"]["customer_ref"] == "CR-0042"'
json 'd["stages"][1]["form"] is None and d["stages"][1]["entered"] is None'
json 'd["stages"][1]["values"] == {} and d["stages"][1]["fields"] == []'
run 0 "" show QC-$Y-0002 --lang en
out_has "Customer reference: CR-0042"
run 0 "" show "$N" --json
json 'd["stages"][0]["form"] == {"id": "intake", "version": 1}'
run 0 "" show "$N" --lang en
out_has "Customer: 华东汽车"

# -- backup: a consistent copy with the same chain head -----------------------------------
run 0 "" verify
head=$OUT
run 0 "" backup "$T/backup"
run 0 "" --db "$T/backup" verify
out_is "$head"
run 0 "" --db "$T/backup" show "$N" --json
json 'd["closed"] is True'

# -- help and version ---------------------------------------------------------------------
run 0 "" --version
out_has "capa 0."
run 0 "" help
out_has "sign"
run 0 "" help set
out_has "usage: capa set CASE"
run 0 "" set --help
out_has "usage: capa set CASE"

echo "ok walk"
