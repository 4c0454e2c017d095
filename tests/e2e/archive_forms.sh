#!/usr/bin/env bash
# archive_forms.sh - a case archive never changes the receiving store's definitions or
# numbering (issue 16, defects 2 and 3), with two real stores:
#  - plant 甲厂 runs `form install` of a newer intake form (relabelled) and workflow, opens five
#    cases and exports QC-…-0005 and -0006; the receiving store (its own counter at 4) imports
#    them: they render with plant 甲厂's forms (show, show --json, help, dossier, export again)
#    while its own forms, workflow, roles and `info` stay as they were;
#  - an archive whose <definition> of the workflow was edited to a later version that lets
#    the intake clerk approve action plans imports as a copy read with that definition, and
#    the clerk still cannot approve anything here;
#  - the imported QC-…-0005 is addressed QC-…-0005@甲厂: `capa open` goes on (QC-…-0005 is
#    this store's own next case, then -0006), a second plant's -0005 under the same name is
#    -0005@甲厂~2, the same case imported again is refused, and verify replays all of it;
#  - the definitions live only in the chain-hashed import event: re-pointing the address is
#    found by verify, rewriting the archived definition is found by the anchor.
source "$(dirname "$0")/common.bash"
TAMPER=${CAPA_BUILD:?CAPA_BUILD must name the build directory (ctest sets it)}/tests/faults/capa-tamper
PLANT=$T/plant PLANT2=$T/plant2 R=$T/group
N1=QC-$Y-0001 N4=QC-$Y-0004 N5=QC-$Y-0005 N6=QC-$Y-0006

users() { # users ID:ROLE... (admin's password, then the user's, for each)
    local u
    for u in "$@"; do
        run 0 "$(pw admin)\n$(pw "${u%%:*}")" user add "${u%%:*}" --role "${u##*:}" \
            --name "${u%%:*}" --dept 品管部 --as admin --password-stdin
    done
}
opens() { # opens N: N cases opened by li
    for ((i = 0; i < $1; i++)); do
        as li 0 open customer="华东汽车" part_no=PCB-7731 severity=general description="第 $i 件"
    done
}

# -- plant 甲厂: newer intake form and workflow, six cases ----------------------------------------
export CAPA_DB=$PLANT
run 0 "$(pw admin)" init --org "甲厂" --password-stdin
users li:intake
mkdir "$T/forms"
sed 's/zh="客户" en="Customer"/zh="顾客" en="Client"/' "$CAPA_SRC/forms/intake.xml" >"$T/forms/intake.xml"
sed 's/zh="纠正预防措施" en="Corrective and preventive actions"/zh="甲厂措施" en="Plant actions"/' \
    "$CAPA_SRC/forms/workflow.xml" >"$T/forms/workflow.xml"
grep -q 顾客 "$T/forms/intake.xml" && grep -q 甲厂措施 "$T/forms/workflow.xml" || fail "relabel"
as admin 0 form install "$T/forms/intake.xml"
as admin 0 form install "$T/forms/workflow.xml"
opens 6
run 0 "" export "$N5" -o "$T/p5.xml"
run 0 "" export "$N6" -o "$T/p6.xml"
grep -qF '<definition id="intake" version="2">' "$T/p5.xml" || fail "plant's export lacks intake v2"

# A second plant of the same name, whose QC-…-0005 is another case.
export CAPA_DB=$PLANT2
run 0 "$(pw admin)" init --org "甲厂" --password-stdin
users li:intake
opens 5
run 0 "" export "$N5" -o "$T/q5.xml"

# -- the receiving store: its own counter at 4, a case of its own at the action stage ---------------
export CAPA_DB=$R
run 0 "$(pw admin)" init --org "集团品质部" --password-stdin
users li:intake wang:qe chen:qe_lead
opens 4
as wang 0 set "$N1" validity=valid containment="隔离"
as wang 0 sign "$N1" --meaning reviewed
as wang 0 set "$N1" five_why.1.why="为何" five_why.1.because="因为" category_6m=method \
    root_cause_occurrence="原因" root_cause_escape="流出"
