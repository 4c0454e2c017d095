#!/usr/bin/env bash
# import_resume.sh - `capa import --resume` (issue 16, defect 12): an import killed with
# kill -9 after some of its batches committed is finished by --resume with the same file:
# every row imported exactly once, each batch all or nothing, the trail saying which run
# imported which row; the refusal without --resume says how far it got; a file imported in
# full or a different file is refused or reported; CSV and xlsx; --skip-invalid.
source "$(dirname "$0")/common.bash"
run 0 "$(pw admin)" init --org "示例电子有限公司" --password-stdin # only the admin imports
PYX=python3
[[ -x /usr/bin/python3 ]] && PYX=/usr/bin/python3

# gen FILE N [BAD,ROWS]: a register of N complaints (customer C00001.. in order, every
# third closed); the listed data rows (1-based) have a severity no form knows.
gen() {
    $PYX - "$@" <<'PY'
import sys
path, n = sys.argv[1], int(sys.argv[2])
bad = {int(x) for x in sys.argv[3].split(",") if x} if len(sys.argv) > 3 else set()
rows = [["投诉日期", "客户名称", "料号", "问题描述", "严重程度", "处理状态", "结案日期"]]
for i in range(1, n + 1):
    closed = i % 3 == 0
    rows.append([f"2025/2/{i % 28 + 1}", f"C{i:05d}", f"P-{i:05d}", f"描述 {i}",
                 "很严重" if i in bad else "一般", "已结案" if closed else "处理中",
                 f"2025/3/{i % 28 + 1}" if closed else ""])
if path.endswith(".xlsx"):
    from openpyxl import Workbook
    wb = Workbook()
    for r in rows:
        wb.active.append(r)
    wb.save(path)
else:
    with open(path, "w", encoding="utf-8") as f:
        f.writelines(",".join(r) + "\n" for r in rows)
PY
}
cases() { "$CAPA" info --json | sed -n 's/^  "cases": \([0-9]*\),$/\1/p'; }

# kill_mid ARGS...: start `capa import ARGS` and kill -9 it as soon as a batch has committed
# (capa info counts the cases); K = the cases it left.
kill_mid() {
    local base n pid
    base=$(cases)
    printf '%s\n' "$(pw admin)" |
        "$CAPA" import "$@" --as admin --password-stdin >"$T/k.out" 2>"$T/k.err" &
    pid=$!
    for _ in $(seq 3000); do
        n=$(cases)
        [[ $n -gt $base ]] && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.01
    done
    kill -9 "$pid" 2>/dev/null || true
    set +e
    wait "$pid"
    local rc=$?
    set -e
    [[ $rc == 137 ]] || fail "import was not killed mid-way (exit $rc): $(cat "$T/k.out" "$T/k.err")"
    K=$(($(cases) - base))
}

# ---- CSV: killed after some batches, resumed ----------------------------------------------
N=3000
gen "$T/reg.csv" $N
SHA=$(sha256sum "$T/reg.csv" | cut -d' ' -f1)
kill_mid --csv "$T/reg.csv" --map register --batch 100
[[ $K -gt 0 && $K -lt $N ]] || fail "killed with $K of $N imported"
[[ $((K % 100)) == 0 ]] || fail "$K cases: a batch of 100 was committed in part"
run 0 "" verify
# Again without --resume: refused, saying how far it got and what finishes it.
snapshot killed
as admin 1 import --csv "$T/reg.csv" --map register
err_has "reg.csv (sha256 $SHA) was imported in part: $K cases came from it, its rows up to row $((K + 1)) of $((N + 1)) are done; \`capa import --resume\` with the same file imports the rest"
unchanged killed
# --resume with another file: refused, nothing written.
sed 's/C00007/C00007X/' "$T/reg.csv" >"$T/other.csv"
as admin 1 import --csv "$T/other.csv" --map register --resume
err_has "--resume: no import of other.csv"
err_has "--resume finishes an interrupted import of the same file, byte for byte"
unchanged killed
# --resume --dry-run checks the rest and writes nothing.
as admin 0 import --csv "$T/reg.csv" --map register --resume --dry-run
out_has "$((N - K)) rows checked, 0 bad; nothing written"
unchanged killed
# --resume finishes it.
as admin 0 import --csv "$T/reg.csv" --map register --batch 100 --resume
out_has "reg.csv: resumes after row $((K + 1)) ($K cases from earlier runs) as run 2"
out_has "$((N - K)) cases imported"
# Every row exactly once: N cases, the customers C00001..C0N each once, numbers in order.
run 0 "" list --json
printf '%s' "$OUT" >"$T/list.json"
$PYX - "$N" "$T/list.json" <<'PY' || fail "rows not imported exactly once"
import json, sys
n = int(sys.argv[1])
d = json.load(open(sys.argv[2], encoding="utf-8"))
assert len(d) == n, len(d)
assert sorted(c["customer"] for c in d) == [f"C{i:05d}" for i in range(1, n + 1)]
assert sorted(c["number"] for c in d) == [f"QC-2025-{i:04d}" for i in range(1, n + 1)]
PY
# A row of each run: its data and the run its event names.
last=$(printf 'C%05d' "$K") next=$(printf 'C%05d' $((K + 1)))
run 0 "" list --customer "$next" --json
NUM=$(jget 'd[0]["number"]')
run 0 "" show "$NUM" --json
json 'd["stages"][0]["values"]["part_no"] == "P-'"$(printf '%05d' $((K + 1)))"'"'
json 'd["stages"][0]["values"]["description"] == "描述 '"$((K + 1))"'"'
run 0 "" log "$NUM"
out_has "imported from reg.csv row $((K + 2)) (sha256 $SHA), run 2"
run 0 "" list --customer "$last" --json
run 0 "" log "$(jget 'd[0]["number"]')" --json
json 'd[0]["facts"]["run"] == "1" and d[0]["facts"]["row"] == "'"$((K + 1))"'"'
run 0 "" verify
# --resume once more: done in full, nothing written; without it, "imported before".
snapshot done
as admin 0 import --csv "$T/reg.csv" --map register --resume
out_has "reg.csv: imported in full already: $N cases came from it (rows up to $((N + 1))); nothing imported"
unchanged done
as admin 1 import --csv "$T/reg.csv" --map register
err_has "was imported before: $N cases came from it, in 2 runs"
unchanged done
# The runs' marks are derived records: verify names one changed.
cp -a "$CAPA_DB" "$T/good"
"${CAPA_BUILD:?}/tests/faults/capa-tamper" "$CAPA_DB" meta-u64 "import_to:$SHA" $((K + 1)) ||
    fail "capa-tamper meta-u64"
