#!/usr/bin/env bash
# archive.sh - the XML case archive with the real binary: a case walked to closed through a
# rejection, with attachments, exported (valid against schemas/case.xsd by xmllint), imported
# into another database (a group archive) where it verifies, is read-only and exports to the
# same document apart from the receiving store's own fields; export --all; every kind of
# edit to the file refused naming what does not match, a second import refused, hostile XML
# (DOCTYPE, entities, external DTD, huge, deep, not UTF-8) refused, nothing written by any
# refusal; the import event replays (an edit of the imported records is found by verify).
source "$(dirname "$0")/common.bash"
SCHEMA=$(dirname "$0")/../../schemas/case.xsd
TAMPER=${CAPA_BUILD:?CAPA_BUILD must name the build directory (ctest sets it)}/tests/faults/capa-tamper
command -v xmllint >/dev/null || fail "xmllint missing (libxml2-utils)"
N1=QC-$Y-0001 N2=QC-$Y-0002
PLANT=$T/db GROUP=$T/group

setup_users
as li 0 open customer="华东汽车" part_no=PCB-7731 lot_no=L2026-1102 qty_affected=120 \
    defect_code=SOLDER-BRIDGE severity=important channel=written complaint_type=quality \
    responsible_dept=生产部 description="$(printf '焊点连锡 <b>&amp;</b>\n第二行 "引号"')"
printf '\xff\xd8\xff\xe0 photo bytes \x00\x01\x02' >"$T/p.jpg" # a JPEG by its first bytes
as li 0 attach "$N1" "$T/p.jpg" --note "来料 & 照片"
walk_to_closed "$N1"
as li 0 open customer="华南电器" part_no=PCB-1001 lot_no=L2026-2001 qty_affected=5 \
    defect_code=SCRATCH severity=general channel=phone complaint_type=quality \
    responsible_dept=生产部 description="外壳划伤"

# -- export ------------------------------------------------------------------------------------
run 0 "" export "$N1" -o "$T/c1.xml"
out_is "$T/c1.xml"
xmllint --noout --schema "$SCHEMA" "$T/c1.xml" 2>"$T/lint" || fail "xmllint: $(cat "$T/lint")"
run 0 "" anchor
ANCHOR=$OUT
grep -qF "anchor=\"$ANCHOR\"" "$T/c1.xml" || fail "export lacks the store's anchor $ANCHOR"
run 0 "" log "$N1" --json
N_EVENTS=$(jget 'len(d)')
[[ $(grep -c '<event ' "$T/c1.xml") == "$N_EVENTS" ]] || fail "export lacks some of the case's $N_EVENTS events"
for s in '<signature seq=' 'kind="reject"' '<reason>缺少预防措施</reason>' \
    '<definition id="workflow" version="1">' '<definition id="intake" version="1">' \
    'sha256="'"$(sha256sum "$T/p.jpg" | cut -d' ' -f1)"'"' '<note>来料 &amp; 照片</note>'; do
    grep -qF -- "$s" "$T/c1.xml" || fail "export lacks $s"
done
[[ $(grep -c '<signature ' "$T/c1.xml") == 8 ]] || fail "export lacks signatures"
# The anchor the export carries holds in the exporting store.
run 0 "" verify --anchor "$ANCHOR"
run 0 "" export "$N2" -o - # stdout
grep -qF "<case xmlns=\"urn:capa:case:1\" format=\"1\" number=\"$N2\">" <<<"$OUT" || fail "export -o -"
run 1 "" export QC-1999-0001 -o "$T/none.xml"
err_has "no such case"
[[ ! -e $T/none.xml ]] || fail "file written for an unknown case"
run 2 "" export "$N1"
err_has "-o FILE.xml"

# export --all, and --closed-since
run 0 "" export --all -o "$T/all/"
err_has "2 cases exported to $T/all/"
for f in "$T/all/$N1.xml" "$T/all/$N2.xml"; do
    xmllint --noout --schema "$SCHEMA" "$f" 2>"$T/lint" || fail "xmllint $f: $(cat "$T/lint")"
