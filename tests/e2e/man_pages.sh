#!/usr/bin/env bash
# man_pages.sh - the man pages the Debian package installs (packaging/capa.1.in,
# capa-serve.1.in, kept by hand) stay true to the binaries: every command `capa --help`
# lists is in capa(1); every option of `capa-serve --help` is in capa-serve(1) and every
# option capa-serve(1) documents exists; both carry the binary's version and format without
# a warning from man.
source "$(dirname "$0")/common.bash"
: "${CAPA_BUILD:?CAPA_BUILD must name the build tree (ctest sets it)}"
SERVE=${CAPA_SERVE:-$(dirname "$CAPA")/capa-serve}
page1=$CAPA_BUILD/packaging/capa.1
page8=$CAPA_BUILD/packaging/capa-serve.1
[[ -f $page1 && -f $page8 ]] || fail "no man pages in $CAPA_BUILD/packaging"

run 0 "" --help
version=$(head -1 <<<"$OUT" | awk '{print $2}')
for p in "$page1" "$page8"; do
    grep -q "^\.TH .* \"capa $version\"" "$p" || fail "$(basename "$p"): not version $version"
    MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 -Z "$p" >/dev/null 2>"$T/man.err"
    [[ ! -s $T/man.err ]] || { cat "$T/man.err"; fail "$(basename "$p"): man warns"; }
done

# capa(1): each command of `capa --help` (one or two words) is on a .B line of
# COMMANDS
printf '%s\n' "$OUT" >"$T/help"
python3 - "$page1" "$T/help" >"$T/missing" <<'EOF' || fail "cannot compare capa --help with capa(1)"
import re, sys
page = open(sys.argv[1], encoding="utf-8").read()
section = page.split(".SH COMMANDS", 1)[1].split("\n.SH ", 1)[0]
heads = [re.sub(r"\\f[BPRI]|\\", "", l[3:]).split() for l in section.splitlines() if l.startswith(".B ")]
help_text = open(sys.argv[2], encoding="utf-8").read()
cmds = help_text.split("Commands:\n", 1)[1].split("\n\n", 1)[0]
assert len(cmds.splitlines()) >= 30, "few commands in capa --help"
for line in cmds.splitlines():
    name = re.split(r"\s{2,}", line.strip())[0].split()[:2]
    if len(name) == 2 and not re.fullmatch(r"[a-z]+", name[1]):
        name = name[:1]  # "help set CASE": words of the name only
    ok = any(all(w in h for w in name) for h in heads)
    if not ok:
        print(" ".join(name))
EOF
[[ ! -s $T/missing ]] || { cat "$T/missing"; fail "commands of capa --help missing from capa(1)"; }

# capa-serve(1): the options both ways
"$SERVE" --help >"$T/serve.help"
grep -o -- '--[a-z][a-z-]*' "$T/serve.help" | sort -u >"$T/opts.help"
grep -o -- '\\-\\-[a-z][a-z\\-]*' "$page8" | sed 's/\\-/-/g' | sort -u >"$T/opts.man"
[[ $(wc -l <"$T/opts.help") -ge 12 ]] || fail "capa-serve --help lists few options"
missing=$(comm -23 "$T/opts.help" "$T/opts.man")
[[ -z $missing ]] || fail "options of capa-serve --help missing from capa-serve(1): $missing"
stale=$(comm -13 "$T/opts.help" "$T/opts.man")
[[ -z $stale ]] || fail "capa-serve(1) documents options capa-serve does not have: $stale"
echo "ok $TEST"
