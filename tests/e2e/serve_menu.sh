#!/usr/bin/env bash
# serve_menu.sh - the menu shows only what the role may do (issue 17), decided by the engine
# (capa_case_may_open: an editor of the workflow's first stage), for every role of the
# workflow: New complaint only for who may open a case; the new-case form itself refused
# up front (403, saying whom to ask by printed name) to the others, not after filling it in.
source "$(dirname "$0")/common.bash"
source "$(dirname "$0")/serve.bash"

serve_init_users
serve_start
# user: may open? (forms/workflow.xml: intake is edited by intake and qe)
for u in li:1 wang:1 chen:0 zhao:0 sun:0 zhou:0 admin:0; do
    id=${u%%:*} may=${u##*:}
    login "$id" "$T/$id.jar"
    req "m-$id" -b "$T/$id.jar" "$B/?lang=en"; want 200 "m-$id"
    for link in 'href="/"' 'href="/cases"'; do has "m-$id" "$link"; done
    req "n-$id" -b "$T/$id.jar" "$B/cases/new?lang=zh"
    if [[ $may == 1 ]]; then
        has "m-$id" 'href="/cases/new"'
        want 200 "n-$id"; has "n-$id" 'name="f.customer"'
    else
        lacks "m-$id" 'href="/cases/new"'
        want 403 "n-$id"; lacks "n-$id" 'name="f.customer"'
        has "n-$id" '不能新建案件'; has "n-$id" '请联系可以新建的人：李娜, 王伟'
    fi
done
# the engine still decides a POST: refused for a role that may not, nothing opened
TOK=$(csrf m-sun)
req p-sun -b "$T/sun.jar" -d "csrf=$TOK" --data-urlencode 'f.customer=C' --data-urlencode 'f.part_no=P' \
    --data-urlencode 'f.description=d' --data-urlencode 'f.severity=general' "$B/cases/new?lang=zh"
want 403 p-sun; has p-sun '您的角色（生产）不能新建案件'
run 0 "" list --json
[[ $OUT == "[]" ]] || fail "a case was opened: $OUT"
echo "serve_menu: ok"
