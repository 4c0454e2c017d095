#!/usr/bin/env bash
# import.sh - `capa import --csv/--xlsx`: a legacy 客户投诉登记表 becomes cases that replay.
# Encodings (UTF-8, UTF-8 with BOM, GB18030 with characters outside GBK), delimiters, quoting
# and line breaks in cells, all or nothing, --skip-invalid, --dry-run, every mapping error,
# hostile mapping XML, huge cells and many rows, and an xlsx made by openpyxl.
source "$(dirname "$0")/common.bash"
setup_users

H='案号,投诉日期,客户名称,料号,批号,不良数量,缺陷代码,问题描述,严重程度,投诉方式,责任部门,处理状态,结案日期'
imp() { # imp WANT_RC ARGS...: import as admin
    local want=$1
    shift
    as admin "$want" import "$@"
}

# ---- UTF-8: quoting, embedded newlines, every date format, closed and open rows ----
cat >"$T/reg.csv" <<EOF
$H
QC-2023-0042,2023/6/15,华为,P-100,L2306,12,SCR-01,"外壳划伤, 客户""退货""
第二行",重大,电话,生产部,已结案,2023-06-30 17:05
,2023-06-15 23:52,比亚迪,P-200,,5,,尺寸超差,一般,邮件,品质部,处理中,
,15-Jun-23,小米,P-300,,,,漏装螺丝,重要,现场,,处理中,
,45092,OPPO,P-400,,,,标签错误,Important,书面,,,
EOF
SHA=$(sha256sum "$T/reg.csv" | cut -d' ' -f1)
imp 0 --csv "$T/reg.csv" --map register
out_has "4 cases imported (1 closed)"
out_has "source sha256 $SHA, utf-8, delimiter ','"
run 0 "" show QC-2023-0042 --json
json 'd["closed"] and d["stage"] == "archive"'
json 'd["opened"].startswith("2023-06-15") and d["closed_at"].startswith("2023-06-30T17:05")'
json 'next(s for s in d["stages"] if s["id"] == "intake")["values"]["description"] == "外壳划伤, 客户\"退货\"\n第二行"'
json 'next(s for s in d["stages"] if s["id"] == "intake")["values"]["severity"] == "major"'
run 0 "" log QC-2023-0042
out_has "imported from reg.csv row 2 (sha256 $SHA)"
# Its audit event carries the true time of the import, not the sheet's dates.
run 0 "" log QC-2023-0042 --json
json 'd[0]["time"].startswith("'"$(date -u +%Y-%m-%d)"'") and d[0]["facts"]["row"] == "2"'
json 'd[0]["facts"]["sha256"] == "'"$SHA"'"'
# New numbers follow the pattern in the year each case was opened, after the sheet's own.
run 0 "" list --json
json 'sorted(c["number"] for c in d) == ["QC-2023-0042", "QC-2023-0043", "QC-2023-0044", "QC-2023-0045"]'
json 'all(c["opened"].startswith("2023-06-15") for c in d)'
run 0 "" show QC-2023-0044 --json
json 'next(s for s in d["stages"] if s["id"] == "intake")["values"]["channel"] == "on_site"'
# Closed imported cases are archived and read-only.
as wang 1 set QC-2023-0042 customer_reply=x
err_has "read-only"
run 0 "" verify
# The same file again is refused: its rows would be made twice.
snapshot again
imp 1 --csv "$T/reg.csv" --map register
err_has "reg.csv (sha256 $SHA) was imported before: 4 cases came from it"
unchanged again
# Another file with the same sheet number: that row is refused, so nothing is written.
sed 's/比亚迪/比亚迪汽车/' "$T/reg.csv" >"$T/reg2.csv"
imp 1 --csv "$T/reg2.csv" --map register
err_has "row 2, column 案号"
err_has "case number QC-2023-0042 already exists"
err_has "1 of 4 rows are bad; nothing imported"
unchanged again

# ---- UTF-8 with BOM, ';' delimiter, CRLF line ends ----
{ printf '\xEF\xBB\xBF'; printf '%s\r\n' "${H//,/;}" \
    ';2024/1/2;宁德时代;P-500;;;;"含;分号";一般;;;处理中;'; } >"$T/bom.csv"
imp 0 --csv "$T/bom.csv" --map register
out_has "utf-8 with BOM, delimiter ';'"
run 0 "" list --customer 宁德时代 --json
json 'len(d) == 1 and d[0]["description"] == "含;分号"'

