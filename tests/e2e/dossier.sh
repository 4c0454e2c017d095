#!/usr/bin/env bash
# dossier.sh - `capa dossier` end to end: walk a complaint through all six stages with the
# real binary (issue 3's acceptance walk, rejection loop included), render its dossier and
# check it only with tools that know nothing of capa: pdfinfo, qpdf, pdffonts, pdftotext,
# pdfsig, openssl cms, pdftoppm. Then the bad inputs and --all.
#
# env: CAPA = the capa binary (CTest sets it). Needs poppler-utils, qpdf, openssl, python3.
set -euo pipefail
: "${CAPA:?set CAPA to the capa binary}"
for t in pdfinfo pdftotext pdffonts pdfsig pdftoppm qpdf openssl python3; do
    command -v "$t" >/dev/null || { echo "skip: $t missing"; exit 0; }
done
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export CAPA_DB=$T/var
unset CAPA_FONT
PW=secret-pass-1
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }
as() { local u=$1; shift; printf '%s\n' "$PW" | "$CAPA" "$@" --as "$u" --password-stdin; }

printf '%s\n%s\n' "$PW" "$PW" | "$CAPA" init --org "示例电子有限公司" --password-stdin >/dev/null
[ -f "$CAPA_DB/keys/org.key" ] && [ -f "$CAPA_DB/keys/org.crt" ] || fail "init made no signing key"
[ "$(stat -c %a "$CAPA_DB/keys/org.key")" = 600 ] || fail "org.key is not mode 600"
for u in "li intake 李娜 业务部" "wang qe 王工 品管部" "chen qe_lead 陈主管 品管部" \
         "zhao prod_mgr 赵经理 生产部" "sun production 孙班长 生产部"; do
    set -- $u
    printf '%s\n%s\n' "$PW" "$PW" | "$CAPA" user add "$1" --role "$2" --name "$3" --dept "$4" \
        --as admin --password-stdin >/dev/null
done

N=$(as li open customer="华东汽车" part_no=PCB-7731 lot_no=L2026-1102 qty_affected=120 \
    defect_code=SOLDER-BRIDGE severity=important channel=written complaint_type=quality \
    responsible_dept=生产部 description="焊点连锡，客户来料检验发现")
as wang set "$N" validity=valid containment="库存隔离 3 批，全检" >/dev/null
as wang sign "$N" --meaning reviewed >/dev/null
as wang set "$N" five_why.1.why="为何连锡" five_why.1.because="钢网开口偏大" \
    five_why.2.why="为何钢网开口偏大" \
    five_why.2.because="钢网设计沿用旧版规范，未针对 0.4 mm 间距 QFN 器件做开口缩小；设计评审清单中也没有开口面积比的检查项。The stencil design reused an old rule set without aperture reduction." \
    category_6m=method root_cause_occurrence="钢网开口设计偏大 0.05 mm" \
    root_cause_escape="AOI 程序未覆盖该位置" >/dev/null
as chen sign "$N" --meaning reviewed >/dev/null
as wang set "$N" corrective_actions.1.action="钢网开口缩小 10%" corrective_actions.1.owner=sun \
    corrective_actions.1.due=2026-12-05 corrective_actions.1.error_proofing=none \
    corrective_actions.1.error_proofing_reason=test corrective_actions.1.control_plan_ref=CP-1 \
    corrective_actions.1.control_plan_rev_before=A corrective_actions.1.control_plan_rev_after=B >/dev/null
as zhao reject "$N" --reason "缺少预防措施" >/dev/null
as chen sign "$N" --meaning reviewed >/dev/null
as wang set "$N" preventive_actions.1.action="更新钢网设计规范" preventive_actions.1.owner=wang \
    preventive_actions.1.due=2026-12-20 >/dev/null
as zhao sign "$N" --meaning approved >/dev/null
as sun set "$N" disposition=rework rework_mode=in_house rework_order=RW-2026-0088 \
    qty_reworked=120 qty_scrapped=0 qty_received=120 >/dev/null
as sun sign "$N" --meaning done >/dev/null
as wang set "$N" method="复检 + 批量验证" sample_size=200 result=pass evidence="连续 3 批 0 不良" >/dev/null
as wang sign "$N" --meaning verified >/dev/null
as wang set "$N" customer_reply="已回复客户 8D 报告" follow_up_date=2026-12-28 follow_up_by=wang \
    satisfaction=satisfied lessons_learned="钢网设计评审加入开口检查" \
    documents_updated="WI-SMT-012 rev C" >/dev/null
as chen sign "$N" --meaning closed >/dev/null
# A second case left open, for --all --closed-since.
N2=$(as li open customer="华南电器" part_no=PCB-1001 lot_no=L2026-2001 qty_affected=5 \
     defect_code=SCRATCH severity=general channel=phone complaint_type=quality \
     responsible_dept=生产部 description="外壳划伤")

