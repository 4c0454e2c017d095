#!/usr/bin/env bash
# cli_discover.sh - a CLI people can find their way in (issue 10), through the real binary:
# `form show` and `help open|set|sign` list the fields; choices by label; "did you mean";
# `list` aligned by display width with bilingual headings, its new filters and its "no cases
# match"; `show --lang zh|en` in one language; times in UTC and the local time zone.
source "$(dirname "$0")/common.bash"

N=QC-$Y-0001
N2=QC-$Y-0002

# The display column at which `needle` starts in `line` (East Asian wide = 2 columns).
col_of() {
    python3 -c '
import sys, unicodedata
line, needle = sys.argv[1], sys.argv[2]
i = line.find(needle)
if i < 0:
    print(-1)
else:
    print(sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line[:i]))' "$1" "$2"
}

# -- form show and help work before any case exists; help open even without a database ----
run 0 "" --db "$T/none" help open
out_has "usage: capa open"
out_has "(no database: the built-in forms)"
out_has "severity"
[[ ! -e $T/none ]] || fail "help open created a database"

setup_users

run 0 "" form show intake
err_empty
out_has "intake v1  品质异常反馈 / Quality complaint intake"
out_has "字段"
out_has "FIELD"
out_has "客户 / Customer"
out_has "开立时必填 / required at creation"
out_has "签核前必填 / required at sign-off"
out_has "最长字数 / max length 100"
out_has "格式 / pattern [A-Za-z0-9][A-Za-z0-9._/-]*"
out_has "0..100000000"
out_has "= important"
out_has "重要 / Important"
# The columns line up by display width: the label column starts at the same place in the
# heading and in the rows, Chinese labels before them or not.
head=$(grep -m1 "^  FIELD" <<<"$OUT")
row=$(grep -m1 "^  customer " <<<"$OUT")
sev=$(grep -m1 "^  severity " <<<"$OUT")
[[ $(col_of "$head" LABEL) == $(col_of "$row" 客户) ]] || fail "label column not aligned: '$head' / '$row'"
[[ $(col_of "$head" REQUIRED) == $(col_of "$row" 开立时) ]] || fail "required column not aligned"
[[ $(col_of "$head" REQUIRED) == $(col_of "$sev" 开立时) ]] || fail "required column not aligned (severity)"
run 0 "" form show intake --lang en
out_has "Customer"
out_lacks "客户"
out_has "required at creation"

run 0 "" form show analysis
out_has "five_why.N.why"
out_has "five_why.N.because"
out_has "最多行数 / rows at most 10"
out_has "= method"

run 0 "" form show intake --json
json 'd["id"] == "intake" and d["version"] == 1 and d["label"]["zh"] == "品质异常反馈"'
json '[f for f in d["fields"] if f["id"] == "customer"][0]["required"] == "create"'
json '[f for f in d["fields"] if f["id"] == "validity"][0]["required"] == "sign"'
json '[f for f in d["fields"] if f["id"] == "received_date"][0]["required"] is None'
json '[f for f in d["fields"] if f["id"] == "customer"][0]["max_length"] == 100'
json '[f for f in d["fields"] if f["id"] == "qty_affected"][0]["min"] == 0'
json '{"value": "important", "label": {"zh": "重要", "en": "Important"}} in [f for f in d["fields"] if f["id"] == "severity"][0]["choices"]'
run 0 "" form show analysis --version 1 --json
json '[f for f in d["fields"] if f["id"] == "five_why"][0]["type"] == "group"'
json '[c["id"] for c in [f for f in d["fields"] if f["id"] == "five_why"][0]["columns"]] == ["why", "because"]'
run 1 "" form show intake --version 9
err_has "no such form or version; forms are: intake analysis"
run 1 "" form show colour
err_has "capa: form show colour: no such form; forms are: intake"
run 2 "" form show intake --version x
run 2 "" form show

run 0 "" help open
out_has "usage: capa open"
out_has "Fields to give when opening a case"
out_has "severity"
out_has "severity=一般, severity=General"
run 0 "" help
out_has "help sign CASE"
out_has "form show"

# -- choices by label, in either language; "did you mean" ---------------------------------
as li 0 open customer="华东汽车" part_no=PCB-7731 severity=重要 channel=E-mail \
    description="焊点连锡"
