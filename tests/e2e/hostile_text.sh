#!/usr/bin/env bash
# hostile_text.sh - text that could forge or disguise output (issue 9, item 2), through the
# real binary. Field values with ESC or OSC sequences, C1 controls, bidi overrides or a line
# break in a one-line field are refused with exit 1, one line naming field, escaped value and
# rule, and nothing is written. Whatever is stored anyway - a multi-line value, the reasons,
# names, departments and organisation core/ does not check yet, or text edited into the
# database underneath capa - `capa log`, `show`, `list`, `user list` and `info` print
# escaped: no raw control or bidi character reaches the terminal and no line is forged.
source "$(dirname "$0")/common.bash"
command -v mdb_dump >/dev/null && command -v mdb_load >/dev/null ||
    fail "mdb_dump/mdb_load missing (Debian package lmdb-utils)"

ESC=$'\e' BEL=$'\a'
NEL=$'\xc2\x85' CSI=$'\xc2\x9b' RLO=$'\xe2\x80\xae' LRI=$'\xe2\x81\xa6'

# clean WHAT TEXT: TEXT is valid UTF-8 without C0 controls (but line breaks and tabs), DEL,
# C1 controls, bidi controls or line/paragraph separators.
clean() {
    python3 -c '
import sys
t = sys.stdin.buffer.read().decode("utf-8")
bad = [c for c in t if (ord(c) < 0x20 and c not in "\n\t") or 0x7f <= ord(c) <= 0x9f
       or 0x202a <= ord(c) <= 0x202e or 0x2066 <= ord(c) <= 0x2069 or c in "\u2028\u2029"]
sys.exit(1 if bad else 0)' <<<"$2" || fail "$1 carries a raw control, C1 or bidi character or bad UTF-8"
}
# out_contains TEXT: stdout contains TEXT, which may span lines (grep -F would match any one).
out_contains() { [[ $OUT == *"$1"* ]] || fail "stdout lacks: $1"; }
# no_line PREFIX: no line of stdout starts with PREFIX (a forged record).
no_line() { ! grep -q -- "^$1" <<<"$OUT" || fail "stdout has a line starting with '$1'"; }
# one_line_error: stderr is exactly one line, and clean.
one_line_error() {
    [[ $(wc -l <<<"$ERR") == 1 ]] || fail "the error is not one line"
    clean stderr "$ERR"
}

run 0 "$(pw admin)" init --org "示例电子有限公司" --password-stdin
run 0 "$(pw admin)\n$(pw li)" user add li --role intake --name 李娜 --dept 业务部 --as admin \
    --password-stdin
run 0 "$(pw admin)\n$(pw wang)" user add wang --role qe --name 王工 --dept 品管部 --as admin \
    --password-stdin
base=(part_no=PCB-7731 severity=important)
as li 0 open customer="华东汽车" "${base[@]}" description="焊点连锡"
N=$OUT
[[ $N == QC-$Y-0001 ]] || fail "first case is $N"

# -- field values: refused at open and at set, field, escaped value and rule named ----------
# refused FIELD VALUE SHOWN RULE CMD...: CMD (run as li) fails naming all of it, on one line.
refused() {
    local field=$1 value=$2 shown=$3 rule=$4
    shift 4
    as li 1 "$@" "$field=$value"
    err_has "field \`$field\`: value '$shown' is refused: $rule"
    one_line_error
    [[ -z $OUT ]] || fail "a refused command printed: $OUT"
}
snapshot values
refused customer "ACME${ESC}[2J" 'ACME\x1b[2J' "character U+001B (ESC) at byte 4 is not allowed" \
    open "${base[@]}" description="x"
err_has "capa: open: "
refused description "${ESC}]0;pwned${BEL}" '\x1b]0;pwned\x07' \
    "character U+001B (ESC) at byte 0 is not allowed" open customer=ACME "${base[@]}"
refused lot_no "L1${CSI}31m" 'L1\u009b31m' "character U+009B (CSI) at byte 2 is not allowed" \
    open customer=ACME "${base[@]}" description="x"
refused customer "A${NEL}B" 'A\u0085B' "character U+0085 (NEL) at byte 1 is not allowed" \
    set "$N"
err_has "capa: set $N (stage intake): "
refused description "invoice${RLO}fdp.exe" 'invoice\u202efdp.exe' \
    "character U+202E (RLO, bidi override) at byte 7 is not allowed" set "$N"
refused part_no "PCB${LRI}7731" 'PCB\u20667731' \
    "character U+2066 (LRI, bidi override) at byte 3 is not allowed" set "$N"
