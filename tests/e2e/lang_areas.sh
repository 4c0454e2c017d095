#!/usr/bin/env bash
# lang_areas.sh - every word in the user's language (issue 17), area by area: the refusals of
# user administration, attachments, configuration (time zone, calendar, recurrence window),
# notice targets and contacts, forms install, legacy sheet import (the file and each cell),
# case archive import, a full scratch store, and verify's findings reach a 中文 user in 中文:
# with `capa --lang zh` the sentence after "capa: <command>:" has no English rule text, only
# the values quoted in “” and a validator's quoted detail; the web pages of these areas say it
# in 中文 too, with no terminal command. Each refusal leaves the store as it was.
source "$(dirname "$0")/common.bash"
source "$(dirname "$0")/serve.bash"
IOFAIL=${CAPA_BUILD:?CAPA_BUILD must name the build directory (ctest sets it)}/tests/faults/libiofail.so

# zh_only: stderr's sentence (after "capa: WHAT: ") has Chinese and, the quoted values, the
# validator's detail after a full-width colon and a few names aside, no English word.
zh_only() {
    python3 - "$ERR" "${1:-}" <<'PY' || fail "not 中文 only: $ERR"
import re, sys
err, keep_detail = sys.argv[1], sys.argv[2]
line = err.strip().splitlines()[-1]
m = re.match(r"capa: [^:]*: (.*)", line)
text = m.group(1) if m else line
text = re.sub(r"“[^”]*”", "", text)
text = re.sub(r"--[a-z-]+|\bcapa [a-z]+( --[a-z]+)?", "", text)  # the CLI's own commands
if keep_detail:
    text = text.split("：")[0]
ok_words = {"UTF", "GB", "GBK", "SHA", "Excel", "xlsx", "KiB", "MiB", "Asia", "Shanghai",
            "TMPDIR", "QC", "DOCTYPE", "csv", "CSV"}
words = [w for w in re.findall(r"[A-Za-z]{2,}", text) if w not in ok_words]
sys.exit(0 if re.search(r"[\u4e00-\u9fff]", text) and not words else 1)
PY
}
zh() { # zh USER WANT_RC ARGS...: run as USER with --lang zh
    local user=$1 want=$2
    shift 2
    as "$user" "$want" "$@" --lang zh
}

setup_users
as li 0 open customer=华东汽车 part_no=P-1 description=焊点 severity=general
N=$OUT
run 0 "" log --json
TRAIL=$OUT
unchanged() { run 0 "" log --json; [[ $OUT == "$TRAIL" ]] || fail "the store changed"; }

# ---- user administration
run 1 "$(pw admin)\n$(pw wang)" user add wang --role qe --name 王工 --as admin --password-stdin --lang zh
err_has '账号“wang”已存在：请换一个账号'; zh_only
run 1 "$(pw admin)\n$(pw x)" user add 'Bad!' --role qe --name X --as admin --password-stdin --lang zh
err_has '须以小写字母开头'; zh_only
run 1 "$(pw admin)\n$(pw x)" user add zz --role nosuch --name X --as admin --password-stdin --lang zh
err_has '没有角色“nosuch”；可选的角色：'
run 1 "$(pw admin)\nshort" user add zz --role qe --name X --as admin --password-stdin --lang zh
err_has '密码须为 8 到'; zh_only
zh admin 1 user role admin --role qe
err_has '系统管理员不能修改自己的角色'; zh_only
zh admin 1 user disable nobody
err_has '没有账号为“nobody”的用户'; zh_only
zh admin 1 user role wang --role qe
err_has '用户 wang 的角色已是“品质工程师”'
err_has_roles() { err_has '可选的角色：系统管理员“admin”、业务/客服“intake”、品质工程师“qe”、品管主管“qe_lead”'; }
run 1 "$(pw admin)\n$(pw x)" user add zz --role nosuch --name X --as admin --password-stdin --lang zh
err_has_roles; zh_only
# roles printed to the user by their labels, in the chosen language
run 0 "" user list --lang zh
out_has '品质工程师 (qe)'; out_has '审核员 (auditor)'
run 0 "" user list --lang en
out_has 'Quality engineer (qe)'
run 1 "$(pw li)\n$(pw x)" user add zz --role qe --name X --as li --password-stdin --lang zh
err_has '只有系统管理员可以执行此操作'; zh_only
unchanged

