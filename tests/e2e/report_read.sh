#!/usr/bin/env bash
# report_read.sh - issue 18, "reports people read": the monthly report's PDF, xlsx and CSV and
# the dossier of a closed invalid complaint as a reader sees them, on the demo store
# (tools/demo.sh), checked with tools that know nothing of capa (pdftotext, pdfinfo, qpdf,
# pdffonts, pdfsig, openpyxl, the CSV's bytes):
#  - the Pareto's and the trend's count axes have whole-number ticks only, and the bars'
#    labels are whole ("SOLDER-BRIDGE", not "SOLDER-BRI");
#  - page 1 of the PDF carries figures below the summary, not a short table and then nothing;
#  - the xlsx's as_of is a date cell with a date format, the cumulative % a percent cell;
#  - the monthly CSV starts with the UTF-8 BOM, as the list's CSV does;
#  - the dossier's skipped stages say they were skipped and why (route, value, who signed off
#    the deciding stage), never "No signatures yet"; its time-per-stage table stays whole on
#    one page.
source "$(dirname "$0")/common.bash"
PY=/usr/bin/python3 # Debian's, with python3-openpyxl (a PATH python3 may be another)
SRC=${CAPA_SRC:?CAPA_SRC must name the source tree (ctest sets it)}
for t in pdfinfo pdftotext pdffonts pdfsig qpdf python3; do
    command -v "$t" >/dev/null || fail "$t missing"
done
CAPA_DB=$T/demo CAPA=$CAPA "$SRC/tools/demo.sh" >"$T/demo.log" 2>&1 || {
    cat "$T/demo.log" >&2
    fail "tools/demo.sh failed"
}
export CAPA_DB=$T/demo
M=$(date -u +%Y-%m)
N4=QC-$Y-0004

# -- the PDF ------------------------------------------------------------------------------
run 0 "" report monthly --month "$M" -o "$T/m.pdf"
qpdf --check "$T/m.pdf" >/dev/null || fail "qpdf --check rejects the report"
pdfsig "$T/m.pdf" 2>&1 | grep -q "Signature is Valid" || fail "the report's signature is not valid"
pdffonts "$T/m.pdf" | awk 'NR > 2 && $(NF-4) != "yes" {bad = 1} END {exit bad}' ||
    fail "a font of the report is not embedded: $(pdffonts "$T/m.pdf")"
pdftotext -layout "$T/m.pdf" "$T/m.txt"
# Counts are whole: no tick like 0.2, 0.5, 1.0 anywhere (every figure the report prints has
# 0, 2 or 4 decimals).
if grep -nE '(^|[^0-9.])[0-9]+\.[0-9]([^0-9]|$)' "$T/m.txt"; then
    fail "a count axis has fractional ticks"
fi
# The Pareto's bar labels are whole: the page with the chart names SOLDER-BRIDGE in the chart
# and in the table below it, and never a cut code.
p=$(python3 - "$T/m.txt" <<'PY'
import sys
pages = open(sys.argv[1], encoding="utf-8").read().split("\f")
print([i for i, p in enumerate(pages) if "Pareto chart" in p][0] + 1)
PY
)
pdftotext -f "$p" -l "$p" "$T/m.pdf" "$T/pareto.txt"
[[ $(grep -o 'SOLDER-BRIDGE' "$T/pareto.txt" | wc -l) -ge 2 ]] ||
    fail "the Pareto chart does not label SOLDER-BRIDGE whole: $(cat "$T/pareto.txt")"
if grep -nE 'SOLDER-BRI($|[^D])|COLD-JOIN($|[^T])' "$T/pareto.txt"; then
    fail "a Pareto label is cut"
fi
# Page 1: the summary, then the first figures below it (and the signature box).
pdftotext -f 1 -l 1 -layout "$T/m.pdf" "$T/p1.txt"
grep -q "On-time rate per limit" "$T/p1.txt" || fail "page 1 holds the summary and nothing else"
grep -q "Digitally signed" "$T/p1.txt" || fail "page 1 lost its signature statement"
pages=$(pdfinfo "$T/m.pdf" | awk '/^Pages:/ {print $2}')
[[ $pages -le 4 ]] || fail "the demo month's report takes $pages pages"

