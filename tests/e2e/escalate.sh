#!/usr/bin/env bash
# escalate.sh - `capa escalate` (issue 11) through the real binary under faketime: every
# (case, limit, level) past 80 % (warn -> the stage's editors) or past due (overdue -> the
# quality lead, a day later -> the production manager) recorded exactly once as an audit
# event that replays; a late run records every level passed; a severity change moves what
# is overdue; the OS owner only; bad input changes nothing.
source "$(dirname "$0")/common.bash"
# escalations: the (case, limit, level) of every escalate event in the trail, sorted.
escalations() {
    run 0 "" log --json
    jget 'sorted((e["case"], e["facts"]["limit"], e["facts"]["level"]) for e in d if e["action"] == "escalate")'
}

N1=QC-2026-0001 N2=QC-2026-0002
at '2026-09-29 01:00:00' setup_users --timezone Asia/Shanghai
# Opened 2026-09-30 09:00 +08:00: response/containment due Oct 1 09:00 (80 %: 04:12), plan
# and closure due Oct 10 09:00 (80 %: Oct 8 09:00).
at '2026-09-30 01:00:00' as li 0 open customer="华东汽车" part_no=PCB-7731 defect_code=SOLDER \
    severity=important channel=written complaint_type=quality description="焊点连锡"

# -- nothing before 80 % ----------------------------------------------------------------------
at '2026-09-30 20:11:59' run 0 "" escalate
[[ -z $OUT ]] || fail "nothing is past 80 % yet"
err_has "no new escalations"
[[ $(escalations) == "[]" ]] || fail "escalations recorded too early: $(escalations)"

# -- 80 %: warn to the editors of intake (intake, qe) ------------------------------------------
at '2026-09-30 20:12:00' run 0 "" escalate
out_has "$N1  response  warn  due 2026-10-01T09:00:00+08:00  -> intake qe: li (李娜), wang (王工)"
out_has "$N1  containment  warn  due 2026-10-01T09:00:00+08:00"
[[ $(wc -l <<<"$OUT") == 2 ]] || fail "two warnings, one per limit"
# Again at the same moment, and later before the due time: nothing twice.
at '2026-09-30 20:12:00' run 0 "" escalate
[[ -z $OUT ]] || fail "second run recorded again"
at '2026-10-01 00:59:59' run 0 "" escalate --json
json 'd == []'
[[ $(escalations) == "[('$N1', 'containment', 'warn'), ('$N1', 'response', 'warn')]" ]] ||
    fail "warn recorded once each: $(escalations)"
run 0 "" log "$N1" --json
json 'd[-1]["action"] == "escalate" and d[-1]["actor"].startswith("os:")'
json '{"field": "escalation:containment:warn", "old": None, "new": "intake qe"} in d[-1]["changes"]'

# A rewritten trail whose escalation is doubled or early does not replay (the header marks a
# level once, at or after its moment).
TAMPER=${CAPA_BUILD:?CAPA_BUILD must name the build directory (ctest sets it)}/tests/faults/capa-tamper
run 0 "" log --json
E1=$(jget '[e["seq"] for e in d if e["action"] == "escalate"][0]')
E2=$(jget '[e["seq"] for e in d if e["action"] == "escalate"][1]')
LIVE=$CAPA_DB
for edit in "$E2 fact:limit response|escalation \`warn\` of limit \`response\` recorded twice" \
    "$E1 fact:level overdue|escalation \`overdue\` of limit \`response\` before its time"; do
    rm -rf "$T/tampered"
    cp -a "$LIVE" "$T/tampered"
    export CAPA_DB=$T/tampered
    set -- ${edit%%|*}
    "$TAMPER" "$CAPA_DB" rewrite "$1" "$2" "$3" 2>"$T/tamper.err" || fail "capa-tamper: $(cat "$T/tamper.err")"
    run 1 "" verify
    err_has "audit event $1"
    err_has "${edit#*|}"
done
export CAPA_DB=$LIVE

