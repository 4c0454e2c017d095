#!/usr/bin/env bash
# rounds.sh - 二次处理 (issue 19): a dissatisfied follow-up (回访不满意) or an 8D the customer
# rejected cannot close the case; the sign-off sends it round again from the stage the
# workflow's <round> names (analysis), its round number shown by show (text, --json), list
# and the dossier; the earlier round's stage data and signatures are kept and shown; verify
# replays it all, and a round rewritten in the store (header, signature, kept record) is
# named by verify. The monthly figures count the second rounds and their rate.
source "$(dirname "$0")/common.bash"
source "$(dirname "$0")/serve.bash"
command -v faketime >/dev/null || fail "faketime (Debian package faketime) is needed"
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
TAMPER=${CAPA_BUILD:?CAPA_BUILD must name the build directory (ctest sets it)}/tests/faults/capa-tamper

setup_users
N=QC-$Y-0001
M=QC-$Y-0002

# at 'YYYY-MM-DD HH:MM' USER ARGS...: act as USER with the clock at that UTC time. The clock
# runs at a hundredth of real speed (x0.01): a password check slowed by a loaded machine must
# not carry a recorded time into the next second, which the checks below compare exactly.
act() {
    local when=$1 user=$2 want=$3
    shift 3
    FAKE="@$when:00 x0.01" CAPA=$CAPA_AT as "$user" "$want" "$@"
}
to_archive() { # TIME CASE: one pass from intake (or analysis) to the archive stage
    run 0 "" show "$2" --json
    if [[ $(jget 'd["stage"]') == intake ]]; then
        act "$1" wang 0 set "$2" validity=valid containment="隔离"
        act "$1" wang 0 sign "$2" --meaning reviewed
    fi
    act "$1" wang 0 set "$2" five_why.1.why="为何" five_why.1.because="${3:-因为}" \
        category_6m=method root_cause_occurrence="${3:-发生}" root_cause_escape="流出"
    act "$1" chen 0 sign "$2" --meaning reviewed
    act "$1" wang 0 set "$2" corrective_actions.1.action="${3:-纠正}" \
        corrective_actions.1.owner=sun corrective_actions.1.due=2026-12-01 "${D7_OK[@]}" \
        preventive_actions.1.action="预防" preventive_actions.1.owner=wang \
        preventive_actions.1.due=2026-12-01
    act "$1" zhao 0 sign "$2" --meaning approved
    act "$1" sun 0 set "$2" disposition=rework
    act "$1" sun 0 sign "$2" --meaning done
    act "$1" wang 0 set "$2" method="复检" result=pass evidence="0 不良"
    act "$1" wang 0 sign "$2" --meaning verified
}

act "2026-10-05 01:00" li 0 open customer=华东汽车 part_no=PCB-1 defect_code=SOLDER \
    severity=general channel=phone description=A
to_archive "2026-10-05 02:00" "$N"
act "2026-10-06 02:00" wang 0 set "$N" customer_reply="已回复" satisfaction=dissatisfied \
    lessons_learned="经验"

# -- the dissatisfied follow-up cannot close: the sign-off sends the case round again ----
act "2026-10-06 03:00" chen 0 sign "$N" --meaning closed
out_has "analysis"
run 0 "" show "$N" --json
json 'd["closed"] is False and d["stage"] == "analysis" and d["round"] == 2'
json 'd["round_at"] == "2026-10-06T03:00:00Z" and d["closed_at"] is None'
# The first round's records are kept as that round left them.
json '[r["round"] for r in d["earlier_rounds"]] == [1]'
json '[s["id"] for s in d["earlier_rounds"][0]["stages"]] == ["analysis", "action", "rework", "verification", "archive"]'
json 'd["earlier_rounds"][0]["stages"][0]["values"]["five_why.1.because"] == "因为"'
json 'd["earlier_rounds"][0]["stages"][4]["values"]["satisfaction"] == "dissatisfied"'
json 'd["earlier_rounds"][0]["stages"][4]["left"] == "2026-10-06T03:00:00Z"'
# Its signatures too: every sign-off of the stages gone round again is superseded and
# marked round 1; the intake's stands.
json '[(s["stage"], s["meaning"], s["superseded"], s["round"]) for s in d["signatures"]] == [
    ("intake", "reviewed", False, 1), ("analysis", "reviewed", True, 1),
    ("action", "approved", True, 1), ("rework", "done", True, 1),
    ("verification", "verified", True, 1), ("archive", "closed", True, 1)]'