as chen 0 sign "$N1" --meaning reviewed
as wang 0 set "$N1" corrective_actions.1.action="纠正" corrective_actions.1.owner=wang \
    corrective_actions.1.due=2026-12-05 "${D7_OK[@]}" preventive_actions.1.action="预防" \
    preventive_actions.1.owner=wang preventive_actions.1.due=2026-12-20
# What the store's definitions are before any import.
snap_defs() {
    run 0 "" form show intake --json
    echo "$OUT" >"$T/defs-$1"
    run 0 "" info --json # the current workflow: version, stages, forms, editors, signers
    jget "json.dumps({k: v for k, v in d.items() if k not in ('cases', 'events', 'head')}, sort_keys=True, ensure_ascii=False)" >>"$T/defs-$1"
    run 0 "" help sign "$N1"
    echo "$OUT" >>"$T/defs-$1"
}
snap_defs before
grep -qF '"version": 1' "$T/defs-before" || fail "form show intake --json: no version 1"

# -- (b) a real plant's newer forms: imported, read with its own ------------------------------------
as admin 0 import --xml "$T/p5.xml"
out_is "$N5@甲厂: imported from $T/p5.xml"
snap_defs after
diff "$T/defs-before" "$T/defs-after" >"$T/diff" ||
    fail "importing an archive changed this store's definitions: $(head -20 "$T/diff")"
run 0 "" show "$N5@甲厂" --lang en
out_has "Client: 华东汽车"
out_has "imported from: 甲厂, its number there $N5 (a read-only copy)"
run 0 "" show "$N5@甲厂" --json
json "d['number'] == '$N5@甲厂' and d['origin'] == '甲厂' and d['origin_number'] == '$N5'"
json "d['stages'][0]['form'] == {'id': 'intake', 'version': 2}"
json "d['stages'][2]['label']['en'] == 'Plant actions'" # its own workflow's labels
# A bare number is this store's own case; one it has not got points at the copy.
run 1 "" show "$N5"
err_has "case $N5: no such case of this store; an imported copy is addressed with its origin: $N5@甲厂"
run 0 "" show "$N4" --lang en
out_has "Customer: 华东汽车"
out_lacks "Client"
out_lacks "Plant actions"
run 0 "" dossier "$N5@甲厂" -o "$T/d5.pdf" --no-sign
pdftotext "$T/d5.pdf" "$T/d5.txt"
grep -qF "顾客" "$T/d5.txt" || fail "dossier of the imported case lacks its own form's label"
grep -qF "甲厂" "$T/d5.txt" || fail "dossier lacks the origin"
grep -qF "$N5@甲厂" "$T/d5.txt" || fail "dossier lacks the case's address"
run 0 "" export "$N5@甲厂" -o "$T/p5-again.xml"
grep -qF "number=\"$N5\">" "$T/p5-again.xml" || fail "export again: not the number at origin"
grep -qF '<definition id="intake" version="2">' "$T/p5-again.xml" || fail "export again lacks its form"

# -- defect 3: imported cases never block numbering ------------------------------------------------
as li 0 open customer="华南电器" part_no=PCB-1 severity=general description="本厂第五件"
out_is "$N5"
as li 0 open customer="华南电器" part_no=PCB-1 severity=general description="本厂第六件"
out_is "$N6"
run 0 "" show "$N5" --json
json "d['number'] == '$N5' and d['origin'] is None and d['stages'][0]['values']['description'] == '本厂第五件'"
run 0 "" list --json
json "sorted(c['number'] for c in d) == ['$N1', 'QC-$Y-0002', 'QC-$Y-0003', '$N4', '$N5', '$N5@甲厂', '$N6']"
json "[c['origin'] for c in d if c['origin']] == ['甲厂']"
run 0 "" list
out_has "$N5@甲厂"
# The same case again, even exported anew: refused; the other plant's -0005: ~2.
as admin 1 import --xml "$T/p5-again.xml"
err_has "this case was already imported (from 甲厂), as $N5@甲厂"
as admin 0 import --xml "$T/q5.xml"
out_is "$N5@甲厂~2: imported from $T/q5.xml"
run 0 "" show "$N5@甲厂~2" --lang en
out_has "Customer: 华东汽车" # the second plant kept the built-in form
as admin 1 import --xml "$T/q5.xml"
err_has "as $N5@甲厂~2"

