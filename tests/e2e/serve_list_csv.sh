#!/usr/bin/env bash
# serve_list_csv.sh - /cases.csv, the list's export, streamed by a real capa-serve: at 10 030
# cases its rows are the list's (as many as its total, the same numbers in the same order, by
# number and by other columns, with a filter), cells quoted as RFC 4180 with formulas
# defused; the server's peak memory grows no more for 10 030 rows than for 1 000 (the whole
# file was built in memory before); a client that stops reading and goes away mid-stream
# leaves the server serving, and the read snapshot the stream held is let go.
source "$(dirname "$0")/common.bash"
source "$(dirname "$0")/serve.bash"

SETUP=${CAPA_BUILD:?ctest sets CAPA_BUILD}/tools/bench/bench-serve-setup
[[ -x $SETUP ]] || fail "no $SETUP"
command -v mdb_stat >/dev/null || fail "needs mdb_stat (lmdb-utils)"

sign_in() { # the sign-in form, as a browser: cookie jar $T/jar
    local lt
    lt=$(curl -s -c "$T/jar" "$B/login" | grep -o 'name="csrf" value="[0-9a-f]*"' | sed 's/.*value="\(.*\)"/\1/')
    req login -c "$T/jar" -b "$T/jar" -d "csrf=$lt&user=li&password=bench-password" "$B/login"
    want 303 login
}
hwm() { awk '/^VmHWM/ {print $2}' "/proc/$PID/status"; }
# peak memory (kB) an export of the store adds: the peak after a list page, then after the CSV
export_peak() { # export_peak NAME QUERY
    req "$1.page" -b "$T/jar" "$B/cases"; want 200 "$1.page"
    local h0 h1
    h0=$(hwm)
    req "$1" -b "$T/jar" "$B/cases.csv$2"; want 200 "$1"
    h1=$(hwm)
    echo $((h1 - h0))
}

# ---- the peak an export adds, each on a server of its own: 1 000 cases, then 10 030
peak_on() { # peak_on NAME QUERY: on a fresh server of $CAPA_DB, into $T/NAME.kb
    # (in the sanitizer build: what is freed is used again at once, as without it)
    ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0:thread_local_quarantine_size_kb=0 \
        serve_start
    sign_in
    export_peak "$1" "$2" >"$T/$1.kb"
    serve_stop
    trap 'rm -rf -- "$T"' EXIT
}
DB_BIG=$CAPA_DB
"$SETUP" "$CAPA_DB.small" 1000 >/dev/null || fail "bench-serve-setup 1000"
CAPA_DB=$CAPA_DB.small
peak_on s1 ""; small_num=$(cat "$T/s1.kb")
peak_on s2 "?sort=customer"; small_cust=$(cat "$T/s2.kb")
[[ $(($(wc -l <"$T/s1") - 1)) == 1000 ]] || fail "1 000 cases: $(wc -l <"$T/s1") lines"
"$SETUP" "$DB_BIG" 10030 >/dev/null || fail "bench-serve-setup 10030"
CAPA_DB=$DB_BIG
peak_on b1 ""; big_num=$(cat "$T/b1.kb")
peak_on b2 "?sort=customer"; big_cust=$(cat "$T/b2.kb")
echo "peak memory an export adds: 1 000 rows $small_num kB by number, $small_cust kB by customer;" \
    "10 030 rows $big_num kB, $big_cust kB"
# A piece of a sorted export holds at most 2 x 1 000 rows a part of its scan: 1 000 cases fill
# less of it than 10 030 do, by ~0.2 MB here (rows twice that under the sanitizer's redzones).
lim=1024
grep -qa __asan_init "$SERVE" && lim=2048
((big_num - small_num < lim)) || fail "export by number: +$big_num kB at 10 030 rows, +$small_num kB at 1 000"
((big_cust - small_cust < lim)) || fail "export by customer: +$big_cust kB at 10 030 rows, +$small_cust kB at 1 000"
grep -q '^Transfer-Encoding: chunked' <(tr -d '\r' <"$T/b1.h") || fail "not streamed (no chunked transfer)"
serve_start
sign_in

# ---- the rows: the list's, as many as its total, in its order (the API's pages, 1 000 a page)
KEY=$(curl -s -H 'Content-Type: application/json' \
    -d '{"user":"li","password":"bench-password"}' "$B/api/v1/session" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
# a case whose cells need quoting: quotes, a comma, a line break, a formula
req open -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
    -d '{"fields": {"customer": "=HYPERLINK(\"x\")", "part_no": "P-1", "lot_no": "L2",
         "qty_affected": "3", "severity": "general", "description": "two\nlines, \"quoted\""}}' \
    "$B/api/v1/cases"
