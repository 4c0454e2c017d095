#!/usr/bin/env bash
# report.sh - the monthly quality report (issue 11) over a hand-built data set: eight cases
# opened, worked and closed at chosen moments (faketime) in a plant in Asia/Shanghai, and
# every figure of `capa report monthly --month 2026-10 --format json` asserted against the
# values computed by hand below; then the CSV, the xlsx (read back with openpyxl) and the
# signed PDF (pdftotext, pdfsig) must carry the same figures. Bad months change nothing.
source "$(dirname "$0")/common.bash"
plant_setup
intake() { # TIME CASE validity: containment and validity, then the QE's sign-off
    plant_at "$1" wang set "$2" validity="$3" containment="隔离库存"
    plant_at "$1" wang sign "$2" --meaning reviewed
}
analysis() {
    plant_at "$1" wang set "$2" five_why.1.why="为何" five_why.1.because="因为" category_6m=method \
        root_cause_occurrence="发生" root_cause_escape="流出"
    plant_at "$1" chen sign "$2" --meaning reviewed
}
action() {
    plant_at "$1" wang set "$2" corrective_actions.1.action="纠正" corrective_actions.1.owner=sun \
        corrective_actions.1.due=2026-12-01 "${D7_OK[@]}" preventive_actions.1.action="预防" \
        preventive_actions.1.owner=wang preventive_actions.1.due=2026-12-01
    plant_at "$1" zhao sign "$2" --meaning approved
}
rework() {
    plant_at "$1" sun set "$2" disposition=rework
    plant_at "$1" sun sign "$2" --meaning done
}
verification() {
    plant_at "$1" wang set "$2" method="复检" result=pass evidence="0 不良"
    plant_at "$1" wang sign "$2" --meaning verified
}
archive() { # TIME CASE satisfaction
    plant_at "$1" wang set "$2" customer_reply="已回复" satisfaction="$3" lessons_learned="经验"
    plant_at "$1" chen sign "$2" --meaning closed
}
N() { printf 'QC-2026-%04d' "$1"; }
P=$(N 1) G=$(N 2) F=$(N 3) A=$(N 4) B=$(N 5) C=$(N 6) D=$(N 7) E=$(N 8)

# In time order. Local times (+08:00).
plant_at "2026-09-20 10:00" li open customer=西部机械 part_no=P-9 defect_code=D-OLD severity=general \
    channel=phone description=P
plant_at "2026-09-25 10:00" li open customer=西部机械 part_no=P-9 defect_code=D-G severity=general \
    channel=email containment=隔离 description=G
intake "2026-09-25 12:00" "$G" valid
analysis "2026-09-26 10:00" "$G"
action "2026-09-27 10:00" "$G"
rework "2026-09-28 10:00" "$G"
verification "2026-09-29 10:00" "$G"
# 03:00 on Oct 1 in Shanghai is still Sep 30 in UTC: an October case.
plant_at "2026-10-01 03:00" li open customer=北方重工 part_no=PCB-3 defect_code=SCRATCH \
    severity=general channel=on_site complaint_type=service responsible_dept=生产部 \
    containment=隔离 description=F
intake "2026-10-01 10:00" "$F" invalid
# 回访不满意: G cannot close; it goes round again (二次处理) and closes the same hour.
archive "2026-10-05 09:00" "$G" dissatisfied
analysis "2026-10-05 09:00" "$G"
action "2026-10-05 09:00" "$G"
rework "2026-10-05 09:00" "$G"
verification "2026-10-05 09:00" "$G"
archive "2026-10-05 09:00" "$G" partly # opened 2026-09-25 10:00: 239 h
plant_at "2026-10-08 09:00" li open customer=华东汽车 part_no=PCB-1 defect_code=SOLDER \
    severity=important channel=written complaint_type=quality responsible_dept=生产部 \
    containment=隔离 description=A
intake "2026-10-08 15:00" "$A" valid
analysis "2026-10-09 10:00" "$A"
action "2026-10-10 10:00" "$A" # Oct 10 is a make-up working day; plan due Oct 12 09:00
rework "2026-10-12 09:30" "$A"
plant_at "2026-10-12 10:00" li open customer=南方家电 part_no=PCB-1 defect_code=SOLDER \
    severity=general channel=phone complaint_type=delivery responsible_dept=品管部 description=B
