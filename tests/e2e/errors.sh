#!/usr/bin/env bash
# errors.sh - every rejection path through the real binary: usage errors (exit 2), invalid
# values (each rule), wrong role, self-approval, recusal, wrong password, lockout and
# unlock, archived (read-only) cases, rejections without reason, unknown cases and invalid
# form definitions. After every refused mutation the audit trail and the chain head must be
# exactly as before (a refused password may add only its own login-failure events).
source "$(dirname "$0")/common.bash"

# -- usage errors: exit 2, nothing read from stdin, no database needed --------------------
run 2 "" # no command at all
err_has "usage: capa"
run 2 "" frobnicate
err_has "capa: unknown command 'frobnicate'"
run 2 "" user
err_has "expected one of: add passwd unlock list"
run 2 "" --lang zh frobnicate
err_has "capa: 没有“frobnicate”这个命令：用 capa help 查看全部命令"
run 2 "" --lang zh user
err_has "capa: user: 应为以下之一： add passwd unlock list"
run 2 "" set
err_has "capa: set: "
err_has "usage: capa set CASE"
run 2 "" set QC-$Y-0001 validity=valid
err_has "--as USER is required"
run 2 "" set QC-$Y-0001 --as wang novalue
err_has "capa: set: argument 'novalue' is not name=value"
run 2 "" set QC-$Y-0001 --as wang =x
err_has "argument '=x' is not name=value"
run 2 "" open --as li
err_has "FIELD=VALUE"
run 2 "" sign QC-$Y-0001 --as wang
err_has "--meaning is required"
run 2 "" reject QC-$Y-0001 --as zhao
err_has "--reason TEXT is required"
run 2 "" show
run 2 "" show QC-$Y-0001 --lang fr
err_has "--lang must be zh or en, not 'fr'"
run 2 "" list --bogus
err_has "unknown option '--bogus'"
run 2 "" list --from 2026-02-30
err_has "--from '2026-02-30' is not a date YYYY-MM-DD"
run 2 "" list --open --closed
run 2 "" list --limit 0
run 2 "" log a b
run 2 "" verify extra
run 2 "" init --password-stdin
err_has "--org NAME is required"
run 2 "" user add li --as admin
err_has "--role ROLE is required"
run 2 "" form check
run 2 "" --db
[[ ! -e $CAPA_DB ]] || fail "a usage error created the database"

# -- no database yet ----------------------------------------------------------------------
run 1 "" show QC-$Y-0001
err_has "no capa database here"
run 1 "" verify
err_has "capa init"
[[ ! -e $CAPA_DB ]] || fail "a read created the database"

setup_users
run 1 "$(pw admin)" init --org "again" --password-stdin
err_has "already initialised"
for u in "qian qe 钱工 品管部" "ma prod_mgr 马经理 生产部" "wu intake 吴客服 业务部" \
    "gao qe_lead 高主管 品管部"; do
    set -- $u
    run 0 "$(pw admin)\n$(pw "$1")" user add "$1" --role "$2" --name "$3" --dept "$4" \
        --as admin --password-stdin
done

# -- accounts: only an admin adds users; duplicates and bad roles refused -----------------
snapshot users
run 1 "$(pw wang)\n$(pw x1)" user add x1 --role qe --name X --as wang --password-stdin
err_has "only admin"
run 1 "$(pw admin)\n$(pw li)" user add li --role qe --name Dup --as admin --password-stdin
err_has "already exists"
run 1 "$(pw admin)\n$(pw x2)" user add x2 --role emperor --name X --as admin --password-stdin
run 1 "$(pw admin)\nshort" user add x3 --role qe --name X --as admin --password-stdin
run 1 "$(pw admin)" user add x4 --role qe --name X --as admin --password-stdin
err_has "no line on stdin"
unchanged users

