#!/usr/bin/env bash
# user_role.sh - an admin changes a user's role, disables and enables an account (issue 18;
# issue 16: "sessions end when ... the account is disabled, or the role changes"). Each is an
# event applied by core/apply.c and replayed by verify; each ends that user's web sessions
# (API token and cookie) at their next request, without counting a failed sign-in. A disabled
# account cannot sign in at all (audited, its password never checked) and unlocking does not
# enable it. Only an admin may, never on their own account; a refusal writes nothing.
source "$(dirname "$0")/common.bash"
source "$(dirname "$0")/serve.bash"
TAMPER=${CAPA_BUILD:?CAPA_BUILD must name the build directory (ctest sets it)}/tests/faults/capa-tamper
serve_init_users
serve_start

api() { # api NAME TOKEN METHOD PATH CURL-ARGS...
    local n=$1 k=$2 m=$3 p=$4
    shift 4
    req "$n" -X "$m" -H "Authorization: Bearer $k" -H 'Content-Type: application/json' "$@" "$B/api/v1$p"
}
user_is() { # user_is USER PYTHON-EXPR-ON-u
    run 0 "" user list --json
    json "(lambda u: $2)([u for u in d if u['id'] == '$1'][0])"
}
events() { run 0 "" log --json; python3 -c 'import json,sys; print(len(json.loads(sys.stdin.read())))' <<<"$OUT"; }
failures() { # failed sign-ins of USER in the trail
    run 0 "" log --json
    python3 -c 'import json,sys; print(sum(1 for e in json.loads(sys.stdin.read()) if e["actor"] == sys.argv[1] and e["action"] in ("login_failed", "lock")))' "$1" <<<"$OUT"
}

# ---- 1. a role change ends the user's sessions (token and cookie), counts nothing
KW=$(token wang)
login wang "$T/wang.jar"
api g0 "$KW" GET /cases; want 200 g0
req p0 -b "$T/wang.jar" "$B/cases"; want 200 p0
run 0 "$(pw admin)" user role wang --role qe_lead --as admin --password-stdin
out_has 'role of wang is now 品管主管 / Quality lead (qe_lead)'
api g1 "$KW" GET /cases; want 401 g1
req p1 -b "$T/wang.jar" "$B/cases"; want 303 p1; has p1.h 'Location: /login'
[[ $(failures wang) == 0 ]] || fail "a session ended by a role change counted as a failed sign-in"
user_is wang 'u["role"] == "qe_lead" and u["failed"] == 0 and not u["locked"]'
# the trail says who changed what; a new sign-in works with the new role
run 0 "" log --json
json 'any(e["action"] == "role" and e["actor"] == "admin" and e["facts"]["user"] == "wang" and any(c.get("old") == "qe" and c.get("new") == "qe_lead" for c in e["changes"]) for e in d)'
KW2=$(token wang)
api g2 "$KW2" GET /cases; want 200 g2
run 0 "" verify

# ---- 2. refusals write nothing: a non-admin, their own account, an unknown or the same role
n0=$(events)
run 1 "$(pw li)" user role sun --role qe --as li --password-stdin
err_has 'only admin may'
run 1 "$(pw admin)" user role admin --role qe --as admin --password-stdin
err_has 'cannot change the role of their own account'
run 1 "$(pw admin)" user role sun --role chief --as admin --password-stdin
err_has "There is no role 'chief'; the roles are: Administrator (admin)"
run 1 "$(pw admin)" user role sun --role production --as admin --password-stdin
err_has "sun has the role 'Production' already"
run 1 "$(pw admin)" user role nobody --role qe --as admin --password-stdin
err_has 'no such user'
run 1 "$(pw zhou)" user disable sun --as zhou --password-stdin
err_has 'only admin may'
run 1 "$(pw admin)" user disable admin --as admin --password-stdin
err_has 'disable or enable their own account'
run 1 "$(pw admin)" user enable sun --as admin --password-stdin
err_has 'already enabled'
run 2 "" user role sun --as admin
[[ $(events) == "$n0" ]] || fail "a refused user change wrote events ($n0 -> $(events))"
user_is sun 'u["role"] == "production" and not u["disabled"]'

# ---- 3. disabling ends the sessions and refuses every sign-in; unlock does not enable
KL=$(token li)
login li "$T/li.jar"
api g3 "$KL" GET /cases; want 200 g3
run 0 "$(pw admin)" user disable li --as admin --password-stdin
out_has 'disabled li'
api g4 "$KL" GET /cases; want 401 g4
req p4 -b "$T/li.jar" "$B/cases"; want 303 p4; has p4.h 'Location: /login'
req s4 -H 'Content-Type: application/json' -d "{\"user\":\"li\",\"password\":\"$(pw li | tr -d '\n')\"}" "$B/api/v1/session"
[[ $S == 401 || $S == 403 ]] || fail "a disabled account signed in (status $S)"
as li 1 open customer=X part_no=P-1 description=d severity=general
err_has 'account disabled'
run 0 "" user list
out_has 'disabled'
user_is li 'u["disabled"] is True and u["failed"] == 0'
run 0 "$(pw admin)" user unlock li --as admin --password-stdin
user_is li 'u["disabled"] is True'
as li 1 open customer=X part_no=P-1 description=d severity=general
err_has 'account disabled'
run 0 "" log --json
json 'sum(1 for e in d if e["action"] == "login_locked" and e.get("reason") == "account disabled") == 3'
run 0 "" verify
# (three attempts: the API sign-in and two at the terminal)
# enabled again: the old session stays ended, a new sign-in works
run 0 "$(pw admin)" user enable li --as admin --password-stdin
out_has 'enabled li'
api g5 "$KL" GET /cases; want 401 g5
KL2=$(token li)
api g6 "$KL2" GET /cases; want 200 g6
run 0 "" verify

# ---- 4. verify replays the flag: a record disabled or enabled behind the trail's back is named
serve_stop
cp -a "$CAPA_DB" "$T/copy"
"$TAMPER" "$T/copy" user sun disabled 1 >/dev/null
CAPA_DB=$T/copy run 1 "" verify
err_has "user sun: stored disabled 'true', the events say 'false'"
echo "user_role: ok"