verification "2026-10-13 10:00" "$A"
archive "2026-10-14 09:00" "$A" satisfied # 144 h
intake "2026-10-14 10:00" "$B" valid        # response and containment late (due Oct 13 10:00)
analysis "2026-10-15 10:00" "$B"
action "2026-10-16 10:00" "$B" # plan late (due Oct 15 10:00)
plant_at "2026-10-20 14:00" li open customer=华东汽车 part_no=PCB-2 defect_code=CRACK severity=major \
    channel=email complaint_type=quality responsible_dept=生产部 containment=隔离 description=C
intake "2026-10-21 09:00" "$C" valid
rework "2026-10-22 10:00" "$B"
verification "2026-10-23 10:00" "$B"
archive "2026-10-26 10:00" "$B" partly # 336 h; closure late (due Oct 22 10:00)
plant_at "2026-10-30 09:00" li open customer=华东汽车 part_no=PCB-1 defect_code=SOLDER \
    severity=general channel=written complaint_type=quality description=D
# 07:00 on Nov 1 in Shanghai is Oct 31 in UTC: a November case.
plant_at "2026-11-01 07:00" li open customer=华东汽车 part_no=PCB-9 defect_code=DENT severity=general \
    channel=on_site description=E
# After the month: D's response is met, but not by the end of October.
intake "2026-11-02 10:00" "$D" valid

# -- JSON against the hand-computed figures ---------------------------------------------
run 0 "" report monthly --month 2026-10 --format json -o "$T/oct.json"
out_is "$T/oct.json"
OUT=$(cat "$T/oct.json")
json 'd["month"] == "2026-10" and d["timezone"] == "Asia/Shanghai"'
json 'd["start"] == "2026-10-01T00:00:00+08:00" and d["end"] == "2026-11-01T00:00:00+08:00"'
json 'd["as_of"] == "2026-11-01T00:00:00+08:00"'
json 'd["opened"] == 5 and d["closed"] == 3 and d["open_at_end"] == 4'
json 'd["by_severity"] == {"general": 3, "important": 1, "major": 1}'
json 'd["by_channel"] == {"written": 2, "phone": 1, "email": 1, "on_site": 1}'
json 'd["by_complaint_type"] == {"quality": 3, "delivery": 1, "service": 1, "documentation": 0, "other": 0, "field_failure": 0, "warranty": 0}'
json 'd["by_customer"] == {"华东汽车": 3, "南方家电": 1, "北方重工": 1}'
json 'd["by_part"] == {"PCB-1": 3, "PCB-2": 1, "PCB-3": 1}'
json 'd["by_defect"] == [{"code": "SOLDER", "count": 3, "cumulative_percent": 60.0}, {"code": "CRACK", "count": 1, "cumulative_percent": 80.0}, {"code": "SCRATCH", "count": 1, "cumulative_percent": 100.0}]'
json 'd["by_responsible_dept"] == {"生产部": 3, "品管部": 1, "": 1}'
# Breakdowns use each case's classification as it stands: D was classified on Nov 2.
json 'd["by_validity"] == {"valid": 4, "invalid": 1, "pending": 0}'
# Closed in October: G 239 h, A 144 h, B 336 h.
json 'd["time_to_close_hours"] == {"mean": 239.67, "median": 239.0}'
json 'd["time_to_close_days"] == {"mean": 9.99, "median": 9.96}'
# Limits due in October: response F A B C D (B, D late), containment the same, plan F A B C
# (only A on time), closure G F A B C (G, A on time): 9 of 19.
json 'd["on_time_counts"] == {"response": {"due": 5, "on_time": 3}, "containment": {"due": 5, "on_time": 3}, "plan": {"due": 4, "on_time": 1}, "closure": {"due": 5, "on_time": 2}}'
json 'd["on_time_rate"] == {"response": 0.6, "containment": 0.6, "plan": 0.25, "closure": 0.4, "overall": 0.4737}'
json "[(o['number'], o['kind'], o['overdue_hours']) for o in d['overdue']] == [
    ('$P', 'response', 974.0), ('$P', 'containment', 974.0), ('$P', 'plan', 926.0),
    ('$P', 'closure', 758.0), ('$F', 'plan', 525.0), ('$F', 'closure', 501.0),
    ('$C', 'plan', 202.0), ('$C', 'closure', 106.0), ('$D', 'response', 15.0),
    ('$D', 'containment', 15.0)]"
