#!/usr/bin/env bash
# list_export.sh - `capa list ... --format csv|xlsx -o FILE` with the real binary, read back
# the way Excel users' tools read it: CSV with Python's csv module (UTF-8 with BOM, CRLF,
# quoting, embedded newlines, formulas neutralised), xlsx with openpyxl (bilingual heading
# row frozen and autofiltered, times as real dates in the plant's zone, text exactly as
# stored). The filters of list apply; bad options are usage errors that write nothing.
source "$(dirname "$0")/common.bash"
PY=/usr/bin/python3 # Debian's, with python3-openpyxl (a PATH python3 may be another)
$PY -c 'import openpyxl' 2>/dev/null || fail "python3-openpyxl missing (tools/setup installs it)"
N1=QC-$Y-0001 N2=QC-$Y-0002 N3=QC-$Y-0003

setup_users
as admin 0 config timezone Asia/Shanghai
as li 0 open customer="华东汽车" part_no=00123 lot_no=L2026-1102 qty_affected=120 \
    defect_code=SOLDER-BRIDGE severity=important channel=written complaint_type=quality \
    responsible_dept=生产部 description="$(printf '焊点连锡, "严重"\n第二行')"
as li 0 open customer='=HYPERLINK("http://x","y")' part_no=PCB-1 lot_no=L-1 qty_affected=1 \
    defect_code=SCRATCH severity=general channel=phone complaint_type=quality \
    responsible_dept=生产部 description="+1 公式"
as li 0 open customer="北方机电" part_no=PCB-2 lot_no=L-2 qty_affected=2 defect_code=CRACK \
    severity=general channel=phone complaint_type=quality responsible_dept=生产部 description=裂纹
as wang 0 set "$N3" validity=valid containment="隔离"
as wang 0 sign "$N3" --meaning reviewed

# -- CSV -------------------------------------------------------------------------------------
run 0 "" list --format csv -o "$T/all.csv"
err_has "3 cases written to $T/all.csv"
[[ $(head -c 3 "$T/all.csv" | od -An -tx1 | tr -d ' ') == efbbbf ]] || fail "CSV has no UTF-8 BOM"
$PY - "$T/all.csv" "$N1" "$N2" "$N3" <<'PY' || fail "CSV read back"
import csv, sys
raw = open(sys.argv[1], "rb").read()
assert b"\r\n" in raw and raw.count(b"\r\n") == 4, raw.count(b"\r\n")  # heading + 3 rows
rows = list(csv.reader(open(sys.argv[1], encoding="utf-8-sig", newline="")))
head = rows[0]
assert head[0] == "案号 / Number" and head[3] == "开立时间 / Opened (Asia/Shanghai)", head
assert head[-1] == "问题描述 / Description", head
by = {r[0]: dict(zip(head, r)) for r in rows[1:]}
assert list(by) == sys.argv[2:5], list(by)
a, b, c = (by[n] for n in sys.argv[2:5])
assert a["客户 / Customer"] == "华东汽车" and a["料号 / Part number"] == "00123", a
assert a["问题描述 / Description"] == '焊点连锡, "严重"\n第二行', a
assert b["客户 / Customer"] == "'=HYPERLINK(\"http://x\",\"y\")", b  # never a formula
assert b["问题描述 / Description"] == "'+1 公式", b
assert c["阶段 / Stage"] == "analysis" and c["状态 / Status"] == "open", c
import datetime
t = datetime.datetime.strptime(a["开立时间 / Opened (Asia/Shanghai)"], "%Y-%m-%d %H:%M:%S")
now = datetime.datetime.utcnow() + datetime.timedelta(hours=8)
assert abs((now - t).total_seconds()) < 3600, (t, now)  # plant time, not UTC
assert a["结案时间 / Closed (Asia/Shanghai)"] == ""
PY
# The filters of list; the language of the headings.
run 0 "" list --stage analysis --lang en --format csv -o -
$PY -c '
import csv, io, sys
rows = list(csv.reader(io.StringIO(sys.stdin.read().lstrip("\ufeff"))))
assert rows[0][:3] == ["Number", "Stage", "Status"], rows[0]
assert [r[0] for r in rows[1:]] == [sys.argv[1]], rows' "$N3" <<<"$OUT" || fail "filtered CSV"
run 0 "" list --customer 北方机电 --lang zh --format csv -o "$T/one.csv"
grep -q "^案号,阶段," <(tail -c +4 "$T/one.csv") || fail "--lang zh headings"
[[ $(wc -l <"$T/one.csv") == 2 ]] || fail "--customer filter in CSV"
run 0 "" list --closed --format csv -o "$T/none.csv"
[[ $(wc -l <"$T/none.csv") == 1 ]] || fail "no closed case: the heading row only"

# -- xlsx ------------------------------------------------------------------------------------
run 0 "" list --format xlsx -o "$T/all.xlsx"
err_has "3 cases written to $T/all.xlsx"
$PY - "$T/all.xlsx" "$N1" "$N2" "$N3" <<'PY' || fail "xlsx read back"
import sys, datetime, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
ws = wb.active
assert ws.freeze_panes == "A2", ws.freeze_panes
assert ws.auto_filter.ref == "A1:M4", ws.auto_filter.ref
rows = list(ws.iter_rows(values_only=True))
head = rows[0]
assert head[0] == "案号 / Number" and head[6] == "客户 / Customer", head
assert [r[0] for r in rows[1:]] == sys.argv[2:5]
a, b, c = rows[1:]
assert isinstance(a[3], datetime.datetime), a[3]  # a real Excel date, not text
assert ws.cell(row=2, column=4).number_format == "yyyy-mm-dd hh:mm:ss"
assert a[4] is None and a[6] == "华东汽车" and a[7] == "00123", a
assert a[12] == '焊点连锡, "严重"\n第二行', a[12]
assert b[6] == '=HYPERLINK("http://x","y")' and ws.cell(row=3, column=7).data_type == "s", b
assert c[1] == "analysis"
PY
run 0 "" list --defect CRACK --lang en --format xlsx -o "$T/one.xlsx"
$PY -c '
import sys, openpyxl
ws = openpyxl.load_workbook(sys.argv[1]).active
rows = list(ws.iter_rows(values_only=True))
assert rows[0][0] == "Number" and [r[0] for r in rows[1:]] == [sys.argv[2]], rows
assert ws.auto_filter.ref == "A1:M2"' "$T/one.xlsx" "$N3" || fail "filtered xlsx"

# -- usage errors write nothing ------------------------------------------------------------------
run 2 "" list --format ods -o "$T/x.ods"
err_has "--format must be one of csv, xlsx, not 'ods'"
run 2 "" list --format csv
err_has "--format csv needs -o FILE"
run 2 "" list -o "$T/x.csv"
err_has "-o FILE needs --format csv|xlsx"
run 2 "" list --format xlsx -o -
err_has "needs a file"
run 2 "" list --format csv --json -o "$T/x.csv"
run 1 "" list --format xlsx -o "$T/no/such/dir/x.xlsx"
run 1 "" list --format csv -o "$T/no/such/dir/x.csv"
err_has "No such file or directory"
ls "$T" | grep -q '\.tmp-' && fail "a temporary file was left behind"
[[ ! -e $T/x.ods && ! -e $T/x.csv ]] || fail "a refused export wrote a file"
exit 0