refused customer $'ACME\n#99 forged' 'ACME\n#99 forged' \
    "character U+000A (LF) at byte 4 is not allowed in single-line text" set "$N"
refused description $'line\r\nnext' 'line\x0d\nnext' \
    "character U+000D (CR) at byte 4 is not allowed" set "$N"
# Every violation at once, one line; a good value in the same command is not written either.
as li 1 set "$N" customer="A${ESC}[31m" description="x${RLO}" qty_affected=7
err_has "field \`customer\`: value 'A\x1b[31m' is refused"
err_has "; field \`description\`: value 'x\u202e' is refused"
one_line_error
unchanged values
run 0 "" show "$N" --json
json 'd["stages"][0]["values"]["customer"] == "华东汽车" and "qty_affected" not in d["stages"][0]["values"]'

# -- a multiline field keeps its lines, but none can pass for a record ----------------------
as li 0 set "$N" description=$'焊点连锡\n#99 2026-01-01T00:00:00Z  admin      delete\n\t全检'
run 0 "" show "$N"
out_has "    异常描述 / Description: 焊点连锡"
out_contains $'\n      #99 2026-01-01T00:00:00Z  admin      delete\n      \t全检\n'
no_line "#99"
clean "show" "$OUT"
run 0 "" log "$N"
out_has "description: '焊点连锡' → '焊点连锡\n#99 2026-01-01T00:00:00Z  admin      delete\n\t全检'"
no_line "#99"
clean "log" "$OUT"
run 0 "" list
out_has "焊点连锡 #99 2026-01-01T00:00:00Z …"
no_line "#99"
run 0 "" show "$N" --json
json 'd["stages"][0]["values"]["description"].split("\n")[1].startswith("#99 ")'

# -- reasons: stored today, printed escaped on one line -------------------------------------
# stored_or_refused WHAT CMD...: CMD (run with its own stdin) carries text core/ does not
# check yet. Today it is stored (exit 0) and STORED=1: the output checks after it apply.
# core/ checks reasons, user names, departments and the organisation with capa_text_check:
# CMD is refused (exit 1) naming WHAT and the database is unchanged (STORED=0).
stored_or_refused() {
    local what=$1 input=$2
    shift 2
    local db=no
    [[ -e $CAPA_DB/data.mdb ]] && db=yes && snapshot before
    set +e
    printf '%b' "$input" | "$CAPA" "$@" >"$T/out" 2>"$T/err"
    RC=$?
    set -e
    OUT=$(cat "$T/out") ERR=$(cat "$T/err")
    clean "stdout of $*" "$OUT"
    clean "stderr of $*" "$ERR"
    case $RC in
    0) STORED=1 ;;
    1)
        STORED=0
        err_has "$what"
        one_line_error
        [[ $db == no ]] || unchanged before
        ;;
    *) fail "capa $*: exit $RC, want 0 (stored) or 1 (refused)" ;;
    esac
}
forged=$'x\n#99 2026-01-01T00:00:00Z  admin      delete      QC-0000\e[2K\e]0;owned\a'"${RLO}"
stored_or_refused reason "$(pw li)" set "$N" qty_affected=5 --reason "$forged" --as li \
    --password-stdin
((STORED == 0)) || fail "a reason with a newline and escape sequences was stored"
if ((STORED)); then # kept for stores written before core refused such reasons
    run 0 "" log "$N"
    out_has 'reason: x\n#99 2026-01-01T00:00:00Z  admin      delete      QC-0000\x1b[2K\x1b]0;owned\x07\u202e'
    no_line "#99"
    clean "log" "$OUT"
    run 0 "" log
    no_line "#99"
    clean "log" "$OUT"
    run 0 "" log "$N" --json
    json 'd[-1]["reason"].startswith("x\n#99 ") and d[-1]["reason"].endswith("\u202e")'
fi

# -- user names and departments -------------------------------------------------------------
stored_or_refused name "$(pw admin)\n$(pw eve)" user add eve --role qe \
    --name $'Eve\e]0;pwned\a'"${CSI}"'31m' --dept $'QA\n#98 forged' --as admin --password-stdin
((STORED == 0)) || fail "a name with escape sequences was stored"
if ((STORED)); then # kept for stores written before core refused such names
    out_is 'added user eve (Eve\x1b]0;pwned\x07\u009b31m, 品质工程师 / Quality engineer (qe))'
    run 0 "" user list
    out_has 'Quality engineer (qe)  active  Eve\x1b]0;pwned\x07\u009b31m  (QA\n#98 forged)'
    no_line "#98"
    clean "user list" "$OUT"
    # The printed name goes into every signature: show escapes it there too.
    as li 0 set "$N" validity=valid containment="隔离"
    as eve 0 sign "$N" --meaning reviewed
    run 0 "" show "$N"
    out_has '审核 / Reviewed: Eve\x1b]0;pwned\x07\u009b31m (eve, qe)'
    clean "show" "$OUT"
