#!/usr/bin/env bash
# serve_tls.sh - HTTPS without a proxy (issue 20): `capa serve --tls-cert FILE --tls-key FILE`
# serves the sign-in page over TLS 1.2/1.3 to a client that trusts the certificate, refuses
# TLS 1.0/1.1 and non-AEAD ciphers (the server closes on their hello, not the client giving
# up), sends Strict-Transport-Security on every response and marks its cookies Secure; plain http to
# the TLS port gets no page. A missing, malformed or mismatched certificate or key is
# refused before the server starts, naming the file. (Before: --tls-cert was an unknown
# option.)
source "$(dirname "$0")/common.bash"
source "$(dirname "$0")/serve.bash"
serve_init_users

# A certificate for 127.0.0.1 (EC P-256), another key, and files that are not PEM.
mkcert() { # mkcert NAME
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
        -subj "/CN=capa-tls-test" -addext "subjectAltName=IP:127.0.0.1" \
        -keyout "$T/$1.key" -out "$T/$1.pem" 2>/dev/null
}
mkcert a
mkcert b
echo "not a certificate" >"$T/junk.pem"

# ---- bad files: a clear error naming the file, no server
bad() { # bad WANT_RC TEXT ARGS...: capa serve refuses to start
    local want=$1 text=$2
    shift 2
    set +e
    timeout 10 "$SERVE" --db "$CAPA_DB" --listen 127.0.0.1:0 "$@" >"$T/bad.out" 2>"$T/bad.err"
    local rc=$?
    set -e
    [[ $rc == "$want" ]] || { cat "$T/bad.err"; fail "$*: exit $rc, want $want"; }
    grep -qF -- "$text" "$T/bad.err" || { cat "$T/bad.err"; fail "$*: stderr lacks: $text"; }
    ! grep -q 'listening on' "$T/bad.err" || fail "$*: the server started"
}
bad 1 "--tls-cert $T/none.pem: cannot read: No such file" --tls-cert "$T/none.pem" --tls-key "$T/a.key"
bad 1 "--tls-key $T/none.key: cannot read: No such file" --tls-cert "$T/a.pem" --tls-key "$T/none.key"
bad 1 "--tls-cert $T/junk.pem: not a PEM certificate" --tls-cert "$T/junk.pem" --tls-key "$T/a.key"
bad 1 "--tls-key $T/junk.pem: not an unencrypted PEM private key" --tls-cert "$T/a.pem" --tls-key "$T/junk.pem"
bad 1 "--tls-key $T/b.key: not the key of the certificate in $T/a.pem" --tls-cert "$T/a.pem" --tls-key "$T/b.key"
bad 2 "--tls-cert needs --tls-key FILE as well" --tls-cert "$T/a.pem"
bad 2 "--tls-key needs --tls-cert FILE as well" --tls-key "$T/a.key"

# a certificate past its date: a warning naming it, the server starts (renewal is the
# administrator's; browsers will say so)
faketime '2020-01-01 00:00:00' openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
    -nodes -days 2 -subj "/CN=capa-tls-old" -keyout "$T/old.key" -out "$T/old.pem" 2>/dev/null
serve_start --tls-cert "$T/old.pem" --tls-key "$T/old.key"
has serve.log "warning: --tls-cert $T/old.pem: the certificate expired on"
serve_stop

# ---- plain http: no HSTS (it would mean nothing there), cookies not Secure
serve_start
req plain "$B/login"
want 200 plain
lacks plain.h 'Strict-Transport-Security'
grep -i '^Set-Cookie: capa_pre=' "$T/plain.h" | grep -qv 'Secure' || fail "plain http: Secure cookie"
serve_stop

