#!/usr/bin/env bash
# serve_escalations.sh - escalations in the browser: the case page lists with each time limit
# the escalations `capa escalate` sent for it (level, the roles by label and the people, when),
# and /escalations lists the overdue and due-soon limits and the escalations sent of the open
# cases the user's role works on now or that were escalated to it (?all=1: every open case),
# judged at ?at= like the dashboard. A case nobody escalated to a role does not appear for it.
source "$(dirname "$0")/common.bash"
source "$(dirname "$0")/serve.bash"
at '2026-09-29 01:00:00' serve_init_users
at '2026-09-30 01:00:00' as li 0 open customer=华东汽车 part_no=P-1 description=连锡 severity=important qty_affected=1
N1=$OUT
at '2026-09-30 01:00:00' as li 0 open customer=南方家电 part_no=P-2 description=d severity=important qty_affected=1
N2=$OUT
# N2's response and containment done in time; N1's not.
at '2026-09-30 02:00:00' as li 0 set "$N2" validity=valid containment=隔离
at '2026-09-30 03:00:00' as wang 0 sign "$N2" --meaning reviewed
at '2026-10-01 02:00:00' run 0 "" escalate
out_has "$N1  response  overdue"
serve_start
AT='at=2026-10-01%2003:00'

login wang "$T/wang.jar"
req c1 -b "$T/wang.jar" "$B/cases/$N1?lang=en&$AT"; want 200 c1
has c1 'Escalations sent'
has c1 '<span class="badge text-bg-warning app-badge">warning</span>'
has c1 '<span class="badge text-bg-warning app-badge">overdue</span>'
has c1 'li (李娜)'
req c2 -b "$T/wang.jar" "$B/cases/$N2?lang=en&$AT"; want 200 c2
lacks c2 'app-esc"'

# wang (qe) works on intake, and the escalations went to intake and qe: N1 is his.
req e1 -b "$T/wang.jar" "$B/escalations?lang=en&$AT"; want 200 e1
/usr/bin/python3 - "$T/e1" "$N1" "$N2" <<'PY' || fail "e1: the escalations page"
import re, sys
page, n1, n2 = open(sys.argv[1], encoding="utf-8").read(), sys.argv[2], sys.argv[3]
over = page[page.index('id="overdue"'):page.index('id="due-soon"')]
sent = page[page.index('id="sent"'):]
assert over.count('>%s</a>' % n1) == 2, over          # response and containment
assert 'First response' in over and 'Containment' in over, over
assert n2 not in over, over                           # met in time
assert sent.count('>%s</a>' % n1) == 4, sent          # warn and overdue of each
assert n2 not in sent, sent
PY
# zhao (prod_mgr) neither works on intake nor was escalated to: nothing, unless ?all=1.
login zhao "$T/zhao.jar"
req e2 -b "$T/zhao.jar" "$B/escalations?lang=en&$AT"; want 200 e2
lacks e2 ">$N1</a>"
has e2 'Every open case'
req e3 -b "$T/zhao.jar" "$B/escalations?lang=en&all=1&$AT"; want 200 e3
has e3 ">$N1</a>"
req e4 "$B/escalations"; want 303 e4
has e4.h 'Location: /login'
req e5 -b "$T/wang.jar" -X POST "$B/escalations"; want 405 e5
req e6 -b "$T/wang.jar" "$B/escalations?at=nonsense"; want 400 e6
echo "serve_escalations: ok"
