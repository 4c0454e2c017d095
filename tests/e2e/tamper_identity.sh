#!/usr/bin/env bash
# tamper_identity.sh - issue 16, defect 1: a case's identity changed underneath capa on a copy
# of the demo database (tools/demo.sh) can neither pass `capa verify` nor redirect a write.
# The id inside a case header pointed at another case (open or closed), `numbers` re-pointed,
# the header's stage moved: verify exits 1 naming the case, record and field; set, sign,
# reject and attach are refused before any event is built, naming the case, the record and
# the field (nothing is written: the anchor stays); `list --text` never matches a case on
# another's data; and an event rewritten to carry another case's id does not replay.
source "$(dirname "$0")/common.bash"
TAMPER=${CAPA_BUILD:?CAPA_BUILD must name the build directory (ctest sets it)}/tests/faults/capa-tamper
[[ -x $TAMPER ]] || fail "$TAMPER missing (built with the tests)"
SRC=${CAPA_SRC:?CAPA_SRC must name the source tree (ctest sets it)}

N1=QC-$Y-0001 N2=QC-$Y-0002 N3=QC-$Y-0003 N5=QC-$Y-0005 N6=QC-$Y-0006
dpw() { printf 'demo-%s-2026\n' "$1"; }
das() {
    local user=$1 want=$2
    shift 2
    run "$want" "$(dpw "$user")" "$@" --as "$user" --password-stdin
}

# -- the demo database, and two more open cases in intake (A = case 6, B = case 5) ----------
CAPA_DB=$T/demo CAPA=$CAPA "$SRC/tools/demo.sh" >"$T/demo.log" 2>&1 || {
    cat "$T/demo.log" >&2
    fail "tools/demo.sh failed"
}
export CAPA_DB=$T/demo
for c in 5 6; do
    das li 0 open customer="客户$c" part_no=PCB-90$c lot_no=L2026-90$c qty_affected=3 \
        defect_code=SCRATCH severity=general channel=phone complaint_type=quality \
        responsible_dept=生产部 description="case $c"
done
printf 'photo' >"$T/photo.bin"
das wang 0 attach "$N5" "$T/photo.bin"
run 0 "" verify
run 0 "" backup "$T/pristine"
run 0 "" anchor
TOKEN=$OUT
run 0 "" log "$N6" --json
OPEN6=$(jget 'd[0]["seq"]')

# unchanged: nothing was written (the chain's head is where it was).
unchanged() {
    run 0 "" anchor
    [[ $OUT == "$TOKEN" ]] || fail "a refused command wrote: head $OUT, was $TOKEN"
}
# refused_all CASE MESSAGE: every operation that reads the case to decide is refused, naming
# it; nothing is written.
refused_all() {
    das wang 1 set "$1" containment="written into the wrong case"
    err_has "$2"
    das wang 1 sign "$1" --meaning reviewed
    err_has "$2"
    das wang 1 attach "$1" "$T/photo.bin"
    err_has "$2"
    unchanged
}

# -- 1. A's header names B's id (B open, same stage) ---------------------------------------
fresh
run 0 "" show "$N5" --json
B_BEFORE=$OUT
tamper hdr "$N6" id "$N5"
run 1 "" verify
err_has "capa: verify: case $N6: header: stored id 5 (the id of case $N5), event $OPEN6 says 6"
run 1 "" verify --json
json "any(m['case'] == '$N6' and m['db'] == 'cases' and m['record'] == 'header' and
          m['field'] == 'id' and m['stored'] == '5' and m['expected'] == '6'
          for m in d['mismatches'])"
refused_all "$N6" "$N6: case header (cases, id 6): field \`id\` is '5', but the audit trail says '6' (event $OPEN6)"
run 0 "" show "$N5" --json
[[ $OUT == "$B_BEFORE" ]] || fail "case $N5 changed by a write on $N6"
run 1 "" show "$N6"
err_has "case $N6: case header (cases, id 6): field \`id\` is 5"
# Put back, the store verifies again: nothing else was touched.
tamper hdr "$N6" id 6
run 0 "" verify

# -- 2. A's header names a closed case's id: list --text never matches A on B's data ------
fresh
tamper hdr "$N3" id "$N2"
run 1 "" verify
err_has "case $N3: header: stored id 2 (the id of case $N2)"
run 0 "" list --text 插针 --json
json "[c['number'] for c in d] == ['$N2']"
run 0 "" list --json
json "sorted(c['number'] for c in d) == ['$N1', '$N2', '$N3', 'QC-$Y-0004', '$N5', '$N6']"
das wang 1 set "$N3" category_6m=method
err_has "set $N3: case header (cases, id 3): field \`id\` is '2'"
unchanged

# -- 3. numbers re-pointed: A's number leads to B's id -------------------------------------
fresh
tamper number "$N6" "$N5"
run 1 "" verify
err_has "number $N6: stored -> case id 5, the events say -> case id 6"
refused_all "$N6" "$N6: numbers: it leads to case id 5, which the trail opened as $N5"