# ---- GB18030 (Chinese Excel's CSV), with a character outside GBK (𠮷 U+20BB7), tab ----
python3 - "$T/gb.csv" <<'EOF'
import sys
rows = ["案号\t投诉日期\t客户名称\t料号\t问题描述\t严重程度",
        "\t2024/3/4\t吉𠮷电子\tP-600\t“引号”与𠮷字\t重大"]
open(sys.argv[1], "wb").write(("\r\n".join(rows) + "\r\n").encode("gb18030"))
EOF
imp 0 --csv "$T/gb.csv" --map register
out_has "gb18030, delimiter tab"
run 0 "" list --customer 吉𠮷电子 --json
json 'len(d) == 1 and d[0]["description"] == "“引号”与𠮷字" and d[0]["severity"] == "major"'
# Told it is UTF-8, the GB18030 bytes are refused (nothing written).
python3 -c 'import sys; open(sys.argv[1],"wb").write("案号,投诉日期,客户名称,料号,问题描述,严重程度\r\n,2024/3/4,中文,P-1,描述,一般\r\n".encode("gb18030"))' "$T/gb2.csv"
snapshot enc
imp 1 --csv "$T/gb2.csv" --map register --encoding utf-8
unchanged enc
imp 2 --csv "$T/gb2.csv" --map register --encoding latin1
imp 0 --csv "$T/gb2.csv" --map register --encoding gbk
out_has "1 cases imported"

# ---- all or nothing: every bad row reported (row, column, value, rule) ----
cat >"$T/bad.csv" <<EOF
$H
,2024/5/1,好客户,P-700,,,,正常行,一般,,,,
,2024/5/2,坏客户,P 7 01,,-3,,料号有空格,特急,飞鸽,,,
,2024/13/45,客户三,P-702,,,,日期不对,一般,,,,
,,客户四,P-703,,,,没有日期,一般,,,,
,2024/5/5,客户五,P-704,,,,结案没日期,一般,,,已结案,
,2024/5/6,客户六,P-705,,,,未知状态,一般,,,搁置,
QC-X 1,2024/5/7,客户七,P-706,,,,坏案号,一般,,,,
,2099/1/1,客户八,P-707,,,,将来的日期,一般,,,,
EOF
snapshot bad
imp 1 --csv "$T/bad.csv" --map register
err_has "row 3, column 料号, value 'P 7 01': does not match pattern"
err_has "row 3, column 不良数量, value '-3'"
err_has "row 3, column 严重程度, value '特急'"
err_has "row 3, column 投诉方式, value '飞鸽'"
err_has "row 4, column 投诉日期, value '2024/13/45': is not a date in any of the formats YYYY/M/D"
err_has "row 5, column 投诉日期: empty: the date the case was opened is required"
err_has "row 6, column 结案日期: a closed case needs the date it was closed"
err_has "row 7, column 处理状态, value '搁置': is not a status of this mapping"
err_has "row 8"
err_has "case number 'QC-X 1'"
err_has "row 9"
err_has "must be a date before now"
err_has "7 of 8 rows are bad; nothing imported"
unchanged bad
run 0 "" list --customer 好客户 --json
json 'd == []'
# --dry-run: the same report, nothing written either way.
imp 1 --csv "$T/bad.csv" --map register --dry-run
unchanged bad
imp 0 --csv "$T/reg2.csv" --map register --dry-run --skip-invalid "$T/dry-rejects.csv"
out_has "4 rows checked, 1 bad; nothing written (--dry-run)"
unchanged bad

# ---- --skip-invalid: good rows in, bad ones into a CSV (UTF-8 BOM) with the reason ----
imp 0 --csv "$T/bad.csv" --map register --skip-invalid "$T/rejects.csv"
out_has "1 cases imported (0 closed)"
out_has "7 rows set aside in $T/rejects.csv"
run 0 "" list --customer 好客户 --json
json 'len(d) == 1'
python3 - "$T/rejects.csv" <<'EOF'
import csv, sys
raw = open(sys.argv[1], "rb").read()
assert raw.startswith(b"\xef\xbb\xbf"), "no BOM"
rows = list(csv.reader(raw[3:].decode("utf-8").splitlines()))
assert rows[0][-2:] == ["行号 / row", "错误原因 / reason"], rows[0]
assert len(rows) == 8, rows
assert rows[1][2] == "坏客户" and rows[1][-2] == "3" and "料号" in rows[1][-1], rows[1]
assert all(r[-1] for r in rows[1:])
EOF
run 0 "" verify
# The rejects file may not be the file being read.
sed 's/好客户/好客户二/' "$T/bad.csv" >"$T/bad2.csv"
cp "$T/bad2.csv" "$T/bad2.copy"
imp 1 --csv "$T/bad2.csv" --map register --skip-invalid "$T/bad2.csv"
err_has "that is the file being imported"
cmp -s "$T/bad2.copy" "$T/bad2.csv" || fail "the source was overwritten"

