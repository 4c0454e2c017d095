#!/usr/bin/env bash
# verify_replan.sh - verify replays idx_due on the thread that writes the index entries
# (core/verify.c): a calendar installed and the time zone changed while cases are open move
# their due times (limits_replan reads idx_due in the replay), and verify agrees with the
# store; an idx_due entry deleted afterwards is still found.
source "$(dirname "$0")/common.bash"

N1=QC-2026-0001 N2=QC-2026-0002
due_setup
plan() { run 0 "" show "$1" --json; jget '[l["due"] for l in d["limits"] if l["kind"] == "plan"][0]'; }
[[ $(plan "$N1") == 2026-10-10T09:00:00+08:00 ]] || fail "plan due before the calendar"
run 0 "" verify

# A plant calendar: Oct 8 and 9 holidays too, no make-up Saturday: the plan moves.
printf '<?xml version="1.0" encoding="UTF-8"?>\n<calendar xmlns="urn:capa:calendar:1" year="2026" weekend="6 7">\n  <holiday from="2026-10-01" to="2026-10-09" zh="国庆节" en="National Day"/>\n</calendar>\n' \
    >"$T/calendar-2026.xml"
at '2026-09-30 03:00:00' as admin 0 calendar install "$T/calendar-2026.xml"
[[ $(plan "$N1") == 2026-10-14T09:00:00+08:00 ]] || fail "plan due after the calendar: $(plan "$N1")"
run 0 "" verify
# The time zone too (every open limit re-planned again).
at '2026-09-30 04:00:00' as admin 0 config timezone Europe/Berlin
[[ $(plan "$N1") != 2026-10-14T09:00:00+08:00 ]] || fail "plan due unchanged by the zone"
run 0 "" verify
run 0 "" list --overdue --at 2026-12-31 --json
json '"QC-2026-0002" in [x["number"] for x in d]'

# verify16d: the index entries replayed so far are sorted into a run written to a file of
# the scratch directory when the zone change reads idx_due. A file system without room for
# that run fails verify cleanly, naming the scratch directory, and leaves no scratch behind.
IOFAIL=${CAPA_BUILD:?CAPA_BUILD must name the build directory (ctest sets it)}/tests/faults/libiofail.so
mkdir -p "$T/tmp"
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 TMPDIR=$T/tmp \
    IOFAIL_AT=1 IOFAIL_STICKY=1 IOFAIL_ERRNO=28 IOFAIL_MATCH=/ix-run- LD_PRELOAD=$IOFAIL \
    run 1 "" verify
err_has "scratch store $T/tmp/capa-verify-"
err_has "index run $T/tmp/capa-verify-"
err_has "No space left on device"
err_has "set TMPDIR to a directory with room"
[[ -z $(ls -A "$T/tmp") ]] || fail "scratch left behind: $(ls -A "$T/tmp")"
run 0 "" verify

# idx_due entries written by the index thread are compared like any other record.
TAMPER=${CAPA_BUILD:?CAPA_BUILD must name the build directory (ctest sets it)}/tests/faults/capa-tamper
"$TAMPER" "$CAPA_DB" idx-del idx_due "$N2" || fail "capa-tamper idx-del"
run 1 "" verify
err_has "idx_due"
err_has "$N2"