# ---- the CLI's usage errors, found before the engine: in the chosen language (--lang given
# after the wrong option too), the option's literal name kept; the usage line after them
run 2 "" import --bogus --lang zh
err_has 'capa: import: 没有选项“--bogus”'; ERR=$(head -1 <<<"$ERR"); zh_only
run 2 "" list --lang zh --limit
err_has '选项 --limit 需要一个值'; err_has '用法：capa list'; ERR=$(head -1 <<<"$ERR"); zh_only
run 2 "" list --json=yes --lang zh
err_has '选项 --json 不带值'; ERR=$(head -1 <<<"$ERR"); zh_only
run 2 "" import --csv "$T/x.csv" --map register --encoding latin1 --lang zh
err_has '不支持编码“latin1”：可选 UTF-8 或 GB18030'; ERR=$(head -1 <<<"$ERR"); zh_only
run 2 "" import --xlsx "$T/x.xlsx" --map register --encoding utf-8 --lang zh
err_has '只有 CSV 文件需要 --encoding'; ERR=$(head -1 <<<"$ERR"); zh_only
run 2 "" open customer=x --lang zh
err_has '请用 --as 给出操作人的账号'; ERR=$(head -1 <<<"$ERR"); zh_only
LC_ALL=zh_CN.UTF-8 run 2 "" list --lang fr
err_has '选项 --lang 须为以下之一：zh, en, both（现为“fr”）'
run 2 "" user list extra --lang zh
err_has 'capa: user list: 多余的参数“extra”'; ERR=$(head -1 <<<"$ERR"); zh_only
run 2 "" import --bogus --lang en
err_has "unknown option '--bogus'"; [[ $ERR != *没有* ]] || fail "English asked, 中文 given"
unchanged

# ---- attachments
: >"$T/empty.jpg"
zh li 1 attach "$N" "$T/empty.jpg"
err_has '文件“empty.jpg”是空的（0 字节）'; zh_only
printf 'x' >"$T/a.txt"
zh li 1 attach "$N" "$T/a.txt" --stage nowhere
err_has '“nowhere”不是本案流程中的阶段'; zh_only
zh li 1 attach "$N" "$T/a.txt" --stage analysis
err_has '本案尚未到达“原因分析”阶段'; zh_only
zh zhou 1 attach "$N" "$T/a.txt"
err_has '您的角色（审核员）不能向“品质异常反馈”阶段添加附件'; zh_only
zh admin 1 config attach-limit 999999999999999
unchanged

# ---- configuration: time zone, calendar, recurrence window; notices
zh admin 1 config timezone Mars/Base
err_has '未知的时区“Mars/Base”'; zh_only
zh admin 1 config timezone '../etc'
err_has '不是时区名称'; zh_only
zh admin 1 calendar install "$CAPA_SRC/tests/data/calendar/malformed.xml"
err_has '工作日历“malformed.xml”不符合格式要求'; zh_only keep-detail
zh admin 1 config notify add 'bad!' --wecom https://qyapi.example/cgi-bin/webhook/send?key=k
err_has '通知渠道的名称“bad!”不正确'; zh_only
zh admin 1 config notify add robot --dingtalk ftp://x
err_has '地址不正确'
zh admin 1 config notify add robot --wecom https://qyapi.example/x --secret s
err_has '只有钉钉机器人使用加签密钥'; zh_only
zh admin 1 config notify remove nosuch
err_has '没有名为“nosuch”的通知渠道'; zh_only
zh wang 1 user set wang --mobile 12
err_has '手机号“12”不正确'; zh_only
zh wang 1 user set li --email li@example.com
err_has '只有系统管理员或用户本人可以修改联系方式'; zh_only
unchanged

# ---- forms install
printf '<form xmlns="urn:capa:form" id="intake" version="9"><nonsense/></form>\n' >"$T/bad-form.xml"
zh admin 1 form install "$T/bad-form.xml"
err_has '定义文件不符合格式要求'; zh_only keep-detail
unchanged