out_is "$N"
run 0 "" show "$N" --json
json 'd["stages"][0]["values"]["severity"] == "important" and d["stages"][0]["values"]["channel"] == "email"'
as li 0 open customer="ACME Motors" part_no=X-1 severity=Major description="scratches"
out_is "$N2"
run 0 "" show "$N2" --json
json 'd["stages"][0]["values"]["severity"] == "major"'
snapshot refused
as li 1 open custmer="华东汽车" part_no=PCB-7731 severity=一般 description=x
err_has "field \`custmer\`: value '华东汽车' is not a field of form \`intake\`"
err_has "did you mean \`customer\`?"
as li 1 open customer=x part_no=P severity=紧急 description=x
err_has "field \`severity\`: value '紧急' is not one of: general, important, major"
err_lacks() { ! grep -qF -- "$1" <<<"$ERR" || fail "stderr has: $1"; }
err_lacks "did you mean"
unchanged refused

as wang 0 set "$N" validity=有效 containment="隔离"
run 0 "" show "$N" --json
json 'd["stages"][0]["values"]["validity"] == "valid"'

# help sign before and after: what is still missing, who may sign.
run 0 "" help sign "$N"
out_has "usage: capa sign"
out_has "--meaning reviewed  审核 / Reviewed"
out_has "品质工程师 / Quality engineer (qe)"
out_has "wang 王工"
out_lacks "required before sign-off, still empty"
as wang 0 sign "$N" --meaning reviewed
run 0 "" help sign "$N"
out_has "--meaning reviewed"
out_has "品管主管 / Quality lead (qe_lead)"
out_has "chen 陈主管"
out_has "required before sign-off, still empty: category_6m root_cause_occurrence root_cause_escape"
out_has "five_why.N.because"
run 0 "" help sign
out_has "--meaning"
out_has "批准 / Approved"
run 0 "" help set "$N"
out_has "usage: capa set"
out_has "原因分析 / Root cause analysis (analysis)"
out_has "roles that may edit"
out_has "category_6m"
out_has "= measurement"
run 0 "" help set "$N" --lang zh
out_has "当前阶段"
out_lacks "current stage:"
run 1 "" help set QC-$Y-9999
run 0 "" help set
out_has "usage: capa set"

as wang 1 set "$N" five_why.1.why="为何连锡" five_why.1.becuase="钢网开口偏大" category_6m=法
err_has "did you mean \`five_why.1.because\`?"
as wang 0 set "$N" five_why.1.why="为何连锡" five_why.1.because="钢网开口偏大" category_6m=法 \
    root_cause_occurrence="钢网开口设计偏大" root_cause_escape="AOI 未覆盖"
run 0 "" show "$N" --json
json 'd["stages"][1]["values"]["category_6m"] == "method"'
as chen 0 sign "$N" --meaning reviewed
# The independence rule in help: who edited the stage may not approve it.
as zhao 0 set "$N" corrective_actions.1.action="钢网开口缩小" corrective_actions.1.owner=sun \
    corrective_actions.1.due=2026-12-05 "${D7_OK[@]}"
run 0 "" help sign "$N" --lang en
out_has "--meaning approved  Approved"
out_has "zhao 赵经理  (edited this stage; the sign-off must be independent)"
out_has "nobody can sign now: an admin must add a user with one of these roles"

# -- list: aligned, bilingual headings, filters, and no silence ---------------------------
run 0 "" list
err_empty
out_has "案号"
out_has "NUMBER"
zh=$(grep -m1 "^案号" <<<"$OUT")
en=$(grep -m1 "^NUMBER" <<<"$OUT")
one=$(grep -m1 "^$N" <<<"$OUT")
two=$(grep -m1 "^$N2" <<<"$OUT")
for h in "STAGE 纠正预防措施" "CUSTOMER 华东汽车" "PART PCB-7731" "SEVERITY 重要" "DESCRIPTION 焊点连锡"; do
    set -- $h
    [[ $(col_of "$en" "$1") == $(col_of "$one" "$2") ]] || fail "list: $1 not aligned: '$en' / '$one'"
done
[[ $(col_of "$en" CUSTOMER) == $(col_of "$two" "ACME Motors") ]] || fail "list: customer not aligned (ASCII row)"
[[ $(col_of "$en" PART) == $(col_of "$two" "X-1") ]] || fail "list: part not aligned after a Chinese customer"
[[ $(col_of "$zh" 客户) == $(col_of "$en" CUSTOMER) ]] || fail "list: headings not aligned"
[[ $one != *" " ]] || fail "list: trailing spaces"