# -- run late: every level passed so far -------------------------------------------------------
# Oct 3 12:00 +08:00: response and containment overdue (Oct 1 09:00) and a day past (Oct 2
# 09:00); plan and closure still before 80 %.
at '2026-10-03 04:00:00' run 0 "" escalate --json
json 'sorted((x["limit"], x["level"]) for x in d) == [("containment", "overdue"), ("containment", "overdue_24h"), ("response", "overdue"), ("response", "overdue_24h")]'
json 'all(x["to"] == ["qe_lead"] and x["users"] == "chen (陈主管)" for x in d if x["level"] == "overdue")'
json 'all(x["to"] == ["prod_mgr"] and x["users"] == "zhao (赵经理)" for x in d if x["level"] == "overdue_24h")'
json 'all(x["due"] == "2026-10-01T09:00:00+08:00" and x["number"] == "'$N1'" for x in d)'
json '[x["reached"] for x in d if x["limit"] == "response" and x["level"] == "overdue_24h"] == ["2026-10-02T09:00:00+08:00"]'
at '2026-10-03 04:00:00' run 0 "" escalate
[[ -z $OUT ]] || fail "late run twice"
# show lists them with their limit (as of --at: none before they were recorded).
run 0 "" show "$N1" --json
json '[x["level"] for x in [l for l in d["limits"] if l["kind"] == "response"][0]["escalations"]] == ["warn", "overdue", "overdue_24h"]'
json '[l for l in d["limits"] if l["kind"] == "plan"][0]["escalations"] == []'
run 0 "" show "$N1" --json --at 2026-10-02T12:00+08:00
json '[x["level"] for x in [l for l in d["limits"] if l["kind"] == "response"][0]["escalations"]] == ["warn"]'
run 0 "" show "$N1" --lang en
out_has "escalated overdue_24h 2026-10-03T12:00:00+08:00 -> prod_mgr"
# Containment set and intake signed: those limits are met, nothing more for them.
at '2026-10-03 05:00:00' as wang 0 set "$N1" validity=valid containment="库存隔离 3 批"
at '2026-10-03 06:00:00' as wang 0 sign "$N1" --meaning reviewed
# Oct 20: plan and closure past every level; the warn goes to the editors of analysis now.
at '2026-10-20 01:00:00' run 0 "" escalate --json
json 'sorted((x["limit"], x["level"]) for x in d) == [("closure", "overdue"), ("closure", "overdue_24h"), ("closure", "warn"), ("plan", "overdue"), ("plan", "overdue_24h"), ("plan", "warn")]'
json 'all(x["to"] == ["qe", "qe_lead"] and x["stage"] == "analysis" for x in d if x["level"] == "warn")'
[[ $(escalations | grep -o "'warn'" | wc -l) == 4 ]] || fail "four warnings in all"
[[ $(run 0 "" log --json; jget 'len([e for e in d if e["action"] == "escalate"])') == 12 ]] ||
    fail "12 escalations: 4 limits x 3 levels, each once"
run 0 "" verify
run 0 "" list --overdue --at 2026-10-20 --json
json '[x["limit"] for x in d] == ["plan", "closure"] or [x["limit"] for x in d] == ["closure", "plan"]'

# -- a severity change: major closes in 168 h, so the closure is overdue 3 days sooner --------
at '2026-10-12 01:00:00' as li 0 open customer="华南电器" part_no=PCB-1001 defect_code=SCRATCH \
    severity=general channel=phone complaint_type=quality description="外壳划伤"
out_is "$N2"
at '2026-10-19 02:00:00' run 0 "" escalate --json
json '("closure", "overdue") not in [(x["limit"], x["level"]) for x in d if x["number"] == "'$N2'"]'
at '2026-10-19 03:00:00' as li 0 set "$N2" severity=major --reason "客户停线"
at '2026-10-19 04:00:00' run 0 "" escalate --json
# The warning (80 % of 168 h: Oct 17 23:24) and the due time have both passed.
json 'sorted((x["limit"], x["level"], x["due"]) for x in d) == [("closure", "overdue", "2026-10-19T09:00:00+08:00"), ("closure", "warn", "2026-10-19T09:00:00+08:00")]'
run 0 "" verify

# -- only the OS owner of the store -----------------------------------------------------------
if command -v setpriv >/dev/null && [[ $(id -u) == 0 ]]; then
    snapshot other
    chmod 755 "$T" "$CAPA_DB"
    set +e
    FAKE='2026-12-30 00:00:00' setpriv --reuid=65534 --regid=65534 --clear-groups "$CAPA_AT" \
        --db "$CAPA_DB" escalate >"$T/out" 2>"$T/err"
    rc=$?
    set -e
    ((rc == 1)) || fail "another OS user: escalate exit $rc"
    grep -qE "only the operating-system user that owns|Permission denied|permission" "$T/err" ||
        fail "escalate by another OS user: $(cat "$T/err")"
    chmod 700 "$CAPA_DB"
    unchanged other
fi

# -- bad input changes nothing ----------------------------------------------------------------
snapshot bad
at '2026-12-30 00:00:00' run 2 "" escalate --notify http://127.0.0.1:9/x
err_has "--notify URL and --notify-format wecom|dingtalk|json go together"
at '2026-12-30 00:00:00' run 2 "" escalate --notify http://127.0.0.1:9/x --notify-format slack
err_has "--notify-format must be one of wecom, dingtalk, json, not 'slack'"
at '2026-12-30 00:00:00' run 2 "" escalate --notify file:///etc/passwd --notify-format json
err_has "must be an http:// or https:// URL"
at '2026-12-30 00:00:00' run 2 "" escalate --notify http://127.0.0.1:9/x --notify-format json \
    --notify-timeout 0
err_has "--notify-timeout '0'"
at '2026-12-30 00:00:00' run 2 "" escalate now
unchanged bad
echo "escalate: ok"