# ---- sheet numbers given twice in one file ----
printf '%s\nQC-2024-9001,2024/1/1,甲,P-1,,,,一,一般,,,,\nQC-2024-9001,2024/1/1,乙,P-1,,,,二,一般,,,,\n' \
    "$H" >"$T/twice.csv"
snapshot twice
imp 1 --csv "$T/twice.csv" --map register
err_has "row 3, column 案号, value 'QC-2024-9001': case number given twice (first in row 2)"
unchanged twice

# ---- a sheet number of this year moves the counter: the next case opened gets the next one ----
printf '%s\nQC-%s-0005,%s/1/1,今年客户,P-1,,,,今年的,一般,,,,\n' "$H" "$Y" "$Y" >"$T/thisyear.csv"
imp 0 --csv "$T/thisyear.csv" --map register
as li 0 open customer=新客户 part_no=P-2 description=新的 severity=general
out_is "QC-$Y-0006"
run 0 "" verify

# ---- the header: required column missing, a column twice, unmapped columns ----
printf '投诉日期,客户名称,料号,严重程度\n2024/1/1,甲,P-1,一般\n' >"$T/nodesc.csv"
imp 1 --csv "$T/nodesc.csv" --map register
err_has "required column '问题描述' is missing"
printf '投诉日期,客户名称,客户,料号,问题描述,严重程度,备注\n2024/1/1,甲,甲,P-1,x,一般,y\n' >"$T/dup.csv"
imp 1 --csv "$T/dup.csv" --map register
err_has "columns 2 and 3 are both"
printf '投诉日期,客户名称,料号,问题描述,严重程度,备注\n2024/1/1,甲方,P-1,x,一般,y\n' >"$T/extra.csv"
imp 0 --csv "$T/extra.csv" --map register
err_has "column 6 (备注) is not in the mapping; ignored"
printf '' >"$T/empty.csv"
imp 1 --csv "$T/empty.csv" --map register
err_has "no header row"
imp 1 --csv "$T/missing.csv" --map register

# ---- mapping errors ----
imp 1 --csv "$T/reg.csv" --map nosuch
err_has "no such shipped mapping (shipped: register)"
M='<mapping xmlns="urn:capa:mapping:1" id="m" zh="表" en="Sheet">'
mapfile() { printf '%s\n' "$@" >"$T/m.xml"; }
mapfile "$M" '<column header="日期" case="opened"/>' '</mapping>'
imp 1 --csv "$T/reg.csv" --map "$T/m.xml"
err_has "neither it nor the mapping has a <date>"
mapfile "$M" '<dates><date format="YYYY/Q/D"/></dates>' '<column header="日期" case="opened"/>' \
    '<column header="客户" field="custmer"/>' '</mapping>'
imp 1 --csv "$T/reg.csv" --map "$T/m.xml"
err_has "date format 'YYYY/Q/D': letter 'Q' is not a date token"
mapfile "$M" '<dates><date format="YYYY/M/D"/></dates>' '<column header="日期" case="opened"/>' \
    '<column header="客户" field="custmer"/>' '<column header="客户" field="part_no"/>' \
    '<column header="状态" case="status"><map from="完" to="done"/></column>' \
    '<column header="号" case="number"/><column header="号2" case="number"/>' '</mapping>'
imp 1 --csv "$T/reg.csv" --map "$T/m.xml"
err_has "header '客户' already names the column of line"
err_has "a status maps to \"open\" or \"closed\", not 'done'"
err_has "the case number is already read from another column"
mapfile "$M" '<dates><date format="YYYY/M/D"/></dates>' '<column header="日期" case="opened"/>' \
    '<column header="客户" field="custmer"/>' '<column header="描述" stage="nostage" field="x"/>' \
    '</mapping>'
