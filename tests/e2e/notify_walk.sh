#!/usr/bin/env bash
# notify_walk.sh - notices at every hand-over (issue 18) through the real binary: a complaint
# walked through all six stages (with one send-back) tells the people who must fill or sign
# each stage, the people it names for a stage (the action owners at rework) and its
# first-contact owner, each once, through a WeCom robot (mentions by
# mobile), a signed DingTalk robot (timestamp + HMAC sign, @mobile) and SMTP (plain and HTML
# with a link); users' choices hold; targets and contacts are audited events whose secrets
# never print; verify rebuilds every notice; a wrongly signed robot is refused (310000) and
# holds up no other target.
source "$(dirname "$0")/common.bash"
TOOLS=$(dirname "$0")/../tools
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; [[ -n ${KEEP:-} ]] || rm -rf -- "$T"' EXIT
# robot KIND NAME PLAN [SECRET]: start a loopback robot; sets PORT.
robot() {
    "$PY" "$TOOLS/robot_receiver.py" "$1" "$T/$2.port" "$T/$2.log" "$3" "${4:-}" 120 &
    PIDS+=($!)
    for _ in $(seq 100); do [[ -s $T/$2.port ]] && break; sleep 0.1; done
    [[ -s $T/$2.port ]] || fail "robot $2 did not start"
    PORT=$(cat "$T/$2.port")
}
# The interpreter itself (not a wrapper that forks it), so the trap's kill ends it;
# python3-aiosmtpd is Debian's: the system python3 has it when the one on PATH does not.
PY=$(python3 -c 'import sys; print(sys.executable)')
SMTP_PY=$PY
"$PY" -c 'import aiosmtpd' 2>/dev/null || SMTP_PY=/usr/bin/python3
smtp() {
    "$SMTP_PY" "$TOOLS/smtp_receiver.py" "$T/$1.port" "$T/$1.log" "$2" 120 &
    PIDS+=($!)
    for _ in $(seq 100); do [[ -s $T/$1.port ]] && break; sleep 0.1; done
    [[ -s $T/$1.port ]] || fail "smtp $1 did not start"
    PORT=$(cat "$T/$1.port")
}
# got NAME EXPR: a Python expression over what receiver NAME logged (list r) must hold.
got() {
    python3 -c '
import json, os, sys
p = sys.argv[1]
r = [json.loads(l) for l in open(p, encoding="utf-8")] if os.path.exists(p) else []
b = [json.loads(x["body"]) for x in r if "body" in x]
sys.exit(0 if eval(sys.argv[2]) else 1)' "$T/$1.log" "$2" || fail "receiver $1: $2"
}

setup_users
N=QC-$Y-0001
# Contacts: the user themself or an admin; each is an audited event.
as wang 0 user set wang --mobile 13800000002 --email wang@plant.example
out_has "wang: mobile 13800000002, e-mail wang@plant.example, notices: stage returned handover closed owner"
as admin 0 user set chen --mobile +8613800000003 --email chen@plant.example
as admin 0 user set li --mobile 13800000001 --email li@plant.example
as admin 0 user set sun --mobile 13800000005
# zhao wants only send-backs and closings: no "stage" notices.
as zhao 0 user set zhao --mobile 13800000004 --email zhao@plant.example --notify returned,closed
out_has "notices: returned closed"
# Refused, with field, value and rule; nothing written.
snapshot before
as li 1 user set wang --mobile 13900000000
err_has "only admin or the user themself may"
as admin 1 user set wang --mobile 12ab
err_has "field \`mobile\`: value '12ab': must be 5 to 20 digits"
as admin 1 user set wang --email "x@y.example>, evil@z.example"
err_has "field \`email\`: value 'x@y.example>, evil@z.example': must be a plain address"
as admin 1 user set wang --notify stage,everything
err_has "'everything' is not a kind of notice"
as admin 1 user set nobody --mobile 13900000000
err_has "no such user"
unchanged before

# Targets: a WeCom robot, a signed DingTalk robot, an SMTP server (admin only).
robot wecom wecom ok
WECOM="http://127.0.0.1:$PORT/cgi-bin/webhook/send?key=wecom-key-0001"
robot dingtalk ding ok ding-secret-0001
DING="http://127.0.0.1:$PORT/robot/send?access_token=ding-token-0001"
smtp mail ok
MAILPORT=$PORT
as wang 1 config notify add w --wecom "$WECOM"
err_has "only admin may"
as admin 1 config notify add w --wecom "ftp://x"
err_has "must be an http:// or https:// URL"
as admin 1 config notify add m --smtp "smtp://127.0.0.1:$MAILPORT"
err_has "--smtp needs --from ADDRESS"
as admin 1 config notify add w --wecom "$WECOM" --secret s
err_has "only a DingTalk robot signs"
as admin 0 config notify add wecom --wecom "$WECOM"
as admin 0 config notify add ding --dingtalk "$DING" --secret ding-secret-0001
as admin 0 config notify add mail --smtp "smtp://127.0.0.1:$MAILPORT" --from capa@plant.example \
    --link https://capa.plant.example
