#!/usr/bin/env bash
# serve_touch.sh - a session's touch (its last use written, at most every 1/10 of the idle
# limit) is a durable write: capa-serve makes it on a worker thread, never on the polling
# thread that reads requests for many connections (a case page and the API's case GET are
# served on that thread otherwise). The I/O shim of the fault tests names the thread of every
# write to the store; a session used only for case pages, past the idle limit, stays alive
# (it is touched), and none of those writes is a polling thread's ("MHD-worker").
source "$(dirname "$0")/common.bash"
source "$(dirname "$0")/serve.bash"

SETUP=${CAPA_BUILD:?ctest sets CAPA_BUILD}/tools/bench/bench-serve-setup
IOFAIL=$CAPA_BUILD/tests/faults/libiofail.so
[[ -x $SETUP && -f $IOFAIL ]] || fail "needs $SETUP and $IOFAIL"
"$SETUP" "$CAPA_DB" 3 >/dev/null || fail "bench-serve-setup"
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
: >"$T/threads"
IOFAIL_MATCH=data.mdb IOFAIL_THREADS=$T/threads LD_PRELOAD=$IOFAIL serve_start --idle-timeout 3s
# the polling threads are libmicrohttpd's, by that name (else the check below proves nothing)
grep -qx 'MHD-worker' /proc/"$PID"/task/*/comm || fail "no thread named MHD-worker"

lt=$(curl -s -c "$T/jar" "$B/login" | grep -o 'name="csrf" value="[0-9a-f]*"' | sed 's/.*value="\(.*\)"/\1/')
req login -c "$T/jar" -b "$T/jar" -d "csrf=$lt&user=li&password=bench-password" "$B/login"
want 303 login
KEY=$(curl -s -H 'Content-Type: application/json' \
    -d '{"user":"li","password":"bench-password"}' "$B/api/v1/session" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
signed_in=$(wc -l <"$T/threads")
((signed_in > 0)) || fail "the shim saw no write of the two sign-ins"
# 4.5 s of case pages and API case GETs only, 0.5 s apart: longer than the idle limit (3 s),
# so each session lives on only because it is touched (every 0.3 s at most)
for i in $(seq 9); do
    sleep 0.5
    req page$i -b "$T/jar" "$B/cases/QC-$Y-0001"; want 200 page$i
    req api$i -H "Authorization: Bearer $KEY" "$B/api/v1/cases/QC-$Y-0001"; want 200 api$i
done
touched=$(($(wc -l <"$T/threads") - signed_in))
((touched >= 4)) || fail "the sessions were touched by $touched writes only"
if grep -qx 'MHD-worker' "$T/threads"; then
    sort "$T/threads" | uniq -c >&2
    fail "a polling thread wrote to the store ($(grep -cx 'MHD-worker' "$T/threads") of $(wc -l <"$T/threads") writes)"
fi
echo "serve_touch: ok ($touched writes touching the sessions, none on a polling thread)"
