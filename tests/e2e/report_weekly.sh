#!/usr/bin/env bash
# report_weekly.sh - the weekly report (每周统计, issue 19) and the report of any days, over
# a hand-built data set in a plant in Asia/Shanghai: `capa report weekly --week 2026-W49`
# (ISO week: Monday 2026-11-30 to Sunday 2026-12-06, local) asserted against figures
# computed by hand below, in JSON, CSV, xlsx (openpyxl) and the signed PDF (pdftotext,
# pdfsig); `capa report --from 2026-11-30 --to 2026-12-06` gives the same figures (one piece
# of code, capa_stats_period); bad weeks and dates are refused naming the value and change
# nothing.
source "$(dirname "$0")/common.bash"
plant_setup
walk() { # TIME CASE: analysis to verification
    plant_at "$1" wang set "$2" five_why.1.why="为何" five_why.1.because="${3:-因为}" \
        category_6m=method root_cause_occurrence="发生" root_cause_escape="流出"
    plant_at "$1" chen sign "$2" --meaning reviewed
    plant_at "$1" wang set "$2" corrective_actions.1.action="${3:-纠正}" corrective_actions.1.owner=sun \
        corrective_actions.1.due=2026-12-20 "${D7_OK[@]}" preventive_actions.1.action="预防" \
        preventive_actions.1.owner=wang preventive_actions.1.due=2026-12-20
    plant_at "$1" zhao sign "$2" --meaning approved
    plant_at "$1" sun set "$2" disposition=rework
    plant_at "$1" sun sign "$2" --meaning done
    plant_at "$1" wang set "$2" method="复检" result=pass evidence="${3:-0 不良}"
    plant_at "$1" wang sign "$2" --meaning verified
}
N() { printf 'QC-2026-%04d' "$1"; }
A=$(N 1) B=$(N 2) C=$(N 3) D=$(N 4)

# Local times (+08:00), in time order.
# A: Sunday 23:30 of week 48; closed in week 49 (58.5 h).
plant_at "2026-11-29 23:30" li open customer=西部机械 part_no=P-1 defect_code=D-1 severity=general \
    channel=phone description=A
# B: 00:30 on Monday local is still Sunday in UTC: a week-49 case.
plant_at "2026-11-30 00:30" li open customer=华东汽车 part_no=P-2 defect_code=D-2 severity=general \
    channel=email description=B
plant_at "2026-11-30 10:00" wang set "$A" validity=valid containment="隔离"
plant_at "2026-11-30 10:00" wang sign "$A" --meaning reviewed
plant_at "2026-11-30 11:00" wang set "$B" validity=valid containment="隔离"
plant_at "2026-11-30 11:00" wang sign "$B" --meaning reviewed
walk "2026-12-01 10:00" "$A"
walk "2026-12-01 11:00" "$B"
plant_at "2026-12-02 10:00" wang set "$A" customer_reply="已回复" satisfaction=satisfied lessons_learned="经验"
plant_at "2026-12-02 10:00" chen sign "$A" --meaning closed
# B: the follow-up is dissatisfied: round 2 (二次处理), closed on Saturday (129.5 h).
plant_at "2026-12-03 10:00" wang set "$B" customer_reply="已回复" satisfaction=dissatisfied lessons_learned="经验"
plant_at "2026-12-03 10:00" chen sign "$B" --meaning closed
walk "2026-12-04 10:00" "$B" "第二轮"
plant_at "2026-12-05 10:00" wang set "$B" satisfaction=partly
plant_at "2026-12-05 10:00" chen sign "$B" --meaning closed
# C: Sunday 23:00, the week's last hour; D: 01:00 Monday of week 50 (Sunday in UTC).
plant_at "2026-12-06 23:00" li open customer=华东汽车 part_no=P-3 defect_code=D-3 severity=general \
    channel=written description=C
plant_at "2026-12-07 01:00" li open customer=南方家电 part_no=P-4 defect_code=D-4 severity=general \
    channel=written description=D

# -- JSON against the hand-computed figures ---------------------------------------------
run 0 "" report weekly --week 2026-W49 --format json --at 2026-12-08 -o "$T/w.json"
OUT=$(cat "$T/w.json")
json 'd["week"] == "2026-W49" and "month" not in d and d["timezone"] == "Asia/Shanghai"'
json 'd["from"] == "2026-11-30" and d["to"] == "2026-12-06"'
json 'd["start"] == "2026-11-30T00:00:00+08:00" and d["end"] == "2026-12-07T00:00:00+08:00"'
json 'd["as_of"] == "2026-12-07T00:00:00+08:00"'
# Opened in the week: B and C (A the Sunday before, D the Monday after); closed: A and B;
# open at the week's end: C.
json 'd["opened"] == 2 and d["closed"] == 2 and d["open_at_end"] == 1'
json 'd["by_customer"] == {"华东汽车": 2}'
json 'd["by_channel"] == {"email": 1, "written": 1, "phone": 0, "on_site": 0}'
json 'd["time_to_close_hours"] == {"mean": 94.0, "median": 94.0}'
json 'd["satisfaction"] == {"partly": 1, "satisfied": 1, "dissatisfied": 0}'
# B went round again once: 1 of 3 closing decisions (A closed, B round, B closed).
json 'd["second_rounds"] == 1 and d["second_round_rate"] == 0.3333'
json '[t["week"] for t in d["trend"]] == ["2026-W%02d" % w for w in range(38, 50)]'
json '[(t["opened"], t["closed"]) for t in d["trend"]][-2:] == [(1, 0), (2, 2)]'
# Week 50 has D alone.
run 0 "" report weekly --week 2026-W50 --format json --at 2026-12-08 -o -
json 'd["opened"] == 1 and d["by_customer"] == {"南方家电": 1} and d["closed"] == 0'