as admin 1 config notify add ding --dingtalk "$DING"
err_has "target \`ding\` exists"
run 0 "" config notify list
out_has "ding             dingtalk  http://127.0.0.1:"
out_has "(signed 加签)"
run 0 "" config notify list --json
json 'sorted(x["name"] for x in d) == ["ding", "mail", "wecom"]'
# Secrets never print: not in the list, not in the trail.
run 0 "" log --json
LOG=$OUT
for secret in wecom-key-0001 ding-token-0001 ding-secret-0001; do
    grep -qF "$secret" <<<"$LOG" && fail "$secret in the audit trail"
    "$CAPA" config notify list --json | grep -qF "$secret" && fail "$secret in the list"
done
json '[e["action"] for e in d].count("notify_target") == 3 and [e["action"] for e in d].count("user_set") == 5'

# -- the walk ---------------------------------------------------------------------------
as li 0 open customer="华东汽车" part_no=PCB-7731 defect_code=SOLDER-BRIDGE severity=important \
    channel=written complaint_type=quality description="焊点连锡"
as wang 0 set "$N" validity=valid containment="库存隔离 3 批"
as wang 0 sign "$N" --meaning reviewed
as wang 0 set "$N" five_why.1.why="为何连锡" five_why.1.because="钢网开口偏大" category_6m=method \
    root_cause_occurrence="钢网开口偏大" root_cause_escape="AOI 未覆盖"
as chen 0 sign "$N" --meaning reviewed
as wang 0 set "$N" corrective_actions.1.action="钢网开口缩小" corrective_actions.1.owner=sun \
    corrective_actions.1.due=2026-12-05 "${D7_OK[@]}"
as zhao 0 reject "$N" --reason "缺少预防措施"
as chen 0 sign "$N" --meaning reviewed
as wang 0 set "$N" preventive_actions.1.action="更新规范" preventive_actions.1.owner=wang \
    preventive_actions.1.due=2026-12-20 "${D7_OK[@]}"
as zhao 0 sign "$N" --meaning approved
as sun 0 set "$N" disposition=rework rework_mode=in_house rework_order=RW-1 qty_reworked=1 \
    qty_scrapped=0 qty_received=1
as sun 0 sign "$N" --meaning done
as wang 0 set "$N" method="复检" sample_size=200 result=pass evidence="0 不良"
as wang 0 sign "$N" --meaning verified
as wang 0 set "$N" customer_reply="已回复" follow_up_date=2026-12-28 follow_up_by=wang \
    satisfaction=satisfied lessons_learned="评审" documents_updated="WI-1"
as chen 0 sign "$N" --meaning closed

# Who is told of what: (kind, stage entered, [(user, why)]) per hand-over, in order. The actor
# is never told of their own act; zhao chose no "stage" notices; li (who logged the case) is
# its owner, told at every hand-over and at closing; the owners of the approved actions (sun,
# wang: the rework stage's tell in forms/workflow.xml) are told when the plan reaches rework.
WANT='[
 ("stage", "intake", [("wang", "sign")]),
 ("stage", "analysis", [("chen", "sign"), ("li", "owner")]),
 ("stage", "action", [("sun", "fill"), ("wang", "fill"), ("li", "owner")]),
 ("returned", "analysis", [("chen", "sign"), ("wang", "fill"), ("li", "owner")]),
 ("stage", "action", [("sun", "fill"), ("wang", "fill"), ("li", "owner")]),
 ("stage", "rework", [("sun", "sign,named"), ("wang", "named"), ("li", "owner")]),
 ("stage", "verification", [("chen", "fill"), ("wang", "sign"), ("li", "owner")]),
 ("stage", "archive", [("chen", "sign"), ("li", "owner")]),
 ("closed", "closed", [("li", "owner")])]'
run 0 "" notices --pending --json
json 'len(d) == 27 and sorted(set(x["target"] for x in d)) == ["ding", "mail", "wecom"]'
json '[(x["kind"], x["stage"], [(p["user"], p["why"]) for p in x["to"]]) for x in d if x["target"] == "ding"] == '"$WANT"
json 'all(x["number"] == "'$N'" for x in d)'
json '[x["reason"] for x in d if x["target"] == "ding"][3] == "缺少预防措施"'
run 0 "" notices --user li --json
json 'len(d) == 8 and d[0]["kind"] == "closed" and all(x["pending"] for x in d)'
run 0 "" notices --user zhao --json
json '[x["kind"] for x in d] == ["returned"] or d == []' # zhao acted on the send-back himself
run 0 "" notices --user zhou --json
json 'd == []'
run 0 "" verify