# -- (a) an edited <definition> at a later version -------------------------------------------------
python3 - "$T/p6.xml" "$T/evil.xml" <<'PY' || fail "could not edit the archive's workflow"
import re, sys
s = open(sys.argv[1], encoding="utf-8").read()
start = s.index('<definition id="workflow" version="2">')
end = s.index('</definition>', start)
d = s[start:end]
d2 = d.replace('<definition id="workflow" version="2">', '<definition id="workflow" version="9">')
d2 = d2.replace('by=&quot;prod_mgr&quot; independent', 'by=&quot;intake prod_mgr&quot; independent')
d2 = d2.replace('editors=&quot;qe qe_lead production prod_mgr&quot;', 'editors=&quot;intake qe qe_lead production prod_mgr&quot;')
assert d2.count('intake prod_mgr') == 1 and 'version="9"' in d2
open(sys.argv[2], "w", encoding="utf-8").write(s[:start] + d2 + s[end:])
PY
as admin 0 import --xml "$T/evil.xml"
out_is "$N6@甲厂: imported from $T/evil.xml"
snap_defs evil
diff "$T/defs-before" "$T/defs-evil" >"$T/diff" ||
    fail "an edited archive definition changed this store's: $(head -20 "$T/diff")"
run 0 "" info --json
json "d['workflow_version'] == 1"
# The clerk still cannot approve this store's action plan.
snapshot clerk
as li 1 sign "$N1" --meaning approved
err_has "Your role (Sales / customer service (intake)) may not sign 'Approved'"
unchanged clerk
run 0 "" show "$N1" --json
json "d['stage'] == 'action'"

# -- verify replays all of it; tampering with the archived copy is found ------------------------------
run 0 "" verify
run 0 "" anchor
TOKEN=$OUT
run 0 "" log "$N5@甲厂" --json
json "[e['action'] for e in d] == ['import_archive']"
SEQ=$(jget "d[0]['seq']")
cp -a "$R" "$T/x"
"$TAMPER" "$T/x" rewrite "$SEQ" fact:address "$N5@乙厂" 2>"$T/terr" || fail "tamper: $(cat "$T/terr")"
run 1 "" --db "$T/x" verify
err_has "address $N5@乙厂 is not the one the archive's case takes here ($N5@甲厂)"
# The archived definitions are stored nowhere but in the import event: rewriting them there
# (every later hash recomputed) changes how the copy reads, and breaks the anchor.
rm -rf "$T/x"
cp -a "$R" "$T/x"
python3 - "$T/p5.xml" "$T/p5-label.xml" <<'PY'
import sys
s = open(sys.argv[1], encoding="utf-8").read()
open(sys.argv[2], "w", encoding="utf-8").write(s.replace('zh=&quot;顾客&quot;', 'zh=&quot;某某&quot;', 1))
PY
"$TAMPER" "$T/x" rewrite "$SEQ" fact:archive "$(cat "$T/p5-label.xml")" 2>"$T/terr" ||
    fail "tamper: $(cat "$T/terr")"
run 1 "" --db "$T/x" verify --anchor "$TOKEN"
err_has "$TOKEN"
# A definition put into this store's forms behind the trail's back is found too.
rm -rf "$T/x"
cp -a "$R" "$T/x"
"$TAMPER" "$T/x" form workflow 1 'by="prod_mgr" independent' 'by="intake prod_mgr" independent' \
    2>"$T/terr" || fail "tamper: $(cat "$T/terr")"
run 1 "" --db "$T/x" verify
err_has "definition workflow v1"
exit 0