# The workflow's rule says why.
json 'any("second round" in r["en"] and "sent round" in r["en"] for r in d["stages"][5]["rules"])'
run 0 "" show "$N"
out_has "round: 2"
out_has "round 1 (gone round again)"
run 0 "" list --json
json "[(c['number'], c['round']) for c in d] == [('$N', 2)]"
run 0 "" list
out_has "open r2"
run 0 "" verify
err_empty

# -- round 2: new analysis, the follow-up satisfied this time, the case closes -----------
to_archive "2026-10-07 02:00" "$N" "第二轮"
act "2026-10-08 02:00" wang 0 set "$N" satisfaction=satisfied customer_acceptance=accepted
act "2026-10-08 03:00" chen 0 sign "$N" --meaning closed
run 0 "" show "$N" --json
json 'd["closed"] is True and d["round"] == 2'
json 'd["stages"][1]["values"]["five_why.1.because"] == "第二轮"'
json 'd["earlier_rounds"][0]["stages"][0]["values"]["five_why.1.because"] == "因为"'
json '[s["round"] for s in d["signatures"] if not s["superseded"]] == [1, 2, 2, 2, 2, 2]'
run 0 "" list --json
json "d[0]['round'] == 2 and d[0]['closed'] is True"

# -- 8D D8: the customer's acceptance; a rejected 8D re-opens the round -----------------
act "2026-10-09 01:00" li 0 open customer=南方家电 part_no=PCB-2 defect_code=CRACK \
    severity=general channel=email description=B
to_archive "2026-10-09 02:00" "$M"
act "2026-10-10 02:00" wang 0 set "$M" customer_reply="8D 已提交" satisfaction=satisfied \
    customer_acceptance=rejected lessons_learned="经验"
act "2026-10-10 03:00" chen 0 sign "$M" --meaning closed
run 0 "" show "$M" --json
json 'd["closed"] is False and d["stage"] == "analysis" and d["round"] == 2'
json 'd["earlier_rounds"][0]["stages"][-1]["values"]["customer_acceptance"] == "rejected"'
# A bad acceptance value is refused naming field, value and rule; nothing written.
snapshot acc
act "2026-10-10 04:00" wang 1 set "$M" customer_acceptance=maybe
unchanged acc
run 0 "" verify
err_empty

# -- the month's figures count the second rounds ----------------------------------------
run 0 "" report monthly --month 2026-10 --format json -o -
# Closing decisions in October: N sent round (Oct 6) then closed (Oct 8), M sent round.
json 'd["closed"] == 1 and d["second_rounds"] == 2'
json 'd["second_round_rate"] == 0.6667'
run 0 "" report monthly --month 2026-10 --format csv -o "$T/oct.csv"
tr -d "\r" <"$T/oct.csv" | grep -qx "second_rounds,,2," || fail "CSV lacks second_rounds: $(cat "$T/oct.csv")"
tr -d "\r" <"$T/oct.csv" | grep -qx "second_round_rate,,0.6667," || fail "CSV lacks second_round_rate"
run 0 "" report monthly --month 2026-10 -o "$T/oct.pdf"
pdftotext -layout "$T/oct.pdf" - | grep -q "Second rounds: 2 .*rate: 0.6667" ||
    fail "the PDF lacks the second rounds"

# -- the dossier shows the round and the earlier round's data ---------------------------
run 0 "" dossier "$N" -o "$T/n.pdf"
pdftotext -layout "$T/n.pdf" "$T/n.txt"
grep -q "round 2" "$T/n.txt" || fail "the dossier does not show the round"
grep -q "Round 1" "$T/n.txt" || fail "the dossier does not show round 1"

# -- an archive (export --xml) carries the rounds; its import proves and keeps them -------
run 0 "" export "$N" -o "$T/n.xml"
xmllint --noout --schema "$CAPA_SRC/schemas/case.xsd" "$T/n.xml" 2>/dev/null ||
    fail "the archive does not validate against case.xsd"
grep -q 'round="2"' "$T/n.xml" || fail "the archive lacks the case's round"
( export CAPA_DB=$T/other
  run 0 "$(pw admin)" init --org "另一工厂" --password-stdin
  run 0 "$(pw admin)" import --xml "$T/n.xml" --as admin --password-stdin
  run 0 "" show "$N@示例电子有限公司" --json
  json 'd["round"] == 2 and [r["round"] for r in d["earlier_rounds"]] == [1]'
  json 'd["earlier_rounds"][0]["stages"][0]["values"]["five_why.1.because"] == "因为"'
  json '[s["round"] for s in d["signatures"]] == [1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2]'
  run 0 "" verify ) || exit 1
