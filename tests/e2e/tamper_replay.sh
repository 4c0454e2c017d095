#!/usr/bin/env bash
# tamper_replay.sh - every kind of record the engine derives from the audit trail, edited
# underneath capa on a copy of a real database (tests/faults/capa-tamper: decoded edits with
# file access, the record otherwise intact): `capa verify` exits 1 naming case, record and
# field, in text and JSON, and `capa dossier` of the case concerned is refused naming the
# mismatch while untampered cases still get theirs where the mismatch is theirs alone. Then
# the chain itself rewritten (verify passes alone; anchors taken before do not), an old
# backup given a different history, and signed checkpoints forged.
source "$(dirname "$0")/common.bash"
TAMPER=${CAPA_BUILD:?CAPA_BUILD must name the build directory (ctest sets it)}/tests/faults/capa-tamper
[[ -x $TAMPER ]] || fail "$TAMPER missing (built with the tests)"

N1=QC-$Y-0001 N2=QC-$Y-0002 N3=QC-$Y-0003

# -- the base database, built once with the real binary ------------------------------------
# Case 1 walked to closed with one rejection at action (审查 N), case 2 open at analysis,
# case 3 just opened.
setup_users
as li 0 open customer="华东汽车" part_no=PCB-7731 lot_no=L2026-1102 qty_affected=120 \
    defect_code=SOLDER-BRIDGE severity=important channel=written complaint_type=quality \
    responsible_dept=生产部 description="焊点连锡，客户来料检验发现"
walk_to_closed "$N1"
run 0 "" backup "$T/old" # the history up to case 1 closed, restored in part 7
as li 0 open customer="华南电器" part_no=PCB-1001 lot_no=L2026-2001 qty_affected=5 \
    defect_code=SCRATCH severity=general channel=phone complaint_type=quality \
    responsible_dept=生产部 description="外壳划伤"
as wang 0 set "$N2" validity=valid containment="隔离 1 批"
as wang 0 sign "$N2" --meaning reviewed
as li 0 open customer="北方机电" part_no=PCB-2002 lot_no=L2026-3003 qty_affected=7 \
    defect_code=CRACK severity=general channel=phone complaint_type=quality \
    responsible_dept=生产部 description="外壳裂纹"
python3 -c 'import sys; sys.stdout.buffer.write(bytes((i * 7 + 3) % 256 for i in range(3000)))' \
    >"$T/photo.bin"
as wang 0 attach "$N2" "$T/photo.bin" --note "不良照片"
ATT_SHA=$(sha256sum "$T/photo.bin" | cut -d' ' -f1)
run 0 "" verify
run 0 "" anchor
TOKEN=$OUT
HEAD_SEQ=${TOKEN%%:*}
run 0 "" backup "$T/pristine"
cp -a "$CAPA_DB/keys" "$T/pristine/keys" # backup copies the data; checkpoints need the key
ORG_CRT=$T/pristine/keys/org.crt

# Sequence numbers of what gets edited, from the trail itself.
run 0 "" show "$N1" --json
json "[(s['kind'], s['meaning'], s['user']) for s in d['signatures']] == [
    ('sign', 'reviewed', 'wang'), ('sign', 'reviewed', 'chen'), ('reject', 'rejected', 'zhao'),
    ('sign', 'reviewed', 'chen'), ('sign', 'approved', 'zhao'), ('sign', 'done', 'sun'),
    ('sign', 'verified', 'wang'), ('sign', 'closed', 'chen')]"
read -r -a SIG <<<"0 $(jget '" ".join(str(s["seq"]) for s in d["signatures"])')" # SIG[1..8]
run 0 "" log "$N1" --json
SET_VERIF=$(jget '[e["seq"] for e in d if e["action"] == "set" and e["stage"] == "verification"][0]')
LAST1=$(jget 'd[-1]["seq"]')
run 0 "" log "$N2" --json
LAST2=$(jget 'd[-1]["seq"]')
LINK2=$(jget 'd[1]["seq"]') # case 2's second event (its first set)
ATT_SEQ=$(jget '[e["seq"] for e in d if e["action"] == "attach"][0]')
run 0 "" log "$N3" --json
LAST3=$(jget 'd[-1]["seq"]')