# -- invalid values at open: each rule, named field, value and rule; nothing written ------
base=(customer="华东汽车" part_no=PCB-7731 severity=important description="焊点连锡")
snapshot open
as li 1 open "${base[@]}" qty_affected=abc
err_has "capa: open: "
err_has "qty_affected"
err_has "'abc'"
[[ -z $OUT ]] || fail "a refused open printed a number"
as li 1 open "${base[@]}" qty_affected=-1
err_has "qty_affected"
err_has "'-1'"
as li 1 open "${base[@]}" qty_affected=100000001
err_has "'100000001'"
long=$(printf 'x%.0s' {1..101})
as li 1 open "${base[@]/#customer=*/customer=$long}"
err_has "customer"
as li 1 open "${base[@]}" lot_no="ab c"
err_has "lot_no"
err_has "'ab c'"
as li 1 open "${base[@]}" defect_code=solder-bridge
err_has "defect_code"
as li 1 open "${base[@]/#severity=*/severity=huge}"
err_has "severity"
err_has "'huge'"
as li 1 open "${base[@]}" colour=red
err_has "colour"
as li 1 open "${base[@]}" received_date=2026-02-30
err_has "received_date"
as li 1 open "${base[@]}" subject_person=nobody
err_has "subject_person"
as li 1 open part_no=PCB-7731 severity=important description="没有客户"
err_has "customer"
# All violations are reported at once.
as li 1 open "${base[@]/#severity=*/severity=huge}" qty_affected=abc lot_no="ab c"
err_has "qty_affected"
err_has "'huge'"
err_has "lot_no"
# Wrong role: an auditor may not open a case.
as zhou 1 open "${base[@]}"
unchanged open

# -- a case about wang (被投诉人): wang must sign nothing on it ---------------------------
as li 0 open "${base[@]}" subject_person=wang qty_affected=5
N=$OUT
[[ $N == QC-$Y-0001 ]] || fail "first case is $N"

snapshot set
as li 1 set "$N" qty_affected=abc
[[ $ERR == "capa: set $N"*"qty_affected"*"'abc' is not an integer"* ]] || fail "set error not 'capa: set $N: ...': $ERR"
as li 1 set "$N" severity=huge --reason "test"
err_has "'huge'"
as li 1 set QC-$Y-9999 qty_affected=1
err_has "capa: set QC-$Y-9999: "
as zhou 1 set "$N" validity=valid
err_has "capa: set $N"
as sun 1 set "$N" validity=valid
unchanged set

as qian 0 set "$N" validity=valid containment="隔离"
snapshot sign
as li 1 sign "$N" --meaning reviewed # wrong role (intake may edit, not sign)
err_has "capa: sign $N"
as wang 1 sign "$N" --meaning reviewed # recused: the complaint is about wang
err_has "capa: sign $N"
as qian 1 sign "$N" --meaning approved # wrong meaning for intake
as qian 1 reject "$N" --reason "no reject at intake"
unchanged sign
as qian 0 sign "$N" --meaning reviewed

as qian 0 set "$N" five_why.1.why="为何" five_why.1.because="因为" category_6m=method \
    root_cause_occurrence="原因" root_cause_escape="流出"
snapshot analysis
as qian 1 sign "$N" --meaning reviewed # analysis is signed by qe_lead
as qian 1 set "$N" category_6m=weather
err_has "category_6m"
as qian 1 set "$N" five_why.0.why="行号从 1 开始"
unchanged analysis
as chen 0 sign "$N" --meaning reviewed

# -- action: self-approval, empty rejection reason, wrong rejecter ------------------------
as qian 0 set "$N" corrective_actions.1.action="措施" corrective_actions.1.owner=sun \
    corrective_actions.1.due=2026-12-05 "${D7_OK[@]}"
as ma 0 set "$N" preventive_actions.1.action="预防" preventive_actions.1.owner=qian \
    preventive_actions.1.due=2026-12-20
snapshot action
as qian 1 set "$N" corrective_actions.2.owner=nobody corrective_actions.2.due=2026-13-01
err_has "owner"
err_has "due"
as ma 1 sign "$N" --meaning approved # ma changed a field of this stage: no self-approval
err_has "capa: sign $N"
as zhao 1 reject "$N" --reason ""
err_has "capa: reject $N"
as sun 1 reject "$N" --reason "not mine to reject"
as wang 1 reject "$N" --reason "recused"
unchanged action

# -- wrong password: refused; only login-failure events may be added ----------------------
run 0 "" show "$N" --json
case_before=$OUT
run 0 "" log --json
log_before=$OUT
run 1 "not-the-password\n" sign "$N" --meaning approved --as zhao --password-stdin
err_has "capa: sign $N"
run 0 "" show "$N" --json
[[ $OUT == "$case_before" ]] || fail "a wrong password changed the case"
run 0 "" log --json
python3 -c '
import json, sys
before = json.loads(sys.argv[1])
after = json.loads(sys.stdin.read())
assert after[:len(before)] == before, "earlier events changed"
added = [e["action"] for e in after[len(before):]]
assert all("fail" in a or "lock" in a for a in added), added
' "$log_before" <<<"$OUT" || fail "a wrong password added more than failure events"
run 0 "" verify

# -- lockout after repeated wrong passwords, then an admin unlocks ------------------------
locked=0
for i in $(seq 1 10); do
    run 1 "wrong-$i\n" set "$N" corrective_actions.1.action="x" --as sun --password-stdin
    if grep -qi "lock" <<<"$ERR"; then
        locked=$i
        break
    fi
