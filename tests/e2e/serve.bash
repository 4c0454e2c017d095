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
# token USER: an API bearer token for USER
token() {
    curl -s -H 'Content-Type: application/json' \
        -d "{\"user\":\"$1\",\"password\":\"$(pw "$1" | tr -d '\n')\"}" "$B/api/v1/session" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])'
}