# ---- legacy sheets
H='案号,投诉日期,客户名称,料号,批号,不良数量,缺陷代码,问题描述,严重程度,投诉方式,责任部门,处理状态,结案日期'
printf '%s\n,2023/6/15,华为,P-100,,x,,划伤,重大,电话,,处理中,\n,2023/6/16,小米,P-2,,,,漏装,一般,电话,,处理中,\n' "$H" >"$T/bad.csv"
zh admin 1 import --csv "$T/bad.csv" --map register
err_has '2 行中有 1 行有误，未导入任何内容：请改正这些行后重新导入'; zh_only
err_has 'capa: import: 第 2 行，“不良数量”列：「不良数量」须为整数（现为“x”）'
ERR=$(grep '第 2 行' <<<"$ERR"); zh_only
: >"$T/empty.csv"
zh admin 1 import --csv "$T/empty.csv" --map register
err_has '文件是空的：没有表头行'; zh_only
printf '%s\n,2023/6/16,小米,P-2,,,,漏装,一般,电话,,处理中,\n' "$H" >"$T/good.csv"
zh admin 0 import --csv "$T/good.csv" --map register
run 0 "" log --json
TRAIL=$OUT
zh admin 1 import --csv "$T/good.csv" --map register
err_has '这个文件已经导入过（由它生成了 1 个案件）'; zh_only
printf 'not a zip' >"$T/x.xlsx"
zh admin 1 import --xlsx "$T/x.xlsx" --map register
err_has '不是 Excel 工作簿（xlsx）'; zh_only
# reading the file itself: quoting, encoding, a workbook's damaged part
printf '%s\n,2023/6/15,华"为,P-1,,1,,划伤,重大,电话,,处理中,\n' "$H" >"$T/quote.csv"
zh admin 1 import --csv "$T/quote.csv" --map register
err_has '第 2 行：引号用法有误'; zh_only
printf '%s\n,2023/6/15,"华为,P-1,,1,,划伤,重大,电话,,处理中,\n' "$H" >"$T/open.csv"
zh admin 1 import --csv "$T/open.csv" --map register
err_has '第 2 行：带引号的单元格直到文件末尾都没有闭合'; zh_only
{ printf '%s\n' "$H" | iconv -f UTF-8 -t GB18030; printf ',2023/6/15,\x80\x20,P-1\n'; } >"$T/gb.csv"
zh admin 1 import --csv "$T/gb.csv" --map register --encoding gb18030
err_has '第 2 行：第 '; err_has '字节（0x80）不是 GB18030 文本'
python3 -c 'import sys, zipfile; z = zipfile.ZipFile(sys.argv[1], "w")
z.writestr("xl/workbook.xml", "<?xml version=\"1.0\"?><!DOCTYPE w [<!ENTITY a \"b\">]><workbook/>")' "$T/dt.xlsx"
zh admin 1 import --xlsx "$T/dt.xlsx" --map register
err_has '的部件“xl/workbook.xml”含有文档类型声明（DOCTYPE），出于安全不予读取'; zh_only
unchanged

# ---- case archives
run 0 "" export "$N" -o "$T/case.xml"
sed 's/华东汽车/西南汽车/' "$T/case.xml" >"$T/altered.xml"
zh admin 1 import --xml "$T/altered.xml"
err_has '案件归档文件“'; err_has 'altered.xml”与其中的审计事件不符，未导入：'; zh_only keep-detail
unchanged

# ---- the scratch store full (verify replays into it): the shim fails its writes (ENOSPC)
mkdir -p "$T/fs"
set +e
# (the shim preloads before the ASan runtime in the sanitizer build)
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
    TMPDIR=$T/fs LD_PRELOAD=$IOFAIL IOFAIL_AT=1 IOFAIL_STICKY=1 IOFAIL_ERRNO=28 IOFAIL_MATCH=$T/fs/ \
    "$CAPA" verify --lang zh >"$T/out" 2>"$T/err"
RC=$?
set -e
ERR=$(cat "$T/err")
[[ $RC == 1 ]] || fail "verify with a full scratch: exit $RC"
err_has '校验用的临时存储空间不足'; err_has 'TMPDIR'

# ---- verify's findings, on a copy whose case header was edited underneath capa
run 0 "" backup "$T/copy"
"$CAPA_BUILD/tests/faults/capa-tamper" "$T/copy" hdr "$N" customer 西南汽车 >/dev/null
CAPA_DB=$T/copy run 1 "" verify --lang zh
err_has "案件 $N：案件头 的“customer”与审计记录不符：存储值“西南汽车”，按审计事件 "
err_has '共 1 处不符：数据库与其审计记录不一致'
ERR=$(grep '案件头' <<<"$ERR"); zh_only

# ---- the same areas on the web, in 中文: no English rule text, no terminal command
serve_start
login admin "$T/admin.jar"
P="password=$(pw admin | tr -d '\n')"
cmd_re='capa (help|set|sign|reject|open|show|user|list|verify|log|config|import|form|attach)\b|--[a-z]'
alert() { # alert NAME: the page's refusal, tags stripped
    python3 - "$T/$1" <<'PY'
import html, re, sys
page = open(sys.argv[1], encoding="utf-8").read()
for m in re.finditer(r'<div class="alert alert-danger[^"]*"[^>]*>(.*?)</div>', page, re.S):
    print(html.unescape(re.sub(r"<[^>]+>", "", m.group(1))).strip())
PY
}
web_zh() { # web_zh NAME TEXT: the page's refusal says TEXT, in 中文 only, and names no command
    alert "$1" >"$T/$1.alert"
    grep -qF -- "$2" "$T/$1.alert" || fail "$1: $(cat "$T/$1.alert")"
    ERR="capa: web: $(sed 's/“[^”]*”//g' "$T/$1.alert" | head -1)"
    zh_only
    ! grep -qE "$cmd_re" "$T/$1" || fail "$1 names a command: $(grep -oE ".{30}($cmd_re).{30}" "$T/$1")"
}
req users -b "$T/admin.jar" "$B/admin/users?lang=zh"; want 200 users
req ua -b "$T/admin.jar" --data-urlencode "csrf=$(csrf users)" --data-urlencode id=wang \
    --data-urlencode role=qe --data-urlencode name=王工 --data-urlencode "new_password=$(pw x | tr -d '\n')" \
    --data-urlencode "new_password2=$(pw x | tr -d '\n')" --data-urlencode "$P" "$B/admin/users?lang=zh"
