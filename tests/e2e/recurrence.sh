#!/usr/bin/env bash
# recurrence.sh - 再发 (issue 11): a case whose part number and defect code match a case
# opened in the previous N days (default 180, `capa config recurrence-days`) is a
# recurrence: `open` says so on stderr, `show --json` has "recurrence_of", `list
# --recurrent` finds it, the dossier's cover lists it. Cases are opened at chosen moments
# under faketime; the window's edges are tested a few seconds either side.
source "$(dirname "$0")/common.bash"
command -v faketime >/dev/null || fail "faketime (Debian package faketime) is needed"
setup_users

# at TIME USER WANT_RC ARGS...: `as`, with the clock at TIME (UTC).
at() {
    local when=$1
    shift
    local user=$1 want=$2
    shift 2
    set +e
    pw "$user" | TZ=UTC faketime -f "@$when" "$CAPA" "$@" --as "$user" --password-stdin \
        >"$T/out" 2>"$T/err"
    RC=$?
    set -e
    OUT=$(cat "$T/out")
    ERR=$(cat "$T/err")
    [[ $RC == "$want" ]] || fail "capa $* at $when: exit $RC, want $want"
}
open_at() { # TIME PART DEFECT
    at "$1" li 0 open customer=华东汽车 part_no="$2" defect_code="$3" severity=general \
        description="连锡"
}

open_at "2026-01-10 10:00:00" PCB-1 SOLDER
A=$OUT
[[ -z $ERR ]] || fail "a first case is no recurrence: $ERR"
open_at "2026-06-01 08:00:00" PCB-1 SOLDER
B=$OUT
err_has "$B is a recurrence (再发) of $A: same part number and defect code within 180 days"
open_at "2026-06-02 08:00:00" PCB-1 CRACK # same part, other defect
C=$OUT
[[ -z $ERR ]] || fail "another defect is no recurrence: $ERR"
open_at "2026-06-03 08:00:00" PCB-2 SOLDER # same defect, other part
D=$OUT
[[ -z $ERR ]] || fail "another part is no recurrence: $ERR"
# 180 days after A less a second: A is inside the window.
open_at "2026-07-09 09:59:59" PCB-1 SOLDER
E=$OUT
err_has "$E is a recurrence (再发) of $A, $B:"
# 180 days after A plus a few seconds: A is outside, B still inside.
open_at "2026-07-09 10:00:05" PCB-1 SOLDER
F=$OUT
err_has "$F is a recurrence (再发) of $B, $E:"

run 0 "" show "$A" --json
json 'd["recurrence_of"] == []'
run 0 "" show "$E" --json
json "d['recurrence_of'] == ['$A', '$B']"
run 0 "" show "$F" --json
json "d['recurrence_of'] == ['$B', '$E']"
run 0 "" show "$F" --lang en
out_has "recurrence of: $B $E"

run 0 "" list --recurrent --json
json "[r['number'] for r in d] == ['$B', '$E', '$F']"
run 0 "" list --recurrent --part PCB-2
[[ -z $OUT ]] || fail "list --recurrent --part PCB-2 lists: $OUT"

# A part number changed at intake makes a case a recurrence (or not) at once: nothing stored.
as wang 0 set "$D" part_no=PCB-1
run 0 "" show "$D" --json
json "d['recurrence_of'] == ['$A', '$B']"
as wang 0 set "$D" part_no=PCB-2
run 0 "" show "$D" --json
json 'd["recurrence_of"] == []'

# The window is a plant setting: admin only, audited, checked before anything is asked.
snapshot before
as admin 2 config recurrence-days 0
err_has "recurrence-days '0': must be a whole number of days from 1 to 3650"
as admin 2 config recurrence-days 12x
as admin 2 config recurrence-days 3651
as li 1 config recurrence-days 30
err_has "only admin may"
unchanged before
as admin 0 config recurrence-days 30
out_has "recurrence window: 30 days"
run 0 "" show "$B" --json
json 'd["recurrence_of"] == []'
run 0 "" show "$F" --json
json "d['recurrence_of'] == ['$E']"
run 0 "" log --json
json 'any(e["action"] == "config" and any(c["field"] == "recurrence_days" and c["new"] == "30" for c in e["changes"]) for e in d)'
run 0 "" verify
[[ $OUT =~ ^[0-9a-f]{64}$ ]] || fail "verify printed '$OUT'"

# The dossier's cover lists the cases it recurs.
run 0 "" dossier "$F" -o "$T/f.pdf"
pdftotext -layout "$T/f.pdf" "$T/f.txt"
grep -q "再发" "$T/f.txt" || fail "dossier cover lacks 再发"
grep -q "Recurrence of" "$T/f.txt" || fail "dossier cover lacks 'Recurrence of'"
grep -q "$E" "$T/f.txt" || fail "dossier cover lacks $E"
run 0 "" dossier "$A" -o "$T/a.pdf"
pdftotext -layout "$T/a.pdf" "$T/a.txt"
grep -q "none within 30 days" "$T/a.txt" || fail "dossier of a first case does not say none"
echo "recurrence: ok"