want 201 open
same_as_list() { # same_as_list NAME QUERY: the CSV of the query against the API's list
    req "$1" -b "$T/jar" "$B/cases.csv?$2"; want 200 "$1"
    for ((off = 0; ; off += 1000)); do
        req "$1.api.$off" -H "Authorization: Bearer $KEY" "$B/api/v1/cases?$2&limit=1000&offset=$off"
        want 200 "$1.api.$off"
        [[ $(cat "$T/$1.api.$off") == "[]" ]] && break
    done
    python3 - "$T/$1" "$T/$1".api.* <<'PY' || fail "$1 ($2): the CSV is not the list"
import csv, glob, json, re, sys
with open(sys.argv[1], newline="", encoding="utf-8") as f:
    rows = list(csv.reader(f))
head, rows = rows[0], rows[1:]
assert head[0] == "number" and head[-1] == "closed_at", head
pages = sorted((p for p in sys.argv[2:] if not p.endswith(".h")),
               key=lambda p: int(p.rsplit(".", 1)[1]))
api = [c["number"] for p in pages for c in json.load(open(p))]
total = int(re.search(r"X-Total-Count: *(\d+)", open(pages[0] + ".h").read(), re.I).group(1))
assert len(rows) == total == len(api), (len(rows), total, len(api))
assert [r[0] for r in rows] == api, "order"
assert all(len(r) == len(head) for r in rows), "a row of the wrong width"
print(sys.argv[1].rsplit("/", 1)[1], len(rows), "rows, as the list")
PY
}
same_as_list c1 ""
same_as_list c2 "sort=-number"
same_as_list c3 "sort=customer"
same_as_list c4 "sort=-opened&customer=%E5%8D%8E%E4%B8%9C%E6%B1%BD%E8%BD%A6"
python3 - "$T/c1" <<'PY' || fail "quoting"
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="", encoding="utf-8")))
r = [r for r in rows if r[4] == "P-1"]
assert len(r) == 1, len(r)
r = r[0]
assert r[3] == "'=HYPERLINK(\"x\")", r[3]  # a formula defused
assert r[8] == 'two\nlines, "quoted"', r
PY

# ---- a client that goes away mid-stream: by another column and a text filter, the export is
# still being sent when the client, having read its first bytes, resets the connection
reader_txn() { { mdb_stat -r "$CAPA_DB" || true; } | awk -v p="$PID" '$1 == p && $3 != "-" {n++} END {print n + 0}'; }
[[ $(reader_txn) == 0 ]] || fail "a read snapshot open before the export"
sess=$(awk '$6 == "capa_session" {print $7}' "$T/jar")
python3 - "$PORT" "$sess" "$T/slow" <<'PY' &
import os, socket, struct, sys, time
port, sess, at = int(sys.argv[1]), sys.argv[2], sys.argv[3]
s = socket.socket()
# a small window and small segments (loopback's are 64 KiB, and the server's send buffer
# grows with them): the export cannot all go into the sockets' buffers at once
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, 536)
s.connect(("127.0.0.1", port))
s.sendall(("GET /cases.csv?sort=customer&text=solder HTTP/1.1\r\nHost: x\r\n"
           "Cookie: capa_session=%s\r\n\r\n" % sess).encode())
got = b""
while b"\r\n\r\n" not in got or len(got.split(b"\r\n\r\n", 1)[1]) < 100:
    got += s.recv(4096)
assert b"200 OK" in got, got[:200]
open(at + ".ready", "w").close()
for _ in range(200):
    if os.path.exists(at + ".go"):
        break
    time.sleep(0.01)
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
s.close()  # a reset: gone
PY
SLOW=$!
for _ in $(seq 200); do [[ -e $T/slow.ready ]] && break; sleep 0.02; done
[[ -e $T/slow.ready ]] || fail "the client got no answer"
held=$(reader_txn)
touch "$T/slow.go"
wait "$SLOW" || fail "the client"
# A sorted export reads and sorts every row before the first goes out, then lets the snapshot
# go: a client reading slowly holds no pages of the store.
((held == 0)) || fail "a read snapshot held ($held) while a sorted export is sent"
for _ in $(seq 100); do [[ $(reader_txn) == 0 ]] && break; sleep 0.05; done
[[ $(reader_txn) == 0 ]] || fail "the read snapshot still held after the client went away"
for _ in $(seq 100); do grep -q 'GET /cases.csv?... 200 .*(aborted)' "$LOG" && break; sleep 0.05; done
grep -q 'GET /cases.csv?... 200 .*(aborted)' "$LOG" || { cat "$LOG" >&2; fail "the abort not in the log"; }
req after -b "$T/jar" "$B/cases.csv"; want 200 after
[[ $(wc -l <"$T/after") -ge 10032 ]] || fail "export after the abort: $(wc -l <"$T/after") lines"
kill -0 "$PID" || fail "the server is gone"
echo "serve_list_csv: ok"
