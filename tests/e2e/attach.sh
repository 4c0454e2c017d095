#!/usr/bin/env bash
# attach.sh - `capa attach` and `capa attachment get` with the real binary: content stored
# once by SHA-256 and given back byte for byte, listed in show (text and JSON) and in the
# dossier (table and JPEG/PNG thumbnails, a damaged picture listed but not drawn), the size
# limit (default 20 MiB, configurable, refused naming it before the password is asked),
# authority, closed cases and stages not reached refused with nothing changed, and verify
# replaying it all.
source "$(dirname "$0")/common.bash"
PY=/usr/bin/python3 # Debian's, with python3-pil (a PATH python3 may be another)
$PY -c 'import PIL' 2>/dev/null || fail "python3-pil missing (tools/setup installs it)"
N1=QC-$Y-0001 N2=QC-$Y-0002

setup_users
open_case() {
    as li 0 open customer="$1" part_no=PCB-7731 lot_no=L2026-1102 qty_affected=12 \
        defect_code=SOLDER-BRIDGE severity=important channel=written complaint_type=quality \
        responsible_dept=生产部 description="焊点连锡"
}
open_case 华东汽车
open_case 华南电器

# Pictures made here: a PNG and a JPEG of the same drawing, a damaged PNG, a PDF-ish file.
$PY - "$T" <<'PY'
import sys
from PIL import Image, ImageDraw
im = Image.new("RGB", (400, 300), (230, 230, 230))
d = ImageDraw.Draw(im)
d.rectangle((50, 50, 250, 200), fill=(200, 20, 20))
im.save(sys.argv[1] + "/defect.png")
im.save(sys.argv[1] + "/defect.jpg", quality=80)
open(sys.argv[1] + "/damaged.png", "wb").write(b"\x89PNG\r\n\x1a\n" + b"\0\0\0\rIHDR" + b"x" * 40)
open(sys.argv[1] + "/8d-report.pdf", "wb").write(b"%PDF-1.4\n" + bytes(range(256)) * 8)
PY

# -- attach, show, get -------------------------------------------------------------------
as li 0 attach "$N1" "$T/defect.png" --note "客户来料照片"
out_has "$N1: attached defect.png"
PNG_SHA=$(sha256sum "$T/defect.png" | cut -d' ' -f1)
out_has "sha256: $PNG_SHA"
as li 0 attach "$N1" "$T/defect.jpg"
as li 0 attach "$N1" "$T/damaged.png"
as li 0 attach "$N1" "$T/8d-report.pdf" --note "客户 8D 报告"
# The same content on another case: one more record, the same content.
as li 0 attach "$N2" "$T/defect.png"

run 0 "" show "$N1" --json
json "[(a['name'], a['stage'], a['mime'], a['user'], a['name_of_user']) for a in d['attachments']] == [
    ('defect.png', 'intake', 'image/png', 'li', '李娜'), ('defect.jpg', 'intake', 'image/jpeg', 'li', '李娜'),
    ('damaged.png', 'intake', 'image/png', 'li', '李娜'),
    ('8d-report.pdf', 'intake', 'application/pdf', 'li', '李娜')]"
json "d['attachments'][0]['sha256'] == '$PNG_SHA' and d['attachments'][0]['size'] == $(stat -c %s "$T/defect.png")"
json "d['attachments'][0]['note'] == '客户来料照片' and d['attachments'][1]['note'] is None"
run 0 "" show "$N1"
out_has "附件 / attachments"
out_has "defect.png  $(stat -c %s "$T/defect.png") bytes  image/png"
out_has "sha256: $PNG_SHA"
out_has "说明 / note: 客户来料照片"

for f in defect.png defect.jpg 8d-report.pdf; do
    sha=$(sha256sum "$T/$f" | cut -d' ' -f1)
    run 0 "" attachment get "$N1" "$sha" -o "$T/got-$f"
    cmp -s "$T/$f" "$T/got-$f" || fail "attachment get $f: content differs"
done
"$CAPA" attachment get "$N2" "$PNG_SHA" -o - >"$T/out" || fail "attachment get -o -"
[[ $(sha256sum <"$T/out" | cut -d' ' -f1) == "$PNG_SHA" ]] || fail "attachment get -o - differs"
JPG_SHA=$(sha256sum "$T/defect.jpg" | cut -d' ' -f1)
run 1 "" attachment get "$N2" "$JPG_SHA" -o "$T/x"
err_has "attachment $JPG_SHA of case $N2: no such attachment"
run 1 "" attachment get "$N1" nothex -o "$T/x"
err_has "'nothex' is not a SHA-256"
[[ ! -e $T/x ]] || fail "a file was written for a refused get"
run 2 "" attachment get "$N1" "$PNG_SHA"
err_has "-o FILE is required"

run 0 "" log "$N1" --json
json "[e['action'] for e in d].count('attach') == 4"
json "[c for e in d if e['action'] == 'attach' for c in e['changes']][0]['new'].startswith('defect.png (')"

