#!/usr/bin/env bash
# serve_dashboard.sh - the dashboard of capa serve (/): what waits for the signed-in user (by
# the workflow's roles for each case's current stage; the person a complaint is about is
# recused), open cases per stage, due soon / overdue from the engine's limits
# (capa_case_limits, judged now or ?at= a plant time like `capa show --at`), recent activity;
# in 中文, English or both; and the limits on the case page. The right next step: Fill in until
# the stage has what its sign-off requires, then Sign off (a signer who does not fill it in
# waits until then); a case sent back (审查 N) shows the rejection, who and why.
source "$(dirname "$0")/common.bash"
source "$(dirname "$0")/serve.bash"
serve_init_users
as li 0 open customer=华东汽车 part_no=P-1 'description=连锡' severity=major qty_affected=5
N1=$OUT
as li 0 open customer='ACME <b>' part_no=P-2 description=d severity=general qty_affected=1 subject_person=wang
N2=$OUT
as li 0 open customer=南方家电 part_no=P-3 description=d severity=general qty_affected=1
N3=$OUT
as wang 0 set "$N3" validity=valid containment=隔离
as wang 0 sign "$N3" --meaning reviewed
# N4: intake filled in, ready for wang's sign-off
as li 0 open customer=北方电机 part_no=P-4 description=d severity=general qty_affected=1
N4=$OUT
as li 0 set "$N4" validity=valid containment=隔离
# N5: its action plan sent back to the analysis by the production manager (审查 N)
as li 0 open customer=西部仪表 part_no=P-5 description=d severity=general qty_affected=1
N5=$OUT
as li 0 set "$N5" validity=valid containment=隔离
as wang 0 sign "$N5" --meaning reviewed
as wang 0 set "$N5" five_why.1.why=为何 five_why.1.because=因为 category_6m=method \
    root_cause_occurrence=开口偏大 root_cause_escape=未覆盖
as chen 0 sign "$N5" --meaning reviewed
as wang 0 set "$N5" corrective_actions.1.action=改钢网 corrective_actions.1.owner=sun \
    corrective_actions.1.due=2026-12-31 "${D7_OK[@]}" preventive_actions.1.action=改规范 \
    preventive_actions.1.owner=wang preventive_actions.1.due=2026-12-31
as zhao 0 reject "$N5" --reason '缺少验证计划 <b>'
serve_start

login wang "$T/wang.jar"
has login.h 'Location: /'
req d1 -b "$T/wang.jar" "$B/?lang=en"; want 200 d1
has d1 'Waiting for me'
# wang (qe) signs intake: N1 waits for his sign-off; N2 is about him (recused); N3 is in
# analysis, which qe fills in and qe_lead signs
python3 - "$T/d1" "$N1" "$N2" "$N3" "$N4" <<'PY' || fail "dashboard sections"
import re, sys
html = open(sys.argv[1], encoding="utf-8").read()
n1, n2, n3, n4 = sys.argv[2:6]
sec = dict(re.findall(r'<section class="panel" id="(\w+)">(.*?)</section>', html, re.S))
assert set(sec) == {"mine", "stages", "due", "recent"}, sec.keys()
assert f'/cases/{n1}/edit' in sec["mine"] and f'/cases/{n1}/sign' not in sec["mine"], \
    "N1: nothing filled in yet, so Fill in, not Sign off"
assert f'/cases/{n4}/sign' in sec["mine"] and f'/cases/{n4}/edit' not in sec["mine"], \
    "N4: filled in, waiting for wang's sign-off"
assert n2 not in sec["mine"], "recused case offered"
assert f'/cases/{n3}/edit' in sec["mine"] and f'/cases/{n3}/sign' not in sec["mine"], \
    "analysis: qe fills it in, qe_lead signs it"
tiles = dict(re.findall(r'data-stage="(\w+)"><span class="n">(\d+)</span>', sec["stages"]))
assert tiles == {"intake": "3", "analysis": "2", "action": "0", "rework": "0",
                 "verification": "0", "archive": "0"}, tiles
assert "No limit is due soon or overdue" in sec["due"], "due now"
assert sec["recent"].index(n3) < sec["recent"].index(n1), "recent activity order"
assert "ACME &lt;b&gt;" in html and "ACME <b>" not in html
PY

