#!/usr/bin/env bash
# serve_words.sh - capa-serve's own checks in the user's language (issue 17, wordsb): the JSON
# API's error messages (api.c) in the language the client asked for, its machine-readable
# code unchanged and, when it asked for none, the English sentence of before; the error pages
# a browser user sees (pages.c) in the page's language, no English sentence and no command in
# 中文. A sample of each kind with the real capa-serve: 415, 401, 404, 405, a bad list
# parameter and a bad JSON body on the API; a bad date, sort, page and period, an unknown
# page, a report that is not one and the outbox of admins on the pages.
source "$(dirname "$0")/common.bash"
source "$(dirname "$0")/serve.bash"
source "$(dirname "$0")/lang.bash"

setup_users
as li 0 open customer=华东汽车 part_no=P-1 description=焊点 severity=general
N=$OUT
serve_start

# ---- the API: msg NAME prints the error's message; code NAME its code
msg() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["error"]["message"])' "$T/$1"; }
code() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["error"]["code"])' "$T/$1"; }
KEY=$(token li)
# api NAME STATUS CODE ENGLISH METHOD PATH CURL-ARGS...: the same request without a language
# (the English of before, exactly), in 中文 and in English; the status and code each time
api() {
    local n=$1 st=$2 c=$3 en=$4 m=$5 p=$6
    shift 6
    local l
    for l in none zh en; do
        local h=()
        [[ $l == none ]] || h=(-H "Accept-Language: $l")
        req "$n.$l" -X "$m" "${h[@]}" "$@" "$B/api/v1$p"
        want "$st" "$n.$l"
        [[ $(code "$n.$l") == "$c" ]] || fail "$n.$l: code $(code "$n.$l"), want $c"
    done
    [[ $(msg "$n.none") == "$en" ]] || fail "$n without a language: $(msg "$n.none")"
    zh_text "$(msg "$n.zh")"
    en_text "$(msg "$n.en")"
}
auth=(-H "Authorization: Bearer $KEY")
json=(-H 'Content-Type: application/json')
api ct 415 unsupported_media_type 'expected Content-Type: application/json' \
    POST /cases "${auth[@]}" -d 'x'
grep -qF '请求内容的类型须为“application/json”' <(msg ct.zh) || fail "415 zh: $(msg ct.zh)"
api tok 401 unauthorized 'no or expired token: POST /api/v1/session first' GET /cases
api nf 404 not_found 'no such API path' GET /nothing "${auth[@]}"
[[ $(msg nf.zh) == 没有这个接口路径 ]] || fail "404 zh: $(msg nf.zh)"
api meth 405 method 'method not allowed on this path: see the Allow header' \
    DELETE "/cases/$N/sign" "${auth[@]}"
grep -qi '^Allow: POST' "$T/meth.zh.h" || fail "405 without Allow: $(cat "$T/meth.zh.h")"
api lim 400 invalid 'limit: a whole number 1-1000 (default 100); offset: 0 or more' \
    GET '/cases?limit=0' "${auth[@]}"
[[ $(msg lim.zh) == '每页条数“0”不对：应为1 到 1000 之间的整数（默认 100）' ]] || fail "limit zh: $(msg lim.zh)"
[[ $(msg lim.en) == "limit '0': expected a whole number 1-1000 (default 100)" ]] || fail "limit en: $(msg lim.en)"
api frm 400 invalid 'open: true|false; from/to: YYYY-MM-DD' GET '/cases?from=2026-13-40' "${auth[@]}"
api obj 400 malformed 'expected a JSON object' POST /cases "${auth[@]}" "${json[@]}" -d '[1]'
api rsn 400 malformed '"reason" must be a string' PATCH "/cases/$N" "${auth[@]}" "${json[@]}" \
    -d '{"fields": {}, "reason": 5}'

# ---- the pages, signed in: page NAME STATUS PATH: in 中文 (no English word, no command) and
# in English (no Chinese); the alert's text in $ZH
login li "$T/li.jar"
page() {
    local n=$1 st=$2 p=$3 sep='?'
    [[ $p == *'?'* ]] && sep='&'
    req "$n.zh" -b "$T/li.jar" "$B$p${sep}lang=zh"
    want "$st" "$n.zh"
    ZH=$(alert "$n.zh")
    [[ -n $ZH ]] || fail "$n: no alert: $(cat "$T/$n.zh")"
    zh_text "$ZH"
    [[ $ZH != *capa\ * ]] || fail "$n names a command: $ZH"
    req "$n.en" -b "$T/li.jar" "$B$p${sep}lang=en"
    want "$st" "$n.en"
    en_text "$(alert "$n.en")"
}
page from 400 '/cases?from=2026-13-40'
[[ $ZH == '开始日期“2026-13-40”不对：应为日期（年-月-日，如 2026-12-07）' ]] || fail "from: $ZH"
page sort 400 '/cases?sort=bogus'
[[ $ZH == '不能按“bogus”排序：请点击列标题排序' ]] || fail "sort: $ZH"
page pg 400 '/cases?page=0'
page sev 400 '/cases?severity=nonesuch'
page nf 404 /nothing-here
[[ $ZH == 没有这个页面 ]] || fail "404: $ZH"
page rep 404 /reports/soon
[[ $ZH == *'请在报表页面上选择'* ]] || fail "report: $ZH"
page per 400 '/reports?period=soon'
page out 403 /notices/outbox
[[ $ZH == *'请联系系统管理员'* ]] || fail "outbox: $ZH"
serve_stop

# ---- capa-serve's start-up errors (stderr, exit 2 or 1): in the locale's language or that of
# --lang; the option's name kept as typed
start() { # start WANT-RC ENV-LANG ARGS...: the first stderr line's sentence in $SAID
    local want=$1 l=$2 rc=0
    shift 2
    LC_ALL= LC_MESSAGES= LANG=$l "$SERVE" "$@" 2>"$T/start.err" >/dev/null || rc=$?
    [[ $rc == "$want" ]] || fail "capa-serve $*: exit $rc, want $want: $(cat "$T/start.err")"
    SAID=$(sed -n '1s/^capa serve: //p' "$T/start.err")
}
start 2 zh_CN.UTF-8 --max-body 5
[[ $SAID == '选项 --max-body 须为 1024 到 67108864 之间的整数（现为“5”）' ]] || fail "max-body zh: $SAID"
start 2 C --max-body 5
[[ $SAID == '--max-body: expected a number from 1024 to 67108864' ]] || fail "max-body en: $SAID"
start 2 C --lang zh --group-commit sometimes
[[ $SAID == '选项 --group-commit 须为以下之一：on, off（现为“sometimes”）' ]] || fail "group-commit: $SAID"
start 1 zh_CN.UTF-8 --db "$T/nothing-here"
[[ $SAID == "$T/nothing-here: 这里没有 capa 数据库（"* ]] || fail "no store zh: $SAID"
start 1 en_GB.UTF-8 --lang zh --db "$CAPA_DB" --listen 127.0.0.1:99999
[[ $SAID == *'中的端口不对（现为“127.0.0.1:99999”）'* ]] || fail "port zh: $SAID"
start 1 C --db "$CAPA_DB" --listen 127.0.0.1:99999
en_text "$SAID"
