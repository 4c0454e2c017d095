#!/usr/bin/env bash
# serve_lang.sh - every word in the user's language (issue 17): the engine reports a refusal
# as data (rule, field, value, parameters) and the tools word it. A refused sign-off on the
# zh page names the fields by their labels, with no English rule text and no terminal
# command; the en page is English; the JSON API's error has `message` in the language asked
# for plus the refusal's structured fields; the CLI takes --lang zh|en|both and, without it,
# the locale's language. Whom to ask is named by printed name.
source "$(dirname "$0")/common.bash"
source "$(dirname "$0")/serve.bash"

serve_init_users
as li 0 open customer=华东汽车 part_no=P-1 description=焊点 severity=general
N=$OUT

# ---- CLI: --lang zh, --lang en, --lang both, and the locale's default
as wang 1 sign "$N" --meaning reviewed --lang zh
err_has '签核前还须填写：「有效性」、「围堵措施」'
grep -q 'validity\|required\|capa help' "$T/err" && fail "--lang zh: English or a field id: $ERR"
grep -q '点击' "$T/err" && fail "--lang zh: the CLI is told to click: $ERR"
as wang 1 sign "$N" --meaning reviewed --lang en
err_has "field \`validity\`: value '' is required before sign-off"
grep -qP '\p{Han}{2}' <(sed 's/(品质异常反馈)//' "$T/err") && fail "--lang en has Chinese: $ERR"
as wang 1 sign "$N" --meaning reviewed --lang both
err_has '签核前还须填写：「有效性」、「围堵措施」'; err_has 'is required before sign-off'
# the locale's language when --lang is not given (the first of LC_ALL, LC_MESSAGES, LANG)
locale_sign() { # locale_sign VAR=VALUE...: wang's sign-off under that environment, stderr in ERR
    set +e
    pw wang | env "$@" "$CAPA" sign "$N" --meaning reviewed --as wang --password-stdin 2>"$T/err"
    RC=$?
    set -e
    ERR=$(cat "$T/err")
    [[ $RC == 1 ]] || fail "sign under $*: exit $RC"
}
locale_sign LC_ALL=zh_CN.UTF-8
err_has '签核前还须填写：「有效性」、「围堵措施」'
locale_sign LC_ALL= LC_MESSAGES= LANG=zh_TW.UTF-8
err_has '签核前还须填写：「有效性」、「围堵措施」'
locale_sign LC_ALL=en_GB.UTF-8 LANG=zh_CN.UTF-8
err_has 'is required before sign-off'
# a choice refused: the labels of the choices in the language; who must act, by name
as li 1 set "$N" severity=urgent qty_affected=x --lang zh
err_has '「严重度」须为以下之一：一般、重要、重大（现为“urgent”）'; err_has '「不良数量」须为整数（现为“x”）'
as li 1 sign "$N" --meaning reviewed --lang zh
err_has '您的角色（业务/客服）不能'; err_has '请联系可以签核的人：王伟'
run 2 "" show "$N" --lang fr
err_has "--lang must be zh or en"

serve_start
login wang "$T/wang.jar"

# ---- the sign dialog refused: zh page, en page
sign_page() { # sign_page NAME LANG
    req "$1-d" -b "$T/wang.jar" "$B/cases/$N/sign?lang=$2"; want 200 "$1-d"
    local tok seen
    tok=$(csrf "$1-d")
    seen=$(grep -o 'name="seen" value="[0-9a-f]*"' "$T/$1-d" | sed 's/.*value="\(.*\)"/\1/')
    req "$1" -b "$T/wang.jar" -d "csrf=$tok&seen=$seen&meaning=reviewed" \
        --data-urlencode "password=$(pw wang | tr -d '\n')" "$B/cases/$N/sign?lang=$2"
    want 400 "$1"
}
# The text of the page's alerts (what the refusal says), tags stripped.
alerts() {
    python3 - "$T/$1" <<'PY'
import html, re, sys
page = open(sys.argv[1], encoding="utf-8").read()
for m in re.finditer(r'<div class="alert alert-danger[^"]*"[^>]*>(.*?)</div>', page, re.S):
    print(html.unescape(re.sub(r"<[^>]+>", "", m.group(1))).strip())
PY
}
sign_page zh zh
alerts zh >"$T/zh.alert"
[[ -s $T/zh.alert ]] || fail "zh: no refusal shown"
grep -q '有效性' "$T/zh.alert" || fail "zh: the field's label is missing: $(cat "$T/zh.alert")"
grep -q '围堵措施' "$T/zh.alert" || fail "zh: the second field's label is missing"
grep -q '点击“填写本阶段”' "$T/zh.alert" || fail "zh: not told what to click"
grep -qE '[A-Za-z]{3,}' "$T/zh.alert" && fail "zh: English in the refusal: $(cat "$T/zh.alert")"
# no terminal command anywhere on the page (the product's name in the title is no command)
cmd_re='capa (help|set|sign|reject|open|show|user|list|verify|log)\b'
grep -qE "$cmd_re" "$T/zh" && fail "zh: a command: $(grep -oE ".{40}$cmd_re.{40}" "$T/zh")"
lacks zh '`'
lacks zh 'validity'
sign_page en en
alerts en >"$T/en.alert"
grep -qF 'Still to fill in before sign-off: Validity, Containment (click Fill in this stage to add them)' "$T/en.alert" ||
    fail "en: $(cat "$T/en.alert")"
