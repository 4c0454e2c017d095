#!/usr/bin/env bash
# tamper.sh - `capa verify` on a database whose audit trail was edited underneath capa (with
# lmdb-utils, as an attacker with file access would): exit 1 naming the first bad event, in
# text and JSON; a backup taken before still verifies. Editing a signed stage's stored data
# makes verify name the sign-off that no longer matches.
source "$(dirname "$0")/common.bash"
command -v mdb_dump >/dev/null && command -v mdb_load >/dev/null ||
    fail "mdb_dump/mdb_load missing (Debian package lmdb-utils)"

run 0 "$(pw admin)" init --org "示例电子有限公司" --password-stdin
run 0 "$(pw admin)\n$(pw li)" user add li --role intake --name 李娜 --as admin --password-stdin
as li 0 open customer="华东汽车" part_no=PCB-7731 severity=important description="焊点连锡"
as li 0 set QC-$Y-0001 qty_affected=120 --reason "客户补充数量"
run 0 "" verify
good=$OUT
run 0 "" log --json
n=$(jget 'len(d)')
((n >= 4)) || fail "expected at least 4 events, have $n"
run 0 "" backup "$T/copy"

# Flip one hex digit in the middle of event 3's stored record; key = big-endian seq.
mdb_dump -s events "$CAPA_DB" >"$T/events.dump"
python3 - "$T/events.dump" <<'PY'
import sys
path = sys.argv[1]
lines = open(path).read().split("\n")
key = " " + "%016x" % 3
i = lines.index(key)
v = lines[i + 1]
mid = len(v) // 2
lines[i + 1] = v[:mid] + ("0" if v[mid] != "0" else "1") + v[mid + 1:]
open(path, "w").write("\n".join(lines))
PY
mdb_load -s events -f "$T/events.dump" "$CAPA_DB" 2>"$T/load.err" || fail "mdb_load: $(cat "$T/load.err")"

run 1 "" verify
err_has "capa: verify: "
err_has "event 3"
[[ -z $OUT ]] || fail "verify printed a head for a broken chain"
run 1 "" verify --json
json 'd["ok"] is False and d["bad_seq"] == 3 and d["head"] is None and d["error"]'

# The backup taken before is intact.
run 0 "" --db "$T/copy" verify
out_is "$good"
# -- a signed stage edited underneath capa: its sign-off no longer matches ----------------
export CAPA_DB=$T/db2
run 0 "$(pw admin)" init --org "示例电子有限公司" --password-stdin
run 0 "$(pw admin)\n$(pw wang)" user add wang --role qe --name 王工 --as admin --password-stdin
as wang 0 open customer="华东汽车" part_no=PCB-7731 severity=important description="焊点连锡" \
    validity=valid containment=XQX
as wang 0 sign "QC-$Y-0001" --meaning reviewed
run 0 "" log "QC-$Y-0001" --json
sign_seq=$(jget '[e["seq"] for e in d if e["action"] == "sign"][0]')
run 0 "" verify
# The stage records are keyed by case id and stage index; the value holds "XQX" (585158).
mdb_dump -s stages "$CAPA_DB" >"$T/stages.dump"
grep -q 585158 "$T/stages.dump" || fail "containment value not found in the stage records"
sed -i 's/585158/585958/' "$T/stages.dump"
mdb_load -s stages -f "$T/stages.dump" "$CAPA_DB" 2>"$T/load.err" || fail "mdb_load: $(cat "$T/load.err")"
run 0 "" show "QC-$Y-0001" --lang en
out_has "Containment: XYX"
run 1 "" verify
err_has "capa: verify: "
err_has "intake"
run 1 "" verify --json
json "d['ok'] is False and d['bad_seq'] == $sign_seq"
echo "ok tamper"
