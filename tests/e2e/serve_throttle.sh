#!/usr/bin/env bash
# serve_throttle.sh - password guessing through capa serve is no faster than at a terminal:
# right after a wrong password the next attempt for that user waits (429 + Retry-After,
# never checked, never counted), parallel attempts for one user are checked one at a time,
# an address spraying user names is slowed too, and the lockout is the engine's own
# (core/users.c: locked after 5 wrong passwords, audited, `capa user unlock` ends it).
source "$(dirname "$0")/common.bash"
source "$(dirname "$0")/serve.bash"
serve_init_users
serve_start --auth-pause 1000

failures() { # failures USER: login_failed/lock events of USER in the trail
    run 0 "" log --json
    python3 -c 'import json,sys; print(sum(1 for e in json.loads(sys.stdin.read()) if e["actor"] == sys.argv[1] and e["action"] in ("login_failed", "lock", "login_locked")))' "$1" <<<"$OUT"
}
pin() { # pin NAME USER PASSWORD: a sign-in from the login page
    [[ -s $T/pin.jar ]] || login_page "$T/pin.jar"
    req "$1" -b "$T/pin.jar" --data-urlencode "csrf=$LT" --data-urlencode "user=$2" --data-urlencode "password=$3" "$B/login"
}

# ---- one wrong password: the right one right after waits, unchecked
pin w1 li wrong-password-1; want 401 w1
pin w2 li "$(pw li | tr -d '\n')"; want 429 w2; has w2.h 'Retry-After: 1'; has w2 '登录尝试过多'
[[ $(failures li) == 1 ]] || fail "the throttled attempt reached the engine"
sleep 1.1
pin w3 li "$(pw li | tr -d '\n')"; want 303 w3

# ---- the JSON API: 429 with the error shape
req a1 -H 'Content-Type: application/json' -d '{"user":"chen","password":"wrong-pass"}' "$B/api/v1/session"; want 401 a1
req a2 -H 'Content-Type: application/json' -d '{"user":"chen","password":"wrong-pass"}' "$B/api/v1/session"; want 429 a2
has a2 '"code": "throttled"'; has a2.h 'Retry-After:'

# ---- eight at once for one user: one is checked, the others wait
pids=()
for i in 1 2 3 4 5 6 7 8; do
    curl -s -o /dev/null -w '%{http_code}\n' -b "$T/pin.jar" --data-urlencode "csrf=$LT" --data-urlencode "user=sun" --data-urlencode "password=guess-$i-xx" "$B/login" >"$T/par.$i" &
    pids+=($!)
done
wait "${pids[@]}"
sort "$T"/par.* | uniq -c >"$T/par"
grep -q ' 1 401' "$T/par" || { cat "$T/par"; fail "not exactly one parallel attempt checked"; }
grep -q ' 7 429' "$T/par" || { cat "$T/par"; fail "parallel attempts not refused"; }
[[ $(failures sun) == 1 ]] || fail "parallel attempts counted: $(failures sun)"

# ---- the engine locks the account: five wrong passwords, each after its pause (a second
# server on the same store, with short pauses: 10 ms doubling)
serve_stop
serve_start --auth-pause 10
rm -f "$T/pin.jar"
pause=0.05
for i in 1 2 3 4 5; do
    sleep "$pause"
    pin l$i wang "wrong-$i-password"
    [[ $S == 401 ]] || fail "attempt $i: $S"
    pause=$(python3 -c "print($pause * 2)")
done
has l5 '账号已锁定'
sleep "$pause"
pin l6 wang "$(pw wang | tr -d '\n')"; want 401 l6; has l6 '账号已锁定'
run 0 "" user list --json
json '[u for u in d if u["id"] == "wang"][0]["locked"] is True'
[[ $(failures wang) == 6 ]] || fail "wang: $(failures wang) failures audited, want 6"
# unlocked by an admin through the engine: the next sign-in works (after the pause the six
# wrong attempts earned: 10 ms doubled five times)
run 0 "$(pw admin)" user unlock wang --as admin --password-stdin
sleep 0.4
pin l7 wang "$(pw wang | tr -d '\n')"; want 303 l7

# ---- one address spraying unknown names: five for free, then the pause (back to 1 s)
serve_stop
serve_start --auth-pause 1000
for i in 1 2 3 4 5 6; do
    pin sp$i "ghost$i" x-password-x; want 401 sp$i
done
pin sp7 ghost7 x-password-x; want 429 sp7
sleep 1.1
pin sp8 ghost8 x-password-x; want 401 sp8
echo "serve_throttle: ok"
