#!/usr/bin/env bash
# browser.sh - capa serve in a real browser: Debian's chromium, driven through
# chromium-driver by python3-selenium (browser_walk.py), on a 10-inch tablet viewport
# (1280x800, touch). The walk: six users take a complaint through all six stages, with a
# field error, a wrong signing password, a rejection, a forged CSRF token and the dossier
# download; the store verifies afterwards and the dossier's signature is valid. Screenshots
# (named with their viewport: 1366x900, 1280x800, 768x1024) go to $CAPA_SCREENSHOTS when set,
# else to artifacts/screens in the build tree (kept: CI's artifacts), else the temporary one.
# Skipped (77) only when chromium cannot start; missing packages fail (tools/setup installs
# them).
source "$(dirname "$0")/common.bash"
source "$(dirname "$0")/serve.bash"
browser_need
serve_init_users
serve_start --auth-pause 1000
browser_axe
# Kept as CI artifacts: build/artifacts/screens (.ci/run prints where), or $CAPA_SCREENSHOTS.
SHOTS=${CAPA_SCREENSHOTS:-${CAPA_BUILD:+$CAPA_BUILD/artifacts/screens}}
SHOTS=${SHOTS:-$T/shots}
rm -f -- "$SHOTS"/*.png
mkdir -p "$SHOTS" "$T/downloads"
set +e
AXE=$AXE B=$B SHOTS=$SHOTS DOWNLOADS=$T/downloads CAPA=$CAPA PAUSE=1.2 HOME=$T $PY "$(dirname "$0")/browser_walk.py"
rc=$?
set -e
[[ $rc == 77 ]] && exit 77
[[ $rc == 0 ]] || fail "the browser walk failed (screenshots in $SHOTS)"
# what the browser did is sound: the trail verifies, the dossier's PDF signature is valid
run 0 "" verify
pdf=$(ls "$T"/downloads/*.pdf)
if command -v pdfsig >/dev/null; then
    pdfsig "$pdf" >"$T/sig" 2>&1 || true
    grep -q 'Signature is Valid' "$T/sig" || { cat "$T/sig"; fail "downloaded dossier: signature not valid"; }
fi
echo "browser: ok"