grep -qP '\p{Han}' "$T/en.alert" && fail "en: Chinese in the refusal: $(cat "$T/en.alert")"
grep -qE "$cmd_re" "$T/en" && fail "en: a command: $(grep -oE ".{40}$cmd_re.{40}" "$T/en")"
lacks en 'field `'

# ---- JSON API: message in the language asked for, plus the refusal as data
KEY=$(token li)
api() { local n=$1 m=$2 p=$3; shift 3; req "$n" -X "$m" -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' "$@" "$B/api/v1$p"; }
jq_() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if eval(sys.argv[2]) else 1)' "$T/$1" "$2" || { cat "$T/$1"; fail "$1: not $2"; }; }
api az PATCH "/cases/$N" -H 'Accept-Language: zh-CN,zh;q=0.9,en;q=0.8' -d '{"fields": {"qty_affected": "many"}}'
want 400 az
jq_ az 'd["error"]["message"] == "「不良数量」须为整数（现为“many”）" and d["error"]["lang"] == "zh"'
jq_ az '[ (v["rule"], v["field"], v["value"], v["label"]["zh"], v["label"]["en"]) for v in d["error"]["refusal"]["violations"]] == [("field.integer", "qty_affected", "many", "不良数量", "Quantity affected")]'
jq_ az 'd["error"]["refusal"]["action"] == "set" and d["error"]["refusal"]["case"] == "'"$N"'"'
api ae PATCH "/cases/$N" -H 'Accept-Language: en-US,en;q=0.9' -d '{"fields": {"customer": "'"$(printf 'x%.0s' {1..101})"'"}}'
want 400 ae
jq_ ae 'd["error"]["message"] == "Customer may have at most 100 characters (has 101)"'
jq_ ae 'd["error"]["refusal"]["violations"][0]["params"] == {"max": "100", "length": "101"}'
# a sign-off by a role that may not: whom to ask, by printed name, both languages
api sz POST "/cases/$N/sign?lang=zh" -d '{"meaning": "reviewed", "password": "'"$(pw li | tr -d '\n')"'"}'
want 403 sz
jq_ sz '"王伟" in d["error"]["message"] and "sign.role" == d["error"]["refusal"]["violations"][0]["rule"]'
jq_ sz 'd["error"]["refusal"]["violations"][0]["params"]["who"] == "王伟" and d["error"]["refusal"]["violations"][0]["params"]["roles"] == "qe"'
jq_ sz 'not any(c.isascii() and c.isalpha() for c in d["error"]["message"])'
api se POST "/cases/$N/sign" -H 'Accept-Language: en' -d '{"meaning": "reviewed", "password": "'"$(pw li | tr -d '\n')"'"}'
want 403 se
jq_ se 'd["error"]["message"].startswith("Your role (Sales / customer service (intake)) may not sign") and "please ask someone who can: 王伟" in d["error"]["message"]'
# no language asked: a refusal naming roles names them by their labels in English too (the
# engine's sentence has their ids), the data still there
api sn POST "/cases/$N/sign" -d '{"meaning": "reviewed", "password": "'"$(pw li | tr -d '\n')"'"}'
want 403 sn
jq_ sn 'd["error"]["message"].startswith("Your role (Sales / customer service (intake)) may not sign") and d["error"]["refusal"]["violations"][0]["rule"] == "sign.role"'
# an unknown case: worded too
api nf GET "/cases/QC-1999-0001?lang=zh"; want 404 nf
jq_ nf 'd["error"]["message"] == "没有编号为 QC-1999-0001 的案件"'
echo "serve_lang: ok"
