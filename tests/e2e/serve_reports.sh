#!/usr/bin/env bash
# serve_reports.sh - the reports page of capa serve: /reports leads to this month's report
# (plant time), /reports/YYYY-MM and /reports/YYYY-Www show the figures, the Pareto and trend
# data for the charts (a data attribute read by static/report.js, Chart.js served by capa: no
# inline script, no CDN), and the downloads - signed PDF (pdfsig), xlsx (openpyxl), CSV and
# JSON - are made by the same reports/ code as `capa report` (the JSON and CSV equal the
# CLI's), from verified data only: a tampered store gets no report, the page names the
# mismatch. Renderings go to a private directory under $TMPDIR, left empty; nothing is
# written under a fixed /tmp path. The signed dossier download takes the same way.
source "$(dirname "$0")/common.bash"
source "$(dirname "$0")/serve.bash"
PY=/usr/bin/python3 # Debian's, with python3-openpyxl
TAMPER=${CAPA_BUILD:?CAPA_BUILD must name the build directory (ctest sets it)}/tests/faults/capa-tamper
serve_init_users
for c in "华东汽车 SOLDER-BRIDGE" "华东汽车 SOLDER-BRIDGE" "南方家电 PIN-BENT" "西部仪表 SOLDER-BRIDGE"; do
    set -- $c
    as li 0 open customer="$1" part_no=P-1 description=d severity=major qty_affected=1 defect_code="$2"
done
N1=QC-$Y-0001
MONTH=$(date -u +%Y-%m) # serve.bash stores plant time in UTC
WEEK=$(date -u +%G-W%V)
mkdir -p "$T/tmp"
TMPDIR=$T/tmp serve_start
login wang "$T/wang.jar"

# /reports: this month's page.
req i1 -b "$T/wang.jar" "$B/reports"; want 303 i1
has i1.h "Location: /reports/$MONTH"
req i2 -b "$T/wang.jar" "$B/reports?period=$WEEK"; want 303 i2
has i2.h "Location: /reports/$WEEK"
req i3 -b "$T/wang.jar" "$B/reports?period=../x"; want 400 i3
req i4 "$B/reports/$MONTH"; want 303 i4 # no session: sign in
has i4.h 'Location: /login'

req p1 -b "$T/wang.jar" "$B/reports/$MONTH?lang=en"; want 200 p1
has p1 'Monthly quality report'
has p1 '<script src="/static/chart.min.js" defer></script>'
has p1 '<script src="/static/report.js" defer></script>'
lacks p1 '<script>'
has p1 "href=\"/reports/$MONTH.pdf\""
has p1 "href=\"/reports/$MONTH.xlsx\""
has p1 "href=\"/reports/$MONTH.csv\""
has p1 "href=\"/reports/$MONTH.json\""
# The charts' data: the Pareto of defects in count order with the cumulative percent, the
# 12-month trend ending with this month.
$PY - "$T/p1" "$MONTH" <<'PY' || fail "chart data"
import html, json, re, sys
page = open(sys.argv[1], encoding="utf-8").read()
m = re.search(r"id=\"report-data\"[^>]*data-json='([^']*)'", page) or \
    re.search(r'id="report-data"[^>]*data-json="([^"]*)"', page)
d = json.loads(html.unescape(m.group(1)))
assert d["pareto"]["labels"] == ["SOLDER-BRIDGE", "PIN-BENT"], d
assert d["pareto"]["counts"] == [3, 1], d
assert d["pareto"]["cumulative"] == [75.0, 100.0], d
assert len(d["trend"]["labels"]) == 12 and d["trend"]["labels"][-1] == sys.argv[2], d
assert d["trend"]["opened"][-1] == 4, d
PY
has p1 '<div class="app-fig-value">4</div><div class="app-fig-label">Opened</div>'
req p2 -b "$T/wang.jar" "$B/reports/$WEEK?lang=zh"; want 200 p2
has p2 '质量周报'
req p3 -b "$T/wang.jar" "$B/reports/2026-13"; want 400 p3
has p3 '2026-13'
req p4 -b "$T/wang.jar" "$B/reports/nonsense"; want 404 p4
req p5 -b "$T/wang.jar" "$B/reports/$MONTH.doc"; want 404 p5
req p6 -b "$T/wang.jar" -X POST "$B/reports/$MONTH"; want 405 p6
# Chart.js and the page's script, served by capa itself.
req s1 "$B/static/chart.min.js"; want 200 s1
has s1 'Chart.js v'
has s1.h 'Content-Type: text/javascript'
req s2 "$B/static/report.js"; want 200 s2

# -- downloads: every format, as the CLI makes it --------------------------------------------
for p in "$MONTH monthly --month" "$WEEK weekly --week"; do
    set -- $p
    for f in pdf xlsx csv json; do
        req "r.$1.$f" -b "$T/wang.jar" "$B/reports/$1.$f"; want 200 "r.$1.$f"
        has "r.$1.$f.h" "Content-Disposition: attachment; filename=\"capa-report-$1.$f\""
    done
    has "r.$1.pdf.h" 'Content-Type: application/pdf'
    pdfsig "$T/r.$1.pdf" >"$T/sig" 2>&1 || true
    grep -q 'Signature is Valid' "$T/sig" || { cat "$T/sig"; fail "report $1 PDF: signature not valid"; }
    $PY -c "import openpyxl, sys; wb = openpyxl.load_workbook(sys.argv[1]); assert wb.sheetnames" \
        "$T/r.$1.xlsx" || fail "report $1 xlsx: openpyxl cannot read it"
    run 0 "" report "$2" "$3" "$1" --format json -o "$T/cli.json"
    # The same figures as the CLI's (the moment evaluated is each one's own: now).
    $PY - "$T/cli.json" "$T/r.$1.json" <<'PY' || fail "report $1: JSON differs from capa report's"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
a.pop("as_of"), b.pop("as_of")
assert a == b, (a, b)
PY
    run 0 "" report "$2" "$3" "$1" --format csv -o "$T/cli.csv"
    diff <(grep -v '^as_of,' "$T/cli.csv") <(grep -v '^as_of,' "$T/r.$1.csv") >/dev/null ||
        fail "report $1: CSV differs from capa report's"
done
req dz -b "$T/wang.jar" "$B/cases/$N1/dossier.pdf"; want 200 dz
pdfsig "$T/dz" 2>&1 | grep -q 'Signature is Valid' || fail "dossier: signature not valid"
# The renderings went to private directories under $TMPDIR and are gone.
[[ -z $(ls -A "$T/tmp") ]] || fail "left behind in TMPDIR: $(ls -A "$T/tmp")"

# -- verified data only: a tampered store gets no report -------------------------------------
"$TAMPER" "$CAPA_DB" meta-str org "Fake Electronics Ltd" 2>/dev/null || fail "capa-tamper"
for f in pdf xlsx csv json; do
    req "t.$f" -b "$T/wang.jar" "$B/reports/$MONTH.$f"
    [[ $S != 200 ]] || fail "tampered store: report .$f given out"
    has "t.$f" "the store does not verify against its audit trail"
    has "t.$f" "meta \`org\`: stored 'Fake Electronics Ltd'"
done
[[ -z $(ls -A "$T/tmp") ]] || fail "left behind in TMPDIR: $(ls -A "$T/tmp")"
echo "serve_reports: ok"
