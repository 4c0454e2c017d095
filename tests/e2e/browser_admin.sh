#!/usr/bin/env bash
# browser_admin.sh - the administration pages in a real browser (browser_admin.py: Debian's
# chromium through chromium-driver and python3-selenium) and over HTTP: an admin unlocks a
# locked user, adds a user and changes a role, imports a log after a dry run that writes
# nothing, each through the same capa.h function as
# `capa user ...`, the store verifying afterwards; a non-admin is refused every admin page and
# form with 403 and nothing changes. Screenshots at 1366x900 and 768x1024 go to
# $CAPA_SCREENSHOTS when set (kept), else into the test's temporary directory. Skipped (77)
# only when chromium cannot start.
source "$(dirname "$0")/common.bash"
source "$(dirname "$0")/serve.bash"
browser_need
serve_init_users
# sun is locked: five wrong passwords at the terminal
for _ in 1 2 3 4 5; do printf 'wrong-password-xx\nnew-password-zz-1\n' | "$CAPA" user passwd sun --as sun --password-stdin >/dev/null 2>&1 || true; done
run 0 "" user list --json
json '[u for u in d if u["id"] == "sun"][0]["locked"] is True'
serve_start --auth-pause 10
events() { run 0 "" log --json; python3 -c 'import json,sys; print(len(json.loads(sys.stdin.read())))' <<<"$OUT"; }

# ---- a non-admin over HTTP: every page and every form 403, nothing written
login wang "$T/wang.jar"
req c0 -b "$T/wang.jar" "$B/cases"; want 200 c0
tok=$(csrf c0)
n0=$(events)
for p in /admin /admin/users /admin/users/li; do
    req g -b "$T/wang.jar" "$B$p"; want 403 g
done
for a in "users/li/role role=qe" "users/li/disable" "users/sun/unlock" "users/li/passwd new_password=abcdefgh-1 new_password2=abcdefgh-1" "users id=evil role=admin name=Evil new_password=abcdefgh-1 new_password2=abcdefgh-1"; do
    set -- $a
    path=$1; shift
    args=(--data-urlencode "csrf=$tok" --data-urlencode "password=$(pw wang | tr -d '\n')")
    for kv in "$@"; do args+=(--data-urlencode "$kv"); done
    req pst -b "$T/wang.jar" "${args[@]}" "$B/admin/$path"; want 403 pst
    has pst 'admin role only'
done
[[ $(events) == "$n0" ]] || fail "a non-admin's admin POST wrote events ($n0 -> $(events))"
run 0 "" user list --json
json '[u for u in d if u["id"] == "sun"][0]["locked"] is True and [u for u in d if u["id"] == "li"][0]["role"] == "intake" and not any(u["id"] == "evil" for u in d)'
# without a session: to the sign-in; an admin form without the CSRF token: 403
req ns "$B/admin/users"; want 303 ns
login admin "$T/admin.jar"
req nc -b "$T/admin.jar" --data-urlencode "password=$(pw admin | tr -d '\n')" "$B/admin/users/sun/unlock"; want 403 nc
[[ $(events) == "$n0" ]] || fail "an admin POST without its CSRF token wrote events"

# ---- the admin in the browser
browser_axe --no-install
SHOTS=${CAPA_SCREENSHOTS:-$T/shots}
mkdir -p "$SHOTS"
set +e
AXE=$AXE B=$B SHOTS=$SHOTS HOME=$T T=$T CAPA=$CAPA CAPA_DB=$CAPA_DB $PY "$(dirname "$0")/browser_admin.py"
rc=$?
set -e
[[ $rc == 77 ]] && exit 77
[[ $rc == 0 ]] || fail "the browser walk failed (screenshots in $SHOTS)"
# what the browser did is in the store, by the admin (the wrong password counted and
# audited as at a terminal), and verifies
run 0 "" user list --json
json '[u for u in d if u["id"] == "sun"][0]["locked"] is False'
json '[u for u in d if u["id"] == "qian"][0]["role"] == "qe_lead" and [u for u in d if u["id"] == "qian"][0]["name"] == "钱敏"'
run 0 "" log --json
json '[e["action"] for e in d if e["actor"] == "admin"][-6:] == ["unlock", "user_add", "login_failed", "role", "import", "import"]'
run 0 "" verify
echo "browser_admin: ok"
