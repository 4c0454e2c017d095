#!/usr/bin/env bash
# lang_words.sh - the words that were still English reach the user in their language (issue
# 17), each point with the real binaries, in 中文 (no English word in the sentence: only the
# values in “”, the options' own names and a marked technical detail) and in English:
#   1. capa-serve's protocol-level answers before a page (Content-Length twice, conflicting
#      or with Transfer-Encoding; a malformed query) in the language of Accept-Language or
#      the capa_lang cookie, else both;
#   2. every command's usage error (cli_usage_rule), options' names kept as data;
#   3. the import page's own refusals: the password rate limit, no random bytes for the job;
#   4. refusals naming roles name them by their labels in English too (CLI and API), never by
#      their ids;
#   5. the XML Schema validator's findings (a calendar, a form definition) by element,
#      attribute and rule in 中文, libxml2's English text not in the sentence.
source "$(dirname "$0")/common.bash"
source "$(dirname "$0")/serve.bash"
IOFAIL=${CAPA_BUILD:?CAPA_BUILD must name the build directory (ctest sets it)}/tests/faults/libiofail.so

source "$(dirname "$0")/lang.bash"
# the sentence of the first stderr line: after "capa: WHAT: "
said() { sed -n '1s/^capa: [^:]*: //p' <<<"$ERR"; }

setup_users
as li 0 open customer=华东汽车 part_no=P-1 description=焊点 severity=general
N=$OUT

# ---- 2. the commands' usage errors: 中文, English, the usage line after them
usage() { # usage ARGS...: a usage error (exit 2), in 中文 then in English
    run 2 "" "$@" --lang zh
    [[ $(sed -n 2p <<<"$ERR") == 用法：* || $(sed -n 2p <<<"$ERR") == 请运行* ]] || fail "no 中文 usage line: $ERR"
    zh_text "$(said)"
    local zh=$ERR
    run 2 "" "$@" --lang en
    en_text "$(said)"
    ZH=$zh
}
usage import --csv x.csv
[[ $ZH == *'请用 --map MAPPING 给出导入方案：方案文件，或内置方案的名称（如“register”）'* ]] || fail "import: $ZH"
err_has "give --map MAPPING: a mapping file, or the name of a shipped one (register)"
usage report --from 2026-01-01
[[ $ZH == *'--from DATE 与 --to DATE 须同时给出'* ]] || fail "report: $ZH"
err_has "--from DATE and --to DATE go together"
usage list --at 2026-01-01
usage list --from 2026-02-30
[[ $ZH == *'--from 须为日期'* ]] || fail "list: $ZH"
usage dossier "$N"
usage export
usage set "$N" novalue --as li
[[ $ZH == *'参数“novalue”不是“字段=值”的形式'* ]] || fail "set: $ZH"
usage config recurrence-days 0
[[ $ZH == *'recurrence-days 须为 1 到 3650 的整数天数（现为“0”）'* ]] || fail "config: $ZH"
usage escalate --notify ftp://x --notify-format json
usage sign "$N" --as li
usage reject "$N" --as li
usage user role --as admin
usage verify --anchor 'not-an-anchor'
usage validate extra
usage calendar show 2026-13
usage publish --batch 0 --pg x
usage backup
# both: 中文 then English
run 2 "" report --from 2026-01-01 --lang both
[[ $(sed -n 1p <<<"$ERR") == *须同时给出* && $(sed -n 2p <<<"$ERR") == *'go together'* ]] || fail "both: $ERR"

# ---- 4. refusals naming roles: by their labels in English (the engine's sentence has ids)
as zhou 1 set "$N" customer=x --lang en
err_has "Your role (Auditor) may not fill in the stage"
[[ $ERR != *'role auditor'* && $ERR != *'user `zhou`'* ]] || fail "a role named by its id: $ERR"
as zhou 1 open customer=x part_no=p description=d severity=general --lang en
err_has "Your role (Auditor) may not open a case; that needs the role Sales / customer service (intake), Quality engineer"
[[ $ERR != *'has role auditor'* ]] || fail "a role named by its id: $ERR"
as zhou 1 sign "$N" --meaning reviewed --lang en
err_has "Your role (Auditor) may not sign 'Reviewed'"
as zhou 1 set "$N" customer=x --lang zh
zh_text "$(said)"
err_has '您的角色（审核员）不能填写'