# An archive whose earlier round was rewritten does not import (its events say otherwise).
python3 - "$T/n.xml" "$T/n-bad.xml" <<'PY'
import re, sys
x = open(sys.argv[1], encoding="utf-8").read()
m = re.search(r'<stage id="analysis" round="1".*?</stage>', x, re.S)
open(sys.argv[2], "w", encoding="utf-8").write(
    x[:m.start()] + m.group(0).replace(">因为<", ">改写<") + x[m.end():])
PY
( export CAPA_DB=$T/other2
  run 0 "$(pw admin)" init --org "另一工厂" --password-stdin
  run 1 "$(pw admin)" import --xml "$T/n-bad.xml" --as admin --password-stdin
  err_has "stage analysis of round 1: field \`five_why.1.because\`: the archive says '改写', its events say '因为'" ) || exit 1

# -- the web case page: the round, each signature's round, the first round's records ----
serve_start
login zhou "$T/zhou.jar"
req c -b "$T/zhou.jar" "$B/cases/$N?lang=en"
want 200 c
has c 'Round 2'
has c 'round 1'
has c 'Round 1 · '
has c '因为' # the first round's root cause, kept
has c '第二轮'
serve_stop

# -- tampering with a round is named by verify -------------------------------------------
cp -a "$CAPA_DB" "$T/clean"
"$TAMPER" "$CAPA_DB" hdr "$N" round 3 >/dev/null
run 1 "" verify
err_has "case $N: header: stored round 3, event"
rm -rf "$CAPA_DB" && cp -a "$T/clean" "$CAPA_DB"
# The write path takes no round on trust: a header whose round was rewritten refuses the edit.
"$TAMPER" "$CAPA_DB" hdr "$M" round 3 >/dev/null
LOGB=$("$CAPA" log --json)
act "2026-10-11 04:00" wang 1 set "$M" five_why.1.because="再改"
err_has "set $M: case header (cases, id 2): field \`round\` is '3', but the audit trail says '2'"
"$TAMPER" "$CAPA_DB" hdr "$M" round 1 >/dev/null
act "2026-10-11 04:00" wang 1 set "$M" five_why.1.because="再改"
err_has "field \`round\` is '1', but the audit trail says '2'"
[[ $("$CAPA" log --json) == "$LOGB" ]] || fail "a refused edit wrote to the trail"
rm -rf "$CAPA_DB" && cp -a "$T/clean" "$CAPA_DB"
"$TAMPER" "$CAPA_DB" sig "$N" 2 round 2 >/dev/null
run 1 "" verify
err_has "case $N: signature 2 (reviewed): stored round 2, event"
rm -rf "$CAPA_DB" && cp -a "$T/clean" "$CAPA_DB"
# The first round's analysis, as kept, rewritten: named with its round.
"$TAMPER" "$CAPA_DB" stage "$N" analysis@1 five_why.1.because "改写" >/dev/null
run 1 "" verify
err_has "case $N: stage analysis of round 1: stored field \`five_why.1.because\` '改写', event"
rm -rf "$CAPA_DB" && cp -a "$T/clean" "$CAPA_DB"
# The round an event says it starts is checked on replay (the chain recomputed after it).
run 0 "" log "$N" --json
RSEQ=$(jget '[e["seq"] for e in d if e["action"] == "sign" and e["stage"] == "archive"][0]')
ASEQ=$(jget '[e["seq"] for e in d if e["action"] == "sign" and e["stage"] == "action"][0]')
"$TAMPER" "$CAPA_DB" rewrite "$RSEQ" fact:round 5 >/dev/null 2>&1
run 1 "" verify
err_has "audit event $RSEQ: does not replay: "
err_has "it sends the case round again, which starts round 2; it says 5"
rm -rf "$CAPA_DB" && cp -a "$T/clean" "$CAPA_DB"
"$TAMPER" "$CAPA_DB" rewrite "$ASEQ" fact:round 2 >/dev/null 2>&1
run 1 "" verify
err_has "it says it starts round 2, but it does not send the case round again"
rm -rf "$CAPA_DB" && cp -a "$T/clean" "$CAPA_DB"
run 0 "" verify
echo "rounds: ok"