D=$T/out/$N.pdf
mkdir -p "$T/out"
"$CAPA" dossier "$N" -o "$D" >/dev/null || fail "dossier exited $?"
[ -s "$D" ] || { echo "FAIL: no dossier written" >&2; exit 1; }

# pdfinfo and qpdf: a well-formed PDF of several pages.
pages=$(pdfinfo "$D" | awk '/^Pages:/ {print $2}')
[ "${pages:-0}" -ge 3 ] && ok "pdfinfo: $pages pages" || fail "pdfinfo pages=$pages"
qpdf --check "$D" >/dev/null 2>&1 && ok "qpdf --check" || fail "qpdf --check"

# pdffonts: every font embedded (and it is our CID TrueType).
pdffonts "$D" | tail -n +3 | awk '$0 !~ / yes +yes +yes / {bad=1} END {exit bad}' \
    && pdffonts "$D" | grep -q 'CID TrueType' && ok "pdffonts: embedded" || fail "pdffonts"

# pdftotext: labels, values, names and meanings, in reading order.
pdftotext -layout "$D" "$T/d.txt"
python3 - "$T/d.txt" "$N" <<'PY' && ok "pdftotext: content in order" || fail "pdftotext order"
import sys
t = open(sys.argv[1], encoding="utf-8").read()
want = ["8D 纠正预防措施档案", sys.argv[2], "示例电子有限公司", "华东汽车", "PCB-7731 / L2026-1102",
        "已结案", "审计链锚点",
        "品质异常反馈", "客户", "Customer", "焊点连锡，客户来料检验发现", "严重度", "重要",
        "王工 (wang)", "审核",
        "原因分析", "为何连锡", "钢网开口偏大", "陈主管 (chen)", "已被取代",
        "纠正预防措施", "钢网开口缩小", "更新钢网设计规范", "赵经理 (zhao)", "驳回",
        "缺少预防措施", "赵经理 (zhao)", "批准",
        "返工", "RW-2026-0088", "孙班长 (sun)",
        "验证", "连续 3 批 0 不良",
        "归档", "钢网设计评审加入开口检查", "结案",
        "审计追踪", "reject"]
pos = 0
for w in want:
    i = t.find(w, pos)
    if i < 0:
        print("missing or out of order:", w, file=sys.stderr)
        sys.exit(1)
    pos = i + len(w)
if "第 1 页 / 共" not in t or "□" in t:
    print("footer missing or placeholder drawn", file=sys.stderr)
    sys.exit(1)
PY

# pdfsig: valid and covering the whole document (pdfsig exits 0 either way: read its text).
sig=$(pdfsig "$D" 2>/dev/null)
grep -q "Signature is Valid" <<<"$sig" && grep -q "Total document signed" <<<"$sig" \
    && grep -q "示例电子有限公司" <<<"$sig" && ok "pdfsig valid" || fail "pdfsig: $sig"