# -- helpers -------------------------------------------------------------------------------
# tamper_raw ARGS...: tamper (common.bash), where the tool may refuse (its exit status is
# returned).
tamper_raw() { "$TAMPER" "$CAPA_DB" "$@" 2>"$T/tamper.err"; }
# detected MESSAGE CASE DB RECORD FIELD [MORE...]: verify exits 1 printing MESSAGE (and each
# MORE), and its JSON has ok false and a mismatch with that case, db, record and field
# ("-" = null, "*" = any).
detected() {
    local msg=$1 py="" k v kv more
    run 1 "" verify
    err_has "capa: verify: $msg"
    for more in "${@:6}"; do
        err_has "$more"
    done
    err_has "does not match its audit trail"
    [[ -z $OUT ]] || fail "verify printed a head for a database that does not verify"
    for kv in "case=$2" "db=$3" "record=$4" "field=$5"; do
        k=${kv%%=*} v=${kv#*=}
        [[ $v == "*" ]] && continue
        [[ $v == "-" ]] && py+=" and m['$k'] is None" || py+=" and m['$k'] == '''$v'''"
    done
    run 1 "" verify --json
    json "d['ok'] is False and d['head'] is None and d['mismatch_count'] >= 1"
    json "any(True$py for m in d['mismatches'])"
}
# refused CASE MESSAGE: no dossier of CASE, and the refusal names the mismatch.
refused() {
    rm -f "$T/d.pdf"
    run 1 "" dossier "$1" -o "$T/d.pdf"
    err_has "case $1 does not verify against the audit trail"
    err_has "$2"
    [[ ! -e $T/d.pdf ]] || fail "dossier of $1 written although it does not verify"
}
dossier_ok() {
    run 0 "" dossier "$1" -o "$T/d.pdf"
    [[ -s $T/d.pdf ]] || fail "no dossier of $1"
}

# -- 1. signatures -------------------------------------------------------------------------
fresh
tamper sig-del "$N1" 2
detected "case $N1: signature of event ${SIG[2]}: missing: the events put it there" \
    "$N1" signatures signature -
refused "$N1" "signature of event ${SIG[2]}: missing"
dossier_ok "$N2"

fresh
tamper sig "$N1" 5 user chen
detected "case $N1: signature 5 (approved): stored signer 'chen', event ${SIG[5]} says 'zhao'" \
    "$N1" signatures "signature 5 (approved)" signer
refused "$N1" "signature 5 (approved): stored signer 'chen'"
dossier_ok "$N2"

fresh
tamper sig "$N1" 1 meaning approved
detected "case $N1: signature 1 (reviewed): stored meaning 'approved', event ${SIG[1]} says 'reviewed'" \
    "$N1" signatures "signature 1 (reviewed)" meaning
refused "$N1" "stored meaning 'approved'"

fresh
tamper sig "$N1" 3 kind sign meaning approved
detected "case $N1: signature 3 (rejected): stored kind 'sign', event ${SIG[3]} says 'reject'" \
    "$N1" signatures "signature 3 (rejected)" kind
detected "case $N1: signature 3 (rejected): stored meaning 'approved', event ${SIG[3]} says 'rejected'" \
    "$N1" signatures "signature 3 (rejected)" meaning
refused "$N1" "signature 3 (rejected)"
dossier_ok "$N3"

fresh
tamper sig "$N1" 7 time -3600000
detected "case $N1: signature 7 (verified): stored time " "$N1" signatures "signature 7 (verified)" time \
    ", event ${SIG[7]} says "
refused "$N1" "signature 7 (verified): stored time"

fresh
tamper sig "$N1" 4 superseded 1
detected "case $N1: signature 4 (reviewed): stored superseded 1, event ${SIG[4]} says 0" \
    "$N1" signatures "signature 4 (reviewed)" superseded
refused "$N1" "stored superseded 1"

# The signed data changed and the sign-off's hash recomputed to match it: both named.
fresh
tamper stage "$N1" verification result fail --rehash
detected "case $N1: stage verification: stored field \`result\` 'fail', event $LAST1 says 'pass'" \
    "$N1" stages "stage verification" "field \`result\`"
detected "case $N1: signature 7 (verified): stored data hash " \
    "$N1" signatures "signature 7 (verified)" "data hash"
refused "$N1" "stage verification: stored field \`result\` 'fail'"
dossier_ok "$N2"

# -- 2. stage data, headers, a whole case ----------------------------------------------------
fresh
tamper stage "$N3" intake qty_affected 70
detected "case $N3: stage intake: stored field \`qty_affected\` '70', event $LAST3 says '7'" \
    "$N3" stages "stage intake" "field \`qty_affected\`"
refused "$N3" "stored field \`qty_affected\` '70'"
dossier_ok "$N1"

fresh
tamper hdr "$N2" customer 南方家电
detected "case $N2: header: stored customer '南方家电', event $LAST2 says '华南电器'" \
    "$N2" cases header customer
refused "$N2" "header: stored customer '南方家电'"
dossier_ok "$N1"

# The header's statistics part (what the monthly report counts) is derived and compared too.
fresh
tamper hdr "$N1" satisfaction dissatisfied
detected "case $N1: header: stored satisfaction 'dissatisfied', event $LAST1 says 'satisfied'" \
    "$N1" cases header satisfaction
refused "$N1" "header: stored satisfaction 'dissatisfied'"
fresh
tamper hdr "$N1" plan_at 0
detected "case $N1: header: stored plan_at" "$N1" cases header plan_at
fresh
tamper hdr "$N2" channel email
detected "case $N2: header: stored channel 'email', event $LAST2 says 'phone'" \
    "$N2" cases header channel
# The open limits the header carries (what --overdue and escalation read): a due time moved
# a day later, or the plan marked met, is named as the header's limits.
fresh
tamper hdr "$N3" due0 +86400000
detected "case $N3: header: stored limits 'met 0x0; limit 0 due " "$N3" cases header limits
refused "$N3" "header: stored limits"
dossier_ok "$N1"
fresh
tamper hdr "$N2" met 0x17
detected "case $N2: header: stored limits 'met 0x17" "$N2" cases header limits
fresh
tamper hdr "$N3" escalated0 1
detected "case $N3: header: stored limits 'met 0x0; limit 0 due " "$N3" cases header limits \
    "escalated 0x1; limit 1 due"

# A closed case's header reopened: verify names the header. A `set` is then refused before
# any event is built (the write path checks the header against the trail: the case's last
# hand-over closed it), naming the case, the record and the field; nothing is written.
fresh
tamper hdr "$N1" closed 0 stage verification
detected "case $N1: header: stored stage 'verification', event $LAST1 says 'archive'" \
    "$N1" cases header stage
detected "case $N1: header: stored closed 0, event $LAST1 says 1" "$N1" cases header closed
refused "$N1" "case $N1: header: stored"
dossier_ok "$N2"
as wang 1 set "$N1" result=fail
err_has "set $N1: case header (cases, id 1): field \`closed\` is 'open', but the audit trail says 'closed' (event $LAST1)"
run 0 "" anchor
[[ $OUT == "$TOKEN" ]] || fail "a refused set wrote: head $OUT, was $TOKEN"
tamper hdr "$N1" closed 1 stage archive
run 0 "" verify

# Erased from every database but events: everything the events put there is named missing.
fresh
tamper erase "$N3"
detected "case $N3: header: missing: the events put it there" "$N3" cases header - \
    "number $N3: stored -> nothing, the events say -> case id 3" \
    "case $N3: stage 0 record: missing: the events put it there" \
    "case $N3: link to audit event $LAST3: missing (the event is the case's)" \
    "index idx_stage: entry 'intake' -> case $N3: missing" \
    "index idx_customer: entry '北方机电' -> case $N3: missing" \
    "index idx_part: entry 'PCB-2002' -> case $N3: missing" \
    "index idx_defect: entry 'CRACK' -> case $N3: missing" \
    "index idx_opened: entry '"
refused "$N3" "case $N3: header: missing"
# A number missing from `numbers` concerns every case: no dossier at all until it is fixed.
refused "$N1" "number $N3: stored -> nothing"

# -- 3. case -> event links and indexes ------------------------------------------------------
fresh
tamper link-del "$N2" 2
detected "case $N2: link to audit event $LINK2: missing (the event is the case's)" \
    "$N2" case_events "audit link" -
refused "$N2" "link to audit event $LINK2: missing"
dossier_ok "$N1"

fresh
tamper link-add "$N2" "${SIG[1]}"
detected "case $N2: link to audit event ${SIG[1]}: stored, but that event is not the case's (injected)" \
    "$N2" case_events "audit link" -
refused "$N2" "link to audit event ${SIG[1]}: stored, but that event is not the case's"
dossier_ok "$N1"

# idx_due: an overdue case that would escape `list --overdue` and `capa escalate`.
fresh
tamper idx-del idx_due "$N3"
detected "index idx_due: limit due " "$N3" idx_due "index entry" "*" \
    "-> case $N3: missing (the case would escape --overdue and escalation)"
refused "$N3" "index idx_due: limit due "
dossier_ok "$N1"

for idx in idx_customer:华南电器 idx_stage:analysis idx_part:PCB-1001 idx_defect:SCRATCH idx_opened:; do
    db=${idx%%:*} key=${idx#*:} # idx_opened's key is the opening time in ms: any
    fresh
    tamper idx-del "$db" "$N2"
    if [[ -n $key ]]; then
        detected "index $db: entry '$key' -> case $N2: missing (the case would vanish from lists)" \
            "$N2" "$db" "index entry" "$key"
    else
        detected "index $db: entry '" "$N2" "$db" "index entry" "*" \
            "' -> case $N2: missing (the case would vanish from lists)"
    fi
    refused "$N2" "index $db: entry '"
    dossier_ok "$N1"
done

# -- 4. numbers and counters -----------------------------------------------------------------
fresh
tamper number "$N3" "$N1"
detected "number $N3: stored -> case id 1, the events say -> case id 3" "$N3" numbers number -
refused "$N3" "number $N3: stored -> case id 1"
refused "$N1" "number $N3: stored -> case id 1"

fresh
tamper meta-u64 "ctr:QC-$Y-{}" -1
detected "meta \`ctr:QC-$Y-{}\`: stored '2', the events say '3'" - meta "ctr:QC-$Y-{}" -
# A counter concerns no case's records: dossiers still come; the next number is refused.
dossier_ok "$N1"
as li 1 open customer="西部" part_no=P-1 lot_no=L-1 qty_affected=1 defect_code=D-1 \
    severity=general channel=phone complaint_type=quality responsible_dept=生产部 description="x"
err_has "number $N3 already taken"

fresh
tamper meta-u64 next_id -1
detected "meta \`next_id\`: stored '3', the events say '4'" - meta next_id -
dossier_ok "$N1"
# The next case would get case 3's id: the open is refused, case 3 stays.
as li 1 open customer="西部" part_no=P-1 lot_no=L-1 qty_affected=1 defect_code=D-1 \
    severity=general channel=phone complaint_type=quality responsible_dept=生产部 description="x"
err_has "case id 3 is already another case's: next_id is behind"
run 0 "" list --json
json "[c['number'] for c in d] == ['$N1', '$N2', '$N3'] and d[2]['customer'] == '北方机电'"

# -- 5. users ----------------------------------------------------------------------------------
fresh
tamper user sun role admin
detected "user sun: stored role 'admin', the events say 'production'" - users "user sun" role
refused "$N1" "user sun: stored role 'admin'"

fresh
tamper user-cred-copy wang chen
detected "user chen: credential: the stored password hash" - users "user chen" credential
refused "$N2" "user chen: credential"

fresh
tamper user zhao name 赵总
detected "user zhao: stored name '赵总', the events say '赵经理'" - users "user zhao" name
refused "$N1" "user zhao: stored name '赵总'"

# -- 6. stored definitions -------------------------------------------------------------------
fresh
tamper form verification 1 'value="pass" zh="合格"   en="Pass"' 'value="pass" zh="不合格" en="Fail"'
detected "definition verification v1: stored text differs from what the events installed" \
    - forms "verification v1" -
refused "$N1" "definition verification v1"

fresh
tamper form workflow 1 'by="prod_mgr" independent="true"' 'by="prod_mgr qe production" independent="true"'
detected "definition workflow v1: stored text differs from what the events installed" \
    - forms "workflow v1" -
refused "$N2" "definition workflow v1"

# -- 6b. attachments: the content and the record ---------------------------------------------
fresh
tamper blob-byte "$ATT_SHA" 100
detected "case $N2: attachment 'photo.bin' (event $ATT_SEQ), content SHA-256 $ATT_SHA: changed: the stored bytes no longer hash to it" \
    "$N2" blobs "attachment content" sha256
refused "$N2" "content SHA-256 $ATT_SHA: changed"
dossier_ok "$N1"
run 1 "" attachment get "$N2" "$ATT_SHA" -o "$T/a.out"
err_has "it was changed (capa verify)"
[[ ! -e $T/a.out ]] || fail "changed attachment content written out"

fresh
tamper att "$N2" 1 name evil.exe
detected "case $N2: attachment 'photo.bin' (event $ATT_SEQ): stored name 'evil.exe', event $ATT_SEQ says 'photo.bin'" \
    "$N2" attachments "attachment 'photo.bin' (event $ATT_SEQ)" name
refused "$N2" "stored name 'evil.exe'"
fresh
tamper att "$N2" 1 user chen
detected "case $N2: attachment 'photo.bin' (event $ATT_SEQ): stored user 'chen', event $ATT_SEQ says 'wang'" \
    "$N2" attachments "attachment 'photo.bin' (event $ATT_SEQ)" user

# -- 7. the chain rewritten --------------------------------------------------------------------
# An event edited and only the hashes after it recomputed: the derived records still say
# what the old event said.
# Signed data changed that way no longer replays: the sign-off's data hash is not that of
# the data it leaves.
fresh
tamper rewrite "$SET_VERIF" change:result fail
detected "audit event " "$N1" events replay - "the data hash it signs is not that of stage verification"

# Rewritten consistently (every derived record rebuilt from the new events): nothing inside
# the database remembers, so verify passes by itself; an anchor kept outside does not hold.
fresh
tamper rewrite "${SIG[3]}" reason "措施完整，同意" --rebuild
run 0 "" verify
run 0 "" show "$N1" --json
json 'd["signatures"][2]["reason"] == "措施完整，同意"'
run 1 "" verify --anchor "$TOKEN"
err_has "capa: verify: anchor $TOKEN does not hold: event $HEAD_SEQ's chain hash here is "
err_has "(the history up to it was rewritten)"
run 1 "" verify --anchor "$TOKEN" --json
json "d['ok'] is False and d['mismatches'][0]['db'] == 'events' and d['mismatches'][0]['record'] == 'anchor'"
# The signed verification result turned from pass to fail and rebuilt: replay recomputes
# the data hash each sign-off names, so this no longer replays (a forger must also rewrite
# the sign-off's hash - then only an anchor or a checkpoint tells).
fresh
tamper_raw rewrite "$SET_VERIF" change:result fail --rebuild || true
run 1 "" verify
run 1 "" verify --anchor "$TOKEN"
err_has "anchor $TOKEN does not hold"

# An old backup restored: too short for the anchor; given a different history of the same
# length, the anchor names the rewrite. An anchor inside the common past still holds.
export CAPA_DB=$T/old
run 0 "" log --json
OLD_SEQ=$(jget 'd[-1]["seq"]')
export CAPA_DB=$T/pristine
run 0 "" log --json
OLD_TOKEN=$OLD_SEQ:$(jget "[e['hash'] for e in d if e['seq'] == $OLD_SEQ][0]")
SHARED_TOKEN=$((OLD_SEQ + 1)):$(jget "[e['hash'] for e in d if e['seq'] == $OLD_SEQ + 1][0]")
rm -rf "$T/x"
cp -a "$T/old" "$T/x"
export CAPA_DB=$T/x
run 1 "" verify --anchor "$TOKEN"
err_has "anchor $TOKEN does not hold: this database has only $OLD_SEQ events"
for c in 西部 东部 南部 北部 中部; do
    as li 0 open customer="$c" part_no=P-9 lot_no=L-9 qty_affected=1 defect_code=D-9 \
        severity=general channel=phone complaint_type=quality responsible_dept=生产部 \
        description="另一段历史"
done
run 0 "" verify
run 0 "" anchor
[[ ${OUT%%:*} -ge $HEAD_SEQ ]] || fail "the other history is shorter than the original"
run 1 "" verify --anchor "$TOKEN"
err_has "anchor $TOKEN does not hold: event $HEAD_SEQ's chain hash here is "
run 1 "" verify --anchor "$SHARED_TOKEN"
err_has "anchor $SHARED_TOKEN does not hold"
run 0 "" verify --anchor "$OLD_TOKEN"

# An event that does not replay stops the comparison: nothing after it is checked (here a
# header edited as well), so no case's dossier can be said to verify.
fresh
tamper rewrite "${SIG[8]}" fact:to 9
tamper hdr "$N2" customer 南方家电
detected "audit event ${SIG[8]}: does not replay: " "$N1" events replay - "stage index 9 out of range"
refused "$N2" "audit event ${SIG[8]}: does not replay"

# -- 8. signed checkpoints ---------------------------------------------------------------------
fresh
run 0 "" checkpoint
out_has "checkpoint: event $((HEAD_SEQ + 1)) signs the history before it"
run 0 "" verify --json
json 'd["ok"] is True and d["checkpoints"] == 1'
CK=$((HEAD_SEQ + 1))
rm -rf "$T/ck"
cp -a "$T/x" "$T/ck"
mkdir -p "$T/evil"
CAPA_KEYS=$T/evil/keys run 0 "" cert create --org "Not the organisation"

# The history before the checkpoint rewritten, the checkpoint left alone.
tamper rewrite "${SIG[3]}" reason "措施完整，同意" --rebuild
detected "audit event $CK: checkpoint: it names $TOKEN, but the chain before it is $HEAD_SEQ:" \
    - events checkpoint head
# A checkpoint that does not hold concerns every case: no dossier of any.
refused "$N2" "audit event $CK: checkpoint: it names $TOKEN"
# ... and the checkpoint made to name the new chain: its signature does not verify.
rm -rf "$T/x" && cp -a "$T/ck" "$T/x"
tamper rewrite "${SIG[3]}" reason "措施完整，同意" --rebuild --ck-heads
detected "audit event $CK: checkpoint: the signature over $HEAD_SEQ:" - events checkpoint signature \
    "does not verify"
# ... and signed anew with another key: not the organisation's (certificate in <db>/keys).
rm -rf "$T/x" && cp -a "$T/ck" "$T/x"
tamper rewrite "${SIG[3]}" reason "措施完整，同意" --rebuild --ck-key "$T/evil/keys/org.key"
detected "audit event $CK: checkpoint: signed by a key that is not the organisation's" \
    - events checkpoint key
# Known limit: dossiers check checkpoints with capa_case_verify, which takes no certificate,
# so a checkpoint signed with a foreign key does not stop them.
dossier_ok "$N1"
# Known limit: the certificate is looked up in <db>/keys, which whoever edits the database
# can replace too. Against a certificate kept elsewhere (--cert) the forgery is still named.
cp "$T/evil/keys/org.crt" "$T/x/keys/org.crt"
run 0 "" verify
run 1 "" verify --cert "$ORG_CRT"
err_has "audit event $CK: checkpoint: signed by a key that is not the organisation's"

echo "ok tamper_replay"