imp 1 --csv "$T/reg.csv" --map "$T/m.xml"
err_has "form \`intake\` has no field \`custmer\` (did you mean \`customer\`?)"
err_has "stage 'nostage' is not in the workflow"
err_has "no column fills \`part_no\`"
mapfile "$M" '<column header="日期" case="opened" bogus="1"/>' '</mapping>'
imp 1 --csv "$T/reg.csv" --map "$T/m.xml"
err_has "bogus"
mapfile '<mapping id="m"/>'
imp 1 --csv "$T/reg.csv" --map "$T/m.xml"
# Hostile XML: DOCTYPE, entities, external references - refused before anything is read.
mapfile '<?xml version="1.0"?>' '<!DOCTYPE m [<!ENTITY x SYSTEM "file:///etc/passwd">]>' \
    "$M" '<column header="&x;" case="opened"/></mapping>'
imp 1 --csv "$T/reg.csv" --map "$T/m.xml"
err_has "DOCTYPE"
err_lacks() { ! grep -qF -- "$1" <<<"$ERR" || fail "stderr has: $1"; }
err_lacks "root:"
mapfile '<?xml version="1.0"?>' '<!DOCTYPE m [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>' \
    "$M" '<column header="&b;" case="opened"/></mapping>'
imp 1 --csv "$T/reg.csv" --map "$T/m.xml"
err_has "DOCTYPE"
printf '<mapping xmlns="urn:capa:mapping:1" xmlns:xi="http://www.w3.org/2001/XInclude" id="m" zh="a" en="b"><xi:include href="/etc/passwd" parse="text"/></mapping>' >"$T/m.xml"
imp 1 --csv "$T/reg.csv" --map "$T/m.xml"
head -c 2000000 /dev/zero | tr '\0' ' ' >"$T/m.xml"
imp 1 --csv "$T/reg.csv" --map "$T/m.xml"
err_has "over the limit"

# ---- who may import ----
as wang 1 import --csv "$T/reg.csv" --map register
err_has "needs role admin"
run 1 "wrong-password\n" import --csv "$T/reg.csv" --map register --as admin --password-stdin
run 2 "" import --map register --as admin
run 2 "" import --csv a --xlsx b --map register --as admin

# ---- huge input: a quote never closed, a cell over 1 MiB, many rows ----
printf '%s\n,2024/1/1,甲,P-1,,,,"never closed\n' "$H" >"$T/open.csv"
snapshot huge
imp 1 --csv "$T/open.csv" --map register
err_has "row 2: a quoted cell is not closed before the end of the file"
python3 -c 'import sys; open(sys.argv[1],"w").write(sys.argv[2]+"\n,2024/1/1,甲,P-1,,,,\""+"x"*1200000+"\",一般,,,,\n")' "$T/big.csv" "$H"
imp 1 --csv "$T/big.csv" --map register
err_has "a cell longer than 1 MiB"
unchanged huge
python3 - "$T/many.csv" <<'EOF'
import sys
with open(sys.argv[1], "w", encoding="utf-8") as f:
    f.write("投诉日期,客户名称,料号,问题描述,严重程度,处理状态,结案日期\n")
    for i in range(12000):
        closed = i % 3 == 0
        f.write(f"2022/{i % 12 + 1}/{i % 28 + 1},客户{i % 97},P-{i % 500},第{i}行,一般,"
                f"{'已结案' if closed else '处理中'},{'2022-12-31' if closed else ''}\n")
EOF
imp 0 --csv "$T/many.csv" --map register --batch 3000
out_has "12000 cases imported (4000 closed)"
[[ $ERR != *importing* ]] || fail "a progress bar on stderr that is not a terminal"
run 0 "" verify
run 0 "" list --closed --customer 客户3 --json
json 'all(c["closed"] for c in d) and len(d) > 0'

# On a terminal, a progress bar on stderr (a pseudo-terminal here).
head -3001 "$T/many.csv" | sed 's/^2022/2019/' >"$T/tty.csv"
python3 - "$CAPA" "$CAPA_DB" "$T/tty.csv" "$(pw admin)" <<'PY' || fail "progress bar on a terminal"
import os, pty, sys, time
capa, db, csv, pw = sys.argv[1:5]
pid, fd = pty.fork()
if pid == 0:
    os.environ["CAPA_DB"] = db
    os.execv(capa, [capa, "import", "--csv", csv, "--map", "register", "--as", "admin",
                    "--password-stdin", "--batch", "500"])
os.write(fd, (pw + "\n").encode())
out, end = b"", time.time() + 300
while time.time() < end:
    try:
        d = os.read(fd, 4096)
    except OSError:
        break
    if not d:
        break
    out += d
_, st = os.waitpid(pid, 0)
text = out.decode("utf-8", "replace")
assert os.WEXITSTATUS(st) == 0, text
assert "导入 importing [" in text and "3000/3000" in text, text
assert "3000 cases imported" in text, text
PY

