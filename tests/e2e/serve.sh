#!/usr/bin/env bash
# serve.sh - capa serve end to end: a real capa-serve on a free port (port 0, read back from
# its log), driven with curl: sign-in, expiry, CSRF, the list and its CSV, new complaint with
# field errors and kept values, the case page, editing, the signing dialog with a wrong and a
# right password, rejection, dossier, the JSON API with its error statuses, and hostile,
# malformed and oversized input. Stopped with SIGTERM at the end (and checked it stopped).
source "$(dirname "$0")/common.bash"
source "$(dirname "$0")/serve.bash"

run 0 "$(pw admin)" init --org 'Serve 测试' --password-stdin
adduser() { run 0 "$(pw admin)\n$(pw "$1")\n" user add "$1" --role "$2" --name "$3" --as admin --password-stdin; }
adduser li intake 李娜
adduser wang qe 王伟
adduser chen qe_lead 陈静
adduser zhou auditor 周审

# The main server allows 10 minutes of inactivity (a slow sanitizer run must not log the
# test users out half-way); the expiry is tested on a second one allowing 2 s.
serve_start --idle-timeout 10 --max-body 65536

# ---- static files, headers, unknown paths
req css "$B/static/style.css"; want 200 css; has css.h 'text/css'
req js "$B/static/app.js"; want 200 js; has js.h "Content-Security-Policy: default-src 'none'; script-src 'self'"
req trav "$B/static/../../etc/passwd"; [[ $S == 404 || $S == 303 ]] || fail "traversal: $S"
req trav2 "$B/static/%2e%2e%2fetc%2fpasswd"; want 404 trav2
req nope "$B/nope"; want 404 nope

# ---- sign-in
req cases0 "$B/cases"; want 303 cases0; has cases0.h 'Location: /login'
login_page "$T/ghost.jar"
req bad -b "$T/ghost.jar" -d "csrf=$LT&user=ghost&password=wrong" "$B/login"; want 401 bad; has bad 'wrong user or password'
login li "$T/li.jar"
has login.h 'HttpOnly; SameSite=Strict'
req list -b "$T/li.jar" "$B/cases"; want 200 list; has list '案件'

# ---- new complaint: field errors next to fields, entered values kept
req new -b "$T/li.jar" "$B/cases/new"; want 200 new
TOK=$(csrf new); [[ -n $TOK ]] || fail "no csrf token"
req nocsrf -b "$T/li.jar" --data-urlencode 'f.customer=ACME' "$B/cases/new"; want 403 nocsrf
req badcsrf -b "$T/li.jar" -d "csrf=00$TOK" "$B/cases/new"; want 403 badcsrf
req ferr -b "$T/li.jar" -d "csrf=$TOK" --data-urlencode 'f.customer=<script>alert(1)</script>' \
    --data-urlencode 'f.qty_affected=abc' --data-urlencode 'f.severity=major' "$B/cases/new"
want 400 ferr
has ferr 'is not an integer'
has ferr 'value="&lt;script&gt;alert(1)&lt;/script&gt;"'
lacks ferr '<script>alert'
has ferr '<option value="major" selected>'
# hostile values: the engine refuses bidi/controls; markup is stored and escaped
req open -b "$T/li.jar" -d "csrf=$TOK" \
    --data-urlencode 'f.customer="><img src=x onerror=alert(1)>' --data-urlencode 'f.part_no=P-1' \
    --data-urlencode 'f.description=javascript:alert(1)
line two' --data-urlencode 'f.severity=important' --data-urlencode 'f.qty_affected=5' "$B/cases/new"
want 303 open
N=$(sed -n 's|^Location: /cases/\([^[:space:]]*\).*|\1|p' "$T/open.h")
[[ $N == QC-$Y-0001 ]] || fail "case number $N"
req bidi -b "$T/li.jar" -d "csrf=$TOK" --data-urlencode $'f.customer=evil\u202etxt' \
    --data-urlencode 'f.part_no=P' --data-urlencode 'f.description=d' --data-urlencode 'f.severity=major' "$B/cases/new"