want 409 ua
web_zh ua '账号“wang”已存在：请换一个账号'
req set -b "$T/admin.jar" "$B/admin/settings?lang=zh"; want 200 set
req tz -b "$T/admin.jar" --data-urlencode "csrf=$(csrf set)" --data-urlencode "timezone=Mars/Olympus" \
    --data-urlencode "$P" "$B/admin/settings/timezone?lang=zh"
want 400 tz
web_zh tz '未知的时区“Mars/Olympus”'
# the server's own refusals of an upload: the import page's, the attachment upload's and a
# body over the limit (a page, and the API for a client that asked for 中文)
req imp -b "$T/admin.jar" "$B/admin/import?lang=zh"; want 200 imp
printf 'MZ\x90\x00' >"$T/prog.exe"
req up -b "$T/admin.jar" -F "csrf=$(csrf imp)" -F map=register -F "$P" -F "sheet=@$T/prog.exe" "$B/admin/import?lang=zh"
want 400 up
web_zh up '文件“prog.exe”不能导入：只能导入 .csv 或 .xlsx 文件'
req up -b "$T/admin.jar" -F "csrf=$(csrf imp)" -F map=nosuch -F "$P" -F "sheet=@$T/good.csv" "$B/admin/import?lang=zh"
want 400 up
web_zh up '没有名为“nosuch”的内置导入方案：请从列表中选择'
req up -b "$T/admin.jar" -F "csrf=$(csrf imp)" -F map=register -F "$P" "$B/admin/import?lang=zh"
want 400 up
web_zh up '请选择要导入的文件'
req up -b "$T/admin.jar" --data-urlencode "csrf=$(csrf imp)" "$B/admin/import?lang=zh"
want 400 up
web_zh up '需要通过上传表单提交文件：请在页面上选择文件后再提交'
req up -b "$T/admin.jar" -F csrf=forged -F map=register -F "$P" -F "sheet=@$T/good.csv" "$B/admin/import?lang=zh"
want 403 up
web_zh up '页面已过期（安全令牌不符）：请刷新页面后重试'
head -c $((1024 * 1024 + 1)) /dev/zero >"$T/big.bin"
req big -b "$T/admin.jar" -H 'Content-Type: application/x-www-form-urlencoded' --data-binary "@$T/big.bin" "$B/admin/settings?lang=zh"
want 413 big
[[ $(cat "$T/big") == '请求内容超过 1048576 字节，未处理' ]] || fail "413 page: $(cat "$T/big")"
req big -H 'Accept-Language: zh-CN' -H 'Content-Type: application/json' --data-binary "@$T/big.bin" "$B/api/cases"
want 413 big
python3 -c 'import json, sys; e = json.load(open(sys.argv[1]))["error"]
assert e["code"] == "too_large" and e["message"] == "请求内容超过 1048576 字节，未处理", e' "$T/big" || fail "413 API: $(cat "$T/big")"
login li "$T/li.jar"
req c -b "$T/li.jar" "$B/cases/$N?lang=zh"; want 200 c
req at -b "$T/li.jar" -F "csrf=$(csrf c)" -F stage=nowhere -F "files=@$T/a.txt" "$B/cases/$N/attachments?lang=zh"
want 400 at
web_zh at '“nowhere”不是本案流程中的阶段'
args=()
for i in $(seq 70); do args+=(-F "f$i=x"); done
req at -b "$T/li.jar" -F "csrf=$(csrf c)" "${args[@]}" "$B/cases/$N/attachments?lang=zh"
want 413 at
web_zh at '上传表单的部分超过 64 个'
req at -b "$T/li.jar" -H 'Content-Type: application/x-www-form-urlencoded' --data-binary "csrf=$(csrf c)" "$B/cases/$N/attachments?lang=zh"
want 400 at
web_zh at '需要通过上传表单提交文件'
unchanged
echo "lang_areas: ok"