# three days later (plant time): every response limit of the intake cases is overdue
AT=$(date -u -d '+3 days' +%Y-%m-%dT%H:%M)Z
req d2 -b "$T/wang.jar" "$B/?lang=en&at=$AT"; want 200 d2
python3 - "$T/d2" "$N1" "$N2" "$N3" <<'PY' || fail "overdue section"
import re, sys
html = open(sys.argv[1], encoding="utf-8").read()
n1, n2, n3 = sys.argv[2:5]
due = re.search(r'<section class="panel" id="due">(.*?)</section>', html, re.S).group(1)
rows = re.findall(r'<tr><td><a href="/cases/([^"]+)">.*?</td><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td></tr>', due)
kinds = {(r[0], r[2]) for r in rows}
assert (n1, "First response") in kinds and (n2, "First response") in kinds, kinds
assert (n3, "First response") not in kinds, "a met limit listed"
assert all('class="state overdue"' in r[4] for r in rows if r[2] == "First response"), rows
assert all("overdue by" in r[3] for r in rows if r[2] == "First response")
dues = [re.search(r'datetime="([^"]+)"', r[3]).group(1) for r in rows]
assert dues == sorted(dues), dues
mine = re.search(r'<section class="panel" id="mine">(.*?)</section>', html, re.S).group(1)
assert 'state overdue' in mine
PY
# 20 hours on: due soon (past 80 % of the 24 h response limit), not overdue yet
AT=$(date -u -d '+20 hours' +%Y-%m-%dT%H:%M)Z
req d3 -b "$T/wang.jar" "$B/?lang=en&at=$AT"; want 200 d3
has d3 'class="state due_soon"'
req d4 -b "$T/wang.jar" "$B/?at=yesterday"; want 400 d4; has d4 'not a moment'

# the languages
req zh -b "$T/wang.jar" "$B/?lang=zh"; want 200 zh; has zh '等待我处理'; has zh '各阶段未结案件'; lacks zh 'Waiting for me'
req both -b "$T/wang.jar" "$B/?lang=both"; want 200 both; has both '等待我处理 / Waiting for me'

# other roles: li (intake) fills in both intake cases; the auditor has nothing waiting
login li "$T/li.jar"
req l1 -b "$T/li.jar" "$B/?lang=en"; want 200 l1; has l1 "/cases/$N1/edit"; has l1 "/cases/$N2/edit"
login zhou "$T/zhou.jar"
req z1 -b "$T/zhou.jar" "$B/?lang=en"; want 200 z1; has z1 'Nothing waits for you'

# the case page shows the engine's limits, judged at ?at= too
req c1 -b "$T/wang.jar" "$B/cases/$N1?lang=en"; want 200 c1; has c1 'Time limits'; has c1 'First response'
has c1 'class="state on_time"'
req c2 -b "$T/wang.jar" "$B/cases/$N3?lang=en&at=$(date -u -d '+30 days' +%Y-%m-%d)"; want 200 c2
has c2 'class="state met"'; has c2 'class="state overdue"'

# the right next step: chen (qe_lead) may fill in and sign the analysis: N3 (not filled in)
# is offered to fill in, N5 (sent back, complete) to sign off, with who sent it back and why
login chen "$T/chen.jar"
req ch -b "$T/chen.jar" "$B/?lang=en"; want 200 ch
python3 - "$T/ch" "$N3" "$N5" <<'PY' || fail "chen's dashboard"
import re, sys
html = open(sys.argv[1], encoding="utf-8").read()
n3, n5 = sys.argv[2:4]
mine = re.search(r'<section class="panel" id="mine">(.*?)</section>', html, re.S).group(1)
assert f'/cases/{n3}/edit' in mine and f'/cases/{n3}/sign' not in mine, \
    "an analysis nobody filled in offered for sign-off"
assert f'/cases/{n5}/sign' in mine, "N5 not waiting for chen's sign-off"
row = re.search(r'<tr>(?:(?!</tr>).)*' + re.escape(n5) + r'.*?</tr>', mine, re.S).group(0)
assert "Sent back" in row and "赵强" in row and "缺少验证计划 &lt;b&gt;" in row, row
PY
req cp -b "$T/wang.jar" "$B/cases/$N5?lang=en"; want 200 cp
has cp 'Sent back'; has cp '赵强'; has cp 'Production manager'; has cp '缺少验证计划 &lt;b&gt;'
has cp "/cases/$N5/edit"
# the audit trail in words: who by printed name (the id on hover), what was done, which stage
has cp '<span title="zhao">赵强</span>'; has cp '<td>rejected</td>'; has cp '<td>Corrective and preventive actions</td>'
req c1n -b "$T/wang.jar" "$B/cases/$N1?lang=en"; want 200 c1n
has c1n 'Still needed before sign-off'; has c1n 'Validity'; has c1n 'Containment'
lacks c1n "/cases/$N1/sign\""
req c4 -b "$T/wang.jar" "$B/cases/$N4?lang=en"; want 200 c4
has c4 "/cases/$N4/sign\""; lacks c4 'Still needed before sign-off'
req zh5 -b "$T/chen.jar" "$B/?lang=zh"; want 200 zh5; has zh5 '已被驳回'

# signed out: the dashboard sends to the sign-in page
req out "$B/"; want 303 out; has out.h 'Location: /login'
echo "serve_dashboard: ok"