# ---- xlsx written by openpyxl: shared strings, dates as serials and as text, --sheet ----
# Debian's python3-openpyxl belongs to the system's python3 (a pyenv one may come first).
PYX=python3
[[ -x /usr/bin/python3 ]] && PYX=/usr/bin/python3
$PYX - "$T/reg.xlsx" <<'EOF'
import datetime, sys
from openpyxl import Workbook
wb = Workbook()
ws = wb.active
ws.title = "说明"
ws.append(["这张表不是登记表"])
ws = wb.create_sheet("登记表")
ws.append(["案号", "投诉日期", "客户名称", "料号", "不良数量", "问题描述", "严重程度", "处理状态", "结案日期"])
ws.append(["QC-2021-0007", datetime.datetime(2021, 3, 9, 8, 30), "表格客户", "X-1", 7,
           "第一行\n第二行", "重大", "已结案", datetime.date(2021, 4, 1)])
ws.append([None, "2021/5/6", "表格客户", "X-2", None, "文本日期", "一般", "处理中", None])
ws.append([])
ws.append([None, datetime.date(2021, 7, 8), "表格客户", "X-3", 3, "空行之后", "重要", None, None])
wb.save(sys.argv[1])
EOF
imp 1 --xlsx "$T/reg.xlsx" --map register
err_has "required column"
imp 1 --xlsx "$T/reg.xlsx" --map register --sheet 没有
err_has "no sheet named '没有' (sheets: 说明, 登记表)"
imp 0 --xlsx "$T/reg.xlsx" --map register --sheet 登记表
out_has "3 cases imported (1 closed)"
run 0 "" show QC-2021-0007 --json
json 'd["closed"] and d["opened"].startswith("2021-03-09T08:30") and d["closed_at"].startswith("2021-04-01")'
json 'next(s for s in d["stages"] if s["id"] == "intake")["values"]["description"] == "第一行\n第二行"'
json 'next(s for s in d["stages"] if s["id"] == "intake")["values"]["qty_affected"] == "7"'
run 0 "" list --customer 表格客户 --json
json 'len(d) == 3 and sorted(c["opened"][:10] for c in d) == ["2021-03-09", "2021-05-06", "2021-07-08"]'
run 0 "" log QC-2021-0007
out_has "imported from reg.xlsx row 2"
# Not a workbook, and a workbook whose sheet XML carries a DOCTYPE.
printf 'PK but not a zip' >"$T/notzip.xlsx"
imp 1 --xlsx "$T/notzip.xlsx" --map register
err_has "not an xlsx workbook"
$PYX - "$T/reg.xlsx" "$T/evil.xlsx" <<'EOF'
import sys, zipfile
src = zipfile.ZipFile(sys.argv[1])
with zipfile.ZipFile(sys.argv[2], "w") as out:
    for item in src.infolist():
        data = src.read(item.filename)
        if item.filename == "xl/worksheets/sheet2.xml":
            dt = b'<!DOCTYPE w [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            data = data.replace(b"?>", b"?>" + dt, 1) if data.startswith(b"<?xml") else dt + data
            assert dt in data
        out.writestr(item, data)
EOF
snapshot evil
imp 1 --xlsx "$T/evil.xlsx" --map register --sheet 登记表
err_has "DOCTYPE"
unchanged evil
run 0 "" verify
# The sheet's XML as the reader read it (xlsx21e parses it with SAX2): an empty <c/> is no
# cell (t="s" with no value would be refused), text split by a comment joins, CDATA is not
# text; too deep a sheet and a malformed DOCTYPE are "not well-formed", as before.
$PYX - "$T" <<'EOF'
import sys, zipfile
H = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
W = '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
def s(ref, text):
    return '<c r="%s" t="inlineStr"><is><t>%s</t></is></c>' % (ref, text)
head = '<row r="1">' + "".join(s("%c1" % (65 + i), h) for i, h in enumerate(
    ["案号", "投诉日期", "客户名称", "料号", "不良数量", "问题描述", "严重程度", "处理状态", "结案日期"])) + '</row>'
row = ('<row r="2">' + s("A2", "QC-2021-0099") + '<c r="B2"><v>44500</v></c>' + s("C2", "SAX客户")
       + '<c r="D2" t="s"/>' + s("D2", "X-9") + '<c r="E2"><v>5</v></c>'
       + s("F2", "甲<!--注释-->乙<![CDATA[丙]]>丁") + s("G2", "一般") + s("H2", "处理中")
       + '<c r="J2" t="s"/></row>')
