#!/usr/bin/env bash
# serve_scar.sh - a supplier 8D (SCAR) from the browser: the new-case page offers each workflow
# whose first stage the user's role fills in (complaint for intake, SCAR for the supplier
# quality engineer) and renders the chosen workflow's intake form (?workflow=scar gives the
# SCAR request form, kept in the form's action so the POST opens a SCAR, numbered
# SCAR-YYYY-NNNN); an unknown workflow is a 404 naming it; the case list filters by workflow
# (URL parameter kept in sort and page links, the workflow's stages in the stage filter), the
# JSON API too (400 for an unknown workflow).
source "$(dirname "$0")/common.bash"
source "$(dirname "$0")/serve.bash"
serve_init_users
run 0 "$(pw admin)\n$(pw ma)\n" user add ma --role sqe --name 马工 --as admin --password-stdin
as li 0 open customer=华东汽车 part_no=P-1 description=d severity=major qty_affected=1
Q1=$OUT
serve_start
login ma "$T/ma.jar"
login li "$T/li.jar"

req n1 -b "$T/ma.jar" "$B/cases/new?workflow=scar&lang=en"; want 200 n1
has n1 'action="/cases/new?workflow=scar"'
has n1 'name="f.supplier"'
has n1 'name="f.po_no"'
lacks n1 'name="f.customer"'
has n1 'Supplier corrective action request (SCAR)'
has n1 '<a class="nav-link" href="/cases/new?workflow=scar">' # in ma's menu
# li (intake) is offered the complaint only; ma (sqe) SCAR only: no choice to show either.
req n2 -b "$T/li.jar" "$B/cases/new"; want 200 n2
has n2 'name="f.customer"'
lacks n2 'app-workflows'
lacks n2 'href="/cases/new?workflow=scar"'
req n3 -b "$T/li.jar" "$B/cases/new?workflow=nonesuch"; want 404 n3
grep -qiF "workflow 'nonesuch': no such workflow" "$T/n3" || grep -qiF "workflow &apos;nonesuch&apos;" "$T/n3" || fail "n3 lacks the workflow's name"

TOK=$(csrf n1)
req o1 -b "$T/ma.jar" --data-urlencode "csrf=$TOK" --data-urlencode 'f.supplier=深圳精密五金' \
    --data-urlencode 'f.part_no=BRK-220' --data-urlencode 'f.description=毛刺' \
    --data-urlencode 'f.severity=important' "$B/cases/new?workflow=scar"
want 303 o1
has o1.h "Location: /cases/SCAR-$Y-0001"
run 0 "" show "SCAR-$Y-0001" --json
json "d['workflow'] == 'scar' and d['stage'] == 'scar_request'"
# A complaint user may not open a SCAR (the engine's rule): refused, nothing written.
req o2 -b "$T/li.jar" --data-urlencode "csrf=$(csrf n2)" --data-urlencode 'f.supplier=X' \
    --data-urlencode 'f.part_no=P' --data-urlencode 'f.description=d' \
    --data-urlencode 'f.severity=general' "$B/cases/new?workflow=scar"
want 403 o2
run 1 "" show "SCAR-$Y-0002"

# -- lists by workflow -----------------------------------------------------------------------
req l1 -b "$T/li.jar" "$B/cases?workflow=scar&lang=en"; want 200 l1
has l1 "SCAR-$Y-0001"
lacks l1 ">$Q1<"
has l1 '<option value="scar" selected'
has l1 'value="scar_request"' # the SCAR's stages in the stage filter
grep -q 'href="/cases?workflow=scar&amp;[^"]*sort=' "$T/l1" || fail "l1: sort links lose the workflow"
req l2 -b "$T/li.jar" "$B/cases?workflow=complaint"; want 200 l2
has l2 "$Q1"
lacks l2 "SCAR-$Y-0001"
req l3 -b "$T/li.jar" "$B/cases?workflow=nonesuch"; want 400 l3
req l4 -b "$T/li.jar" "$B/cases?workflow=scar&view=board"; want 200 l4
has l4 "SCAR-$Y-0001"
TK=$(token li)
req a1 -H "Authorization: Bearer $TK" "$B/api/v1/cases?workflow=scar"; want 200 a1
python3 -c "import json,sys; d=json.load(open(sys.argv[1])); rows=d if isinstance(d,list) else d.get('cases', d.get('items')); assert [c['number'] for c in rows]==['SCAR-$Y-0001'], d" "$T/a1" || fail "API: workflow filter"
req a2 -H "Authorization: Bearer $TK" "$B/api/v1/cases?workflow=nonesuch"; want 400 a2
echo "serve_scar: ok"
