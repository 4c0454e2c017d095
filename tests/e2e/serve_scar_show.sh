#!/usr/bin/env bash
# serve_scar_show.sh - a SCAR shown as the plant reads it: the supplier quality engineer's
# role by its label (the SCAR workflow's, in the page's language), the supplier (the SCAR
# request form's party field) where a complaint shows its customer - list, board, dashboard,
# case header - under a heading that fits the workflow; and a SCAR form posted after the
# session expired comes back, after sign-in, as the SCAR form with what was typed.
source "$(dirname "$0")/common.bash"
source "$(dirname "$0")/serve.bash"
serve_init_users
run 0 "$(pw admin)\n$(pw ma)\n" user add ma --role sqe --name 马工 --as admin --password-stdin
as li 0 open customer=华东汽车 part_no=P-1 description=d severity=major qty_affected=1
Q1=$OUT
as ma 0 open --workflow scar supplier=深圳精密五金 supplier_contact=王五 part_no=BRK-220 \
    description=毛刺 severity=important containment=隔离
S1=$OUT
[[ $S1 == SCAR-* ]] || fail "no SCAR opened: $S1"
serve_start --idle-timeout 2s

login ma "$T/ma.jar"
# -- the role's label in the header, not the raw id ---------------------------------------
req d1 -b "$T/ma.jar" "$B/?lang=en"; want 200 d1
has d1 'Supplier quality engineer'
req d2 -b "$T/ma.jar" "$B/?lang=zh"; want 200 d2
has d2 '供应商质量工程师'
lacks d2 '>sqe<'
# -- the supplier in the party column -----------------------------------------------------
req l1 -b "$T/ma.jar" "$B/cases?workflow=scar&lang=en"; want 200 l1
has l1 '<td>深圳精密五金</td>'
has l1 '>Supplier<' # the heading: the SCAR request form's label of its party field
req l2 -b "$T/ma.jar" "$B/cases?lang=en"; want 200 l2
has l2 '<td>深圳精密五金</td>'
has l2 '<td>华东汽车</td>'
has l2 'Customer / supplier'
req l3 -b "$T/ma.jar" "$B/cases?workflow=complaint&lang=en"; want 200 l3
has l3 '>Customer<'
lacks l3 '深圳精密五金'
req l4 -b "$T/ma.jar" "$B/cases?workflow=scar&view=board"; want 200 l4
has l4 '深圳精密五金'
req c1 -b "$T/ma.jar" "$B/cases/$S1?lang=en"; want 200 c1
has c1 "$S1 深圳精密五金"
req c2 -b "$T/ma.jar" "$B/cases/$Q1?lang=en"; want 200 c2
has c2 "$Q1 华东汽车"

# -- a SCAR form kept across an expired session ---------------------------------------------
req n1 -b "$T/ma.jar" "$B/cases/new?workflow=scar"; want 200 n1; TOK=$(csrf n1)
sleep 3
req late -c "$T/ma.jar" -b "$T/ma.jar" -d "csrf=$TOK" --data-urlencode 'f.supplier=宁波紧固件' \
    --data-urlencode 'f.part_no=SCR-9' --data-urlencode 'f.description=螺纹不良' \
    --data-urlencode 'f.severity=major' "$B/cases/new?workflow=scar"
want 200 late; has late 'what you typed was not saved yet'
[[ $(hidden keep_path late) == '/cases/new?workflow=scar' ]] || fail "keep_path: $(hidden keep_path late)"
LT=$(hidden csrf late)
login_keep again ma "$T/ma.jar" '/cases/new?workflow=scar' "$(hidden keep late)"
want 303 again; has again.h 'Location: /cases/new?workflow=scar'
req back -b "$T/ma.jar" "$B/cases/new?workflow=scar&lang=en"; want 200 back
has back 'is back in the form'; has back 'value="宁波紧固件"'; has back 'value="SCR-9"'
has back 'name="f.supplier"'; lacks back 'name="f.customer"'
# taken once; the complaint form does not get them
req back2 -b "$T/ma.jar" "$B/cases/new?workflow=scar"; lacks back2 'SCR-9'
TOK=$(csrf back)
req save -b "$T/ma.jar" -d "csrf=$TOK" --data-urlencode 'f.supplier=宁波紧固件' \
    --data-urlencode 'f.part_no=SCR-9' --data-urlencode 'f.description=螺纹不良' \
    --data-urlencode 'f.severity=major' "$B/cases/new?workflow=scar"
want 303 save; has save.h "Location: /cases/SCAR-"
# a keep_path with a workflow id that is no id leads home, not there
login_page "$T/x.jar"
login_keep evil ma "$T/x.jar" '/cases/new?workflow=a/../../x' f.x=1
want 303 evil; has evil.h 'Location: /'; lacks evil.h 'workflow'
echo "serve_scar_show: ok"
