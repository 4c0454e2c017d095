#!/usr/bin/env bash
# serve_login_csrf.sh - a foreign page cannot sign a victim in (issue 16, defect 10): the
# login form carries a token tied to a pre-session cookie (HttpOnly, SameSite=Strict, so a
# cross-site POST arrives without it), and a sign-in the browser marks cross-site or
# same-site (Sec-Fetch-Site) is refused, 403, before the password is looked at. Our own form
# signs in. (Before: a cross-site POST of user and password signed in.)
source "$(dirname "$0")/common.bash"
source "$(dirname "$0")/serve.bash"
serve_init_users
serve_start

PW=$(pw li | tr -d '\n')
signed_in() { grep -qi '^Set-Cookie: capa_session=[0-9a-f]' "$T/$1.h"; }

# a cross-site form post: no cookie, no token (the attacker's own account and password)
req x1 --data-urlencode "user=li" --data-urlencode "password=$PW" "$B/login"; want 403 x1
signed_in x1 && fail "x1 signed in"
has x1 'CSRF'

# the form and its pre-session cookie
login_page "$T/v.jar"
[[ ${#LT} == 64 ]] || fail "no CSRF token on the login form"
has loginpage.h 'Set-Cookie: capa_pre='
grep -i '^Set-Cookie: capa_pre=' "$T/loginpage.h" | grep -q 'HttpOnly; SameSite=Strict' ||
    fail "pre-session cookie without HttpOnly; SameSite=Strict"
# ... with the token the attacker got from his own visit, but the victim's cookie
login_page "$T/attacker.jar"; ATK=$LT
login_page "$T/v.jar"
req x2 -b "$T/v.jar" --data-urlencode "csrf=$ATK" --data-urlencode "user=li" --data-urlencode "password=$PW" "$B/login"
want 403 x2
signed_in x2 && fail "x2 signed in"
# ... a browser that says where the form came from: cross-site or a sibling site
for site in cross-site same-site; do
    req "x-$site" -b "$T/v.jar" -H "Sec-Fetch-Site: $site" --data-urlencode "csrf=$LT" \
        --data-urlencode "user=li" --data-urlencode "password=$PW" "$B/login"
    want 403 "x-$site"
    signed_in "x-$site" && fail "$site signed in"
    has "x-$site" 'another site'
done
# ... none of these reached the password check
run 0 "" log --json
json 'not [e for e in d if e["action"] in ("login_failed", "lock", "login_locked")]'

# our own form signs in: from the page (same-origin), and from a browser that sends no
# Sec-Fetch-Site
req ok1 -b "$T/v.jar" -H 'Sec-Fetch-Site: same-origin' --data-urlencode "csrf=$LT" \
    --data-urlencode "user=li" --data-urlencode "password=$PW" "$B/login"
want 303 ok1; signed_in ok1 || fail "ok1 not signed in"
login_page "$T/w.jar"
req ok2 -b "$T/w.jar" --data-urlencode "csrf=$LT" --data-urlencode "user=li" --data-urlencode "password=$PW" "$B/login"
want 303 ok2; signed_in ok2 || fail "ok2 not signed in"
echo "ok $TEST"
