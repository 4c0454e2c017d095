#!/usr/bin/env bash
# case_proof.sh - issue 16: a dossier of a case is checked against the case proof of the last
# checkpoint (docs/case-proof.md) instead of replaying the whole store, and still never prints
# what verify would reject. With the real binary on copies of the demo store: the untampered
# store gives dossiers by the case proof (none without a v2 checkpoint, or for a case with
# events after it: the whole store is replayed, and the dossier says why); each tampering of
# the design's list refuses the dossier - the case proof names it, the replay it falls back to
# refuses naming the mismatch.
#
# env: CAPA, CAPA_SRC, CAPA_BUILD (CTest sets them). Needs poppler-utils.
source "$(dirname "$0")/common.bash"
TAMPER=${CAPA_BUILD:?CAPA_BUILD must name the build directory (ctest sets it)}/tests/faults/capa-tamper
command -v pdftotext >/dev/null || fail "pdftotext missing (tools/setup installs poppler-utils)"
unset CAPA_FONT || true

CAPA_DB=$T/demo "$CAPA_SRC/tools/demo.sh" >"$T/demo.log" 2>&1 || fail "demo: $(tail -5 "$T/demo.log")"
N1=QC-$Y-0001 N2=QC-$Y-0002 N3=QC-$Y-0003
# A case of the same part and defect as N1: its dossier names N1 as a recurrence (再发).
N5=$(printf 'demo-li-2026\n' | "$CAPA" --db "$T/demo" open --as li --password-stdin \
    customer=华东汽车 part_no=PCB-7731 lot_no=L2026-1201 qty_affected=3 defect_code=SOLDER-BRIDGE \
    severity=general channel=phone complaint_type=quality description="焊点连锡再次出现")
[[ $N5 == "QC-$Y-0005" ]] || fail "recurrence case opened as '$N5'"

fresh() { rm -rf "$CAPA_DB" "$T/out.d"; cp -a "$T/ck" "$CAPA_DB"; mkdir "$T/out.d"; }
tamper() { "$TAMPER" "$CAPA_DB" "$@" 2>/dev/null || fail "capa-tamper $*"; }
# refused CASE PROOF_SAYS REPLAY_SAYS: the dossier of CASE is refused; the case proof did not
# hold for the reason PROOF_SAYS, and the replay named REPLAY_SAYS; nothing is written.
refused() {
    run 1 "" dossier "$1" -o "$T/out.d/d.pdf"
    err_has "the whole store replayed: $2"
    err_has "case $1 does not verify against the audit trail"
    err_has "$3"
    [[ -z $(ls -A "$T/out.d") ]] || fail "the refused dossier of $1 left $(ls -A "$T/out.d")"
}
seq_of() { # seq_of CASE ACTION: the last event of CASE with ACTION
    "$CAPA" log "$1" --json | python3 -c '
import json, sys
print([e["seq"] for e in json.load(sys.stdin) if e["action"] == sys.argv[1]][-1])' "$2"
}

# -- no v2 checkpoint: the whole store is replayed, and the dossier says so -------------------
export CAPA_DB=$T/demo
run 0 "" dossier "$N1" -o "$T/d0.pdf"
err_has "capa: dossier: $N1: the whole store replayed: no checkpoint with a case proof (run \`capa checkpoint\`)"

# -- the checkpoint signs the case proof; dossiers are checked against it ----------------------
run 0 "" checkpoint
CK=$(sed -n 's/^checkpoint: event \([0-9]*\) .*/\1/p' <<<"$OUT")
[[ -n $CK ]] || fail "no checkpoint event in '$OUT'"
run 0 "" verify
cp -a "$T/demo" "$T/ck"
export CAPA_DB=$T/db
fresh
for n in "$N1" "$N2" "$N5"; do
    run 0 "" dossier "$n" -o "$T/out.d/$n.pdf"
    err_has "capa: dossier: $n proven by the case proof of checkpoint $CK (signature checked against the store's own certificate $CAPA_DB/keys/org.crt)"
