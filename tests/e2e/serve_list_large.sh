#!/usr/bin/env bash
# serve_list_large.sh - a list past 9 999 cases of a year: numbers sort as they were issued
# (QC-Y-9999 before QC-Y-10000, not as text), the page and the API cut one page from the whole
# (first, middle, last, past the end, an offset of 2^40), the total always right; `capa list`
# lists them in number order, read on several threads. 10 030 cases from bench-serve-setup.
source "$(dirname "$0")/common.bash"
source "$(dirname "$0")/serve.bash"

SETUP=${CAPA_BUILD:?ctest sets CAPA_BUILD}/tools/bench/bench-serve-setup
[[ -x $SETUP ]] || fail "no $SETUP"
"$SETUP" "$CAPA_DB" 10030 >/dev/null || fail "bench-serve-setup"
serve_start
KEY=$(curl -s -H 'Content-Type: application/json' \
    -d '{"user":"li","password":"bench-password"}' "$B/api/v1/session" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
api() { local n=$1 p=$2; req "$n" -H "Authorization: Bearer $KEY" "$B/api/v1$p"; want 200 "$n"; }
nums() { python3 -c 'import json,sys; print(" ".join(c["number"] for c in json.load(open(sys.argv[1]))))' "$T/$1"; }
total() { sed -n 's/^X-Total-Count: *\([0-9]*\).*/\1/Ip' "$T/$1.h" | tr -d '\r'; }
Q=QC-$Y

# ---- newest first: the numbers' values, not their text (QC-Y-9999 sorts after QC-Y-10030)
api d1 "/cases?sort=-number&limit=3"
[[ $(nums d1) == "$Q-10030 $Q-10029 $Q-10028" ]] || fail "sort=-number: $(nums d1)"
[[ $(total d1) == 10030 ]] || fail "total $(total d1)"
# ---- across 9 999 -> 10 000, both ways
api a1 "/cases?limit=3&offset=9997"
[[ $(nums a1) == "$Q-9998 $Q-9999 $Q-10000" ]] || fail "offset 9997: $(nums a1)"
api a2 "/cases?sort=-number&limit=2&offset=30"
[[ $(nums a2) == "$Q-10000 $Q-9999" ]] || fail "-number offset 30: $(nums a2)"
# ---- the last rows, past the end, far past it: the total stays
api a3 "/cases?limit=1000&offset=10025"
[[ $(nums a3) == "$Q-10026 $Q-10027 $Q-10028 $Q-10029 $Q-10030" ]] || fail "the end: $(nums a3)"
api a4 "/cases?offset=10030"; [[ $(nums a4) == "" && $(total a4) == 10030 ]] || fail "past the end"
api a5 "/cases?offset=1099511627776&sort=-customer"
[[ $(nums a5) == "" && $(total a5) == 10030 ]] || fail "2^40"
# ---- a column with ties everywhere (one customer): ties in number order, both ways
api c1 "/cases?sort=customer&limit=2&offset=9998"
[[ $(nums c1) == "$Q-9999 $Q-10000" ]] || fail "sort=customer: $(nums c1)"
api c2 "/cases?sort=-customer&limit=2"
[[ $(nums c2) == "$Q-10030 $Q-10029" ]] || fail "sort=-customer: $(nums c2)"
# ---- the page: 100 rows a page, page 101 the last 30, a page past the end shows the last
lt=$(curl -s -c "$T/jar" "$B/login" | grep -o 'name="csrf" value="[0-9a-f]*"' | sed 's/.*value="\(.*\)"/\1/')
req login -c "$T/jar" -b "$T/jar" -d "csrf=$lt&user=li&password=bench-password" "$B/login"
want 303 login
rows() { grep -o 'href="/cases/QC-[0-9]*-[0-9]*"' "$T/$1" | sed 's|.*/cases/||; s|"||'; }
req p1 -b "$T/jar" "$B/cases?page=100"; want 200 p1
[[ $(rows p1 | head -1) == "$Q-9901" && $(rows p1 | tail -1) == "$Q-10000" ]] ||
    fail "page 100: $(rows p1 | head -1) .. $(rows p1 | tail -1)"
has p1 '<strong class="total">10030</strong>'
req p2 -b "$T/jar" "$B/cases?page=999"; want 200 p2
[[ $(rows p2 | wc -l) == 30 && $(rows p2 | tail -1) == "$Q-10030" ]] || fail "page 999: $(rows p2 | wc -l) rows"
has p2 '10001–10030'
req b1 -b "$T/jar" "$B/cases?view=board&sort=-number"; want 200 b1
[[ $(rows b1 | head -1) == "$Q-10030" && $(rows b1 | wc -l) == 100 ]] || fail "board: $(rows b1 | head -1)"
# ---- capa list: every case, in number order (the engine's), the same on every thread count
run 0 "" list
[[ $(wc -l <<<"$OUT") == 10032 ]] || fail "capa list: $(wc -l <<<"$OUT") lines"
[[ $(sed -n 3p <<<"$OUT" | cut -d' ' -f1) == "$Q-0001" && $(tail -1 <<<"$OUT" | cut -d' ' -f1) == "$Q-10030" ]] ||
    fail "capa list order: $(sed -n 3p <<<"$OUT" | cut -c1-20) .. $(tail -1 <<<"$OUT" | cut -c1-20)"
run 0 "" list --json
python3 -c '
import json, sys
n = [c["number"] for c in json.loads(sys.stdin.read())]
assert len(n) == 10030 and n == ["%s-%04d" % (sys.argv[1], i) for i in range(1, 10031)], n[:3]
' "$Q" <<<"$OUT" || fail "capa list --json"
echo "serve_list_large: ok"
