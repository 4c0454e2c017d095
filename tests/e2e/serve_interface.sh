#!/usr/bin/env bash
# serve_interface.sh - one interface, one behaviour: the JSON API takes a choice by its label
# (中文 or English) as the command line does, for a new case and for a stage's fields; a
# method a known path does not take is 405 with an Allow header naming those it does, in the
# API and in the pages; capa-serve takes its options in any order.
source "$(dirname "$0")/common.bash"
source "$(dirname "$0")/serve.bash"

serve_init_users

# ---- option order: --listen before --db, with no CAPA_DB to fall back on
env -u CAPA_DB "$SERVE" --listen 127.0.0.1:0 --db "$CAPA_DB" 2>"$T/order.log" &
OPID=$!
for _ in $(seq 50); do grep -q 'listening on' "$T/order.log" && break; sleep 0.1; done
grep -q 'listening on' "$T/order.log" || { cat "$T/order.log"; fail "--listen before --db: did not start"; }
kill -TERM "$OPID"; wait "$OPID" || true
"$SERVE" --db "$CAPA_DB" --listen 2>"$T/noval.log" && fail "--listen without a value started"
grep -q -- '--listen needs a value' "$T/noval.log" || fail "no message for --listen without a value"

serve_start --idle-timeout 10
api() { local n=$1 m=$2 p=$3; shift 3; req "$n" -X "$m" -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' "$@" "$B/api/v1$p"; }
KEY=$(token li)

# ---- choice labels in the API, as `capa open severity=重要`
api zh POST /cases -d '{"fields": {"customer": "API", "part_no": "L-1", "description": "by label", "severity": "重要"}}'
want 201 zh
N=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["number"])' "$T/zh")
api en POST /cases -d '{"fields": {"customer": "API", "part_no": "L-2", "description": "by label", "severity": " important "}}'
want 201 en
N2=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["number"])' "$T/en")
run 0 "" show "$N" --json
grep -q '"important"' "$T/out" || fail "the label 重要 was not stored as its code"
run 0 "" show "$N2" --json
grep -q '"important"' "$T/out" || fail "the label Important was not stored as its code"
# a value that is neither code nor label is still refused by the engine, naming the field
api bad POST /cases -d '{"fields": {"customer": "API", "part_no": "L-3", "description": "x", "severity": "urgent"}}'
want 400 bad; has bad '"field": "severity"'
# a stage's fields: the label of the validity choice in PATCH (the case's current stage form)
api v PATCH "/cases/$N" -d '{"fields": {"validity": "有效"}}'; want 200 v
run 0 "" show "$N" --json
grep -q '"valid"' "$T/out" || fail "the label 有效 was not stored as its code"

# ---- 405 with Allow on known paths; 404 on unknown ones
api m1 DELETE /cases; want 405 m1; grep -qi '^Allow: GET, POST' "$T/m1.h" || fail "m1: no Allow"
api m2 POST "/cases/$N"; want 405 m2; grep -qi '^Allow: GET, PATCH' "$T/m2.h" || fail "m2: no Allow"
api m3 GET "/cases/$N/sign"; want 405 m3; grep -qi '^Allow: POST' "$T/m3.h" || fail "m3: no Allow"
api m4 POST "/cases/$N/audit"; want 405 m4; grep -qi '^Allow: GET' "$T/m4.h" || fail "m4: no Allow"
api m5 GET /session; want 405 m5; grep -qi '^Allow: POST, DELETE' "$T/m5.h" || fail "m5: no Allow"
api m6 GET "/cases/$N/nope"; want 404 m6
login li "$T/li.jar"
req p1 -X DELETE -b "$T/li.jar" "$B/cases/$N"; want 405 p1; grep -qi '^Allow: GET, HEAD' "$T/p1.h" || fail "p1: no Allow"
req p2 -X PUT -b "$T/li.jar" "$B/cases"; want 405 p2; grep -qi '^Allow: GET, HEAD' "$T/p2.h" || fail "p2: no Allow"
req p3 -b "$T/li.jar" "$B/logout"; want 405 p3; grep -qi '^Allow: POST' "$T/p3.h" || fail "p3: no Allow"
req p4 -b "$T/li.jar" "$B/cases/$N/reject"; want 405 p4; grep -qi '^Allow: POST' "$T/p4.h" || fail "p4: no Allow"
req p5 -X PUT "$B/login"; want 405 p5; grep -qi '^Allow: GET, HEAD, POST' "$T/p5.h" || fail "p5: no Allow"
req p6 -b "$T/li.jar" "$B/cases/$N/nope"; want 404 p6
echo "serve_interface: ok"