want 400 bidi; has bidi 'bidi'

# ---- case page: values escaped, actions only as the roles allow
req case -b "$T/li.jar" "$B/cases/$N"; want 200 case
has case '"&gt;&lt;img src=x onerror=alert(1)&gt;'  # text: < > & escaped (a quote needs none)
lacks case '<img src=x'
has case '/edit'
lacks case "/cases/$N/sign\""
has case 'Audit trail'

# ---- list filters and CSV (formula cells defused)
req l2 -b "$T/li.jar" "$B/cases?status=open&part=P-1"; want 200 l2; has l2 "$N"
req l3 -b "$T/li.jar" "$B/cases?part=none"; want 200 l3; lacks l3 "$N"
req ls1 -b "$T/li.jar" "$B/cases?severity=important"; want 200 ls1; has ls1 "$N"; has ls1 '<option value="important" selected>'
req ls2 -b "$T/li.jar" "$B/cases?severity=major"; want 200 ls2; lacks ls2 "$N"
req ls3 -b "$T/li.jar" "$B/cases?severity=%3Cscript%3E"; want 400 ls3; has ls3 'not one of'; lacks ls3 '<script>'
req ls4 -b "$T/li.jar" "$B/cases.csv?severity=major"; want 200 ls4; lacks ls4 "$N"
req l4 -b "$T/li.jar" "$B/cases?from=2026-02-30"; want 400 l4
req l5 -b "$T/li.jar" "$B/cases?text=%zz"; want 400 l5
req csv -b "$T/li.jar" "$B/cases.csv?status=open"; want 200 csv; has csv.h 'text/csv'; has csv "$N"

# ---- edit the current stage (qe), then the signing dialog
login wang "$T/wang.jar"
req e1 -b "$T/wang.jar" "$B/cases/$N/edit"; want 200 e1; TOK=$(csrf e1)
has e1 'textarea name="f.containment"'
req e2 -b "$T/wang.jar" -d "csrf=$TOK" --data-urlencode 'f.validity=valid' \
    --data-urlencode 'f.containment=隔离库存' --data-urlencode 'f.responsible_dept=生产部' "$B/cases/$N/edit"
