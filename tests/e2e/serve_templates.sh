#!/usr/bin/env bash
# serve_templates.sh - the pages of capa serve come from the XSLT templates, which escape by
# context so a page cannot forget: no template turns escaping off, pages.c writes no markup,
# and hostile values reach the pages escaped as text, as attributes and in URLs (also
# invalid UTF-8, which an XML view cannot hold). The layout: Bootstrap served by capa itself,
# the organisation and the signed-in user's printed name and role on every page, the menu
# offering New complaint only to a role that opens cases.
source "$(dirname "$0")/common.bash"
source "$(dirname "$0")/serve.bash"
TPL=$CAPA_SRC/tools/serve/templates

# ---- the templates: well-formed, never unescaped output, no markup left in pages.c
ls "$TPL"/*.xsl >/dev/null || fail "no templates"
for f in "$TPL"/*.xsl; do
    python3 -c 'import sys, xml.dom.minidom as m; m.parse(sys.argv[1])' "$f" || fail "$f: not well-formed"
done
! grep -l 'disable-output-escaping *=' "$TPL"/*.xsl || fail "a template turns escaping off"
! grep -n '"[^"]*<[a-z/!][^"]*"' "$CAPA_SRC/tools/serve/pages.c" | grep -v '^\s*[0-9]*:\s*\(/\*\|\*\)' ||
    fail "markup in pages.c (pages are templates)"

serve_init_users
serve_start --idle-timeout 10
login li "$T/li.jar"
login zhou "$T/zhou.jar"

# ---- Bootstrap and the layout
req bs "$B/static/bootstrap.min.css"; want 200 bs; has bs.h 'text/css'; has bs '--bs-'
lacks bs 'sourceMappingURL'
req d -b "$T/li.jar" "$B/?lang=en"; want 200 d
has d '/static/bootstrap.min.css'; has d 'Serve 测试'; has d '李娜'; has d 'Sales / customer service'
has d 'href="/cases/new"'
req dz -b "$T/zhou.jar" "$B/?lang=en"; want 200 dz; has dz '周审'; lacks dz 'href="/cases/new"'
req lg "$B/login"; want 200 lg; has lg 'Serve 测试'; has lg 'name="user"'; has lg 'name="password"'

# ---- text: markup in a stored value is shown as text
req new -b "$T/li.jar" "$B/cases/new"; want 200 new; TOK=$(csrf new)
req open -b "$T/li.jar" -d "csrf=$TOK" --data-urlencode "f.customer=<script>alert('t')</script> & Co" \
    --data-urlencode 'f.part_no=P-1' --data-urlencode 'f.description=d' \
    --data-urlencode 'f.severity=major' "$B/cases/new"
want 303 open
N=$(sed -n 's|^Location: /cases/\([^[:space:]]*\).*|\1|p' "$T/open.h")
for page in "/cases/$N" "/cases" "/"; do
    req p -b "$T/li.jar" "$B$page"; want 200 p
    has p "&lt;script&gt;alert('t')&lt;/script&gt; &amp; Co"; lacks p '<script>alert'
done

# ---- attributes: a refused form keeps the typed value, escaped inside its attribute
req ferr -b "$T/li.jar" -d "csrf=$TOK" --data-urlencode 'f.customer=x" onfocus="alert(1)' \
    --data-urlencode "f.lot_no=a'b\"c<d>" --data-urlencode 'f.qty_affected=abc' "$B/cases/new"
want 400 ferr
python3 - "$T/ferr" <<'PY' || fail "attribute escaping"
import sys
from html.parser import HTMLParser
vals = {}
class P(HTMLParser):
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "input" and a.get("name", "").startswith("f."):
            vals[a["name"]] = a
        assert "onfocus" not in a, a
P().feed(open(sys.argv[1], encoding="utf-8").read())
assert vals["f.customer"]["value"] == 'x" onfocus="alert(1)', vals["f.customer"]
assert vals["f.lot_no"]["value"] == "a'b\"c<d>", vals["f.lot_no"]
PY

# ---- URLs: filter values go into the CSV link percent-encoded; invalid UTF-8 and control
# characters in a query do not break the page
req l -b "$T/li.jar" "$B/cases?customer=a%22b%3E%3C%26c&part=%FF%1B&text=x%E2%80%AEy"; want 200 l
has l 'href="/cases.csv?customer=a%22b%3E%3C%26c&amp;part=%EF%BF%BD'
has l 'text=x%E2%80%AEy'
lacks l 'a"b><'
echo "serve_templates: ok"
