#!/usr/bin/env bash
# serve_admin_sys.sh - the administration pages besides users and import (issue 18), over
# HTTP: the workflows and form versions in use; a new form version installed from an
# uploaded XML (a schema violation shown line by line and nothing installed; a good one
# installed by capa_form_install, as `capa form install`); the plant's time zone changed
# (an unknown zone refused, naming it) and a calendar installed (a malformed one refused with
# its line); the signing certificate's subject and expiry (OpenSSL, compared with
# `openssl x509`); verify run from the page in a worker thread, OK on a sound store and
# FAILED naming the mismatch on a tampered copy. A non-admin gets 403 everywhere, nothing
# changed.
source "$(dirname "$0")/common.bash"
source "$(dirname "$0")/serve.bash"
TAMPER=${CAPA_BUILD:?CAPA_BUILD must name the build directory (ctest sets it)}/tests/faults/capa-tamper
serve_init_users
serve_start --auth-pause 10
login admin "$T/admin.jar"
P="password=$(pw admin | tr -d '\n')"
events() { run 0 "" log --json; python3 -c 'import json,sys; print(len(json.loads(sys.stdin.read())))' <<<"$OUT"; }
get() { req "$1" -b "$T/admin.jar" "$B$2"; want 200 "$1"; }
post_file() { # post_file NAME PATH FIELD FILE: a multipart POST with the page's CSRF token
    local n=$1 path=$2 field=$3 file=$4 page
    page=$(dirname "$path")
    [[ $page == /admin/settings ]] || page=$path
    req tokpage -b "$T/admin.jar" "$B$page"
    req "$n" -b "$T/admin.jar" -F "csrf=$(csrf tokpage)" -F "$P" -F "$field=@$file" "$B$path"
}

# ---- non-admin: 403, nothing changed
n0=$(events)
login li "$T/li.jar"
req c0 -b "$T/li.jar" "$B/cases"
for p in /admin/forms /admin/settings /admin/verify; do req g -b "$T/li.jar" "$B$p"; want 403 g; done
req p -b "$T/li.jar" --data-urlencode "csrf=$(csrf c0)" --data-urlencode "timezone=Asia/Shanghai" --data-urlencode "password=$(pw li | tr -d '\n')" "$B/admin/settings/timezone"
want 403 p
req p -b "$T/li.jar" -F "csrf=$(csrf c0)" -F "password=$(pw li | tr -d '\n')" -F "definition=@$CAPA_SRC/forms/intake.xml" "$B/admin/forms"
want 403 p
req p -b "$T/li.jar" --data-urlencode "csrf=$(csrf c0)" "$B/admin/verify"
want 403 p
[[ $(events) == "$n0" ]] || fail "a non-admin's request wrote events"

# ---- workflows and forms: versions in use; an invalid definition by line; a good one
get forms /admin/forms
has forms 'data-form="intake">1<'
has forms 'data-form="scar_request">1<'
post_file bad /admin/forms definition "$CAPA_SRC/tests/data/forms/schema_violation.xml"
want 400 bad
has bad 'id="form-diag"'
grep -qE '<li><code>“schema_violation.xml”第 [0-9]+ 行：.* / schema_violation.xml, line [0-9]+: ' "$T/bad" || fail "the schema problems are not listed by line: $(grep -o 'form-diag.*' "$T/bad" | head -c 400)"
[[ $(events) == "$n0" ]] || fail "an invalid definition wrote events"
sed 's/zh="客户" en="Customer"/zh="顾客" en="Client"/' "$CAPA_SRC/forms/intake.xml" >"$T/intake.xml"
post_file good /admin/forms definition "$T/intake.xml"
want 303 good
has good.h 'Location: /admin/forms?done=form'
get forms2 /admin/forms
has forms2 'data-form="intake">2<'
run 0 "" form show intake --json
json 'd["version"] == 2'
run 0 "" log --json
json 'd[-1]["action"] == "form_install" and d[-1]["actor"] == "admin"'

# ---- time zone and calendars
get set /admin/settings
has set 'Etc/UTC'
req tz -b "$T/admin.jar" --data-urlencode "csrf=$(csrf set)" --data-urlencode "timezone=Mars/Olympus" --data-urlencode "$P" "$B/admin/settings/timezone"
want 400 tz
has tz 'Mars/Olympus'
req tz -b "$T/admin.jar" --data-urlencode "csrf=$(csrf set)" --data-urlencode "timezone=Asia/Shanghai" --data-urlencode "$P" "$B/admin/settings/timezone"
want 303 tz
run 0 "" info --json
json 'd["timezone"] == "Asia/Shanghai"'
post_file cal /admin/settings/calendar calendar "$CAPA_SRC/tests/data/calendar/malformed.xml"
want 400 cal
grep -qE 'malformed.xml:[0-9]+' "$T/cal" || fail "a malformed calendar's error names no line"
y=$(($(date -u +%Y) + 2))
printf '<?xml version="1.0" encoding="UTF-8"?>\n<calendar xmlns="urn:capa:calendar:1" year="%s" weekend="6 7">\n  <holiday from="%s-10-01" to="%s-10-07" zh="国庆节" en="National Day"/>\n</calendar>\n' "$y" "$y" "$y" >"$T/calendar-$y.xml"
get set2 /admin/settings
grep -qE "id=\"cal-$y\">$y: 无" "$T/set2" || fail "calendar $y is shown as installed before its install"
post_file cal /admin/settings/calendar calendar "$T/calendar-$y.xml"
want 303 cal
get set3 /admin/settings
grep -qE "id=\"cal-$y\">$y: 已安装" "$T/set3" || fail "calendar $y is not shown as installed"
has set3 'Asia/Shanghai'
# the certificate, as OpenSSL reads it
subj=$(openssl x509 -in "$CAPA_DB/keys/org.crt" -noout -subject -nameopt RFC2253,-esc_msb | sed 's/^subject=//')
end=$(date -u -d "$(openssl x509 -in "$CAPA_DB/keys/org.crt" -noout -enddate | sed 's/^notAfter=//')" +%Y-%m-%d)
has set3 "id=\"cert-subject\">$subj<"
end_local=$(TZ=Asia/Shanghai date -d "$(openssl x509 -in "$CAPA_DB/keys/org.crt" -noout -enddate | sed 's/^notAfter=//')" +%Y-%m-%d)
grep -qF "$end_local" "$T/set3" || fail "the certificate's expiry ($end / $end_local) is not shown"
has set3 'self-signed'
run 0 "" verify

# ---- verify from the page: a worker, polled; OK, then FAILED on a tampered store
verify_page() { # verify_page NAME: run verify and wait for its outcome
    get vp /admin/verify
    req vr -b "$T/admin.jar" --data-urlencode "csrf=$(csrf vp)" "$B/admin/verify"
    want 303 vr
    for _ in $(seq 300); do
        get "$1" /admin/verify
        grep -q 'http-equiv="refresh"' "$T/$1" || return 0
        sleep 0.1
    done
    fail "verify did not finish"
}
verify_page v1
has v1 'id="verify-state">OK<'
n1=$(events)
"$TAMPER" "$CAPA_DB" user li name 'Mallory' >/dev/null
verify_page v2
grep -qE 'id="verify-state">(不通过 / )?FAILED<' "$T/v2" || fail "a tampered store verified OK on the page"
has v2 'user li'
[[ $(events) == "$n1" ]] || fail "verify from the page wrote events"
echo "serve_admin_sys: ok"
