#!/usr/bin/env bash
# accounts.sh - accounts as an attacker or a hurried administrator would try them, with the
# real binary: parallel guesses against one account are each counted (at most 5 checked, the
# rest refused as locked and audited); the only admin locked out is recovered with
# `user unlock --local` by the OS owner of the database; an unknown user is audited and
# answered like a wrong password; a 2 MB password is refused before hashing; a request with
# 100 000 fields is refused before the write lock while a normal writer goes on.
source "$(dirname "$0")/common.bash"
setup_users
as li 0 open customer="华东汽车" part_no=PCB-7731 severity=important description="焊点连锡" \
    channel=written complaint_type=quality
N=QC-$Y-0001

events_of() { # events_of ACTION...: how many audit events have one of these actions
    "$CAPA" log --json | python3 -c '
import json, sys
acts = set(sys.argv[1:])
print(sum(1 for e in json.load(sys.stdin) if e["action"] in acts))' "$@"
}

# -- 39 wrong guesses and the right one, in parallel, against zhao ------------------------
before=$("$CAPA" log --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
mkdir "$T/g"
for i in $(seq 1 40); do
    if ((i == 20)); then p=$(pw zhao); else p="wrong-guess-$i-xx"; fi
    (set +e; printf '%s\n' "$p" | "$CAPA" set "$N" --as zhao --password-stdin qty_affected=$i \
        >"$T/g/$i.out" 2>"$T/g/$i.err"; echo $? >"$T/g/$i.rc") &
done
wait
answered=$(cat "$T"/g/*.rc | wc -l)
((answered == 40)) || fail "only $answered of 40 guesses answered"
failed=$(events_of login_failed lock)
refused=$(events_of login_locked)
((failed <= 5)) || fail "$failed wrong guesses counted: an account takes at most 5"
# zhao is prod_mgr: the right password authenticates but the set is denied (role) - still
# an answer that was counted as a good sign-in, not as a failure.
denied=$( (grep -l "Your role (Production manager)" "$T"/g/*.err || true) | wc -l)
((failed + refused + denied == 40)) ||
    fail "40 guesses but $failed counted + $refused refused as locked + $denied right"
after=$("$CAPA" log --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
((after - before == failed + refused)) || fail "events: $((after - before)), want $((failed + refused))"
run 0 "" user list --json
json "[u for u in d if u['id'] == 'zhao'][0]['locked'] is True"
grep -qh "account locked" "$T"/g/*.err || fail "no locked answer"
run 0 "" verify

# -- the only admin locked out, recovered on the machine ----------------------------------
for i in 1 2 3 4 5; do
    run 1 "not-the-password-$i" user unlock zhao --as admin --password-stdin
done
err_has "now locked"
run 1 "$(pw admin)" user unlock zhao --as admin --password-stdin
err_has "account locked"
run 0 "" user unlock admin --local
out_has "local recovery"
run 0 "" log --json
json "d[-1]['action'] == 'unlock_local' and d[-1]['actor'].startswith('os:') and 'local recovery' in d[-1]['reason']"
run 2 "$(pw admin)" user unlock admin --local --as admin --password-stdin
if command -v setpriv >/dev/null && [[ $(id -u) == 0 ]]; then
    chmod 755 "$T" "$CAPA_DB"
    set +e
    setpriv --reuid=65534 --regid=65534 --clear-groups "$CAPA" --db "$CAPA_DB" user unlock \
        zhao --local >"$T/out" 2>"$T/err"
    rc=$?
    set -e
    ((rc == 1)) || fail "another OS user: unlock --local exit $rc"
    ERR=$(cat "$T/err") OUT=
    grep -qE "only the operating-system user that owns|Permission denied|permission" "$T/err" ||
        fail "unlock --local by another OS user: $(cat "$T/err")"
    chmod 700 "$CAPA_DB"
fi
run 0 "$(pw admin)" user unlock zhao --as admin --password-stdin
run 0 "" verify

# -- unknown user: audited, answered like a wrong password ---------------------------------
run 1 "$(pw wang)" set "$N" --as ghost --password-stdin qty_affected=1
unknown=${ERR/ghost/USER}
run 1 "wrong-password-1" set "$N" --as wang --password-stdin qty_affected=1
wrong=${ERR/wang/USER}
[[ $unknown == "$wrong" ]] || fail "unknown user answers '$unknown', wrong password '$wrong'"
run 0 "" log --json
json "any(e['action'] == 'login_failed' and e['actor'] == 'ghost' for e in d)"

# -- a 2 MB password is refused before hashing (and counted) -------------------------------
big=$(head -c 2000000 /dev/zero | tr '\0' 'x')
run 1 "$big" set "$N" --as wang --password-stdin qty_affected=1
err_has "at most 1024 bytes"
run 0 "" log --json
json "d[-1]['action'] == 'login_failed' and d[-1]['reason'] == 'password too long'"

# -- 100 000 fields are refused before the lock, next to a normal writer ------------------
mapfile -t fields < <(seq -f "f%g=x" 1 100000)
(set +e; pw wang | "$CAPA" set "$N" --as wang --password-stdin "${fields[@]}" \
    >"$T/big.out" 2>"$T/big.err"; echo $? >"$T/big.rc") &
as wang 0 set "$N" qty_affected=77 --reason "normal writer"
wait
[[ $(cat "$T/big.rc") == 1 ]] || fail "100 000 fields: exit $(cat "$T/big.rc")"
grep -q "at most 1000 fields" "$T/big.err" || fail "100 000 fields: $(cat "$T/big.err")"
# Refused before the password and the lock: nothing of it is in the trail.
run 0 "" log --json
json "d[-1]['action'] == 'set' and d[-1]['reason'] == 'normal writer'"
run 0 "" show "$N" --json
json "d['stages'][0]['values']['qty_affected'] == '77'"
run 0 "" verify
echo "ok accounts"
