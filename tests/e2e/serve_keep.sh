#!/usr/bin/env bash
# serve_keep.sh - nothing lost: a form saved after the session expired (2 s idle here) lands
# on the sign-in page saying so, with nothing written; signing in brings the user back to
# the form with what they typed, and a notice, once, for them alone; saving then works
# (a new complaint), and an edit keeps the data hash it was first shown with.
source "$(dirname "$0")/common.bash"
source "$(dirname "$0")/serve.bash"

serve_init_users
serve_start --idle-timeout 2s
ncases() { run 0 "" list --json; python3 -c 'import json,sys; print(len(json.load(sys.stdin)))' <<<"$OUT"; }

login li "$T/li.jar"
req new -b "$T/li.jar" "$B/cases/new"; want 200 new; TOK=$(csrf new)
sleep 3 # the session expires while the form is being filled in
req late -c "$T/li.jar" -b "$T/li.jar" -d "csrf=$TOK" --data-urlencode 'f.customer=华东 <汽车> & Co' \
    --data-urlencode 'f.part_no=PK-1' --data-urlencode 'f.description=第一行
second line' --data-urlencode 'f.severity=major' "$B/cases/new"
want 200 late; has late 'name="password"'; has late 'what you typed was not saved yet'
[[ $(hidden keep_path late) == /cases/new ]] || fail "keep_path: $(hidden keep_path late)"
[[ $(ncases) == 0 ]] || fail "a case was written without a session"
# another user signing in on another browser gets nothing of it
login wang "$T/wang.jar"
req other -b "$T/wang.jar" "$B/cases/new"; lacks other 'PK-1'
LT=$(hidden csrf late)
# sign in again: back to the form with the values, a notice; once
login_keep again li "$T/li.jar" /cases/new "$(hidden keep late)"
want 303 again; has again.h 'Location: /cases/new'
req back -b "$T/li.jar" "$B/cases/new?lang=en"; want 200 back
has back 'is back in the form'; has back 'value="华东 &lt;汽车&gt; &amp; Co"'; has back 'value="PK-1"'
has back '第一行
second line'
python3 -c 'import re,sys; t=open(sys.argv[1]).read(); sys.exit(not re.search(r"<option value=\"major\" selected", t))' "$T/back" ||
    fail "the severity choice was not put back"
req back2 -b "$T/li.jar" "$B/cases/new?lang=en"; want 200 back2; lacks back2 'is back in the form'; lacks back2 'PK-1'
# saving the restored form opens the case
TOK=$(csrf back)
req save -b "$T/li.jar" -d "csrf=$TOK" --data-urlencode 'f.customer=华东 <汽车> & Co' \
    --data-urlencode 'f.part_no=PK-1' --data-urlencode 'f.description=x' --data-urlencode 'f.severity=major' "$B/cases/new"
want 303 save
N=$(sed -n 's|^Location: /cases/\([^[:space:]]*\).*|\1|p' "$T/save.h" | tr -d '\r')
# a path that is not a form, or another site, is not where a sign-in leads
login_page "$T/x.jar"
login_keep evil li "$T/x.jar" //evil.example/cases/new f.x=1
want 303 evil; has evil.h 'Location: /'; lacks evil.h 'evil.example'

# ---- an edit: the values and the data hash it was shown with come back
login wang "$T/wang.jar"
req ed -b "$T/wang.jar" "$B/cases/$N/edit"; want 200 ed; TOK=$(csrf ed); SEEN=$(hidden seen ed)
[[ ${#SEEN} == 64 ]] || fail "no data hash on the edit form"
sleep 3
req late2 -c "$T/wang.jar" -b "$T/wang.jar" -d "csrf=$TOK" -d "seen=$SEEN" \
    --data-urlencode 'f.containment=库存隔离 100%' "$B/cases/$N/edit"
want 200 late2; has late2 'what you typed was not saved yet'
[[ $(hidden keep_path late2) == "/cases/$N/edit" ]] || fail "keep_path: $(hidden keep_path late2)"
LT=$(hidden csrf late2)
login_keep again2 wang "$T/wang.jar" "/cases/$N/edit" "$(hidden keep late2)"
want 303 again2; has again2.h "Location: /cases/$N/edit"
req back3 -b "$T/wang.jar" "$B/cases/$N/edit?lang=en"; want 200 back3
has back3 'is back in the form'; has back3 '库存隔离 100%'
[[ $(hidden seen back3) == "$SEEN" ]] || fail "the data hash first shown was not kept"
TOK=$(csrf back3)
req save3 -b "$T/wang.jar" -d "csrf=$TOK" -d "seen=$SEEN" --data-urlencode 'f.containment=库存隔离 100%' "$B/cases/$N/edit"
want 303 save3
run 0 "" show "$N" --json; grep -q '库存隔离 100%' "$T/out" || fail "the restored edit was not saved"
echo "serve_keep: ok"
