#!/usr/bin/env bash
# notify_deliver.sh - `capa deliver` and capa-serve's background delivery (issue 18): 50
# hand-overs at once to a signed DingTalk robot go as 19 messages and one digest naming the
# other 31 cases (never more than 20 in any minute; what does not fit waits for the next
# minute); a WeCom robot that fails, then recovers, gets every notice after its back-off
# (30 s, then 60 s), and its failures never hold up the DingTalk robot; capa-serve delivers
# while it runs. Time is moved with faketime (the clock standing at given moments), not waited
# for.
source "$(dirname "$0")/common.bash"
source "$(dirname "$0")/serve.bash"
TOOLS=$(dirname "$0")/../tools
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    serve_stop
    rm -rf -- "$T"
}
PY=$(python3 -c 'import sys; print(sys.executable)')
SMTP_PY=$PY
"$PY" -c 'import aiosmtpd' 2>/dev/null || SMTP_PY=/usr/bin/python3
robot() {
    "$PY" "$TOOLS/robot_receiver.py" "$1" "$T/$2.port" "$T/$2.log" "$3" "${4:-}" 300 &
    PIDS+=($!)
    for _ in $(seq 100); do [[ -s $T/$2.port ]] && break; sleep 0.1; done
    [[ -s $T/$2.port ]] || fail "robot $2 did not start"
    PORT=$(cat "$T/$2.port")
}
got() {
    python3 -c '
import json, os, re, sys
p = sys.argv[1]
r = [json.loads(l) for l in open(p, encoding="utf-8")] if os.path.exists(p) else []
ok = [x for x in r if x.get("errcode") == 0]
text = lambda x: json.loads(x["body"])["text"]["content"]
cases = lambda xs: set(n for x in xs for n in re.findall(r"QC-\d{4}-\d{4}", text(x)))
sys.exit(0 if eval(sys.argv[2]) else 1)' "$T/$1.log" "$2" || fail "receiver $1: $2"
}
# open_cases N: N hand-overs at once through the JSON API (no password per request).
open_cases() {
    rm -f "$T/serve.log" # serve_start must not read the previous server's port from it
    serve_start --deliver-every 0
    trap cleanup EXIT
    KEY=$(token li)
    B=$B KEY=$KEY N=$1 python3 - <<'PY' || fail "opening the cases"
import http.client, json, os, urllib.parse
u = urllib.parse.urlparse(os.environ["B"])
c = http.client.HTTPConnection(u.hostname, u.port)
for i in range(int(os.environ["N"])):
    body = json.dumps({"fields": {"customer": "C-%d" % i, "part_no": "P-1", "description": "d",
                                  "severity": "general"}})
    c.request("POST", "/api/v1/cases", body, {"Authorization": "Bearer " + os.environ["KEY"],
                                              "Content-Type": "application/json"})
    r = c.getresponse(); r.read()
    if r.status != 201:
        raise SystemExit("open %d: %d" % (i, r.status))
PY
    serve_stop
}

serve_init_users
as admin 0 user set wang --mobile 13800000002
robot dingtalk ding ok ding-secret
as admin 0 config notify add ding --dingtalk "http://127.0.0.1:$PORT/robot/send?access_token=t" \
    --secret ding-secret
robot wecom flaky fail,fail,ok
as admin 0 config notify add flaky --wecom "http://127.0.0.1:$PORT/cgi-bin/webhook/send?key=k"
trap cleanup EXIT

# -- 50 hand-overs at once ---------------------------------------------------------------
open_cases 50
run 0 "" notices --pending --json
json 'len(d) == 100'
at '2026-12-08 10:00:00' run 1 "" deliver --json
json 'd == {"messages": 20, "digests": 1, "delivered": 50, "waiting": 50, "failed_targets": 1}'
err_has "target ding: rate limit 20 a minute: 31 notice(s) sent as one digest"
err_has "target flaky: not delivered: HTTP status 500; 50 notice(s) stay"
got ding 'len(r) == 20 and len(ok) == 20'
got ding 'all(len(cases([x])) == 1 for x in r[:19]) and len(cases([r[19]])) == 31'
got ding 'len(cases(r)) == 50 and "31 more notices (at most 20 a minute)" in text(r[19])'
got ding 'all(json.loads(x["body"])["at"]["atMobiles"] == ["13800000002"] for x in r)'
got ding 'text(r[19]).rstrip().endswith("@13800000002")'
got flaky 'len(r) == 1'

