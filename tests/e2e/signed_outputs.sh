#!/usr/bin/env bash
# signed_outputs.sh - every signed output is made only from verified data, and its anchor
# copies whole (issue 16, defects 4 and 11), with the real binary on copies of the demo store.
#
# Defect 4: a dossier was written and validly signed with a tampered organisation name, with
# the chain head deleted (the cover said "0:"), and saying "no recurrence" after an index
# entry of the earlier case was deleted; `capa report monthly` signed figures from tampered
# case headers. Each must now be refused naming the mismatch, leaving no file behind.
# Defect 11: the anchor token wrapped in the middle of its hex; now pdftotext gives it whole,
# `capa verify --anchor` takes it, and the cover's QR code decodes to exactly the token.
#
# env: CAPA, CAPA_SRC, CAPA_BUILD (CTest sets them). Needs poppler-utils and zbar-tools.
source "$(dirname "$0")/common.bash"
TAMPER=${CAPA_BUILD:?CAPA_BUILD must name the build directory (ctest sets it)}/tests/faults/capa-tamper
for t in pdftotext pdftoppm zbarimg; do
    command -v "$t" >/dev/null || fail "$t missing (tools/setup installs poppler-utils, zbar-tools)"
done
unset CAPA_FONT || true

# The demo store, plus a case of the same part and defect as the first: a recurrence.
CAPA_DB=$T/demo "$CAPA_SRC/tools/demo.sh" >"$T/demo.log" 2>&1 || fail "demo: $(tail -5 "$T/demo.log")"
N1=QC-$Y-0001 N2=QC-$Y-0002
N5=$(printf 'demo-li-2026\n' | "$CAPA" --db "$T/demo" open --as li --password-stdin \
    customer=华东汽车 part_no=PCB-7731 lot_no=L2026-1201 qty_affected=3 defect_code=SOLDER-BRIDGE \
    severity=general channel=phone complaint_type=quality description="焊点连锡再次出现")
[[ $N5 == "QC-$Y-0005" ]] || fail "recurrence case opened as '$N5'"
# A thousand legacy rows: the anchor's SEQ gets four digits, as in a store in use (the
# token of a young store was short enough to fit the old layout's value column).
{
    echo '案号,投诉日期,客户名称,料号,批号,不良数量,缺陷代码,问题描述,严重程度,投诉方式,责任部门,处理状态,结案日期'
    for i in $(seq 1 1000); do echo ",2026-01-02,旧客户,P-OLD,,1,,旧记录 $i,一般,电话,,处理中,"; done
} >"$T/old.csv"
printf 'demo-admin-2026\n' | "$CAPA" --db "$T/demo" import --csv "$T/old.csv" --map register \
    --as admin --password-stdin >/dev/null || fail "import of $T/old.csv"
MONTH=$(date -u +%Y-%m)

fresh() { rm -rf "$CAPA_DB" "$T/out.d"; cp -a "$T/demo" "$CAPA_DB"; mkdir "$T/out.d"; }
tamper() { "$TAMPER" "$CAPA_DB" "$@" 2>/dev/null || fail "capa-tamper $*"; }
# nothing_left: the refused command left no file (nor a temporary one) in the output dir.
nothing_left() {
    [[ -z $(ls -A "$T/out.d") ]] || fail "$1 left $(ls -A "$T/out.d") behind"
}
# refused_all MESSAGE CASE: the dossier and the archive of CASE are refused naming MESSAGE,
# and every format of the monthly report too; nothing is written.
refused_all() {
    run 1 "" dossier "$2" -o "$T/out.d/d.pdf"
    err_has "case $2 does not verify against the audit trail"
    err_has "$1"
    nothing_left "dossier of $2"
    run 1 "" export "$2" -o "$T/out.d/c.xml"
    err_has "$1"
    nothing_left "export of $2"
    refused_report "$1"
}
refused_report() {
    local f
    for f in pdf csv json xlsx; do
        run 1 "" report monthly --month "$MONTH" --format "$f" -o "$T/out.d/r.$f"
        err_has "report monthly refused: the store does not verify against its audit trail"
        err_has "$1"
        nothing_left "report monthly --format $f"
    done
}

# -- the untampered store: the recurrence is stated, the anchor copies whole ----------------
fresh
TOKEN=$("$CAPA" anchor)
run 0 "" dossier "$N5" -o "$T/d5.pdf"
pdftotext -layout "$T/d5.pdf" "$T/d5.txt"
grep -qF "$N1" "$T/d5.txt" || fail "the dossier of $N5 does not name $N1 as a recurrence"
# The token, whole on one line (a wrapped one would not match), exactly the store's anchor.
grep -oE '[0-9]+:[0-9a-f]{64}' "$T/d5.txt" >"$T/tokens" || true
[[ $(cat "$T/tokens") == "$TOKEN" ]] || fail "pdftotext gives the anchor as '$(cat "$T/tokens")', want '$TOKEN'"
run 0 "" verify --anchor "$(cat "$T/tokens")"
echo "ok: the anchor copied from the PDF text is accepted by verify --anchor"
pdftoppm -r 150 -f 1 -l 1 -png "$T/d5.pdf" "$T/cover"
QR=$(zbarimg -q --raw "$T"/cover-1.png 2>/dev/null) || fail "no QR code on the cover"
[[ $QR == "$TOKEN" ]] || fail "the QR code decodes to '$QR', want '$TOKEN'"
run 0 "" verify --anchor "$QR"
echo "ok: the cover's QR code decodes to the exact anchor token"
run 0 "" report monthly --month "$MONTH" --format json -o "$T/out.d/r.json"
run 0 "" export "$N5" -o "$T/out.d/c.xml"

# -- the organisation's name (meta) ----------------------------------------------------------
fresh
tamper meta-str org "Fake Electronics Ltd"
refused_all "meta \`org\`: stored 'Fake Electronics Ltd'" "$N1"
echo "ok: a tampered organisation name refuses dossier, export and report"

# -- the chain head deleted: the cover would have said "0:" ---------------------------------
fresh
tamper meta-del head
refused_all "the head names event 0" "$N1"
echo "ok: a deleted chain head refuses dossier, export and report"

# -- an index entry of the earlier case deleted: the dossier would say "no recurrence" -------
for db in idx_part idx_defect; do
    fresh
    tamper idx-del "$db" "$N1"
    run 1 "" dossier "$N5" -o "$T/out.d/d.pdf"
    err_has "case $N5 does not verify against the audit trail"
    err_has "index $db: entry '"
    err_has "-> case $N1: missing"
    nothing_left "dossier of $N5"
    # A case whose recurrence does not read that entry still gets its dossier.
    run 0 "" dossier "$N2" -o "$T/d2.pdf"
    refused_report "index $db: entry '"
    echo "ok: $db entry of $N1 deleted: the dossier of $N5 (its recurrence) is refused"
done
# ... and the earlier case's header changed so that it no longer matches.
fresh
tamper hdr "$N1" defect_code COLD-JOINT
run 1 "" dossier "$N5" -o "$T/out.d/d.pdf"
err_has "case $N1: header: stored defect_code 'COLD-JOINT'"
nothing_left "dossier of $N5"

# -- the monthly report from tampered case headers -------------------------------------------
fresh
tamper hdr "$N2" severity general
refused_report "case $N2: header: stored severity 'general'"
fresh
tamper hdr "$N1" customer 不存在的客户
refused_report "case $N1: header: stored customer '不存在的客户'"
echo "ok: the monthly report (pdf, csv, json, xlsx) is refused over tampered headers"
echo "PASS $TEST"
