#!/usr/bin/env bash
# validate.sh - `capa validate` (issue 19), the operational qualification, with the real
# binary: every check passes on a sound build and the signed PDF says so (pdfsig, pdftotext);
# the JSON carries the same results; the scratch store is removed and the plant's database
# (CAPA_DB) is neither read nor changed, and a scratch directory or report inside it is
# refused; a deliberately broken check (--break verify: the scratch store edited before it is
# verified) is a failed clause in the PDF and the JSON, and exit 1.
source "$(dirname "$0")/common.bash"

command -v pdfsig >/dev/null && command -v pdftotext >/dev/null || {
    echo "skip: pdfsig/pdftotext (poppler-utils) missing"
    exit 77
}
mkdir -p "$T/tmp"
export TMPDIR=$T/tmp

# The plant's store: validate must leave it exactly as it is.
run 0 "$(pw admin)\n" init --org "Plant" --password-stdin
fingerprint() { (cd "$CAPA_DB" && find . -type f -print0 | sort -z | xargs -0 sha256sum); }
before=$(fingerprint)

# -- --list: the checks and the clauses each re-runs --------------------------------------
run 0 "" validate --list
[[ $(wc -l <<<"$OUT") == 12 ]] || fail "--list: want 12 checks"
for k in access walk procedures esign lockout audit limits tamper anchor backup dossier verify; do
    grep -q "^$k	" <<<"$OUT" || fail "--list lacks $k"
done

# -- usage errors ----------------------------------------------------------------------------
run 2 "" validate
err_has "-o REPORT.pdf (or --json) is required"
run 2 "" validate --json --break nosuch
err_has "--break 'nosuch' is not a check"
run 2 "" validate -o "$T/x.pdf" --key "$T/k"
err_has "--key and --cert go together"

# -- refuses to write into the plant's database directory -----------------------------------
run 1 "" validate -o "$CAPA_DB/report.pdf"
err_has "is inside the database directory"
[[ ! -e $CAPA_DB/report.pdf ]] || fail "a report was written into the database directory"
TMPDIR=$CAPA_DB run 1 "" validate --json
err_has "validate never touches the plant's data"
[[ $(fingerprint) == "$before" ]] || fail "the plant's database changed"

# -- the pass case -----------------------------------------------------------------------
run 0 "" validate -o "$T/oq.pdf" --json
json 'd["result"] == "pass" and d["failed"] == 0 and d["passed"] == 12'
json 'all(c["passed"] for c in d["checks"]) and len(d["checks"]) == 12'
json 'any(c["id"] == "walk" and "Part 11 11.10(f)" in c["clauses"] for c in d["checks"])'
json 'any(c["id"] == "procedures" and "IATF 16949 10.2.5" in c["clauses"] and any(e.startswith("ok") and "challenge-part test: refused" in e for e in c["evidence"]) for c in d["checks"])'
json 'any(c["id"] == "tamper" and any("verify fails" in e for e in c["evidence"]) for c in d["checks"])'
json 'd["environment"]["capa version"] and "sha256:" in d["environment"]["binary"]'
json 'any("liblmdb" in l and "sha256:" in l for l in d["environment"]["libraries"])'
json 'd["environment"]["os (/etc/os-release)"] and d["environment"]["kernel (uname)"]'
exe=$(readlink -f "$CAPA")
json "d['environment']['binary'].endswith('sha256:$(sha256sum "$exe" | cut -d' ' -f1)')"
pdfsig "$T/oq.pdf" >"$T/sig" 2>&1 || true
grep -q "Signature is Valid" "$T/sig" || fail "the report is not validly signed: $(cat "$T/sig")"
grep -q "Total document signed" "$T/sig" || fail "the signature does not cover the report"
pdftotext "$T/oq.pdf" "$T/oq.txt"
text=$(tr -s ' \n' ' ' <"$T/oq.txt")
grep -qF "Result: PASSED - all 12 checks passed" <<<"$text" || fail "no PASSED verdict"
for k in access walk procedures esign lockout audit limits tamper anchor backup dossier verify; do
    grep -qF "$k: PASS" <<<"$text" || fail "the report lacks '$k: PASS'"
done
grep -qF "Part 11 11.300(d)" <<<"$text" || fail "the report lacks the clauses"
grep -qF "libcrypto" <<<"$text" || fail "the report lacks the library digests"
[[ -z $(ls -A "$T/tmp") ]] || fail "scratch left behind: $(ls -A "$T/tmp")"
[[ $(fingerprint) == "$before" ]] || fail "the plant's database changed"

# -- a deliberately broken check: the scratch store edited before it is verified ---------------
run 1 "" validate -o "$T/broken.pdf" --json --break verify
err_has "1 check(s) failed"
json 'd["result"] == "fail" and d["failed"] == 1 and d["passed"] == 11'
json '[c["id"] for c in d["checks"] if not c["passed"]] == ["verify"]'
json 'any(c["id"] == "verify" and "Part 11 11.10(a)" in c["clauses"] and any(e.startswith("FAIL") and "mismatch" in e for e in c["evidence"]) for c in d["checks"])'
pdfsig "$T/broken.pdf" >"$T/sig" 2>&1 || true
grep -q "Signature is Valid" "$T/sig" || fail "the failed report is not validly signed"
pdftotext "$T/broken.pdf" "$T/broken.txt"
text=$(tr -s ' \n' ' ' <"$T/broken.txt")
grep -qF "Result: FAILED - 1 of 12 checks failed" <<<"$text" || fail "no FAILED verdict"
grep -qF "verify: FAIL" <<<"$text" || fail "the report does not name the failed check"
grep -qF "verify (Part 11 11.10(a);" <<<"$text" || fail "the summary does not name its clauses"
grep -qF "tamper: PASS" <<<"$text" || fail "the other checks should still pass"
[[ -z $(ls -A "$T/tmp") ]] || fail "scratch left behind after a failure"
[[ $(fingerprint) == "$before" ]] || fail "the plant's database changed"
echo "ok $TEST"