# -- 4. the header's stage moved ahead of the trail ----------------------------------------
fresh
tamper hdr "$N3" stage action
run 1 "" verify
err_has "case $N3: header: stored stage 'action'"
das wang 1 set "$N3" category_6m=method
err_has "set $N3: case header (cases, id 3): field \`stage\` is 'action', but the audit trail says 'analysis'"
unchanged

# -- 4b. the header's workflow changed: the case would be worked by another workflow's rules
fresh
tamper hdr "$N3" workflow scar
run 1 "" verify
err_has "case $N3: header: stored workflow 'scar'"
das wang 1 set "$N3" category_6m=method
err_has "set $N3: case header (cases, id 3): field \`workflow\` is 'scar', but the audit trail says ''"
unchanged

# -- 5. the first case_events link of A replaced by B's opening ---------------------------
fresh
run 0 "" log "$N5" --json
OPEN5=$(jget 'd[0]["seq"]')
tamper link-add "$N6" "$OPEN5"
run 1 "" verify
err_has "case $N6: link to audit event $OPEN5: stored, but that event is not the case's (injected)"
refused_all "$N6" "the case's first event ($OPEN5, open $N5) opened case id 5, not 6"

# -- 6. an event rewritten to carry B's id (the chain recomputed) does not replay -----------
fresh
das wang 0 set "$N6" containment="A's own value"
SEQ=$(CAPA_DB=$T/x "$CAPA" log "$N6" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[-1]["seq"])')
tamper rewrite "$SEQ" fact:case_id 5
run 1 "" verify
err_has "audit event $SEQ: does not replay: audit event $SEQ (set $N6): it carries case id 5, but the case is id 6"

# -- 7. every fact an event carries is checked on replay against the state ---------------
# One fact of one event rewritten, the chain recomputed after it (the anchor would show it;
# verify alone must too): the event does not replay, naming the fact.
run 0 "" log "$N1" --json
OPEN1=$(jget '[e["seq"] for e in d if e["action"] == "open"][0]')
SET1=$(jget '[e["seq"] for e in d if e["action"] == "set" and e["stage"] == "intake"][0]')
REJ1=$(jget '[e["seq"] for e in d if e["action"] == "reject"][0]')
APP1=$(jget '[e["seq"] for e in d if e["action"] == "sign" and e["stage"] == "action"][0]')
run 0 "" log "$N5" --json
ATT5=$(jget '[e["seq"] for e in d if e["action"] == "attach"][0]')
replays_not() { # SEQ MESSAGE FIELD VALUE [FIELD VALUE...]: each rewrite, then verify
    local seq=$1 msg=$2
    shift 2
    fresh
    while (($#)); do
        tamper rewrite "$seq" "$1" "$2"
        shift 2
    done
    run 1 "" verify
    err_has "audit event $seq: does not replay: "
    err_has "$msg"
}
replays_not "$APP1" "meaning 'reviewed' is not the sign-off of stage action" fact:meaning reviewed
run 0 "" user list --json
ZHAO=$(jget '[u["name"] for u in d if u["id"] == "zhao"][0]')
CHEN=$(jget '[u["name"] for u in d if u["id"] == "chen"][0]')
replays_not "$APP1" "it prints the signer as '假名' (prod_mgr); the account says '$ZHAO' (prod_mgr)" \
    fact:name 假名 change:signature "approved 假名 (prod_mgr)"
replays_not "$APP1" "it prints the signer as '$ZHAO' (qe); the account says '$ZHAO' (prod_mgr)" \
    fact:role qe change:signature "approved $ZHAO (qe)"
replays_not "$APP1" "it opens the next stage with form version 7; the current one was 1" \
    fact:to_form_version 7
replays_not "$APP1" "it opens the next stage with form \`verification\`, not the workflow's \`rework\`" \
    fact:to_form verification
replays_not "$APP1" "the data hash it shows is not the one it signs" \
    change:data_hash 0000000000000000000000000000000000000000000000000000000000000000
replays_not "$APP1" "the signature it shows is not" change:signature "approved 假名 (prod_mgr)"
replays_not "$APP1" "user \`chen\` has role qe_lead, which may not sign this stage off" \
    actor chen fact:name "$CHEN" fact:role qe_lead change:signature "approved $CHEN (qe_lead)"
replays_not "$REJ1" "it sends the case back to \`intake\`, but stage action rejects to none other" \
    fact:to 0 fact:to_form intake
replays_not "$OPEN1" "it opens the case with form version 9, not the current one" \
    fact:form_version 9
replays_not "$SET1" "it names stage \`intake\`, but acts on stage \`action\`" fact:from 2
replays_not "$SET1" "field \`containment\`: the value it replaces is not the stage's (empty)" \
    old:containment "was something else"
replays_not "$ATT5" "it prints the user as '假名'; the account says" fact:name_of_user 假名
replays_not "$ATT5" "it calls the content image/png; the content is application/octet-stream" \
    fact:mime image/png

echo "ok $TEST"
