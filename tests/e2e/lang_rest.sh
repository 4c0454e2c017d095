#!/usr/bin/env bash
# lang_rest.sh - what was still English in 中文 (issue 17, words17d), with the real binaries:
# the engine's refusal of a report period (CLI and the report page: /reports/2026-13 said
# "report: month '2026-13': no month 13" inside the 中文 sentence); a dossier of no case;
# capa list's unknown stage or severity; capa form's problems; the confirmations commands
# print on stdout; capa deliver's log; the command listing of capa --help; the sign dialog's
# meaning in the reader's language only; capa --lang zh serve forwarding --lang to capa-serve.
# Each in 中文 has no English word (set aside: quoted values, options, a marked technical
# detail); the English of before is kept where scripts read it.
source "$(dirname "$0")/common.bash"
source "$(dirname "$0")/serve.bash"
source "$(dirname "$0")/lang.bash"

# zh_lines TEXT: every line of TEXT is 中文 only (after "capa: COMMAND: " on stderr).
zh_lines() {
    local l
    while IFS= read -r l; do
        [[ -z $l ]] && continue
        [[ $l == 'capa: '* ]] && l=$(sed -E 's/^capa: ([a-z][a-z ]*|[^ ]*): //' <<<"$l")
        zh_text "${l//QC-$Y-[0-9][0-9][0-9][0-9]/}" # a case number is a value
    done <<<"$1"
}

setup_users
ZH=(--lang zh)

# ---- the engine's refusals of a report period, worded from their data
run 1 "" "${ZH[@]}" report monthly --month 2026-13 -o "$T/r.pdf"
[[ $ERR == 'capa: report monthly: “2026-13”不是月份：没有第 13 月（月份为 01 到 12）' ]] || fail "month: $ERR"
run 1 "" "${ZH[@]}" report weekly --week 2026-W60 -o "$T/r.pdf"
err_has '2026 年没有第 60 周（该年为第 01 到 53 周）'
zh_lines "$ERR"
run 1 "" "${ZH[@]}" report --from 2026-01-05 --to 2026-01-01 -o "$T/r.pdf"
zh_lines "$ERR"
run 1 "" "${ZH[@]}" report monthly --month 1969-12 -o "$T/r.pdf"
zh_lines "$ERR"
# in English the engine's sentence, as before
run 1 "" report monthly --month 2026-13 -o "$T/r.pdf"
err_has "report: month '2026-13': no month 13 (months are 01 to 12)"
# a wrapped engine error keeps its refusal: a dossier of no case
run 1 "" "${ZH[@]}" dossier QC-2099-0001 -o "$T/d.pdf" --no-sign
err_has '没有编号为 QC-2099-0001 的案件'
[[ $ERR != *'no such case'* ]] || fail "dossier: $ERR"

# ---- capa list: an unknown stage or severity, with the choices by their labels
run 2 "" "${ZH[@]}" list --stage nowhere
zh_lines "$ERR"
err_has '可选的阶段：品质异常反馈（“intake”）'
run 2 "" list --stage nowhere
err_has "unknown stage 'nowhere'; stages are: intake analysis"
run 2 "" "${ZH[@]}" list --severity urgent
zh_lines "$ERR"
err_has '重要（“important”）'

# ---- capa form: a definition's problems and a file that cannot be read
printf '<form xmlns="urn:capa:form:1" id="x"><oops/></form>\n' >"$T/bad.xml"
run 1 "" "${ZH[@]}" form check "$T/bad.xml"
zh_lines "$ERR"
run 1 "" form check "$T/bad.xml"
err_has "$T/bad.xml:1:"
run 1 "" "${ZH[@]}" form check "$T/none.xml"
zh_lines "$ERR"
run 1 "" "${ZH[@]}" form show nosuchform
zh_lines "$ERR"

