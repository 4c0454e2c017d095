#!/usr/bin/env bash
# serve_starve.sh - one client cannot starve the server (issue 16, defect 7): 200 connections
# from 127.0.0.2 that trickle a header line every half second (never finishing the header,
# opening again when closed) while a client on 127.0.0.1 keeps getting pages, each within a
# second. The server holds at most --max-per-address connections of one address and closes
# a connection whose request header is not complete within --header-timeout seconds, however
# much it trickles. (Before: 64 trickling connections locked every other client out.)
source "$(dirname "$0")/common.bash"
source "$(dirname "$0")/serve.bash"
run 0 "$(pw admin)" init --org 'Starve' --password-stdin
serve_start ${STARVE_ARGS---header-timeout 3}

python3 "$(dirname "$0")/trickle.py" 127.0.0.2 "$PORT" 200 12 0.5 >"$T/trickle.json" &
TP=$!
sleep 2 # let the trickler fill its connections
n=0 worst=0
while kill -0 "$TP" 2>/dev/null; do
    r=$(curl -s -o /dev/null --max-time 5 -w '%{http_code} %{time_total}' "$B/login" || true)
    n=$((n + 1))
    code=${r%% *} t=${r##* }
    [[ $code == 200 ]] || fail "request $n from 127.0.0.1 during the trickle: status '$code' after ${t}s"
    awk -v t="$t" 'BEGIN { exit !(t < 1.0) }' || fail "request $n from 127.0.0.1 took ${t}s (want < 1 s)"
    worst=$(awk -v a="$worst" -v b="$t" 'BEGIN { print (b > a ? b : a) }')
    sleep 0.2
done
wait "$TP" || fail "trickler failed"
cat "$T/trickle.json"
(( n >= 10 )) || fail "only $n requests during the trickle"
python3 - "$T/trickle.json" <<'PY' || fail "trickled connections were not cut"
import json, sys
d = json.load(open(sys.argv[1]))
# the header deadline (3 s, checked every 0.2 s) closes every trickling connection in time
ok = d["closed_by_server"] > 0 and d["longest_closed"] < 4.5 and d["oldest_open"] < 4.5
sys.exit(0 if ok else 1)
PY
grep -q '127.0.0.2: no complete request header within 3 s' "$LOG" || fail "no log line for a cut connection"
req after "$B/login"; want 200 after
echo "ok $TEST: $n pages served during the trickle, the slowest in ${worst}s"