# ---- 5. the XML Schema validator's findings: element, attribute, rule in 中文
cat >"$T/cal.xml" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<calendar xmlns="urn:capa:calendar:1" year="twenty" colour="red">
  <holiday from="2026-01-01" zh="元旦" en="New Year"/>
  <party from="2026-01-02"/>
</calendar>
EOF
as admin 1 calendar install "$T/cal.xml" --lang zh
err_has '元素“calendar”的属性“year”的值“twenty”类型不对'
err_has '元素“calendar”不能有属性“colour”'
err_has '元素“party”不应出现在这里；这里应为：“workday”'
zh_text "$(said)"
[[ $ERR != *'not a valid value'* && $ERR != *'not expected'* ]] || fail "libxml2's English: $ERR"
as admin 1 calendar install "$T/cal.xml" --lang en
en_text "$(said)"
cat >"$T/form.xml" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<form xmlns="urn:capa:form:1" id="intake" version="9">
  <nonsense/>
</form>
EOF
as admin 1 form install "$T/form.xml" --lang zh
err_has '定义文件不符合格式要求（3 处）'
err_has '元素“form”缺少必需的属性“zh”'
err_has '元素“nonsense”不应出现在这里；这里应为：“field, group”'
zh_text "$(said)"
[[ $ERR != *'is required but missing'* ]] || fail "libxml2's English: $ERR"

# ---- the same on the web: 1. protocol answers, 3. the import page, 4. the API, 5. a form
serve_start --auth-pause 5000
raw() { # raw NAME HEADER-LINES...: POST /login with those extra headers; the answer's body
    python3 - "$PORT" "$@" >"$T/$1" <<'PY'
import socket, sys
port, heads = int(sys.argv[1]), sys.argv[3:]
req = "POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\n" + "".join(h + "\r\n" for h in heads)
req += "\r\nabcde"
s = socket.create_connection(("127.0.0.1", port))
s.sendall(req.encode())
s.settimeout(3)
got = b""
while True:
    try:
        b = s.recv(65536)
    except socket.timeout:
        break
    if not b:
        break
    got += b
head, _, body = got.decode("utf-8").partition("\r\n\r\n")
print(head.splitlines()[0])
print(body.strip())
PY
}
raw dupzh 'Content-Length: 5' 'Content-Length: 60' 'Accept-Language: zh-CN,zh;q=0.9'
[[ $(head -1 "$T/dupzh") == 'HTTP/1.1 400'* ]] || fail "dup: $(cat "$T/dupzh")"
zh_text "$(sed -n 2p "$T/dupzh")"
grep -q '内容长度声明了不止一次' "$T/dupzh" || fail "dup zh: $(cat "$T/dupzh")"
raw dupen 'Content-Length: 5' 'Content-Length: 60' 'Accept-Language: en-GB'
en_text "$(sed -n 2p "$T/dupen")"
grep -q 'Content-Length given more than once' "$T/dupen" || fail "dup en: $(cat "$T/dupen")"
raw tezh 'Content-Length: 5' 'Transfer-Encoding: chunked' 'Cookie: capa_lang=zh'
zh_text "$(sed -n 2p "$T/tezh")"
raw dupboth 'Content-Length: 5' 'Content-Length: 5'
grep -q '连接已关闭 / Content-Length given more than once' "$T/dupboth" || fail "dup both: $(cat "$T/dupboth")"
# a malformed query: the page in the reader's language (cookie), the API in the client's
req q -b 'capa_lang=zh' "$B/login?a=%zz"; want 400 q
zh_text "$(alert q)"
grep -q '查询参数格式有误' <(alert q) || fail "query page: $(alert q)"
req q -b 'capa_lang=en' "$B/login?a=%zz"; want 400 q
en_text "$(alert q)"
req qa -H 'Accept-Language: zh-CN' "$B/api/v1/cases?a=%zz"; want 400 qa
zh_text "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["error"]["message"])' "$T/qa")"