# ---- confirmations on stdout: 中文 with --lang zh, English as before without
as li 0 "${ZH[@]}" open customer=华东汽车 part_no=P-1 description=焊点 severity=general
N=$OUT
as wang 0 "${ZH[@]}" set "$N" containment=隔离 validity=valid
[[ $OUT == "$N：已填写 2 个字段；现处于“品质异常反馈”阶段（“intake”）" ]] || fail "set: $OUT"
as wang 0 "${ZH[@]}" sign "$N" --meaning reviewed
[[ $OUT == "$N：“wang”已签核“审核”；现处于“原因分析”阶段（“analysis”）" ]] || fail "sign: $OUT"
as chen 0 set "$N" root_cause_occurrence=x
out_has "$N: 1 field set; now in analysis (原因分析 / Root cause analysis)"
printf 'photo' >"$T/p.jpg"
as wang 0 "${ZH[@]}" attach "$N" "$T/p.jpg"
zh_lines "$(head -1 <<<"$OUT")"
as admin 0 "${ZH[@]}" owner "$N" wang --reason 接手
zh_lines "$OUT"
as admin 0 "${ZH[@]}" config timezone Asia/Shanghai
zh_lines "$OUT"
as admin 0 "${ZH[@]}" config recurrence-days 60
zh_lines "$OUT"
run 0 "$(pw admin)\n$(pw admin)\n" "${ZH[@]}" user passwd admin --as admin --password-stdin
zh_lines "$OUT"
as admin 0 "${ZH[@]}" user role sun --role qe
zh_lines "$OUT"
as admin 0 "${ZH[@]}" user disable sun
[[ $OUT == '已停用“sun”' ]] || fail "disable: $OUT"
as admin 0 user enable sun
out_is 'enabled sun'
as admin 0 "${ZH[@]}" user set li --mobile 13800138000
zh_lines "$OUT"
run 0 "" "${ZH[@]}" backup "$T/bk"
zh_lines "$OUT"
run 0 "" "${ZH[@]}" --db "$T/restored" restore "$T/bk"
zh_lines "$OUT"
run 0 "" --db "$T/restored2" restore "$T/bk"
out_has "restored $T/bk to $T/restored2; audit chain verified, head"
run 0 "" "${ZH[@]}" checkpoint
zh_lines "$OUT"
run 0 "" "${ZH[@]}" form check "$CAPA_SRC/forms"
zh_lines "$OUT"
run 0 "" --lang both form check "$CAPA_SRC/forms/intake.xml"
[[ $(wc -l <<<"$OUT") == 2 ]] || fail "both: $OUT"
zh_lines "$(head -1 <<<"$OUT")"
en_text "$(tail -1 <<<"$OUT")"

# ---- capa deliver: its log in 中文 (a robot that is down), its summary too
DOWN=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
as admin 0 config notify add down --wecom "http://127.0.0.1:$DOWN/cgi-bin/webhook/send?key=k"
as li 0 open customer=华东汽车 part_no=P-3 description=焊点 severity=general
run 1 "" "${ZH[@]}" deliver --timeout 2
zh_lines "$ERR"
err_has '通知对象“down”：未能送达'
zh_lines "$OUT"
run 0 "" deliver --timeout 2 # English as before: the target waits out its back-off
err_has 'capa: deliver: target down: 1 notice(s) wait; after 1 failure(s) it is tried again at '

# ---- capa --help: every command's line in 中文
run 0 "" "${ZH[@]}" --help
# the text after each command's name (a name of two words may leave one space only)
python3 - "$OUT" >"$T/help.txt" <<'PY' || fail "help: $OUT"
import re, sys
lines = [l for l in sys.argv[1].splitlines() if l.startswith("  ")]
assert len(lines) > 40, lines
for l in lines:
    print(re.sub(r"^  [a-z]+( [a-z]+)?( CASE)? +", "", l))
PY
while IFS= read -r l; do
    zh_text "$l"
done <"$T/help.txt"
run 0 "" --help
out_has '  init          create the database with its first (admin) user'
run 0 "" "${ZH[@]}" help reject
[[ $(tail -1 <<<"$OUT") == '  驳回当前阶段（审查 N）' ]] || fail "help reject: $OUT"

# ---- the pages: a report month the engine refuses, the sign dialog's meaning
as li 0 open customer=华东汽车 part_no=P-2 description=焊点 severity=general
M=$OUT
as wang 0 set "$M" containment=隔离 validity=valid
serve_start
login wang "$T/w.jar"
req rep -b "$T/w.jar" "$B/reports/2026-13?lang=zh"
want 400 rep
A=$(alert rep)
[[ -n $A ]] || fail "report: no alert"
zh_text "$A"
[[ $A == *'没有第 13 月'* ]] || fail "report: $A"
req sign -b "$T/w.jar" "$B/cases/$M/sign?lang=zh"
want 200 sign
has sign '签核含义: 审核</h2>'
lacks sign 'Reviewed'
req sign.en -b "$T/w.jar" "$B/cases/$M/sign?lang=en"
has sign.en 'Meaning: Reviewed</h2>'
lacks sign.en '审核</h2>'
req sign.both -b "$T/w.jar" "$B/cases/$M/sign?lang=both"
has sign.both '审核 / Reviewed'
serve_stop

# ---- capa --lang zh serve: the server gets --lang; its start-up errors and the pages of a
# reader who chose no language are in 中文
set +e
"$CAPA" --lang zh serve --listen 127.0.0.1:0 --max-body 5 2>"$T/serve.err" >/dev/null
rc=$?
set -e
[[ $rc == 2 ]] || fail "capa --lang zh serve --max-body 5: exit $rc: $(cat "$T/serve.err")"
grep -qF '选项 --max-body 须为 1024 到 67108864 之间的整数' "$T/serve.err" || fail "$(cat "$T/serve.err")"
LOG=$T/serve2.log
"$CAPA" --lang zh serve --listen 127.0.0.1:0 2>"$LOG" &
PID=$!
for _ in $(seq 100); do grep -q 'listening on' "$LOG" && break; sleep 0.1; done
PORT=$(sed -n 's|.*listening on http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$LOG")
[[ -n $PORT ]] || { cat "$LOG"; fail "capa serve did not start"; }
req login "http://127.0.0.1:$PORT/login"
want 200 login
lacks login 'Sign in'
has login '登录'
serve_stop
echo "lang_rest: ok"