done
run 0 "" export --all --closed-since "$Y-01-01" -o "$T/closed"
[[ -e $T/closed/$N1.xml && ! -e $T/closed/$N2.xml ]] || fail "--closed-since"

# -- import into a group archive --------------------------------------------------------------
export CAPA_DB=$GROUP
run 0 "$(pw admin)" init --org "集团品质部" --password-stdin
run 0 "$(pw admin)\n$(pw wang)" user add wang --role qe --name 王工 --dept 品管部 --as admin \
    --password-stdin
as admin 0 import --xml "$T/c1.xml"
# An imported copy is addressed NUMBER@ORIGIN: it takes no number of this store's own.
A1="$N1@示例电子有限公司"
out_is "$A1: imported from $T/c1.xml"
run 0 "" verify
run 0 "" show "$A1" --json
json "d['closed'] is True and d['stage'] == 'archive' and len(d['signatures']) == 8"
json "d['number'] == '$A1' and d['origin'] == '示例电子有限公司' and d['origin_number'] == '$N1'"
json "[a['name'] for a in d['attachments']] == ['p.jpg']"
json "d['stages'][0]['values']['description'].startswith('焊点连锡 <b>&amp;</b>\n第二行')"
run 0 "" log "$A1" --json
json "[e['action'] for e in d] == ['import_archive']"
run 0 "" list --json
json "[c['number'] for c in d] == ['$A1'] and d[0]['customer'] == '华东汽车' and d[0]['origin'] == '示例电子有限公司'"
# The round trip: the same document apart from the receiving store's own fields.
run 0 "" export "$A1" -o "$T/c2.xml"
xmllint --noout --schema "$SCHEMA" "$T/c2.xml" 2>"$T/lint" || fail "xmllint re-export: $(cat "$T/lint")"
grep -qF '<import org="集团品质部"' "$T/c2.xml" || fail "re-export lacks its import"
diff <(grep -v -e '^  <store ' -e '^  <import ' "$T/c1.xml") \
    <(grep -v -e '^  <store ' -e '^  <import ' "$T/c2.xml") >"$T/diff" ||
    fail "export -> import -> export differs: $(head -20 "$T/diff")"
# An archived copy is read-only here.
as wang 1 set "$A1" customer_reply="改"
err_has "an archived copy imported from 示例电子有限公司; it is read-only here"
as wang 1 attach "$A1" "$T/p.jpg"
err_has "read-only here"
run 0 "" dossier "$A1" -o "$T/d.pdf" --no-sign
pdftotext "$T/d.pdf" "$T/d.txt"
grep -qF "钢网开口设计偏大" "$T/d.txt" || fail "dossier of the imported case lacks its data"
grep -qF "Picture not in this store" "$T/d.txt" || fail "imported attachment not marked in the dossier"
run 1 "" attachment get "$A1" "$(sha256sum "$T/p.jpg" | cut -d' ' -f1)" -o "$T/got.jpg"
err_has "its content is not in this store (a copy imported from 示例电子有限公司 carries the SHA-256 only)"

# -- refusals change nothing ----------------------------------------------------------------------
snapshot group
as admin 1 import --xml "$T/c1.xml"
err_has "import $N1: this case was already imported (from 示例电子有限公司), as $A1"
as wang 1 import --xml "$T/all/$N2.xml"
err_has "import: user \`wang\` has role qe; only admin may"
# edited FROM TO WHY: $SRC with the first FROM replaced by TO, refused naming WHY.
edited() {
    python3 - "$SRC" "$T/e.xml" "$1" "$2" <<'PY' || fail "edit: '$1' not in $SRC"
import sys
s = open(sys.argv[1], encoding="utf-8").read()
if sys.argv[3] not in s:
    sys.exit(1)
open(sys.argv[2], "w", encoding="utf-8").write(s.replace(sys.argv[3], sys.argv[4], 1))
PY
    as admin 1 import --xml "$T/e.xml"
    err_has "$3"
}
SRC=$T/all/$N2.xml
edited '<value name="customer">华南电器</value>' '<value name="customer">华北电器</value>' \
    "the archive does not match its events: stage intake: field \`customer\`: the archive says '华北电器', its events say '华南电器'"