# openssl cms -verify on the byte ranges agrees; then one flipped byte breaks both.
python3 - "$D" "$T" <<'PY'
import re, sys
d = open(sys.argv[1], "rb").read()
m = list(re.finditer(rb"/ByteRange \[(\d+) (\d+) (\d+) (\d+)", d))[-1]
a, b, c, n = map(int, m.groups())
assert a == 0 and c + n == len(d), "byte range does not cover the file"
open(sys.argv[2] + "/data.bin", "wb").write(d[:b] + d[c:c + n])
open(sys.argv[2] + "/sig.der", "wb").write(bytes.fromhex(d[b + 1:c - 1].decode()))
bad = bytearray(d); bad[b // 2] ^= 1
open(sys.argv[2] + "/tampered.pdf", "wb").write(bad)
PY
openssl cms -verify -binary -inform DER -in "$T/sig.der" -content "$T/data.bin" \
    -CAfile "$CAPA_DB/keys/org.crt" -purpose any -out /dev/null 2>"$T/cms.txt" \
    && grep -q "Verification successful" "$T/cms.txt" && ok "openssl cms -verify" \
    || fail "openssl cms -verify: $(cat "$T/cms.txt")"
tsig=$(pdfsig "$T/tampered.pdf" 2>/dev/null || true)
if grep -q "Signature is Valid" <<<"$tsig"; then fail "tampered PDF still valid"; else
    ok "one flipped byte invalidates the signature"; fi

# pdftoppm: the Chinese actually draws. The cover title box must hold ink shaped like the
# reference render of the same words, and every page has ink.
pdftoppm -r 72 -gray "$D" "$T/p"
python3 - "$T" "$pages" <<'PY' && ok "pdftoppm: glyph ink" || fail "pdftoppm ink"
import glob, sys
def pgm(path):
    d = open(path, "rb").read()
    parts = d.split(b"\n", 3)
    w, h = map(int, parts[1].split())
    return w, h, parts[3]
files = sorted(glob.glob(sys.argv[1] + "/p-*.pgm"))
assert len(files) == int(sys.argv[2]), files
for f in files:
    w, h, px = pgm(f)
    ink = sum(255 - v for v in px) / 255
    assert ink > 2000, (f, ink)
# Title "8D 纠正预防措施档案" at 20 pt: the box 48..300 x 62..86 pt from the top.
w, h, px = pgm(files[0])
ink = sum(255 - px[y * w + x] for y in range(62, 86) for x in range(48, 300)) / 255
# Each CJK glyph of Zen Hei at 20 pt carries roughly 40-90 px of ink at 72 dpi; 8 CJK glyphs
# plus "8D" must be there, .notdef boxes or lost strokes give far less or far more.
assert 250 < ink < 1200, ink
PY

# Bad input: unknown case, unwritable path, missing key, missing font: clear errors, no file.
if "$CAPA" dossier QC-2099-9999 -o "$T/none.pdf" 2>"$T/err"; then fail "unknown case exit 0"; fi
grep -q "QC-2099-9999" "$T/err" && [ ! -e "$T/none.pdf" ] && ok "unknown case refused" \
    || fail "unknown case: $(cat "$T/err")"
if "$CAPA" dossier "$N" -o /nonexistent-dir/x.pdf 2>"$T/err"; then fail "bad path exit 0"; fi
grep -q "/nonexistent-dir/x.pdf" "$T/err" && ok "unwritable path refused" \
    || fail "bad path: $(cat "$T/err")"
if CAPA_FONT=/nonexistent/font.ttf "$CAPA" dossier "$N" -o "$T/f.pdf" 2>"$T/err"; then
    fail "missing font exit 0"; fi
grep -q "/nonexistent/font.ttf" "$T/err" && [ ! -e "$T/f.pdf" ] && ok "missing font named" \
    || fail "missing font: $(cat "$T/err")"
mv "$CAPA_DB/keys/org.key" "$T/org.key"
if "$CAPA" dossier "$N" -o "$T/k.pdf" 2>"$T/err"; then fail "missing key exit 0"; fi
grep -q "org.key" "$T/err" && [ ! -e "$T/k.pdf" ] && ok "missing key named" \
    || fail "missing key: $(cat "$T/err")"
mv "$T/org.key" "$CAPA_DB/keys/org.key"
ls -A "$T/out" | grep -v "^$N.pdf$" && fail "temporary files left in the output directory"

# --all --closed-since: only the closed case, progress on stderr.
"$CAPA" dossier --all --closed-since 2000-01-01 -o "$T/all/" >"$T/all.out" 2>"$T/all.err" \
    || fail "--all exited $?"
[ -f "$T/all/$N.pdf" ] && [ ! -e "$T/all/$N2.pdf" ] && grep -q "\[1/1\] $N" "$T/all.err" \
    && ok "--all --closed-since" || fail "--all: $(ls "$T/all") $(cat "$T/all.err")"

# A real identity: `capa cert install` checks the pair; dossiers then carry its name. And
# `capa init --cert --key` installs one into a fresh database.
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/real.key" -out "$T/real.crt" -days 30 \
    -subj "/CN=Real Plant QA/O=Real Plant" 2>/dev/null
if "$CAPA" cert install --key "$CAPA_DB/keys/org.key" --cert "$T/real.crt" 2>"$T/err"; then
    fail "mismatched key and certificate accepted"; fi
grep -q "does not match" "$T/err" && ok "mismatched pair refused" || fail "pair: $(cat "$T/err")"
"$CAPA" cert install --key "$T/real.key" --cert "$T/real.crt" >/dev/null || fail "cert install"
[ "$(stat -c %a "$CAPA_DB/keys/org.key")" = 600 ] || fail "installed org.key is not mode 600"
"$CAPA" dossier "$N" -o "$T/real.pdf" >/dev/null || fail "dossier with installed cert"
rsig=$(pdfsig "$T/real.pdf" 2>/dev/null)
grep -q "Real Plant QA" <<<"$rsig" && grep -q "Signature is Valid" <<<"$rsig" \
    && ok "dossier signed with the installed certificate" || fail "installed cert: $rsig"
printf '%s\n%s\n' "$PW" "$PW" | CAPA_DB=$T/var2 "$CAPA" init --org "Real Plant" \
    --cert "$T/real.crt" --key "$T/real.key" --password-stdin >/dev/null || fail "init --cert"
openssl x509 -in "$T/var2/keys/org.crt" -noout -subject 2>/dev/null | grep -q "Real Plant QA" \
    && ok "init --cert --key installs the identity" || fail "init --cert did not install it"

[ "$fails" -eq 0 ] || { echo "$fails failure(s)" >&2; exit 1; }
echo "all dossier checks passed"