done
((locked > 0)) || fail "no lockout after 10 wrong passwords"
run 0 "" user list --json
json '[u for u in d if u["id"] == "sun"][0]["locked"] is True'
run 0 "" user list
out_has "locked"
as sun 1 set "$N" corrective_actions.1.action="x" # the right password no longer helps
err_has "lock"
as wang 1 user unlock sun # only an admin unlocks
as admin 0 user unlock sun
run 0 "" user list --json
json '[u for u in d if u["id"] == "sun"][0]["locked"] is False'
run 0 "" verify

# -- passwords: a user changes their own, not someone else's ------------------------------
run 1 "$(pw li)\n$(pw wang)" user passwd wang --as li --password-stdin
run 0 "$(pw wu)\nnew-password-wu-1\n" user passwd wu --as wu --password-stdin
as wu 1 open "${base[@]}" # the old password is gone
run 0 "new-password-wu-1\n" open "${base[@]}" --as wu --password-stdin

# -- on to the archive: closing needs independence, then the case is read-only ------------
as zhao 0 sign "$N" --meaning approved
as sun 0 set "$N" disposition=rework qty_reworked=5 qty_scrapped=0 qty_received=5
as sun 0 sign "$N" --meaning done
as qian 0 set "$N" method="复检" sample_size=5 result=pass evidence="0 不良"
as qian 0 sign "$N" --meaning verified
as qian 0 set "$N" customer_reply="已回复" satisfaction=satisfied lessons_learned="评审"
as chen 0 set "$N" documents_updated="WI-1"
snapshot close
as chen 1 sign "$N" --meaning closed # chen changed a field of this stage
err_has "capa: sign $N"
as qian 1 sign "$N" --meaning closed # a qe may not close
unchanged close
as gao 0 sign "$N" --meaning closed
run 0 "" show "$N" --json
json 'd["closed"] is True and d["stage"] == "archive"'

snapshot archived
as qian 1 set "$N" lessons_learned="改"
err_has "capa: set $N"
as chen 1 set "$N" documents_updated="WI-2" --reason "after closing"
as gao 1 sign "$N" --meaning closed
as qian 1 reject "$N" --reason "reopen"
err_has "capa: reject $N"
unchanged archived

# -- unknown cases --------------------------------------------------------------------------
run 1 "" show QC-$Y-9999
err_has "capa: show QC-$Y-9999: "
run 1 "" log QC-$Y-9999
err_has "capa: log QC-$Y-9999: "
snapshot unknown
as qian 1 sign QC-$Y-9999 --meaning reviewed
err_has "capa: sign QC-$Y-9999: "
as zhao 1 reject QC-$Y-9999 --reason "x"
unchanged unknown

# -- form definitions: file:line: reason, hostile XML, installing needs an admin -----------
cat >"$T/bad.xml" <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<form xmlns="urn:capa:form:1" id="intake" version="1" zh="坏表单" en="Bad form">
  <field id="customer" type="text" zh="客户" en="Customer"/>
  <field id="qty" type="number" zh="数量" en="Quantity"/>
</form>
XML
run 1 "" form check "$T/bad.xml"
grep -qE "^$T/bad.xml:[0-9]+: " <<<"$ERR" || fail "form check did not print file:line: reason"
cat >"$T/doctype.xml" <<'XML'
<?xml version="1.0"?>
<!DOCTYPE form [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<form xmlns="urn:capa:form:1" id="intake" version="1" zh="&xxe;" en="x"/>
XML
run 1 "" form check "$T/doctype.xml"
err_has "doctype.xml"
grep -q "root:" <<<"$OUT$ERR" && fail "an external entity was read"
run 1 "" form check "$T/missing.xml"
err_has "missing.xml"
# One good and one bad file: both reported, exit 1.
run 1 "" form check "$CAPA_SRC/forms/intake.xml" "$T/bad.xml"
out_has "intake.xml: ok"
err_has "bad.xml:"
snapshot forms
as wang 1 form install "$CAPA_SRC/forms/intake.xml" # not an admin
err_has "only admin"
as admin 1 form install "$T/bad.xml"
as admin 1 form install "$T/doctype.xml"
unchanged forms

# -- backup never overwrites: a second backup into the same directory is refused ----------
run 0 "" backup "$T/bk"
run 1 "" backup "$T/bk"
err_has "capa: backup: "
run 0 "" --db "$T/bk" verify

run 0 "" verify
echo "ok errors"
