#!/usr/bin/env bash
# init.sh - `capa init` options: a plant's own forms directory, its numbering pattern and
# admin id; a forms directory with an invalid definition is refused naming file and line,
# leaves nothing half-initialised, and a later init with good forms succeeds.
source "$(dirname "$0")/common.bash"

mkdir -p "$T/forms" "$T/bad"
cp "$CAPA_SRC"/forms/*.xml "$T/forms/"
sed -i 's/zh="客户" en="Customer"/zh="顾客" en="Client"/' "$T/forms/intake.xml"
grep -q '顾客' "$T/forms/intake.xml" || fail "could not relabel the intake form"
cp "$CAPA_SRC"/forms/*.xml "$T/bad/"
sed -i 's/type="integer"/type="number"/' "$T/bad/intake.xml"

# form check on a directory checks the whole set.
run 0 "" form check "$T/forms"
out_has "ok (workflow and 6 stage forms)"
run 1 "" form check "$T/bad"
grep -qE "^$T/bad/intake.xml:[0-9]+: " <<<"$ERR" || fail "form check DIR did not print file:line: reason"

# A broken forms directory: refused with file:line, nothing initialised.
run 1 "$(pw boss)" init --org "示例电子" --forms "$T/bad" --password-stdin
err_has "intake.xml:"
run 1 "" verify
run 1 "$(pw boss)" init --org "示例电子" --forms "$T/nonexistent" --password-stdin

# Good forms, own numbering and admin id.
run 0 "$(pw boss)" init --org "示例电子" --forms "$T/forms" --number-pattern "8D-{YYYY}-{NNNN}" \
    --admin boss --admin-name "老板" --password-stdin
out_has "boss"
run 0 "" info --json
json 'd["org"] == "示例电子" and d["number_pattern"] == "8D-{YYYY}-{NNNN}" and d["cases"] == 0'
run 0 "" user list --json
json '[(u["id"], u["role"], u["name"]) for u in d] == [("boss", "admin", "老板")]'
run 0 "$(pw boss)\n$(pw li)" user add li --role intake --name 李娜 --as boss --password-stdin
as li 0 open customer="华东汽车" part_no=PCB-7731 severity=general description="自定义表单"
out_is "8D-$Y-0001"
run 0 "" show "8D-$Y-0001" --lang zh
out_has "顾客: 华东汽车"
run 0 "" show "8D-$Y-0001" --lang en
out_has "Client: 华东汽车"
echo "ok init"
