#!/usr/bin/env bash
# due.sh - due soon and overdue (issue 11) through the real binary, standing at other moments
# with faketime: the due times a case header carries, `list --due-soon / --overdue` in text
# and JSON with --at, a limit met leaving the lists, a severity change re-planning the due
# times (audited by the set event itself), and bad input changing nothing.
source "$(dirname "$0")/common.bash"

N1=QC-2026-0001 N2=QC-2026-0002
due_setup

# -- due soon: past 80 %, not yet due ------------------------------------------------------
run 0 "" list --due-soon --at 2026-10-01T04:11:59+08:00
[[ -z $OUT ]] || fail "nothing is due soon before 80 % of the response limit"
err_has "no cases match"
run 0 "" list --due-soon --at 2026-10-01T04:12+08:00 --json
json '[(x["number"], x["limit"]) for x in d] == [("QC-2026-0001", "response"), ("QC-2026-0001", "containment")]'
json 'all(x["state"] == "due_soon" and x["due"] == "2026-10-01T09:00:00+08:00" for x in d)'
json 'all(x["warn_at"] == "2026-10-01T04:12:00+08:00" for x in d)'
json 'all(x["until_due_seconds"] == 4 * 3600 + 48 * 60 and "past_due_seconds" not in x for x in d)'
run 0 "" list --due-soon --at 2026-10-01T04:12+08:00 --lang en
out_has "NUMBER"
out_has "due in 4h 48m"
out_lacks "案号"
[[ $(grep -c "^QC-2026-0001 " <<<"$OUT") == 2 ]] || fail "two limits of $N1 due soon"
# The plan: 80 % of the way from Sep 30 09:00 to Oct 10 09:00 is Oct 8 09:00.
run 0 "" list --due-soon --at 2026-10-08T09:00+08:00 --json
json '("QC-2026-0001", "plan", "2026-10-10T09:00:00+08:00") in [(x["number"], x["limit"], x["due"]) for x in d]'

# -- overdue ---------------------------------------------------------------------------------
run 0 "" list --overdue --at 2026-10-01T08:59:59+08:00
[[ -z $OUT ]] || fail "nothing is overdue before the first due time"
run 0 "" list --overdue --at 2026-10-01T09:00+08:00 --json
json '[(x["number"], x["limit"], x["past_due_seconds"]) for x in d] == [("QC-2026-0001", "response", 0), ("QC-2026-0001", "containment", 0)]'
run 0 "" list --overdue --at 2026-10-02 --json
json 'sorted(set(x["number"] for x in d)) == ["QC-2026-0001", "QC-2026-0002"]'
json '[x["past_due_seconds"] for x in d if x["number"] == "QC-2026-0001"][0] == 15 * 3600'
run 0 "" list --overdue --at 2026-10-02
out_has "15h 00m past due / 逾期"
out_has "案号"
# Other filters narrow the rows.
run 0 "" list --overdue --at 2026-10-02 --customer 华南电器 --json
json 'set(x["number"] for x in d) == {"QC-2026-0002"}'
run 0 "" list --overdue --at 2026-10-02 --severity important --limit 1 --json
json 'len(d) == 1 and d[0]["number"] == "QC-2026-0001"'

# -- limits met leave the lists --------------------------------------------------------------
at '2026-09-30 03:00:00' as wang 0 set "$N1" validity=valid containment="库存隔离 3 批"
run 0 "" list --overdue --at 2026-10-02 --json
json '[x["limit"] for x in d if x["number"] == "QC-2026-0001"] == ["response"]'
at '2026-09-30 04:00:00' as wang 0 sign "$N1" --meaning reviewed
run 0 "" list --overdue --at 2026-10-02 --json
json 'not [x for x in d if x["number"] == "QC-2026-0001"]'
run 0 "" list --overdue --due-soon --at 2026-10-09T12:00+08:00 --json
json '[(x["limit"], x["state"]) for x in d if x["number"] == "QC-2026-0001"] == [("plan", "due_soon"), ("closure", "due_soon")]'

# -- a severity change re-plans: major closes in 168 h ---------------------------------------
run 0 "" list --overdue --at 2026-10-08 --json
json '"closure" not in [x["limit"] for x in d if x["number"] == "QC-2026-0002"]'
at '2026-09-30 05:00:00' as wang 0 set "$N2" severity=major --reason "客户停线"
run 0 "" list --overdue --at 2026-10-08 --json
json '[x["due"] for x in d if x["number"] == "QC-2026-0002" and x["limit"] == "closure"] == ["2026-10-07T10:00:00+08:00"]'
run 0 "" show "$N2" --json --at 2026-10-08
json '[l["due"] for l in d["limits"] if l["kind"] == "closure"] == ["2026-10-07T10:00:00+08:00"]'
run 0 "" log "$N2" --json
json 'd[-1]["action"] == "set" and {"field": "severity", "old": "general", "new": "major"} in d[-1]["changes"] and d[-1]["reason"] == "客户停线"'
# And back: the due time follows.
at '2026-09-30 06:00:00' as wang 0 set "$N2" severity=general
run 0 "" list --overdue --at 2026-10-08 --json
json '"closure" not in [x["limit"] for x in d if x["number"] == "QC-2026-0002"]'
run 0 "" verify

# -- bad input -------------------------------------------------------------------------------
snapshot bad
run 1 "" list --overdue --at 2026-13-45
err_has "2026-13-45"
err_has "not a moment"
run 2 "" list --at 2026-10-01
err_has "--at needs --due-soon or --overdue"
run 2 "" list --overdue --text 连锡
err_has "do not combine"
run 2 "" list --due-soon --at
run 2 "" list --overdue --stage nowhere
err_has "unknown stage 'nowhere'"
unchanged bad
echo "due: ok"