# -- the same days as a range: the same figures ------------------------------------------
run 0 "" report --from 2026-11-30 --to 2026-12-06 --format json --at 2026-12-08 -o "$T/r.json"
"$PY" - "$T/w.json" "$T/r.json" <<'PY' || fail "the range's figures differ from the week's"
import json, sys
w, r = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
assert "week" not in r and "month" not in r and r["from"] == "2026-11-30", r.get("from")
for k in w:
    if k not in ("week", "trend"):
        assert w[k] == r[k], (k, w[k], r.get(k))
assert [t["month"] for t in r["trend"]][-1] == "2026-12", r["trend"][-1]
PY
# One day: Sunday 29 November holds A only.
run 0 "" report --from 2026-11-29 --to 2026-11-29 --format json --at 2026-12-08 -o -
json 'd["opened"] == 1 and d["by_customer"] == {"西部机械": 1} and d["end"] == "2026-11-30T00:00:00+08:00"'

# -- CSV, xlsx and PDF carry the same figures --------------------------------------------
run 0 "" report weekly --week 2026-W49 --format csv --at 2026-12-08 -o "$T/w.csv"
run 0 "" report weekly --week 2026-W49 --format xlsx --at 2026-12-08 -o "$T/w.xlsx"
run 0 "" report weekly --week 2026-W49 --at 2026-12-08 -o "$T/w.pdf"
"$PY" - "$T/w.json" "$T/w.csv" "$T/w.xlsx" <<'PY' || fail "CSV or xlsx differ from the JSON"
import csv, json, sys, openpyxl
d = json.load(open(sys.argv[1]))
rows = list(csv.reader(open(sys.argv[2], newline="", encoding="utf-8-sig")))
assert rows[0] == ["section", "key", "value", "percent"], rows[0]
assert rows[1] == ["week", "", "2026-W49", ""], rows[1]
have = {(r[0], r[1]): r[2] for r in rows[1:]}
for k in ("opened", "closed", "open_at_end", "second_rounds"):
    assert float(have[(k, "")]) == d[k], k
assert float(have[("second_round_rate", "")]) == d["second_round_rate"]
for sec in ("by_customer", "by_channel", "satisfaction"):
    for key, n in d[sec].items():
        assert float(have[(sec, key)]) == n, (sec, key)
for k in ("mean", "median"):
    assert float(have[("time_to_close_hours", k)]) == d["time_to_close_hours"][k]
for t in d["trend"]:
    assert float(have[("trend_opened", t["week"])]) == t["opened"], t
    assert float(have[("trend_closed", t["week"])]) == t["closed"], t
x = [[c if c is not None else "" for c in r] for r in openpyxl.load_workbook(sys.argv[3]).active.iter_rows(values_only=True)]
assert len(x) == len(rows), (len(x), len(rows))
for a, b in zip(rows[1:], x[1:]):
    assert a[0] == b[0] and a[1] == b[1], (a, b)
    if a[0] == "as_of":  # a date cell: the plant's wall-clock time
        assert b[2].strftime("%Y-%m-%dT%H:%M:%S") == a[2][:19], (a, b)
        continue
    assert (float(a[2]) == b[2]) if isinstance(b[2], (int, float)) else a[2] == b[2], (a, b)
PY
pdfsig "$T/w.pdf" >"$T/sig.txt" 2>&1 || true
grep -q "Signature is Valid" "$T/sig.txt" || fail "the weekly report's signature is not valid"
pdftotext -layout "$T/w.pdf" "$T/w.txt"
"$PY" - "$T/w.json" "$T/w.txt" <<'PY' || fail "the PDF's figures differ from the JSON"
import json, re, sys
d = json.load(open(sys.argv[1]))
lines = [re.sub(r"\s+", " ", l).strip() for l in open(sys.argv[2], encoding="utf-8")]
def has(*parts):
    assert any(all(p in l for p in parts) for l in lines), parts
has("客户投诉周统计表"); has("Weekly quality report"); has("2026-W49")
has("2026-11-30 – 2026-12-06")
has("本周新增", str(d["opened"])); has("本周结案", str(d["closed"]))
has("周末未结", str(d["open_at_end"]))
has("平均 mean 94.00 h")
has("Second rounds: 1", "rate: 0.3333")
for t in d["trend"]:
    has(t["week"], str(t["opened"]), str(t["closed"]))
PY

# -- bad input: a clear error naming the value, nothing written -------------------------
snapshot bad
for w in 2026-W54 2026-W00; do
    run 1 "" report weekly --week "$w" --format json -o "$T/bad.json"
    err_has "week '$w': no week"
done
run 1 "" report weekly --week 2026-W54 --format json -o -
err_has "ISO year 2026 has weeks 01 to 53"
for w in 2026W49 2026-49 26-W49 2026-W4 ""; do
    run 1 "" report weekly --week "$w" --format json -o "$T/bad.json"
    err_has "week '$w': not an ISO week YYYY-Www"
done
run 1 "" report weekly --week 2099-W01 --format json -o -
err_has "has not begun"
run 1 "" report --from 2026-02-30 --to 2026-03-01 --format json -o -
err_has "from '2026-02-30': not a date YYYY-MM-DD"
run 1 "" report --from 2026-12-06 --to 2026-11-30 --format json -o -
err_has "to '2026-11-30' is before from '2026-12-06'"
run 2 "" report weekly --format json -o -
err_has "--week YYYY-Www is required"
run 2 "" report --from 2026-11-30 --format json -o -
err_has "--from DATE and --to DATE go together"
run 2 "" report weekly --week 2026-W49 --month 2026-12 --format json -o -
err_has "one window"
[[ ! -e $T/bad.json ]] || fail "a refused report wrote its file"
unchanged bad
echo "report_weekly: ok"