# -- the xlsx -------------------------------------------------------------------------------
# One moment for both (as of now would differ by the second between the two runs).
AT=$(date -u +%Y-%m-%dT%H:%M:%S)
run 0 "" report monthly --month "$M" --format xlsx --at "$AT" -o "$T/m.xlsx"
run 0 "" report monthly --month "$M" --format json --at "$AT" -o "$T/m.json"
"$PY" - "$T/m.xlsx" "$T/m.json" <<'PY' || fail "the xlsx's as_of or cumulative % cells are wrong"
import datetime, json, sys, openpyxl
d = json.load(open(sys.argv[2]))
ws = openpyxl.load_workbook(sys.argv[1]).active
rows = {}
for r in ws.iter_rows(min_row=2):
    rows.setdefault(r[0].value, []).append(r)
a = rows["as_of"][0][2]
assert isinstance(a.value, datetime.datetime), ("as_of is not a date", a.value)
assert a.is_date and "yy" in a.number_format, a.number_format
assert a.value.strftime("%Y-%m-%dT%H:%M:%S") == d["as_of"][:19], (a.value, d["as_of"])
want = {x["code"]: x["cumulative_percent"] for x in d["by_defect"]}
assert want, "no defect codes in the demo month"
for r in rows["by_defect"]:
    c = r[3]
    assert isinstance(c.value, (int, float)) and "%" in c.number_format, (c.value, c.number_format)
    assert abs(c.value - want[r[1].value] / 100) < 1e-9, (r[1].value, c.value)
PY

# -- the CSV: a BOM, as the list's --------------------------------------------------------
run 0 "" report monthly --month "$M" --format csv -o "$T/m.csv"
run 0 "" list --format csv -o "$T/l.csv"
[[ $(head -c 3 "$T/l.csv" | od -An -tx1 | tr -d ' ') == efbbbf ]] || fail "the list CSV lost its BOM"
[[ $(head -c 3 "$T/m.csv" | od -An -tx1 | tr -d ' ') == efbbbf ]] ||
    fail "the monthly CSV has no UTF-8 BOM"
run 0 "" report monthly --month "$M" --format csv -o -
[[ $OUT == $'\xef\xbb\xbf'section* ]] || fail "the monthly CSV on stdout has no BOM"

# -- the dossier of the closed invalid complaint --------------------------------------------
run 0 "" dossier "$N4" -o "$T/d.pdf"
qpdf --check "$T/d.pdf" >/dev/null || fail "qpdf --check rejects the dossier"
pdfsig "$T/d.pdf" 2>&1 | grep -q "Signature is Valid" || fail "the dossier's signature is not valid"
pdftotext "$T/d.pdf" "$T/d.txt"
if grep -n "No signatures yet" "$T/d.txt"; then
    fail "a skipped stage of $N4 says 'No signatures yet'"
fi
[[ $(grep -c "已跳过，无需签名：无效投诉 Skipped, no signature required: invalid complaint" "$T/d.txt") == 4 ]] ||
    fail "the four skipped stages do not say they were skipped: $(grep -n -i skip "$T/d.txt")"
tr -d '\n' <"$T/d.txt" | grep -q "有效性 / Validity = 无效 / Invalid（品质异常反馈 / Quality complaint intake），签出 signed off by 王工 (wang)" ||
    fail "the skipped stages do not say why (the intake's validity and its sign-off)"
# The time-per-stage table on one page, whole: the page with its title has every row, and no
# page carries its header without the title (rows spilled onto the next page).
python3 - "$T/d.txt" <<'PY' || fail "the time-per-stage table is split across pages"
import sys
pages = open(sys.argv[1], encoding="utf-8").read().split("\f")
with_head = [i for i, p in enumerate(pages) if "Last signed off (UTC)" in p]
assert len(with_head) == 1, ("the table's header is on pages", with_head)
p = pages[with_head[0]]
assert "Time per stage" in p
for row in ("Quality complaint", "Root cause analysis", "Corrective and", "Rework / repair",
            "Verification", "Archive"):
    assert row in p, row
PY
echo "report_read: ok"