fi

# -- the organisation -------------------------------------------------------------------------
CAPA_DB=$T/org stored_or_refused org "$(pw admin)" init --org $'Evil\e[2J\nCorp'"${RLO}" \
    --password-stdin
((STORED == 0)) || fail "an organisation with escape sequences was stored"
if ((STORED)); then # kept for stores written before core refused such names
    out_has 'for Evil\x1b[2J\nCorp\u202e; administrator: admin'
    CAPA_DB=$T/org run 0 "" info
    out_has 'organisation:   Evil\x1b[2J\nCorp\u202e'
    clean "info" "$OUT"
fi

# -- text edited into the database underneath capa: still printed escaped -------------------
# Same-length placeholders are swapped for hostile bytes in the stored records (lmdb-utils,
# as in tamper.sh), so this holds whatever the engine refuses on input.
export CAPA_DB=$T/db3
run 0 "$(pw admin)" init --org ZQZQZQZQZQZQZQZQ --password-stdin
run 0 "$(pw admin)\n$(pw li)" user add li --role intake --name ZNZNZNZNZNZNZNZN \
    --dept ZDZDZDZDZDZDZDZD --as admin --password-stdin
as li 0 open customer=ZCZCZCZCZCZCZCZC "${base[@]}" description=x
as li 0 set "QC-$Y-0001" qty_affected=1 --reason ZRZRZRZRZRZRZRZR
python3 - "$CAPA_DB" <<'PY'
import subprocess, sys
db = sys.argv[1]
swap = {b"ZQZQZQZQZQZQZQZQ": b"\n#97 Corp\x1b[2J\xc2\x9b!",
        b"ZNZNZNZNZNZNZNZN": b"\x1b]0;own\x07\n#96 \xff\xfe!",
        b"ZDZDZDZDZDZDZDZD": b"QA\r#95 \xe2\x80\xae\xe2\x81\xa6xyz",
        b"ZCZCZCZCZCZCZCZC": b"ACME\n#94 \x1b[31m\xc2\x85",
        b"ZRZRZRZRZRZRZRZR": b"ok\n#99 forged!\x1b["}
for old, new in swap.items():
    assert len(old) == len(new), new
found = set()
for name in ["meta", "cases", "stages", "signatures", "events", "users"]:
    dump = subprocess.run(["mdb_dump", "-s", name, db], capture_output=True)
    if dump.returncode != 0:
        continue
    lines, changed = dump.stdout.decode().split("\n"), False
    for i, line in enumerate(lines):
        if not line.startswith(" ") or i == 0:
            continue
        raw = bytes.fromhex(line[1:])
        for old, new in swap.items():
            if old in raw:
                raw, changed = raw.replace(old, new), True
                found.add(old)
        lines[i] = " " + raw.hex()
    if changed:
        load = subprocess.run(["mdb_load", "-s", name, db], input="\n".join(lines).encode(),
                              capture_output=True)
        assert load.returncode == 0, load.stderr
missing = set(swap) - found
assert not missing, missing
PY
run 0 "" info
out_has 'organisation:   \n#97 Corp\x1b[2J\u009b!'
clean "info" "$OUT"
no_line "#97"
run 0 "" user list
out_has 'li     业务/客服 / Sales / customer service (intake)  active  \x1b]0;own\x07\n#96 \xff\xfe!  (QA\r#95 \u202e\u2066xyz)'
clean "user list" "$OUT"
no_line "#9"
run 0 "" list
out_has 'ACME\n#94 \x1b[31m\u0085'
clean "list" "$OUT"
no_line "#94"
run 0 "" show "QC-$Y-0001"
out_has '  ACME\n#94 \x1b[31m\u0085'
out_has '客户 / Customer: ACME\n#94 \x1b[31m\u0085'
clean "show" "$OUT"
no_line "#9"
run 0 "" log
out_has 'reason: ok\n#99 forged!\x1b['
out_has "'\x1b]0;own\x07\n#96 \xff\xfe!'"
clean "log" "$OUT"
no_line "#9"
# Errors quoting stored or typed text are escaped too.
run 1 "" show $'QC-\e[2J\n#93'
err_has 'capa: show QC-\x1b[2J\n#93: '
one_line_error
run 2 "" list --stage $'x\e]0;t\a'
err_has "unknown stage 'x\x1b]0;t\x07'"
clean stderr "$ERR"

echo "ok hostile_text"
