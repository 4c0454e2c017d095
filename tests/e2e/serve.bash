# serve.bash - sourced by the tests/e2e/serve*.sh and browser*.sh scripts (after common.bash):
# start a real capa-serve on a free port (port 0, read back from its log) and talk to it
# with curl. serve_start ARGS... sets PID, LOG, PORT and B (the base URL); the server is
# stopped with SIGTERM when the script exits.
SERVE=${CAPA_SERVE:-$(dirname "$CAPA")/capa-serve}
[[ -x $SERVE ]] || fail "no capa-serve next to $CAPA"

serve_init_users() { # the users most serve tests need, on a fresh store
    run 0 "$(pw admin)" init --org 'Serve 测试' --password-stdin
    local u
    for u in "li intake 李娜" "wang qe 王伟" "chen qe_lead 陈静" "zhao prod_mgr 赵强" \
        "sun production 孙立" "zhou auditor 周审"; do
        set -- $u
        run 0 "$(pw admin)\n$(pw "$1")\n" user add "$1" --role "$2" --name "$3" --as admin --password-stdin
    done
}

serve_stop() { kill -TERM "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; }

serve_start() {
    LOG=$T/serve.log
    "$SERVE" --db "$CAPA_DB" --listen 127.0.0.1:0 "$@" 2>"$LOG" &
    PID=$!
    trap 'serve_stop; rm -rf -- "$T"' EXIT
    for _ in $(seq 100); do grep -q 'listening on' "$LOG" && break; sleep 0.1; done
    PORT=$(sed -n 's|.*listening on https\{0,1\}://127.0.0.1:\([0-9]*\)/.*|\1|p' "$LOG")
    [[ -n $PORT ]] || { cat "$LOG"; fail "server did not start"; }
    B=$(sed -n 's|.*listening on \(https\{0,1\}\)://.*|\1|p' "$LOG")://127.0.0.1:$PORT # https under --tls-cert
}

# req NAME CURL-ARGS...: status into $S, body in $T/NAME, headers in $T/NAME.h
req() {
    local n=$1
    shift
    S=$(curl -s -o "$T/$n" -D "$T/$n.h" -w '%{http_code}' "$@")
}
want() { [[ $S == "$1" ]] || { cat "$T/$2" >&2; fail "$2: status $S, want $1"; }; }
has() { grep -qF -- "$2" "$T/$1" || { grep -o "alert-danger[^<]*<" "$T/$1" >&2; fail "$1 lacks: $2"; }; }
lacks() { ! grep -qF -- "$2" "$T/$1" || fail "$1 has: $2"; }
csrf() { grep -o 'name="csrf" value="[0-9a-f]*"' "$T/$1" | head -1 | sed 's/.*value="\(.*\)"/\1/'; }
# login_page JAR: the sign-in page as a browser gets it: its pre-session cookie into JAR,
# the form's CSRF token into $LT
login_page() {
    req loginpage -c "$1" -b "$1" "$B/login"
    want 200 loginpage
    LT=$(csrf loginpage || true) # (without one, the sign-in is refused: 403)
}
login() { # login USER JAR
    login_page "$2"
    req login -c "$2" -b "$2" --data-urlencode "csrf=$LT" --data-urlencode "user=$1" --data-urlencode "password=$(pw "$1" | tr -d '\n')" "$B/login"
    want 303 login
}
# login_keep NAME USER JAR KEEP_PATH KEEP: the sign-in POST (CSRF token $LT) carrying a form
# kept when its session expired (KEEP) and the path it was posted to (KEEP_PATH); the answer
# in $T/NAME, its status in $S.
login_keep() {
    req "$1" -c "$3" -b "$3" --data-urlencode "csrf=$LT" --data-urlencode "user=$2" \
        --data-urlencode "password=$(pw "$2" | tr -d '\n')" --data-urlencode "keep_path=$4" \
        --data-urlencode "keep=$5" "$B/login"
}
# token USER: an API bearer token for USER
token() {
    curl -s -H 'Content-Type: application/json' \
        -d "{\"user\":\"$1\",\"password\":\"$(pw "$1" | tr -d '\n')\"}" "$B/api/v1/session" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])'
}
# hidden NAME FILE: the value of the hidden input NAME in the page $T/FILE
hidden() {
    python3 -c 'import sys, html.parser
class P(html.parser.HTMLParser):
    def handle_starttag(self, t, a):
        a = dict(a)
        if t == "input" and a.get("name") == sys.argv[1]: print(a.get("value", "")); raise SystemExit
P().feed(open(sys.argv[2]).read())' "$1" "$T/$2"
}

# The browser tests (browser*.sh), in Debian's chromium through chromium-driver and
# python3-selenium. browser_need [PACKAGE MODULE]...: fail unless those and each further
# python3 MODULE (from Debian's PACKAGE) are there; $PY is that python3.
browser_need() {
    PY=/usr/bin/python3
    [[ -x /usr/bin/chromium && -x /usr/bin/chromedriver ]] || fail "chromium and chromium-driver are missing (tools/setup installs them)"
    set -- python3-selenium selenium "$@"
    while (($#)); do
        $PY -c "import $2" 2>/dev/null || fail "$1 is missing (tools/setup installs it)"
        shift 2
    done
}
# browser_axe [--no-install]: $AXE, axe-core's axe.min.js (accessibility rules) in the build
# tree, installed once from npm; empty (accessibility not checked, said on stderr) without npm
# or its registry (an offline CI), or with --no-install when it is not installed yet.
browser_axe() {
    local dir=${CAPA_BUILD:-$T}/axe
    AXE=$dir/node_modules/axe-core/axe.min.js
    [[ -s $AXE ]] && return 0
    if [[ ${1:-} == --no-install ]]; then
        echo "SKIP axe-core: not installed in $dir (browser.sh installs it)" >&2
        AXE=
    elif command -v npm >/dev/null && mkdir -p "$dir" &&
        timeout 300 npm install --prefix "$dir" --no-audit --no-fund --silent axe-core@4 \
            >"$T/npm.log" 2>&1 && [[ -s $AXE ]]; then
        echo "axe-core installed into $dir"
    else
        echo "SKIP axe-core: npm or its registry is unavailable ($(tail -1 "$T/npm.log" 2>/dev/null || echo 'no npm')); accessibility not checked" >&2
        AXE=
    fi
}