done
pdftotext -layout "$T/out.d/$N5.pdf" "$T/d5.txt"
grep -qF "$N1" "$T/d5.txt" || fail "the dossier of $N5 does not name $N1 as a recurrence"
# The auditor's certificate (--cert) is the one named.
cp "$CAPA_DB/keys/org.crt" "$T/auditor.crt"
run 0 "" dossier "$N1" -o "$T/out.d/a.pdf" --cert "$T/auditor.crt"
err_has "proven by the case proof of checkpoint $CK (signature checked against the certificate $T/auditor.crt)"
# A certificate of another key: the case proof does not hold, the store is replayed.
CAPA_KEYS=$T/evil run 0 "" cert create --org "Not the organisation"
run 0 "" dossier "$N1" -o "$T/out.d/b.pdf" --cert "$T/evil/org.crt"
err_has "the whole store replayed: checkpoint $CK is signed by a key that is not the certificate's"

# Events since the checkpoint that change nothing a dossier prints (a failed sign-in, a
# notice delivered) are chain-hashed and do not send the dossier to the whole replay; a
# failed sign-in changes the users database, which is replayed from the records the
# checkpoint signed (docs/case-proof.md).
run 1 "$(printf 'wrong-password\n')" set "$N3" five_why.1.why=x --as wang --password-stdin
err_has "wrong password"
FAILED=$("$CAPA" log --json | python3 -c '
import json, sys
print([e["seq"] for e in json.load(sys.stdin) if e["action"] == "login_failed"][-1])')
(( FAILED > CK )) || fail "no failed sign-in after the checkpoint ($FAILED)"
run 0 "" dossier "$N1" -o "$T/out.d/$N1.pdf"
err_has "capa: dossier: $N1 proven by the case proof of checkpoint $CK"
# A case with events after the checkpoint is replayed alone: its events since, through apply,
# on its records as the checkpoint signed them (kept before its first change); the dossier
# prints the new value.
run 0 "$(printf 'demo-wang-2026\n')" set "$N3" five_why.1.why="为何虚焊（复核）" --as wang --password-stdin
LATE=$(seq_of "$N3" set)
run 0 "" dossier "$N3" -o "$T/out.d/$N3.pdf"
err_has "capa: dossier: $N3 proven by the case proof of checkpoint $CK"
pdftotext -layout "$T/out.d/$N3.pdf" "$T/d3.txt"
grep -qF "为何虚焊（复核）" "$T/d3.txt" || fail "the dossier of $N3 lacks the value set after the checkpoint"
run 0 "" dossier "$N1" -o "$T/out.d/$N1.pdf"
err_has "proven by the case proof of checkpoint $CK"
# What the proof keeps is derived like every record: verify rebuilds and compares it.
run 0 "" verify
cp -a "$CAPA_DB" "$T/late"
echo "ok: dossiers by the case proof; the whole store replayed where it does not hold"

# -- each tampering refuses the dossier -------------------------------------------------------
# An event of the case edited before the checkpoint, its own chain hash recomputed.
fresh
SET1=$(seq_of "$N1" set)
tamper event-edit "$SET1" reason "伪造 / forged"
refused "$N1" "case $N1: its records do not hash to the case proof of checkpoint $CK" \
    "audit event $((SET1 + 1)): hash does not match"
# An event of the case edited after the checkpoint (the head: its own hash recomputed).
fresh_late() { rm -rf "$CAPA_DB" "$T/out.d"; cp -a "$T/late" "$CAPA_DB"; mkdir "$T/out.d"; }
fresh_late
tamper event-edit "$LATE" change:five_why.1.why "伪造"
refused "$N3" "the chain from checkpoint $CK does not end at the stored head" "the head was altered"
# ... an earlier one of its events since, its own hash recomputed: the chain breaks at the next.
fresh_late
run 0 "$(printf 'demo-wang-2026\n')" set "$N3" five_why.1.because="钢网开口偏大（复核）" --as wang --password-stdin
tamper event-edit "$LATE" change:five_why.1.why "伪造"
refused "$N3" "audit event $((LATE + 1)): the chain from checkpoint $CK breaks there" \
    "hash does not match"
# ... the case's stored record changed after its event since the checkpoint: the replay of
# that event on its records of the checkpoint makes another.
fresh_late
tamper stage "$N3" 1 five_why.1.why "伪造"
refused "$N3" "case $N3: its records differ from what its records of checkpoint $CK and its events since make" \
    "five_why.1.why"
# ... the records the proof keeps for the case changed: they no longer hash to the signed leaf.
fresh_late
tamper proof-kept "$N3" "为何虚焊" "伪造伪造"
refused "$N3" "case $N3: its records kept as of checkpoint $CK do not hash to the case proof" "proof"
# ... and the store's kept records (the users as signed): the same.
fresh_late
tamper proof-kept store "王工" "假名"
refused "$N3" "the store's records kept with checkpoint $CK do not hash to its store leaf" "proof"
# A failed sign-in after the checkpoint altered (its own hash recomputed): the chain breaks.
fresh_late
tamper event-edit "$FAILED" reason "伪造"
refused "$N1" "audit event $((FAILED + 1)): the chain from checkpoint $CK breaks there" \
    "hash does not match"
# A user's printed name changed after a failed sign-in: the users the replay makes differ.
fresh_late
tamper user wang name "假名"
refused "$N1" "the store's meta values, users or definitions differ from what checkpoint $CK and the events since make" \
    "user wang"
# Another case's event after the checkpoint edited: the chain from it breaks.
fresh_late
run 0 "$(printf 'demo-wang-2026\n')" set "$N3" five_why.1.because="钢网开口偏大（复核）" --as wang --password-stdin
tamper event-edit "$LATE" reason "伪造"
refused "$N1" "audit event $((LATE + 1)): the chain from checkpoint $CK breaks there" \
    "hash does not match"
# A node of the case tree on the case's path edited (and one stored where none was).
for level in 0 5 31; do
    fresh
    tamper proof-node "$N1" "$level"
    refused "$N1" "case $N1: its records do not hash to the case proof of checkpoint $CK" "proof"
done
# The checkpoint's case root, and its signature, edited.
fresh
tamper event-edit "$CK" fact:ck_cases "$(printf '%064d' 0)"
refused "$N1" "the signature of checkpoint $CK does not verify" "checkpoint"
fresh
SIG=$("$CAPA" log --json 2>/dev/null | python3 -c '
import json, sys
e = [e for e in json.load(sys.stdin) if e["seq"] == int(sys.argv[1])][0]
s = e["facts"]["signature"]
print(s[:-2] + ("00" if s[-2:] != "00" else "01"))' "$CK")
tamper event-edit "$CK" fact:signature "$SIG"
refused "$N1" "the signature of checkpoint $CK does not verify" "checkpoint"
# The index entry of the earlier case with the same part and defect deleted: "no recurrence".
fresh
tamper idx-del idx_part "$N1"
refused "$N5" "the recurrence answer read from the indexes leaves out case $N1" "idx_part"
# The organisation's name in meta.
fresh
tamper meta-str org "假冒有限公司"
refused "$N1" "the store's meta values, users or definitions differ from checkpoint $CK" "org"
echo "ok: each tampering refuses the dossier"

# -- the stated trade-off (docs/case-proof.md, docs/trust.md) ---------------------------------
# The body of another case's event before the checkpoint, its own hash recomputed: nothing
# the dossier of N1 prints depends on it, and it is made; verify names the break.
fresh
SET2=$(seq_of "$N2" set)
tamper event-edit "$SET2" reason "伪造"
run 0 "" dossier "$N1" -o "$T/out.d/t.pdf"
err_has "proven by the case proof of checkpoint $CK"
run 1 "" verify
err_has "audit event $((SET2 + 1)): hash does not match"
echo "ok case_proof"