# ---- HTTPS
serve_start --tls-cert "$T/a.pem" --tls-key "$T/a.key"
[[ $B == https://127.0.0.1:* ]] || fail "not https: $B"
has serve.log "listening on https://"
export CURL_CA_BUNDLE=$T/a.pem # every curl below trusts only our certificate

# the sign-in page, with HSTS and a Secure pre-session cookie
req page "$B/login"
want 200 page
has page 'name="password"'
grep -qi '^Strict-Transport-Security: max-age=31536000' "$T/page.h" || fail "no HSTS on /login"
grep -i '^Set-Cookie: capa_pre=' "$T/page.h" | grep -q 'HttpOnly; SameSite=Strict; Secure' ||
    fail "pre-session cookie not Secure"
# a sign-in: its session cookie is Secure; HSTS on the redirect, a static file, the API, a 404
login li "$T/li.jar"
grep -i '^Set-Cookie: capa_session=' "$T/login.h" | grep -q 'Secure' || fail "session cookie not Secure"
has login.h 'Strict-Transport-Security: max-age=31536000'
req home -b "$T/li.jar" "$B/"
want 200 home
has home.h 'Strict-Transport-Security'
req api "$B/api/v1/cases"
want 401 api
has api.h 'Strict-Transport-Security'
req nope "$B/no-such-page"
want 404 nope
has nope.h 'Strict-Transport-Security'

# TLS 1.3 and TLS 1.2 with an AEAD cipher are served
req v13 --tlsv1.3 "$B/login"
want 200 v13
req v12 --tlsv1.2 --tls-max 1.2 --ciphers ECDHE-ECDSA-AES128-GCM-SHA256 "$B/login"
want 200 v12
# a client that trusts nothing gets no page
S=$(CURL_CA_BUNDLE=/dev/null curl -s -o /dev/null -w '%{http_code}' "$B/login" || true)
[[ $S == 000 ]] || fail "an untrusted certificate was accepted: $S"

# TLS 1.0/1.1 and a CBC cipher, offered by a client that would speak them (security level
# 0): the client's hello is sent, the server answers nothing and closes (GnuTLS through
# libmicrohttpd sends no alert), no session is made
hello() { # hello NAME S_CLIENT-ARGS...: the handshake's transcript in $T/NAME.tls
    local n=$1
    shift
    timeout 10 openssl s_client -connect "127.0.0.1:$PORT" -CAfile "$T/a.pem" "$@" \
        </dev/null >"$T/$n.tls" 2>&1 || true
}
refused() { # refused NAME S_CLIENT-ARGS...
    hello "$@"
    grep -Eq 'SSL handshake has read 0 bytes and written [1-9][0-9]* bytes' "$T/$1.tls" ||
        { cat "$T/$1.tls"; fail "$1: not refused by the server"; }
    ! grep -q 'Cipher is [A-Z]' "$T/$1.tls" || { cat "$T/$1.tls"; fail "$1: a session was made"; }
}
refused tls1 -tls1 -cipher 'DEFAULT:@SECLEVEL=0'
refused tls1_1 -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0'
refused cbc -tls1_2 -cipher 'ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES128-SHA:@SECLEVEL=0'
hello ok -tls1_2
grep -q 'Verify return code: 0 (ok)' "$T/ok.tls" || { cat "$T/ok.tls"; fail "TLS 1.2 handshake failed"; }
grep -Eq 'Cipher is ECDHE-ECDSA-(AES(128|256)-GCM-SHA(256|384)|CHACHA20-POLY1305)' "$T/ok.tls" ||
    { cat "$T/ok.tls"; fail "TLS 1.2 cipher not an AEAD one"; }

# plain http to the TLS port: no page; the server goes on serving
S=$(curl -s -o "$T/http" -w '%{http_code}' --max-time 5 "http://127.0.0.1:$PORT/login" || true)
[[ $S == 000 ]] || fail "plain http to the TLS port answered $S"
! grep -q 'password' "$T/http" || fail "plain http got the page"
req after "$B/login"
want 200 after

serve_stop
grep -q 'capa serve: stopped' "$T/serve.log" || { cat "$T/serve.log"; fail "no clean stop"; }
echo "ok $TEST"