run 1 "" verify
err_has "import_to:$SHA"
rm -rf "$CAPA_DB" && cp -a "$T/good" "$CAPA_DB"

# ---- --skip-invalid: rows set aside before and after the kill, and at the end --------------
# Bad data rows 5 and 2998-3000 (the file's last three): the first run sets all four aside
# (its rejects file is whole though it was killed); the resumed run sets aside those after
# its start; the last good row's event accounts for the bad rows after it, so the file
# then reads as imported in full.
rm -rf "$CAPA_DB" && cp -a "$T/good" "$CAPA_DB"
gen "$T/bad.csv" $N 5,2998,2999,3000
sed -i 's/^\(2025[^,]*\),C/\1,D/' "$T/bad.csv" # other customers (D00001..), other cases
base=$(cases)
kill_mid --csv "$T/bad.csv" --map register --batch 100 --skip-invalid "$T/rej1.csv"
[[ $K -gt 0 && $K -lt $((N - 4)) ]] || fail "killed with $K of $((N - 4)) imported"
[[ $(grep -c '很严重' "$T/rej1.csv") == 4 ]] || fail "the killed run's rejects file is not whole"
as admin 1 import --csv "$T/bad.csv" --map register --resume
err_has "3 of $((N - K - 1)) rows are bad; nothing imported"
as admin 0 import --csv "$T/bad.csv" --map register --resume --skip-invalid "$T/rej2.csv"
out_has "$((N - 4 - K)) cases imported"
out_has "3 rows set aside"
[[ $(grep -c '很严重' "$T/rej2.csv") == 3 ]] || fail "the resumed run's rejects file"
[[ $(($(cases) - base)) == $((N - 4)) ]] || fail "$(($(cases) - base)) cases, want $((N - 4))"
run 0 "" list --customer-like D --json
json 'sorted(c["customer"] for c in d) == ["D%05d" % i for i in range(1, 3001) if i not in (5, 2998, 2999, 3000)]'
as admin 0 import --csv "$T/bad.csv" --map register --resume
out_has "imported in full already: $((N - 4)) cases came from it"
run 0 "" verify

# ---- xlsx ------------------------------------------------------------------------------
gen "$T/reg.xlsx" 1500
$PYX - "$T/reg.xlsx" <<'PY'
from openpyxl import load_workbook
import sys
wb = load_workbook(sys.argv[1])
for row in wb.active.iter_rows(min_row=2):
    row[1].value = "X" + row[1].value[1:]
wb.save(sys.argv[1])
PY
base=$(cases)
# Batches of 10: 150 durable commits, so a faster import still runs long enough to be killed
# after its first batch on a loaded machine.
kill_mid --xlsx "$T/reg.xlsx" --map register --batch 10
[[ $K -gt 0 && $K -lt 1500 && $((K % 10)) == 0 ]] || fail "xlsx: killed with $K of 1500"
as admin 1 import --xlsx "$T/reg.xlsx" --map register
err_has "was imported in part: $K cases came from it"
as admin 0 import --xlsx "$T/reg.xlsx" --map register --resume
out_has "$((1500 - K)) cases imported"
run 0 "" list --customer-like X --json
json 'sorted(c["customer"] for c in d) == ["X%05d" % i for i in range(1, 1501)]'
run 0 "" verify
echo "ok import_resume"
