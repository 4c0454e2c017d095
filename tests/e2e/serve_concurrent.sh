#!/usr/bin/env bash
# serve_concurrent.sh - concurrent edits of one case through capa serve: eight PATCHes made
# from the same view (the same data_hash) at once - one wins, the seven others get 409 and
# write nothing, and the winner's value is what is stored (nothing lost, nothing silently
# overwritten); PATCHes without data_hash all commit, each its own audited event (group
# commit); and in the browser form, an edit made from a stale page is refused with the
# typed values kept, then saved over what is stored now.
source "$(dirname "$0")/common.bash"
source "$(dirname "$0")/serve.bash"
serve_init_users
as li 0 open customer=华东汽车 part_no=P-1 description=d severity=major qty_affected=5
N=$OUT
serve_start
TOK=$(token wang)
hash() { curl -s -H "Authorization: Bearer $TOK" "$B/api/v1/cases/$N" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["stages"][0]["data_hash"])'; }
events() { run 0 "" log "$N" --json; python3 -c 'import json,sys; print(len(json.loads(sys.stdin.read())))' <<<"$OUT"; }
H=$(hash)
E0=$(events)
pids=()
for i in 1 2 3 4 5 6 7 8; do
    curl -s -o "$T/p$i" -w '%{http_code}' -X PATCH -H "Authorization: Bearer $TOK" \
        -H 'Content-Type: application/json' \
        -d "{\"fields\": {\"containment\": \"隔离 $i\"}, \"data_hash\": \"$H\"}" \
        "$B/api/v1/cases/$N" >"$T/s$i" &
    pids+=($!)
done
wait "${pids[@]}"
ok=$(grep -l '^200$' "$T"/s? | wc -l) refused=$(grep -l '^409$' "$T"/s? | wc -l)
[[ $ok == 1 && $refused == 7 ]] || { head "$T"/s? "$T"/p?; fail "$ok won, $refused refused (want 1 and 7)"; }
win=$(grep -l '^200$' "$T"/s?); win=${win##*/s}
grep -q 'changed since it was shown' "$T/p$(( win % 8 + 1 ))" || fail "409 without its reason"
run 0 "" show "$N" --json
json "d['stages'][0]['values']['containment'] == '隔离 $win'"
[[ $(events) == $((E0 + 1)) ]] || fail "refused PATCHes wrote events"

# without data_hash every PATCH commits (group commit), each with its own audit event
E0=$(events)
pids=()
for i in 1 2 3 4 5 6 7 8; do
    curl -s -o /dev/null -w '%{http_code}' -X PATCH -H "Authorization: Bearer $TOK" \
        -H 'Content-Type: application/json' -d "{\"fields\": {\"lot_no\": \"L-$i\"}}" \
        "$B/api/v1/cases/$N" >"$T/g$i" &
    pids+=($!)
done
wait "${pids[@]}"
[[ $(grep -l '^200$' "$T"/g? | wc -l) == 8 ]] || fail "not every PATCH committed"
[[ $(events) == $((E0 + 8)) ]] || fail "not one event per PATCH"

# the browser form: rendered, then someone else saves, then the stale form is posted
login wang "$T/wang.jar"
req f1 -b "$T/wang.jar" "$B/cases/$N/edit"; want 200 f1
TOKC=$(csrf f1)
SEEN=$(grep -o 'name="seen" value="[0-9a-f]*"' "$T/f1" | sed 's/.*value="\(.*\)"/\1/')
[[ ${#SEEN} == 64 ]] || fail "the edit form carries no data hash"
as li 0 set "$N" responsible_dept=品管部
req f2 -b "$T/wang.jar" -d "csrf=$TOKC&seen=$SEEN" --data-urlencode 'f.responsible_dept=生产部' "$B/cases/$N/edit"
want 409 f2; has f2 'changed since it was shown'; has f2 'value="生产部"'
SEEN2=$(grep -o 'name="seen" value="[0-9a-f]*"' "$T/f2" | sed 's/.*value="\(.*\)"/\1/')
[[ $SEEN2 != "$SEEN" ]] || fail "the refused form offers the stale hash again"
run 0 "" show "$N" --json; json "d['stages'][0]['values']['responsible_dept'] == '品管部'"
req f3 -b "$T/wang.jar" -d "csrf=$TOKC&seen=$SEEN2" --data-urlencode 'f.responsible_dept=生产部' "$B/cases/$N/edit"
want 303 f3
run 0 "" show "$N" --json; json "d['stages'][0]['values']['responsible_dept'] == '生产部'"
run 0 "" verify
echo "serve_concurrent: ok"
