#!/usr/bin/env bash
# verify_plant_memo.sh - apply takes the plant (zone and calendars) it computes due times with
# from a memo while one write transaction goes on (core/plant.c: capa_plant__cached); a time
# zone changed or a calendar installed in that transaction must not leave the old plant in
# use. verify replays the whole trail in one scratch transaction: cases opened before and
# after each change, at moments where the plant decides the due day (a Friday evening in UTC
# is Saturday morning in Shanghai), must replay to the due times the store wrote.
source "$(dirname "$0")/common.bash"

N3=QC-2026-0003 N4=QC-2026-0004
due_setup # the zone Asia/Shanghai, two cases open
plan() { run 0 "" show "$1" --json; jget '[l["due"] for l in d["limits"] if l["kind"] == "plan"][0]'; }

# UTC again; a case opened on Friday 2026-10-16 20:00 UTC: three working days from Friday
# evening (UTC) end on Wednesday evening.
at '2026-10-16 19:00:00' as admin 0 config timezone UTC
at '2026-10-16 20:00:00' as li 0 open customer="华东汽车" part_no=PCB-7731 defect_code=SOLDER \
    severity=important channel=written complaint_type=quality description="焊点连锡"
out_is "$N3"
[[ $(plan "$N3") == 2026-10-21T20:00:00+00:00 ]] || fail "plan due in UTC: $(plan "$N3")"
run 0 "" verify # before a later change re-plans the case
# Shanghai: the same moment is Saturday 04:00 there, so the plan is due Wednesday 04:00
# (Tuesday 20:00 UTC), a day earlier.
at '2026-10-16 20:10:00' as admin 0 config timezone Asia/Shanghai
at '2026-10-16 20:20:00' as li 0 open customer="华南电器" part_no=PCB-1001 defect_code=SCRATCH \
    severity=general channel=phone complaint_type=quality description="外壳划伤"
out_is "$N4"
[[ $(plan "$N4") == 2026-10-21T04:20:00+08:00 ]] || fail "plan due in Shanghai: $(plan "$N4")"
run 0 "" verify

# A calendar installed between two opens: 2026-10-19..21 holidays move the next case's plan.
printf '<?xml version="1.0" encoding="UTF-8"?>\n<calendar xmlns="urn:capa:calendar:1" year="2026" weekend="6 7">\n  <holiday from="2026-10-19" to="2026-10-21" zh="厂休" en="Plant holiday"/>\n</calendar>\n' \
    >"$T/calendar-2026.xml"
at '2026-10-16 20:30:00' as admin 0 calendar install "$T/calendar-2026.xml"
at '2026-10-16 20:40:00' as li 0 open customer="华北机械" part_no=PCB-2002 defect_code=SCRATCH \
    severity=general channel=phone complaint_type=quality description="外壳划伤"
out_is QC-2026-0005
[[ $(plan QC-2026-0005) == 2026-10-26T04:40:00+08:00 ]] ||
    fail "plan due after the calendar: $(plan QC-2026-0005)"
run 0 "" verify
