#!/usr/bin/env bash
# import_clock.sh - imported cases are on the clock (issue 16, defect 13): open cases from a
# legacy sheet run their limits from their recorded opening (idx_due: `list --overdue`, the
# dashboard, `capa escalate`), limits their record shows done (a stage passed, containment
# recorded) are not chased, and closed imported cases show every limit met or met late by
# their recorded closing - never "overdue" now. verify replays all of it.
source "$(dirname "$0")/common.bash"
source "$(dirname "$0")/serve.bash"
at '2026-03-01 00:00:00' setup_users

# register plus a containment column (intake) and a root cause (analysis): a row with a
# root cause lands in analysis, past the intake sign-off (the response).
sed 's|<column header="结案日期" case="closed"/>|&\n  <column header="围堵措施" field="containment"/>\n  <column header="发生原因" stage="analysis" field="root_cause_occurrence"/>|' \
    "${CAPA_SRC:?}/forms/mappings/register.xml" >"$T/map.xml"
grep -q 发生原因 "$T/map.xml" || fail "mapping not extended"
cat >"$T/reg.csv" <<'EOF'
案号,投诉日期,客户名称,料号,问题描述,严重程度,处理状态,结案日期,围堵措施,发生原因
LG-0001,2026/1/5 08:00,华为,P-100,外壳划伤,一般,处理中,,,
LG-0002,2026/1/5 08:00,比亚迪,P-200,尺寸超差,一般,处理中,,库存隔离,
LG-0003,2026/1/5 08:00,小米,P-300,漏装螺丝,重要,处理中,,库存隔离,模具磨损
LG-0004,2025/11/3 08:00,OPPO,P-400,标签错误,一般,已结案,2025/11/3 20:00,,
LG-0005,2025/11/3 08:00,vivo,P-500,焊点连锡,重大,已结案,2026/1/20 09:00,,
EOF
at '2026-03-01 00:10:00' as admin 0 import --csv "$T/reg.csv" --map "$T/map.xml"
out_has "5 cases imported (2 closed)"

# -- open imported cases: due from the recorded opening (2026-01-05 08:00 UTC) ------------
run 0 "" list --overdue --at 2026-03-01T01:00 --json
got=$(jget 'sorted((x["number"], x["limit"], x["due"]) for x in d)')
want="[('LG-0001', 'closure', '2026-01-15T08:00:00+00:00'), ('LG-0001', 'containment', '2026-01-06T08:00:00+00:00'), ('LG-0001', 'plan', '2026-01-08T08:00:00+00:00'), ('LG-0001', 'response', '2026-01-06T08:00:00+00:00'), ('LG-0002', 'closure', '2026-01-15T08:00:00+00:00'), ('LG-0002', 'plan', '2026-01-08T08:00:00+00:00'), ('LG-0002', 'response', '2026-01-06T08:00:00+00:00'), ('LG-0003', 'closure', '2026-01-15T08:00:00+00:00'), ('LG-0003', 'plan', '2026-01-08T08:00:00+00:00')]"
[[ $got == "$want" ]] || fail "overdue: $got"
# Before the recorded due times nothing was overdue; at 80 % the response was due soon.
run 0 "" list --overdue --at 2026-01-06T07:59 --json
json 'd == []'
run 0 "" list --due-soon --at 2026-01-06T03:13 --json
json '("LG-0001", "response") in [(x["number"], x["limit"]) for x in d]'
# show agrees with the list: LG-0003 passed intake (response met by the import), its
# containment was recorded.
run 0 "" show LG-0003 --json --at 2026-03-01T01:00
json '{l["kind"]: l["state"] for l in d["limits"]} == {"response": "met_late", "containment": "met_late", "plan": "overdue", "closure": "overdue"}'
json 'd["stage"] == "analysis"'

# -- closed imported cases: met or met late by the recorded closing, never overdue --------
run 0 "" show LG-0004 --json
json 'all(l["state"] == "met" and l["met"] == "2025-11-03T20:00:00+00:00" for l in d["limits"])'
run 0 "" show LG-0005 --json
json '{l["kind"]: l["state"] for l in d["limits"]} == {"response": "met_late", "containment": "met_late", "plan": "met_late", "closure": "met_late"}'
run 0 "" show LG-0005 --lang en
out_lacks "overdue"
out_has "met 2026-01-20T09:00:00+00:00"

# The monthly report judges them by the same dates: in 2025-11 LG-0004 met every limit (closed
# the day it was opened), LG-0005 was still open at the month's end (closed 2026-01-20).
run 0 "" report monthly --month 2025-11 --format json -o "$T/r.json"
OUT=$(cat "$T/r.json")
json 'd["on_time_counts"]["response"] == {"due": 2, "on_time": 1} and d["on_time_counts"]["closure"] == {"due": 2, "on_time": 1}'
json 'sorted((o["number"], o["kind"]) for o in d["overdue"]) == [("LG-0005", k) for k in ("closure", "containment", "plan", "response")]'

# -- the dashboard names them ----------------------------------------------------------------
serve_start
login wang "$T/wang.jar"
req d1 -b "$T/wang.jar" "$B/?lang=en"
want 200 d1
python3 - "$T/d1" <<'PY' || fail "dashboard: imported overdue cases"
import re, sys
html = open(sys.argv[1], encoding="utf-8").read()
due = re.search(r'<section class="panel" id="due">(.*?)</section>', html, re.S).group(1)
for n in ("LG-0001", "LG-0002", "LG-0003"):
    assert n in due, n
for n in ("LG-0004", "LG-0005"):
    assert n not in due, n
PY
serve_stop

# -- escalate chases them, once -------------------------------------------------------------
at '2026-03-01 02:00:00' run 0 "" escalate
[[ $(grep -c '^LG-0001 ' <<<"$OUT") == 12 ]] || fail "LG-0001: 4 limits x 3 levels escalated"
out_lacks "LG-0004"
out_lacks "LG-0005"
grep -q '^LG-0003  response' <<<"$OUT" && fail "LG-0003's response was met by the import"
at '2026-03-01 03:00:00' run 0 "" escalate
out_lacks "LG-000"
# A sign-off meets the response: it leaves the list.
at '2026-03-01 04:00:00' as wang 0 set LG-0001 validity=valid containment=隔离
at '2026-03-01 04:10:00' as wang 0 sign LG-0001 --meaning reviewed
run 0 "" list --overdue --at 2026-03-01T05:00 --json
json 'sorted(x["limit"] for x in d if x["number"] == "LG-0001") == ["closure", "plan"]'

# -- derived by apply, compared by verify ----------------------------------------------------
run 0 "" verify
TAMPER=${CAPA_BUILD:?CAPA_BUILD must name the build directory (ctest sets it)}/tests/faults/capa-tamper
cp -a "$CAPA_DB" "$T/good"
# An imported case's due entry deleted: it would drop out of list --overdue and escalate.
"$TAMPER" "$CAPA_DB" idx-del idx_due LG-0002 || fail "capa-tamper idx-del"
run 1 "" verify
err_has "LG-0002"
rm -rf "$CAPA_DB" && cp -a "$T/good" "$CAPA_DB"
# Its header's due times moved.
"$TAMPER" "$CAPA_DB" hdr LG-0002 met 0xf || fail "capa-tamper hdr"
run 1 "" verify
err_has "LG-0002"
echo "ok import_clock"
