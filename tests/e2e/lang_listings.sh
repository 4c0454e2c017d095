#!/usr/bin/env bash
# lang_listings.sh - what was still English in 中文 after words17d (issue 17, words17e), with
# the real binary: capa list's stage ids, open / closed and severity codes; the English-only
# lines of capa info, log, notices, calendar show, config notify list, escalate and show's
# limits; and engine errors a user causes that reached a 中文 reader as the kind of error plus
# the English sentence (an unknown workflow, a time that is not one, a backup into a directory
# in use, a reason given to a sign-off, a waiver by the wrong role). With --lang zh each line
# has no English word once the ids, numbers, names and quoted values are set aside; in
# English the lines are as they were (scripts read them).
source "$(dirname "$0")/common.bash"
source "$(dirname "$0")/lang.bash"

# zh_ids TEXT ID...: every line of TEXT is 中文 only once the ids given, case numbers, times,
# hashes, paths and URLs are set aside (after "capa: COMMAND: " on stderr).
zh_ids() {
    python3 - "$@" <<'PY' || fail "not 中文 only: $1"
import re, sys
text, ids = sys.argv[1], sorted(sys.argv[2:], key=len, reverse=True)
ok = {"UTF", "SHA", "MiB", "ISO", "capa", "Etc", "UTC", "SCAR", "SQE",  # SCAR, SQE: labels
      "smtp", "wecom", "dingtalk"}  # a notice target's kind
bad = []
for line in text.splitlines():
    t = re.sub(r"^capa: [^:]*: (--[a-z-]+: )?", "", line)
    t = re.sub(r"“[^”]*”", "", t)
    t = re.sub(r"(https?|smtps?)://\S+|/[\w./-]+", "", t)                 # URLs, paths
    t = re.sub(r"\b[A-Z]+-\d{4}-\d{4}\b|\b[0-9a-f]{16,}\b", "", t)      # case numbers, hashes
    t = re.sub(r"\S+@\S+|\S*\{[A-Z]+\}\S*", "", t)  # e-mail addresses, number patterns                                # number patterns
    t = re.sub(r"\d{4}-\d\d-\d\dT[\d:]+(Z|[+-]\d\d:\d\d)?", "", t)      # times
    t = re.sub(r"\b\d+[dhm]\b", "", t)                                   # spans: 2d 3h
    for i in ids:
        t = re.sub(r"(?<![A-Za-z_])" + re.escape(i) + r"(?![A-Za-z_])", "", t)
    words = [w for w in re.findall(r"[A-Za-z_]{2,}", t) if w not in ok]
    if words:
        bad.append("%s  <- %s" % (line, words))
if bad:
    print("\n".join(bad), file=sys.stderr)
    sys.exit(1)
PY
}

setup_users
ZH=(--lang zh)
# the store's ids: workflows, stages, forms, roles, users, sign meanings (an id is an id)
"$CAPA" info --json >"$T/info.json"
mapfile -t IDS < <(python3 - "$T/info.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
ids = set()
for w in d["workflows"]:
    ids.add(w["id"])
    for s in w["stages"]:
        ids.update([s["id"], s.get("form") or "", s["sign"]["meaning"]])
        ids.update(s["editors"] + s["sign"]["roles"])
        if s.get("reject_to"):
            ids.add(s["reject_to"])
ids.update(["li", "wang", "chen", "zhao", "sun", "zhou", "admin", "mail", "qe", "qe_lead",
            "intake", "prod_mgr", "production", "auditor"])
print("\n".join(sorted(i for i in ids if i)))
PY
)

# ---- a case in action (limits met and open, a reason, an attachment), one left in intake
as admin 0 config notify add mail --smtp smtp://127.0.0.1:9 --from qa@example.com
as li 0 open customer=华东汽车 part_no=P-1 description=焊点连锡 severity=important
N=$OUT
as li 0 open customer=南方家电 part_no=P-2 description=虚焊 severity=general
N2=$OUT
as wang 0 set "$N" containment=隔离 validity=valid
as wang 0 sign "$N" --meaning reviewed
as wang 0 set "$N" category_6m=method root_cause_occurrence=钢网开口偏大 \
    root_cause_escape=抽检 five_why.1.why=为何连锡 five_why.1.because=开口偏大
as chen 0 sign "$N" --meaning reviewed
printf 'photo' >"$T/p.jpg"
as wang 0 attach "$N" "$T/p.jpg"
as admin 0 owner "$N" wang --reason 接手

# ---- capa list: stage by its label, status and severity by their words
run 0 "" "${ZH[@]}" list
zh_ids "$OUT" "${IDS[@]}"
grep -q "^$N  *纠正预防措施  *处理中  .*  重要  " <<<"$OUT" || fail "list: $OUT"
grep -q "^$N2  *品质异常反馈  *处理中  .*  一般  " <<<"$OUT" || fail "list: $OUT"
run 0 "" --lang en list
grep -q "^$N  *Corrective.*  open  .*  Important  " <<<"$OUT" || fail "list en: $OUT"
run 0 "" "${ZH[@]}" list --overdue --at 2027-06-01T00:00Z
zh_ids "$OUT" "${IDS[@]}"
out_has "行动计划批准"
out_has "逾期 "
run 0 "" --lang en list --overdue --at 2027-06-01T00:00Z
out_has " past due  "
out_lacks "逾期"