run 0 "" list --severity 重要
out_has "$N"
out_lacks "$N2"
run 0 "" list --severity Important --json
json "[c['number'] for c in d] == ['$N']"
run 0 "" list --severity major --json
json "[c['number'] for c in d] == ['$N2']"
run 2 "" list --severity urgent
err_has "unknown severity 'urgent'; severities are: general (一般 / General) important"
run 0 "" list --customer-like 汽车 --json
json "[c['number'] for c in d] == ['$N']"
run 0 "" list --customer-like acme --json
json "[c['number'] for c in d] == ['$N2']"
run 0 "" list --customer-like o --limit 1 --json
json "[c['number'] for c in d] == ['$N2']"
run 0 "" list --customer-like 南方
[[ -z $OUT ]] || fail "list with no match printed on stdout: $OUT"
err_has "no cases match / 没有符合条件的案件"
run 0 "" list --customer-like 南方 --json
json 'd == []'
run 0 "" list --stage rework --lang en
err_has "no cases match"
err_lacks "没有"
run 0 "" list --lang zh
out_has "案号"
out_lacks "NUMBER"

# -- show in one language; times in UTC and local ------------------------------------------
run 0 "" show "$N" --lang zh
err_empty
out_has "← 当前阶段"
out_has "（表单第 1 版）"
out_has "品质工程师"
out_has "品管主管"
out_has "状态: 纠正预防措施"
out_has "客户: 华东汽车"
out_has "严重度: 重要 (important)"
for word in "<- current" "(intake" "(analysis" "form " " qe)" "qe_lead" "prod_mgr" "entered" \
    "reviewed" "Reviewed" "signatures" "not reached"; do
    out_lacks "$word"
done
run 0 "" show "$N" --lang en
out_has "<- current"
out_has "Reviewed: 王工 (wang, Quality engineer)"
out_has "Severity: Important (important)"
# No Chinese but in values: the values here are 华东汽车, 焊点连锡, 隔离, names and reasons.
python3 - "$OUT" <<'PY' || fail "show --lang en has Chinese outside values"
import re, sys
values = ["华东汽车", "焊点连锡", "隔离", "王工", "陈主管", "赵经理", "孙班长", "为何连锡",
          "钢网开口偏大", "钢网开口设计偏大", "AOI 未覆盖", "钢网开口缩小"]
text = sys.argv[1]
for v in values:
    text = text.replace(v, "")
bad = re.findall(r"[\u3000-\u9fff\uff00-\uffef]+", text)
if bad:
    print("Chinese left:", bad, file=sys.stderr)
    sys.exit(1)
PY
# Both languages together: as before (the acceptance walk reads this form).
run 0 "" show "$N"
out_has "审核 / Reviewed: 王工 (wang, qe)"
out_has "(action, form action v1)  <- current"

TZ=CST-8 run 0 "" show "$N"
grep -qE 'opened: [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z \(([0-9]{4}-[0-9]{2}-[0-9]{2} )?[0-9]{2}:[0-9]{2}:[0-9]{2} \+08:00\)' <<<"$OUT" ||
    fail "show does not give the local time with its offset: $OUT"
grep -qE 'wang, qe\)  [0-9T:-]{19}Z \(.*\+08:00\)' <<<"$OUT" || fail "signature time without local time"
# UTC and local agree: the hour is 8 later, across midnight as well.
python3 - "$OUT" <<'PY' || fail "local time is not UTC+8"
import re, sys, datetime
m = re.search(r"opened: (\S+)Z \((?:(\d{4}-\d\d-\d\d) )?(\d\d:\d\d:\d\d) \+08:00\)", sys.argv[1])
utc = datetime.datetime.fromisoformat(m.group(1))
local = utc + datetime.timedelta(hours=8)
assert local.strftime("%H:%M:%S") == m.group(3), (utc, m.groups())
assert (m.group(2) is None) == (local.date() == utc.date()), (utc, m.groups())
if m.group(2):
    assert m.group(2) == local.strftime("%Y-%m-%d")
PY
TZ=UTC0 run 0 "" show "$N"
out_has "+00:00)"
TZ=EST5 run 0 "" show "$N" --lang en
out_has "-05:00)"
run 0 "" show "$N" --json
json 'd["opened"].endswith("Z") and "(" not in d["opened"]'

echo "ok cli_discover"
