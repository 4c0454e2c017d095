#!/usr/bin/env bash
# serve_list.sh - lists that scale: the case list sorts by any column (?sort=col, -col; the
# column headers link to it), shows 100 rows a page with the total (?page=), keeps its
# filters in every sort and page link; the JSON API takes sort, limit and offset and gives the
# total in X-Total-Count; ?view=board shows the open cases as cards in a column per stage.
# 230 cases opened through the API.
source "$(dirname "$0")/common.bash"
source "$(dirname "$0")/serve.bash"

serve_init_users
serve_start --idle-timeout 10
KEY=$(token li)
# 230 cases: customers C-000..C-229 in reverse of their numbers, severities in turn
B=$B KEY=$KEY python3 - <<'PY' || fail "opening the cases"
import http.client, json, os, urllib.parse
u = urllib.parse.urlparse(os.environ["B"])
c = http.client.HTTPConnection(u.hostname, u.port)
sev = ["general", "important", "major"]
for i in range(230):
    body = json.dumps({"fields": {"customer": "C-%03d" % (229 - i), "part_no": "P-%d" % (i % 2),
                                  "description": "d%d" % i, "severity": sev[i % 3]}})
    c.request("POST", "/api/v1/cases", body, {"Authorization": "Bearer " + os.environ["KEY"],
                                              "Content-Type": "application/json"})
    r = c.getresponse(); r.read()
    if r.status != 201:
        raise SystemExit("open %d: %d" % (i, r.status))
PY
login li "$T/li.jar"
rows() { grep -o 'href="/cases/[A-Z]*-[0-9]*-[0-9]*"' "$T/$1" | sed 's|.*/cases/||; s|"||'; }
custs() { grep -o '<td>C-[0-9]*</td>' "$T/$1" | sed 's|<td>||; s|</td>||'; }

# ---- the page: 100 rows, the total, links to the next page; numbers ascending by default
req l1 -b "$T/li.jar" "$B/cases?lang=en"; want 200 l1
has l1 '<strong class="total">230</strong>'; has l1 '1–100'; has l1 '1 / 3'
[[ $(rows l1 | wc -l) == 100 ]] || fail "page 1: $(rows l1 | wc -l) rows, want 100"
[[ $(rows l1 | head -1) < $(rows l1 | tail -1) ]] || fail "not in number order"
has l1 'href="/cases?sort=number&amp;page=2"'
req l3 -b "$T/li.jar" "$B/cases?page=3"; want 200 l3; has l3 '201–230'
[[ $(rows l3 | wc -l) == 30 ]] || fail "page 3: $(rows l3 | wc -l) rows, want 30"
# ---- sort by customer, both ways; the header links to the reverse
req s1 -b "$T/li.jar" "$B/cases?sort=customer"; want 200 s1
[[ $(custs s1 | head -1) == C-000 && $(custs s1 | sed -n 100p) == C-099 ]] || fail "sort=customer: $(custs s1 | head -2)"
has s1 'aria-sort="ascending"'; has s1 'href="/cases?sort=-customer"'
req s2 -b "$T/li.jar" "$B/cases?sort=-customer&page=2"; want 200 s2
[[ $(custs s2 | head -1) == C-129 ]] || fail "sort=-customer page 2: $(custs s2 | head -1)"
# ---- severity sorts in the form's order (general, important, major), not alphabetically
req s3 -b "$T/li.jar" "$B/cases?sort=-severity&lang=en"; want 200 s3
python3 -c "import sys,re; t=open(sys.argv[1]).read().split('<tbody>')[1]; sys.exit(re.findall('Major|Important|General', t)[0] != 'Major')" "$T/s3" || fail "-severity: Major first"
# ---- filters kept in the sort and page links
req f1 -b "$T/li.jar" "$B/cases?part=P-1&sort=opened"; want 200 f1
has f1 '<strong class="total">115</strong>'; has f1 'href="/cases?part=P-1&amp;sort=-opened"'
has f1 'href="/cases?part=P-1&amp;sort=opened&amp;page=2"'
req bad -b "$T/li.jar" "$B/cases?sort=colour"; want 400 bad; has bad 'colour'
req badp -b "$T/li.jar" "$B/cases?page=0"; want 400 badp
# ---- the board by stage: a column per stage, the filtered open cases as cards
has f1 'href="/cases?part=P-1&amp;sort=opened&amp;view=board"'
req b1 -b "$T/li.jar" "$B/cases?part=P-1&view=board&lang=en"; want 200 b1
python3 - "$T/b1" <<'PY' || fail "board: $(grep -o '<section class="board-col">.\{0,200\}' "$T/b1" | head -2)"
import re, sys
t = open(sys.argv[1]).read()
cols = re.findall(r'<section class="board-col"><h2 class="h6">(.*?) <span class="badge[^>]*>(\d+)</span>(.*?)</section>', t)
names = [c[0] for c in cols]
assert names[:2] == ["Quality complaint intake", "Root cause analysis"], names
assert cols[0][1] == "115" and cols[0][2].count('class="card board-card') == 100, cols[0][1]
assert all(c[1] == "0" for c in cols[1:]), [c[1] for c in cols]
PY
lacks b1 'class="pagination'; has b1 'name="view" value="board"'; lacks b1 '1–100'
# ---- the API: limit, offset, sort, total
api() { local n=$1 m=$2 p=$3; shift 3; req "$n" -X "$m" -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' "$@" "$B/api/v1$p"; }
api a1 GET "/cases?sort=-customer&limit=5&offset=10"; want 200 a1
grep -qi '^X-Total-Count: 230' "$T/a1.h" || fail "no total: $(cat "$T/a1.h")"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert [c["customer"] for c in d]==["C-219","C-218","C-217","C-216","C-215"], d' "$T/a1" ||
    fail "API sort/limit/offset"
api a2 GET "/cases?part=P-0"; want 200 a2
grep -qi '^X-Total-Count: 115' "$T/a2.h" || fail "filtered total"
python3 -c 'import json,sys; assert len(json.load(open(sys.argv[1])))==100' "$T/a2" || fail "default limit 100"
api a3 GET "/cases?limit=0"; want 400 a3
api a4 GET "/cases?sort=nope"; want 400 a4; has a4 'nope'
# the total in the body too, with envelope=true (the bare array stays the default)
api a5 GET "/cases?sort=-customer&limit=5&offset=10&envelope=true"; want 200 a5
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert (d["total"], d["offset"], d["limit"]) == (230, 10, 5) and [c["customer"] for c in d["cases"]]==["C-219","C-218","C-217","C-216","C-215"], d' "$T/a5" ||
    fail "envelope: $(head -c 300 "$T/a5")"
api a6 GET "/cases?part=P-0&envelope=true"; want 200 a6
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["total"]==115 and len(d["cases"])==100 and d["limit"]==100' "$T/a6" || fail "envelope default limit"
api a7 GET "/cases?envelope=maybe"; want 400 a7; has a7 'envelope'
echo "serve_list: ok"