# ---- capa info
run 0 "" "${ZH[@]}" info
zh_ids "$OUT" "${IDS[@]}"
out_has "组织：示例电子有限公司"
run 0 "" info
out_has "organisation:   示例电子有限公司"
out_has "       form action v1; edit: qe,qe_lead,production,prod_mgr; sign approved by prod_mgr; reject -> analysis"

# ---- capa log: the actions and a reason (a change's field: old -> new is data)
run 0 "" "${ZH[@]}" log "$N"
zh_ids "$(grep -v '^        [^ ]*: ' <<<"$OUT")" "${IDS[@]}"
# A case's log names its stages, its fields (a repeating group's with row) and choices by
# the case's forms, and the engine's own changes (a sign-off's stage, signature) in 中文.
zh_ids "$(sed -n "s/^        \([^:']*\): .*/\1/p" <<<"$OUT")"
out_has "[品质异常反馈]"
out_has "        阶段: '品质异常反馈' → '原因分析'"
grep -q "^        签名: ∅ → '" <<<"$OUT" || fail "log zh: no 签名 line: $OUT"
out_has "        理由：接手"
run 0 "" log "$N"
out_has "        reason: 接手"
grep -q "^#[0-9]* .*  li  *open  *$N \[intake\]$" <<<"$OUT" || fail "log en: $OUT"

# ---- capa notices (pending, for a user)
run 0 "" "${ZH[@]}" notices --pending
[[ -n $OUT ]] || fail "no pending notices"
zh_ids "$OUT" "${IDS[@]}"
run 0 "" notices --pending
out_has "[waits for mail]"
run 0 "" "${ZH[@]}" notices --user wang
zh_ids "$OUT$ERR" "${IDS[@]}"

# ---- capa calendar show: a covered month and one no calendar covers
run 0 "" "${ZH[@]}" calendar show 2026-10
zh_ids "$OUT" "${IDS[@]}"
out_has "2026-10-01 周四  节假日"
run 0 "" "${ZH[@]}" calendar show 2031-01
zh_ids "$OUT" "${IDS[@]}"
run 0 "" calendar show 2026-10
out_has "2026-10-01 Thu  holiday"

# ---- capa config notify list
run 0 "" "${ZH[@]}" config notify list
zh_ids "$OUT" "${IDS[@]}"
out_has "发件人 qa@example.com"
run 0 "" config notify list
out_has "  from qa@example.com"

# ---- capa escalate (faketime: the limits past due) and show's limits
at '2027-06-01 00:00:00' run 0 "" "${ZH[@]}" escalate
[[ -n $OUT ]] || fail "nothing escalated"
zh_ids "$OUT" "${IDS[@]}"
out_has "$N  行动计划批准  预警  到期 "
run 0 "" "${ZH[@]}" show "$N" --at 2027-06-02T00:00Z
# the limits and the attachment (the rest is the form's labels and the case's data)
zh_ids "$(sed -n '/^  时限:/,/^$/p' <<<"$OUT" | sed 1d)" "${IDS[@]}"
zh_ids "$(grep -A2 '^    p.jpg' <<<"$OUT")" "${IDS[@]}" image jpeg octet stream application jpg
out_has "已升级（预警）"
run 0 "" show "$N" --at 2027-06-02T00:00Z
out_has "      escalated warn 2027-06-01T00:00:00+00:00 -> "
out_has "  5 bytes  "

# ---- engine errors a user causes: worded from their data in 中文, English as before
run 1 "$(pw li)" "${ZH[@]}" open --workflow nope customer=x --as li --password-stdin
[[ $ERR == 'capa: open: 没有“nope”这个流程' ]] || fail "open --workflow: $ERR"
run 2 "" "${ZH[@]}" list --workflow nope
zh_ids "$ERR"
run 2 "" list --workflow nope
err_has "capa: list: --workflow: workflow \`nope\`: not installed"
run 1 "" "${ZH[@]}" list --due-soon --at yesterday
zh_ids "$ERR"
err_has "“yesterday”不是时间"
run 1 "" list --due-soon --at yesterday
err_has "time 'yesterday': not a moment"
run 1 "" "${ZH[@]}" backup "$T/db"
zh_ids "$ERR"
run 1 "" backup "$T/db"
err_has "not empty (holds"
as wang 1 "${ZH[@]}" sign "$N" --meaning reviewed --reason 因为
zh_ids "$ERR"
err_has "签核不带理由"
as wang 1 "${ZH[@]}" sign "$N" --meaning waived --reason 临时措施
zh_ids "$ERR"
err_has "不能签署“纠正预防措施”阶段的豁免“文件更新豁免”"
as wang 1 sign "$N" --meaning waived --reason 临时措施
err_has "waiver 'waived' (文件更新豁免) on stage action needs role qe_lead"
echo "PASS $TEST"
