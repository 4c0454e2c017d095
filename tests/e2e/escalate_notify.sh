#!/usr/bin/env bash
# escalate_notify.sh - `capa escalate --notify` against a real loopback receiver
# (tests/tools/notify_receiver.py): WeCom, DingTalk and plain JSON bodies; a receiver that
# fails first (HTTP 500), refuses (errcode), times out or is not there at all leaves the
# notice in the outbox, and the next run posts it - the escalation event never lost, never
# recorded twice, each notice delivered once; verify covers the outbox.
source "$(dirname "$0")/common.bash"
RECEIVER=$(dirname "$0")/../tools/notify_receiver.py
TAMPER=${CAPA_BUILD:?CAPA_BUILD must name the build directory (ctest sets it)}/tests/faults/capa-tamper

PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf -- "$T"' EXIT
# receiver NAME PLAN: start one; sets URL (and the log $T/NAME.log).
receiver() {
    rm -f "$T/$1.port" "$T/$1.log"
    python3 "$RECEIVER" "$T/$1.port" "$T/$1.log" "$2" 90 &
    PIDS+=($!)
    for _ in $(seq 100); do [[ -s $T/$1.port ]] && break; sleep 0.1; done
    [[ -s $T/$1.port ]] || fail "receiver $1 did not start"
    URL="http://127.0.0.1:$(cat "$T/$1.port")/cgi-bin/webhook/send?key=test-key"
}
# posts NAME EXPR: a Python expression over the receiver's requests (list r) must hold.
posts() {
    python3 -c '
import json, sys
r = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")] if __import__("os").path.exists(sys.argv[1]) else []
sys.exit(0 if eval(sys.argv[2]) else 1)' "$T/$1.log" "$2" || fail "receiver $1: $2"
}
outbox() {
    run 0 "" log --json
    jget 'len([e for e in d if e["action"] == "escalate" and "notify" in e.get("facts", {})]) - sum(len([k for k in e.get("facts", {}) if k.startswith("notice:")]) for e in d if e["action"] == "deliver")'
}

N1=QC-2026-0001 N2=QC-2026-0002
at '2026-09-29 01:00:00' setup_users --timezone Asia/Shanghai
at '2026-09-30 01:00:00' as li 0 open customer="华东汽车" part_no=PCB-7731 defect_code=SOLDER \
    severity=important channel=written complaint_type=quality description="焊点连锡"

# -- WeCom: the first post fails (500), the second is taken ---------------------------------
receiver wecom fail,ok
at '2026-09-30 20:12:00' run 1 "" escalate --notify "$URL" --notify-format wecom
out_has "$N1  response  warn"
out_has "$N1  containment  warn"
err_has "not delivered: HTTP status 500; it stays in the outbox for the next run"
err_has "1 notice(s) delivered, 1 in the outbox"
posts wecom 'len(r) == 2 and [x["status"] for x in r] == [500, 200]'
posts wecom 'all(x["path"] == "/cgi-bin/webhook/send?key=test-key" for x in r)'
posts wecom 'all(x["content_type"].startswith("application/json") for x in r)'
posts wecom 'all(json.loads(x["body"])["msgtype"] == "markdown" and set(json.loads(x["body"])["markdown"]) == {"content"} for x in r)'
posts wecom 'all("'$N1'" in json.loads(x["body"])["markdown"]["content"] and "预警 / warning" in json.loads(x["body"])["markdown"]["content"] for x in r)'
posts wecom 'all("2026-10-01T09:00:00+08:00" in json.loads(x["body"])["markdown"]["content"] and "li (李娜)" in json.loads(x["body"])["markdown"]["content"] for x in r)'
[[ $(outbox) == 1 ]] || fail "one notice waits in the outbox"
run 0 "" verify
# The next run records nothing new and posts the one left; the one after posts nothing.
at '2026-09-30 20:30:00' run 0 "" escalate --notify "$URL" --notify-format wecom
[[ -z $OUT ]] || fail "no new escalation on the retry"
err_has "1 notice(s) delivered, 0 in the outbox"
posts wecom 'len(r) == 3 and r[2]["status"] == 200 and r[2]["body"] == r[0]["body"]'
posts wecom 'sorted(json.loads(x["body"])["markdown"]["content"] for x in r[1:]) == sorted(set(json.loads(x["body"])["markdown"]["content"] for x in r))'
[[ $(outbox) == 0 ]] || fail "outbox empty after the retry"
at '2026-09-30 20:40:00' run 0 "" escalate --notify "$URL" --notify-format wecom
posts wecom 'len(r) == 3'
run 0 "" log --json
json 'len([e for e in d if e["action"] == "escalate"]) == 2 and len([e for e in d if e["action"] == "deliver"]) == 2'
run 0 "" verify

