#!/usr/bin/env bash
# serve_contact.sh - contacts in the browser: an admin sets a user's mobile, e-mail and notice
# choices on the user's admin page (CSRF, the admin's password again; the same engine call
# as `capa user set`), bad input is refused naming field and value with nothing written; a
# user sets their own choices on /notices with their own password; anyone else gets 403 on
# the admin form and nothing changes.
source "$(dirname "$0")/common.bash"
source "$(dirname "$0")/serve.bash"
serve_init_users
serve_start --auth-pause 10
login admin "$T/admin.jar"
login li "$T/li.jar"
login wang "$T/wang.jar"
ev() { "$CAPA" log --json | python3 -c 'import json,sys
d=json.load(sys.stdin); rows=d if isinstance(d,list) else d.get("events", d)
print(json.dumps([e for e in rows if "user_set" in json.dumps(e)]))'; }

req u1 -b "$T/admin.jar" "$B/admin/users/li?lang=en"; want 200 u1
has u1 'id="form-contact"'; has u1 'action="/admin/users/li/contact"'
has u1 'name="notify" value="returned"'
TOK=$(csrf u1)
# a refused mobile: named, nothing written
snapshot bad
req b1 -b "$T/admin.jar" --data-urlencode "csrf=$TOK" -d notify_form=1 --data-urlencode 'mobile=12ab' \
    -d notify=stage --data-urlencode "password=$(pw admin | tr -d '\n')" "$B/admin/users/li/contact"
want 400 b1; has b1 'mobile'; has b1 '12ab'
unchanged bad
# a wrong admin password: refused, nothing written
req b2 -b "$T/admin.jar" --data-urlencode "csrf=$TOK" -d notify_form=1 --data-urlencode 'mobile=+8613800000001' \
    -d notify=stage --data-urlencode "password=wrong-password" "$B/admin/users/li/contact"
[[ $S == 401 || $S == 403 ]] || fail "b2: status $S"
grep -qF '+8613800000001' <<<"$(ev)" && fail "a contact written with a wrong password"
snapshot bad # (the wrong password itself is audited: login_failed)
# no CSRF token: 403, nothing written
req b3 -b "$T/admin.jar" -d notify_form=1 --data-urlencode 'mobile=+8613800000001' \
    --data-urlencode "password=$(pw admin | tr -d '\n')" "$B/admin/users/li/contact"
want 403 b3
unchanged bad
# a non-admin posting the admin form (with their own valid token and password): 403
req w1 -b "$T/wang.jar" "$B/notices"; want 200 w1
req b4 -b "$T/wang.jar" --data-urlencode "csrf=$(csrf w1)" -d notify_form=1 --data-urlencode 'mobile=+8613800000009' \
    --data-urlencode "password=$(pw wang | tr -d '\n')" "$B/admin/users/li/contact"
want 403 b4
req b5 -b "$T/wang.jar" "$B/admin/users/li"; want 403 b5
unchanged bad

# the admin sets li's contact: mobile, e-mail, two kinds of notice
sleep 0.1
req ok1 -b "$T/admin.jar" --data-urlencode "csrf=$TOK" -d notify_form=1 --data-urlencode 'mobile=+8613800000001' \
    --data-urlencode 'email=li@plant.example' -d notify=stage -d notify=returned \
    --data-urlencode "password=$(pw admin | tr -d '\n')" "$B/admin/users/li/contact"
want 303 ok1; has ok1.h 'Location: /admin/users/li?done=contact'
E=$(ev)
grep -qF '+8613800000001' <<<"$E" || fail "no user_set event with the mobile: $E"
grep -qF 'li@plant.example' <<<"$E" || fail "no user_set event with the e-mail"
grep -qF '"stage returned"' <<<"$E" || fail "the notice choices are not stage returned: $E"
req u2 -b "$T/admin.jar" "$B/admin/users/li?lang=en&done=contact"; want 200 u2
has u2 'value="+8613800000001"'; has u2 'value="li@plant.example"'
has u2 'Contact and notice choices saved'
python3 - "$T/u2" <<'PY' || fail "the checkboxes do not show li's choices"
import re, sys
t = open(sys.argv[1]).read()
on = set(re.findall(r'<input[^>]*value="(\w+)"[^>]*checked', t))
assert on == {"stage", "returned"}, on
PY
"$CAPA" verify >/dev/null || fail "verify after the contact change"

# li chooses her own notices on /notices (her password), nothing else of her contact changes
req n1 -b "$T/li.jar" "$B/notices?lang=en"; want 200 n1
has n1 'id="form-contact"'; has n1 'action="/notices"'; has n1 'value="+8613800000001"'
snapshot self
req s1 -b "$T/li.jar" --data-urlencode "csrf=$(csrf n1)" -d notify_form=1 -d notify=closed \
    --data-urlencode 'mobile=+8613800000001' --data-urlencode 'email=li@plant.example' \
    --data-urlencode "password=wrong-password" "$B/notices"
[[ $S == 401 || $S == 403 ]] || fail "s1: status $S"
grep -qF '"closed"' <<<"$(ev)" && fail "a choice written with a wrong password"
sleep 0.1
req s2 -b "$T/li.jar" --data-urlencode "csrf=$(csrf n1)" -d notify_form=1 -d notify=closed -d notify=owner \
    --data-urlencode 'mobile=+8613800000001' --data-urlencode 'email=li@plant.example' \
    --data-urlencode "password=$(pw li | tr -d '\n')" "$B/notices"
want 303 s2; has s2.h 'Location: /notices?done=contact'
grep -qF '"closed owner"' <<<"$(ev)" || fail "li's own choice not recorded"
req n2 -b "$T/li.jar" "$B/notices?lang=en&done=contact"; want 200 n2
has n2 'Contact and notice choices saved'
# none ticked: no notices
req s3 -b "$T/li.jar" --data-urlencode "csrf=$(csrf n2)" -d notify_form=1 \
    --data-urlencode 'mobile=+8613800000001' --data-urlencode 'email=li@plant.example' \
    --data-urlencode "password=$(pw li | tr -d '\n')" "$B/notices"
want 303 s3
grep -qF '"none"' <<<"$(ev)" || fail "no notices chosen not recorded as none"
"$CAPA" verify >/dev/null || fail "verify at the end"
echo "serve_contact: ok"