json "d['overdue'][6]['due'] == '2026-10-23T14:00:00+08:00'"
json 'd["satisfaction"] == {"partly": 2, "satisfied": 1, "dissatisfied": 0}'
json 'd["satisfaction_share"] == {"partly": 0.6667, "satisfied": 0.3333, "dissatisfied": 0.0}'
# 二次处理: G went round again in October: 1 of the 4 closing decisions (3 closed + 1).
json 'd["second_rounds"] == 1 and d["second_round_rate"] == 0.25'
json 'd["satisfaction_unrecorded"] == 0 and d["recurrence_days"] == 180'
json "d['recurrences'] == ['$B', '$D'] and d['recurrence_of'] == {'$B': ['$A'], '$D': ['$A', '$B']}"
json '[t["month"] for t in d["trend"]] == ["2025-11", "2025-12"] + ["2026-%02d" % m for m in range(1, 11)]'
json '[(t["opened"], t["closed"]) for t in d["trend"]][-2:] == [(2, 0), (5, 3)]'
json 'all(t["opened"] == 0 and t["closed"] == 0 for t in d["trend"][:-2])'

# As of another moment: Oct 15 00:00 local, before B closed and C, D opened.
run 0 "" report monthly --month 2026-10 --format json --at 2026-10-15 -o -
json 'd["as_of"] == "2026-10-15T00:00:00+08:00"'
json 'd["opened"] == 3 and d["closed"] == 2 and d["open_at_end"] == 3'
# November: E opened at 07:00 local on Nov 1 (Oct 31 in UTC).
run 0 "" report monthly --month 2026-11 --format json -o -
json 'd["opened"] == 1 and d["by_customer"] == {"华东汽车": 1} and d["closed"] == 0'

# -- CSV, xlsx and PDF carry the same figures --------------------------------------------
run 0 "" report monthly --month 2026-10 --format csv -o "$T/oct.csv"
run 0 "" report monthly --month 2026-10 --format xlsx -o "$T/oct.xlsx"
run 0 "" report monthly --month 2026-10 -o "$T/oct.pdf"
"$PY" - "$T/oct.json" "$T/oct.csv" "$T/oct.xlsx" <<'PY' || fail "CSV or xlsx differ from the JSON"
import csv, json, sys, openpyxl
d = json.load(open(sys.argv[1]))
rows = list(csv.reader(open(sys.argv[2], newline="", encoding="utf-8-sig")))
assert rows[0] == ["section", "key", "value", "percent"], rows[0]
def num(s): return float(s) if s != "" else None
want = []
for k in ("opened", "closed", "open_at_end", "satisfaction_unrecorded", "second_rounds"):
    want.append((k, "", float(d[k]), None))
want.append(("second_round_rate", "", d["second_round_rate"], None))
for k in ("returns_decided", "ntf"):
    want.append((k, "", float(d[k]), None))
want.append(("ntf_rate", "", d["ntf_rate"], None))
for sec in ("by_severity", "by_channel", "by_complaint_type", "by_customer", "by_part",
            "by_responsible_dept", "by_validity", "satisfaction"):
    for key, n in d[sec].items():
        want.append((sec, key, float(n), None))
for x in d["by_defect"]:
    want.append(("by_defect", x["code"], float(x["count"]), x["cumulative_percent"]))
for k in ("mean", "median"):
    want.append(("time_to_close_hours", k, d["time_to_close_hours"][k], None))
    want.append(("time_to_close_days", k, d["time_to_close_days"][k], None))
for k, v in d["on_time_rate"].items():
    want.append(("on_time_rate", k, v, None))
for k, v in d["satisfaction_share"].items():
    want.append(("satisfaction_share", k, v, None))
for o in d["overdue"]:
    want.append(("overdue_hours", "%s %s %s" % (o["number"], o["kind"], o["due"]), o["overdue_hours"], None))
for t in d["trend"]:
    want.append(("trend_opened", t["month"], float(t["opened"]), None))
    want.append(("trend_closed", t["month"], float(t["closed"]), None))
have = {(r[0], r[1]): (num(r[2]), num(r[3])) for r in rows[1:] if r[0] not in ("month", "timezone", "as_of", "recurrence", "ntf_case")}
for sec, key, v, pc in want:
    assert have.get((sec, key)) == (v, pc), (sec, key, have.get((sec, key)), v, pc)