# 4. the API without a language: a role refusal by the roles' labels, not ids
KEY=$(token li)
api() { # api NAME METHOD PATH CURL-ARGS...: as li
    local n=$1 m=$2 p=$3
    shift 3
    req "$n" -X "$m" -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' "$@" \
        "$B/api/v1$p"
}
api sn POST "/cases/$N/sign" -d '{"meaning": "reviewed", "password": "'"$(pw li | tr -d '\n')"'"}'
want 403 sn
python3 - "$T/sn" <<'PY' || fail "API role refusal: $(cat "$T/sn")"
import json, sys
e = json.load(open(sys.argv[1]))["error"]
assert e["message"].startswith("Your role (Sales / customer service (intake)) may not sign"), e
assert "role intake" not in e["message"] and e["refusal"]["violations"][0]["params"]["role"] == "intake"
PY

# 3. the import page: the rate limit after a wrong password, in 中文 and in English
login admin "$T/admin.jar"
H='案号,投诉日期,客户名称,料号,批号,不良数量,缺陷代码,问题描述,严重程度,投诉方式,责任部门,处理状态,结案日期'
printf '%s\n,2023/6/16,小米,P-2,,,,漏装,一般,电话,,处理中,\n' "$H" >"$T/good.csv"
imp() { # imp NAME LANG PASSWORD
    req form -b "$T/admin.jar" "$B/admin/import?lang=$2"
    req "$1" -b "$T/admin.jar" -F "csrf=$(csrf form)" -F map=register -F "password=$3" \
        -F "sheet=@$T/good.csv" "$B/admin/import?lang=$2"
}
imp w1 zh wrong-password-1; want 401 w1
imp w2 zh wrong-password-2; want 429 w2
zh_text "$(alert w2)"
grep -q '密码尝试次数过多：请等待 [0-9]* 秒后再试' <(alert w2) || fail "429 zh: $(alert w2)"
imp w3 en wrong-password-3; want 429 w3
en_text "$(alert w3)"
grep -q 'Too many password attempts: wait [0-9]* s and try again' <(alert w3) || fail "429 en: $(alert w3)"
serve_stop

# 3. no random bytes for the job's id (the shim takes 16-byte getrandom away)
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 IOFAIL_GETRANDOM=16 \
    LD_PRELOAD=$IOFAIL serve_start
login admin "$T/admin.jar"
imp nr zh "$(pw admin | tr -d '\n')"; want 500 nr
zh_text "$(alert nr)"
grep -q '服务器无法生成导入任务的编号' <(alert nr) || fail "no random zh: $(alert nr)"
imp nr en "$(pw admin | tr -d '\n')"; want 500 nr
en_text "$(alert nr)"
grep -q 'No random bytes' <(alert nr) || fail "no random en: $(alert nr)"

# 5. a form definition refused on the administration page, in 中文
req forms -b "$T/admin.jar" "$B/admin/forms?lang=zh"; want 200 forms
req fi -b "$T/admin.jar" -F "csrf=$(csrf forms)" -F "password=$(pw admin | tr -d '\n')" \
    -F "definition=@$T/form.xml" "$B/admin/forms?lang=zh"
want 400 fi
alert fi >"$T/fi.alert"
zh_text "$(head -1 "$T/fi.alert")"
has fi '元素“nonsense”不应出现在这里；这里应为：“field, group”'
has fi '元素“form”缺少必需的属性“zh”'
lacks fi 'This element is not expected'
lacks fi 'is required but missing'
req fi -b "$T/admin.jar" -F "csrf=$(csrf forms)" -F "password=$(pw admin | tr -d '\n')" \
    -F "definition=@$T/form.xml" "$B/admin/forms?lang=en"
want 400 fi
en_text "$(alert fi | head -1)"
has fi "the element 'nonsense' is not expected here; expected: field, group"
echo "lang_words: ok"
