#!/usr/bin/env bash
# serve_session.sh - a web session rests on the user's password, role and lock state, and the
# server holds no password (issue 16, defect 6): the session ends when the password is
# changed by the user or reset by an admin, when the account is locked (even when it is
# unlocked again before the session is next used), and when the server restarts; requests
# made with a dead session never count as failed sign-ins, so they can never lock the
# account. A sign-off still needs the password, and a wrong one there is a real failure.
source "$(dirname "$0")/common.bash"
source "$(dirname "$0")/serve.bash"
serve_init_users
serve_start

api() { # api NAME TOKEN METHOD PATH CURL-ARGS...
    local n=$1 k=$2 m=$3 p=$4
    shift 4
    req "$n" -X "$m" -H "Authorization: Bearer $k" -H 'Content-Type: application/json' "$@" "$B/api/v1$p"
}
token_pw() { # token_pw USER PASSWORD
    curl -s -H 'Content-Type: application/json' -d "{\"user\":\"$1\",\"password\":\"$2\"}" \
        "$B/api/v1/session" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])'
}
failures() { # failures USER: failed sign-ins of USER in the trail
    run 0 "" log --json
    python3 -c 'import json,sys; print(sum(1 for e in json.loads(sys.stdin.read()) if e["actor"] == sys.argv[1] and e["action"] in ("login_failed", "lock", "login_locked")))' "$1" <<<"$OUT"
}
user_is() { # user_is USER PYTHON-EXPR-ON-u
    run 0 "" user list --json
    json "(lambda u: $2)([u for u in d if u['id'] == '$1'][0])"
}
lock() { # lock USER: five wrong passwords at the terminal
    for _ in 1 2 3 4 5; do printf 'wrong-password-xx\nnew-password-zz-1\n' | "$CAPA" user passwd "$1" --as "$1" --password-stdin >/dev/null 2>&1 || true; done
    user_is "$1" 'u["locked"] is True'
}

# ---- a session edits without any password held
KL=$(token li)
login li "$T/li.jar"
api o1 "$KL" POST /cases -d '{"fields": {"customer": "会话", "part_no": "S-1", "description": "session test", "severity": "general"}}'
want 201 o1
N=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["number"])' "$T/o1")
api e0 "$KL" PATCH "/cases/$N" -d '{"fields": {"description": "edit 0"}}'; want 200 e0
req p0 -b "$T/li.jar" "$B/cases"; want 200 p0

# ---- 1. the user changes the password: both sessions end; five edits with the dead
# session are refused and count nothing (before: each retried the stale password and the
# fifth locked the account)
run 0 "$(pw li)\nnew-password-li-1\n" user passwd li --as li --password-stdin
api g1 "$KL" GET /cases; want 401 g1
req p1 -b "$T/li.jar" "$B/cases"; want 303 p1; has p1.h 'Location: /login'
for i in 1 2 3 4 5; do
    api e$i "$KL" PATCH "/cases/$N" -d "{\"fields\": {\"description\": \"stale $i\"}}"; want 401 e$i
done
user_is li 'u["failed"] == 0 and u["locked"] is False'
[[ $(failures li) == 0 ]] || fail "a dead session counted as $(failures li) failed sign-ins"
run 0 "" show "$N" --json
out_has 'edit 0'; out_lacks 'stale '
KL2=$(token_pw li new-password-li-1)
api e6 "$KL2" PATCH "/cases/$N" -d '{"fields": {"description": "edit 6"}}'; want 200 e6

# ---- 2. an admin resets the password
KW=$(token wang)
api g2 "$KW" GET /cases; want 200 g2
run 0 "$(pw admin)\nreset-password-w1\n" user passwd wang --as admin --password-stdin
api g3 "$KW" GET /cases; want 401 g3
[[ $(failures wang) == 0 ]] || fail "wang: $(failures wang) failed sign-ins"

# ---- 3. a lockout ends the session; unlocking does not bring it back
KC=$(token chen)
api g4 "$KC" GET /cases; want 200 g4
lock chen
api g5 "$KC" GET /cases; want 401 g5
run 0 "$(pw admin)" user unlock chen --as admin --password-stdin
api g6 "$KC" GET /cases; want 401 g6

# ... also when the account is unlocked before the session is used again
KZ=$(token zhao)
api g7 "$KZ" GET /cases; want 200 g7
lock zhao
sleep 1.5
run 0 "$(pw admin)" user unlock zhao --as admin --password-stdin
api g8 "$KZ" GET /cases; want 401 g8

# ---- 4. a sign-off needs the password: without it 400, a wrong one is a real failure
KW2=$(token_pw wang reset-password-w1)
api s1 "$KW2" POST "/cases/$N/sign" -d '{"meaning": "reviewed"}'; want 400 s1
api s2 "$KW2" POST "/cases/$N/sign" -d '{"meaning": "reviewed", "password": "not-the-password"}'
want 401 s2
[[ $(failures wang) == 1 ]] || fail "wrong sign-off password: $(failures wang) failures, want 1"
api g9 "$KW2" GET /cases; want 200 g9

# ---- 5. after a restart everyone signs in again
KS=$(token sun)
login sun "$T/sun.jar"
api g10 "$KS" GET /cases; want 200 g10
serve_stop
serve_start
api g11 "$KS" GET /cases; want 401 g11
req p2 -b "$T/sun.jar" "$B/cases"; want 303 p2; has p2.h 'Location: /login'
login sun "$T/sun.jar"
req p3 -b "$T/sun.jar" "$B/cases"; want 200 p3
[[ $(failures sun) == 0 ]] || fail "sun: $(failures sun) failed sign-ins"
run 0 "" verify
echo "ok $TEST"