[[ $S == 303 ]] || { cat "$T/e2"; fail "edit: $S"; }
req d1 -b "$T/wang.jar" "$B/cases/$N/sign"; want 200 d1
has d1 'Reviewed'; has d1 '审核'; has d1 "$N"
TOK=$(csrf d1); SEEN=$(grep -o 'name="seen" value="[0-9a-f]*"' "$T/d1" | sed 's/.*value="\(.*\)"/\1/')
req s1 -b "$T/wang.jar" -d "csrf=$TOK&seen=$SEEN&meaning=reviewed&password=wrong" "$B/cases/$N/sign"
want 401 s1; has s1 'wrong password'
# right after a wrong password, the next attempt waits (429, Retry-After), unchecked
req s1b -b "$T/wang.jar" -d "csrf=$TOK&seen=$SEEN&meaning=reviewed" --data-urlencode "password=$(pw wang | tr -d '\n')" "$B/cases/$N/sign"
want 429 s1b; has s1b.h 'Retry-After: 1'; has s1b "Too many password attempts"
sleep 1.2
# the data changes after the dialog was shown: the engine refuses the sign-off, nothing signed
req e3 -b "$T/wang.jar" -d "csrf=$TOK" --data-urlencode 'f.containment=全数隔离' "$B/cases/$N/edit"; want 303 e3
req s2 -b "$T/wang.jar" -d "csrf=$TOK&seen=$SEEN&meaning=reviewed" --data-urlencode "password=$(pw wang | tr -d '\n')" "$B/cases/$N/sign"
want 409 s2; has s2 'changed since it was shown'; has s2 '全数隔离'
SEEN2=$(grep -o 'name="seen" value="[0-9a-f]*"' "$T/s2" | head -1 | sed 's/.*value="\(.*\)"/\1/')
[[ ${#SEEN2} == 64 && $SEEN2 != "$SEEN" ]] || fail "dialog shows no new data hash: '$SEEN2'"
req s2b -b "$T/wang.jar" -d "csrf=$TOK&meaning=reviewed" --data-urlencode "password=$(pw wang | tr -d '\n')" "$B/cases/$N/sign"
want 400 s2b; has s2b 'open the signing dialog again'; has s2b '请重新打开签核页面'
run 0 "" show "$N" --json
json 'd["stage"] == "intake" and not d["signatures"]'
req s3 -b "$T/wang.jar" -d "csrf=$TOK&seen=$SEEN2&meaning=reviewed" --data-urlencode "password=$(pw wang | tr -d '\n')" "$B/cases/$N/sign"
[[ $S == 303 ]] || { cat "$T/s3"; fail "sign: $S"; }
run 0 "" show "$N" --json
json 'd["stage"] == "analysis"'
json "d['signatures'][0]['data_hash'] == '$SEEN2'"

# ---- auditor: read-only page, dossier
login zhou "$T/zhou.jar"
req a1 -b "$T/zhou.jar" "$B/cases/$N"; want 200 a1; lacks a1 '/edit"'; lacks a1 "/cases/$N/sign\""
req pdf -b "$T/zhou.jar" "$B/cases/$N/dossier.pdf"; want 200 pdf; has pdf.h 'application/pdf'
head -c 5 "$T/pdf" | grep -q '%PDF-' || fail "dossier is not a PDF"
req a2 -b "$T/zhou.jar" -d "csrf=$(csrf a1)&f.x=1" "$B/cases/$N/edit"; [[ $S != 303 ]] || fail "auditor could edit"

# ---- JSON API
api() { local n=$1 m=$2 p=$3; shift 3; req "$n" -X "$m" -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' "$@" "$B/api/v1$p"; }
req t0 -H 'Content-Type: application/json' -d '{"user":"zhou","password":"nope"}' "$B/api/v1/session"; want 401 t0
req t1 -H 'Content-Type: application/json' -d "{\"user\":\"chen\",\"password\":\"$(pw chen | tr -d '\n')\"}" "$B/api/v1/session"; want 200 t1
KEY=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["token"])' "$T/t1")
req noauth "$B/api/v1/cases"; want 401 noauth
api al GET "/cases?stage=analysis"; want 200 al; has al "$N"
api ag GET "/cases/$N"; want 200 ag; has ag '"signatures"'
api a404 GET "/cases/QC-1999-0404"; want 404 a404
api mal PATCH "/cases/$N" -d '{"fields": {"why1": '; want 400 mal; has mal '"malformed"'
api dup PATCH "/cases/$N" -d '{"fields": {}, "fields": {}}'; want 400 dup
api nonstr PATCH "/cases/$N" -d '{"fields": {"a": 1}}'; want 400 nonstr
api nul PATCH "/cases/$N" -d '{"fields": {"a": "x\u0000y"}}'; want 400 nul; has nul 'NUL'
api deep PATCH "/cases/$N" -d "$(python3 -c 'print("["*5000 + "]"*5000)')"; want 400 deep
api big PATCH "/cases/$N" -d "{\"fields\": {\"a\": \"$(head -c 100000 /dev/zero | tr '\0' x)\"}}"; want 413 big
api inval PATCH "/cases/$N" -d '{"fields": {"category_6m": "weather"}}'; want 400 inval
has inval '"field": "category_6m"'
api deny POST "/cases/$N/sign" -d "{\"meaning\":\"reviewed\",\"password\":\"$(pw chen | tr -d '\n')\"}"; want 400 deny
api nopw POST "/cases/$N/sign" -d '{"meaning":"reviewed"}'; want 400 nopw
api wrongpw POST "/cases/$N/reject" -d '{"reason":"x","password":"wrong"}'; want 401 wrongpw
api badhash POST "/cases/$N/reject" -d '{"reason":"x","password":"p","data_hash":"abc"}'; want 400 badhash
has badhash 'data_hash'
api new POST "/cases" -d '{"fields": {"customer": "API", "part_no": "A-1", "description": "via api", "severity": "general"}}'
want 403 new   # qe_lead is not an editor of intake
# the workflow of a new case: a known one is taken (qe_lead edits no scar request either),
# an unknown or malformed one is refused naming it
api wfscar POST "/cases" -d '{"workflow": "scar", "fields": {"supplier": "API", "part_no": "A-1", "description": "x", "severity": "general"}}'
want 403 wfscar
api wfbad POST "/cases" -d '{"workflow": "nope", "fields": {"customer": "API"}}'; want 400 wfbad
has wfbad "'nope' is not a workflow of this store"
api wfnum POST "/cases" -d '{"workflow": 5, "fields": {}}'; want 400 wfnum; has wfnum 'must be a workflow id'
api wfset PATCH "/cases/$N" -d '{"workflow": "scar", "fields": {}}'; want 400 wfset
api out DELETE /session; want 200 out
api after GET /cases; want 401 after

# ---- expiry after inactivity: a second server that allows 2 s
"$SERVE" --db "$CAPA_DB" --listen 127.0.0.1:0 --idle-timeout 2s 2>"$T/serve2.log" &
PID2=$!
for _ in $(seq 100); do grep -q 'listening on' "$T/serve2.log" && break; sleep 0.1; done
MAIN_B=$B
B=http://127.0.0.1:$(sed -n 's|.*listening on http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$T/serve2.log")
login li "$T/li2.jar"
req exp0 -b "$T/li2.jar" "$B/cases"; want 200 exp0
sleep 3
req exp -b "$T/li2.jar" "$B/cases"; want 303 exp; has exp.h 'Location: /login'
kill -TERM "$PID2"; wait "$PID2" || fail "second capa-serve exit status $?"
B=$MAIN_B

# ---- logout needs the CSRF token
login li "$T/li.jar"
req lo0 -b "$T/li.jar" -X POST "$B/logout"; want 403 lo0
req lo1 -b "$T/li.jar" "$B/cases"; want 200 lo1
req lo2 -b "$T/li.jar" -d "csrf=$(csrf lo1)" "$B/logout"; want 303 lo2
req lo3 -b "$T/li.jar" "$B/cases"; want 303 lo3

# ---- hostile requests: huge header, many parameters, bad escapes
req hh -H "X-Big: $(head -c 100000 /dev/zero | tr '\0' a)" "$B/login"; [[ $S == 431 || $S == 413 || $S == 400 || $S == 000 ]] || fail "huge header: $S"
req many --data-binary "$(python3 -c 'print("&".join("a%d=1" % i for i in range(5000)))')" "$B/login"; want 400 many
req esc -d 'user=%G1&password=x' "$B/login"; want 400 esc
req nul -d 'user=a%00b&password=x' "$B/login"; want 400 nul
req body -d "user=$(head -c 70000 /dev/zero | tr '\0' a)" "$B/login"; want 413 body

# ---- one log line per request, without query values; the server is still fine
grep -q "GET /cases?... 200" "$LOG" || fail "no log line for GET /cases"
! grep -q 'status=open' "$LOG" || fail "query values in the log"
req alive "$B/login"; want 200 alive

# ---- clean stop on SIGTERM; the store still verifies (sessions skipped)
kill -TERM "$PID"; wait "$PID" || fail "capa-serve exit status $?"
grep -q 'capa serve: stopped' "$LOG" || fail "no clean stop"
run 0 "" verify
err_has "skipped volatile_sessions"
echo "serve: ok"