edited '<new>外壳划伤</new>' '<new>外壳无损</new>' \
    "(open): its content does not match its chain hash"
edited 'opened-by="li"' 'opened-by="wang"' "header: opened_by: the archive says 'wang', its events say 'li'"
SRC=$T/c1.xml
export CAPA_DB=$T/group2
run 0 "$(pw admin)" init --org "另一个集团" --password-stdin
edited 'meaning="approved"' 'meaning="reviewed"' \
    "signature 5 (approved): meaning: the archive says 'reviewed', its events say 'approved'"
edited 'kind="reject"' 'kind="sign"' "kind: the archive says 'sign', its events say 'reject'"
edited '<reason>缺少预防措施</reason>' '<reason>同意</reason>' \
    "signature 3 (rejected): reason: the archive says '同意', its events say '缺少预防措施'"
edited "sha256=\"$(sha256sum "$T/p.jpg" | cut -d' ' -f1)\"" "sha256=\"$(printf x | sha256sum | cut -d' ' -f1)\"" \
    "attachment 1 (p.jpg): sha256: the archive says"
edited 'superseded="true"' 'superseded="false"' "superseded: the archive says 0, its events say 1"
edited '<value name="result">pass</value>' '<value name="result">fail</value>' \
    "stage verification: field \`result\`: the archive says 'fail', its events say 'pass'"
edited 'number="'"$N1"'">' 'number="QC-1999-0009">' "is not of case QC-1999-0009"
run 0 "" log --json
json "[e['action'] for e in d].count('import_archive') == 0"
export CAPA_DB=$GROUP
unchanged group

# -- hostile XML ---------------------------------------------------------------------------------
hostile() {
    as admin 1 import --xml "$1"
    err_has "$2"
}
printf '<?xml version="1.0"?>\n<!DOCTYPE case [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>\n<case xmlns="urn:capa:case:1" number="&b;"/>\n' >"$T/h1.xml"
hostile "$T/h1.xml" "DOCTYPE is not allowed in a case archive"
printf '<?xml version="1.0"?>\n<!DOCTYPE case SYSTEM "http://127.0.0.1:9/x.dtd">\n<case/>\n' >"$T/h2.xml"
hostile "$T/h2.xml" "DOCTYPE is not allowed in a case archive"
printf '<?xml version="1.0"?>\n<case xmlns="urn:capa:case:1" xmlns:xi="http://www.w3.org/2001/XInclude"><xi:include href="/etc/passwd" parse="text"/></case>\n' >"$T/h3.xml"
hostile "$T/h3.xml" "h3.xml"
python3 -c "print('<case xmlns=\"urn:capa:case:1\">' + '<stages>' * 5000 + '</stages>' * 5000 + '</case>')" >"$T/h4.xml"
hostile "$T/h4.xml" "h4.xml"
printf '<case xmlns="urn:capa:case:1" number="\xff\xfe"/>' >"$T/h5.xml"
hostile "$T/h5.xml" "not UTF-8"
head -c $((65 * 1024 * 1024)) /dev/zero | tr '\0' ' ' >"$T/h6.xml"
as admin 1 import --xml "$T/h6.xml"
err_has "at most 67108864"
rm -f "$T/h6.xml"
head -c 2000 "$T/c1.xml" >"$T/h7.xml"
hostile "$T/h7.xml" "h7.xml"
: >"$T/h8.xml"
hostile "$T/h8.xml" "empty document"
printf '<case xmlns="urn:capa:case:1" format="1" number="X"/>' >"$T/h9.xml"
hostile "$T/h9.xml" "h9.xml"
unchanged group

# -- the import event replays: an edit of the imported records is found ---------------------------
[[ -x $TAMPER ]] || fail "$TAMPER missing"
"$TAMPER" "$GROUP" hdr "$A1" customer 某客户 2>"$T/tamper.err" || fail "tamper: $(cat "$T/tamper.err")"
run 1 "" verify
err_has "case $A1: header: stored customer '某客户'"
exit 0