assert len(have) == len(want), (len(have), len(want))
rec = {r[1]: r[2].split() for r in rows[1:] if r[0] == "recurrence"}
assert rec == d["recurrence_of"], rec
assert [r[1] for r in rows[1:] if r[0] == "ntf_case"] == d["ntf_cases"], d["ntf_cases"]
ws = openpyxl.load_workbook(sys.argv[3]).active
x = [[c if c is not None else "" for c in r] for r in ws.iter_rows(values_only=True)]
assert len(x) == len(rows), (len(x), len(rows), x[:3], rows[:3], x[-2:], rows[-2:])
for a, b in zip(rows[1:], x[1:]):
    assert a[0] == b[0] and a[1] == b[1], (a, b)
    if a[0] == "as_of":  # a date cell: the plant's wall-clock time
        assert b[2].strftime("%Y-%m-%dT%H:%M:%S") == a[2][:19], (a, b)
    elif isinstance(b[2], (int, float)):
        assert float(a[2]) == b[2], (a, b)
    else:
        assert a[2] == b[2], (a, b)
    # the cumulative % is a percent cell: 25.00 is stored as 0.25
    assert (round(num(a[3]) / 100, 6) if a[3] else "") == (round(b[3], 6) if b[3] != "" else ""), (a, b)
PY
pdfsig "$T/oct.pdf" >"$T/sig.txt" 2>&1 || true
grep -q "Signature is Valid" "$T/sig.txt" || fail "the report's signature is not valid: $(cat "$T/sig.txt")"
grep -q "Total document signed" "$T/sig.txt" || fail "the signature does not cover the whole PDF"
qpdf --check "$T/oct.pdf" >/dev/null || fail "qpdf --check rejects the report"
pdftotext -layout "$T/oct.pdf" "$T/oct.txt"
python3 - "$T/oct.json" "$T/oct.txt" <<'PY' || fail "the PDF's figures differ from the JSON"
import json, re, sys
d = json.load(open(sys.argv[1]))
t = open(sys.argv[2], encoding="utf-8").read()
lines = [re.sub(r"\s+", " ", l).strip() for l in t.splitlines()]
def has(*parts):
    for l in lines:
        if all(p in l for p in parts) and l.find(parts[0]) <= l.find(parts[-1]):
            return True
    raise AssertionError("no line with %r" % (parts,))
for w in ("客户投诉月统计表", "Monthly quality report", "柏拉图", "Pareto", "趋势", "trend"):
    assert w in t, w
has("本月新增", str(d["opened"]))
has("本月结案", str(d["closed"]))
has("月末未结", str(d["open_at_end"]))
h, dd = d["time_to_close_hours"], d["time_to_close_days"]
has("平均 mean %.2f h = %.2f d" % (h["mean"], dd["mean"]))
has("中位 median %.2f h = %.2f d" % (h["median"], dd["median"]))
c = d["on_time_counts"]
for k, r in d["on_time_rate"].items():
    if k == "overall":
        has("合计 / overall", "%.4f" % r)
    else:
        has("/ " + k, str(c[k]["due"]), str(c[k]["on_time"]), "%.4f" % r)
for x in d["by_defect"]:
    has(x["code"], str(x["count"]), "%.2f" % x["cumulative_percent"])
for key, n in d["by_customer"].items():
    has(key, str(n))
for key, n in d["by_severity"].items():
    has("(%s)" % key, str(n))
for o in d["overdue"]:
    has(o["number"], "/ " + o["kind"], "%.2f" % o["overdue_hours"])
for key, n in d["satisfaction"].items():
    has("(%s)" % key, str(n))
has("Second rounds: %d" % d["second_rounds"], "rate: %.4f" % d["second_round_rate"])
for num, of in d["recurrence_of"].items():
    has(num, ", ".join(of))
for tr in d["trend"]:
    has(tr["month"], str(tr["opened"]), str(tr["closed"]))
PY
pdftoppm -r 40 -f 3 -l 3 -png "$T/oct.pdf" "$T/page" >/dev/null 2>&1 || true

# -- bad input: a clear error, nothing written ------------------------------------------
snapshot bad
for m in 2026-13 2026-00 2026-1 26-10 2026/10 "" 2026-10-01; do
    run 1 "" report monthly --month "$m" --format json -o "$T/bad.json"
    err_has "month '$m'"
    [[ ! -e $T/bad.json ]] || fail "a refused report wrote its file"
done
run 1 "" report monthly --month 2026-13 --format json -o -
err_has "no month 13 (months are 01 to 12)"
run 1 "" report monthly --month 2099-01 --format json -o -
err_has "has not begun"
run 2 "" report monthly --month 2026-10 --format doc -o "$T/x"
err_has "--format must be one of pdf, csv, json, xlsx, not 'doc'"
run 2 "" report monthly --format json -o -
err_has "--month YYYY-MM is required"
run 2 "" report monthly --month 2026-10 --format pdf -o -
unchanged bad
echo "report: ok"