# -- nobody listening: refused connection; the escalations are recorded all the same ---------
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
at '2026-10-01 01:00:00' run 1 "" escalate --notify "http://127.0.0.1:$PORT/hook" --notify-format dingtalk
out_has "$N1  response  overdue"
out_has "$N1  containment  overdue"
err_has "not delivered: "
err_has "0 notice(s) delivered, 2 in the outbox"
[[ $(outbox) == 2 ]] || fail "two notices wait"
run 0 "" verify
# The outbox is derived from the events: a notice removed behind capa's back is found.
cp -a "$CAPA_DB" "$T/copy"
run 0 "" log --json
SEQ=$(jget '[e["seq"] for e in d if e["action"] == "escalate"][-1]')
# -- DingTalk, a refusal first (200 with errcode), then accepted -------------------------------
receiver ding refuse,ok
at '2026-10-01 01:10:00' run 1 "" escalate --notify "$URL" --notify-format dingtalk
err_has "not delivered: refused: errcode 93000 invalid webhook url"
err_has "1 notice(s) delivered, 1 in the outbox"
at '2026-10-01 01:20:00' run 0 "" escalate --notify "$URL" --notify-format dingtalk
posts ding 'len(r) == 3 and [x["status"] for x in r] == [200, 200, 200] and r[0]["plan"] == "refuse"'
posts ding 'all(json.loads(x["body"])["msgtype"] == "markdown" and json.loads(x["body"])["markdown"]["title"] == "'$N1'" for x in r)'
posts ding 'all("逾期告警 / overdue" in json.loads(x["body"])["markdown"]["text"] and "chen (陈主管)" in json.loads(x["body"])["markdown"]["text"] for x in r)'
posts ding 'sorted(json.loads(x["body"])["markdown"]["text"] for x in r[1:]) == sorted(set(json.loads(x["body"])["markdown"]["text"] for x in r))'
[[ $(outbox) == 0 ]] || fail "outbox empty"

# -- plain JSON; a receiver too slow for --notify-timeout --------------------------------------
receiver plain slow,ok
at '2026-10-02 02:00:00' run 1 "" escalate --notify "$URL" --notify-format json --notify-timeout 1
out_has "overdue_24h"
err_has "1 notice(s) delivered, 1 in the outbox"
at '2026-10-02 02:10:00' run 0 "" escalate --notify "$URL" --notify-format json
posts plain 'len(r) == 3 and r[0]["plan"] == "slow"'
posts plain 'all(set(json.loads(x["body"])) == {"event", "number", "stage", "limit", "level", "due", "reached", "recorded", "to", "users"} for x in r)'
posts plain 'all(json.loads(x["body"])["level"] == "overdue_24h" and json.loads(x["body"])["to"] == ["prod_mgr"] for x in r)'
posts plain 'sorted(json.loads(x["body"])["event"] for x in r[1:]) == sorted(set(json.loads(x["body"])["event"] for x in r))'
[[ $(outbox) == 0 ]] || fail "outbox empty"
run 0 "" verify
run 0 "" log --json
json 'len([e for e in d if e["action"] == "escalate"]) == 6'


# -- two runs at once (a timer and a person): each notice posted once ----------------------
receiver both ok
for i in 1 2; do
    FAKE='2026-10-08 02:00:00' "$CAPA_AT" escalate --notify "$URL" --notify-format json \
        >"$T/both$i.out" 2>"$T/both$i.err" &
    PIDS+=($!)
done
wait "${PIDS[-1]}" "${PIDS[-2]}" || fail "concurrent runs: $(cat "$T"/both*.err)"
[[ $(cat "$T/both1.out" "$T/both2.out" | wc -l) == 2 ]] || fail "plan and closure warned once"
posts both 'len(r) == 2 and sorted(json.loads(x["body"])["limit"] for x in r) == ["closure", "plan"]'
[[ $(outbox) == 0 ]] || fail "outbox empty"
run 0 "" verify

# -- hostile answers: a redirect is not followed (not delivered), 2 MB of junk with 200 is ----
receiver odd redirect,huge
at '2026-10-10 02:00:00' run 1 "" escalate --notify "$URL" --notify-format wecom
out_has "$N1  plan  overdue"
out_has "$N1  closure  overdue"
err_has "not delivered: HTTP status 302"
err_has "1 notice(s) delivered, 1 in the outbox"
at '2026-10-10 02:10:00' run 0 "" escalate --notify "$URL" --notify-format wecom
posts odd 'len(r) == 3 and [x["status"] for x in r] == [302, 200, 200]'
[[ $(outbox) == 0 ]] || fail "outbox empty"

# -- without --notify, a queued notice waits (and verify names a tampered outbox) -------------
export CAPA_DB=$T/copy
run 0 "" verify
at '2026-10-01 01:05:00' run 0 "" escalate
err_has "2 notice(s) wait in the outbox (run with --notify URL --notify-format F to post them)"
"$TAMPER" "$CAPA_DB" outbox-del "$SEQ" 2>"$T/tamper.err" || fail "capa-tamper: $(cat "$T/tamper.err")"
run 1 "" verify
err_has "outbox: notice of escalation event $SEQ: missing (queued by the event, never delivered: it would not be sent)"
echo "escalate_notify: ok"
