#!/usr/bin/env bash
# browser_pages.sh - the issue-18 pages in a real browser (Debian's chromium through
# chromium-driver and python3-selenium, browser_pages.py) at 1366x900 and 768x1024: a photo
# uploaded on a case and its thumbnail shown, the report page with its two charts drawn and
# every download (the PDF's signature valid with pdfsig, the xlsx read by openpyxl, CSV and
# JSON), a SCAR opened from the new-case page, the escalations page. Every page: no sideways scrolling, touch
# targets, nothing from elsewhere, no CSP violation, axe-core clean, screenshots into
# $CAPA_SCREENSHOTS (else the test's temporary directory). Skipped (77) only when chromium
# cannot start.
source "$(dirname "$0")/common.bash"
source "$(dirname "$0")/serve.bash"
browser_need python3-openpyxl openpyxl python3-pil PIL
serve_init_users
run 0 "$(pw admin)\n$(pw ma)\n" user add ma --role sqe --name 马工 --as admin --password-stdin
for d in SOLDER-BRIDGE SOLDER-BRIDGE PIN-BENT; do
    as li 0 open customer=华东汽车 part_no=P-1 description=连锡 severity=major qty_affected=3 defect_code=$d
done
# Three days on, `capa escalate` sends the escalations of their limits.
LATER=$(date -u -d '+3 days' '+%Y-%m-%d %H:%M:%S')
at "$LATER" run 0 "" escalate
serve_start
browser_axe
SHOTS=${CAPA_SCREENSHOTS:-$T/shots}
mkdir -p "$SHOTS" "$T/downloads"
$PY -c 'from PIL import Image, ImageDraw
im = Image.new("RGB", (1200, 900), (235, 235, 235)); d = ImageDraw.Draw(im)
d.rectangle((200, 200, 700, 600), fill=(200, 20, 20)); im.save("'"$T"'/photo.jpg", quality=85)'
set +e
AT="$LATER" AXE=$AXE B=$B SHOTS=$SHOTS DOWNLOADS=$T/downloads PHOTO=$T/photo.jpg Y=$Y HOME=$T \
    $PY "$(dirname "$0")/browser_pages.py"
rc=$?
set -e
[[ $rc == 77 ]] && exit 77
[[ $rc == 0 ]] || fail "the browser pages failed (screenshots in $SHOTS)"
# What the browser did, seen from the store: the photo attached, the SCAR opened.
run 0 "" show "QC-$Y-0001" --json
json "[(a['name'], a['mime']) for a in d['attachments']] == [('photo.jpg', 'image/jpeg')]"
json "d['attachments'][0]['sha256'] == '$(sha256sum <"$T/photo.jpg" | cut -d' ' -f1)'"
run 0 "" show "SCAR-$Y-0001" --json
json "d['workflow'] == 'scar'"
out_has '深圳精密五金'
# The downloads: the PDF signed, the xlsx readable, CSV and JSON the report's.
M=$(date -u +%Y-%m)
pdfsig "$T/downloads/capa-report-$M.pdf" >"$T/sig" 2>&1 || true
grep -q 'Signature is Valid' "$T/sig" || { cat "$T/sig"; fail "report PDF: signature not valid"; }
$PY -c "import openpyxl, sys; wb = openpyxl.load_workbook(sys.argv[1]); assert wb.sheetnames" \
    "$T/downloads/capa-report-$M.xlsx" || fail "report xlsx: openpyxl cannot read it"
grep -q '^by_defect,SOLDER-BRIDGE,2,' "$T/downloads/capa-report-$M.csv" || fail "report CSV: no Pareto row"
python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d['by_defect'][0]['code']=='SOLDER-BRIDGE'" \
    "$T/downloads/capa-report-$M.json" || fail "report JSON"
run 0 "" verify
echo "browser_pages: ok"
