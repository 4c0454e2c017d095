#!/usr/bin/env bash
# checkpoint_cert.sh - issue 16, defect 5: the auditor's key decides. Checkpoints are made
# by the real `capa checkpoint`; the history before them is then rewritten on a copy with
# file access (tests/faults/capa-tamper) and the checkpoints signed anew with a key of the
# forger's, whose certificate replaces the store's own. `capa verify --cert FILE` checks
# every checkpoint against the certificate the auditor brought; without --cert it checks
# against the store's certificate and says so (text and --json); with no certificate at all
# it fails naming each checkpoint it could not check.
source "$(dirname "$0")/common.bash"
TAMPER=${CAPA_BUILD:?CAPA_BUILD must name the build directory (ctest sets it)}/tests/faults/capa-tamper
[[ -x $TAMPER ]] || fail "$TAMPER missing (built with the tests)"

N=QC-$Y-0001
setup_users
as li 0 open customer="华东汽车" part_no=PCB-7731 lot_no=L2026-1102 qty_affected=120 \
    defect_code=SOLDER-BRIDGE severity=important channel=written complaint_type=quality \
    responsible_dept=生产部 description="焊点连锡"
as wang 0 set "$N" validity=valid containment="库存隔离 3 批"
as wang 0 sign "$N" --meaning reviewed
# A store without checkpoints has nothing a certificate would check.
mv "$CAPA_DB/keys/org.crt" "$T/auditor.crt" # the copy the auditor keeps, outside the store
run 0 "" verify
run 0 "" verify --json
json 'd["ok"] and d["checkpoints"] == 0 and d["certificate"] is None'
cp "$T/auditor.crt" "$CAPA_DB/keys/org.crt"

run 0 "" checkpoint
CK1=$(sed -n 's/^checkpoint: event \([0-9]*\) .*/\1/p' <<<"$OUT")
as wang 0 set "$N" five_why.1.why="为何连锡" five_why.1.because="钢网开口偏大"
run 0 "" checkpoint
CK2=$(sed -n 's/^checkpoint: event \([0-9]*\) .*/\1/p' <<<"$OUT")
[[ -n $CK1 && -n $CK2 && $CK1 -lt $CK2 ]] || fail "checkpoint events not found: '$CK1' '$CK2'"
run 0 "" show "$N" --json
SIGN=$(jget 'd["signatures"][0]["seq"]')

# The genuine store: the store's certificate is used and said to be used; --cert is the
# auditor's.
run 0 "" verify
err_has "capa: verify: 2 checkpoints checked against the store's own certificate $CAPA_DB/keys/org.crt"
err_has "an auditor gives --cert FILE"
run 0 "" verify --json
json "d['ok'] and d['checkpoints'] == 2 and d['certificate'] == {'path': '$CAPA_DB/keys/org.crt', 'source': 'store'}"
run 0 "" verify --cert "$T/auditor.crt"
[[ $ERR != *"store's own certificate"* ]] || fail "--cert still said it used the store's certificate"
run 0 "" verify --cert "$T/auditor.crt" --json
json "d['ok'] and d['certificate'] == {'path': '$T/auditor.crt', 'source': 'auditor'}"

# The certificate gone from the store: no checkpoint can be checked, each is named.
cp -a "$CAPA_DB" "$T/nocert"
rm "$T/nocert/keys/org.crt"
run 1 "" --db "$T/nocert" verify
err_has "capa: verify: audit event $CK1: checkpoint over $((CK1 - 1)):"
err_has "capa: verify: audit event $CK2: checkpoint over $((CK2 - 1)):"
err_has "not checked: no certificate to check its signing key against"
err_has "no certificate: $T/nocert/keys/org.crt is missing and no --cert FILE was given"
[[ -z $OUT ]] || fail "verify printed a head though no checkpoint was checked"
run 1 "" --db "$T/nocert" verify --json
json "(not d['ok'] and d['certificate'] is None and
      sorted(m['seq'] for m in d['mismatches']) == [$CK1, $CK2] and
      all(m['db'] == 'events' and m['record'] == 'checkpoint' and m['field'] == 'key'
          for m in d['mismatches']))"
# ... and the auditor's own copy checks them.
run 0 "" --db "$T/nocert" verify --cert "$T/auditor.crt"

# The forgery: a sign-off's reason rewritten, every later chain hash and record rebuilt, the
# checkpoints signed anew with the forger's key, whose certificate replaces the store's.
mkdir -p "$T/evil"
CAPA_KEYS=$T/evil/keys run 0 "" cert create --org "Not the organisation"
cp -a "$CAPA_DB" "$T/forged"
"$TAMPER" "$T/forged" rewrite "$SIGN" reason "已审核（伪造）" --rebuild \
    --ck-key "$T/evil/keys/org.key" 2>"$T/tamper.err" || fail "capa-tamper: $(cat "$T/tamper.err")"
cp "$T/evil/keys/org.crt" "$T/forged/keys/org.crt"
# The store's certificate vouches for the forger, and verify says whose certificate it took.
run 0 "" --db "$T/forged" verify
err_has "checked against the store's own certificate $T/forged/keys/org.crt"
# The auditor's certificate names both forged checkpoints.
run 1 "" --db "$T/forged" verify --cert "$T/auditor.crt"
err_has "capa: verify: audit event $CK1: checkpoint: signed by a key that is not the organisation's (certificate $T/auditor.crt)"
err_has "capa: verify: audit event $CK2: checkpoint: signed by a key that is not the organisation's"
run 1 "" --db "$T/forged" verify --cert "$T/auditor.crt" --json
json "(not d['ok'] and d['certificate']['source'] == 'auditor' and
      sorted(m['seq'] for m in d['mismatches'] if m['record'] == 'checkpoint') == [$CK1, $CK2])"
# With the forger's certificate removed as well, nothing vouches for the checkpoints.
rm "$T/forged/keys/org.crt"
run 1 "" --db "$T/forged" verify
err_has "audit event $CK1: checkpoint over"
err_has "not checked: no certificate"

# A certificate the auditor names that cannot be read is an error, not a pass.
run 1 "" verify --cert "$T/no-such.crt"
err_has "certificate $T/no-such.crt: cannot be read"
echo "ok checkpoint_cert"