# -- refusals change nothing ---------------------------------------------------------------
snapshot refusals
head -c $((20 * 1024 * 1024 + 1)) /dev/zero >"$T/big.bin"
# Over the limit: refused before the password is asked (none is given here).
run 1 "" attach "$N1" "$T/big.bin" --as li --password-stdin
err_has "file 'big.bin': 20971521 bytes; the attachment limit is 20971520 bytes (20.0 MiB"
head -c $((20 * 1024 * 1024)) /dev/zero >"$T/limit.bin"
as zhou 1 attach "$N1" "$T/limit.bin"
err_has "Your role (Auditor) may not attach files to the stage Quality complaint intake: attachments come from those who fill it in or sign it"
as li 1 attach "$N1" "$T/defect.png" --stage analysis
err_has "stage analysis: the case has not reached it (it is in intake)"
as li 1 attach "$N1" "$T/defect.png" --stage nowhere
err_has "--stage 'nowhere': not a stage of the workflow"
: >"$T/empty.bin"
as li 1 attach "$N1" "$T/empty.bin"
err_has "file 'empty.bin': empty (0 bytes)"
as li 1 attach "$N1" "$T/defect.png" --note "$(printf 'two\nlines')"
err_has "attach $N1: note:"
as li 1 attach "$N1" "$T/nonexistent.png"
err_has "nonexistent.png: No such file or directory"
as li 1 attach QC-1999-0001 "$T/defect.png"
err_has "no such case"
run 1 "wrong-password\n" attach "$N1" "$T/defect.png" --as li --password-stdin
# The failed sign-in is audited; nothing else changed: compare after a good sign-in resets it.
"$CAPA" log --json | $PY -c 'import json,sys; d=json.load(sys.stdin); assert d[-1]["action"] == "login_failed"'
as admin 2 config attach-limit 0
err_has "attach-limit '0': give bytes, or a number with K, M or G"
as li 1 config attach-limit 1M
err_has "config attach-limit: user \`li\` has role intake; only admin may"

# -- the limit is the plant's setting ---------------------------------------------------------
as admin 0 config attach-limit 1K
out_has "attachment limit: 1024 bytes"
run 1 "" attach "$N1" "$T/defect.jpg" --as li --password-stdin
err_has "the attachment limit is 1024 bytes"
as admin 0 config attach-limit 21M
as li 0 attach "$N1" "$T/big.bin" --note "over the default, under 21 MiB"
run 0 "" verify

# -- the dossier: table and thumbnails -----------------------------------------------------------
run 0 "" dossier "$N1" -o "$T/d.pdf"
pdftotext -layout "$T/d.pdf" "$T/d.txt"
for s in "附件 Attachments" defect.png defect.jpg damaged.png 8d-report.pdf big.bin 客户来料照片 \
    "李娜 (li)" "${PNG_SHA:0:30}"; do
    grep -qF -- "$s" "$T/d.txt" || fail "dossier text lacks $s"
done
grep -qF "图片无法显示 Picture unreadable" "$T/d.txt" || fail "damaged picture not marked"
pdfimages -list "$T/d.pdf" >"$T/img.txt"
grep -qE '^ +[0-9]+ +[0-9]+ image +400 +300 +rgb .* image ' "$T/img.txt" || fail "no PNG thumbnail: $(cat "$T/img.txt")"
grep -qE '^ +[0-9]+ +[0-9]+ image +400 +300 +rgb .* jpeg ' "$T/img.txt" || fail "no JPEG thumbnail: $(cat "$T/img.txt")"
qpdf --check "$T/d.pdf" >/dev/null || fail "qpdf rejects the dossier"
pdfsig "$T/d.pdf" | grep -q "Signature is Valid" || fail "dossier signature invalid"

# -- a closed case is read-only -------------------------------------------------------------------
as wang 0 set "$N2" validity=valid containment="库存隔离"
as wang 0 sign "$N2" --meaning reviewed
as wang 0 attach "$N2" "$T/defect.jpg" # to the stage the case is in now (analysis)
as wang 0 attach "$N2" "$T/8d-report.pdf" --stage intake # to one it has passed
run 0 "" show "$N2" --json
json "[(a['name'], a['stage']) for a in d['attachments']] == [('defect.png', 'intake'), ('defect.jpg', 'analysis'), ('8d-report.pdf', 'intake')]"
as wang 0 set "$N2" five_why.1.why="为何" five_why.1.because="钢网" category_6m=method \
    root_cause_occurrence="钢网开口偏大" root_cause_escape="AOI 未覆盖"
as chen 0 sign "$N2" --meaning reviewed
as wang 0 set "$N2" corrective_actions.1.action="钢网开口缩小" corrective_actions.1.owner=sun \
    corrective_actions.1.due=2026-12-05 "${D7_OK[@]}" preventive_actions.1.action="更新规范" \
    preventive_actions.1.owner=wang preventive_actions.1.due=2026-12-20
as zhao 0 sign "$N2" --meaning approved
as sun 0 set "$N2" disposition=rework rework_mode=in_house rework_order=RW-1 qty_reworked=12 \
    qty_scrapped=0 qty_received=12
as sun 0 sign "$N2" --meaning done
as wang 0 set "$N2" method="复检" sample_size=20 result=pass evidence="0 不良"
as wang 0 sign "$N2" --meaning verified
as wang 0 set "$N2" customer_reply="已回复" follow_up_date=2026-12-28 follow_up_by=wang \
    satisfaction=satisfied lessons_learned="评审" documents_updated="WI-1"
as chen 0 sign "$N2" --meaning closed
snapshot closed
as wang 1 attach "$N2" "$T/defect.jpg" --stage archive
err_has "attach $N2: case closed (结案) at "
err_has "an archived case is read-only"
unchanged closed
run 0 "" dossier "$N2" -o "$T/d2.pdf"
pdftotext "$T/d2.pdf" "$T/d2.txt"
grep -qF "defect.jpg" "$T/d2.txt" || fail "closed case dossier lacks its attachment"
run 0 "" verify