# -- what does not fit in the minute waits; a failed target waits for its back-off --------
open_cases 5
at '2026-12-08 10:00:10' run 0 "" deliver --json
json 'd["messages"] == 0 and d["waiting"] == 55 + 5'
err_has "target ding: 20 messages in the last minute; 5 notice(s) wait"
err_has "target flaky: 55 notice(s) wait; after 1 failure(s) it is tried again at"
got flaky 'len(r) == 1'
at '2026-12-08 10:00:40' run 1 "" deliver
err_has "target ding: 20 messages in the last minute; 5 notice(s) wait"
err_has "target flaky: not delivered: HTTP status 500"
got flaky 'len(r) == 2'
at '2026-12-08 10:01:10' run 0 "" deliver --json
json 'd["messages"] == 5 and d["delivered"] == 5 and d["waiting"] == 55'
err_has "target flaky: 55 notice(s) wait; after 2 failure(s)"
got ding 'len(ok) == 25 and len(cases(ok)) == 55'
# Back: every notice it missed, within its own limit (19 and one digest of 36).
at '2026-12-08 10:01:50' run 0 "" deliver --json
json 'd == {"messages": 20, "digests": 1, "delivered": 55, "waiting": 0, "failed_targets": 0}'
got flaky 'len(r) == 22 and len(ok) == 20 and len(cases(ok)) == 55'
got flaky 'json.loads(r[-1]["body"])["text"]["mentioned_mobile_list"] == ["13800000002"]'
# Never more than 20 in any 60 s, by the robot's own timestamps.
got ding 'all(sum(1 for y in r if 0 <= int(y["timestamp"]) - int(x["timestamp"]) < 60000) <= 20 for x in r)'
run 0 "" log --json
json 'sum(len([k for k in e.get("facts", {}) if k.startswith("sent:")]) for e in d if e["action"] == "deliver") == 110'
run 0 "" verify

# -- capa-serve delivers while it runs ---------------------------------------------------
"$SMTP_PY" "$TOOLS/smtp_receiver.py" "$T/mail.port" "$T/mail.log" ok 300 &
PIDS+=($!)
for _ in $(seq 100); do [[ -s $T/mail.port ]] && break; sleep 0.1; done
as admin 0 user set wang --email wang@plant.example
as admin 0 config notify remove ding
as admin 0 config notify remove flaky
as admin 0 config notify add mail --smtp "smtp://127.0.0.1:$(cat "$T/mail.port")" \
    --from capa@plant.example
DOWN=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
as admin 0 config notify add down --wecom "http://127.0.0.1:$DOWN/cgi-bin/webhook/send?key=k"
rm -f "$T/serve.log"
serve_start --deliver-every 1
trap cleanup EXIT
KEY=$(token li)
req open -X POST -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
    -d '{"fields": {"customer": "C", "part_no": "P", "description": "d", "severity": "general"}}' \
    "$B/api/v1/cases"
want 201 open
for _ in $(seq 100); do [[ -s $T/mail.log ]] && break; sleep 0.1; done
[[ -s $T/mail.log ]] || fail "capa-serve delivered nothing: $(cat "$LOG")"
python3 -c 'import json,sys; r=[json.loads(l) for l in open(sys.argv[1])]; sys.exit(0 if len(r) == 1 and r[0]["rcpt"] == ["wang@plant.example"] and "QC-" in r[0]["subject"] else 1)' \
    "$T/mail.log" || fail "mail: $(cat "$T/mail.log")"
for _ in $(seq 50); do grep -q "target mail (smtp): 1 of 1" "$LOG" && break; sleep 0.1; done
grep -q "target mail (smtp): 1 of 1 notice(s) delivered" "$LOG" || fail "serve log: $(cat "$LOG")"
for _ in $(seq 50); do grep -q "target down: not delivered" "$LOG" && break; sleep 0.1; done
grep -q "target down: not delivered" "$LOG" || fail "serve log: $(cat "$LOG")"
# -- in the browser: what reached me; the outbox (admins) with the failed target, retry ------
login wang "$T/wang.jar"
req mine -b "$T/wang.jar" "$B/notices?lang=en"; want 200 mine
has mine 'What reached me'
has mine 'href="/cases/QC-'"$Y"'-0056"'
has mine 'href="/notices" aria-current="page"'
lacks mine 'href="/notices/outbox"'
req notmine -b "$T/wang.jar" "$B/notices/outbox"; want 403 notmine
login admin "$T/admin.jar"
req box -b "$T/admin.jar" "$B/notices/outbox?lang=en"; want 200 box
has box 'data-name="down"'
has box 'Failed × 1'
has box 'Retry now'
has box 'data-name="mail"'
lacks box 'key=k'
has box 'href="/cases/QC-'"$Y"'-0056"'
CS=$(csrf box)
req retry -b "$T/admin.jar" --data-urlencode "csrf=$CS" --data-urlencode "retry=down" "$B/notices/outbox"
want 303 retry
req nocsrf -b "$T/admin.jar" --data-urlencode "retry=down" "$B/notices/outbox"; want 403 nocsrf
req mine2 -b "$T/admin.jar" "$B/notices?lang=en"; want 200 mine2
has mine2 'href="/notices/outbox"'
serve_stop
run 0 "" notices --pending --json
json '[x["target"] for x in d] == ["down"]'
run 0 "" verify
echo "notify_deliver: ok"