# -- delivery ----------------------------------------------------------------------------
run 0 "" deliver --json
json 'd == {"messages": 27, "digests": 0, "delivered": 27, "waiting": 0, "failed_targets": 0}'
MOB='{"wang": "13800000002", "chen": "+8613800000003", "li": "13800000001", "sun": "13800000005"}'
got wecom 'len(r) == 9 and all(x["errcode"] == 0 for x in r)'
got wecom 'all(x["msgtype"] == "text" for x in b)'
got wecom '[x["text"]["mentioned_mobile_list"] for x in b] == [[m[u] for u, _ in p if u in m] for _, _, p in '"$WANT"'] if (m := '"$MOB"') else 0'
got wecom 'all("'$N'" in x["text"]["content"] for x in b) and "被退回「analysis」" in b[3]["text"]["content"] and "缺少预防措施" in b[3]["text"]["content"]'
got wecom '"已结案 / closed" in b[8]["text"]["content"]'
# DingTalk: every request signed (the receiver answers 310000 otherwise), @mobile in the text.
got ding 'len(r) == 9 and all(x["errcode"] == 0 and x["timestamp"] for x in r)'
got ding '[x["at"]["atMobiles"] for x in b] == [[m[u] for u, _ in p if u in m] for _, _, p in '"$WANT"'] if (m := '"$MOB"') else 0'
got ding 'all(all("@" + mb in x["text"]["content"] for mb in x["at"]["atMobiles"]) for x in b)'
got ding 'all(x["at"]["isAtAll"] is False for x in b)'
# SMTP: one mail per hand-over to the people concerned who have an address.
MAILS='{"wang": "wang@plant.example", "chen": "chen@plant.example", "li": "li@plant.example"}'
got mail 'len(r) == 9 and all(x["from"] == "capa@plant.example" for x in r)'
got mail '[sorted(x["rcpt"]) for x in r] == [sorted(m[u] for u, _ in p if u in m) for _, _, p in '"$WANT"'] if (m := '"$MAILS"') else 0'
got mail 'all("multipart/alternative" in x["parts"] and x["plain"] and x["html"] for x in r)'
got mail 'all("https://capa.plant.example/cases/'$N'" in x["plain"] and "<a href=\"https://capa.plant.example/cases/'$N'\">" in x["html"] for x in r)'
got mail 'r[3]["subject"].startswith("[CAPA] '$N' 被退回") and "缺少预防措施" in r[3]["html"]'
run 0 "" notices --pending --json
json 'd == []'
run 0 "" notices --user li --json
json 'len(d) == 8 and not any(x["pending"] for x in d)'
run 0 "" log --json
json '[e["action"] for e in d].count("deliver") == 3 and sum(len([k for k in e.get("facts", {}) if k.startswith("sent:")]) for e in d) == 27'
# Nothing is sent twice.
run 0 "" deliver --json
json 'd["messages"] == 0 and d["waiting"] == 0'
got wecom 'len(r) == 9'
got mail 'len(r) == 9'
run 0 "" verify

# -- a robot whose secret is wrong: refused (310000), stays; the others are not held up ----
as admin 0 config notify remove wecom
as admin 0 config notify add wrong --dingtalk "$DING" --secret not-the-secret
N2=QC-$Y-0002
as li 0 open customer="华东汽车" part_no=PCB-7731 defect_code=SOLDER severity=general \
    channel=written complaint_type=quality description="二"
run 1 "" deliver
err_has "target wrong: not delivered: refused: errcode 310000 sign not match"
err_has "target ding (dingtalk): 1 of 1 notice(s) delivered"
err_has "target mail (smtp): 1 of 1 notice(s) delivered"
run 0 "" notices --pending --json
json 'len(d) == 1 and d[0]["target"] == "wrong" and d[0]["number"] == "'$N2'"'
got ding 'len(r) == 11 and sorted(x["errcode"] for x in r[9:]) == [0, 310000]'
# Removing the target drops what waited for it (derived: verify agrees).
as admin 0 config notify remove wrong
run 0 "" notices --pending --json
json 'd == []'
run 0 "" verify

# -- tampering: the derived records are checked; a swapped robot URL is never used ---------
TAMPER=${CAPA_BUILD:?CAPA_BUILD must name the build directory (ctest sets it)}/tests/faults/capa-tamper
as li 0 open customer="华东汽车" part_no=PCB-7731 defect_code=SOLDER severity=general \
    channel=written complaint_type=quality description="三"
run 0 "" notices --pending --json
SEQ=$(jget 'd[0]["event"]')
cp -a "$CAPA_DB" "$T/copy"
"$TAMPER" "$T/copy" pending-del "$SEQ" mail || fail "capa-tamper pending-del"
CAPA_DB=$T/copy run 1 "" verify
err_has "notice_outbox"
rm -rf "$T/copy" && cp -a "$CAPA_DB" "$T/copy"
"$TAMPER" "$T/copy" contact wang 13999999999 || fail "capa-tamper contact"
CAPA_DB=$T/copy run 1 "" verify
err_has "contacts"
# Someone with file access points the robot at their own address: refused by its digest.
robot dingtalk evil ok
"$TAMPER" "$CAPA_DB" secret ding "http://127.0.0.1:$PORT/robot/send?access_token=evil" ||
    fail "capa-tamper secret"
run 1 "" deliver
err_has "target ding: not delivered: notify target \`ding\`: the URL and secret kept are not those its event"
got evil 'len(r) == 0'
run 0 "" notices --pending --json
json '[x["target"] for x in d] == ["ding"]'
echo "notify_walk: ok"