sheets = {
    "sax": H + W + '<sheetData>' + head + row + '</sheetData></worksheet>',
    "deep": H + W + '<sheetData>' + head + '<x>' * 256 + '</x>' * 256 + '</sheetData></worksheet>',
    "baddtd": H + '<!DOCTYPE w [<!ENTITY a >]>' + W + '<sheetData/></worksheet>',
    # a good row, then the XML breaks: the rows before the error reach pass 1 first now
    "midbad": H + W + '<sheetData>' + head + row + '<row r="3"><c r="A3"></row></sheetData></worksheet>',
}
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
book = (H + W.replace("worksheet", "workbook").replace(">", ' xmlns:r="%s">' % R)
        + '<sheets><sheet name="登记表" sheetId="1" r:id="rId1"/></sheets></workbook>')
rels = (H + '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        + '<Relationship Id="rId1" Type="%s/worksheet" Target="worksheets/sheet1.xml"/>' % R
        + '</Relationships>')
for name, xml in sheets.items():
    with zipfile.ZipFile("%s/%s.xlsx" % (sys.argv[1], name), "w") as out:
        out.writestr("xl/workbook.xml", book)
        out.writestr("xl/_rels/workbook.xml.rels", rels)
        out.writestr("xl/worksheets/sheet1.xml", xml)
EOF
snapshot sax
imp 1 --xlsx "$T/deep.xlsx" --map register --sheet 登记表
err_has "is not well-formed XML"
imp 1 --xlsx "$T/baddtd.xlsx" --map register --sheet 登记表
err_has "is not well-formed XML"
imp 1 --xlsx "$T/midbad.xlsx" --map register --sheet 登记表
err_has "is not well-formed XML"
unchanged sax
imp 0 --xlsx "$T/sax.xlsx" --map register --sheet 登记表
out_has "1 cases imported"
run 0 "" show QC-2021-0099 --json
json 'next(s for s in d["stages"] if s["id"] == "intake")["values"]["description"] == "甲乙丁"'
json 'next(s for s in d["stages"] if s["id"] == "intake")["values"]["qty_affected"] == "5"'

# ---- imported records replay: a file-level edit of one is named by verify; the source an
# import event names is under the chain (a rewrite shows against an anchor) ----
TAMPER=${CAPA_BUILD:?CAPA_BUILD must name the build directory (ctest sets it)}/tests/faults/capa-tamper
[[ -x $TAMPER ]] || fail "$TAMPER missing (built with the tests)"
run 0 "" anchor
ANCHOR=$OUT
run 0 "" log QC-2023-0042 --json
SEQ=$(jget 'd[0]["seq"]')
cp -a "$CAPA_DB" "$T/t1"
"$TAMPER" "$T/t1" hdr QC-2023-0042 closed_at -86400000 || fail "capa-tamper hdr"
CAPA_DB=$T/t1 run 1 "" verify
err_has "QC-2023-0042"
err_has "closed_at"
cp -a "$CAPA_DB" "$T/t2"
"$TAMPER" "$T/t2" stage QC-2023-0042 0 customer 别的客户 || fail "capa-tamper stage"
CAPA_DB=$T/t2 run 1 "" verify
err_has "QC-2023-0042"
cp -a "$CAPA_DB" "$T/t4"
"$TAMPER" "$T/t4" meta-u64 "import:$SHA" -4 || fail "capa-tamper meta-u64"
CAPA_DB=$T/t4 run 1 "" verify
err_has "meta \`import:$SHA\`: stored '0', the events say '4'"
cp -a "$CAPA_DB" "$T/t3"
# Its row cannot be moved alone: the rows of a file replay in order, each once.
cp -a "$CAPA_DB" "$T/t5"
"$TAMPER" "$T/t5" rewrite "$SEQ" fact:row 3 --rebuild 2>"$T/t5.err" &&
    fail "a row imported twice replayed"
grep -q "row 3 of the file was accounted for by an earlier import event" "$T/t5.err" ||
    fail "rebuild: $(cat "$T/t5.err")"
"$TAMPER" "$T/t3" rewrite "$SEQ" fact:source other.csv --rebuild || fail "capa-tamper rewrite"
CAPA_DB=$T/t3 run 0 "" verify
CAPA_DB=$T/t3 run 1 "" verify --anchor "$ANCHOR"
echo "ok $TEST"
